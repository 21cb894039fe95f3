"""Compose loader: files + overrides + ``.env`` → one ``ComposeProject`` (stages load and model).

Pipeline per file: compose (ruamel composer, spans kept) → interpolate values (per file, before
merge, as compose-go does) → resolve ``extends`` inside that file → merge into the project.
``include`` files are loaded as projects of their own and their services copied in. Nothing here
raises on bad input: problems become DIND001/002/003 ``Problem`` objects.
"""

from __future__ import annotations

import difflib
import os.path
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import cast

from dindlint.compose.build_model import ModelBuilder
from dindlint.compose.envfile import load_env_file
from dindlint.compose.interpolate import interpolate_tree
from dindlint.compose.merge import Merger
from dindlint.compose.yamlnodes import (
    ParsedFile,
    YMap,
    YNode,
    YScalar,
    YSeq,
    parse_file,
    read_text,
    top_level_mapping,
)
from dindlint.files import DEFAULT_BASE_NAMES, OVERRIDE_NAMES
from dindlint.model import ComposeProject, Service
from dindlint.source import Problem, Span, inside_boundary, is_input_file, run_memo

__all__ = ["is_compose_document", "load_project"]

# Longest `extends` chain followed (compose-go sets none; real files chain a handful).
MAX_EXTENDS_DEPTH = 100


def load_project(
    files: Sequence[Path],
    *,
    env_files: Sequence[Path] | None = None,
    environ: Mapping[str, str] | None = None,
) -> ComposeProject:
    """Load a compose project: ``files`` is the base file then its overrides, in merge order.

    ``env_files`` default to ``<project dir>/.env`` when it exists; ``environ`` (only given with
    ``--use-env``) wins over them, like compose. Never raises: see ``ComposeProject.problems``.
    """
    paths = [Path(f).absolute() for f in files]
    try:
        return _ProjectLoader(environ or {}, include_stack=()).load(paths, env_files, None)
    except (RecursionError, RuntimeError, OSError, ValueError) as exc:
        # last-resort net so one odd file never stops the run; this is a dindlint bug to report
        first = paths[0] if paths else Path.cwd()
        problem = Problem(
            "DIND001", f"Could not load the project: {type(exc).__name__}: {exc}", Span(first, 1)
        )
        return ComposeProject(
            name=first.parent.name.lower(),
            directory=first.parent,
            files=tuple(paths),
            services={},
            volumes={},
            problems=(problem,),
        )


def is_compose_document(path: Path) -> bool:
    """True when the file's YAML top level is a mapping holding a ``services`` mapping.

    Cheap (compose only, no interpolation or model) and never raises."""
    try:
        text = read_text(Path(path), [])
        if text is None:
            return False
        return top_level_mapping(text, "services")
    except Exception:  # noqa: BLE001 - any parser failure just means "not a compose document"
        return False


# The run memo's entry for an ``include``: each load of it, with the include targets that load
# looked up for cycles and those of them that were on its include stack (``_included_project``).
_IncludeLoads = list[tuple[frozenset[Path], frozenset[Path], ComposeProject]]


