"""CodePipeline: the job API, approvals, pipeline state, and executions that actually run.

moto stores pipelines and marks every execution Succeeded at once. Here an execution walks the
stages in run order: an S3 source copies the object into the artifact store, a Lambda action
creates a job and invokes the function (re-invoking on a continuation token), and a manual
approval waits for `PutApprovalResult`.
"""

from __future__ import annotations

import json
import secrets
import string
import threading
import time
import uuid
from typing import Any

from moto.codepipeline.models import codepipeline_backends
from moto.codepipeline.responses import CodePipelineResponse
from moto.core.exceptions import JsonRESTError
from moto.core.utils import utcnow

from . import core, validate
from .core import CHANGED, LOCK, SETTINGS, now

SERVICE = "codepipeline"


def _error(code: str, message: str) -> JsonRESTError:
    return JsonRESTError(code, message)


class Job:
    def __init__(self, account: str, data: dict, execution: "Execution | None", stage: str, action: str):
        self.id = str(uuid.uuid4())
        self.account = account
        self.data = data
        self.nonce = str(secrets.randbelow(10**9))
        self.status = "Created"
        self.result: dict | None = None
        self.execution = execution
        self.stage = stage
        self.action = action


class PipelineState:
    """What GetPipelineState shows for one pipeline: each stage's and action's latest execution."""

    def __init__(self) -> None:
        self.stages: dict[str, dict] = {}
        self.actions: dict[tuple[str, str], dict] = {}


class Jobs:
    def __init__(self) -> None:
        self.by_id: dict[str, Job] = {}
        self.pipelines: dict[str, PipelineState] = {}


def _backend(account: str, region: str):
    return codepipeline_backends[account][region]


def _jobs(account: str, region: str) -> Jobs:
    return core.extra(_backend(account, region), "jobs", Jobs)


def _pipeline_state(account: str, region: str, name: str) -> PipelineState:
    jobs = _jobs(account, region)
    with LOCK:
        return jobs.pipelines.setdefault(name, PipelineState())


def _job(account: str, region: str, job_id: str) -> Job:
    job = _jobs(account, region).by_id.get(job_id)
    if job is None:
        raise _error("JobNotFoundException", f"Job with id {job_id} was not found")
    return job


