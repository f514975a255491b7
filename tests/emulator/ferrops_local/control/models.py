"""The local AWS's state that belongs to no service: the AWS calls it received.

It lives on a `BackendDict` of its own, like every service's state, so moto's reset clears it."""

from __future__ import annotations

import collections
import time

from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.base_backend import BackendDict, BaseBackend

KEEP = 100_000


class ControlBackend(BaseBackend):
    def __init__(self, region_name: str, account_id: str):
        super().__init__(region_name, account_id)
        # The AWS calls received, so the demo can count what each function asked for.
        self.requests: collections.deque = collections.deque(maxlen=KEEP)

    def record(self, environ: dict) -> None:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        agent = environ.get("HTTP_USER_AGENT", "")
        sdk = "rust" if "aws-sdk-rust" in agent else "python" if "Boto" in agent or "botocore" in agent else "other"
        self.requests.append({"time": time.time(),
                              "target": target or f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')}",
                              "sdk": sdk})

    def requests_since(self, t: float) -> list[dict]:
        return [e for e in list(self.requests) if e["time"] >= t]


control_backends = BackendDict(ControlBackend, "ferrops", use_boto3_regions=False, additional_regions=["aws"])


def control_backend() -> ControlBackend:
    """The one control backend: the calls it records come from every account and region."""
    return control_backends[DEFAULT_ACCOUNT_ID]["aws"]
