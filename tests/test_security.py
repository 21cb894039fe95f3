"""dindlint reads untrusted pull requests (docs/security.md): what a repository commits decides
neither which files outside it are read, nor which options the run gets, nor where it writes, nor
what a terminal or a CI log makes of the report.

Each route to a file outside the repository is tried with a canary: its content must appear in no
report format, and DIND003 must say the reference was not followed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.conftest import REPO

CANARY = "CANARY-7f3a9c-SECRET"
FORMATS = ("text", "sarif", "json", "github", "gitlab", "junit")
DINDLINT = [sys.executable, "-m", "dindlint"]


def dindlint(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The real command line, in its own process (the process environment matters here)."""
    return subprocess.run(
        [*DINDLINT, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1", **(env or {})},
    )


def git_repo(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the repository with secrets in every shape a loader reads."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.txt").write_text(f"root:{CANARY}:20228:0:99999:7:::\n")
    (folder / "secret.env").write_text(f"TOKEN={CANARY}\n{CANARY} not a variable line\n")
    (folder / "compose.yaml").write_text(
        f"services:\n  x:\n    image: alpine\n    user: '{CANARY}'\n"
        "    volumes: [/var/run/docker.sock:/var/run/docker.sock]\n"
    )
    (folder / "Dockerfile").write_text(f"FROM alpine\n{CANARY} here\nUSER {CANARY}\n")
    return folder


def assert_not_leaked(repo: Path, *args: str, env: dict[str, str] | None = None) -> dict:
    """Checks ``repo`` in every format: no canary, no absolute path; the json report."""
    for fmt in FORMATS:
        result = dindlint(repo, "check", "--format", fmt, "--exit-zero", *args, env=env)
        assert result.returncode == 0, result.stderr
        assert CANARY not in result.stdout + result.stderr, fmt
        assert str(repo.parent) not in result.stdout, f"{fmt}: an absolute machine path"
    text = dindlint(repo, "check", "--format", "json", "--exit-zero", *args, env=env)
    return json.loads(text.stdout)


def dind003(report: dict) -> list[str]:
    return [f["message"] for f in report["findings"] if f["rule"] == "DIND003"]


ROUTES = {
    "build.dockerfile": """
services:
  app:
    build:
      context: .
      dockerfile: ../outside/secret.txt
""",
    "build.context": """
services:
  app:
    build: ../outside
""",
    "include short form": """
include:
  - ../outside/compose.yaml
services:
  app: {image: alpine}
""",
    "include long form": """
include:
  - path: ../outside/compose.yaml
services:
  app: {image: alpine}
""",
    "include env_file": """
include:
  - path: sub/compose.yaml
    env_file: ../outside/secret.env
services:
  app: {image: alpine}
""",
    "extends.file": """
services:
  app:
    image: alpine
    extends: {file: ../outside/compose.yaml, service: x}
""",
    "extends /proc/self/environ": """
services:
  app:
    image: alpine
    extends: {file: /proc/self/environ, service: x}
""",
    "include env_file /proc/self/environ": """
include:
  - path: sub/compose.yaml
    env_file: /proc/self/environ
services:
  app: {image: alpine}
""",
}


@pytest.mark.parametrize("route", ROUTES)
def test_a_reference_out_of_the_repository_is_not_followed(
    route: str, tmp_path: Path, outside: Path
) -> None:
    repo = git_repo(tmp_path / "repo")
    (repo / "compose.yaml").write_text(ROUTES[route])
    (repo / "sub").mkdir()
    (repo / "sub" / "compose.yaml").write_text("services:\n  s: {image: alpine}\n")
    # the CI's environment holds the canary too: /proc/self/environ must not bring it in
    report = assert_not_leaked(repo, env={"CI_JOB_TOKEN": CANARY})
    assert any("points outside the repository; not read" in m for m in dind003(report)), report


@pytest.mark.parametrize(
    "name,target",
    [(".env", "secret.env"), ("Dockerfile", "Dockerfile"), ("compose.yaml", "compose.yaml")],
)
def test_a_committed_symlink_out_of_the_repository_is_not_read(
    name: str, target: str, tmp_path: Path, outside: Path
) -> None:
    repo = git_repo(tmp_path / "repo")
    if name != "compose.yaml":
        (repo / "compose.yaml").write_text(
            "services:\n  app:\n    image: alpine\n    user: ${TOKEN:-1000}\n"
        )
    (repo / name).symlink_to(outside / target)
    report = assert_not_leaked(repo)
    assert f"`{name}` points outside the repository; not read" in dind003(report)


def test_a_symlink_inside_the_repository_is_followed(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "repo")
    (repo / "real").mkdir()
    (repo / "real" / "compose.yaml").write_text(
        "services:\n  app:\n    image: alpine\n"
        "    volumes: [/var/run/docker.sock:/var/run/docker.sock]\n"
    )
    (repo / "compose.yaml").symlink_to(repo / "real" / "compose.yaml")
    result = dindlint(repo, "check", "--format", "json", "--exit-zero", "compose.yaml")
    assert [f["rule"] for f in json.loads(result.stdout)["findings"]] == ["DIND102"]


def test_a_found_configuration_cannot_name_an_env_file_outside(
    tmp_path: Path, outside: Path
) -> None:
    repo = git_repo(tmp_path / "repo")
    (repo / "compose.yaml").write_text("services:\n  app: {image: alpine}\n")
    (repo / ".dindlint.yaml").write_text("env-file: ../outside/secret.env\n")
    result = dindlint(repo, "check")
    assert result.returncode == 2
    assert "points outside the repository" in result.stderr
    assert CANARY not in result.stdout + result.stderr


def test_a_found_configuration_linked_out_of_the_repository_is_not_read(
    tmp_path: Path, outside: Path
) -> None:
    repo = git_repo(tmp_path / "repo")
    (repo / "compose.yaml").write_text("services:\n  app: {image: alpine}\n")
    (repo / ".dindlint.yaml").symlink_to(outside / "secret.txt")
    result = dindlint(repo, "check")
    assert result.returncode == 2
    assert "points outside the repository" in result.stderr
    assert CANARY not in result.stdout + result.stderr


def test_files_named_on_the_command_line_are_the_users_choice(
    tmp_path: Path, outside: Path
) -> None:
    repo = git_repo(tmp_path / "repo")
    (repo / "compose.yaml").write_text("services:\n  app:\n    image: alpine\n    user: ${TOKEN}\n")
    result = dindlint(
        repo, "check", "--format", "json", "--exit-zero", "--env-file", str(outside / "secret.env")
    )
    assert not dind003(json.loads(result.stdout))


def reports_per_entrypoint(repo: Path, script: Path) -> list[str]:
    """The json reports of ``repo`` with ``script`` a plain entrypoint, then one that aligns the
    socket's GID at run time (which changes the verdict on a socket client when it is read)."""
    reports = []
    for text in (
        '#!/bin/sh\nexec "$@"\n',
        (
            "#!/bin/sh\nGID=$(stat -c %g /var/run/docker.sock)\n"
            'groupmod -o -g "$GID" docker\nexec gosu app "$@"\n'
        ),
    ):
        script.write_text(text)
        reports.append(dindlint(repo, "check", "--format", "json", "--exit-zero").stdout)
    return reports


def test_a_copied_script_is_not_read_through_a_context_of_slash(tmp_path: Path) -> None:
    """Context `/` would make every file of the machine a context file: whether a script there
    aligns the socket's GID must not change the report (a one-bit oracle)."""
    repo = git_repo(tmp_path / "repo")
    (repo / "Dockerfile").write_text(
        "FROM alpine\nRUN adduser -D -u 1001 app\n"
        f"COPY {tmp_path.relative_to('/')}/outside-entry.sh /entry.sh\n"
        'USER app\nENTRYPOINT ["/entry.sh"]\n'
    )
    (repo / "compose.yaml").write_text(
        f"services:\n  app:\n    build: {{context: /, dockerfile: {repo}/Dockerfile}}\n"
        "    volumes: [/var/run/docker.sock:/var/run/docker.sock]\n"
    )
    reports = reports_per_entrypoint(repo, tmp_path / "outside-entry.sh")
    assert reports[0] == reports[1]
    assert any(
        "Build context `/`" in m and "points outside the repository" in m
        for m in dind003(json.loads(reports[0]))
    )


# ------------------------------------------------------------------- writes


def _symlinked_repo(tmp_path: Path, name: str) -> tuple[Path, Path]:
    repo = git_repo(tmp_path / "repo")
    (repo / "compose.yaml").write_text(
        "services:\n  app:\n    image: alpine\n"
        "    volumes: [/var/run/docker.sock:/var/run/docker.sock]\n"
    )
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    (repo / name).symlink_to(victim)
    return repo, victim


@pytest.mark.parametrize(
    "args",
    [
        ("--output", "dindlint.sarif", "--format", "sarif"),
        ("--format", "sarif:dindlint.sarif"),
        ("--format", "gitlab:dindlint.sarif"),
        ("--write-baseline", "dindlint.sarif"),
    ],
)
def test_a_report_is_never_written_through_a_committed_symlink(
    args: tuple[str, ...], tmp_path: Path
) -> None:
    repo, victim = _symlinked_repo(tmp_path, "dindlint.sarif")
    result = dindlint(repo, "check", *args)
    assert result.returncode == 2, result.stderr
    assert "is a symbolic link" in result.stderr
    assert victim.read_text() == "precious\n"
    assert (repo / "dindlint.sarif").is_symlink()


def test_a_report_replaces_a_regular_file_and_writes_to_a_stream(tmp_path: Path) -> None:
    repo, _ = _symlinked_repo(tmp_path, "unrelated")
    (repo / "out.json").write_text("old\n")
    dindlint(repo, "check", "--format", "json:out.json")
    assert json.loads((repo / "out.json").read_text())["findings"]
    streamed = dindlint(repo, "check", "--format", "json:/dev/stdout")
    assert json.loads(streamed.stdout)["findings"]
    assert not [p for p in repo.iterdir() if p.name.endswith(".tmp")]  # no temporary left


@pytest.mark.parametrize("force", [False, True])
def test_init_refuses_a_dangling_symlink(force: bool, tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "repo")
    target = tmp_path / "created-by-init.yaml"
    (repo / ".dindlint.yaml").symlink_to(target)
    result = dindlint(repo, "init", *(("--force",) if force else ()))
    assert result.returncode == 2
    assert not target.exists()


# ------------------------------------------------------------------- options from file names

EVIL_NAMES = (
    "--write-baseline=x-compose.yml",
    "--output=docker-compose.yml",
    "--config=evil-compose.yaml",
)
HOST_SOCKET = (
    "services:\n  app:\n    image: alpine\n"
    "    volumes: [/var/run/docker.sock:/var/run/docker.sock]\n"
)


def _evil_repo(root: Path) -> Path:
    repo = git_repo(root)
    (repo / "docker-compose.yml").write_text(HOST_SOCKET)
    (repo / "--write-baseline=x-compose.yml").write_text(HOST_SOCKET)
    (repo / "--output=docker-compose.yml").write_text(HOST_SOCKET)
    (repo / "--config=evil-compose.yaml").write_text('exclude: ["*"]\n' + HOST_SOCKET)
    return repo


def _assert_linted_as_files(repo: Path, output: str) -> None:
    assert not (repo / "x-compose.yml").exists()  # no baseline written
    assert (repo / "docker-compose.yml").read_text() == HOST_SOCKET  # not overwritten
    for name in EVIL_NAMES:
        assert f"{name}:" in output, name  # each is reported on as a file


@pytest.mark.precommit
def test_pre_commit_passes_file_names_as_paths(tmp_path: Path) -> None:
    import shutil

    pre_commit = shutil.which("pre-commit", path=os.path.dirname(sys.executable))
    if pre_commit is None:
        pytest.skip("pre-commit is not installed (pip install '.[test]')")
    repo = _evil_repo(tmp_path / "repo")
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True)
    result = subprocess.run(
        [pre_commit, "try-repo", str(REPO), "dindlint", "--verbose", "--all-files"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        env={**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "home"), "NO_COLOR": "1"},
    )
    assert result.returncode == 1, result.stdout + result.stderr
    _assert_linted_as_files(repo, result.stdout)


