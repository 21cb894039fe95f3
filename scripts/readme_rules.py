"""The README's rule table, generated from the catalogue (the rule documents in rules/).

    python scripts/readme_rules.py            # print the table
    python scripts/readme_rules.py --write    # rewrite it in README.md, between the markers

Run ``--write`` after adding a rule or changing a rule's name, severity or summary (the first
paragraph of its document); tests/test_readme.py fails while README.md and the catalogue disagree.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from dindlint.catalogue import catalogue  # noqa: E402

README = REPO / "README.md"
START = "<!-- rules:start -->"
END = "<!-- rules:end -->"


def table() -> str:
    """One row per rule, in id order: link to its document, name, severity, summary."""
    rows = ["| id | name | severity | what it finds |", "|---|---|---|---|"]
    for doc in catalogue().values():
        summary = doc.summary.replace("|", "\\|")
        link = f"[{doc.id}](rules/{doc.filename})"
        rows.append(f"| {link} | {doc.name} | {doc.severity} | {summary} |")
    return "\n".join(rows) + "\n"


def with_table(readme: str) -> str:
    """``readme`` with the text between the two markers replaced by :func:`table`."""
    before, start, rest = readme.partition(START)
    _, end, after = rest.partition(END)
    if not start or not end:
        raise ValueError(f"README.md has no {START} ... {END} block")
    return f"{before}{START}\n{table()}{END}{after}"


def main(argv: list[str]) -> int:
    if not argv:
        sys.stdout.write(table())
        return 0
    if argv != ["--write"]:
        print(__doc__, file=sys.stderr)
        return 2
    text = README.read_text(encoding="utf-8")
    updated = with_table(text)
    if updated == text:
        print("README.md: the rule table is up to date")
    else:
        README.write_text(updated, encoding="utf-8")
        print(f"wrote the rule table into {README}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
