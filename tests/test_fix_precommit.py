"""The hook ``dindlint-fix``, for real (``pre-commit try-repo``, as tests/test_precommit.py): it
fixes the files of a commit, and pre-commit fails it because it changed them; the next run
passes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_precommit import _stack, _try_repo, hook_home  # noqa: F401 - the fixture

pytestmark = pytest.mark.precommit


def test_fix_hook_fixes_then_passes(tmp_path: Path, hook_home: Path) -> None:  # noqa: F811
    # a worker whose user is not in the socket's group: DIND301, with a safe fix
    stack = _stack(tmp_path, "", 2375)
    compose = stack / "compose.yaml"
    compose.write_text(
        compose.read_text().replace(
            "    build: ./worker\n", '    build: ./worker\n    user: "1500"\n'
        )
    )
    first = _try_repo(stack, hook_home, hook="dindlint-fix")
    assert first.returncode == 1, first.stdout + first.stderr
    assert "files were modified by this hook" in first.stdout
    assert '- "2375"' in compose.read_text()
    second = _try_repo(stack, hook_home, hook="dindlint-fix")
    assert second.returncode == 0, second.stdout + second.stderr