class Execution:
    """One run of a pipeline, driven by its own thread."""

    def __init__(self, account: str, region: str, pipeline: dict, moto_execution: Any):
        self.account = account
        self.region = region
        self.pipeline = pipeline
        self.moto = moto_execution
        self.id = moto_execution.pipeline_execution_id
        self.artifacts: dict[str, dict] = {}
        self.approvals: dict[str, dict] = {}
        # Per action run: timings and how many times the function was invoked, for the demo's report.
        self.history: list[dict] = []

    @property
    def name(self) -> str:
        return self.pipeline["name"]

    # -- state -------------------------------------------------------------------------------

    def _set_execution(self, status: str, summary: str | None = None) -> None:
        with LOCK:
            self.moto.status = status
            self.moto.status_summary = summary
            self.moto.last_update_time = utcnow()
            CHANGED.notify_all()

    def _set_stage(self, stage: str, status: str) -> None:
        st = _pipeline_state(self.account, self.region, self.name)
        with LOCK:
            st.stages[stage] = {"pipelineExecutionId": self.id, "status": status}
            CHANGED.notify_all()

    def _set_action(self, stage: str, action: str, **fields: Any) -> dict:
        st = _pipeline_state(self.account, self.region, self.name)
        with LOCK:
            new = fields.pop("_new", False)
            latest = st.actions.get((stage, action))
            if new or latest is None or latest.get("_execution") != self.id:
                latest = {"_execution": self.id, "actionExecutionId": str(uuid.uuid4())}
                st.actions[(stage, action)] = latest
            latest.update(fields)
            latest["lastStatusChange"] = now()
            CHANGED.notify_all()
            return latest

    # -- the run -----------------------------------------------------------------------------

    def start(self) -> None:
        threading.Thread(target=self._run, name=f"pipeline-{self.id}", daemon=True).start()

    def _run(self) -> None:
        self._set_execution("InProgress")
        for stage in self.pipeline["stages"]:
            self._set_stage(stage["name"], "InProgress")
            failed = None
            orders = sorted({a.get("runOrder", 1) for a in stage["actions"]})
            for order in orders:
                group = [a for a in stage["actions"] if a.get("runOrder", 1) == order]
                results: dict[str, str | None] = {}
                threads = [
                    threading.Thread(target=lambda a=a: results.__setitem__(a["name"], self._action(stage["name"], a)))
                    for a in group
                ]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                failed = next((f"{name}: {why}" for name, why in results.items() if why), None)
                if failed:
                    break
            if failed:
                self._set_stage(stage["name"], "Failed")
                self._set_execution("Failed", f"Stage {stage['name']} failed. {failed}"[:2048])
                return
            self._set_stage(stage["name"], "Succeeded")
        self._set_execution("Succeeded")

    def _action(self, stage: str, action: dict) -> str | None:
        """Runs one action; returns why it failed, or None."""
        type_id = action["actionTypeId"]
        kind = (type_id["category"], type_id["owner"], type_id["provider"])
        self._set_action(stage, action["name"], _new=True, status="InProgress", summary=None, errorDetails=None,
                         token=None, externalExecutionId=None, percentComplete=None)
        record = {"stage": stage, "action": action["name"], "provider": type_id["provider"],
                  "started": time.time(), "ended": None, "status": "InProgress", "invocations": 0,
                  "invokeSeconds": []}
        with LOCK:
            self.history.append(record)
        try:
            if kind == ("Source", "AWS", "S3"):
                why = self._s3_source(stage, action)
            elif kind == ("Invoke", "AWS", "Lambda"):
                why = self._lambda(stage, action, record)
            elif kind == ("Approval", "AWS", "Manual"):
                why = self._approval(stage, action)
            else:
                why = f"the local pipeline executor does not run {'/'.join(kind)} actions"
        except Exception as e:  # an executor bug must fail the action, not hang the execution
            why = f"{type(e).__name__}: {e}"
        if why:
            self._set_action(stage, action["name"], status="Failed",
                             errorDetails={"code": "JobFailed", "message": why[:5000]})
        with LOCK:
            record["ended"] = time.time()
            record["status"] = "Failed" if why else "Succeeded"
            record["error"] = why
        return why

    def _artifact_store(self) -> str:
        store = self.pipeline.get("artifactStore") or {}
        if not store.get("location"):
            stores = self.pipeline.get("artifactStores") or {}
            store = stores.get(self.region) or {}
        return store["location"]

    def _artifact_key(self, artifact: str) -> str:
        """Where an artifact goes in the store, shaped as CodePipeline names it."""
        suffix = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(7))
        return f"{self.name[:20]}/{artifact[:20]}/{suffix}"

    def _s3_source(self, stage: str, action: dict) -> str | None:
        from moto.s3.models import s3_backends

        config = action.get("configuration") or {}
        bucket, key = config.get("S3Bucket"), config.get("S3ObjectKey")
        s3 = s3_backends[self.account]["aws"]
        try:
            obj = s3.get_object(bucket, key)
        except Exception:
            obj = None
        if obj is None:
            return f"The object s3://{bucket}/{key} does not exist"
        store = self._artifact_store()
        for out in action.get("outputArtifacts") or []:
            name = out["name"]
            art_key = self._artifact_key(name)
            s3.put_object(store, art_key, obj.value)
            self.artifacts[name] = {
                "name": name,
                "revision": obj.version_id if obj.version_id != "null" else obj.etag.strip('"'),
                "location": {"type": "S3", "s3Location": {"bucketName": store, "objectKey": art_key}},
            }
        self._set_action(stage, action["name"], status="Succeeded",
                         summary=f"Copied s3://{bucket}/{key}", externalExecutionId=obj.version_id)
        return None

    def _lambda(self, stage: str, action: dict, record: dict) -> str | None:
        config = action.get("configuration") or {}
        function = config.get("FunctionName", "")
        continuation = None
        while True:
            job = self._new_job(stage, action, config, continuation)
            with LOCK:
                record["invocations"] += 1
            event = {"CodePipeline.job": {"id": job.id, "accountId": self.account, "data": job.data}}
            began = time.time()
            try:
                core.invoke(function, event)
                with LOCK:
                    record["invokeSeconds"].append(round(time.time() - began, 4))
            except core.InvokeError as e:
                with LOCK:
                    job.status = "Failed"
                return f"The Lambda function {function} failed: {e}"[:5000]
            deadline = time.monotonic() + SETTINGS.job_timeout
            with LOCK:
                while job.status not in ("Succeeded", "Failed"):
                    left = deadline - time.monotonic()
                    if left <= 0:
                        job.status = "TimedOut"
                        return "The action timed out: the function reported no job result"
                    CHANGED.wait(timeout=min(left, 5.0))
                result = job.result or {}
            if job.status == "Failed":
                details = result.get("failureDetails") or {}
                return details.get("message") or "The job failed"
            details = result.get("executionDetails") or {}
            fields = {k: details[k] for k in ("summary", "externalExecutionId", "percentComplete") if k in details}
            continuation = result.get("continuationToken")
            if continuation:
                self._set_action(stage, action["name"], status="InProgress", **fields)
                time.sleep(SETTINGS.continuation_delay)
                continue
            self._set_action(stage, action["name"], status="Succeeded", **fields)
            # Later actions read each output where this job was told to write it.
            for out in job.data["outputArtifacts"]:
                self.artifacts[out["name"]] = out
            return None

    def _new_job(self, stage: str, action: dict, config: dict, continuation: str | None) -> Job:
        store = self._artifact_store()
        inputs = [self.artifacts.get(a["name"], {"name": a["name"], "revision": None,
                                                 "location": {"type": "S3", "s3Location": {"bucketName": store, "objectKey": ""}}})
                  for a in action.get("inputArtifacts") or []]
        outputs = []
        for a in action.get("outputArtifacts") or []:
            outputs.append({"name": a["name"], "revision": None, "location": {
                "type": "S3", "s3Location": {"bucketName": store, "objectKey": self._artifact_key(a["name"])}}})
        latest = self._set_action(stage, action["name"])
        data: dict[str, Any] = {
            "actionTypeId": action["actionTypeId"],
            "actionConfiguration": {"configuration": {k: v for k, v in config.items()
                                                      if k in ("FunctionName", "UserParameters")}},
            "pipelineContext": {
                "pipelineName": self.name,
                "stage": {"name": stage},
                "action": {"name": action["name"], "actionExecutionId": latest["actionExecutionId"]},
                "pipelineArn": f"arn:aws:codepipeline:{self.region}:{self.account}:{self.name}",
                "pipelineExecutionId": self.id,
            },
            "inputArtifacts": inputs,
            "outputArtifacts": outputs,
            # Real CodePipeline hands out short-lived credentials scoped to the artifact store.
            "artifactCredentials": {
                "accessKeyId": "ASIA" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(16)),
                "secretAccessKey": secrets.token_urlsafe(30),
                "sessionToken": secrets.token_urlsafe(60),
                "expirationTime": int((time.time() + 3600) * 1000),
            },
        }
        if continuation:
            data["continuationToken"] = continuation
        job = Job(self.account, data, self, stage, action["name"])
        with LOCK:
            _jobs(self.account, self.region).by_id[job.id] = job
        return job

    def _approval(self, stage: str, action: dict) -> str | None:
        token = str(uuid.uuid4())
        self._set_action(stage, action["name"], status="InProgress", token=token)
        with LOCK:
            self.approvals[token] = {"stage": stage, "action": action["name"], "result": None}
            while self.approvals[token]["result"] is None:
                CHANGED.wait(timeout=5.0)
            result = self.approvals[token]["result"]
        summary = result.get("summary")
        if result["status"] == "Approved":
            self._set_action(stage, action["name"], status="Succeeded", summary=summary, token=None)
            return None
        return f"Rejected: {summary}" if summary else "Rejected"


