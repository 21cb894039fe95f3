"""``dindlint check --fix``, ``--unsafe-fixes`` and ``--diff``: each fix of the table (the file
before, the exact file after, the finding gone), byte preservation, verification, idempotence,
and the safety of writing."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from dindlint.cli import main

DIND = """\
  dind:
    image: docker:27-dind
    privileged: true
    volumes:
      - dind-run:/var/run
"""


def invoke(*args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), env=env)


def write(folder: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(content.encode())


def rules(folder: Path, *extra: str) -> list[str]:
    """The rule ids of the unsuppressed findings of ``folder``."""
    result = invoke("check", "--jobs", "1", "--format", "json", *extra, str(folder))
    assert result.exit_code in (0, 1), result.output
    return sorted(f["rule"] for f in json.loads(result.stdout)["findings"] if not f["suppressed"])


def fixed(
    tmp_path: Path, files: dict[str, str | bytes], *options: str
) -> tuple[dict[str, bytes], str]:
    """Run ``--fix`` (with ``options``) on ``files``; the files' bytes after, and the output."""
    write(tmp_path, files)
    result = invoke("check", "--jobs", "1", "--fix", *options, str(tmp_path))
    assert result.exit_code in (0, 1), result.output
    return {name: (tmp_path / name).read_bytes() for name in files}, result.output


# --------------------------------------------------------------------------------------------
# Each fix of the table: before, exact after, finding gone
# --------------------------------------------------------------------------------------------


def test_dind301_adds_group_add_as_a_block_list(tmp_path: Path) -> None:
    before = f"""\
services:
{DIND}  worker:
    image: alpine:3.20
    user: "1000:1000"  # the runner's uid
    volumes:
      - dind-run:/var/run
volumes:
  dind-run:
"""
    write(tmp_path, {"compose.yaml": before})
    assert rules(tmp_path) == ["DIND301"]
    after, output = fixed(tmp_path, {"compose.yaml": before})
    assert after["compose.yaml"].decode() == before.replace(
        "  worker:\n", '  worker:\n    group_add:\n      - "2375"\n'
    )
    assert "DIND301" not in rules(tmp_path)
    assert "(1 fixed, 0 remaining)" in output


def test_dind301_adds_a_flow_list_where_the_service_writes_flow_lists(tmp_path: Path) -> None:
    before = f"""\
services:
{DIND}  worker:
    image: alpine:3.20
    user: "1000:1000"
    volumes: ["dind-run:/var/run"]
volumes:
  dind-run:
"""
    after, _ = fixed(tmp_path, {"compose.yaml": before})
    assert after["compose.yaml"].decode() == before.replace(
        "  worker:\n", '  worker:\n    group_add: ["2375"]\n'
    )
    assert rules(tmp_path) == []


def test_dind202_appends_to_a_flow_list_keeping_quotes_and_comment(tmp_path: Path) -> None:
    before = f"""\
services:
{DIND}  worker:
    image: alpine:3.20
    user: "1000:1000"
    group_add: ["10", '11']  # the runner's groups
    volumes:
      - dind-run:/var/run
volumes:
  dind-run:
"""
    write(tmp_path, {"compose.yaml": before})
    assert rules(tmp_path) == ["DIND202"]
    after, _ = fixed(tmp_path, {"compose.yaml": before})
    assert after["compose.yaml"].decode() == before.replace(
        "[\"10\", '11']  #", '["10", \'11\', "2375"]  #'
    )
    assert rules(tmp_path) == []


def test_dind202_appends_to_a_block_list(tmp_path: Path) -> None:
    before = f"""\
services:
{DIND}  worker:
    image: alpine:3.20
    user: "1000:1000"
    group_add:
      - 10
    volumes:
      - dind-run:/var/run
volumes:
  dind-run:
"""
    write(tmp_path, {"compose.yaml": before})
    assert rules(tmp_path) == ["DIND202"]
    after, _ = fixed(tmp_path, {"compose.yaml": before})
    assert after["compose.yaml"].decode() == before.replace(
        "      - 10\n", '      - 10\n      - "2375"\n'
    )
    assert rules(tmp_path) == []


def test_dind202_extends_an_extended_list_in_the_service_itself(tmp_path: Path) -> None:
    base = """\
services:
  worker:
    image: alpine:3.20
    user: "1000:1000"
    group_add: ["10"]
"""
    compose = f"""\
services:
{DIND}  worker:
    extends:
      file: base.yaml
      service: worker
    volumes:
      - dind-run:/var/run
volumes:
  dind-run:
"""
    files: dict[str, str | bytes] = {"base.yaml": base, "compose.yaml": compose}
    write(tmp_path, files)
    assert rules(tmp_path) == ["DIND202"]
    after, _ = fixed(tmp_path, files)
    # the base service may be extended by others: compose appends the service's own list to
    # the one it extends, so the GID goes there
    assert after["base.yaml"].decode() == base
    assert after["compose.yaml"].decode() == compose.replace(
        "  worker:\n", '  worker:\n    group_add:\n      - "2375"\n'
    )
    assert rules(tmp_path) == []