def _action_script() -> str:
    action = YAML(typ="safe").load((REPO / "action.yml").read_text())
    return next(
        step["run"] for step in action["runs"]["steps"] if step.get("name") == "Run dindlint"
    )


def test_the_action_passes_paths_literally(tmp_path: Path) -> None:
    """A glob in `paths` is not expanded and a name starting with `--` is a path."""
    repo = _evil_repo(tmp_path / "repo")
    bin_dir = os.path.dirname(sys.executable)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(REPO),
        "NO_COLOR": "1",
        "DINDLINT_PATHS": "*compose*.y*ml\n" + " ".join(EVIL_NAMES) + " docker-compose.yml",
        "DINDLINT_FORMAT": "text",
        "DINDLINT_FAIL_ON": "warning",
        "DINDLINT_SARIF": "",
        "DINDLINT_CATEGORY": "dindlint",
    }
    if not (Path(bin_dir) / "dindlint").exists():
        pytest.skip("the dindlint console script is not installed beside this interpreter")
    result = subprocess.run(
        ["bash", "-e", "-c", _action_script()],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "*compose*.y*ml: no such file or directory" in result.stderr  # not glob-expanded
    _assert_linted_as_files(repo, result.stdout)


# ------------------------------------------------------------------- forged lines

FORGED = "x\n::error file=a,line=1::forged\r\x1b[2J\x1b]8;;https://evil.example\x1b\\link\u2028y"


def _forging_repo(tmp_path: Path) -> Path:
    repo = git_repo(tmp_path / "repo")
    folder = repo / "svc\n::add-mask::\x1b[31mred\x9b2J"
    folder.mkdir()
    name = json.dumps(FORGED)  # a YAML double-quoted key: escapes give the raw characters
    (folder / "compose.yaml").write_text(
        f"services:\n  {name}:\n    image: alpine\n"
        "    volumes: [/var/run/docker.sock:/var/run/docker.sock]\n"
    )
    return repo


def _assert_one_line_each(output: str) -> None:
    """No raw character that ends a line, starts an escape sequence or forges a command."""
    for raw in ("\x1b", "\x9b", "\r", "\u2028", "\n::"):
        assert raw not in output, repr(raw)


def test_text_output_escapes_control_characters(tmp_path: Path) -> None:
    repo = _forging_repo(tmp_path)
    result = dindlint(repo, "check", "--color", "never")
    assert result.returncode == 1
    _assert_one_line_each(result.stdout)
    assert "x\\n::error file=a,line=1::forged\\r\\x1b[2J" in result.stdout
    assert "svc\\n::add-mask::\\x1b[31mred\\x9b2J/compose.yaml:" in result.stdout
    assert "\\u2028y" in result.stdout


def test_discovery_notes_escape_control_characters(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "repo")
    result = dindlint(repo, "check", "gone\n::error::x\x1b[2J.yaml")
    assert "gone\\n::error::x\\x1b[2J.yaml: no such file" in result.stderr


@pytest.mark.parametrize("fmt", ["text", "mermaid", "dot"])
def test_graph_output_escapes_control_characters(fmt: str, tmp_path: Path) -> None:
    repo = _forging_repo(tmp_path)
    result = dindlint(repo, "graph", "--format", fmt)
    assert result.returncode == 0, result.stderr
    _assert_one_line_each(result.stdout)
    assert "::error file=a,line=1::forged" in result.stdout  # shown, escaped


# ------------------------------------------------------------------- no file content in messages


def test_messages_quote_a_token_not_a_line(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "repo")
    (repo / "compose.yaml").write_text("services:\n  app: {image: alpine}\n")
    (repo / ".env").write_text(f"just some words {CANARY}\n")
    (repo / "Dockerfile").write_text(f"FROM alpine\nROOT:{'x' * 200}:20228 {CANARY}\n")
    result = dindlint(repo, "check", "--format", "json", "--exit-zero")
    messages = [f["message"] for f in json.loads(result.stdout)["findings"]]
    assert "Unexpected line in env file (not KEY=VALUE) at `just`" in messages
    assert f"unknown instruction 'ROOT:{'X' * 35}…'" in messages
    assert CANARY not in result.stdout


def test_a_message_is_capped(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "repo")
    host = "unix://" + "d" * 5000 + "/docker.sock"  # DIND108 quotes it
    (repo / "compose.yaml").write_text(
        f"services:\n  app:\n    image: docker:cli\n    environment:\n      DOCKER_HOST: {host}\n"
    )
    result = dindlint(repo, "check", "--format", "json", "--exit-zero")
    findings = json.loads(result.stdout)["findings"]
    assert [f["rule"] for f in findings] == ["DIND108"]
    assert len(findings[0]["message"]) == 1001 and findings[0]["message"].endswith("…")


@pytest.mark.parametrize("name", ["Dockerfile", "compose.override.yml", ".env"])
def test_a_link_out_says_the_same_whether_its_target_exists(
    name: str, tmp_path: Path, outside: Path
) -> None:
    """A scan must not tell an outside file that exists from one that does not."""
    repo = git_repo(tmp_path / "repo")
    (repo / "compose.yaml").write_text("services:\n  app: {image: alpine}\n")
    (repo / name).symlink_to(outside / "secret.txt")
    present = dindlint(repo, "check", "--format", "json", "--exit-zero").stdout
    (repo / name).unlink()
    (repo / name).symlink_to(outside / "no-such-file")
    absent = dindlint(repo, "check", "--format", "json", "--exit-zero").stdout
    assert present == absent
    assert f"`{name}` points outside the repository; not read" in dind003(json.loads(present))


def test_the_boundary_holds_in_worker_processes(tmp_path: Path, outside: Path) -> None:
    """Enough compose projects for a process pool: each worker reads inside the boundary too."""
    from dindlint.parallel import MIN_PARALLEL

    repo = git_repo(tmp_path / "repo")
    for index in range(MIN_PARALLEL + 2):
        folder = repo / f"p{index:03d}"
        folder.mkdir()
        (folder / "compose.yaml").write_text(
            ROUTES["extends.file"].replace("../outside", "../../outside")
        )
    for jobs in ("1", "2"):
        report = assert_not_leaked(repo, "--jobs", jobs)
        assert len(dind003(report)) == MIN_PARALLEL + 2


# ------------------------------------------------------------------- files the user names


def test_a_named_file_that_lies_in_the_repository_follows_its_rules(
    tmp_path: Path, outside: Path
) -> None:
    """`--env-file .env.ci`, `--config ci/dindlint.yaml`, `--baseline b.json`: the workflow picks
    the name, the pull request what lies there; a link of the repository leads nowhere out."""
    repo = git_repo(tmp_path / "repo")
    (repo / "compose.yaml").write_text(HOST_SOCKET)
    (repo / ".env.ci").symlink_to(outside / "secret.env")
    (repo / "ci").mkdir()
    (repo / "ci" / "dindlint.yaml").symlink_to(outside / "secret.txt")
    (repo / "b.json").symlink_to("/dev/zero")
    env_file = dindlint(repo, "check", "--format", "json", "--exit-zero", "--env-file", ".env.ci")
    assert CANARY not in env_file.stdout + env_file.stderr
    assert "`.env.ci` points outside the repository; not read" in dind003(
        json.loads(env_file.stdout)
    )
    for args in (("--config", "ci/dindlint.yaml"), ("--baseline", "b.json")):
        result = dindlint(repo, "check", *args)
        assert result.returncode == 2, args
        assert "points outside the repository" in result.stderr, args
        assert CANARY not in result.stdout + result.stderr


def test_a_configuration_in_the_repository_names_no_file_outside(
    tmp_path: Path, outside: Path
) -> None:
    repo = git_repo(tmp_path / "repo")
    (repo / "compose.yaml").write_text(HOST_SOCKET)
    (repo / "ci").mkdir()
    (repo / "ci" / "dindlint.yaml").write_text(f"env-file: {outside / 'secret.env'}\n")
    result = dindlint(repo, "check", "--config", "ci/dindlint.yaml")
    assert result.returncode == 2 and "points outside the repository" in result.stderr
    # the user's own configuration, outside the repository, may name what it wants
    (outside / "mine.yaml").write_text(f"env-file: {outside / 'secret.env'}\n")
    mine = dindlint(repo, "check", "--exit-zero", "--config", str(outside / "mine.yaml"))
    assert mine.returncode == 0, mine.stderr


@pytest.mark.parametrize("config", ["env-file: ../outside/secret.env\n", None])
def test_without_git_a_found_configuration_stays_in_its_folder(
    config: str | None, tmp_path: Path, outside: Path
) -> None:
    """A checkout without `.git` (a tarball): the configuration's folder is its repository."""
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "compose.yaml").write_text(HOST_SOCKET)
    if config is None:
        (repo / ".dindlint.yaml").symlink_to(outside / "secret.txt")
    else:
        (repo / ".dindlint.yaml").write_text(config)
    result = dindlint(repo, "check")
    assert result.returncode == 2
    assert "points outside the repository" in result.stderr
    assert CANARY not in result.stdout + result.stderr


