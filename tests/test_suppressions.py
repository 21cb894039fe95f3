"""Inline suppressions beyond the fixture cases: CLI switch-off, SARIF, text summary."""

from __future__ import annotations

import json

from click.testing import CliRunner

from dindlint.cli import main
from tests.conftest import REPO

CASE = str(REPO / "tests/fixtures/suppressions")


def test_suppressed_findings_leave_text_and_exit_code() -> None:
    result = CliRunner().invoke(
        main, ["check", str(REPO / "tests/fixtures/suppress-file"), "--fail-on", "error"]
    )
    assert result.exit_code == 0
    assert " DIND102 " not in result.output
    assert "(2 suppressed inline)." in result.output


def test_no_inline_suppressions_reports_everything() -> None:
    plain = CliRunner().invoke(main, ["check", CASE]).output
    strict = CliRunner().invoke(main, ["check", "--no-inline-suppressions", CASE]).output
    assert strict.count(" warning DIND102 ") > plain.count(" warning DIND102 ")
    assert " DIND004 " not in strict  # with suppressions off nothing is judged unused


def test_sarif_keeps_suppressed_results_with_their_justification() -> None:
    log = json.loads(CliRunner().invoke(main, ["check", "--format", "sarif", CASE]).output)
    suppressed = [r for r in log["runs"][0]["results"] if r["suppressions"]]
    assert suppressed
    reasons = {s["suppressions"][0].get("justification") for s in suppressed}
    assert "reads labels only" in reasons
    assert all(s["suppressions"][0]["kind"] == "inSource" for s in suppressed)


def test_a_unicode_line_separator_does_not_move_a_directive(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """YAML ends lines at \\n and \\r only: a U+2028 inside a value is content, so the directive
    on the line above the mount still covers it (str.splitlines counted one line more)."""
    (tmp_path / "compose.yaml").write_text(
        'services:\n  app:\n    image: alpine\n    labels: {note: "a\u2028b"}\n'
        "    volumes:\n      # dindlint: disable=DIND102 -- reads labels only\n"
        "      - /var/run/docker.sock:/var/run/docker.sock\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["check", "--format", "json", str(tmp_path)])
    findings = json.loads(result.output)["findings"]
    assert [f["rule"] for f in findings if not f.get("suppressed")] == []
