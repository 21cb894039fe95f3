"""The pre-commit hook, for real: `pre-commit try-repo` against this repository.

Slow (pre-commit builds the hook's environment from this repository), so it is marked; CI runs
it (`.ci/run` runs the whole suite).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.precommit

COMPOSE = """services:
  dind:
    image: docker:27-dind
    privileged: true
    volumes:
      - dind-run:/var/run
  worker:
    build: ./worker
    volumes:
      - dind-run:/var/run{mode}
volumes:
  dind-run:
"""

DOCKERFILE = """FROM python:3.12-alpine
RUN addgroup -g {gid} docker && adduser -D -u 1001 app && addgroup app docker
USER app
"""


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


@pytest.fixture(scope="module")
def hook_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One pre-commit cache for the module: the hook environment is built once."""
    return tmp_path_factory.mktemp("pre-commit-home")


def _stack(root: Path, mode: str, gid: int) -> Path:
    _git(root, "init", "-q")
    _git(root, "config", "user.email", "test@example.com")
    _git(root, "config", "user.name", "test")
    (root / "worker").mkdir()
    (root / "compose.yaml").write_text(COMPOSE.format(mode=mode))
    (root / "worker" / "Dockerfile").write_text(DOCKERFILE.format(gid=gid))
    _git(root, "add", "-A")
    return root


def _try_repo(
    stack: Path, home: Path, *files: str, hook: str = "dindlint"
) -> subprocess.CompletedProcess[str]:
    pre_commit = shutil.which("pre-commit", path=os.path.dirname(sys.executable))
    if pre_commit is None:
        pytest.skip("pre-commit is not installed (pip install '.[test]')")
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1"}
    selection = ["--files", *files] if files else ["--all-files"]
    return subprocess.run(
        [pre_commit, "try-repo", str(REPO), hook, "--verbose", *selection],
        cwd=stack,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def test_hook_fails_on_a_broken_stack(tmp_path: Path, hook_home: Path) -> None:
    result = _try_repo(_stack(tmp_path, ":ro", 2375), hook_home)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "DIND101" in result.stdout


def test_hook_passes_on_a_fixed_stack(tmp_path: Path, hook_home: Path) -> None:
    result = _try_repo(_stack(tmp_path, "", 2375), hook_home)
    assert result.returncode == 0, result.stdout + result.stderr


def test_only_the_dockerfile_changed_still_finds_the_cross_file_problem(
    tmp_path: Path, hook_home: Path
) -> None:
    """pre-commit passes just the Dockerfile; the compose file that builds it is found."""
    result = _try_repo(_stack(tmp_path, "", 998), hook_home, "worker/Dockerfile")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "DIND202" in result.stdout


PORTAINER = """  portainer:
    image: portainer/portainer-ce:2.21.0
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock
"""


def _with_portainer(root: Path, gid: int) -> Path:
    stack = _stack(root, "", gid)
    compose = (stack / "compose.yaml").read_text().replace("volumes:\n  dind-run:", "")
    (stack / "compose.yaml").write_text(compose + PORTAINER + "volumes:\n  dind-run:\n")
    _git(stack, "add", "-A")
    return stack


def test_a_staged_dockerfile_reports_only_what_concerns_it(tmp_path: Path, hook_home: Path) -> None:
    """Only the worker's Dockerfile changed: its GID mismatch (whose related places are in the
    compose file) is reported, portainer's host socket mount in the compose file is not."""
    stack = _with_portainer(tmp_path, 998)
    result = _try_repo(stack, hook_home, "worker/Dockerfile")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "DIND202" in result.stdout and "DIND102" not in result.stdout
    everything = _try_repo(stack, hook_home)
    assert "DIND102" in everything.stdout and "DIND202" in everything.stdout


def test_a_changed_env_file_runs_the_hook(tmp_path: Path, hook_home: Path) -> None:
    stack = _with_portainer(tmp_path, 2375)
    (stack / ".env").write_text("COMPOSE_PROJECT_NAME=stack\n")
    _git(stack, "add", "-A")
    result = _try_repo(stack, hook_home, ".env")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "DIND102" in result.stdout


def test_the_project_hook_runs_whatever_changed(tmp_path: Path, hook_home: Path) -> None:
    stack = _with_portainer(tmp_path, 2375)
    (stack / "README.md").write_text("notes\n")
    _git(stack, "add", "-A")
    skipped = _try_repo(stack, hook_home, "README.md")
    assert skipped.returncode == 0 and "DIND102" not in skipped.stdout
    result = _try_repo(stack, hook_home, "README.md", hook="dindlint-project")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "DIND102" in result.stdout
