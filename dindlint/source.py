"""Source positions: every value dindlint reasons about remembers where it came from."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import GenericAlias
from typing import NamedTuple, TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Input files larger than this are not read (DIND001): a linter runs on whatever a repository
# holds, and no compose file, .env or Dockerfile is anywhere near this size.
MAX_FILE_BYTES = 5 * 1024 * 1024


class FileTooLarge(OSError):
    """An input file over ``MAX_FILE_BYTES``; ``strerror`` is the message for the diagnostic."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(errno.EFBIG, f"file too large ({size} bytes, over the "
                         f"{limit // (1024 * 1024)} MiB limit), not read")


# The bytes read during one run (inside ``reading_once()``): a file that several projects share,
# or that is read again for its suppressions, comes from disk once. Nothing is kept outside a run.
# Parsed files are remembered there too (``run_memo``), under keys of their own.
_run_cache: dict[tuple[str, object], object] | None = None


def run_memo() -> dict[tuple[str, object], object] | None:
    """The memo of the current ``reading_once()`` block, or None outside one."""
    return _run_cache


def remembered(key: tuple[str, object], compute: Callable[[], R]) -> R:
    """``compute()``, kept for the rest of the run from the second time ``key`` is asked for:
    what only one project reads is not held in memory, what several share is computed twice at
    most. Outside ``reading_once()`` nothing is kept."""
    memo = _run_cache
    if memo is None:
        return compute()
    if key in memo:
        return memo[key]  # type: ignore[return-value]
    asked = ("asked", key)
    if asked not in memo:
        memo[asked] = True
        return compute()
    value = memo[key] = compute()
    return value


@contextmanager
def reading_once() -> Iterator[None]:
    """Within this block ``read_input`` reads each file once (the first read is remembered)."""
    global _run_cache
    previous = _run_cache
    _run_cache = {} if previous is None else previous
    try:
        yield
    finally:
        _run_cache = previous


def read_input(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of an input file, reading at most ``limit``; raises ``OSError`` otherwise.

    Only regular files are read: the file is opened without blocking (a FIFO named
    ``compose.yaml`` must not hang the run) and checked with ``fstat`` before any read, so a
    file over the limit (``FileTooLarge``) is never loaded into memory."""
    cache, key = _run_cache, (os.fspath(path), limit)
    if cache is not None and key in cache:
        return cache[key]  # type: ignore[return-value]
    data = _read_input(path, limit)
    if cache is not None:
        cache[key] = data
    return data


def _read_input(path: Path, limit: int) -> bytes:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(errno.EISDIR, "is a directory")
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        if info.st_size > limit:
            raise FileTooLarge(info.st_size, limit)
        # the size fstat gives, and one byte more to see a file that grew: a buffered
        # `read(limit + 1)` allocated the whole limit (5 MiB) for every file, most of a read
        chunks: list[bytes] = []
        size, want = 0, info.st_size + 1
        while size <= limit:
            chunk = os.read(fd, min(want, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            want = max(want - len(chunk), 1 << 16)
        data = b"".join(chunks)
    finally:
        os.close(fd)
    if len(data) > limit:  # grew while we read it
        raise FileTooLarge(len(data), limit)
    return data


class _SpanFields(NamedTuple):
    """The fields of :class:`Span` (the class itself adds the ``end_line`` rule)."""

    path: Path
    line: int
    col: int = 1
    end_line: int = 0
    end_col: int = 0


class Span(_SpanFields):
    """A region of a file. Lines and columns count from 1; ``end_*`` is inclusive of the last line.

    An ``end_line`` before ``line`` (the default 0 included) is raised to ``line``. Spans compare
    and sort as the tuple of their fields.
    """

    __slots__ = ()

    def __new__(cls, path: Path, line: int, col: int = 1, end_line: int = 0,
                end_col: int = 0) -> Span:
        return tuple.__new__(cls, (path, line, col, end_line if end_line >= line else line,
                                   end_col))

    def __deepcopy__(self, memo: dict[int, object]) -> Span:
        return self  # immutable: a deep copy of a replay state shares its spans (and paths)


class Located(NamedTuple):
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

    # ``Located[str]``: generic in its value (a NamedTuple can only subclass Generic from 3.11)
    __class_getitem__ = classmethod(GenericAlias)

    @property
    def known(self) -> bool:
        return not self.unresolved


class Problem(NamedTuple):
    """A loader-level diagnostic (DIND001/DIND002/DIND003) found while reading input."""

    rule_id: str
    message: str
    span: Span
