"""The demo's story, run against a deployed local stage: every function, with real-shaped events.

`scripts/demo` tells it with live progress; `tests/emulator/test_story.py` runs the same steps and
asserts each outcome. Each step returns what happened; `check` records whether it is what the
step promises, so the demo's summary and the test agree on one definition of success.

Usage: python tests/emulator/story.py --endpoint URL --lambda-endpoint URL [--stage local] [--json FILE]
"""

from __future__ import annotations

import argparse
import copy
import datetime
import html
import io
import json
import re
import sys
import time
import urllib.request
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import boto3
import botocore.config

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_APP = ROOT / "infra" / "sample-app"
FIXTURES = ROOT / "tests" / "fixtures"
OPERATOR = "amzn1.ask.account.DEMOOPERATOR7NQH3RZ6E4C2MYX5JKBSAFERROPS"
BOLD, DIM, GREEN, RED, RESET = "\033[1m", "\033[2m", "\033[32m", "\033[31m", "\033[0m"
PAUSE = "…"  # where the speech pauses (an SSML <break/>), as the demo prints it


@dataclass
class Step:
    name: str
    ok: bool = True
    outcome: str = ""
    seconds: float = 0.0
    checks: list[tuple[str, bool]] = field(default_factory=list)
    data: dict = field(default_factory=dict)


