"""Pipeline executions that run: one thread per execution walks its stages in run order."""

from __future__ import annotations

import secrets
import string
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any

from moto.core.utils import utcnow
from moto.s3.models import s3_backends

from ..core import functions
from ..core.settings import SETTINGS
from ..core.state import CHANGED, LOCK

if TYPE_CHECKING:
    from .models import CodePipelineBackend, Job


class Execution:
    """One run of a pipeline."""

    def __init__(self, backend: "CodePipelineBackend", pipeline: dict, moto_execution: Any):
        self.backend = backend
        self.account = backend.account_id
        self.region = backend.region_name
        self.pipeline = pipeline
        self.moto = moto_execution
        self.id = moto_execution.pipeline_execution_id
        self.state = backend.state(pipeline["name"])
        self.artifacts: dict[str, dict] = {}
        # Approval token -> the waiting approval and, once given, its result.
        self.approvals: dict[str, dict] = {}
        # Per action run: timings and how many times the function was invoked, for the demo's report.
        self.history: list[dict] = []
        # Set when moto's reset drops the backend: waits end, and nothing more is recorded.
        self.stopped = False

    @property
    def name(self) -> str:
        return self.pipeline["name"]

    def start(self) -> None:
        threading.Thread(target=self._run, name=f"pipeline-{self.id}", daemon=True).start()

    def stop(self) -> None:
        with LOCK:
            self.stopped = True
            CHANGED.notify_all()

    def _set_execution(self, status: str, summary: str | None = None) -> None:
        with LOCK:
            self.moto.status = status
            self.moto.status_summary = summary
            self.moto.last_update_time = utcnow()
            CHANGED.notify_all()

    def _set_action(self, stage: str, action: str, **fields: Any) -> dict:
        return self.state.set_action(stage, action, self.id, **fields)

    def _run(self) -> None:
        self._set_execution("InProgress")
        for stage in self.pipeline["stages"]:
            self.state.set_stage(stage["name"], self.id, "InProgress")
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
                if self.stopped:
                    return
                failed = next((f"{name}: {why}" for name, why in results.items() if why), None)
                if failed:
                    break
            if failed:
                self.state.set_stage(stage["name"], self.id, "Failed")
                self._set_execution("Failed", f"Stage {stage['name']} failed. {failed}"[:2048])
                return
            self.state.set_stage(stage["name"], self.id, "Succeeded")
        self._set_execution("Succeeded")

    def _action(self, stage: str, action: dict) -> str | None:
        """Runs one action; returns why it failed, or None."""
        type_id = action["actionTypeId"]
        kind = (type_id["category"], type_id["owner"], type_id["provider"])
        self._set_action(stage, action["name"], new=True, status="InProgress", summary=None, errorDetails=None,
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
                functions.invoke(function, event, self.account, self.region)
                with LOCK:
                    record["invokeSeconds"].append(round(time.time() - began, 4))
            except functions.InvokeError as e:
                with LOCK:
                    job.status = "Failed"
                return f"The Lambda function {function} failed: {e}"[:5000]
            deadline = time.monotonic() + SETTINGS.job_timeout
            with LOCK:
                while job.status not in ("Succeeded", "Failed"):
                    left = deadline - time.monotonic()
                    if self.stopped:
                        return "The execution was stopped"
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

    def _new_job(self, stage: str, action: dict, config: dict, continuation: str | None) -> "Job":
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
        return self.backend.create_job(data)

    def _approval(self, stage: str, action: dict) -> str | None:
        token = str(uuid.uuid4())
        self._set_action(stage, action["name"], status="InProgress", token=token)
        with LOCK:
            self.approvals[token] = {"stage": stage, "action": action["name"], "result": None}
            while self.approvals[token]["result"] is None:
                if self.stopped:
                    return "The execution was stopped"
                CHANGED.wait(timeout=5.0)
            result = self.approvals[token]["result"]
        summary = result.get("summary")
        if result["status"] == "Approved":
            self._set_action(stage, action["name"], status="Succeeded", summary=summary, token=None)
            return None
        return f"Rejected: {summary}" if summary else "Rejected"
