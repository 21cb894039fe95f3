"""``--format junit``: JUnit XML for CI test views.

One ``testsuite`` per file with findings, one failing ``testcase`` per finding, named by rule,
context and fingerprint so that its name survives lines moving (the failure's
``type`` is the rule id, its ``message`` the message then the hint as a second sentence, its
text the finding as text output prints it, related places and hint included). A run without
findings gives one passing test case, so the report is never empty. Suppressed findings are
left out.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from itertools import groupby

from dindlint.findings import Diagnostic
from dindlint.report.common import (
    Identity,
    ReportContext,
    active,
    identities,
    shown_path,
    with_hint,
)

# XML 1.0 forbids most control characters even as references: show them as \xNN.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: str) -> str:
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _case_name(diag: Diagnostic, identity: Identity) -> str:
    """A name that stays the same while lines move (CI test history follows a test by name):
    the rule, the YAML keys or Dockerfile stage around the finding, and the start of its
    line-independent fingerprint (docs/adr/005-fingerprints.md); line:col are in the failure."""
    where = identity.key.split("\0")[2] if identity.key.count("\0") >= 3 else ""
    place = f" in {where}" if where else ""
    return f"{diag.rule_id} {diag.name}{place} [{identity.fingerprint[:12]}]"


def _testcase(
    suite: ET.Element, diag: Diagnostic, path: str, context: ReportContext, identity: Identity
) -> None:
    """A failing test case for one finding."""
    span = diag.span
    case = ET.SubElement(
        suite,
        "testcase",
        {
            "name": _clean(_case_name(diag, identity)),
            "classname": _clean(path),
            "file": _clean(path),
            "line": str(span.line),
        },
    )
    details = [f"{path}:{span.line}:{span.col}: {diag.severity} {diag.rule_id} {diag.message}"]
    details += [
        f"note: {shown_path(s.path, context.root)}:{s.line}:{s.col}: {note}"
        for s, note in diag.related
    ]
    if diag.hint:
        details.append(f"help: {diag.hint}")
    failure = ET.SubElement(
        case,
        "failure",
        {"message": _clean(with_hint(diag.message, diag.hint)), "type": diag.rule_id},
    )
    failure.text = _clean("\n".join(details))


def render(diagnostics: list[Diagnostic], context: ReportContext) -> str:
    """The JUnit XML document."""
    shown = active(diagnostics)
    known = identities(diagnostics, context.root)
    root = ET.Element(
        "testsuites",
        {
            "name": "dindlint",
            "tests": str(max(len(shown), 1)),
            "failures": str(len(shown)),
            "errors": "0",
        },
    )
    keyed = sorted(
        ((shown_path(d.span.path, context.root), d) for d in shown), key=lambda pair: pair[0]
    )
    for path, group in groupby(keyed, key=lambda pair: pair[0]):
        found = [d for _, d in group]
        suite = ET.SubElement(
            root,
            "testsuite",
            {
                "name": _clean(path),
                "tests": str(len(found)),
                "failures": str(len(found)),
                "errors": "0",
                "skipped": "0",
            },
        )
        for diag in found:
            _testcase(suite, diag, path, context, known[id(diag)])
    if not shown:
        suite = ET.SubElement(
            root,
            "testsuite",
            {"name": "dindlint", "tests": "1", "failures": "0", "errors": "0", "skipped": "0"},
        )
        ET.SubElement(
            suite,
            "testcase",
            {
                "name": f"no problems found in {context.files_checked} files",
                "classname": "dindlint",
            },
        )
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