def test_configuration_errors_are_one_escaped_line(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "repo")
    (repo / "compose.yaml").write_text(HOST_SOCKET)
    (repo / ".dindlint.yaml").write_text('"\\n::error::FORGED\\e[2J": 1\n')
    result = dindlint(repo, "check")
    assert result.returncode == 2
    _assert_one_line_each(result.stderr)
    assert "\\n::error::FORGED\\x1b[2J" in result.stderr


def test_a_schema_error_quotes_a_token_of_the_value(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "repo")
    (repo / "compose.yaml").write_text(HOST_SOCKET)
    (repo / ".dindlint.yaml").write_text(f"fail-on: 'x{'y' * 100}{CANARY}'\n")
    result = dindlint(repo, "check")
    assert result.returncode == 2 and "fail-on" in result.stderr
    assert CANARY not in result.stderr


# ------------------------------------------------------------------- folders linked out


def test_a_given_folder_linked_out_of_the_repository_is_not_walked(
    tmp_path: Path, outside: Path
) -> None:
    repo = git_repo(tmp_path / "repo")
    (repo / "deploy").symlink_to(outside)
    for command in ("check", "graph"):
        result = dindlint(repo, command, "deploy")
        assert result.returncode == 2, command
        assert "deploy: points outside the repository; not read" in result.stderr
        assert "compose.yaml" not in result.stdout


