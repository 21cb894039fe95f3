"""What every report format shares: the report context, repository-relative paths, finding
fingerprints, rule help links and source lines.

Machine formats (SARIF, json, github, gitlab, junit) name files relative to the *repository
root* — the git top level found upward from the current directory, else the current directory —
so a report is the same whichever folder dindlint runs from. Text output stays relative to the
current directory, for people.
"""

from __future__ import annotations

import os
from json.encoder import encode_basestring
from pathlib import Path
from typing import NamedTuple

from dindlint.catalogue import RuleDoc
from dindlint.files import is_dockerfile_name
from dindlint.findings import Diagnostic
from dindlint.source import file_lines, memoised

DEFAULT_HELP_URI_BASE = "https://github.com/dindlint/dindlint/blob/main/rules/"
SEVERITIES = ("error", "warning", "info")


class ReportContext(NamedTuple):
    """Everything a formatter needs beside the diagnostics.

    ``base`` is the current directory (text output), ``root`` the repository root (every other
    format). ``files_checked`` counts the compose files and Dockerfiles analysed.
    """

    root: Path
    base: Path | None = None
    files_checked: int = 0
    colour: bool = False
    help_uri_base: str = DEFAULT_HELP_URI_BASE
    sarif_category: str | None = None
    executed: bool = True
    sarif_omit_suppressed: bool = False  # leave suppressed findings out of SARIF too
    failure: str | None = None  # why the run stopped before analysing (SARIF says so)
    fixed: int | None = None  # findings `--fix` fixed (None: not a fix run)
    unsafe_fixes: bool = False  # `--unsafe-fixes`: text output marks unsafe fixes applicable

    @property
    def cwd(self) -> Path:
        """The folder text output is relative to (the root when no base was given)."""
        return self.base if self.base is not None else self.root


def repository_root(start: Path) -> Path:
    """The git top level above ``start``, else ``start`` itself."""
    from dindlint.files import find_git_root

    return find_git_root(start) or start


def relative_to_root(path: Path, root: Path) -> str | None:
    """``path`` relative to ``root`` with forward slashes, or None when it lies outside.

    Symbolic links are resolved first (code scanning cannot show a result reported through a
    link); a link that leads outside the root is reported under its own name inside it.
    """
    # memoised for the run (source.reading_once): a file of 30,000 findings was resolved on
    # disk once per finding and per format
    return memoised(("report-relative", (path, root)), lambda: _relative_to_root(path, root))


def _relative_to_root(path: Path, root: Path) -> str | None:
    for candidate, anchor in ((resolved(path), resolved(root)), (path, root)):
        try:
            relative = candidate.relative_to(anchor).as_posix()
        except ValueError:
            continue
        if relative not in ("", ".") and ".." not in relative.split("/"):
            return relative
    return None


def shown_path(path: Path, root: Path) -> str:
    """Relative to the root when inside it, else the absolute path (forward slashes)."""
    relative = relative_to_root(path, root)
    return relative if relative is not None else resolved(path).as_posix()


def resolved(path: Path) -> Path:
    """``path`` with its symbolic links followed, or only made absolute where they cannot be: a
    link loop (``a.env`` → ``b.env`` → ``a.env``) made ``Path.resolve`` raise, and the report
    of the whole run was lost."""
    return memoised(("report-resolved", path), lambda: _resolved(path))


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # RuntimeError: a loop, before Python 3.13
        return Path(os.path.abspath(path))


