"""moto's reset (`POST /moto-api/reset`) clears the additions' state with moto's own.

A module of its own, so the reset cannot reach the emulator the other modules' tests share."""

from __future__ import annotations

import json
import time
import urllib.request
import uuid

import botocore.exceptions
import pytest

from test_additions import error_code, instance, job_data, make_pipeline, run, wait


def reset(local) -> None:
    req = urllib.request.Request(f"{local.endpoint}/moto-api/reset", data=b"", method="POST")
    urllib.request.urlopen(req, timeout=60).read()


def config_rule(local, name: str) -> None:
    """A custom rule whose function puts one COMPLIANT evaluation, with a change event to a notifier."""
    cfg, events = local.client("config"), local.client("events")
    arns = {f: local.function(f"ferrops-r-{f}", f) for f in ("config-rules", "compliance-notifier")}
    cfg.put_config_rule(ConfigRule={"ConfigRuleName": name, "Source": {
        "Owner": "CUSTOM_LAMBDA", "SourceIdentifier": arns["config-rules"],
        "SourceDetails": [{"EventSource": "aws.config", "MessageType": "ConfigurationItemChangeNotification"}]}})
    events.put_rule(Name=f"{name}-changes", EventPattern=json.dumps({"source": ["aws.config"]}))
    events.put_targets(Rule=f"{name}-changes", Targets=[{"Id": "n", "Arn": arns["compliance-notifier"]}])


def test_a_reset_clears_what_the_additions_keep(local):
    cp, ssm, cfg = local.client("codepipeline"), local.client("ssm"), local.client("config")

    iid = instance(local, Role="reset")
    command = run(ssm, iid, ["echo before"])
    job = str(uuid.uuid4())
    local.control("/jobs", {"ids": [job], "data": job_data()})
    pipeline = make_pipeline(local, [{"name": "Approve", "actions": [{
        "name": "Gate", "actionTypeId": {"category": "Approval", "owner": "AWS", "provider": "Manual", "version": "1"}}]}])
    cp.start_pipeline_execution(name=pipeline)

    def put_one(event: dict) -> dict:
        cfg.put_evaluations(ResultToken=event["resultToken"], Evaluations=[{
            "ComplianceResourceType": "AWS::EC2::SecurityGroup", "ComplianceResourceId": "sg-r",
            "ComplianceType": "COMPLIANT", "OrderingTimestamp": time.time()}])
        tokens.append(event["resultToken"])
        return {}

    tokens: list[str] = []
    local.host.handlers["config-rules"] = put_one
    local.host.handlers["compliance-notifier"] = lambda e: {}
    config_rule(local, "r-rule")
    local.control("/config/evaluate", {"ruleName": "r-rule", "configurationItem": {
        "resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-r", "configurationItemStatus": "OK",
        "configurationItemCaptureTime": "2026-11-22T00:00:00.000Z", "awsAccountId": "123456789012",
        "configuration": {}}})

    # Everything the additions keep is there before the reset...
    assert [i["instanceId"] for i in local.control("/instances")["instances"]] == [iid]
    assert command["Status"] == "Success"
    assert cp.get_job_details(jobId=job)["jobDetails"]["id"] == job
    assert wait("the execution's record", lambda: local.control(f"/pipelines/history?name={pipeline}")["executions"])
    assert wait("the change event's delivery", lambda: local.control("/deliveries")["deliveries"])
    assert cfg.get_compliance_details_by_config_rule(ConfigRuleName="r-rule")["EvaluationResults"]
    assert local.control("/requests?since=0")["requests"]

    reset_at = time.time()
    reset(local)

    # ...and none of it after.
    assert local.control("/instances")["instances"] == []
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cp.get_job_details(jobId=job)
    assert error_code(e) == "JobNotFoundException"
    assert local.control(f"/pipelines/history?name={pipeline}")["executions"] == []
    assert local.control("/deliveries")["deliveries"] == []
    assert all(r["time"] >= reset_at for r in local.control("/requests?since=0")["requests"])
    config_rule(local, "r-rule")
    assert cfg.get_compliance_details_by_config_rule(ConfigRuleName="r-rule")["EvaluationResults"] == []
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cfg.put_evaluations(ResultToken=tokens[0], Evaluations=[{
            "ComplianceResourceType": "AWS::EC2::SecurityGroup", "ComplianceResourceId": "sg-r",
            "ComplianceType": "COMPLIANT", "OrderingTimestamp": time.time()}])
    assert error_code(e) == "InvalidResultTokenException"

    # The additions are still grafted: the reset rebuilt their backends, not moto's own.
    local.control("/jobs", {"ids": [job], "data": job_data()})
    assert cp.get_job_details(jobId=job)["jobDetails"]["id"] == job
    assert run(ssm, instance(local), ["echo after"])["StandardOutputContent"] == "after\n"
