"""Merging located trees the way compose-go merges files (compose-spec 13-merge.md; compose-go
override/merge.go:74-103, uncity.go:31-108).

* mappings merge key by key, the later value wins for scalars, sequences are appended;
* ``services.*.volumes`` is unique by target: a later entry with the same target replaces the
  earlier one entirely, at the earlier position (compose-go override/uncity.go);
* ``environment`` is unique by key (list ``K=V`` entries are turned into a mapping first);
* ``command``, ``entrypoint``, ``healthcheck.test`` are overridden, not appended;
* ``volumes_from`` is appended unique, ``ports`` appended without exact duplicates;
* ``!reset`` removes the value, ``!override`` replaces it without merging (compose ≥ 2.24.4).

Nodes are shared, never copied wholesale: a merge only rebuilds the mappings it touches, so an
alias bomb cannot blow up here (both recursions are memoised by node identity).
"""

from __future__ import annotations

from dindlint.compose.volumes import VolumeSpecError, normalize_path, parse_short
from dindlint.compose.yamlnodes import YMap, YNode, YScalar, YSeq

Path_ = tuple[str, ...]

_OVERRIDDEN = {"command", "entrypoint"}


class Merger:
    """Stateful only for memoisation; one instance per load."""

    def __init__(self) -> None:
        # memo values hold their input nodes too, so an id() is never reused while memoised
        self._clean: dict[tuple[int, tuple[object, ...]], tuple[YNode, YNode | None]] = {}
        self._pairs: dict[
            tuple[int, int, tuple[object, ...]], tuple[YNode, YNode, YNode | None]
        ] = {}

    def merge(self, base: YNode | None, over: YNode, path: Path_ = ()) -> YNode | None:
        """``over`` laid on ``base``; None when the result is removed (``!reset``)."""
        if over.mark == "reset":
            return None
        if base is None or over.mark == "override":
            return self.clean(over, path)
        memo_key = (id(base), id(over), _memo_path(path))
        if memo_key not in self._pairs:
            self._pairs[memo_key] = (base, over, self._merge(base, over, path))
        return self._pairs[memo_key][2]

    def _merge(self, base: YNode, over: YNode, path: Path_) -> YNode | None:
        base, over = _normalize(base, path), _normalize(over, path)
        if isinstance(base, YMap) and isinstance(over, YMap):
            return self._merge_maps(base, over, path)
        if isinstance(base, YSeq) and isinstance(over, YSeq):
            return self._merge_seqs(base, over, path)
        return self.clean(over, path)

    def _merge_maps(self, base: YMap, over: YMap, path: Path_) -> YMap:
        entries = dict(base.entries)
        for key, (key_span, value) in over.entries.items():
            previous = entries.get(key)
            merged = self.merge(previous[1] if previous else None, value, path + (key,))
            if merged is None:
                entries.pop(key, None)
            else:
                # the key keeps the span of its first definition; the value that of its supplier
                entries[key] = (previous[0] if previous else key_span, merged)
        return YMap(entries, over.span)

    def _merge_seqs(self, base: YSeq, over: YSeq, path: Path_) -> YSeq:
        field = _service_field(path)
        over = self.clean(over, path)  # type: ignore[assignment]
        if field in _OVERRIDDEN or path[-2:] == ("healthcheck", "test"):
            return over
        if field == "volumes":
            return YSeq(_unique_by_target(base.items, over.items), over.span)
        if field in ("volumes_from", "ports"):
            return YSeq(_append_unique(base.items, over.items), over.span)
        return YSeq(base.items + over.items, over.span)

    def clean(self, node: YNode, path: Path_ = ()) -> YNode | None:
        """``node`` with nested ``!reset`` entries dropped (it is the first value for its path)."""
        if node.mark == "reset":
            return None
        if isinstance(node, YScalar):
            # nothing below it: made again at no cost, never memoised (a large file's scalars
            # were most of the memo's entries)
            return self._clean_uncached(_normalize(node, path), path)
        # keyed by path too: the same node is normalised differently at different paths
        # (a `build: dir` scalar becomes `{context: dir}` only at the `build` key)
        key = (id(node), _memo_path(path))
        if key not in self._clean:
            self._clean[key] = (node, node)  # placeholder while walking
            self._clean[key] = (node, self._clean_uncached(_normalize(node, path), path))
        return self._clean[key][1]

    def _clean_uncached(self, node: YNode, path: Path_) -> YNode | None:
        if isinstance(node, YMap):
            entries: dict = {}
            changed = False
            # a scalar below a field that normalises none (``_normalize``) is kept as it is,
            # without a call per scalar of a large file
            fields = len(path) == 2 and path[0] == "services"
            cleaned: YNode | None
            for k, (ks, v) in node.entries.items():
                if v.__class__ is YScalar and v.mark is None and not (fields and k in _SHAPED):
                    cleaned = v
                else:
                    cleaned = self.clean(v, path + (k,))
                changed = changed or cleaned is not v
                if cleaned is not None:
                    entries[k] = (ks, cleaned)
            return YMap(entries, node.span) if changed else node
        if isinstance(node, YSeq):
            items = [x for x in node.items if x.mark != "reset"]
            return YSeq(items, node.span) if len(items) != len(node.items) else node
        return node


