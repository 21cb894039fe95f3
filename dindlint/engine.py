"""Stage 7, diagnostics: run the checks, stamp severity from the catalogue, sort, de-duplicate."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from dindlint.catalogue import catalogue
from dindlint.checks import CHECKS, Check, Context, Finding
from dindlint.config import Config
from dindlint.discover import Discovered
from dindlint.project import (
    Loader,
    Project,
    build_projects,
    compose_project,
    dockerfile_projects,
    group_compose_files,
    referenced_elsewhere,
)
from dindlint.source import ReadBoundary, Span, capped, reading_once, reading_within
from dindlint.suppress import FileSuppressions, SuppressionIndex
from dindlint.topology import build_topology

SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}


# Rules the engine itself reports, beside the checks of ``dindlint.checks.CHECKS``.
UNUSED_SUPPRESSION = "DIND004"
ENGINE_RULES = (UNUSED_SUPPRESSION,)


def rule_ids() -> frozenset[str]:
    """Every rule id dindlint can report: the checks' and the engine's own."""
    return frozenset((*CHECKS, *ENGINE_RULES))


def names_a_rule(selector: str) -> bool:
    """A selector (id or prefix) that matches at least one rule: a typo selects nothing."""
    return any(rule.startswith(selector) for rule in rule_ids())


class Diagnostic(NamedTuple):
    """A finding ready for reporting. Ordered by path, line, column, rule id.

    ``suppressed`` is the justification of the inline suppression that covers it ("" when the
    directive gives no reason), or None: suppressed diagnostics are kept for SARIF, which reports
    them as suppressed, and left out of text output and the exit code.
    """

    span: Span
    rule_id: str
    severity: str
    name: str
    message: str
    related: tuple[tuple[Span, str], ...] = ()
    suppressed: str | None = None


def run_checks(
    projects: list[Project], config: Config | None = None, inline_suppressions: bool = True
) -> list[Diagnostic]:
    """Every diagnostic of every project, sorted and without duplicates (a Dockerfile shared by
    several projects is reported once), with the configuration and inline suppressions applied.
    """
    config = config or Config()
    findings = [project_findings(project, config) for project in projects]
    return finish(
        findings,
        instruction_ranges(projects),
        analysed_files(projects),
        config,
        inline_suppressions,
    )


def project_findings(project: Project, config: Config) -> list[Finding]:
    """The findings of one project's checks, in check order, less ``per-file-ignores``.

    Independent of every other project: ``dindlint.parallel`` runs it in worker processes."""
    ctx = Context(project, build_topology(project, config.host_docker_gid))
    found: list[Finding] = []
    for rule_id, check in _enabled_checks(config):
        for finding in check(ctx):
            if not (config.per_file_ignores and config.ignored_for(finding.span.path, rule_id)):
                found.append(finding)
    return found


_enabled: tuple[Config, list[tuple[str, Check]]] | None = None


def _enabled_checks(config: Config) -> list[tuple[str, Check]]:
    """The checks ``config`` enables, in ``CHECKS`` order, for the last configuration asked
    (matching the selectors again for every project was a few percent of a large run)."""
    global _enabled
    if _enabled is None or _enabled[0] is not config:
        _enabled = (
            config,
            [(rule_id, check) for rule_id, check in CHECKS.items() if config.enabled(rule_id)],
        )
    return _enabled[1]


def finish(
    per_project: list[list[Finding]],
    ranges: dict[Path, dict[int, int]],
    analysed: list[Path],
    config: Config,
    inline_suppressions: bool = True,
    parsed: dict[Path, FileSuppressions] | None = None,
) -> list[Diagnostic]:
    """Merge the projects' findings (in project order; the first of equal findings is kept),
    then apply inline suppressions, stamp severities and sort. ``ranges`` are the Dockerfiles'
    instruction line ranges, ``analysed`` the files whose suppressions are judged (DIND004),
    ``parsed`` the directives already read per file (by worker processes)."""
    rules = catalogue()
    selected = {r for r in rule_ids() if config.enabled(r)}
    seen: set[tuple[str, Span, str]] = set()
    findings: list[Finding] = []
    for project in per_project:
        for finding in project:
            key = (finding.rule_id, finding.span, finding.message)
            if key not in seen:
                seen.add(key)
                findings.append(finding)
    if not inline_suppressions:
        return sorted(_stamp(f, rules, config) for f in findings)
    index = SuppressionIndex(ranges)
    for path, found in (parsed or {}).items():
        index.add(path, found)
    diagnostics = []
    for finding in findings:
        entry = index.match(finding.rule_id, finding.span)
        diagnostics.append(_stamp(finding, rules, config, None if entry is None else entry.reason))
    if UNUSED_SUPPRESSION in selected:
        unused = _unused_suppressions(index, analysed, selected)
        diagnostics.extend(
            _stamp(f, rules, config)
            for f in unused
            if not config.ignored_for(f.span.path, UNUSED_SUPPRESSION)
        )
    return sorted(diagnostics)


def instruction_ranges(projects: list[Project]) -> dict[Path, dict[int, int]]:
    ranges: dict[Path, dict[int, int]] = {}
    for project in projects:
        for dockerfile in project.dockerfiles:
            ranges[dockerfile.path] = {
                ins.span.line: ins.span.end_line
                for stage in dockerfile.stages
                for ins in stage.instructions
            }
            for stage in dockerfile.stages:
                ranges[dockerfile.path][stage.span.line] = stage.span.end_line
    return ranges


def analysed_files(projects: list[Project]) -> list[Path]:
    files: dict[Path, None] = {}
    for project in projects:
        if project.compose is not None:
            files.update((f, None) for f in project.compose.files if f.name != ".env")
        files.update((d.path, None) for d in project.dockerfiles)
    return list(files)


def _unused_suppressions(
    index: SuppressionIndex, files: list[Path], selected: set[str]
) -> list[Finding]:
    """DIND004: directives that suppress nothing, or name a rule that does not exist."""
    known = rule_ids()
    unused: list[Finding] = []
    stale = index.unused(files)
    # a directive that also names DIND004 is allowed to match nothing (and that entry with it)
    tolerant = {e.span for e in index.entries(files) if e.rule_id == UNUSED_SUPPRESSION}
    for entry in stale:
        if entry.span in tolerant:
            continue
        if entry.rule_id not in known:
            message = f"`# dindlint: disable={entry.rule_id}` names no dindlint rule"
        elif entry.rule_id not in selected:
            continue  # the rule did not run: its suppressions cannot be judged
        else:
            message = (
                f"`# dindlint: disable={entry.rule_id}` suppresses nothing here: no "
                f"{entry.rule_id} finding on the line it covers; remove it"
            )
        unused.append(Finding(UNUSED_SUPPRESSION, message, entry.span))
    return unused


def _stamp(
    finding: Finding,
    rules: dict,
    config: Config,  # type: ignore[type-arg]
    suppressed: str | None = None,
) -> Diagnostic:
    doc = rules.get(finding.rule_id)
    severity = (
        config.severity.get(finding.rule_id)
        or finding.severity
        or (doc.severity if doc else "error")
    )
    name = doc.name if doc else finding.rule_id
    return Diagnostic(
        finding.span,
        finding.rule_id,
        severity,
        name,
        capped(finding.message),
        tuple((span, capped(note)) for span, note in finding.related),
        suppressed,
    )


def display_path(path: Path, base: Path) -> str:
    """Relative to ``base`` with forward slashes; absolute for a file outside it."""
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()


# ------------------------------------------------------------------------------------------------
# Processes (``dindlint check --jobs N``)
#
# Load and check projects on a pool of processes (``dindlint check --jobs N``).
#
# The result is the same as one process's, whatever N (tests/test_jobs.py):
#
# 1. The compose groups (``group_compose_files``) are split into contiguous chunks. A worker loads
#    each group of its chunk, attaches the Dockerfiles it builds, runs the checks and parses the
#    suppression directives of the project's files; it sends back small, picklable results
#    (findings, file lists, instruction ranges, directives), never the models.
# 2. The main process merges the results in group order and applies what needs every project at
#    once, exactly as ``project.build_projects`` does: a compose file that another project
#    includes or extends is not a project of its own; Dockerfiles no project builds get projects
#    (in this process: usually few). ``engine.finish`` then de-duplicates in project order,
#    applies suppressions, stamps severities and sorts.
#
# Workers receive the configuration explicitly (``Settings``), and register its ``images`` entries
# themselves: nothing depends on globals inherited through ``fork``, so ``spawn`` works as well.
# With ``--jobs 1``, or fewer than ``MIN_PARALLEL`` compose groups (a pre-commit run, a small
# repository), everything runs in this process, without a pool's start-up cost.
# ------------------------------------------------------------------------------------------------

# Fewer compose groups than this run in this process: starting a pool (~50 ms on the reference
# machine) costs more than it saves below about this many (bench/bench.py, trees of 10 and 100).
MIN_PARALLEL = 48
# Chunks per worker: enough that the workers finish together (with 4, one sat idle for up to
# a chunk's time at the end); a worker reads and parses a shared file (an `extends` base) once
# whatever its number of chunks (``_start_worker``).
CHUNKS_PER_WORKER = 16
# multiprocessing start method (None: the platform's default; tests also run 'spawn').
START_METHOD: str | None = None


class Settings(NamedTuple):
    """What a worker needs besides its chunk: the configuration and the loader's inputs."""

    config: Config
    environ: Mapping[str, str] | None = None
    env_files: tuple[Path, ...] | None = None
    inline_suppressions: bool = True
    # what the run may open (``source.ReadBoundary``); None: any file but /proc, /sys, /dev
    boundary: ReadBoundary | None = None

    def loader(self) -> Loader:
        return Loader(environ=self.environ, env_files=self.env_files)


