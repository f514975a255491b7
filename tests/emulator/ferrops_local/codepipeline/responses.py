"""CodePipeline's operations as the additions answer them: the job and approval API moto lacks,
GetPipelineState, and executions that run."""

from __future__ import annotations

import json

from moto.codepipeline import responses as moto_responses

from ..core.validation import ValidatedResponse


class CodePipelineResponse(ValidatedResponse, moto_responses.CodePipelineResponse):
    # `codepipeline_backend` is the grafted CodePipelineBackend of models.py.

    def get_job_details(self) -> str:
        p = self.validated()
        return json.dumps({"jobDetails": self.codepipeline_backend.get_job_details(p["jobId"])})

    def acknowledge_job(self) -> str:
        p = self.validated()
        return json.dumps({"status": self.codepipeline_backend.acknowledge_job(p["jobId"], p["nonce"])})

    def put_job_success_result(self) -> str:
        p = self.validated()
        self.codepipeline_backend.put_job_result(p["jobId"], "Succeeded", p)
        return ""

    def put_job_failure_result(self) -> str:
        p = self.validated()
        self.codepipeline_backend.put_job_result(p["jobId"], "Failed", p)
        return ""

    def put_approval_result(self) -> str:
        p = self.validated()
        approved_at = self.codepipeline_backend.put_approval_result(
            p["pipelineName"], p["stageName"], p["actionName"], p["token"], p["result"])
        return json.dumps({"approvedAt": approved_at})

    def get_pipeline_state(self) -> str:
        p = self.validated()
        return json.dumps(self.codepipeline_backend.get_pipeline_state(p["name"]))

    def list_pipeline_executions(self) -> str:
        # moto answers ISO strings where the JSON protocol carries epoch seconds.
        p = self.validated()
        backend = self.codepipeline_backend
        summaries = backend.list_pipeline_executions(p["pipelineName"], p.get("maxResults"))
        for s in summaries:
            execution = backend.pipelines[p["pipelineName"]].executions[s["pipelineExecutionId"]]
            s["startTime"] = execution.start_time.timestamp()
            s["lastUpdateTime"] = execution.last_update_time.timestamp()
            if s.get("statusSummary") is None:
                s.pop("statusSummary", None)
        return json.dumps({"pipelineExecutionSummaries": summaries})

    def start_pipeline_execution(self) -> str:
        p = self.validated()
        execution_id = self.codepipeline_backend.start_pipeline_execution(p["name"], p.get("variables"))
        return json.dumps({"pipelineExecutionId": execution_id})
