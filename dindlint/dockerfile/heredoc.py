"""Dockerfile heredocs (``RUN <<EOF`` … ``EOF``, ``COPY <<EOF /path``).

dockerfile-parse 2.0.1 does not know them and would turn every body line into a bogus
instruction, so the loader finds the markers itself, reads the bodies from the raw lines, and
groups the lines into instructions again only after the bodies (ADR 008).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

# After ``<<``: optional ``-``, then a quoted or bare delimiter word.
_MARKER = re.compile(r"""(-?)(?:'([^'\n]*)'|"([^"\n]*)"|([^\s'"<>|;&()]+))""")
# Runs find_markers skips, by the quote it is in: outside quotes, inside '…', inside "…".
_PLAIN = {"": re.compile(r"""[^\\'"<]+"""), "'": re.compile(r"[^']+"), '"': re.compile(r'[^"\\]+')}


class Marker(NamedTuple):
    """One ``<<[-]WORD`` in an instruction; ``start``/``end`` index it in the instruction text."""

    name: str
    strip_tabs: bool  # ``<<-``: leading tabs are removed from body lines and terminator
    quoted: bool  # ``<<'EOF'`` / ``<<"EOF"``: no expansion in the body
    start: int
    end: int


class Heredoc(NamedTuple):
    """A heredoc body: ``(line_index, text)`` pairs, line indexes 0-based into the file."""

    marker: Marker
    body: tuple[tuple[int, str], ...]
    terminated: bool


def find_markers(text: str) -> list[Marker]:
    """Heredoc markers in ``text`` that are outside quotes and start a word (``<<<`` excluded)."""
    markers: list[Marker] = []
    quote = ""
    i = 0
    while i < len(text):
        # characters that cannot start, end or escape anything where they stand are skipped a
        # run at a time (one at a time, a long RUN took seconds)
        plain = _PLAIN[quote].match(text, i)
        if plain is not None:
            i = plain.end()
            continue
        ch = text[i]
        if quote:
            if ch == quote:
                quote = ""
            elif ch == "\\" and quote == '"':
                i += 1
        elif ch == "\\":
            i += 1
        elif ch in "'\"":
            quote = ch
        elif text.startswith("<<", i) and _starts_word(text, i) and text[i + 2 : i + 3] != "<":
            marker = _marker_at(text, i)
            if marker is not None:
                markers.append(marker)
                i = marker.end
                continue
        i += 1
    return markers


def _starts_word(text: str, i: int) -> bool:
    return i == 0 or text[i - 1] in " \t"


def _marker_at(text: str, i: int) -> Marker | None:
    match = _MARKER.match(text, i + 2)
    if match is None:
        return None
    dash, single, double, bare = match.groups()
    name = next(g for g in (single, double, bare) if g is not None)
    if not name:
        return None
    return Marker(name, bool(dash), bare is None, i, match.end())


def strip_markers(text: str, markers: Sequence[Marker]) -> str:
    """``text`` without its heredoc markers (what is left is the command, if any)."""
    out: list[str] = []
    last = 0
    for marker in markers:
        out.append(text[last : marker.start])
        last = marker.end
    out.append(text[last:])
    return "".join(out)


def read_bodies(
    lines: Sequence[str], first: int, markers: Sequence[Marker]
) -> tuple[list[Heredoc], int]:
    """Read one body per marker, in order, from ``lines[first:]``.

    Returns the bodies and the index of the last line consumed (``first - 1`` when none). A
    missing terminator consumes the rest of the file (``terminated`` False): BuildKit would
    reject the file, and treating the rest as instructions would only add noise.
    """
    bodies: list[Heredoc] = []
    index = first
    for marker in markers:
        body: list[tuple[int, str]] = []
        terminated = False
        while index < len(lines):
            line = lines[index]
            index += 1
            text = line.lstrip("\t") if marker.strip_tabs else line
            if text == marker.name:
                terminated = True
                break
            body.append((index - 1, text))
        bodies.append(Heredoc(marker, tuple(body), terminated))
    return bodies, index - 1
