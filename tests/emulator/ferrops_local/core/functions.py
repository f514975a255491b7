"""Invoking our functions, as Lambda's Invoke API would, through `cargo lambda watch`."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from .settings import SETTINGS


class InvokeError(Exception):
    """The function could not be invoked, or it returned an error."""


def binary_for(function_name: str) -> str | None:
    """The binary that serves a deployed function, from its name or ARN."""
    name = function_name.rsplit(":function:", 1)[-1].split(":", 1)[0]
    matches = [b for b in SETTINGS.binaries if name == b or name.endswith("-" + b)]
    return max(matches, key=len) if matches else None


def invoke(function_name: str, event: dict) -> Any:
    """Invokes a function and returns its reply."""
    if SETTINGS.lambda_endpoint is None:
        raise InvokeError("no Lambda endpoint is configured (start the local AWS with --lambda-endpoint)")
    binary = binary_for(function_name)
    if binary is None:
        raise InvokeError(f"no local binary serves the function {function_name}")
    url = f"{SETTINGS.lambda_endpoint}/2015-03-31/functions/{binary}/invocations"
    req = urllib.request.Request(
        url,
        data=json.dumps(event).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=SETTINGS.invoke_timeout) as res:
            body = res.read()
            function_error = res.headers.get("X-Amz-Function-Error")
    except urllib.error.HTTPError as e:
        raise InvokeError(f"{binary}: HTTP {e.code}: {e.read()[:500].decode(errors='replace')}") from e
    except OSError as e:
        raise InvokeError(f"{binary}: {e}") from e
    try:
        payload = json.loads(body) if body else None
    except ValueError:
        payload = body.decode(errors="replace")
    if function_error or (isinstance(payload, dict) and "errorType" in payload and "errorMessage" in payload):
        raise InvokeError(f"{binary}: {payload}")
    return payload
