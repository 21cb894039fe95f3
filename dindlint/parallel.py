"""Load and check projects on a pool of processes (``dindlint check --jobs N``).

The result is the same as one process's, whatever N (tests/test_jobs.py):

1. The compose groups (``group_compose_files``) are split into contiguous chunks. A worker loads
   each group of its chunk, attaches the Dockerfiles it builds, runs the checks and parses the
   suppression directives of the project's files; it sends back small, picklable results
   (findings, file lists, instruction ranges, directives), never the models.
2. The main process merges the results in group order and applies what needs every project at
   once, exactly as ``project.build_projects`` does: a compose file that another project
   includes or extends is not a project of its own; Dockerfiles no project builds get projects
   (in this process: usually few). ``engine.finish`` then de-duplicates in project order,
   applies suppressions, stamps severities and sorts.

Workers receive the run's ``Settings`` and build their own session from them
(``engine.new_session``): nothing depends on state inherited through ``fork``, so ``spawn``
works as well. ``pipeline.analyse`` decides whether a pool is worth starting.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from dindlint.discover import Discovered
from dindlint.engine import (
    analysed_files,
    finish,
    instruction_ranges,
    loader,
    new_session,
    project_files,
    project_findings,
)
from dindlint.findings import Diagnostic, Finding
from dindlint.project import (
    ci_projects,
    compose_project,
    dockerfile_projects,
    referenced_elsewhere,
)
from dindlint.session import Settings, activate_for_life, current
from dindlint.suppress import FileSuppressions, SuppressionIndex

# Fewer compose groups than this run in this process: starting a pool (~50 ms on the reference
# machine) costs more than it saves below about this many (bench/bench.py, trees of 10 and 100).
MIN_PARALLEL = 48
# Chunks per worker: enough that the workers finish together (with 4, one sat idle for up to
# a chunk's time at the end); a worker reads and parses a shared file (an `extends` base) once
# whatever its number of chunks (its session's memo lives as long as the worker).
CHUNKS_PER_WORKER = 16
# multiprocessing start method (None: the platform's default; tests also run 'spawn').
START_METHOD: str | None = None


# Within a run the cyclic garbage collector is off. Its collections traverse every object alive,
# again and again while a large file's model grows (a 4.7 MB compose file of 71,000 services:
# 15 s, of which 6 s collecting; with the young generations only, still 2.5 s), and a run makes
# next to no cyclic garbage: that file's whole run leaves 421 unreachable objects, the class
# objects of its imports. What a run allocates is freed by reference counting.


@contextmanager
def collector_off() -> Iterator[None]:
    """Within this block the cyclic garbage collector does not run (a block inside another
    leaves it as the outer one set it)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass(eq=False, repr=False)
class _GroupResult:
    """One compose group's project, as a worker reports it."""

    compose_files: tuple[Path, ...]
    built: tuple[Path, ...]
    findings: list[Finding]
    ranges: dict[Path, dict[int, int]]
    analysed: list[Path]
    directives: dict[Path, FileSuppressions]


def check_in_pool(
    found: Discovered, groups: list[tuple[Path, ...]], settings: Settings, jobs: int
) -> tuple[list[Diagnostic], set[Path]]:
    """The diagnostics of ``found`` (its compose files grouped as ``groups``) checked on
    ``jobs`` processes, and every file the projects read."""
    import multiprocessing  # here: a pre-commit run (inline) does not pay for these imports
    from concurrent.futures import ProcessPoolExecutor

    count = min(len(groups), jobs * CHUNKS_PER_WORKER)
    size, extra = divmod(len(groups), count)
    chunks, start = [], 0
    for index in range(count):
        end = start + size + (1 if index < extra else 0)
        chunks.append(groups[start:end])
        start = end
    with ProcessPoolExecutor(
        max_workers=min(jobs, count),
        initializer=_start_worker,
        initargs=(settings,),
        mp_context=multiprocessing.get_context(START_METHOD),
    ) as pool:
        results = [r for chunk in pool.map(_check_groups, chunks) for r in chunk]

    # as build_projects: a file another project includes or extends is linted inside that one
    dropped = referenced_elsewhere([r.compose_files for r in results])
    kept = [r for r, drop in zip(results, dropped, strict=True) if not drop]
    built = {path for r in kept for path in r.built}
    seen = {r.compose_files[0] for r in kept}
    others = dockerfile_projects(found.dockerfiles, built, seen, loader(settings))
    others.extend(ci_projects(found, loader(settings)))  # GitLab CI pipelines: in this process

    per_project = [r.findings for r in kept]
    per_project.extend(project_findings(p, settings.config) for p in others)
    ranges: dict[Path, dict[int, int]] = {}
    analysed: dict[Path, None] = {}
    directives: dict[Path, FileSuppressions] = {}
    files: set[Path] = set()
    for r in kept:
        ranges.update(r.ranges)
        analysed.update(dict.fromkeys(r.analysed))
        for path, found_here in r.directives.items():
            directives.setdefault(path, found_here)
        files.update(r.compose_files)
        files.update(r.built)
    ranges.update(instruction_ranges(others))
    analysed.update(dict.fromkeys(analysed_files(others)))
    files |= project_files(others)
    diagnostics = finish(
        per_project,
        ranges,
        list(analysed),
        settings.config,
        settings.inline_suppressions,
        directives,
    )
    return diagnostics, files


# ------------------------------------------------------------------------- worker side


def _start_worker(settings: Settings) -> None:
    """Pool initializer: the worker's session, made from the run's settings and current for the
    worker's life (which ends with the run), with one read-once memo for all its chunks (they
    share what they read); garbage collection as in the main process."""
    session = new_session(settings)
    session.memo = {}
    activate_for_life(session)
    gc.disable()  # as in the main process (a forked worker has it off already)


def _check_groups(groups: list[tuple[Path, ...]]) -> list[_GroupResult]:
    settings = current().settings
    assert settings is not None, "worker started without settings"
    out: list[_GroupResult] = []
    for files in groups:
        # a loader per project: nothing of a project is held once its result is made (files
        # and Dockerfiles several projects share are kept by ``remembered``)
        project = compose_project(files, loader(settings))
        ranges = instruction_ranges([project])
        analysed = analysed_files([project])
        directives: dict[Path, FileSuppressions] = {}
        if settings.inline_suppressions:
            index = SuppressionIndex(ranges)
            directives = {path: index.of(path) for path in analysed}
        assert project.compose is not None
        out.append(
            _GroupResult(
                compose_files=project.compose.files,
                built=tuple(df.path for df in project.dockerfiles),
                findings=project_findings(project, settings.config),
                ranges=ranges,
                analysed=analysed,
                directives=directives,
            )
        )
    return out
