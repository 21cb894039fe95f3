"""``--format github``: GitHub Actions workflow commands, one line per finding.

``::error file=compose.yaml,line=15,endLine=15,col=11,endColumn=25,title=DIND302
explicit-group-drops-membership::message`` — GitHub turns each line into an annotation on the
file. ``error`` findings become ``::error``, ``warning`` ``::warning`` and ``info`` ``::notice``.
Paths are relative to the repository root (where actions/checkout puts the repository). Related
places follow the message on lines of their own (``note: …``), then the hint (``help: …``).
Suppressed findings are left out.

Escaping follows the runner's command parser: in the message ``%``, ``\\r`` and ``\\n`` become
``%25``, ``%0D`` and ``%0A``; in property values ``:`` and ``,`` also become ``%3A`` and ``%2C``.
Other control characters are shown as ``\\xNN`` so nothing from a scanned file can start a
command of its own.
"""

from __future__ import annotations

from dindlint.findings import Diagnostic
from dindlint.report.common import ReportContext, active, shown_path
from dindlint.report.text import neutralise

COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(text: str) -> str:
    """Escape a command's message (the text after ``::``)."""
    escaped = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return neutralise(escaped)


def escape_property(text: str) -> str:
    """Escape a property value (``file=``, ``title=``)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _properties(diag: Diagnostic, context: ReportContext) -> str:
    span = diag.span
    end_line = max(span.end_line, span.line)
    pairs = [
        ("file", shown_path(span.path, context.root)),
        ("line", str(max(span.line, 1))),
        ("endLine", str(end_line)),
        ("col", str(max(span.col, 1))),
    ]
    if span.end_col > 0 and end_line == span.line and span.end_col >= span.col:
        pairs.append(("endColumn", str(span.end_col)))
    pairs.append(("title", f"{diag.rule_id} {diag.name}"))
    return ",".join(f"{key}={escape_property(value)}" for key, value in pairs)


def _message(diag: Diagnostic, context: ReportContext) -> str:
    lines = [diag.message]
    lines += [
        f"note: {shown_path(span.path, context.root)}:{span.line}:{span.col}: {note}"
        for span, note in diag.related
    ]
    if diag.hint:
        lines.append(f"help: {diag.hint}")
    return escape_data("\n".join(lines))


def command(diag: Diagnostic, context: ReportContext) -> str:
    """The workflow command of one finding."""
    name = COMMANDS.get(diag.severity, "warning")
    return f"::{name} {_properties(diag, context)}::{_message(diag, context)}"


def render(diagnostics: list[Diagnostic], context: ReportContext) -> str:
    """One workflow command per unsuppressed finding (nothing at all when there is none)."""
    return "".join(command(d, context) + "\n" for d in active(diagnostics))
