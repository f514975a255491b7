"""The local SSM agent: runs each invocation's `AWS-RunShellScript` commands on a thread of its own.

A command runs in the instance's sandbox, in its own mount namespace with the sandbox's `opt`,
`srv` and `home` over the real ones, so absolute paths such as /opt/app stay inside the sandbox;
`TMPDIR` is the sandbox's `tmp`. Where user namespaces are unavailable, commands run unisolated,
with `workingDirectory` taken inside the sandbox.
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from moto.s3.models import s3_backends

from ..core.settings import SETTINGS
from ..core.state import LOCK

if TYPE_CHECKING:
    from .models import Invocation

STDOUT_LIMIT = 24_000
STDERR_LIMIT = 8_000
MOUNTED = ("opt", "srv", "home")


def prepare(sandbox: Path) -> None:
    """Creates an instance's sandbox directories."""
    for d in MOUNTED + ("ssm", "tmp"):
        (sandbox / d).mkdir(parents=True, exist_ok=True)


@functools.cache
def namespaces_work() -> bool:
    """Whether this host lets an unprivileged process mount in a namespace of its own."""
    if shutil.which("unshare") is None:
        return False
    try:
        return subprocess.run(["unshare", "-rm", "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def start(inv: "Invocation") -> None:
    threading.Thread(target=_run, args=(inv,), daemon=True, name=f"ssm-{inv.command.command_id}").start()


def kill(inv: "Invocation") -> bool:
    """Kills the invocation's script if it is running; whether it was."""
    if inv.process and inv.process.poll() is None:
        os.killpg(inv.process.pid, signal.SIGKILL)
        return True
    return False


def _run(inv: "Invocation") -> None:
    # SSM's agent picks a command up after it becomes visible, not before.
    time.sleep(max(0.0, inv.visible_at - time.time()) + 0.2)
    if inv.cancelled:
        return
    params = inv.command.parameters or {}
    lines = params.get("commands") or []
    workdir = (params.get("workingDirectory") or [""])[0]
    try:
        timeout = float((params.get("executionTimeout") or ["3600"])[0])
    except ValueError:
        timeout = 3600.0
    sandbox = inv.instance.sandbox
    run_dir = sandbox / "ssm" / inv.command.command_id
    run_dir.mkdir(parents=True, exist_ok=True)
    script = run_dir / "_script.sh"
    script.write_text("\n".join(lines) + "\n")
    inv.started = time.time()
    inv.set_status("InProgress", "InProgress")
    isolated = namespaces_work()
    env = {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "HOME": "/home/ssm-user" if isolated else str(sandbox / "home"),
        "LANG": "C.UTF-8",
        "TMPDIR": str(sandbox / "tmp"),
        "AWS_ENDPOINT_URL": SETTINGS.endpoint_url,
        "AWS_ACCESS_KEY_ID": "instance-profile",
        "AWS_SECRET_ACCESS_KEY": "instance-profile",
        "AWS_DEFAULT_REGION": inv.instance.region,
        "AWS_REGION": inv.instance.region,
    }
    if SETTINGS.ca_bundle:
        env["AWS_CA_BUNDLE"] = env["SSL_CERT_FILE"] = SETTINGS.ca_bundle
    cwd = workdir or str(run_dir)
    if isolated:
        (sandbox / "home" / "ssm-user").mkdir(parents=True, exist_ok=True)
        mounts = " && ".join(f"mount --bind {sandbox / d} /{d}" for d in MOUNTED)
        inner = f'{mounts} && cd "$1" && exec bash "$2"'
        argv = ["unshare", "-rm", "bash", "-c", inner, "ferrops-agent", cwd, str(script)]
    else:
        if workdir:
            cwd = str(sandbox / workdir.lstrip("/"))
        argv = ["bash", "-c", 'cd "$1" && exec bash "$2"', "ferrops-agent", cwd, str(script)]
    try:
        inv.process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       start_new_session=True)
        out, err = inv.process.communicate(timeout=timeout)
        code = inv.process.returncode
        timed_out = False
    except subprocess.TimeoutExpired:
        os.killpg(inv.process.pid, signal.SIGKILL)
        out, err = inv.process.communicate()
        code, timed_out = -1, True
    except OSError as e:
        out, err, code, timed_out = b"", str(e).encode(), 1, False
    inv.ended = time.time()
    full_out, full_err = out.decode(errors="replace"), err.decode(errors="replace")
    with LOCK:
        inv.stdout, inv.stderr = full_out[:STDOUT_LIMIT], full_err[:STDERR_LIMIT]
        inv.code = code
    _store_output(inv, full_out, full_err)
    if inv.cancelled:
        inv.set_status("Cancelled", "Cancelled")
    elif timed_out:
        inv.set_status("TimedOut", "ExecutionTimedOut")
    elif code == 0:
        inv.set_status("Success", "Success")
    else:
        inv.set_status("Failed", "Failed")


def _store_output(inv: "Invocation", out: str, err: str) -> None:
    """Uploads the full output where SendCommand's OutputS3BucketName asked, as the agent does."""
    bucket = inv.command.output_s3_bucket_name
    if not bucket:
        return
    prefix = inv.command.output_s3_key_prefix.rstrip("/")
    base = f"{prefix + '/' if prefix else ''}{inv.command.command_id}/{inv.instance.id}/awsrunShellScript/0.awsrunShellScript"
    s3 = s3_backends[inv.instance.account]["aws"]
    try:
        s3.put_object(bucket, f"{base}/stdout", out.encode())
        if err:
            s3.put_object(bucket, f"{base}/stderr", err.encode())
    except Exception as e:  # AWS reports an output failure in the details, the run stands
        inv.stderr = (inv.stderr + f"\nfailed to upload the output to s3://{bucket}/{base}: {e}")[:STDERR_LIMIT]
