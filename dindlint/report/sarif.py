"""SARIF 2.1.0 output that GitHub code scanning takes cleanly.

What GitHub documents, and where this module meets it (docs: "SARIF support for code scanning",
"SARIF results exceed one or more limits"):

- one run per file (limit 20); the tool's ``rules[]`` at most :data:`MAX_RULES` (25,000);
- results at most :data:`MAX_RESULTS` (25,000) per run: beyond, the least severe are dropped
  and a ``toolExecutionNotification`` says how many (:func:`cap`);
- each result: ``ruleId``, ``message.text`` (never empty), exactly one location (GitHub reads
  only the first, and accepts at most 10) with a region carrying ``startLine``, ``startColumn``,
  ``endLine`` and ``endColumn``, and ``partialFingerprints.primaryLocationLineHash``;
- the hint (what to change) follows the message in ``message.text`` as a second sentence,
  ``Help: …``: GitHub shows ``message.text`` as the alert's title (only its first sentence, the
  message, where space is short) and renders no other text of a result (not
  ``message.markdown``, not ``properties``); ``fixes`` are for edits a tool can apply;
- ``relatedLocations`` at most :data:`MAX_RELATED` per result (GitHub: 1,000 locations per
  result), each with its message;
- URIs relative to the repository root with ``uriBaseId: %SRCROOT%`` and
  ``originalUriBaseIds`` naming that root; a file outside it keeps an absolute ``file://`` URI;
- each rule: ``id``, ``name`` (≤ 255 characters), ``shortDescription``/``fullDescription``
  (≤ 1,024 characters, never empty), ``help.text``/``help.markdown``, ``helpUri``,
  ``defaultConfiguration.level``, ``properties.tags`` (≤ 20), ``precision``,
  ``problem.severity`` and, for security rules, ``security-severity`` (a number in (0, 10] as a
  string, with the ``security`` tag that GitHub expects beside it);
- ``automationDetails.id`` from ``--sarif-category`` (GitHub's ``runAutomationDetails``), made to
  end with ``/`` so GitHub reads the whole name as the category;
- ``invocations[0]`` with ``executionSuccessful`` and a ``toolExecutionNotification`` (level
  error, with the file's location) for each file that could not be read or parsed (DIND001).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from dindlint import __version__
from dindlint.catalogue import RuleDoc, catalogue
from dindlint.findings import SEVERITY_RANK, Diagnostic
from dindlint.report.common import (
    Identity,
    ReportContext,
    SourceLines,
    clip,
    help_uri,
    identities,
    json_text,
    relative_to_root,
    resolved,
    with_hint,
)
from dindlint.source import Span

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/dindlint/dindlint"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}
PROBLEM_SEVERITY = {"error": "error", "warning": "warning", "info": "recommendation"}
SRCROOT = "%SRCROOT%"
INPUT_ERROR = "DIND001"

# GitHub code scanning's documented limits (module constants so tests can lower them).
MAX_RESULTS = 25_000
MAX_RULES = 25_000
MAX_RELATED = 1_000
MAX_TAGS = 20
MAX_NAME = 255
MAX_DESCRIPTION = 1_024

# --------------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------------


def precision(rule_id: str) -> str:
    """``very-high`` for rules that read a fact straight from the files (DIND0xx input errors,
    DIND1xx socket mounts and endpoints); ``high`` for the rules that rest on the modelled
    identity of images (GIDs, users, memberships, daemons)."""
    return "very-high" if re.match(r"DIND[01]\d\d$", rule_id) else "high"


def security_severity(doc: RuleDoc) -> str | None:
    """The rule's ``security-severity`` as GitHub wants it: a number in (0, 10], as a string."""
    value = doc.security_severity
    if value is None or not 0.0 < value <= 10.0:
        return None
    return f"{value:.1f}"


def tags(doc: RuleDoc) -> list[str]:
    """The catalogue's tags (``security`` first when the rule has a security severity), at most
    :data:`MAX_TAGS`."""
    result = list(dict.fromkeys(doc.tags))
    if security_severity(doc) is not None and "security" not in result:
        result.insert(0, "security")
    return result[:MAX_TAGS]


