"""The local Lambda host: a deployed zip's own `bootstrap`, run under the Runtime API.

The Rust echo function (tests/bench/echo.rs, on `lambda_runtime`) shows that our functions' runtime
works against this host. The other cases use a small Python program as the function binary: a
test double of a function, speaking the Runtime API over urllib, that fails, crashes, sleeps or
prints when its event asks it to.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest

from ferrops_local.awslambda import Functions, FunctionSpec, invoke_async, invoke_sync
from ferrops_local.awslambda.runtime import Event, RuntimeApi

REPO = Path(__file__).resolve().parents[2]
ACCOUNT, REGION = "123456789012", "eu-west-1"

DOUBLE = f"""#!{sys.executable}
import json, os, sys, time, urllib.request

API = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime"


def post(path, body):
    req = urllib.request.Request(API + path, data=json.dumps(body).encode(), method="POST")
    urllib.request.urlopen(req, timeout=10).read()


if os.environ.get("FAIL_INIT"):
    post("/init/error", {{"errorType": "ConfigError", "errorMessage": "TABLE_NAME is not set"}})
    sys.exit(1)
served = 0
while True:
    with urllib.request.urlopen(API + "/invocation/next") as res:
        request_id = res.headers["Lambda-Runtime-Aws-Request-Id"]
        event = json.loads(res.read())
    served += 1
    for line in event.get("print", []):
        print(line, flush=True)
    for line in event.get("eprint", []):
        print(line, file=sys.stderr, flush=True)
    action = event.get("do")
    if action == "fail":
        post(f"/invocation/{{request_id}}/error", {{"errorType": "HandlerError", "errorMessage": "asked to fail"}})
        continue
    if action == "crash":
        sys.exit(3)
    began = time.time()
    if action == "sleep":
        time.sleep(event["seconds"])
    body = {{"pid": os.getpid(), "served": served, "began": began, "ended": time.time(), "cwd": os.getcwd()}}
    if action == "env":
        body["env"] = dict(os.environ)
    post(f"/invocation/{{request_id}}/response", body)
