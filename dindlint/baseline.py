"""Baseline: record today's findings, report only new ones tomorrow.

A finding is matched by a fingerprint that survives unrelated edits (docs/adr/005): the rule id,
the file (relative to the repository root), the finding's context (the chain of YAML keys above
it, such as ``services/manager/volumes``, or the Dockerfile stage's ``FROM`` line) and the
normalised offending line (comments, quotes and white space removed) — never the line number.
Identical findings in one context are told apart by their order.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

from dindlint.discover import find_git_root, is_dockerfile_name
from dindlint.engine import Diagnostic
from dindlint.source import read_input

FORMAT_VERSION = 1
_KEY = re.compile(r"^(\s*)(?:-\s+)?([^\s#:][^:#]*?)\s*:(?:\s|$)")


class BaselineError(Exception):
    pass


def repository_root(start: Path) -> Path:
    return find_git_root(start) or start


def _normalise(line: str, dockerfile: bool) -> str:
    """The offending text without what reformatting changes."""
    text = line if dockerfile else re.sub(r"(^|\s)#.*$", "", line)
    text = text.replace('"', "").replace("'", "")
    return " ".join(text.replace(" - ", " ").strip().lstrip("- ").split())


def _yaml_context(lines: list[str], index: int) -> str:
    """The keys above line ``index`` by decreasing indentation: ``services/manager/volumes``."""
    chain: list[str] = []
    current = len(lines[index]) - len(lines[index].lstrip()) if index < len(lines) else 0
    for line in reversed(lines[:index]):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip())
        match = _KEY.match(line)
        if match and indent < current:
            chain.append(match.group(2).strip("\"'"))
            current = indent
            if indent == 0:
                break
    return "/".join(reversed(chain))


def _dockerfile_context(lines: list[str], index: int) -> str:
    for line in reversed(lines[: index + 1]):
        if line.strip().upper().startswith("FROM "):
            return " ".join(line.split())
    return ""


def fingerprint_keys(diagnostics: list[Diagnostic], root: Path) -> list[tuple[str, int]]:
    """The line-independent identity of each diagnostic, in the same order: its key (rule id,
    path relative to ``root``, context, normalised line, joined by NUL) and its occurrence
    number among identical keys in ``diagnostics`` (1 for the first)."""
    cache: dict[Path, list[str]] = {}
    seen: Counter[str] = Counter()
    result: list[tuple[str, int]] = []
    for diag in diagnostics:
        path = diag.span.path
        if path not in cache:
            try:
                cache[path] = read_input(path).decode("utf-8-sig",
                                                      errors="replace").splitlines()
            except OSError:
                cache[path] = []
        lines = cache[path]
        index = diag.span.line - 1
        dockerfile = is_dockerfile_name(path.name)
        text = _normalise(lines[index], dockerfile) if 0 <= index < len(lines) else ""
        context = (_dockerfile_context if dockerfile else _yaml_context)(lines, index) \
            if 0 <= index < len(lines) else ""
        try:
            relative = path.relative_to(root).as_posix()
        except ValueError:
            relative = path.as_posix()
        key = "\0".join((diag.rule_id, relative, context, text))
        seen[key] += 1
        result.append((key, seen[key]))
    return result


def fingerprint_of(key: str, occurrence: int) -> str:
    """The baseline fingerprint of a key and its occurrence number (docs/adr/005)."""
    from hashlib import sha256  # here, not at import: `check` imports this module on every run

    return sha256(f"{key}\0{occurrence}".encode()).hexdigest()


def fingerprints(diagnostics: list[Diagnostic], root: Path) -> list[str]:
    """One fingerprint per diagnostic, in the same order."""
    return [fingerprint_of(key, n) for key, n in fingerprint_keys(diagnostics, root)]


def write_baseline(path: Path, diagnostics: list[Diagnostic], root: Path) -> int:
    """Record the unsuppressed diagnostics; returns how many."""
    active = [d for d in diagnostics if d.suppressed is None]
    entries = []
    for diag, fingerprint in zip(active, fingerprints(active, root), strict=True):
        try:
            relative = diag.span.path.relative_to(root).as_posix()
        except ValueError:
            relative = diag.span.path.as_posix()
        entries.append({"rule": diag.rule_id, "path": relative, "fingerprint": fingerprint,
                        "message": diag.message})
    entries.sort(key=lambda e: (e["path"], e["rule"], e["fingerprint"]))
    document = {"dindlint-baseline": FORMAT_VERSION, "findings": entries}
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return len(entries)


def read_baseline(path: Path) -> Counter[str]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise BaselineError(f"{path}: cannot read the baseline: {error}") from None
    except json.JSONDecodeError as error:
        raise BaselineError(f"{path}:{error.lineno}: not a dindlint baseline: {error.msg}") from None
    if not isinstance(document, dict) or document.get("dindlint-baseline") != FORMAT_VERSION:
        raise BaselineError(f"{path}: not a dindlint baseline (version {FORMAT_VERSION})")
    try:
        return Counter(str(entry["fingerprint"]) for entry in document["findings"])
    except (KeyError, TypeError):
        raise BaselineError(f"{path}: malformed baseline entries") from None


def without_baselined(diagnostics: list[Diagnostic], known: Counter[str],
                      root: Path) -> tuple[list[Diagnostic], int]:
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
