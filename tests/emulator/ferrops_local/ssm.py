"""SSM: a local agent that really runs `AWS-RunShellScript`, plus the calls moto lacks.

An instance is managed when it is registered here with a tag set, or when it is a running moto
EC2 instance (as the sample pipeline's build instance is). Each has a sandbox directory; a
command runs there in its own mount namespace with the sandbox's `opt`, `srv` and `home` over the
real ones, so absolute paths such as /opt/app stay inside the sandbox; `TMPDIR` is the sandbox's
`tmp`. Where user namespaces are unavailable, commands run unisolated, with `workingDirectory`
taken inside the sandbox.
"""

from __future__ import annotations

import datetime
import os
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult
from moto.ssm import models as ssm_models
from moto.ssm.responses import SimpleSystemManagerResponse

from . import core, validate
from .core import CHANGED, LOCK, SETTINGS

SERVICE = "ssm"
STDOUT_LIMIT = 24_000
STDERR_LIMIT = 8_000
PLUGIN = "aws:runShellScript"
MOUNTED = ("opt", "srv", "home")


class Instance:
    def __init__(self, instance_id: str, tags: dict[str, str], account: str, region: str, online: bool = True):
        self.id = instance_id
        # An offline agent accepts nothing: its commands stay Pending, as SSM's do.
        self.online = online
        self.tags = tags
        self.account = account
        self.region = region
        self.registered_at = time.time()

    @property
    def sandbox(self) -> Path:
        return SETTINGS.state_dir.resolve() / "instances" / self.account / self.id


REGISTERED: dict[tuple[str, str], dict[str, Instance]] = {}


def register(instance_id: str, tags: dict[str, str], account: str, region: str, online: bool = True) -> Instance:
    """Makes `instance_id` a managed instance with its own sandbox directory."""
    inst = Instance(instance_id, tags, account, region, online)
    for d in MOUNTED + ("ssm", "tmp"):
        (inst.sandbox / d).mkdir(parents=True, exist_ok=True)
    with LOCK:
        REGISTERED.setdefault((account, region), {})[instance_id] = inst
    return inst


def managed(account: str, region: str) -> dict[str, Instance]:
    """Every managed instance of an account and region, by ID."""
    from moto.ec2.models import ec2_backends

    with LOCK:
        found = dict(REGISTERED.get((account, region), {}))
    try:
        ec2 = ec2_backends[account][region]
        reservations = ec2.all_reservations()
    except Exception:
        reservations = []
    for r in reservations:
        for i in r.instances:
            if i.id in found or i.state != "running":
                continue
            tags = {t["key"]: t["value"] for t in ec2.describe_tags(filters={"resource-id": [i.id]})}
            found[i.id] = register(i.id, tags, account, region)
    return found


def _matches(inst: Instance, targets: list[dict]) -> bool:
    for t in targets:
        key, values = t.get("Key", ""), t.get("Values", [])
        if key == "InstanceIds":
            ok = inst.id in values
        elif key.startswith("tag:"):
            ok = inst.tags.get(key[4:]) in values
        elif key == "tag-key":
            ok = any(v in inst.tags for v in values)
        else:
            ok = False
        if not ok:
            return False
    return True


# -- the agent ---------------------------------------------------------------------------------