def _section(body: str, heading: str) -> str:
    """The text of the Markdown section ``## heading``, on one line ("" when absent)."""
    match = re.search(
        rf"^## {re.escape(heading)}\s*\n(.*?)(?=^## |\Z)", body, re.MULTILINE | re.DOTALL
    )
    return " ".join(match.group(1).split()) if match else ""


def full_description(doc: RuleDoc) -> str:
    """The summary followed by the rule's "Why is this bad?" section."""
    summary = doc.summary.rstrip(".") + "." if doc.summary else doc.name
    why = _section(doc.body, "Why is this bad?")
    return f"{summary} {why}".strip()


def rule_descriptor(doc: RuleDoc, help_base: str) -> dict[str, Any]:
    """The ``reportingDescriptor`` of a catalogue rule."""
    properties: dict[str, object] = {
        "tags": tags(doc),
        "precision": precision(doc.id),
        "problem.severity": PROBLEM_SEVERITY.get(doc.severity, "warning"),
    }
    severity = security_severity(doc)
    if severity is not None:
        properties["security-severity"] = severity
    return {
        "id": doc.id,
        "name": clip(doc.name, MAX_NAME),
        "shortDescription": {"text": clip(doc.summary or doc.name, MAX_DESCRIPTION)},
        "fullDescription": {"text": clip(full_description(doc), MAX_DESCRIPTION)},
        "help": {"text": doc.body, "markdown": doc.body},
        "helpUri": help_uri(doc, help_base),
        "defaultConfiguration": {"level": LEVELS.get(doc.severity, "warning")},
        "properties": properties,
    }


# --------------------------------------------------------------------------------------------
# Locations
# --------------------------------------------------------------------------------------------


