"""Source positions: every value dindlint reasons about remembers where it came from."""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Generic, NamedTuple, TypeVar

from dindlint.session import current

T = TypeVar("T")
R = TypeVar("R")

# Input files larger than this are not read (DIND001): a linter runs on whatever a repository
# holds, and no compose file, .env or Dockerfile is anywhere near this size.
MAX_FILE_BYTES = 5 * 1024 * 1024


class OutsideRepository(OSError):
    """A file whose real path (symbolic links followed) lies outside the read boundary, or in
    ``/proc``, ``/sys`` or ``/dev``: it is not read, and nothing of it reaches a report."""

    def __init__(self) -> None:
        super().__init__(errno.EACCES, "points outside the repository; not read")


class FileTooLarge(OSError):
    """An input file over ``MAX_FILE_BYTES``; ``strerror`` is the message for the diagnostic."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(
            errno.EFBIG,
            f"file too large ({size} bytes, over the {limit // (1024 * 1024)} MiB limit), not read",
        )


# The bytes read during one run (inside ``reading_once()``) are the session's ``memo``: a file
# that several projects share, or that is read again for its suppressions, comes from disk once.
# Nothing is kept outside a run. Parsed files are remembered there too (``run_memo``), under keys
# of their own.


def run_memo() -> dict[tuple[str, object], object] | None:
    """The memo of the current ``reading_once()`` block, or None outside one."""
    return current().memo


def remembered(key: tuple[str, object], compute: Callable[[], R]) -> R:
    """``compute()``, kept for the rest of the run from the second time ``key`` is asked for:
    what only one project reads is not held in memory, what several share is computed twice at
    most. Outside ``reading_once()`` nothing is kept."""
    memo = current().memo
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


def memoised(key: tuple[str, object], compute: Callable[[], R]) -> R:
    """``compute()``, kept at the first ask for the rest of the ``reading_once()`` block (what a
    run asks for again and again, such as a path resolved for every finding of every report
    format); outside a block, computed each time."""
    memo = current().memo
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]  # type: ignore[return-value]


def memoised_for(
    kind: str, objects: tuple[object, ...], compute: Callable[[], R], *key: object
) -> R:
    """``memoised`` for an answer about ``objects`` (and ``key``): keyed by their ``id()``,
    which stays theirs because the memo keeps them alive with the answer."""
    kept = memoised((kind, (tuple(id(o) for o in objects), key)), lambda: (objects, compute()))
    return kept[1]


@contextmanager
def reading_once() -> Iterator[None]:
    """Within this block ``read_input`` reads each file once (the first read is remembered in
    the session's memo; a block inside another shares the outer one's)."""
    session = current()
    previous = session.memo
    session.memo = {} if previous is None else previous
    try:
        yield
    finally:
        session.memo = previous


# Kernel and device file systems: never an input, wherever the boundary lies (`/proc/self/environ`
# holds the CI's secrets, and its files report themselves as regular files of size 0).
_NEVER_READ = ("/proc", "/sys", "/dev")


class ReadBoundary(NamedTuple):
    """What a run may open: files under ``roots`` (the repository of each path checked) and the
    ``admitted`` files: those the user named on the command line (``--env-file``, ``--config``,
    ``--baseline``) outside the repository, and the env files such a configuration names.

    Both hold real paths (symbolic links resolved), so a link inside the repository to a file
    outside it is outside."""

    roots: tuple[str, ...]
    admitted: frozenset[str] = frozenset()

    def admits(self, real: str) -> bool:
        """Whether the real path ``real`` may be read."""
        if _under(real, _NEVER_READ):
            return False
        return real in self.admitted or _under(real, self.roots)

    def holds(self, real: str) -> bool:
        """Whether the real path ``real`` lies in one of the repositories (``admitted`` aside)."""
        return _under(real, self.roots)


def _under(real: str, folders: tuple[str, ...]) -> bool:
    for folder in folders:
        if real == folder or real.startswith(
            folder if folder.endswith(os.sep) else folder + os.sep
        ):
            return True
    return False


# The boundary of the current run is the session's (``reading_within``); None outside a run: a
# library caller that loads a file directly reads what it names, never ``/proc``, ``/sys`` or
# ``/dev``.


@contextmanager
def reading_within(boundary: ReadBoundary | None) -> Iterator[None]:
    """Within this block ``read_input`` opens only files ``boundary`` admits (None keeps the
    boundary already in force)."""
    session = current()
    previous = session.boundary
    session.boundary = boundary or previous
    try:
        yield
    finally:
        session.boundary = previous


def current_boundary() -> ReadBoundary | None:
    """The boundary of the current run (``reading_within``), None outside one."""
    return current().boundary


def inside_boundary(path: Path) -> bool:
    """Whether ``path`` (its real path) may be read in this run; checked before a reference is
    followed, so that nothing about an outside file (not even whether it exists) is learnt."""
    return _admitted(os.path.realpath(path))


def is_input_file(path: Path) -> bool:
    """Whether a run should try to read ``path``: a regular file, or a symbolic link out of the
    boundary, which ``read_input`` then refuses (DIND003) whatever lies at its other end: the
    report is the same for an outside file that exists and one that does not."""
    try:
        if os.path.islink(path) and not inside_boundary(path):
            return True
        return os.path.isfile(path)
    except (OSError, ValueError):
        return False


def _admitted(real: str) -> bool:
    boundary = current().boundary
    if boundary is None:
        return not _under(real, _NEVER_READ)
    return boundary.admits(real)


def read_input(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of an input file, reading at most ``limit``; raises ``OSError`` otherwise.

    Only regular files are read: the file is opened without blocking (a FIFO named
    ``compose.yaml`` must not hang the run) and checked with ``fstat`` before any read, so a
    file over the limit (``FileTooLarge``) is never loaded into memory. The file opened must be
    inside the run's boundary (``OutsideRepository`` otherwise): its real path is taken from the
    open descriptor, so a link swapped between a check and the open cannot lead outside."""
    cache, key = current().memo, (os.fspath(path), limit)
    if cache is not None and key in cache:
        return cache[key]  # type: ignore[return-value]
    data = _overlaid(path, limit)
    if data is None:
        data = _read_input(path, limit)
    if cache is not None:
        cache[key] = data
    return data


