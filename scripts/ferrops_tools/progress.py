"""Shows a cargo build as one progress line per phase, and keeps its whole output in a log.

  cargo build ... 2>&1 | progress LOG [--target TRIPLE] [-p NAME ...]

Reads cargo's (or cargo lambda's) output on stdin and writes every line of it to LOG. On stderr it
shows one line per phase of the build: waiting for another cargo's lock, updating the index,
downloading crates, compiling the dependencies (with how many there are in all, from `cargo tree`
for the `-p` packages and the target), compiling the workspace's own crates, and how long it took.
On a terminal each line is rewritten in place; elsewhere (a pipe, or CI set as CI services set it)
a phase prints at most one line per tenth of its work, so a log of the script stays short. When the build fails, it shows the
last lines of the log that are not per-crate progress, and where the whole log is.

It always exits 0 once its input ends: the build's own status is the pipeline's (pipefail).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections import deque
from pathlib import Path
from typing import Callable, Iterable, TextIO

from . import ROOT

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
CRATE = re.compile(r"^\s*(Compiling|Checking|Documenting)\s+(\S+)\s+v(\S+)(?:\s+\((.*)\))?\s*$")
DOWNLOADED = re.compile(r"^\s*Downloaded\s+(\S+)\s+v(\S+)")
TREE_LINE = re.compile(r"^(\S+) v(\S+)(?: \(([^)]*)\))?")
ERROR = re.compile(r"^(error|Error)\b")
# cargo's per-crate and status lines: the failure excerpt leaves them out to show the error.
NOISE = re.compile(r"^\s*(Compiling|Checking|Documenting|Downloaded|Downloading|Fresh|Updating|Locking|Adding"
                   r"|Blocking|Finished)\s")
TAIL = 30
LINE = 240  # a failure excerpt's lines are cut here: a compiler's command line can run to pages

# Phases in the order a build goes through them; a line of an earlier phase arriving later (a
# dependency compiled beside the workspace's crates) is counted but does not move the display back.
LOCK, INDEX, DOWNLOAD, DEPENDENCIES, WORKSPACE = range(5)


def is_local(where: str | None) -> bool:
    """Whether cargo's parenthesised source is a path: a crate of this workspace (or a path dependency)."""
    return bool(where) and (where.startswith("/") or re.match(r"^[A-Za-z]:[\\/]", where) is not None)


def dependency_total(packages: list[str], target: str | None, root: Path = ROOT) -> int | None:
    """How many distinct dependencies (normal and build) building `packages` for `target` involves,
    from `cargo tree`, which resolves features as the build does; None when it cannot tell."""
    cmd = ["cargo", "tree", "--offline", "--locked", "-e", "normal,build", "--prefix", "none",
           "--manifest-path", str(root / "Cargo.toml")]
    if target:
        cmd += ["--target", target]
    for p in packages:
        cmd += ["-p", p]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    return count_dependencies(out.stdout) or None


def count_dependencies(tree: str) -> int:
    """The distinct non-path crates in `cargo tree --prefix none` output."""
    seen = set()
    for line in tree.splitlines():
        m = TREE_LINE.match(line.strip())
        if m and not is_local(m.group(3)):
            seen.add((m.group(1), m.group(2)))
    return len(seen)