"""


def make_zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            # No Unix mode recorded, as many zip tools write it: the host must make bootstrap executable.
            z.writestr(name, data)
    return buf.getvalue()


def spec(name: str, code: bytes, **kw) -> FunctionSpec:
    return FunctionSpec(account=ACCOUNT, region=REGION, name=name,
                        arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}",
                        code_zip=code, code_sha256=hashlib.sha256(code).hexdigest(), **kw)


def double(name: str, **kw) -> FunctionSpec:
    return spec(name, make_zip({"bootstrap": DOUBLE.encode()}), **kw)


def body(result) -> dict:
    return json.loads(result.payload)


def gone(pid: int) -> bool:
    return not Path(f"/proc/{pid}").exists()


class Sink:
    """Collects what the host logs, as CloudWatch Logs would receive it."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.events: list[tuple[str, str, str, str, int, str]] = []
        self.changed = threading.Condition()

    def __call__(self, account: str, region: str, group: str, stream: str, ts: int, message: str) -> None:
        if self.delay:
            time.sleep(self.delay)
        with self.changed:
            self.events.append((account, region, group, stream, ts, message))
            self.changed.notify_all()

    def messages(self, group: str | None = None) -> list[str]:
        with self.changed:
            return [e[5] for e in self.events if group is None or e[2] == group]

    def wait_for(self, pattern: str, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        with self.changed:
            while not any(re.search(pattern, e[5]) for e in self.events):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.changed.wait(left)
            return True


@pytest.fixture
def sink() -> Sink:
    return Sink()


@pytest.fixture
def functions(tmp_path: Path, sink: Sink):
    manager = Functions(tmp_path / "state", log_sink=sink, init_timeout=5.0)
    yield manager
    manager.stop_all()


@pytest.fixture(scope="module")
def echo_zip() -> bytes:
    target = Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target")
    binary = target / "debug" / "bench-echo"
    if not binary.exists():
        cargo = shutil.which("cargo")
        if cargo is None:
            pytest.skip("cargo is not on PATH, so the Rust echo function (bench-echo) cannot be built")
        built = subprocess.run([cargo, "build", "-p", "ferrops-tests", "--bin", "bench-echo"], cwd=REPO,
                               capture_output=True, text=True, timeout=1800)
        if built.returncode != 0:
            pytest.fail(f"cargo build -p ferrops-tests --bin bench-echo failed:\n{built.stderr[-4000:]}")
    return make_zip({"bootstrap": binary.read_bytes()})


# Our Rust runtime against the host.

def test_the_rust_echo_function_answers_with_its_event(functions, echo_zip):
    fn = spec("echo", echo_zip)
    event = {"greeting": "hello", "n": [1, 2, 3]}

    result = invoke_sync(fn, json.dumps(event).encode(), functions=functions)

    assert result.function_error is None
    assert body(result) == event


def test_the_rust_echo_function_serves_consecutive_invocations_from_one_warm_process(functions, echo_zip):
    fn = spec("echo-warm", echo_zip)

    first = invoke_sync(fn, b'{"n": 1}', functions=functions)
    pid = functions.process(ACCOUNT, REGION, "echo-warm").pid
    second = invoke_sync(fn, b'{"n": 2}', functions=functions)

    assert (body(first), body(second)) == ({"n": 1}, {"n": 2})
    assert functions.process(ACCOUNT, REGION, "echo-warm").pid == pid
    assert first.request_id != second.request_id


# The environment a function runs in.

def test_a_function_sees_its_own_variables_and_role_and_nothing_of_the_emulator(functions, monkeypatch):
    monkeypatch.setenv("FERROPS_EMULATOR_ONLY", "not for functions")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "emulator-key")
    fn = double("env", environment={"GREETING": "hi", "AWS_REGION": "mars-1", "TZ": "Europe/Paris"},
                memory_mb=256, timeout=7,
                credentials={"AccessKeyId": "ASIAROLE", "SecretAccessKey": "role-secret", "SessionToken": "role-token"},
                extra_env={"AWS_ENDPOINT_URL": "http://127.0.0.1:1"})

    result = invoke_sync(fn, b'{"do": "env"}', functions=functions)
    env = body(result)["env"]

    assert env["GREETING"] == "hi"
    assert env["TZ"] == "Europe/Paris"
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:1"
    assert "FERROPS_EMULATOR_ONLY" not in env
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], env["AWS_SESSION_TOKEN"]) == (
        "ASIAROLE", "role-secret", "role-token")
    # Lambda's reserved variables win over the function's own.
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == REGION
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "env"
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == "/aws/lambda/env"
    assert re.fullmatch(r"\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}", env["AWS_LAMBDA_LOG_STREAM_NAME"])
    assert re.fullmatch(r"127\.0\.0\.1:\d+", env["AWS_LAMBDA_RUNTIME_API"])
    assert env["_HANDLER"] == "bootstrap"
    assert env["LAMBDA_TASK_ROOT"] == body(result)["cwd"]
    assert Path(env["LAMBDA_TASK_ROOT"], "bootstrap").is_file()
    assert env["PATH"] == os.environ["PATH"]
    expected = {"GREETING", "TZ", "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_LAMBDA_FUNCTION_NAME",
                "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_LOG_GROUP_NAME",
                "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_LAMBDA_RUNTIME_API", "AWS_LAMBDA_INITIALIZATION_TYPE",
                "LAMBDA_TASK_ROOT", "_HANDLER", "PATH", "LANG"}
    # Python may add LC_CTYPE to its own environment when it coerces the locale.
    assert set(env) - {"LC_CTYPE"} == expected


def test_the_code_is_unpacked_per_function_and_code_hash(functions, tmp_path):
    fn = double("unpacked")

    invoke_sync(fn, b"{}", functions=functions)

    root = tmp_path / "state" / "lambda" / ACCOUNT / REGION / "unpacked" / fn.code_sha256
    assert (root / "bootstrap").stat().st_mode & 0o777 == 0o755


def test_a_new_configuration_starts_a_new_process_and_stops_the_old_one(functions):
    fn = double("config", environment={"STAGE": "one"})
    first = body(invoke_sync(fn, b"{}", functions=functions))["pid"]

    fn.environment = {"STAGE": "two"}
    second = body(invoke_sync(fn, b"{}", functions=functions))["pid"]
    code = make_zip({"bootstrap": DOUBLE.encode(), "data.txt": b"v2"})
    third = body(invoke_sync(spec("config", code, environment={"STAGE": "two"}), b"{}", functions=functions))["pid"]

    assert len({first, second, third}) == 3
    assert gone(first) and gone(second)


