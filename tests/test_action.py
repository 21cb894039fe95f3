"""The GitHub Action, run locally: each `run:` step of action.yml in bash, with the environment the
runner would give it (its `env:` with the inputs filled in, GITHUB_OUTPUT, RUNNER_TEMP), and the
dindlint of this checkout in place of the action's virtual environment."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.conftest import REPO

BIN = Path(sys.executable).parent

ACTION = YAML(typ="safe").load((REPO / "action.yml").read_text())

STACK = """services:
  portainer:
    image: portainer/portainer-ce:2.21.0
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock
  agent:
    image: portainer/agent:2.21.0
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock  # dindlint: disable=DIND102 -- reviewed
"""


def _step(step_id: str) -> dict:  # type: ignore[type-arg]
    return next(s for s in ACTION["runs"]["steps"] if s.get("id") == step_id)  # type: ignore[no-any-return]


def _env(step: dict, inputs: dict[str, str], steps: dict[str, str]) -> dict[str, str]:  # type: ignore[type-arg]
    """The step's `env:` as the runner fills it: `${{ inputs.X }}` from ``inputs`` (else the
    input's default), `${{ steps.S.outputs.O }}` from ``steps``."""
    defaults = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}

    def fill(value: str) -> str:
        def one(match: re.Match[str]) -> str:
            expr = match.group(1).strip()
            if expr.startswith("inputs."):
                name = expr.removeprefix("inputs.")
                assert name in defaults, name  # an input the action declares
                return inputs.get(name, defaults[name])
            return steps[expr]

        return re.sub(r"\$\{\{(.*?)\}\}", one, value)

    return {key: fill(str(value)) for key, value in step.get("env", {}).items()}


def run_step(
    step_id: str,
    cwd: Path,
    tmp: Path,
    inputs: dict[str, str] | None = None,
    steps: dict[str, str] | None = None,
) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    """Run a `run:` step as the runner does (`bash -e`), return it and the outputs it set."""
    step = _step(step_id)
    outputs = tmp / f"github-output-{step_id}"
    outputs.write_text("")
    runner_temp = tmp / "runner-temp"
    runner_temp.mkdir(exist_ok=True)
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", str(tmp)),
        "NO_COLOR": "1",
        "GITHUB_OUTPUT": str(outputs),
        "GITHUB_ACTION_PATH": str(REPO),
        "RUNNER_TEMP": str(runner_temp),
        "RUNNER_OS": "Linux",
        "RUNNER_ARCH": "X64",
        **_env(step, inputs or {}, {"steps.install.outputs.bin": str(BIN), **(steps or {})}),
    }
    result = subprocess.run(
        ["bash", "-e", "-c", step["run"]],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    written = dict(line.split("=", 1) for line in outputs.read_text().splitlines() if "=" in line)
    return result, written


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    if not (BIN / "dindlint").exists():
        pytest.skip("the dindlint console script is not installed beside this interpreter")
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "compose.yaml").write_text(STACK)
    return root


def test_the_run_step_writes_sarif_and_sets_its_outputs(repo: Path, tmp_path: Path) -> None:
    result, outputs = run_step("run", repo, tmp_path, {"sarif-file": "dindlint.sarif"})
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.startswith("::warning file=compose.yaml,line=5,")  # format: github
    assert outputs == {"sarif-file": "dindlint.sarif", "findings": "1"}
    log = json.loads((repo / "dindlint.sarif").read_text())
    run = log["runs"][0]
    assert run["automationDetails"] == {"id": "dindlint/"}
    # suppressed findings are left out by default: GitHub would open an alert for them
    assert [r["suppressions"] for r in run["results"]] == [[]]
    assert not list((tmp_path / "runner-temp").iterdir())  # its scratch files are removed


def test_suppressed_findings_kept_on_request(repo: Path, tmp_path: Path) -> None:
    inputs = {"sarif-file": "out.sarif", "sarif-omit-suppressed": "false"}
    result, outputs = run_step("run", repo, tmp_path, inputs)
    assert result.returncode == 1 and outputs["findings"] == "1"
    results = json.loads((repo / "out.sarif").read_text())["runs"][0]["results"]
    assert sorted(bool(r["suppressions"]) for r in results) == [False, True]


