"""Which requests the functions' IAM check applies to, and AWS's refusal when it fails.

It applies to requests signed with the credentials the local Lambda got for a function: the
assumed-role session of its execution role that awslambda/models.py marks with the function.
Everything else (the tests, the CLI, a function's own cross-account sessions) goes through as
moto lets it.
"""

from __future__ import annotations

import json
import urllib.parse
from typing import Any
from xml.sax.saxutils import escape

from moto.awslambda.models import lambda_backends
from moto.iam.models import iam_backends
from moto.sts.models import sts_backends

from ..core import request
from ..core.state import LOCK
from .policies import allowed

# The attribute awslambda/models.py sets on moto's AssumedRole: (account, region, function name).
FUNCTION = "ferrops_function"

# Calls AWS answers whatever the caller's policies say.
ALWAYS_ALLOWED = frozenset({"sts:GetCallerIdentity"})


def _function_role(access_key: str) -> tuple[str, str, str] | None:
    """(account, role ARN, session) when `access_key` is a function's execution-role session."""
    with LOCK:
        for backend in list(sts_backends.values()):
            assumed = backend["aws"].get_assumed_role_from_access_key(access_key) if "aws" in backend else None
            if assumed is None:
                continue
            marked = getattr(assumed, FUNCTION, None)
            if marked is None:
                return None
            account, region, name = marked
            try:
                fn = lambda_backends[account][region].get_function(name)
            except Exception:  # deleted since: moto raises its own not-found types
                return None
            return (account, assumed.role_arn, assumed.session_name) if fn.role == assumed.role_arn else None
    return None


def _action(environ: dict, service: str) -> str | None:
    """The IAM action of a JSON- or query-protocol request; None for the REST protocols."""
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target and "." in target:
        return f"{service}:{target.rsplit('.', 1)[1]}"
    query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
    if "Action" in query:
        return f"{service}:{query['Action'][0]}"
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        form = urllib.parse.parse_qs(request.body(environ).decode(errors="replace"))
        if "Action" in form:
            return f"{service}:{form['Action'][0]}"
    return None


def _role_policies(account: str, role_arn: str) -> list[Any]:
    iam = iam_backends[account]["global"]
    name = role_arn.rsplit("/", 1)[-1]
    with LOCK:
        policies: list[Any] = [iam.get_role_policy(name, p)[1] for p in iam.list_role_policies(name)]
        attached, _ = iam.list_attached_role_policies(name)
        for p in attached:
            policies += [v.document for v in p.versions if v.version_id == p.default_version_id]
    return policies


def _denial(environ: dict, service: str, message: str) -> tuple[int, dict[str, str], bytes]:
    """AWS's answer to a call no policy allows, in the request's protocol and the service's code."""
    if environ.get("HTTP_X_AMZ_TARGET"):
        body = json.dumps({"__type": "AccessDeniedException", "message": message}).encode()
        return 400, {"Content-Type": "application/x-amz-json-1.1"}, body
    if service == "ec2":
        xml = (f"<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>{escape(message)}"
               f"</Message></Error></Errors><RequestID>local</RequestID></Response>")
        return 403, {"Content-Type": "text/xml"}, xml.encode()
    # SNS says AuthorizationError where the other query services say AccessDenied.
    code = "AuthorizationError" if service == "sns" else "AccessDenied"
    xml = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{escape(message)}</Message>"
           f"</Error><RequestId>local</RequestId></ErrorResponse>")
    return 403, {"Content-Type": "text/xml"}, xml.encode()


def refusal(environ: dict) -> tuple[int, dict[str, str], bytes] | None:
    """AWS's refusal when a function's role may not make this request; else None."""
    m = request.CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    if not m:
        return None
    access_key, _region, service = m.groups()
    principal = _function_role(access_key)
    if principal is None:
        return None
    action = _action(environ, service)
    if action is None or action in ALWAYS_ALLOWED:
        return None
    account, role_arn, session = principal
    try:
        policies = _role_policies(account, role_arn)
    except Exception:  # the role itself is gone: nothing allows anything
        policies = []
    if allowed(action, policies):
        return None
    who = f"arn:aws:sts::{account}:assumed-role/{role_arn.rsplit('/', 1)[-1]}/{session}"
    return _denial(environ, service, f"User: {who} is not authorized to perform: {action} "
                                     f"because no identity-based policy allows the {action} action")
