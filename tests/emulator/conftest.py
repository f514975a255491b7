"""Fixtures for the local AWS's own tests: a fresh emulator process, and a function host.

The functions the tests deploy are real functions of the local Lambda, whose `bootstrap` (PROXY)
hands each event to the function host, where a test's Python handler answers it. So the
additions' side of each exchange (jobs, continuation, evaluations, change events) and the local
Lambda's are tested without building our functions. The AWS side is always the emulator itself.
"""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable

import boto3
import pytest

HERE = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FunctionHost:
    """Serves POST /2015-03-31/functions/NAME/invocations with the handler registered for NAME."""

    def __init__(self) -> None:
        self.handlers: dict[str, Callable[[dict], Any]] = {}
        self.events: list[tuple[str, dict]] = []
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                name = self.path.split("/functions/", 1)[-1].split("/", 1)[0]
                event = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                host.events.append((name, event))
                fn = host.handlers.get(name)
                status, body = 200, {}
                headers = {}
                try:
                    body = fn(event) if fn else {"errorType": "NotFound", "errorMessage": name}
                    if fn is None:
                        status = 404
                except Exception as e:
                    body, headers = {"errorType": type(e).__name__, "errorMessage": str(e)}, {"X-Amz-Function-Error": "Unhandled"}
                data = json.dumps(body).encode()
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


# A custom runtime in Python: it takes each event from the Runtime API, hands it to the function
# host under FUNCTION_HOST_NAME and posts back the host's answer, or its error.
PROXY = """#!/usr/bin/env python3
import os, urllib.error, urllib.request
api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/invocation/"
target = os.environ["FUNCTION_HOST"] + "/2015-03-31/functions/" + os.environ["FUNCTION_HOST_NAME"] + "/invocations"
while True:
    with urllib.request.urlopen(api + "next") as r:
        request_id, event = r.headers["Lambda-Runtime-Aws-Request-Id"], r.read()
    try:
        with urllib.request.urlopen(urllib.request.Request(target, data=event, method="POST")) as res:
            body, failed = res.read(), res.headers.get("X-Amz-Function-Error")
    except urllib.error.HTTPError as e:
        body, failed = e.read(), "Unhandled"
    reply = urllib.request.Request(api + request_id + ("/error" if failed else "/response"), data=body, method="POST")
    urllib.request.urlopen(reply).read()
"""


class Local:
    def __init__(self, endpoint: str, host: FunctionHost, state: Path):
        self.endpoint = endpoint
        self.host = host
        self.state = state
        # Its HTTPS endpoint, whose certificate comes from the CA in state/tls/ca.pem.
        self.tls_endpoint = ""

    def client(self, service: str):
        return boto3.client(service, endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def function(self, name: str, handler: str) -> str:
        """Deploys `name` to the local Lambda, answering through the host's handler `handler`;
        returns its ARN. A function already deployed is kept."""
        lam, iam = self.client("lambda"), self.client("iam")
        try:
            return lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
        except lam.exceptions.ResourceNotFoundException:
            pass
        try:
            role = iam.get_role(RoleName="test-function")["Role"]["Arn"]
        except iam.exceptions.NoSuchEntityException:
            role = iam.create_role(RoleName="test-function", AssumeRolePolicyDocument=json.dumps({
                "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                        "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("bootstrap", PROXY)
        return lam.create_function(
            FunctionName=name, Runtime="provided.al2023", Role=role, Handler="bootstrap", Timeout=30,
            Code={"ZipFile": buf.getvalue()},
            Environment={"Variables": {"FUNCTION_HOST": self.host.url, "FUNCTION_HOST_NAME": handler}})["FunctionArn"]

    def control(self, path: str, body: dict | None = None) -> Any:
        req = urllib.request.Request(f"{self.endpoint}/_ferrops{path}",
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"},
                                     method="GET" if body is None else "POST")
        with urllib.request.urlopen(req, timeout=60) as res:
            return json.load(res)

    def raw(self, service_target: str, body: dict, content_type: str = "application/x-amz-json-1.1") -> tuple[int, dict]:
        """One JSON-protocol call, answered as raw JSON, so its shape can be checked as sent."""
        req = urllib.request.Request(self.endpoint + "/", data=json.dumps(body).encode(), method="POST", headers={
            "Content-Type": content_type, "X-Amz-Target": service_target,
            "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20261122/us-east-1/"
                             f"{_signing_name(service_target)}/aws4_request, SignedHeaders=host, Signature=x"})
        try:
            with urllib.request.urlopen(req, timeout=60) as res:
                text = res.read()
                return res.status, json.loads(text) if text else {}
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}")


def _signing_name(target: str) -> str:
    prefix = target.split(".", 1)[0]
    return {"CodePipeline_20150709": "codepipeline", "StarlingDoveService": "config",
            "AmazonSSM": "ssm"}[prefix]


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory):
    host = FunctionHost()
    port, tls_port = free_port(), free_port()
    state = tmp_path_factory.mktemp("local-aws")
    env = dict(os.environ, PYTHONPATH=str(HERE))
    log = (state / "local-aws.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "ferrops_local", "--port", str(port), "--tls-port", str(tls_port),
         "--state-dir", str(state), "--visibility-delay", "0.5", "--continuation-delay", "0.1",
         "--job-timeout", "20"],
        # A file, not a pipe: nobody reads the log while tests run, and a full pipe would block it.
        env=env, stdout=subprocess.DEVNULL, stderr=log)
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            urllib.request.urlopen(f"{endpoint}/_ferrops/health", timeout=1)
            break
        except OSError:
            if time.time() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError((state / "local-aws.log").read_text() or "the local AWS did not start")
            time.sleep(0.2)
    local = Local(endpoint, host, state)
    local.tls_endpoint = f"https://127.0.0.1:{tls_port}"
    local.function("ferrops-t-pipeline-runner", "pipeline-runner")
    yield local
    proc.terminate()
    try:
        # It ends its functions' processes on the way out, which can take a few seconds.
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
    log.close()
    host.server.shutdown()
