"""Inline suppressions: ``# dindlint: disable=DIND101[,DIND102] -- reason``.

Forms:
- on its own line, a comment covers the next line that is not a comment or blank; in a
  Dockerfile, when that line starts an instruction, the whole instruction (all its physical lines);
  inside a continued RUN it covers the next physical line only;
- trailing a YAML line, it covers that line (in a Dockerfile ``#`` starts a comment only at the
  start of a line, so there is no trailing form);
- ``# dindlint: disable-file=DIND101`` anywhere in the file covers the whole file.

The reason after `` -- `` is kept as the justification (SARIF ``suppressions[]``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from dindlint.files import is_dockerfile_name
from dindlint.source import Span, file_lines

# Every repetition that can match a blank is possessive (``*+``, Python >= 3.11): once a run of
# blanks is taken it is never given back, so a directive followed by a long run of blanks and a
# stray character fails in one pass instead of trying every way to share the blanks between the
# ids, the separator and the reason (cubic: minutes for 300 blanks). The ids keep their trailing
# blanks and the reason its surrounding ones; both are stripped where they are read.
_DIRECTIVE = re.compile(
    r"(?:^|\s)#\s*+dindlint:\s*+(?P<kind>disable-file|disable)\s*+=\s*+(?P<ids>[A-Za-z0-9_, ]*+)"
    r"\s*+(?:--(?P<reason>[^#]*+))?+(?:#.*)?$"
)


@dataclass(eq=False, repr=False)
class Suppression:
    """One rule id named by one directive."""

    rule_id: str
    span: Span  # where the directive is written
    first: int  # covered lines, inclusive; 0..0 for the whole file
    last: int
    reason: str
    used: bool = False

    def covers(self, rule_id: str, line: int) -> bool:
        if rule_id != self.rule_id:
            return False
        return self.first == 0 or self.first <= line <= self.last


@dataclass(eq=False, repr=False)
class FileSuppressions:
    entries: list[Suppression] = field(default_factory=list)

    def match(self, rule_id: str, line: int) -> Suppression | None:
        for entry in self.entries:
            if entry.covers(rule_id, line):
                entry.used = True
                return entry
        return None


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def parse_suppressions(
    path: Path, lines: list[str], instructions: dict[int, int] | None = None
) -> FileSuppressions:
    """Directives of one file. ``instructions`` maps an instruction's first line to its last
    (Dockerfiles), so a directive above an instruction covers all of it."""
    dockerfile = is_dockerfile_name(path.name)
    found = FileSuppressions()
    for index, text in enumerate(lines):
        match = _DIRECTIVE.search(text)
        if match is None:
            continue
        own_line = _is_comment(text)
        if dockerfile and not own_line:
            continue  # `#` mid-line in a Dockerfile is not a comment
        number = index + 1
        span = Span(path, number, text.index("#", match.start()) + 1)
        if match.group("kind") == "disable-file":
            first, last = 0, 0
        elif own_line:
            target = _next_code_line(lines, index)
            first = last = target
            if instructions and target in instructions:
                last = instructions[target]
        else:
            first = last = number
        reason = (match.group("reason") or "").strip()
        for rule_id in re.split(r"[,\s]+", match.group("ids").strip()):
            if rule_id:
                found.entries.append(Suppression(rule_id.upper(), span, first, last, reason))
    return found


def _next_code_line(lines: list[str], index: int) -> int:
    """The 1-based number of the next line that is neither blank nor a comment (or -1)."""
    for later in range(index + 1, len(lines)):
        if lines[later].strip() and not _is_comment(lines[later]):
            return later + 1
    return -1


class SuppressionIndex:
    """Directives of every analysed file, read once, and which of them were used."""

    def __init__(self, instructions: dict[Path, dict[int, int]]) -> None:
        self._instructions = instructions
        self._files: dict[Path, FileSuppressions] = {}

    def of(self, path: Path) -> FileSuppressions:
        if path not in self._files:
            lines = file_lines(path, dockerfile=is_dockerfile_name(path.name))
            self._files[path] = parse_suppressions(path, lines, self._instructions.get(path))
        return self._files[path]

    def add(self, path: Path, found: FileSuppressions) -> None:
        """Directives of ``path`` parsed elsewhere (a worker process of ``--jobs``)."""
        self._files.setdefault(path, found)

    def match(self, rule_id: str, span: Span) -> Suppression | None:
        return self.of(span.path).match(rule_id, span.line)

    def entries(self, paths: list[Path]) -> list[Suppression]:
        return [entry for path in paths for entry in self.of(path).entries]

    def unused(self, paths: list[Path]) -> list[Suppression]:
        return [entry for entry in self.entries(paths) if not entry.used]