class Locator:
    """Turns spans into SARIF locations: URIs relative to the repository root, full regions."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.sources = SourceLines()

    def artifact(self, path: Path) -> dict[str, str]:
        """``{"uri": "a/compose.yaml", "uriBaseId": "%SRCROOT%"}``, or an absolute ``file://``
        URI (no base) for a file outside the root."""
        relative = relative_to_root(path, self.root)
        if relative is None:
            return {"uri": resolved(path).as_uri()}
        # the name's bytes, percent-encoded: a name that is not UTF-8 keeps them as surrogates
        return {"uri": quote(os.fsencode(relative), safe="/"), "uriBaseId": SRCROOT}

    def region(self, span: Span) -> dict[str, int]:
        """Start and end, columns in code points; ``endColumn`` is the column after the last
        character (the end of the line when the span does not record its end column)."""
        start_col = max(span.col, 1)
        end_line = max(span.end_line, span.line)
        region = {"startLine": max(span.line, 1), "startColumn": start_col, "endLine": end_line}
        if span.end_col > 0:
            end_col = span.end_col + 1
        else:
            text = self.sources.line(span.path, end_line)
            end_col = len(text) + 1 if text is not None else start_col + 1
        if end_line == span.line and end_col <= start_col:
            end_col = start_col + 1
        region["endColumn"] = end_col
        return region

    def location(self, span: Span, message: str | None = None) -> dict[str, Any]:
        location: dict[str, Any] = {
            "physicalLocation": {
                "artifactLocation": self.artifact(span.path),
                "region": self.region(span),
            },
        }
        if message:
            location["message"] = {"text": message}
        return location


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


def cap(diagnostics: list[Diagnostic], limit: int) -> tuple[list[Diagnostic], int]:
    """At most ``limit`` diagnostics, in their order: unsuppressed before suppressed, then the
    most severe, are kept. Returns them and how many were dropped."""
    if len(diagnostics) <= limit:
        return list(diagnostics), 0
    ranked = sorted(
        range(len(diagnostics)),
        key=lambda i: (
            diagnostics[i].suppressed is not None,
            -SEVERITY_RANK.get(diagnostics[i].severity, 0),
            i,
        ),
    )
    kept = sorted(ranked[: max(limit, 0)])
    return [diagnostics[i] for i in kept], len(diagnostics) - len(kept)


def _result(
    diag: Diagnostic, identity: Identity, rule_index: int | None, locator: Locator
) -> dict[str, Any]:
    result: dict[str, Any] = {"ruleId": diag.rule_id}
    if rule_index is not None:
        result["ruleIndex"] = rule_index
    result.update(
        {
            "level": LEVELS.get(diag.severity, "warning"),
            "message": {
                "text": with_hint(diag.message.strip() or diag.name or diag.rule_id, diag.hint)
            },
            "locations": [locator.location(diag.span)],
            "partialFingerprints": {
                "primaryLocationLineHash": identity.line_hash,
                "dindlint/v1": identity.fingerprint,
            },
        }
    )
    if diag.related:
        result["relatedLocations"] = [
            {"id": i, **locator.location(span, note or "related location")}
            for i, (span, note) in enumerate(diag.related[:MAX_RELATED])
        ]
    if diag.suppressed is not None:
        suppression: dict[str, Any] = {"kind": "inSource", "status": "accepted"}
        if diag.suppressed:
            suppression["justification"] = diag.suppressed
        result["suppressions"] = [suppression]
    return result


def _notifications(
    diagnostics: list[Diagnostic],
    dropped: int,
    total: int,
    locator: Locator,
    rule_index: dict[str, int],
) -> list[dict[str, Any]]:
    """Files that could not be read or parsed (DIND001), and results left out by the cap."""
    notes: list[dict[str, Any]] = []
    for diag in diagnostics:
        if diag.rule_id != INPUT_ERROR:
            continue
        rule: dict[str, object] = {"id": INPUT_ERROR}
        if INPUT_ERROR in rule_index:
            rule["index"] = rule_index[INPUT_ERROR]
        notes.append(
            {
                "level": "error",
                "message": {
                    "text": f"{locator.artifact(diag.span.path)['uri']} was not analysed: "
                    f"{diag.message}"
                },
                "locations": [locator.location(diag.span)],
                "associatedRule": rule,
            }
        )
    if dropped:
        notes.append(
            {
                "level": "warning",
                "message": {
                    "text": f"{dropped} of {total} results were left out: GitHub code "
                    f"scanning accepts at most {MAX_RESULTS} results per run "
                    "(the most severe were kept)."
                },
                "descriptor": {"id": "result-limit"},
            }
        )
    return notes


def category_id(category: str) -> str:
    """``runAutomationDetails.id`` for a category: GitHub reads ``a/b/`` as category ``a/b``
    (and a string without ``/`` as a run id only), so the name gets a trailing ``/``."""
    return category if category.endswith("/") else f"{category}/"


def render(diagnostics: list[Diagnostic], context: ReportContext | Path) -> str:
    """The SARIF log of one run: every rule of the catalogue, every diagnostic (suppressed ones
    with ``suppressions``), within GitHub's limits."""
    if isinstance(context, Path):
        context = ReportContext(root=context)
    docs = catalogue()
    ids = sorted(docs)[:MAX_RULES]
    rule_index = {rule_id: i for i, rule_id in enumerate(ids)}
    locator = Locator(context.root)
    known = identities(diagnostics, context.root)
    kept, dropped = cap(diagnostics, MAX_RESULTS)
    results = [_result(d, known[id(d)], rule_index.get(d.rule_id), locator) for d in kept]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "dindlint",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": [rule_descriptor(docs[rule_id], context.help_uri_base) for rule_id in ids],
            }
        },
        "invocations": [
            {
                "executionSuccessful": context.executed,
                "toolExecutionNotifications": _notifications(
                    diagnostics, dropped, len(diagnostics), locator, rule_index
                ),
            }
        ],
        # no `uri`: where the repository lies on the machine is not the report's business
        # (a base without one is allowed, SARIF 2.1.0 §3.14.14; code scanning resolves the
        # relative URIs against its checkout)
        "originalUriBaseIds": {
            SRCROOT: {
                "description": {
                    "text": "The repository root: the git top level, else the "
                    "directory dindlint ran in."
                },
            }
        },
        "results": results,
        "columnKind": "unicodeCodePoints",
    }
    if context.sarif_category:
        run["automationDetails"] = {"id": category_id(context.sarif_category)}
    log = {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
    return json_text(log) + "\n"
