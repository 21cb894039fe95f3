"""YAML text → a small located tree (``YMap`` / ``YSeq`` / ``YScalar``), each node with a ``Span``.

We use ruamel.yaml's *composer* (node tree with marks), never its constructor: the constructor
drops positions. Anchors and aliases come out of the composer as the *same* node object, so the
conversion is memoised by ``id()``: an alias bomb stays a small DAG instead of being expanded.
``<<`` merge keys are applied here (explicit keys win; in a list of sources the first wins, as in
YAML 1.1 merge and go-yaml v3). ``!reset`` / ``!override`` tags are kept as ``mark`` for the merge.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from ruamel.yaml import YAML
from ruamel.yaml.composer import ComposerError
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.reader import ReaderError
from ruamel.yaml.resolver import VersionedResolver

from dindlint.source import Problem, Span, read_input, remembered, split_lines, unreadable

MERGE_TAG = "tag:yaml.org,2002:merge"
NULL_TAG = "tag:yaml.org,2002:null"
# ``!reference`` is GitLab CI's (``dindlint.gitlab``); compose gives it no meaning
CUSTOM_MARKS = {"!reset": "reset", "!override": "override", "!reference": "reference"}
# Plain scalars that YAML resolves to null (1.1 and 1.2 core schema agree on these).
NULL_WORDS = {"", "~", "null", "Null", "NULL"}
# Deepest nesting analysed: real compose files nest under 10 levels; deeper input is refused
# (DIND001) before the recursive stages (interpolate, merge, model) could exhaust the stack.
MAX_DEPTH = 200
_TOO_DEEP = f"YAML nested deeper than {MAX_DEPTH} levels: not analysed"
# The longest text given to ruamel's pure-Python parser, which reads what libyaml does not (about
# 100,000 characters a second on the reference machine, ten times slower than libyaml): a
# 4.5 MB compose file with one U+2028 in a comment took 41 s and 517 MB. The largest compose or
# GitLab CI file of a corpus of 34,000 real ones is 55 KB. (Without libyaml, on PyPy, the pure
# parser reads every text: there is no faster one to leave the rest to.)
PURE_PARSER_MAX_CHARS = 256 * 1024


class _TooDeep(Exception):
    pass


@dataclass(eq=False, repr=False, slots=True)
class YScalar:
    """A scalar value. ``raw`` is the text before interpolation; ``marked`` (only when some
    variable was unresolved) is the value with each unresolved variable replaced by ``\\0``."""

    value: str
    span: Span
    is_null: bool = False
    quoted: bool = False
    raw: str = ""
    unresolved: tuple[str, ...] = ()
    marked: str | None = None
    mark: str | None = None  # "reset" / "override"
    tag: str = "str"  # YAML type as resolved: str, int, float, bool, null, or a custom `!tag`


@dataclass(eq=False, repr=False, slots=True)
class YSeq:
    items: list[YNode]
    span: Span
    mark: str | None = None


@dataclass(eq=False, repr=False, slots=True)
class YMap:
    """A mapping; ``entries`` maps the key text to (key span, value node), in file order."""

    entries: dict[str, tuple[Span, YNode]]
    span: Span
    mark: str | None = None

    def get(self, key: str) -> YNode | None:
        entry = self.entries.get(key)
        return entry[1] if entry else None

    def key_span(self, key: str) -> Span:
        entry = self.entries.get(key)
        return entry[0] if entry else self.span


YNode = YScalar | YSeq | YMap


@dataclass(eq=False, repr=False)
class ParsedFile:
    """The documents of one file (compose-go loads each document as a layer, merged in order)."""

    path: Path
    documents: list[YNode] = field(default_factory=list)
    ok: bool = True
    # False when no scalar can hold a `$` (the text has none, nor an escape of one): then
    # interpolation has nothing to do
    holds_dollar: bool = True


def make_yaml(pure: bool = False) -> YAML:
    """A safe composer, on the C parser when ``ruamel.yaml.clib`` is installed (ADR 001).

    ruamel falls back to its pure-Python parser by itself when the C one is missing; the
    ``except`` covers builds where asking for it fails outright."""
    try:
        return YAML(typ="safe", pure=pure)
    except Exception:  # noqa: BLE001 - no C extension here, however it fails  # pragma: no cover
        return YAML(typ="safe", pure=True)


def parser_description() -> str:
    """Which YAML parser ``make_yaml`` gives on this interpreter (shown by ``--debug``)."""
    if "CParser" in getattr(make_yaml().Parser, "__name__", ""):
        return "C (ruamel.yaml.clib)"
    return (
        "pure Python: ruamel.yaml.clib is not installed, so parsing is several times "
        "slower (pip install ruamel.yaml.clib)"
    )


def span_of(path: Path, node: Any) -> Span:
    """ruamel marks count from 0 and the end mark is exclusive; Span counts from 1, inclusive."""
    block = getattr(node, "flow_style", None) is False
    return span_from_marks(path, node.start_mark, node.end_mark, block)


def span_from_marks(path: Path, start: Any, end: Any, block: bool) -> Span:
    """The span from a node's (or an event's) marks; ``block`` for a block collection."""
    line, col = start.line + 1, start.column + 1
    end_line, end_col = end.line + 1, end.column
    if end.line > start.line and (end.column == 0 or block):
        # a block collection ends where the next token starts (next line): its last line is the
        # one before; its last column is not tracked
        end_line, end_col = end.line, 0
    return Span(path, line, col, end_line, end_col)


def read_text(path: Path, problems: list[Problem]) -> str | None:
    """The file's text, or None with a DIND001 when it cannot be read or is not UTF-8."""
    try:
        data = read_input(path)
    except OSError as exc:
        problems.append(unreadable(path, exc))
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problems.append(
            Problem("DIND001", f"File is not valid UTF-8 (byte {exc.start})", Span(path, line))
        )
        return None
    return text.removeprefix("\ufeff")


