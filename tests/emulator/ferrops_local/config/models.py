"""AWS Config's state beyond moto's: the result tokens issued and the evaluations kept; rule
invocation and change events; and the AWS::Config::ConfigRule resource type."""

from __future__ import annotations

import json
import uuid
from typing import Any

from moto.config import models as moto_models
from moto.core.common_models import CloudFormationModel
from moto.events.models import events_backends

from ..core import functions
from ..core.resources import NamedResource
from ..core.state import LOCK
from ..core.utils import epoch, iso, now, page
from . import items
from .exceptions import (
    InvalidNextTokenException,
    InvalidParameterValueException,
    InvalidResultTokenException,
    NoSuchConfigRuleException,
)

Key = tuple[str, str]  # (resource type, resource ID)


class ConfigBackend(moto_models.ConfigBackend):
    def __init__(self, region_name: str, account_id: str):
        super().__init__(region_name, account_id)
        # Result token -> the rule it was issued for and when the rule was invoked.
        self.tokens: dict[str, dict] = {}
        # Rule name -> resource -> the latest evaluation result.
        self.results: dict[str, dict[Key, dict]] = {}

    def rule(self, name: str) -> Any:
        rule = self.config_rules.get(name)
        if rule is None:
            raise NoSuchConfigRuleException(name)
        return rule

    # -- evaluations ---------------------------------------------------------------------------

    def put_evaluations(self, evaluations: list[dict] | None = None, result_token: str | None = None,
                        test_mode: bool | None = False) -> dict:
        for e in evaluations or []:
            if e["ComplianceType"] == "INSUFFICIENT_DATA":
                raise InvalidParameterValueException(
                    "INSUFFICIENT_DATA is not a valid ComplianceType for evaluations put by a rule")
        if test_mode:
            return super().put_evaluations(evaluations, result_token, test_mode)
        with LOCK:
            token = self.tokens.get(result_token or "")
        if token is None:
            raise InvalidResultTokenException()
        recorded = now()
        changes = []
        with LOCK:
            rule_results = self.results.setdefault(token["rule"], {})
            for e in evaluations or []:
                key = (e["ComplianceResourceType"], e["ComplianceResourceId"])
                old = rule_results.get(key)
                new = {
                    "ComplianceType": e["ComplianceType"],
                    "Annotation": e.get("Annotation"),
                    "OrderingTimestamp": epoch(e["OrderingTimestamp"]),
                    "ResultRecordedTime": recorded,
                    "ConfigRuleInvokedTime": token["invoked"],
                    "ResultToken": result_token,
                }
                if old and old["OrderingTimestamp"] > new["OrderingTimestamp"]:
                    continue  # AWS keeps the result with the latest ordering timestamp
                rule_results[key] = new
                if old is None or old["ComplianceType"] != new["ComplianceType"]:
                    changes.append((key, old, new))
        for key, old, new in changes:
            self._emit_change(token["rule"], key, old, new)
        return {"FailedEvaluations": []}

    def get_compliance_details_by_config_rule(self, rule_name: str, compliance_types: list[str] | None,
                                              limit: int | None, next_token: str | None) -> dict:
        self.rule(rule_name)
        wanted = set(compliance_types or ["COMPLIANT", "NON_COMPLIANT", "NOT_APPLICABLE"])
        with LOCK:
            results = sorted(self.results.get(rule_name, {}).items())
            entries = [
                {"EvaluationResultIdentifier": _identifier(rule_name, key, r),
                 **{k: v for k, v in r.items() if k != "OrderingTimestamp" and v is not None}}
                for key, r in results if r["ComplianceType"] in wanted
            ]
        return page(entries, next_token, limit or 100, "EvaluationResults", InvalidNextTokenException)

    def describe_compliance_by_config_rule(self, rule_names: list[str] | None,
                                           compliance_types: list[str] | None) -> list[dict]:
        names = rule_names or sorted(self.config_rules)
        wanted = set(compliance_types or ["COMPLIANT", "NON_COMPLIANT", "INSUFFICIENT_DATA"])
        out = []
        with LOCK:
            for name in names:
                self.rule(name)
                results = self.results.get(name, {})
                non = sum(1 for r in results.values() if r["ComplianceType"] == "NON_COMPLIANT")
                if non:
                    compliance = {"ComplianceType": "NON_COMPLIANT",
                                  "ComplianceContributorCount": {"CappedCount": min(non, 100), "CapExceeded": non > 100}}
                elif any(r["ComplianceType"] == "COMPLIANT" for r in results.values()):
                    compliance = {"ComplianceType": "COMPLIANT"}
                else:
                    compliance = {"ComplianceType": "INSUFFICIENT_DATA"}
                if compliance["ComplianceType"] in wanted:
                    out.append({"ConfigRuleName": name, "Compliance": compliance})
        return out

    # -- invoking a rule -----------------------------------------------------------------------

    def evaluate(self, rule_name: str, resource_type: str | None = None, resource_id: str | None = None,
                 item: dict | None = None) -> dict:
        """Invokes a rule as Config does: a change notification for one resource, or a scheduled
        one when none is given. Returns the function's reply and the evaluations it put."""
        rule = self.rule(rule_name)
        if item is None and resource_type is not None:
            builder = items.BUILDERS.get(resource_type)
            if builder is None:
                raise ValueError(f"the local Config records {', '.join(items.BUILDERS)} only; pass the configurationItem")
            item = builder(self.account_id, self.region_name, resource_id)
        invoked = now()
        if item is not None:
            invoking = {"configurationItemDiff": None, "configurationItem": item, "notificationCreationTime": iso(invoked),
                        "messageType": "ConfigurationItemChangeNotification", "recordVersion": "1.3"}
        else:
            invoking = {"awsAccountId": self.account_id, "notificationCreationTime": iso(invoked),
                        "messageType": "ScheduledNotification", "recordVersion": "1.0"}
        token = f"ferrops-local-{uuid.uuid4()}"
        with LOCK:
            self.tokens[token] = {"rule": rule_name, "invoked": invoked}
        event = {
            "version": "1.0",
            "invokingEvent": json.dumps(invoking),
            "ruleParameters": rule.input_parameters or "{}",
            "resultToken": token,
            "eventLeftScope": False,
            "executionRoleArn": f"arn:aws:iam::{self.account_id}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig",
            "configRuleArn": rule.config_rule_arn,
            "configRuleName": rule_name,
            "configRuleId": rule.config_rule_id,
            "accountId": self.account_id,
        }
        reply = functions.invoke(rule.source.source_identifier, event, self.account_id, self.region_name)
        with LOCK:
            results = self.results.get(rule_name, {})
            mine = {f"{k[0]}/{k[1]}": v for k, v in results.items() if v["ResultToken"] == token}
        return {"reply": reply, "evaluations": mine}

    # -- change events -------------------------------------------------------------------------

    def _emit_change(self, rule_name: str, key: Key, old: dict | None, new: dict) -> None:
        rule = self.rule(rule_name)
        at = now()
        detail: dict[str, Any] = {
            "resourceId": key[1],
            "awsRegion": self.region_name,
            "awsAccountId": self.account_id,
            "configRuleName": rule_name,
            "recordVersion": "1.0",
            "configRuleARN": rule.config_rule_arn,
            "messageType": "ComplianceChangeNotification",
            "newEvaluationResult": _event_result(rule_name, key, new),
            "notificationCreationTime": iso(at),
            "resourceType": key[0],
        }
        if old:
            detail["oldEvaluationResult"] = _event_result(rule_name, key, old)
        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Config Rules Compliance Change",
            "source": "aws.config",
            "account": self.account_id,
            "time": iso(at)[:19] + "Z",
            "region": self.region_name,
            "resources": [rule.config_rule_arn],
            "detail": detail,
        }
        events_backends[self.account_id][self.region_name].deliver(event)


