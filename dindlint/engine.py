"""Stage 7, diagnostics: run the checks, stamp severity from the catalogue, sort, de-duplicate."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from dindlint.catalogue import RuleDoc, catalogue, rule_ids
from dindlint.checks import CHECKS
from dindlint.checks.base import Check, Context
from dindlint.config import Config
from dindlint.findings import Diagnostic, Finding
from dindlint.images.knowledge import compile_extra
from dindlint.model import ComposeProject, Service
from dindlint.project import Loader, Project, built_in_part
from dindlint.session import Session, Settings, current
from dindlint.source import Span, capped, memoised_for
from dindlint.suppress import FileSuppressions, SuppressionIndex
from dindlint.topology import Topology, build_topology, is_dind_image, network_names

# Rules the engine itself reports, beside the checks of ``dindlint.checks.CHECKS``.
UNUSED_SUPPRESSION = "DIND004"
ENGINE_RULES = (UNUSED_SUPPRESSION,)


def run_checks(
    projects: list[Project],
    config: Config | None = None,
    inline_suppressions: bool = True,
    topologies: list[Topology] | None = None,
) -> list[Diagnostic]:
    """Every diagnostic of every project, sorted and without duplicates (a Dockerfile shared by
    several projects is reported once), with the configuration and inline suppressions applied.
    ``topologies`` are the projects' own when the caller built them already (one per project).
    """
    config = config or Config()
    given: list[Topology | None] = (
        [*topologies] if topologies is not None else [None] * len(projects)
    )
    findings = [
        project_findings(project, config, topology)
        for project, topology in zip(projects, given, strict=True)
    ]
    return finish(
        findings,
        instruction_ranges(projects),
        analysed_files(projects),
        config,
        inline_suppressions,
    )


def project_findings(
    project: Project, config: Config, topology: Topology | None = None
) -> list[Finding]:
    """The findings of one project's checks, in check order, less ``per-file-ignores``; its
    topology is built here unless given.

    Independent of every other project: ``dindlint.parallel`` runs it in worker processes."""
    if topology is None:
        separated = _separable_include(project)
        if separated is not None:
            part, rest = separated
            return _part_findings(part, project, config) + project_findings(rest, config)
        topology = build_topology(project, config.host_docker_gid)
    ctx = Context(project, topology)
    found: list[Finding] = []
    for rule_id, check in _enabled_checks(config):
        for item in check(ctx):  # a check does not name its rule: the finding gets it here
            if not (config.per_file_ignores and config.ignored_for(item.span.path, rule_id)):
                found.append(item.finding(rule_id))
    return found


# An included file's services are the same objects in every project that includes it whole
# (``ComposeProject.included``); one 4 MB file included by forty projects was checked forty
# times. When the rest of a project cannot interact with such a part, the part's findings are
# those of the part checked alone, under the project's top-level volumes and networks, and are
# worked out once per run; the rest is checked as a project of its own (same files, problems
# and Dockerfiles). "Cannot interact" is decided conservatively from the model: the rest's
# services mount nothing, inherit nothing, build nothing, run no daemon and set no ``DOCKER_*``
# variable, and nothing in the part names one of them. tests/test_engine_parts.py checks that
# findings are the same with and without the split.


def _separable_include(project: Project) -> tuple[ComposeProject, Project] | None:
    """An included part of ``project`` that the rest cannot interact with, and the rest as a
    project of its own; None when there is none."""
    compose = project.compose
    if compose is None or compose.ci is not None:
        return None
    for part in compose.included:
        if built_in_part(part):
            continue
        rest_names = set(compose.own_service_names()).union(
            *(other.services for other in compose.included if other is not part)
        )
        rest = {name: compose.services[name] for name in sorted(rest_names)}
        if not all(_inert(service) for service in rest.values()):
            continue
        if _names_of(rest.values()) & _referenced_by(part):
            continue
        return part, project._replace(compose=compose._replace(services=rest, included=()))
    return None


def _part_findings(part: ComposeProject, project: Project, config: Config) -> list[Finding]:
    compose = project.compose
    assert compose is not None  # _separable_include found the part in it
    volumes = tuple(sorted(compose.volumes.items()))
    networks = tuple(sorted(compose.networks.items()))
    alone = Project(part._replace(volumes=compose.volumes, networks=compose.networks, problems=()))
    return memoised_for(
        "part-findings", (part, config), lambda: project_findings(alone, config), volumes, networks
    )


def _inert(service: Service) -> bool:
    """A service no socket rule can see: it reaches no socket, dials no daemon, runs none."""
    words = " ".join(
        " ".join(v.value) if isinstance(v.value, tuple) else v.value
        for v in (service.command, service.entrypoint)
        if v is not None
    )
    return (
        service.build is None
        and not service.volumes
        and not service.volumes_from
        and not service.links
        and not service.external_links
        and service.network_mode is None
        and service.use_api_socket is None
        and not any(key.upper().startswith("DOCKER") for key in service.environment)
        and not (service.image is not None and is_dind_image(service.image.value))
        and "dockerd" not in words
    )


def _names_of(services: Iterable[Service]) -> set[str]:
    """Every name a service may be reached or known by (``network_names``, and conservatively
    its ``links`` aliases and ``hostname:``), in lower case: host names compare without regard
    to it (``topology.answers_to``)."""
    names: set[str] = set()
    for service in services:
        names.update(network_names(service))
        names.update(alias for _, alias in service.links)
        if service.hostname is not None:
            names.add(service.hostname.value)
    return {name.lower() for name in names}


_WORD = re.compile(r"[A-Za-z0-9_.-]+")


def _referenced_by(part: ComposeProject) -> frozenset[str]:
    """Every name the part's services could refer to another service by: ``volumes_from``,
    ``links``, ``network_mode`` and every word of every environment value (a DOCKER_HOST's host
    among them), in lower case as ``_names_of``; worked out once per part per run."""

    def words() -> frozenset[str]:
        found: set[str] = set()
        for service in part.services.values():
            found.update(entry.service or "" for entry in service.volumes_from)
            found.update(target for target, _ in service.links)
            if service.network_mode is not None:
                found.add(service.network_mode.value.partition(":")[2])
            for value in service.environment.values():
                if value.value:
                    found.update(_WORD.findall(value.value))
        return frozenset(word.lower() for word in found)

    return memoised_for("part-references", (part,), words)


def _selected_checks(config: Config) -> list[tuple[str, Check]]:
    """The checks ``config`` enables, in ``CHECKS`` order."""
    return [(rule_id, check) for rule_id, check in CHECKS.items() if config.enabled(rule_id)]


def _enabled_checks(config: Config) -> list[tuple[str, Check]]:
    """``_selected_checks(config)``, made once per session for the session's configuration
    (matching the selectors again for every project was a few percent of a large run)."""
    session = current()
    settings, enabled = session.settings, session.enabled_checks
    if settings is not None and settings.config is config and enabled is not None:
        return enabled
    return _selected_checks(config)


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
            hint = "correct the rule id (`dindlint rules` lists them), or remove it"
        elif entry.rule_id not in selected:
            continue  # the rule did not run: its suppressions cannot be judged
        else:
            message = (
                f"`# dindlint: disable={entry.rule_id}` suppresses nothing here: no "
                f"{entry.rule_id} finding on the line it covers"
            )
            hint = "remove it"
        unused.append(Finding(UNUSED_SUPPRESSION, message, entry.span, hint=hint))
    return unused


def _stamp(
    finding: Finding,
    rules: dict[str, RuleDoc],
    config: Config,
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
        None if finding.hint is None else capped(finding.hint),
        finding.repair,
    )


def new_session(settings: Settings) -> Session:
    """The session of a run made with ``settings``: its read boundary and its configuration's
    ``images:`` entries (validated when the configuration was read)."""
    return Session(
        settings=settings,
        boundary=settings.boundary,
        extra_images=compile_extra(settings.config.images),
        enabled_checks=_selected_checks(settings.config),
    )


def loader(settings: Settings) -> Loader:
    """The compose loader of a run made with ``settings``."""
    return Loader(
        environ=settings.environ,
        env_files=settings.env_files,
        runner_env=settings.config.gitlab_runner_env,
    )


def project_files(projects: list[Project]) -> set[Path]:
    """Compose files (with their ``.env``, included and extended files) and Dockerfiles."""
    files = {f for p in projects for f in (p.compose.files if p.compose else ())}
    files.update(df.path for p in projects for df in p.dockerfiles)
    return files
