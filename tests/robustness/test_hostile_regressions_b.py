"""Hostile inputs of issue 18 (reports, Dockerfile parsing, include, crashes in output): each test
failed before its fix, by a blow-up (time, memory, output size) or by a crash.

Costs are measured in a fresh process (``_timed``) so one test's caches do not help another; the
bounds leave about ten times the cost measured after the fix on a 2-core machine, far below the
cost before it (written beside each bound).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from dindlint.findings import Diagnostic
from dindlint.fingerprint import fingerprint_keys
from dindlint.source import Span

REPO = Path(__file__).resolve().parents[2]


def _timed(code: str, *args: str) -> dict:  # type: ignore[type-arg]
    """Run ``code`` in a fresh interpreter; it prints a JSON object on its last stdout line,
    to which the peak memory (``rss_mb``) is added."""
    child = textwrap.dedent(code) + textwrap.dedent("""
        import resource as _resource
        _result["rss_mb"] = _resource.getrusage(_resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(_result))
    """)
    proc = subprocess.run(
        [sys.executable, "-c", child, *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _finding(path: Path, line: int, rule_id: str = "DIND102") -> Diagnostic:
    return Diagnostic(
        span=Span(path, line), rule_id=rule_id, severity="warning", name="n", message="m"
    )


# --------------------------------------------------------------------------------------------
# Fingerprints: each file's YAML key context in one pass; a key pattern linear on blanks
# --------------------------------------------------------------------------------------------


def test_fingerprint_contexts_are_the_keys_above_by_indentation(tmp_path: Path) -> None:
    compose = tmp_path / "compose.yaml"
    compose.write_text(
        textwrap.dedent("""\
        services:
          # a comment at a lower indentation is not a key
          manager:
            image: docker:cli

            volumes:
              - /var/run/docker.sock:/var/run/docker.sock
              - "x": 1
                deeper: /var/run/docker.sock
          worker:
            - /var/run/docker.sock
        top: /var/run/docker.sock
        """)
    )
    keys = fingerprint_keys([_finding(compose, n) for n in (7, 9, 11, 12, 1, 40)], tmp_path)
    contexts = [key.split("\0")[2] for key, _ in keys]
    assert contexts == [
        "services/manager/volumes",
        "services/manager/volumes/x",
        "services/worker",
        "",
        "",
        "",
    ]


def test_dockerfile_fingerprint_context_is_the_stage(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM alpine AS a\nRUN x\nfrom  debian\nRUN y\n")
    keys = fingerprint_keys([_finding(dockerfile, n) for n in (2, 4, 1)], tmp_path)
    assert [key.split("\0")[2] for key, _ in keys] == [
        "FROM alpine AS a",
        "from debian",
        "FROM alpine AS a",
    ]


def test_fingerprints_of_thousands_of_findings_are_linear() -> None:
    # before: every finding rescanned all the lines above it (4,000 findings: about 56 s)
    result = _timed("""
        import json, sys, tempfile, time
        from pathlib import Path
        from dindlint.fingerprint import fingerprint_keys
        from dindlint.findings import Diagnostic
        from dindlint.source import Span
        folder = Path(tempfile.mkdtemp())
        compose = folder / "compose.yaml"
        compose.write_text("services:\\n" + "".join(
            f"  s{i}:\\n    volumes:\\n      - /var/run/docker.sock:/x\\n" for i in range(4000)))
        found = [Diagnostic(span=Span(compose, 4 + 3 * i), rule_id="DIND102",
                            severity="warning", name="n", message="m") for i in range(4000)]
        start = time.perf_counter()
        keys = fingerprint_keys(found, folder)
        _result = {"seconds": time.perf_counter() - start, "last": keys[-1][0]}
    """)
    assert result["last"].split("\0")[2] == "services/s3999/volumes"
    assert result["seconds"] < 1.0, result  # after: 0.08 s


def test_fingerprint_key_pattern_is_linear_on_blanks() -> None:
    # before: `key<60,000 blanks>x` above a finding took the key pattern about 18 s
    result = _timed("""
        import json, tempfile, time
        from pathlib import Path
        from dindlint.fingerprint import fingerprint_keys
        from dindlint.findings import Diagnostic
        from dindlint.source import Span
        folder = Path(tempfile.mkdtemp())
        compose = folder / "compose.yaml"
        compose.write_text("services:\\n  s:\\n    key" + " " * 60000 + "x\\n"
                           "    - /var/run/docker.sock\\n")
        found = [Diagnostic(span=Span(compose, 4), rule_id="DIND102", severity="warning",
                            name="n", message="m")]
        start = time.perf_counter()
        keys = fingerprint_keys(found, folder)
        _result = {"seconds": time.perf_counter() - start, "key": keys[0][0]}
    """)
    assert result["key"].split("\0")[2] == "services/s"
    assert result["seconds"] < 0.5, result  # after: under 0.01 s


# --------------------------------------------------------------------------------------------
# Text output: the excerpt and its caret are a window around the column
# --------------------------------------------------------------------------------------------


def _check(*args: str) -> tuple[int, str]:
    from click.testing import CliRunner

    from dindlint.cli import main

    result = CliRunner().invoke(main, ["check", "--no-config", "--color", "never", *args])
    return result.exit_code, result.output


def test_caret_of_a_finding_far_along_a_line_is_a_short_window(tmp_path: Path) -> None:
    # before: the caret line was `col - 1` blanks: 1,000 findings on one 72 KB line printed
    # 36 MB (3,000 services: 327 MB and 1.6 GB of memory)
    services = ", ".join(
        f"s{i}: {{image: docker:cli, volumes: [/var/run/docker.sock:/x]}}" for i in range(1000)
    )
    (tmp_path / "compose.yaml").write_text("{services: {" + services + "}}\n")
    code, output = _check(str(tmp_path))
    assert code == 1 and "Found 1000 problems" in output
    assert len(output) < 600_000, len(output)  # after: about 500 bytes a finding
    lines = output.splitlines()
    last = next(i for i in range(len(lines) - 1, -1, -1) if "s999 bind-mounts" in lines[i])
    shown, caret = lines[last + 1], lines[last + 2]
    assert shown.startswith("  …") and caret.endswith("^") and len(caret) <= 205
    # the caret stands under the finding's column: the socket path of the last service
    assert shown[caret.index("^") :].startswith("/var/run/docker.sock")


def test_excerpt_keeps_the_caret_under_the_column_through_tabs_and_escapes() -> None:
    from dindlint.report.text import excerpt

    assert excerpt("  image: x", 10) == ("  image: x", 9)
    shown, offset = excerpt("\t\x1b[31m: x", 9)
    assert shown[offset:] == "x" and "\x1b" not in shown
    long = "a" * 1000 + "X" + "b" * 1000
    shown, offset = excerpt(long, 1001)
    assert shown[offset] == "X" and shown.startswith("…") and shown.endswith("…")
    assert len(shown) <= 202
    assert excerpt("short", 99) == ("short", 5)  # past the end: at the end


# --------------------------------------------------------------------------------------------
# include: a file that many projects include is modelled once per run
# --------------------------------------------------------------------------------------------


def _includers(tmp_path: Path, count: int, shared: str) -> list[Path]:
    (tmp_path / "shared.yaml").write_text(shared)
    composes = []
    for n in range(count):
        folder = tmp_path / f"p{n}"
        folder.mkdir()
        compose = folder / "compose.yaml"
        compose.write_text(
            f"include:\n  - ../shared.yaml\nservices:\n  own{n}:\n    image: docker:cli\n"
        )
        composes.append(compose)
    return composes


def test_a_file_included_by_several_projects_is_modelled_once(tmp_path: Path) -> None:
    from dindlint.compose import load_project
    from dindlint.source import reading_once

    composes = _includers(
        tmp_path,
        3,
        "services:\n  big:\n    image: docker:cli\n    volumes: [/var/run/docker.sock:/x]\n",
    )
    with reading_once():
        projects = [load_project([compose]) for compose in composes]
    assert [sorted(p.services) for p in projects] == [["big", f"own{n}"] for n in range(3)]
    # one Service object for the three includers: modelled once, not once per includer
    assert projects[0].services["big"] is projects[1].services["big"] is projects[2].services["big"]
    assert all(tmp_path / "shared.yaml" in p.files for p in projects)


def test_an_included_project_is_not_reused_where_its_includes_form_a_cycle(tmp_path: Path) -> None:
    from dindlint.compose import load_project
    from dindlint.source import reading_once

    # shared.yaml includes p0's file: a cycle back to p0 for p0, one more level for p1 (whose
    # cycle closes on shared.yaml, from p0's file)
    composes = _includers(
        tmp_path, 2, "include:\n  - p0/compose.yaml\nservices:\n  big:\n    image: docker:cli\n"
    )
    with reading_once():
        first, second = (load_project([compose]) for compose in composes)
    assert [p.message for p in first.problems] == ["Include cycle through `compose.yaml`"]
    assert sorted(first.services) == ["big", "own0"]
    assert [(p.message, p.span.path) for p in second.problems] == [
        ("Include cycle through `shared.yaml`", composes[0])
    ]
    assert sorted(second.services) == ["big", "own0", "own1"]


def test_forty_projects_including_one_file_are_bounded(tmp_path: Path) -> None:
    # before: each of 40 includers modelled the same 250 KB file again
    shared = "services:\n" + "".join(
        f"  big{i}:\n    image: docker:cli\n    environment:\n      K{i}: '{'v' * 40}'\n"
        for i in range(3000)
    )
    _includers(tmp_path, 40, shared)
    result = _timed(
        """
        import json, sys, time
        from pathlib import Path
        from dindlint.compose import load_project
        from dindlint.source import reading_once
        folder = Path(sys.argv[1])
        start = time.perf_counter()
        with reading_once():
            sizes = [len(load_project([folder / f"p{n}" / "compose.yaml"]).services)
                     for n in range(40)]
        _result = {"seconds": time.perf_counter() - start, "sizes": sorted(set(sizes))}
    """,
        str(tmp_path),
    )
    assert result["sizes"] == [3001]
    assert result["seconds"] < 5.0, result  # after: 0.5 s; before: 10 s


# --------------------------------------------------------------------------------------------
# Crashes in output: lone surrogates, names that are not UTF-8, symbolic link loops
# --------------------------------------------------------------------------------------------

FORMATS = ("text", "sarif", "json", "github", "gitlab", "junit")


def _check_process(folder: Path, output_format: str) -> subprocess.CompletedProcess[bytes]:
    """``dindlint check`` in a fresh process, its report on a pipe (as in CI)."""
    return subprocess.run(
        [sys.executable, "-m", "dindlint", "check", "--no-config", "--format", output_format, "."],
        cwd=folder,
        capture_output=True,
        timeout=120,
        check=False,
    )


def _parses(output_format: str, report: bytes) -> None:
    text = report.decode("utf-8")  # strict: the report is UTF-8
    if output_format in ("sarif", "json", "gitlab"):
        json.loads(text)
    elif output_format == "junit":
        import xml.etree.ElementTree as ET

        ET.fromstring(report)


@pytest.mark.parametrize("output_format", FORMATS)
def test_a_lone_surrogate_from_a_yaml_escape_is_reported_in_every_format(
    tmp_path: Path, output_format: str
) -> None:
    # before: exit 2, "internal error: UnicodeEncodeError", no report
    (tmp_path / "compose.yaml").write_text(
        'services:\n  s:\n    image: docker:cli\n    group_add: ["\\ud800"]\n'
    )
    proc = _check_process(tmp_path, output_format)
    assert proc.returncode == 1, proc.stderr
    assert b"DIND204" in proc.stdout and b"\\ud800" in proc.stdout
    _parses(output_format, proc.stdout)


@pytest.mark.parametrize("output_format", FORMATS)
def test_a_folder_name_that_is_not_utf8_is_reported_in_every_format(
    tmp_path: Path, output_format: str
) -> None:
    # before: git check-ignore's stdin (text) and every format raised UnicodeEncodeError
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    folder = Path(os.fsdecode(os.fsencode(tmp_path) + b"/d\xff"))
    folder.mkdir()
    (folder / "compose.yaml").write_text(
        "services:\n  s:\n    image: docker:cli\n"
        "    volumes: [/var/run/docker.sock:/var/run/docker.sock]\n"
    )
    proc = _check_process(tmp_path, output_format)
    assert proc.returncode == 1, proc.stderr
    assert b"DIND102" in proc.stdout
    _parses(output_format, proc.stdout)
    if output_format == "sarif":
        uri = json.loads(proc.stdout)["runs"][0]["results"][0]["locations"][0]["physicalLocation"][
            "artifactLocation"
        ]["uri"]
        assert uri == "d%FF/compose.yaml"  # the name's own bytes


def test_git_ignore_check_takes_names_that_are_not_utf8(tmp_path: Path) -> None:
    from dindlint.files import git_ignored

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_bytes(b"i\xff/\n")
    ignored, kept = (
        Path(os.fsdecode(os.fsencode(tmp_path) + name)) for name in (b"/i\xff", b"/k\xff")
    )
    ignored.mkdir()
    kept.mkdir()
    assert git_ignored(tmp_path, [ignored, kept]) == {ignored}


@pytest.mark.parametrize("output_format", FORMATS)
def test_a_finding_on_a_symbolic_link_loop_is_reported_in_every_format(
    tmp_path: Path, output_format: str
) -> None:
    # before: Path.resolve raised RuntimeError("Symlink loop") in sarif, json, gitlab and junit
    from dindlint.report.common import ReportContext
    from dindlint.report.formats import render

    (tmp_path / "a.env").symlink_to("b.env")
    (tmp_path / "b.env").symlink_to("a.env")
    loop = Diagnostic(
        span=Span(tmp_path / "a.env", 1),
        rule_id="DIND001",
        severity="error",
        name="input-error",
        message="cannot read `a.env`",
    )
    report = render(output_format, [loop], ReportContext(root=tmp_path, base=tmp_path))
    assert "a.env" in report
    _parses(output_format, report.encode())


# --------------------------------------------------------------------------------------------
# extends: a long chain is cut at a bound, with a finding there; the project's findings stay
# --------------------------------------------------------------------------------------------


def test_a_chain_of_500_extends_keeps_the_projects_other_findings(tmp_path: Path) -> None:
    # before: RecursionError, and the whole project became one DIND001 at line 1
    from dindlint.compose import MAX_EXTENDS_DEPTH, load_project

    lines = [
        "services:",
        "  s0:",
        "    image: docker:cli",
        "    volumes: [/var/run/docker.sock:/var/run/docker.sock]",
    ]
    for n in range(1, 500):
        lines += [f"  s{n}:", f"    extends: s{n - 1}"]
    lines += ["  other:", "    image: docker:cli", "    user: '1000'"]
    (tmp_path / "compose.yaml").write_text("\n".join(lines) + "\n")
    project = load_project([tmp_path / "compose.yaml"])
    assert [(p.rule_id, p.span.line) for p in project.problems] == [("DIND002", 6)]
    assert str(MAX_EXTENDS_DEPTH) in project.problems[0].message
    assert len(project.services) == 501 and project.services["other"].user is not None
    # a chain within the bound is resolved whole: s100 still has s0's socket mount
    assert project.services[f"s{MAX_EXTENDS_DEPTH}"].volumes
    assert not project.services[f"s{MAX_EXTENDS_DEPTH + 1}"].volumes
    _, output = _check(str(tmp_path))
    assert "DIND001" not in output and "DIND002" in output
    assert f"s{MAX_EXTENDS_DEPTH} bind-mounts the host's Docker socket" in output


# --------------------------------------------------------------------------------------------
# One line-splitting rule for the loaders, the excerpt and the fingerprint
# --------------------------------------------------------------------------------------------


def test_a_line_separator_in_a_dockerfile_keeps_the_excerpt_on_the_findings_line(
    tmp_path: Path,
) -> None:
    # before: str.splitlines() split at U+2028 (BuildKit does not): the excerpt showed the line
    # above the finding, and the fingerprint normalised that other line
    (tmp_path / "Dockerfile").write_text(
        "FROM docker:cli\n# note a\u2028b\nUSER root\nRUN addgroup -g 999 docker\n"
    )
    (tmp_path / "compose.yaml").write_text(
        "services:\n  s:\n    build: .\n    volumes: [/var/run/docker.sock:/x]\n"
    )
    _, output = _check(str(tmp_path))
    lines = output.splitlines()
    at = next(i for i, line in enumerate(lines) if "Dockerfile:4:" in line)
    assert lines[at + 1] == "  RUN addgroup -g 999 docker"
    found = Diagnostic(
        span=Span(tmp_path / "Dockerfile", 4),
        rule_id="DIND203",
        severity="error",
        name="n",
        message="m",
    )
    assert fingerprint_keys([found], tmp_path)[0][0].endswith("RUN addgroup -g 999 docker")


def test_split_lines_follows_the_yaml_and_dockerfile_rules() -> None:
    from dindlint.source import split_lines

    assert split_lines("a\r\nb\rc\nd\x85e\u2028f\u2029g\x0ch\n") == [
        "a",
        "b",
        "c",
        "d\x85e\u2028f\u2029g\x0ch",
    ]
    assert split_lines("a\r\nb\u2028c\rd\n", dockerfile=True) == ["a", "b\u2028c\rd"]
    assert split_lines("") == split_lines("", dockerfile=True) == []
