"""Lambda's execution environments, locally: one process per function, running its own `bootstrap`.

A deployed function runs the zip it was deployed with, unpacked under
`<state_dir>/lambda/<account>/<region>/<name>/<code sha256>/`, with the environment Lambda gives
it: its own variables, Lambda's reserved ones (its role's credentials among them) and nothing of
the emulator's own, so a function cannot lean on credentials or settings it would not have in AWS.

As in Lambda, one execution environment serves one invocation at a time and stays warm between
them; a new configuration (code, variables, memory, timeout, role) starts a new one; a timeout or
a crash ends it and the next invocation starts afresh; a handled error (`/invocation/{id}/error`)
keeps it. Each process writes to a log stream of its own in `/aws/lambda/<name>`, with Lambda's
START, END and REPORT lines around each invocation, through the manager's `log_sink`.
"""

from __future__ import annotations

import atexit
import io
import json
import logging
import math
import os
import re
import selectors
import shutil
import signal
import subprocess
import threading
import time
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Union

from ..core.utils import iso

from .runtime import Event, RuntimeApi

log = logging.getLogger(__name__)

# (account, region, log group, log stream, timestamp in epoch ms, message)
LogSink = Callable[[str, str, str, str, int, str], None]
Credentials = dict[str, str]

VERSION = "$LATEST"
# Lambda's LogType=Tail returns the invocation's last 4 KB of log.
TAIL_BYTES = 4096
# Lambda gives a runtime 10 s to start before the invocation's own timeout applies.
INIT_TIMEOUT = 10.0
DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin"

# Keys a function's own variables cannot set: Lambda refuses them; here Lambda's values win.
RESERVED = frozenset({
    "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
})


@dataclass
class FunctionSpec:
    """What the host needs of a function's configuration, mapped from Lambda's.

    `credentials` are the role's (AccessKeyId, SecretAccessKey, SessionToken), or a callable that
    returns them, called only when a process starts, so a warm process does not cost a role
    assumption per invocation. `extra_env` is the local stage's own plumbing (AWS_ENDPOINT_URL,
    the CA bundle): it wins over the function's variables, Lambda's reserved ones win over both.
    """

    account: str
    region: str
    name: str
    arn: str
    code_zip: bytes = field(repr=False)
    code_sha256: str
    environment: dict[str, str] = field(default_factory=dict)
    timeout: int = 3
    memory_mb: int = 128
    credentials: Union[Credentials, Callable[[], Credentials | None], None] = field(default=None, repr=False)
    extra_env: dict[str, str] = field(default_factory=dict)
    handler: str = "bootstrap"
    role_arn: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.account, self.region, self.name)

    @property
    def log_group(self) -> str:
        return f"/aws/lambda/{self.name}"

    def fingerprint(self) -> str:
        """What a new execution environment is started for when it changes (credentials aside:
        a process keeps the session it started with, as an execution environment does)."""
        return json.dumps([self.arn, self.code_sha256, sorted(self.environment.items()),
                           sorted(self.extra_env.items()), self.timeout, self.memory_mb,
                           self.handler, self.role_arn])


@dataclass
class Result:
    """An invocation's outcome, as Invoke answers it: the status (200 even for a function error,
    as Lambda's), the payload, `X-Amz-Function-Error` ("Unhandled" or None) and the invocation's
    log tail (plain text; Invoke sends it base64-encoded in `X-Amz-Log-Result`)."""

    request_id: str
    payload: bytes
    function_error: str | None = None
    log_tail: str = ""
    status: int = 200
    executed_version: str = VERSION

    @property
    def error_type(self) -> str | None:
        """The payload's `errorType` when the function failed."""
        if self.function_error is None:
            return None
        try:
            body = json.loads(self.payload)
        except ValueError:
            return None
        return body.get("errorType") if isinstance(body, dict) else None


class EntrypointError(Exception):
    """The function's code cannot be started (no bootstrap, not a zip, not executable here)."""


def _error(error_type: str, message: str) -> bytes:
    return json.dumps({"errorType": error_type, "errorMessage": message}).encode()


def _safe(part: str) -> str:
    """One path component from an identifier; a base64 hash's `/` and `+` become `_` and `-`."""
    part = part.replace("/", "_").replace("+", "-").rstrip("=")
    return re.sub(r"[^A-Za-z0-9._-]", "_", part) or "_"


def task_root(spec: FunctionSpec, state_dir: Path) -> Path:
    return state_dir.joinpath("lambda", *(_safe(p) for p in (spec.account, spec.region, spec.name, spec.code_sha256)))


