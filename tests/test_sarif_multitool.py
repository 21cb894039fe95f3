"""dindlint's SARIF through Microsoft's SARIF Multitool, ``validate --rule-kind Gh``: the rules by
which GitHub code scanning ingests SARIF (tests/sarif_multitool.py finds the tool; the tests skip,
naming the npm command, without it).

Any result at the levels it reports by default (error, warning) fails the test: on dindlint's own
output it reports none. The Multitool misses an out-of-range enum value (e.g. ``"level":
"bogus"``): such a log passes with no result at all, not even those of its other rules; the JSON
schema shipped in the same package is checked as well, which reports it.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from dindlint.cli import main
from tests.conftest import REPO
from tests.sarif_multitool import multitool, sarif_schema, validate

pytestmark = pytest.mark.slow

# name: (paths checked from the repository root, how many rules at least fire)
CASES = {
    "examples": (["examples"], 2),
    # many rules firing: every fixture folder, and an unparsable file (a notification)
    "fixtures": (["tests/fixtures", "tests/cases"], 15),
    "empty-run": (["examples/fixed-dind"], 0),
}


def dindlint_sarif(paths: list[str], folder: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The SARIF file that ``dindlint check --format sarif:FILE`` writes, run from the root."""
    monkeypatch.chdir(REPO)
    target = folder / "dindlint.sarif"
    result = CliRunner().invoke(
        main, ["check", "--no-config", "--format", f"sarif:{target}", *paths]
    )
    assert result.exit_code in (0, 1), result.output
    return target


@pytest.mark.parametrize("case", sorted(CASES))
def test_github_ingestion_rules_accept_the_sarif(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    binary = multitool()
    paths, least_rules = CASES[case]
    target = dindlint_sarif(paths, tmp_path, monkeypatch)
    log = json.loads(target.read_text(encoding="utf-8"))
    fired = {result["ruleId"] for result in log["runs"][0]["results"]}
    assert len(fired) >= least_rules, sorted(fired)
    if not least_rules:
        assert log["runs"][0]["results"] == []
    results, console = validate(binary, target, tmp_path)
    assert not [r for r in results if r.get("level", "warning") in ("error", "warning")], console
    jsonschema.validate(log, sarif_schema())


def test_the_multitool_reports_what_github_rejects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A control: the same run, one result without a location and one without message text."""
    binary = multitool()
    target = dindlint_sarif(["examples"], tmp_path, monkeypatch)
    log = json.loads(target.read_text(encoding="utf-8"))
    first, second = log["runs"][0]["results"][:2]
    del first["locations"]
    second["message"] = {"id": "default"}
    broken = tmp_path / "broken.sarif"
    broken.write_text(json.dumps(log), encoding="utf-8")
    results, console = validate(binary, broken, tmp_path)
    reported = {(r["ruleId"], r["message"]["arguments"][0]) for r in results}
    assert ("GH1015", "runs[0].results[0]") in reported, console
    assert ("GH1015", "runs[0].results[1].message") in reported, console
