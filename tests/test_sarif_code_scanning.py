"""SARIF that GitHub code scanning takes cleanly: its documented requirements and limits,
repository-relative URIs, fingerprints that survive unrelated edits."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from dindlint.catalogue import RuleDoc, catalogue
from dindlint.cli import main
from dindlint.findings import Diagnostic
from dindlint.report import sarif
from dindlint.report.common import ReportContext
from dindlint.source import Span
from tests.conftest import REPO
from tests.sarif_multitool import sarif_schema

CORPUS = Path(__file__).resolve().parents[2] / "shared/corpus"


def sarif_of(cwd: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> dict:  # type: ignore[type-arg]
    monkeypatch.chdir(cwd)
    result = CliRunner().invoke(main, ["check", "--no-config", "--format", "sarif", *args])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def validate(log: dict) -> None:  # type: ignore[type-arg]
    """Against the SARIF schema of ../shared or the SARIF Multitool's package; skips without."""
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(log, sarif_schema())


def uris(log: dict) -> list[tuple[str, str | None]]:  # type: ignore[type-arg]
    return [
        (
            loc["physicalLocation"]["artifactLocation"]["uri"],
            loc["physicalLocation"]["artifactLocation"].get("uriBaseId"),
        )
        for r in log["runs"][0]["results"]
        for loc in r["locations"]
    ]


def assert_github_requirements(log: dict) -> None:  # type: ignore[type-arg]
    """What GitHub's "SARIF support for code scanning" marks required, and its limits."""
    assert len(log["runs"]) == 1
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert len(rules) <= 25_000 and len(run["results"]) <= 25_000
    for rule in rules:
        assert rule["id"] and rule["name"] and len(rule["name"]) <= 255
        for key in ("shortDescription", "fullDescription"):
            assert 0 < len(rule[key]["text"]) <= 1024
        assert rule["help"]["text"]
        assert rule["defaultConfiguration"]["level"] in ("note", "warning", "error")
        properties = rule["properties"]
        assert isinstance(properties["tags"], list) and len(properties["tags"]) <= 20
        assert properties["precision"] in ("very-high", "high", "medium", "low")
        assert properties["problem.severity"] in ("error", "warning", "recommendation")
        if "security-severity" in properties:
            value = properties["security-severity"]
            assert isinstance(value, str) and 0.0 < float(value) <= 10.0
            assert "security" in properties["tags"]
    for result in run["results"]:
        assert result["ruleId"] and result["message"]["text"]
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert 1 <= len(result["locations"]) <= 10
        physical = result["locations"][0]["physicalLocation"]
        uri = physical["artifactLocation"]["uri"]
        assert physical["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert not uri.startswith("/") and "://" not in uri and "\\" not in uri
        assert ".." not in uri.split("/")
        region = physical["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
        assert region["endLine"] >= region["startLine"] and region["endColumn"] >= 1
        assert re.fullmatch(
            r"[0-9a-f]{16}:[0-9]+", result["partialFingerprints"]["primaryLocationLineHash"]
        )
        assert len(result.get("relatedLocations", [])) <= 1000
        for related in result.get("relatedLocations", []):
            assert related["message"]["text"]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["description"]["text"]
    assert "executionSuccessful" in run["invocations"][0]


def test_corpus_sarif_meets_githubs_requirements(monkeypatch: pytest.MonkeyPatch) -> None:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present")
    log = sarif_of(CORPUS, monkeypatch, ".")
    assert log["runs"][0]["results"], "the corpus has findings"
    assert_github_requirements(log)
    validate(log)


def test_fixture_sarif_meets_githubs_requirements(monkeypatch: pytest.MonkeyPatch) -> None:
    log = sarif_of(REPO, monkeypatch, "tests/fixtures", "examples", "tests/cases")
    assert_github_requirements(log)
    validate(log)


# --------------------------------------------------------------------------------------------
# URIs
# --------------------------------------------------------------------------------------------


def test_uris_are_the_same_from_a_subdirectory(monkeypatch: pytest.MonkeyPatch) -> None:
    from_root = sarif_of(REPO, monkeypatch, "examples/broken-dind")
    from_sub = sarif_of(REPO / "examples", monkeypatch, "broken-dind")
    assert uris(from_root) == uris(from_sub)
    assert uris(from_root)[0] == ("examples/broken-dind/compose.yaml", "%SRCROOT%")
    assert str(REPO) not in json.dumps(from_root)  # no absolute machine path
    assert from_root == from_sub


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "deploy").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "deploy/compose.yaml").write_text(STACK)
    return root