EXECUTIONS: dict[str, Execution] = {}


def add_jobs(account: str, region: str, ids: list[str], data: dict) -> int:
    """Creates jobs with the given IDs and data, outside any execution: for driving a job worker
    (a benchmark, a test) without running a pipeline."""
    jobs = _jobs(account, region)
    with LOCK:
        for job_id in ids:
            job = Job(account, json.loads(json.dumps(data)), None, "", "")
            job.id = job_id
            jobs.by_id[job_id] = job
    return len(ids)


def history(pipeline: str) -> list[dict]:
    """Every execution of `pipeline` this process ran, oldest first, with each action's timings."""
    with LOCK:
        return [
            {"pipelineExecutionId": e.id, "status": e.moto.status, "summary": e.moto.status_summary,
             "actions": [dict(r) for r in e.history]}
            for e in EXECUTIONS.values() if e.name == pipeline
        ]


def _checked(response: CodePipelineResponse, operation: str) -> dict:
    return validate.parsed(SERVICE, operation, response.body)


# -- operations ------------------------------------------------------------------------------


def get_job_details(self: CodePipelineResponse) -> str:
    p = _checked(self, "GetJobDetails")
    with LOCK:
        job = _job(self.current_account, self.region, p["jobId"])
        return json.dumps({"jobDetails": {"id": job.id, "data": job.data, "accountId": job.account}})


