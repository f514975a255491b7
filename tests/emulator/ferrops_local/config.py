"""AWS Config: evaluations that are kept, compliance queries, rule invocation and change events.

moto accepts `PutEvaluations` only in test mode and cannot invoke a rule. Here a rule is invoked
with a real-shaped event (`evaluate`), which issues the result token; evaluations put with that
token are stored per rule and resource; and a change of compliance is delivered, as EventBridge
would, to every Lambda target of a rule matching "Config Rules Compliance Change".
"""

from __future__ import annotations

import datetime
import json
import threading
import uuid
from typing import Any

from moto.config.models import config_backends
from moto.config.responses import ConfigResponse
from moto.core.exceptions import JsonRESTError

from . import core, validate
from .core import LOCK

SERVICE = "config"
TOKENS: dict[str, dict] = {}
DELIVERIES: list[dict] = []


class Results:
    def __init__(self) -> None:
        # rule name -> (resource type, resource id) -> evaluation result
        self.by_rule: dict[str, dict[tuple[str, str], dict]] = {}


def _results(account: str, region: str) -> Results:
    return core.extra(config_backends[account][region], "results", Results)


def _epoch(value: Any) -> float:
    if isinstance(value, (int, float)):
        return float(value)
    return datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


def _params(response: ConfigResponse, operation: str) -> dict:
    return validate.parsed(SERVICE, operation, response.body)


def _rule(account: str, region: str, name: str):
    rule = config_backends[account][region].config_rules.get(name)
    if rule is None:
        raise JsonRESTError("NoSuchConfigRuleException", f"The ConfigRule '{name}' provided in the request is invalid. Please check the configRule name")
    return rule


# -- operations ----------------------------------------------------------------------------------

_original_put_evaluations = ConfigResponse.put_evaluations


def put_evaluations(self: ConfigResponse) -> str:
    p = _params(self, "PutEvaluations")
    for e in p.get("Evaluations") or []:
        if e["ComplianceType"] == "INSUFFICIENT_DATA":
            raise JsonRESTError("InvalidParameterValueException",
                                "INSUFFICIENT_DATA is not a valid ComplianceType for evaluations put by a rule")
    if p.get("TestMode"):
        return _original_put_evaluations(self)
    with LOCK:
        token = TOKENS.get(p["ResultToken"])
    if token is None or token["account"] != self.current_account:
        raise JsonRESTError("InvalidResultTokenException", "The resultToken provided is invalid")
    recorded = core.now()
    changes = []
    store = _results(self.current_account, self.region)
    with LOCK:
        rule_results = store.by_rule.setdefault(token["rule"], {})
        for e in p.get("Evaluations") or []:
            key = (e["ComplianceResourceType"], e["ComplianceResourceId"])
            old = rule_results.get(key)
            new = {
                "ComplianceType": e["ComplianceType"],
                "Annotation": e.get("Annotation"),
                "OrderingTimestamp": _epoch(e["OrderingTimestamp"]),
                "ResultRecordedTime": recorded,
                "ConfigRuleInvokedTime": token["invoked"],
                "ResultToken": p["ResultToken"],
            }
            if old and old["OrderingTimestamp"] > new["OrderingTimestamp"]:
                continue  # AWS keeps the result with the latest ordering timestamp
            rule_results[key] = new
            if old is None or old["ComplianceType"] != new["ComplianceType"]:
                changes.append((key, old, new))
    for key, old, new in changes:
        _emit_change(self.current_account, self.region, token["rule"], key, old, new)
    return json.dumps({"FailedEvaluations": []})


def _identifier(rule: str, key: tuple[str, str], result: dict) -> dict:
    return {
        "EvaluationResultQualifier": {"ConfigRuleName": rule, "ResourceType": key[0], "ResourceId": key[1],
                                      "EvaluationMode": "DETECTIVE"},
        "OrderingTimestamp": result["OrderingTimestamp"],
    }


def get_compliance_details_by_config_rule(self: ConfigResponse) -> str:
    p = _params(self, "GetComplianceDetailsByConfigRule")
    _rule(self.current_account, self.region, p["ConfigRuleName"])
    wanted = set(p.get("ComplianceTypes") or ["COMPLIANT", "NON_COMPLIANT", "NOT_APPLICABLE"])
    with LOCK:
        results = sorted(_results(self.current_account, self.region).by_rule.get(p["ConfigRuleName"], {}).items())
        entries = [
            {"EvaluationResultIdentifier": _identifier(p["ConfigRuleName"], key, r),
             **{k: v for k, v in r.items() if k != "OrderingTimestamp" and v is not None}}
            for key, r in results if r["ComplianceType"] in wanted
        ]
    return json.dumps(core.page(entries, p.get("NextToken"), p.get("Limit") or 100, "EvaluationResults",
                                "InvalidNextTokenException"))