class _ProjectLoader:
    """One project (the top-level one, or an ``include``d one)."""

    def __init__(self, environ: Mapping[str, str], include_stack: tuple[Path, ...]) -> None:
        self.environ = environ
        self.include_stack = include_stack
        self.problems: list[Problem] = []
        self.files: dict[Path, None] = {}
        self.env: dict[str, str] = {}
        self.base_dirs: dict[Path, Path] = {}
        self.parsed: dict[Path, list[YMap]] = {}
        self.merger = Merger()
        self.too_deep = False  # whether an `extends` chain reached MAX_EXTENDS_DEPTH
        # the include targets looked up for cycles here and in the projects included
        self.cycle_checked: set[Path] = set()
        # the included projects whose services all entered this one (``ComposeProject.included``)
        self.included: list[ComposeProject] = []
        # the names of the services that did not come from one of them (``own_services``)
        self.own_services: set[str] = set()

    # ---------------------------------------------------------------- entry

    def load(
        self, files: list[Path], env_files: Sequence[Path] | None, project_dir: Path | None
    ) -> ComposeProject:
        directory = project_dir or (files[0].parent if files else Path.cwd())
        for path in files:
            self.files.setdefault(path, None)
        self._load_env(directory, env_files)
        for path in files:
            # override files use the project directory for relative paths, like compose
            self.base_dirs.setdefault(path, directory)
        merged: YNode | None = None
        includes: list[tuple[YNode, Path]] = []
        keys: set[str] = set()
        for path in files:
            layers = self._layers(path)
            self._check_top_level(path, layers)
            for layer in layers:
                keys.update(layer.entries)
                include = layer.get("include")
                if include is not None:
                    includes.append((include, path))
                layer = self._apply_extends(layer, path, ())
                merged = self.merger.merge(merged, layer)
        if files and not self.include_stack:
            self._check_not_empty(files, keys)
        top = merged if isinstance(merged, YMap) else YMap({}, Span(directory, 1))
        services = self._services(top)
        volumes = self._volumes(top)
        self.own_services.update(services)
        for include, path in includes:
            self._include(include, path, services, volumes)
        return ComposeProject(
            name=self._name(top, directory),
            directory=directory,
            files=tuple(self.files),
            services=services,
            volumes=volumes,
            problems=tuple(self.problems),
            networks=self._networks(top),
            included=tuple(self.included),
            own_services=frozenset(self.own_services) if self.included else None,
        )

    def _load_env(self, directory: Path, env_files: Sequence[Path] | None) -> None:
        if env_files is None:
            default = directory / ".env"
            env_files = [default] if is_input_file(default) else []
        values: dict[str, str] = {}
        for env_path in env_files:
            env_path = Path(env_path).absolute()
            self.files[env_path] = None
            loaded = load_env_file(env_path, {**values, **self.environ}, self.problems)
            values.update(loaded or {})
        values.update(self.environ)  # the process environment wins over .env (compose)
        # compose-go sets COMPOSE_PROJECT_NAME for interpolation when nothing else does; here
        # from the project directory (a top-level `name:` is not looked at for this)
        values.setdefault("COMPOSE_PROJECT_NAME", default_project_name(directory))
        self.env = values

    # ---------------------------------------------------------------- files

    def _layers(self, path: Path) -> list[YMap]:
        """The interpolated top-level mappings of ``path`` (one per YAML document), cached."""
        if path in self.parsed:
            return self.parsed[path]
        self.files[path] = None
        parsed: ParsedFile = parse_file(path, self.problems)
        layers: list[YMap] = []
        for doc in parsed.documents:
            errors: list[tuple[YScalar, str]] = []
            if parsed.holds_dollar:
                doc = interpolate_tree(doc, self.env, errors)
            for scalar, message in errors:
                self.problems.append(Problem("DIND002", message, scalar.span))
            if not isinstance(doc, YMap):
                self.problems.append(Problem("DIND002", "Top level must be a mapping", doc.span))
                continue
            layers.append(self._check_services(doc))
        self.parsed[path] = layers
        return layers

    def _check_top_level(self, path: Path, layers: list[YMap]) -> None:
        """DIND002 for top-level keys that compose's schema refuses (`service:` for `services:`,
        a CI workflow saved as compose.yaml): docker compose stops with "additional properties
        ... not allowed" (https://github.com/compose-spec/compose-go/blob/main/schema/
        compose-spec.json: `additionalProperties: false`, `x-` extensions allowed). A file with
        no compose key at all under a name that is not one of compose's own is left alone: a
        scan's `*compose*.yml` may be a workflow about compose, not a compose file."""
        unknown = [
            (key, layer.key_span(key))
            for layer in layers
            for key in layer.entries
            if key not in TOP_LEVEL_KEYS and not key.lower().startswith("x-")
        ]
        if not unknown:
            return
        compose_keys = any(key in TOP_LEVEL_KEYS for layer in layers for key in layer.entries)
        if not compose_keys and path.name.lower() not in (*DEFAULT_BASE_NAMES, *OVERRIDE_NAMES):
            return
        for key, span in unknown:
            close = difflib.get_close_matches(key.lower(), TOP_LEVEL_KEYS, n=1, cutoff=0.6)
            hint = f" (did you mean `{close[0]}`?)" if close else ""
            shown = key if len(key) <= 40 else key[:40] + "…"
            self.problems.append(
                Problem(
                    "DIND002",
                    f"`{shown}` is not a top-level key of a compose file{hint}: docker "
                    "compose rejects the file",
                    span,
                )
            )

    def _check_not_empty(self, files: list[Path], keys: set[str]) -> None:
        """DIND002 when the project defines nothing: docker compose stops with "empty compose
        file" (compose-go loader/loader.go `load`: `len(dict) == 0` once `version` is dropped).
        Only under compose's own file names: an empty `docker-compose.ci.yml` may be an override
        that is only ever merged into another file."""
        if keys - {"version"} or files[0].name.lower() not in DEFAULT_BASE_NAMES:
            return
        if any(p.span.path in files for p in self.problems):
            return  # the file did not parse, or is not a mapping: said already
        self.problems.append(
            Problem(
                "DIND002",
                "The compose file defines nothing (no `services`): docker compose rejects it as "
                "an empty compose file",
                Span(files[0], 1),
            )
        )

    def _check_services(self, doc: YMap) -> YMap:
        """Drop a ``services`` value that is not a mapping (DIND002), keep the rest."""
        services = doc.get("services")
        if services is None or isinstance(services, YMap):
            return doc
        # `services:` with nothing under it too: docker compose says "services must be a mapping"
        self.problems.append(Problem("DIND002", "`services` must be a mapping", services.span))
        entries = {k: v for k, v in doc.entries.items() if k != "services"}
        return YMap(entries, doc.span, doc.mark)

    # ---------------------------------------------------------------- extends

    def _apply_extends(self, layer: YMap, path: Path, stack: tuple[tuple[Path, str], ...]) -> YMap:
        """``layer`` with each service that ``extends`` another replaced by the merged one.

        compose-go resolves ``extends`` per file, before the file is merged with the others."""
        services = layer.get("services")
        if not isinstance(services, YMap):
            return layer
        resolved = {
            name: (key_span, self._resolve_service(services, name, path, stack))
            for name, (key_span, _) in services.entries.items()
        }
        entries = dict(layer.entries)
        entries["services"] = (layer.key_span("services"), YMap(resolved, services.span))
        return YMap(entries, layer.span, layer.mark)

    def _resolve_service(
        self, services: YMap, name: str, path: Path, stack: tuple[tuple[Path, str], ...]
    ) -> YNode:
        node = services.get(name)
        assert node is not None
        if not isinstance(node, YMap) or node.get("extends") is None:
            return node
        ext = node.get("extends")
        assert ext is not None
        target = self._extends_target(ext, path)
        if target is None:
            return _without(node, "extends")
        base_path, base_name = target
        if (base_path, base_name) in stack or (base_path, base_name) == (path, name):
            self.problems.append(
                Problem("DIND002", f"Extends cycle through service `{base_name}`", ext.span)
            )
            return _without(node, "extends")
        if len(stack) >= MAX_EXTENDS_DEPTH:
            # each level is a few Python frames: a chain of 500 raised RecursionError, and the
            # whole project became one DIND001. Said once, where the bound is first reached
            # (every longer chain reaches it again, one service further)
            if not self.too_deep:
                self.too_deep = True
                self.problems.append(
                    Problem(
                        "DIND002",
                        f"`extends` chain longer than {MAX_EXTENDS_DEPTH} services: a "
                        f"service that reaches `{name}` through {MAX_EXTENDS_DEPTH} `extends` is "
                        f"analysed without `{base_name}` and what it extends",
                        ext.span,
                    )
                )
            return _without(node, "extends")
        base = self._base_service(base_path, base_name, path, ext, stack + ((path, name),))
        if base is None:
            return _without(node, "extends")
        merged = self.merger.merge(base, _without(node, "extends"), ("services", name))
        return merged if merged is not None else node

    def _extends_target(self, ext: YNode, path: Path) -> tuple[Path, str] | None:
        if isinstance(ext, YScalar):
            return (path, ext.value)
        if not isinstance(ext, YMap) or not isinstance(ext.get("service"), YScalar):
            self.problems.append(Problem("DIND002", "`extends` needs a `service`", ext.span))
            return None
        service = ext.get("service")
        file_node = ext.get("file")
        if isinstance(file_node, YScalar) and not file_node.is_null:
            other = Path(file_node.value)
            other = other if other.is_absolute() else (path.parent / other)
            return (Path(_normpath(other)), service.value)  # type: ignore[union-attr]
        return (path, service.value)  # type: ignore[union-attr]

    def _base_service(
        self,
        base_path: Path,
        base_name: str,
        path: Path,
        ext: YNode,
        stack: tuple[tuple[Path, str], ...],
    ) -> YNode | None:
        if base_path != path and not inside_boundary(base_path):
            self.problems.append(_outside("Extended file", base_path, path, ext.span))
            return None
        if base_path != path and not base_path.is_file():
            file_node = ext.get("file") if isinstance(ext, YMap) else None
            self.problems.append(
                Problem(
                    "DIND003",
                    f"Extended file {_missing_text(file_node, base_path, path)}: service "
                    f"`{base_name}` "
                    "is analysed without its base",
                    ext.span,
                )
            )
            return None
        self.base_dirs.setdefault(base_path, base_path.parent)
        layers = self._layers(base_path)
        services = _merged_services(layers, self.merger)
        if services is None or services.get(base_name) is None:
            self.problems.append(
                Problem(
                    "DIND003",
                    f"Extended service `{base_name}` not found in `{base_path.name}`",
                    ext.span,
                )
            )
            return None
        return self._resolve_service(services, base_name, base_path, stack)

    # ---------------------------------------------------------------- include

    def _include(
        self, include: YNode, path: Path, services: dict[str, Service], volumes: dict[str, Span]
    ) -> None:
        if not isinstance(include, YSeq):
            self.problems.append(Problem("DIND002", "`include` must be a list", include.span))
            return
        for entry in include.items:
            spec = self._include_spec(entry, path)
            if spec is None:
                continue
            files, project_dir, env_files = spec
            outside = [
                f
                for f in (*files, *(env_files or ()), *((project_dir,) if project_dir else ()))
                if not inside_boundary(f)
            ]
            if outside:
                what = "Project directory" if outside[0] == project_dir else "Included file"
                self.problems.append(_outside(what, outside[0], path, entry.span))
                continue
            missing = [f for f in files if not f.is_file()]
            if missing:
                node = entry.get("path") if isinstance(entry, YMap) else entry
                if isinstance(node, YSeq):
                    same = len(node.items) == len(files)
                    node = node.items[files.index(missing[0])] if same else None
                self.problems.append(
                    Problem(
                        "DIND003",
                        f"Included file {_missing_text(node, missing[0], path)}: its "
                        "services are not analysed",
                        entry.span,
                    )
                )
                continue
            self.cycle_checked.add(files[0])
            if files[0] in self.include_stack or files[0] in self.files:
                self.problems.append(
                    Problem("DIND002", f"Include cycle through `{files[0].name}`", entry.span)
                )
                continue
            project = self._included_project(files, env_files, project_dir)
            self._absorb(project, services, volumes)

    def _included_project(
        self, files: list[Path], env_files: list[Path] | None, project_dir: Path | None
    ) -> ComposeProject:
        """The project an ``include`` entry names, modelled once per run for its files, env files,
        project folder and environment: a file that forty projects include was modelled forty
        times (1 MB: 61 s and 739 MB instead of 2.8 s).

        A project loaded under one include stack is reused under another when the include
        targets its loading looked up for cycles (``cycle_checked``) meet both stacks alike:
        then every cycle check inside it answers the same."""
        stack = self.include_stack + tuple(self.files)
        memo = run_memo()
        key = (
            "compose-include",
            (
                tuple(files),
                tuple(env_files) if env_files is not None else None,
                project_dir,
                tuple(sorted(self.environ.items())),
            ),
        )
        loaded = memo.get(key) if memo is not None else None
        if isinstance(loaded, list):
            for checked, met, project in loaded:
                if checked.intersection(stack) == met:
                    self.cycle_checked |= checked
                    return project
        sub = _ProjectLoader(self.environ, stack)
        project = sub.load(files, env_files, project_dir)
        checked = frozenset(sub.cycle_checked)
        self.cycle_checked |= checked
        if memo is not None:
            # the run memo holds objects of every kind; under this key, only the list made here
            loads = cast(_IncludeLoads, memo.setdefault(key, []))
            loads.append((checked, checked.intersection(stack), project))
        return project

    def _include_spec(
        self, entry: YNode, path: Path
    ) -> tuple[list[Path], Path | None, list[Path] | None] | None:
        base = path.parent

        def resolve(text: str) -> Path:
            p = Path(text)
            return Path(_normpath(p if p.is_absolute() else base / p))

        if isinstance(entry, YScalar) and not entry.is_null:
            return [resolve(entry.value)], None, None
        if isinstance(entry, YMap):
            paths = _strings(entry.get("path"))
            if paths:
                files = [resolve(p) for p in paths]
                pd = _strings(entry.get("project_directory"))
                envs = _strings(entry.get("env_file"))
                return (
                    files,
                    resolve(pd[0]) if pd else None,
                    [resolve(e) for e in envs] if envs else None,
                )
        self.problems.append(Problem("DIND002", "Invalid `include` entry", entry.span))
        return None

    def _absorb(
        self, project: ComposeProject, services: dict[str, Service], volumes: dict[str, Span]
    ) -> None:
        """Copy an included project's resources in; on a name clash the including file wins."""
        for f in project.files:
            self.files[f] = None
        self.problems.extend(project.problems)
        if not services.keys().isdisjoint(project.services.keys()):  # (the smaller one is read)
            for name, service in project.services.items():
                if name not in services:
                    services[name] = service
                    self.own_services.add(name)
        else:  # (after those already there: the order the rules name services in)
            services.update(project.services)
            self.included.append(project)
        for name, span in project.volumes.items():
            volumes.setdefault(name, span)

    # ---------------------------------------------------------------- model

    def _services(self, top: YMap) -> dict[str, Service]:
        node = top.get("services")
        if not isinstance(node, YMap):
            return {}
        builder = ModelBuilder(self.problems, self._base_dir_of, self.env)
        services: dict[str, Service] = {}
        for name, (key_span, value) in node.entries.items():
            service = builder.service(name, key_span, value)
            if service is not None:
                services[name] = service
        return services

    def _base_dir_of(self, path: Path) -> Path:
        return self.base_dirs.get(path, path.parent)

    @staticmethod
    def _volumes(top: YMap) -> dict[str, Span]:
        node = top.get("volumes")
        if not isinstance(node, YMap):
            return {}
        return {name: key_span for name, (key_span, _) in node.entries.items()}

    @staticmethod
    def _networks(top: YMap) -> dict[str, bool]:
        """Top-level networks, each with whether it is ``external`` (another project's)."""
        node = top.get("networks")
        if not isinstance(node, YMap):
            return {}
        declared = {}
        for name, (_, value) in node.entries.items():
            external = value.get("external") if isinstance(value, YMap) else None
            declared[name] = external is not None and not (
                isinstance(external, YScalar) and external.value.strip().lower() in ("false", "no")
            )
        return declared

    @staticmethod
    def _name(top: YMap, directory: Path) -> str:
        node = top.get("name")
        if isinstance(node, YScalar) and not node.is_null and node.value:
            return node.value
        return directory.name.lower()


