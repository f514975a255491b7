"""How the local AWS reaches the world outside moto, set once from the command line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class Settings:
    # Where each local instance keeps its sandbox directory.
    state_dir: Path = Path("target/local-aws")
    # The endpoint functions and commands on local instances use to reach this AWS: its HTTPS
    # endpoint when it serves one.
    endpoint_url: str = ""
    # The CA that signed the HTTPS endpoint's certificate, for clients to trust; "" without TLS.
    ca_bundle: str = ""
    # How long a command stays invisible to GetCommandInvocation after SendCommand.
    visibility_delay: float = 1.0
    # CodePipeline's wait before re-invoking a function that replied with a continuation token.
    continuation_delay: float = 1.0
    # How long a Lambda action may go without a job result before it times out (AWS: 20 min).
    job_timeout: float = 20 * 60.0


SETTINGS = Settings()
