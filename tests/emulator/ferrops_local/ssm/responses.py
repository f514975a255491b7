"""SSM's operations as the additions answer them."""

from __future__ import annotations

from moto.core.responses import ActionResult
from moto.ssm import responses as moto_responses

from ..core.validation import ValidatedResponse


class SimpleSystemManagerResponse(ValidatedResponse, moto_responses.SimpleSystemManagerResponse):
    # `ssm_backend` is the grafted SimpleSystemManagerBackend of models.py, whose send_command
    # and get_command_invocation hand the command to the local agent and answer what it did.

    def send_command(self) -> ActionResult:
        self.validated()
        return super().send_command()

    def list_command_invocations(self) -> ActionResult:
        p = self.validated()
        return ActionResult(self.ssm_backend.list_command_invocations(
            p.get("CommandId"), p.get("InstanceId"), bool(p.get("Details")), p.get("NextToken"), p.get("MaxResults")))

    def describe_instance_information(self) -> ActionResult:
        p = self.validated()
        filters = [{"Key": f["key"], "Values": f["valueSet"]} for f in p.get("InstanceInformationFilterList") or []]
        filters += p.get("Filters") or []
        return ActionResult(self.ssm_backend.describe_instance_information(filters, p.get("NextToken"),
                                                                           p.get("MaxResults")))

    def cancel_command(self) -> ActionResult:
        p = self.validated()
        self.ssm_backend.cancel_command(p["CommandId"], p.get("InstanceIds"))
        return ActionResult({})