def test_dind301_for_the_host_socket_is_unsafe(tmp_path: Path) -> None:
    before = """\
services:
  app:
    image: alpine:3.20
    user: "1000"
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock  # dindlint: disable=DIND102
"""
    after, output = fixed(tmp_path, {"compose.yaml": before})
    assert after["compose.yaml"].decode() == before  # a safe --fix leaves it
    assert "(unsafe fix)" in output and "(0 fixed, 1 remaining)" in output
    after, _ = fixed(tmp_path, {"compose.yaml": before}, "--unsafe-fixes")
    entry = "${DOCKER_GID:?set DOCKER_GID to the GID of /var/run/docker.sock}"
    assert after["compose.yaml"].decode() == before.replace(
        "  app:\n", f'  app:\n    group_add:\n      - "{entry}"\n'
    )
    # the variable the fix asks for is what remains to do: with it set, nothing is left
    assert rules(tmp_path, "--use-env") == ["DIND003"]
    assert "DIND003" not in rules_with_env(tmp_path, {"DOCKER_GID": "998"})


def rules_with_env(folder: Path, env: dict[str, str]) -> list[str]:
    result = invoke("check", "--jobs", "1", "--use-env", "--format", "json", str(folder), env=env)
    return sorted(f["rule"] for f in json.loads(result.stdout)["findings"] if not f["suppressed"])


def test_dind304_usermod_keeps_the_other_groups(tmp_path: Path) -> None:
    dockerfile = """\
FROM alpine:3.20
RUN addgroup -S docker && adduser -S app \\
 && usermod -G docker app \\
 && usermod -G wheel app
USER app
"""
    write(tmp_path, {"Dockerfile": dockerfile})
    found = rules(tmp_path)
    assert "DIND304" in found
    after, _ = fixed(tmp_path, {"Dockerfile": dockerfile})
    text = after["Dockerfile"].decode()
    assert "DIND304" not in rules(tmp_path)
    # each `usermod -G` became `-aG`, one edit at a time; nothing else changed
    assert text == dockerfile.replace("usermod -G", "usermod -aG")


def test_dind305_adds_addgroup_after_busybox_adduser(tmp_path: Path) -> None:
    dockerfile = """\
FROM python:3.12-alpine
RUN addgroup -g 2375 docker \\
 && adduser -D -u 1001 app docker
USER app
"""
    write(tmp_path, {"app/Dockerfile": dockerfile})
    assert rules(tmp_path) == ["DIND305"]
    after, _ = fixed(tmp_path, {"app/Dockerfile": dockerfile})
    assert after["app/Dockerfile"].decode() == dockerfile.replace(
        "app docker\n", "app && addgroup app docker\n"
    )
    assert rules(tmp_path) == []


def test_dind201_gives_the_docker_group_the_socket_gid(tmp_path: Path) -> None:
    dockerfile = """\
FROM python:3.12-alpine
RUN addgroup -S docker && adduser -D -u 1001 app && addgroup app docker
USER app
"""
    compose = (
        f"services:\n{DIND}  worker:\n    build: ./app\n    volumes:\n      - dind-run:/var/run\n"
    )
    compose += "volumes:\n  dind-run:\n"
    write(tmp_path, {"app/Dockerfile": dockerfile, "compose.yaml": compose})
    assert rules(tmp_path) == ["DIND201"]
    after, _ = fixed(tmp_path, {"app/Dockerfile": dockerfile, "compose.yaml": compose})
    # the `addgroup` that creates the group, not the one that adds `app` to it
    assert after["app/Dockerfile"].decode() == dockerfile.replace(
        "RUN addgroup -S docker", "RUN addgroup -g 2375 -S docker"
    )
    assert after["compose.yaml"].decode() == compose
    assert rules(tmp_path) == []


def test_dind201_has_no_fix_without_one_known_socket_gid(tmp_path: Path) -> None:
    dockerfile = "FROM python:3.12-alpine\nRUN addgroup -S docker\n"
    after, output = fixed(tmp_path, {"Dockerfile": dockerfile})
    assert after["Dockerfile"].decode() == dockerfile
    assert "DIND201" in output and "[*]" not in output


def test_dind108_makes_a_relative_unix_path_absolute(tmp_path: Path) -> None:
    before = """\
services:
  cli:
    image: docker:27-cli
    environment:
      - DOCKER_HOST=unix://dind/docker.sock
    volumes:
      - /var/run/docker.sock:/dind/docker.sock  # dindlint: disable=DIND102
"""
    write(tmp_path, {"compose.yaml": before})
    assert "DIND108" in rules(tmp_path)
    after, _ = fixed(tmp_path, {"compose.yaml": before})
    assert after["compose.yaml"].decode() == before.replace("unix://dind", "unix:///dind")
    assert "DIND108" not in rules(tmp_path)


