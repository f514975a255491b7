"""The local AWS's additions: AWS semantics, validation against botocore's model, answer shapes."""

from __future__ import annotations

import io
import json
import time
import uuid
import zipfile

import botocore.exceptions
import pytest

from ferrops_local.core import validation as validate

ACCOUNT = "123456789012"
TRUST_CODEPIPELINE = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "codepipeline.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def error_code(excinfo: pytest.ExceptionInfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def wait(what, check, timeout: float = 20.0):
    deadline = time.time() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


# -- botocore model validation -----------------------------------------------------------------------


def test_the_validator_reports_each_broken_constraint_in_aws_wording():
    shape = validate.operation_model("codepipeline", "PutJobFailureResult").input_shape
    found = validate.problems(shape, {"jobId": "j", "failureDetails": {"type": "Oops", "message": "x" * 5001}})
    assert any("failureDetails.type" in f and "enum value set" in f for f in found), found
    assert any("failureDetails.message" in f and "less than or equal to 5000" in f for f in found), found
    assert validate.problems(shape, {"failureDetails": {"type": "JobFailed", "message": "m"}}) == [
        "Value at 'jobId' failed to satisfy constraint: Member must not be null"]


def test_answers_are_checked_strictly_and_requests_are_not():
    shape = validate.operation_model("codepipeline", "GetJobDetails").output_shape
    assert validate.problems(shape, {"jobDetails": {"id": "j", "surprise": 1}}, strict=True)
    in_shape = validate.operation_model("codepipeline", "GetJobDetails").input_shape
    assert validate.problems(in_shape, {"jobId": "j", "newerMember": 1}) == []


# -- CodePipeline jobs ---------------------------------------------------------------------------------


def job_data(params: dict | None = None) -> dict:
    return {
        "actionTypeId": {"category": "Invoke", "owner": "AWS", "provider": "Lambda", "version": "1"},
        "actionConfiguration": {"configuration": {"FunctionName": "f", "UserParameters": json.dumps(params or {})}},
        "inputArtifacts": [], "outputArtifacts": [],
        "artifactCredentials": {"accessKeyId": "ASIAEXAMPLE", "secretAccessKey": "s", "sessionToken": "t"},
    }


def test_job_results_are_validated_like_aws(local):
    cp = local.client("codepipeline")
    ids = [str(uuid.uuid4()) for _ in range(3)]
    local.control("/jobs", {"ids": ids, "data": job_data()})
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cp.put_job_success_result(jobId=ids[0], executionDetails={"summary": "s" * 2049})
    assert error_code(e) == "ValidationException" and "2048" in str(e.value)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cp.put_job_failure_result(jobId=ids[0], failureDetails={"type": "JobFailed", "message": "m" * 5001})
    assert error_code(e) == "ValidationException" and "5000" in str(e.value)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cp.put_job_success_result(jobId=ids[0], continuationToken="c", outputVariables={"A": "1"})
    assert error_code(e) == "ValidationException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cp.put_job_success_result(jobId=str(uuid.uuid4()))
    assert error_code(e) == "JobNotFoundException"
    cp.put_job_success_result(jobId=ids[0], executionDetails={"summary": "ok"})
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cp.put_job_failure_result(jobId=ids[0], failureDetails={"type": "JobFailed", "message": "late"})
    assert error_code(e) == "InvalidJobStateException"


def test_job_details_and_acknowledgement_answer_in_the_models_shape(local):
    job_id = str(uuid.uuid4())
    local.control("/jobs", {"ids": [job_id], "data": job_data({"commands": ["true"]})})
    status, body = local.raw("CodePipeline_20150709.GetJobDetails", {"jobId": job_id})
    assert status == 200 and validate.response("codepipeline", "GetJobDetails", body) == []
    assert body["jobDetails"]["accountId"] == ACCOUNT
    status, body = local.raw("CodePipeline_20150709.AcknowledgeJob", {"jobId": job_id, "nonce": "wrong"})
    assert status == 400 and body["__type"].endswith("InvalidNonceException")
    status, body = local.raw("CodePipeline_20150709.GetJobDetails", {})
    assert status == 400 and body["__type"].endswith("ValidationException"), body