def parse_text(path: Path, text: str, problems: list[Problem], *, pure: bool = False) -> ParsedFile:
    """Compose every document of ``text``. A syntax error → DIND001, and the file contributes
    nothing (compose refuses the whole file)."""
    result = ParsedFile(path)
    try:
        if pure:
            documents = _compose_pure(path, text, problems)
        else:
            composed = _compose_with_libyaml(path, text)
            if isinstance(composed, _NotRead) and len(text) > PURE_PARSER_MAX_CHARS:
                problems.append(_too_long_for_pure_parser(path, text, composed))
                result.ok = False
                return result
            if composed is None or isinstance(composed, _NotRead):
                # libyaml refused the text (or is not installed): the pure parser reads it as
                # written, and its error, if any, is the one compose (a YAML 1.2 parser) agrees
                # with
                return parse_text(path, text, problems, pure=True)
            documents, found = composed
            problems.extend(found)
    except MarkedYAMLError as exc:
        problems.append(_syntax_problem(path, text, exc))
        result.ok = False
        return result
    except (RecursionError, _TooDeep):
        problems.append(Problem("DIND001", _TOO_DEEP, Span(path, 1)))
        result.ok = False
        return result
    except ReaderError as exc:
        problems.append(_reader_problem(path, text, exc))
        result.ok = False
        return result
    except (YAMLError, ValueError) as exc:
        first = str(exc).strip().splitlines()[:1] or [type(exc).__name__]
        problems.append(Problem("DIND001", f"YAML syntax error: {first[0]}", Span(path, 1)))
        result.ok = False
        return result
    # an empty document (e.g. a trailing `---`) is skipped, as compose-go does
    result.documents = [d for d in documents if not (isinstance(d, YScalar) and d.is_null)]
    result.holds_dollar = "$" in text or _DOLLAR_ESCAPE.search(text) is not None
    return result


# A double-quoted scalar's escapes of `$` (YAML 1.2.2, 5.7: `\x`, `\u`, `\U` and hex digits)
_DOLLAR_ESCAPE = re.compile(r"\\(?:x24|u0024|U00000024)")


def _compose_pure(path: Path, text: str, problems: list[Problem]) -> list[YNode]:
    """The documents of ``text`` from ruamel's pure parser and composer, converted."""
    converter = _Converter(path, problems)
    return [converter.convert(document) for document in _compose_all(text, pure=True)]


class _NotRead(NamedTuple):
    """Why libyaml did not read a text, and the line that made it refuse (0: none)."""

    why: str
    line: int = 0