# Errors, crashes and timeouts, as Lambda answers them.

def test_a_handled_error_answers_the_function_error_and_keeps_the_process_warm(functions):
    fn = double("handled")
    pid = body(invoke_sync(fn, b"{}", functions=functions))["pid"]

    failed = invoke_sync(fn, b'{"do": "fail"}', functions=functions)
    after = body(invoke_sync(fn, b"{}", functions=functions))

    assert failed.status == 200
    assert failed.function_error == "Unhandled"
    assert body(failed) == {"errorType": "HandlerError", "errorMessage": "asked to fail"}
    assert (after["pid"], after["served"]) == (pid, 3)


def test_a_crash_answers_runtime_exit_error_and_the_next_invocation_starts_a_fresh_process(functions):
    fn = double("crash")
    pid = body(invoke_sync(fn, b"{}", functions=functions))["pid"]

    crashed = invoke_sync(fn, b'{"do": "crash"}', functions=functions)
    after = body(invoke_sync(fn, b"{}", functions=functions))

    assert crashed.function_error == "Unhandled"
    assert crashed.error_type == "Runtime.ExitError"
    assert body(crashed)["errorMessage"] == (
        f"RequestId: {crashed.request_id} Error: Runtime exited with error: exit status 3")
    assert after["pid"] != pid
    assert after["served"] == 1


def test_a_timeout_kills_the_process_and_answers_sandbox_timedout(functions):
    fn = double("slow", timeout=1)
    pid = body(invoke_sync(fn, b"{}", functions=functions))["pid"]

    began = time.monotonic()
    timed_out = invoke_sync(fn, b'{"do": "sleep", "seconds": 30}', functions=functions)
    waited = time.monotonic() - began
    after = body(invoke_sync(fn, b"{}", functions=functions))

    assert 1.0 <= waited < 5.0
    assert timed_out.function_error == "Unhandled"
    assert timed_out.error_type == "Sandbox.Timedout"
    assert body(timed_out)["errorMessage"].endswith(f"{timed_out.request_id} Task timed out after 1.00 seconds")
    assert gone(pid)
    assert after["pid"] != pid


def test_a_zip_without_bootstrap_answers_invalid_entrypoint(functions):
    fn = spec("no-bootstrap", make_zip({"main.py": b"print('hi')"}))

    result = invoke_sync(fn, b"{}", functions=functions)

    assert result.function_error == "Unhandled"
    assert result.error_type == "Runtime.InvalidEntrypoint"
    assert "bootstrap" in body(result)["errorMessage"]


def test_code_that_is_not_a_zip_answers_invalid_entrypoint(functions):
    fn = spec("not-a-zip", b"#!/bin/sh\necho not zipped\n")

    result = invoke_sync(fn, b"{}", functions=functions)

    assert result.error_type == "Runtime.InvalidEntrypoint"
    assert "zip" in body(result)["errorMessage"]


def test_an_init_error_answers_what_the_runtime_posted_and_the_next_invocation_retries_init(functions, sink):
    fn = double("init-fails", environment={"FAIL_INIT": "1"})

    first = invoke_sync(fn, b"{}", functions=functions)
    second = invoke_sync(fn, b"{}", functions=functions)

    assert first.function_error == "Unhandled"
    assert body(first) == {"errorType": "ConfigError", "errorMessage": "TABLE_NAME is not set"}
    assert body(second) == body(first)
    assert sum(m.startswith("INIT_REPORT") for m in sink.messages()) == 2


def test_invocations_of_one_function_run_one_at_a_time(functions):
    fn = double("serial", timeout=10)
    results: list = []

    def call() -> None:
        results.append(body(invoke_sync(fn, b'{"do": "sleep", "seconds": 0.3}', functions=functions)))

    threads = [threading.Thread(target=call) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)

    a, b = sorted(results, key=lambda r: r["began"])
    assert a["pid"] == b["pid"]
    assert a["ended"] <= b["began"]


# Logs.

