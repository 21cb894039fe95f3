"""Stage 7, diagnostics: run the checks, stamp severity from the catalogue, sort, de-duplicate."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dindlint.catalogue import catalogue
from dindlint.checks import CHECKS, Context, Finding
from dindlint.project import Project
from dindlint.source import Span
from dindlint.topology import build_topology

SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}


@dataclass(frozen=True, order=True)
class Diagnostic:
    """A finding ready for reporting. Ordered by path, line, column, rule id."""

    span: Span
    rule_id: str
    severity: str
    name: str
    message: str
    related: tuple[tuple[Span, str], ...] = ()


def run_checks(projects: list[Project], selected: set[str] | None = None) -> list[Diagnostic]:
    """Every diagnostic of every project, sorted and without duplicates (a Dockerfile shared by
    several projects is reported once)."""
    rules = catalogue()
    seen: set[tuple[str, Span, str]] = set()
    diagnostics: list[Diagnostic] = []
    for project in projects:
        ctx = Context(project, build_topology(project))
        for rule_id, check in CHECKS.items():
            if selected is not None and rule_id not in selected:
                continue
            for finding in check(ctx):
                key = (finding.rule_id, finding.span, finding.message)
                if key in seen:
                    continue
                seen.add(key)
                diagnostics.append(_stamp(finding, rules))
    return sorted(diagnostics)


def _stamp(finding: Finding, rules: dict) -> Diagnostic:  # type: ignore[type-arg]
    doc = rules.get(finding.rule_id)
    severity = finding.severity or (doc.severity if doc else "error")
    name = doc.name if doc else finding.rule_id
    return Diagnostic(finding.span, finding.rule_id, severity, name, finding.message,
                      finding.related)


def display_path(path: Path, base: Path) -> str:
    """Relative to ``base`` with forward slashes; absolute for a file outside it."""
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()
