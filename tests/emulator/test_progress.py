"""scripts/ferrops_tools/progress.py: a cargo build shown as one line per phase, its output kept in a log.

Fed recorded-shape cargo output; no build runs.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

from ferrops_tools import progress  # noqa: E402


def deps(n: int, verb: str = "Compiling") -> list[str]:
    return [f"   {verb} dep-{i} v1.{i}.0\n" for i in range(n)]


def workspace(*names: str) -> list[str]:
    return [f"   Compiling {n} v0.1.0 ({ROOT}/functions/{n})\n" for n in names]


FINISHED = "    Finished `dev` profile [unoptimized + debuginfo] target(s) in 1m 34s\n"
RUST_ERROR = [
    "error[E0432]: unresolved import `lambda_runtime`\n",
    "  --> shared/ferrops/src/lib.rs:31:13\n",
    "   |\n",
    "31 |     pub use lambda_runtime::Diagnostic;\n",
    "For more information about this error, try `rustc --explain E0432`.\n",
    "error: could not compile `ferrops` (lib) due to 1 previous error\n",
]


def build_output(n_deps: int = 120) -> list[str]:
    return (["    Updating crates.io index\n", " Downloading crates ...\n"]
            + [f"  Downloaded dep-{i} v1.{i}.0\n" for i in range(40)]
            + deps(n_deps) + workspace("ferrops", "pipeline-runner", "alexa-skill") + [FINISHED])


def show(lines: list[str], tty: bool = False, total: int | None = None, width: int = 100,
         log: Path = Path("target/build-host.log")) -> str:
    out = io.StringIO()
    p = progress.Progress(out, log, tty=tty, width=width, clock=iter([0.0, 42.4]).__next__)
    p.total = total
    for line in lines:
        p.feed(line)
    p.close()
    return out.getvalue()


def test_a_build_shows_one_line_per_phase_and_how_long_it_took():
    printed = show(build_output(), total=120).splitlines()
    assert printed[0] == "  updating the crates.io index"
    assert printed[1] == "  downloading crates: 40"
    dependency_lines = [line for line in printed if "dependencies" in line]
    assert dependency_lines[-1] == "  compiling dependencies: 120 of 120 crates"
    assert printed[-2] == "  compiling ferrops, pipeline-runner, alexa-skill"
    assert printed[-1] == "  finished in 42 s (log: target/build-host.log)"
    assert not any("Compiling" in line or "Downloaded" in line for line in printed)


def test_without_a_terminal_the_dependencies_print_once_per_tenth():
    printed = show(deps(300) + [FINISHED], total=300).splitlines()
    lines = [line for line in printed if "dependencies" in line]
    assert lines[0] == "  compiling dependencies: 1 of 300 crates"
    assert lines[-1] == "  compiling dependencies: 300 of 300 crates"
    # The first crate, each tenth after it, and the end: never one line per crate.
    assert len(lines) == 11
    assert [int(line.split(": ")[1].split()[0]) for line in lines] == [1, 30, 60, 90, 120, 150, 180, 210, 240,
                                                                       270, 300]


def test_without_a_total_the_dependencies_print_every_fifty():
    lines = [line for line in show(deps(120) + [FINISHED]).splitlines() if "dependencies" in line]
    assert lines == ["  compiling dependencies: 1 crate", "  compiling dependencies: 50 crates",
                     "  compiling dependencies: 100 crates", "  compiling dependencies: 120 crates"]


def test_more_crates_than_the_estimate_drop_the_total_rather_than_overshoot_it():
    lines = [line for line in show(deps(12) + [FINISHED], total=10).splitlines() if "dependencies" in line]
    assert lines[-1] == "  compiling dependencies: 12 crates"
    assert not any("of 10" in line and "11" in line for line in lines)


def test_a_crate_built_for_the_host_and_for_the_target_counts_once():
    printed = show(deps(5) + deps(5) + [FINISHED])
    assert "compiling dependencies: 5 crates" in printed


def test_on_a_terminal_each_phase_is_one_line_rewritten_in_place():
    out = show(build_output(30), tty=True, total=30, width=40)
    finished_lines = out.split("\n")
    # Four phases and the closing line, each ending its own line; the rest are carriage returns.
    assert len([line for line in finished_lines if line]) == 4 + 1
    assert out.count("\r") > 30
    last_rewrite = finished_lines[2].split("\r")
    assert last_rewrite[-1] == "  compiling dependencies: 30 of 30 crates\x1b[K"
    # While a phase runs its line fits the terminal, so the carriage return rewrites one row.
    rewrites = [chunk for line in finished_lines for chunk in line.split("\r")[:-1] if chunk]
    assert rewrites and all(len(chunk.replace("\x1b[K", "")) < 40 for chunk in rewrites)


def test_crates_of_an_earlier_phase_arriving_later_do_not_move_the_display_back():
    lines = show(deps(3) + workspace("ferrops") + ["   Compiling late-dep v9.0.0\n"]
                 + workspace("config-rules") + [FINISHED]).splitlines()
    assert lines == ["  compiling dependencies: 1 crate", "  compiling dependencies: 3 crates",
                     "  compiling ferrops, config-rules", lines[-1]]
    assert lines[-1].startswith("  finished in")


def test_a_failed_build_shows_its_error_and_where_the_log_is():
    printed = show(deps(3) + workspace("ferrops") + RUST_ERROR, log=Path("/var/tmp/build-host.log"))
    assert "the build failed after 42 s" in printed
    for line in RUST_ERROR:
        assert f"    {line.rstrip()}" in printed.splitlines()
    assert printed.splitlines()[-1] == "  the whole log: /var/tmp/build-host.log"
    assert "finished in" not in printed


def test_a_build_that_stops_without_finishing_failed_even_without_an_error_line():
    # Killed (out of memory, a signal): cargo never says Finished.
    assert "the build failed" in show(deps(3))


def test_the_failure_excerpt_keeps_the_first_error_and_cuts_long_lines():
    dump = [f"  CFLAGS_{i} = None\n" for i in range(progress.TAIL + 5)]
    command = "  cargo:warning=ToolExecError: " + "-I /very/long/include " * 100 + "\n"
    printed = show(deps(2) + ["error: failed to run custom build command for `aws-lc-sys v0.47.0`\n"] + dump
                   + [command]).splitlines()
    start = printed.index("  the build failed after 42 s; the end of its log:")
    excerpt = printed[start + 1:-1]
    assert excerpt[0] == "    error: failed to run custom build command for `aws-lc-sys v0.47.0`"
    assert excerpt[1] == "    ..."
    assert len(excerpt) == 2 + progress.TAIL
    assert all(len(line) <= 4 + progress.LINE for line in excerpt)
    assert excerpt[-1].endswith("...")


def test_coloured_output_is_read_as_plain():
    coloured = ["\x1b[1m\x1b[92m   Compiling\x1b[0m dep-a v1.0.0\n",
                f"\x1b[1m\x1b[92m   Compiling\x1b[0m ferrops v0.1.0 ({ROOT}/shared/ferrops)\n",
                "\x1b[1m\x1b[92m    Finished\x1b[0m `release` profile [optimized] target(s) in 3.2s\n"]
    assert show(coloured).splitlines()[:2] == ["  compiling dependencies: 1 crate", "  compiling ferrops"]


def test_cargo_tree_output_counts_each_registry_crate_once():
    tree = "\n".join([
        f"alexa-skill v0.1.0 ({ROOT}/functions/alexa-skill)",
        "aws-sdk-codepipeline v1.131.0",
        "rustversion v1.0.23 (proc-macro)",
        "aws-sdk-codepipeline v1.131.0 (*)",
        f"ferrops v0.1.0 ({ROOT}/shared/ferrops)",
        "syn v1.0.109",
        "syn v2.0.119",
        "",
    ])
    assert progress.count_dependencies(tree) == 4


@pytest.mark.skipif(shutil.which("cargo") is None, reason="needs cargo")
def test_the_total_comes_from_cargo_tree_and_is_none_when_cargo_cannot_tell():
    assert progress.dependency_total(["no-such-package"], None) is None
    total = progress.dependency_total(["pipeline-runner"], None)
    if total is None:
        pytest.skip("cargo tree --offline cannot resolve here (crates not downloaded)")
    # pipeline-runner is built on the AWS SDK: far more than a handful of crates.
    assert total > 50


def test_the_filter_logs_every_byte_and_the_pipeline_keeps_the_builds_exit_status(tmp_path: Path):
    recorded = tmp_path / "cargo.out"
    text = "".join(build_output(20)[:-1] + RUST_ERROR)
    recorded.write_text(text + "caf\xe9 \udcff\n", errors="surrogateescape")
    log = tmp_path / "logs" / "build-host.log"
    script = (f'source "{ROOT}/scripts/lib.sh"; set -o pipefail; '
              f'{{ cat "{recorded}"; exit 101; }} 2>&1 | tool progress "{log}"')
    env = dict(os.environ, FERROPS_VENV=sys.prefix, CI="true")
    done = subprocess.run(["bash", "-c", script], capture_output=True, env=env, cwd=tmp_path)
    assert done.returncode == 101
    assert log.read_bytes() == recorded.read_bytes()
    printed = done.stderr.decode()
    # The log is named relative to where the script runs, as the scripts cd to the repository.
    assert "the build failed" in printed and "the whole log: logs/build-host.log" in printed
    assert "Compiling" not in printed
    assert len(printed.splitlines()) < 25
    assert done.stdout == b""