def make_pipeline(local, stages: list[dict]) -> str:
    iam, s3, cp = local.client("iam"), local.client("s3"), local.client("codepipeline")
    name = f"p-{uuid.uuid4().hex[:8]}"
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST_CODEPIPELINE)["Role"]["Arn"]
    s3.create_bucket(Bucket=f"{name}-artifacts")
    s3.create_bucket(Bucket=f"{name}-source")
    s3.put_bucket_versioning(Bucket=f"{name}-source", VersioningConfiguration={"Status": "Enabled"})
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "hello")
    s3.put_object(Bucket=f"{name}-source", Key="src.zip", Body=buf.getvalue())
    source = {"name": "Source", "actions": [{
        "name": "Source", "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"},
        "configuration": {"S3Bucket": f"{name}-source", "S3ObjectKey": "src.zip"},
        "outputArtifacts": [{"name": "Src"}]}]}
    cp.create_pipeline(pipeline={"name": name, "roleArn": role,
                                 "artifactStore": {"type": "S3", "location": f"{name}-artifacts"},
                                 "stages": [source] + stages})
    return name


def lambda_stage(function: str = "ferrops-t-pipeline-runner", name: str = "Run") -> dict:
    return {"name": name, "actions": [{
        "name": name, "actionTypeId": {"category": "Invoke", "owner": "AWS", "provider": "Lambda", "version": "1"},
        "configuration": {"FunctionName": function, "UserParameters": "{}"},
        "inputArtifacts": [{"name": "Src"}]}]}


def finished(cp, name: str, execution: str) -> str | None:
    status = cp.get_pipeline_execution(pipelineName=name, pipelineExecutionId=execution)["pipelineExecution"]["status"]
    return status if status in ("Succeeded", "Failed") else None


def test_a_lambda_action_is_reinvoked_on_its_continuation_token(local):
    cp = local.client("codepipeline")
    s3 = local.client("s3")
    seen: list[dict] = []

    def handler(event: dict) -> dict:
        job = event["CodePipeline.job"]
        seen.append(job)
        if job["data"].get("continuationToken") != "step-1":
            cp.put_job_success_result(jobId=job["id"], continuationToken="step-1",
                                      executionDetails={"summary": "working", "percentComplete": 50})
        else:
            cp.put_job_success_result(jobId=job["id"], executionDetails={"summary": "done"})
        return {}

    local.host.handlers["pipeline-runner"] = handler
    name = make_pipeline(local, [lambda_stage()])
    execution = cp.start_pipeline_execution(name=name)["pipelineExecutionId"]
    assert wait("the execution", lambda: finished(cp, name, execution)) == "Succeeded"
    assert len(seen) == 2 and seen[1]["data"]["continuationToken"] == "step-1"
    data = seen[0]["data"]
    assert set(data["artifactCredentials"]) >= {"accessKeyId", "secretAccessKey", "sessionToken"}
    assert data["pipelineContext"]["pipelineExecutionId"] == execution
    loc = data["inputArtifacts"][0]["location"]["s3Location"]
    body = s3.get_object(Bucket=loc["bucketName"], Key=loc["objectKey"])["Body"].read()
    assert zipfile.ZipFile(io.BytesIO(body)).read("hello.txt") == b"hello"
    status, state = local.raw("CodePipeline_20150709.GetPipelineState", {"name": name})
    assert status == 200 and validate.response("codepipeline", "GetPipelineState", state) == []
    run = state["stageStates"][1]["actionStates"][0]["latestExecution"]
    assert run["status"] == "Succeeded" and run["summary"] == "done"
    status, listed = local.raw("CodePipeline_20150709.ListPipelineExecutions", {"pipelineName": name})
    assert status == 200 and validate.response("codepipeline", "ListPipelineExecutions", listed) == []
    assert isinstance(listed["pipelineExecutionSummaries"][0]["startTime"], float)


def test_a_failed_job_fails_the_execution_with_its_message(local):
    cp = local.client("codepipeline")

    def handler(event: dict) -> dict:
        cp.put_job_failure_result(jobId=event["CodePipeline.job"]["id"],
                                  failureDetails={"type": "JobFailed", "message": "exit code 2: boom"})
        return {}

    local.host.handlers["pipeline-runner"] = handler
    name = make_pipeline(local, [lambda_stage()])
    execution = cp.start_pipeline_execution(name=name)["pipelineExecutionId"]
    assert wait("the execution", lambda: finished(cp, name, execution)) == "Failed"
    action = cp.get_pipeline_state(name=name)["stageStates"][1]["actionStates"][0]["latestExecution"]
    assert action["status"] == "Failed" and action["errorDetails"]["message"] == "exit code 2: boom"


