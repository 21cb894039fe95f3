"""The image knowledge base: ``dindlint/data/images.yaml`` loaded once and matched by reference.

Knowledge about images is data, not code branches: this module only
reads the data, resolves ``inherits`` and matches an image reference against the entries.

``images.yaml`` is the source people edit (comments, citations). What a run reads is its compiled
twin ``images.json``: the same entries, loaded in well under a millisecond where the YAML takes
about 20 (ADR 006). ``python scripts/compile_knowledge.py`` writes it, and a test fails while the
two disagree.
"""

from __future__ import annotations

import json
import math
import re
from fnmatch import fnmatchcase
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from dindlint.model import DaemonInfo, GroupEntry, UserEntry, parse_id
from dindlint.session import current

_VERSION_RE = re.compile(r"^v?([0-9]+(?:\.[0-9]+)*)")
_CONSTRAINT_RE = re.compile(r"^\s*(>=|<)\s*([0-9]+(?:\.[0-9]+)*)\s*$")


class ImageReference(NamedTuple):
    """An image reference split into its parts. ``tag`` is None when only a digest pins it."""

    raw: str
    registry: str | None
    repository: str  # without registry host and without the ``library/`` prefix
    tag: str | None
    digest: str | None


class KnownImage(NamedTuple):
    """A knowledge-base entry with its ``inherits`` chain already applied."""

    id: str
    family: str | None
    users: tuple[UserEntry, ...]
    groups: tuple[GroupEntry, ...]
    default_user: str
    daemon: DaemonInfo | None
    source: str


class _Matcher(NamedTuple):
    repositories: tuple[str, ...]
    tags: tuple[str, ...]
    tags_exclude: tuple[str, ...]
    version_op: str | None
    version: tuple[int, ...] | None


def parse_reference(ref: str) -> ImageReference:
    """Split ``[registry/][namespace/]repo[:tag][@digest]`` (Docker's reference grammar).

    The first path component is a registry host when it contains ``.`` or ``:`` or is
    ``localhost``. ``library/x`` (Docker Hub's official namespace) and ``docker/library/x``
    (the ECR public mirror) are reduced to ``x``. No tag and no digest means ``latest``.
    """
    text = ref.strip()
    digest: str | None = None
    if "@" in text:
        text, digest = text.split("@", 1)
    tag: str | None = None
    slash = text.rfind("/")
    colon = text.rfind(":")
    if colon > slash:
        text, tag = text[:colon], text[colon + 1 :]
    parts = text.split("/")
    registry: str | None = None
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        registry = parts[0]
        parts = parts[1:]
    if len(parts) > 2 and parts[0] == "docker" and parts[1] == "library":
        parts = parts[2:]
    elif len(parts) > 1 and parts[0] == "library":
        parts = parts[1:]
    if tag is None and digest is None:
        tag = "latest"
    return ImageReference(ref, registry, "/".join(parts).lower(), tag, digest)


def _version_tuple(text: str) -> tuple[int, ...] | None:
    """``24.0.7`` as ``(24, 0, 7)``; None when a part is too long to be a version number."""
    parts = tuple(parse_id(part) for part in text.split("."))
    return None if None in parts else parts  # type: ignore[return-value]


def _tag_version(tag: str) -> tuple[int, ...] | None:
    match = _VERSION_RE.match(tag)
    return _version_tuple(match.group(1)) if match else None


def _version_ok(tag: str, op: str, wanted: tuple[int, ...]) -> bool:
    """Compare a tag's leading version with a constraint.

    A tag without a version (``dind``, ``latest``, ``rc``) follows the newest release: it
    satisfies ``>=`` and never ``<``. A partial version (``24``, ``24.0``) is a moving tag for
    the newest release of that line, so missing components count as infinitely large.
    """
    have = _tag_version(tag)
    if have is None:
        return op == ">="
    width = max(len(have), len(wanted))
    padded_have = tuple(float(x) for x in have) + (math.inf,) * (width - len(have))
    padded_want = tuple(float(x) for x in wanted) + (0.0,) * (width - len(wanted))
    if op == ">=":
        return padded_have >= padded_want
    return padded_have < padded_want


def _matches(matcher: _Matcher, ref: ImageReference) -> bool:
    if not any(fnmatchcase(ref.repository, pattern) for pattern in matcher.repositories):
        return False
    constrained = bool(matcher.tags or matcher.tags_exclude or matcher.version_op)
    if ref.tag is None:
        return not constrained  # digest only: the tag (and version) is unknown
    tag = ref.tag.lower()
    if matcher.tags and not any(fnmatchcase(tag, pattern) for pattern in matcher.tags):
        return False
    if any(fnmatchcase(tag, pattern) for pattern in matcher.tags_exclude):
        return False
    if matcher.version_op and matcher.version is not None:
        return _version_ok(tag, matcher.version_op, matcher.version)
    return True


def _as_tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def _parse_matcher(raw: dict[str, Any]) -> _Matcher:
    op: str | None = None
    version: tuple[int, ...] | None = None
    if raw.get("version"):
        found = _CONSTRAINT_RE.match(str(raw["version"]))
        if not found or _version_tuple(found.group(2)) is None:
            raise ValueError(f"images.yaml: bad version constraint {raw['version']!r}")
        op, version = found.group(1), _version_tuple(found.group(2))
    return _Matcher(
        repositories=tuple(r.lower() for r in _as_tuple(raw.get("repository"))),
        tags=tuple(t.lower() for t in _as_tuple(raw.get("tags"))),
        tags_exclude=tuple(t.lower() for t in _as_tuple(raw.get("tags_exclude"))),
        version_op=op,
        version=version,
    )


