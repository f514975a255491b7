"""The deliveries made to Lambda targets, kept on the EventBridge backend."""

from __future__ import annotations

from typing import Any

from moto.events import models as moto_models

from ..core.state import LOCK
from . import workers


class EventsBackend(moto_models.EventsBackend):
    def __init__(self, region_name: str, account_id: str):
        super().__init__(region_name, account_id)
        # Each delivery: the event, the target's ARN, and its status (Pending, Delivered, Failed).
        self.deliveries: list[dict] = []

    def deliver(self, event: dict) -> None:
        """Sends `event` to the Lambda targets of every enabled rule it matches, asynchronously."""
        targets: list[str] = []
        for bus in self.event_buses.values():
            for rule in bus.rules.values():
                targets += _lambda_targets(rule, event)
        for arn in dict.fromkeys(targets):
            record = {"event": event, "target": arn, "status": "Pending", "error": None}
            with LOCK:
                self.deliveries.append(record)
            workers.send(arn, event, record)


def _lambda_targets(rule: Any, event: dict) -> list[str]:
    if rule.state != "ENABLED" or not rule.event_pattern.get_pattern():
        return []
    if not rule.event_pattern.matches_event(event):
        return []
    return [t["Arn"] for t in rule.targets if ":lambda:" in t["Arn"]]
