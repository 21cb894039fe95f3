"""Run a rule document's code blocks as a small virtual project.

Blocks under *Example* and *Use instead* carry a title (```` ```yaml title=compose.yaml ````); the
blocks of one section are written to a folder under those paths and linted like any fixture.
"""

from __future__ import annotations

import re
from pathlib import Path

_SECTION = re.compile(r"^## (.+)$", re.MULTILINE)
_BLOCK = re.compile(
    r"^```[\w-]*[ \t]+title=(\S+)[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL
)


def sections(body: str) -> dict[str, str]:
    """Markdown body split at its ``## `` headings."""
    parts = _SECTION.split(body)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def blocks(section: str) -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in _BLOCK.finditer(section)]


def write_project(section: str, folder: Path) -> None:
    for title, text in blocks(section):
        path = folder / title
        if folder.resolve() not in path.resolve().parents:
            raise ValueError(f"block title escapes the project: {title}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
