"""Volume specs as compose-go ``format/volume.go`` parses them (compose-go@e70e961).

Short syntax ``SOURCE:TARGET[:MODE]``: colons split the fields, except the colon right after a
single letter (a Windows drive, ``C:\\x``); a fourth field is "too many colons"; one field is an
anonymous volume. MODE is a comma list where ``ro``/``rw`` are processed in order (the last one
wins) and unknown options are ignored (compose-go: ``// ignore unknown options``).
"""

from __future__ import annotations

import functools
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

_DRIVE = re.compile(r"^[A-Za-z]:")


class VolumeSpecError(ValueError):
    pass


@dataclass(eq=False, repr=False, frozen=True)
class ShortVolume:
    source: str | None  # None: anonymous volume
    target: str
    read_only: bool
    ro_offset: int | None  # character offset of the deciding ``ro`` option in the spec
    options: tuple[str, ...] = ()


@functools.lru_cache(maxsize=4096)  # (many services mount the same spec, the socket's first)
def parse_short(spec: str) -> ShortVolume:
    """Split a short-syntax spec; raises ``VolumeSpecError`` like compose-go would."""
    fields: list[tuple[str, int]] = []  # (text, offset of its first character)
    buf, start = "", 0
    for idx, char in enumerate(spec):
        if char == ":" and len(buf) == 1 and buf.isalpha() and not fields:
            buf += char  # Windows drive letter: `C:\\path`
        elif char == ":":
            fields.append((buf, start))
            if len(fields) > 2:
                raise VolumeSpecError("too many colons")
            buf, start = "", idx + 1
        else:
            buf += char
    fields.append((buf, start))
    if any(text == "" for text, _ in fields):
        raise VolumeSpecError("empty section between colons")
    if len(fields) == 1:
        return ShortVolume(None, fields[0][0], False, None)
    read_only, ro_offset = False, None
    options: tuple[str, ...] = ()
    if len(fields) == 3:
        read_only, ro_offset, options = _modes(*fields[2])
    return ShortVolume(fields[0][0], fields[1][0], read_only, ro_offset, options)


def _modes(text: str, offset: int) -> tuple[bool, int | None, tuple[str, ...]]:
    read_only, ro_offset = False, None
    pos = offset
    options = []
    for option in text.split(","):
        options.append(option)
        if option == "ro":
            read_only, ro_offset = True, pos
        elif option == "rw":
            read_only, ro_offset = False, None
        pos += len(option) + 1
    return read_only, ro_offset, tuple(options)


def is_bind_source(source: str) -> bool:
    """compose-go ``isFilePath``: ``.``, ``/``, ``~``, ``\\`` or a drive letter start a path."""
    return source[:1] in (".", "/", "~", "\\") or bool(_DRIVE.match(source))


def normalize_path(path: str) -> str:
    """Fold ``//``, ``.``, ``..`` and trailing slashes of a POSIX path.

    posixpath.normpath keeps exactly two leading slashes (POSIX allows them to mean something
    else); Linux does not, and `//var/run/docker.sock` is the host socket.
    """
    if not path:
        return path
    normalized = posixpath.normpath(path)
    if normalized.startswith("//"):
        normalized = "/" + normalized.lstrip("/")
    return normalized


def resolve_bind_source(source: str, base_dir: Path) -> str:
    """Absolute, normalised form of a bind source; relative ones against ``base_dir``.

    ``~`` is kept as written (expanding it would make results depend on the machine), and
    Windows paths are left alone.
    """
    if source.startswith("/"):
        return normalize_path(source)
    if source.startswith("."):
        return normalize_path(posixpath.join(base_dir.as_posix(), source))
    if source.startswith("~"):
        return normalize_path(source)
    return source
