"""AWS Config's operations as the additions answer them."""

from __future__ import annotations

import json
from typing import Any

from moto.config import responses as moto_responses

from ..core.utils import epoch
from ..core.validation import ValidatedResponse

# The configuration-item members that are timestamps.
TIMESTAMPS = ("configurationItemCaptureTime", "resourceCreationTime", "resourceDeletionTime")


class ConfigResponse(ValidatedResponse, moto_responses.ConfigResponse):
    # `config_backend` is the grafted ConfigBackend of models.py.

    def put_evaluations(self) -> str:
        p = self.validated()
        return json.dumps(self.config_backend.put_evaluations(p.get("Evaluations"), p["ResultToken"],
                                                              p.get("TestMode")))

    def get_compliance_details_by_config_rule(self) -> str:
        p = self.validated()
        return json.dumps(self.config_backend.get_compliance_details_by_config_rule(
            p["ConfigRuleName"], p.get("ComplianceTypes"), p.get("Limit"), p.get("NextToken")))

    def describe_compliance_by_config_rule(self) -> str:
        p = self.validated()
        found = self.config_backend.describe_compliance_by_config_rule(p.get("ConfigRuleNames"),
                                                                       p.get("ComplianceTypes"))
        return json.dumps({"ComplianceByConfigRules": found})

    # moto writes configuration-item times as "2026-11-22 02:46:10+00:00"; the JSON protocol
    # carries epoch seconds, and the SDKs refuse anything else.

    def get_resource_config_history(self) -> str:
        return _with_epochs(super().get_resource_config_history())

    def batch_get_resource_config(self) -> str:
        return _with_epochs(super().batch_get_resource_config())

    def batch_get_aggregate_resource_config(self) -> str:
        return _with_epochs(super().batch_get_aggregate_resource_config())


def _with_epochs(answer: str) -> str:
    return json.dumps(_epochs(json.loads(answer)))


def _epochs(value: Any) -> Any:
    if isinstance(value, list):
        return [_epochs(v) for v in value]
    if isinstance(value, dict):
        return {k: epoch(v) if k in TIMESTAMPS and isinstance(v, str) else _epochs(v) for k, v in value.items()}
    return value
