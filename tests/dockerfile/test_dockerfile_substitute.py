"""Variable substitution with known values only."""

from __future__ import annotations

import pytest

from dindlint.dockerfile.substitute import substitute

VARS: dict[str, str | None] = {"SET": "v", "EMPTY": "", "NOVALUE": None}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$SET", "v"),
        ("${SET}", "v"),
        ("a${SET}b$SET.c", "avbv.c"),
        ("${SET:-d}", "v"),
        ("${EMPTY:-d}", "d"),
        ("${EMPTY-d}", ""),
        ("${SET:+alt}", "alt"),
        ("${EMPTY:+alt}", ""),
        ("${SET+alt}", "alt"),
        ("${EMPTY:-${SET}}", "v"),
        ("$1 $$ $@ $", "$1 $$ $@ $"),
        ("${#SET} ${SET#x}", "${#SET} ${SET#x}"),
        ("${unterminated", "${unterminated"),
    ],
)
def test_known_values(text: str, expected: str) -> None:
    assert substitute(text, VARS)[0] == expected


@pytest.mark.parametrize(
    "text", ["$NOVALUE", "${NOVALUE}", "${NOVALUE:-d}", "$MISSING", "${MISSING+x}"]
)
def test_unknown_values_stay_as_written(text: str) -> None:
    result, unresolved = substitute(text, VARS)
    assert result == text
    assert unresolved and unresolved[0] in ("NOVALUE", "MISSING")


def test_escape_character() -> None:
    assert substitute(r"\$SET $SET", VARS, escape="\\") == ("$SET v", ())
    assert substitute("`$SET", VARS, escape="`") == ("$SET", ())
    assert substitute(r"\$SET", VARS)[0] == "\\v"
