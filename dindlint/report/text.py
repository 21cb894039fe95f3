"""Text output: ``path:line:col: severity DINDnnn message``, the source line, a caret, then a
``note:`` line per related place, a ``help:`` line with the hint (what to change) and a ``fix:``
line with the title of the finding's fix. A finding that ``--fix`` can fix (with
``--unsafe-fixes``, an unsafe fix too) is marked ``[*]`` after its rule id, as ruff marks them."""

from __future__ import annotations

import re
from pathlib import Path

from dindlint.files import display_path
from dindlint.findings import Diagnostic
from dindlint.report.common import SourceLines

_MAX_SHOWN = 200  # characters of a source line shown under a finding, around its column

_COLOURS = {"error": "\033[31m", "warning": "\033[33m", "info": "\033[36m"}
_BOLD, _DIM, _RESET = "\033[1m", "\033[2m", "\033[0m"
# What a scanned file may not put raw into a report line: control characters (C0 but tab, DEL,
# C1: escape sequences such as CSI and OSC 8 start with ESC or U+009B/U+009D), line breaks a
# terminal or a CI log honours (a value or a folder name with `\n::error ...` would forge a line,
# or a workflow command), the Unicode line and paragraph separators, and the bidirectional
# controls that reorder what is shown.
_CONTROL = re.compile(
    "[\x00-\x08\x0a-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)
_NAMED = {"\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}")


def neutralise(text: str) -> str:
    """``text`` safe to print on one line: every character of ``_CONTROL`` as an escape."""
    return _CONTROL.sub(_escape, text)


def excerpt(source: str, col: int) -> tuple[str, int]:
    """The part of a source line shown under a finding, and the caret's offset in it.

    At most ``_MAX_SHOWN`` characters of the line, around column ``col`` (from 1), with ``…``
    where the line is cut on either side: a finding at column 200,000 of a one-line file gets a
    short excerpt and a short caret line, not 200,000 blanks (whose copies for thousands of
    findings made hundreds of megabytes of output). Tabs are expanded and control characters
    escaped, and the caret counts what is shown before the column, so it stays under it."""
    at = min(max(col, 1) - 1, len(source))
    start = 0
    if len(source) > _MAX_SHOWN:
        start = max(0, min(at - _MAX_SHOWN // 2, len(source) - _MAX_SHOWN))
    end = start + _MAX_SHOWN
    before = ("…" if start > 0 else "") + source[start:at]
    after = source[at:end] + ("…" if end < len(source) else "")
    shown_before = neutralise(before.expandtabs(4))
    return neutralise((before + after).expandtabs(4)), len(shown_before)


def fixable(diag: Diagnostic, unsafe_fixes: bool = False) -> bool:
    """Whether ``dindlint check --fix`` (with ``unsafe_fixes``, ``--unsafe-fixes``) would try
    the finding's fix."""
    return diag.fix is not None and (diag.fix.safe or unsafe_fixes)


def render(
    diagnostics: list[Diagnostic],
    base: Path,
    colour: bool,
    files_checked: int,
    fixed: int | None = None,
    unsafe_fixes: bool = False,
) -> str:
    out: list[str] = []
    sources = SourceLines()
    suppressed = sum(1 for d in diagnostics if d.suppressed is not None)
    diagnostics = [d for d in diagnostics if d.suppressed is None]
    for diag in diagnostics:
        where = f"{neutralise(display_path(diag.span.path, base))}:{diag.span.line}:{diag.span.col}"
        severity = diag.severity
        if colour:
            where = f"{_BOLD}{where}{_RESET}"
            severity = f"{_COLOURS.get(severity, '')}{severity}{_RESET}"
            rule = f"{_BOLD}{diag.rule_id}{_RESET}"
        else:
            rule = diag.rule_id
        mark = " [*]" if fixable(diag, unsafe_fixes) else ""
        out.append(f"{where}: {severity} {rule}{mark} {neutralise(diag.message)}")
        source = sources.line(diag.span.path, diag.span.line)
        if source is not None:
            shown, offset = excerpt(source, diag.span.col)
            out.append(f"  {shown}")
            caret = " " * offset + "^"
            out.append(f"  {_DIM}{caret}{_RESET}" if colour else f"  {caret}")
        for span, note in diag.related:
            out.append(
                f"  note: {neutralise(display_path(span.path, base))}:{span.line}:"
                f"{span.col}: "
                f"{neutralise(note)}"
            )
        if diag.hint:
            out.append(f"  help: {neutralise(diag.hint)}")
        if diag.fix is not None:
            kind = "" if diag.fix.safe else " (unsafe fix)"
            out.append(f"  fix: {neutralise(diag.fix.title)}{kind}")
    if fixed is not None:
        out.append(fix_summary(len(diagnostics), fixed))
    else:
        out.append(summary(diagnostics, files_checked, suppressed))
        out.extend(_fixable_note(diagnostics, unsafe_fixes))
    return "\n".join(out) + "\n"


def fix_summary(remaining: int, fixed: int) -> str:
    """The last line of a ``--fix`` run: ``Found 4 problems (3 fixed, 1 remaining).``"""
    found = remaining + fixed
    if not found:
        return "No problems found."
    return (
        f"Found {found} problem{'s' if found != 1 else ''} ({fixed} fixed, {remaining} remaining)."
    )


def _fixable_note(diagnostics: list[Diagnostic], unsafe_fixes: bool) -> list[str]:
    """``[*] 2 fixable with `dindlint check --fix`.``, and the unsafe fixes it leaves out."""
    notes: list[str] = []
    safe = sum(1 for d in diagnostics if fixable(d, unsafe_fixes))
    if safe:
        option = "--fix --unsafe-fixes" if unsafe_fixes else "--fix"
        notes.append(f"[*] {safe} fixable with `dindlint check {option}`.")
    hidden = sum(1 for d in diagnostics if d.fix is not None and not fixable(d, unsafe_fixes))
    if hidden:
        notes.append(f"{hidden} more fixable with `--unsafe-fixes` (unsafe fixes: review them).")
    return notes


def statistics(diagnostics: list[Diagnostic], files_checked: int) -> str:
    """``--statistics``: a line per rule, most findings first (count, id, name), then the
    summary line."""
    from collections import Counter

    shown = [d for d in diagnostics if d.suppressed is None]
    counts = Counter((d.rule_id, d.name) for d in shown)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0][0]))
    lines = [f"{count:>5}  {rule_id:<7}  {name}" for (rule_id, name), count in ranked]
    return "\n".join([*lines, summary(diagnostics, files_checked)]) + "\n"


