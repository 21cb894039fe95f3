"""Stage 1, discover: from the paths given, find compose files and Dockerfiles.

The result is a list of *candidate* projects: a compose file with its override file (same folder),
or a Dockerfile on its own. Grouping a Dockerfile with the compose file that builds it happens
after loading (``dindlint.project``), because only the loaded model knows the build contexts.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

from dindlint.files import (
    find_git_root,
    git_ignored,
    is_compose_name,
    is_dockerfile_name,
    is_template_name,
    lookup_denied,
)
from dindlint.gitlab import is_ci_name
from dindlint.source import ReadBoundary, inside_boundary, is_input_file, read_input

# Folders never worth walking into: VCS metadata, dependency trees, virtual environments.
SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        "__pycache__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "site-packages",
    }
)


class Discovered(NamedTuple):
    """What a scan found: compose files and Dockerfiles (absolute, sorted), and unreadable paths.

    ``compose_files`` also holds the GitLab CI files found (``.gitlab-ci.yml``,
    ``*.gitlab-ci.yml``): ``dindlint.project`` tells them apart by name (``is_ci_name``)."""

    compose_files: tuple[Path, ...]
    dockerfiles: tuple[Path, ...]
    missing: tuple[Path, ...]  # paths given on the command line that do not exist
    skipped: tuple[Path, ...] = ()  # given files that are neither compose files nor Dockerfiles
    outside: tuple[Path, ...] = ()  # given folders that lead out of their repository (links)
    denied: tuple[Path, ...] = ()  # given paths behind a folder without permission
    given_dirs: tuple[Path, ...] = ()  # the folders given (absolute): GitLab CI include roots
    # GitLab CI files given by a custom name (a project's CI configuration path): also in
    # ``compose_files``, told apart by this list
    ci_files: tuple[Path, ...] = ()

    def ci_paths(self) -> tuple[Path, ...]:
        """The GitLab CI files among ``compose_files``."""
        custom = set(self.ci_files)
        return tuple(p for p in self.compose_files if p in custom or is_ci_name(p.name))

    def compose_only(self) -> tuple[Path, ...]:
        """``compose_files`` without the GitLab CI files."""
        ci = set(self.ci_paths())
        return tuple(p for p in self.compose_files if p not in ci)

    def without(self, excluded: Callable[[Path], bool]) -> Discovered:
        """The same result less the files ``excluded`` matches (configuration ``exclude``)."""
        return self._replace(
            compose_files=tuple(p for p in self.compose_files if not excluded(p)),
            dockerfiles=tuple(p for p in self.dockerfiles if not excluded(p)),
        )


def discover(paths: list[Path], force_exclude: bool = False) -> Discovered:
    """Walk the given files and directories. A path given explicitly is checked even when git
    ignores it (a folder given is walked, as ruff does); ``force_exclude`` (``--force-exclude``)
    skips those too."""
    compose: set[Path] = set()
    dockerfiles: set[Path] = set()
    missing: list[Path] = []
    skipped: list[Path] = []
    outside: list[Path] = []
    denied: list[Path] = []
    given_dirs: list[Path] = []
    ci_files: set[Path] = set()
    for given in paths:
        path = Path(os.path.abspath(given))
        if os.path.isdir(path):  # (os.path: a folder above without permission is no crash)
            if not inside_boundary(path):
                outside.append(given)  # a folder linked out of the repository is not walked
                continue
            given_dirs.append(path)
            found_c, found_d = _scan_directory(path, named=not force_exclude)
            compose.update(found_c)
            dockerfiles.update(found_d)
        elif is_input_file(path):  # (a link out counts, to be refused alike, target or not)
            if not _classify_explicit(path, compose, dockerfiles, ci_files):
                skipped.append(given)
        elif lookup_denied(path):
            # it may exist behind a folder without permission: a note, and a Dockerfile by name
            # still finds the compose files that build it (DIND003 at their `build:`)
            denied.append(given)
            if is_dockerfile_name(path.name):
                dockerfiles.add(path)
        elif os.path.lexists(path):
            skipped.append(given)  # a FIFO, a device, a broken link: nothing to read
        else:
            missing.append(given)
    if force_exclude:  # files named on the command line, less those git ignores
        by_root: dict[Path, list[Path]] = {}
        for file in sorted(compose | dockerfiles):
            repository = find_git_root(file.parent)
            if repository is not None:
                by_root.setdefault(repository, []).append(file)
        for repository, files in by_root.items():
            ignored = git_ignored(repository, files)
            compose -= ignored
            dockerfiles -= ignored
    return Discovered(
        tuple(sorted(compose)),
        tuple(sorted(dockerfiles)),
        tuple(missing),
        tuple(skipped),
        tuple(outside),
        tuple(denied),
        tuple(given_dirs),
        tuple(sorted(ci_files & compose)),
    )


def _classify_explicit(
    path: Path, compose: set[Path], dockerfiles: set[Path], ci_files: set[Path]
) -> bool:
    """Add an explicitly given file where it belongs; False when it is neither kind."""
    name = path.name
    if is_dockerfile_name(name):
        dockerfiles.add(path)
        return True
    if is_compose_name(name) or is_ci_name(name):
        compose.add(path)
        return True
    if name.lower().endswith((".yml", ".yaml")) and _looks_like_gitlab_ci(path):
        compose.add(path)  # a GitLab CI file under a custom name (the project's CI path)
        ci_files.add(path)
        return True
    if name.lower().endswith((".yml", ".yaml")):
        # A YAML file passed explicitly is compose when its top level has `services` (or, when
        # it does not parse, when a line opens with `services:`: then DIND001 says why).
        from dindlint.compose import is_compose_document

        if is_compose_document(path) or _mentions_services(path):
            compose.add(path)
            return True
    return False


# Top-level keys only GitLab CI has, or a job's `script:` (compose has neither)
_GITLAB_CI_KEYS = re.compile(rb"^(stages|workflow|default):|^[ \t]+script:", re.MULTILINE)


def _looks_like_gitlab_ci(path: Path) -> bool:
    try:
        data = read_input(path)  # inside the run's boundary, as every input
    except OSError:
        return False
    return _GITLAB_CI_KEYS.search(data) is not None


def _mentions_services(path: Path) -> bool:
    try:
        data = read_input(path)  # inside the run's boundary, as every input
    except OSError:
        return False
    return b"\nservices:" in b"\n" + data


def _scan_directory(root: Path, named: bool = False) -> tuple[list[Path], list[Path]]:
    """Compose files and Dockerfiles under ``root``, less what git ignores; when the folder was
    ``named`` on the command line and git ignores it, what is in it is checked all the same."""
    compose: list[Path] = []
    dockerfiles: list[Path] = []
    for folder, files in _walk(str(root)):
        for entry in files:
            name = entry.name
            if not (
                is_compose_name(name) or is_dockerfile_name(name) or is_ci_name(name)
            ) or not _is_file(entry):
                continue  # only regular files: reading a FIFO named compose.yaml would block
            if is_template_name(name):
                continue  # `Dockerfile.j2` renders to a Dockerfile; it is not one yet
            is_compose = is_compose_name(name) or is_ci_name(name)
            (compose if is_compose else dockerfiles).append(Path(folder, name))
    ignored = git_ignored(root, compose + dockerfiles)
    if ignored and named and root in git_ignored(root, [root]):
        # the folder named is what git ignores: its files are checked (a pattern that ignores
        # only some of them is not told apart from the folder's own)
        ignored = set()
    return ([p for p in compose if p not in ignored], [p for p in dockerfiles if p not in ignored])


def _is_file(entry: os.DirEntry[str]) -> bool:
    """``entry.is_file()``, False for a symlink loop (ELOOP) or a vanished entry; a link is judged
    by ``source.is_input_file`` (a link out of the repository is listed, and refused when read)."""
    try:
        if entry.is_symlink():
            return is_input_file(Path(entry.path))
        return entry.is_file()
    except OSError:
        return False


def _walk(root: str) -> Iterator[tuple[str, list[os.DirEntry[str]]]]:
    """Like ``os.walk`` (top-down, sorted, symlinked folders listed but not entered, unreadable
    folders skipped), with the directory entries' cached types: no ``stat`` per file or folder.
    Skipped: ``SKIPPED_DIRS`` and any folder holding a ``pyvenv.cfg`` (a virtual environment)."""
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError:
            continue
        if folder != root and any(e.name == "pyvenv.cfg" and e.is_file() for e in entries):
            continue  # any virtual environment, whatever its name
        files: list[os.DirEntry[str]] = []
        subdirs: list[str] = []
        for entry in entries:
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if not is_dir:
                files.append(entry)
            elif entry.name not in SKIPPED_DIRS and not entry.is_symlink():
                subdirs.append(entry.path)
        yield folder, files
        stack.extend(reversed(subdirs))


def compose_files_upward(dockerfile: Path, limit: int = 8) -> list[Path]:
    """Compose files that may build a Dockerfile passed alone (pre-commit passes only the changed
    file; the compose file that builds it must still be found, or the cross-file rules go blind).

    Inside a git work tree: every compose file of the repository (a `deploy/compose.yaml` may
    build `../src/app`). Elsewhere: those in the Dockerfile's folder and its ancestors, up to the
    run's read boundary.
    """
    root = find_git_root(dockerfile.parent)
    if root is not None:
        return _scan_directory(root)[0]
    found: list[Path] = []
    folder = dockerfile.parent
    for _ in range(limit):
        if not inside_boundary(folder):
            break  # the folders above the repository are not the repository's
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            names = []
        found.extend(
            folder / n
            for n in names
            if is_compose_name(n) and not is_template_name(n) and (folder / n).is_file()
        )
        if folder.parent == folder:
            break
        folder = folder.parent
    return found


def read_boundary(paths: list[Path], named: Iterable[Path] = ()) -> ReadBoundary:
    """What a run over ``paths`` may open: the repository of each path (its git top level; outside
    git, the folder given, or for a file the current directory when it holds the file, else the
    file's folder), and the files the user ``named`` on the command line (``--env-file``,
    ``--config``, ``--baseline``) that lie outside it. A named file that lies in the repository
    is the repository's: a link there is followed only to a file inside, as for any input."""
    cwd = Path.cwd()
    roots: dict[str, None] = {}
    for given in paths:
        path = Path(os.path.abspath(given))
        is_dir = os.path.isdir(path)  # never raises (a folder above without permission)
        git_root = find_git_root(path if is_dir else path.parent)
        if git_root is not None:
            root = git_root
        elif is_dir:
            root = path
        else:
            root = cwd if path.is_relative_to(cwd) else path.parent
        roots.setdefault(os.path.realpath(root), None)
    repositories = ReadBoundary(tuple(roots))
    admitted = {
        os.path.realpath(p)
        for p in named
        if not repositories.holds(os.path.realpath(os.path.dirname(os.path.abspath(p))))
    }
    return repositories._replace(admitted=frozenset(admitted))