def _overlaid(path: Path, limit: int) -> bytes | None:
    """The in-memory contents the run's settings give ``path`` (``Settings.overlay``: edits a
    fix is verifying), None when they give none; the boundary applies to them as to a file."""
    settings = current().settings
    if settings is None or not settings.overlay:
        return None
    real = os.path.realpath(path)
    data = settings.overlay.get(real)
    if data is None:
        return None
    if not _admitted(real):
        raise OutsideRepository()
    if len(data) > limit:
        raise FileTooLarge(len(data), limit)
    return data


def _read_input(path: Path, limit: int) -> bytes:
    # checked before the open too: opening is not harmless (a device may act on open), and a
    # dangling link out must be refused as one that resolves
    if not inside_boundary(path):
        raise OutsideRepository()
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(errno.EISDIR, "is a directory")
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        real = _opened_path(fd, path, info)
        if real is None or not _admitted(real):
            raise OutsideRepository()
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


def _opened_path(fd: int, path: Path, info: os.stat_result) -> str | None:
    """The real path of the file open on ``fd``: from ``/proc/self/fd`` on Linux; elsewhere the
    resolved ``path``, kept only when it is the same file as the descriptor (same device and
    inode), so that a path swapped after the open is caught either way; None when neither
    tells."""
    try:
        real = os.readlink(f"/proc/self/fd/{fd}")
        if real.startswith("/"):
            return real
    except OSError:
        pass
    real = os.path.realpath(path)
    try:
        same = os.stat(real)
    except OSError:
        return None
    if (same.st_dev, same.st_ino) != (info.st_dev, info.st_ino):
        return None
    return real


# Characters of a file's text a message may quote: a token, never a whole line (a message is shown
# in every report format, and a file's content is the file's business).
MAX_QUOTED = 40


