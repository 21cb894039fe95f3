"""What the rules report, on its way to the reports: ``Found`` (a check's record), ``Finding``
(the same under its rule id) and ``Diagnostic`` (a finding ready for reporting, with its severity
and rule name from the catalogue). Plain records, imported by the rules, the engine and every
report format alike.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from dindlint.source import Span

SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}


# What a finding knows of its own repair (``dindlint check --fix``): typed facts a check states,
# which ``dindlint.fix`` makes into text edits of the file a span names. No part of a finding's
# identity (fingerprint, baseline). ``safe``: the fix keeps the author's intent and cannot open
# access; an unsafe one is applied only with ``--unsafe-fixes``.


class AddGroup(NamedTuple):
    """Add ``entry`` (a GID, or a required variable) to the ``group_add`` of the service whose
    key is at ``service``; ``existing`` are the spans of its ``group_add`` entries (the key is
    created when there are none)."""

    entry: str
    service: Span
    existing: tuple[Span, ...] = ()
    safe: bool = True

    @property
    def title(self) -> str:
        return f"Add `{self.entry}` to `group_add`"


class AddKey(NamedTuple):
    """Add ``key: value`` (``value`` as written) to the mapping of the service at ``service``.
    With ``existing``, the key has a value already (written ``old``, at that span): it is
    replaced there when that place is the service's own; else (a merged anchor, an
    ``extends``-ed service, which other services may share) the key is added to the service,
    where it overrides the value it takes in."""

    key: str
    value: str
    service: Span
    safe: bool = True
    existing: Span | None = None
    old: str = ""

    @property
    def title(self) -> str:
        return f"{'Set' if self.existing else 'Add'} `{self.key}: {self.value}`"


class ReplaceText(NamedTuple):
    """Replace the one occurrence of ``old`` by ``new`` in the lines of ``span``, at or after its
    column (with ``anchored``: the one that starts at its column)."""

    span: Span
    old: str
    new: str
    safe: bool = True
    label: str | None = None  # the title, when "Replace `old` by `new`" would say it worse
    anchored: bool = False
    # the key of the service whose value this is: when given, it is edited only where that
    # service itself writes it (not in an ``extends``-ed service or an env file others share)
    service: Span | None = None

    @property
    def title(self) -> str:
        if self.label:
            return self.label
        if self.new:
            return f"Replace `{self.old.strip()}` by `{self.new.strip()}`"
        return f"Remove `{self.old.strip()}`"


class RemoveEntry(NamedTuple):
    """Remove the block-style entry (a whole line: ``- KEY=value`` or ``KEY: value``) whose
    value starts at ``span``; ``what`` names it in the title."""

    span: Span
    what: str
    safe: bool = True
    service: Span | None = None  # as ``ReplaceText.service``

    @property
    def title(self) -> str:
        return f"Remove `{self.what}`"


class Several(NamedTuple):
    """Repairs made together, in one file (each must apply, or none is made)."""

    parts: tuple[AddGroup | AddKey | ReplaceText | RemoveEntry, ...]
    label: str
    safe: bool = True

    @property
    def title(self) -> str:
        return self.label


Repair = AddGroup | AddKey | ReplaceText | RemoveEntry | Several


class Edit(NamedTuple):
    """A text edit: characters ``start`` to ``end`` (code points from the start of the file's
    text, a byte-order mark not counted) of ``path`` become ``text``. ``line``/``col`` and
    ``end_line``/``end_col`` are the same region in lines and columns from 1 (``end_col``
    excluded), as SARIF's ``deletedRegion`` wants them."""

    path: Path
    start: int
    end: int
    text: str
    line: int
    col: int
    end_line: int
    end_col: int


class Fix(NamedTuple):
    """A repair made into edits: what a report shows and ``--fix`` applies."""

    title: str
    safe: bool
    edits: tuple[Edit, ...]


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
    repair: Repair | None = None  # what --fix can do about it

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
    repair: Repair | None = None


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
    repair: Repair | None = None  # the finding's repair, as its check states it
    fix: Fix | None = None  # the repair as edits (``dindlint.fix``); None: no fix is known
