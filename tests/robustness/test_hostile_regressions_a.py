"""Hostile inputs of issue 18 (regexes, expansion caps, numbers, configuration and baseline
loading): each one failed before its fix, by taking minutes or gigabytes, or by a crash.

A blow-up is caught in a fresh process with a wall-time bound about ten times what the fixed
code takes on a 2-core machine (process start included, see each ``MEASURED``), so the old code
fails by its timeout, not by hanging the suite. Everything else checks that the result is right:
the capped value is reported, the number that is not one is treated as a name.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from dindlint.cli import main
from dindlint.compose.interpolate import MAX_NESTING, interpolate
from dindlint.images import detect_alignment
from dindlint.model import MAX_ID, parse_id
from dindlint.suppress import parse_suppressions

REPO = Path(__file__).resolve().parents[2]
SOCKET_CLIENT = (
    "services:\n  s:\n    image: docker:cli\n"
    "    volumes: [/var/run/docker.sock:/var/run/docker.sock]\n"
)


def finishes_within(seconds: float, code: str, memory_mb: int = 1024) -> None:
    """Run ``code`` in a fresh interpreter; fail if it takes longer than ``seconds``, or needs
    more than ``memory_mb`` of address space (a MemoryError there, not on the machine)."""

    def cap_memory() -> None:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    try:
        proc = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(code)],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=seconds,
            check=False,
            preexec_fn=cap_memory,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running after {seconds} s")
    assert proc.returncode == 0, proc.stderr[-2000:]


def check(*args: str | Path) -> tuple[int, str]:
    """``dindlint check --no-config``; a report with exit 0 or 1, never an internal error."""
    result = CliRunner().invoke(main, ["check", "--no-config", "--color", "never", *map(str, args)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, result.output


# -- suppression directives ------------------------------------------------------------------


def test_directive_followed_by_blanks_and_a_stray_character_is_linear() -> None:
    # before: cubic, 135-158 s for 300 blanks; MEASURED after: 0.3 s (100,000 blanks, 3 lines)
    finishes_within(
        5,
        """
        from pathlib import Path
        from dindlint.suppress import parse_suppressions
        line = "# dindlint: disable=" + " " * 100_000 + "!"
        assert not parse_suppressions(Path("compose.yaml"), [line] * 3).entries
    """,
    )


def test_directive_with_long_blank_runs_keeps_its_ids_and_reason() -> None:
    blanks = " " * 40  # the old regex takes seconds for this line; the new, microseconds
    line = f"x: 1  # dindlint: disable={blanks}DIND101,{blanks}DIND102{blanks}--{blanks}why{blanks}"
    entries = parse_suppressions(Path("compose.yaml"), [line]).entries
    assert [(e.rule_id, e.reason, e.first) for e in entries] == [
        ("DIND101", "why", 1),
        ("DIND102", "why", 1),
    ]


# -- runtime GID alignment in entrypoints -----------------------------------------------------


def test_many_ls_pipes_on_one_line_are_linear() -> None:
    # before: cubic, 25-27 s for 800; MEASURED after: 0.3 s for 20,000
    finishes_within(
        5,
        """
        from dindlint.images import detect_alignment
        assert not detect_alignment("ENTRYPOINT " + "ls -n |awk " * 20_000)
        assert not detect_alignment("ls -n |cut " * 20_000)
    """,
    )


@pytest.mark.parametrize(
    "read, found",
    [
        # the pipe may continue on the next line (a blank run after `|` crosses it) ...
        ("G=$(ls -ln /var/run/docker.sock |\n  awk '{print $4}')", True),
        ("G=$(ls -ln /var/run/docker.sock | awk 'x' |\n  awk '{print $4}')", True),
        # ... but `ls` and the pipe, and the awk and its field, are on one line
        ("G=$(ls -ln /var/run/docker.sock\n| awk '{print $4}')", False),
        ("G=$(ls -ln /var/run/docker.sock | awk\n'{print $4}')", False),
        ("ls -l x | awk '{print $4}'\nls -n y | awk '{print $1}'", False),
        ("ls -l x | awk '{print $4}'\nls -n y | cut -d' ' -f3", True),
    ],
)
def test_ls_reads_across_lines_as_before(read: str, found: bool) -> None:
    drop = '\ngroupmod -o -g "$G" docker\nexec gosu app "$@"\n'
    assert detect_alignment(read + drop) is found


# -- numbers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, value",
    [
        ("0", 0),
        ("999", 999),
        ("0999", 999),
        (str(MAX_ID), MAX_ID),
        (str(MAX_ID + 1), None),
        ("\u00b2", None),
        ("\u0663", None),
        ("\uff11", None),
        ("9" * 5000, None),
        ("", None),
        (" 1", None),
        ("+1", None),
        ("-1", None),
        ("1_000", None),
        ("1.0", None),
    ],
)
def test_parse_id_takes_ascii_decimal_ids_only(text: str, value: int | None) -> None:
    assert parse_id(text) == value


@pytest.mark.parametrize(
    "service_lines",
    [
        '    user: "\u00b2"\n',
        '    user: "' + "9" * 5000 + '"\n',
        '    user: "1000:\u00b2"\n',
        '    group_add: ["\u00b2", "' + "9" * 5000 + '"]\n',
        '    ports: ["\u00b2:\u00b2", "' + "9" * 5000 + '"]\n',
        '    environment: {DOCKER_HOST: "tcp://host:\u00b2"}\n',
    ],
)
def test_unicode_digits_and_huge_numbers_are_not_numbers(
    tmp_path: Path, service_lines: str
) -> None:
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
        '    command: [dockerd, --group, "\u00b2"]\n    volumes: [s:/var/run]\n'
        "  c:\n    image: docker:" + "9" * 5000 + "\n    volumes: [s:/var/run]\n"
        "volumes: {s: {}}\n",
        encoding="utf-8",
    )
    check(tmp_path)


def test_dockerfile_ids_with_odd_digits(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(
        "FROM alpine:3.20\n"
        "RUN addgroup -g \u00b2 g && adduser -D -u " + "9" * 5000 + " u && \\\n"
        "    echo 'x:x:\u0663:\u0663::/:/bin/sh' >> /etc/passwd\n"
        "COPY --chown=\u00b2:\u00b2 a /a\nUSER \u00b2\n",
        encoding="utf-8",
    )
    check(tmp_path)


# -- expansion caps ---------------------------------------------------------------------------


def test_doubling_env_file_is_capped_and_reported() -> None:
    # before: 3.1 GB in 10 s for 26 lines, MemoryError from 30; MEASURED after: 0.4 s, 30 MB
    finishes_within(
        5,
        """
        from pathlib import Path
        from dindlint.compose.envfile import parse_env_text
        text = "V0=ab\\n" + "".join(f"V{i}=${{V{i-1}}}${{V{i-1}}}\\n" for i in range(1, 40))
        problems = []
        values = parse_env_text(text, Path(".env"), {}, problems)
        assert len(values["V15"]) == 2 ** 16, len(values["V15"])
        assert not any(f"V{i}" in values for i in range(16, 40))  # over the cap, or using it
        [problem] = problems
        assert (problem.rule_id, problem.span.line) == ("DIND002", 17), problem
        assert problem.message == ("`V16` expands to more than 65,536 characters; not expanded "
                                   "further (value unknown)"), problem.message
    """,
    )


def test_doubling_dockerfile_args_and_envs_are_capped_and_reported() -> None:
    # before: 4.2 GB (ARG) and 2.1 GB (ENV) for 28 lines; MEASURED after: 0.5 s, 40 MB
    finishes_within(
        5,
        """
        import tempfile
        from pathlib import Path
        from dindlint.dockerfile.parse import load_dockerfile
        lines = ["ARG G0=ab"] + [f"ARG G{i}=${{G{i-1}}}${{G{i-1}}}" for i in range(1, 30)]
        lines += ["FROM alpine:3.20", "ARG A0=ab", "ENV E0=ab"]
        lines += [f"ARG A{i}=${{A{i-1}}}${{A{i-1}}}" for i in range(1, 30)]
        lines += [f"ENV E{i}=${{E{i-1}}}${{E{i-1}}}" for i in range(1, 30)]
        lines += ["USER ${A29}", "RUN echo " + "${E15}" * 100]
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder, "Dockerfile")
            path.write_text("\\n".join(lines) + "\\n")
            dockerfile = load_dockerfile(path)
        found = [(p.rule_id, p.message.split(" expands")[0]) for p in dockerfile.problems]
        assert found == [("DIND002", "ARG `G16`"), ("DIND002", "ARG `A16`"),
                         ("DIND002", "ENV `E16`")], dockerfile.problems
        assert dockerfile.global_args["G15"] is not None and dockerfile.global_args["G16"] is None
        instructions = dockerfile.stages[0].instructions
        # A16 is unknown, so the later links keep its reference (and are capped again later)
        assert "${A16}" in instructions[-2].value and len(instructions[-2].value) < 65_536
        # one word that would expand to 3.2 MB: too long, so left as written
        assert instructions[-1].commands[0].argv == ("echo", "${E15}" * 100)
    """,
    )


def test_compose_value_over_the_cap_is_dind002_and_unknown() -> None:
    result = interpolate("${A}" * 100, {"A": "x" * 1000})
    assert result.too_long
    assert result.error == (
        "Value expands to more than 65,536 characters; not expanded further (value unknown)"
    )
    long_text = "$$" * 100_000  # longer than the cap itself: may expand to its own length
    assert interpolate(long_text, {}).value == "$" * 100_000


def test_compose_project_reports_the_capped_env_value(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "V0=ab\n" + "".join(f"V{i}=${{V{i - 1}}}${{V{i - 1}}}\n" for i in range(1, 18)),
        encoding="utf-8",
    )
    (tmp_path / "compose.yaml").write_text(
        SOCKET_CLIENT + '    user: "${V17}"\n    environment: {X: "' + "${V15}" * 3 + '"}\n',
        encoding="utf-8",
    )
    _, output = check(tmp_path)
    assert ".env:17:1: error DIND002 `V16` expands to more than 65,536" in output
    assert "compose.yaml:6:22: error DIND002 Value expands to more than 65,536" in output


# -- .env parsing and interpolation are linear ------------------------------------------------


def test_env_file_parsing_is_linear() -> None:
    # before: 17 s, 9 s and 38-52 s; MEASURED after: 0.9 s for the three in one process
    finishes_within(
        10,
        """
        from pathlib import Path
        from dindlint.compose.envfile import parse_env_text
        env = Path(".env")
        assert parse_env_text('A="x' + "\\n" * 20_000, env, {}, []) == {"A": "x" + "\\n" * 19_999}
        many = parse_env_text("".join(f"K{i}=v{i}\\n" for i in range(80_000)), env, {}, [])
        assert len(many) == 80_000 and many["K79999"] == "v79999"
        assert parse_env_text("A=x" + " " * 150_000 + "y #c\\n", env, {}, []) == {
            "A": "x" + " " * 150_000 + "y"}
    """,
    )


def test_interpolation_is_linear() -> None:
    # before: 63 s and 31 s (610 MB); MEASURED after: 0.4 s for both in one process
    finishes_within(
        5,
        """
        from dindlint.compose.interpolate import interpolate
        assert interpolate("$$" * 1_600_000, {}).value == "$" * 1_600_000
        nested = interpolate("${A:-" * 200 + "x" * 1_000_000 + "}" * 200, {})
        assert nested.value == "x" * 1_000_000 and nested.unresolved == []
    """,
    )


def test_interpolation_nested_too_deep_is_an_error_not_a_recursion_error() -> None:
    deep = "${A:-" * 5000 + "x" + "}" * 5000
    assert interpolate(deep, {}).error.startswith(
        f"Interpolation nested deeper than {MAX_NESTING} levels in `${{A:-"
    )
    limit = "${A:-" * MAX_NESTING + "x" + "}" * MAX_NESTING
    assert interpolate(limit, {}).value == "x"


# -- configuration and baseline loading -------------------------------------------------------


def refused(*args: str | Path) -> str:
    """``dindlint check ARGS``: refused with exit 2 and a one-line reason, never a crash."""
    result = CliRunner().invoke(main, ["check", "--color", "never", *map(str, args)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    assert result.exit_code == 2, result.output
    return result.output


@pytest.mark.parametrize(
    "name, text, expected",
    [
        # before: accepted, and 3.5 KB of aliases inside aliases kept the schema check busy 70 s
        (
            ".dindlint.yaml",
            (
                "images:\n  - id: a\n    groups: &g [{name: g, members: [u]}]\n"
                "  - id: b\n    groups: *g\n"
            ),
            ".dindlint.yaml:5: YAML aliases (`*g`) are not allowed",
        ),
        (
            ".dindlint.yaml",
            "select: &s [DIND1]\nignore: [DIND101]\n<<: {fail-on: error}\nx: *s\n",
            ".dindlint.yaml:4: YAML aliases (`*s`)",
        ),
        # before: read three times by the pure-Python parser, up to 5 MiB: minutes
        (
            ".dindlint.yaml",
            "# " + "x" * 70_000 + "\nselect: [DIND1]\n",
            ".dindlint.yaml: the configuration holds 70,019 characters, over the 65,536",
        ),
        # before: RecursionError, an internal error
        (
            ".dindlint.yaml",
            "images: " + "[" * 20_000 + "]" * 20_000 + "\n",
            ".dindlint.yaml:1: the configuration is nested deeper than 32 levels",
        ),
        (
            "pyproject.toml",
            "[tool.dindlint]\nignore = " + "[" * 5_000 + "]" * 5_000 + "\n",
            "pyproject.toml: invalid TOML: nested too deeply",
        ),
        # before: AttributeError ('int' object has no attribute 'get'), an internal error
        (
            "pyproject.toml",
            'description = """\n[tool.dindlint]\nignore = []\n"""\ntool = 5\n',
            "pyproject.toml: `tool` is not a table, so there is no [tool.dindlint]",
        ),
        (
            "pyproject.toml",
            "[tool]\ndindlint = 5\n",
            "pyproject.toml: `tool.dindlint` is not a table",
        ),
        # before: ValueError from int(), an internal error
        (
            ".dindlint.yaml",
            "host-docker-gid: " + "9" * 5000 + "\n",
            ".dindlint.yaml: invalid YAML: a number of more than 4,300 digits",
        ),
    ],
)
def test_bad_configuration_is_a_clear_error(
    tmp_path: Path, name: str, text: str, expected: str
) -> None:
    (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "compose.yaml").write_text(SOCKET_CLIENT, encoding="utf-8")
    assert expected in refused("--config", tmp_path / name, tmp_path)


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "[" * 100_000 + "]" * 100_000,
            "baseline.json: not a dindlint baseline: nested too deeply",
        ),
        (
            '{"dindlint-baseline": ' + "9" * 5000 + "}",
            "baseline.json: not a dindlint baseline: a number of more than 4,300 digits",
        ),
    ],
)
def test_unreadable_baseline_is_refused_like_a_malformed_one(
    tmp_path: Path, text: str, expected: str
) -> None:
    (tmp_path / "baseline.json").write_text(text, encoding="utf-8")
    (tmp_path / "compose.yaml").write_text(SOCKET_CLIENT, encoding="utf-8")
    assert expected in refused("--no-config", "--baseline", tmp_path / "baseline.json", tmp_path)