def test_dind401_adds_privileged(tmp_path: Path) -> None:
    before = """\
services:
  dind:
    image: docker:27-dind  # the daemon
    volumes:
      - dind-run:/var/run
volumes:
  dind-run:
"""
    write(tmp_path, {"compose.yaml": before})
    assert rules(tmp_path) == ["DIND401"]
    after, _ = fixed(tmp_path, {"compose.yaml": before})
    assert after["compose.yaml"].decode() == before.replace(
        "  dind:\n", "  dind:\n    privileged: true\n"
    )
    assert rules(tmp_path) == []


def test_dind401_turns_privileged_false_into_true(tmp_path: Path) -> None:
    before = "services:\n  dind:\n    image: docker:27-dind\n    privileged: false  # no\n"
    after, _ = fixed(tmp_path, {"compose.yaml": before})
    assert after["compose.yaml"].decode() == before.replace("false", "true")
    assert rules(tmp_path) == []


def test_dind405_removes_the_entry_only_with_unsafe_fixes(tmp_path: Path) -> None:
    before = f"""\
services:
{DIND}    environment:
      DOCKER_TLS_CERTDIR: ""
  cli:
    image: docker:27-cli
    environment:
      DOCKER_HOST: tcp://dind:2375
      # verification off, the author thought
      DOCKER_TLS_VERIFY: "0"
"""
    write(tmp_path, {"compose.yaml": before})
    assert "DIND405" in rules(tmp_path)
    after, _ = fixed(tmp_path, {"compose.yaml": before})
    assert after["compose.yaml"].decode() == before
    after, _ = fixed(tmp_path, {"compose.yaml": before}, "--unsafe-fixes")
    assert after["compose.yaml"].decode() == before.replace('      DOCKER_TLS_VERIFY: "0"\n', "")
    assert "DIND405" not in rules(tmp_path)


def test_dind409_replaces_the_flag_by_an_empty_certdir(tmp_path: Path) -> None:
    before = """\
services:
  dind:
    image: docker:27-dind
    command: ["--tls=false"]  # plain TCP, the author hoped
    privileged: true
"""
    write(tmp_path, {"compose.yaml": before})
    assert rules(tmp_path) == ["DIND409"]
    after, _ = fixed(tmp_path, {"compose.yaml": before})
    assert after["compose.yaml"].decode() == before  # unsafe
    after, _ = fixed(tmp_path, {"compose.yaml": before}, "--unsafe-fixes")
    assert after["compose.yaml"].decode() == (
        "services:\n  dind:\n"
        '    environment: {DOCKER_TLS_CERTDIR: ""}\n'
        "    image: docker:27-dind\n"
        "    privileged: true\n"
    )
    assert rules(tmp_path) == []


def test_dind409_has_no_fix_beside_other_arguments_or_an_environment(tmp_path: Path) -> None:
    before = """\
services:
  dind:
    image: docker:27-dind
    command: ["--tls=false", "--debug"]
    privileged: true
  dind2:
    image: docker:27-dind
    command: --tls=false
    environment:
      DOCKER_DRIVER: overlay2
    privileged: true
"""
    after, output = fixed(tmp_path, {"compose.yaml": before}, "--unsafe-fixes")
    assert after["compose.yaml"].decode() == before
    assert output.count("DIND409") == 2 and "[*]" not in output


def test_dind101_removes_ro_short_and_long_syntax(tmp_path: Path) -> None:
    before = f"""\
services:
{DIND}  short:
    image: docker:27-cli
    volumes:
      - "dind-run:/var/run:ro"
  long:
    image: docker:27-cli
    volumes:
      - type: volume
        source: dind-run
        target: /var/run
        read_only: true
volumes:
  dind-run:
"""
    write(tmp_path, {"compose.yaml": before})
    assert rules(tmp_path) == ["DIND101", "DIND101"]
    after, _ = fixed(tmp_path, {"compose.yaml": before})
    assert after["compose.yaml"].decode() == before  # unsafe
    after, _ = fixed(tmp_path, {"compose.yaml": before}, "--unsafe-fixes")
    expected = before.replace('"dind-run:/var/run:ro"', '"dind-run:/var/run"').replace(
        "        read_only: true\n", ""
    )
    assert after["compose.yaml"].decode() == expected
    assert rules(tmp_path) == []


def test_dind403_moves_to_the_served_port_when_the_client_speaks_its_mode(tmp_path: Path) -> None:
    before = f"""\
services:
{DIND}    environment:
      DOCKER_TLS_CERTDIR: ""
  cli:
    image: docker:27-cli
    environment:
      DOCKER_HOST: tcp://dind:2376
"""
    write(tmp_path, {"compose.yaml": before})
    assert rules(tmp_path) == ["DIND403"]
    after, _ = fixed(tmp_path, {"compose.yaml": before})
    assert after["compose.yaml"].decode() == before.replace("dind:2376", "dind:2375")
    assert rules(tmp_path) == []


def test_dind403_has_no_fix_when_the_client_is_not_set_up(tmp_path: Path) -> None:
    before = f"""\
services:
{DIND}  cli:
    image: docker:27-cli
    environment:
      DOCKER_HOST: tcp://dind:2375
"""
    after, output = fixed(tmp_path, {"compose.yaml": before})
    assert after["compose.yaml"].decode() == before
    assert "DIND403" in output and "[*]" not in output