@dataclass(eq=False, repr=False)
class Outcome:
    """The diagnostics of a run and every file its projects read (for the report's summary)."""

    diagnostics: list[Diagnostic]
    files: set[Path] = field(default_factory=set)


def default_jobs() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def check_discovered(found: Discovered, settings: Settings, jobs: int | None = None) -> Outcome:
    """Load the projects of ``found`` and check them, on ``jobs`` processes (default: the CPU
    count). Each file is read and parsed once per process (``reading_once``)."""
    jobs = default_jobs() if jobs is None else jobs
    with _fewer_collections(), reading_once(), reading_within(settings.boundary):
        if jobs > 1:  # (with --jobs 1, only build_projects groups the files)
            groups = group_compose_files(found.compose_files)
            if len(groups) >= MIN_PARALLEL:
                return _check_in_pool(found, groups, settings, jobs)
        projects = build_projects(found, settings.loader())
        return Outcome(
            run_checks(projects, settings.config, settings.inline_suppressions),
            project_files(projects),
        )


# Allocations between two collections of the youngest generation during a run (Python's default
# is 700). A run makes many objects that live to its end (models, memos) and little cyclic
# garbage: at the default, the collector scanned everything loaded so far over and over, a
# quarter of a `--jobs 1` run of 10,000 files.
GC_THRESHOLD = 10_000