def unpack(spec: FunctionSpec, state_dir: Path) -> Path:
    """The function's code, unpacked once per code hash; the directory is its `LAMBDA_TASK_ROOT`."""
    root = task_root(spec, state_dir)
    if not root.is_dir():
        root.parent.mkdir(parents=True, exist_ok=True)
        # Unpacked beside and renamed into place, so a half-written tree is never used.
        staging = root.with_name(f".{root.name}.{uuid.uuid4().hex}")
        try:
            with zipfile.ZipFile(io.BytesIO(spec.code_zip)) as z:
                for info in z.infolist():
                    path = Path(z.extract(info, staging))
                    # zipfile drops the mode the archive recorded; a zip made on Unix keeps it here.
                    mode = (info.external_attr >> 16) & 0o777
                    if mode and not info.is_dir():
                        path.chmod(mode)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError) as e:
            shutil.rmtree(staging, ignore_errors=True)
            raise EntrypointError(f"The function's code is not a usable zip archive ({e}); "
                                  "deploy a zip with an executable named bootstrap at its root") from e
        try:
            staging.rename(root)
        except OSError:
            # Another invocation unpacked the same code first.
            shutil.rmtree(staging, ignore_errors=True)
    bootstrap = root / "bootstrap"
    if not bootstrap.is_file():
        raise EntrypointError(f"Couldn't find valid bootstrap(s): [{bootstrap}]")
    # A zip made without Unix modes (or by zipfile itself) loses the executable bit Lambda ignores.
    bootstrap.chmod(0o755)
    return root


def environment(spec: FunctionSpec, runtime_api: str, log_stream: str, root: Path,
                credentials: Credentials | None) -> dict[str, str]:
    """The process's whole environment: nothing of the emulator's own but PATH."""
    env = {"PATH": os.environ.get("PATH", DEFAULT_PATH), "LANG": "C.UTF-8", "TZ": ":UTC"}
    env.update({k: v for k, v in spec.environment.items() if k not in RESERVED})
    env.update({k: v for k, v in spec.extra_env.items() if k not in RESERVED})
    env.update({
        "AWS_LAMBDA_FUNCTION_NAME": spec.name,
        "AWS_LAMBDA_FUNCTION_VERSION": VERSION,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_RUNTIME_API": runtime_api,
        "AWS_LAMBDA_LOG_GROUP_NAME": spec.log_group,
        "AWS_LAMBDA_LOG_STREAM_NAME": log_stream,
        "AWS_REGION": spec.region,
        "AWS_DEFAULT_REGION": spec.region,
        "LAMBDA_TASK_ROOT": str(root),
        "_HANDLER": spec.handler,
    })
    if credentials:
        for var, key in (("AWS_ACCESS_KEY_ID", "AccessKeyId"), ("AWS_SECRET_ACCESS_KEY", "SecretAccessKey"),
                         ("AWS_SESSION_TOKEN", "SessionToken")):
            if credentials.get(key):
                env[var] = credentials[key]
    return env


def _exit_text(code: int) -> str:
    """How Lambda words a runtime's exit: "exit status 1", "signal: killed"."""
    if code >= 0:
        return f"exit status {code}"
    try:
        name = signal.strsignal(-code) or f"signal {-code}"
    except ValueError:
        name = f"signal {-code}"
    return f"signal: {name.lower()}"


