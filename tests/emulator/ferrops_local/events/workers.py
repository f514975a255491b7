"""Delivery to a Lambda target, on a thread of its own: EventBridge does not wait for the function."""

from __future__ import annotations

import threading

from ..core import functions
from ..core.state import CHANGED, LOCK


def send(arn: str, event: dict, record: dict) -> None:
    threading.Thread(target=_send, args=(arn, event, record), daemon=True).start()


def _send(arn: str, event: dict, record: dict) -> None:
    try:
        # An EventBridge target is always named by its ARN, which holds its account and region.
        functions.invoke(arn, event, "", "")
        status, error = "Delivered", None
    except functions.InvokeError as e:
        status, error = "Failed", str(e)
    with LOCK:
        record["status"], record["error"] = status, error
        CHANGED.notify_all()