def _too_long_for_pure_parser(path: Path, text: str, not_read: _NotRead) -> Problem:
    return Problem(
        "DIND001",
        f"File not analysed: libyaml cannot read it ({not_read.why}), and at {len(text):,} "
        f"characters it is over the {PURE_PARSER_MAX_CHARS:,} the pure-Python YAML parser is "
        "given (it reads about 100,000 a second)",
        Span(path, not_read.line or 1),
    )


def _compose_with_libyaml(
    path: Path, text: str
) -> tuple[list[YNode], list[Problem]] | _NotRead | None:
    """The documents of ``text`` read by libyaml (``_EventComposer``) and the problems found in
    them; why libyaml does not read the text; or None without libyaml (``ruamel.yaml.clib``, a
    dependency on CPython only): then the pure parser reads every text.

    libyaml follows YAML 1.1 and refuses a `:` inside a plain scalar of a flow collection
    (`[/a:/b]`), which YAML 1.2 (compose's parser, and the pure parser) accepts; the pure parser
    is about ten times slower, so libyaml reads the text with those colons masked
    (``_mask_plain_colons``), then, if it refuses that, as written (masked first: libyaml may
    refuse an unmasked colon only at the end of a large file, after reading all of it).

    Nor does libyaml get a text holding U+0085, U+2028 or U+2029: YAML 1.1 counts them as line
    breaks (a plain scalar ends there, and every line below is counted one too far), YAML 1.2
    and compose count them as content, as dindlint's positions do (``source.split_lines``)."""
    if _c_parser() is None:
        return None
    line_break = _YAML11_BREAKS.search(text)
    if line_break is not None:
        line = len(split_lines(text[: line_break.start() + 1]))
        what = f"U+{ord(line_break.group()):04X} at line {line}"
        return _NotRead(f"{what} is a line break to libyaml, text to compose", line)
    masked = _mask_plain_colons(text)
    if masked is not None:
        with contextlib.suppress(MarkedYAMLError):
            return _compose_c(masked[0], masked[1], path)
    try:
        return _compose_c(text, None, path)
    except MarkedYAMLError as exc:
        line, _, message = describe_syntax_error(text, exc)
        return _NotRead(f"line {line}: {message}", line)


def _compose_c(
    text: str, placeholder: str | None = None, path: Path = Path("<text>")
) -> tuple[list[YNode], list[Problem]]:
    """The documents of ``text`` from libyaml's events and the problems found in them;
    ``_TooDeep`` when it nests deeper than ``MAX_DEPTH``, ``MarkedYAMLError`` when libyaml (or
    its composer) refuses it. ``placeholder``: the character the text holds in place of `:`."""
    found: list[Problem] = []
    return _EventComposer(path, found, placeholder).compose(text), found


_YAML11_BREAKS = re.compile("[\x85\u2028\u2029]")

# A `:` that YAML 1.2 reads as part of a plain scalar in a flow collection and libyaml refuses:
# inside a token (not after a blank, a flow indicator or a quote) and followed by a character a
# plain scalar may go on with (not a blank, not a flow indicator, not another `:`, where
# `a:: ` ends a key with a `:` of its own). Masking one changes no structure: libyaml either
# reads the same scalar, or refuses the text as before.
_PLAIN_COLON = re.compile(r"(?<=[^\s,\[\]{}\"']):(?=[^\s,\[\]{}:])")


def _mask_plain_colons(text: str) -> tuple[str, str] | None:
    """``text`` with each ``_PLAIN_COLON`` replaced by a private-use character the text does not
    hold (same length: every mark stays where it was), and that character; None when there is
    nothing to mask, or when the text holds a tab."""
    if "\t" in text or not _PLAIN_COLON.search(text):
        return None  # a tab: ruamel's pure parser ends a flow plain scalar there, libyaml not
    placeholder = next((chr(c) for c in range(0xE000, 0xF900) if chr(c) not in text), None)
    if placeholder is None:
        return None
    return _PLAIN_COLON.sub(placeholder, text), placeholder


def _compose_all(text: str, pure: bool) -> list[Any]:
    """The node trees of every document of ``text``, as ``make_yaml(pure).compose_all`` gives."""
    return list(make_yaml(pure).compose_all(text))


