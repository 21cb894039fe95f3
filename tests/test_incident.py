"""The incident that started dindlint: a DinD socket shared through a volume mounted ``:ro``,
blamed for a ``permission denied`` (its stack is optional: the tests skip without it)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from dindlint.cli import main


def _run_in(folder: Path, *args: str) -> tuple[int, str]:
    runner = CliRunner()
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        result = runner.invoke(main, ["check", *args])
    finally:
        os.chdir(cwd)
    return result.exit_code, result.output


def test_before_reports_exactly_the_misleading_ro(shared: Path) -> None:
    code, out = _run_in(shared / "examples/seed-incident/before", "--format", "sarif")
    results = json.loads(out)["runs"][0]["results"]
    assert [
        (
            r["ruleId"],
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
        )
        for r in results
    ] == [("DIND101", "docker/dind/docker-compose.dind.yml", 24)]
    message = results[0]["message"]["text"]
    # The report's own diagnosis is refuted (a read-only mount does not stop connect():
    # torvalds/linux@001a25088c35:net/unix/af_unix.c, unix_find_bsd): say so.
    assert "does not restrict the Docker API" in message
    assert "neither protects the daemon nor causes `permission denied`" in message
    assert code == 1


def test_before_text_output_points_at_the_line(shared: Path) -> None:
    _, out = _run_in(shared / "examples/seed-incident/before")
    first = out.splitlines()[0]
    assert first.startswith("docker/dind/docker-compose.dind.yml:24:")
    assert " warning DIND101 " in first
    assert "mcp-docker-socket:/var/run:ro" in out.splitlines()[1]


def test_after_reports_nothing(shared: Path) -> None:
    code, out = _run_in(shared / "examples/seed-incident/after")
    assert code == 0, out
    assert out.startswith("No problems found")


@pytest.mark.parametrize("variant", ["before", "after"])
def test_lone_dockerfile_still_finds_its_compose_file(shared: Path, variant: str) -> None:
    """pre-commit passes only the changed Dockerfile; the compose file that builds it is found
    upward, so the cross-file analysis still runs (and reports in the compose file)."""
    folder = shared / "examples/seed-incident" / variant
    code, out = _run_in(folder, "docker/dind/orchestrator/manager/Dockerfile")
    if variant == "before":
        assert "DIND101" in out and code == 1
    else:
        assert code == 0, out
