"""split_shell: the shlex-based command splitter."""

from __future__ import annotations

from pathlib import Path

import pytest

from dindlint.dockerfile import split_shell
from dindlint.model import ShellCommand

PATH = Path("Dockerfile")


def split(text: str, **variables: str | None) -> tuple[ShellCommand, ...]:
    return split_shell(text, 10, PATH, variables=variables)


def simple(text: str, **variables: str | None) -> list[tuple[tuple[str, ...], int, bool]]:
    return [(c.argv, c.span.line, c.conditional) for c in split(text, **variables)]


def test_operators_split_commands() -> None:
    assert [c.argv for c in split("a 1 && b 2 || c; d | e & f")] == [
        ("a", "1"), ("b", "2"), ("c",), ("d",), ("e",), ("f",)
    ]  # fmt: skip


def test_operators_without_spaces() -> None:
    assert [c.argv for c in split("a&&b||c;d|e")] == [("a",), ("b",), ("c",), ("d",), ("e",)]


def test_only_the_pipeline_after_or_is_conditional() -> None:
    assert [(c.argv[0], c.conditional) for c in split("a || b | c && d; e")] == [
        ("a", False), ("b", True), ("c", True), ("d", False), ("e", False)
    ]  # fmt: skip


def test_newlines_and_continuations_keep_physical_lines() -> None:
    text = "a \\\n  --flag &&\n  b\nc"
    assert simple(text) == [(("a", "--flag"), 10, False), (("b",), 12, False), (("c",), 13, False)]


def test_newline_after_or_keeps_condition() -> None:
    assert simple("a ||\n  b\nc") == [(("a",), 10, False), (("b",), 11, True), (("c",), 12, False)]


def test_columns() -> None:
    commands = split("apk add x && addgroup docker")
    assert [c.span.col for c in commands] == [1, 14]


def test_if_then_else_fi() -> None:
    text = (
        "if getent group docker; then\n  groupmod -g 1 docker\nelif true; then x\nelse\n  y\nfi\nz"
    )
    assert simple(text) == [
        (("getent", "group", "docker"), 10, True),
        (("groupmod", "-g", "1", "docker"), 11, True),
        (("true",), 12, True),
        (("x",), 12, True),
        (("y",), 14, True),
        (("z",), 16, False),
    ]


def test_loops_case_and_groups() -> None:
    text = (
        "for g in a b; do addgroup $g; done\n"
        "while read l; do echo $l; done < f\n"
        'case "$ID" in\n  alpine) apk add x ;;\n  (debian|ubuntu) apt-get install x ;;\nesac\n'
        "{ a; b; } || { c; }\n"
        "( cd /x && make )\n"
        "last"
    )
    result = [(c.argv[0], c.conditional) for c in split(text)]
    assert result == [
        ("addgroup", True),
        ("read", True),
        ("echo", True),
        ("apk", True),
        ("apt-get", True),
        ("a", False),
        ("b", False),
        ("c", True),
        ("cd", False),
        ("make", False),
        ("last", False),
    ]


def test_keywords_as_arguments_are_words() -> None:
    assert [c.argv for c in split("echo if then fi done")] == [("echo", "if", "then", "fi", "done")]
    assert [c.argv for c in split("'if' x")] == [("if", "x")]


def test_function_bodies_are_conditional() -> None:
    assert [(c.argv[0], c.conditional) for c in split("f() { rm x; }; function g { y; }; f")] == [
        ("rm", True), ("y", True), ("f", False)
    ]  # fmt: skip


def test_command_substitution_is_split_and_conditional() -> None:
    commands = split('addgroup -g "$(stat -c %g /var/run/docker.sock)" docker')
    assert [(c.argv, c.conditional) for c in commands] == [
        (("stat", "-c", "%g", "/var/run/docker.sock"), True),
        (("addgroup", "-g", "$(stat -c %g /var/run/docker.sock)", "docker"), False),
    ]
    assert [c.argv for c in split("echo `id -u`")] == [("id", "-u"), ("echo", "`id -u`")]


def test_parameter_expansions_survive_tokenising() -> None:
    assert [c.argv for c in split("echo ${X#*/} ${Y:-a b} $((1 + 2))")] == [
        ("echo", "${X#*/}", "${Y:-a b}", "$((1 + 2))")
    ]


