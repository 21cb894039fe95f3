"""Baseline: record today's findings, report only new ones tomorrow.

A finding is matched by its fingerprint (``dindlint.fingerprint``, docs/adr/005), which survives
unrelated edits: never the line number.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from dindlint.files import find_git_root
from dindlint.findings import Diagnostic
from dindlint.fingerprint import fingerprints, relative_path
from dindlint.source import read_input

FORMAT_VERSION = 1


class BaselineError(Exception):
    pass


def repository_root(start: Path) -> Path:
    return find_git_root(start) or start


def write_baseline(path: Path, diagnostics: list[Diagnostic], root: Path) -> int:
    """Record the unsuppressed diagnostics; returns how many."""
    active = [d for d in diagnostics if d.suppressed is None]
    relative = {file: relative_path(file, root) for file in {diag.span.path for diag in active}}
    entries = []
    for diag, fingerprint in zip(active, fingerprints(active, root), strict=True):
        entries.append(
            {
                "rule": diag.rule_id,
                "path": relative[diag.span.path],
                "fingerprint": fingerprint,
                "message": diag.message,
            }
        )
    entries.sort(key=lambda e: (e["path"], e["rule"], e["fingerprint"]))
    document = {"dindlint-baseline": FORMAT_VERSION, "findings": entries}
    from dindlint.report.common import json_text
    from dindlint.report.write import write_output

    write_output(path, json_text(document) + "\n")
    return len(entries)


def read_baseline(path: Path) -> Counter[str]:
    try:
        # as any input: inside the run's boundary when it lies in the repository, a regular
        # file, never /proc or /dev, and no larger than the input limit
        document = json.loads(read_input(path).decode("utf-8"))
    except OSError as error:
        raise BaselineError(
            f"{path}: cannot read the baseline: {error.strerror or error}"
        ) from None
    except UnicodeDecodeError:
        raise BaselineError(f"{path}: cannot read the baseline: not UTF-8") from None
    except json.JSONDecodeError as error:
        raise BaselineError(
            f"{path}:{error.lineno}: not a dindlint baseline: {error.msg}"
        ) from None
    except RecursionError:  # `[[[[…`: json's decoder recurses once per level
        raise BaselineError(f"{path}: not a dindlint baseline: nested too deeply") from None
    except ValueError:  # int() refuses more than 4,300 digits
        raise BaselineError(
            f"{path}: not a dindlint baseline: a number of more than 4,300 digits"
        ) from None
    if not isinstance(document, dict) or document.get("dindlint-baseline") != FORMAT_VERSION:
        raise BaselineError(f"{path}: not a dindlint baseline (version {FORMAT_VERSION})")
    try:
        return Counter(str(entry["fingerprint"]) for entry in document["findings"])
    except (KeyError, TypeError):
        raise BaselineError(f"{path}: malformed baseline entries") from None


def without_baselined(
    diagnostics: list[Diagnostic], known: Counter[str], root: Path
) -> tuple[list[Diagnostic], int]:
    """The diagnostics the baseline does not know, and how many it matched."""
    remaining = Counter(known)
    kept: list[Diagnostic] = []
    matched = 0
    active = [d for d in diagnostics if d.suppressed is None]
    printed = {id(d): f for d, f in zip(active, fingerprints(active, root), strict=True)}
    for diag in diagnostics:
        fingerprint = printed.get(id(diag), "")
        if fingerprint and remaining[fingerprint] > 0:
            remaining[fingerprint] -= 1
            matched += 1
        else:
            kept.append(diag)
    return kept, matched