@functools.cache
def _c_parser() -> type | None:
    """libyaml's event parser (``ruamel.yaml.clib``), or None without it: then every text is
    read by the pure parser."""
    parser = make_yaml().Parser
    return parser if "CParser" in getattr(parser, "__name__", "") else None


_BEGINS_AT_CONTEXT = frozenset(
    {
        "while scanning a simple key",
        "while parsing a flow sequence",
        "while parsing a flow mapping",
        "while scanning a quoted scalar",
    }
)


def _reader_problem(path: Path, text: str, exc: ReaderError) -> Problem:
    """A character YAML does not accept (a control character): one line, at that character
    (the reader's own position counts from a buffer, not from the file)."""
    character = exc.character
    if isinstance(character, int):
        where = text.find(chr(character))
        shown = f"U+{character:04X}"
    else:
        where = -1
        shown = repr(character)
    if where < 0:
        where = min(max(int(exc.position or 0), 0), len(text))
    line = text.count("\n", 0, where) + 1
    col = where - (text.rfind("\n", 0, where) + 1) + 1
    reason = exc.reason or "not allowed"
    return Problem(
        "DIND001",
        f"YAML syntax error: unacceptable character {shown}: {reason}",
        Span(path, line, col),
    )


def _syntax_problem(path: Path, text: str, exc: MarkedYAMLError) -> Problem:
    line, col, message = describe_syntax_error(text, exc)
    return Problem("DIND001", f"YAML syntax error: {message}", Span(path, line, col))


def describe_syntax_error(text: str, exc: MarkedYAMLError) -> tuple[int, int, str]:
    """Line, column and message of a YAML error: at the parser's problem mark, kept inside the
    file, with the parser's context ("while scanning a simple key at line 7") so the user sees
    where the construct began."""
    mark = exc.problem_mark or exc.context_mark
    if exc.context in _BEGINS_AT_CONTEXT and exc.context_mark is not None:
        # a key missing its `:`, an unclosed `[`/`{`/quote: fix it where the construct began
        mark = exc.context_mark
    last_line = max(text.count("\n") + (0 if text.endswith("\n") else 1), 1)
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    if line > last_line:
        line, col = last_line, 1
    what = exc.problem or str(exc).splitlines()[0]
    context = ""
    if exc.context and exc.context_mark is not None:
        context = (
            f" ({exc.context} at line {exc.context_mark.line + 1}, column "
            f"{exc.context_mark.column + 1})"
        )
    return line, col, f"{what}{context}"


def top_level_mapping(text: str, key: str) -> bool:
    """Whether ``text`` is YAML with a document whose top level is a mapping where (the first)
    ``key`` holds a mapping.

    From the parser's events, without composing the documents (a file passed by name was
    composed twice: once to learn that it is a compose file). libyaml reads the text as
    ``_compose_with_libyaml`` gives it, and the pure parser what libyaml does not, up to
    ``PURE_PARSER_MAX_CHARS`` (longer, the answer is False: ``parse_text`` says why it is not
    read). Raises what the parser raises on a syntax error."""
    if _c_parser() is not None:
        if not _YAML11_BREAKS.search(text):
            masked = _mask_plain_colons(text)
            for candidate in (masked[0], text) if masked is not None else (text,):
                with contextlib.suppress(MarkedYAMLError):
                    return _holds_mapping(make_yaml().parse(candidate), key)
        if len(text) > PURE_PARSER_MAX_CHARS:
            return False
    return _holds_mapping(make_yaml(pure=True).parse(text), key)