# The top-level keys of compose's schema (compose-spec.json `properties`).
TOP_LEVEL_KEYS = (
    "version",
    "name",
    "include",
    "services",
    "models",
    "networks",
    "volumes",
    "secrets",
    "configs",
)


def default_project_name(directory: Path) -> str:
    """compose's project name for a folder: its name lower-cased, keeping only ``a-z0-9_-``
    and starting with a letter or digit (compose-go NormalizeProjectName)."""
    name = re.sub(r"[^a-z0-9_-]", "", directory.name.lower())
    return name.lstrip("_-")


def _written(target: Path, referrer: Path) -> str:
    """A referenced file as seen from the file that names it, so that no message carries where
    the repository lies on the machine; a file that shares nothing but `/` with it is shown
    absolute (as it was written: a relative path would only climb to the root)."""
    if os.path.commonpath([target, referrer.parent]) == os.sep:
        return str(target)
    return os.path.relpath(target, referrer.parent)


def _missing_text(node: YNode | None, target: Path, referrer: Path) -> str:
    """A missing file for a message: as written with the unset variables that made its path
    unknown (``compose/${HOST}/x.yml``), else seen from the file that names it."""
    if isinstance(node, YScalar) and node.unresolved:
        listed = ", ".join(f"`{n}`" for n in node.unresolved)
        which = "variable" if len(node.unresolved) == 1 else "variables"
        written = node.raw or node.value
        return f"`{written}` not found ({which} {listed} with no value and no default)"
    return f"`{_written(target, referrer)}` not found"


def _outside(what: str, target: Path, referrer: Path, span: Span) -> Problem:
    """DIND003 for a reference that leads out of the repository: the file is not opened."""
    return Problem(
        "DIND003",
        f"{what} `{_written(target, referrer)}` points outside the repository; not read",
        span,
    )


def _without(node: YMap, key: str) -> YMap:
    return YMap({k: v for k, v in node.entries.items() if k != key}, node.span, node.mark)


def _strings(node: YNode | None) -> list[str]:
    if isinstance(node, YScalar) and not node.is_null:
        return [node.value]
    if isinstance(node, YSeq):
        return [i.value for i in node.items if isinstance(i, YScalar) and not i.is_null]
    return []


def _merged_services(layers: list[YMap], merger: Merger) -> YMap | None:
    merged: YNode | None = None
    for layer in layers:
        merged = merger.merge(merged, layer)
    services = merged.get("services") if isinstance(merged, YMap) else None
    return services if isinstance(services, YMap) else None


def _normpath(path: Path) -> str:
    return os.path.normpath(str(path))