def _peak_rss_mb(pid: int) -> int:
    """The process's peak resident memory, as REPORT's Max Memory Used (0 where /proc is absent)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return math.ceil(int(line.split()[1]) / 1024)
    except (OSError, ValueError, IndexError):
        pass
    return 0


class FunctionProcess:
    """One execution environment: a function's `bootstrap` process and its Runtime API.

    The process starts at its first invocation (Lambda's on-demand init). Invocations are
    serialised; `ended` is true once it cannot serve another (it exited, was killed, or never
    started), and the manager then starts a new one."""

    def __init__(self, spec: FunctionSpec, state_dir: Path, sink: Callable[[], LogSink],
                 init_timeout: float = INIT_TIMEOUT) -> None:
        self.spec = spec
        self.fingerprint = spec.fingerprint()
        self.state_dir = state_dir
        self.init_timeout = init_timeout
        self.log_stream = f"{time.strftime('%Y/%m/%d', time.gmtime())}/[{VERSION}]{uuid.uuid4().hex}"
        self._sink = sink
        self._lock = threading.Lock()
        self._runtime: RuntimeApi | None = None
        self._proc: subprocess.Popen | None = None
        self._exit_code: int | None = None
        self._failed = False
        self._stopped = False
        self._killed = False
        self._ready = False
        self._started_at = 0.0
        # The lines of the invocation in progress, for its log tail.
        self._tail: list[str] | None = None
        self._out = threading.Condition()
        self._drained = 0
        self._out_closed = False
        self._wake_r, self._wake_w = -1, -1
        self._threads: list[threading.Thread] = []

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def ended(self) -> bool:
        return self._failed or self._stopped or self._killed or self._exit_code is not None

    def invoke(self, payload: bytes, request_id: str, client_context: str | None = None) -> Result:
        """Runs one invocation to its end: a response, an error, a crash or the timeout."""
        with self._lock:
            self._tail = []
            try:
                return self._invoke(payload, request_id, client_context)
            finally:
                self._tail = None

    def stop(self) -> None:
        """Ends the process (Lambda's shutdown of an execution environment) and its server."""
        self._stopped = True
        self._kill()
        if self._runtime:
            self._runtime.close()
        for t in self._threads:
            t.join(timeout=5)
        if any(t.is_alive() for t in self._threads):
            # A descendant that left the session still holds the output open; the reader keeps its pipe.
            return
        for fd in (self._wake_r, self._wake_w):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._wake_r = self._wake_w = -1

    # One invocation.

    def _invoke(self, payload: bytes, request_id: str, client_context: str | None) -> Result:
        init_ms: float | None = None
        if not self._ready:
            failure = self._initialise(request_id)
            if failure is not None:
                return failure
            init_ms = (time.monotonic() - self._started_at) * 1000
        assert self._runtime is not None and self._proc is not None
        self._emit(f"START RequestId: {request_id} Version: {VERSION}")
        began = time.monotonic()
        deadline_ms = int(time.time() * 1000) + self.spec.timeout * 1000
        self._runtime.submit(Event(request_id, payload, deadline_ms, self.spec.arn, _trace_id(), client_context))
        reply = self._runtime.wait_reply(request_id, float(self.spec.timeout), self._alive)
        duration_ms = (time.monotonic() - began) * 1000
        memory = _peak_rss_mb(self._proc.pid)
        status = ""
        if reply is not None:
            self._drain()
            body, function_error = reply.body, ("Unhandled" if reply.kind == "error" else None)
        elif self._alive():
            self._kill()
            self._drain()
            body = _error("Sandbox.Timedout", f"{iso(time.time())} {request_id} "
                          f"Task timed out after {self.spec.timeout:.2f} seconds")
            function_error, status = "Unhandled", "\tStatus: timeout"
            self._emit(json.loads(body)["errorMessage"])
        else:
            self._drain()
            body = self._exited(request_id)
            function_error, status = "Unhandled", "\tStatus: error\tError Type: Runtime.ExitError"
        self._emit(f"END RequestId: {request_id}")
        report = (f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\t"
                  f"Billed Duration: {max(1, math.ceil(duration_ms))} ms\tMemory Size: {self.spec.memory_mb} MB\t"
                  f"Max Memory Used: {memory} MB")
        if init_ms is not None:
            report += f"\tInit Duration: {init_ms:.2f} ms"
        self._emit(report + status)
        return Result(request_id, body, function_error, self._tail_text())

    def _initialise(self, request_id: str) -> Result | None:
        """Starts the process and waits for its first poll; the invocation's failure if it never comes."""
        failure: bytes | None = None
        error_type = ""
        try:
            self._start()
        except EntrypointError as e:
            self._failed = True
            error_type = "Runtime.InvalidEntrypoint"
            failure = _error(error_type, f"RequestId: {request_id} Error: {e}")
        if failure is None:
            assert self._runtime is not None
            if self._runtime.wait_ready(self.init_timeout, self._alive):
                self._ready = True
                return None
            init_error = self._runtime.init_error
            alive = self._alive()
            self._kill()
            self._failed = True
            self._drain()
            if init_error is not None:
                error_type = init_error.error_type or "Runtime.Unknown"
                failure = init_error.body
            elif alive:
                error_type = "Sandbox.Timedout"
                failure = _error(error_type, f"RequestId: {request_id} Error: the runtime did not ask for an event "
                                             f"within {self.init_timeout:.2f} seconds of starting")
            else:
                error_type = "Runtime.ExitError"
                failure = self._exited(request_id)
        init_ms = (time.monotonic() - self._started_at) * 1000 if self._started_at else 0.0
        try:
            parsed = json.loads(failure)
        except ValueError:
            parsed = None
        message = str(parsed.get("errorMessage", "")) if isinstance(parsed, dict) else ""
        self._emit(f"INIT_REPORT Init Duration: {init_ms:.2f} ms\tPhase: init\tStatus: error\tError Type: {error_type}")
        self._emit(f"START RequestId: {request_id} Version: {VERSION}")
        if message and error_type != "Runtime.ExitError":
            self._emit(message)
        self._emit(f"END RequestId: {request_id}")
        self._emit(f"REPORT RequestId: {request_id}\tDuration: 0.00 ms\tBilled Duration: 0 ms\t"
                   f"Memory Size: {self.spec.memory_mb} MB\tMax Memory Used: 0 MB\tStatus: error\tError Type: {error_type}")
        return Result(request_id, failure, "Unhandled", self._tail_text())

    def _exited(self, request_id: str) -> bytes:
        code = self._exit_code
        if code is None:
            # Stopped from outside (a reset) and not reaped yet: it ends by SIGKILL.
            code = self._proc.returncode if self._proc and self._proc.returncode is not None else -signal.SIGKILL
        message = f"RequestId: {request_id} Error: Runtime exited with error: {_exit_text(code)}"
        self._emit(message)
        self._emit("Runtime.ExitError")
        return _error("Runtime.ExitError", message)

    # The process.

    def _start(self) -> None:
        root = unpack(self.spec, self.state_dir)
        creds = self.spec.credentials() if callable(self.spec.credentials) else self.spec.credentials
        self._runtime = RuntimeApi()
        env = environment(self.spec, self._runtime.address, self.log_stream, root, creds)
        bootstrap = root / "bootstrap"
        self._started_at = time.monotonic()
        try:
            self._proc = subprocess.Popen([str(bootstrap)], cwd=root, env=env, stdin=subprocess.DEVNULL,
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        except OSError as e:
            self._runtime.close()
            reason = (e.strerror or str(e)).lower()
            raise EntrypointError(f"fork/exec {bootstrap}: {reason}") from e
        self._wake_r, self._wake_w = os.pipe()
        name = f"lambda-{self.spec.name}-{self._proc.pid}"
        self._threads = [threading.Thread(target=self._reap, daemon=True, name=f"{name}-wait"),
                         threading.Thread(target=self._read_output, daemon=True, name=f"{name}-logs")]
        for t in self._threads:
            t.start()

    def _alive(self) -> bool:
        return self._proc is not None and self._exit_code is None and not (self._stopped or self._killed)

    def _kill(self) -> None:
        # Set before the process is reaped, so the next invocation cannot pick this one.
        self._killed = True
        if self._proc is not None and self._exit_code is None:
            try:
                # The whole session: a bootstrap's children must not outlive it.
                os.killpg(self._proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                log.warning("the process of %s did not end after SIGKILL", self.spec.name)

    def _reap(self) -> None:
        assert self._proc is not None and self._runtime is not None
        self._exit_code = self._proc.wait()
        # The server lives as long as its process: closing it ends any wait on either side.
        self._runtime.close()

    # The process's output, one log event per line.

    def _read_output(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None and self._proc.stderr is not None
        pipes = {self._proc.stdout.fileno(): self._proc.stdout, self._proc.stderr.fileno(): self._proc.stderr}
        partial = {fd: b"" for fd in pipes}
        sel = selectors.DefaultSelector()
        for fd in pipes:
            sel.register(fd, selectors.EVENT_READ)
        sel.register(self._wake_r, selectors.EVENT_READ)
        asked = False
        try:
            while pipes:
                for key, _ in sel.select(timeout=1.0):
                    fd = key.fd
                    if fd == self._wake_r:
                        os.read(fd, 4096)
                        asked = True
                        continue
                    data = os.read(fd, 65536)
                    if not data:
                        sel.unregister(fd)
                        pipes.pop(fd).close()
                        if partial[fd]:
                            self._emit(partial[fd].decode(errors="replace"))
                        continue
                    *lines, partial[fd] = (partial[fd] + data).split(b"\n")
                    for line in lines:
                        self._emit(line.decode(errors="replace").rstrip("\r"))
                if asked and not any(k.fd in pipes for k, _ in sel.select(timeout=0)):
                    # Whatever the process wrote before `_drain` asked has been read and emitted.
                    asked = False
                    with self._out:
                        self._drained += 1
                        self._out.notify_all()
        finally:
            sel.close()
            with self._out:
                self._out_closed = True
                self._out.notify_all()

    def _drain(self) -> None:
        """Waits until the lines the process wrote so far are logged, so they precede END."""
        with self._out:
            if self._out_closed or self._wake_w < 0:
                return
            target = self._drained + 1
            try:
                os.write(self._wake_w, b"x")
            except OSError:
                return
            deadline = time.monotonic() + 2.0
            while self._drained < target and not self._out_closed:
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self._out.wait(left)

    def _emit(self, message: str) -> None:
        tail = self._tail
        if tail is not None:
            tail.append(message)
        try:
            self._sink()(self.spec.account, self.spec.region, self.spec.log_group, self.log_stream,
                         int(time.time() * 1000), message)
        except Exception:
            log.exception("the log sink failed for %s", self.spec.log_group)

    def _tail_text(self) -> str:
        data = "".join(line + "\n" for line in self._tail or []).encode()
        return data[-TAIL_BYTES:].decode(errors="ignore")


def _trace_id() -> str:
    """An X-Ray trace header with a fresh root, as Lambda passes each invocation."""
    return (f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};"
            f"Parent={uuid.uuid4().hex[:16]};Sampled=0")


def _no_sink(account: str, region: str, group: str, stream: str, timestamp_ms: int, message: str) -> None:
    pass


class _Slot:
    """One function's execution environment, with the lock that serialises its invocations."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.process: FunctionProcess | None = None


class Functions:
    """Every function's warm process, keyed by (account, region, function name).

    `log_sink` receives every log line (it is called from several threads: it must be thread-safe).
    `stop_all` ends every process and abandons pending asynchronous retries: moto's reset calls it,
    and so does the interpreter's exit."""

    def __init__(self, state_dir: Path | str = Path("target/local-aws"), log_sink: LogSink | None = None,
                 init_timeout: float = INIT_TIMEOUT) -> None:
        self.state_dir = Path(state_dir)
        self.log_sink: LogSink = log_sink or _no_sink
        self.init_timeout = init_timeout
        self._lock = threading.Lock()
        self._reset = threading.Condition(self._lock)
        self._slots: dict[tuple[str, str, str], _Slot] = {}
        self._generation = 0
        # Per function, changed by `stop` (its deletion), so its queued retries can tell.
        self._epochs: dict[tuple[str, str, str], int] = {}
        atexit.register(self.stop_all)

    @property
    def generation(self) -> int:
        """Changes at every `stop_all`, so work queued before it can tell it is stale."""
        return self._generation

    def epoch(self, key: tuple[str, str, str]) -> int:
        """Changes at every `stop` of the function `key`."""
        with self._lock:
            return self._epochs.get(key, 0)

    def invoke(self, spec: FunctionSpec, payload: bytes, request_id: str | None = None,
               client_context: str | None = None) -> Result:
        """Runs one invocation in the function's warm process, starting one when needed."""
        request_id = request_id or str(uuid.uuid4())
        with self._lock:
            slot = self._slots.setdefault(spec.key, _Slot())
            generation = self._generation
        with slot.lock:
            process = slot.process
            if process is None or process.ended or process.fingerprint != spec.fingerprint():
                if process is not None:
                    process.stop()
                process = FunctionProcess(spec, self.state_dir, lambda: self.log_sink, self.init_timeout)
                slot.process = process
            result = process.invoke(payload, request_id, client_context)
        with self._lock:
            stale = generation != self._generation or self._slots.get(spec.key) is not slot
        if stale:
            # A reset, or the function's deletion, happened during the invocation: the process
            # it used belongs to no slot any more, so nothing else would ever stop it.
            process.stop()
        return result

    def process(self, account: str, region: str, name: str) -> FunctionProcess | None:
        """The function's current execution environment, if one was started."""
        with self._lock:
            slot = self._slots.get((account, region, name))
        return slot.process if slot else None

    def stop(self, account: str, region: str, name: str) -> None:
        """Ends one function's process (its deletion or update)."""
        with self._lock:
            slot = self._slots.pop((account, region, name), None)
            self._epochs[(account, region, name)] = self._epochs.get((account, region, name), 0) + 1
        if slot and slot.process:
            slot.process.stop()

    def stop_all(self) -> None:
        with self._lock:
            slots = list(self._slots.values())
            self._slots.clear()
            self._generation += 1
            self._reset.notify_all()
        for slot in slots:
            if slot.process:
                slot.process.stop()

    def sleep(self, seconds: float, generation: int) -> bool:
        """Sleeps unless a `stop_all` comes first; whether `generation` is still current."""
        deadline = time.monotonic() + seconds
        with self._lock:
            while self._generation == generation:
                left = deadline - time.monotonic()
                if left <= 0:
                    return True
                self._reset.wait(left)
            return False


FUNCTIONS = Functions()
