"""Microsoft's SARIF Multitool (npm ``@microsoft/sarif-multitool``): where it is installed, and
``validate --rule-kind Gh`` (GitHub code scanning's ingestion rules) over a SARIF file.

``.ci/run`` installs it into ``.ci/node/`` (git-ignored) and exports ``DINDLINT_SARIF_MULTITOOL``;
without the variable the default install location is tried, so that after the npm command below
``pytest`` finds it on its own. The npm wrapper script (``bin.js``) runs the tool through a shell,
which splits arguments at ``;``: the per-platform package's executable is called directly.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, SHARED

VERSION = "5.7.0"
ENV = "DINDLINT_SARIF_MULTITOOL"
PREFIX = REPO / ".ci/node"
INSTALL = f"npm install --no-save --prefix .ci/node @microsoft/sarif-multitool@{VERSION}"
_PLATFORM = {"linux": "linux", "darwin": "darwin", "win32": "win32"}.get(sys.platform, sys.platform)
DEFAULT = (
    PREFIX
    / "node_modules/@microsoft"
    / f"sarif-multitool-{_PLATFORM}"
    / ("Sarif.Multitool.exe" if sys.platform == "win32" else "Sarif.Multitool")
)


def multitool() -> Path:
    """The Multitool's executable; skips the test when it is not installed. A variable that names
    no executable fails the test: CI asked for the tool and must not quietly skip."""
    named = os.environ.get(ENV)
    if named:
        path = Path(named)
        if not (path.is_file() and os.access(path, os.X_OK)):
            pytest.fail(f"{ENV}={named} is not an executable file")
        return path
    if DEFAULT.is_file() and os.access(DEFAULT, os.X_OK):
        return DEFAULT
    pytest.skip(f"SARIF Multitool not installed (run `{INSTALL}`, or set {ENV})")


def sarif_schema() -> dict[str, Any]:
    """The SARIF 2.1.0 JSON schema: ../shared/schemas if present, else the copy that the Multitool's
    platform package ships beside its executable; skips the test when neither is at hand."""
    candidates = [SHARED / "schemas/sarif-schema-2.1.0.json"]
    named = os.environ.get(ENV)
    candidates += [Path(named).parent / "sarif-2.1.0.json"] if named else []
    candidates.append(DEFAULT.parent / "sarif-2.1.0.json")
    for candidate in candidates:
        if candidate.is_file():
            return json.loads(candidate.read_text(encoding="utf-8-sig"))  # type: ignore[no-any-return]
    pytest.skip(f"no SARIF schema: neither ../shared/schemas nor the SARIF Multitool ({INSTALL})")


def validate(binary: Path, sarif_file: Path, out_dir: Path) -> tuple[list[dict[str, Any]], str]:
    """Run ``validate --rule-kind Gh`` on ``sarif_file``; return the results of its own SARIF log
    (at its default levels, error and warning) and its console output (the results, formatted)."""
    output = out_dir / "multitool-validation.sarif"  # a new file: no --log ForceOverwrite
    proc = subprocess.run(
        [str(binary), "validate", "--rule-kind", "Gh", "--output", str(output), str(sarif_file)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    console = proc.stdout + proc.stderr
    assert proc.returncode == 0 and output.is_file(), console
    (run,) = json.loads(output.read_text(encoding="utf-8-sig"))["runs"]
    invocation = run["invocations"][0]
    notifications = invocation.get("toolExecutionNotifications", []) + invocation.get(
        "toolConfigurationNotifications", []
    )
    assert invocation.get("executionSuccessful") and not notifications, console
    return run.get("results", []), console