def quoted(token: str) -> str:
    """``token`` as a message quotes it: at most ``MAX_QUOTED`` characters, then ``…``. (Control
    characters are escaped by the text formats; the structured formats encode them.)"""
    return token if len(token) <= MAX_QUOTED else token[:MAX_QUOTED] + "…"


# Characters of a message or note: a rule's own text is a few hundred at most; what a message
# quotes from a file is capped where it is quoted (``quoted``), and this is the net for a value
# quoted whole: a megabyte `user:` must not become a megabyte message.
MAX_MESSAGE = 1000


def capped(message: str) -> str:
    """``message`` cut to ``MAX_MESSAGE`` characters (then ``…``)."""
    return message if len(message) <= MAX_MESSAGE else message[:MAX_MESSAGE] + "…"


def unreadable(path: Path, error: OSError) -> Problem:
    """The diagnostic for an input that could not be read: DIND003 when it lies outside the read
    boundary (nothing of it was read), DIND001 otherwise. The message names the file, not its
    absolute path (the span carries where it is)."""
    if isinstance(error, OutsideRepository):
        return Problem(
            "DIND003", f"`{path.name}` points outside the repository; not read", Span(path, 1)
        )
    return Problem(
        "DIND001", f"Cannot read `{path.name}`: {error.strerror or error}", Span(path, 1)
    )


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

    def __new__(
        cls, path: Path, line: int, col: int = 1, end_line: int = 0, end_col: int = 0
    ) -> Span:
        return tuple.__new__(cls, (path, line, col, max(end_line, line), end_col))

    def __deepcopy__(self, memo: dict[int, object]) -> Span:
        return self  # immutable: a deep copy of a replay state shares its spans (and paths)


class Located(NamedTuple, Generic[T]):
    """A value together with the span of the file that supplied it.

    ``unresolved`` names the variables that interpolation could not resolve (unset, no default):
    compose substitutes an empty string for them, but dindlint treats such a value as unknown when
    it decides a socket question (DIND003). ``interpolated`` is True when the text as
    written contained ``$``: such a value is configured per machine, not hard-coded (DIND205).
    """

    value: T
    span: Span
    unresolved: tuple[str, ...] = ()
    interpolated: bool = False

    @property
    def known(self) -> bool:
        return not self.unresolved


class Problem(NamedTuple):
    """A loader-level diagnostic (DIND001/DIND002/DIND003) found while reading input."""

    rule_id: str
    message: str
    span: Span


# Where a line ends, as the positions of each kind of file count them. YAML: "\r\n", "\r" and "\n"
# only (YAML 1.2.2 §5.4, "Line Break Characters"; U+0085, U+2028 and U+2029 are content since
# YAML 1.2). The Dockerfile loader ends a line at "\n" only, as BuildKit's line scanner does (a
# "\r" before it is dropped). `str.splitlines()` also split at "\v", "\f", "\x1c"-"\x1e", U+0085,
# U+2028 and U+2029, so an excerpt or a fingerprint took another line than the finding's.
_YAML_BREAKS = re.compile("\r\n|[\r\n]")


def file_lines(path: Path, *, dockerfile: bool) -> list[str]:
    """The lines of an input file as positions count them (``split_lines``), for what quotes or
    scans a file after loading (excerpts, SARIF regions, fingerprints, suppressions): UTF-8 with
    undecodable bytes replaced, read once per run; none when it cannot be read (its loader
    reported why: unreadable, too large, outside the repository)."""
    try:
        text = read_input(path).decode("utf-8-sig", errors="replace")
    except OSError:
        return []
    return split_lines(text, dockerfile=dockerfile)


def split_lines(text: str, *, dockerfile: bool = False) -> list[str]:
    """The physical lines of ``text`` (without their line break) as dindlint counts positions:
    by the YAML rule, or with ``dockerfile`` by the Dockerfile rule (see ``_YAML_BREAKS``).
    A final line break ends the last line (no empty line after it)."""
    if dockerfile:
        lines = text.split("\n")
        if lines[-1] == "":
            lines.pop()
        return [line.removesuffix("\r") for line in lines]
    lines = _YAML_BREAKS.split(text)
    if lines[-1] == "":
        lines.pop()
    return lines