def _collect_less_often() -> tuple[int, ...]:
    """Raise the youngest generation's threshold to ``GC_THRESHOLD``; the previous thresholds."""
    thresholds = gc.get_threshold()
    gc.set_threshold(max(GC_THRESHOLD, thresholds[0]), *thresholds[1:])
    return thresholds


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Within this block the garbage collector runs less often (``GC_THRESHOLD``)."""
    thresholds = _collect_less_often()
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


def project_files(projects: list[Project]) -> set[Path]:
    """Compose files (with their ``.env``, included and extended files) and Dockerfiles."""
    files = {f for p in projects for f in (p.compose.files if p.compose else ())}
    files.update(df.path for p in projects for df in p.dockerfiles)
    return files


@dataclass(eq=False, repr=False)
class _GroupResult:
    """One compose group's project, as a worker reports it."""

    compose_files: tuple[Path, ...]
    built: tuple[Path, ...]
    findings: list[Finding]
    ranges: dict[Path, dict[int, int]]
    analysed: list[Path]
    directives: dict[Path, FileSuppressions]


def _check_in_pool(
    found: Discovered, groups: list[tuple[Path, ...]], settings: Settings, jobs: int
) -> Outcome:
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
    others = dockerfile_projects(found.dockerfiles, built, seen, settings.loader())

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
    return Outcome(diagnostics, files)


# ------------------------------------------------------------------------- worker side

_settings: Settings | None = None
_reading: AbstractContextManager[None] | None = None


def _start_worker(settings: Settings) -> None:
    """Pool initializer: keep the settings, register the configured image entries, and set up
    the worker's run as ``check_discovered`` does its own (garbage collection, read-once memo)."""
    from dindlint.images.knowledge import set_extra_knowledge

    global _settings, _reading
    _settings = settings
    set_extra_knowledge(settings.config.images)
    _collect_less_often()  # (a forked worker has the parent's threshold already)
    # one read-once memo for the worker's life, which ends with the run (a forked worker
    # inherits the parent's, a spawned one starts its own): chunks share what they read
    _reading = reading_once()
    _reading.__enter__()
    reading_within(settings.boundary).__enter__()  # for the worker's life, as the memo


def _check_groups(groups: list[tuple[Path, ...]]) -> list[_GroupResult]:
    assert _settings is not None, "worker started without settings"
    settings = _settings
    out: list[_GroupResult] = []
    with reading_once():
        for files in groups:
            # a loader per project: nothing of a project is held once its result is made (files
            # and Dockerfiles several projects share are kept by ``remembered``)
            project = compose_project(files, settings.loader())
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
