"""The control API's endpoints. `accountId` and `region` (in the body or the query) pick the
account and region; they default to moto's default account and us-east-1.

- `POST /_ferrops/instances` `{"instanceId", "tags": {...}, "online"?}` registers a managed
  instance for the local SSM agent; `GET` lists them with their sandbox directories.
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
- `GET /_ferrops/health` answers once the server is up.
"""

from __future__ import annotations

import json
import traceback

from moto.codepipeline.models import codepipeline_backends
from moto.config.models import config_backends
from moto.core import DEFAULT_ACCOUNT_ID
from moto.events.models import events_backends
from moto.ssm.models import ssm_backends
from werkzeug.wrappers import Request, Response

from ..core.state import LOCK
from .models import control_backend

PREFIX = "/_ferrops"


def handle(request: Request) -> Response:
    path = request.path[len(PREFIX):]
    body = request.get_json(silent=True) or {}
    account = body.get("accountId") or request.args.get("accountId") or DEFAULT_ACCOUNT_ID
    region = body.get("region") or request.args.get("region") or "us-east-1"
    try:
        if path == "/health":
            return _json({"ok": True})
        if path == "/instances" and request.method == "POST":
            if not body.get("instanceId"):
                return _json({"message": "instanceId is required"}, 400)
            inst = ssm_backends[account][region].register(body["instanceId"], dict(body.get("tags") or {}),
                                                          online=body.get("online", True))
            return _json({"instanceId": inst.id, "sandbox": str(inst.sandbox.resolve())})
        if path == "/instances":
            return _json({"instances": [{"instanceId": i.id, "tags": i.tags, "sandbox": str(i.sandbox.resolve())}
                                        for i in ssm_backends[account][region].managed().values()]})
        if path == "/config/evaluate" and request.method == "POST":
            if not body.get("ruleName"):
                return _json({"message": "ruleName is required"}, 400)
            return _json(config_backends[account][region].evaluate(
                body["ruleName"], body.get("resourceType"), body.get("resourceId"), body.get("configurationItem")))
        if path == "/jobs" and request.method == "POST":
            if not isinstance(body.get("ids"), list) or not isinstance(body.get("data"), dict):
                return _json({"message": "ids (a list) and data (the job data) are required"}, 400)
            return _json({"created": codepipeline_backends[account][region].add_jobs(body["ids"], body["data"])})
        if path == "/requests":
            return _json({"requests": control_backend().requests_since(float(request.args.get("since", 0)))})
        if path == "/pipelines/history":
            return _json({"executions": codepipeline_backends[account][region].history(request.args.get("name", ""))})
        if path == "/deliveries":
            with LOCK:
                return _json({"deliveries": list(events_backends[account][region].deliveries)})
    except Exception as e:  # the control API answers every error as JSON, with its cause
        return _json({"message": f"{type(e).__name__}: {e}", "trace": traceback.format_exc()}, 400)
    return _json({"message": f"no such control endpoint: {request.method} {request.path}"}, 404)


def _json(value: object, status: int = 200) -> Response:
    return Response(json.dumps(value, default=str), status=status, mimetype="application/json")
