"""The loader groups a Dockerfile's lines into instructions itself, in one pass (parse._Grouper);
the grouping must stay the one dockerfile-parse 2.0.1 makes, which the loader used before.

The reference is dockerfile-parse run on the lines the loader used to feed it: blank lines and
heredoc bodies (with their terminators) as comments, parser directives other than ``escape`` as
``syntax``. With the bodies hidden this is the fixed point the old loader reached by running
dockerfile-parse again after each heredoc whose body fooled it (at most 20 times).
"""

from __future__ import annotations

import io
import random
from collections.abc import Sequence
from pathlib import Path

import pytest
from dockerfile_parse import DockerfileParser

from dindlint.dockerfile.parse import _directives, _locate, _Raw, _read_lines, _split_lines

TESTS = Path(__file__).resolve().parents[1]
# Lines the generated Dockerfiles are made of: continuations (also with trailing blanks, other
# Unicode blanks, a backtick), comments and blanks inside them, directives, heredocs of every
# kind including bodies that end in a continuation and terminators that look like comments.
_PIECES = (
    "FROM alpine", "RUN echo a \\", "  && b \\", "RUN <<EOF", "RUN <<-EOF", "EOF", "\tEOF",
    "RUN <<#x", "#x", "COPY <<A <<B /x", "A", "B", "# comment", "", "   ", "echo \\", "x \\  ",
    "RUN cat <<'E' > f", "E", "# escape=`", "# syntax=docker/dockerfile:1", "# check=skip=all",
    "RUN a `", "ADD <<X /y", "X", "USER 1000", "ENV A=1 \\", "\\", 'RUN ["sh", "-c", "x <<E"]',
    "  # c \\", "\x0c", "RUN\\", "run <<eof", "eof", "FROM\\", "RUN a\\\\", 'RUN "<<Q"', "Q",
    "RUN x<<Y", "Y", "RUN <<Z \\", "Z", "#directive=1", "# escape=\\", "\xa0RUN x", "RUN x \\\xa0",
)  # fmt: skip


def _generated(seed: int) -> str:
    rnd = random.Random(seed)
    text = "\n".join(rnd.choice(_PIECES) for _ in range(rnd.randint(0, 40)))
    return text + rnd.choice(("", "\n"))


def _hidden(raw: _Raw) -> range:
    """The lines of ``raw``'s heredoc bodies and terminators (they follow its own lines)."""
    size = sum(len(heredoc.body) + heredoc.terminated for heredoc in raw.heredocs)
    return range(raw.end + 1 - size, raw.end + 1)


def _reference(lines: Sequence[str], hidden: set[int]) -> list[tuple[int, int]]:
    """(start, end) of each instruction as dockerfile-parse groups the lines the loader fed it."""
    _, directives = _directives(lines)
    feed = []
    for index, line in enumerate(lines):
        if index in hidden or not line.strip():
            feed.append("#")
        elif directives.get(index, "escape") != "escape":
            feed.append("# syntax=dindlint")
        else:
            feed.append(line)
    content = "".join(line + "\n" for line in feed).encode("utf-8")
    parser = DockerfileParser(fileobj=io.BytesIO(content), env_replace=False)
    return [
        (item["startline"], item["endline"])
        for item in parser.structure
        if item["instruction"] != "COMMENT"
    ]


def _check_grouping(lines: Sequence[str]) -> list[_Raw]:
    raws, _ = _locate(lines)
    hidden = {index for raw in raws for index in _hidden(raw)}
    own_lines = [(raw.start, raw.end - len(_hidden(raw))) for raw in raws]
    assert own_lines == _reference(lines, hidden)
    return raws


@pytest.mark.parametrize("first", range(0, 3000, 500))
def test_generated_dockerfiles_are_grouped_as_dockerfile_parse_groups_them(first: int) -> None:
    heredocs = 0
    for seed in range(first, first + 500):
        heredocs += sum(
            bool(raw.heredocs) for raw in _check_grouping(_split_lines(_generated(seed)))
        )
    assert heredocs > 100  # the generator does reach heredocs


def _files_under_tests() -> list[Path]:
    names = ("dockerfile", "containerfile")
    return sorted(
        path
        for path in TESTS.rglob("*")
        if path.is_file()
        and any(name in path.name.lower() for name in names)
        and path.suffix != ".py"
        and path.stat().st_size < 1_000_000
    )


def test_the_dockerfiles_under_tests_are_grouped_as_dockerfile_parse_groups_them() -> None:
    files = _files_under_tests()
    assert len(files) > 20
    for path in files:
        lines, _ = _read_lines(path)
        _check_grouping(lines)


def test_more_than_twenty_heredocs_whose_bodies_run_on_lose_no_instruction() -> None:
    """A body ending in ``\\`` with a terminator dockerfile-parse read as a comment made it run
    the body on into the next instruction; the old loader re-ran it 20 times at most, and lost
    the instructions after the 21st such heredoc (here 20 USER of 25)."""
    lines = _split_lines("FROM alpine:3.20\n" + "RUN <<#x\necho \\\n#x\nUSER 1000\n" * 25)
    raws = _check_grouping(lines)
    users = [raw.start for raw in raws if raw.keyword == "USER"]
    assert users == [4 + 4 * i for i in range(25)]
    assert all(
        raw.heredocs[0].body == ((2 + 4 * i, "echo \\"),)
        for i, raw in enumerate(r for r in raws if r.keyword == "RUN")
    )


def test_an_instruction_still_continued_at_the_end_of_the_file_is_dropped() -> None:
    """As dockerfile-parse does (the loader keeps its grouping)."""
    raws, _ = _locate(_split_lines("FROM alpine\nUSER 1000\nRUN true \\\n  # note\n"))
    assert [raw.keyword for raw in raws] == ["FROM", "USER"]


def test_comments_and_blanks_inside_a_continued_instruction_neither_end_nor_extend_it() -> None:
    lines = _split_lines("FROM alpine\nRUN a \\\n# c \\\n\n  \\\n b\n# after\nUSER 1\n")
    raws = _check_grouping(lines)
    assert [(raw.keyword, raw.start, raw.end, raw.source.text) for raw in raws] == [
        ("FROM", 0, 0, "alpine"),
        ("RUN", 1, 5, "a    b"),
        ("USER", 7, 7, "1"),
    ]


def test_the_escape_directive_sets_the_continuation_character() -> None:
    lines = _split_lines("# syntax=docker/dockerfile:1\n# escape=`\nFROM alpine\nRUN a `\n b\n")
    raws = _check_grouping(lines)
    assert [(raw.keyword, raw.start, raw.end) for raw in raws] == [("FROM", 2, 2), ("RUN", 3, 4)]