def _holds_mapping(events: Iterable[Any], key: str) -> bool:
    """``top_level_mapping`` on a stream's events."""
    # each anchor of the document: whether it names a mapping, and the text of a scalar
    anchored: dict[str, tuple[bool, str | None]] = {}
    found = False
    depth = 0
    entries = 0  # the keys and values read so far in the document's top-level mapping
    read = False  # whether the document's top-level mapping had the key
    wanted = False  # the next event is the key's value
    for event in events:
        kind = event.__class__
        anchor = getattr(event, "anchor", None)
        named = anchored.get(event.anchor, (False, None)) if kind is AliasEvent else None
        if wanted:
            wanted = False
            found = found or (named[0] if named is not None else kind is MappingStartEvent)
        if kind is MappingStartEvent or kind is SequenceStartEvent:
            if depth == 0:
                read = kind is SequenceStartEvent  # a sequence has no key to read
            if anchor is not None:
                anchored[anchor] = (kind is MappingStartEvent, None)
            depth += 1
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            depth -= 1
            entries += depth == 1
        elif kind is ScalarEvent or kind is AliasEvent:
            text = event.value if named is None else named[1]
            if anchor is not None and named is None:
                anchored[anchor] = (False, text)
            if depth == 1:
                if not read and not entries % 2 and text == key:
                    read = wanted = True
                entries += 1
        elif kind is DocumentStartEvent:
            anchored, entries, read = {}, 0, False
    return found


def parse_file(path: Path, problems: list[Problem]) -> ParsedFile:
    """Read and compose ``path``; never raises. Within ``reading_once()`` a file that several
    projects read is parsed at most twice per run (``remembered``; the trees are never modified
    afterwards: interpolation and merging copy)."""

    def parse() -> tuple[ParsedFile, list[Problem]]:
        found: list[Problem] = []
        return _parse_file(path, found), found

    parsed, found = remembered(("yaml", str(path)), parse)
    problems.extend(found)
    return parsed


def _parse_file(path: Path, problems: list[Problem]) -> ParsedFile:
    text = read_text(path, problems)
    if text is None:
        return ParsedFile(path, ok=False)
    return parse_text(path, text, problems)


@functools.lru_cache(maxsize=4096)  # a masked value is usually one of a few, written many times
def _implicit_tag(plain: str) -> str:
    """The tag YAML 1.2 (ruamel's resolver, as the composers use it) gives a plain scalar."""
    return str(_resolver().resolve(ScalarNode, plain, (True, False)))


@functools.lru_cache(maxsize=4096)
def _plain_scalar(plain: str) -> tuple[str, str, bool]:
    """An untagged plain scalar's tag, its short form (``_short_tag``) and whether it is null."""
    tag = _implicit_tag(plain)
    return tag, _short_tag(tag), tag == NULL_TAG


@functools.cache
def _resolver() -> VersionedResolver:
    """ruamel's resolver with its table of implicit types made once (libyaml's `%YAML`
    directives never reach it: the version is always the default one): its
    own ``versioned_resolver`` looks for the version being parsed (through two caught
    AttributeErrors) at every call, most of the cost of a flow file of masked colons."""
    table = VersionedResolver().versioned_resolver

    class Resolver(VersionedResolver):
        @property
        def versioned_resolver(self) -> Any:
            return table

    return Resolver()


class _Key(NamedTuple):
    """What a mapping reads of one of its keys (any node may be a key; only scalars are kept)."""

    scalar: bool
    tag: str
    value: str
    style: str | None
    span: Span


V = TypeVar("V")


