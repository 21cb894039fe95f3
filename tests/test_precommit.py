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


def _try_repo(stack: Path, home: Path, *files: str) -> subprocess.CompletedProcess[str]:
    pre_commit = shutil.which("pre-commit", path=os.path.dirname(sys.executable))
    if pre_commit is None:
        pytest.skip("pre-commit is not installed (pip install '.[test]')")
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1"}
    selection = ["--files", *files] if files else ["--all-files"]
    return subprocess.run(
        [pre_commit, "try-repo", str(REPO), "dindlint", "--verbose", *selection],
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
