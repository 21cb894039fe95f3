"""``dindlint check --fix``: the repair a finding states (``findings.Repair``) made into minimal
text edits, each verified by the model before it is kept.

A repair names a place by its span (the file and line that supplied the winning value: an
included or ``extends``-ed file, the Dockerfile's instruction); ``edits`` turns it into edits of
that file's text that keep every other byte: comments, quoting, indentation, flow or block style,
line breaks, a byte-order mark, the final line break. A repair the text does not allow without
guessing (a flow-style mapping, an entry written otherwise than the check expects) gets no edit.

``apply_fixes`` applies them in memory (``Settings.overlay``, read by ``source.read_input``),
analyses again, and keeps an edit only if the finding it targets is gone and no finding of any
rule appears that was not there; otherwise it is dropped, and ``log`` says why. Rounds repeat
until nothing changes (at most ``MAX_ROUNDS``). ``write_files`` writes what was kept: atomically,
mode kept, never a file that changed on disk since it was read.
"""

from __future__ import annotations

import functools
import os
import re
import stat
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, NamedTuple

from dindlint.discover import Discovered
from dindlint.files import is_dockerfile_name
from dindlint.findings import (
    AddGroup,
    AddKey,
    Diagnostic,
    Edit,
    Fix,
    RemoveEntry,
    Repair,
    ReplaceText,
    Several,
)
from dindlint.pipeline import Analysis, analyse
from dindlint.session import Settings
from dindlint.source import Span, read_input

MAX_ROUNDS = 25
BOM = "\ufeff"

# --------------------------------------------------------------------------------------------
# A file's text, and positions in it
# --------------------------------------------------------------------------------------------


class Text(NamedTuple):
    """A file's text as edits count it: decoded as UTF-8 (undecodable bytes kept as they are,
    ``surrogateescape``), without its byte-order mark (``bom``), which spans do not count
    either. ``dockerfile``: lines end at ``\\n`` only (the Dockerfile rule, ``source``)."""

    text: str
    bom: bool
    dockerfile: bool

    @classmethod
    def decode(cls, data: bytes, dockerfile: bool) -> Text:
        text = data.decode("utf-8", errors="surrogateescape")
        return cls(text.removeprefix(BOM), text.startswith(BOM), dockerfile)

    def encode(self, text: str) -> bytes:
        return ((BOM if self.bom else "") + text).encode("utf-8", errors="surrogateescape")

    def lines(self) -> list[tuple[int, int, int]]:
        """Each line as (start, end of its content, end with its line break)."""
        return _line_table(self.text, self.dockerfile)


@functools.lru_cache(maxsize=8)  # asked again and again for the text a fix run is editing
def _line_table(text: str, dockerfile: bool) -> list[tuple[int, int, int]]:
    breaks = re.compile("\n") if dockerfile else re.compile("\r\n|[\r\n]")
    found: list[tuple[int, int, int]] = []
    start = 0
    for match in breaks.finditer(text):
        end = match.start()
        if dockerfile and end > start and text[end - 1] == "\r":
            end -= 1
        found.append((start, end, match.end()))
        start = match.end()
    if start < len(text):
        found.append((start, len(text), len(text)))
    return found


def _position(lines: list[tuple[int, int, int]], offset: int) -> tuple[int, int]:
    """Line and column (from 1) of ``offset``."""
    for number, (start, _, after) in enumerate(lines, 1):
        if offset < after or number == len(lines):
            return number, offset - start + 1
    return 1, offset + 1