def test_a_manual_approval_waits_for_its_token(local):
    cp = local.client("codepipeline")
    name = make_pipeline(local, [{"name": "Approve", "actions": [{
        "name": "Gate", "actionTypeId": {"category": "Approval", "owner": "AWS", "provider": "Manual", "version": "1"}}]}])
    execution = cp.start_pipeline_execution(name=name)["pipelineExecutionId"]

    def token():
        latest = cp.get_pipeline_state(name=name)["stageStates"][1]["actionStates"][0].get("latestExecution", {})
        return latest.get("token")

    real = wait("the approval token", token)
    args = dict(pipelineName=name, stageName="Approve", actionName="Gate", result={"summary": "ok", "status": "Approved"})
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cp.put_approval_result(token=str(uuid.uuid4()), **args)
    assert error_code(e) == "InvalidApprovalTokenException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cp.put_approval_result(token=real, **dict(args, result={"summary": "s" * 513, "status": "Approved"}))
    assert error_code(e) == "ValidationException"
    assert "approvedAt" in cp.put_approval_result(token=real, **args)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cp.put_approval_result(token=real, **args)
    assert error_code(e) == "ApprovalAlreadyCompletedException"
    assert wait("the execution", lambda: finished(cp, name, execution)) == "Succeeded"


# -- SSM --------------------------------------------------------------------------------------------


def instance(local, **tags: str) -> str:
    iid = "i-" + uuid.uuid4().hex[:17]
    local.control("/instances", {"instanceId": iid, "tags": tags})
    return iid


def run(ssm, iid: str, commands: list[str], **params: list[str]) -> dict:
    cid = ssm.send_command(InstanceIds=[iid], DocumentName="AWS-RunShellScript",
                           Parameters={"commands": commands, **params})["Command"]["CommandId"]

    def final():
        try:
            inv = ssm.get_command_invocation(CommandId=cid, InstanceId=iid)
        except ssm.exceptions.InvocationDoesNotExist:
            return None
        return inv if inv["Status"] not in ("Pending", "InProgress", "Delayed") else None

    return wait("the command", final, 30)