def acknowledge_job(self: CodePipelineResponse) -> str:
    p = _checked(self, "AcknowledgeJob")
    with LOCK:
        job = _job(self.current_account, self.region, p["jobId"])
        if p["nonce"] != job.nonce:
            raise _error("InvalidNonceException", "The nonce does not match the job")
        if job.status == "Created":
            job.status = "InProgress"
        return json.dumps({"status": job.status})


def _finish(self: CodePipelineResponse, operation: str, status: str) -> str:
    p = _checked(self, operation)
    with LOCK:
        job = _job(self.current_account, self.region, p["jobId"])
        if job.status not in ("Created", "InProgress"):
            raise _error("InvalidJobStateException", f"Job {job.id} is in state {job.status}")
        if operation == "PutJobSuccessResult":
            if p.get("continuationToken") and p.get("outputVariables"):
                raise validate.ValidationException(
                    "outputVariables cannot be set together with a continuationToken"
                )
            size = len(json.dumps(p.get("outputVariables") or {}).encode())
            if size > 122_880:
                raise _error("OutputVariablesSizeExceededException",
                             "The output variables exceed the 122,880-byte limit")
        job.status = status
        job.result = p
        CHANGED.notify_all()
    return ""


def put_job_success_result(self: CodePipelineResponse) -> str:
    return _finish(self, "PutJobSuccessResult", "Succeeded")


def put_job_failure_result(self: CodePipelineResponse) -> str:
    return _finish(self, "PutJobFailureResult", "Failed")


def put_approval_result(self: CodePipelineResponse) -> str:
    p = _checked(self, "PutApprovalResult")
    backend = _backend(self.current_account, self.region)
    if p["pipelineName"] not in backend.pipelines:
        raise _error("PipelineNotFoundException", f"Account '{self.current_account}' does not have a pipeline with name '{p['pipelineName']}'")
    pipeline = backend.pipelines[p["pipelineName"]].pipeline
    stage = next((s for s in pipeline["stages"] if s["name"] == p["stageName"]), None)
    if stage is None:
        raise _error("StageNotFoundException", f"Stage {p['stageName']} was not found")
    if not any(a["name"] == p["actionName"] for a in stage["actions"]):
        raise _error("ActionNotFoundException", f"Action {p['actionName']} was not found")
    st = _pipeline_state(self.current_account, self.region, p["pipelineName"])
    with LOCK:
        latest = st.actions.get((p["stageName"], p["actionName"])) or {}
        execution = EXECUTIONS.get(latest.get("_execution", ""))
        pending = execution.approvals.get(p["token"]) if execution else None
        if pending is None or pending["stage"] != p["stageName"] or pending["action"] != p["actionName"]:
            raise _error("InvalidApprovalTokenException", f"The token {p['token']} is not valid for this approval")
        if pending["result"] is not None or latest.get("status") != "InProgress":
            raise _error("ApprovalAlreadyCompletedException", "The approval has already been completed")
        pending["result"] = p["result"]
        CHANGED.notify_all()
    return json.dumps({"approvedAt": now()})


