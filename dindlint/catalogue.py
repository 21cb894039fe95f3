"""The rule catalogue: one Markdown document per rule in ``rules/``, front matter + sections.

The catalogue ships in the wheel as the package ``dindlint._catalogue`` (pyproject maps it to the
top-level ``rules/`` folder); from a source checkout the folder is read directly.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ruamel.yaml import YAML

_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n(.*)\Z", re.S)


@dataclass(frozen=True)
class RuleDoc:
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
    source_tree = Path(__file__).resolve().parent.parent / "rules"
    if source_tree.is_dir():
        return [(p.name, p.read_text(encoding="utf-8")) for p in sorted(source_tree.glob("*.md"))]
    folder = resources.files("dindlint._catalogue")
    return sorted(
        (entry.name, entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir() if entry.name.endswith(".md")
    )


def parse(filename: str, text: str) -> RuleDoc:
    match = _FRONT_MATTER.match(text.replace("\r\n", "\n"))
    if match is None:
        raise ValueError(f"{filename}: no front matter")
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
