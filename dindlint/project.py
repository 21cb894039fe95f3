"""Stage 2, load: turn discovered files into projects of loaded, merged models.

A project is a compose file merged with its override file, plus the Dockerfiles its services
build; or a Dockerfile that no compose file builds. Each file is read and parsed once per run,
even when several projects share it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from dindlint.compose import load_project
from dindlint.discover import Discovered, compose_files_upward
from dindlint.dockerfile import load_dockerfile
from dindlint.files import DEFAULT_BASE_NAMES, OVERRIDE_NAMES, find_git_root, is_override_name
from dindlint.gitlab import is_ci_name, pipeline_projects
from dindlint.model import ComposeProject, Dockerfile, Service
from dindlint.source import (
    current_boundary,
    is_input_file,
    memoised_for,
    read_input,
    remembered,
    run_memo,
)


class Project(NamedTuple):
    """What the later stages analyse together."""

    compose: ComposeProject | None
    builds: dict[str, Dockerfile] = {}  # noqa: RUF012 - a field, never mutated; service → Dockerfile
    dockerfiles: tuple[Dockerfile, ...] = ()  # every Dockerfile of the project, for file rules

    @property
    def label(self) -> Path:
        if self.compose is not None:
            return self.compose.files[0]
        return self.dockerfiles[0].path


@dataclass(eq=False, repr=False)
class Loader:
    """Loads files once and remembers them (a run may see a file from several projects)."""

    environ: Mapping[str, str] | None = None
    env_files: tuple[Path, ...] | None = None
    runner_env: Mapping[str, str] | None = None  # configuration ``gitlab-runner-env``
    _compose: dict[tuple[Path, ...], ComposeProject] = field(default_factory=dict)
    _dockerfiles: dict[tuple[Path, tuple[tuple[str, str], ...]], Dockerfile] = field(
        default_factory=dict
    )

    def compose(self, files: tuple[Path, ...]) -> ComposeProject:
        if files not in self._compose:
            self._compose[files] = load_project(
                list(files),
                env_files=list(self.env_files) if self.env_files else None,
                environ=self.environ,
            )
        return self._compose[files]

    def dockerfile(self, path: Path, build_args: Mapping[str, str] | None = None) -> Dockerfile:
        key = (path, tuple(sorted((build_args or {}).items())))
        if key not in self._dockerfiles:
            # shared across loaders within a run (the workers of --jobs use one per project)
            self._dockerfiles[key] = remembered(
                ("dockerfile", key),
                lambda: load_dockerfile(path, build_args=dict(build_args or {})),
            )
        return self._dockerfiles[key]


def group_compose_files(compose_files: tuple[Path, ...]) -> list[tuple[Path, ...]]:
    """Base file + override file(s) of the same folder; every other compose file on its own.

    Compose merges ``compose.override.y[a]ml`` into the default base file it picks first
    (``compose.yaml``, ``compose.yml``, ``docker-compose.yml``, ``docker-compose.yaml``).
    An override file passed alone still finds its base on disk.
    """
    by_folder: dict[Path, list[Path]] = {}
    for path in compose_files:
        if is_ci_name(path.name):
            continue  # a GitLab CI file: ``ci_projects``
        by_folder.setdefault(path.parent, []).append(path)
    groups: list[tuple[Path, ...]] = []
    for folder, files in sorted(by_folder.items()):
        overrides = sorted((p for p in files if is_override_name(p.name)), key=_override_rank)
        others = [p for p in files if not is_override_name(p.name)]
        base = _default_base(folder)
        if overrides and base is not None and base not in others:
            others.append(base)
        for path in sorted(others):
            if path == base:
                groups.append((path, *_first_override(folder, overrides)))
            else:
                groups.append((path,))
        if overrides and base is None:
            groups.extend((o,) for o in overrides)
    return groups


def _override_rank(path: Path) -> int:
    name = path.name.lower()
    return OVERRIDE_NAMES.index(name) if name in OVERRIDE_NAMES else len(OVERRIDE_NAMES)


def _first_override(folder: Path, passed: list[Path]) -> tuple[Path, ...]:
    """Compose reads the first override file found, whether or not it was passed."""
    for name in OVERRIDE_NAMES:
        candidate = folder / name
        if is_input_file(candidate):
            return (candidate,)
    return tuple(passed[:1])


def _default_base(folder: Path) -> Path | None:
    for name in DEFAULT_BASE_NAMES:
        candidate = folder / name
        if is_input_file(candidate):
            return candidate
    return None


def build_projects(found: Discovered, loader: Loader) -> list[Project]:
    """Load every compose group and attach the Dockerfiles its services build."""
    composes = [loader.compose(files) for files in group_compose_files(found.compose_only())]
    composes = _drop_referenced(composes)
    projects = [_attach_builds(c, loader) for c in composes]
    built = {df.path for p in projects for df in p.dockerfiles}
    seen = {c.files[0] for c in composes}
    projects.extend(dockerfile_projects(found.dockerfiles, built, seen, loader))
    projects.extend(ci_projects(found, loader))
    return projects


def ci_projects(found: Discovered, loader: Loader) -> list[Project]:
    """A project per job of each GitLab CI pipeline found."""
    paths = found.ci_paths()
    if not paths:
        return []
    given = found.given_dirs

    def root_of(path: Path) -> Path:
        """Where local includes resolve: the folder given when it holds a ``.gitlab-ci.yml``,
        else the git top level, else the folder given, else the run's read boundary, else the
        file's folder."""
        holding = [d for d in given if path.is_relative_to(d) and _holds_ci_file(d)]
        if holding:
            return max(holding, key=lambda d: len(d.parts))
        git = find_git_root(path.parent)
        if git is not None:
            return git
        around = [d for d in given if path.is_relative_to(d)]
        if around:
            return max(around, key=lambda d: len(d.parts))
        # a file given alone, outside git: the run's read boundary (the current folder when it
        # holds the file)
        boundary = current_boundary()
        real = os.path.realpath(path)
        held = [
            Path(r) for r in (boundary.roots if boundary else ()) if real.startswith(r + os.sep)
        ]
        return max(held, key=lambda d: len(d.parts)) if held else path.parent

    # a file given alone (a pre-commit run) may be included by its repository's pipeline: that
    # pipeline is read too, so the file is judged as part of it, as an included compose file is
    # judged in the project that includes it
    extra: dict[Path, None] = {}
    for path in paths:
        root_file = _ci_file_in(root_of(path))
        if root_file is not None and root_file not in paths:
            extra[root_file] = None
    composes = pipeline_projects((*paths, *extra), root_of, loader.runner_env)
    return [Project(compose=c) for c in composes]


