"""The console command (``dindlint.entry.run``) ends with ``os._exit`` after flushing: exit codes,
standard output and standard error must come out exactly as ``cli.main`` gives them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from dindlint.cli import main

REPO = Path(__file__).resolve().parents[1]
BROKEN = REPO / "examples" / "broken-dind"


def _console(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dindlint", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
        timeout=120,
    )


def test_findings_exit_1_with_the_whole_report() -> None:
    args = ["check", "--no-config", "--color", "never", str(BROKEN)]
    expected = CliRunner().invoke(main, args)
    proc = _console(*args)
    assert (proc.returncode, proc.stdout) == (expected.exit_code, expected.output)
    assert proc.returncode == 1 and proc.stdout.rstrip().endswith(".")


def test_a_large_report_is_flushed_completely() -> None:
    # SARIF of the broken example and of the test fixtures: far more than one pipe buffer
    args = ["check", "--no-config", "--format", "sarif", str(BROKEN), str(REPO / "tests")]
    proc = _console(*args)
    assert proc.returncode == 1
    assert len(proc.stdout) > 65536 and proc.stdout.rstrip().endswith("}")


def test_usage_errors_exit_2_with_their_message() -> None:
    proc = _console("check", "--no-such-option")
    assert proc.returncode == 2 and "No such option" in proc.stderr


def test_clean_input_and_version_exit_0() -> None:
    assert _console("check", "--no-config", str(REPO / "examples" / "fixed-dind")).returncode == 0
    proc = _console("--version")
    assert proc.returncode == 0 and "dindlint" in proc.stdout


def _with_closed(fds: str, *args: str) -> int:
    """Exit code of the console command started with the shell's descriptors ``fds`` closed."""
    closing = " ".join(f"{fd}>&-" for fd in fds)
    command = " ".join([sys.executable, "-m", "dindlint", *args])
    return subprocess.run(
        ["sh", "-c", f"{command} {closing}"], cwd=REPO, check=False, timeout=120
    ).returncode


def test_closed_standard_streams_keep_the_exit_code(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    assert (
        _with_closed(
            "1",
            "check",
            "--no-config",
            "--format",
            f"json:{report}",
            str(REPO / "examples" / "fixed-dind"),
        )
        == 0
    )
    assert report.is_file()
    assert _with_closed("2", "check", "--no-config", str(REPO / "examples" / "fixed-dind")) == 0
    assert _with_closed("12", "check", "--no-config", str(BROKEN)) == 1
    assert _with_closed("2", "rules") == 0


def test_a_profiler_still_gets_its_report() -> None:
    """Under cProfile (ADR 006's method) the command exits normally, so the profile is printed."""
    proc = subprocess.run(
        [sys.executable, "-m", "cProfile", "-m", "dindlint", "check", "--no-config", str(BROKEN)],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
        timeout=120,
    )
    # (cProfile itself swallows the exit code)
    assert "DIND" in proc.stdout and "function calls" in proc.stdout