def test_commands_really_run_with_ssm_semantics(local):
    ssm = local.client("ssm")
    iid = instance(local, Role="build")
    cid = ssm.send_command(InstanceIds=[iid], DocumentName="AWS-RunShellScript",
                           Parameters={"commands": ["echo out; echo err >&2; exit 3"]})["Command"]["CommandId"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ssm.get_command_invocation(CommandId=cid, InstanceId=iid)
    assert error_code(e) == "InvocationDoesNotExist"
    inv = wait("the invocation", lambda: (lambda i: i if i["Status"] == "Failed" else None)(
        ssm.get_command_invocation(CommandId=cid, InstanceId=iid)) if _visible(ssm, cid, iid) else None)
    assert inv["ResponseCode"] == 3
    assert inv["StandardOutputContent"] == "out\n" and inv["StandardErrorContent"] == "err\n"
    ok = run(ssm, iid, ["echo hello"])
    assert ok["Status"] == "Success" and ok["ResponseCode"] == 0 and ok["StandardOutputContent"] == "hello\n"


def _visible(ssm, cid: str, iid: str) -> bool:
    try:
        ssm.get_command_invocation(CommandId=cid, InstanceId=iid)
        return True
    except ssm.exceptions.InvocationDoesNotExist:
        return False


def test_output_is_truncated_and_timeouts_are_enforced(local):
    ssm = local.client("ssm")
    iid = instance(local)
    big = run(ssm, iid, ["head -c 30000 /dev/zero | tr '\\0' x", "head -c 9000 /dev/zero | tr '\\0' y >&2"])
    assert len(big["StandardOutputContent"]) == 24_000 and len(big["StandardErrorContent"]) == 8_000
    slow = run(ssm, iid, ["sleep 10"], executionTimeout=["1"])
    assert slow["Status"] == "TimedOut" and slow["StatusDetails"] == "ExecutionTimedOut"


def test_each_instance_is_a_sandbox(local):
    ssm = local.client("ssm")
    iid = instance(local)
    done = run(ssm, iid, ["mkdir -p /opt/app && echo built > /opt/app/out"], workingDirectory=["/"])
    assert done["Status"] == "Success", done
    sandbox = next(i["sandbox"] for i in local.control("/instances")["instances"] if i["instanceId"] == iid)
    assert open(f"{sandbox}/opt/app/out").read() == "built\n"
    cat = run(ssm, iid, ["cat out"], workingDirectory=["/opt/app"])
    assert cat["StandardOutputContent"] == "built\n"


def test_targets_unmanaged_instances_and_listings(local):
    ssm = local.client("ssm")
    tag = uuid.uuid4().hex[:8]
    a, b = instance(local, Role=tag), instance(local, Role=tag)
    instance(local, Role="other")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ssm.send_command(InstanceIds=["i-0000000000000dead"], DocumentName="AWS-RunShellScript",
                         Parameters={"commands": ["true"]})
    assert error_code(e) == "InvalidInstanceId"
    cmd = ssm.send_command(Targets=[{"Key": "tag:Role", "Values": [tag]}], DocumentName="AWS-RunShellScript",
                           Parameters={"commands": ["echo hi"]})["Command"]
    assert sorted(cmd["InstanceIds"]) == sorted([a, b])
    wait("both invocations", lambda: len([i for i in ssm.list_command_invocations(CommandId=cmd["CommandId"])
                                          ["CommandInvocations"] if i["Status"] == "Success"]) == 2)
    status, listed = local.raw("AmazonSSM.ListCommandInvocations", {"CommandId": cmd["CommandId"], "Details": True})
    assert status == 200 and validate.response("ssm", "ListCommandInvocations", listed) == []
    assert listed["CommandInvocations"][0]["CommandPlugins"][0]["Output"] == "hi\n"
    status, info = local.raw("AmazonSSM.DescribeInstanceInformation",
                             {"Filters": [{"Key": "InstanceIds", "Values": [a]}]})
    assert status == 200 and validate.response("ssm", "DescribeInstanceInformation", info) == []
    assert [i["InstanceId"] for i in info["InstanceInformationList"]] == [a]
    status, got = local.raw("AmazonSSM.GetCommandInvocation", {"CommandId": cmd["CommandId"], "InstanceId": a})
    assert status == 200 and validate.response("ssm", "GetCommandInvocation", got) == []


# -- Config --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rule(local):
    """A custom rule backed by config-rules, and an EventBridge rule sending changes to the notifier."""
    cfg, events = local.client("config"), local.client("events")
    arns = {name: local.function(name, name.removeprefix("ferrops-t-"))
            for name in ("ferrops-t-config-rules", "ferrops-t-compliance-notifier")}
    cfg.put_config_rule(ConfigRule={"ConfigRuleName": "t-ssh", "InputParameters": json.dumps({"rule": "incoming-ssh-disabled"}),
                                    "Source": {"Owner": "CUSTOM_LAMBDA", "SourceIdentifier": arns["ferrops-t-config-rules"],
                                               "SourceDetails": [{"EventSource": "aws.config",
                                                                  "MessageType": "ConfigurationItemChangeNotification"}]}})
    events.put_rule(Name="changes", EventPattern=json.dumps({"source": ["aws.config"],
                                                             "detail-type": ["Config Rules Compliance Change"]}))
    events.put_targets(Rule="changes", Targets=[{"Id": "n", "Arn": arns["ferrops-t-compliance-notifier"]}])
    return "t-ssh"


def item(resource_id: str) -> dict:
    return {"resourceType": "AWS::EC2::SecurityGroup", "resourceId": resource_id, "configurationItemStatus": "OK",
            "configurationItemCaptureTime": "2026-11-22T00:00:00.000Z", "awsAccountId": ACCOUNT, "configuration": {}}


def test_evaluations_are_kept_and_changes_reach_the_notifier(local, rule):
    cfg = local.client("config")
    verdict = {"value": "NON_COMPLIANT"}

    def config_rules(event: dict) -> dict:
        assert json.loads(event["ruleParameters"]) == {"rule": "incoming-ssh-disabled"}
        ci = json.loads(event["invokingEvent"])["configurationItem"]
        cfg.put_evaluations(ResultToken=event["resultToken"], Evaluations=[{
            "ComplianceResourceType": ci["resourceType"], "ComplianceResourceId": ci["resourceId"],
            "ComplianceType": verdict["value"], "Annotation": "port 22 open", "OrderingTimestamp": time.time()}])
        return {}

    notified: list[dict] = []
    local.host.handlers["config-rules"] = config_rules
    local.host.handlers["compliance-notifier"] = lambda e: notified.append(e) or {}
    out = local.control("/config/evaluate", {"ruleName": rule, "configurationItem": item("sg-1")})
    assert out["evaluations"]["AWS::EC2::SecurityGroup/sg-1"]["ComplianceType"] == "NON_COMPLIANT"
    wait("the change event", lambda: notified)
    detail = notified[0]["detail"]
    assert notified[0]["detail-type"] == "Config Rules Compliance Change"
    assert detail["configRuleName"] == rule and detail["newEvaluationResult"]["complianceType"] == "NON_COMPLIANT"
    assert "oldEvaluationResult" not in detail
    local.control("/config/evaluate", {"ruleName": rule, "configurationItem": item("sg-1")})
    time.sleep(0.5)
    assert len(notified) == 1, "the same compliance again is no change"
    verdict["value"] = "COMPLIANT"
    local.control("/config/evaluate", {"ruleName": rule, "configurationItem": item("sg-1")})
    wait("the second change", lambda: len(notified) == 2)
    assert notified[1]["detail"]["oldEvaluationResult"]["complianceType"] == "NON_COMPLIANT"
    status, details = local.raw("StarlingDoveService.GetComplianceDetailsByConfigRule", {"ConfigRuleName": rule})
    assert status == 200 and validate.response("config", "GetComplianceDetailsByConfigRule", details) == []
    assert details["EvaluationResults"][0]["ComplianceType"] == "COMPLIANT"
    status, summary = local.raw("StarlingDoveService.DescribeComplianceByConfigRule", {"ConfigRuleNames": [rule]})
    assert status == 200 and validate.response("config", "DescribeComplianceByConfigRule", summary) == []
    assert summary["ComplianceByConfigRules"][0]["Compliance"]["ComplianceType"] == "COMPLIANT"


def test_put_evaluations_refuses_what_aws_refuses(local, rule):
    cfg = local.client("config")
    one = {"ComplianceResourceType": "AWS::EC2::SecurityGroup", "ComplianceResourceId": "sg-2",
           "ComplianceType": "COMPLIANT", "OrderingTimestamp": time.time()}
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cfg.put_evaluations(ResultToken="not-issued", Evaluations=[one])
    assert error_code(e) == "InvalidResultTokenException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cfg.put_evaluations(ResultToken="TESTMODE", TestMode=True, Evaluations=[dict(one, Annotation="a" * 257)])
    assert error_code(e) == "ValidationException" and "256" in str(e.value)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cfg.put_evaluations(ResultToken="TESTMODE", TestMode=True, Evaluations=[one] * 101)
    assert error_code(e) == "ValidationException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cfg.put_evaluations(ResultToken="TESTMODE", TestMode=True, Evaluations=[dict(one, ComplianceType="INSUFFICIENT_DATA")])
    assert error_code(e) == "InvalidParameterValueException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cfg.get_compliance_details_by_config_rule(ConfigRuleName="no-such-rule")
    assert error_code(e) == "NoSuchConfigRuleException"


def test_security_groups_are_recorded_as_config_items(local, rule):
    ec2 = local.client("ec2")
    seen: list[dict] = []
    local.host.handlers["config-rules"] = lambda e: seen.append(json.loads(e["invokingEvent"])) or {}
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    sg = ec2.create_security_group(GroupName=f"g-{uuid.uuid4().hex[:6]}", Description="d", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                                                                      "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                                                                      "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}])
    local.control("/config/evaluate", {"ruleName": rule, "resourceType": "AWS::EC2::SecurityGroup", "resourceId": sg})
    ci = seen[0]["configurationItem"]
    assert seen[0]["messageType"] == "ConfigurationItemChangeNotification"
    assert ci["resourceId"] == sg and ci["configurationItemStatus"] == "OK"
    perm = ci["configuration"]["ipPermissions"][0]
    assert (perm["fromPort"], perm["toPort"], perm["ipProtocol"]) == (22, 22, "tcp")
    assert perm["ipv4Ranges"] == [{"cidrIp": "0.0.0.0/0"}] and perm["ipv6Ranges"] == [{"cidrIpv6": "::/0"}]


