"""SARIF for GitHub code scanning beyond its required fields: ``suppressions`` on every result,
suppressed results left out on request, related locations linked from the message, snippets."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from dindlint.cli import main
from dindlint.findings import Diagnostic
from dindlint.report import sarif
from dindlint.report.common import ReportContext
from dindlint.source import Span
from tests.conftest import REPO

SUPPRESSIONS = "tests/fixtures/suppressions"


def sarif_of(monkeypatch: pytest.MonkeyPatch, *args: str, cwd: Path = REPO) -> dict:  # type: ignore[type-arg]
    monkeypatch.chdir(cwd)
    result = CliRunner().invoke(main, ["check", "--no-config", "--format", "sarif", *args])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_suppressions_are_on_every_result_or_none(monkeypatch: pytest.MonkeyPatch) -> None:
    """SARIF 2.1.0 §3.27.23: `suppressions` present on all results of a run, `[]` where none
    applies."""
    results = sarif_of(monkeypatch, SUPPRESSIONS)["runs"][0]["results"]
    suppressed = [r for r in results if r["suppressions"]]
    active = [r for r in results if r["suppressions"] == []]
    assert suppressed and active
    assert len(suppressed) + len(active) == len(results)


def test_omit_suppressed_leaves_only_the_active_results(monkeypatch: pytest.MonkeyPatch) -> None:
    kept = sarif_of(monkeypatch, SUPPRESSIONS)["runs"][0]["results"]
    omitted = sarif_of(monkeypatch, "--sarif-omit-suppressed", SUPPRESSIONS)["runs"][0]["results"]
    active = [r for r in kept if not r["suppressions"]]
    assert len(omitted) < len(kept)
    assert omitted == active  # same results, same fingerprints: no alert moves
    assert all(r["suppressions"] == [] for r in omitted)


def test_related_locations_are_linked_from_the_message(monkeypatch: pytest.MonkeyPatch) -> None:
    results = sarif_of(monkeypatch, "examples/broken-dind")["runs"][0]["results"]
    with_related = [r for r in results if r.get("relatedLocations")]
    assert with_related
    for result in with_related:
        text = result["message"]["text"]
        for related in result["relatedLocations"]:
            link = f"]({related['id']})"
            assert link in text, text
    (user,) = [r for r in results if r["ruleId"] == "DIND302"]
    # the alert on the `user:` line links to where the daemon decided the socket's group
    assert (
        "[socket group decided here (group `docker` of image docker:27-dind)](1)"
        in (user["message"]["text"])
    )
    assert user["relatedLocations"][1]["physicalLocation"]["region"]["startLine"] == 6
    assert user["message"]["text"].startswith("runner runs as `runner:runner`")


def test_brackets_of_a_linked_message_cannot_forge_a_link(tmp_path: Path) -> None:
    path = tmp_path / "compose.yaml"
    path.write_text("services:\n  a:\n    image: alpine\n")
    related = ((Span(path, 2, 3), "note [x](0)"),)
    diag = Diagnostic(
        Span(path, 3, 5), "DIND102", "warning", "host-socket-mount", "svc [evil](0) \\", related
    )
    text = sarif.message_text(diag, 10)
    assert text == "svc \\[evil\\](0) \\\\. See: [note \\[x\\](0)](0)."
    # exactly one embedded link: `[` not preceded by a backslash opens one
    assert len(re.findall(r"(?<!\\)\[", text)) == 1
    plain = diag._replace(related=(), message="add `group_add: [docker]`")
    assert sarif.message_text(plain, 10) == "add `group_add: [docker]`"


def test_region_snippet_is_the_region_and_the_context_its_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    results = sarif_of(monkeypatch, "examples/broken-dind")["runs"][0]["results"]
    lines = (REPO / "examples/broken-dind/compose.yaml").read_text().splitlines()
    assert results
    for result in results:
        physical = result["locations"][0]["physicalLocation"]
        if physical["artifactLocation"]["uri"] != "examples/broken-dind/compose.yaml":
            continue
        region = physical["region"]
        line = lines[region["startLine"] - 1]
        assert region["endLine"] == region["startLine"]
        assert (
            region["snippet"]["text"] == line[region["startColumn"] - 1 : region["endColumn"] - 1]
        )
        assert physical["contextRegion"] == {
            "startLine": region["startLine"],
            "endLine": region["startLine"],
            "snippet": {"text": line},
        }
    (user,) = [r for r in results if r["ruleId"] == "DIND302"]
    assert user["locations"][0]["physicalLocation"]["region"]["snippet"]["text"] == (
        '"runner:runner"'
    )


STACK = """services:
  portainer:
    image: portainer/portainer-ce:2.21.0
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock{tail}
"""


def test_no_snippet_for_a_long_line_or_a_file_outside_the_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "compose.yaml").write_text(STACK.format(tail="  # " + "x" * 300))
    (repo / "short").mkdir()
    (repo / "short/compose.yaml").write_text(STACK.format(tail=""))
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "compose.yaml").write_text(STACK.format(tail="  # SECRET-CANARY"))
    log = sarif_of(monkeypatch, ".", str(outside), cwd=repo)
    by_uri = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]: r["locations"][0][
            "physicalLocation"
        ]
        for r in log["runs"][0]["results"]
    }
    assert "snippet" in by_uri["short/compose.yaml"]["region"]
    assert "snippet" not in by_uri["compose.yaml"]["region"]
    assert "contextRegion" not in by_uri["compose.yaml"]
    outside_uri = (outside / "compose.yaml").resolve().as_uri()
    assert "snippet" not in by_uri[outside_uri]["region"]
    assert "SECRET-CANARY" not in json.dumps(log)
    # %SRCROOT% is described, never located: no absolute path of the checkout
    assert "uri" not in log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]
    assert str(repo) not in json.dumps(log)


def test_suppressed_and_linked_results_validate(tmp_path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    from tests.sarif_multitool import sarif_schema

    path = tmp_path / "compose.yaml"
    path.write_text("services:\n  a:\n    image: alpine\n")
    related = ((Span(path, 2, 3), "service a"),)
    diags = [
        Diagnostic(Span(path, 3, 5), "DIND102", "warning", "host-socket-mount", "m", related),
        Diagnostic(Span(path, 2, 3), "DIND102", "warning", "host-socket-mount", "n", (), "ok"),
    ]
    log = json.loads(sarif.render(diags, ReportContext(root=tmp_path)))
    jsonschema.validate(log, sarif_schema())


def test_no_snippet_of_a_file_that_does_not_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    (result,) = sarif_of(monkeypatch, "tests/cases/broken-yaml")["runs"][0]["results"]
    assert result["ruleId"] == "DIND001"
    physical = result["locations"][0]["physicalLocation"]
    assert "snippet" not in physical["region"] and "contextRegion" not in physical
