"""No leaks, no side effects (issue 7, part 5): the process environment is not read without
--use-env, nothing from the scanned tree is executed, no file is written but --output."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from dindlint.cli import FORMATS, main

SECRET = "s3cr3t-VALUE-from-the-environment"
COMPOSE = """\
services:
  runner:
    image: ${RUNNER_IMAGE}
    user: "${RUNNER_UID}:${RUNNER_GID:-0}"
    environment:
      - DOCKER_HOST
      - TOKEN=${TOKEN}
    volumes:
      - ${DOCKER_SOCK}:/var/run/docker.sock:ro
    group_add: ["${DOCKER_GID}"]
    build:
      context: .
      args: [TOKEN]
"""


def invoke(*args: str, env: dict[str, str] | None = None) -> str:
    result = CliRunner(env=env).invoke(main, ["check", "--no-config", "--color", "never", *args])
    assert result.exit_code in (0, 1), result.output
    return result.output


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "compose.yaml").write_text(COMPOSE, encoding="utf-8")
    (tmp_path / "Dockerfile").write_text("FROM docker:cli\nARG TOKEN\nUSER ${TOKEN}\n")
    return tmp_path


@pytest.mark.parametrize("fmt", FORMATS)
def test_environment_values_never_reach_a_report(project: Path, fmt: str) -> None:
    env = dict.fromkeys(
        (
            "RUNNER_IMAGE",
            "RUNNER_UID",
            "RUNNER_GID",
            "DOCKER_HOST",
            "TOKEN",
            "DOCKER_SOCK",
            "DOCKER_GID",
        ),
        SECRET,
    )
    output = invoke("--format", fmt, str(project), env=env)
    assert SECRET not in output


def test_with_use_env_the_environment_is_read(project: Path) -> None:
    env = {"DOCKER_SOCK": "/run/user/1000/docker.sock", "RUNNER_IMAGE": "docker:cli"}
    assert "/run/user/1000/docker.sock" not in invoke("--format", "json", str(project), env=env)
    assert "/run/user/1000/docker.sock" in invoke(
        "--format", "json", "--use-env", str(project), env=env
    )


def test_nothing_is_written_but_the_output(
    project: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    def snapshot(root: Path) -> dict[str, tuple[int, int]]:
        return {
            str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in root.rglob("*")
        }

    before = snapshot(project)
    cwd = tmp_path_factory.mktemp("cwd")
    old = Path.cwd()
    os.chdir(cwd)
    try:
        for fmt in FORMATS:
            invoke("--format", fmt, str(project))
        out = project.parent / "report.out"
        invoke("--format", "sarif", "-o", str(out), str(project))
    finally:
        os.chdir(old)
    assert snapshot(project) == before
    assert list(cwd.iterdir()) == []
    assert out.is_file()
    out.unlink()


def test_nothing_from_the_scanned_tree_is_executed(tmp_path: Path) -> None:
    marker = tmp_path / "executed"
    repo = tmp_path / "repo"
    repo.mkdir()
    if shutil.which("git"):
        subprocess.run(["git", "init", "-q", str(repo)], check=True)
        hook = repo / "hook.sh"
        hook.write_text(f"#!/bin/sh\ntouch {marker}\n")
        hook.chmod(0o755)
        (repo / ".gitignore").write_text("ignored/\n")
        subprocess.run(["git", "-C", str(repo), "add", ".gitignore"], check=True)  # an index
        for key in ("core.fsmonitor", "core.pager", "diff.external", "core.sshCommand"):
            subprocess.run(["git", "-C", str(repo), "config", key, str(hook)], check=True)
    (repo / "compose.yaml").write_text(
        f"services:\n  s: !!python/object/apply:os.system ['touch {marker}']\n"
        f"  t:\n    image: x\n    command: $(touch {marker})\n    build: .\n"
        f"    env_file: .env\n"
    )
    (repo / ".env").write_text(f"X=$(touch {marker})\n")
    (repo / "Dockerfile").write_text(
        f'FROM x\nRUN touch {marker}\nCOPY entry.sh /e\nENTRYPOINT ["/e"]\n'
    )
    (repo / "entry.sh").write_text(f"#!/bin/sh\ntouch {marker}\n")
    (repo / "dindlint_plugin.py").write_text(f"open({str(marker)!r}, 'w')\n")
    (repo / "conftest.py").write_text(f"open({str(marker)!r}, 'w')\n")
    for fmt in FORMATS:
        invoke("--format", fmt, str(repo))
    invoke(str(repo / "compose.yaml"), str(repo / "Dockerfile"))
    assert not marker.exists()
