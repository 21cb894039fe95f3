"""``--format gitlab``: a GitLab Code Quality report (a JSON array of issues).

Each issue has ``description`` (rule id, name and message, then the hint as a second sentence,
``Help: …``), ``check_name`` (the rule id), ``fingerprint`` (the finding's line-independent
fingerprint, docs/adr/005), ``severity`` and ``location`` (``path`` relative to the repository
root, ``lines.begin``), plus the Code Climate ``type`` and ``categories`` that GitLab accepts
and ignores. Suppressed findings are left out.

Severity: ``error`` → ``major``, ``warning`` → ``minor``, ``info`` → ``info``. A security rule
rises with its ``security-severity`` as GitHub bands it: 9.0 or more → ``critical``, 7.0 or more
→ at least ``major`` (DIND102, a warning scored 8.8, is ``major``; DIND101, scored 4.0, stays
``minor``). ``blocker`` is not used: no finding blocks every other one. The README's "GitLab
CI" section says the same (``tests/test_gitlab_severity.py``).
"""

from __future__ import annotations

from dindlint.catalogue import catalogue
from dindlint.findings import Diagnostic
from dindlint.report.common import (
    ReportContext,
    active,
    identities,
    json_text,
    shown_path,
    with_hint,
)

SEVERITIES = {"error": "major", "warning": "minor", "info": "info"}
_ORDER = ("info", "minor", "major", "critical", "blocker")


def severity(diag: Diagnostic) -> str:
    """The Code Quality severity of a finding (module docstring)."""
    base = SEVERITIES.get(diag.severity, "minor")
    doc = catalogue().get(diag.rule_id)
    score = doc.security_severity if doc is not None else None
    if score is None:
        return base
    floor = "critical" if score >= 9.0 else "major" if score >= 7.0 else "info"
    return max(base, floor, key=_ORDER.index)


def _categories(diag: Diagnostic) -> list[str]:
    doc = catalogue().get(diag.rule_id)
    return ["Security"] if doc is not None and doc.security_severity is not None else ["Bug Risk"]


def render(diagnostics: list[Diagnostic], context: ReportContext) -> str:
    """The Code Quality report of the unsuppressed findings."""
    known = identities(diagnostics, context.root)
    issues = [
        {
            "type": "issue",
            "description": f"{d.rule_id} {d.name}: {with_hint(d.message, d.hint)}",
            "check_name": d.rule_id,
            "categories": _categories(d),
            "fingerprint": known[id(d)].fingerprint,
            "severity": severity(d),
            "location": {
                "path": shown_path(d.span.path, context.root),
                "lines": {"begin": max(d.span.line, 1)},
            },
        }
        for d in active(diagnostics)
    ]
    return json_text(issues) + "\n"
