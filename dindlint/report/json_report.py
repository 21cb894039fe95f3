"""``--format json``: dindlint's own report, versioned and described by a JSON Schema shipped in
the package (``dindlint/data/report.schema.json``; docs/json-format.md).

Suppressed findings are kept, marked with ``"suppressed": {"justification": ...}``, so a consumer
sees what the inline directives hide; the summary counts them apart.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from dindlint import __version__
from dindlint.findings import Diagnostic, Fix
from dindlint.report.common import (
    ReportContext,
    active,
    counts,
    identities,
    json_text,
    rule_help_uri,
    shown_path,
)

FORMAT_VERSION = 1
SCHEMA_ID = "https://github.com/dindlint/dindlint/report.v1.schema.json"


def schema() -> dict[str, Any]:
    """The JSON Schema of the report, as shipped in the package."""
    text = resources.files("dindlint").joinpath("data/report.schema.json").read_text("utf-8")
    return json.loads(text)


def _finding(diag: Diagnostic, fingerprint: str, context: ReportContext) -> dict[str, Any]:
    span = diag.span
    return {
        "rule": diag.rule_id,
        "name": diag.name or diag.rule_id,
        "severity": diag.severity,
        "message": diag.message.strip() or diag.name or diag.rule_id,
        "hint": diag.hint or None,
        "path": shown_path(span.path, context.root),
        "line": max(span.line, 1),
        "column": max(span.col, 1),
        "endLine": max(span.end_line, span.line, 1),
        "endColumn": span.end_col if span.end_col > 0 else None,
        "fingerprint": fingerprint,
        "helpUri": rule_help_uri(diag.rule_id, context.help_uri_base),
        "related": [
            {
                "path": shown_path(r.path, context.root),
                "line": max(r.line, 1),
                "column": max(r.col, 1),
                "message": note,
            }
            for r, note in diag.related
        ],
        "suppressed": None
        if diag.suppressed is None
        else {"justification": diag.suppressed or None},
        "fix": None if diag.fix is None else _fix(diag.fix, context),
    }


def _fix(fix: Fix, context: ReportContext) -> dict[str, Any]:
    """The finding's fix: its title, whether it is safe, and its edits (lines and columns from
    1, code points; the end excluded: an insertion's end is its start)."""
    return {
        "title": fix.title,
        "safe": fix.safe,
        "edits": [
            {
                "path": shown_path(e.path, context.root),
                "line": e.line,
                "column": e.col,
                "endLine": e.end_line,
                "endColumn": e.end_col,
                "content": e.text,
            }
            for e in fix.edits
        ],
    }


def render(diagnostics: list[Diagnostic], context: ReportContext) -> str:
    """The report document (version :data:`FORMAT_VERSION`), pretty-printed."""
    known = identities(diagnostics, context.root)
    shown = active(diagnostics)
    document = {
        "$schema": SCHEMA_ID,
        "version": FORMAT_VERSION,
        "tool": {"name": "dindlint", "version": __version__},
        "summary": {
            "files": context.files_checked,
            "findings": len(shown),
            **counts(shown),
            "suppressed": len(diagnostics) - len(shown),
        },
        "findings": [_finding(d, known[id(d)].fingerprint, context) for d in diagnostics],
    }
    return json_text(document) + "\n"
