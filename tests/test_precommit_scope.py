"""What the pre-commit hooks run on (their `files` pattern) and what a run on files reports:
the findings in those files, or about them; a folder keeps everything. The real pre-commit runs
in tests/test_precommit.py (slow)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from dindlint.cli import main
from tests.conftest import REPO

COMPOSE = """services:
  dind:
    image: docker:27-dind
    privileged: true
    volumes:
      - dind-run:/var/run
  client:
    build: ./client
    volumes:
      - dind-run:/var/run
  portainer:
    image: portainer/portainer-ce:2.21.0
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock
volumes:
  dind-run:
"""

DOCKERFILE = """FROM python:3.12-alpine
RUN addgroup -g 998 docker && adduser -D -u 1001 app && addgroup app docker
USER app
"""


@pytest.fixture
def stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "stack"
    (root / "client").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "compose.yaml").write_text(COMPOSE)
    (root / "client/Dockerfile").write_text(DOCKERFILE)
    monkeypatch.chdir(root)
    return root


def _found(*paths: str) -> tuple[int, list[tuple[str, str]]]:
    result = CliRunner().invoke(main, ["check", "--no-config", "--format", "json", "--", *paths])
    findings = json.loads(result.stdout)["findings"]
    return result.exit_code, sorted((f["rule"], f["path"]) for f in findings)


def test_a_dockerfile_given_reports_what_concerns_it(stack: Path) -> None:
    code, found = _found("client/Dockerfile")
    # the GID mismatch is in the Dockerfile (its related places in compose.yaml); portainer's
    # socket mount, in compose.yaml, is no business of the Dockerfile's
    assert (code, found) == (1, [("DIND202", "client/Dockerfile")])


def test_a_dockerfile_given_keeps_the_findings_of_the_service_it_builds(stack: Path) -> None:
    """The `:ro` on the client's mount lies in compose.yaml with no place in the Dockerfile, but
    it is the client's, and the client is built from the Dockerfile given."""
    compose = COMPOSE.replace(
        "      - dind-run:/var/run\n  portainer", "      - dind-run:/var/run:ro\n  portainer"
    )
    (stack / "compose.yaml").write_text(compose)
    code, found = _found("client/Dockerfile")
    assert (code, found) == (1, [("DIND101", "compose.yaml"), ("DIND202", "client/Dockerfile")])


def test_a_folder_given_reports_everything(stack: Path) -> None:
    expected = [("DIND102", "compose.yaml"), ("DIND202", "client/Dockerfile")]
    assert _found(".") == (1, expected)
    assert _found(".", "client/Dockerfile") == (1, expected)


def test_a_compose_file_given_keeps_the_findings_about_it(stack: Path) -> None:
    """DIND202 lies in the Dockerfile, but its related places are in compose.yaml."""
    expected = [("DIND102", "compose.yaml"), ("DIND202", "client/Dockerfile")]
    assert _found("compose.yaml") == (1, expected)


def test_a_compose_file_given_keeps_the_findings_in_the_files_it_includes(stack: Path) -> None:
    """A compose file stands for its project: a finding in a file it includes is reported."""
    (stack / "tools.yaml").write_text(
        "services:\n  agent:\n    image: docker:cli\n"
        "    volumes: [/var/run/docker.sock:/var/run/docker.sock]\n"
    )
    (stack / "compose.yaml").write_text("include: [tools.yaml]\n" + COMPOSE)
    code, found = _found("compose.yaml")
    assert code == 1 and ("DIND102", "tools.yaml") in found


def test_env_and_configuration_files_stand_for_their_folder(stack: Path) -> None:
    (stack / ".env").write_text("COMPOSE_PROJECT_NAME=stack\n")
    (stack / ".dindlint.yaml").write_text("ignore: [DIND202]\n")
    expected = [("DIND102", "compose.yaml"), ("DIND202", "client/Dockerfile")]
    assert _found(".env") == (1, expected)
    assert _found(".dindlint.yml") == (1, expected)  # (a deleted one is its folder too)
    result = CliRunner().invoke(main, ["check", "--format", "json", "--", ".dindlint.yaml"])
    assert [f["rule"] for f in json.loads(result.stdout)["findings"]] == ["DIND102"]


# --------------------------------------------------------------------------------------------
# The hooks' `files` patterns
# --------------------------------------------------------------------------------------------


def _hooks() -> dict[str, dict]:  # type: ignore[type-arg]
    hooks = YAML(typ="safe").load((REPO / ".pre-commit-hooks.yaml").read_text())
    return {hook["id"]: hook for hook in hooks}


def test_hook_runs_on_settings_files_and_never_on_templates() -> None:
    pattern = re.compile(_hooks()["dindlint"]["files"])  # pre-commit uses re.search
    for path in (
        "compose.yaml",
        "deploy/docker-compose.prod.yml",
        "app/Dockerfile",
        "Dockerfile.dev",
        "images/base.dockerfile",
        ".env",
        "deploy/.env",
        ".dindlint.yaml",
        "sub/.dindlint.yml",
    ):
        assert pattern.search(path), path
    for path in (
        "Dockerfile.dockerignore",
        "app/base.Dockerfile.dockerignore",
        "Dockerfile.j2",
        "Dockerfile.jinja",
        "Dockerfile.jinja2",
        "deploy/Dockerfile.tmpl",
        "Containerfile.tpl",
        "compose.yaml.template",
        "docker-compose.yml.in",
        "Dockerfile.erb",
        "compose.yml.mustache",
        ".env.example",
        "x.env",
        "dindlint.yaml",
        "README.md",
    ):
        assert not pattern.search(path), path


def test_project_hook_runs_on_every_commit_on_the_whole_repository() -> None:
    hook = _hooks()["dindlint-project"]
    assert hook["pass_filenames"] is False and hook["always_run"] is True
    assert hook["entry"] == "dindlint check -- ." and hook["language"] == "python"
    assert hook["require_serial"] is True


def test_readme_says_which_hook_to_pick() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## pre-commit") : readme.index("## GitHub code scanning")]
    assert "`dindlint-project`" in section and "`dindlint`" in section
    assert "`.env`" in section and "`include:`" in section
