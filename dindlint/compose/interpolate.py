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
from dataclasses import dataclass

from dindlint.compose.yamlnodes import YMap, YNode, YScalar, YSeq

UNKNOWN = "\0"
_NAME = re.compile(r"[_A-Za-z][_A-Za-z0-9]*")
_OPERATORS = (":-", ":?", ":+", "-", "?", "+")


@dataclass(eq=False, repr=False)
class Interpolated:
    value: str
    marked: str
    unresolved: list[str]
    error: str | None = None


class _Invalid(Exception):
    pass


def interpolate(text: str, env: Mapping[str, str]) -> Interpolated:
    """Substitute variables in ``text`` from ``env``; never raises."""
    out = Interpolated("", "", [])
    try:
        _substitute(text, env, out)
    except _Invalid as exc:
        out.error = str(exc)
    return out


def _substitute(text: str, env: Mapping[str, str], out: Interpolated) -> None:
    i, n = 0, len(text)
    while i < n:
        j = text.find("$", i)
        if j < 0:
            _emit(out, text[i:])
            return
        _emit(out, text[i:j])
        i = _one(text, j, env, out)


def _emit(out: Interpolated, text: str, marked: str | None = None) -> None:
    out.value += text
    out.marked += text if marked is None else marked


def _one(text: str, j: int, env: Mapping[str, str], out: Interpolated) -> int:
    """Handle the ``$`` at ``j``; return the index after the construct."""
    nxt = text[j + 1 : j + 2]
    if nxt == "$":
        _emit(out, "$")
        return j + 2
    named = _NAME.match(text, j + 1)
    if named:
        _lookup(named.group(), env, out)
        return named.end()
    if nxt == "{":
        close = _closing_brace(text, j)
        if close < 0:
            raise _Invalid(f"Unterminated `${{` in `{_excerpt(text, j)}`")
        _braced(text[j + 2 : close], env, out, text)
        return close + 1
    # a `$` that starts neither a name nor `${` is kept as written (compose v2.40: `$2a$14$…`
    # bcrypt hashes, `a$`, `$-x` load as they are; only a bad `${…}` is an error)
    _emit(out, "$")
    return j + 1


def _excerpt(text: str, start: int, width: int = 30) -> str:
    """The template text from ``start`` on one line, cut to ``width`` characters."""
    piece = text[start:].splitlines()[0] if text[start:] else ""
    return piece if len(piece) <= width else piece[:width] + "…"


def _closing_brace(text: str, start: int) -> int:
    """Index of the ``}`` closing the ``${`` at ``start``, counting nested ``${`` (compose-go)."""
    depth, i = 0, start
    while i < len(text):
        if text.startswith("${", i):
            depth += 1
            i += 2
            continue
        if text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def _lookup(name: str, env: Mapping[str, str], out: Interpolated) -> None:
    if name in env:
        _emit(out, env[name])
    else:
        out.unresolved.append(name)
        _emit(out, "", UNKNOWN)


def _braced(body: str, env: Mapping[str, str], out: Interpolated, text: str) -> None:
    named = _NAME.match(body)
    if not named:
        raise _Invalid(f"Invalid interpolation `${{{_excerpt(body, 0)}}}`")
    name, rest = named.group(), body[named.end():]
    if not rest:
        _lookup(name, env, out)
        return
    op = next((o for o in _OPERATORS if rest.startswith(o)), None)
    if op is None:
        raise _Invalid(f"Invalid interpolation `${{{_excerpt(body, 0)}}}`")
    _apply(name, op, rest[len(op):], env, out)


def _apply(name: str, op: str, arg: str, env: Mapping[str, str], out: Interpolated) -> None:
    value = env.get(name)
    is_set = value is not None
    non_empty = bool(value)
    if op in (":-", "-"):
        use_default = not non_empty if op == ":-" else not is_set
        if use_default:
            _substitute(arg, env, out)  # nested templates in the default are resolved too
        else:
            _emit(out, value or "")
    elif op in (":+", "+"):
        use_alt = non_empty if op == ":+" else is_set
        if use_alt:
            _substitute(arg, env, out)
    else:  # ":?" / "?": compose stops with an error when missing; for us the value is unknown
        ok = non_empty if op == ":?" else is_set
        if ok:
            _emit(out, value or "")
        else:
            out.unresolved.append(name)
            _emit(out, "", UNKNOWN)


def interpolate_tree(node: YNode, env: Mapping[str, str],
                     errors: list[tuple[YScalar, str]]) -> YNode:
    """A copy of ``node`` with every scalar *value* interpolated (keys are not, as in compose).

    Memoised by node identity so anchors stay shared. Invalid templates are collected in
    ``errors`` (the caller reports DIND002); such a scalar keeps its raw text and is unknown.
    """
    memo: dict[int, YNode] = {}

    def walk(item: YNode) -> YNode:
        key = id(item)
        if key in memo:
            return memo[key]
        memo[key] = item  # placeholder: cycles were already cut by the converter
        if isinstance(item, YScalar):
            result: YNode = _scalar(item, env, errors)
        elif isinstance(item, YSeq):
            result = YSeq([walk(x) for x in item.items], item.span, item.mark)
        else:
            result = YMap({k: (ks, walk(v)) for k, (ks, v) in item.entries.items()},
                          item.span, item.mark)
        memo[key] = result
        return result

    try:
        return walk(node)
    finally:
        # ``walk`` refers to itself (through its closure), a reference cycle: emptied, its memo
        # does not keep the whole copy alive until the garbage collector comes by
        memo.clear()


def _scalar(item: YScalar, env: Mapping[str, str],
            errors: list[tuple[YScalar, str]]) -> YScalar:
    if "$" not in item.value or item.is_null:
        return item
    res = interpolate(item.value, env)
    if res.error:
        errors.append((item, res.error))
        return YScalar(item.value, item.span, quoted=item.quoted, raw=item.raw,
                       unresolved=(item.value,), marked=UNKNOWN, mark=item.mark, tag=item.tag)
    unresolved = tuple(dict.fromkeys(res.unresolved))
    return YScalar(res.value, item.span, quoted=item.quoted, raw=item.raw,
                   unresolved=unresolved, marked=res.marked if unresolved else None,
                   mark=item.mark, tag=item.tag)
