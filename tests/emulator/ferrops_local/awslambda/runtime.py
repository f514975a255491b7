"""The Lambda Runtime API (2018-06-01) that one function process polls, as Lambda serves it.

A custom runtime (`provided.al2023`, our Rust functions' `lambda_runtime`) learns its host from
`AWS_LAMBDA_RUNTIME_API` and then loops: `GET /runtime/invocation/next` long-polls for an event,
and the answer goes to `POST /runtime/invocation/{id}/response` or `/error`; a runtime that cannot
start posts `/runtime/init/error` instead. Each process gets its own server, so an answer can only
ever be for that process's own invocation.

The invoking side (`FunctionProcess`) hands events in with `submit` and waits with `wait_ready`
and `wait_reply`. Every wait is bounded: by its timeout, by the process's death (the caller's
`alive` check, re-run at least once a second), or by `close`, which ends the long polls too.
"""

from __future__ import annotations

import collections
import json
import logging
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

log = logging.getLogger(__name__)

PREFIX = "/2018-06-01/runtime"
# Lambda's limit on a synchronous response: 6 MB, plus the 100 bytes its error message counts.
RESPONSE_LIMIT = 6_291_556
# How often a wait re-checks what no notification announces (the process's exit, a closed server).
POLL = 1.0


@dataclass(frozen=True)
class Event:
    """One invocation as the runtime receives it from `/invocation/next`."""

    request_id: str
    payload: bytes
    deadline_ms: int
    function_arn: str
    trace_id: str
    client_context: str | None = None


@dataclass(frozen=True)
class Reply:
    """What the runtime posted for one invocation, or for its initialisation.

    `kind` is "response" or "error"; for an error, `error_type` is the body's `errorType` or,
    failing that, the `Lambda-Runtime-Function-Error-Type` header."""

    request_id: str | None
    kind: str
    body: bytes
    error_type: str | None = None


