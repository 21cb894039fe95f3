"""Baseline: findings recorded once stay baselined across unrelated edits; new ones are reported."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from dindlint.baseline import read_baseline, without_baselined, write_baseline
from dindlint.cli import main
from dindlint.findings import Diagnostic
from dindlint.source import Span

BEFORE = """services:
  traefik:
    image: traefik:v3.1
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock:ro
  portainer:
    image: portainer/portainer-ce:2.21.0
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock
"""

# The same findings after unrelated edits: a comment block and a service inserted above,
# 4-space indentation, quotes around the volume entries, a trailing comment.
AFTER = """# Reverse proxy and admin UI.
# (edited)
services:
    web:
        image: nginx:1.27
    traefik:
        image: "traefik:v3.1"
        volumes:
            - "/var/run/docker.sock:/var/run/docker.sock:ro"   # labels
    portainer:
        image: portainer/portainer-ce:2.21.0
        volumes:
            - '/var/run/docker.sock:/var/run/docker.sock'
"""


def run(cwd: Path, monkeypatch: pytest.MonkeyPatch, *args: str):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(cwd)
    return CliRunner().invoke(main, ["check", *args])


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "compose.yaml").write_text(BEFORE)
    return tmp_path


def test_baseline_survives_inserted_lines_and_reformatting(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    written = run(repo, monkeypatch, "--write-baseline", "dindlint-baseline.json")
    assert written.exit_code == 0
    document = json.loads((repo / "dindlint-baseline.json").read_text())
    assert sorted(e["rule"] for e in document["findings"]) == ["DIND101", "DIND102", "DIND102"]
    (repo / "compose.yaml").write_text(AFTER)
    result = run(repo, monkeypatch, "--baseline", "dindlint-baseline.json")
    assert result.exit_code == 0, result.output
    assert "No problems found" in result.output


def test_new_finding_is_still_reported(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run(repo, monkeypatch, "--write-baseline", "dindlint-baseline.json")
    (repo / "compose.yaml").write_text(
        AFTER
        + """    watchtower:
        image: containrrr/watchtower:1.7.1
        volumes:
            - /var/run/docker.sock:/var/run/docker.sock
"""
    )
    result = run(repo, monkeypatch, "--baseline", "dindlint-baseline.json")
    assert result.exit_code == 1
    assert result.output.count(" DIND102 ") == 1 and "watchtower" in result.output


def test_changing_the_offending_value_is_a_new_finding(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(repo, monkeypatch, "--write-baseline", "dindlint-baseline.json")
    (repo / "compose.yaml").write_text(
        BEFORE.replace("/var/run/docker.sock:/var/run/docker.sock\n", "/var/run:/var/run\n")
    )
    result = run(repo, monkeypatch, "--baseline", "dindlint-baseline.json")
    assert " DIND102 " in result.output and "portainer bind-mounts `/var/run`" in result.output


def test_a_broken_baseline_is_a_usage_error(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (repo / "b.json").write_text("{not json")
    result = run(repo, monkeypatch, "--baseline", "b.json")
    assert result.exit_code == 2 and "b.json:1: not a dindlint baseline" in result.output
    (repo / "b.json").write_text('{"findings": []}')
    assert run(repo, monkeypatch, "--baseline", "b.json").exit_code == 2


def test_a_baseline_still_matches_after_the_hint_changes(repo: Path) -> None:
    """The hint (what to change) is no part of a finding's identity: the finding a baseline
    recorded is still matched once its hint is reworded, added or removed, and so is a baseline
    written when the advice was still part of the message."""
    recorded = Diagnostic(
        Span(repo / "compose.yaml", 9, 9),
        "DIND102",
        "warning",
        "host-socket-mount",
        "portainer bind-mounts the host's Docker socket: whoever controls this container "
        "controls the host's Docker daemon, which is root on the host",
        hint="first wording",
    )
    write_baseline(repo / "b.json", [recorded], repo)
    known = read_baseline(repo / "b.json")
    for later in (
        recorded._replace(hint="another wording"),
        recorded._replace(hint=None),
        recorded._replace(message=recorded.message + "; a piece of advice", hint=None),
    ):
        assert without_baselined([later], known, repo) == ([], 1)


def test_a_baseline_of_messages_with_advice_still_matches(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A baseline written before the advice moved out of the messages into hints: only the
    fingerprint matches, never the recorded message."""
    run(repo, monkeypatch, "--write-baseline", "dindlint-baseline.json")
    document = json.loads((repo / "dindlint-baseline.json").read_text())
    for entry in document["findings"]:
        entry["message"] += "; for read-only API access use a filtering socket proxy"
    (repo / "dindlint-baseline.json").write_text(json.dumps(document))
    result = run(repo, monkeypatch, "--baseline", "dindlint-baseline.json")
    assert result.exit_code == 0 and "No problems found" in result.output, result.output
