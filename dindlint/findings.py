"""What the rules report, on its way to the reports: ``Found`` (a check's record), ``Finding``
(the same under its rule id) and ``Diagnostic`` (a finding ready for reporting, with its severity
and rule name from the catalogue). Plain records, imported by the rules, the engine and every
report format alike.
"""

from __future__ import annotations

from typing import NamedTuple

from dindlint.source import Span

SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}


class Found(NamedTuple):
    """What a check reports, without its rule id (the engine adds it: ``finding``).

    ``message`` says what is wrong and why, in one sentence; ``hint`` what to change, or None
    when there is nothing concrete to say. ``severity`` is set only by rules whose severity
    depends on the case (DIND103 is a warning when ``DOCKER_HOST`` is unset)."""

    message: str
    span: Span
    related: tuple[tuple[Span, str], ...] = ()
    severity: str | None = None
    hint: str | None = None

    def finding(self, rule_id: str) -> Finding:
        """This record as a finding of ``rule_id``."""
        return Finding(rule_id, *self)


class Finding(NamedTuple):
    """A finding of one rule, as the engine handles it: what a check found (``Found``) under the
    rule id ``CHECKS`` registers the check with, or a finding of one of the engine's own rules."""

    rule_id: str
    message: str
    span: Span
    related: tuple[tuple[Span, str], ...] = ()
    severity: str | None = None
    hint: str | None = None


class Diagnostic(NamedTuple):
    """A finding ready for reporting. Ordered by path, line, column, rule id.

    ``suppressed`` is the justification of the inline suppression that covers it ("" when the
    directive gives no reason), or None: suppressed diagnostics are kept for SARIF, which reports
    them as suppressed, and left out of text output and the exit code.
    """

    span: Span
    rule_id: str
    severity: str
    name: str
    message: str
    related: tuple[tuple[Span, str], ...] = ()
    suppressed: str | None = None
    hint: str | None = None  # what to change; no part of its identity (fingerprint, baseline)
