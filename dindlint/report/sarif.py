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
  result), each with its message and an ``id``; GitHub shows a related location only where the
  result's message links to it, so the message ends with an embedded link to each
  (``[note](id)``, SARIF 2.1.0 §3.11.6; in such a message literal ``[``, ``]`` and ``\\``
  are escaped with a backslash, so that no text of a scanned file can forge a link);
- ``suppressions`` on every result or on none (SARIF 2.1.0 §3.27.23): ``[]`` on the results no
  inline suppression covers. GitHub does not read ``suppressions`` (a suppressed result opens an
  alert like any other), so ``--sarif-omit-suppressed`` leaves suppressed results out;
- ``region.snippet``: the text of the region, and ``contextRegion`` the whole lines with theirs,
  read as the text report reads its excerpts (inside the read boundary, the files' lines read
  once) and only for files inside the repository root; a region longer than
  :data:`MAX_SNIPPET` characters gets none, nor a file that could not be parsed (DIND001);
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
  error, with the file's location) for each file that could not be read or parsed (DIND001);
  a run stopped by a configuration error (exit code 2) still writes its SARIF: no results,
  ``executionSuccessful: false`` and the error as a notification, so that an upload step after
  it reports the error, not a missing file.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from dindlint import __version__
from dindlint.catalogue import RuleDoc, catalogue
from dindlint.findings import SEVERITY_RANK, Diagnostic, Edit, Fix
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
MAX_SNIPPET = 200  # characters of source quoted in a snippet, as the text report's excerpts

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

    def snippets(self, span: Span, region: dict[str, int]) -> dict[str, Any] | None:
        """The region's text as ``region.snippet`` and the ``contextRegion`` of its whole lines,
        or None: for a file outside the root, a line the file does not have, or a text longer
        than :data:`MAX_SNIPPET` (a snippet is the region's content, never cut)."""
        if relative_to_root(span.path, self.root) is None:
            return None  # nothing of a file outside the repository is quoted
        first, last = region["startLine"], region["endLine"]
        if last - first > 10:
            return None
        lines = [self.sources.line(span.path, n) for n in range(first, last + 1)]
        if any(line is None for line in lines):
            return None
        whole = "\n".join(line or "" for line in lines)
        if len(whole) > MAX_SNIPPET:
            return None
        start = region["startColumn"] - 1
        end = len(whole) - len(lines[-1] or "") + region["endColumn"] - 1
        return {
            "snippet": whole[start:end],
            "context": {"startLine": first, "endLine": last, "snippet": {"text": whole}},
        }

    def location(
        self, span: Span, message: str | None = None, snippet: bool = False
    ) -> dict[str, Any]:
        region: dict[str, Any] = self.region(span)
        physical: dict[str, Any] = {"artifactLocation": self.artifact(span.path), "region": region}
        quoted = self.snippets(span, region) if snippet else None
        if quoted is not None:
            region["snippet"] = {"text": quoted["snippet"]}
            physical["contextRegion"] = quoted["context"]
        location: dict[str, Any] = {"physicalLocation": physical}
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


_LINK_SYNTAX = re.compile(r"[\\\[\]]")


def escape_links(text: str) -> str:
    """``text`` with ``\\``, ``[`` and ``]`` escaped by a backslash: in a SARIF message they
    would otherwise start (or forge) an embedded link (SARIF 2.1.0 §3.11.6)."""
    return _LINK_SYNTAX.sub(lambda m: "\\" + m.group(), text)


def message_text(diag: Diagnostic, related: int) -> str:
    """The result's ``message.text``: the message, the hint (``Help: …``), then an embedded
    link to each of the first ``related`` related locations (``See: [note](0), [note](1).``),
    the only way GitHub code scanning shows them."""
    text = with_hint(diag.message.strip() or diag.name or diag.rule_id, diag.hint)
    links = [
        f"[{escape_links(note.strip() or 'related location')}]({i})"
        for i, (_, note) in enumerate(diag.related[:related])
    ]
    if not links:
        return text  # no link to read: brackets stay as they are
    text = escape_links(text)
    stop = "" if text.endswith((".", "!", "?")) else "."
    return f"{text}{stop} See: {', '.join(links)}."