def _edit(path: Path, text: Text, start: int, end: int, new: str) -> Edit:
    lines = text.lines()
    line, col = _position(lines, start)
    end_line, end_col = _position(lines, end)
    return Edit(path, start, end, new, line, col, end_line, end_col)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _is_content(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _line_break(text: Text, lines: list[tuple[int, int, int]], index: int) -> str:
    """The line break the file uses after line ``index`` (or its first one)."""
    for start_end in (lines[index], *lines):
        _, end, after = start_end
        if after > end:
            return text.text[end:after]
    return "\n"


# --------------------------------------------------------------------------------------------
# Where a YAML text shares a node: anchors and aliases
# --------------------------------------------------------------------------------------------

Position = tuple[int, int]  # line and column, from 1
Region = tuple[Position, Position]  # from its start to its end (excluded)


class _Outline(NamedTuple):
    """What edits of a YAML text must know of its structure. ``paths``: the key path of each
    scalar by its position (a key's path ends with the key itself); ``shared``: the regions of
    anchored nodes that an alias repeats (an edit there changes every place it stands for);
    ``mappings``: where each mapping (by path) starts; ``merges``: the regions a mapping (by its
    start) takes in through ``<<``."""

    paths: dict[Position, tuple[object, ...]]
    shared: tuple[Region, ...]
    mappings: dict[tuple[object, ...], Position]
    merges: dict[Position, tuple[Region, ...]]

    def is_shared(self, at: Position) -> bool:
        return any(start <= at < end for start, end in self.shared)

    def merged(self, path: tuple[object, ...]) -> list[Region]:
        """The regions the mapping at ``path`` merges, and those they merge in turn."""
        start = self.mappings.get(path)
        todo = list(self.merges.get(start, ())) if start is not None else []
        found: list[Region] = []
        while todo:
            region = todo.pop()
            if region not in found:
                found.append(region)
                todo.extend(self.merges.get(region[0], ()))
        return found


class _Frame:
    __slots__ = ("index", "key", "mapping", "path", "start")

    def __init__(self, path: tuple[object, ...], mapping: bool, start: Position) -> None:
        self.path, self.mapping, self.start = path, mapping, start
        self.key: object = None  # a mapping's key awaiting its value (None: a key is next)
        self.index = 0


@functools.lru_cache(maxsize=8)  # asked for each fix of the text a fix run is editing
def _outline(text: str) -> _Outline | None:
    """The outline of a YAML text; None when it does not parse (then nothing is edited)."""
    from ruamel.yaml.error import YAMLError

    from dindlint.compose.yamlnodes import make_yaml

    paths: dict[Position, tuple[object, ...]] = {}
    mappings: dict[tuple[object, ...], Position] = {}
    merges: dict[Position, list[Region]] = {}
    defined: dict[str, int] = {}  # an anchor → its latest definition (an index of `regions`)
    regions: list[Region] = []
    aliased: set[int] = set()
    stack: list[_Frame] = []
    opened: list[tuple[str | None, Position, bool]] = []  # anchor, start, block, per collection
    _none = object()

    def at(mark: Any) -> Position:
        return mark.line + 1, mark.column + 1

    def place() -> tuple[tuple[object, ...], _Frame | None, bool]:
        """The path of the node that comes now, its parent, and whether it is a key."""
        if not stack:
            return (), None, False
        top = stack[-1]
        if not top.mapping:
            top.index += 1
            return (*top.path, top.index - 1), top, False
        if top.key is None:
            return top.path, top, True
        key, top.key = top.key, None
        return (*top.path, key), top, False

    def define(anchor: str | None, region: Region) -> None:
        if anchor:
            defined[anchor] = len(regions)
            regions.append(region)

    try:
        for event in make_yaml().parse(text):
            kind = type(event).__name__
            if kind in ("ScalarEvent", "AliasEvent", "MappingStartEvent", "SequenceStartEvent"):
                path, parent, is_key = place()
                if is_key:
                    assert parent is not None
                    value = event.value if kind == "ScalarEvent" else _none
                    parent.key = value
                    if kind == "ScalarEvent":
                        paths[at(event.start_mark)] = (*parent.path, value)
                    if kind in ("MappingStartEvent", "SequenceStartEvent"):
                        path = (*parent.path, _none)
                if kind == "ScalarEvent":
                    if not is_key:
                        paths[at(event.start_mark)] = path
                    define(event.anchor, (at(event.start_mark), at(event.end_mark)))
                elif kind == "AliasEvent" and event.anchor in defined:
                    region = regions[defined[event.anchor]]
                    aliased.add(defined[event.anchor])
                    # `<<: *a` or `<<: [*a, *b]`: the mapping takes in what `a` holds
                    if parent is not None and parent.mapping and path[-1:] == ("<<",):
                        merges.setdefault(parent.start, []).append(region)
                    elif parent is not None and parent.path[-1:] == ("<<",) and len(stack) > 1:
                        merges.setdefault(stack[-2].start, []).append(region)
                elif kind != "AliasEvent":
                    start = at(event.start_mark)
                    frame = _Frame(path, kind == "MappingStartEvent", start)
                    if frame.mapping:
                        mappings.setdefault(path, start)
                    stack.append(frame)
                    opened.append((event.anchor, start, event.flow_style is False))
            elif kind in ("MappingEndEvent", "SequenceEndEvent"):
                stack.pop()
                anchor, start, block = opened.pop()
                end = (event.end_mark.line + 1, 1) if block else at(event.end_mark)
                define(anchor, (start, end))
    except (YAMLError, ValueError, RecursionError):
        return None
    shared = tuple(regions[i] for i in sorted(aliased))
    return _Outline(paths, shared, mappings, {k: tuple(v) for k, v in merges.items()})


# --------------------------------------------------------------------------------------------
# Repairs → edits
# --------------------------------------------------------------------------------------------

# a character that continues a word, a path or an option: an `old` text next to one of them is
# part of something longer (`:ro` of `:ro,z`, `usermod -G` of `usermod -Gx`, `xusermod`)
_CONTINUES_BEFORE = re.compile(r"[\w./-]")
_CONTINUES_AFTER = re.compile(r"[\w,:./=-]")


def _replace(repair: ReplaceText, text: Text) -> tuple[int, int, str] | None:
    lines = text.lines()
    if not 1 <= repair.span.line <= len(lines):
        return None
    last = min(max(repair.span.end_line, repair.span.line), len(lines))
    region_start = lines[repair.span.line - 1][0] + max(repair.span.col - 1, 0)
    region_end = lines[last - 1][1]
    at: list[int] = []
    found = text.text.find(repair.old, region_start, region_end)
    while found != -1:
        before = text.text[found - 1 : found] if found > 0 else ""
        after = text.text[found + len(repair.old) : found + len(repair.old) + 1]
        clean_before = not (repair.old[:1].isalnum() and _CONTINUES_BEFORE.match(before))
        clean_after = not (repair.old[-1:].isalnum() and _CONTINUES_AFTER.match(after))
        if clean_before and clean_after:
            at.append(found)
        found = text.text.find(repair.old, found + 1, region_end)
    if repair.anchored:
        at = [found for found in at if found == region_start]
    if len(at) != 1:
        return None  # not written as the check expects, or ambiguous
    return at[0], at[0] + len(repair.old), repair.new


class _Block(NamedTuple):
    """The block mapping of a service: its key's line (index), the key's indentation, its
    children's indentation, and the indexes of its lines (to the last content line)."""

    key_index: int
    key_indent: int
    child_indent: int
    body: tuple[int, ...]


# after a key's colon, what leaves its value in the lines below: nothing, a comment, an anchor
_OPENS_BLOCK = re.compile(r"^:\s*(&[^\s#]+\s*)?(#.*)?$")


def _service_block(text: Text, key_line: int) -> _Block | None:
    lines = text.lines()
    if not 1 <= key_line <= len(lines):
        return None
    index = key_line - 1
    start, end, _ = lines[index]
    line = text.text[start:end]
    key = re.match(r"^( *)(\"[^\"]*\"|'[^']*'|[^\s:#'\"][^:#]*?)\s*(:.*)$", line)
    if key is None or not _OPENS_BLOCK.match(key.group(3)):
        return None  # a flow mapping, a value on the key's line, an alias: not edited
    if _shared_anchor(text, line):
        return None  # what is added here, every alias of it would get
    key_indent = len(key.group(1))
    body: list[int] = []
    child_indent = -1
    for number in range(index + 1, len(lines)):
        start, end, _ = lines[number]
        content = text.text[start:end]
        if "\t" in content[: _indent(content) + 1] and _is_content(content):
            return None  # tabs in indentation: YAML refuses them; not ours to guess
        if not _is_content(content):
            continue
        indent = _indent(content)
        if indent <= key_indent:
            break
        if child_indent < 0:
            child_indent = indent
            if content.lstrip().startswith(("- ", "-\t")) or content.strip() == "-":
                return None  # a sequence, not a mapping
        body.append(number)
    if child_indent < 0:
        return None
    return _Block(index, key_indent, child_indent, tuple(body))


_ANCHOR = re.compile(r"&([^\s#,\[\]{}]+)")


def _shared_anchor(text: Text, line: str) -> bool:
    """Whether ``line`` defines an anchor that the file aliases (``*name``): an edit under it
    would change every place that alias stands for, beyond the finding."""
    return any(
        re.search(rf"\*{re.escape(name)}(?![^\s#,\[\]{{}}])", text.text)
        for name in _ANCHOR.findall(line.split(" #")[0])
    )


def _parent_line(text: Text, lines: list[tuple[int, int, int]], index: int) -> str:
    """The key line a block sequence entry (line ``index``) belongs to."""
    indent = _indent(_text_of(text, lines, index))
    for number in range(index - 1, -1, -1):
        content = _text_of(text, lines, number)
        if _is_content(content) and (
            _indent(content) < indent or not content.lstrip().startswith("-")
        ):
            return content
    return ""


def _has_key(text: Text, block: _Block, key: str) -> bool:
    lines = text.lines()
    pattern = re.compile(rf"^ {{{block.child_indent}}}(?:{re.escape(key)}|\"{key}\"|'{key}')\s*:")
    return any(pattern.match(text.text[lines[i][0] : lines[i][1]]) for i in block.body)


def _insert_key(
    text: Text, service_line: int, key: str, value_lines: Callable[[_Block], list[str]]
) -> tuple[int, int, str] | None:
    """A new key right after the service's key line, at its children's indentation."""
    block = _service_block(text, service_line)
    if block is None or _has_key(text, block, key):
        return None
    lines = text.lines()
    _, end, after = lines[block.key_index]
    eol = _line_break(text, lines, block.key_index)
    added = "".join(line + eol for line in value_lines(block))
    if after == end:  # the key is on the last line, without a line break (no body: never here)
        return None
    return after, after, added


def _sequence_offset(text: Text, block: _Block) -> int | None:
    """How far the service's block sequences sit right of their key (0 or 2 …); None when the
    service has none (the fix then writes a flow list)."""
    lines = text.lines()
    for number, index in enumerate(block.body):
        content = text.text[lines[index][0] : lines[index][1]]
        if _indent(content) != block.child_indent or not content.rstrip().endswith(":"):
            continue
        for following in block.body[number + 1 :]:
            entry = text.text[lines[following][0] : lines[following][1]]
            if entry.lstrip().startswith("- "):
                return _indent(entry) - block.child_indent
            break
    return None


def _quoted(entry: str) -> str:
    return '"' + entry.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _scalar_end(line: str, at: int) -> int | None:
    """Where the flow scalar starting at ``at`` of ``line`` ends (exclusive)."""
    if at >= len(line):
        return None
    quote = line[at]
    if quote == "'":
        index = at + 1
        while index < len(line):
            if line[index] == "'":
                if line[index + 1 : index + 2] == "'":
                    index += 2
                    continue
                return index + 1
            index += 1
        return None
    if quote == '"':
        index = at + 1
        while index < len(line):
            if line[index] == "\\":
                index += 2
                continue
            if line[index] == '"':
                return index + 1
            index += 1
        return None
    match = re.match(r"[^,\]\}#]*", line[at:])
    assert match is not None
    return at + len(match.group().rstrip())


def _add_group(repair: AddGroup, text: Text, path: Path) -> tuple[int, int, str] | None:
    entry = _quoted(repair.entry)
    here = [s for s in repair.existing if os.path.realpath(s.path) == os.path.realpath(path)]
    if repair.existing:
        if not here:
            return None  # (``target`` names the file of the last entry)
        last = max(here, key=lambda s: (s.line, s.col))
        lines = text.lines()
        if not 1 <= last.line <= len(lines):
            return None
        start, end, after = lines[last.line - 1]
        line = text.text[start:end]
        at = last.col - 1
        if re.fullmatch(r" *- +", line[:at]):  # a block sequence: a line after it, alike
            if _scalar_end(line, at) is None or after == end:
                return None
            if _shared_anchor(text, _parent_line(text, lines, last.line - 1)):
                return None  # the list is anchored and aliased: the aliases would get it too
            eol = _line_break(text, lines, last.line - 1)
            return after, after, line[:at] + entry + eol
        if "[" not in line[:at] or _shared_anchor(text, line[:at]):
            return None
        close = _scalar_end(line, at)
        if close is None or not line[close:].lstrip().startswith(("]", ",")):
            return None
        return start + close, start + close, ", " + entry

    def value(block: _Block) -> list[str]:
        indent = " " * block.child_indent
        offset = _sequence_offset(text, block)
        if offset is None:
            return [f"{indent}group_add: [{entry}]"]
        return [f"{indent}group_add:", f"{indent}{' ' * offset}- {entry}"]

    return _insert_key(text, repair.service.line, "group_add", value)


def _remove_entry(repair: RemoveEntry, text: Text) -> tuple[int, int, str] | None:
    """The whole line of a block entry, when the block keeps another entry at its level."""
    lines = text.lines()
    index = repair.span.line - 1
    if not 0 <= index < len(lines):
        return None
    start, end, after = lines[index]
    line = text.text[start:end]
    name = repair.what.split(":")[0]
    entry = re.match(r"^( *)(- +)?[\"']?" + re.escape(name) + r"[\"']?\s*[:=]", line)
    if entry is None or any(line.count(o) != line.count(c) for o, c in ("[]", "{}")):
        return None  # (a flow collection that goes on below)
    indent, dash = len(entry.group(1)), bool(entry.group(2))

    def sibling(number: int) -> bool | None:
        """True: an entry of the same block; False: past the block; None: look further."""
        content = text.text[lines[number][0] : lines[number][1]]
        if not _is_content(content):
            return None
        if _indent(content) == indent and content.lstrip().startswith("-") == dash:
            return True
        return False if _indent(content) <= indent else None

    def has_sibling(numbers: range) -> bool:
        for number in numbers:
            verdict = sibling(number)
            if verdict is not None:
                return verdict
        return False

    following = [i for i in range(index + 1, len(lines)) if _is_content(_text_of(text, lines, i))]
    if following and _indent(_text_of(text, lines, following[0])) > indent:
        return None  # the entry goes on below its line (a value or an item that continues)
    if not (has_sibling(range(index - 1, -1, -1)) or has_sibling(range(index + 1, len(lines)))):
        return None  # the last entry: removing it would leave an empty key
    if after == end:  # the last line, without a break: take the break before it
        return (lines[index - 1][1], end, "") if index > 0 else None
    return start, after, ""


def _text_of(text: Text, lines: list[tuple[int, int, int]], index: int) -> str:
    return text.text[lines[index][0] : lines[index][1]]


def edits(repair: Repair, path: Path, text: Text) -> tuple[Edit, ...] | None:
    """The edits of ``repair`` to ``path`` (whose text is ``text``), or None when the text does
    not allow it as the repair states it."""
    if isinstance(repair, Several):
        made: list[Edit] = []
        for part in repair.parts:
            more = edits(part, path, text) if target(part) == target(repair) else None
            if more is None:
                return None
            made.extend(more)
        if any(a.start < b.end and b.start < a.end for a in made for b in made if a is not b):
            return None  # parts that overlap
        return tuple(made)
    change: tuple[int, int, str] | None
    if isinstance(repair, ReplaceText):
        change = _replace(repair, text)
    elif isinstance(repair, AddGroup):
        change = _add_group(repair, text, path)
    elif isinstance(repair, AddKey):
        key, value = repair.key, repair.value
        change = _insert_key(
            text, repair.service.line, key, lambda b: [f"{' ' * b.child_indent}{key}: {value}"]
        )
    else:
        change = _remove_entry(repair, text)
    if change is None:
        return None
    edit = _edit(path, text, *change)
    if _in_shared_node(repair, path, text, edit):
        return None
    return (edit,)


def _in_shared_node(repair: Repair, path: Path, text: Text, made: Edit) -> bool:
    """Whether ``made`` (or the value ``repair`` names) lies in a node anchored and aliased in
    a YAML file (what the edit changes there, every alias would get); a YAML file that does not
    parse is not edited either."""
    if text.dockerfile:
        return False
    outline = _outline(text.text)
    if outline is None:
        return path.suffix.lower() in (".yml", ".yaml")  # (an env file is no YAML)
    places = [(made.line, made.col)]
    if made.end > made.start:
        places.append(_position(text.lines(), made.end - 1))
    named: tuple[Span, ...] = ()
    if isinstance(repair, ReplaceText | RemoveEntry):
        named = (repair.span,)
    elif isinstance(repair, AddGroup):
        named = repair.existing[-1:]
    real = os.path.realpath(path)
    places.extend((s.line, s.col) for s in named if os.path.realpath(s.path) == real)
    return any(outline.is_shared(at) for at in places)


def target(repair: Repair) -> Path:
    """The file a repair edits: for ``group_add``, the file of its last entry (an ``extends``-ed
    or included file may hold the list), else the service's."""
    if isinstance(repair, Several):
        return target(repair.parts[0])
    if isinstance(repair, AddGroup) and repair.existing:
        return repair.existing[-1].path
    if isinstance(repair, AddGroup | AddKey):
        return repair.service.path
    return repair.span.path


def apply(text: str, changes: Iterable[Edit]) -> str:
    """``text`` with non-overlapping ``changes``, applied from the end."""
    for change in sorted(changes, key=lambda e: (e.start, e.end), reverse=True):
        text = text[: change.start] + change.text + text[change.end :]
    return text


# --------------------------------------------------------------------------------------------
# Applying and verifying
# --------------------------------------------------------------------------------------------


class Files:
    """The texts a fix run edits: read once from disk (within the run's boundary), then their
    contents as edited so far (the overlay the analysis reads)."""

    def __init__(self, dockerfiles: set[str]) -> None:
        self.dockerfiles = dockerfiles
        self.original: dict[str, bytes] = {}
        self.texts: dict[str, Text] = {}
        self.current: dict[str, str] = {}

    def text(self, path: Path) -> Text | None:
        real = os.path.realpath(path)
        if real not in self.texts:
            try:
                data = read_input(Path(real))
            except OSError:
                return None
            self.original[real] = data
            dockerfile = real in self.dockerfiles or is_dockerfile_name(os.path.basename(real))
            self.texts[real] = Text.decode(data, dockerfile)
            self.current[real] = self.texts[real].text
        return self.texts[real]._replace(text=self.current[real])

    def overlay(self, changes: dict[str, str] | None = None) -> dict[str, bytes]:
        contents = {**self.current, **(changes or {})}
        return {
            real: self.texts[real].encode(text)
            for real, text in contents.items()
            if text != self.texts[real].text
        }

    def changed(self) -> dict[str, bytes]:
        """The new bytes of every file the kept fixes changed."""
        return self.overlay()


# --------------------------------------------------------------------------------------------
# Where a repair edits: never a place other services share
# --------------------------------------------------------------------------------------------


def _yaml_outline(path: Path, text: Text) -> _Outline | None:
    return None if text.dockerfile else _outline(text.text)


def _service_path(service: Span, files: Files) -> tuple[object, ...] | None:
    """``("services", NAME)`` for the service whose key is at ``service``, or None."""
    text = files.text(service.path)
    outline = _yaml_outline(service.path, text) if text is not None else None
    if outline is None:
        return None
    path = outline.paths.get((service.line, service.col))
    return path if path is not None and len(path) == 2 and path[0] == "services" else None


_OVERRIDE_FILE = re.compile(r"(docker-)?compose\.override\.ya?ml")


def _overrides(path: Path, compose: Path) -> bool:
    """Whether ``path`` is the override file compose merges into the compose file ``compose``
    (the same service there is that service, not a base others may extend)."""
    real, of = os.path.realpath(path), os.path.realpath(compose)
    name = os.path.basename(real)
    return os.path.dirname(real) == os.path.dirname(of) and bool(_OVERRIDE_FILE.fullmatch(name))


def _own(span: Span, service: Span, files: Files, field: str | None) -> bool:
    """Whether the value at ``span`` is written in the service's own mapping (its ``field``; any
    with None), in the file that defines it (or its override file), outside any anchored node
    that an alias repeats."""
    if os.path.realpath(span.path) != os.path.realpath(service.path) and not _overrides(
        span.path, service.path
    ):
        return False  # an extended service's, or another file's
    text = files.text(span.path)
    outline = _yaml_outline(span.path, text) if text is not None else None
    owner = _service_path(service, files)
    if outline is None or owner is None:
        return False
    at = (span.line, span.col)
    path = outline.paths.get(at)
    if path is None and field is None:
        # a span within a scalar (`- KEY=value`: the value), or from the start of its line
        on_line = sorted(p for p in outline.paths if p[0] == span.line)
        before = [p for p in on_line if p <= at]
        chosen = before[-1] if before else (on_line[0] if on_line else None)
        if chosen is not None:
            at, path = chosen, outline.paths[chosen]
    if path is None or outline.is_shared(at):
        return False
    return path[: len(owner)] == owner if field is None else path[:3] == (*owner, field)


def _local_group_add(repair: AddGroup, files: Files) -> Repair | None:
    """The ``group_add`` of a service whose entries are not its own (a list merged from an
    anchor, an extended service's): a list of the service's own. compose appends an extended
    service's list to the service's, while a key written in the service replaces one it
    merges through ``<<``: the entries merged so are written again, before the new one."""
    text = files.text(repair.service.path)
    owner = _service_path(repair.service, files)
    outline = _yaml_outline(repair.service.path, text) if text is not None else None
    if text is None or owner is None or outline is None:
        return None
    block = _service_block(text, repair.service.line)
    if block is None or _has_key(text, block, "group_add"):
        return None  # a list of its own that does not end the list: not ours to guess
    merged = outline.merged(owner)
    lines = text.lines()
    copied: list[str] = []
    for entry in repair.existing:
        at = (entry.line, entry.col)
        if os.path.realpath(entry.path) != os.path.realpath(repair.service.path):
            continue
        if not any(start <= at < end for start, end in merged):
            continue
        if not 1 <= entry.line <= len(lines):
            return None
        line = _text_of(text, lines, entry.line - 1)
        close = _scalar_end(line, entry.col - 1)
        written = line[entry.col - 1 : close] if close is not None else ""
        if not written or re.search(r"[,\[\]{}#&*]", written.strip("'\"")):
            return None
        copied.append(written)
    if not copied:
        return repair._replace(existing=())
    value = "[" + ", ".join([*copied, _quoted(repair.entry)]) + "]"
    return AddKey("group_add", value, repair.service, repair.safe)


def resolved(repair: Repair, files: Files) -> Repair | None:
    """``repair`` with the place it edits settled, or None when no place is right. A value the
    service takes in from a shared place (a node anchored and aliased, an ``extends``-ed
    service, which other services may extend too) is never edited there: over-privilege is no
    finding, so verification would not catch the other services' change."""
    if isinstance(repair, Several):
        parts = [resolved(part, files) for part in repair.parts]
        if any(part is None or isinstance(part, Several) for part in parts):
            return None
        return repair._replace(parts=tuple(parts))  # type: ignore[arg-type]
    if isinstance(repair, AddKey) and repair.existing is not None:
        if _own(repair.existing, repair.service, files, repair.key):
            return ReplaceText(repair.existing, repair.old, repair.value, repair.safe)
        return repair._replace(existing=None, old="")
    if isinstance(repair, AddGroup) and repair.existing:
        if _own(repair.existing[-1], repair.service, files, "group_add"):
            return repair
        return _local_group_add(repair, files)
    if isinstance(repair, ReplaceText | RemoveEntry) and repair.service is not None:
        # (an entry of an extended service, or of an env file, may be others' too)
        return repair if _own(repair.span, repair.service, files, None) else None
    return repair


def fix_of(diag: Diagnostic, files: Files) -> Fix | None:
    """``diag``'s repair as edits of the files as they are now, or None."""
    if diag.repair is None:
        return None
    repair = resolved(diag.repair, files)
    if repair is None:
        return None
    path = target(repair)
    text = files.text(path)
    if text is None:
        return None
    made = edits(repair, path, text)
    if made is None:
        return None
    return Fix(diag.repair.title, diag.repair.safe, made)


def with_fixes(
    diagnostics: list[Diagnostic],
    files: Files | None = None,
    writable: Callable[[str], bool] | None = None,
) -> list[Diagnostic]:
    """``diagnostics`` with their ``fix`` (edits of the files as they are). With ``writable``
    (whether ``--fix`` may edit a file, by real path), a fix that edits another file is none:
    ``--fix`` would refuse it."""
    files = files or Files(set())

    def fix(diag: Diagnostic) -> Fix | None:
        made = fix_of(diag, files)
        if made is None or writable is None:
            return made
        edited = {os.path.realpath(e.path) for e in made.edits}
        return made if all(writable(real) for real in edited) else None

    return [d._replace(fix=fix(d)) if d.repair is not None else d for d in diagnostics]


def _key(diag: Diagnostic) -> tuple[str, str, str]:
    """A finding as verification compares them: lines move when an edit adds or removes one."""
    return diag.rule_id, os.path.realpath(diag.span.path), diag.message


class Outcome(NamedTuple):
    """What ``apply_fixes`` kept: the final analysis, the findings fixed, the files' new bytes
    (real path → bytes), their bytes as first read, and the findings whose fix was dropped."""

    analysis: Analysis
    fixed: list[Diagnostic]
    changed: dict[str, bytes]
    original: dict[str, bytes]
    refused: frozenset[tuple[str, str, str]] = frozenset()

    def without_dropped(self, diagnostics: list[Diagnostic]) -> list[Diagnostic]:
        """``diagnostics`` without the fixes this run dropped (a report after ``--fix`` marks
        as fixable only what a fix could still change)."""
        return [
            d._replace(repair=None, fix=None) if _key(d) in self.refused else d for d in diagnostics
        ]


def apply_fixes(
    found: Discovered,
    settings: Settings,
    *,
    unsafe: bool,
    select: Callable[[Analysis], list[Diagnostic]],
    writable: Callable[[str], bool],
    jobs: int | None = None,
    keep_models: bool = False,
    log: Callable[[str], None] = lambda _: None,
) -> Outcome:
    """Fix what can be fixed and verified. ``select`` picks the findings of an analysis to fix
    (unsuppressed, in scope; of the rules ``settings`` selects: the analyses that verify run
    every rule); ``writable`` says whether a file (real path) may be edited (inside
    the paths given); only a file the analysis read (``Analysis.files``) ever is."""
    files = Files({os.path.realpath(p) for p in found.dockerfiles})
    # verified with every rule: a fix must bring no finding of a rule the run leaves out
    # (``select``, ``ignore``, ``per-file-ignores``) either; the findings fixed are the run's
    chosen = settings.config
    every = settings._replace(config=chosen._replace(select=None, ignore=(), per_file_ignores={}))

    def run(changes: dict[str, str] | None = None, under: Settings = every) -> Analysis:
        overlay = files.overlay(changes)
        return analyse(found, under._replace(overlay=overlay), jobs, keep_models=keep_models)

    def wanted(diag: Diagnostic) -> bool:
        if not chosen.enabled(diag.rule_id):
            return False
        return not (chosen.per_file_ignores and chosen.ignored_for(diag.span.path, diag.rule_id))

    analysis = run()
    analysed = {os.path.realpath(f) for f in analysis.files}
    fixed: list[Diagnostic] = []
    refused: set[tuple[str, str, str]] = set()
    for _ in range(MAX_ROUNDS):
        shown = [d for d in select(analysis) if d.suppressed is None and wanted(d)]
        before = Counter(_key(d) for d in analysis.diagnostics if d.suppressed is None)
        candidates: list[tuple[Diagnostic, Fix]] = []
        for diag in shown:
            if diag.repair is None or _key(diag) in refused:
                continue
            if not diag.repair.safe and not unsafe:
                continue
            fix = fix_of(diag, files)
            where = f"{diag.rule_id} at {diag.span.path}:{diag.span.line}"
            if fix is None:
                why = "the file is not written as the fix expects"
                if resolved(diag.repair, files) is None:
                    why = "it would edit a value other services may share"
                log(f"fix of {where} dropped: {why}")
                refused.add(_key(diag))
            elif not all(
                real in analysed and writable(real)
                for real in {os.path.realpath(e.path) for e in fix.edits}
            ):
                log(f"fix of {where} dropped: it edits a file outside the paths given")
                refused.add(_key(diag))
            else:
                candidates.append((diag, fix))
        if not candidates:
            break
        batch = _independent(candidates)
        trial = _verify(batch, files, before, run)
        if isinstance(trial, Analysis):
            analysis = trial
            fixed.extend(d for d, _ in batch)
            continue
        # which fail on their own (halving the batch: a few analyses, not one per fix); the
        # others are tried again in the next round
        failing = _failing(batch, files, before, run)
        for diag, reason in failing:
            log(f"fix of {diag.rule_id} at {diag.span.path}:{diag.span.line} dropped: {reason}")
            refused.add(_key(diag))
        if failing:
            continue
        # each is right alone, not all together: one at a time (the next round sees the rest)
        diag, fix = batch[0]
        result = _verify([(diag, fix)], files, before, run)
        if isinstance(result, Analysis):
            analysis = result
            fixed.append(diag)
        else:  # (cannot be: it passed alone above)
            refused.add(_key(diag))
    else:
        log(f"fixes stopped after {MAX_ROUNDS} rounds")
    if every.config != chosen:  # the analysis reported: the run's rules only
        analysis = run(None, settings)
    return Outcome(analysis, fixed, files.changed(), files.original, frozenset(refused))


def _failing(
    batch: list[tuple[Diagnostic, Fix]],
    files: Files,
    before: Counter[tuple[str, str, str]],
    run: Callable[[dict[str, str]], Analysis],
) -> list[tuple[Diagnostic, str]]:
    """The fixes of ``batch`` (which fails as a whole) that fail on their own, with why: a half
    that passes holds none."""
    if len(batch) == 1:
        result = _verify(batch, files, before, run, keep=False)
        return [] if isinstance(result, Analysis) else [(batch[0][0], result)]
    middle = len(batch) // 2
    failing: list[tuple[Diagnostic, str]] = []
    for half in (batch[:middle], batch[middle:]):
        if not isinstance(_verify(half, files, before, run, keep=False), Analysis):
            failing.extend(_failing(half, files, before, run))
    return failing


def _independent(candidates: list[tuple[Diagnostic, Fix]]) -> list[tuple[Diagnostic, Fix]]:
    """The candidates whose edits touch no region another's touches (the first wins); the same
    edits for two findings count once, and both are fixed by them."""
    taken: list[Edit] = []
    chosen: list[tuple[Diagnostic, Fix]] = []
    for diag, fix in candidates:
        if all(edit in taken for edit in fix.edits):
            chosen.append((diag, fix))
            continue
        if any(_overlaps(edit, other) for edit in fix.edits for other in taken):
            continue
        taken.extend(fix.edits)
        chosen.append((diag, fix))
    return chosen


def _overlaps(a: Edit, b: Edit) -> bool:
    if os.path.realpath(a.path) != os.path.realpath(b.path):
        return False
    return a.start <= b.end and b.start <= a.end


def _verify(
    batch: list[tuple[Diagnostic, Fix]],
    files: Files,
    before: Counter[tuple[str, str, str]],
    run: Callable[[dict[str, str]], Analysis],
    keep: bool = True,
) -> Analysis | str:
    """The analysis with ``batch`` applied, if it keeps them (and, with ``keep``, the files'
    contents with them); else why not."""
    by_file: dict[str, set[Edit]] = {}
    for _, fix in batch:
        for edit in fix.edits:
            by_file.setdefault(os.path.realpath(edit.path), set()).add(edit)
    changes = {real: apply(files.current[real], e) for real, e in by_file.items()}
    analysis = run(changes)
    after = Counter(_key(d) for d in analysis.diagnostics if d.suppressed is None)
    targeted = Counter(_key(d) for d, _ in batch)
    for key, count in targeted.items():
        if after[key] > before[key] - count:
            return f"the analysis still reports {key[0]} there"
    wanted = {v for d, _ in batch for v in _variables(d.repair)}
    for key, count in after.items():
        if count > before[key] and not _asks_for(key, wanted):
            return f"the analysis would report {key[0]}: {key[2]}"
    if keep:
        files.current.update(changes)
    return analysis


_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)")


