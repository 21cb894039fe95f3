"""Inline expectations: ``# expect: DIND101`` in fixture files, compared with real findings.

A trailing ``# expect: ID[, ID]`` claims its own line (YAML); a line that is only
``# expect: ID`` claims the next line that is not itself an expectation (the only form in
Dockerfiles, where ``#`` starts a comment only at the start of a line). Matching is exact both
ways: every finding claimed, every expectation met.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from dindlint.discover import discover
from dindlint.engine import run_checks
from dindlint.findings import Diagnostic
from dindlint.project import Loader, build_projects

_EXPECT = re.compile(r"#\s*expect:\s*([A-Z0-9, ]+?)\s*$")

Claim = tuple[str, int, str]  # (path relative to the case, line, rule id)


def expectations(root: Path) -> Counter[Claim]:
    claims: Counter[Claim] = Counter()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (UnicodeDecodeError, OSError):
            continue
        pending: list[str] = []
        for number, line in enumerate(lines, start=1):
            match = _EXPECT.search(line)
            ids = [i.strip() for i in match.group(1).split(",") if i.strip()] if match else []
            if match and re.match(r"\s*#\s*expect:", line):
                pending.extend(ids)
                continue
            if pending and line.strip():
                for rule_id in pending:
                    claims[(path.relative_to(root).as_posix(), number, rule_id)] += 1
                pending = []
            for rule_id in ids:
                claims[(path.relative_to(root).as_posix(), number, rule_id)] += 1
    return claims


def lint(root: Path, paths: list[Path] | None = None) -> list[Diagnostic]:
    projects = build_projects(discover(paths or [root]), Loader())
    return run_checks(projects)


def findings(root: Path, paths: list[Path] | None = None) -> Counter[Claim]:
    found: Counter[Claim] = Counter()
    for diag in lint(root, paths):
        if diag.suppressed is not None:
            continue
        try:
            rel = diag.span.path.relative_to(root).as_posix()
        except ValueError:
            rel = diag.span.path.as_posix()
        found[(rel, diag.span.line, diag.rule_id)] += 1
    return found


def describe(claims: Counter[Claim]) -> str:
    return (
        "\n".join(
            f"  {p}:{line}: {rule}"
            for (p, line, rule), n in sorted(claims.items())
            for _ in range(n)
        )
        or "  (none)"
    )
