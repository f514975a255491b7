"""CodePipeline's state beyond moto's: jobs, each pipeline's latest stage and action executions,
and the executions this process runs; and the AWS::CodePipeline::Pipeline resource type."""

from __future__ import annotations

import copy
import json
import secrets
import uuid
from typing import Any

from moto.codepipeline import models as moto_models
from moto.core.common_models import CloudFormationModel

from ..core.exceptions import ValidationException
from ..core.resources import NamedResource, camel
from ..core.state import CHANGED, LOCK
from ..core.utils import now
from .exceptions import (
    ActionNotFoundException,
    ApprovalAlreadyCompletedException,
    InvalidApprovalTokenException,
    InvalidJobStateException,
    InvalidNonceException,
    JobNotFoundException,
    OutputVariablesSizeExceededException,
    PipelineNotFoundException,
    StageNotFoundException,
)
from .workers import Execution

OUTPUT_VARIABLES_LIMIT = 122_880


class Job:
    def __init__(self, account: str, data: dict, job_id: str | None = None):
        self.id = job_id or str(uuid.uuid4())
        self.account = account
        self.data = data
        self.nonce = str(secrets.randbelow(10**9))
        self.status = "Created"
        self.result: dict | None = None


class PipelineState:
    """What GetPipelineState shows for one pipeline: each stage's and action's latest execution."""

    def __init__(self) -> None:
        self.stages: dict[str, dict] = {}
        self.actions: dict[tuple[str, str], dict] = {}

    def set_stage(self, stage: str, execution_id: str, status: str) -> None:
        with LOCK:
            self.stages[stage] = {"pipelineExecutionId": execution_id, "status": status}
            CHANGED.notify_all()

    def set_action(self, stage: str, action: str, execution_id: str, new: bool = False, **fields: Any) -> dict:
        """Updates the action's latest execution; `new` starts another one (a fresh action execution ID)."""
        with LOCK:
            latest = self.actions.get((stage, action))
            if new or latest is None or latest.get("_execution") != execution_id:
                latest = {"_execution": execution_id, "actionExecutionId": str(uuid.uuid4())}
                self.actions[(stage, action)] = latest
            latest.update(fields)
            latest["lastStatusChange"] = now()
            CHANGED.notify_all()
            return latest


