"""The demo's story as an end-to-end test: every step of tests/emulator/story.py, asserted.

It needs a deployed local stage: `scripts/test` starts the local AWS, deploys `infra/` into it
with this machine's builds of the functions, and sets LOCAL_AWS_ENDPOINT and FERROPS_STAGE.
"""

from __future__ import annotations

import copy
import json
import os

import pytest

from story import Story


@pytest.fixture(scope="module")
def steps():
    if not os.environ.get("LOCAL_AWS_ENDPOINT"):
        pytest.fail("LOCAL_AWS_ENDPOINT unset: run this through scripts/test, which deploys a local stage")
    story = Story(os.environ["LOCAL_AWS_ENDPOINT"], os.environ.get("FERROPS_STAGE", "local"), color=False)
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