@pytest.mark.parametrize("target", ["outside", "no-such-folder"])
def test_an_include_project_directory_out_of_the_repository(
    target: str, tmp_path: Path, outside: Path
) -> None:
    repo = git_repo(tmp_path / "repo")
    (outside / ".env").write_text(f"X={CANARY}\n")
    (repo / "inc.yaml").write_text("services:\n  s: {image: alpine}\n")
    (repo / "compose.yaml").write_text(
        f"include:\n  - {{path: ./inc.yaml, project_directory: ../{target}}}\n"
        "services:\n  app: {image: alpine}\n"
    )
    report = assert_not_leaked(repo)
    assert dind003(report) == [
        f"Project directory `../{target}` points outside the repository; not read"
    ]


def test_a_copy_glob_does_not_walk_through_a_link_out(tmp_path: Path, outside: Path) -> None:
    repo = git_repo(tmp_path / "repo")
    (repo / "root").symlink_to(outside)
    (repo / "Dockerfile").write_text(
        "FROM alpine\nRUN adduser -D -u 1001 app\nCOPY root/* /usr/local/bin/\n"
        'USER app\nENTRYPOINT ["entry.sh"]\n'
    )
    (repo / "compose.yaml").write_text(
        "services:\n  app:\n    build: .\n"
        "    volumes: [/var/run/docker.sock:/var/run/docker.sock]\n"
    )
    reports = reports_per_entrypoint(repo, outside / "entry.sh")
    assert reports[0] == reports[1]
    # the control: the same folder inside the repository is read, and the report changes
    (repo / "root").unlink()
    (repo / "root").mkdir()
    inside = reports_per_entrypoint(repo, repo / "root" / "entry.sh")
    assert inside[0] != inside[1]


