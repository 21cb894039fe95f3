"""``--jobs``: the same report whatever the number of processes (and start method)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from dindlint import parallel
from dindlint.cli import main
from tests.conftest import REPO

FIXTURES = REPO / "tests" / "fixtures"
EXAMPLES = REPO / "examples"


def report(monkeypatch: pytest.MonkeyPatch, cwd: Path, *args: str) -> tuple[int, str]:
    monkeypatch.chdir(cwd)
    result = CliRunner().invoke(main, ["check", "--no-config", "--color", "never", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "internal error" not in result.output, result.output
    return result.exit_code, result.output


@pytest.mark.parametrize("output_format", ["text", "sarif"])
@pytest.mark.parametrize("tree", [FIXTURES, EXAMPLES], ids=["fixtures", "examples"])
def test_jobs_1_and_2_give_the_same_report(
    monkeypatch: pytest.MonkeyPatch, tree: Path, output_format: str
) -> None:
    monkeypatch.setattr(parallel, "MIN_PARALLEL", 1)  # the pool even for the two examples
    pools = []
    real = parallel.check_in_pool
    monkeypatch.setattr(parallel, "check_in_pool", lambda *a: pools.append(a) or real(*a))
    one = report(monkeypatch, REPO, "--jobs", "1", "--format", output_format, str(tree))
    assert not pools
    two = report(monkeypatch, REPO, "--jobs", "2", "--format", output_format, str(tree))
    assert len(pools) == 1  # the second run did go through the process pool
    assert one == two
    assert one[0] == 1  # the trees do have findings: the comparison is not between empties


def test_every_fixture_folder_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "MIN_PARALLEL", 1)
    for folder in sorted(p for p in FIXTURES.iterdir() if p.is_dir()):
        one = report(monkeypatch, REPO, "--jobs", "1", str(folder))
        two = report(monkeypatch, REPO, "--jobs", "2", str(folder))
        assert one == two, folder.name


def test_configuration_reaches_spawned_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`images` entries, per-file-ignores and severities travel with the work, not through
    globals inherited by fork."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    for index in range(6):
        stack = tmp_path / f"stack{index}"
        stack.mkdir()
        (stack / "compose.yaml").write_text(
            "services:\n  dind:\n    image: docker:27-dind\n    privileged: true\n"
            "    volumes:\n      - run:/var/run\n  runner:\n"
            "    image: registry.acme.io/ci/runner:3\n    volumes:\n      - run:/var/run:ro\n"
            "volumes:\n  run:\n"
        )
    shutil.copytree(EXAMPLES / "broken-dind", tmp_path / "broken")
    (tmp_path / ".dindlint.yaml").write_text(
        "severity:\n  DIND101: info\nper-file-ignores:\n  'stack0/*': [DIND101]\n"
        "images:\n  - id: acme-runner\n    match: {repository: [ci/runner]}\n"
        "    inherits: alpine\n    default_user: runner\n"
        "    users: [{name: runner, uid: 1001, gid: 1001}]\n"
        "    groups: [{name: runner, gid: 1001, members: [runner]}]\n"
        "    source: test\n"
    )
    monkeypatch.setattr(parallel, "START_METHOD", "spawn")
    monkeypatch.setattr(parallel, "MIN_PARALLEL", 2)
    pools = []
    real = parallel.check_in_pool
    monkeypatch.setattr(parallel, "check_in_pool", lambda *a: pools.append(a) or real(*a))
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    one = runner.invoke(main, ["check", "--jobs", "1", "--color", "never", "."])
    two = runner.invoke(main, ["check", "--jobs", "2", "--color", "never", "."])
    assert len(pools) == 1
    assert "internal error" not in two.output, two.output
    assert (one.exit_code, one.output) == (two.exit_code, two.output)
    assert "stack1/compose.yaml" in two.output and "DIND301" in two.output  # images entry
    assert "info DIND101" in two.output  # severity
    lines = two.output.splitlines()
    assert any(line.startswith("stack1/") and "DIND101" in line for line in lines)
    assert not any(line.startswith("stack0/") and "DIND101" in line for line in lines)


def test_jobs_zero_and_default_are_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    default = report(monkeypatch, REPO, str(EXAMPLES))
    assert report(monkeypatch, REPO, "--jobs", "0", str(EXAMPLES)) == default
    assert report(monkeypatch, REPO, "-j", "3", str(EXAMPLES)) == default
