"""Merged located tree → ``Service`` objects (the typed model later stages read).

Each reader takes a node and returns the typed value, reporting DIND002 for shapes compose would
reject; the value is then left unknown (None / skipped) and the rest of the service still loads.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path

from dindlint.compose.envfile import load_env_file
from dindlint.compose.interpolate import UNKNOWN
from dindlint.compose.merge import env_list_to_map
from dindlint.compose.volumes import (
    VolumeSpecError,
    is_bind_source,
    normalize_path,
    parse_short,
    resolve_bind_source,
)
from dindlint.compose.yamlnodes import YMap, YNode, YScalar, YSeq
from dindlint.files import lookup_denied
from dindlint.model import Build, Mount, Port, Service, VolumesFrom, parse_id
from dindlint.source import Located, Problem, Span, inside_boundary

# compose-go casts these spellings for boolean fields (YAML 1.1 style, case-insensitive)
_TRUE = {"y", "yes", "true", "on"}
_FALSE = {"n", "no", "false", "off"}
_URL = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|git@|github\.com/)", re.IGNORECASE)


class ModelBuilder:
    """Builds services; ``base_dir_of(file)`` gives the folder relative paths of that file use."""

    def __init__(
        self,
        problems: list[Problem],
        base_dir_of: Callable[[Path], Path],
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.problems = problems
        self.base_dir_of = base_dir_of
        # the interpolation variables (.env, and the process environment with --use-env): an
        # `environment` or `build.args` key given without a value takes its value from them
        self.env = env or {}

    # ---------------------------------------------------------------- helpers

    def _bad(self, span: Span, message: str) -> None:
        self.problems.append(Problem("DIND002", message, span))

    def _string(self, node: YNode | None, field: str) -> Located[str] | None:
        if node is None or (isinstance(node, YScalar) and node.is_null):
            return None
        if not isinstance(node, YScalar):
            self._bad(node.span, f"`{field}` must be a string")
            return None
        return Located(node.value, node.span, node.unresolved, "$" in node.raw)

    def _bool(self, node: YNode | None, field: str) -> Located[bool] | None:
        if node is None or (isinstance(node, YScalar) and node.is_null):
            return None
        if isinstance(node, YScalar):
            word = node.value.strip().lower()
            if word in _TRUE or word in _FALSE:
                return Located(word in _TRUE, node.span, node.unresolved)
            if node.unresolved:
                return Located(False, node.span, node.unresolved)
        self._bad(node.span, f"`{field}` must be a boolean")
        return None

    # ---------------------------------------------------------------- service

    def service(self, name: str, key_span: Span, node: YNode) -> Service | None:
        """The ``Service`` for ``services.<name>``; None (with DIND002) if it is not a mapping."""
        if isinstance(node, YScalar) and node.is_null:
            return Service(name=name, span=key_span)
        if not isinstance(node, YMap):
            self._bad(node.span, f"Service `{name}` must be a mapping")
            return None
        # (a plain dict's lookup: each service asks for twenty-odd fields it mostly lacks)
        get = {key: value for key, (_, value) in node.entries.items()}.get
        from_files, missing = self.env_files(get("env_file"))
        return Service(
            name=name,
            span=key_span,
            image=self._string(get("image"), "image"),
            build=self.build(get("build"), name),
            container_name=self._string(get("container_name"), "container_name"),
            volumes=self.volumes(get("volumes")),
            volumes_from=self.volumes_from(get("volumes_from")),
            user=self.user(get("user")),
            group_add=self.group_add(get("group_add")),
            environment={**from_files, **self.environment(get("environment"))},
            command=self.command(get("command"), "command"),
            entrypoint=self.command(get("entrypoint"), "entrypoint"),
            privileged=self._bool(get("privileged"), "privileged"),
            runtime=self._string(get("runtime"), "runtime"),
            ports=self.ports(get("ports")),
            network_aliases=self.network_aliases(get("networks")),
            hostname=self._string(get("hostname"), "hostname"),
            use_api_socket=self._bool(get("use_api_socket"), "use_api_socket"),
            network_mode=self._string(get("network_mode"), "network_mode"),
            networks=self.networks(get("networks")),
            links=self.links(get("links")),
            extra_hosts=self.extra_hosts(get("extra_hosts")),
            external_links=get("external_links") is not None,
            missing_env_files=missing,
        )

    def user(self, node: YNode | None) -> Located[str] | None:
        if node is None or (isinstance(node, YScalar) and node.is_null):
            return None
        if not isinstance(node, YScalar) or node.tag not in ("str", "int"):
            self._bad(node.span, "`user` must be a string or a number")
            return None
        return Located(node.value, node.span, node.unresolved, "$" in node.raw)

    def group_add(self, node: YNode | None) -> tuple[Located[str], ...]:
        if node is None or (isinstance(node, YScalar) and node.is_null):
            return ()
        if not isinstance(node, YSeq):
            self._bad(node.span, "`group_add` must be a list")
            return ()
        groups = []
        for item in node.items:
            if isinstance(item, YScalar) and not item.is_null:
                groups.append(Located(item.value, item.span, item.unresolved, "$" in item.raw))
            else:
                self._bad(item.span, "`group_add` entries must be group names or numbers")
        return tuple(groups)

    def environment(
        self, node: YNode | None, field: str = "environment"
    ) -> dict[str, Located[str | None]]:
        if node is None or (isinstance(node, YScalar) and node.is_null):
            return {}
        if isinstance(node, YSeq):
            node = env_list_to_map(node)
        if not isinstance(node, YMap):
            self._bad(node.span, f"`{field}` must be a mapping or a list")
            return {}
        result: dict[str, Located[str | None]] = {}
        for key, (_, value) in node.entries.items():
            if isinstance(value, YScalar) and value.is_null and key in self.env:
                # `- KEY` / `KEY:` is resolved like compose-go does (resolveEnvironment)
                result[key] = Located(self.env[key], value.span, (), True)
            elif isinstance(value, YScalar):
                result[key] = Located(
                    None if value.is_null else value.value,
                    value.span,
                    value.unresolved,
                    "$" in value.raw,
                )
            else:
                self._bad(value.span, f"`{field}.{key}` must be a string")
        return result

    def command(self, node: YNode | None, field: str) -> Located[tuple[str, ...] | str] | None:
        if node is None or (isinstance(node, YScalar) and node.is_null):
            return None
        if isinstance(node, YScalar):
            return Located(node.value, node.span, node.unresolved, "$" in node.raw)
        if isinstance(node, YSeq):
            words: list[str] = []
            unresolved: list[str] = []
            for item in node.items:
                if not isinstance(item, YScalar):
                    self._bad(item.span, f"`{field}` entries must be strings")
                    continue
                words.append(item.value)
                unresolved.extend(item.unresolved)
            return Located(tuple(words), node.span, tuple(dict.fromkeys(unresolved)))
        self._bad(node.span, f"`{field}` must be a string or a list")
        return None

    def env_files(
        self, node: YNode | None
    ) -> tuple[dict[str, Located[str | None]], tuple[Located[str], ...]]:
        """The variables of the service's ``env_file`` entries, in order (``environment``
        overrides them), and the required ones that are not there. A value carries the span of
        its ``env_file`` entry. Where a required file is missing, the variables the rules read
        are unknown: compose would refuse the project, and the file may set any of them."""
        if node is None or (isinstance(node, YScalar) and node.is_null):
            return {}, ()
        entries = node.items if isinstance(node, YSeq) else [node]
        values: dict[str, Located[str | None]] = {}
        missing: list[Located[str]] = []
        for entry in entries:
            path_node: YNode | None = entry
            required = True
            if isinstance(entry, YMap):
                path_node = entry.get("path")
                flag = entry.get("required")
                if isinstance(flag, YScalar) and flag.value.strip().lower() in _FALSE:
                    required = False
            if not isinstance(path_node, YScalar) or path_node.is_null or path_node.unresolved:
                continue
            base = self.base_dir_of(path_node.span.path)
            path = Path(os.path.normpath(base / path_node.value))
            located = Located(path_node.value, entry.span)
            if not inside_boundary(path) or not os.path.isfile(path):
                if required:
                    missing.append(located)
                continue
            loaded = load_env_file(path, {**self.env, **_plain(values)}, self.problems)
            for key, value in (loaded or {}).items():
                values[key] = Located(value, entry.span, (), True)
        if missing:
            unknown = tuple(f"env_file:{m.value}" for m in missing)
            for key in _DOCKER_VARIABLES:
                values.setdefault(key, Located("", missing[0].span, unknown))
        return values, tuple(missing)

    @staticmethod
    def networks(node: YNode | None) -> tuple[str, ...] | None:
        """The networks a service joins (list or mapping form); None when not listed."""
        if isinstance(node, YMap):
            return tuple(node.entries)
        if isinstance(node, YSeq):
            return tuple(i.value for i in node.items if isinstance(i, YScalar))
        return None

    @staticmethod
    def links(node: YNode | None) -> tuple[tuple[str, str], ...]:
        """``links: [dind, "dind:docker"]``: (service, the alias it gets; its name if none)."""
        if not isinstance(node, YSeq):
            return ()
        pairs = []
        for item in node.items:
            if isinstance(item, YScalar) and not item.is_null:
                service, _, alias = item.value.partition(":")
                pairs.append((service, alias or service))
        return tuple(pairs)

    @staticmethod
    def extra_hosts(node: YNode | None) -> tuple[str, ...]:
        """The host names of ``extra_hosts`` (``name:ip``, ``name=ip`` or a mapping)."""
        if isinstance(node, YMap):
            return tuple(node.entries)
        if not isinstance(node, YSeq):
            return ()
        names = []
        for item in node.items:
            if isinstance(item, YScalar) and not item.is_null:
                names.append(re.split(r"[=:]", item.value, maxsplit=1)[0])
        return tuple(names)

    def network_aliases(self, node: YNode | None) -> tuple[str, ...]:
        if not isinstance(node, YMap):
            return ()  # list form (or absent): no aliases
        aliases: list[str] = []
        for _, net in node.entries.values():
            if not isinstance(net, YMap):
                continue
            items = net.get("aliases")
            if isinstance(items, YSeq):
                aliases.extend(i.value for i in items.items if isinstance(i, YScalar))
        return tuple(dict.fromkeys(aliases))

    # ---------------------------------------------------------------- volumes

    def volumes(self, node: YNode | None) -> tuple[Mount, ...]:
        if node is None or (isinstance(node, YScalar) and node.is_null):
            return ()
        if not isinstance(node, YSeq):
            self._bad(node.span, "`volumes` must be a list")
            return ()
        mounts = []
        for item in node.items:
            mount = self.mount(item)
            if mount is not None:
                mounts.append(mount)
        return tuple(mounts)

    def mount(self, node: YNode) -> Mount | None:
        """One ``volumes:`` entry, short or long syntax."""
        if isinstance(node, YScalar) and not node.is_null and node.tag == "str":
            return self._short_mount(node)
        if isinstance(node, YMap):
            return self._long_mount(node)
        self._bad(node.span, "Volume entry must be a string or a mapping")
        return None

    def _short_mount(self, node: YScalar) -> Mount | None:
        # parse the text where unresolved variables are marked, so `${SOCK}:/x` keeps its shape
        spec = node.marked if node.marked is not None else node.value
        try:
            parsed = parse_short(spec)
        except VolumeSpecError as exc:
            self._bad(node.span, f"Invalid volume `{node.value}`: {exc}")
            return None
        source = parsed.source
        if source is None:
            kind = "volume"
        elif source.startswith(UNKNOWN) or is_bind_source(source):
            # an unset variable as the source is most often a host path: keep it a bind, unknown
            kind = "bind"
        else:
            kind = "volume"
        if source is not None:
            source = source.replace(UNKNOWN, "")
            if kind == "bind" and source:
                source = resolve_bind_source(source, self.base_dir_of(node.span.path))
        target = normalize_path(parsed.target.replace(UNKNOWN, ""))
        ro_span = self._ro_span(node, parsed.ro_offset) if parsed.read_only else None
        return Mount(
            type=kind,
            source=source,
            target=target,
            read_only=parsed.read_only,
            span=node.span,
            short_syntax=True,
            read_only_span=ro_span,
            unresolved=node.unresolved,
        )

    @staticmethod
    def _ro_span(node: YScalar, offset: int | None) -> Span:
        """Span of the ``ro`` option inside the scalar when the text maps 1:1 onto the file."""
        span = node.span
        if offset is None or node.raw != node.value or span.end_line != span.line:
            return span
        col = span.col + (1 if node.quoted else 0) + offset
        return Span(span.path, span.line, col, span.line, col + 1)

    def _long_mount(self, node: YMap) -> Mount | None:
        target_node = node.get("target")
        if not isinstance(target_node, YScalar) or target_node.is_null:
            self._bad(node.span, "Volume entry has no `target`")
            return None
        src_node = node.get("source")
        source = src_node.value if isinstance(src_node, YScalar) and not src_node.is_null else None
        type_node = node.get("type")
        if isinstance(type_node, YScalar) and not type_node.is_null:
            kind = type_node.value
        else:
            kind = "bind" if source and is_bind_source(source) else "volume"
        if kind == "bind" and source:
            source = resolve_bind_source(source, self.base_dir_of(node.span.path))
        ro = self._bool(node.get("read_only"), "read_only")
        read_only = bool(ro and ro.value)
        unresolved: list[str] = []
        for part in (src_node, target_node):
            if isinstance(part, YScalar):
                unresolved.extend(part.unresolved)
        return Mount(
            type=kind,
            source=source,
            target=normalize_path(target_node.value),
            read_only=read_only,
            span=node.span,
            short_syntax=False,
            read_only_span=ro.span if ro and read_only else None,
            unresolved=tuple(dict.fromkeys(unresolved)),
        )

    def volumes_from(self, node: YNode | None) -> tuple[VolumesFrom, ...]:
        if node is None or (isinstance(node, YScalar) and node.is_null):
            return ()
        if not isinstance(node, YSeq):
            self._bad(node.span, "`volumes_from` must be a list")
            return ()
        result = []
        for item in node.items:
            if not isinstance(item, YScalar) or item.is_null:
                self._bad(item.span, "`volumes_from` entries must be strings")
                continue
            result.append(_parse_volumes_from(item))
        return tuple(result)

    # ---------------------------------------------------------------- ports

    def ports(self, node: YNode | None) -> tuple[Port, ...]:
        if node is None or (isinstance(node, YScalar) and node.is_null):
            return ()
        if not isinstance(node, YSeq):
            self._bad(node.span, "`ports` must be a list")
            return ()
        result = []
        for item in node.items:
            port = self._port(item)
            if port is not None:
                result.append(port)
        return tuple(result)

    def _port(self, node: YNode) -> Port | None:
        if isinstance(node, YScalar) and not node.is_null:
            port = parse_port(node.value, node.span)
            if port is None:
                self._bad(node.span, f"Invalid port `{node.value}`")
            return port
        if isinstance(node, YMap):

            def text(key: str) -> str | None:
                value = node.get(key)
                if isinstance(value, YScalar) and not value.is_null and value.value != "":
                    return value.value
                return None

            return Port(
                host_ip=text("host_ip"),
                published=text("published"),
                target=_int(text("target")),
                protocol=text("protocol") or "tcp",
                span=node.span,
            )
        self._bad(node.span, "Port entry must be a string, a number or a mapping")
        return None

    # ---------------------------------------------------------------- build

    def build(self, node: YNode | None, service: str) -> Build | None:
        if node is None or (isinstance(node, YScalar) and node.is_null):
            return None
        if isinstance(node, YScalar):
            node = YMap({"context": (node.span, node)}, node.span)
        if not isinstance(node, YMap):
            self._bad(node.span, "`build` must be a string or a mapping")
            return None
        ctx_node = node.get("context")
        ctx = ctx_node if isinstance(ctx_node, YScalar) and not ctx_node.is_null else None
        context_raw = ctx.value if ctx else "."
        base_dir = self.base_dir_of((ctx or node).span.path)
        context = self._context(context_raw, ctx, node, base_dir, service)
        dockerfile = self._dockerfile(node, context, service)
        args = self.environment(node.get("args"), "build.args")
        df_node = node.get("dockerfile")
        unknown = None
        for written in (ctx, df_node if node.get("dockerfile_inline") is None else None):
            if isinstance(written, YScalar) and not written.is_null and written.unresolved:
                text = written.raw or written.value
                unknown = Located(text, written.span, tuple(written.unresolved))
                break
        return Build(
            context=context,
            dockerfile=dockerfile,
            target=self._string(node.get("target"), "build.target"),
            args=args,
            span=node.span,
            context_raw=context_raw,
            unknown_path=unknown,
        )

    def _context(
        self, raw: str, ctx: YScalar | None, node: YMap, base_dir: Path, service: str
    ) -> Path | None:
        if ctx is not None and ctx.unresolved:
            return None
        if _URL.match(raw):
            return None  # remote context: nothing on disk to analyse
        if raw.startswith("~"):
            # the home directory differs per machine; lint results must not
            self.problems.append(
                Problem(
                    "DIND003",
                    f"Build context `{raw}` of service `{service}` depends on the home "
                    "directory: Dockerfile analysis skipped",
                    (ctx or node).span,
                )
            )
            return None
        context = Path(normalize_path((base_dir / raw).as_posix()))
        if not inside_boundary(context):
            self.problems.append(
                Problem(
                    "DIND003",
                    f"Build context `{raw}` of service `{service}` points outside the "
                    "repository; not read: Dockerfile analysis skipped",
                    (ctx or node).span,
                )
            )
            return None
        if _unreadable_folder(context):
            # kept (a Dockerfile passed alone still finds this project), but not read
            self.problems.append(
                Problem(
                    "DIND003",
                    f"Build context `{raw}` of service `{service}` cannot be read "
                    "(permission denied): Dockerfile analysis skipped",
                    (ctx or node).span,
                )
            )
            return context
        if not os.path.isdir(context):
            self.problems.append(
                Problem(
                    "DIND003",
                    f"Build context `{raw}` of service `{service}` not found: "
                    "Dockerfile analysis skipped",
                    (ctx or node).span,
                )
            )
        return context

    def _dockerfile(self, node: YMap, context: Path | None, service: str) -> Path | None:
        if node.get("dockerfile_inline") is not None or context is None:
            return None
        df_node = node.get("dockerfile")
        raw = "Dockerfile"
        if isinstance(df_node, YScalar) and not df_node.is_null:
            if df_node.unresolved:
                return None
            raw = df_node.value
        dockerfile = Path(normalize_path((context / raw).as_posix()))
        if not inside_boundary(dockerfile):
            self.problems.append(
                Problem(
                    "DIND003",
                    f"Dockerfile `{raw}` of service `{service}` points outside the "
                    "repository; not read: Dockerfile analysis skipped",
                    (df_node or node).span,
                )
            )
            return None
        if _unreadable_folder(context):
            return dockerfile  # reported at the build context
        if lookup_denied(dockerfile) or (
            os.path.isfile(dockerfile) and not os.access(dockerfile, os.R_OK)
        ):
            self.problems.append(
                Problem(
                    "DIND003",
                    f"Dockerfile `{raw}` of service `{service}` cannot be read "
                    "(permission denied): Dockerfile analysis skipped",
                    (df_node or node).span,
                )
            )
            return dockerfile  # not read: the project skips a Dockerfile it cannot read
        if os.path.isdir(context) and not os.path.isfile(dockerfile):
            self.problems.append(
                Problem(
                    "DIND003",
                    f"Dockerfile `{raw}` of service `{service}` not found: "
                    "Dockerfile analysis skipped",
                    (df_node or node).span,
                )
            )
        return dockerfile


def _unreadable_folder(path: Path) -> bool:
    """A folder that cannot be listed or entered, or whose lookup a folder above refuses."""
    return lookup_denied(path) or (os.path.isdir(path) and not os.access(path, os.R_OK | os.X_OK))


def _parse_volumes_from(item: YScalar) -> VolumesFrom:
    """``svc``, ``svc:ro``, ``container:name``, ``container:name:rw`` (read-write by default)."""
    parts = item.value.split(":")
    if parts[0] == "container" and len(parts) >= 2:
        mode = parts[2] if len(parts) > 2 else "rw"
        return VolumesFrom(None, parts[1], mode == "ro", item.span)
    mode = parts[1] if len(parts) > 1 else "rw"
    return VolumesFrom(parts[0], None, mode == "ro", item.span)


def _int(text: str | None) -> int | None:
    return parse_id(text) if text is not None else None


def parse_port(spec: str, span: Span) -> Port | None:
    """``[ip:][published:]target[/proto]``, incl. ``[::1]:2375:2375``; None when malformed."""
    spec = spec.strip()
    protocol = "tcp"
    if "/" in spec:
        spec, _, protocol = spec.rpartition("/")
    host_ip: str | None = None
    if spec.startswith("["):
        close = spec.find("]")
        if close < 0 or spec[close + 1 : close + 2] != ":":
            return None
        host_ip, spec = spec[1:close], spec[close + 2 :]
    parts = spec.rsplit(":", 2) if host_ip is None else spec.split(":")
    if len(parts) == 3:
        host_ip, published, target = parts[0] or None, parts[1], parts[2]
    elif len(parts) == 2:
        published, target = parts
    elif len(parts) == 1:
        published, target = None, parts[0]
    else:
        return None
    if not target or not re.fullmatch(r"\d+(?:-\d+)?", target):
        return None
    # a target range "8000-8010" has no single target port
    return Port(
        host_ip=host_ip,
        published=published or None,
        target=parse_id(target),
        protocol=protocol,
        span=span,
    )


# The variables of a service's environment that the rules read (besides DOCKER_HOST, which
# makes a service a client): unknown where a required env_file is missing.
_DOCKER_VARIABLES = (
    "DOCKER_TLS_CERTDIR",
    "DOCKER_TLS_VERIFY",
    "DOCKER_TLS",
    "DOCKER_CERT_PATH",
    "DOCKER_CONFIG",
    "DOCKER_TLS_SAN",
)


def _plain(values: Mapping[str, Located[str | None]]) -> dict[str, str]:
    return {k: v.value for k, v in values.items() if v.value is not None}