def _identifier(rule: str, key: Key, result: dict) -> dict:
    return {
        "EvaluationResultQualifier": {"ConfigRuleName": rule, "ResourceType": key[0], "ResourceId": key[1],
                                      "EvaluationMode": "DETECTIVE"},
        "OrderingTimestamp": result["OrderingTimestamp"],
    }


def _event_result(rule: str, key: Key, r: dict) -> dict:
    out = {
        "evaluationResultIdentifier": {
            "evaluationResultQualifier": {"configRuleName": rule, "resourceType": key[0], "resourceId": key[1]},
            "orderingTimestamp": iso(r["OrderingTimestamp"]),
        },
        "complianceType": r["ComplianceType"],
        "resultRecordedTime": iso(r["ResultRecordedTime"]),
        "configRuleInvokedTime": iso(r["ConfigRuleInvokedTime"]),
    }
    if r.get("Annotation"):
        out["annotation"] = r["Annotation"]
    return out


class ConfigRuleResource(NamedResource, CloudFormationModel):
    """AWS::Config::ConfigRule, created through the Config backend."""

    @staticmethod
    def cloudformation_name_type() -> str:
        return "ConfigRuleName"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Config::ConfigRule"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ("Arn", "ConfigRuleId", "Compliance.Type")

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        rule = moto_models.config_backends[self.account_id][self.region].rule(self.name)
        if attribute_name == "Arn":
            return rule.config_rule_arn
        if attribute_name == "ConfigRuleId":
            return rule.config_rule_id
        return "INSUFFICIENT_DATA"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name: str, cloudformation_json: Any, account_id: str,
                                        region_name: str, **kwargs: Any) -> "ConfigRuleResource":
        props = dict(cloudformation_json["Properties"])
        props.setdefault("ConfigRuleName", resource_name)
        if isinstance(props.get("InputParameters"), dict):
            props["InputParameters"] = json.dumps(props["InputParameters"])
        moto_models.config_backends[account_id][region_name].put_config_rule(props)
        return cls(props["ConfigRuleName"], account_id, region_name)

    @classmethod
    def update_from_cloudformation_json(cls, original_resource: Any, new_resource_name: str,
                                        cloudformation_json: Any, account_id: str,
                                        region_name: str) -> "ConfigRuleResource":
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name: str, cloudformation_json: Any, account_id: str,
                                        region_name: str) -> None:
        moto_models.config_backends[account_id][region_name].delete_config_rule(resource_name)