STACK = """services:
  portainer:
    image: portainer/portainer-ce:2.21.0
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock
"""


def test_git_root_is_the_base_whatever_the_cwd(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from_root = sarif_of(repo, monkeypatch, "deploy")
    from_sub = sarif_of(repo / "deploy", monkeypatch, ".")
    assert uris(from_root) == uris(from_sub) == [("deploy/compose.yaml", "%SRCROOT%")]


def test_file_outside_the_root_keeps_an_absolute_uri(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "compose.yaml").write_text(STACK)
    log = sarif_of(repo, monkeypatch, str(outside))
    assert uris(log) == [((outside / "compose.yaml").resolve().as_uri(), None)]
    validate(log)


# --------------------------------------------------------------------------------------------
# Fingerprints
# --------------------------------------------------------------------------------------------

EDITED = """# Admin UI (reformatted, a service inserted above)
services:
    web:
        image: nginx:1.27
    portainer:
        image: "portainer/portainer-ce:2.21.0"
        volumes:
            - "/var/run/docker.sock:/var/run/docker.sock"   # needs the API
"""


def _hash(log: dict) -> str:  # type: ignore[type-arg]
    (result,) = log["runs"][0]["results"]
    return result["partialFingerprints"]["primaryLocationLineHash"]  # type: ignore[no-any-return]


def test_line_hash_survives_unrelated_edits(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = _hash(sarif_of(repo, monkeypatch, "."))
    (repo / "deploy/compose.yaml").write_text(EDITED)
    after_log = sarif_of(repo, monkeypatch, ".")
    assert (
        after_log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"][
            "startLine"
        ]
        == 8
    )
    assert _hash(after_log) == before
    (repo / "deploy/compose.yaml").write_text(
        EDITED.replace(
            "/var/run/docker.sock:/var/run/docker.sock", "/run/docker.sock:/var/run/docker.sock"
        )
    )
    assert _hash(sarif_of(repo, monkeypatch, ".")) != before


def test_identical_findings_get_distinct_hashes(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (repo / "deploy/compose.yaml").write_text(
        STACK.replace("portainer:\n", "portainer:\n    container_name: p\n")
        + STACK.split("\n", 1)[1].replace("portainer:", "agent:")
    )
    log = sarif_of(repo, monkeypatch, ".")
    hashes = [
        r["partialFingerprints"]["primaryLocationLineHash"] for r in log["runs"][0]["results"]
    ]
    assert len(hashes) == len(set(hashes)) == 2


# --------------------------------------------------------------------------------------------
# Limits, notifications, category, help links, rule properties
# --------------------------------------------------------------------------------------------


def _diagnostics(path: Path, count: int) -> list[Diagnostic]:
    severities = ["info", "warning", "error"]
    return [
        Diagnostic(
            Span(path, i + 1, 1), "DIND102", severities[i % 3], "host-socket-mount", f"finding {i}"
        )
        for i in range(count)
    ]


def test_results_are_capped_with_a_notification(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sarif, "MAX_RESULTS", 4)
    path = tmp_path / "compose.yaml"
    path.write_text("\n" * 12)
    log = json.loads(sarif.render(_diagnostics(path, 9), ReportContext(root=tmp_path)))
    results = log["runs"][0]["results"]
    assert len(results) == 4
    assert [r["level"] for r in results].count("error") == 3  # the most severe are kept
    notes = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert any("5 of 9 results were left out" in n["message"]["text"] for n in notes)
    validate(log)


def test_related_locations_are_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sarif, "MAX_RELATED", 2)
    path = tmp_path / "compose.yaml"
    related = tuple((Span(path, 1), f"note {i}") for i in range(5))
    diag = Diagnostic(Span(path, 1), "DIND102", "warning", "host-socket-mount", "m", related)
    log = json.loads(sarif.render([diag], ReportContext(root=tmp_path)))
    assert len(log["runs"][0]["results"][0]["relatedLocations"]) == 2


def test_rule_limits_tags_and_description_length() -> None:
    doc = RuleDoc(
        "DIND999",
        "x" * 300,
        "warning",
        "s" * 2000,
        tuple(f"t{i}" for i in range(30)),
        7.5,
        "0.1.0",
        "# body\n",
        "DIND999-x.md",
    )
    rule = sarif.rule_descriptor(doc, "https://example.invalid/rules")
    assert len(rule["name"]) == 255 and len(rule["shortDescription"]["text"]) == 1024
    assert len(rule["fullDescription"]["text"]) <= 1024
    assert len(rule["properties"]["tags"]) == 20 and rule["properties"]["tags"][0] == "security"
    assert rule["helpUri"] == "https://example.invalid/rules/DIND999-x.md"


def test_unparsable_file_is_a_notification_with_its_location(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    log = sarif_of(REPO, monkeypatch, "tests/cases/broken-yaml")
    invocation = log["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is True
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "error" and note["associatedRule"]["id"] == "DIND001"
    location = note["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {
        "uri": "tests/cases/broken-yaml/compose.yaml",
        "uriBaseId": "%SRCROOT%",
    }
    assert [r["ruleId"] for r in log["runs"][0]["results"]] == ["DIND001"]


def test_category_and_help_uri_base(monkeypatch: pytest.MonkeyPatch) -> None:
    log = sarif_of(
        REPO,
        monkeypatch,
        "--sarif-category",
        "dindlint",
        "--help-uri-base",
        "https://docs.example.invalid/rules",
        "examples/broken-dind",
    )
    run = log["runs"][0]
    assert run["automationDetails"] == {"id": "dindlint/"}
    assert all(
        r["helpUri"].startswith("https://docs.example.invalid/rules/DIND")
        for r in run["tool"]["driver"]["rules"]
    )
    assert sarif.category_id("mono/backend/") == "mono/backend/"
    assert "automationDetails" not in sarif_of(REPO, monkeypatch, "examples/broken-dind")["runs"][0]
    validate(log)


def test_rule_properties_follow_the_catalogue() -> None:
    rules = {
        r["id"]: r for r in json.loads(sarif.render([], REPO))["runs"][0]["tool"]["driver"]["rules"]
    }
    assert rules["DIND001"]["properties"]["precision"] == "very-high"
    assert rules["DIND102"]["properties"]["precision"] == "very-high"
    assert rules["DIND301"]["properties"]["precision"] == "high"
    for rule_id, doc in catalogue().items():
        properties = rules[rule_id]["properties"]
        expected = {"error": "error", "warning": "warning", "info": "recommendation"}
        assert properties["problem.severity"] == expected[doc.severity]
        assert ("security-severity" in properties) == (doc.security_severity is not None)
        assert rules[rule_id]["help"]["markdown"] == doc.body
    assert {rule_id for rule_id, r in rules.items() if "security-severity" in r["properties"]} >= {
        "DIND101",
        "DIND102",
        "DIND402",
    }


def test_zero_results_is_valid_and_not_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    log = sarif_of(REPO, monkeypatch, "examples/fixed-dind")
    assert log["runs"][0]["results"] == [] and log["runs"][0]["tool"]["driver"]["rules"]
    validate(log)