def _gid(value: Any) -> int | None:
    return None if value is None else int(value)


def _resolve(entry_id: str, raw: dict[str, dict[str, Any]], seen: tuple[str, ...]) -> KnownImage:
    """Apply the ``inherits`` chain of one entry (parent first, the child overrides by name)."""
    if entry_id in seen:
        raise ValueError(f"images.yaml: inherits cycle through {entry_id}")
    entry = raw[entry_id]
    users: dict[str, UserEntry] = {}
    groups: dict[str, GroupEntry] = {}
    family: str | None = None
    default_user = "root"
    daemon: DaemonInfo | None = None
    sources: list[str] = []
    parent_id = entry.get("inherits")
    if parent_id:
        parent = _resolve(str(parent_id), raw, seen + (entry_id,))
        users = {u.name: u for u in parent.users}
        groups = {g.name: g for g in parent.groups}
        family, default_user, daemon = parent.family, parent.default_user, parent.daemon
        sources.append(parent.source)
    for name in _as_tuple(entry.get("remove_users")):
        users.pop(name, None)
    for name in _as_tuple(entry.get("remove_groups")):
        groups.pop(name, None)
    for item in entry.get("users") or ():
        name = str(item["name"])
        users[name] = UserEntry(name, _gid(item.get("uid")), _gid(item.get("gid")))
    for item in entry.get("groups") or ():
        members = frozenset(str(m) for m in item.get("members") or ())
        groups[str(item["name"])] = GroupEntry(str(item["name"]), _gid(item.get("gid")), members)
    if "family" in entry:
        family = entry["family"]
    if "default_user" in entry:
        default_user = str(entry["default_user"])
    source = " ".join(str(entry.get("source", "")).split())
    if "daemon" in entry and entry["daemon"] is not None:
        d = entry["daemon"]
        daemon = DaemonInfo(
            socket_path=str(d["socket_path"]),
            tls_default=bool(d.get("tls_default", False)),
            rootless=bool(d.get("rootless", False)),
            source=source,
        )
    sources.insert(0, source)
    return KnownImage(
        id=entry_id,
        family=family,
        users=tuple(users.values()),
        groups=tuple(groups.values()),
        default_user=default_user,
        daemon=daemon,
        source=" | ".join(s for s in sources if s),
    )


DATA = Path(__file__).resolve().parent.parent / "data"
SOURCE_FILE = DATA / "images.yaml"
COMPILED_FILE = DATA / "images.json"


def compile_source(yaml_text: str) -> str:
    """The JSON twin of ``images.yaml``'s text: the ``images`` list, in file order."""
    from ruamel.yaml import YAML

    # YAML 1.2 (the pure loader): a `no` or an octal-looking GID means what it says
    document = YAML(typ="safe", pure=True).load(yaml_text)
    return json.dumps({"images": document["images"]}, indent=1, ensure_ascii=False) + "\n"


@lru_cache(maxsize=1)
def _builtin_entries() -> tuple[dict[str, Any], ...]:
    entries = tuple(json.loads(COMPILED_FILE.read_text(encoding="utf-8"))["images"])
    if len({str(e["id"]) for e in entries}) != len(entries):
        raise ValueError("images.yaml: duplicate id")
    return entries


def _compile(
    entries: tuple[dict[str, Any], ...], raw: dict[str, dict[str, Any]]
) -> tuple[tuple[_Matcher | None, KnownImage], ...]:
    return tuple(
        (_parse_matcher(e["match"]) if e.get("match") else None, _resolve(str(e["id"]), raw, ()))
        for e in entries
    )


@lru_cache(maxsize=1)
def load_knowledge() -> tuple[tuple[_Matcher | None, KnownImage], ...]:
    """Load ``images.yaml`` once: entries in file order with their matcher (None: inherit-only)."""
    entries = _builtin_entries()
    return _compile(entries, {str(e["id"]): e for e in entries})


def _with_builtin(extra: tuple[dict[str, Any], ...]) -> dict[str, dict[str, Any]]:
    raw = {str(e["id"]): e for e in _builtin_entries()}
    raw.update({str(e["id"]): e for e in extra})
    return raw


def validate_extra(entry: dict[str, Any], extra: tuple[dict[str, Any], ...]) -> str | None:
    """Why a configured image entry cannot be used, or None (shape is checked by the schema)."""
    try:
        _compile((entry,), _with_builtin(extra))
    except KeyError as error:
        return f"`inherits` names no known image entry {error}"
    except ValueError as error:
        return str(error)
    return None


def compile_extra(
    extra: tuple[dict[str, Any], ...],
) -> tuple[tuple[_Matcher | None, KnownImage], ...]:
    """The team's own entries (configuration key `images`, already validated), ready for a
    session's ``extra_images``: consulted before the built-in ones."""
    return _compile(extra, _with_builtin(extra)) if extra else ()


def lookup(ref: str) -> KnownImage | None:
    """The first knowledge-base entry matching ``ref``, or None (unknown image): the session's
    configured entries first (``compile_extra``), then the built-in ones. Results are kept per
    session (at most 4,096 references at a time)."""
    session = current()
    lookups = session.lookups
    if ref not in lookups:
        if len(lookups) > 4096:
            lookups.clear()
        lookups[ref] = _lookup(ref, session.extra_images)
    found: KnownImage | None = lookups[ref]
    return found


def _lookup(ref: str, extra: tuple[tuple[_Matcher | None, KnownImage], ...]) -> KnownImage | None:
    parsed = parse_reference(ref)
    if not parsed.repository or "$" in ref:
        return None
    for matcher, image in (*extra, *load_knowledge()):
        if matcher is not None and _matches(matcher, parsed):
            return image
    return None