def test_logs_carry_the_functions_lines_between_start_end_and_report(functions, sink):
    fn = double("logs", memory_mb=512)

    first = invoke_sync(fn, json.dumps({"print": ["hello from the function"], "eprint": ["a warning"]}).encode(),
                        functions=functions)
    invoke_sync(fn, b"{}", functions=functions)

    events = [e for e in sink.events if e[2] == "/aws/lambda/logs"]
    assert {(e[0], e[1]) for e in events} == {(ACCOUNT, REGION)}
    assert len({e[3] for e in events}) == 1
    messages = [e[5] for e in events]
    rid = first.request_id
    start = messages.index(f"START RequestId: {rid} Version: $LATEST")
    end = messages.index(f"END RequestId: {rid}")
    assert start < messages.index("hello from the function") < end
    assert start < messages.index("a warning") < end
    reports = [m for m in messages if m.startswith("REPORT RequestId: ")]
    assert reports[0].startswith(f"REPORT RequestId: {rid}\tDuration: ")
    assert messages.index(reports[0]) == end + 1
    assert re.search(r"\tBilled Duration: \d+ ms\tMemory Size: 512 MB\tMax Memory Used: \d+ MB", reports[0])
    assert "Init Duration" in reports[0] and "Init Duration" not in reports[1]
    assert "hello from the function" in first.log_tail and reports[0] in first.log_tail
    assert [e[4] for e in events] == sorted(e[4] for e in events)


def test_every_line_written_before_the_answer_is_logged_before_end(tmp_path):
    # A slow sink lets the host's reading fall behind the function's writing.
    sink = Sink(delay=0.0005)
    functions = Functions(tmp_path / "state", log_sink=sink)
    fn = double("chatty")
    lines = [f"line {i} " + "x" * 200 for i in range(1000)]

    try:
        result = invoke_sync(fn, json.dumps({"print": lines}).encode(), functions=functions)
    finally:
        functions.stop_all()

    messages = sink.messages("/aws/lambda/chatty")
    end = messages.index(f"END RequestId: {result.request_id}")
    assert messages[end - len(lines):end] == lines


def test_a_timeout_is_logged_before_end_and_reported(functions, sink):
    fn = double("slow-logs", timeout=1)

    result = invoke_sync(fn, b'{"do": "sleep", "seconds": 30}', functions=functions)

    messages = sink.messages("/aws/lambda/slow-logs")
    end = messages.index(f"END RequestId: {result.request_id}")
    assert messages[end - 1].endswith(f"{result.request_id} Task timed out after 1.00 seconds")
    assert messages[end + 1].endswith("\tStatus: timeout")


# Asynchronous invocation.

def test_an_async_invocation_returns_at_once_and_runs_in_the_background(functions, sink):
    fn = double("async-ok", timeout=10)
    failures: list[dict] = []

    began = time.monotonic()
    request_id = invoke_async(fn, b'{"do": "sleep", "seconds": 0.5}', failures.append, functions=functions)
    returned = time.monotonic() - began

    assert returned < 0.3
    assert sink.wait_for(f"^REPORT RequestId: {request_id}\t")
    time.sleep(0.2)
    assert failures == []
    assert sum(m == f"START RequestId: {request_id} Version: $LATEST" for m in sink.messages()) == 1


def test_a_failing_async_invocation_is_tried_three_times_then_sent_to_on_failure(functions, sink):
    fn = double("async-fails")
    records: list[dict] = []
    done = threading.Event()
    event = {"do": "fail", "order": 42}

    def on_failure(record: dict) -> None:
        records.append(record)
        done.set()

    request_id = invoke_async(fn, json.dumps(event).encode(), on_failure, retry_delays=(0.1, 0.2),
                              functions=functions)

    assert done.wait(15)
    record = records[0]
    assert json.loads(json.dumps(record)) == record
    assert record["version"] == "1.0"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", record["timestamp"])
    assert record["requestContext"] == {"requestId": request_id, "functionArn": f"{fn.arn}:$LATEST",
                                        "condition": "RetriesExhausted", "approximateInvokeCount": 3}
    assert record["requestPayload"] == event
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST",
                                         "functionError": "Unhandled"}
    assert record["responsePayload"] == {"errorType": "HandlerError", "errorMessage": "asked to fail"}
    # Every attempt ran, under the same request ID, as Lambda's retries do.
    assert sum(m == f"START RequestId: {request_id} Version: $LATEST" for m in sink.messages()) == 3


def test_an_async_invocation_without_retries_is_tried_once(functions, sink):
    fn = double("async-once")
    done = threading.Event()
    records: list[dict] = []

    request_id = invoke_async(fn, b'{"do": "fail"}', lambda r: (records.append(r), done.set()), retries=0,
                              functions=functions)

    assert done.wait(10)
    assert records[0]["requestContext"]["approximateInvokeCount"] == 1
    assert sum(m.startswith(f"START RequestId: {request_id}") for m in sink.messages()) == 1