def active(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """The diagnostics no inline suppression covers: what every format but SARIF reports."""
    return [d for d in diagnostics if d.suppressed is None]


def with_hint(message: str, hint: str | None) -> str:
    """``message`` followed by ``hint`` as a second sentence (``… is dropped. Help: use …``),
    for a format with one text per finding. The message stays the first sentence: GitHub code
    scanning shows only the first sentence of a result's message where space is short."""
    if not hint:
        return message
    message = message.rstrip()
    stop = "" if message.endswith((".", "!", "?")) else "."
    return f"{message}{stop} Help: {hint.rstrip().rstrip('.')}."


class Identity(NamedTuple):
    """A finding's line-independent identity (docs/adr/005-fingerprints.md)."""

    key: str
    occurrence: int
    fingerprint: str  # the baseline fingerprint: SHA-256 hex of key and occurrence

    @property
    def line_hash(self) -> str:
        """SARIF ``primaryLocationLineHash``: ``<16 hex digits of SHA-256(key)>:<occurrence>``."""
        from hashlib import sha256  # only SARIF asks: a text run does not pay for OpenSSL

        digest = sha256(self.key.encode("utf-8", "surrogatepass")).hexdigest()  # as the baseline
        return f"{digest[:16]}:{self.occurrence}"


def identities(diagnostics: list[Diagnostic], root: Path) -> dict[int, Identity]:
    """The identity of each diagnostic, by ``id()``.

    Unsuppressed findings are numbered first, exactly as the baseline numbers them, so their
    ``fingerprint`` equals the one ``--write-baseline`` records; suppressed findings continue the
    count, so no two findings of one run share an identity.
    """
    # the list is kept with its identities: its id() cannot be another list's while memoised
    return memoised(
        ("report-identities", (id(diagnostics), root)),
        lambda: (diagnostics, _identities(diagnostics, root)),
    )[1]


def _identities(diagnostics: list[Diagnostic], root: Path) -> dict[int, Identity]:
    from dindlint.fingerprint import fingerprint_keys, fingerprint_of

    ordered = active(diagnostics) + [d for d in diagnostics if d.suppressed is not None]
    keys = fingerprint_keys(ordered, root)
    return {
        id(diag): Identity(key, n, fingerprint_of(key, n))
        for diag, (key, n) in zip(ordered, keys, strict=True)
    }


def help_uri(doc: RuleDoc, base: str) -> str:
    """The rule's documentation page: ``base`` (a folder URL) joined with its file name."""
    return f"{base if base.endswith('/') else base + '/'}{doc.filename}"


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending with ``…`` when cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class SourceLines:
    """Physical lines of the analysed files, read once each (UTF-8, undecodable bytes replaced)."""

    def __init__(self) -> None:
        self._cache: dict[Path, list[str]] = {}

    def lines(self, path: Path) -> list[str]:
        if path not in self._cache:
            self._cache[path] = file_lines(path, dockerfile=is_dockerfile_name(path.name))
        return self._cache[path]

    def line(self, path: Path, number: int) -> str | None:
        """Line ``number`` (from 1) of ``path``, or None when there is no such line."""
        lines = self.lines(path)
        return lines[number - 1] if 0 < number <= len(lines) else None


def encodable(report: str) -> str:
    """``report`` with every lone surrogate written as ``\\udXXX``, so that it encodes as UTF-8.

    A YAML escape (``"\\ud800"``) or a file name that is not UTF-8 (Python keeps its bytes as
    surrogates) puts one in a message or a path; written out unchanged, it made every format
    fail on output, with no report at all. In json and SARIF the result is JSON's own escape."""
    return report.encode("utf-8", "backslashreplace").decode("utf-8")


def counts(diagnostics: list[Diagnostic]) -> dict[str, int]:
    """How many diagnostics of each severity (error, warning, info)."""
    return {s: sum(1 for d in diagnostics if d.severity == s) for s in SEVERITIES}


def rule_help_uri(rule_id: str, base: str) -> str:
    """The documentation page of ``rule_id`` under ``base`` (the folder URL itself when the
    catalogue has no such rule)."""
    from dindlint.catalogue import catalogue

    doc = catalogue().get(rule_id)
    return help_uri(doc, base) if doc is not None else base


def json_text(document: object) -> str:
    """``json.dumps(document, indent=2, ensure_ascii=False)``, byte for byte, about twice as fast.

    With an indent, ``json`` encodes in pure Python, one generator per container: for 30,000
    findings in three formats that took seconds. Strings are escaped by ``json``'s own C
    function; a value of another type than dict, list, str, int, bool or None is written by
    ``json.dumps`` itself (the newlines of its text indented to the depth: a raw newline never
    occurs inside JSON strings)."""
    out: list[str] = []
    _json_value(document, out, "\n")
    return "".join(out)


def _json_value(value: object, out: list[str], newline: str) -> None:
    """Append the text of ``value`` to ``out``; ``newline`` starts a line at its depth."""
    kind = type(value)
    if kind is dict and value:
        inner = newline + "  "
        separator = "{" + inner
        for key, item in value.items():  # type: ignore[attr-defined]
            if type(key) is not str:
                key = _json_key(key)
            if type(item) is str:
                out.append(f"{separator}{encode_basestring(key)}: {encode_basestring(item)}")
            elif type(item) is int:
                out.append(f"{separator}{encode_basestring(key)}: {int.__repr__(item)}")
            elif item is None:
                out.append(f"{separator}{encode_basestring(key)}: null")
            else:
                out.append(f"{separator}{encode_basestring(key)}: ")
                _json_value(item, out, inner)
            separator = "," + inner
        out.append(newline + "}")
    elif kind is list and value:
        inner = newline + "  "
        separator = "[" + inner
        for item in value:  # type: ignore[attr-defined]
            if type(item) is str:
                out.append(separator + encode_basestring(item))
            else:
                out.append(separator)
                _json_value(item, out, inner)
            separator = "," + inner
        out.append(newline + "]")
    elif kind is str:
        out.append(encode_basestring(value))  # type: ignore[arg-type]
    elif kind is int:
        out.append(int.__repr__(value))
    elif value is None or kind is bool:
        out.append("null" if value is None else "true" if value else "false")
    elif kind is dict or kind is list:  # empty
        out.append("{}" if kind is dict else "[]")
    else:  # a float, a tuple, a subclass: as json writes it
        import json

        out.append(json.dumps(value, indent=2, ensure_ascii=False).replace("\n", newline))


def _json_key(key: object) -> str:
    """A dict key that is not a string, as ``json`` writes it (``1`` → ``"1"``, ``True`` →
    ``"true"``; TypeError for a key ``json`` refuses)."""
    import json

    return next(iter(json.loads(json.dumps({key: None}))))
