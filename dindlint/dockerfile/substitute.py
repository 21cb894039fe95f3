"""``$VAR`` / ``${VAR…}`` substitution with ARG/ENV values.

Only values dindlint *knows* are substituted. A variable that is not in the mapping, or is mapped
to None (``ARG X`` with neither default nor build arg), leaves its reference untouched and is
reported as unresolved: the linter must not invent a value the build would not see.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from dindlint.model import expansion_limit

Variables = Mapping[str, "str | None"]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_REFERENCE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")
# ``${X<op>word}`` operators that dindlint evaluates; longest first so ``:-`` wins over ``-``.
_OPERATORS = (":-", ":+", ":?", "-", "+", "?")


class _TooLong(Exception):
    """The expansion passed its limit (``expansion_limit``): it is not finished."""


class _Budget:
    """Characters an expansion may still produce. Charged for what is copied from the text and
    for each value put in, never again for a nested word's result (already charged)."""

    __slots__ = ("left",)

    def __init__(self, limit: int) -> None:
        self.left = limit

    def spend(self, piece: str) -> str:
        self.left -= len(piece)
        if self.left < 0:
            raise _TooLong
        return piece


def substitute(
    text: str, variables: Variables, *, escape: str | None = None
) -> tuple[str, tuple[str, ...]]:
    """Replace ``$X``, ``${X}``, ``${X:-d}``, ``${X-d}``, ``${X:+a}``, ``${X+a}`` in ``text``.

    ``escape`` is the Dockerfile escape character: when given, ``<escape>$`` is a literal ``$``
    (Dockerfile-level substitution); shell words already had their escapes removed, so callers
    pass None for them. Returns the new text and the names that could not be resolved.

    An expansion longer than ``expansion_limit(text)`` is not made: the text comes back as
    written, and every name it refers to counts as unresolved (its value is unknown).
    """
    if "$" not in text:
        return text, ()  # most words: nothing to substitute (and no escaped `$` to unescape)
    unresolved: list[str] = []
    try:
        result = _substitute(text, variables, escape, unresolved, _Budget(expansion_limit(text)))
    except _TooLong:
        return text, tuple(dict.fromkeys(_REFERENCE.findall(text)))
    return result, tuple(dict.fromkeys(unresolved))


def expand_value(text: str, variables: Variables, *, escape: str | None = None) -> str | None:
    """An ARG default or ENV value expanded, or None when it expands to more than
    ``expansion_limit(text)`` characters (the caller reports it; the value is unknown)."""
    if "$" not in text:
        return text
    try:
        return _substitute(text, variables, escape, [], _Budget(expansion_limit(text)))
    except _TooLong:
        return None


def _substitute(
    text: str, variables: Variables, escape: str | None, unresolved: list[str], budget: _Budget
) -> str:
    out: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if escape is not None and ch == escape and i + 1 < n and text[i + 1] == "$":
            out.append(budget.spend("$"))
            i += 2
            continue
        if ch != "$" or i + 1 >= n:
            out.append(budget.spend(ch))
            i += 1
            continue
        if text[i + 1] == "{":
            end = _matching_brace(text, i + 1)
            if end < 0:  # unterminated: keep the rest verbatim rather than guess
                out.append(budget.spend(text[i:]))
                break
            expanded = _expand_braced(text[i + 2 : end], variables, escape, unresolved, budget)
            out.append(budget.spend(text[i : end + 1]) if expanded is None else expanded)
            i = end + 1
            continue
        match = _NAME.match(text, i + 1)
        if match is None:  # ``$1``, ``$$``, ``$@``, a lone ``$``: not ours to touch
            out.append(budget.spend(ch))
            i += 1
            continue
        value = variables.get(match.group())
        if value is None:
            unresolved.append(match.group())
            out.append(budget.spend(text[i : match.end()]))
        else:
            out.append(budget.spend(value))
        i = match.end()
    return "".join(out)


def _matching_brace(text: str, open_index: int) -> int:
    """Index of the ``}`` closing the ``{`` at ``open_index`` (nesting aware), or -1."""
    depth = 0
    i = open_index
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def _expand_braced(
    inner: str, variables: Variables, escape: str | None, unresolved: list[str], budget: _Budget
) -> str | None:
    """Expansion of ``${inner}``; None means "leave the reference as written"."""
    match = _NAME.match(inner)
    if match is None:  # ``${#X}``, ``${1}``, ``${!X}``: shell-only forms
        return None
    name = match.group()
    rest = inner[match.end() :]
    value = variables.get(name)
    if value is None:
        unresolved.append(name)
        return None
    if not rest:
        return budget.spend(value)
    for op in _OPERATORS:
        if rest.startswith(op):
            word = rest[len(op) :]
            return _apply_operator(op, value, word, variables, escape, unresolved, budget)
    return None  # ``${X#pat}``, ``${X%pat}``, ``${X/a/b}`` …: shell-level, not evaluated


def _apply_operator(
    op: str,
    value: str,
    word: str,
    variables: Variables,
    escape: str | None,
    unresolved: list[str],
    budget: _Budget,
) -> str | None:
    # The variable is known (set) here; only emptiness matters for the ``:`` forms.
    if op == ":-":
        return (
            budget.spend(value)
            if value
            else _substitute(word, variables, escape, unresolved, budget)
        )
    if op == ":+":
        return _substitute(word, variables, escape, unresolved, budget) if value else ""
    if op == "+":
        return _substitute(word, variables, escape, unresolved, budget)
    if op == ":?" and not value:
        return None  # the build would fail here; keep the text
    return budget.spend(value)  # ``-``, ``?`` and ``:?`` with a non-empty value
