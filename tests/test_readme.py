"""The README's two fresh-machine commands are the ones CI runs."""

from __future__ import annotations

import importlib.util
import re
from types import ModuleType

import pytest
from click.testing import CliRunner

from dindlint.cli import main
from tests.conftest import REPO


def test_ci_runs_the_readme_test_command() -> None:
    script = (REPO / ".ci/run").read_text().splitlines()
    # the test command, then the static gates (ruff check, ruff format --check, mypy)
    command = next(line for line in script if line.startswith("python3 -m venv .venv && "))
    assert command.startswith("python3 -m venv .venv && .venv/bin/pip install")
    assert f"```sh\n{command}\n```" in (REPO / "README.md").read_text()
    gates = script[script.index(command) + 1 :]
    assert ".venv/bin/mypy" in gates, "the static gates run after the tests"


def test_readme_install_command_runs_a_shipped_example() -> None:
    readme = (REPO / "README.md").read_text()
    line = next(
        text
        for text in readme.splitlines()
        if text.startswith("python3 -m venv .venv") and "dindlint check" in text
    )
    example = line.rsplit(" ", 1)[-1]
    assert (REPO / example / "compose.yaml").is_file()


def _readme_rules() -> ModuleType:
    spec = importlib.util.spec_from_file_location("readme_rules", REPO / "scripts/readme_rules.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_rule_table_is_the_catalogue() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert readme == _readme_rules().with_table(readme), (
        "the rule table in README.md differs from the catalogue (rules/*.md): "
        "run `python scripts/readme_rules.py --write`"
    )


def test_readme_links_and_examples_stay_inside_the_repository() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "../" not in readme
    targets = re.findall(r"\]\(([^)#\s]+)[^)]*\)", readme)
    local = [t for t in targets if not re.match(r"[a-z]+://", t)]
    assert local, "no relative link found: the pattern is wrong"
    for target in local:
        assert (REPO / target).exists(), f"README.md links to {target}, which does not exist"
    for example in set(re.findall(r"(?<![\w/])examples/[\w./-]*\w", readme)):
        assert (REPO / example).exists(), f"README.md uses {example}, which does not exist"


def test_readme_graph_example_is_current(monkeypatch: pytest.MonkeyPatch) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    prompt = "$ dindlint graph examples/broken-dind\n"
    shown = readme.split(prompt, 1)[1].split("```", 1)[0]
    monkeypatch.chdir(REPO)
    result = CliRunner().invoke(main, ["graph", "examples/broken-dind"])
    assert result.exit_code == 0, result.output
    assert shown == result.output, (
        "README.md's `dindlint graph examples/broken-dind` block is not what it prints: "
        "paste the output of that command"
    )
