"""Hostile inputs (issue 7, parts 1 and 5), through the command line: each ends in findings or
a DIND001/DIND002 diagnostic with exit code 0 or 1, never a traceback or an internal error."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from dindlint.cli import main

COMPOSE_OK = "services:\n  s:\n    image: docker:cli\n"


def check(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["check", "--no-config", "--color", "never", *map(str, args)])
    output = result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), output
    assert "Traceback" not in output and "internal error" not in output, output
    assert result.exit_code in (0, 1), output
    return result.exit_code, output


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


@pytest.mark.parametrize(
    "name, data, expect",
    [
        ("tabs", "services:\n\ts:\n\t\timage: x\n", "DIND001"),
        ("duplicate-keys", "services:\n  s:\n    image: x\n    image: y\n", "DIND001"),
        ("unclosed-quote", "services:\n  s:\n    image: 'x\n", "DIND001"),
        ("unclosed-flow", "services: {s: [\n", "DIND001"),
        ("multiple-documents", COMPOSE_OK + "---\nservices:\n  s:\n    user: '1'\n---\n", ""),
        ("list", "- a\n- b\n", "DIND002"),
        ("scalar", "just text\n", "DIND002"),
        ("services-list", "services: [a, b]\n", "DIND002"),
        ("empty", "", ""),
        ("only-comments", "# nothing\n", ""),
        ("bom", "\ufeff" + COMPOSE_OK, ""),
        ("crlf", COMPOSE_OK.replace("\n", "\r\n"), ""),
        ("utf16", COMPOSE_OK.encode("utf-16"), "DIND001"),
        ("latin1", "services:\n  s:\n    image: caf\xe9\n".encode("latin-1"), "DIND001"),
        ("binary", bytes(range(256)) * 4, "DIND001"),
        ("python-tag", "services:\n  s: !!python/object/apply:os.system ['touch /tmp/x']\n", ""),
        ("recursive-alias", "services: &a\n  s: *a\n", ""),
        ("bad-interpolation", "services:\n  s:\n    image: ${X\n", "DIND002"),
    ],
)
def test_invalid_compose_files(tmp_path: Path, name: str, data: bytes | str, expect: str) -> None:
    write(tmp_path / "compose.yaml", data)
    _, output = check(tmp_path)
    assert expect in output


@pytest.mark.parametrize(
    "name, text",
    [
        ("heredoc", "# syntax=docker/dockerfile:1\nFROM alpine\nRUN <<EOF\naddgroup -g 1 a\nEOF\n"),
        ("unterminated-heredoc", "FROM alpine\nRUN <<EOF\naddgroup -g 1 a\n"),
        ("directives", "# syntax=docker/dockerfile:1\n# check=skip=all\nFROM alpine\nUSER 1\n"),
        ("escape-backtick", "# escape=`\nFROM alpine\nRUN addgroup -g 5 d `\n  && adduser -D u\n"),
        ("json-run", 'FROM alpine\nRUN ["sh", "-c", "addgroup -g 5 d"]\nRUN ["broken\n'),
        ("no-from", "RUN echo hi\n"),
        ("crlf", "FROM alpine\r\nUSER 1000\r\n"),
        ("bom", "\ufeffFROM alpine\nUSER 1000\n"),
        ("empty", ""),
    ],
)
def test_dockerfiles(tmp_path: Path, name: str, text: str) -> None:
    write(tmp_path / "Dockerfile", text)
    check(tmp_path)


def test_binary_and_utf16_dockerfiles(tmp_path: Path) -> None:
    write(tmp_path / "a" / "Dockerfile", b"\x7fELF\x00\x00\x01")
    write(tmp_path / "b" / "Dockerfile", "FROM alpine\n".encode("utf-16"))
    _, output = check(tmp_path)
    assert output.count("DIND001") >= 2


def test_directory_named_dockerfile_and_compose(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").mkdir()
    (tmp_path / "compose.yaml").mkdir()
    check(tmp_path)
    check(tmp_path / "Dockerfile")


@pytest.mark.skipif(
    os.name != "posix" or (hasattr(os, "geteuid") and os.geteuid() == 0),
    reason="root reads files whatever their mode",
)
def test_unreadable_files(tmp_path: Path) -> None:
    for name in ("compose.yaml", "Dockerfile", ".env"):
        write(tmp_path / name, COMPOSE_OK if name == "compose.yaml" else "FROM x\n").chmod(0)
    try:
        _, output = check(tmp_path)
        assert "DIND001" in output
    finally:
        for name in ("compose.yaml", "Dockerfile", ".env"):
            (tmp_path / name).chmod(0o600)


def test_unreadable_files_as_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Permission denied, simulated (root ignores modes): a DIND001, not a crash."""
    from dindlint import source

    real = source.os.open

    def deny(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        if Path(path).name in ("compose.yaml", "Dockerfile", ".env"):
            raise PermissionError(13, "Permission denied")
        return real(path, *args, **kwargs)

    write(tmp_path / "compose.yaml", COMPOSE_OK + "    build: .\n")
    write(tmp_path / "Dockerfile", "FROM x\n")
    write(tmp_path / ".env", "A=1\n")
    monkeypatch.setattr(source.os, "open", deny)
    _, output = check(tmp_path)
    assert "Permission denied" in output and "DIND001" in output


def test_broken_and_looping_symlinks(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").symlink_to(tmp_path / "missing.yaml")
    (tmp_path / "Dockerfile").symlink_to(tmp_path / "Dockerfile")
    (tmp_path / "loop").symlink_to(tmp_path, target_is_directory=True)
    sub = tmp_path / "sub"
    write(
        sub / "compose.yaml",
        "include: [../sub/compose.yaml]\nservices:\n  s:\n"
        "    extends: {file: ./link.yaml, service: s}\n",
    )
    (sub / "link.yaml").symlink_to(sub / "link.yaml")
    check(tmp_path)
    check(tmp_path / "compose.yaml", tmp_path / "Dockerfile")


def test_fifo_is_not_read(tmp_path: Path) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    os.mkfifo(tmp_path / "compose.yaml")
    write(
        tmp_path / "sub" / "compose.yaml",
        "services:\n  s:\n    image: x\n    env_file: .env\n"
        "    extends: {file: ../compose.yaml, service: s}\n",
    )
    os.mkfifo(tmp_path / "sub" / ".env")
    check(tmp_path)  # would block forever on a read


def test_paths_with_spaces_and_non_ascii_names(tmp_path: Path) -> None:
    folder = tmp_path / "my stack \u00e9\u4e2d"
    write(
        folder / "compose.yaml",
        "services:\n  runner:\n    build: ./ctx dir\n    user: app\n"
        "    volumes: ['./s p\u00e4ce:/var/run']\n",
    )
    write(folder / "ctx dir" / "Dockerfile", "FROM alpine\nRUN adduser -D app\nUSER app\n")
    code, _ = check(folder)
    assert code in (0, 1)


def test_file_over_the_size_limit_is_not_read(tmp_path: Path) -> None:
    from dindlint.source import MAX_FILE_BYTES

    with (tmp_path / "compose.yaml").open("wb") as handle:
        handle.write(COMPOSE_OK.encode())
        handle.seek(MAX_FILE_BYTES + 10)  # sparse: nothing is really written
        handle.write(b"\n")
    with (tmp_path / "Dockerfile").open("wb") as handle:
        handle.seek(MAX_FILE_BYTES + 10)
        handle.write(b"\n")
    _, output = check(tmp_path)
    assert output.count("file too large") == 2 and "DIND001" in output


def test_control_characters_are_neutralised_in_text_output(tmp_path: Path) -> None:
    write(
        tmp_path / "compose.yaml",
        'services:\n  "evil\\e[2J\\a":\n    image: "docker:cli\\e]0;pwned\\a"\n'
        '    user: "\\e[31m1000\\r"\n    volumes: ["/var/run/docker.sock:/var/run/docker.sock"]\n'
        '    group_add: ["\\e[8m"]\n',
    )
    _, output = check(tmp_path)
    assert "\x1b" not in output and "\x07" not in output and "\r" not in output


def test_include_and_extends_cycles(tmp_path: Path) -> None:
    write(
        tmp_path / "compose.yaml",
        "include: [b/compose.yaml]\nservices:\n  a:\n    extends: {file: x.yaml, service: x}\n",
    )
    write(
        tmp_path / "b" / "compose.yaml", "include: [../compose.yaml]\nservices: {b: {image: x}}\n"
    )
    write(
        tmp_path / "x.yaml",
        "services:\n  x: {extends: {file: compose.yaml, service: a}}\n  y: {extends: y}\n",
    )
    _, output = check(tmp_path)
    assert "cycle" in output


def test_a_crash_in_a_check_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dindlint import engine

    def boom(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    write(tmp_path / "compose.yaml", COMPOSE_OK)
    monkeypatch.setattr(engine, "build_topology", boom)
    result = CliRunner().invoke(main, ["check", "--no-config", str(tmp_path)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert sys.exc_info() == (None, None, None)
