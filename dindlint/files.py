"""File names and repositories: which names are compose files and Dockerfiles, where a
repository's root is, and what git ignores. Shared by discovery, loading, suppressions,
fingerprints and reports; reads nothing but the names and git's answers.
"""

from __future__ import annotations

import os
import re
from fnmatch import translate
from pathlib import Path

# Compose's own default file names, in the order compose picks them (compose-go@e70e961:
# cli/options.go:136-185).
DEFAULT_BASE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
OVERRIDE_NAMES = (
    "compose.override.yml",
    "compose.override.yaml",
    "docker-compose.override.yml",
    "docker-compose.override.yaml",
)
_COMPOSE_PATTERNS = (
    "compose*.yml",
    "compose*.yaml",
    "*compose*.yml",
    "*compose*.yaml",
    "docker-stack*.yml",
    "docker-stack*.yaml",
)


# The patterns as one expression: fnmatch pattern by pattern was a third of the scan of a large
# tree (a file name holds no `/`, so fnmatch's normcase would change nothing).
_COMPOSE_NAME = re.compile("|".join(translate(p) for p in _COMPOSE_PATTERNS))


# Suffixes of templates that render to a compose file or a Dockerfile (Jinja, Go templates,
# autoconf, ERB, Mustache): `Dockerfile.j2` is not yet a Dockerfile. A folder scan leaves them
# out; a template passed explicitly is still linted.
TEMPLATE_SUFFIXES = (
    ".j2",
    ".jinja",
    ".jinja2",
    ".tmpl",
    ".tpl",
    ".template",
    ".in",
    ".erb",
    ".mustache",
)


def is_template_name(name: str) -> bool:
    """True for a template of a compose file or Dockerfile (``Dockerfile.j2``)."""
    return name.lower().endswith(TEMPLATE_SUFFIXES)


def is_compose_name(name: str) -> bool:
    """True for file names a directory scan treats as compose files (a template included: the
    scan leaves those out, see ``is_template_name``)."""
    return _COMPOSE_NAME.match(name.lower()) is not None


def is_override_name(name: str) -> bool:
    return name.lower() in OVERRIDE_NAMES


def is_dockerfile_name(name: str) -> bool:
    """``Dockerfile``, ``Dockerfile.*``, ``*.Dockerfile``, ``*.dockerfile``, ``Containerfile``.

    Never ``*.dockerignore``: BuildKit reads ``Dockerfile.dockerignore`` as the ignore file of
    ``Dockerfile`` (https://docs.docker.com/build/concepts/context/#filename-and-location)."""
    lower = name.lower()
    if lower.endswith(".dockerignore"):
        return False
    for stem in ("dockerfile", "containerfile"):
        if lower == stem or lower.startswith(stem + ".") or lower.endswith("." + stem):
            return True
    return False


def git_ignored(root: Path, candidates: list[Path]) -> set[Path]:
    """The candidates git ignores, when ``root`` is in a git work tree; else nothing.

    Asks ``git check-ignore`` (read-only; nothing from the scanned tree is executed).
    """
    if not candidates:
        return set()
    import subprocess  # only when a folder is walked: a pre-commit run names its files

    try:
        proc = subprocess.run(
            # core.fsmonitor off: a repository's own .git/config could name a command that git
            # runs when it reads the index; nothing from the scanned tree may be executed
            ["git", "-C", str(root), "-c", "core.fsmonitor=false", "check-ignore", "-z", "--stdin"],
            # bytes both ways, as the file system names them: a folder name that is not UTF-8
            # (kept by Python as surrogates) could not be encoded as text, and stopped the run
            input=b"".join(os.fsencode(p) + b"\0" for p in candidates),
            capture_output=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return set()
    if proc.returncode not in (0, 1):
        return set()  # not a git repository, or git unavailable
    return {Path(os.fsdecode(p)) for p in proc.stdout.split(b"\0") if p}


def find_git_root(start: Path) -> Path | None:
    """The nearest folder upward from ``start`` that contains ``.git``."""
    for folder in (start, *start.parents):
        if os.path.lexists(folder / ".git"):  # (never raises: a folder may refuse the lookup)
            return folder
    return None


def display_path(path: Path, base: Path) -> str:
    """Relative to ``base`` with forward slashes, ``../`` for a file outside it (as a path
    typed in that folder would be); absolute only where no relative path exists (another
    drive)."""
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        pass
    try:
        return Path(os.path.relpath(path, base)).as_posix()
    except ValueError:  # another drive, or a relative path beside an absolute one
        return path.as_posix()


def lookup_denied(path: Path) -> bool:
    """Whether looking ``path`` up is refused (a folder of its path without search permission):
    it may exist, but it cannot be read. Never raises."""
    try:
        os.stat(path)
    except PermissionError:
        return True
    except (OSError, ValueError):
        return False
    return False
