"""Fingerprints: a finding's identity that survives unrelated edits (docs/adr/005).

The rule id, the file (relative to the repository root), the finding's context (the chain of YAML
keys above it, such as ``services/manager/volumes``, or the Dockerfile stage's ``FROM`` line) and
the normalised offending line (comments, quotes and white space removed) — never the line number.
Identical findings in one context are told apart by their order. The baseline records them, and
SARIF's ``partialFingerprints`` carry the same keys.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from pathlib import Path

from dindlint.files import is_dockerfile_name
from dindlint.findings import Diagnostic
from dindlint.source import file_lines

# A YAML key line: `key:` or `- key:` followed by a blank or the end. The key runs to the first
# `:` (a `#` first: no key), its trailing blanks cut after the match: a lazy key followed by
# `\s*:` retried every run of blanks at every position (quadratic on a line of blanks).
_KEY = re.compile(r"\s*(?:-\s+)?([^\s#:][^:#]*):(?:\s|$)")


def _normalise(line: str, dockerfile: bool) -> str:
    """The offending text without what reformatting changes."""
    text = line if dockerfile else re.sub(r"(^|\s)#.*$", "", line)
    text = text.replace('"', "").replace("'", "")
    return " ".join(text.replace(" - ", " ").strip().lstrip("- ").split())


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _yaml_contexts(lines: list[str], wanted: set[int]) -> dict[int, str]:
    """The context of each line index in ``wanted``: the keys above it by decreasing indentation
    (``services/manager/volumes``), each the nearest key line above the previous one that is
    indented less, starting from the line's own indentation.

    One pass down the file: ``open_keys`` holds the key lines that can still be part of a
    context, by strictly increasing indentation (a key line closes every earlier one indented as
    much or more, which no later line can reach past it); a line's context is then the keys of
    ``open_keys`` indented less than the line. Scanning upward from each finding instead cost the
    whole file per finding (quadratic on a file of thousands of findings)."""
    contexts: dict[int, str] = {}
    indents: list[int] = []
    keys: list[str] = []
    for index, line in enumerate(lines):
        if index in wanted:
            shown = bisect_left(indents, _indent(line))
            contexts[index] = "/".join(keys[:shown])
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _KEY.match(line)
        if match is None:
            continue
        indent = _indent(line)
        kept = bisect_left(indents, indent)
        del indents[kept:], keys[kept:]
        indents.append(indent)
        keys.append(match.group(1).rstrip().strip("\"'"))
    return contexts


def _dockerfile_contexts(lines: list[str], wanted: set[int]) -> dict[int, str]:
    """The context of each line index in ``wanted``: the ``FROM`` line of its stage (the last
    one at or above it, white space collapsed), in one pass down the file."""
    contexts: dict[int, str] = {}
    stage = ""
    for index, line in enumerate(lines):
        if line.strip().upper().startswith("FROM "):
            stage = " ".join(line.split())
        if index in wanted:
            contexts[index] = stage
    return contexts


def fingerprint_keys(diagnostics: list[Diagnostic], root: Path) -> list[tuple[str, int]]:
    """The line-independent identity of each diagnostic, in the same order: its key (rule id,
    path relative to ``root``, context, normalised line, joined by NUL) and its occurrence
    number among identical keys in ``diagnostics`` (1 for the first).

    Each file is read and its contexts computed once, in one pass, for all its findings."""
    wanted: dict[Path, set[int]] = {}
    for diag in diagnostics:
        wanted.setdefault(diag.span.path, set()).add(diag.span.line - 1)
    files = {path: _FileKeys(path, indexes) for path, indexes in wanted.items()}
    relative = {path: relative_path(path, root) for path in wanted}
    seen: Counter[str] = Counter()
    result: list[tuple[str, int]] = []
    for diag in diagnostics:
        path = diag.span.path
        text, context = files[path].at(diag.span.line - 1)
        key = "\0".join((diag.rule_id, relative[path], context, text))
        seen[key] += 1
        result.append((key, seen[key]))
    return result


def relative_path(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` as the baseline records it (forward slashes), else the
    whole path."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


class _FileKeys:
    """The normalised line and the context of the lines of one file that findings point at."""

    def __init__(self, path: Path, indexes: set[int]) -> None:
        self.dockerfile = is_dockerfile_name(path.name)
        self.lines = file_lines(path, dockerfile=self.dockerfile)
        inside = {i for i in indexes if 0 <= i < len(self.lines)}
        contexts = _dockerfile_contexts if self.dockerfile else _yaml_contexts
        self.contexts = contexts(self.lines, inside)

    def at(self, index: int) -> tuple[str, str]:
        """(normalised line, context) of line ``index`` (0-based); empty outside the file."""
        if not 0 <= index < len(self.lines):
            return "", ""
        return _normalise(self.lines[index], self.dockerfile), self.contexts[index]


def fingerprint_of(key: str, occurrence: int) -> str:
    """The baseline fingerprint of a key and its occurrence number (docs/adr/005)."""
    from hashlib import sha256  # here, not at import: `check` imports this module on every run

    # surrogatepass: a path that is not UTF-8 (kept as surrogates) hashes instead of raising;
    # any other text encodes exactly as UTF-8 does
    return sha256(f"{key}\0{occurrence}".encode("utf-8", "surrogatepass")).hexdigest()


def fingerprints(diagnostics: list[Diagnostic], root: Path) -> list[str]:
    """One fingerprint per diagnostic, in the same order."""
    return [fingerprint_of(key, n) for key, n in fingerprint_keys(diagnostics, root)]