def test_configuration_item_times_are_epoch_seconds(local):
    s3 = local.client("s3")
    bucket = f"b-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    status, body = local.raw("StarlingDoveService.GetResourceConfigHistory",
                             {"resourceType": "AWS::S3::Bucket", "resourceId": bucket})
    assert status == 200, body
    item = body["configurationItems"][0]
    assert isinstance(item["configurationItemCaptureTime"], float)
    assert validate.response("config", "GetResourceConfigHistory", body) == []


# -- CloudFormation ---------------------------------------------------------------------------------------


def test_stacks_create_and_delete_pipelines_and_config_rules(local, rule):
    cfn, cp, cfg, lam = (local.client(s) for s in ("cloudformation", "codepipeline", "config", "lambda"))
    fn = lam.get_function(FunctionName="ferrops-t-config-rules")["Configuration"]["FunctionArn"]
    template = {"Resources": {
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": json.loads(TRUST_CODEPIPELINE)}},
        "Bucket": {"Type": "AWS::S3::Bucket"},
        "Pipeline": {"Type": "AWS::CodePipeline::Pipeline", "Properties": {
            "Name": "cfn-pipeline", "RoleArn": {"Fn::GetAtt": ["Role", "Arn"]},
            "ArtifactStore": {"Type": "S3", "Location": {"Ref": "Bucket"}},
            "Stages": [
                {"Name": "Source", "Actions": [{"Name": "Source", "ActionTypeId": {"Category": "Source", "Owner": "AWS",
                                                                                   "Provider": "S3", "Version": "1"},
                                                "Configuration": {"S3Bucket": {"Ref": "Bucket"}, "S3ObjectKey": "k"},
                                                "OutputArtifacts": [{"Name": "Out"}]}]},
                {"Name": "Gate", "Actions": [{"Name": "Gate", "RunOrder": 2, "ActionTypeId": {
                    "Category": "Approval", "Owner": "AWS", "Provider": "Manual", "Version": "1"}}]}]}},
        "Rule": {"Type": "AWS::Config::ConfigRule", "Properties": {
            "ConfigRuleName": "cfn-rule", "InputParameters": {"rule": "incoming-ssh-disabled"},
            "Source": {"Owner": "CUSTOM_LAMBDA", "SourceIdentifier": fn, "SourceDetails": [
                {"EventSource": "aws.config", "MessageType": "ConfigurationItemChangeNotification"}]}}}},
        "Outputs": {"RuleArn": {"Value": {"Fn::GetAtt": ["Rule", "Arn"]}}}}
    cfn.create_stack(StackName="grafts", TemplateBody=json.dumps(template), Capabilities=["CAPABILITY_IAM"])
    pipeline = cp.get_pipeline(name="cfn-pipeline")["pipeline"]
    assert pipeline["stages"][1]["actions"][0]["runOrder"] == 2
    assert pipeline["stages"][0]["actions"][0]["configuration"]["S3ObjectKey"] == "k"
    rules = cfg.describe_config_rules(ConfigRuleNames=["cfn-rule"])["ConfigRules"]
    assert json.loads(rules[0]["InputParameters"]) == {"rule": "incoming-ssh-disabled"}
    outputs = cfn.describe_stacks(StackName="grafts")["Stacks"][0]["Outputs"]
    assert outputs[0]["OutputValue"] == rules[0]["ConfigRuleArn"]
    cfn.delete_stack(StackName="grafts")
    assert "cfn-pipeline" not in [p["name"] for p in cp.list_pipelines()["pipelines"]]
    with pytest.raises(botocore.exceptions.ClientError):
        cfg.describe_config_rules(ConfigRuleNames=["cfn-rule"])

