"""The one entry of an analysis: the files found, through every stage, to what a command shows.

``analyse`` is what ``dindlint check`` and ``dindlint graph`` run (and whatever comes next: a
fixer, another input format). It makes the run's session from its ``Settings`` (the
configuration, with its ``images:`` entries and host GID; the read boundary; the loader's
inputs) and activates it, so that every stage below reads the same state:

    discover.Discovered ─▶ project.build_projects ─▶ topology.build_topology
                        ─▶ engine.run_checks ─▶ Analysis (diagnostics, files, models)

Projects are loaded and checked in this process, or on a pool of processes (``parallel``) when
there are enough of them; the result is the same.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

from dindlint import parallel
from dindlint.discover import Discovered
from dindlint.engine import loader, new_session, project_files, run_checks
from dindlint.findings import Diagnostic
from dindlint.project import Project, build_projects, group_compose_files
from dindlint.session import Settings, active
from dindlint.source import reading_once
from dindlint.topology import Topology, build_topology


class Analysis(NamedTuple):
    """What a run found: the diagnostics (sorted, suppressions applied), every file its projects
    read (the report's summary counts them), and, when asked for, each project with its
    topology (what ``graph`` draws)."""

    diagnostics: list[Diagnostic]
    files: set[Path]
    models: tuple[tuple[Project, Topology], ...] = ()


def default_jobs() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def analyse(
    found: Discovered, settings: Settings, jobs: int | None = None, keep_models: bool = False
) -> Analysis:
    """Load the projects of ``found`` and check them under ``settings``, on ``jobs`` processes
    (default: the CPU count; a run that keeps its models runs in this process). Each file is
    read and parsed once per process."""
    jobs = default_jobs() if jobs is None else jobs
    with active(new_session(settings)), parallel.collector_off(), reading_once():
        if jobs > 1 and not keep_models:  # (with --jobs 1, only build_projects groups the files)
            groups = group_compose_files(found.compose_only())
            if len(groups) >= parallel.MIN_PARALLEL:
                return Analysis(*parallel.check_in_pool(found, groups, settings, jobs))
        projects = build_projects(found, loader(settings))
        topologies = None
        if keep_models:
            topologies = [build_topology(p, settings.config.host_docker_gid) for p in projects]
        diagnostics = run_checks(
            projects, settings.config, settings.inline_suppressions, topologies
        )
        models = tuple(zip(projects, topologies, strict=True)) if topologies is not None else ()
        return Analysis(diagnostics, project_files(projects), models)
