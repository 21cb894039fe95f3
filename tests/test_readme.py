"""The README's two fresh-machine commands are the ones CI runs."""

from __future__ import annotations

from tests.conftest import REPO


def test_ci_runs_the_readme_test_command() -> None:
    script = (REPO / ".ci/run").read_text().splitlines()
    command = script[-1]
    assert command.startswith("python3 -m venv .venv && .venv/bin/pip install")
    assert f"```sh\n{command}\n```" in (REPO / "README.md").read_text()


def test_readme_install_command_runs_a_shipped_example() -> None:
    readme = (REPO / "README.md").read_text()
    line = next(
        text
        for text in readme.splitlines()
        if text.startswith("python3 -m venv .venv") and "dindlint check" in text
    )
    example = line.rsplit(" ", 1)[-1]
    assert (REPO / example / "compose.yaml").is_file()