class CodePipelineBackend(moto_models.CodePipelineBackend):
    def __init__(self, region_name: str, account_id: str):
        super().__init__(region_name, account_id)
        self.jobs: dict[str, Job] = {}
        self.states: dict[str, PipelineState] = {}
        # Every execution this process ran, by ID: they hold approvals and the demo's timings.
        self.runs: dict[str, Execution] = {}

    def reset(self) -> None:
        with LOCK:
            for run in self.runs.values():
                run.stop()
        super().reset()

    # -- lookups -------------------------------------------------------------------------------

    def pipeline(self, name: str) -> dict:
        if name not in self.pipelines:
            raise PipelineNotFoundException(f"Account '{self.account_id}' does not have a pipeline with name '{name}'")
        return self.pipelines[name].pipeline

    def state(self, name: str) -> PipelineState:
        with LOCK:
            return self.states.setdefault(name, PipelineState())

    def job(self, job_id: str) -> Job:
        job = self.jobs.get(job_id)
        if job is None:
            raise JobNotFoundException(f"Job with id {job_id} was not found")
        return job

    # -- jobs ----------------------------------------------------------------------------------

    def create_job(self, data: dict, job_id: str | None = None) -> Job:
        job = Job(self.account_id, data, job_id)
        with LOCK:
            self.jobs[job.id] = job
        return job

    def add_jobs(self, ids: list[str], data: dict) -> int:
        """Creates jobs with the given IDs and data, outside any execution: for driving a job worker
        (a benchmark, a test) without running a pipeline."""
        for job_id in ids:
            self.create_job(copy.deepcopy(data), job_id=job_id)
        return len(ids)

    def get_job_details(self, job_id: str) -> dict:
        with LOCK:
            job = self.job(job_id)
            return {"id": job.id, "data": job.data, "accountId": job.account}

    def acknowledge_job(self, job_id: str, nonce: str) -> str:
        with LOCK:
            job = self.job(job_id)
            if nonce != job.nonce:
                raise InvalidNonceException("The nonce does not match the job")
            if job.status == "Created":
                job.status = "InProgress"
            return job.status

    def put_job_result(self, job_id: str, status: str, result: dict) -> None:
        """Ends the job as `status` ("Succeeded" or "Failed") with the result call's members."""
        with LOCK:
            job = self.job(job_id)
            if job.status not in ("Created", "InProgress"):
                raise InvalidJobStateException(f"Job {job.id} is in state {job.status}")
            if status == "Succeeded":
                if result.get("continuationToken") and result.get("outputVariables"):
                    raise ValidationException("outputVariables cannot be set together with a continuationToken")
                if len(json.dumps(result.get("outputVariables") or {}).encode()) > OUTPUT_VARIABLES_LIMIT:
                    raise OutputVariablesSizeExceededException("The output variables exceed the 122,880-byte limit")
            job.status = status
            job.result = result
            CHANGED.notify_all()

    # -- approvals and state -------------------------------------------------------------------

    def put_approval_result(self, name: str, stage_name: str, action_name: str, token: str, result: dict) -> float:
        pipeline = self.pipeline(name)
        stage = next((s for s in pipeline["stages"] if s["name"] == stage_name), None)
        if stage is None:
            raise StageNotFoundException(f"Stage {stage_name} was not found")
        if not any(a["name"] == action_name for a in stage["actions"]):
            raise ActionNotFoundException(f"Action {action_name} was not found")
        with LOCK:
            latest = self.state(name).actions.get((stage_name, action_name)) or {}
            run = self.runs.get(latest.get("_execution", ""))
            pending = run.approvals.get(token) if run else None
            if pending is None or pending["stage"] != stage_name or pending["action"] != action_name:
                raise InvalidApprovalTokenException(f"The token {token} is not valid for this approval")
            if pending["result"] is not None or latest.get("status") != "InProgress":
                raise ApprovalAlreadyCompletedException("The approval has already been completed")
            pending["result"] = result
            CHANGED.notify_all()
        return now()

    def get_pipeline_state(self, name: str) -> dict:
        pipeline = self.pipeline(name)
        cp = self.pipelines[name]
        st = self.state(name)
        stages = []
        with LOCK:
            for stage in pipeline["stages"]:
                actions = []
                for a in stage["actions"]:
                    entry: dict[str, Any] = {"actionName": a["name"]}
                    latest = st.actions.get((stage["name"], a["name"]))
                    if latest:
                        entry["latestExecution"] = {k: v for k, v in latest.items()
                                                    if not k.startswith("_") and v is not None}
                    actions.append(entry)
                state: dict[str, Any] = {"stageName": stage["name"], "inboundTransitionState": {"enabled": True},
                                         "actionStates": actions}
                if stage["name"] in st.stages:
                    state["latestExecution"] = st.stages[stage["name"]]
                stages.append(state)
        return {
            "pipelineName": name,
            "pipelineVersion": pipeline["version"],
            "stageStates": stages,
            "created": cp._created.timestamp(),
            "updated": cp._updated.timestamp(),
        }

    # -- executions ----------------------------------------------------------------------------

    def start_pipeline_execution(self, name: str, variables: list[dict[str, str]] | None) -> str:
        execution_id = super().start_pipeline_execution(name, variables)
        cp = self.pipelines[name]
        moto_execution = cp.executions[execution_id]
        moto_execution.status = "InProgress"
        run = Execution(self, copy.deepcopy(cp.pipeline), moto_execution)
        with LOCK:
            self.runs[execution_id] = run
        run.start()
        return execution_id

    def history(self, name: str) -> list[dict]:
        """Every execution of pipeline `name` this process ran, oldest first, with each action's timings."""
        with LOCK:
            return [
                {"pipelineExecutionId": r.id, "status": r.moto.status, "summary": r.moto.status_summary,
                 "actions": [dict(a) for a in r.history]}
                for r in self.runs.values() if r.name == name
            ]


class PipelineResource(NamedResource, CloudFormationModel):
    """AWS::CodePipeline::Pipeline, created through the CodePipeline backend."""

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CodePipeline::Pipeline"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Version"

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        return str(moto_models.codepipeline_backends[self.account_id][self.region].pipeline(self.name)["version"])

    @classmethod
    def create_from_cloudformation_json(cls, resource_name: str, cloudformation_json: Any, account_id: str,
                                        region_name: str, **kwargs: Any) -> "PipelineResource":
        props = dict(cloudformation_json["Properties"])
        props.setdefault("Name", resource_name)
        tags = [{"key": t["Key"], "value": t["Value"]} for t in props.pop("Tags", [])]
        props.pop("RestartExecutionOnUpdate", None)
        pipeline = camel(props, keep=frozenset({"Configuration"}))
        for stage in pipeline["stages"]:
            for action in stage["actions"]:
                if "runOrder" in action:
                    action["runOrder"] = int(action["runOrder"])
        moto_models.codepipeline_backends[account_id][region_name].create_pipeline(pipeline, tags or None)
        return cls(pipeline["name"], account_id, region_name)

    @classmethod
    def update_from_cloudformation_json(cls, original_resource: Any, new_resource_name: str,
                                        cloudformation_json: Any, account_id: str,
                                        region_name: str) -> "PipelineResource":
        cls.delete_from_cloudformation_json(original_resource.name, cloudformation_json, account_id, region_name)
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name: str, cloudformation_json: Any, account_id: str,
                                        region_name: str) -> None:
        moto_models.codepipeline_backends[account_id][region_name].delete_pipeline(resource_name)
