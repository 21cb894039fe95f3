"""The report formats of ``dindlint check`` and where each one goes.

``--format`` is repeatable; each value is ``FORMAT`` or ``FORMAT:PATH``
(``--format text --format sarif:out.sarif``). At most one format has no path: it goes to
standard output, or to ``-o FILE`` when given.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import NamedTuple

from dindlint.findings import Diagnostic
from dindlint.report.common import ReportContext, encodable
from dindlint.source import reading_once

FORMATS = ("text", "sarif", "json", "github", "gitlab", "junit")


class OutputError(ValueError):
    """A ``--format``/``-o`` combination that cannot be honoured."""


class Output(NamedTuple):
    """One report to write: its format and its file (None: standard output)."""

    format: str
    path: Path | None = None


def parse_output(value: str) -> Output:
    """``sarif:out.sarif`` → Output("sarif", Path("out.sarif")); ``text`` → Output("text").

    Only the first ``:`` separates, so ``sarif:C:\\reports\\x.sarif`` keeps its drive letter.
    """
    name, sep, path = value.partition(":")
    name = name.strip().lower()
    if name not in FORMATS:
        raise OutputError(f"unknown format `{name}` (choose from {', '.join(FORMATS)})")
    if sep and not path:
        raise OutputError(f"`{value}`: no file after `{name}:`")
    return Output(name, Path(path) if sep else None)


def plan(outputs: Iterable[Output], default_path: Path | None) -> list[Output]:
    """The reports to write: the one without a path goes to ``default_path`` (``-o``) or to
    standard output; no two reports share a file."""
    chosen = list(outputs) or [Output("text")]
    pathless = [o for o in chosen if o.path is None]
    if len(pathless) > 1:
        raise OutputError(
            "only one --format can go to standard output; give the others a file as FORMAT:PATH"
        )
    if default_path is not None:
        if not pathless:
            raise OutputError("-o/--output names no report: every --format has its own PATH")
        chosen = [Output(o.format, default_path) if o.path is None else o for o in chosen]
    files = [o.path.resolve() for o in chosen if o.path is not None]
    if len(files) != len(set(files)):
        raise OutputError("two reports are written to the same file")
    return chosen


def _text(diagnostics: list[Diagnostic], context: ReportContext) -> str:
    from dindlint.report import text

    return text.render(
        diagnostics,
        context.cwd,
        context.colour,
        context.files_checked,
        fixed=context.fixed,
        unsafe_fixes=context.unsafe_fixes,
    )


def _renderer(name: str) -> Callable[[list[Diagnostic], ReportContext], str]:
    """The render function of a format (modules are imported only when used)."""
    if name == "text":
        return _text
    if name == "sarif":
        from dindlint.report import sarif

        return sarif.render
    if name == "json":
        from dindlint.report import json_report

        return json_report.render
    if name == "github":
        from dindlint.report import github

        return github.render
    if name == "gitlab":
        from dindlint.report import gitlab

        return gitlab.render
    if name == "junit":
        from dindlint.report import junit

        return junit.render
    raise OutputError(f"unknown format `{name}`")


def render(name: str, diagnostics: list[Diagnostic], context: ReportContext) -> str:
    """The report of ``diagnostics`` in format ``name`` (always encodable as UTF-8). Each path
    is resolved once, and the findings' identities computed once, for the whole report (or for
    all the reports of the enclosing ``source.reading_once()`` block)."""
    with reading_once():
        return encodable(_renderer(name)(diagnostics, context))