class Story:
    def __init__(self, endpoint: str, stage: str = "local", control: str | None = None,
                 region: str = "us-east-1", say: Callable[[str], None] = print, color: bool = True):
        self.endpoint = endpoint.rstrip("/")
        # The control API is the local AWS's own, not AWS: plain HTTP where it serves both.
        self.control_url = (control or endpoint).rstrip("/")
        self.stage = stage
        self.region = region
        self.say = say
        self.color = color
        kw = dict(endpoint_url=self.endpoint, region_name=region, aws_access_key_id="testing",
                  aws_secret_access_key="testing")
        self.cp = boto3.client("codepipeline", **kw)
        self.s3 = boto3.client("s3", **kw)
        self.ssm = boto3.client("ssm", **kw)
        self.ec2 = boto3.client("ec2", **kw)
        self.cfg = boto3.client("config", **kw)
        self.sns = boto3.client("sns", **kw)
        self.sqs = boto3.client("sqs", **kw)
        self.cfn = boto3.client("cloudformation", **kw)
        # The skill answers within 8 s; the first call of a function also starts its process.
        self.lam = boto3.client("lambda", config=botocore.config.Config(read_timeout=60, retries={"max_attempts": 0}), **kw)
        self.pipeline = f"ferrops-{stage}-sample"
        self.steps: list[Step] = []
        self.step: Step | None = None
        # What was reported of each execution's actions, so following it again shows only what changed.
        self.seen: dict[str, dict[tuple[str, str], tuple]] = {}

    # -- plumbing --------------------------------------------------------------------------------

    def _c(self, code: str, text: str) -> str:
        return f"{code}{text}{RESET}" if self.color else text

    def begin(self, name: str) -> Step:
        self.step = Step(name)
        self.step.data["t0"] = time.monotonic()
        self.steps.append(self.step)
        self.say(self._c(BOLD, f"\n==> {name}"))
        return self.step

    def end(self, outcome: str) -> Step:
        step = self.step
        assert step is not None
        step.seconds = time.monotonic() - step.data.pop("t0")
        step.outcome = outcome
        mark = self._c(GREEN, "ok") if step.ok else self._c(RED, "FAILED")
        self.say(f"    [{mark}] {outcome} ({step.seconds:.1f} s)")
        return step

    def check(self, what: str, ok: bool) -> bool:
        assert self.step is not None
        self.step.checks.append((what, bool(ok)))
        if not ok:
            self.step.ok = False
            self.say(self._c(RED, f"    check failed: {what}"))
        return bool(ok)

    def control(self, path: str, body: dict | None = None) -> Any:
        req = urllib.request.Request(
            f"{self.control_url}/_ferrops{path}",
            data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="GET" if body is None else "POST",
        )
        try:
            with urllib.request.urlopen(req, timeout=900) as res:
                return json.load(res)
        except urllib.error.HTTPError as e:
            raise RuntimeError(f"{path}: {json.load(e).get('message')}") from e

    def invoke(self, function: str, event: dict) -> Any:
        """Invokes the stage's `function` as Alexa does: synchronously, through Lambda's Invoke."""
        res = self.lam.invoke(FunctionName=f"ferrops-{self.stage}-{function}", Payload=json.dumps(event).encode())
        reply = json.load(res["Payload"])
        if res.get("FunctionError"):
            raise RuntimeError(f"{function} failed: {reply}")
        return reply

    def stack_resource(self, stack: str, logical_id: str) -> str:
        pages = self.cfn.get_paginator("list_stack_resources").paginate(StackName=stack)
        for page in pages:
            for r in page["StackResourceSummaries"]:
                if r["LogicalResourceId"] == logical_id:
                    return r["PhysicalResourceId"]
        raise RuntimeError(f"{stack} has no resource {logical_id}")

    # -- the pipeline ----------------------------------------------------------------------------

    def upload_source(self, broken: bool = False) -> None:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            for f in sorted(SAMPLE_APP.rglob("*")):
                if f.is_file():
                    rel = f.relative_to(SAMPLE_APP).as_posix()
                    text = f.read_bytes()
                    if broken and rel == "app/greet.sh":
                        # A deliberate syntax error: static analysis (bash -n) must stop the run.
                        text += b"\nif [ \"$1\" = broken ]; then\n  echo unterminated\n"
                    info = zipfile.ZipInfo(rel, date_time=(2026, 1, 1, 0, 0, 0))
                    info.external_attr = (f.stat().st_mode & 0xFFFF) << 16  # keeps scripts executable
                    info.compress_type = zipfile.ZIP_DEFLATED
                    z.writestr(info, text)
        bucket = self.stack_resource(f"ferrops-{self.stage}-sample-pipeline", "SourceBucket")
        self.s3.put_object(Bucket=bucket, Key="sample-app.zip", Body=buf.getvalue())

    def run_pipeline(self, until: Callable[[dict], bool], timeout: float = 600) -> dict:
        """Starts an execution and reports each of its actions' progress until `until(state)` holds."""
        execution = self.cp.start_pipeline_execution(name=self.pipeline)["pipelineExecutionId"]
        self.say(self._c(DIM, f"    execution {execution}"))
        return self.follow(execution, until, timeout)

    def own_actions(self, execution: str) -> set[tuple[str, str]]:
        """The (stage, action) pairs that `execution` has started. GetPipelineState cannot tell: an
        action's latest execution carries no pipeline execution ID, and until the action runs again
        it is an earlier run's. The local AWS records each execution's actions."""
        for e in self.control(f"/pipelines/history?name={self.pipeline}")["executions"]:
            if e["pipelineExecutionId"] == execution:
                return {(a["stage"], a["action"]) for a in e["actions"]}
        return set()

    def follow(self, execution: str, until: Callable[[dict], bool], timeout: float = 600) -> dict:
        """Reports each change to `execution`'s actions until `until(state)` holds or the execution
        ends. Returns the pipeline's state holding only this execution's action executions (an
        earlier run's are left out), with the execution itself under "execution". The step's
        data["shown"] lists what was reported, as [stage, action, status]."""
        seen = self.seen.setdefault(execution, {})
        shown = self.step.data.setdefault("shown", []) if self.step else []
        deadline = time.monotonic() + timeout
        while True:
            # The record before the state: an action it lists already shows this execution's run there.
            ours = self.own_actions(execution)
            state = self.cp.get_pipeline_state(name=self.pipeline)
            for stage in state["stageStates"]:
                entered = (stage.get("latestExecution") or {}).get("pipelineExecutionId") == execution
                for a in stage["actionStates"]:
                    key = (stage["stageName"], a["actionName"])
                    if not entered or key not in ours:
                        a.pop("latestExecution", None)
                        continue
                    latest = a.get("latestExecution") or {}
                    now = (latest.get("status"), latest.get("summary"))
                    if latest and seen.get(key) != now:
                        seen[key] = now
                        shown.append([*key, latest.get("status")])
                        error = (latest.get("errorDetails") or {}).get("message")
                        summary = (error if latest.get("status") == "Failed" and error else latest.get("summary")) or ""
                        summary = summary.strip().splitlines()[0] if summary.strip() else ""
                        self.say(f"    {stage['stageName']:>10} / {a['actionName']:<22} {latest.get('status', ''):<11} {summary[:90]}")
            execution_state = self.cp.get_pipeline_execution(pipelineName=self.pipeline, pipelineExecutionId=execution)
            state["execution"] = execution_state["pipelineExecution"]
            if until(state) or state["execution"]["status"] in ("Failed", "Succeeded", "Stopped"):
                return state
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.pipeline} did not get there in {timeout:.0f} s")
            time.sleep(0.5)

    @staticmethod
    def action(state: dict, stage: str, action: str) -> dict:
        for s in state["stageStates"]:
            if s["stageName"] == stage:
                for a in s["actionStates"]:
                    if a["actionName"] == action:
                        return a.get("latestExecution") or {}
        return {}

    def shown(self) -> set[tuple[str, str]]:
        """The (stage, action) pairs the current step reported."""
        assert self.step is not None
        return {(stage, action) for stage, action, _ in self.step.data.get("shown", [])}

    def waiting_for_approval(self, state: dict) -> bool:
        return self.action(state, "Approve", "ManualApproval").get("status") == "InProgress"

    def overheads(self, execution: str) -> list[dict]:
        """Each Lambda action's time beyond its command's own run time."""
        runs = [e for e in self.control(f"/pipelines/history?name={self.pipeline}")["executions"]
                if e["pipelineExecutionId"] == execution]
        if not runs:
            return []
        instance = self.stack_resource(f"ferrops-{self.stage}-sample-pipeline", "BuildInstance")
        commands = self.ssm.list_command_invocations(InstanceId=instance, Details=True)["CommandInvocations"]
        calls = [r for r in self.control(f"/requests?since={runs[0]['actions'][0]['started']}")["requests"]
                 if r["sdk"] == "rust"]
        out = []
        for a in runs[0]["actions"]:
            if a["provider"] != "Lambda" or not a["ended"]:
                continue
            ran = 0.0
            for c in commands:
                requested = c["RequestedDateTime"].timestamp()
                if a["started"] <= requested <= a["ended"]:
                    p = c["CommandPlugins"][0]
                    if p.get("ResponseStartDateTime") and p.get("ResponseFinishDateTime"):
                        ran += (p["ResponseFinishDateTime"] - p["ResponseStartDateTime"]).total_seconds()
            total = a["ended"] - a["started"]
            made = [c["target"].split(".")[-1] for c in calls if a["started"] <= c["time"] <= a["ended"]]
            handler = a.get("invokeSeconds") or [0.0]
            out.append({"stage": a["stage"], "action": a["action"], "seconds": round(total, 2),
                        "command": round(ran, 2), "overhead": round(total - ran, 2),
                        "invocations": a["invocations"], "apiCalls": len(made), "calls": made,
                        "handlerMs": round(1000 * sum(handler) / len(handler), 1)})
        return out

    # -- Alexa -----------------------------------------------------------------------------------

    def alexa_request(self, locale: str, name: str, **changes: Any) -> dict:
        event = json.loads((FIXTURES / "alexa" / locale / f"{name}.json").read_text())
        event["request"]["requestId"] = f"amzn1.echo-api.request.{uuid.uuid4()}"
        event["request"]["timestamp"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        for where in (event.get("session") or {}, event["context"]["System"]):
            if "user" in where:
                where["user"]["userId"] = OPERATOR
        if "pipeline" in changes:
            slot = event["request"]["intent"]["slots"]["pipeline"]
            slot["value"] = changes["pipeline"].replace("-", " ")
            for auth in slot.get("resolutions", {}).get("resolutionsPerAuthority", []):
                for v in auth.get("values", []):
                    v["value"] = {"name": slot["value"], "id": changes["pipeline"]}
        if "attributes" in changes:
            event["session"]["attributes"] = changes["attributes"]
            event["session"]["new"] = False
        return event

    @staticmethod
    def speech(reply: dict) -> str:
        """The reply's speech as sent: plain text, or SSML without its <speak> element."""
        out = (reply.get("response") or {}).get("outputSpeech") or {}
        text = out.get("text") or out.get("ssml") or ""
        for tag in ("<speak>", "</speak>"):
            text = text.replace(tag, "")
        return text

    @staticmethod
    def heard(reply: dict) -> str:
        """The reply's speech as a listener hears it: SSML read out, plain text as it is."""
        out = (reply.get("response") or {}).get("outputSpeech") or {}
        if out.get("type") == "PlainText" or "ssml" not in out:
            return out.get("text") or ""
        return spoken_text(out["ssml"])

    def hear(self, who: str, said: str, reply: dict) -> None:
        self.say(f"    {who}: {said}")
        self.say(f"    Alexa: {self.heard(reply)}")

    # -- the steps -------------------------------------------------------------------------------

    def release(self) -> None:
        self.begin("Pipeline run 1: the sample app through static analysis, build and test on the build instance")
        self.upload_source()
        state = self.run_pipeline(self.waiting_for_approval)
        execution = state["execution"]["pipelineExecutionId"]
        self.step.data["execution"] = execution
        expected = {
            ("Commit", "StageSource"): "STAGED_FILES=",
            ("Commit", "StaticAnalysis"): "SCRIPTS_CHECKED=",
            ("Commit", "Build"): "ARTIFACT=build/sample-app-",
            ("Acceptance", "CreateTestEnvironment"): "Test environment ready",
            ("Acceptance", "Test"): "TESTS_PASSED=2",
        }
        for (stage, action), text in expected.items():
            latest = self.action(state, stage, action)
            self.check(f"{stage}/{action} succeeded", latest.get("status") == "Succeeded")
            self.check(f"{stage}/{action}'s summary shows the command's output ({text})",
                       text in (latest.get("summary") or ""))
        self.check("the run waits at the manual approval", self.waiting_for_approval(state))
        self.check("the run shows its own actions only, up to the approval",
                   self.shown() == {("Source", "Source"), *expected, ("Approve", "ManualApproval")})
        self.end("Commit and Acceptance passed; waiting for the manual approval")

    def approve(self) -> None:
        self.begin("Approval by voice: an operator approves the release through alexa-skill")
        self.ssm.put_parameter(Name=f"/ferrops/{self.stage}/alexa-operators", Type="String", Overwrite=True,
                               Value=json.dumps({OPERATOR: "Demo Operator"}))
        ask = self.alexa_request("en-US", "approve", pipeline=self.pipeline)
        reply = self.invoke("alexa-skill", ask)
        self.hear("Operator", f"Alexa, ask space ops to approve {self.pipeline.replace('-', ' ')}", reply)
        directives = [d.get("type") for d in (reply.get("response") or {}).get("directives") or []]
        self.check("Alexa asks for confirmation (Dialog.ConfirmIntent)", "Dialog.ConfirmIntent" in directives)
        attributes = reply.get("sessionAttributes") or {}
        confirm = self.alexa_request("en-US", "approve-confirmed", pipeline=self.pipeline, attributes=attributes)
        reply = self.invoke("alexa-skill", confirm)
        self.hear("Operator", "Yes.", reply)
        self.check("Alexa says the release is approved", "approved" in self.speech(reply).lower())
        execution = self.steps[0].data["execution"]
        state = self.follow(execution, lambda s: False)
        self.check("the approval succeeded", self.action(state, "Approve", "ManualApproval").get("status") == "Succeeded")
        self.check("Publish succeeded", self.action(state, "Publish", "Publish").get("status") == "Succeeded")
        self.check("the execution succeeded", state["execution"]["status"] == "Succeeded")
        self.check("following the run again shows only what happened since: the approval and Publish",
                   self.shown() == {("Approve", "ManualApproval"), ("Publish", "Publish")})
        self.step.data["overheads"] = self.overheads(execution)
        self.end(f"execution {state['execution']['status']}")

    def broken(self) -> None:
        self.begin("Pipeline run 2: a deliberately broken script")
        self.upload_source(broken=True)
        state = self.run_pipeline(lambda s: False)
        failed = self.action(state, "Commit", "StaticAnalysis")
        message = (failed.get("errorDetails") or {}).get("message", "")
        self.check("the execution failed", state["execution"]["status"] == "Failed")
        self.check("StaticAnalysis failed", failed.get("status") == "Failed")
        self.check("the failure message carries bash's stderr (syntax error in app/greet.sh)",
                   "syntax error" in message and "greet.sh" in message)
        self.check("Build never ran", self.action(state, "Commit", "Build").get("status") != "InProgress")
        self.check("the run shows its own actions only, none of run 1's (its Build, Test or Publish)",
                   self.shown() == {("Source", "Source"), ("Commit", "StageSource"), ("Commit", "StaticAnalysis")})
        self.say(self._c(DIM, "    failure message: " + message.replace("\n", "\n      ")[:800]))
        self.end("failed at StaticAnalysis with the script's stderr")

    def compliance(self) -> None:
        self.begin("Config: config-rules evaluates an open and a closed security group; compliance-notifier tells the admin")
        topic = next(t["TopicArn"] for t in self.sns.list_topics()["Topics"]
                     if t["TopicArn"].endswith(f":ferrops-{self.stage}-findings"))
        queue = self.sqs.create_queue(QueueName=f"ferrops-{self.stage}-admin-inbox-{uuid.uuid4().hex[:6]}")["QueueUrl"]
        queue_arn = self.sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn,
                           Attributes={"RawMessageDelivery": "false"})
        vpc = self.ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
        suffix = uuid.uuid4().hex[:6]
        open_sg = self.ec2.create_security_group(GroupName=f"demo-open-ssh-{suffix}", Description="ssh from anywhere",
                                                 VpcId=vpc)["GroupId"]
        self.ec2.authorize_security_group_ingress(GroupId=open_sg, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        closed_sg = self.ec2.create_security_group(GroupName=f"demo-private-{suffix}", Description="https from the VPC",
                                                   VpcId=vpc)["GroupId"]
        self.ec2.authorize_security_group_ingress(GroupId=closed_sg, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
        rule = f"ferrops-{self.stage}-incoming-ssh-disabled"
        results = {}
        for sg in (open_sg, closed_sg):
            out = self.control("/config/evaluate", {"ruleName": rule, "resourceType": "AWS::EC2::SecurityGroup",
                                                    "resourceId": sg})
            got = out["evaluations"].get(f"AWS::EC2::SecurityGroup/{sg}", {})
            results[sg] = got.get("ComplianceType")
            self.say(f"    {rule}: {sg} -> {got.get('ComplianceType')}: {got.get('Annotation', '')}")
        self.check("the open group is NON_COMPLIANT", results[open_sg] == "NON_COMPLIANT")
        self.check("the closed group is COMPLIANT", results[closed_sg] == "COMPLIANT")
        details = self.cfg.get_compliance_details_by_config_rule(ConfigRuleName=rule)["EvaluationResults"]
        stored = {d["EvaluationResultIdentifier"]["EvaluationResultQualifier"]["ResourceId"]: d["ComplianceType"]
                  for d in details}
        self.check("Config keeps both evaluations", stored.get(open_sg) == "NON_COMPLIANT" and stored.get(closed_sg) == "COMPLIANT")
        message = None
        deadline = time.monotonic() + 120
        while message is None and time.monotonic() < deadline:
            for m in self.sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1, MaxNumberOfMessages=10).get("Messages", []):
                envelope = json.loads(m["Body"])
                if open_sg in envelope.get("Message", ""):
                    message = envelope
        deadline = time.monotonic() + 120
        while True:
            deliveries = [d for d in self.control("/deliveries")["deliveries"]
                          if d["event"]["detail"]["resourceId"] in (open_sg, closed_sg)]
            if all(d["status"] != "Pending" for d in deliveries) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.check("both compliance changes reached compliance-notifier",
                   len(deliveries) == 2 and all(d["status"] == "Delivered" for d in deliveries))
        self.check("the admin's finding for the open group arrived on the findings topic", message is not None)
        if message:
            self.check("the finding names the rule and says NON_COMPLIANT",
                       rule in message["Message"] and "NON_COMPLIANT" in message["Message"])
            self.say(self._c(DIM, "    --- the admin's e-mail ---"))
            self.say(f"    Subject: {message.get('Subject')}")
            for line in message["Message"].splitlines():
                self.say(f"    {line}")
            self.say(self._c(DIM, "    ---"))
        self.step.data["finding"] = message
        self.end(f"{open_sg} NON_COMPLIANT, {closed_sg} COMPLIANT; one finding sent")

    def facts(self) -> None:
        self.begin("Alexa fact skill: a launch request in en-US and de-DE")
        heard = {}
        for locale in ("en-US", "de-DE"):
            reply = self.invoke("alexa-skill", self.alexa_request(locale, "launch"))
            heard[locale] = self.speech(reply)
            self.hear(f"User ({locale})", "Alexa, open space facts", reply)
            card = (reply.get("response") or {}).get("card") or {}
            self.check(f"{locale}: a fact is spoken", len(heard[locale]) > 20)
            self.check(f"{locale}: with a card", bool(card.get("title")))
        strings = json.loads((ROOT / "functions" / "alexa-skill" / "locales" / "de-DE.json").read_text())
        spoken = html.unescape(re.sub(r"<[^>]+>", " ", heard["de-DE"]))
        facts = [f for f in _strings(strings) if len(f) > 30 and f in spoken]
        self.check("de-DE speaks a fact from the de-DE strings", bool(facts))
        self.end("both locales answered")

    def run(self) -> list[Step]:
        for step in (self.release, self.approve, self.broken, self.compliance, self.facts):
            try:
                step()
            except Exception as e:  # a step that breaks is a failed step; the story goes on
                if self.step is None or self.step.outcome:
                    self.begin(step.__name__)
                self.check(f"{type(e).__name__}: {e}", False)
                self.end("did not finish")
        return self.steps


def spoken_text(ssml: str) -> str:
    """What a listener hears from SSML: its text without the markup, a pause mark where it pauses,
    and each entity as the character it stands for. Markup is read before entities, so an escaped
    `&lt;tag&gt;` stays text."""
    # Pauses are marked with a NUL, which XML text cannot hold, until the end: the text's own "…" stays.
    mark = "\0"
    text = re.sub(r"<break\b[^>]*>", f" {mark} ", ssml)
    text = re.sub(r"</(p|s)>", " ", text)
    text = html.unescape(re.sub(r"<[^>]*>", "", text))
    text = re.sub(r"\s+", " ", text)
    # A pause at either end, or several in a row, is silence a reader need not see.
    text = re.sub(f"{mark}(?: {mark})+", mark, text).strip(f" {mark}")
    return text.replace(mark, PAUSE)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def summary(steps: list[Step]) -> str:
    lines = ["", f"{'step':<100} {'result':<7} {'time':>7}"]
    for s in steps:
        lines.append(f"{s.name[:100]:<100} {'ok' if s.ok else 'FAILED':<7} {s.seconds:>6.1f}s")
    for s in steps:
        for row in s.data.get("overheads", []):
            if row is s.data["overheads"][0]:
                lines += ["", "Pipeline actions: overhead is the time beyond the command's own run time; calls are"
                              " pipeline-runner's AWS calls; handler is the mean invocation time (debug build)",
                          f"  {'action':<34} {'total':>7} {'command':>8} {'overhead':>9} {'invocations':>12}"
                          f" {'calls':>6} {'handler':>8}"]
            lines.append(f"  {row['stage'] + '/' + row['action']:<34} {row['seconds']:>6.2f}s {row['command']:>7.2f}s"
                         f" {row['overhead']:>8.2f}s {row['invocations']:>12} {row['apiCalls']:>6}"
                         f" {row['handlerMs']:>6.1f}ms")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--control", help="the local AWS's plain-HTTP endpoint for its control API")
    ap.add_argument("--stage", default="local")
    ap.add_argument("--json", type=Path, help="also write the steps and their checks here")
    args = ap.parse_args()
    story = Story(args.endpoint, args.stage, args.control, color=sys.stdout.isatty())
    steps = story.run()
    print(summary(steps))
    if args.json:
        args.json.write_text(json.dumps([copy.deepcopy(s.__dict__) for s in steps], indent=2, default=str))
    return 0 if all(s.ok for s in steps) else 1


if __name__ == "__main__":
    sys.exit(main())
