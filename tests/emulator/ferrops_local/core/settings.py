"""How the local AWS reaches the world outside moto, set once from the command line."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

# The one list of our functions is the workspace itself: every crate under functions/.
FUNCTIONS_DIR = Path(__file__).resolve().parents[4] / "functions"


def function_binaries() -> list[str]:
    """The binary of every function in the workspace, which `cargo lambda watch` serves by name."""
    return sorted(p.parent.name for p in FUNCTIONS_DIR.glob("*/Cargo.toml"))


@dataclass
class Settings:
    # `cargo lambda watch`'s Invoke API, e.g. http://127.0.0.1:9001; None = functions cannot run.
    lambda_endpoint: str | None = None
    # The function binaries `cargo lambda watch` serves; a deployed function runs the binary its
    # name ends with (ferrops-local-pipeline-runner runs pipeline-runner).
    binaries: list[str] = field(default_factory=function_binaries)
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
