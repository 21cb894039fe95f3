"""Configuration: discovery order, every key, every CLI flag, and bad configuration."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from dindlint.cli import main

HOST_SOCKET = """services:
  agent:
    image: traefik:v3.1
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock:ro
"""


def run(cwd: Path, monkeypatch: pytest.MonkeyPatch, *args: str):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(cwd)
    return CliRunner().invoke(main, ["check", *args])


def rules_in(output: str) -> set[str]:
    return {
        word
        for line in output.splitlines()
        for word in line.split()[2:3]
        if word.startswith("DIND")
    }


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "compose.yaml").write_text(HOST_SOCKET)
    return tmp_path


# ---------------------------------------------------------------- discovery order


def test_no_configuration_reports_everything(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert rules_in(run(repo, monkeypatch).output) == {"DIND101", "DIND102"}


def test_pyproject_section_is_read(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (repo / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.dindlint]\nignore = ["DIND102"]\n'
    )
    assert rules_in(run(repo, monkeypatch).output) == {"DIND101"}


def test_dindlint_file_wins_over_pyproject_and_nearest_wins(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (repo / "pyproject.toml").write_text('[tool.dindlint]\nignore = ["DIND102"]\n')
    (repo / ".dindlint.yaml").write_text("ignore: [DIND101]\n")
    assert rules_in(run(repo, monkeypatch).output) == {"DIND102"}
    nested = repo / "stacks"
    nested.mkdir()
    (nested / "compose.yaml").write_text(HOST_SOCKET)
    (nested / ".dindlint.yml").write_text("select: [DIND1]\nignore: [DIND1]\n")
    assert rules_in(run(nested, monkeypatch).output) == set()


def test_explicit_config_wins_and_no_config_ignores(
    repo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    (repo / ".dindlint.yaml").write_text("ignore: [DIND101]\n")
    other = tmp_path_factory.mktemp("cfg") / "strict.yaml"
    other.write_text("ignore: [DIND102]\n")
    assert rules_in(run(repo, monkeypatch, "--config", str(other)).output) == {"DIND101"}
    assert rules_in(run(repo, monkeypatch, "--no-config").output) == {"DIND101", "DIND102"}


def test_search_stops_at_the_repository_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".dindlint.yaml").write_text("ignore: [DIND1]\n")
    inner = tmp_path / "inner"
    inner.mkdir()
    subprocess.run(["git", "init", "-q", str(inner)], check=True)
    (inner / "compose.yaml").write_text(HOST_SOCKET)
    assert rules_in(run(inner, monkeypatch).output) == {"DIND101", "DIND102"}


# ---------------------------------------------------------------- keys


def test_select_and_ignore_with_prefixes_most_specific_wins(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (repo / ".dindlint.yaml").write_text("select: [DIND101]\nignore: [DIND1]\n")
    assert rules_in(run(repo, monkeypatch).output) == {"DIND101"}


def test_severity_override_and_fail_on(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (repo / ".dindlint.yaml").write_text(
        "severity:\n  DIND101: info\n  DIND102: info\nfail-on: warning\n"
    )
    result = run(repo, monkeypatch)
    assert " info DIND101 " in result.output and result.exit_code == 0
    (repo / ".dindlint.yaml").write_text("severity: {DIND101: info}\nfail-on: info\n")
    assert run(repo, monkeypatch).exit_code == 1


def test_exclude_globs(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    vendor = repo / "vendor" / "stack"
    vendor.mkdir(parents=True)
    (vendor / "compose.yaml").write_text(HOST_SOCKET)
    (repo / ".dindlint.yaml").write_text("exclude: [vendor]\n")
    result = run(repo, monkeypatch)
    assert "vendor/" not in result.output and "compose.yaml:5" in result.output


def test_per_file_ignores(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (repo / "monitoring").mkdir()
    (repo / "monitoring" / "compose.yaml").write_text(HOST_SOCKET)
    (repo / ".dindlint.yaml").write_text("per-file-ignores:\n  'monitoring/*': [DIND10]\n")
    output = run(repo, monkeypatch).output
    assert "monitoring/compose.yaml" not in output and "\ncompose.yaml" in "\n" + output


def test_host_docker_gid_makes_the_host_socket_owner_known(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (repo / "app").mkdir()
    (repo / "app" / "Dockerfile").write_text(
        "FROM alpine:3.20\nRUN adduser -D -u 1001 app\nUSER app\n"
    )
    (repo / "compose.yaml").write_text(
        "services:\n  app:\n    build: ./app\n    group_add: ['998']\n    volumes:\n"
        "      - /var/run/docker.sock:/var/run/docker.sock\n"
    )
    assert "DIND202" not in rules_in(run(repo, monkeypatch).output)
    (repo / ".dindlint.yaml").write_text("host-docker-gid: 999\n")
    output = run(repo, monkeypatch).output
    assert "DIND202" in rules_in(output)
    assert "group 999 (`host-docker-gid` of the configuration)" in output


def test_images_teach_a_private_base_image(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (repo / "compose.yaml").write_text(
        "services:\n  dind:\n    image: docker:27-dind\n    privileged: true\n    volumes:\n"
        "      - run:/var/run\n  runner:\n    image: registry.acme.io/ci/runner:3\n"
        "    volumes:\n      - run:/var/run\nvolumes:\n  run:\n"
    )
    assert "DIND301" not in rules_in(run(repo, monkeypatch).output)  # unknown image: silent
    (repo / ".dindlint.yaml").write_text(
        "images:\n  - id: acme-runner\n    match: {repository: [ci/runner]}\n"
        "    inherits: alpine\n    default_user: runner\n"
        "    users: [{name: runner, uid: 1001, gid: 1001}]\n"
        "    groups: [{name: runner, gid: 1001, members: [runner]}]\n"
        "    source: our platform team's image, Dockerfile in infra/runner\n"
    )
    assert "DIND301" in rules_in(run(repo, monkeypatch).output)


def test_env_file_key_and_flag(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (repo / "compose.yaml").write_text(
        "services:\n  agent:\n    image: traefik:v3.1\n    volumes:\n"
        "      - ${SOCK}:/var/run/docker.sock\n"
    )
    assert rules_in(run(repo, monkeypatch).output) == {"DIND003"}
    (repo / "ci.env").write_text("SOCK=/var/run/docker.sock\n")
    assert rules_in(run(repo, monkeypatch, "--env-file", "ci.env").output) == {"DIND102"}
    (repo / ".dindlint.yaml").write_text("env-file: ci.env\n")
    assert rules_in(run(repo, monkeypatch).output) == {"DIND102"}


# ---------------------------------------------------------------- CLI flags


def test_select_ignore_flags_override_the_file(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (repo / ".dindlint.yaml").write_text("ignore: [DIND101]\n")
    assert rules_in(run(repo, monkeypatch, "--ignore", "DIND102").output) == {"DIND101"}
    assert rules_in(
        run(repo, monkeypatch, "--select", "DIND101,DIND004", "--ignore", "DIND004").output
    ) == {"DIND101"}


def test_fail_on_and_exit_zero_flags(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(repo, monkeypatch).exit_code == 1
    assert run(repo, monkeypatch, "--fail-on", "error").exit_code == 0
    assert run(repo, monkeypatch, "--exit-zero").exit_code == 0


def test_use_env_reads_the_process_environment(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (repo / "compose.yaml").write_text(
        "services:\n  agent:\n    image: traefik:v3.1\n    volumes:\n"
        "      - ${SOCK}:/var/run/docker.sock\n"
    )
    monkeypatch.setenv("SOCK", "/var/run/docker.sock")
    assert rules_in(run(repo, monkeypatch).output) == {"DIND003"}  # not read by default
    assert rules_in(run(repo, monkeypatch, "--use-env").output) == {"DIND102"}


def test_unknown_rule_in_a_flag_is_a_usage_error(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run(repo, monkeypatch, "--select", "DIND999")
    assert result.exit_code == 2 and "unknown rule id `DIND999`" in result.output


# ---------------------------------------------------------------- bad configuration


@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [
        ("select: [DIND1]\nbogus: 1\n", 2, "bogus: unknown key `bogus`"),
        ("fail-on: warning\nhost-docker-gid: nine\n", 2, "host-docker-gid: 'nine' is not of type"),
        ("ignore:\n  - DIND101\n  - DIND999\n", 3, "ignore.1: unknown rule id `DIND999`"),
        ("severity:\n  DIND101: fatal\n", 2, "severity.DIND101: 'fatal' is not one of"),
        ("images:\n  - id: x\n    inherits: nothing-like-this\n", 2, "images.0: `inherits`"),
        ("select: [DIND1\n", 1, "invalid YAML"),
    ],
)
def test_bad_yaml_configuration(
    repo: Path, monkeypatch: pytest.MonkeyPatch, text: str, line: int, expected: str
) -> None:
    (repo / ".dindlint.yaml").write_text(text)
    result = run(repo, monkeypatch)
    assert result.exit_code == 2
    assert f".dindlint.yaml:{line}: " in result.output, result.output
    assert expected in result.output, result.output
    assert "Traceback" not in result.output


def test_bad_pyproject_configuration(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (repo / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.dindlint]\nselect = ["DIND1"]\nfail_on = "error"\n'
    )
    result = run(repo, monkeypatch)
    assert result.exit_code == 2
    assert "pyproject.toml:6: fail_on: unknown key `fail_on`" in result.output


def test_missing_explicit_config(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run(repo, monkeypatch, "--config", "nope.yaml")
    assert result.exit_code == 2 and "no such configuration file" in result.output


def test_schema_ships_and_is_valid_json() -> None:
    from importlib import resources

    schema = json.loads(resources.files("dindlint").joinpath("data/config.schema.json").read_text())
    assert set(schema["properties"]) == {
        "select",
        "ignore",
        "severity",
        "fail-on",
        "exclude",
        "per-file-ignores",
        "host-docker-gid",
        "images",
        "env-file",
        "gitlab-runner-env",
    }


def test_init_writes_a_valid_starter_config(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo)
    assert CliRunner().invoke(main, ["init"]).exit_code == 0
    assert (repo / ".dindlint.yaml").read_text().startswith("# dindlint configuration")
    assert CliRunner().invoke(main, ["init"]).exit_code == 2  # no silent overwrite
    assert CliRunner().invoke(main, ["init", "--force"]).exit_code == 0
    result = run(repo, monkeypatch)  # the starter file itself validates
    assert result.exit_code == 1 and "DIND102" in result.output


# ---------------------------------------------------------------- errors a new user makes


def test_every_configuration_error_is_reported_at_once_in_line_order(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (repo / ".dindlint.yaml").write_text("select: [DIND3O1]\nignore: [FOO]\nfail-on: bad\n")
    result = run(repo, monkeypatch)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert lines[0] == (
        "dindlint: .dindlint.yaml:1: select.0: unknown rule id `DIND3O1`; did you mean `DIND301`?"
    )
    assert lines[1] == "dindlint: .dindlint.yaml:2: ignore.0: unknown rule id `FOO`"
    assert lines[2].startswith("dindlint: .dindlint.yaml:3: fail-on: ")
    assert str(repo) not in result.output  # the file as the user knows it, not the machine path


def test_a_mistyped_rule_id_on_the_command_line_gets_a_suggestion(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run(repo, monkeypatch, "--select", "DIND3O1")
    assert result.exit_code == 2
    assert "unknown rule id `DIND3O1` in --select/--ignore; did you mean `DIND301`?" in (
        result.output
    )


def test_env_files_are_not_counted_as_checked(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (repo / "compose.yaml").write_text("services:\n  a:\n    image: alpine:3.20\n")
    (repo / ".env").write_text("X=1\n")
    result = run(repo, monkeypatch, "--no-config")
    assert result.exit_code == 0
    assert "No problems found in 1 file." in result.output


def test_a_literal_gid_that_differs_from_the_configured_host_gid_is_a_denial_only(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DIND205 says a literal GID "works only where it happens to match"; with the host's GID
    configured and different, DIND301 says it does not work here, and DIND205 keeps quiet."""
    (repo / "compose.yaml").write_text(
        "services:\n  agent:\n    image: alpine:3.20\n    user: '1000:1000'\n"
        "    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock\n"
    )
    (repo / ".dindlint.yaml").write_text("host-docker-gid: 999\n")
    assert rules_in(run(repo, monkeypatch).output) == {"DIND102", "DIND301"}
    (repo / ".dindlint.yaml").write_text("host-docker-gid: 1000\n")
    assert rules_in(run(repo, monkeypatch).output) == {"DIND102", "DIND205"}