def _ci_file_in(folder: Path) -> Path | None:
    """The folder's ``.gitlab-ci.yml`` (in any letter case), if it has one."""
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return None
    for name in names:
        if name.lower() == ".gitlab-ci.yml" and is_input_file(folder / name):
            return folder / name
    return None


def _holds_ci_file(folder: Path) -> bool:
    """The folder holds a ``.gitlab-ci.yml`` (in any letter case)."""
    return _ci_file_in(folder) is not None


def dockerfile_projects(
    dockerfiles: tuple[Path, ...], built: set[Path], seen: set[Path], loader: Loader
) -> list[Project]:
    """Projects for the Dockerfiles no compose project builds (``built``): the compose projects
    found upward that build one (and are not among ``seen``, the base files of the projects
    already made), else the Dockerfile on its own. ``built`` and ``seen`` are updated."""
    projects: list[Project] = []
    for path in dockerfiles:
        if path in built:
            continue
        owners = _compose_projects_building(path, loader, seen)
        if owners:
            for compose in owners:
                project = _attach_builds(compose, loader)
                projects.append(project)
                built.update(df.path for df in project.dockerfiles)
                seen.add(compose.files[0])
        else:
            projects.append(Project(compose=None, dockerfiles=(loader.dockerfile(path),)))
    return projects


def compose_project(files: tuple[Path, ...], loader: Loader) -> Project:
    """The project of one compose group (``group_compose_files``) with the Dockerfiles it builds."""
    return _attach_builds(loader.compose(files), loader)