def _result(
    diag: Diagnostic, identity: Identity, rule_index: int | None, locator: Locator
) -> dict[str, Any]:
    result: dict[str, Any] = {"ruleId": diag.rule_id}
    if rule_index is not None:
        result["ruleIndex"] = rule_index
    result.update(
        {
            "level": LEVELS.get(diag.severity, "warning"),
            "message": {"text": message_text(diag, MAX_RELATED)},
            # no snippet of a file that could not be parsed (it may not be what it is named)
            "locations": [locator.location(diag.span, snippet=diag.rule_id != INPUT_ERROR)],
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
    if diag.fix is not None:
        result["fixes"] = [_fix(diag.fix, locator)]
    # on every result or none (§3.27.23): `[]` says that no suppression covers this one
    result["suppressions"] = []
    if diag.suppressed is not None:
        suppression: dict[str, Any] = {"kind": "inSource", "status": "accepted"}
        if diag.suppressed:
            suppression["justification"] = diag.suppressed
        result["suppressions"] = [suppression]
    return result


def _fix(fix: Fix, locator: Locator) -> dict[str, Any]:
    """A ``fix`` object (SARIF 2.1.0 §3.55, https://docs.oasis-open.org/sarif/sarif/v2.1.0/
    sarif-v2.1.0.html): one ``artifactChange`` per file with its ``replacements`` (§3.57); a
    ``deletedRegion`` whose end is its start is an insertion point (§3.30.1). Columns count code
    points, as the run's ``columnKind`` says; the description says whether the fix is safe."""
    by_file: dict[Path, list[Edit]] = {}
    for edit in fix.edits:
        by_file.setdefault(edit.path, []).append(edit)
    kind = "safe" if fix.safe else "unsafe: applied only with --unsafe-fixes"
    return {
        "description": {"text": f"{fix.title} ({kind})"},
        "artifactChanges": [
            {
                "artifactLocation": locator.artifact(path),
                "replacements": [_replacement(e) for e in edits],
            }
            for path, edits in by_file.items()
        ],
    }


def _replacement(edit: Edit) -> dict[str, Any]:
    """A ``replacement`` (§3.57): the region deleted, and the text inserted (none: a deletion)."""
    replacement: dict[str, Any] = {
        "deletedRegion": {
            "startLine": edit.line,
            "startColumn": edit.col,
            "endLine": edit.end_line,
            "endColumn": edit.end_col,
        }
    }
    if edit.text:
        replacement["insertedContent"] = {"text": edit.text}
    return replacement


def _notifications(
    diagnostics: list[Diagnostic],
    dropped: int,
    total: int,
    locator: Locator,
    rule_index: dict[str, int],
    failure: str | None = None,
) -> list[dict[str, Any]]:
    """Files that could not be read or parsed (DIND001), the error that stopped the run before
    it analysed anything (a configuration error), and results left out by the cap."""
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
    if failure is not None:
        notes.append(
            {
                "level": "error",
                "message": {"text": f"dindlint did not run: {failure}"},
                "descriptor": {"id": "run-error"},
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
    with ``suppressions``, or left out with ``sarif_omit_suppressed``), within GitHub's
    limits."""
    if isinstance(context, Path):
        context = ReportContext(root=context)
    docs = catalogue()
    ids = sorted(docs)[:MAX_RULES]
    rule_index = {rule_id: i for i, rule_id in enumerate(ids)}
    locator = Locator(context.root)
    known = identities(diagnostics, context.root)  # (of every finding: as the baseline counts)
    if context.sarif_omit_suppressed:
        diagnostics = [d for d in diagnostics if d.suppressed is None]
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
                "executionSuccessful": context.executed and context.failure is None,
                "toolExecutionNotifications": _notifications(
                    diagnostics, dropped, len(diagnostics), locator, rule_index, context.failure
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
