"""`dindlint rules` and `dindlint explain`."""

from __future__ import annotations

import json

from click.testing import CliRunner

from dindlint.catalogue import catalogue
from dindlint.checks import CHECKS
from dindlint.cli import main
from dindlint.engine import ENGINE_RULES

RULES_MD_IDS = {
    "DIND001",
    "DIND002",
    "DIND003",
    "DIND101",
    "DIND102",
    "DIND103",
    "DIND105",
    "DIND106",
    "DIND107",
    "DIND108",
    "DIND109",
    "DIND110",
    "DIND201",
    "DIND202",
    "DIND203",
    "DIND204",
    "DIND205",
    "DIND301",
    "DIND302",
    "DIND303",
    "DIND304",
    "DIND305",
    "DIND306",
    "DIND307",
    "DIND401",
    "DIND402",
    "DIND403",
    "DIND404",
    "DIND405",
    "DIND406",
    "DIND407",
    "DIND408",
    "DIND409",
    "DIND410",
}


def test_rules_json_lists_every_rule_of_the_specification() -> None:
    result = CliRunner().invoke(main, ["rules", "--format", "json"])
    assert result.exit_code == 0
    rows = json.loads(result.output)
    ids = [row["id"] for row in rows]
    assert len(RULES_MD_IDS) == 34
    assert set(ids) >= RULES_MD_IDS
    assert set(ids) == set(CHECKS) | set(ENGINE_RULES)
    assert all(row["name"] and row["severity"] and row["summary"] for row in rows)
    # the version that introduced each rule, from its document's front matter
    assert {row["id"]: row["since"] for row in rows} == {
        doc.id: doc.since for doc in catalogue().values()
    }
    assert all(row["since"] for row in rows)


def test_rules_text_is_a_table() -> None:
    lines = CliRunner().invoke(main, ["rules"]).output.splitlines()
    assert len(lines) == len(catalogue())
    assert lines[0].startswith("DIND001  syntax-error")


def test_explain_renders_the_document_plain_off_a_terminal() -> None:
    result = CliRunner().invoke(main, ["explain", "DIND301"])
    assert result.exit_code == 0
    assert result.output.startswith("DIND301 user-cannot-access-socket")
    assert "WHY IS THIS BAD?" in result.output and "\033[" not in result.output
    assert "```" not in result.output


def test_explain_accepts_a_name_and_lower_case() -> None:
    assert CliRunner().invoke(main, ["explain", "dind101"]).exit_code == 0
    assert CliRunner().invoke(main, ["explain", "readonly-socket-mount"]).exit_code == 0


def test_explain_unknown_rule_suggests_close_matches() -> None:
    result = CliRunner().invoke(main, ["explain", "DIND31"])
    assert result.exit_code == 2
    assert "unknown rule `DIND31`" in result.output and "DIND301" in result.output
