"""Variable interpolation as compose-go's ``template`` package does it (12-interpolation.md).

Supported: ``$$`` (a literal ``$``), ``$VAR``, ``${VAR}``, ``${VAR:-default}`` (unset or empty),
``${VAR-default}`` (unset), ``${VAR:?err}``, ``${VAR?err}``, ``${VAR:+alt}``, ``${VAR+alt}``, with
nested templates inside defaults. Any other ``$`` (``$(cmd)``, ``$1``, a trailing ``$``, an
unterminated ``${``) is an "Invalid template" in compose-go: we return an error message.

An unset variable without a default becomes ``""`` (compose warns and substitutes blank) and its
name is recorded; ``${VAR:?err}`` with VAR unset is an error in compose, here the value is unknown
and VAR is recorded too. ``marked`` is the same text with ``\\0`` where an unresolved variable was,
so later parsing (volume specs) can tell which part was unknown.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from dindlint.compose.yamlnodes import YMap, YNode, YScalar, YSeq
from dindlint.model import expansion_limit, too_long_message

UNKNOWN = "\0"
_NAME = re.compile(r"[_A-Za-z][_A-Za-z0-9]*")
_OPERATORS = (":-", ":?", ":+", "-", "?", "+")
_DOLLARS = re.compile(r"\$+")
_BRACES = re.compile(r"\$\{|\}")
# Defaults nested in defaults (`${A:-${B:-…}}`) followed this deep, and no deeper: each level is
# a few Python frames, and a recursion error would cost the whole project its findings.
MAX_NESTING = 200


@dataclass(eq=False, repr=False)
class Interpolated:
    value: str
    marked: str
    unresolved: list[str]
    error: str | None = None
    too_long: bool = False  # the error is the length cap (MAX_EXPANDED_CHARS), not a bad template


class _Invalid(Exception):
    pass


class _TooLong(_Invalid):
    pass


@dataclass(eq=False, repr=False)
class _Template:
    """One template being expanded: its text, where each ``${`` closes, and the output so far.

    The output is kept as pieces joined once at the end (``+=`` on an attribute copies the
    whole string every time: quadratic, 63 s for 3.2 MB of ``$$``), and its length is checked
    against the cap as it grows. Nested defaults are read in place by index: the text is never
    sliced per level, and the closing braces are found in one pass over the text.
    """

    text: str
    limit: int
    values: list[str] = field(default_factory=list)
    marks: list[str] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)
    size: int = 0
    depth: int = 0
    _closes: dict[int, int] | None = None

    def emit(self, piece: str, marked: str | None = None) -> None:
        self.size += len(piece)
        if self.size > self.limit:
            raise _TooLong(f"Value {too_long_message(self.limit)}")
        self.values.append(piece)
        self.marks.append(piece if marked is None else marked)

    def closing_brace(self, start: int, end: int) -> int:
        """Index of the ``}`` closing the ``${`` at ``start``, counting nested ``${`` (compose-go),
        or -1 when it is not closed before ``end``."""
        if self._closes is None:
            self._closes = _match_braces(self.text)
        close = self._closes.get(start, -1)
        return close if close < end else -1


def _match_braces(text: str) -> dict[int, int]:
    """Where each ``${`` of ``text`` closes: scanning left to right, a ``${`` opens (its two
    characters taken together, so ``$${`` opens at its second ``$``) and a ``}`` closes the
    innermost open one. Scanning from any ``${`` on, as compose-go does for each, finds the same
    brace: the ones between are balanced."""
    closes: dict[int, int] = {}
    open_at: list[int] = []
    for token in _BRACES.finditer(text):
        if token.group() == "}":
            if open_at:
                closes[open_at.pop()] = token.start()
        else:
            open_at.append(token.start())
    return closes


def interpolate(text: str, env: Mapping[str, str]) -> Interpolated:
    """Substitute variables in ``text`` from ``env``; never raises.

    An expansion longer than ``expansion_limit(text)`` stops there: ``error`` says so and
    ``too_long`` is set.
    """
    template = _Template(text, expansion_limit(text))
    out = Interpolated("", "", template.unresolved)
    try:
        _substitute(template, 0, len(text), env)
    except _Invalid as exc:
        out.error = str(exc)
        out.too_long = isinstance(exc, _TooLong)
    out.value = "".join(template.values)
    out.marked = "".join(template.marks)
    return out


def _substitute(template: _Template, start: int, end: int, env: Mapping[str, str]) -> None:
    """Expand ``template.text[start:end]``."""
    text, i = template.text, start
    while i < end:
        j = text.find("$", i, end)
        if j < 0:
            template.emit(text[i:end])
            return
        if j > i:
            template.emit(text[i:j])
        i = _one(template, j, end, env)


def _one(template: _Template, j: int, end: int, env: Mapping[str, str]) -> int:
    """Handle the ``$`` at ``j``; return the index after the construct."""
    text = template.text
    nxt = text[j + 1] if j + 1 < end else ""
    if nxt == "$":
        # a run of `$$` pairs, each a literal `$`, in one piece
        pairs = (_DOLLARS.match(text, j, end).end() - j) // 2  # type: ignore[union-attr]
        template.emit("$" * pairs)
        return j + 2 * pairs
    named = _NAME.match(text, j + 1, end)
    if named:
        _lookup(named.group(), env, template)
        return named.end()
    if nxt == "{":
        close = template.closing_brace(j, end)
        if close < 0:
            raise _Invalid(f"Unterminated `${{` in `{_excerpt(text, j, end)}`")
        name, op, word = _braced(template, j + 2, close)
        if op is None:
            _lookup(name, env, template)
        else:
            _apply(template, name, op, word, close, env)
        return close + 1
    # a `$` that starts neither a name nor `${` is kept as written (compose v2.40: `$2a$14$…`
    # bcrypt hashes, `a$`, `$-x` load as they are; only a bad `${…}` is an error)
    template.emit("$")
    return j + 1


def _excerpt(text: str, start: int, end: int, width: int = 30) -> str:
    """``text[start:end]`` up to its first line break, cut to ``width`` characters."""
    window = text[start : min(end, start + width + 1)]
    piece = window.splitlines()[0] if window else ""
    return piece if len(piece) <= width else piece[:width] + "…"


def _lookup(name: str, env: Mapping[str, str], template: _Template) -> None:
    if name in env:
        template.emit(env[name])
    else:
        template.unresolved.append(name)
        template.emit("", UNKNOWN)


def _braced(template: _Template, start: int, end: int) -> tuple[str, str | None, int]:
    """The body of ``${…}``, ``text[start:end]``: the name, the operator (None for ``${NAME}``)
    and where the word after the operator starts. Read here, expanded by the caller, so that a
    level of nesting costs three frames of recursion."""
    text = template.text
    named = _NAME.match(text, start, end)
    if not named:
        raise _Invalid(f"Invalid interpolation `${{{_excerpt(text, start, end)}}}`")
    name, rest = named.group(), named.end()
    if rest == end:
        return name, None, end
    op = next((o for o in _OPERATORS if text.startswith(o, rest, end)), None)
    if op is None:
        raise _Invalid(f"Invalid interpolation `${{{_excerpt(text, start, end)}}}`")
    return name, op, rest + len(op)


def _apply(
    template: _Template, name: str, op: str, start: int, end: int, env: Mapping[str, str]
) -> None:
    """``${name<op>word}`` with the word at ``text[start:end]``."""
    if template.depth >= MAX_NESTING:
        raise _Invalid(
            f"Interpolation nested deeper than {MAX_NESTING} levels in "
            f"`{_excerpt(template.text, start, end)}`"
        )
    value = env.get(name)
    is_set = value is not None
    non_empty = bool(value)
    if op in (":-", "-"):
        use_default = not non_empty if op == ":-" else not is_set
        if use_default:
            template.depth += 1
            _substitute(template, start, end, env)  # nested templates in the default too
            template.depth -= 1
        else:
            template.emit(value or "")
    elif op in (":+", "+"):
        use_alt = non_empty if op == ":+" else is_set
        if use_alt:
            template.depth += 1
            _substitute(template, start, end, env)
            template.depth -= 1
    else:  # ":?" / "?": compose stops with an error when missing; for us the value is unknown
        ok = non_empty if op == ":?" else is_set
        if ok:
            template.emit(value or "")
        else:
            template.unresolved.append(name)
            template.emit("", UNKNOWN)


def interpolate_tree(
    node: YNode, env: Mapping[str, str], errors: list[tuple[YScalar, str]]
) -> YNode:
    """``node`` with every scalar *value* interpolated (keys are not, as in compose): the
    collections where something changed are copied, the others kept (nodes are never modified).

    Memoised by node identity so anchors stay shared. Invalid templates are collected in
    ``errors`` (the caller reports DIND002); such a scalar keeps its raw text and is unknown.
    """
    memo: dict[int, YNode] = {}

    def walk(item: YNode) -> YNode:
        key = id(item)
        if key in memo:
            return memo[key]
        if isinstance(item, YScalar):
            return _scalar(item, env, errors)  # (aliases of a scalar cost nothing to redo)
        memo[key] = item  # placeholder: cycles were already cut by the converter
        result: YNode = item  # a collection nothing below changes is kept, not copied
        if isinstance(item, YSeq):
            items = [walk(x) for x in item.items]
            if any(new is not old for new, old in zip(items, item.items, strict=True)):
                result = YSeq(items, item.span, item.mark)
        else:
            entries = {k: (ks, walk(v)) for k, (ks, v) in item.entries.items()}
            if any(entries[k][1] is not v for k, (_, v) in item.entries.items()):
                result = YMap(entries, item.span, item.mark)
        memo[key] = result
        return result

    try:
        return walk(node)
    finally:
        # ``walk`` refers to itself (through its closure), a reference cycle: emptied, its memo
        # does not keep the whole copy alive until the garbage collector comes by
        memo.clear()


def _scalar(item: YScalar, env: Mapping[str, str], errors: list[tuple[YScalar, str]]) -> YScalar:
    if "$" not in item.value or item.is_null:
        return item
    res = interpolate(item.value, env)
    if res.error:
        errors.append((item, res.error))
        return YScalar(
            item.value,
            item.span,
            quoted=item.quoted,
            raw=item.raw,
            unresolved=(item.value,),
            marked=UNKNOWN,
            mark=item.mark,
            tag=item.tag,
        )
    unresolved = tuple(dict.fromkeys(res.unresolved))
    return YScalar(
        res.value,
        item.span,
        quoted=item.quoted,
        raw=item.raw,
        unresolved=unresolved,
        marked=res.marked if unresolved else None,
        mark=item.mark,
        tag=item.tag,
    )
