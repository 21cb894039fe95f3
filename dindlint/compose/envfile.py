"""``.env`` files as compose reads them (compose-go ``dotenv``): ``KEY=VALUE`` lines.

Handled: ``export KEY=...``, blank lines and ``#`` comments, unquoted values (trimmed, an inline
`` #`` starts a comment), single quotes (literal), double quotes (``\\n``, ``\\t``, ``\\"``,
``\\\\``, ``\\$`` escapes, may span lines), and interpolation of unquoted and double-quoted values
against the keys defined earlier and the environment passed in. A bare ``KEY`` takes its value
from the environment when present. A value that expands to more than the cap
(``MAX_EXPANDED_CHARS``) is reported and left out, as is any later value that uses it: unknown.

Every step is linear in the file's size: the lookup of earlier keys is a view, not a copy per
line; a quoted value continued over many lines is scanned once; an inline comment is found
without a regex that retries a run of blanks from each of its blanks.
"""

from __future__ import annotations

import re
from collections import ChainMap
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import cast

from dindlint.compose.interpolate import interpolate
from dindlint.model import expansion_limit, too_long_message
from dindlint.source import Problem, Span, quoted, read_input, split_lines, unreadable

_KEY = re.compile(r"\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.\-]*)\s*(=|:)?\s*")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "$": "\\$"}


def parse_env_text(
    text: str, path: Path, environ: Mapping[str, str], problems: list[Problem]
) -> dict[str, str]:
    """Parse dotenv ``text``; malformed lines give DIND002 and are skipped."""
    result: dict[str, str] = {}
    unknown: set[str] = set()  # keys whose value is over the cap, or uses one that is
    # the environment wins over the file's earlier keys; read only (ChainMap's type asks for
    # mutable maps because it writes to the first one)
    lookup = ChainMap(cast("MutableMapping[str, str]", environ), result)
    lines = split_lines(text)  # as positions are counted everywhere (source.split_lines)
    i = 0
    while i < len(lines):
        line = lines[i]
        lineno = i + 1
        i += 1
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _KEY.match(line)
        if not match:
            problems.append(Problem("DIND002", _unexpected(stripped), Span(path, lineno)))
            continue
        key, sep, rest = match.group(1), match.group(2), line[match.end() :]
        if sep is None:
            if rest.strip() and not rest.strip().startswith("#"):
                problems.append(Problem("DIND002", _unexpected(stripped), Span(path, lineno)))
            elif key in environ:
                result[key] = environ[key]
            continue
        try:
            value, i = _value(rest, lines, i, lookup, unknown)
        except _Unknown as reason:
            i = reason.next_line
            if reason.message:
                problems.append(Problem("DIND002", f"`{key}` {reason.message}", Span(path, lineno)))
            result.pop(key, None)
            unknown.add(key)
            continue
        result[key] = value
        unknown.discard(key)
    return result


class _Unknown(Exception):
    """A value that cannot be known: over the cap (``message`` says so), or using one that is
    (no message: the first one was reported). ``next_line`` is where reading goes on."""

    def __init__(self, message: str | None, next_line: int) -> None:
        super().__init__(message)
        self.message = message
        self.next_line = next_line


def _value(
    rest: str, lines: list[str], i: int, lookup: Mapping[str, str], unknown: set[str]
) -> tuple[str, int]:
    """The value starting at ``rest``; returns it and the index of the next unread line.
    Raises ``_Unknown`` for a value that cannot be known."""
    if rest.startswith("'"):
        body, i = _quoted(rest, "'", lines, i)
        return body, i
    if rest.startswith('"'):
        body, i = _quoted(rest, '"', lines, i)
        return _expand(_unescape(body), lookup, unknown, i), i
    return _expand(_before_comment(rest).strip(), lookup, unknown, i), i


def _before_comment(rest: str) -> str:
    """An unquoted value up to its inline comment: a ``#`` after a blank (``\\s+#``)."""
    hash_at = rest.find("#", 1)
    while hash_at >= 0:
        if rest[hash_at - 1].isspace():
            return rest[:hash_at]
        hash_at = rest.find("#", hash_at + 1)
    return rest


def _quoted(rest: str, quote: str, lines: list[str], i: int) -> tuple[str, int]:
    """Text between ``quote`` and its closing quote, continuing on the next lines if needed.

    Each line is scanned once: a backslash at the end of a line escapes the line break, so no
    escape carries over to the next line."""
    pieces = [rest[1:]]
    while True:
        end = _find_close(pieces[-1], quote)
        if end >= 0:
            pieces[-1] = pieces[-1][:end]
            return "\n".join(pieces), i
        if i >= len(lines):
            return "\n".join(pieces), i  # unterminated: take what there is
        pieces.append(lines[i])
        i += 1


def _find_close(text: str, quote: str) -> int:
    j = 0
    while j < len(text):
        if quote == '"' and text[j] == "\\":
            j += 2
            continue
        if text[j] == quote:
            return j
        j += 1
    return -1


def _unescape(body: str) -> str:
    out: list[str] = []
    j = 0
    while j < len(body):
        ch = body[j]
        if ch == "\\" and j + 1 < len(body) and body[j + 1] in _ESCAPES:
            # `\$` stays escaped until interpolation, which turns `$$` into `$`
            out.append("$$" if body[j + 1] == "$" else _ESCAPES[body[j + 1]])
            j += 2
            continue
        out.append(ch)
        j += 1
    return "".join(out)


def _unexpected(line: str) -> str:
    """The message for a line that is not ``KEY=VALUE``: it quotes the line's first word only."""
    return f"Unexpected line in env file (not KEY=VALUE) at `{quoted(line.split()[0])}`"


def _expand(value: str, lookup: Mapping[str, str], unknown: set[str], next_line: int) -> str:
    """``value`` interpolated; kept as written when it is not a valid template."""
    if "$" not in value:
        return value
    res = interpolate(value, lookup)
    if res.too_long:
        raise _Unknown(too_long_message(expansion_limit(value)), next_line)
    if unknown.intersection(res.unresolved):
        raise _Unknown(None, next_line)
    return value if res.error else res.value


def load_env_file(
    path: Path, environ: Mapping[str, str], problems: list[Problem]
) -> dict[str, str] | None:
    """Read and parse an env file; None (with DIND001) when it cannot be read as UTF-8 text."""
    try:
        text = read_input(path).decode("utf-8")
    except OSError as exc:
        problems.append(unreadable(path, exc))
        return None
    except UnicodeDecodeError:
        problems.append(Problem("DIND001", "Env file is not valid UTF-8", Span(path, 1)))
        return None
    return parse_env_text(text.lstrip("\ufeff"), path, environ, problems)
