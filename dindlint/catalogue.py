"""The rule catalogue: one Markdown document per rule in ``rules/``, front matter + sections.

The catalogue ships in the wheel as the package ``dindlint._catalogue`` (pyproject maps it to the
top-level ``rules/`` folder); from a source checkout the folder is read directly.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import NamedTuple

from ruamel.yaml import YAML

_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n(.*)\Z", re.DOTALL)


class RuleDoc(NamedTuple):
    id: str
    name: str
    severity: str
    summary: str
    tags: tuple[str, ...]
    security_severity: float | None
    since: str
    body: str  # the Markdown after the front matter
    filename: str
    fix: str | None = None  # "safe", "unsafe" or "safe or unsafe": the rule has a fix


def _documents() -> list[tuple[str, str]]:
    here = Path(__file__).resolve().parent
    # an installed wheel, then a source checkout (never the other way round: the folder next to
    # an installed package is site-packages, where `rules/` could belong to anything)
    for folder in (here / "_catalogue", here.parent / "rules"):
        if folder.is_dir():
            return [(p.name, p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.md"))]
    # neither folder on disk: ask the import system (not imported on every run)
    from importlib import resources

    package = resources.files("dindlint._catalogue")
    return sorted(
        (entry.name, entry.read_text(encoding="utf-8"))
        for entry in package.iterdir()
        if entry.name.endswith(".md")
    )


def _split(filename: str, text: str) -> tuple[str, str]:
    """The front matter and the body (stripped, one final newline) of a rule document."""
    match = _FRONT_MATTER.match(text.replace("\r\n", "\n"))
    if match is None:
        raise ValueError(f"{filename}: no front matter")
    return match.group(1), match.group(2).strip() + "\n"


def _summary(body: str) -> str:
    """The first paragraph of ``body`` that is not a heading, on one line."""
    for paragraph in body.split("\n\n"):
        if paragraph.strip() and not paragraph.lstrip().startswith("#"):
            return " ".join(paragraph.split())
    return ""


def parse(filename: str, text: str) -> RuleDoc:
    """A rule document read in full: its front matter through a YAML parser."""
    front, body = _split(filename, text)
    meta = YAML(typ="safe").load(front)
    return RuleDoc(
        id=str(meta["id"]),
        name=str(meta["name"]),
        severity=str(meta["severity"]),
        summary=_summary(body),
        tags=tuple(str(t) for t in meta.get("tags", ())),
        security_severity=float(meta["security-severity"]) if "security-severity" in meta else None,
        since=str(meta.get("since", "")),
        body=body,
        filename=filename,
        fix=str(meta["fix"]) if "fix" in meta else None,
    )


# The catalogue index: every rule document's fields but its body, built from the documents by
# ``scripts/catalogue_index.py`` (tests/test_catalogue_index.py fails while the two disagree).
# A rule's severity is needed on every run, and reading 25 front matters through YAML cost more
# than the rest of a pre-commit check of a small stack.
INDEX_FILE = Path(__file__).resolve().parent / "data" / "catalogue.json"
_INDEXED = (
    "id",
    "name",
    "severity",
    "summary",
    "tags",
    "security_severity",
    "since",
    "filename",
    "fix",
)


def build_index(documents: list[tuple[str, str]]) -> str:
    """The JSON text of the index of ``documents`` ((file name, text) pairs), sorted by id."""
    docs = sorted((parse(name, text) for name, text in documents), key=lambda d: d.id)
    rows = [{key: getattr(doc, key) for key in _INDEXED} for doc in docs]
    return json.dumps(rows, indent=2, ensure_ascii=False) + "\n"


def index_of_documents() -> str:
    """The index text the shipped rule documents give (what ``INDEX_FILE`` must hold)."""
    return build_index(_documents())


@functools.lru_cache(maxsize=1)
def catalogue() -> dict[str, RuleDoc]:
    """Every rule document, by id: its fields from the index, its body from the document."""
    bodies = {name: _split(name, text)[1] for name, text in _documents()}
    rows = json.loads(INDEX_FILE.read_text(encoding="utf-8"))
    docs = []
    for row in rows:
        fields = {key: row[key] for key in _INDEXED}
        fields["tags"] = tuple(fields["tags"])
        docs.append(RuleDoc(body=bodies[row["filename"]], **fields))
    return {doc.id: doc for doc in docs}


def rule_ids() -> frozenset[str]:
    """Every rule id dindlint can report: one per rule document (tests/test_catalogue.py checks
    that the checks and the engine report exactly these)."""
    return frozenset(catalogue())


def names_a_rule(selector: str) -> bool:
    """A selector (id or prefix) that matches at least one rule: a typo selects nothing."""
    return any(rule.startswith(selector) for rule in rule_ids())


def did_you_mean(selector: str) -> str:
    """``; did you mean `DIND301`?`` for a mistyped rule id (a letter O for a zero, a lower-case
    id), or nothing when no rule id is close."""
    import difflib

    close = difflib.get_close_matches(selector.upper(), sorted(rule_ids()), n=1, cutoff=0.7)
    return f"; did you mean `{close[0]}`?" if close else ""