# --------------------------------------------------------------------------------------------
# Verification
# --------------------------------------------------------------------------------------------

# a TLS-ready client dialling dind's plain port: the fix to 2376 would meet a certificate
# without the name `dind` (DIND406)
TLS_CLIENT = f"""\
services:
{DIND}      - certs:/certs/client
    environment:
      DOCKER_TLS_CERTDIR: /certs
  builder:
    image: docker:27-cli
    environment:
      DOCKER_HOST: tcp://dind:2375
      DOCKER_TLS_VERIFY: "1"
      DOCKER_CERT_PATH: /certs/client
    volumes:
      - certs:/certs/client:ro
volumes:
  dind-run:
  certs:
"""


def test_a_fix_that_brings_a_new_finding_is_dropped_and_debug_says_why(tmp_path: Path) -> None:
    before = TLS_CLIENT
    write(tmp_path, {"compose.yaml": before})
    result = invoke("check", "--jobs", "1", "--fix", "--debug", str(tmp_path))
    assert (tmp_path / "compose.yaml").read_text() == before
    assert "fix of DIND403" in result.output and "dropped" in result.output
    assert "DIND406" in result.output  # the reason: the finding it would bring
    assert "(0 fixed, 1 remaining)" in result.output
    assert "[*]" not in result.output and "fix:" not in result.output  # (it was tried)