def describe_compliance_by_config_rule(self: ConfigResponse) -> str:
    p = _params(self, "DescribeComplianceByConfigRule")
    backend = config_backends[self.current_account][self.region]
    names = p.get("ConfigRuleNames") or sorted(backend.config_rules)
    wanted = set(p.get("ComplianceTypes") or ["COMPLIANT", "NON_COMPLIANT", "INSUFFICIENT_DATA"])
    out = []
    with LOCK:
        for name in names:
            _rule(self.current_account, self.region, name)
            results = _results(self.current_account, self.region).by_rule.get(name, {})
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
    return json.dumps({"ComplianceByConfigRules": out})


# -- change events -------------------------------------------------------------------------------


def _event_result(rule: str, key: tuple[str, str], r: dict) -> dict:
    out = {
        "evaluationResultIdentifier": {
            "evaluationResultQualifier": {"configRuleName": rule, "resourceType": key[0], "resourceId": key[1]},
            "orderingTimestamp": core.iso(r["OrderingTimestamp"]),
        },
        "complianceType": r["ComplianceType"],
        "resultRecordedTime": core.iso(r["ResultRecordedTime"]),
        "configRuleInvokedTime": core.iso(r["ConfigRuleInvokedTime"]),
    }
    if r.get("Annotation"):
        out["annotation"] = r["Annotation"]
    return out


def _emit_change(account: str, region: str, rule_name: str, key: tuple[str, str], old: dict | None, new: dict) -> None:
    rule = _rule(account, region, rule_name)
    now = core.now()
    detail: dict[str, Any] = {
        "resourceId": key[1],
        "awsRegion": region,
        "awsAccountId": account,
        "configRuleName": rule_name,
        "recordVersion": "1.0",
        "configRuleARN": rule.config_rule_arn,
        "messageType": "ComplianceChangeNotification",
        "newEvaluationResult": _event_result(rule_name, key, new),
        "notificationCreationTime": core.iso(now),
        "resourceType": key[0],
    }
    if old:
        detail["oldEvaluationResult"] = _event_result(rule_name, key, old)
    event = {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Config Rules Compliance Change",
        "source": "aws.config",
        "account": account,
        "time": core.iso(now)[:19] + "Z",
        "region": region,
        "resources": [rule.config_rule_arn],
        "detail": detail,
    }
    deliver(account, region, event)


def deliver(account: str, region: str, event: dict) -> None:
    """Sends `event` to the Lambda targets of every enabled EventBridge rule it matches, asynchronously."""
    from moto.events.models import events_backends

    backend = events_backends[account][region]
    targets: list[str] = []
    for bus in backend.event_buses.values():
        for rule in bus.rules.values():
            targets += _rule_targets(rule, event)
    seen = set()
    for arn in targets:
        if arn in seen:
            continue
        seen.add(arn)
        record = {"event": event, "target": arn, "status": "Pending", "error": None}
        with LOCK:
            DELIVERIES.append(record)
        threading.Thread(target=_send, args=(arn, event, record), daemon=True).start()


def _rule_targets(rule: Any, event: dict) -> list[str]:
    if rule.state != "ENABLED" or not rule.event_pattern.get_pattern():
        return []
    if not rule.event_pattern.matches_event(event):
        return []
    return [t["Arn"] for t in rule.targets if ":lambda:" in t["Arn"]]


def _send(arn: str, event: dict, record: dict) -> None:
    try:
        core.invoke(arn, event)
        status, error = "Delivered", None
    except core.InvokeError as e:
        status, error = "Failed", str(e)
    with LOCK:
        record["status"], record["error"] = status, error
        core.CHANGED.notify_all()


# -- invoking a rule -------------------------------------------------------------------------------


