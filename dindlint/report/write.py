"""Writing what dindlint produces (reports, baselines, the starter configuration) to a file.

dindlint runs in CI on pull requests, and the names it writes to (``dindlint.sarif``,
``dindlint-baseline.json``, ``.dindlint.yaml``, a ``reports/`` folder) sit in the checked-out tree,
where a pull request can commit a symbolic link under that name. So nothing is written *through* a
link of the repository (the run's ``source.ReadBoundary``):

- a regular file is replaced by renaming a new file over it (written beside it first, created
  with ``O_EXCL | O_NOFOLLOW``): a reader never sees half a report, and a link put in place between
  the check and the rename is replaced, not followed;
- a symbolic link at the name is refused (dangling or not) when it lies in the repository, or
  when no repository is known; a link outside it (``/dev/stdout``, ``/dev/fd/N`` of a shell's
  process substitution) is followed only to a stream: a terminal, a pipe, a character device;
- a folder on the way that is a link of the repository leading out of it is refused;
- a pipe is opened without waiting for a reader (no reader: refused, never a hang);
- ``exclusive=True`` refuses any existing name (``dindlint init`` without ``--force``).
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from pathlib import Path

from dindlint.source import ReadBoundary, current_boundary


def write_output(path: Path, text: str, *, exclusive: bool = False) -> None:
    """Write ``text`` (UTF-8) to ``path`` as described above; raises ``OSError`` when refused
    (its ``strerror`` says why, for the user)."""
    data = text.encode("utf-8", errors="backslashreplace")
    repository = current_boundary()
    folder = Path(os.path.abspath(path)).parent
    if repository is not None:
        _refuse_folder_links_out(folder, repository)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        info = None
    if info is not None and exclusive:
        raise FileExistsError(errno.EEXIST, "already exists")
    if info is not None and stat.S_ISLNK(info.st_mode):
        committed = repository is None or repository.holds(os.path.realpath(folder))
        if committed or not _leads_to_stream(path):
            raise OSError(errno.ELOOP, "is a symbolic link; dindlint does not write through a link")
        _write_stream(path, data)
    elif info is not None and (stat.S_ISCHR(info.st_mode) or stat.S_ISFIFO(info.st_mode)):
        _write_stream(path, data)
    elif info is not None and not stat.S_ISREG(info.st_mode):
        raise OSError(errno.EINVAL, "not a regular file")
    else:
        _replace(path, data)


def _refuse_folder_links_out(folder: Path, repository: ReadBoundary) -> None:
    """Raise when a folder of ``folder``'s path is a link that lies in the repository and leads
    out of it (a committed ``reports -> /elsewhere``)."""
    for ancestor in (folder, *folder.parents):
        if (
            os.path.islink(ancestor)
            and repository.holds(os.path.realpath(ancestor.parent))
            and not repository.holds(os.path.realpath(ancestor))
        ):
            raise OSError(
                errno.ELOOP,
                f"folder `{ancestor.name}` is a symbolic link out of the "
                "repository; dindlint does not write through it",
            )


def _leads_to_stream(path: Path) -> bool:
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False  # dangling
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def _write_stream(path: Path, data: bytes) -> None:
    try:  # non-blocking open: a pipe with no reader is refused (ENXIO) instead of waiting
        fd = os.open(path, os.O_WRONLY | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError as error:
        if error.errno == errno.ENXIO:
            raise OSError(errno.ENXIO, "a pipe with no reader") from None
        raise
    os.set_blocking(fd, True)
    try:
        _write_all(fd, data)
    finally:
        os.close(fd)


def _replace(path: Path, data: bytes) -> None:
    """A new file beside ``path``, then renamed over it (``rename`` replaces a link, never
    follows it)."""
    folder = path.parent
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    for attempt in range(100):
        temporary = folder / f".{path.name}.dindlint-{os.getpid()}-{attempt}.tmp"
        try:
            fd = os.open(temporary, flags, 0o666)  # the umask applies, as for any new file
        except FileExistsError:
            continue
        break
    else:
        raise OSError(errno.EEXIST, "cannot create a temporary file beside it")
    try:
        try:
            _write_all(fd, data)
        finally:
            os.close(fd)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]