def test_inputs_reach_the_command(repo: Path, tmp_path: Path) -> None:
    result, outputs = run_step("run", repo, tmp_path, {"ignore": "DIND102", "jobs": "1"})
    assert (result.returncode, outputs) == (0, {"findings": "0"}), result.stderr
    result, outputs = run_step("run", repo, tmp_path, {"select": "DIND4", "format": "text"})
    assert (result.returncode, outputs["findings"]) == (0, "0")
    result, outputs = run_step("run", repo, tmp_path, {"args": "--exit-zero\n--fail-on error"})
    assert (result.returncode, outputs["findings"]) == (0, "1"), result.stderr
    baseline = tmp_path / "baseline.json"
    subprocess.run(
        [str(BIN / "dindlint"), "check", "--write-baseline", str(baseline), "."],
        cwd=repo,
        capture_output=True,
        check=True,
    )
    result, outputs = run_step("run", repo, tmp_path, {"baseline": str(baseline)})
    assert (result.returncode, outputs["findings"]) == (0, "0"), result.stderr


def test_a_configuration_error_still_writes_sarif_and_annotates(repo: Path, tmp_path: Path) -> None:
    (repo / "bad.yaml").write_text("fail-on: sometimes\n")
    inputs = {"sarif-file": "dindlint.sarif", "config": "bad.yaml"}
    result, outputs = run_step("run", repo, tmp_path, inputs)
    assert result.returncode == 2, result.stdout + result.stderr
    assert outputs == {"sarif-file": "dindlint.sarif"}  # no count: nothing was checked
    (annotation,) = [line for line in result.stdout.splitlines() if line.startswith("::error")]
    assert annotation.startswith("::error title=dindlint::dindlint: ")
    assert "bad.yaml:1: fail-on" in annotation
    log = json.loads((repo / "dindlint.sarif").read_text())
    (invocation,) = log["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "error" and "fail-on" in note["message"]["text"]
    assert log["runs"][0]["results"] == []
    assert str(repo) not in json.dumps(log) and str(tmp_path) not in json.dumps(log)


def test_the_install_step_reuses_a_restored_environment(tmp_path: Path) -> None:
    """A virtual environment restored by actions/cache (one whose python imports dindlint) is
    used as it is: nothing is installed, the step gives its bin folder."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin/python").write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    (venv / "bin/python").chmod(0o755)
    steps = {
        "steps.python.outputs.python-path": "/nonexistent/python",  # never called
        "steps.key.outputs.venv": str(venv),
    }
    result, outputs = run_step("install", tmp_path, tmp_path, steps=steps)
    assert result.returncode == 0, result.stderr
    assert outputs == {"bin": f"{venv}/bin"}


def test_the_cache_key_follows_the_action_and_the_python(tmp_path: Path) -> None:
    steps = {"steps.python.outputs.python-version": "3.12.7"}
    result, outputs = run_step("key", tmp_path, tmp_path, steps=steps)
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"dindlint-venv-Linux-X64-3\.12\.7-[0-9a-f]{16}", outputs["key"])
    assert outputs["venv"] == str(tmp_path / "runner-temp/dindlint-venv")


def test_actions_are_on_their_node24_majors_and_leave_the_callers_python() -> None:
    uses = [s["uses"] for s in ACTION["runs"]["steps"] if "uses" in s]
    assert uses == ["actions/setup-python@v6", "actions/cache@v5"]
    assert _step("python")["with"]["update-environment"] is False
    workflow = YAML(typ="safe").load((REPO / "docs/examples/github-workflow.yml").read_text())
    assert workflow["permissions"] == {
        "contents": "read",
        "security-events": "write",
        "actions": "read",
    }
    steps = [s.get("uses", "") for s in workflow["jobs"]["dindlint"]["steps"]]
    assert "actions/checkout@v6" in steps and "github/codeql-action/upload-sarif@v4" in steps
    readme = (REPO / "README.md").read_text()
    for retired in ("actions/checkout@v4", "setup-python@v5", "upload-sarif@v3"):
        assert retired not in readme and retired not in (REPO / "action.yml").read_text()
    assert set(ACTION["outputs"]) == {"sarif-file", "findings"}
    assert {"config", "baseline", "select", "ignore", "jobs", "args"} <= set(ACTION["inputs"])
