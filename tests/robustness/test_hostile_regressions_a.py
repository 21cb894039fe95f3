"""Hostile inputs of issue 18 (regexes, expansion caps, numbers, configuration and baseline
loading): each one failed before its fix, by taking minutes or gigabytes, or by a crash.

A blow-up is caught in a fresh process with a wall-time bound about ten times what the fixed
code takes on a 2-core machine (process start included, see each ``MEASURED``), so the old code
fails by its timeout, not by hanging the suite. Everything else checks that the result is right:
the capped value is reported, the number that is not one is treated as a name.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from dindlint.cli import main
from dindlint.images import detect_alignment
from dindlint.model import MAX_ID, parse_id
from dindlint.suppress import parse_suppressions

REPO = Path(__file__).resolve().parents[2]
SOCKET_CLIENT = ("services:\n  s:\n    image: docker:cli\n"
                 "    volumes: [/var/run/docker.sock:/var/run/docker.sock]\n")


def finishes_within(seconds: float, code: str) -> None:
    """Run ``code`` in a fresh interpreter; fail if it takes longer than ``seconds``."""
    try:
        proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=REPO,
                              capture_output=True, text=True, timeout=seconds, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running after {seconds} s")
    assert proc.returncode == 0, proc.stderr


def check(*args: str | Path) -> tuple[int, str]:
    """``dindlint check --no-config``; a report with exit 0 or 1, never an internal error."""
    result = CliRunner().invoke(main, ["check", "--no-config", "--color", "never",
                                       *map(str, args)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, result.output


# -- suppression directives ------------------------------------------------------------------


def test_directive_followed_by_blanks_and_a_stray_character_is_linear() -> None:
    # before: cubic, 135-158 s for 300 blanks; MEASURED after: 0.3 s (100,000 blanks, 3 lines)
    finishes_within(5, """
        from pathlib import Path
        from dindlint.suppress import parse_suppressions
        line = "# dindlint: disable=" + " " * 100_000 + "!"
        assert not parse_suppressions(Path("compose.yaml"), [line] * 3).entries
    """)


def test_directive_with_long_blank_runs_keeps_its_ids_and_reason() -> None:
    blanks = " " * 40  # the old regex takes seconds for this line; the new, microseconds
    line = f"x: 1  # dindlint: disable={blanks}DIND101,{blanks}DIND102{blanks}--{blanks}why{blanks}"
    entries = parse_suppressions(Path("compose.yaml"), [line]).entries
    assert [(e.rule_id, e.reason, e.first) for e in entries] == [
        ("DIND101", "why", 1), ("DIND102", "why", 1)]


# -- runtime GID alignment in entrypoints -----------------------------------------------------


def test_many_ls_pipes_on_one_line_are_linear() -> None:
    # before: cubic, 25-27 s for 800; MEASURED after: 0.3 s for 20,000
    finishes_within(5, """
        from dindlint.images import detect_alignment
        assert not detect_alignment("ENTRYPOINT " + "ls -n |awk " * 20_000)
        assert not detect_alignment("ls -n |cut " * 20_000)
    """)


@pytest.mark.parametrize("read, found", [
    # the pipe may continue on the next line (a blank run after `|` crosses it) ...
    ("G=$(ls -ln /var/run/docker.sock |\n  awk '{print $4}')", True),
    ("G=$(ls -ln /var/run/docker.sock | awk 'x' |\n  awk '{print $4}')", True),
    # ... but `ls` and the pipe, and the awk and its field, are on one line
    ("G=$(ls -ln /var/run/docker.sock\n| awk '{print $4}')", False),
    ("G=$(ls -ln /var/run/docker.sock | awk\n'{print $4}')", False),
    ("ls -l x | awk '{print $4}'\nls -n y | awk '{print $1}'", False),
    ("ls -l x | awk '{print $4}'\nls -n y | cut -d' ' -f3", True),
])
def test_ls_reads_across_lines_as_before(read: str, found: bool) -> None:
    assert detect_alignment(read + "\ngroupmod -o -g \"$G\" docker\nexec gosu app \"$@\"\n") is found


# -- numbers ----------------------------------------------------------------------------------


@pytest.mark.parametrize("text, value", [
    ("0", 0), ("999", 999), ("0999", 999), (str(MAX_ID), MAX_ID), (str(MAX_ID + 1), None),
    ("\u00b2", None), ("\u0663", None), ("\uff11", None), ("9" * 5000, None), ("", None),
    (" 1", None), ("+1", None), ("-1", None), ("1_000", None), ("1.0", None),
])
def test_parse_id_takes_ascii_decimal_ids_only(text: str, value: int | None) -> None:
    assert parse_id(text) == value


@pytest.mark.parametrize("service_lines", [
    '    user: "\u00b2"\n',
    '    user: "' + "9" * 5000 + '"\n',
    '    user: "1000:\u00b2"\n',
    '    group_add: ["\u00b2", "' + "9" * 5000 + '"]\n',
    '    ports: ["\u00b2:\u00b2", "' + "9" * 5000 + '"]\n',
    '    environment: {DOCKER_HOST: "tcp://host:\u00b2"}\n',
])
def test_unicode_digits_and_huge_numbers_are_not_numbers(tmp_path: Path,
                                                          service_lines: str) -> None:
    (tmp_path / "compose.yaml").write_text(SOCKET_CLIENT + service_lines, encoding="utf-8")
    check(tmp_path)


def test_superscript_user_is_a_name_that_does_not_exist(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\nUSER \u00b2\n", encoding="utf-8")
    _, output = check(tmp_path)
    assert "DIND306 user `\u00b2` does not exist" in output  # a name, as dockerd reads it


def test_daemon_group_and_image_tag_with_odd_digits(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n"
        "  d:\n    image: docker:dind\n    privileged: true\n"
        "    command: [dockerd, --group, \"\u00b2\"]\n    volumes: [s:/var/run]\n"
        "  c:\n    image: docker:" + "9" * 5000 + "\n    volumes: [s:/var/run]\n"
        "volumes: {s: {}}\n", encoding="utf-8")
    check(tmp_path)


def test_dockerfile_ids_with_odd_digits(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(
        "FROM alpine:3.20\n"
        "RUN addgroup -g \u00b2 g && adduser -D -u " + "9" * 5000 + " u && \\\n"
        "    echo 'x:x:\u0663:\u0663::/:/bin/sh' >> /etc/passwd\n"
        "COPY --chown=\u00b2:\u00b2 a /a\nUSER \u00b2\n", encoding="utf-8")
    check(tmp_path)