def _memo_path(path: Path_) -> tuple[object, ...]:
    """What of ``path`` a merge or clean result depends on, for the memo keys.

    Only the first four keys (``services.<name>.<field>[.test]``) change how a node is merged;
    deeper, only whether the path ends in ``healthcheck`` / ``healthcheck.test`` does. Keying
    deep nodes by their whole path would defeat the memo on an alias bomb of mappings (each
    copy is reached by another path), and cleaning would take exponential time."""
    if len(path) <= 4:
        return path
    return (None, path[-1] == "healthcheck", path[-2:] == ("healthcheck", "test"))


def _service_field(path: Path_) -> str | None:
    """``volumes`` for ``("services", name, "volumes")``, else None."""
    if len(path) == 3 and path[0] == "services":
        return path[2]
    return None


# the service fields whose scalar ``_normalize`` turns into a mapping
_SHAPED = frozenset({"build", "extends"})


def _normalize(node: YNode, path: Path_) -> YNode:
    """Shape changes compose-go applies before merging: ``build: .`` → ``{context: .}``,
    ``extends: svc`` → ``{service: svc}``, list-form ``environment`` → mapping."""
    field = _service_field(path)
    if field == "build" and isinstance(node, YScalar) and not node.is_null:
        return YMap({"context": (node.span, node)}, node.span, node.mark)
    if field == "extends" and isinstance(node, YScalar) and not node.is_null:
        return YMap({"service": (node.span, node)}, node.span, node.mark)
    if field == "environment" and isinstance(node, YSeq):
        return env_list_to_map(node)
    return node


def env_list_to_map(node: YSeq) -> YMap:
    """``[K=V, K]`` → ``{K: V, K: null}``; each value keeps the entry's span."""
    entries: dict = {}
    for item in node.items:
        if not isinstance(item, YScalar) or item.is_null:
            continue
        key, sep, value = item.value.partition("=")
        if not sep:
            entries[key] = (item.span, YScalar("", item.span, is_null=True))
            continue
        marked = item.marked.partition("=")[2] if item.marked else None
        entries[key] = (
            item.span,
            YScalar(
                value,
                item.span,
                quoted=True,
                raw=item.raw,
                unresolved=item.unresolved,
                marked=marked,
            ),
        )
    return YMap(entries, node.span, node.mark)


def volume_target(node: YNode) -> str | None:
    """The normalised target of a volume entry (short or long syntax), None if unparsable."""
    if isinstance(node, YScalar):
        try:
            return normalize_path(parse_short(node.value).target)
        except VolumeSpecError:
            return None
    if isinstance(node, YMap):
        target = node.get("target")
        if isinstance(target, YScalar):
            return normalize_path(target.value)
    return None


def _unique_by_target(base: list[YNode], over: list[YNode]) -> list[YNode]:
    result = list(base)
    index: dict[str, int] = {}
    for pos, item in enumerate(result):
        target = volume_target(item)
        if target is not None:
            index.setdefault(target, pos)
    for item in over:
        target = volume_target(item)
        if target is not None and target in index:
            result[index[target]] = item  # replaced entirely, at the earlier position
            continue
        if target is not None:
            index[target] = len(result)
        result.append(item)
    return result


def _identity(node: YNode) -> object:
    if isinstance(node, YScalar):
        return ("s", node.value)
    return ("n", id(node))


def _append_unique(base: list[YNode], over: list[YNode]) -> list[YNode]:
    seen = {_identity(item) for item in base}
    result = list(base)
    for item in over:
        ident = _identity(item)
        if ident not in seen:
            seen.add(ident)
            result.append(item)
    return result