class Progress:
    """The display: `feed` it the build's lines, then `close` it."""

    def __init__(self, out: TextIO, log_path: Path, tty: bool, width: int = 100,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.out = out
        self.log_path = log_path
        self.tty = tty
        self.width = max(width, 20)
        self.clock = clock
        self.started = clock()
        self.total: int | None = None  # set by the caller, possibly from another thread, once known
        self.phase: int | None = None
        self.verb = "compiling"
        self.downloads = 0
        self.dependencies: set[tuple[str, str]] = set()
        self.workspace: list[str] = []
        self.finished = False
        self.failed = False
        self.tail: deque[tuple[int, str]] = deque(maxlen=TAIL)  # (line number, line)
        self.first_error: tuple[int, str] | None = None
        self.lines = 0
        self.shown = ""  # the phase's line as last printed
        self.steps_shown = -1  # non-terminal output: the last step of the phase printed

    # -- input -----------------------------------------------------------------------------------

    def feed(self, raw: str) -> None:
        line = ANSI.sub("", raw.rstrip("\r\n"))
        self.lines += 1
        if not NOISE.match(line) and line.strip():
            self.tail.append((self.lines, line))
        if ERROR.match(line):
            self.failed = True
            if self.first_error is None:
                self.first_error = (self.lines, line)
        m = CRATE.match(line)
        if m:
            verb, name, version, where = m.groups()
            if is_local(where):
                if name not in self.workspace:
                    self.workspace.append(name)
                self._enter(WORKSPACE, verb)
            else:
                self.dependencies.add((name, version))
                self._enter(DEPENDENCIES, verb)
            return
        if DOWNLOADED.match(line):
            self.downloads += 1
            self._enter(DOWNLOAD)
        elif re.match(r"^\s*Downloading\s", line):
            self._enter(DOWNLOAD)
        elif re.match(r"^\s*Updating\s", line):
            self._enter(INDEX)
        elif re.match(r"^\s*Blocking\s", line):
            self._enter(LOCK)
        elif re.match(r"^\s*Finished\s", line):
            self.finished = True
            self._end_phase()

    def close(self) -> None:
        """Ends the display with the build's result, as its output tells it (the exit status does not
        reach a filter): a build succeeded when cargo said Finished and reported no error."""
        self._end_phase()
        seconds = self.clock() - self.started
        if self.finished and not self.failed:
            self._print(f"  finished in {seconds:.0f} s (log: {self._log_name()})")
            return
        self._print(f"  the build failed after {seconds:.0f} s; the end of its log:")
        # The first error says what went wrong; a build script's dump after it can push it out of the tail.
        if self.first_error and self.tail and self.first_error[0] < self.tail[0][0]:
            self._print(f"    {_cut(self.first_error[1])}")
            self._print("    ...")
        for _, line in self.tail:
            self._print(f"    {_cut(line)}")
        self._print(f"  the whole log: {self._log_name()}")

    # -- display ---------------------------------------------------------------------------------

    def _enter(self, phase: int, verb: str | None = None) -> None:
        if self.phase is not None and phase < self.phase:
            return
        if phase != self.phase:
            self._end_phase()
            self.phase = phase
            self.steps_shown = -1
            if verb:
                self.verb = verb.lower()
        self._update()

    def _text(self) -> str:
        if self.phase == LOCK:
            return "  waiting for another cargo to release its lock"
        if self.phase == INDEX:
            return "  updating the crates.io index"
        if self.phase == DOWNLOAD:
            return f"  downloading crates: {self.downloads}" if self.downloads else "  downloading crates"
        if self.phase == DEPENDENCIES:
            done = len(self.dependencies)
            if self.total and done <= self.total:
                return f"  {self.verb} dependencies: {done} of {self.total} crates"
            return f"  {self.verb} dependencies: {done} crate{'' if done == 1 else 's'}"
        if self.phase == WORKSPACE:
            return f"  {self.verb} {', '.join(self.workspace)}"
        return ""

    def _step(self) -> int | None:
        """Where the phase is, in the steps the non-terminal output prints at: tenths of the
        dependencies when their number is known, else every 50; once for a phase that only waits."""
        if self.phase == DEPENDENCIES:
            done = len(self.dependencies)
            if self.total and done <= self.total:
                return done * 10 // self.total
            return done // 50
        if self.phase in (LOCK, INDEX):
            return 0
        return None

    def _update(self) -> None:
        text = self._text()
        if text == self.shown:
            return
        if self.tty:
            self._rewrite(text[: self.width - 1])
            self.shown = text
            return
        step = self._step()
        if step is not None and step > self.steps_shown:
            self.steps_shown = step
            self._print(text)
            self.shown = text

    def _end_phase(self) -> None:
        """Leaves the phase's line as its final state: in full, on a line of its own."""
        if self.phase is None:
            return
        text = self._text()
        if self.tty:
            # The full text, however long: the terminal wraps it once it stops changing.
            self._rewrite(text)
            self.out.write("\n")
            self.out.flush()
        elif text != self.shown:
            self._print(text)
        self.phase = None
        self.shown = ""

    def _rewrite(self, text: str) -> None:
        self.out.write(f"\r{text}\x1b[K")
        self.out.flush()

    def _print(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def _log_name(self) -> str:
        try:
            return str(self.log_path.resolve().relative_to(Path.cwd()))
        except ValueError:
            return str(self.log_path)


def _cut(line: str) -> str:
    return line if len(line) <= LINE else line[: LINE - 3] + "..."


def run(source: Iterable[bytes], log_path: Path, progress: Progress) -> None:
    """Copies `source` (bytes lines) to `log_path` and feeds each line to `progress`, then closes it."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        for raw in source:
            log.write(raw)
            log.flush()
            progress.feed(raw.decode("utf-8", errors="replace"))
    progress.close()


def main() -> int:
    ap = argparse.ArgumentParser(prog="progress", description=__doc__.splitlines()[0])
    ap.add_argument("log", type=Path, help="where the build's whole output goes")
    ap.add_argument("--target", help="the build's target triple, for counting its dependencies (default: the host)")
    ap.add_argument("-p", dest="packages", action="append", default=[], metavar="NAME",
                    help="a package the build builds, for counting its dependencies")
    args = ap.parse_args()
    out = sys.stderr
    # Some CI services give a terminal to a log nobody watches live: there, lines rewritten in place
    # would only pile up.
    tty = out.isatty() and os.environ.get("TERM") != "dumb" and not os.environ.get("CI")
    progress = Progress(out, args.log, tty, width=shutil.get_terminal_size((100, 24)).columns)
    if args.packages:
        # In the background: the build's output must keep flowing while cargo tree waits for a lock.
        def count() -> None:
            progress.total = dependency_total(args.packages, args.target)
        threading.Thread(target=count, daemon=True).start()
    try:
        run(sys.stdin.buffer, args.log, progress)
    except KeyboardInterrupt:
        # Interrupted with the build: the log keeps what came, the shell reports the interrupt.
        out.write("\n")
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