class RuntimeApi:
    """One Runtime API server on 127.0.0.1, on a free port, for one function process."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._pending: collections.deque[Event] = collections.deque()
        # Handed to the runtime and not answered yet, by request ID.
        self._in_flight: dict[str, Event] = {}
        self._replies: dict[str, Reply] = {}
        self._polled = False
        self._closed = False
        self.init_error: Reply | None = None
        this = self

        class Handler(_Handler):
            api = this

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.2},
                                        daemon=True, name=f"runtime-api-{self.port}")
        self._thread.start()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def address(self) -> str:
        """`host:port`, the form `AWS_LAMBDA_RUNTIME_API` takes."""
        return f"127.0.0.1:{self.port}"

    def submit(self, event: Event) -> None:
        """Queues an event for the runtime's next `/invocation/next`."""
        with self._cond:
            self._pending.append(event)
            self._cond.notify_all()

    def wait_ready(self, timeout: float, alive: Callable[[], bool]) -> bool:
        """Waits until the runtime first asks for an event, which ends its initialisation.

        False when it did not within `timeout`, exited, or posted an init error (`init_error`)."""
        with self._cond:
            self._wait(lambda: self._polled or self.init_error is not None, timeout, alive)
            return self._polled and self.init_error is None

    def wait_reply(self, request_id: str, timeout: float, alive: Callable[[], bool]) -> Reply | None:
        """The runtime's answer to the invocation, or None when it gave none within `timeout` or exited."""
        with self._cond:
            self._wait(lambda: request_id in self._replies, timeout, alive)
            reply = self._replies.pop(request_id, None)
            if reply is None:
                # Late answers to an abandoned invocation are refused as unknown.
                self._in_flight.pop(request_id, None)
                self._pending = collections.deque(e for e in self._pending if e.request_id != request_id)
            return reply

    def close(self) -> None:
        """Stops serving; long polls in progress end without an event. Safe to call again."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            self._cond.notify_all()
        self._server.shutdown()
        self._server.server_close()

    def _wait(self, done: Callable[[], bool], timeout: float, alive: Callable[[], bool]) -> bool:
        """Waits (holding the condition) until `done`; False on timeout, exit or close."""
        deadline = time.monotonic() + timeout
        while not done():
            left = deadline - time.monotonic()
            if left <= 0 or self._closed or not alive():
                return done()
            self._cond.wait(min(left, POLL))
        return True

    # The handler's side, under the same condition.

    def _next_event(self) -> Event | None:
        with self._cond:
            self._polled = True
            self._cond.notify_all()
            while not self._pending and not self._closed:
                self._cond.wait(POLL)
            if self._closed:
                return None
            event = self._pending.popleft()
            self._in_flight[event.request_id] = event
            return event

    def _answer(self, request_id: str, reply: Reply) -> bool:
        """Records the answer to an invocation in flight; False for any other request ID."""
        with self._cond:
            if self._in_flight.pop(request_id, None) is None:
                return False
            self._replies[request_id] = reply
            self._cond.notify_all()
            return True

    def _init_failed(self, reply: Reply) -> None:
        with self._cond:
            self.init_error = reply
            self._cond.notify_all()


class _Server(ThreadingHTTPServer):
    # A connection thread may sit in a long poll; closing must not wait for it.
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        # A killed process drops its connection mid-answer: that is how a timeout ends, not a fault.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            log.exception("the Runtime API failed to answer %s", client_address)


class _Handler(BaseHTTPRequestHandler):
    # lambda_runtime keeps one connection open across invocations: HTTP/1.1 keep-alive.
    protocol_version = "HTTP/1.1"
    api: RuntimeApi

    def do_GET(self) -> None:  # noqa: N802
        if self.path != f"{PREFIX}/invocation/next":
            self._send(404, {"errorType": "NotFound", "errorMessage": f"No route for GET {self.path}"})
            return
        event = self.api._next_event()
        if event is None:
            self._send(410, {"errorType": "ShuttingDown", "errorMessage": "The execution environment is shutting down"})
            self.close_connection = True
            return
        headers = {
            "Lambda-Runtime-Aws-Request-Id": event.request_id,
            "Lambda-Runtime-Deadline-Ms": str(event.deadline_ms),
            "Lambda-Runtime-Invoked-Function-Arn": event.function_arn,
            "Lambda-Runtime-Trace-Id": event.trace_id,
        }
        if event.client_context:
            headers["Lambda-Runtime-Client-Context"] = event.client_context
        self._send(200, event.payload, headers)

    def do_POST(self) -> None:  # noqa: N802
        body = self._body()
        if body is None:
            return
        if self.path == f"{PREFIX}/init/error":
            self.api._init_failed(Reply(None, "error", body, self._error_type(body)))
            self._send(202, {"status": "OK"})
            return
        parts = self.path[len(PREFIX):].split("/") if self.path.startswith(PREFIX + "/") else []
        # ["", "invocation", id, "response" | "error"]
        if len(parts) != 4 or parts[1] != "invocation" or parts[3] not in ("response", "error"):
            self._send(404, {"errorType": "NotFound", "errorMessage": f"No route for POST {self.path}"})
            return
        request_id, kind = parts[2], parts[3]
        if kind == "response" and len(body) > RESPONSE_LIMIT:
            reply = Reply(request_id, "error", json.dumps({
                "errorType": "Function.ResponseSizeTooLarge",
                "errorMessage": f"Response payload size exceeded maximum allowed payload size ({RESPONSE_LIMIT} bytes).",
            }).encode(), "Function.ResponseSizeTooLarge")
            if self.api._answer(request_id, reply):
                self._send(413, {"errorType": "RequestEntityTooLarge",
                                 "errorMessage": f"The response exceeds {RESPONSE_LIMIT} bytes"})
                return
        else:
            error_type = self._error_type(body) if kind == "error" else None
            if self.api._answer(request_id, Reply(request_id, kind, body, error_type)):
                self._send(202, {"status": "OK"})
                return
        self._send(400, {"errorType": "InvalidRequestID",
                         "errorMessage": f"No invocation {request_id} is waiting for an answer"})

    def do_PUT(self) -> None:  # noqa: N802
        self._send(404, {"errorType": "NotFound", "errorMessage": f"No route for PUT {self.path}"})

    do_DELETE = do_PATCH = do_PUT  # noqa: N815

    def _error_type(self, body: bytes) -> str | None:
        header = self.headers.get("Lambda-Runtime-Function-Error-Type")
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = None
        from_body = parsed.get("errorType") if isinstance(parsed, dict) else None
        # lambda_runtime sends the header as a generic "unhandled"; the body names the real type.
        return from_body if isinstance(from_body, str) and from_body else header

    def _body(self) -> bytes | None:
        """The request body, given by Content-Length or chunked (as a streamed response is sent)."""
        try:
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                chunks = []
                while True:
                    size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                    if size == 0:
                        # Trailers (a streamed response's error) end with an empty line.
                        while self.rfile.readline().strip():
                            pass
                        return b"".join(chunks)
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))
        except ValueError:
            self._send(400, {"errorType": "InvalidRequest", "errorMessage": "The request body's framing is malformed"})
            self.close_connection = True
            return None

    def _send(self, status: int, body: bytes | dict, headers: dict[str, str] | None = None) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        # The runtime's traffic is not the function's log; Lambda does not log it either.
        pass
