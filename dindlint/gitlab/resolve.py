"""A ``.gitlab-ci.yml`` resolved as GitLab resolves it, on the located YAML tree of compose.

Read, in order (GitLab docs, gitlabhq/gitlabhq@04d4cf8:doc/ci/yaml/yaml_optimization.md and
gitlabhq/gitlabhq@017a6c1:doc/ci/yaml/deprecated_keywords.md): anchors and ``<<`` within one file
(the YAML layer, ``dindlint.compose.yamlnodes``, with its bounds on aliases and depth); local
``include`` entries, deep-merged with the including file winning; ``!reference`` tags; ``extends``
(at most 11 levels, hashes deep-merged, arrays replaced, a ``null`` removes the key); then
``default:`` and the deprecated top-level ``image`` and ``services`` for what a job leaves unset.

Nothing here is run or fetched: an include of a remote file, another project, a template or a
component is reported (DIND003) and left out.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import NamedTuple

from dindlint.compose.yamlnodes import YMap, YNode, YScalar, YSeq, parse_file
from dindlint.source import Problem, Span

# Top-level keys that are not jobs (gitlabhq doc/ci/yaml/_index.md, "Global keywords").
RESERVED = frozenset(
    {
        "default",
        "include",
        "stages",
        "types",
        "variables",
        "workflow",
        "image",
        "services",
        "cache",
        "before_script",
        "after_script",
        "spec",
    }
)
MAX_EXTENDS_DEPTH = 11  # GitLab's limit on `extends` nesting (yaml_optimization.md)
MAX_INCLUDED_FILES = 150  # GitLab's default limit on the files one pipeline includes
MAX_REFERENCE_DEPTH = 10  # nested `!reference` tags GitLab resolves
_REMOTE_KINDS = ("remote", "project", "template", "component")
UNRESOLVED_TAG = "!unresolved-reference"  # what a `!reference` to nothing becomes


def is_ci_name(name: str) -> bool:
    """``.gitlab-ci.yml`` and ``*.gitlab-ci.yml``, in any letter case."""
    return name.lower().endswith(".gitlab-ci.yml")


class Resolved(NamedTuple):
    """A pipeline file with its local includes merged and its references resolved."""

    path: Path
    top: YMap | None  # None: not analysed (syntax error, not a mapping)
    files: tuple[Path, ...]  # every file read, the pipeline's first
    problems: tuple[Problem, ...]
    unresolved_includes: bool  # an include that could not be read (DIND003)
    includes: tuple[Path, ...]  # the local files it includes
    # a child pipeline whose parent forwards variables to it (`trigger: forward: yaml_variables`,
    # on by default): they take precedence over its own, and the file cannot show them
    forwarded_variables: bool = False


def _empty(span: Span) -> YMap:
    return YMap({}, span)


def _is_null(node: YNode | None) -> bool:
    return node is None or (isinstance(node, YScalar) and node.is_null)


class _Loader:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.real_root = os.path.realpath(root)
        self.problems: list[Problem] = []
        self.files: list[Path] = []
        self.included: list[Path] = []
        self.unresolved = False
        self.failed = False  # a file of the pipeline is not YAML: GitLab refuses the pipeline
        self.merges: dict[tuple[int, int], YNode] = {}

    # -- one file ------------------------------------------------------------------------------

    def document(self, path: Path) -> YMap | None:
        found: list[Problem] = []
        parsed = parse_file(path, found)
        # GitLab's YAML reader takes a duplicate key (the last one wins, as the tree has it)
        self.problems.extend(p for p in found if not p.message.startswith("Duplicate key"))
        if path not in self.files:
            self.files.append(path)
        if not parsed.ok:
            self.failed = True
            return None
        if not parsed.documents:
            return None
        docs = parsed.documents
        # a `spec:` header (inputs) is its own document before `---`
        if len(docs) > 1 and isinstance(docs[0], YMap) and "spec" in docs[0].entries:
            docs = docs[1:]
        doc = docs[0]
        if not isinstance(doc, YMap):
            self.problems.append(
                Problem("DIND002", "A GitLab CI file must be a mapping of jobs", doc.span)
            )
            return None
        return doc

    # -- includes ------------------------------------------------------------------------------

    def merged(self, path: Path, stack: tuple[Path, ...]) -> YMap | None:
        doc = self.document(path)
        if doc is None:
            return None
        result: YNode = _empty(doc.span)
        include = doc.get("include")
        if include is not None:
            for child in self._include_targets(include, path):
                if child in stack or child in self.included:
                    continue  # merged once; a cycle is cut
                if len(self.included) >= MAX_INCLUDED_FILES:
                    break
                self.included.append(child)
                sub = self.merged(child, (*stack, child))
                if sub is not None:
                    result = _merge_include(result, sub, self.merges)
        own = YMap({k: v for k, v in doc.entries.items() if k != "include"}, doc.span)
        merged = _merge_include(result, own, self.merges)
        assert isinstance(merged, YMap)
        return merged

    def _include_targets(self, include: YNode, path: Path) -> list[Path]:
        entries = include.items if isinstance(include, YSeq) else [include]
        found: list[Path] = []
        for entry in entries:
            if isinstance(entry, YScalar):
                if entry.is_null:
                    continue
                text = entry.value.strip()
                if text.startswith(("http://", "https://")):
                    self._unreadable(entry, "remote")
                else:
                    found.extend(self._local(text, entry))
            elif isinstance(entry, YMap):
                local = entry.get("local")
                if isinstance(local, YScalar) and not local.is_null:
                    found.extend(self._local(local.value.strip(), entry))
                    continue
                kind = next((k for k in _REMOTE_KINDS if k in entry.entries), None)
                if kind is not None:
                    self._unreadable(entry, kind)
                else:
                    self.problems.append(
                        Problem(
                            "DIND002",
                            "`include` entry names no `local`, `remote`, `project`, `template` "
                            "or `component`",
                            Span(path, entry.span.line),
                        )
                    )
            else:
                self.problems.append(
                    Problem("DIND002", "`include` entry is not a path or a mapping", entry.span)
                )
        return found

    def _unreadable(self, entry: YNode, kind: str) -> None:
        self.unresolved = True
        self.problems.append(
            Problem(
                "DIND003",
                f"`include` of kind `{kind}` cannot be read offline: the jobs may get variables, "
                "templates or services from it that dindlint does not see (the model may be "
                "incomplete)",
                Span(entry.span.path, entry.span.line),
            )
        )

    def _local(self, text: str, entry: YNode) -> list[Path]:
        where = Span(entry.span.path, entry.span.line)
        if "$" in text:
            self.unresolved = True
            names = re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", text)
            if names and all(n.startswith("CI_") for n in names):
                return []  # GitLab fills its predefined variables: unknown here, not missing
            self.problems.append(
                Problem(
                    "DIND003",
                    f"local `include` `{text}` names a variable and cannot be resolved here: the "
                    "model may be incomplete",
                    where,
                )
            )
            return []
        relative = text.lstrip("/")
        if any(c in relative for c in "*?["):
            return [p for p in _glob(self.root, relative) if self._inside(p)]
        target = self.root / relative
        if not self._inside(target) or not target.is_file():
            self.unresolved = True
            self.problems.append(
                Problem(
                    "DIND003",
                    f"local `include` `{text}` names no file of this repository (GitLab reads "
                    "a local path from the repository root): the model may be incomplete",
                    where,
                )
            )
            return []
        return [target]

    def _inside(self, path: Path) -> bool:
        real = os.path.realpath(path)
        return real == self.real_root or real.startswith(self.real_root.rstrip(os.sep) + os.sep)


def _merge_include(base: YNode, over: YNode, memo: dict[tuple[int, int], YNode]) -> YNode:
    """Deep merge of included content: hashes merged key by key, ``over`` winning; anything
    else replaced. Memoised by node identity: aliases keep the result a small graph."""
    if base is over or not (isinstance(base, YMap) and isinstance(over, YMap)):
        return over
    key = (id(base), id(over))
    if key in memo:
        return memo[key]
    entries = dict(base.entries)
    for name, (span, value) in over.entries.items():
        if name in entries:
            entries[name] = (span, _merge_include(entries[name][1], value, memo))
        else:
            entries[name] = (span, value)
    result = YMap(entries, over.span, over.mark)
    memo[key] = result
    return result


def merge_extends(base: YNode, over: YNode) -> YNode:
    """``extends``: hashes deep-merged (the closer scope wins), arrays replaced, a ``null``
    removes the key."""
    if not (isinstance(base, YMap) and isinstance(over, YMap)):
        return over
    entries = dict(base.entries)
    for name, (span, value) in over.entries.items():
        if _is_null(value):
            entries.pop(name, None)
        elif name in entries:
            entries[name] = (span, merge_extends(entries[name][1], value))
        else:
            entries[name] = (span, value)
    return YMap(entries, over.span, over.mark)


# ----------------------------------------------------------------------------------------------
# !reference
# ----------------------------------------------------------------------------------------------


class _References:
    def __init__(self, top: YMap, problems: list[Problem], tolerant: bool) -> None:
        self.top = top
        self.problems = problems
        self.tolerant = tolerant  # an unresolved include may define what is referenced
        self.memo: dict[int, YNode] = {}
        self.reported: set[Span] = set()

    def walk(self, node: YNode, depth: int = 0) -> YNode:
        key = id(node)
        if key in self.memo:
            return self.memo[key]
        result: YNode
        if isinstance(node, YSeq) and node.mark == "reference":
            result = self._target(node, depth)
        elif isinstance(node, YSeq):
            items: list[YNode] = []
            changed = False
            for item in node.items:
                new = self.walk(item, depth)
                if isinstance(item, YSeq) and item.mark == "reference" and isinstance(new, YSeq):
                    items.extend(new.items)  # a referenced list inside a list is spliced
                    changed = True
                else:
                    items.append(new)
                    changed = changed or new is not item
            result = YSeq(items, node.span, node.mark) if changed else node
        elif isinstance(node, YMap):
            entries = {k: (s, self.walk(v, depth)) for k, (s, v) in node.entries.items()}
            changed = any(entries[k][1] is not v for k, (_, v) in node.entries.items())
            result = YMap(entries, node.span, node.mark) if changed else node
        else:
            result = node
        self.memo[key] = result
        return result

    def _target(self, node: YSeq, depth: int) -> YNode:
        names = [i.value for i in node.items if isinstance(i, YScalar)]
        current: YNode | None = self.top
        for name in names:
            current = current.get(name) if isinstance(current, YMap) else None
        if current is None or len(names) != len(node.items) or depth >= MAX_REFERENCE_DEPTH:
            # (a file included from a pipeline dindlint did not resolve may reference what that
            # pipeline defines: not an error here; what rests on it is not judged)
            if not self.tolerant and node.span not in self.reported:
                self.reported.add(node.span)
                self.problems.append(
                    Problem(
                        "DIND003",
                        f"`!reference [{', '.join(names)}]` names nothing this pipeline defines: "
                        "the jobs that use it are not judged",
                        Span(node.span.path, node.span.line),
                    )
                )
            return YScalar("", node.span, is_null=True, tag=UNRESOLVED_TAG)
        return self.walk(current, depth + 1)


# ----------------------------------------------------------------------------------------------
# The pipeline
# ----------------------------------------------------------------------------------------------


def resolve_file(path: Path, root: Path) -> Resolved:
    """``path`` with its local includes (from ``root``, the repository root) merged and its
    ``!reference`` tags resolved."""
    loader = _Loader(root)
    merged = loader.merged(path, (path,))
    top: YMap | None = None
    if merged is not None and not loader.failed:
        refs = _References(merged, loader.problems, loader.unresolved)
        walked = refs.walk(merged)
        top = walked if isinstance(walked, YMap) else None
    return Resolved(
        path,
        top,
        tuple(loader.files),
        tuple(loader.problems),
        loader.unresolved,
        tuple(loader.included),
    )


class JobSource(NamedTuple):
    """A job after ``extends``: its merged mapping, and what it took from where."""

    name: str
    span: Span  # the job's key
    node: YMap
    own: YMap  # the job's own mapping (before ``extends``)
    complete: bool  # False: an ``extends`` names a template that was not found


def jobs_of(resolved: Resolved, problems: list[Problem]) -> list[JobSource]:
    """The jobs of a resolved pipeline, ``extends`` applied (hidden jobs and reserved keys are
    not jobs)."""
    top = resolved.top
    if top is None:
        return []
    cache: dict[str, _Extended | None] = {}
    jobs: list[JobSource] = []
    for name, (span, node) in top.entries.items():
        if name.startswith(".") or name in RESERVED or not isinstance(node, YMap):
            continue
        extended = _extended(name, node, top, cache, (), problems, resolved.unresolved_includes)
        if extended is None:
            continue
        if "trigger" in extended.node.entries:
            # a trigger (bridge) job starts another pipeline and runs no container: GitLab
            # accepts no `image`, `services` or `script` in it (doc/ci/yaml/_index.md, `trigger`)
            continue
        jobs.append(JobSource(name, span, extended.node, node, extended.complete))
    return jobs


class _Extended(NamedTuple):
    node: YMap
    complete: bool
    depth: int  # the levels of ``extends`` below it (0: it extends nothing)


_CHAIN_BOUND = 200  # templates followed down one chain at most (beyond: certainly too deep)


def _too_deep(span: Span) -> Problem:
    return Problem(
        "DIND002",
        f"`extends` nests deeper than {MAX_EXTENDS_DEPTH} levels (GitLab refuses it)",
        span,
    )


def _extended(
    name: str,
    node: YMap,
    top: YMap,
    cache: dict[str, _Extended | None],
    chain: tuple[str, ...],
    problems: list[Problem],
    tolerant: bool,
) -> _Extended | None:
    """The job or template ``name`` with its ``extends`` merged in; None after a DIND002.

    The result is cached with its depth (the levels of ``extends`` below it), so that the limit
    is judged the same whichever job reaches a template first."""
    if name in cache:
        return cache[name]
    extends = node.get("extends")
    own = YMap({k: v for k, v in node.entries.items() if k != "extends"}, node.span, node.mark)
    if _is_null(extends):
        cache[name] = _Extended(own, True, 0)
        return cache[name]
    assert extends is not None
    if isinstance(extends, YScalar):
        parents = [extends]
    elif isinstance(extends, YSeq) and all(isinstance(i, YScalar) for i in extends.items):
        parents = [i for i in extends.items if isinstance(i, YScalar)]
    else:
        problems.append(
            Problem("DIND002", "`extends` must be a name or a list of names", extends.span)
        )
        cache[name] = None
        return None
    if len(chain) >= _CHAIN_BOUND:
        problems.append(_too_deep(extends.span))
        cache[name] = None
        return None
    result: YNode = _empty(node.span)
    complete = True
    depth = 1
    for parent in parents:
        target = top.get(parent.value)
        if parent.value in chain or parent.value == name:
            problems.append(
                Problem("DIND002", f"`extends` cycle through `{parent.value}`", parent.span)
            )
            cache[name] = None
            return None
        if not isinstance(target, YMap):
            complete = False
            if not tolerant:
                # (a file that is not a pipeline of its own, included from elsewhere, may
                # extend what the including pipeline defines: not an error here)
                problems.append(
                    Problem(
                        "DIND003",
                        f"`extends` names `{parent.value}`, which this pipeline does not define: "
                        "the job is not judged",
                        Span(parent.span.path, parent.span.line),
                    )
                )
            continue
        sub = _extended(parent.value, target, top, cache, (*chain, name), problems, tolerant)
        if sub is None:
            cache[name] = None
            return None
        result = merge_extends(result, sub.node)
        complete = complete and sub.complete
        depth = max(depth, sub.depth + 1)
    if depth > MAX_EXTENDS_DEPTH:
        problems.append(_too_deep(extends.span))
        cache[name] = None
        return None
    merged = merge_extends(result, own)
    assert isinstance(merged, YMap)
    cache[name] = _Extended(merged, complete, depth)
    return cache[name]


_SCRIPT_HOST = re.compile(r"\bDOCKER_HOST\s*=")


def scripts_set_docker_host(scripts: Iterable[YNode | None]) -> bool:
    """Whether a line of ``scripts`` (the ``before_script``, ``script`` and ``after_script`` the
    job runs) assigns ``DOCKER_HOST``: the endpoint is then decided at run time."""
    return any(_SCRIPT_HOST.search(text) for script in scripts for text in _strings(script))


def _strings(node: YNode | None, depth: int = 0) -> list[str]:
    if isinstance(node, YScalar):
        return [node.value]
    if isinstance(node, YSeq) and depth < 5:
        return [s for item in node.items for s in _strings(item, depth + 1)]
    return []


def child_pipelines(resolved: Resolved, root_of: Callable[[Path], Path]) -> list[tuple[Path, bool]]:
    """The local files the jobs of ``resolved`` trigger as child pipelines (``trigger:
    include:``, a path or ``local:``), that exist in the repository, each with whether variables
    of the parent reach it: the global ones or the trigger job's, unless the trigger says
    ``forward: {yaml_variables: false}`` (GitLab forwards them by default:
    https://docs.gitlab.com/ee/ci/yaml/#triggerforward, gitlab-org/gitlab!82676)."""
    top = resolved.top
    if top is None:
        return []
    root = root_of(resolved.path)
    real_root = os.path.realpath(root).rstrip(os.sep) + os.sep
    found: list[tuple[Path, bool]] = []
    global_variables = _non_empty(top.get("variables"))
    for _, node in top.entries.values():
        trigger = node.get("trigger") if isinstance(node, YMap) else None
        include = trigger.get("include") if isinstance(trigger, YMap) else None
        if include is None:
            continue
        assert isinstance(node, YMap) and isinstance(trigger, YMap)
        forward = trigger.get("forward")
        yaml_variables = forward.get("yaml_variables") if isinstance(forward, YMap) else None
        off = isinstance(yaml_variables, YScalar) and yaml_variables.value.lower() == "false"
        forwards = not off and (global_variables or _non_empty(node.get("variables")))
        for entry in include.items if isinstance(include, YSeq) else [include]:
            local = entry.get("local") if isinstance(entry, YMap) else entry
            if not isinstance(local, YScalar) or local.is_null:
                continue
            text = local.value.strip()
            if "$" in text or text.startswith(("http://", "https://")):
                continue
            path = root / text.lstrip("/")
            if os.path.realpath(path).startswith(real_root) and path.is_file():
                found.append((path, forwards))
    return found


def _non_empty(node: YNode | None) -> bool:
    return isinstance(node, YMap) and bool(node.entries)


def has_unresolved(node: YNode | None) -> bool:
    """Whether ``node`` holds what a ``!reference`` to nothing left (``UNRESOLVED_TAG``)."""
    seen: set[int] = set()
    stack = [node]
    while stack:
        item = stack.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, YScalar):
            if item.tag == UNRESOLVED_TAG:
                return True
        elif isinstance(item, YSeq):
            stack.extend(item.items)
        else:
            stack.extend(v for _, v in item.entries.values())
    return False


