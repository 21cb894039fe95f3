"""The integration snippets (README, docs/examples) and action.yml are what they claim to be."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from dindlint.cli import main
from tests.conftest import REPO

EXAMPLES = REPO / "docs/examples"


def _yaml(path: Path) -> dict:  # type: ignore[type-arg]
    return YAML(typ="safe").load(path.read_text())


@pytest.mark.parametrize("name", ["pre-commit-config.yaml", "github-workflow.yml", "gitlab-ci.yml"])
def test_readme_shows_each_snippet_verbatim(name: str) -> None:
    readme = (REPO / "README.md").read_text()
    snippet = (EXAMPLES / name).read_text()
    assert f"```yaml\n{snippet}```" in readme


def test_pre_commit_config_names_our_hook() -> None:
    hooks = _yaml(REPO / ".pre-commit-hooks.yaml")
    config = _yaml(EXAMPLES / "pre-commit-config.yaml")
    ids = {hook["id"] for hook in hooks}
    assert {h["id"] for repo in config["repos"] for h in repo["hooks"]} <= ids
    hook = next(h for h in hooks if h["id"] == "dindlint")
    # `--`: the file names pre-commit appends can never be read as options
    assert hook["entry"] == "dindlint check --" and hook["language"] == "python"
    assert hook["require_serial"] is True
    pattern = re.compile(hook["files"])
    for path in (
        "compose.yaml",
        "deploy/docker-compose.prod.yml",
        "docker-stack.yml",
        "app/Dockerfile",
        "Dockerfile.dev",
        "images/base.dockerfile",
        "Containerfile",
    ):
        assert pattern.search(path), path
    for path in ("README.md", "values.yaml", "docker/notes.txt"):
        assert not pattern.search(path), path


def _check_flags() -> set[str]:
    help_text = CliRunner().invoke(main, ["check", "--help"]).output
    return set(re.findall(r"(--[a-z][a-z-]+)", help_text))


def test_github_workflow_uploads_sarif_with_the_right_permission() -> None:
    workflow = _yaml(EXAMPLES / "github-workflow.yml")
    assert workflow["permissions"]["security-events"] == "write"
    steps = workflow["jobs"]["dindlint"]["steps"]
    ours = next(s for s in steps if s.get("uses", "").startswith("dindlint/dindlint@"))
    upload = next(
        s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@")
    )
    assert upload["with"]["sarif_file"] == ours["with"]["sarif-file"]
    action = _yaml(REPO / "action.yml")
    assert set(ours["with"]) <= set(action["inputs"])


def test_action_is_composite_and_uses_existing_flags() -> None:
    action = _yaml(REPO / "action.yml")
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) >= {"paths", "format", "fail-on", "sarif-file", "category"}
    script = "\n".join(step.get("run", "") for step in action["runs"]["steps"])
    assert '"${GITHUB_ACTION_PATH}"' in script  # installs the action's own version
    assert "${{ inputs." not in script  # inputs reach the script via env, never spliced in
    used = set(re.findall(r"(--[a-z][a-z-]+)", script)) - {"--quiet"}
    assert used <= _check_flags(), used - _check_flags()


def test_gitlab_job_writes_the_code_quality_report_it_declares() -> None:
    job = _yaml(EXAMPLES / "gitlab-ci.yml")["dindlint"]
    report = job["artifacts"]["reports"]["codequality"]
    assert any(f"gitlab:{report}" in line for line in job["script"])
    flags = {flag for line in job["script"] for flag in re.findall(r"(--[a-z][a-z-]+)", line)}
    assert flags <= _check_flags()
