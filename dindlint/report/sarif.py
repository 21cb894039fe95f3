"""SARIF 2.1.0 output for GitHub code scanning."""

from __future__ import annotations

import json
from pathlib import Path

from dindlint import __version__
from dindlint.catalogue import RuleDoc, catalogue
from dindlint.engine import Diagnostic, display_path
from dindlint.source import Span

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/dindlint/dindlint"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}


def _rule(doc: RuleDoc) -> dict:  # type: ignore[type-arg]
    properties: dict = {"tags": list(doc.tags)}  # type: ignore[type-arg]
    if doc.security_severity is not None:
        properties["security-severity"] = f"{doc.security_severity:.1f}"
    return {
        "id": doc.id,
        "name": doc.name,
        "shortDescription": {"text": doc.summary},
        "fullDescription": {"text": doc.summary},
        "help": {"text": doc.body, "markdown": doc.body},
        "helpUri": f"{INFORMATION_URI}/blob/main/rules/{doc.filename}",
        "defaultConfiguration": {"level": LEVELS[doc.severity]},
        "properties": properties,
    }


def _uri(path: Path, base: Path) -> str:
    """Relative to the current directory when inside it, else an absolute ``file://`` URI."""
    shown = display_path(path, base)
    return shown if not Path(shown).is_absolute() else path.as_uri()


def _location(span: Span, base: Path, message: str | None = None) -> dict:  # type: ignore[type-arg]
    region = {"startLine": span.line, "startColumn": max(span.col, 1)}
    if span.end_line and span.end_line >= span.line:
        region["endLine"] = span.end_line
    location: dict = {  # type: ignore[type-arg]
        "physicalLocation": {
            "artifactLocation": {"uri": _uri(span.path, base)},
            "region": region,
        }
    }
    if message is not None:
        location["message"] = {"text": message}
    return location


def render(diagnostics: list[Diagnostic], base: Path) -> str:
    docs = catalogue()
    ids = sorted(docs)
    index = {rule_id: i for i, rule_id in enumerate(ids)}
    results = []
    for diag in diagnostics:
        result: dict = {  # type: ignore[type-arg]
            "ruleId": diag.rule_id,
            "level": LEVELS.get(diag.severity, "warning"),
            "message": {"text": diag.message},
            "locations": [_location(diag.span, base)],
        }
        if diag.rule_id in index:
            result["ruleIndex"] = index[diag.rule_id]
        if diag.suppressed is not None:
            suppression: dict = {"kind": "inSource"}  # type: ignore[type-arg]
            if diag.suppressed:
                suppression["justification"] = diag.suppressed
            result["suppressions"] = [suppression]
        if diag.related:
            result["relatedLocations"] = [
                {"id": i, **_location(span, base, note)}
                for i, (span, note) in enumerate(diag.related)
            ]
        results.append(result)
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "dindlint",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": [_rule(docs[rule_id]) for rule_id in ids],
            }},
            "results": results,
            "columnKind": "unicodeCodePoints",
        }],
    }
    return json.dumps(log, indent=2, sort_keys=False, ensure_ascii=False) + "\n"
