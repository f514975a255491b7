"""The Python steps of the bash scripts in scripts/, one module per script.

They live here, beside the scripts that run them, rather than in heredocs: a step is then read,
linted and tested as Python. scripts/lib.sh runs them with the project venv (`tool MODULE ...`),
so they may use what scripts/requirements.txt installs. The local AWS's own clients that tests
use (tests/emulator) stay with the tests; what is here only serves a script.

- local: lib.sh's helpers for a local stage (free ports, waiting, reset)
- deploy: scripts/deploy's parameters for a template
- package: the zips and the template of a local stage, built for this machine
- progress: one line per phase of a cargo build, its whole output in a log
- bench: scripts/bench's events, seeded jobs, result rows and report section
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