def summary(
    diagnostics: list[Diagnostic], files_checked: int, suppressed: int | None = None
) -> str:
    """The last line: ``Found 4 problems (3 errors, 1 warning) in 2 of 3 files checked.``"""
    if suppressed is None:
        suppressed = sum(1 for d in diagnostics if d.suppressed is not None)
    diagnostics = [d for d in diagnostics if d.suppressed is None]
    counts = {
        s: sum(1 for d in diagnostics if d.severity == s) for s in ("error", "warning", "info")
    }
    files = f"{files_checked} file{'s' if files_checked != 1 else ''}"
    quiet = f" ({suppressed} suppressed inline)" if suppressed else ""
    if not diagnostics:
        return f"No problems found in {files}{quiet}."
    listed = ", ".join(
        f"{n} {s}{'s' if n != 1 and s != 'info' else ''}" for s, n in counts.items() if n
    )
    with_problems = len({d.span.path for d in diagnostics})
    # a finding may lie in a file the run read without counting it (an `.env`): never "3 of 2"
    checked = f"{with_problems} of {max(files_checked, with_problems)} files checked"
    if max(files_checked, with_problems) == 1:
        checked = "1 file checked"
    return (
        f"Found {len(diagnostics)} problem{'s' if len(diagnostics) != 1 else ''} "
        f"({listed}) in {checked}{quiet}."
    )
