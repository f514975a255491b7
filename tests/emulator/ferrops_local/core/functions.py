"""Invoking a deployed function as an AWS service does (CodePipeline, Config, EventBridge).

The function runs in the local Lambda (awslambda/): its own zip, environment and role. A caller
names it by name (in the caller's account and region) or by ARN.
"""

from __future__ import annotations

import json
from typing import Any


class InvokeError(Exception):
    """The function does not exist, could not run, or returned an error."""


def invoke(function: str, event: dict, account: str, region: str) -> Any:
    """Invokes `function` synchronously with `event` and returns its reply."""
    # Imported here: the Lambda backend imports core, and core must not import a service.
    from moto.awslambda.exceptions import UnknownFunctionException

    from ..awslambda.models import lambda_backends, spec_of
    from ..awslambda.workers import invoke_sync

    name = function
    if function.startswith("arn:"):
        parts = function.split(":")
        if len(parts) < 7:
            raise InvokeError(f"{function} is not a function ARN")
        region, account, name = parts[3], parts[4], parts[6]
    try:
        fn = lambda_backends[account][region].get_function(name)
    except UnknownFunctionException as e:
        raise InvokeError(f"function {name} does not exist in account {account}, {region}") from e
    result = invoke_sync(spec_of(fn), json.dumps(event).encode())
    try:
        payload = json.loads(result.payload) if result.payload else None
    except ValueError:
        payload = result.payload.decode(errors="replace")
    if result.function_error:
        raise InvokeError(f"{name}: {payload}")
    return payload
