"""GitLab Code Quality severities: what ``dindlint/report/gitlab.py`` does is what the README's
"GitLab CI" section says, security bands included."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from dindlint.catalogue import catalogue
from dindlint.cli import main
from dindlint.findings import Diagnostic
from dindlint.report import gitlab
from dindlint.source import Span
from tests.conftest import REPO


def _section(title: str) -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", text, re.MULTILINE | re.DOTALL)
    assert match, title
    return " ".join(match.group(1).split())


def _diag(rule_id: str) -> Diagnostic:
    doc = catalogue()[rule_id]
    return Diagnostic(Span(Path("compose.yaml"), 1, 1), rule_id, doc.severity, doc.name, "m")


@pytest.mark.parametrize(
    ("rule_id", "expected"), [("DIND102", "major"), ("DIND402", "critical"), ("DIND101", "minor")]
)
def test_security_score_raises_the_severity_as_the_readme_says(rule_id: str, expected: str) -> None:
    assert gitlab.severity(_diag(rule_id)) == expected
    section = _section("GitLab CI")
    name = {"DIND102": "DIND102 (", "DIND402": "DIND402 (", "DIND101": "DIND101 ("}[rule_id]
    said = section[section.index(name) :]
    assert re.match(rf"{rule_id} \([^)]*\) (comes out |stays )?`{expected}`", said), said[:80]


def test_readme_states_both_bands() -> None:
    section = _section("GitLab CI")
    assert "7.0 or more gives at least `major`" in section
    assert "9.0 or more `critical`" in section
    usage = _section("Usage")
    assert "7.0 or more is at least major, 9.0 or more critical" in usage


def test_dind102_is_major_in_the_report(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n  portainer:\n    image: portainer/portainer-ce:2.21.0\n"
        "    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock\n"
    )
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", "--no-config", "--format", "gitlab", "."])
    (issue,) = json.loads(result.stdout)
    assert (issue["check_name"], issue["severity"]) == ("DIND102", "major")