def get_pipeline_state(self: CodePipelineResponse) -> str:
    p = _checked(self, "GetPipelineState")
    backend = _backend(self.current_account, self.region)
    if p["name"] not in backend.pipelines:
        raise _error("PipelineNotFoundException", f"Account '{self.current_account}' does not have a pipeline with name '{p['name']}'")
    cp = backend.pipelines[p["name"]]
    st = _pipeline_state(self.current_account, self.region, p["name"])
    stages = []
    with LOCK:
        for stage in cp.pipeline["stages"]:
            actions = []
            for a in stage["actions"]:
                entry: dict[str, Any] = {"actionName": a["name"]}
                latest = st.actions.get((stage["name"], a["name"]))
                if latest:
                    entry["latestExecution"] = {k: v for k, v in latest.items() if not k.startswith("_") and v is not None}
                actions.append(entry)
            state: dict[str, Any] = {"stageName": stage["name"], "inboundTransitionState": {"enabled": True},
                                     "actionStates": actions}
            if stage["name"] in st.stages:
                state["latestExecution"] = st.stages[stage["name"]]
            stages.append(state)
    return json.dumps({
        "pipelineName": p["name"],
        "pipelineVersion": cp.pipeline["version"],
        "stageStates": stages,
        "created": cp._created.timestamp(),
        "updated": cp._updated.timestamp(),
    })


def list_pipeline_executions(self: CodePipelineResponse) -> str:
    # moto answers ISO strings where the JSON protocol carries epoch seconds.
    p = _checked(self, "ListPipelineExecutions")
    summaries = self.codepipeline_backend.list_pipeline_executions(p["pipelineName"], p.get("maxResults"))
    for s in summaries:
        execution = self.codepipeline_backend.pipelines[p["pipelineName"]].executions[s["pipelineExecutionId"]]
        s["startTime"] = execution.start_time.timestamp()
        s["lastUpdateTime"] = execution.last_update_time.timestamp()
        if s.get("statusSummary") is None:
            s.pop("statusSummary", None)
    return json.dumps({"pipelineExecutionSummaries": summaries})


def start_pipeline_execution(self: CodePipelineResponse) -> str:
    p = _checked(self, "StartPipelineExecution")
    backend = self.codepipeline_backend
    execution_id = backend.start_pipeline_execution(p["name"], p.get("variables"))
    cp = backend.pipelines[p["name"]]
    moto_execution = cp.executions[execution_id]
    moto_execution.status = "InProgress"
    execution = Execution(self.current_account, self.region, json.loads(json.dumps(cp.pipeline)), moto_execution)
    with LOCK:
        EXECUTIONS[execution_id] = execution
    execution.start()
    return json.dumps({"pipelineExecutionId": execution_id})


OPERATIONS = {
    "get_job_details": get_job_details,
    "acknowledge_job": acknowledge_job,
    "put_job_success_result": put_job_success_result,
    "put_job_failure_result": put_job_failure_result,
    "put_approval_result": put_approval_result,
    "get_pipeline_state": get_pipeline_state,
    "list_pipeline_executions": list_pipeline_executions,
    "start_pipeline_execution": start_pipeline_execution,
}


def install() -> None:
    for name, fn in OPERATIONS.items():
        setattr(CodePipelineResponse, name, fn)
