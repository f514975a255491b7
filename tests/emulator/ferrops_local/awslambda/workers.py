"""Invocation as Lambda's Invoke does it: synchronous (RequestResponse), or asynchronous (Event),
queued and run on a thread of its own with Lambda's retries and on-failure destination.

For an asynchronous invocation Lambda retries a function error twice by default
(MaximumRetryAttempts 0-2), about one and then two minutes apart, with the same request ID;
when the last attempt fails it sends a record to the on-failure destination. Locally the delays
default to seconds, so a story with a failing step still ends quickly.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from typing import Any, Callable

from ..core.utils import iso
from .environments import FUNCTIONS, VERSION, Functions, FunctionSpec, Result

log = logging.getLogger(__name__)

MAX_RETRIES = 2
RETRY_DELAYS = (1.0, 2.0)

OnFailure = Callable[[dict], None]


def invoke_sync(spec: FunctionSpec, payload: bytes, *, functions: Functions | None = None,
                request_id: str | None = None, client_context: str | None = None) -> Result:
    """Invokes the function and waits for its answer, as `InvocationType=RequestResponse`."""
    return (functions or FUNCTIONS).invoke(spec, payload, request_id, client_context)


def invoke_async(spec: FunctionSpec, payload: bytes, on_failure: OnFailure | None = None,
                 retries: int = MAX_RETRIES, retry_delays: tuple[float, ...] = RETRY_DELAYS, *,
                 functions: Functions | None = None) -> str:
    """Queues the invocation and returns its request ID at once, as `InvocationType=Event`.

    A function error is retried up to `retries` times, after each delay of `retry_delays` in turn
    (the last one repeats); then `on_failure` gets Lambda's destination record. A reset
    (`Functions.stop_all`) or the function's deletion (`Functions.stop`) abandons what is still
    queued."""
    if isinstance(retries, bool) or not isinstance(retries, int) or not 0 <= retries <= MAX_RETRIES:
        raise ValueError(f"retries (MaximumRetryAttempts) must be between 0 and {MAX_RETRIES}")
    if not retry_delays or any(d < 0 for d in retry_delays):
        raise ValueError("retry_delays must hold at least one delay, none negative")
    manager = functions or FUNCTIONS
    request_id = str(uuid.uuid4())
    generation, epoch = manager.generation, manager.epoch(spec.key)
    threading.Thread(target=_run, args=(manager, (generation, epoch), spec, payload, request_id, on_failure,
                                        retries, tuple(retry_delays)),
                     daemon=True, name=f"lambda-event-{spec.name}-{request_id[:8]}").start()
    return request_id


def failure_record(spec: FunctionSpec, request_id: str, payload: bytes, result: Result, attempts: int,
                   condition: str = "RetriesExhausted") -> dict:
    """The record Lambda sends to an on-failure destination (SQS, SNS, Lambda, EventBridge)."""
    return {
        "version": "1.0",
        "timestamp": iso(time.time()),
        "requestContext": {
            "requestId": request_id,
            "functionArn": _qualified(spec.arn),
            "condition": condition,
            "approximateInvokeCount": attempts,
        },
        "requestPayload": _json(payload),
        "responseContext": {
            "statusCode": result.status,
            "executedVersion": result.executed_version,
            "functionError": result.function_error or "Unhandled",
        },
        "responsePayload": _json(result.payload),
    }


def _run(manager: Functions, since: tuple[int, int], spec: FunctionSpec, payload: bytes, request_id: str,
         on_failure: OnFailure | None, retries: int, delays: tuple[float, ...]) -> None:
    generation, epoch = since

    def abandoned() -> bool:
        """A reset, or the function's deletion, since the invocation was queued."""
        return manager.generation != generation or manager.epoch(spec.key) != epoch

    attempts = 0
    while True:
        if abandoned():
            return
        try:
            result = manager.invoke(spec, payload, request_id)
        except Exception:
            # The host itself failed (not the function): nothing would answer, so say why here.
            log.exception("the asynchronous invocation %s of %s could not run", request_id, spec.name)
            return
        attempts += 1
        if result.function_error is None:
            return
        if attempts > retries:
            break
        if not manager.sleep(delays[min(attempts - 1, len(delays) - 1)], generation):
            return
    if on_failure is None or abandoned():
        return
    try:
        on_failure(failure_record(spec, request_id, payload, result, attempts))
    except Exception:
        log.exception("the on-failure destination of %s refused the record of %s", spec.name, request_id)


def _qualified(arn: str) -> str:
    """The ARN with the version that ran: destination records name `function:NAME:$LATEST`."""
    return arn if arn.count(":") >= 7 else f"{arn}:{VERSION}"


def _json(data: bytes) -> Any:
    """A payload as the record embeds it: its JSON value, or its text when it is not JSON."""
    try:
        return json.loads(data) if data else None
    except ValueError:
        return data.decode(errors="replace")