def _namespace_works() -> bool:
    if shutil.which("unshare") is None:
        return False
    try:
        return subprocess.run(["unshare", "-rm", "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


NAMESPACES: bool | None = None


class Invocation:
    """One command on one instance, as the agent runs it."""

    def __init__(self, command: Any, inst: Instance):
        self.command = command
        self.instance = inst
        self.visible_at = time.time() + SETTINGS.visibility_delay
        self.status = "Pending"
        self.details = "Pending"
        self.code = -1
        self.stdout = ""
        self.stderr = ""
        self.started: float | None = None
        self.ended: float | None = None
        self.process: subprocess.Popen | None = None
        self.cancelled = False

    @property
    def visible(self) -> bool:
        return time.time() >= self.visible_at

    def start(self) -> None:
        if not self.instance.online:
            return
        threading.Thread(target=self._run, daemon=True, name=f"ssm-{self.command.command_id}").start()

    def _set(self, status: str, details: str) -> None:
        with LOCK:
            self.status, self.details = status, details
            _refresh_command(self.command)
            CHANGED.notify_all()

    def _run(self) -> None:
        time.sleep(max(0.0, self.visible_at - time.time()) + 0.2)
        if self.cancelled:
            return
        params = self.command.parameters or {}
        lines = params.get("commands") or []
        workdir = (params.get("workingDirectory") or [""])[0]
        try:
            timeout = float((params.get("executionTimeout") or ["3600"])[0])
        except ValueError:
            timeout = 3600.0
        sandbox = self.instance.sandbox
        run_dir = sandbox / "ssm" / self.command.command_id
        run_dir.mkdir(parents=True, exist_ok=True)
        script = run_dir / "_script.sh"
        script.write_text("\n".join(lines) + "\n")
        self.started = time.time()
        self._set("InProgress", "InProgress")
        global NAMESPACES
        if NAMESPACES is None:
            NAMESPACES = _namespace_works()
        env = {
            "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
            "HOME": "/home/ssm-user" if NAMESPACES else str(sandbox / "home"),
            "LANG": "C.UTF-8",
            "TMPDIR": str(sandbox / "tmp"),
            "AWS_ENDPOINT_URL": SETTINGS.endpoint_url,
            "AWS_ACCESS_KEY_ID": "instance-profile",
            "AWS_SECRET_ACCESS_KEY": "instance-profile",
            "AWS_DEFAULT_REGION": self.instance.region,
            "AWS_REGION": self.instance.region,
        }
        cwd = workdir or str(run_dir)
        if NAMESPACES:
            (sandbox / "home" / "ssm-user").mkdir(parents=True, exist_ok=True)
            mounts = " && ".join(f"mount --bind {sandbox / d} /{d}" for d in MOUNTED)
            inner = f'{mounts} && cd "$1" && exec bash "$2"'
            argv = ["unshare", "-rm", "bash", "-c", inner, "ferrops-agent", cwd, str(script)]
        else:
            if workdir:
                cwd = str(sandbox / workdir.lstrip("/"))
            argv = ["bash", "-c", 'cd "$1" && exec bash "$2"', "ferrops-agent", cwd, str(script)]
        try:
            self.process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                            start_new_session=True)
            out, err = self.process.communicate(timeout=timeout)
            code = self.process.returncode
            timed_out = False
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            out, err = self.process.communicate()
            code, timed_out = -1, True
        except OSError as e:
            out, err, code, timed_out = b"", str(e).encode(), 1, False
        self.ended = time.time()
        full_out, full_err = out.decode(errors="replace"), err.decode(errors="replace")
        with LOCK:
            self.stdout, self.stderr = full_out[:STDOUT_LIMIT], full_err[:STDERR_LIMIT]
            self.code = code
        self._store_output(full_out, full_err)
        if self.cancelled:
            self._set("Cancelled", "Cancelled")
        elif timed_out:
            self._set("TimedOut", "ExecutionTimedOut")
        elif code == 0:
            self._set("Success", "Success")
        else:
            self._set("Failed", "Failed")

    def _store_output(self, out: str, err: str) -> None:
        bucket = self.command.output_s3_bucket_name
        if not bucket:
            return
        from moto.s3.models import s3_backends

        prefix = self.command.output_s3_key_prefix.rstrip("/")
        base = f"{prefix + '/' if prefix else ''}{self.command.command_id}/{self.instance.id}/awsrunShellScript/0.awsrunShellScript"
        s3 = s3_backends[self.instance.account]["aws"]
        try:
            s3.put_object(bucket, f"{base}/stdout", out.encode())
            if err:
                s3.put_object(bucket, f"{base}/stderr", err.encode())
        except Exception as e:  # AWS reports an output failure in the details, the run stands
            self.stderr = (self.stderr + f"\nfailed to upload the output to s3://{bucket}/{base}: {e}")[:STDERR_LIMIT]

    def cancel(self) -> None:
        self.cancelled = True
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        elif self.status == "Pending":
            self.ended = time.time()
            self._set("Cancelled", "Cancelled")

    def answer(self) -> dict:
        """The GetCommandInvocation reply."""
        c = self.command
        elapsed = (self.ended or time.time()) - self.started if self.started else 0.0
        return {
            "CommandId": c.command_id,
            "InstanceId": self.instance.id,
            "Comment": c.comment,
            "DocumentName": c.document_name,
            "DocumentVersion": "$DEFAULT",
            "PluginName": PLUGIN,
            "ResponseCode": self.code,
            "ExecutionStartDateTime": core.iso(self.started) if self.started else "",
            "ExecutionElapsedTime": f"PT{elapsed:.3f}S",
            "ExecutionEndDateTime": core.iso(self.ended) if self.ended else "",
            "Status": self.status,
            "StatusDetails": self.details,
            "StandardOutputContent": self.stdout,
            "StandardOutputUrl": "",
            "StandardErrorContent": self.stderr,
            "StandardErrorUrl": "",
            "CloudWatchOutputConfig": {"CloudWatchOutputEnabled": False},
        }

    def listed(self, details: bool) -> dict:
        """The ListCommandInvocations entry."""
        c = self.command
        entry: dict[str, Any] = {
            "CommandId": c.command_id,
            "InstanceId": self.instance.id,
            "InstanceName": self.instance.tags.get("Name", ""),
            "Comment": c.comment,
            "DocumentName": c.document_name,
            "DocumentVersion": "$DEFAULT",
            "RequestedDateTime": c.requested_date_time,
            "Status": self.status,
            "StatusDetails": self.details,
            "StandardOutputUrl": "",
            "StandardErrorUrl": "",
            "CommandPlugins": [],
        }
        if details:
            plugin: dict[str, Any] = {
                "Name": PLUGIN,
                "Status": self.status,
                "StatusDetails": self.details,
                "ResponseCode": self.code,
                "Output": (self.stdout + ("\n----------ERROR-------\n" + self.stderr if self.stderr else ""))[:2500],
                "StandardOutputUrl": "",
                "StandardErrorUrl": "",
            }
            if self.started:
                plugin["ResponseStartDateTime"] = datetime.datetime.fromtimestamp(self.started, datetime.timezone.utc)
            if self.ended:
                plugin["ResponseFinishDateTime"] = datetime.datetime.fromtimestamp(self.ended, datetime.timezone.utc)
            entry["CommandPlugins"] = [plugin]
        return entry


FINAL = {"Success", "Failed", "TimedOut", "Cancelled"}


def _refresh_command(command: Any) -> None:
    invs = list(command._ferrops_invocations.values())
    command.completed_count = sum(1 for i in invs if i.status in FINAL)
    command.error_count = sum(1 for i in invs if i.status in ("Failed", "TimedOut"))
    statuses = {i.status for i in invs}
    if not invs:
        command.status = "Success"
    elif statuses <= FINAL:
        for s in ("Cancelled", "TimedOut", "Failed"):
            if s in statuses:
                command.status = s
                break
        else:
            command.status = "Success"
    elif statuses & {"InProgress"} or statuses & FINAL:
        command.status = "InProgress"
    else:
        command.status = "Pending"
    command.status_details = command.status


# -- patched moto pieces -------------------------------------------------------------------------

_original_send_command = ssm_models.SimpleSystemManagerBackend.send_command


def send_command(self, **kwargs: Any):
    if kwargs.get("document_name") != "AWS-RunShellScript":
        raise JsonRESTError("InvalidDocument", f"The local agent runs only AWS-RunShellScript, not {kwargs.get('document_name')}")
    instances = managed(self.account_id, self.region_name)
    ids = list(kwargs.get("instance_ids") or [])
    unknown = [i for i in ids if i not in instances]
    if unknown:
        raise JsonRESTError("InvalidInstanceId", f"Instances {unknown} not in a valid state for account {self.account_id}")
    targets = kwargs.get("targets") or []
    if targets:
        ids = [i.id for i in instances.values() if _matches(i, targets)]
    kwargs["instance_ids"] = []
    command = _original_send_command(self, **kwargs)
    command.instance_ids = ids
    command.target_count = len(ids)
    command.invocations = []
    command._ferrops_invocations = {i: Invocation(command, instances[i]) for i in ids}
    with LOCK:
        _refresh_command(command)
    for inv in command._ferrops_invocations.values():
        inv.start()
    return command


def _invocations(command: Any) -> dict[str, Invocation]:
    return getattr(command, "_ferrops_invocations", {})


def get_invocation(self, instance_id: str, plugin_name: str | None) -> dict:
    inv = _invocations(self).get(instance_id)
    if inv is None or not inv.visible or (plugin_name is not None and plugin_name != PLUGIN):
        raise JsonRESTError("InvocationDoesNotExist", "")
    with LOCK:
        return inv.answer()


def list_command_invocations(self: SimpleSystemManagerResponse) -> ActionResult:
    p = validate_request(self, "ListCommandInvocations")
    backend = self.ssm_backend
    if p.get("CommandId"):
        commands = [backend.get_command_by_id(p["CommandId"])]
    else:
        commands = list(backend._commands)
    entries = []
    with LOCK:
        for c in commands:
            for inv in _invocations(c).values():
                if not inv.visible or (p.get("InstanceId") and inv.instance.id != p["InstanceId"]):
                    continue
                entries.append(inv.listed(bool(p.get("Details"))))
    return ActionResult(core.page(entries, p.get("NextToken"), p.get("MaxResults") or 50, "CommandInvocations",
                                  "InvalidNextToken"))


def describe_instance_information(self: SimpleSystemManagerResponse) -> ActionResult:
    p = validate_request(self, "DescribeInstanceInformation")
    instances = sorted(managed(self.current_account, self.region).values(), key=lambda i: i.id)
    wanted: list[dict] = [{"Key": f["key"], "Values": f["valueSet"]} for f in p.get("InstanceInformationFilterList") or []]
    wanted += p.get("Filters") or []
    for f in wanted:
        key, values = f["Key"], f["Values"]
        if key == "InstanceIds":
            instances = [i for i in instances if i.id in values]
        elif key == "PingStatus":
            instances = [i for i in instances if ("Online" if i.online else "ConnectionLost") in values]
        elif key in ("PlatformTypes", "PlatformType"):
            instances = [i for i in instances if "Linux" in values]
        elif key == "ResourceType":
            instances = [i for i in instances if ("EC2Instance" if i.id.startswith("i-") else "ManagedInstance") in values]
        elif key.startswith("tag:"):
            instances = [i for i in instances if i.tags.get(key[4:]) in values]
        elif key == "tag-key":
            instances = [i for i in instances if any(v in i.tags for v in values)]
        elif key in ("AgentVersion", "AssociationStatus", "ActivationIds", "IamRole"):
            pass
        else:
            raise JsonRESTError("InvalidInstanceInformationFilterValue", f"The filter key {key} is not valid")
    entries = [
        {
            "InstanceId": i.id,
            "PingStatus": "Online" if i.online else "ConnectionLost",
            "LastPingDateTime": datetime.datetime.now(datetime.timezone.utc),
            "AgentVersion": "3.3.0.0",
            "IsLatestVersion": True,
            "PlatformType": "Linux",
            "PlatformName": "Amazon Linux",
            "PlatformVersion": "2023",
            "ResourceType": "EC2Instance" if i.id.startswith("i-") else "ManagedInstance",
            "ComputerName": i.tags.get("Name", i.id),
            "IPAddress": "127.0.0.1",
        }
        for i in instances
    ]
    return ActionResult(core.page(entries, p.get("NextToken"), p.get("MaxResults") or 50,
                                  "InstanceInformationList", "InvalidNextToken"))


def cancel_command(self: SimpleSystemManagerResponse) -> ActionResult:
    p = validate_request(self, "CancelCommand")
    command = self.ssm_backend.get_command_by_id(p["CommandId"])
    for iid, inv in _invocations(command).items():
        if not p.get("InstanceIds") or iid in p["InstanceIds"]:
            inv.cancel()
    return ActionResult({})


def validate_request(response: Any, operation: str) -> dict:
    return validate.parsed(SERVICE, operation, response.body)


_original_send_command_response = SimpleSystemManagerResponse.send_command


def send_command_response(self: SimpleSystemManagerResponse) -> ActionResult:
    validate_request(self, "SendCommand")
    return _original_send_command_response(self)


def install() -> None:
    ssm_models.SimpleSystemManagerBackend.send_command = send_command
    ssm_models.Command.get_invocation = get_invocation
    SimpleSystemManagerResponse.send_command = send_command_response
    SimpleSystemManagerResponse.list_command_invocations = list_command_invocations
    SimpleSystemManagerResponse.describe_instance_information = describe_instance_information
    SimpleSystemManagerResponse.cancel_command = cancel_command
