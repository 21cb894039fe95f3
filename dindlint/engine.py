"""Stage 7, diagnostics: run the checks, stamp severity from the catalogue, sort, de-duplicate."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dindlint.catalogue import catalogue
from dindlint.checks import CHECKS, Context, Finding
from dindlint.config import Config
from dindlint.project import Project
from dindlint.source import Span
from dindlint.suppress import SuppressionIndex
from dindlint.topology import build_topology

SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}


# Rules the engine itself reports, beside the checks of ``dindlint.checks.CHECKS``.
UNUSED_SUPPRESSION = "DIND004"
ENGINE_RULES = (UNUSED_SUPPRESSION,)


@dataclass(frozen=True, order=True)
class Diagnostic:
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


def run_checks(projects: list[Project], config: Config | None = None,
               inline_suppressions: bool = True) -> list[Diagnostic]:
    """Every diagnostic of every project, sorted and without duplicates (a Dockerfile shared by
    several projects is reported once), with the configuration and inline suppressions applied.
    """
    config = config or Config()
    rules = catalogue()
    selected = {r for r in (*CHECKS, *ENGINE_RULES) if config.enabled(r)}
    seen: set[tuple[str, Span, str]] = set()
    findings: list[Finding] = []
    for project in projects:
        ctx = Context(project, build_topology(project, config.host_docker_gid))
        for rule_id, check in CHECKS.items():
            if rule_id not in selected:
                continue
            for finding in check(ctx):
                key = (finding.rule_id, finding.span, finding.message)
                if key not in seen and not config.ignored_for(finding.span.path, rule_id):
                    seen.add(key)
                    findings.append(finding)
    if not inline_suppressions:
        return sorted(_stamp(f, rules, config) for f in findings)
    index = SuppressionIndex(_instruction_ranges(projects))
    diagnostics = []
    for finding in findings:
        entry = index.match(finding.rule_id, finding.span)
        diagnostics.append(_stamp(finding, rules, config, None if entry is None else entry.reason))
    if UNUSED_SUPPRESSION in selected:
        unused = _unused_suppressions(index, _analysed_files(projects), selected)
        diagnostics.extend(_stamp(f, rules, config) for f in unused
                           if not config.ignored_for(f.span.path, UNUSED_SUPPRESSION))
    return sorted(diagnostics)


def _instruction_ranges(projects: list[Project]) -> dict[Path, dict[int, int]]:
    ranges: dict[Path, dict[int, int]] = {}
    for project in projects:
        for dockerfile in project.dockerfiles:
            ranges[dockerfile.path] = {
                ins.span.line: ins.span.end_line
                for stage in dockerfile.stages for ins in stage.instructions
            }
            for stage in dockerfile.stages:
                ranges[dockerfile.path][stage.span.line] = stage.span.end_line
    return ranges


def _analysed_files(projects: list[Project]) -> list[Path]:
    files: dict[Path, None] = {}
    for project in projects:
        if project.compose is not None:
            files.update((f, None) for f in project.compose.files if f.name != ".env")
        files.update((d.path, None) for d in project.dockerfiles)
    return list(files)


def _unused_suppressions(index: SuppressionIndex, files: list[Path],
                         selected: set[str]) -> list[Finding]:
    """DIND004: directives that suppress nothing, or name a rule that does not exist."""
    known = set(CHECKS) | set(ENGINE_RULES)
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
            message = (f"`# dindlint: disable={entry.rule_id}` suppresses nothing here: no "
                       f"{entry.rule_id} finding on the line it covers; remove it")
        unused.append(Finding(UNUSED_SUPPRESSION, message, entry.span))
    return unused


def _stamp(finding: Finding, rules: dict, config: Config,  # type: ignore[type-arg]
           suppressed: str | None = None) -> Diagnostic:
    doc = rules.get(finding.rule_id)
    severity = config.severity.get(finding.rule_id) or finding.severity or (
        doc.severity if doc else "error")
    name = doc.name if doc else finding.rule_id
    return Diagnostic(finding.span, finding.rule_id, severity, name, finding.message,
                      finding.related, suppressed)


def display_path(path: Path, base: Path) -> str:
    """Relative to ``base`` with forward slashes; absolute for a file outside it."""
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()