def test_async_retries_beyond_lambdas_maximum_are_refused(functions):
    with pytest.raises(ValueError, match="MaximumRetryAttempts"):
        invoke_async(double("async-bad"), b"{}", retries=3, functions=functions)


def test_stop_all_ends_every_process_and_abandons_pending_retries(functions, sink):
    warm = double("warm")
    pid = body(invoke_sync(warm, b"{}", functions=functions))["pid"]
    failures: list[dict] = []
    request_id = invoke_async(double("retrying"), b'{"do": "fail"}', failures.append, retry_delays=(0.5,),
                              functions=functions)
    assert sink.wait_for(f"^REPORT RequestId: {request_id}\t")

    functions.stop_all()
    time.sleep(1.5)

    assert gone(pid)
    assert functions.process(ACCOUNT, REGION, "warm") is None
    assert failures == []
    assert sum(m.startswith(f"START RequestId: {request_id}") for m in sink.messages()) == 1


def test_deleting_a_function_abandons_its_pending_retries(functions, sink):
    retrying = double("retrying")
    failures: list[dict] = []
    request_id = invoke_async(retrying, b'{"do": "fail"}', failures.append, retry_delays=(0.5,),
                              functions=functions)
    assert sink.wait_for(f"^REPORT RequestId: {request_id}\t")

    functions.stop(ACCOUNT, REGION, "retrying")
    time.sleep(1.5)

    assert functions.process(ACCOUNT, REGION, "retrying") is None, "no retry started it again"
    assert failures == []
    assert sum(m.startswith(f"START RequestId: {request_id}") for m in sink.messages()) == 1


# The Runtime API itself.

def call(api: RuntimeApi, method: str, path: str, data: bytes | None = None) -> tuple[int, dict, bytes]:
    req = urllib.request.Request(f"http://{api.address}{path}", data=data, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as res:
            return res.status, dict(res.headers), res.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def test_the_runtime_api_hands_out_an_event_with_lambdas_headers_and_takes_its_response():
    api = RuntimeApi()
    try:
        deadline = int(time.time() * 1000) + 3000
        api.submit(Event("req-1", b'{"a": 1}', deadline, "arn:aws:lambda:eu-west-1:1:function:f",
                         "Root=1-0-0;Sampled=0"))

        status, headers, data = call(api, "GET", "/2018-06-01/runtime/invocation/next")
        posted = call(api, "POST", "/2018-06-01/runtime/invocation/req-1/response", b'{"ok": true}')
        reply = api.wait_reply("req-1", 5, lambda: True)

        assert (status, data) == (200, b'{"a": 1}')
        assert headers["Lambda-Runtime-Aws-Request-Id"] == "req-1"
        assert headers["Lambda-Runtime-Deadline-Ms"] == str(deadline)
        assert headers["Lambda-Runtime-Invoked-Function-Arn"] == "arn:aws:lambda:eu-west-1:1:function:f"
        assert headers["Lambda-Runtime-Trace-Id"] == "Root=1-0-0;Sampled=0"
        assert posted[0] == 202
        assert reply is not None and (reply.kind, reply.body) == ("response", b'{"ok": true}')
    finally:
        api.close()


def test_the_runtime_api_refuses_unknown_paths_and_request_ids_with_json_errors():
    api = RuntimeApi()
    try:
        unknown_path = call(api, "GET", "/2018-06-01/runtime/nothing")
        unknown_id = call(api, "POST", "/2018-06-01/runtime/invocation/nobody/response", b"{}")

        assert unknown_path[0] == 404 and json.loads(unknown_path[2])["errorType"] == "NotFound"
        assert unknown_id[0] == 400 and json.loads(unknown_id[2])["errorType"] == "InvalidRequestID"
    finally:
        api.close()


def test_waiting_for_a_reply_is_bounded_by_its_timeout_and_by_the_process():
    api = RuntimeApi()
    try:
        began = time.monotonic()
        assert api.wait_reply("never", 0.3, lambda: True) is None
        assert api.wait_ready(30, lambda: False) is False
        assert time.monotonic() - began < 2
    finally:
        api.close()
