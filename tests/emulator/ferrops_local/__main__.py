"""Runs the local AWS: `python -m ferrops_local --port 5000 [--lambda-endpoint URL]`.

Besides moto's API and its `/moto-api/`, it serves a small control API under `/_ferrops/`:

- `POST /_ferrops/instances` `{"instanceId", "tags": {...}, "accountId"?, "region"?}` registers a
  managed instance for the local SSM agent; `GET` lists them with their sandbox directories.
- `POST /_ferrops/config/evaluate` `{"ruleName", "resourceType"?, "resourceId"?,
  "configurationItem"?}` invokes a Config rule as Config would (a change notification, or a
  scheduled one when no resource is given) and returns the function's reply and the
  evaluations it put.
- `GET /_ferrops/pipelines/history?name=P` lists the executions of pipeline P run here, with each
  action's start and end times and how many times its function was invoked.
- `POST /_ferrops/jobs` `{"ids": [...], "data": {...}}` creates CodePipeline jobs outside any
  execution, for driving a job worker directly (the benchmarks do).
- `GET /_ferrops/requests?since=T` lists the AWS calls received since T (epoch seconds): time,
  operation and which SDK sent it.
- `GET /_ferrops/deliveries` lists the events delivered to functions (compliance changes).
"""

from __future__ import annotations

import argparse
import collections
import json
import logging
import sys
import time
import traceback
from pathlib import Path

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import run_simple
from werkzeug.wrappers import Request, Response

from . import codepipeline, config, install, ssm
from .core import LOCK, SETTINGS

DEFAULT_ACCOUNT = "123456789012"


def control(request: Request) -> Response:
    path = request.path[len("/_ferrops"):]
    body = request.get_json(silent=True) or {}
    account = body.get("accountId") or request.args.get("accountId") or DEFAULT_ACCOUNT
    region = body.get("region") or request.args.get("region") or "us-east-1"
    try:
        if path == "/health":
            return _json({"ok": True})
        if path == "/instances" and request.method == "POST":
            if not body.get("instanceId"):
                return _json({"message": "instanceId is required"}, 400)
            inst = ssm.register(body["instanceId"], dict(body.get("tags") or {}), account, region,
                                online=body.get("online", True))
            return _json({"instanceId": inst.id, "sandbox": str(inst.sandbox.resolve())})
        if path == "/instances":
            return _json({"instances": [{"instanceId": i.id, "tags": i.tags, "sandbox": str(i.sandbox.resolve())}
                                        for i in ssm.managed(account, region).values()]})
        if path == "/config/evaluate" and request.method == "POST":
            if not body.get("ruleName"):
                return _json({"message": "ruleName is required"}, 400)
            return _json(config.evaluate(account, region, body["ruleName"], body.get("resourceType"),
                                         body.get("resourceId"), body.get("configurationItem")))
        if path == "/jobs" and request.method == "POST":
            if not isinstance(body.get("ids"), list) or not isinstance(body.get("data"), dict):
                return _json({"message": "ids (a list) and data (the job data) are required"}, 400)
            return _json({"created": codepipeline.add_jobs(account, region, body["ids"], body["data"])})
        if path == "/requests":
            return _json({"requests": REQUESTS.since(float(request.args.get("since", 0)))})
        if path == "/pipelines/history":
            return _json({"executions": codepipeline.history(request.args.get("name", ""))})
        if path == "/deliveries":
            with LOCK:
                return _json({"deliveries": list(config.DELIVERIES)})
    except Exception as e:  # the control API answers every error as JSON, with its cause
        return _json({"message": f"{type(e).__name__}: {e}", "trace": traceback.format_exc()}, 400)
    return _json({"message": f"no such control endpoint: {request.method} {request.path}"}, 404)


def _json(value: object, status: int = 200) -> Response:
    return Response(json.dumps(value, default=str), status=status, mimetype="application/json")


class RequestLog:
    """The AWS calls received, so the demo can count what each function asked for."""

    def __init__(self, keep: int = 100_000) -> None:
        self.entries: collections.deque = collections.deque(maxlen=keep)

    def add(self, environ: dict) -> None:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        agent = environ.get("HTTP_USER_AGENT", "")
        sdk = "rust" if "aws-sdk-rust" in agent else "python" if "Boto" in agent or "botocore" in agent else "other"
        self.entries.append({"time": time.time(), "target": target or f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')}",
                             "sdk": sdk})

    def since(self, t: float) -> list[dict]:
        return [e for e in list(self.entries) if e["time"] >= t]


REQUESTS = RequestLog()


class App:
    def __init__(self) -> None:
        self.moto = DomainDispatcherApplication(create_backend_app)

    def __call__(self, environ, start_response):  # type: ignore[no-untyped-def]
        if environ.get("PATH_INFO", "").startswith("/_ferrops/"):
            return control(Request(environ))(environ, start_response)
        REQUESTS.add(environ)
        return self.moto(environ, start_response)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="ferrops_local", description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--lambda-endpoint", help="cargo lambda watch's URL, e.g. http://127.0.0.1:9001")
    ap.add_argument("--binaries", default="pipeline-runner,config-rules,compliance-notifier,alexa-skill")
    ap.add_argument("--state-dir", type=Path, default=Path("target/local-aws"))
    ap.add_argument("--visibility-delay", type=float, default=1.0)
    ap.add_argument("--continuation-delay", type=float, default=1.0)
    ap.add_argument("--job-timeout", type=float, default=20 * 60.0)
    args = ap.parse_args(argv)

    SETTINGS.lambda_endpoint = args.lambda_endpoint.rstrip("/") if args.lambda_endpoint else None
    SETTINGS.binaries = [b for b in args.binaries.split(",") if b]
    SETTINGS.state_dir = args.state_dir
    SETTINGS.endpoint_url = f"http://{args.host}:{args.port}"
    SETTINGS.visibility_delay = args.visibility_delay
    SETTINGS.continuation_delay = args.continuation_delay
    SETTINGS.job_timeout = args.job_timeout
    args.state_dir.mkdir(parents=True, exist_ok=True)

    install()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    print(f"ferrops local AWS on {SETTINGS.endpoint_url}", file=sys.stderr, flush=True)
    run_simple(args.host, args.port, App(), threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
