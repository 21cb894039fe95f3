"""What a new user hits first: files that are not Dockerfiles, bad input, CLI niceties."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from dindlint.cli import main
from dindlint.discover import discover
from dindlint.files import is_dockerfile_name, is_template_name
from tests.conftest import REPO

DOCKERIGNORE = "node_modules\n*.log\n!keep.log\n"
TEMPLATE = "FROM {{ base }}\n{% if x %}\nRUN true\n{% endif %}\n"
CLEAN = "services:\n  web:\n    image: nginx:1.27\n"
AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def invoke(*args: str, cwd: Path | None = None):  # type: ignore[no-untyped-def]
    runner = CliRunner()
    if cwd is None:
        return runner.invoke(main, list(args))
    old = Path.cwd()
    os.chdir(cwd)
    try:
        return runner.invoke(main, list(args))
    finally:
        os.chdir(old)


def _write(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# 1. Files that are not Dockerfiles


def test_dockerignore_and_templates_are_not_scanned(tmp_path: Path) -> None:
    dockerfile = _write(tmp_path, "Dockerfile", "FROM alpine:3.20\n")
    _write(tmp_path, "Dockerfile.dockerignore", DOCKERIGNORE)
    _write(tmp_path, "app.Dockerfile.dockerignore", DOCKERIGNORE)
    for suffix in (".j2", ".jinja", ".tmpl", ".tpl", ".template", ".in", ".erb", ".mustache"):
        _write(tmp_path, f"Dockerfile{suffix}", TEMPLATE)
        _write(tmp_path, f"compose.yaml{suffix}", CLEAN)
    found = discover([tmp_path])
    assert found.dockerfiles == (dockerfile,)
    assert found.compose_files == ()
    result = invoke("check", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "DIND001" not in result.output


def test_dockerignore_is_never_a_dockerfile_template_named_is_linted(tmp_path: Path) -> None:
    assert not is_dockerfile_name("Dockerfile.dockerignore")
    assert not is_dockerfile_name("app.dockerfile.dockerignore")
    assert is_template_name("Dockerfile.J2") and not is_template_name("Dockerfile.dev")
    ignore = _write(tmp_path, "Dockerfile.dockerignore", DOCKERIGNORE)
    template = _write(tmp_path, "Dockerfile.j2", TEMPLATE)
    found = discover([ignore, template])
    assert found.dockerfiles == (template,)  # named explicitly: the user asked for it
    assert found.skipped == (ignore,)


# 2. Bad input


def _unprivileged() -> list[str]:
    """A command prefix that runs without root's permission to read anything: none for a normal
    user; as root, a user namespace (`unshare -U`, where root's files are other people's).
    Skips when neither is possible (root ignores file modes)."""
    if not AS_ROOT:
        return []
    try:
        probe = subprocess.run(["unshare", "-U", "true"], capture_output=True, check=False)
    except OSError:
        probe = None
    if probe is None or probe.returncode != 0:
        pytest.skip("root reads files whatever their mode")
    return ["unshare", "-U"]


def _run_cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [*_unprivileged(), sys.executable, "-m", "dindlint", *args]
    env = {**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1"}
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)


UNREADABLE_PROJECT = """\
services:
  runner:
    build: ./runner
  other:
    build: ./other
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock:ro
"""


@pytest.mark.skipif(os.name != "posix", reason="file modes")
def test_unreadable_build_context_is_reported_at_the_build_entry(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    _write(tmp_path, "compose.yaml", UNREADABLE_PROJECT)
    _write(tmp_path, "runner/Dockerfile", "FROM alpine:3.20\n")
    _write(tmp_path, "other/Dockerfile", "FROM alpine:3.20\nRUN adduser -D app docker\n")
    for folder in (tmp_path, tmp_path / "runner", tmp_path / "other"):
        folder.chmod(0o755)  # the user namespace is "other" to these files
    (tmp_path / "runner").chmod(0)
    try:
        result = _run_cli(tmp_path, "check", ".")
        assert "Could not load the project" not in result.stdout
        lines = [line for line in result.stdout.splitlines() if not line.startswith(" ")]
        assert any(
            line.startswith("compose.yaml:3:12: info DIND003 Build context `./runner`")
            and "permission denied" in line
            for line in lines
        ), result.stdout
        assert any("DIND101" in line for line in lines), result.stdout  # the rest is kept
        assert any("DIND305" in line for line in lines), result.stdout
        assert result.returncode == 1
        # the Dockerfile named alone (as pre-commit does): a note, not an internal error
        result = _run_cli(tmp_path, "check", "runner/Dockerfile")
        assert "internal error" not in result.stderr, result.stderr
        assert "runner/Dockerfile: permission denied" in result.stderr
        assert result.returncode in (0, 1)
    finally:
        (tmp_path / "runner").chmod(0o755)


def test_control_character_is_reported_where_it_is_on_one_line(tmp_path: Path) -> None:
    _write(tmp_path, "compose.yaml", 'services:\n  web:\n    image: nginx\n    command: "a\x01b"\n')
    result = invoke("check", "--format", "json", str(tmp_path / "compose.yaml"))
    (diagnostic,) = json.loads(result.output)["findings"]
    assert diagnostic["rule"] == "DIND001"
    assert (diagnostic["line"], diagnostic["column"]) == (4, 16)
    assert "\n" not in diagnostic["message"] and "position" not in diagnostic["message"]
    assert "U+0001" in diagnostic["message"]


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ("", "1:1", "defines nothing"),
        ("# a comment\n", "1:1", "defines nothing"),
        ('version: "3.8"\n', "1:1", "defines nothing"),
        ("service:\n  web:\n    image: nginx\n", "1:1", "(did you mean `services`?)"),
        ("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n", "2:1", "`jobs` is not"),
        ("services:\n", "1:10", "`services` must be a mapping"),
    ],
)
def test_compose_file_that_docker_compose_rejects(
    tmp_path: Path, text: str, where: str, message: str
) -> None:
    _write(tmp_path, "compose.yaml", text)
    result = invoke("check", str(tmp_path), "--no-config", cwd=tmp_path)
    assert result.exit_code == 1, result.output
    assert any(
        line.startswith(f"compose.yaml:{where}: error DIND002") and message in line
        for line in result.output.splitlines()
    ), result.output


@pytest.mark.parametrize(
    ("files"),
    [
        {"compose.yaml": "include:\n  - other.yaml\n", "other.yaml": CLEAN},
        {"compose.yaml": "networks:\n  shared: {}\n"},
        {"compose.yaml": "name: fragment\nx-common: &c {}\n"},
        {"compose.yaml": CLEAN, "compose.override.yaml": ""},
        {"docker-compose.ci.yml": ""},  # an override merged with -f only
        {".github/workflows/compose-test.yml": "on: push\njobs: {}\n"},  # not a compose file
    ],
)
def test_compose_files_docker_compose_accepts(tmp_path: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        _write(tmp_path, name, text)
    result = invoke("check", str(tmp_path), "--no-config", cwd=tmp_path)
    assert "DIND002" not in result.output, result.output
    assert result.exit_code == 0, result.output


def test_graph_of_a_file_that_does_not_parse_shows_the_error(tmp_path: Path) -> None:
    _write(tmp_path, "compose.yaml", "services:\n  a:\n    image: x\n   bad: [\n")
    result = _graph(tmp_path)
    assert result.returncode == 1
    assert "compose.yaml:4:4: error DIND001 YAML syntax error" in result.stderr
    assert "no Docker daemon" not in result.stdout


def test_graph_draws_the_projects_that_parse_beside_one_that_does_not(tmp_path: Path) -> None:
    _write(tmp_path, "bad/compose.yaml", "services: [\n")
    _write(tmp_path, "good/compose.yaml", CLEAN)
    result = _graph(tmp_path)
    assert result.returncode == 1
    assert "bad/compose.yaml:1:1: error DIND001" in result.stderr
    assert "good/compose.yaml" in result.stdout and "bad/compose.yaml" not in result.stdout


def _graph(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dindlint", "graph", "--no-config", "."],
        cwd=folder,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        check=False,
    )


HOST_SOCKET = (
    "services:\n  t:\n    image: traefik:v3.1\n"
    "    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock\n"
)


def test_paths_named_are_checked_even_when_git_ignores_them(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    _write(tmp_path, ".gitignore", "generated/\n")
    _write(tmp_path, "generated/compose.yaml", HOST_SOCKET)
    for named in ("generated", "generated/compose.yaml"):
        result = invoke("check", "--no-config", named, cwd=tmp_path)
        assert "generated/compose.yaml:5:9: warning DIND102" in result.output, named
        assert result.exit_code == 1
        forced = invoke("check", "--no-config", "--force-exclude", named, cwd=tmp_path)
        assert "DIND102" not in forced.output and forced.exit_code == 0, named
    # a folder scan still leaves the ignored folder out
    assert "DIND102" not in invoke("check", "--no-config", ".", cwd=tmp_path).output


# 3. What a linter user expects

BROKEN = REPO / "examples/broken-dind"


def test_summary_says_how_many_files_were_checked_and_how_many_have_problems(
    tmp_path: Path,
) -> None:
    _write(tmp_path, "a/compose.yaml", HOST_SOCKET)
    _write(tmp_path, "b/compose.yaml", HOST_SOCKET)
    _write(tmp_path, "c/compose.yaml", CLEAN)
    result = invoke("check", "--no-config", ".", cwd=tmp_path)
    last = result.output.splitlines()[-1]
    assert last == "Found 2 problems (2 warnings) in 2 of 3 files checked.", result.output


def test_summary_on_stderr_when_every_report_goes_to_a_file(tmp_path: Path) -> None:
    target = tmp_path / "out.sarif"
    result = subprocess.run(
        [sys.executable, "-m", "dindlint", "check", "--no-config", "--format"]
        + [f"sarif:{target}", str(BROKEN)],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1 and result.stdout == ""
    assert "Found 4 problems (3 errors, 1 warning)" in result.stderr
    shown = invoke("check", "--no-config", str(BROKEN))  # to the terminal: not twice
    assert shown.output.count("Found 4 problems") == 1


def test_junit_names_survive_lines_moving(tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    shutil.copytree(BROKEN, tmp_path, dirs_exist_ok=True)
    text = (BROKEN / "compose.yaml").read_text()
    names = []
    for prefix, line in (("", 15), ("# a comment\n\n", 17)):
        _write(tmp_path, "compose.yaml", prefix + text)
        result = invoke("check", "--no-config", "--format", "junit", str(tmp_path), cwd=tmp_path)
        cases = ET.fromstring(result.output).iter("testcase")
        names.append(sorted(case.get("name", "") for case in cases))
        assert f"compose.yaml:{line}:11: error DIND302" in result.output  # in the failure text
    assert names[0] == names[1]
    assert any(name.startswith("DIND302 explicit-group-drops-membership") for name in names[0])


def test_statistics_counts_by_rule() -> None:
    result = invoke("check", "--no-config", "--statistics", str(BROKEN))
    lines = result.output.splitlines()
    assert "    1  DIND302  explicit-group-drops-membership" in lines
    assert not any(line.startswith("examples/") for line in lines)
    assert lines[-1].startswith("Found 4 problems")
    assert result.exit_code == 1


def test_select_all() -> None:
    assert invoke("check", "--no-config", "--select", "ALL", str(BROKEN)).exit_code == 1
    quiet = invoke("check", "--no-config", "--select", "ALL", "--ignore", "DIND", str(BROKEN))
    assert quiet.exit_code == 0, quiet.output


def test_select_all_in_the_configuration(tmp_path: Path) -> None:
    _write(tmp_path, ".dindlint.yaml", "select: [ALL]\nignore: [DIND1]\n")
    _write(tmp_path, "compose.yaml", HOST_SOCKET)
    result = invoke("check", ".", cwd=tmp_path)
    assert result.exit_code == 0, result.output


def test_misspelled_configuration_key_gets_a_suggestion(tmp_path: Path) -> None:
    _write(tmp_path, ".dindlint.yaml", "selct: [DIND3]\n")
    _write(tmp_path, "compose.yaml", CLEAN)
    result = invoke("check", ".", cwd=tmp_path)
    assert result.exit_code == 2
    assert "unknown key `selct`; did you mean `select`?" in result.output


def test_explain_suggests_only_close_rules() -> None:
    far = invoke("explain", "DIND999")
    assert far.exit_code == 2 and "DIND0" not in far.output and "did you mean" not in far.output
    near = invoke("explain", "DIND3O2")
    assert "did you mean DIND302?" in near.output


def test_text_names_a_file_outside_the_current_folder_relative_to_it(tmp_path: Path) -> None:
    _write(tmp_path, "stack/compose.yaml", HOST_SOCKET)
    (tmp_path / "elsewhere").mkdir()
    result = invoke("check", "--no-config", "../stack", cwd=tmp_path / "elsewhere")
    assert "\n../stack/compose.yaml:5:9: warning DIND102" in "\n" + result.output


def test_gitignore_lists_each_pattern_once() -> None:
    patterns = [
        line.strip()
        for line in (REPO / ".gitignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert len(patterns) == len(set(patterns)), patterns


# 4. Packaging


def _pyproject() -> dict[str, Any]:
    import tomllib

    return tomllib.loads((REPO / "pyproject.toml").read_text())


def test_license_is_an_spdx_expression_and_its_file_ships() -> None:
    project = _pyproject()["project"]
    assert project["license"] == "MIT"
    assert project["license-files"] == ["LICENSE"]
    text = (REPO / "LICENSE").read_text()
    assert text.startswith("MIT License\n\nCopyright (c) 2026 the dindlint authors\n")
    assert 'THE SOFTWARE IS PROVIDED "AS IS"' in text
    # PEP 639 fields need setuptools 77
    (requirement,) = _pyproject()["build-system"]["requires"]
    assert requirement == "setuptools>=77"
    # a license classifier beside an SPDX expression is an error for setuptools
    assert not any(c.startswith("License ::") for c in project["classifiers"])


def test_every_folder_with_package_data_is_a_listed_package() -> None:
    setuptools = _pyproject()["tool"]["setuptools"]
    packages = set(setuptools["packages"])
    for folder in (REPO / "dindlint").rglob("*"):
        if folder.is_dir() and folder.name != "__pycache__" and any(folder.iterdir()):
            dotted = folder.relative_to(REPO).as_posix().replace("/", ".")
            assert dotted in packages, dotted
    assert set(setuptools["package-data"]["dindlint.data"]) == {"*.yaml", "*.json"}
    shipped = {p.suffix for p in (REPO / "dindlint/data").iterdir() if p.is_file()}
    assert shipped <= {".yaml", ".json"}


def test_metadata_a_user_sees() -> None:
    project = _pyproject()["project"]
    assert {"Homepage", "Issues", "Changelog"} <= set(project["urls"])
    assert "docker-compose" in project["keywords"]
    ruamel = next(d for d in project["dependencies"] if d.startswith("ruamel.yaml>"))
    assert ruamel == "ruamel.yaml>=0.18,<0.20"
    assert (REPO / "CHANGELOG.md").is_file() and (REPO / "docs/releasing.md").is_file()
