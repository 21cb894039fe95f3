"""load_dockerfile on real files in fixtures/ (no mocks)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dindlint.dockerfile import load_dockerfile
from dindlint.model import Dockerfile, Instruction, ShellCommand, Stage

FIXTURES = Path(__file__).parent / "fixtures"


def load(name: str, **build_args: str) -> Dockerfile:
    return load_dockerfile(FIXTURES / name, build_args=build_args or None)


def argvs(instruction: Instruction) -> list[tuple[str, ...]]:
    return [c.argv for c in instruction.commands]


def lines_of(instruction: Instruction) -> list[int]:
    return [c.span.line for c in instruction.commands]


def runs(stage: Stage) -> list[Instruction]:
    return [i for i in stage.instructions if i.keyword == "RUN"]


def find(stage: Stage, argv0: str) -> ShellCommand:
    return next(c for i in stage.instructions for c in i.commands if c.argv[0] == argv0)


# -- stages and ARGs ----------------------------------------------------------------------------


def test_multistage_names_platform_and_global_args() -> None:
    df = load("multistage.Dockerfile")
    assert df.problems == ()
    assert df.global_args == {"BASE_IMAGE": "docker", "DOCKER_VERSION": "25.0.5"}
    assert [(s.index, s.name) for s in df.stages] == [(0, "builder"), (1, "daemon"), (2, "final")]
    builder, daemon, final = df.stages
    assert builder.base.value == "golang:1.22-alpine"
    assert builder.base.span.line == 4 and builder.span.line == 4
    assert daemon.base.value == "docker:25.0.5-dind"  # ``as`` in lower case is accepted
    assert daemon.base.known
    assert final.base.value == "builder"
    assert df.stage("DAEMON") is daemon
    assert df.stage(None) is final
    # ``ARG DOCKER_VERSION`` inside the stage takes the global value
    assert argvs(runs(daemon)[0]) == [("echo", "25.0.5")]


def test_build_args_override_global_defaults() -> None:
    df = load("multistage.Dockerfile", BASE_IMAGE="registry/docker", DOCKER_VERSION="27.1")
    assert df.stages[1].base.value == "registry/docker:27.1-dind"
    assert argvs(runs(df.stages[1])[0]) == [("echo", "27.1")]
    assert df.global_args["DOCKER_VERSION"] == "25.0.5"  # the defaults as written


def test_copy_flags() -> None:
    final = load("multistage.Dockerfile").stages[2]
    copy = final.instructions[0]
    assert copy.keyword == "COPY"
    assert copy.flags == {"from": "builder", "chown": "app:app"}
    assert copy.value.startswith("--from=builder --chown=app:app")


def test_arg_and_env_substitution() -> None:
    df = load("args.Dockerfile")
    assert df.problems == ()
    assert df.global_args == {"VERSION": "3.19", "UNSET": None}
    stage = df.stages[0]
    assert stage.base.value == "alpine:3.19"
    first, second = runs(stage)
    assert argvs(first) == [
        ("addgroup", "-g", "2375", "docker"),
        ("addgroup", "-g", "${NOVALUE}", "other"),  # no default, no build arg: left as written
        ("echo", "3.19", "app"),
    ]
    assert argvs(second) == [
        ("adduser", "-D", "-h", "/home/app", "app"),
        ("echo", "${UNSET:-fallback}", "set"),  # unknown stays unknown, even with a default
    ]
    user = next(i for i in stage.instructions if i.keyword == "USER")
    assert user.value == "app"
    workdir = next(i for i in stage.instructions if i.keyword == "WORKDIR")
    assert workdir.value == "/home/app"


def test_build_arg_overrides_stage_arg() -> None:
    stage = load("args.Dockerfile", DOCKER_GID="999", NOVALUE="5").stages[0]
    assert argvs(runs(stage)[0])[:2] == [
        ("addgroup", "-g", "999", "docker"),
        ("addgroup", "-g", "5", "other"),
    ]


def test_unresolved_base_image() -> None:
    df = load("before_from.Dockerfile")
    assert df.stages[0].base.value == "alpine"
    assert df.stages[0].base.known


# -- physical lines -----------------------------------------------------------------------------


def test_continued_run_with_comment_and_blank_line() -> None:
    df = load("continued_run.Dockerfile")
    assert df.problems == ()
    run = runs(df.stages[0])[0]
    assert (run.span.line, run.span.end_line) == (2, 6)
    assert argvs(run) == [
        ("apk", "add", "--no-cache", "shadow"),
        ("addgroup", "-g", "2375", "docker"),
        ("adduser", "-D", "-G", "docker", "app"),
    ]
    assert lines_of(run) == [2, 4, 6]
    assert run.commands[1].span.col == 8
    assert "#" not in run.value
    assert [i.keyword for i in df.stages[0].instructions] == ["RUN", "USER"]


def test_shell_operators_conditionals_and_sh_c() -> None:
    df = load("shell.Dockerfile")
    first, if_run, sh_c, env_prefix, unbalanced = runs(df.stages[0])
    assert [(c.argv[0], c.conditional) for c in first.commands] == [
        ("getent", False),
        ("groupadd", True),  # after ||
        ("usermod", False),
        ("tee", False),
        ("echo", False),
    ]
    assert [(c.argv[0], c.span.line, c.conditional) for c in if_run.commands] == [
        ("getent", 3, True),
        ("groupadd", 4, True),
        ("groupmod", 6, True),
        ("useradd", 8, False),
    ]
    assert argvs(sh_c) == [("addgroup", "-S", "docker"), ("adduser", "-S", "app", "-G", "docker")]
    assert lines_of(sh_c) == [9, 9]
    assert argvs(env_prefix) == [("apt-get", "install", "-y", "sudo")]
    # unbalanced quote: whitespace fallback, no exception
    assert ("groupadd", "x") in argvs(unbalanced)


def test_exec_form() -> None:
    stage = load("exec_form.Dockerfile").stages[0]
    by_keyword = [(i.keyword, i.exec_form) for i in stage.instructions]
    assert by_keyword == [
        ("RUN", ("addgroup", "-g", "2375", "docker")),
        ("RUN", ("/bin/sh", "-c", "adduser -D app && adduser app docker")),
        ("CMD", ("dockerd", "--group", "docker")),
        ("ENTRYPOINT", ("/entrypoint.sh",)),
        ("CMD", None),  # invalid JSON is shell form, as in docker
        ("SHELL", ("/bin/bash", "-o", "pipefail", "-c")),
    ]
    run1, run2 = runs(stage)
    assert argvs(run1) == [("addgroup", "-g", "2375", "docker")]
    assert argvs(run2) == [("adduser", "-D", "app"), ("adduser", "app", "docker")]
    assert stage.instructions[2].commands == ()  # commands are for RUN only


def test_escape_directive_backtick() -> None:
    df = load("escape.Dockerfile")
    assert df.problems == ()
    stage = df.stages[0]
    run = runs(stage)[0]
    assert (run.span.line, run.span.end_line) == (3, 5)
    assert argvs(run) == [("mkdir", "C:\\app"), ("echo", "done")]
    assert lines_of(run) == [3, 5]
    workdir = stage.instructions[-1]
    assert (workdir.keyword, workdir.value) == ("WORKDIR", "C:\\app")


# -- heredocs -----------------------------------------------------------------------------------


def test_heredocs_replace_bogus_instructions() -> None:
    df = load("heredoc.Dockerfile")
    assert df.problems == ()
    stage = df.stages[0]
    keywords = [i.keyword for i in stage.instructions]
    assert keywords == ["RUN", "RUN", "RUN", "RUN", "COPY", "RUN", "RUN", "RUN", "USER"]
    assert len(df.stages) == 1  # ``FROM scratch`` inside a body is not a stage
    plain, dash, quoted, dquoted, copy, double, python, cat = stage.instructions[:8]
    assert argvs(plain) == [
        ("set", "-e"),
        ("addgroup", "-g", "2375", "docker"),
        ("adduser", "-D", "-G", "docker", "app"),
    ]
    assert lines_of(plain) == [3, 4, 5]
    assert (plain.span.line, plain.span.end_line) == (2, 6)
    # ``<<-``: tabs stripped, terminator indented, body inside ``if`` is conditional
    assert [(c.argv, c.span.line, c.conditional) for c in dash.commands] == [
        (("getent", "group", "docker"), 8, True),
        (("delgroup", "docker"), 9, True),
    ]
    assert (dash.span.line, dash.span.end_line) == (7, 11)
    assert argvs(quoted) == [("USER", "root"), ("echo", "$HOME")]
    assert argvs(dquoted) == [("FROM", "scratch")]  # ``<<"QUOTED" sh``: script for sh
    assert copy.flags == {"chown": "app:app"} and copy.commands == ()
    assert (copy.span.line, copy.span.end_line) == (19, 21)
    assert argvs(double) == [("echo", "first"), ("echo", "second")]
    assert lines_of(double) == [23, 25]
    # a heredoc fed to another program is input, not commands
    assert argvs(python) == [("python3",)]
    assert argvs(cat) == [("cat",)]
    user = stage.instructions[-1]
    assert (user.value, user.span.line) == ("app", 33)


def test_unterminated_heredoc_is_a_problem() -> None:
    df = load("unterminated.Dockerfile")
    assert [(p.rule_id, p.span.line) for p in df.problems] == [("DIND001", 2)]
    assert argvs(runs(df.stages[0])[0]) == [("echo", "never", "ends")]


# -- file-level problems and encodings ----------------------------------------------------------


def test_crlf_line_endings() -> None:
    df = load("crlf.Dockerfile")
    assert df.problems == ()
    assert df.lines[0] == "FROM alpine:3.19"
    run = runs(df.stages[0])[0]
    assert argvs(run) == [("addgroup", "-g", "2375", "docker"), ("adduser", "-D", "app")]
    assert lines_of(run) == [2, 3]
    assert df.stages[0].instructions[-1].value == "app"


def test_utf8_bom() -> None:
    df = load("bom.Dockerfile")
    assert df.problems == ()
    assert df.lines == ("FROM alpine:3.19", "USER app")
    assert df.stages[0].base.value == "alpine:3.19"


@pytest.mark.parametrize("name", ["empty.Dockerfile", "comments_only.Dockerfile"])
def test_empty_file(name: str) -> None:
    df = load(name)
    assert df.stages == () and df.problems == ()


@pytest.mark.parametrize(
    ("name", "line", "fragment"),
    [
        ("directory.Dockerfile", 1, "directory"),
        ("latin1.Dockerfile", 2, "UTF-8"),
        ("binary.Dockerfile", 1, "binary"),
        ("does-not-exist.Dockerfile", 1, "Cannot read"),
    ],
)
def test_unreadable_files_are_problems(name: str, line: int, fragment: str) -> None:
    df = load(name)
    assert df.stages == ()
    assert len(df.problems) == 1
    problem = df.problems[0]
    assert problem.rule_id == "DIND001"
    assert problem.span.line == line
    assert fragment in problem.message


def test_content_before_from() -> None:
    df = load("before_from.Dockerfile")
    assert [(p.rule_id, p.span.line) for p in df.problems] == [("DIND001", 3)]
    assert df.global_args == {"BASE": "alpine"}


def test_missing_from() -> None:
    df = load("no_from.Dockerfile")
    assert df.stages == ()
    assert any("no FROM" in p.message for p in df.problems)
    assert all(p.rule_id == "DIND001" for p in df.problems)


def test_lines_are_raw_physical_lines() -> None:
    df = load("continued_run.Dockerfile")
    assert len(df.lines) == 7
    assert df.lines[2] == "    # the docker group must match the host socket"
    assert df.lines[4] == ""


def test_heredoc_body_ending_in_backslash_does_not_swallow_next_instruction() -> None:
    df = load("heredoc_continuation.Dockerfile")
    assert df.problems == ()
    assert len(df.stages) == 1
    stage = df.stages[0]
    assert [(i.keyword, i.span.line) for i in stage.instructions] == [
        ("RUN", 2), ("USER", 5), ("RUN", 6), ("COPY", 10), ("USER", 13)
    ]  # fmt: skip
    assert argvs(stage.instructions[0]) == [("addgroup", "-g", "2375", "docker")]
    assert argvs(stage.instructions[2]) == [("echo", "one", "two")]
    assert stage.instructions[-1].value == "root"
