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
    return subprocess.run([sys.executable, "-m", "dindlint", *args], capture_output=True,
                          text=True, cwd=REPO, check=False, timeout=120)


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