def test_env_assignments_and_redirections_are_stripped() -> None:
    assert [c.argv for c in split("A=1 B='x y' cmd arg >/dev/null 2>&1 </in")] == [("cmd", "arg")]
    assert [c.argv for c in split("echo 2 > f")] == [("echo", "2")]  # 2 is an argument here
    assert [c.argv for c in split("FOO=bar")] == []


def test_comments_are_dropped() -> None:
    assert [c.argv for c in split("a # b && c\n# whole line\nd x#y")] == [("a",), ("d", "x#y")]


def test_shell_heredoc_body_is_not_commands() -> None:
    text = "cat > /etc/group <<EOF\ndocker:x:2375:\nEOF\nnext"
    assert simple(text) == [(("cat",), 10, False), (("next",), 13, False)]


@pytest.mark.parametrize(
    "text",
    [
        "sh -c 'addgroup docker && adduser app'",
        'bash -c "addgroup docker && adduser app"',
        "/bin/sh -ec 'addgroup docker; adduser app'",
        "bash -euo pipefail -c 'addgroup docker || adduser app'",
    ],
)
def test_sh_c_is_split_recursively(text: str) -> None:
    commands = split(text)
    assert [c.argv[0] for c in commands] == ["addgroup", "adduser"]
    assert all(c.span.line == 10 for c in commands)


def test_sh_c_inherits_condition() -> None:
    commands = split("true || sh -c 'addgroup docker'")
    assert [(c.argv, c.conditional) for c in commands] == [
        (("true",), False),
        (("addgroup", "docker"), True),
    ]


def test_sh_without_c_is_a_command() -> None:
    assert [c.argv for c in split("sh ./install.sh")] == [("sh", "./install.sh")]


def test_substitution_of_known_variables() -> None:
    commands = split("addgroup -g ${DOCKER_GID} docker && addgroup -g $NONE x", DOCKER_GID="2375")
    assert [c.argv for c in commands] == [
        ("addgroup", "-g", "2375", "docker"),
        ("addgroup", "-g", "$NONE", "x"),
    ]
    assert split("addgroup -g ${G} d", G=None)[0].argv == ("addgroup", "-g", "${G}", "d")
    # single quotes: the shell does not expand
    assert split("echo '$G'", G="1")[0].argv == ("echo", "$G")


@pytest.mark.parametrize(
    "text",
    ['echo "unbalanced', "echo 'x\nnext", "trailing \\", "(((", "fi done esac }", "case x in", ")"],
)
def test_malformed_shell_does_not_raise(text: str) -> None:
    split(text)


def test_unbalanced_quote_falls_back_per_line() -> None:
    commands = split('addgroup docker\necho "oops && adduser app')
    assert commands[0].argv == ("addgroup", "docker")
    assert ("adduser", "app") in [c.argv for c in commands]
    assert commands[-1].span.line == 11


@pytest.mark.parametrize("text", ["", "a", "ab\ncd", "\n\n", "x\n", "é€\n\tz\n"])
def test_source_positions_count_lines_and_columns(text: str) -> None:
    # positions are packed into one integer each (a tuple per character of a 3 MB RUN held
    # 200 MB); they read back as the (line, column) the naive count gives
    from dindlint.dockerfile.shell import Source

    expected, line, col = [], 7, 3
    for ch in text:
        expected.append((line, col))
        line, col = (line + 1, 1) if ch == "\n" else (line, col + 1)
    source = Source.from_text(text, 7, 3)
    assert [source.at(i) for i in range(len(text))] == expected
    assert source.slice(1, 3).text == text[1:3]
    assert [source.slice(1, 3).at(i) for i in range(len(text[1:3]))] == expected[1:3]
    assert source.at(len(text) + 5) == (expected[-1] if expected else (1, 1))


def test_positions_in_a_continued_run_and_a_heredoc(tmp_path: Path) -> None:
    from dindlint.dockerfile import load_dockerfile

    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(
        "FROM alpine\nRUN apk add x \\\n    # a comment\n  && adduser -D u \\\n"
        "  && addgroup g\nRUN <<EOF\n  echo 1\n    addgroup -g 5 h\nEOF\n",
        encoding="utf-8",
    )
    stage = load_dockerfile(dockerfile).stages[0]
    spans = [
        (c.argv[0], c.span.line, c.span.col)
        for instruction in stage.instructions
        for c in instruction.commands
    ]
    assert spans == [("apk", 2, 5), ("adduser", 4, 6), ("addgroup", 5, 6), ("echo", 7, 3),
                     ("addgroup", 8, 5)]  # fmt: skip
