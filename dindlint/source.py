"""Source positions: every value dindlint reasons about remembers where it came from."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, order=True)
class Span:
    """A region of a file. Lines and columns count from 1; ``end_*`` is inclusive of the last line."""

    path: Path
    line: int
    col: int = 1
    end_line: int = 0
    end_col: int = 0

    def __post_init__(self) -> None:
        if self.end_line < self.line:
            object.__setattr__(self, "end_line", self.line)


@dataclass(frozen=True)
class Located(Generic[T]):
    """A value together with the span of the file that supplied it.

    ``unresolved`` names the variables that interpolation could not resolve (unset, no default):
    compose substitutes an empty string for them, but dindlint treats such a value as unknown when
    it decides a socket question (RULES.md, DIND003). ``interpolated`` is True when the text as
    written contained ``$``: such a value is configured per machine, not hard-coded (DIND205).
    """

    value: T
    span: Span
    unresolved: tuple[str, ...] = ()
    interpolated: bool = False

    @property
    def known(self) -> bool:
        return not self.unresolved


@dataclass(frozen=True)
class Problem:
    """A loader-level diagnostic (DIND001/DIND002/DIND003) found while reading input."""

    rule_id: str
    message: str
    span: Span
