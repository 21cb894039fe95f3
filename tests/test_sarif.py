"""SARIF output: valid against the 2.1.0 schema, rule metadata present, deterministic."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dindlint.catalogue import catalogue
from dindlint.report import sarif
from tests.conftest import REPO
from tests.expectations import lint
from tests.sarif_multitool import sarif_schema


def _log(folder: Path) -> dict:  # type: ignore[type-arg]
    return json.loads(sarif.render(lint(folder), REPO))


def test_sarif_validates_against_the_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = sarif_schema()
    for folder in [REPO / "tests/fixtures", REPO / "examples"]:
        log = _log(folder)
        assert log["runs"][0]["results"], "the fixtures must produce results"
        jsonschema.validate(log, schema)


def test_sarif_with_no_results_is_valid() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = sarif_schema()
    log = _log(REPO / "examples/fixed-dind")
    assert log["runs"][0]["results"] == []
    jsonschema.validate(log, schema)


def test_rules_carry_the_catalogue_metadata() -> None:
    log = _log(REPO / "examples/broken-dind")
    driver = log["runs"][0]["tool"]["driver"]
    rules = driver["rules"]
    assert [r["id"] for r in rules] == sorted(catalogue())
    for rule in rules:
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert rule["help"]["text"] and rule["name"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
    for result in log["runs"][0]["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        artifact = result["locations"][0]["physicalLocation"]["artifactLocation"]
        uri = artifact["uri"]
        assert not uri.startswith("/") and "\\" not in uri
        assert artifact["uriBaseId"] == "%SRCROOT%"
    # the root is named, not located: no absolute machine path in the report
    assert driver["rules"] and "uri" not in log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]


def test_related_locations_carry_messages() -> None:
    log = _log(REPO / "tests/fixtures/gid-mismatch")
    related = [loc for r in log["runs"][0]["results"] for loc in r.get("relatedLocations", [])]
    assert related and all(loc["message"]["text"] for loc in related)


def test_output_is_byte_identical_across_runs() -> None:
    first = sarif.render(lint(REPO / "tests/fixtures"), REPO)
    second = sarif.render(lint(REPO / "tests/fixtures"), REPO)
    assert first == second