def _drop_referenced(composes: list[ComposeProject]) -> list[ComposeProject]:
    """A file that another project includes or extends is linted as part of that project.

    Not when that project is in turn read by this one (an include cycle): dropping both would
    lint neither, silently."""
    dropped = referenced_elsewhere([c.files for c in composes])
    return [c for c, drop in zip(composes, dropped, strict=True) if not drop]


def referenced_elsewhere(file_lists: list[tuple[Path, ...]]) -> list[bool]:
    """For each project's files (its own file first): whether another project reads its first
    file (includes or extends it) without being read by it in turn. Linear in the number of
    files, through an index of who reads what (a pairwise comparison is quadratic)."""
    readers: dict[Path, list[int]] = {}
    for index, files in enumerate(file_lists):
        for path in dict.fromkeys(files[1:]):
            readers.setdefault(path, []).append(index)
    flags = []
    for index, files in enumerate(file_lists):
        own = set(files)
        flags.append(
            any(
                other != index and file_lists[other][0] not in own
                for other in readers.get(files[0], ())
            )
        )
    return flags


def _attach_builds(compose: ComposeProject, loader: Loader) -> Project:
    builds: dict[str, Dockerfile] = {}
    for name, service in _built(compose):
        build = service.build
        if build is None or build.dockerfile is None or not _readable_file(build.dockerfile):
            continue  # (not found or not readable: DIND003 at the `build:` entry)
        args = {k: v.value for k, v in build.args.items() if v.value is not None and v.known}
        builds[name] = loader.dockerfile(build.dockerfile, args)
    unique: dict[Path, Dockerfile] = {}
    for dockerfile in builds.values():
        unique.setdefault(dockerfile.path, dockerfile)
    return Project(compose=compose, builds=builds, dockerfiles=tuple(unique.values()))


def _built(compose: ComposeProject) -> list[tuple[str, Service]]:
    """The services that build an image, by name. The services of an included part are looked
    at once per run (forty includers of a 71,000-service file went through all of them each)."""
    names = compose.own_service_names()
    built = [(n, compose.services[n]) for n in names if compose.services[n].build is not None]
    for part in compose.included:
        built += built_in_part(part)
    return sorted(built)


def built_in_part(part: ComposeProject) -> list[tuple[str, Service]]:
    """The services of an included part that build an image (looked at once per run)."""

    def built() -> list[tuple[str, Service]]:
        return [(n, s) for n, s in part.services.items() if s.build is not None]

    return memoised_for("part-built", (part,), built)


def _readable_file(path: Path) -> bool:
    """A regular file this process may read; never raises (a folder above may refuse)."""
    return os.path.isfile(path) and os.access(path, os.R_OK)


def _compose_projects_building(
    dockerfile: Path, loader: Loader, seen: set[Path]
) -> list[ComposeProject]:
    """Compose projects, found upward from the Dockerfile, that build it."""
    owners: list[ComposeProject] = []
    for files in _upward_groups(dockerfile):
        if files[0] in seen or not any(_mentions_build(f) for f in files):
            continue
        compose = loader.compose(files)
        if any(
            s.build is not None and s.build.dockerfile == dockerfile
            for s in compose.services.values()
        ):
            owners.append(compose)
    return owners


def _upward_groups(dockerfile: Path) -> list[tuple[Path, ...]]:
    """``group_compose_files`` of ``compose_files_upward``: in a git work tree the same for every
    Dockerfile of the repository, so computed once per run (``reading_once``), not per file."""
    memo = run_memo()
    root = find_git_root(dockerfile.parent)
    key = ("upward-groups", str(root or dockerfile.parent))
    if memo is not None and key in memo:
        return memo[key]  # type: ignore[return-value]
    groups = group_compose_files(tuple(compose_files_upward(dockerfile)))
    if memo is not None:
        memo[key] = groups
    return groups


def _mentions_build(path: Path) -> bool:
    """Cheap filter before a full load: a compose file that never says `build` builds nothing
    (extends and include may bring a build in, so those count too)."""
    try:
        text = read_input(path).decode("utf-8", errors="replace")
    except OSError:
        return False
    return "build" in text or "extends" in text or "include" in text
