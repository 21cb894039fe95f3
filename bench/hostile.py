"""Issue 18's table re-measured: how long and how much memory each hostile input costs a dindlint.

    python bench/hostile.py                               # this checkout, every row at scale 1
    python bench/hostile.py --source /tmp/old             # another checkout (e.g. a git worktree)
    python bench/hostile.py --scale 4 --only env-doubling,flow-services --timeout 60

For each row and each crash of tests/robustness/hostile_inputs.py the input is generated in a
temporary folder, then ``python -m dindlint check`` runs in a child process with the checkout
given by --source first on its PYTHONPATH. Measured per child: wall time, peak resident memory
(``ru_maxrss`` from ``os.wait4``: the child, or its largest waited-for descendant) and the outcome:
``exit N``, ``refused`` (exit 2 with a one-line ``dindlint: ...`` message, how dindlint rejects a
bad configuration or baseline), ``crash`` (a traceback, "internal error", or a signal),
``timeout`` (--timeout; the child's process group is killed) or ``memory`` (a MemoryError under
--memory-limit, which caps the child's address space so that a row cannot take the machine's
memory from whoever else uses it).

Reports are written to files in the row's folder, never to a pipe, and the folder is removed
after the row. Standard library only; Linux or macOS (``os.wait4``, ``resource``). Not part of the
test suite: timings are printed, never asserted (tests/robustness/test_budget.py asserts bounds).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tests" / "robustness"))

from hostile_inputs import CRASHES, ROWS, Generator, Hostile, check_arguments


@dataclass
class Measure:
    """One child run: wall seconds, peak resident MB and what it ended in."""

    wall: float
    rss_mb: float
    outcome: str


def _limits(memory_limit_mb: int) -> None:
    """In the child, before exec: its own session (killed as a group on timeout) and an address
    space cap."""
    os.setsid()
    if memory_limit_mb > 0:
        limit = memory_limit_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _outcome(status: int, stderr: str, timed_out: bool) -> str:
    if timed_out:
        return "timeout"
    if os.WIFSIGNALED(status):
        return f"crash (signal {os.WTERMSIG(status)})"
    code = os.waitstatus_to_exitcode(status)
    last = stderr.strip().splitlines()[-1] if stderr.strip() else ""
    if "MemoryError" in stderr:
        return "memory"
    if "Traceback" in stderr or "internal error" in stderr:
        return f"crash (exit {code}: {last[:60]})"
    if code == 2 and last.startswith("dindlint: "):
        return "refused (exit 2)"
    return f"exit {code}"


def measure(
    command: Sequence[str],
    cwd: Path,
    env: dict[str, str],
    timeout: float,
    memory_limit_mb: int,
    stderr_path: Path,
) -> Measure:
    """Run ``command`` and measure it (see the module docstring)."""
    with stderr_path.open("wb") as stderr:
        start = time.perf_counter()
        proc = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            preexec_fn=lambda: _limits(memory_limit_mb),
        )
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # the child's own group (setsid above)

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)  # already reaped by wait4
    text = stderr_path.read_text(encoding="utf-8", errors="replace")
    # ru_maxrss: KiB on Linux, bytes on macOS
    rss_mb = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return Measure(wall, rss_mb, _outcome(status, text, timed_out.is_set()))


def run_row(
    name: str, generator: Generator, args: argparse.Namespace, env: dict[str, str]
) -> list[tuple[str, Measure]]:
    """Generate ``name`` and measure its run(s): the reports, then ``--write-baseline`` if the
    row is measured with one."""
    work = Path(tempfile.mkdtemp(prefix=f"dindlint-hostile-{name}-"))
    try:
        hostile: Hostile = generator(work / "project", args.scale)
        reports = work / "reports"
        reports.mkdir()
        cwd = hostile.cwd or work
        runs = [(name, check_arguments(hostile, reports))]
        if hostile.write_baseline:
            runs.append(
                (
                    f"{name} (baseline)",
                    check_arguments(hostile, reports, baseline=reports / "baseline.json"),
                )
            )
        results = []
        for label, arguments in runs:
            command = [args.python, "-m", "dindlint", "check", *arguments]
            results.append(
                (
                    label,
                    measure(
                        command, cwd, env, args.timeout, args.memory_limit_mb, work / "stderr.txt"
                    ),
                )
            )
            print(f"  {label}: {results[-1][1]}", file=sys.stderr, flush=True)
        return results
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _table(results: list[tuple[str, Measure]]) -> str:
    width = max(len(label) for label, _ in results)
    lines = [
        f"| {'input':<{width}} | wall s | peak RSS MB | outcome |",
        f"|{'-' * (width + 2)}|-------:|------------:|---------|",
    ]
    lines += [
        f"| {label:<{width}} | {m.wall:6.1f} | {m.rss_mb:11.0f} | {m.outcome} |"
        for label, m in results
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--source",
        type=Path,
        default=REPO,
        help="dindlint checkout to measure (first on the child's PYTHONPATH)",
    )
    parser.add_argument(
        "--python",
        default=sys.executable,
        help="interpreter of the child (with dindlint's dependencies)",
    )
    parser.add_argument("--scale", type=float, default=1.0, help="size factor of every input")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per run")
    parser.add_argument(
        "--memory-limit-mb",
        type=int,
        default=8192,
        help="address-space cap of each child (0: none)",
    )
    parser.add_argument("--only", default="", help="comma-separated row names")
    parser.add_argument("--no-crashes", action="store_true", help="only the table's rows")
    args = parser.parse_args(argv)

    cases = dict(ROWS) if args.no_crashes else {**ROWS, **CRASHES}
    if args.only:
        wanted = args.only.split(",")
        unknown = [name for name in wanted if name not in cases]
        if unknown:
            parser.error(f"unknown rows: {', '.join(unknown)} (known: {', '.join(cases)})")
        cases = {name: cases[name] for name in wanted}
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(args.source.resolve()), env.get("PYTHONPATH", "")) if p
    )
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    commit = subprocess.run(
        ["git", "-C", str(args.source), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    results: list[tuple[str, Measure]] = []
    for name, generator in cases.items():
        print(f"{name} ...", file=sys.stderr, flush=True)
        results += run_row(name, generator, args, env)
    print(
        f"dindlint {args.source} ({commit or 'not a git checkout'}), scale {args.scale:g}, "
        f"timeout {args.timeout:g} s, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print(_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
