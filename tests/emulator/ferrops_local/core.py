"""What every addition shares: settings, per-backend state, time, and invoking our functions."""

from __future__ import annotations

import datetime
import json
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, TypeVar

from moto.core.exceptions import JsonRESTError

T = TypeVar("T")


@dataclass
class Settings:
    """How the local AWS reaches the world outside moto."""

    # `cargo lambda watch`'s Invoke API, e.g. http://127.0.0.1:9001; None = functions cannot run.
    lambda_endpoint: str | None = None
    # The function binaries `cargo lambda watch` serves; a deployed function runs the binary its
    # name ends with (ferrops-local-pipeline-runner runs pipeline-runner).
    binaries: list[str] = field(default_factory=list)
    # Where each local instance keeps its sandbox directory.
    state_dir: Path = Path("target/local-aws")
    # The endpoint commands on local instances use to reach this AWS.
    endpoint_url: str = ""
    # How long a command stays invisible to GetCommandInvocation after SendCommand.
    visibility_delay: float = 1.0
    # CodePipeline's wait before re-invoking a function that replied with a continuation token.
    continuation_delay: float = 1.0
    # How long a Lambda action may go without a job result before it times out (AWS: 20 min).
    job_timeout: float = 20 * 60.0
    # How long one function invocation may take, the first compile by `cargo lambda watch` included.
    invoke_timeout: float = 900.0


SETTINGS = Settings()

# moto's backends are shared by its request threads; the additions also run background work
# (pipeline executions, commands), so one lock guards every piece of state they add.
LOCK = threading.RLock()
CHANGED = threading.Condition(LOCK)


def extra(backend: Any, key: str, factory: Callable[[], T]) -> T:
    """State an addition keeps on one of moto's backends, so it lives in moto's account/region model."""
    with LOCK:
        store = backend.__dict__.setdefault("_ferrops", {})
        if key not in store:
            store[key] = factory()
        return store[key]


def now() -> float:
    """Seconds since the epoch: the JSON protocols' timestamp format, which the SDKs parse."""
    return round(time.time(), 3)


def iso(t: float) -> str:
    """Epoch seconds as the ISO 8601 text, with milliseconds, that events and SSM answers carry."""
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def page(entries: list, next_token: str | None, size: int, key: str, bad_token: str) -> dict:
    """One page of `entries` under `key`, with the next token when more remain.

    Tokens are offsets; a token that is not one is refused with the service's own error code."""
    try:
        start = int(next_token or 0)
    except ValueError:
        raise JsonRESTError(bad_token, "The specified token is not valid")
    out: dict[str, Any] = {key: entries[start:start + size]}
    if start + size < len(entries):
        out["NextToken"] = str(start + size)
    return out


def binary_for(function_name: str) -> str | None:
    """The binary that serves a deployed function, from its name or ARN."""
    name = function_name.rsplit(":function:", 1)[-1].split(":", 1)[0]
    matches = [b for b in SETTINGS.binaries if name == b or name.endswith("-" + b)]
    return max(matches, key=len) if matches else None


class InvokeError(Exception):
    """The function could not be invoked, or it returned an error."""


def invoke(function_name: str, event: dict) -> Any:
    """Invokes a function through `cargo lambda watch`, as Lambda's Invoke API would, and returns its reply."""
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
