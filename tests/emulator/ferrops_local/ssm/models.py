"""SSM's state beyond moto's: the managed instances and each command's invocations."""

from __future__ import annotations

import datetime
import subprocess
import time
from pathlib import Path
from typing import Any

from moto.ec2.models import ec2_backends
from moto.ssm import models as moto_models

from ..core.settings import SETTINGS
from ..core.state import CHANGED, LOCK
from ..core.utils import iso, page
from . import workers
from .exceptions import (
    InvalidDocument,
    InvalidInstanceId,
    InvalidInstanceInformationFilterValue,
    InvalidNextToken,
    InvocationDoesNotExist,
)

PLUGIN = "aws:runShellScript"
FINAL = {"Success", "Failed", "TimedOut", "Cancelled"}


class Instance:
    def __init__(self, instance_id: str, tags: dict[str, str], account: str, region: str, online: bool = True):
        self.id = instance_id
        # An offline agent accepts nothing: its commands stay Pending, as SSM's do.
        self.online = online
        self.tags = tags
        self.account = account
        self.region = region

    @property
    def sandbox(self) -> Path:
        return SETTINGS.state_dir.resolve() / "instances" / self.account / self.id

    def matches(self, targets: list[dict]) -> bool:
        """Whether SendCommand's `Targets` select this instance."""
        for t in targets:
            key, values = t.get("Key", ""), t.get("Values", [])
            if key == "InstanceIds":
                ok = self.id in values
            elif key.startswith("tag:"):
                ok = self.tags.get(key[4:]) in values
            elif key == "tag-key":
                ok = any(v in self.tags for v in values)
            else:
                ok = False
            if not ok:
                return False
        return True


class Invocation:
    """One command on one instance: its status and output, which the agent fills in."""

    def __init__(self, command: Any, instance: Instance, invocations: dict[str, "Invocation"]):
        self.command = command
        self.instance = instance
        # Every invocation of the same command, which together decide the command's status.
        self.siblings = invocations
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

    def set_status(self, status: str, details: str) -> None:
        with LOCK:
            self.status, self.details = status, details
            _refresh(self.command, self.siblings.values())
            CHANGED.notify_all()

    def cancel(self) -> None:
        self.cancelled = True
        if not workers.kill(self) and self.status == "Pending":
            self.ended = time.time()
            self.set_status("Cancelled", "Cancelled")

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
            "ExecutionStartDateTime": iso(self.started) if self.started else "",
            "ExecutionElapsedTime": f"PT{elapsed:.3f}S",
            "ExecutionEndDateTime": iso(self.ended) if self.ended else "",
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


def _refresh(command: Any, invocations: Any) -> None:
    """The command's status and counts, from its invocations', as SSM derives them."""
    invs = list(invocations)
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