class _Builder:
    """Makes Y* nodes from what a composer reads; shared by the event composer (libyaml) and the
    converter of ruamel's node trees (the pure parser)."""

    def __init__(self, path: Path, problems: list[Problem], placeholder: str | None) -> None:
        self.path = path
        self.problems = problems
        # the character libyaml read in place of `:` (``_mask_plain_colons``), or None
        self.placeholder = placeholder

    def tag(self, tag: str | None) -> str:
        tag = "" if tag is None else str(tag)
        return tag.replace(self.placeholder, ":") if self.placeholder is not None else tag

    def scalar(self, value: str, style: str | None, tag: str, span: Span) -> YScalar:
        mark = CUSTOM_MARKS.get(tag)
        if self.placeholder is not None and self.placeholder in value:
            masked, value = value, value.replace(self.placeholder, ":")
            if not style and tag == _implicit_tag(masked):  # resolved from the masked text
                tag = _implicit_tag(value)
        quoted = bool(style) and style in ("'", '"')
        plain = not style
        is_null = tag == NULL_TAG or (plain and value in NULL_WORDS and not tag.startswith("tag:"))
        short = _short_tag(tag)
        if mark is not None:
            short = "null" if is_null else "str"  # `!reset` / `!override` hide the type
        return YScalar(value, span, is_null=is_null, quoted=quoted, raw=value, mark=mark, tag=short)

    def mapping(
        self,
        pairs: Iterable[tuple[_Key, V]],
        value_of: Callable[[V], YNode],
        span: Span,
        mark: str | None,
    ) -> YMap:
        """The mapping of ``pairs`` (each value made by ``value_of`` when its key is kept)."""
        explicit: dict[str, tuple[Span, YNode]] = {}
        merged: dict[str, tuple[Span, YNode]] = {}
        for key, value in pairs:
            if key.tag == MERGE_TAG or (key.scalar and key.value == "<<" and not key.style):
                self._merge_sources(value_of(value), merged)
                continue
            if not key.scalar:
                self.problems.append(Problem("DIND002", "Mapping key is not a scalar", key.span))
                continue
            text = key.value
            if self.placeholder is not None:
                text = text.replace(self.placeholder, ":")
            if text in explicit:
                first = explicit[text][0]
                self.problems.append(
                    Problem(
                        "DIND001",
                        f"Duplicate key `{text}` (first defined at line {first.line})",
                        key.span,
                    )
                )
            explicit[text] = (key.span, value_of(value))
        entries = {k: v for k, v in merged.items() if k not in explicit}
        entries.update(explicit)
        return YMap(entries, span, mark)

    def _merge_sources(self, source: YNode, merged: dict[str, tuple[Span, YNode]]) -> None:
        """``<<: *a`` or ``<<: [*a, *b]``: keys not yet present are taken (first source wins)."""
        sources = source.items if isinstance(source, YSeq) else [source]
        for item in sources:
            if not isinstance(item, YMap):
                self.problems.append(
                    Problem("DIND002", "Merge key `<<` needs a mapping", item.span)
                )
                continue
            for key, entry in item.entries.items():
                merged.setdefault(key, entry)


class _Converter(_Builder):
    """ruamel node → Y* node, memoised by node identity (aliases share one converted node); the
    pure parser's trees."""

    def __init__(self, path: Path, problems: list[Problem], placeholder: str | None = None) -> None:
        super().__init__(path, problems, placeholder)
        self.memo: dict[int, YNode] = {}
        self.active: set[int] = set()
        self.depth = 0

    def convert(self, node: Any) -> YNode:
        if type(node).__name__ == "ScalarNode":
            # no alias of a scalar can blow up, nor recurse: converted again, never memoised
            return self._convert(node)
        key = id(node)
        if key in self.memo:
            return self.memo[key]
        if key in self.active:
            # `&a [*a]`: a recursive alias; compose-go's decoder would loop, we cut it
            span = span_of(self.path, node)
            self.problems.append(Problem("DIND002", "Recursive alias", span))
            return YScalar("", span, is_null=True)
        if self.depth >= MAX_DEPTH:
            raise _TooDeep
        self.active.add(key)
        self.depth += 1
        try:
            result = self._convert(node)
        finally:
            self.active.discard(key)
            self.depth -= 1
        self.memo[key] = result
        return result

    def _convert(self, node: Any) -> YNode:
        tag = self.tag(node.tag)
        span = span_of(self.path, node)
        kind = type(node).__name__
        if kind == "SequenceNode":
            return YSeq([self.convert(item) for item in node.value], span, CUSTOM_MARKS.get(tag))
        if kind == "MappingNode":
            pairs = ((self._key(k), v) for k, v in node.value)
            return self.mapping(pairs, self.convert, span, CUSTOM_MARKS.get(tag))
        return self.scalar(str(node.value), getattr(node, "style", None), tag, span)

    def _key(self, node: Any) -> _Key:
        scalar = type(node).__name__ == "ScalarNode"
        return _Key(
            scalar,
            str(node.tag),
            str(node.value) if scalar else "",
            getattr(node, "style", None),
            span_of(self.path, node),
        )


class _Open(NamedTuple):
    """A collection the event composer is inside: its start event, anchor and what it holds so
    far (items; for a mapping, key and value alternately)."""

    start: Any
    anchor: str | None
    items: list[tuple[YNode, _Key | None]]  # the ``_Key`` of the items that are keys
    # placeholders made for aliases of this collection inside itself (recursive aliases)
    recursive: list[YScalar]
    mapping: bool
    problems_at: int  # how many problems were found before it began
    # for each item, how many problems were found before it began
    item_problems_at: list[int]


