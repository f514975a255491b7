"""The demo's story as an end-to-end test: every step of tests/emulator/story.py, asserted.

It needs a deployed local stage: `scripts/test` starts the local AWS, deploys `infra/` into it
with this machine's builds of the functions, and sets LOCAL_AWS_ENDPOINT and FERROPS_STAGE.
How the story follows a pipeline's runs is also tested on its own, against a fresh local AWS
(conftest's `local`) with no stage.
"""

from __future__ import annotations

import copy
import json
import os

import pytest

from story import Story
from test_additions import lambda_stage, make_pipeline


@pytest.fixture(scope="module")
def steps():
    if not os.environ.get("LOCAL_AWS_ENDPOINT"):
        pytest.fail("LOCAL_AWS_ENDPOINT unset: run this through scripts/test, which deploys a local stage")
    story = Story(os.environ["LOCAL_AWS_ENDPOINT"], os.environ.get("FERROPS_STAGE", "local"),
                  os.environ.get("LOCAL_AWS_CONTROL"), color=False)
    steps = story.run()
    # The benchmark report quotes the pipeline's per-action work from this file.
    state = os.environ.get("FERROPS_STORY_JSON")
    if state:
        with open(state, "w") as f:
            json.dump([copy.deepcopy(s.__dict__) for s in steps], f, indent=2, default=str)
    return {s.name.split(":")[0]: s for s in steps}


def passed(step) -> None:
    failed = [what for what, ok in step.checks if not ok]
    assert not failed, f"{step.name}: " + "; ".join(failed)
    assert step.checks, f"{step.name} checked nothing"


def test_the_pipeline_runs_commit_and_acceptance_on_the_build_instance(steps):
    passed(steps["Pipeline run 1"])


def test_an_alexa_approval_releases_the_pipeline(steps):
    step = steps["Approval by voice"]
    passed(step)
    rows = step.data["overheads"]
    assert [r["action"] for r in rows] == ["StageSource", "StaticAnalysis", "Build", "CreateTestEnvironment",
                                           "Test", "Publish"]
    for r in rows:
        # One invocation sends the command; continuations poll it; the last reports the result.
        assert r["invocations"] >= 2, r
        assert "SendCommand" in r["calls"] and r["calls"].count("SendCommand") == 1, r


def test_a_broken_script_fails_with_its_stderr(steps):
    passed(steps["Pipeline run 2"])


def test_an_open_security_group_becomes_a_finding_for_the_admin(steps):
    step = steps["Config"]
    passed(step)
    finding = step.data["finding"]
    assert finding["Subject"].startswith("[NON_COMPLIANT]")


def test_the_fact_skill_speaks_english_and_german(steps):
    passed(steps["Alexa fact skill"])


# -- following a pipeline's runs, without a stage --------------------------------------------------


def pipeline(local, *stages: str) -> str:
    """A pipeline of an S3 source and one Lambda action per stage, each answered by the function
    host's "pipeline-runner" handler."""
    return make_pipeline(local, [lambda_stage(name=stage) for stage in stages])


def test_each_run_shows_only_its_own_actions(local):
    cp = local.client("codepipeline")
    broken = {"now": False}

    def runner(event: dict) -> dict:
        job = event["CodePipeline.job"]
        if broken["now"] and job["data"]["pipelineContext"]["stage"]["name"] == "Check":
            cp.put_job_failure_result(jobId=job["id"], failureDetails={"type": "JobFailed", "message": "broken"})
        else:
            cp.put_job_success_result(jobId=job["id"], executionDetails={"summary": "ok"})
        return {}

    local.host.handlers["pipeline-runner"] = runner
    said: list[str] = []
    story = Story(local.endpoint, "t", say=said.append, color=False)
    story.pipeline = pipeline(local, "Check", "Ship")

    story.begin("run 1")
    first = story.run_pipeline(lambda s: False)
    assert first["execution"]["status"] == "Succeeded"
    assert story.shown() == {("Source", "Source"), ("Check", "Check"), ("Ship", "Ship")}

    broken["now"] = True
    story.begin("run 2")
    start = len(said)
    second = story.run_pipeline(lambda s: False)
    assert second["execution"]["status"] == "Failed"
    assert story.shown() == {("Source", "Source"), ("Check", "Check")}
    assert not any("Ship" in line for line in said[start:])
    # What is left out: GetPipelineState still gives run 1's Ship as Ship's latest execution.
    assert story.action(cp.get_pipeline_state(name=story.pipeline), "Ship", "Ship")["status"] == "Succeeded"
    assert story.action(second, "Ship", "Ship") == {}

    # Following run 1 again: nothing of it changed, and run 2's Check is not taken for run 1's.
    story.begin("run 1 again")
    again = story.follow(first["execution"]["pipelineExecutionId"], lambda s: False)
    assert story.shown() == set()
    assert story.action(again, "Check", "Check") == {}
    assert story.action(again, "Ship", "Ship")["status"] == "Succeeded"