class SimpleSystemManagerBackend(moto_models.SimpleSystemManagerBackend):
    def __init__(self, region_name: str, account_id: str):
        super().__init__(region_name, account_id)
        # The instances registered through the control API, by ID.
        self.registered: dict[str, Instance] = {}
        # Command ID -> instance ID -> its invocation.
        self.invocations: dict[str, dict[str, Invocation]] = {}

    def reset(self) -> None:
        with LOCK:
            running = [i for invs in self.invocations.values() for i in invs.values()]
        for inv in running:
            inv.cancel()
        super().reset()

    # -- instances -----------------------------------------------------------------------------

    def register(self, instance_id: str, tags: dict[str, str], online: bool = True) -> Instance:
        """Makes `instance_id` a managed instance with its own sandbox directory."""
        inst = Instance(instance_id, tags, self.account_id, self.region_name, online)
        workers.prepare(inst.sandbox)
        with LOCK:
            self.registered[instance_id] = inst
        return inst

    def managed(self) -> dict[str, Instance]:
        """Every managed instance, by ID: the registered ones and moto's running EC2 instances."""
        with LOCK:
            found = dict(self.registered)
        try:
            ec2 = ec2_backends[self.account_id][self.region_name]
            reservations = ec2.all_reservations()
        except Exception:
            reservations = []
        for r in reservations:
            for i in r.instances:
                if i.id in found or i.state != "running":
                    continue
                tags = {t["key"]: t["value"] for t in ec2.describe_tags(filters={"resource-id": [i.id]})}
                found[i.id] = self.register(i.id, tags)
        return found

    # -- commands ------------------------------------------------------------------------------

    def send_command(self, **kwargs: Any) -> Any:
        if kwargs.get("document_name") != "AWS-RunShellScript":
            raise InvalidDocument(f"The local agent runs only AWS-RunShellScript, not {kwargs.get('document_name')}")
        instances = self.managed()
        ids = list(kwargs.get("instance_ids") or [])
        unknown = [i for i in ids if i not in instances]
        if unknown:
            raise InvalidInstanceId(f"Instances {unknown} not in a valid state for account {self.account_id}")
        targets = kwargs.get("targets") or []
        if targets:
            ids = [i.id for i in instances.values() if i.matches(targets)]
        kwargs["instance_ids"] = []
        command = super().send_command(**kwargs)
        command.instance_ids = ids
        command.target_count = len(ids)
        # The invocations are ours; moto's would answer Success at once.
        command.invocations = []
        invocations: dict[str, Invocation] = {}
        for i in ids:
            invocations[i] = Invocation(command, instances[i], invocations)
        with LOCK:
            self.invocations[command.command_id] = invocations
            _refresh(command, invocations.values())
        for inv in invocations.values():
            if inv.instance.online:
                workers.start(inv)
        return command

    def get_command_invocation(self, command_id: str, instance_id: str, plugin_name: str | None) -> dict:
        self.get_command_by_id(command_id)
        inv = self.invocations.get(command_id, {}).get(instance_id)
        if inv is None or not inv.visible or (plugin_name is not None and plugin_name != PLUGIN):
            raise InvocationDoesNotExist()
        with LOCK:
            return inv.answer()

    def list_command_invocations(self, command_id: str | None, instance_id: str | None, details: bool,
                                 next_token: str | None, max_results: int | None) -> dict:
        commands = [self.get_command_by_id(command_id)] if command_id else list(self._commands)
        entries = []
        with LOCK:
            for c in commands:
                for inv in self.invocations.get(c.command_id, {}).values():
                    if not inv.visible or (instance_id and inv.instance.id != instance_id):
                        continue
                    entries.append(inv.listed(details))
        return page(entries, next_token, max_results or 50, "CommandInvocations", InvalidNextToken)

    def cancel_command(self, command_id: str, instance_ids: list[str] | None) -> None:
        self.get_command_by_id(command_id)
        for iid, inv in self.invocations.get(command_id, {}).items():
            if not instance_ids or iid in instance_ids:
                inv.cancel()

    def describe_instance_information(self, filters: list[dict], next_token: str | None,
                                      max_results: int | None) -> dict:
        instances = sorted(self.managed().values(), key=lambda i: i.id)
        for f in filters:
            key, values = f["Key"], f["Values"]
            if key == "InstanceIds":
                instances = [i for i in instances if i.id in values]
            elif key == "PingStatus":
                instances = [i for i in instances if ("Online" if i.online else "ConnectionLost") in values]
            elif key in ("PlatformTypes", "PlatformType"):
                instances = [i for i in instances if "Linux" in values]
            elif key == "ResourceType":
                instances = [i for i in instances if _resource_type(i) in values]
            elif key.startswith("tag:"):
                instances = [i for i in instances if i.tags.get(key[4:]) in values]
            elif key == "tag-key":
                instances = [i for i in instances if any(v in i.tags for v in values)]
            elif key in ("AgentVersion", "AssociationStatus", "ActivationIds", "IamRole"):
                pass
            else:
                raise InvalidInstanceInformationFilterValue(f"The filter key {key} is not valid")
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
                "ResourceType": _resource_type(i),
                "ComputerName": i.tags.get("Name", i.id),
                "IPAddress": "127.0.0.1",
            }
            for i in instances
        ]
        return page(entries, next_token, max_results or 50, "InstanceInformationList", InvalidNextToken)


def _resource_type(instance: Instance) -> str:
    return "EC2Instance" if instance.id.startswith("i-") else "ManagedInstance"