def security_group_item(account: str, region: str, group_id: str) -> dict:
    """The configuration item AWS Config records for a moto EC2 security group."""
    from moto.ec2.models import ec2_backends

    ec2 = ec2_backends[account][region]
    groups = ec2.describe_security_groups(group_ids=[group_id])
    if not groups:
        raise JsonRESTError("ResourceNotDiscoveredException", f"Resource {group_id} is not discovered")
    g = groups[0]

    def perms(rules: list) -> list[dict]:
        # moto keeps one rule per range; Config groups ranges by protocol and ports, as EC2 does.
        grouped: dict[tuple, dict] = {}
        for r in rules:
            proto = str(r.ip_protocol or "-1")
            key = (proto, r.from_port, r.to_port)
            p = grouped.get(key)
            if p is None:
                p = {"ipProtocol": proto, "ipv6Ranges": [], "prefixListIds": [], "userIdGroupPairs": [],
                     "ipv4Ranges": [], "ipRanges": []}
                if proto != "-1" and r.from_port is not None:
                    p["fromPort"], p["toPort"] = int(r.from_port), int(r.to_port)
                grouped[key] = p
            if r.ip_range.get("CidrIp"):
                p["ipv4Ranges"].append({"cidrIp": r.ip_range["CidrIp"]})
                p["ipRanges"].append(r.ip_range["CidrIp"])
            if r.ip_range.get("CidrIpv6"):
                p["ipv6Ranges"].append({"cidrIpv6": r.ip_range["CidrIpv6"]})
            if r.source_group:
                p["userIdGroupPairs"].append({"groupId": r.source_group.get("GroupId")})
        return list(grouped.values())

    tags = {t["key"]: t["value"] for t in ec2.describe_tags(filters={"resource-id": [g.id]})}
    captured = core.now()
    return {
        "relatedEvents": [],
        "relationships": [],
        "configuration": {
            "description": g.description,
            "groupName": g.name,
            "ipPermissions": perms(g.ingress_rules),
            "ownerId": account,
            "groupId": g.id,
            "ipPermissionsEgress": perms(g.egress_rules),
            "tags": [{"key": k, "value": v} for k, v in tags.items()],
            "vpcId": g.vpc_id,
        },
        "supplementaryConfiguration": {},
        "tags": tags,
        "configurationItemVersion": "1.3",
        "configurationItemCaptureTime": core.iso(captured),
        "configurationStateId": int(captured * 1000),
        "awsAccountId": account,
        "configurationItemStatus": "OK",
        "resourceType": "AWS::EC2::SecurityGroup",
        "resourceId": g.id,
        "resourceName": g.name,
        "ARN": f"arn:aws:ec2:{region}:{account}:security-group/{g.id}",
        "awsRegion": region,
        "availabilityZone": "Not Applicable",
        "configurationStateMd5Hash": "",
    }


ITEM_BUILDERS = {"AWS::EC2::SecurityGroup": security_group_item}


def evaluate(account: str, region: str, rule_name: str, resource_type: str | None = None,
             resource_id: str | None = None, item: dict | None = None) -> dict:
    """Invokes a rule as Config does: a change notification for one resource, or a scheduled one."""
    rule = _rule(account, region, rule_name)
    if item is None and resource_type is not None:
        builder = ITEM_BUILDERS.get(resource_type)
        if builder is None:
            raise ValueError(f"the local Config records {', '.join(ITEM_BUILDERS)} only; pass the configurationItem")
        item = builder(account, region, resource_id)
    invoked = core.now()
    if item is not None:
        invoking = {"configurationItemDiff": None, "configurationItem": item, "notificationCreationTime": core.iso(invoked),
                    "messageType": "ConfigurationItemChangeNotification", "recordVersion": "1.3"}
    else:
        invoking = {"awsAccountId": account, "notificationCreationTime": core.iso(invoked),
                    "messageType": "ScheduledNotification", "recordVersion": "1.0"}
    token = f"ferrops-local-{uuid.uuid4()}"
    with LOCK:
        TOKENS[token] = {"account": account, "region": region, "rule": rule_name, "invoked": invoked}
    event = {
        "version": "1.0",
        "invokingEvent": json.dumps(invoking),
        "ruleParameters": rule.input_parameters or "{}",
        "resultToken": token,
        "eventLeftScope": False,
        "executionRoleArn": f"arn:aws:iam::{account}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig",
        "configRuleArn": rule.config_rule_arn,
        "configRuleName": rule_name,
        "configRuleId": rule.config_rule_id,
        "accountId": account,
    }
    reply = core.invoke(rule.source.source_identifier, event)
    with LOCK:
        results = _results(account, region).by_rule.get(rule_name, {})
        mine = {f"{k[0]}/{k[1]}": v for k, v in results.items() if v["ResultToken"] == token}
    return {"reply": reply, "evaluations": mine}


TIMESTAMPS = ("configurationItemCaptureTime", "resourceCreationTime", "resourceDeletionTime")


def _epochs(value: Any) -> Any:
    """moto writes configuration-item times as "2026-11-22 02:46:10+00:00"; the JSON protocol
    carries epoch seconds, and the SDKs refuse anything else."""
    if isinstance(value, list):
        return [_epochs(v) for v in value]
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k in TIMESTAMPS and isinstance(v, str):
                out[k] = datetime.datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp()
            else:
                out[k] = _epochs(v)
        return out
    return value


def _with_epochs(original):
    def answer(self: ConfigResponse) -> str:
        return json.dumps(_epochs(json.loads(original(self))))

    return answer


def install() -> None:
    for name in ("get_resource_config_history", "batch_get_resource_config", "batch_get_aggregate_resource_config"):
        setattr(ConfigResponse, name, _with_epochs(getattr(ConfigResponse, name)))
    ConfigResponse.put_evaluations = put_evaluations
    ConfigResponse.get_compliance_details_by_config_rule = get_compliance_details_by_config_rule
    ConfigResponse.describe_compliance_by_config_rule = describe_compliance_by_config_rule
