"""The rule documents and ``--fix``: a rule whose document announces a fix has it, and ``--fix``
(with ``--unsafe-fixes`` for an unsafe one) on the document's Example removes that rule's
findings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dindlint.catalogue import catalogue
from dindlint.cli import main
from tests.catalogue_examples import sections, write_project

FIXABLE = sorted(rule_id for rule_id, doc in catalogue().items() if doc.fix is not None)


def test_the_rules_with_a_fix() -> None:
    assert FIXABLE == [
        "DIND101",
        "DIND108",
        "DIND201",
        "DIND202",
        "DIND301",
        "DIND302",
        "DIND303",
        "DIND304",
        "DIND305",
        "DIND401",
        "DIND403",
        "DIND405",
        "DIND409",
    ]


@pytest.mark.parametrize("rule_id", sorted(catalogue()))
def test_a_fix_in_front_matter_has_its_fix_paragraph(rule_id: str) -> None:
    doc = catalogue()[rule_id]
    paragraph = "**Fix** (" in sections(doc.body)["What it does"]
    assert paragraph == (doc.fix is not None)
    if doc.fix == "unsafe":
        assert "**Fix** (unsafe, only with `--unsafe-fixes`)" in doc.body


def _findings(folder: Path) -> list[dict[str, object]]:
    result = CliRunner().invoke(main, ["check", "--jobs", "1", "--format", "json", str(folder)])
    assert result.exit_code in (0, 1), result.output
    return [f for f in json.loads(result.stdout)["findings"] if not f["suppressed"]]


@pytest.mark.parametrize("rule_id", FIXABLE)
def test_fix_on_the_example_removes_the_rules_findings(rule_id: str, tmp_path: Path) -> None:
    """Every finding of the rule that has a fix is gone after ``--fix --unsafe-fixes`` (an
    Example may also show a case the fix leaves alone: DIND108's `tcp://dind` without a port
    and no TLS set up in the client)."""
    write_project(sections(catalogue()[rule_id].body)["Example"], tmp_path)
    before = [f for f in _findings(tmp_path) if f["rule"] == rule_id]
    fixable = [f for f in before if f["fix"] is not None]
    assert before and len(fixable) == len(before), "every finding of the Example has a fix"
    result = CliRunner().invoke(
        main, ["check", "--jobs", "1", "--fix", "--unsafe-fixes", "--debug", str(tmp_path)]
    )
    assert result.exit_code in (0, 1), result.output
    after = [f for f in _findings(tmp_path) if f["rule"] == rule_id]
    assert after == [], result.output
    # and a second run has nothing left to do
    again = CliRunner().invoke(
        main, ["check", "--jobs", "1", "--diff", "--unsafe-fixes", str(tmp_path)]
    )
    assert again.exit_code == 0 and again.stdout == "", again.output