def test_a_dropped_fix_does_not_hold_back_the_others(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {"a/compose.yaml": TLS_CLIENT, "b/compose.yaml": BLOCK_CLIENT}
    for name in ("c", "d", "e"):
        files[f"{name}/compose.yaml"] = BLOCK_CLIENT
    after, output = fixed(tmp_path, files, "--debug")
    assert after["a/compose.yaml"].decode() == TLS_CLIENT
    for name in "bcde":
        assert b"group_add" in after[f"{name}/compose.yaml"]
    assert "(4 fixed, 1 remaining)" in output
    assert output.count("dindlint: fix of ") == 1  # (--debug) DIND403 of a/compose.yaml


# --------------------------------------------------------------------------------------------
# Byte preservation
# --------------------------------------------------------------------------------------------

BLOCK_CLIENT = f"""\
services:
{DIND}  worker:   # the CI worker
    # comment above the first key
    image: alpine:3.20
    user: "1000:1000"
    volumes:
      - dind-run:/var/run
volumes:
  dind-run:
"""


def test_crlf_and_bom_are_kept(tmp_path: Path) -> None:
    before = "\ufeff" + BLOCK_CLIENT.replace("\n", "\r\n")
    after, _ = fixed(tmp_path, {"compose.yaml": before.encode()})
    expected = before.replace(
        "  worker:   # the CI worker\r\n",
        '  worker:   # the CI worker\r\n    group_add:\r\n      - "2375"\r\n',
    )
    assert after["compose.yaml"] == expected.encode()
    assert rules(tmp_path) == []


def test_a_crlf_dockerfile_with_a_bom_keeps_both(tmp_path: Path) -> None:
    before = "\ufeffFROM alpine:3.20\r\n# groups\r\nRUN addgroup -S docker && adduser -S app \\\r\n"
    before += " && usermod -G docker app  # the socket's group\r\nUSER app\r\n"
    after, _ = fixed(tmp_path, {"Dockerfile": before.encode()})
    assert after["Dockerfile"] == before.replace("usermod -G", "usermod -aG").encode()
    assert "DIND304" not in rules(tmp_path)


def test_no_final_newline_and_comments_are_kept(tmp_path: Path) -> None:
    before = BLOCK_CLIENT.rstrip("\n")
    after, _ = fixed(tmp_path, {"compose.yaml": before})
    assert after["compose.yaml"].decode() == before.replace(
        "  worker:   # the CI worker\n",
        '  worker:   # the CI worker\n    group_add:\n      - "2375"\n',
    )


def test_anchors_and_aliases_survive(tmp_path: Path) -> None:
    before = f"""\
x-socket: &socket
  - dind-run:/var/run
services:
{DIND}  worker: &worker
    image: alpine:3.20
    user: "1000:1000"
    volumes: *socket
  worker2:
    <<: *worker
volumes:
  dind-run:
"""
    write(tmp_path, {"compose.yaml": before})
    assert rules(tmp_path) == ["DIND301", "DIND301"]
    after, _ = fixed(tmp_path, {"compose.yaml": before})
    # worker2 gets its own entry; the mapping anchored as `&worker` is not edited (worker2's
    # alias would get what it gets), so worker's finding stays; every alias stays as it was
    assert after["compose.yaml"].decode() == before.replace(
        "  worker2:\n", '  worker2:\n    group_add: ["2375"]\n'
    )
    assert rules(tmp_path) == ["DIND301"]


def test_an_anchored_group_add_list_that_is_aliased_is_not_extended(tmp_path: Path) -> None:
    before = f"""\
x-groups: &groups ["10"]
services:
{DIND}  worker:
    image: alpine:3.20
    user: "1000:1000"
    group_add: *groups
    volumes:
      - dind-run:/var/run
  other:
    image: alpine:3.20
    group_add: *groups
volumes:
  dind-run:
"""
    after, output = fixed(tmp_path, {"compose.yaml": before})
    assert after["compose.yaml"].decode() == before
    assert "DIND202" in output and "(0 fixed, 1 remaining)" in output


# --------------------------------------------------------------------------------------------
# Idempotence, --diff, writing
# --------------------------------------------------------------------------------------------


def test_a_second_fix_changes_nothing(tmp_path: Path) -> None:
    first, _ = fixed(tmp_path, {"compose.yaml": BLOCK_CLIENT})
    second, output = fixed(tmp_path, {"compose.yaml": first["compose.yaml"]})
    assert second == first
    assert "No problems found" in output


def test_diff_writes_nothing_and_exits_one(tmp_path: Path) -> None:
    write(tmp_path, {"compose.yaml": BLOCK_CLIENT})
    path = tmp_path / "compose.yaml"
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    before = path.read_bytes(), path.stat().st_mtime_ns
    result = invoke("check", "--jobs", "1", "--diff", str(tmp_path))
    assert result.exit_code == 1
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before
    assert sorted(os.listdir(tmp_path)) == ["compose.yaml"]  # no temporary file either
    assert "--- a/" in result.stdout and '+    group_add:\n+      - "2375"\n' in result.stdout


def test_diff_exits_zero_when_nothing_to_fix(tmp_path: Path) -> None:
    fixed(tmp_path, {"compose.yaml": BLOCK_CLIENT})
    result = invoke("check", "--jobs", "1", "--diff", str(tmp_path))
    assert result.exit_code == 0 and result.stdout == ""


def test_mode_is_kept(tmp_path: Path) -> None:
    write(tmp_path, {"compose.yaml": BLOCK_CLIENT})
    os.chmod(tmp_path / "compose.yaml", 0o640)
    invoke("check", "--jobs", "1", "--fix", str(tmp_path))
    assert "group_add" in (tmp_path / "compose.yaml").read_text()
    assert (tmp_path / "compose.yaml").stat().st_mode & 0o777 == 0o640


def test_a_symlink_leading_out_of_the_paths_given_is_not_written(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()  # the repository: the read boundary holds both folders
    write(tmp_path, {"elsewhere/compose.yaml": BLOCK_CLIENT})
    (tmp_path / "given").mkdir()
    os.symlink("../elsewhere/compose.yaml", tmp_path / "given" / "compose.yaml")
    result = invoke("check", "--jobs", "1", "--fix", "--debug", str(tmp_path / "given"))
    assert (tmp_path / "elsewhere/compose.yaml").read_text() == BLOCK_CLIENT
    assert os.path.islink(tmp_path / "given" / "compose.yaml")
    assert "outside the paths given" in result.output


def test_a_file_changed_on_disk_during_the_run_is_not_written(tmp_path: Path) -> None:
    from dindlint.fix import write_files

    path = tmp_path / "compose.yaml"
    path.write_text("changed since\n")
    failed = write_files({str(path): b"fixed\n"}, {str(path): b"as read\n"})
    assert [f.reason for f in failed] == ["it changed on disk during the run"]
    assert path.read_text() == "changed since\n"


def test_file_given_limits_what_is_written(tmp_path: Path) -> None:
    # compose.yaml given alone (a pre-commit run): its Dockerfile is not in the paths given
    write(
        tmp_path,
        {
            "compose.yaml": f"services:\n{DIND}  app:\n    build: ./app\n"
            "    volumes:\n      - dind-run:/var/run\nvolumes:\n  dind-run:\n",
            "app/Dockerfile": "FROM alpine:3.20\nRUN addgroup -S docker && adduser -S app"
            " && usermod -G docker app\nUSER app\n",
        },
    )
    dockerfile = (tmp_path / "app/Dockerfile").read_bytes()
    invoke("check", "--jobs", "1", "--fix", str(tmp_path / "compose.yaml"))
    assert (tmp_path / "app/Dockerfile").read_bytes() == dockerfile


# --------------------------------------------------------------------------------------------
# Reports
# --------------------------------------------------------------------------------------------


def test_json_and_sarif_carry_the_edits(tmp_path: Path) -> None:
    write(tmp_path, {"compose.yaml": BLOCK_CLIENT})
    result = invoke("check", "--jobs", "1", "--format", "json", str(tmp_path))
    [finding] = json.loads(result.stdout)["findings"]
    assert finding["fix"]["safe"] is True
    [edit] = finding["fix"]["edits"]
    assert edit["line"] == 8 and edit["column"] == 1 and edit["endColumn"] == 1  # after `worker:`
    assert edit["content"] == '    group_add:\n      - "2375"\n'
    result = invoke("check", "--jobs", "1", "--format", "sarif", str(tmp_path))
    [sarif_result] = json.loads(result.stdout)["runs"][0]["results"]
    [fix] = sarif_result["fixes"]
    [change] = fix["artifactChanges"]
    [replacement] = change["replacements"]
    assert replacement["deletedRegion"] == {
        "startLine": 8,
        "startColumn": 1,
        "endLine": 8,
        "endColumn": 1,
    }
    assert replacement["insertedContent"]["text"] == edit["content"]


def test_text_marks_fixable_findings(tmp_path: Path) -> None:
    write(tmp_path, {"compose.yaml": BLOCK_CLIENT})
    result = invoke("check", "--jobs", "1", str(tmp_path))
    assert "error DIND301 [*] " in result.output
    assert "  fix: Add `2375` to `group_add`" in result.output
    assert "[*] 1 fixable with `dindlint check --fix`." in result.output


@pytest.mark.parametrize("kind", ["text", "json"])
def test_rules_lists_which_rules_can_fix(kind: str) -> None:
    result = invoke("rules", "--format", kind)
    if kind == "json":
        fixes = {row["id"]: row["fix"] for row in json.loads(result.stdout)}
        assert fixes["DIND304"] == "safe" and fixes["DIND101"] == "unsafe"
        assert fixes["DIND102"] is None
    else:
        lines = {line[:7]: line for line in result.output.splitlines()}
        assert " warning  [*] `usermod -G" in lines["DIND304"]
        assert " warning  [~] A Docker socket" in lines["DIND101"]
        assert " warning      " in lines["DIND102"]


def test_the_fix_hook_is_the_check_hook_with_fix_before_the_separator() -> None:
    from ruamel.yaml import YAML

    from tests.conftest import REPO

    hooks = {
        h["id"]: h for h in YAML(typ="safe").load((REPO / ".pre-commit-hooks.yaml").read_text())
    }
    fix, check = hooks["dindlint-fix"], hooks["dindlint"]
    assert fix["entry"] == "dindlint check --fix --" and check["entry"] == "dindlint check --"
    assert fix["files"] == check["files"] and fix["require_serial"] is True


@pytest.mark.slow
def test_every_fixture_fixed_twice_changes_nothing_the_second_time(tmp_path: Path) -> None:
    """``--fix --unsafe-fixes`` over a copy of every fixture and example: a second ``--diff``
    has nothing to show, and no GitLab CI file gains a compose key."""
    import shutil

    from tests.conftest import REPO

    shutil.copytree(REPO / "tests/fixtures", tmp_path / "fixtures")
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    result = invoke("check", "--jobs", "1", "--fix", "--unsafe-fixes", str(tmp_path))
    assert result.exit_code == 1 and " fixed, " in result.output
    changed = [p for p, data in before.items() if p.read_bytes() != data]
    assert changed
    for path in changed:
        if "gitlab" in path.name:
            added = set(path.read_text().splitlines()) - set(before[path].decode().splitlines())
            assert not any(k in line for line in added for k in ("group_add", "privileged"))
    again = invoke("check", "--jobs", "1", "--diff", "--unsafe-fixes", str(tmp_path))
    assert again.exit_code == 0 and again.stdout == "", again.stdout


def test_sarif_with_fixes_validates_against_the_schema(tmp_path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    from tests.sarif_multitool import sarif_schema

    write(tmp_path, {"compose.yaml": BLOCK_CLIENT})
    ro = "  ro:\n    image: docker:27-cli\n    volumes:\n      - dind-run:/var/run:ro\n"
    (tmp_path / "compose.yaml").write_text(
        BLOCK_CLIENT.replace("    privileged: true\n", "").replace(
            "volumes:\n  dind", ro + "volumes:\n  dind"
        )
    )
    result = invoke("check", "--jobs", "1", "--format", "sarif", str(tmp_path))
    log = json.loads(result.stdout)
    kinds = [r["fixes"][0]["description"]["text"] for r in log["runs"][0]["results"]]
    assert any("(safe)" in k for k in kinds) and any("(unsafe" in k for k in kinds)
    jsonschema.validate(log, sarif_schema())


# --------------------------------------------------------------------------------------------
# A place other services share is never edited; verification sees every rule
# --------------------------------------------------------------------------------------------


def test_dind401_sets_privileged_in_the_service_not_in_the_merged_anchor(tmp_path: Path) -> None:
    before = """\
x-common: &common
  restart: always
  privileged: false
services:
  dind:
    <<: *common
    image: docker:27-dind
  web:
    <<: *common
    image: nginx:1.27
"""
    write(tmp_path, {"compose.yaml": before})
    assert rules(tmp_path) == ["DIND401"]
    after, output = fixed(tmp_path, {"compose.yaml": before})
    # `web` merges the same anchor: it must not become privileged
    assert after["compose.yaml"].decode() == before.replace(
        "  dind:\n", "  dind:\n    privileged: true\n"
    )
    assert "(1 fixed, 0 remaining)" in output
    assert rules(tmp_path) == []


def test_dind401_sets_privileged_in_the_service_not_in_the_anchored_service(
    tmp_path: Path,
) -> None:
    # the daemon's own mapping is anchored and aliased: neither replaced there nor added to it
    before = """\
services:
  dind: &daemon
    image: docker:27-dind
    privileged: false
  dind2:
    <<: *daemon
"""
    after, _ = fixed(tmp_path, {"compose.yaml": before})
    assert after["compose.yaml"].decode() == before.replace(
        "    <<: *daemon\n", "    privileged: true\n    <<: *daemon\n"
    )
    assert rules(tmp_path) == ["DIND401"]  # dind's: its mapping is what dind2 merges


def test_extended_services_are_never_edited_in_the_base_file(tmp_path: Path) -> None:
    base = """\
services:
  daemon:
    image: docker:27-dind
    privileged: false
  client:
    image: alpine:3.20
    user: "1000:1000"
    group_add: ["10"]
"""
    compose = """\
services:
  dind:
    extends:
      file: base.yaml
      service: daemon
    volumes:
      - dind-run:/var/run
  worker:
    extends: {file: base.yaml, service: client}
    volumes:
      - dind-run:/var/run
  other:
    extends: {file: base.yaml, service: client}
volumes:
  dind-run:
"""
    files: dict[str, str | bytes] = {"base.yaml": base, "compose.yaml": compose}
    write(tmp_path, files)
    assert rules(tmp_path) == ["DIND202", "DIND401"]
    after, output = fixed(tmp_path, files)
    assert after["base.yaml"].decode() == base  # `other` extends it too
    assert after["compose.yaml"].decode() == compose.replace(
        "  dind:\n", "  dind:\n    privileged: true\n"
    ).replace("  worker:\n", '  worker:\n    group_add:\n      - "2375"\n')
    assert "(2 fixed, 0 remaining)" in output
    assert rules(tmp_path) == []


def test_group_add_merged_from_an_anchor_is_written_in_the_service(tmp_path: Path) -> None:
    before = f"""\
x-base: &base
  image: alpine:3.20
  user: "1000:1000"
  group_add:
    - "10"
services:
{DIND}  worker:
    <<: *base
    volumes:
      - dind-run:/var/run
  other:
    <<: *base
volumes:
  dind-run:
"""
    write(tmp_path, {"compose.yaml": before})
    assert rules(tmp_path) == ["DIND202"]
    after, _ = fixed(tmp_path, {"compose.yaml": before})
    # a key of the service replaces the one `<<` merges: the merged entry is written again;
    # `other` keeps its groups
    assert after["compose.yaml"].decode() == before.replace(
        "  worker:\n", '  worker:\n    group_add: ["10", "2375"]\n'
    )
    assert rules(tmp_path) == []


def test_an_entry_in_an_anchored_volume_list_is_not_edited(tmp_path: Path) -> None:
    before = """\
x-socket: &socket
  - /var/run/docker.sock:/var/run/docker.sock:ro
services:
  a:
    image: docker:27-cli
    volumes: *socket
  b:
    image: docker:27-cli
    volumes: *socket
"""
    write(tmp_path, {"compose.yaml": before})
    result = invoke("check", "--jobs", "1", "--diff", "--unsafe-fixes", str(tmp_path))
    assert result.stdout == ""
    assert (tmp_path / "compose.yaml").read_text() == before


@pytest.mark.parametrize(
    "options",
    [("--select", "DIND403"), ("--ignore", "DIND406"), ("--config", "{tmp}/.dindlint.yaml")],
)
def test_verification_sees_the_rules_the_run_leaves_out(
    tmp_path: Path, options: tuple[str, str]
) -> None:
    # moving to 2376 would bring DIND406 (the certificate does not name `dind`): dropped,
    # whether or not DIND406 is selected
    write(tmp_path, {"compose.yaml": TLS_CLIENT, ".dindlint.yaml": "ignore: [DIND406]\n"})
    option, value = options
    shown = value.format(tmp=tmp_path)
    result = invoke("check", "--jobs", "1", "--fix", "--debug", option, shown, str(tmp_path))
    assert (tmp_path / "compose.yaml").read_text() == TLS_CLIENT
    assert "dropped: the analysis would report DIND406" in result.output
    assert "(0 fixed, 1 remaining)" in result.output
    # the report is of the run's rules only
    assert "DIND406" not in result.stdout.split("dropped")[-1]


def test_dind201_writes_the_gid_option_the_tool_takes(tmp_path: Path) -> None:
    # Debian's addgroup takes `--gid` (`-g` is not one of its options)
    dockerfile = """\
FROM debian:12
RUN addgroup --system docker && adduser --disabled-password --uid 1001 app && adduser app docker
USER app
"""
    compose = (
        f"services:\n{DIND}  worker:\n    build: ./app\n    volumes:\n      - dind-run:/var/run\n"
        "volumes:\n  dind-run:\n"
    )
    files: dict[str, str | bytes] = {"app/Dockerfile": dockerfile, "compose.yaml": compose}
    write(tmp_path, files)
    assert rules(tmp_path) == ["DIND201"]
    after, output = fixed(tmp_path, files)
    assert after["app/Dockerfile"].decode() == dockerfile.replace(
        "addgroup --system", "addgroup --gid 2375 --system"
    )
    assert "(1 fixed, 0 remaining)" in output
    assert rules(tmp_path) == []


def test_a_symlink_given_as_a_file_is_not_written_through(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # outside any repository, run from the folder that holds both: the link's target is read
    write(tmp_path, {"out/compose.yaml": BLOCK_CLIENT})
    (tmp_path / "given").mkdir()
    os.symlink("../out/compose.yaml", tmp_path / "given" / "compose.yaml")
    monkeypatch.chdir(tmp_path)
    result = invoke("check", "--jobs", "1", "--fix", "--debug", "given/compose.yaml")
    assert (tmp_path / "out/compose.yaml").read_text() == BLOCK_CLIENT
    assert os.path.islink(tmp_path / "given" / "compose.yaml")
    assert "outside the paths given" in result.output
    assert "(0 fixed, 1 remaining)" in result.output


def test_diff_honours_exit_zero(tmp_path: Path) -> None:
    write(tmp_path, {"compose.yaml": BLOCK_CLIENT})
    result = invoke("check", "--jobs", "1", "--diff", "--exit-zero", str(tmp_path))
    assert result.exit_code == 0
    assert '+    group_add:\n+      - "2375"\n' in result.stdout
    assert (tmp_path / "compose.yaml").read_text() == BLOCK_CLIENT


def test_no_fixable_mark_where_fix_would_not_write(tmp_path: Path) -> None:
    # compose.yaml given alone: the finding of the file it includes is reported, but --fix
    # would not edit that file, which is outside the paths given
    (tmp_path / ".git").mkdir()
    write(
        tmp_path,
        {
            "compose.yaml": "include:\n  - sub/compose.yaml\n",
            "sub/compose.yaml": BLOCK_CLIENT,
        },
    )
    given = invoke("check", "--jobs", "1", str(tmp_path / "compose.yaml"))
    assert "DIND301" in given.output
    assert "[*]" not in given.output and "fixable with" not in given.output
    folder = invoke("check", "--jobs", "1", str(tmp_path))
    assert "DIND301 [*]" in folder.output and "[*] 1 fixable" in folder.output


APP_IN_DOCKER = """\
FROM python:3.12-alpine
RUN addgroup -g 2375 -S docker && adduser -D -u 1001 app && addgroup app docker
USER app
"""


@pytest.mark.parametrize(("rule", "user"), [("DIND302", '"app:app"'), ("DIND303", '"1500"')])
def test_dind302_and_dind303_add_the_socket_gid(tmp_path: Path, rule: str, user: str) -> None:
    compose = f"""\
services:
{DIND}  worker:
    build: ./app
    user: {user}  # the runner's
    volumes:
      - dind-run:/var/run
volumes:
  dind-run:
"""
    files: dict[str, str | bytes] = {"app/Dockerfile": APP_IN_DOCKER, "compose.yaml": compose}
    write(tmp_path, files)
    assert rules(tmp_path) == [rule]
    after, output = fixed(tmp_path, files)
    assert after["compose.yaml"].decode() == compose.replace(
        "  worker:\n", '  worker:\n    group_add:\n      - "2375"\n'
    )
    assert after["app/Dockerfile"].decode() == APP_IN_DOCKER
    assert "(1 fixed, 0 remaining)" in output
    assert rules(tmp_path) == []


def test_dind401_turns_privileged_false_into_true_in_the_override_file(tmp_path: Path) -> None:
    # the override file's `dind` is the same service (compose merges it), not a shared base
    compose = "services:\n  dind:\n    image: docker:27-dind\n"
    override = "services:\n  dind:\n    privileged: false\n"
    files: dict[str, str | bytes] = {"compose.yaml": compose, "compose.override.yaml": override}
    after, output = fixed(tmp_path, files)
    assert after["compose.yaml"].decode() == compose
    assert after["compose.override.yaml"].decode() == override.replace("false", "true")
    assert "(1 fixed, 0 remaining)" in output


def test_an_unsafe_fix_never_edits_an_extended_service(tmp_path: Path) -> None:
    # removing `:ro` in base.yaml would change every service that extends `cli`
    base = """\
services:
  cli:
    image: docker:27-cli
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock:ro
"""
    compose = """\
services:
  a:
    extends: {file: base.yaml, service: cli}
  b:
    extends: {file: base.yaml, service: cli}
"""
    files: dict[str, str | bytes] = {"base.yaml": base, "compose.yaml": compose}
    write(tmp_path, files)
    plain = invoke("check", "--jobs", "1", str(tmp_path))
    assert "DIND101" in plain.output and "fixable with" not in plain.output
    after, output = fixed(tmp_path, files, "--unsafe-fixes", "--debug")
    assert after == {name: text.encode() for name, text in files.items()}  # type: ignore[union-attr]
    assert "dropped: it would edit a value other services may share" in output