class _EventComposer(_Builder):
    """libyaml's events → Y* nodes, as ruamel's composer and ``_Converter`` would make them,
    without the composer's node tree and without recursion: the depth is counted as the events
    open collections (``MAX_DEPTH``), so no nesting reaches the C stack. What libyaml's composer
    refuses (an undefined alias, a duplicate anchor in a document) is refused here too.

    (libyaml's composer built its tree first, with two mark objects per node: freed as the tree
    was converted, that memory stayed with the interpreter's small-object pools, and the large
    tables made afterwards took more: a 4.7 MB file included by forty projects peaked 70 MB
    higher.)"""

    def compose(self, text: str) -> list[YNode]:
        parser = _c_parser()(text)  # type: ignore[misc]  # (None: _compose_with_libyaml)
        try:
            return self._documents(parser)
        finally:
            parser.dispose()

    def _documents(self, parser: Any) -> list[YNode]:
        documents: list[YNode] = []
        anchors: dict[str, tuple[YNode, _Key | None] | _Open] = {}
        stack: list[_Open] = []
        get_event = parser.get_event
        path, placeholder = self.path, self.placeholder
        item: tuple[YNode, _Key | None]
        while True:
            event = get_event()
            kind = event.__class__
            if kind is ScalarEvent:
                value, tag, style, anchor = event.value, event.tag, event.style, event.anchor
                # (span_from_marks, inlined: a scalar is no block collection, and its end mark
                # never precedes its start, so Span's own rule has nothing to raise)
                start, end = event.start_mark, event.end_mark
                line = start.line + 1
                span = new_tuple(
                    Span,
                    (path, line, start.column + 1, end.line, 0)
                    if end.line > start.line and end.column == 0
                    else (path, line, start.column + 1, end.line + 1, end.column),
                )
                node: YNode
                if tag is None:
                    # (``scalar``, inlined for the untagged scalars of most files: no mark; a
                    # plain one typed by its text, its colons unmasked, any other a string)
                    if placeholder is not None and placeholder in value:
                        value = value.replace(placeholder, ":")
                    if style:
                        tag = _STR_TAG
                        quoted = style == "'" or style == '"'
                        node = YScalar(value, span, False, quoted, value)
                    else:
                        tag, short, is_null = _plain_scalar(value)
                        node = YScalar(value, span, is_null, False, value, (), None, None, short)
                else:
                    if tag == "!":
                        # as the resolver: a plain scalar by its text, any other a string
                        tag = _implicit_tag(value) if event.implicit[0] else _STR_TAG
                    elif placeholder is not None:
                        tag = tag.replace(placeholder, ":")
                    node = self.scalar(value, style, tag, span)
                # what a mapping reads of a key: made for keys (and anchors, which may be one)
                key = None
                if anchor is not None:
                    key = new_tuple(_Key, (True, tag, value, style, span))
                    item = (node, key)
                    self._anchor(anchors, event, item)
                else:
                    if stack:
                        top = stack[-1]
                        if top.mapping and not len(top.items) % 2:
                            key = new_tuple(_Key, (True, tag, value, style, span))
                    item = (node, key)
            elif kind is AliasEvent:
                target = anchors.get(event.anchor)
                if target is None:
                    raise ComposerError(
                        None, None, f"found undefined alias {event.anchor!r}", event.start_mark
                    )
                if isinstance(target, _Open):  # `&a [*a]`: compose-go's decoder would loop
                    # cut, as ``_Converter`` cuts it; its span is the collection's, once closed
                    span = span_from_marks(path, event.start_mark, event.end_mark, False)
                    cut = YScalar("", span, is_null=True)
                    target.recursive.append(cut)
                    item = (cut, _Key(False, "", "", None, span))
                else:
                    item = target
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                if len(stack) >= MAX_DEPTH:
                    raise _TooDeep
                opened = _Open(
                    event, event.anchor, [], [], kind is MappingStartEvent, len(self.problems), []
                )
                stack.append(opened)
                if event.anchor is not None:
                    self._anchor(anchors, event, opened)
                continue
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                opened = stack.pop()
                item = self._close(opened, event)
                if opened.anchor is not None:
                    anchors[opened.anchor] = item  # (complete now: no longer a recursive alias)
                if stack:
                    stack[-1].items.append(item)
                    stack[-1].item_problems_at.append(opened.problems_at)
                else:
                    documents.append(item[0])
                continue
            elif kind is DocumentStartEvent:
                anchors = {}
                continue
            elif kind is StreamEndEvent:
                return documents
            else:  # stream start, document end
                continue
            if stack:
                stack[-1].items.append(item)
                stack[-1].item_problems_at.append(len(self.problems))
            else:
                documents.append(item[0])

    def _close(self, opened: _Open, end: Any) -> tuple[YNode, _Key | None]:
        start = opened.start
        tag = start.tag
        if tag is None or tag == "!":
            tag = _MAP_TAG if opened.mapping else _SEQ_TAG
        tag = self.tag(tag)
        span = span_from_marks(self.path, start.start_mark, end.end_mark, start.flow_style is False)
        mark = CUSTOM_MARKS.get(tag)
        node: YNode | None
        if opened.mapping:
            node = self._plain_mapping(opened.items, span, mark)
            if node is None:
                keys = [_key_of(item, key) for item, key in opened.items[0::2]]
                values = [value for value, _ in opened.items[1::2]]
                self._forget_unread(opened, keys)
                node = self.mapping(zip(keys, values, strict=True), _itself, span, mark)
        else:
            node = YSeq([item for item, _ in opened.items], span, mark)
        for placeholder in opened.recursive:
            placeholder.span = span
            self.problems.append(Problem("DIND002", "Recursive alias", span))
        return node, (_Key(False, tag, "", None, span) if opened.anchor is not None else None)

    def _plain_mapping(
        self, items: list[tuple[YNode, _Key | None]], span: Span, mark: str | None
    ) -> YMap | None:
        """The mapping of ``items`` when each key is a distinct scalar, neither a merge key nor
        holding a masked colon (most mappings: ``mapping`` would find nothing to say of them);
        None for any other, which ``mapping`` makes."""
        entries: dict[str, tuple[Span, YNode]] = {}
        placeholder = self.placeholder
        for (_, key), (value, _) in zip(items[0::2], items[1::2], strict=True):
            if (
                key is None
                or not key.scalar
                or key.tag == MERGE_TAG
                or (key.value == "<<" and not key.style)
                or key.value in entries
                or (placeholder is not None and placeholder in key.value)
            ):
                return None
            entries[key.value] = (key.span, value)
        return YMap(entries, span, mark)

    def _forget_unread(self, opened: _Open, keys: list[_Key]) -> None:
        """Drop the problems found inside what a mapping never reads: a key that is not a
        scalar, and its value unless it is a merge key's (``_Converter`` never converts them)."""
        bounds = [*opened.item_problems_at, len(self.problems)]
        unread: list[tuple[int, int]] = []
        for index, key in enumerate(keys):
            if key.scalar:
                continue
            merge = key.tag == MERGE_TAG
            unread.append((bounds[2 * index], bounds[2 * index + (1 if merge else 2)]))
        for start, end in reversed(unread):
            del self.problems[start:end]

    @staticmethod
    def _anchor(
        anchors: dict[str, tuple[YNode, _Key | None] | _Open],
        event: Any,
        item: tuple[YNode, _Key | None] | _Open,
    ) -> None:
        if event.anchor is None:
            return
        if event.anchor in anchors:  # as libyaml's composer: one anchor name per document
            raise ComposerError(
                f"found duplicate anchor {event.anchor!r}",
                None,
                "second occurrence",
                event.start_mark,
            )
        anchors[event.anchor] = item


def _itself(node: YNode) -> YNode:
    return node


def _key_of(node: YNode, key: _Key | None) -> _Key:
    """A key's ``_Key``; for a collection that is not anchored, made from its node here."""
    return key if key is not None else _Key(False, "", "", None, node.span)


@functools.lru_cache(maxsize=256)
def _short_tag(tag: str) -> str:
    """``int`` for ``tag:yaml.org,2002:int``; any other tag as written."""
    return tag.rsplit(":", 1)[-1] if tag.startswith("tag:yaml.org,2002:") else tag


_STR_TAG = "tag:yaml.org,2002:str"
new_tuple = tuple.__new__
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"
