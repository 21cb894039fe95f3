"""Every report format: golden snapshots, the JSON schema, escaping, several outputs in one run.

Snapshots come from a fixed multi-rule fixture (findings, related places, suppressed findings
and an unparsable file), run with the repository root as the current directory so paths are
stable. Regenerate them with ``DINDLINT_UPDATE_SNAPSHOTS=1 python -m pytest tests/test_formats.py``.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from dindlint import __version__
from dindlint.cli import main
from dindlint.findings import Diagnostic
from dindlint.report import github, gitlab, json_report, junit, sarif, text
from dindlint.report.common import ReportContext
from dindlint.report.formats import FORMATS, Output, OutputError, parse_output, plan
from dindlint.source import Span
from tests.conftest import REPO

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
FIXTURE = [
    "examples/broken-dind",
    "tests/fixtures/membership",
    "tests/fixtures/suppressions",
    "tests/cases/broken-yaml",
]
EXTENSIONS = {
    "text": "txt",
    "sarif": "sarif",
    "json": "json",
    "github": "txt",
    "gitlab": "json",
    "junit": "xml",
}


def run(monkeypatch: pytest.MonkeyPatch, *args: str, cwd: Path = REPO):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(cwd)
    return CliRunner().invoke(main, ["check", "--no-config", *args])


def _stable(output: str, fmt: str) -> str:
    """What may change without the format changing is masked: the checkout's location, the
    tool version, and (SARIF) the rule documentation, which the catalogue tests cover."""
    output = output.replace(REPO.as_uri(), "file:///REPO").replace(str(REPO), "/REPO")
    output = output.replace(f'"{__version__}"', '"<version>"')
    if fmt != "sarif":
        return output
    log = json.loads(output)
    for rule in log["runs"][0]["tool"]["driver"]["rules"]:
        for key in ("shortDescription", "fullDescription", "help"):
            rule[key] = "<from the catalogue>"
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("fmt", FORMATS)
def test_snapshot(fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run(monkeypatch, "--format", fmt, "--color", "never", *FIXTURE)
    assert result.exit_code == 1, result.output
    got = _stable(result.stdout, fmt)
    golden = SNAPSHOTS / f"check-{fmt}.{EXTENSIONS[fmt]}"
    if os.environ.get("DINDLINT_UPDATE_SNAPSHOTS") == "1":
        golden.write_text(got, encoding="utf-8")
    assert golden.is_file(), f"no snapshot {golden.name}; run with DINDLINT_UPDATE_SNAPSHOTS=1"
    assert got == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("paths", [FIXTURE, ["examples/fixed-dind"]])
def test_json_validates_against_the_shipped_schema(
    paths: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json_report.schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$id"] == json_report.SCHEMA_ID and "v1" in schema["$id"]
    document = json.loads(run(monkeypatch, "--format", "json", *paths).stdout)
    jsonschema.validate(document, schema)
    assert document["version"] == 1


def test_json_keeps_suppressed_findings_with_their_justification(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    document = json.loads(
        run(monkeypatch, "--format", "json", "tests/fixtures/suppressions").stdout
    )
    suppressed = [f for f in document["findings"] if f["suppressed"] is not None]
    assert len(suppressed) == document["summary"]["suppressed"] > 0
    assert any(f["suppressed"]["justification"] for f in suppressed)
    active = [f for f in document["findings"] if f["suppressed"] is None]
    assert document["summary"]["findings"] == len(active)


def test_json_fingerprint_is_the_baseline_fingerprint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    baseline = tmp_path / "baseline.json"
    run(monkeypatch, "--write-baseline", str(baseline), "examples/broken-dind")
    recorded = {e["fingerprint"] for e in json.loads(baseline.read_text())["findings"]}
    document = json.loads(run(monkeypatch, "--format", "json", "examples/broken-dind").stdout)
    assert {f["fingerprint"] for f in document["findings"]} == recorded


@pytest.mark.parametrize("fmt", ["github", "gitlab", "junit"])
def test_other_formats_drop_suppressed_findings(fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    output = run(monkeypatch, "--format", fmt, "tests/fixtures/suppressions").stdout
    text = run(monkeypatch, "--format", "text", "tests/fixtures/suppressions").stdout
    shown = sum(1 for line in text.splitlines() if ": warning DIND" in line)
    if fmt == "github":
        assert len(output.splitlines()) == shown
    elif fmt == "gitlab":
        assert len(json.loads(output)) == shown
    else:
        assert len(ET.fromstring(output).findall(".//failure")) == shown


def _diag(message: str, path: Path, severity: str = "error") -> Diagnostic:
    return Diagnostic(
        Span(path, 3, 5, 3, 9), "DIND301", severity, "user-cannot-access-socket", message
    )


def test_github_escapes_message_and_properties(tmp_path: Path) -> None:
    path = tmp_path / "we,ird:name.yaml"
    line = github.command(_diag("100% sure\r\nsecond line", path), ReportContext(root=tmp_path))
    assert line == (
        "::error file=we%2Cird%3Aname.yaml,line=3,endLine=3,col=5,endColumn=9,"
        "title=DIND301 user-cannot-access-socket::100%25 sure%0D%0Asecond line"
    )
    assert "\n" not in line and "\r" not in line


def test_github_command_per_severity(tmp_path: Path) -> None:
    context = ReportContext(root=tmp_path)
    names = [
        github.command(_diag("m", tmp_path / "c.yaml", s), context).split(" ")[0]
        for s in ("error", "warning", "info")
    ]
    assert names == ["::error", "::warning", "::notice"]


def test_gitlab_code_quality_shape(monkeypatch: pytest.MonkeyPatch) -> None:
    issues = json.loads(run(monkeypatch, "--format", "gitlab", *FIXTURE).stdout)
    assert issues
    for issue in issues:
        assert issue["description"] and issue["check_name"].startswith("DIND")
        assert issue["severity"] in ("info", "minor", "major", "critical", "blocker")
        assert not issue["location"]["path"].startswith("/")
        assert issue["location"]["lines"]["begin"] >= 1
    assert len({i["fingerprint"] for i in issues}) == len(issues)


def test_gitlab_severity_mapping(tmp_path: Path) -> None:
    assert gitlab.severity(_diag("m", tmp_path / "c", "error")) == "major"
    assert gitlab.severity(_diag("m", tmp_path / "c", "warning")) == "minor"
    assert gitlab.severity(_diag("m", tmp_path / "c", "info")) == "info"
    plaintext = Diagnostic(Span(tmp_path / "c", 1), "DIND402", "error", "x", "m")  # 9.8
    assert gitlab.severity(plaintext) == "critical"


def test_junit_is_one_suite_per_file_and_one_failure_per_finding(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = ET.fromstring(run(monkeypatch, "--format", "junit", *FIXTURE).stdout)
    suites = root.findall("testsuite")
    assert len({s.get("name") for s in suites}) == len(suites)
    for suite in suites:
        assert int(suite.get("failures", "-1")) == len(suite.findall("testcase/failure"))
    assert int(root.get("failures", "-1")) == len(root.findall(".//failure"))


def test_junit_without_findings_has_a_passing_case(monkeypatch: pytest.MonkeyPatch) -> None:
    root = ET.fromstring(run(monkeypatch, "--format", "junit", "examples/fixed-dind").stdout)
    assert root.findall(".//testcase") and not root.findall(".//failure")


def test_text_and_sarif_in_one_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out.sarif"
    result = run(
        monkeypatch, "--format", "text", "--format", f"sarif:{target}", "examples/broken-dind"
    )
    assert result.exit_code == 1
    assert "examples/broken-dind/compose.yaml:15:11: error DIND302" in result.stdout
    log = json.loads(target.read_text())
    assert {r["ruleId"] for r in log["runs"][0]["results"]} >= {"DIND302", "DIND401"}


def test_several_files_in_one_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    specs = [f"{fmt}:{tmp_path / ('report.' + fmt)}" for fmt in FORMATS]
    result = run(monkeypatch, *[a for s in specs for a in ("--format", s)], "examples/broken-dind")
    assert result.exit_code == 1 and result.stdout == ""
    assert all((tmp_path / f"report.{fmt}").read_text() for fmt in FORMATS)


def test_dash_o_still_serves_a_single_format(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "report.json"
    result = run(monkeypatch, "--format", "json", "-o", str(target), "examples/broken-dind")
    assert result.exit_code == 1 and result.stdout == ""
    assert json.loads(target.read_text())["version"] == 1


@pytest.mark.parametrize(
    "args",
    [
        ["--format", "text", "--format", "json"],  # two reports on standard output
        ["--format", "sarif:a.sarif", "-o", "b.txt"],  # -o has no report to receive
        ["--format", "xml"],
        ["--format", "sarif:"],
    ],
)
def test_impossible_output_plans_are_usage_errors(
    args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run(monkeypatch, *args, str(REPO / "examples/broken-dind"), cwd=tmp_path)
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_output_specs() -> None:
    assert parse_output("sarif:C:\\out\\x.sarif") == Output("sarif", Path("C:\\out\\x.sarif"))
    assert parse_output("JSON") == Output("json")
    with pytest.raises(OutputError):
        parse_output("yaml")
    assert plan([], None) == [Output("text")]
    assert plan([Output("json")], Path("r.json")) == [Output("json", Path("r.json"))]
    with pytest.raises(OutputError):
        plan([Output("json", Path("same")), Output("sarif", Path("same"))], None)


# ------------------------------------------------------------------------------ the hint


HINT = 'add `group_add: ["2375"]`'
MESSAGE = "app runs as app with uid 1001 and groups 1001: connect() fails with `permission denied`"


def _hinted(tmp_path: Path, hint: str | None = HINT) -> Diagnostic:
    path = tmp_path / "compose.yaml"
    path.write_text("services:\n  app:\n    image: alpine\n")
    note = (Span(path, 2, 3), "the socket lands at /var/run/docker.sock")
    return Diagnostic(
        Span(path, 3, 5, 3, 9),
        "DIND301",
        "error",
        "user-cannot-access-socket",
        MESSAGE,
        (note,),
        hint=hint,
    )


def test_text_prints_the_hint_as_a_help_line_under_the_notes(tmp_path: Path) -> None:
    lines = text.render([_hinted(tmp_path)], tmp_path, False, 1).splitlines()
    assert lines[0] == f"compose.yaml:3:5: error DIND301 {MESSAGE}"
    assert lines[3:5] == [
        "  note: compose.yaml:2:3: the socket lands at /var/run/docker.sock",
        f"  help: {HINT}",
    ]
    assert "help:" not in text.render([_hinted(tmp_path, None)], tmp_path, False, 1)
    forged = text.render([_hinted(tmp_path, "x\n::error ::forged")], tmp_path, False, 1)
    assert "  help: x\\n::error ::forged" in forged.splitlines()


def test_json_and_sarif_carry_the_hint(tmp_path: Path) -> None:
    context = ReportContext(root=tmp_path)
    hinted, plain = _hinted(tmp_path), _hinted(tmp_path, None)
    finding = json.loads(json_report.render([hinted], context))["findings"][0]
    assert (finding["message"], finding["hint"]) == (MESSAGE, HINT)
    without = json.loads(json_report.render([plain], context))["findings"][0]
    assert without["hint"] is None and without["fingerprint"] == finding["fingerprint"]
    jsonschema = pytest.importorskip("jsonschema")
    for diag in (hinted, plain):
        jsonschema.validate(json.loads(json_report.render([diag], context)), json_report.schema())
    # SARIF: the message stays the first sentence of message.text (what GitHub shows where space
    # is short), the hint follows as a second one, then the links to the related locations
    # (brackets escaped, SARIF 2.1.0 §3.11.6); no `fixes` (they are for real edits)
    link = "See: [the socket lands at /var/run/docker.sock](0)."
    result = json.loads(sarif.render([hinted], context))["runs"][0]["results"][0]
    assert result["message"] == {"text": f"{MESSAGE}. Help: {sarif.escape_links(HINT)}. {link}"}
    assert "fixes" not in result
    plain_result = json.loads(sarif.render([plain], context))["runs"][0]["results"][0]
    assert plain_result["message"] == {"text": f"{MESSAGE}. {link}"}
    assert plain_result["partialFingerprints"] == result["partialFingerprints"]


def test_github_gitlab_and_junit_append_the_hint(tmp_path: Path) -> None:
    context = ReportContext(root=tmp_path)
    hinted = _hinted(tmp_path)
    assert github.command(hinted, context).endswith(f"%0Ahelp: {HINT}")
    assert "help" not in github.command(_hinted(tmp_path, None), context)
    issue = json.loads(gitlab.render([hinted], context))[0]
    assert issue["description"] == f"DIND301 user-cannot-access-socket: {MESSAGE}. Help: {HINT}."
    failure = ET.fromstring(junit.render([hinted], context)).find(".//failure")
    assert failure is not None and failure.text is not None
    assert failure.get("message") == f"{MESSAGE}. Help: {HINT}."
    assert failure.text.splitlines()[-1] == f"help: {HINT}"