MAX_GLOB_ENTRIES = 100_000  # folder entries a glob include looks at, at most
_SKIPPED = frozenset({".git", "node_modules", ".venv", "venv", "__pycache__"})


def _glob_pattern(pattern: str) -> re.Pattern[str]:
    """GitLab's glob for ``include: local:`` (Ruby ``File.fnmatch`` with ``FNM_PATHNAME``):
    ``*`` and ``?`` stay within a folder, ``**/`` spans folders."""
    out: list[str] = []
    index = 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
        elif pattern.startswith("**", index):
            out.append(".*")
            index += 2
        elif pattern[index] == "*":
            out.append("[^/]*")
            index += 1
        elif pattern[index] == "?":
            out.append("[^/]")
            index += 1
        else:
            out.append(re.escape(pattern[index]))
            index += 1
    return re.compile("".join(out) + r"\Z")


def _glob(root: Path, pattern: str) -> list[Path]:
    """The files under ``root`` whose path relative to it matches ``pattern``, sorted; folders
    linked in are not entered, and the walk is bounded (``MAX_GLOB_ENTRIES``)."""
    wanted = _glob_pattern(pattern)
    found: list[Path] = []
    seen = 0
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED)
        seen += len(dirs) + len(files)
        if seen > MAX_GLOB_ENTRIES:
            break
        base = os.path.relpath(folder, root)
        for name in files:
            relative = name if base == "." else f"{base}/{name}"
            if wanted.match(relative.replace(os.sep, "/")):
                path = Path(folder, name)
                if path.is_file():
                    found.append(path)
    return sorted(found)
