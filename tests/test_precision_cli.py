"""`dindlint check` whose reader went away (`dindlint check . | head -0`): no error message."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

FIXTURE = Path(__file__).parent / "fixtures" / "auto-gid"


def test_a_closed_standard_output_ends_the_run_quietly() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "dindlint", "check", "--no-config", str(FIXTURE)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # the reader is gone before dindlint writes its report
    error = process.stderr.read().decode()
    code = process.wait(timeout=60)
    assert "internal error" not in error and "BrokenPipe" not in error, error
    assert code == 1