def _variables(repair: Repair | None) -> set[str]:
    """The variables a repair writes (the host's socket GID: ``${DOCKER_GID:?…}``)."""
    if not isinstance(repair, AddGroup):
        return set()
    return set(_VARIABLE.findall(repair.entry))


def _asks_for(key: tuple[str, str, str], variables: set[str]) -> bool:
    """Whether a new finding is DIND003 asking for a variable the fix writes on purpose (the
    value compose requires, set per machine): the finding the fix means to leave."""
    rule, _, message = key
    return rule == "DIND003" and any(f"`{name}`" in message for name in variables)


# --------------------------------------------------------------------------------------------
# Writing, and showing
# --------------------------------------------------------------------------------------------


def unified_diff(
    changed: dict[str, bytes], original: dict[str, bytes], name: Callable[[str], str]
) -> str:
    """The unified diff of every changed file (``name``: how a path is shown)."""
    import difflib  # only for --diff

    out: list[str] = []
    for real in sorted(changed):
        old = original[real].decode("utf-8", errors="replace").splitlines(keepends=True)
        new = changed[real].decode("utf-8", errors="replace").splitlines(keepends=True)
        shown = name(real)
        for line in difflib.unified_diff(old, new, f"a/{shown}", f"b/{shown}"):
            if not line.endswith(("\n", "\r")):
                line += "\n\\ No newline at end of file\n"
            out.append(line)
    return "".join(out)


class NotWritten(NamedTuple):
    path: str
    reason: str


def write_files(changed: dict[str, bytes], original: dict[str, bytes]) -> list[NotWritten]:
    """Write each changed file in place of the original (a temporary file in its folder, then a
    rename; the mode kept), unless it changed on disk since it was read. The paths are real
    paths: a symbolic link is followed to the file it names, never replaced."""
    import tempfile  # only when there is something to write

    failed: list[NotWritten] = []
    for real, data in sorted(changed.items()):
        try:
            with open(real, "rb") as now:
                if now.read() != original[real]:
                    failed.append(NotWritten(real, "it changed on disk during the run"))
                    continue
            mode = stat.S_IMODE(os.stat(real).st_mode)
            folder, name = os.path.split(real)
            fd, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".dindlint", dir=folder)
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
                    out.flush()
                    os.fsync(out.fileno())
                os.chmod(temporary, mode)
                os.replace(temporary, real)
            except BaseException:
                os.unlink(temporary)
                raise
        except OSError as error:
            failed.append(NotWritten(real, error.strerror or str(error)))
    return failed
