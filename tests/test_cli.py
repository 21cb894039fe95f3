"""The command line: exit codes, formats, output file, colour, errors without tracebacks."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from dindlint.cli import main
from tests.conftest import REPO

BROKEN = str(REPO / "examples/broken-dind")
FIXED = str(REPO / "examples/fixed-dind")


def invoke(*args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), env=env)


def test_clean_project_exits_zero() -> None:
    result = invoke("check", FIXED)
    assert result.exit_code == 0 and "No problems found" in result.output


def test_findings_exit_one() -> None:
    result = invoke("check", BROKEN)
    assert result.exit_code == 1
    assert "error DIND401" in result.output


def test_fail_on_error_ignores_warnings(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n  t:\n    image: traefik:v3.1\n"
        "    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock\n"
    )
    assert invoke("check", str(tmp_path)).exit_code == 1
    assert invoke("check", "--fail-on", "error", str(tmp_path)).exit_code == 0


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    result = invoke("check", str(tmp_path / "nope"))
    assert result.exit_code == 2
    assert "no such file or directory" in result.output
    assert "Traceback" not in result.output


def test_unknown_option_is_a_usage_error() -> None:
    assert invoke("check", "--no-such-option").exit_code == 2
    assert invoke("check", "--format", "xml").exit_code == 2


def test_output_file_receives_the_report(tmp_path: Path) -> None:
    target = tmp_path / "out.sarif"
    result = invoke("check", "--format", "sarif", "-o", str(target), BROKEN)
    # nothing on standard output; the summary line on standard error (every report is a file)
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith("dindlint: Found ")
    assert '"version": "2.1.0"' in target.read_text()


def test_no_colour_unless_asked() -> None:
    assert "\033[" not in invoke("check", BROKEN).output
    assert "\033[" in invoke("check", "--color", "always", BROKEN).output
    assert "\033[" not in invoke("check", "--color", "never", BROKEN).output


def test_text_shows_source_line_and_caret() -> None:
    lines = invoke("check", BROKEN).output.splitlines()
    index = next(i for i, line in enumerate(lines) if "DIND101" in line)
    assert lines[index + 1].strip() == "- dind-run:/var/run:ro  # expect: DIND101"
    assert lines[index + 2].strip() == "^"


def test_python_dash_m_entry_point() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "dindlint", "check", FIXED],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr


def test_installed_console_script_runs_outside_the_checkout(tmp_path: Path) -> None:
    """The installed wheel carries the catalogue: run the console script away from the repo."""
    script = shutil.which("dindlint", path=os.path.dirname(sys.executable))
    if script is None:
        pytest.skip("dindlint is not installed in this environment")
    shutil.copytree(REPO / "examples/broken-dind", tmp_path / "stack")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run(
        [script, "check", "--format", "sarif", "stack"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert '"id": "DIND101"' in proc.stdout and '"helpUri"' in proc.stdout