# ------------------------------------------------------------------- writes through folders


@pytest.mark.parametrize(
    "args",
    [("--format", "sarif:results/dindlint.sarif"), ("--write-baseline", "results/base.json")],
)
def test_a_report_is_never_written_through_a_folder_linked_out(
    args: tuple[str, ...], tmp_path: Path
) -> None:
    repo, _ = _symlinked_repo(tmp_path, "unrelated")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (repo / "results").symlink_to(elsewhere)
    result = dindlint(repo, "check", *args)
    assert result.returncode == 2
    assert "folder `results` is a symbolic link out of the repository" in result.stderr
    assert not list(elsewhere.iterdir())


def test_a_committed_link_to_a_device_is_refused(tmp_path: Path) -> None:
    """A committed `dindlint.sarif -> /dev/null` would silently drop the code scanning upload."""
    repo, _ = _symlinked_repo(tmp_path, "unrelated")
    (repo / "dindlint.sarif").symlink_to("/dev/null")
    result = dindlint(repo, "check", "--format", "sarif:dindlint.sarif")
    assert result.returncode == 2 and "is a symbolic link" in result.stderr


def test_a_pipe_without_a_reader_is_refused_not_waited_for(tmp_path: Path) -> None:
    repo, _ = _symlinked_repo(tmp_path, "unrelated")
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    result = dindlint(repo, "check", "--format", f"sarif:{pipe}")
    assert result.returncode == 2 and "a pipe with no reader" in result.stderr
