"""The rule catalogue: one Markdown document per rule in ``rules/``, front matter + sections.

The catalogue ships in the wheel as the package ``dindlint._catalogue`` (pyproject maps it to the
top-level ``rules/`` folder); from a source checkout the folder is read directly.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any, NamedTuple

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


def _documents() -> list[tuple[str, str]]:
    here = Path(__file__).resolve().parent
    # an installed wheel, then a source checkout (never the other way round: the folder next to
    # an installed package is site-packages, where `rules/` could belong to anything)
    for folder in (here / "_catalogue", here.parent / "rules"):
        if folder.is_dir():
            return [(p.name, p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.md"))]
    # neither folder on disk: ask the import system (not imported on every run)
    from importlib import resources

    folder = resources.files("dindlint._catalogue")
    return sorted(
        (entry.name, entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if entry.name.endswith(".md")
    )


_PLAIN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_./-]*")
_NUMBER = re.compile(r"[-+]?[0-9]*\.?[0-9]+")
_NOT_STRINGS = frozenset({"true", "false", "yes", "no", "on", "off", "null", "y", "n"})


def simple_front_matter(text: str) -> dict[str, Any] | None:
    """The front matter when every line is ``key: word`` or ``key: [word, ...]`` (as in every
    rule document), without a YAML parser: a rule's severity is needed on every run, and reading
    25 documents through YAML costs more than the rest of a pre-commit check of a small stack.
    None when anything else appears (YAML then decides); tests/test_performance.py compares."""
    meta: dict[str, Any] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(": ")
        value = value.strip()
        if not sep or not _PLAIN.fullmatch(key) or key in meta:
            return None
        if value.startswith("[") and value.endswith("]"):
            items = [v.strip() for v in value[1:-1].split(",") if v.strip()]
            if not all(_PLAIN.fullmatch(v) and not _special(v) for v in items):
                return None
            meta[key] = items
        elif key == "security-severity" and _NUMBER.fullmatch(value):
            meta[key] = float(value)
        elif _PLAIN.fullmatch(value) and not _special(value):
            meta[key] = value
        else:
            return None
    return meta


def _special(word: str) -> bool:
    """A word YAML would read as something other than a string."""
    return word.lower() in _NOT_STRINGS or bool(_NUMBER.fullmatch(word))


def parse(filename: str, text: str) -> RuleDoc:
    match = _FRONT_MATTER.match(text.replace("\r\n", "\n"))
    if match is None:
        raise ValueError(f"{filename}: no front matter")
    meta = simple_front_matter(match.group(1))
    if meta is None:
        meta = YAML(typ="safe").load(match.group(1))
    body = match.group(2).strip() + "\n"
    summary = ""
    for paragraph in body.split("\n\n"):
        if paragraph.strip() and not paragraph.lstrip().startswith("#"):
            summary = " ".join(paragraph.split())
            break
    return RuleDoc(
        id=str(meta["id"]),
        name=str(meta["name"]),
        severity=str(meta["severity"]),
        summary=summary,
        tags=tuple(str(t) for t in meta.get("tags", ())),
        security_severity=float(meta["security-severity"]) if "security-severity" in meta else None,
        since=str(meta.get("since", "")),
        body=body,
        filename=filename,
    )


@functools.lru_cache(maxsize=1)
def catalogue() -> dict[str, RuleDoc]:
    """Every rule document, by id."""
    docs = [parse(name, text) for name, text in _documents()]
    return {doc.id: doc for doc in sorted(docs, key=lambda d: d.id)}
