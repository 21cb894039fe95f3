"""``dindlint graph``: draw the reconstructed socket topology as text, Mermaid or Graphviz DOT.

Everything drawn comes from the topologies of an analysis (``pipeline.analyse``, the same run
and configuration as ``dindlint check``) and the access verdict of
:mod:`dindlint.checks.access`; this module only arranges it. One *scene* per compose project
collects what is shown (sockets, the clients they reach with their identity and access, TCP
edges); the three formats render the same scene, so they never disagree.

Output is deterministic: every collection is sorted before it is drawn.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from dindlint.access import group_add_gids, user_gids, verdict
from dindlint.checks import CHECKS, DENIAL_RULES, SWITCHED_DENIAL_RULES
from dindlint.checks.base import Context
from dindlint.checks.gitlab import for_ci
from dindlint.checks.membership import explaining_rule
from dindlint.files import display_path
from dindlint.gitlab.jobs import socket_fallback
from dindlint.model import ImageIdentity, ResolvedUser, Service, parse_id
from dindlint.project import Project
from dindlint.report.text import neutralise
from dindlint.topology import (
    Client,
    Daemon,
    Reach,
    Socket,
    Topology,
    answers_to,
    network_names,
    tcp_address,
)

FORMATS = ("text", "mermaid", "dot")

HOST_TITLE = "Host Docker daemon"
HOST_GID_NOTE = "GID unknown: the host's docker group"
RO_NOTE = "(:ro does not restrict the API)"

# --------------------------------------------------------------------------------------------
# Words: one function per fact shown, shared by every format
# --------------------------------------------------------------------------------------------

DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock"  # a client's endpoint without one


def _gid_names(user: ResolvedUser, image: ImageIdentity | None) -> dict[int, str]:
    """GID → group name: the user's own memberships first, then the image's ``/etc/group``."""
    names: dict[int, str] = {}
    for name, gid in sorted(user.supplementary, key=lambda item: item[0]):
        if gid is not None:
            names.setdefault(gid, name)
    if image is not None:
        for name, entry in sorted(image.groups.items()):
            if entry.gid is not None:
                names.setdefault(entry.gid, name)
    return names


_UNSPECIFIED = "unspecified"  # an entry's uid/gid the files do not set (auto-assigned, a variable)


def _id_part(number: int | None, name: str | None, *, unset: str = "?") -> str:
    """``1001(mcpmanager)`` as ``id`` prints it; ``1500`` with no name, ``?`` when unknown, or
    ``unset`` (``unspecified``: the files do not set it, e.g. auto-assigned) for an entry."""
    if number is None:
        return f"{unset}({name})" if name else unset
    return f"{number}({name})" if name else str(number)


def _group_add_parts(client: Client, names: dict[int, str]) -> list[tuple[int | None, str]]:
    """``group_add`` entries as (gid, ``id`` text), each resolved by :func:`group_add_gids`."""
    parts: list[tuple[int | None, str]] = []
    for entry in client.identity.group_add:
        single = client._replace(identity=client.identity._replace(group_add=(entry,)))
        gids, _ = group_add_gids(single)
        if gids:
            gid = min(gids)
            parts.append((gid, _id_part(gid, names.get(gid))))
        else:
            label = entry.value if entry.known and parse_id(entry.value) is None else None
            parts.append((None, _id_part(None, label)))
    return parts


def identity_text(client: Client) -> str:
    """The client's effective identity as ``id`` prints it; when the entrypoint switches from
    root to another user, the switch first: ``root → gosu dev: uid=1000(dev) …``."""
    switch = client.identity.switch
    if switch is None:
        return _id_text(client)
    if client.identity.resolved is not None:
        return f"root → {switch.text}: {_id_text(client)}"
    if not switch.modelled:
        why = f"{switch.tool.split()[0]}'s groups are not modelled"
    elif not switch.certain:
        why = "the switch may not run, or switches differ"
    elif switch.spec is None:
        why = "the user is a variable"
    else:
        why = _id_text(client).removeprefix("identity unknown (").removesuffix(")")
    return f"root → {switch.text} (identity unknown: {why})"


def _id_text(client: Client) -> str:
    """The client's effective identity, formatted exactly as ``id`` prints it.

    Primary group first, then the ``/etc/group`` memberships by GID, then ``group_add`` GIDs;
    ``unspecified`` where an id of a passwd or group entry is not set in the files
    (auto-assigned at build time, or a variable), ``?`` where a ``group_add`` entry is unknown
    (and a trailing ``?`` when memberships are unknown).
    """
    user = client.identity.resolved
    if user is None:
        return _unknown_identity(client)
    names = _gid_names(user, client.image)
    primary = _id_part(
        user.gid, names.get(user.gid) if user.gid is not None else None, unset=_UNSPECIFIED
    )
    gids = [g for g in user_gids(user)[1:] if g != user.gid]
    known = sorted({g for g in gids if g is not None})
    groups = [primary] + [_id_part(g, names.get(g)) for g in known]
    seen: set[int | None] = {user.gid, *known}
    groups += [
        _id_part(None, name, unset=_UNSPECIFIED)
        for name, gid in sorted(user.supplementary)
        if gid is None
    ]
    for gid, text in _group_add_parts(client, names):
        if gid is None or gid not in seen:
            groups.append(text)
            seen.add(gid)
    if not user.groups_known:
        groups.append("?")
    uid = _id_part(user.uid, user.name, unset=_UNSPECIFIED)
    return f"uid={uid} gid={primary} groups={','.join(groups)}"


def image_label(service: Service) -> str:
    """What a service runs, in words: its image reference, or ``built from CONTEXT``."""
    if service.build is not None:
        return f"built from {service.build.context_raw or '.'}"
    return service.image.value if service.image is not None else "?"


def _unknown_identity(client: Client) -> str:
    """Why the identity is unknown: an unset variable, an unmodelled image, a missing user."""
    identity = client.identity
    if identity.unresolved:
        return f"identity unknown (user `{identity.spec}` has unresolved variables)"
    if client.image is None or not client.image.base_known:
        return f"identity unknown (image {image_label(client.service)} not modelled)"
    spec = identity.spec if identity.spec is not None else "(image default)"
    return f"identity unknown (user `{spec}` not found in image {image_label(client.service)})"


def access_text(client: Client, reach: Reach) -> str:
    """``✔ can connect``, ``✘ cannot connect (DIND301)`` or ``? unknown``, from :func:`verdict`."""
    decided = verdict(client, reach)
    changed = sorted({tool for path, tool in client.changed_sockets if path == reach.path})
    if changed:
        done = "made world-writable" if changed == ["chmod"] else f"changed by `{changed[-1]}`"
        access = "✔ can connect" if decided.allowed else "? unknown"
        return f"{access} (the socket is {done} at start, DIND107)"
    if decided.allowed is None:
        return "? unknown"
    if decided.allowed:
        if client.alignment is not None:
            return "✔ can connect (runtime GID alignment)"
        return "✔ can connect"
    if decided.cause is None:
        return "✘ cannot connect"
    rules = DENIAL_RULES if client.identity.switch is None else SWITCHED_DENIAL_RULES
    rule = rules[decided.cause]
    if rule == "DIND301":  # as `check`: the Dockerfile's rule when it says why (one cause)
        rule = explaining_rule(client, reach, None) or rule
    return f"✘ cannot connect ({rule})"


def via_text(reach: Reach) -> str:
    """``via volume mcp-docker-socket :ro (:ro does not restrict the API)``."""
    text = f"via {reach.via}"
    if not reach.holds_socket:
        text += " (a wider folder that contains the socket)"
    return f"{text} :ro {RO_NOTE}" if reach.read_only else text


def socket_title(socket: Socket) -> str:
    """``/var/run/docker.sock root:2375 0660``."""
    return f"{socket.path} {socket.owner}"


def host_gid_note(socket: Socket) -> tuple[str, ...]:
    """Why the host socket's group is not shown: unknown unless the configuration gives
    ``host-docker-gid``."""
    return (HOST_GID_NOTE,) if socket.gid is None else ()


def host_title(socket: Socket) -> str:
    """The host daemon's heading, with its socket and, when unknown, why its GID is not shown."""
    title = f"{HOST_TITLE} — socket {socket.path}, owner {socket.owner}"
    return "".join((title, *(f" ({note})" for note in host_gid_note(socket))))


def daemon_title(daemon: Daemon) -> str:
    """``service (image)``."""
    return f"{daemon.service.name} ({image_label(daemon.service)})"


def carriers_of(daemon: Daemon) -> list[tuple[str, str]]:
    """The daemon's mounts that hold its socket: (``volume mcp-docker-socket``, ``/var/run``)."""
    return sorted({(f"{m.type} {m.source}", m.target) for m in daemon.socket_mounts})


def listener_texts(daemon: Daemon) -> list[str]:
    """``tcp 2376 TLS`` / ``tcp 2375 plain``; unknown when TLS depends on an unset variable."""
    unix = [] if daemon.serves_unix else ["no unix socket (its `--host` flags name only TCP)"]
    if daemon.tcp is None:
        return ["tcp unknown (DOCKER_TLS_CERTDIR is not resolved)", *unix]
    return [
        *sorted(
            {f"tcp {t.port} {'TLS' if t.tls else 'plain'}" for t in daemon.tcp},
            key=lambda text: (int(text.split()[1]), text),
        ),
        *unix,
    ]


# --------------------------------------------------------------------------------------------
# The scene: what one project's drawing shows, in drawing order
# --------------------------------------------------------------------------------------------


class ReachView(NamedTuple):
    """A client reaching a socket: where it lands, how, as whom, with what result."""

    client: str
    lands: str
    via: str
    carrier: str  # ``volume mcp-docker-socket``: the node the edge comes through
    read_only: bool
    identity: str
    access: str


class TcpView(NamedTuple):
    """A client's ``DOCKER_HOST`` edge: ``client → tcp://dind:2376 (TLS)``."""

    client: str
    url: str
    mode: str  # "TLS", "plain", "no listener on 2375", "" (outside the project)

    @property
    def text(self) -> str:
        return f"{self.client} → {self.url}" + (f" ({self.mode})" if self.mode else "")


class SocketView(NamedTuple):
    socket: Socket
    reaches: tuple[ReachView, ...]


class DaemonView(NamedTuple):
    daemon: Daemon
    title: str
    socket: SocketView
    carriers: tuple[tuple[str, str], ...]  # (``volume mcp-docker-socket``, ``/var/run``)
    listeners: tuple[str, ...]
    tcp: tuple[TcpView, ...]


class EndpointView(NamedTuple):
    """A ``DOCKER_HOST`` outside the project (an unknown host, ssh://, an unset variable)."""

    title: str
    edges: tuple[TcpView, ...]


class Scene(NamedTuple):
    path: str
    hosts: tuple[SocketView, ...]
    daemons: tuple[DaemonView, ...]
    endpoints: tuple[EndpointView, ...] = ()


def _reach_view(client: Client, reach: Reach) -> ReachView:
    return ReachView(
        client=client.service.name,
        lands=reach.path,
        via=via_text(reach),
        carrier=reach.via,
        read_only=reach.read_only,
        identity=identity_text(client),
        access=access_text(client, reach),
    )


def _reaches_of(topology: Topology, wanted: Socket) -> tuple[ReachView, ...]:
    """Every client reach of ``wanted`` (the socket object, compared by value), sorted."""
    views = [
        _reach_view(client, reach)
        for _, client in sorted(topology.clients.items())
        for reach in client.reaches
        if reach.socket == wanted
    ]
    return tuple(sorted(set(views), key=lambda v: (v.client, v.lands, v.via)))


def _host_sockets(topology: Topology) -> tuple[SocketView, ...]:
    """The host daemon's sockets that some client reaches (usually just /var/run/docker.sock)."""
    sockets = {
        reach.socket
        for client in topology.clients.values()
        for reach in client.reaches
        if reach.socket.kind == "host"
    }
    return tuple(
        SocketView(s, _reaches_of(topology, s)) for s in sorted(sockets, key=lambda s: s.path)
    )


def _tcp_mode(daemon: Daemon, port: int | None) -> str:
    """TLS mode of the daemon's listener on ``port``, in words."""
    if port is None:
        return "no port"
    if daemon.tcp is None:
        return "TLS unknown"
    modes = sorted({"TLS" if t.tls else "plain" for t in daemon.tcp if t.port == port})
    return "/".join(modes) if modes else f"no listener on {port}"


def _outside_title(topology: Topology, hostname: str) -> str:
    """Heading of a TCP endpoint that is no daemon: a plain service (a socket proxy), or a host
    outside the project."""
    compose = topology.project.compose
    for name, service in sorted(compose.services.items() if compose else ()):
        if answers_to(network_names(service), hostname):
            return f"{hostname} (service {name}, runs no dockerd)"
    return f"{hostname or '?'} (not a service of this project)"


def _docker_host_edges(
    topology: Topology,
) -> tuple[dict[str, list[TcpView]], dict[str, list[TcpView]]]:
    """``DOCKER_HOST`` edges: to the daemon services they name, and to anything else."""
    to_daemon: dict[str, list[TcpView]] = {}
    outside: dict[str, list[TcpView]] = {}
    for name, client in sorted(topology.clients.items()):
        host = client.docker_host
        if host is None or host.value is None:
            continue
        url = host.value
        if not host.known:
            unset = ", ".join(f"${v}" for v in host.unresolved)
            outside.setdefault(f"DOCKER_HOST with unset {unset}", []).append(
                TcpView(name, url or '""', "")
            )
            continue
        if url.startswith("tcp://"):
            hostname, port = tcp_address(url)
            matched = [
                d
                for d_name, d in sorted(topology.daemons.items())
                if answers_to(network_names(d.service), hostname)
            ]
            for daemon in matched:
                to_daemon.setdefault(daemon.service.name, []).append(
                    TcpView(name, url, _tcp_mode(daemon, port))
                )
            if not matched:
                outside.setdefault(_outside_title(topology, hostname), []).append(
                    TcpView(name, url, "")
                )
        elif not (url.startswith("unix://") and client.reaches):
            # A unix:// DOCKER_HOST with a socket mounted is drawn through that mount already.
            note = (
                " (no socket mounted)"
                if url.startswith("unix://")
                else ""
                if "://" in url
                else " (not a URL)"
            )
            outside.setdefault(f"{url}{note}", []).append(TcpView(name, url, ""))
    return to_daemon, outside


def _daemon_view(topology: Topology, daemon: Daemon, tcp: list[TcpView]) -> DaemonView:
    return DaemonView(
        daemon=daemon,
        title=daemon_title(daemon),
        socket=SocketView(daemon.socket, _reaches_of(topology, daemon.socket)),
        carriers=tuple(carriers_of(daemon)),
        listeners=tuple(listener_texts(daemon)),
        tcp=tuple(sorted(tcp, key=lambda v: (v.client, v.url))),
    )


def build_scene(topology: Topology, base: Path) -> Scene:
    """Arrange one project's topology for drawing (paths relative to ``base``)."""
    project = topology.project
    assert project.compose is not None
    to_daemon, outside = _docker_host_edges(topology)
    daemons = tuple(
        _daemon_view(topology, daemon, to_daemon.get(name, []))
        for name, daemon in sorted(topology.daemons.items())
    )
    endpoints = tuple(
        EndpointView(title, tuple(sorted(edges, key=lambda v: (v.client, v.url))))
        for title, edges in sorted(outside.items())
    )
    path = display_path(project.compose.files[0], base)
    if project.compose.ci is not None:  # a GitLab CI job (dindlint.gitlab)
        path = f"{path}: job {project.compose.ci.name}"
        daemons, endpoints = _job_views(daemons, endpoints, _endpoint_rules(topology))
        if socket_fallback(project.compose.ci) is not None:  # DIND501
            edge = TcpView(project.compose.ci.client, DEFAULT_DOCKER_HOST, "✘ no `DOCKER_HOST`")
            title = f"{DEFAULT_DOCKER_HOST} (not in the job's container)"
            endpoints = (*endpoints, EndpointView(title, (edge,)))
    return Scene(path, _host_sockets(topology), daemons, endpoints)


# The rules that judge a client's endpoint (its port, name, TLS mode and certificate name): the
# graph marks an endpoint ✘ when one of them reports it, as `dindlint check` does.
_ENDPOINT_RULES = ("DIND403", "DIND406", "DIND407", "DIND408")


def _endpoint_rules(topology: Topology) -> dict[str, tuple[str, ...]]:
    """For each client, the endpoint rules that report its ``DOCKER_HOST``."""
    ctx = Context(topology.project, topology)
    spans = {
        client.docker_host.span: name
        for name, client in topology.clients.items()
        if client.docker_host is not None
    }
    found: dict[str, list[str]] = {}
    for rule_id in _ENDPOINT_RULES:
        for finding in for_ci(rule_id, CHECKS[rule_id])(ctx):
            client = spans.get(finding.span)
            if client is not None and rule_id not in found.setdefault(client, []):
                found[client].append(rule_id)
    return {name: tuple(rules) for name, rules in found.items()}


def _job_views(
    daemons: tuple[DaemonView, ...],
    endpoints: tuple[EndpointView, ...],
    reported: dict[str, tuple[str, ...]],
) -> tuple[tuple[DaemonView, ...], tuple[EndpointView, ...]]:
    """A GitLab CI job's drawing: each service with every name the runner gives it, the job's
    endpoint marked ✔ when a listener serves it and no endpoint rule reports it (``reported``:
    the rules that do, for each client), ✘ when none does or no service answers."""

    def marked(view: TcpView, served: bool) -> TcpView:
        rules = reported.get(view.client, ())
        if not view.mode and served and not rules:
            return view
        mode = view.mode or "no service answers to this name"
        if rules:
            mode += f", {', '.join(rules)}"
        return view._replace(mode=f"{'✔' if served and not rules else '✘'} {mode}")

    named = tuple(
        d._replace(
            title=", ".join((d.daemon.service.name, *d.daemon.service.network_aliases))
            + f" ({image_label(d.daemon.service)})",
            tcp=tuple(
                marked(t, not t.mode.startswith(("no listener", "no port", "TLS unknown")))
                for t in d.tcp
            ),
        )
        for d in daemons
    )
    outside = tuple(
        e._replace(edges=tuple(marked(t, False) for t in e.edges))
        if e.title.endswith("(not a service of this project)")
        else e
        for e in endpoints
    )
    return named, outside


def scenes(models: Iterable[tuple[Project, Topology]], base: Path) -> list[Scene]:
    """One scene per compose project (with the topology the analysis built for it), in path
    order, each compose project once; for a GitLab CI pipeline, one per job that has a Docker
    daemon service or a Docker client."""
    seen: set[tuple[tuple[Path, ...], str]] = set()
    chosen: list[tuple[Project, Topology]] = []
    for project, topology in models:
        if project.compose is None:
            continue
        job = project.compose.ci
        key = (project.compose.files, job.name if job is not None else "")
        if key in seen or (job is not None and not (topology.daemons or topology.clients)):
            continue
        seen.add(key)
        chosen.append((project, topology))

    def order(model: tuple[Project, Topology]) -> tuple[str, str]:
        job = model[0].compose.ci if model[0].compose is not None else None
        return model[0].label.as_posix(), job.name if job is not None else ""

    chosen.sort(key=order)
    return [build_scene(topology, base) for _, topology in chosen]


# --------------------------------------------------------------------------------------------
# Text: a box-drawing tree, in the spirit of the incident report's "Architecture Flow"
# --------------------------------------------------------------------------------------------


class Tree(NamedTuple):
    label: str
    children: tuple[Tree, ...] = ()


def _leaves(*labels: str) -> tuple[Tree, ...]:
    return tuple(Tree(label) for label in labels)


def _reach_tree(view: ReachView) -> Tree:
    return Tree(
        view.client, _leaves(f"socket at {view.lands}", view.via, view.identity, view.access)
    )


def _host_tree(view: SocketView) -> Tree:
    return Tree(host_title(view.socket), tuple(_reach_tree(r) for r in view.reaches))


def _daemon_tree(view: DaemonView) -> Tree:
    socket = view.socket.socket
    carriers = [f"carried by {via} at {target}" for via, target in view.carriers]
    socket_node = Tree(
        f"socket {socket_title(socket)}",
        (
            Tree(f"from {socket.provenance}"),
            *_leaves(*(carriers or ["not shared: no volume or bind holds it"])),
            *(_reach_tree(r) for r in view.socket.reaches),
        ),
    )
    tcp = [Tree(t.text) for t in view.tcp]
    return Tree(view.title, (socket_node, *(Tree(text) for text in view.listeners), *tcp))


def _endpoint_tree(view: EndpointView) -> Tree:
    return Tree(view.title, tuple(Tree(e.text) for e in view.edges))


def scene_tree(scene: Scene) -> Tree:
    """The whole project as a tree: host daemon, daemon services, outside endpoints."""
    children = (
        *(_host_tree(h) for h in scene.hosts),
        *(_daemon_tree(d) for d in scene.daemons),
        *(_endpoint_tree(e) for e in scene.endpoints),
    )
    if not children:
        children = (Tree("no Docker daemon or socket client"),)
    return Tree(scene.path, children)


def _tree_lines(node: Tree, prefix: str = "") -> list[str]:
    """The children of ``node`` drawn with ``├──``, ``└──`` and ``│`` under ``prefix``."""
    lines: list[str] = []
    for index, child in enumerate(node.children):
        last = index == len(node.children) - 1
        lines.append(f"{prefix}{'└── ' if last else '├── '}{neutralise(child.label)}")
        lines.extend(_tree_lines(child, prefix + ("    " if last else "│   ")))
    return lines


def render_text(scene_list: list[Scene]) -> str:
    if not scene_list:
        return "No compose files found.\n"
    blocks = []
    for scene in scene_list:
        tree = scene_tree(scene)
        blocks.append("\n".join([neutralise(tree.label), *_tree_lines(tree)]))
    return "\n\n".join(blocks) + "\n"


# --------------------------------------------------------------------------------------------
# Mermaid and DOT: one node-and-edge graph, two syntaxes
# --------------------------------------------------------------------------------------------


@dataclass(eq=False, repr=False)
class Graph:
    """Nodes and labelled edges of one project (ids are unique across the whole output)."""

    title: str
    prefix: str
    nodes: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    edges: list[tuple[str, str, tuple[str, ...]]] = field(default_factory=list)
    _ids: dict[tuple[str, str], str] = field(default_factory=dict)

    def node(self, kind: str, key: str, *lines: str) -> str:
        """The id of node (kind, key), created with ``lines`` as its label the first time."""
        if (kind, key) not in self._ids:
            node_id = f"{self.prefix}_{kind}{sum(1 for k in self._ids if k[0] == kind) + 1}"
            self._ids[(kind, key)] = node_id
            self.nodes.append((node_id, lines))
        return self._ids[(kind, key)]

    def has(self, kind: str, key: str) -> bool:
        return (kind, key) in self._ids

    def edge(self, source: str, target: str, *lines: str) -> None:
        self.edges.append((source, target, lines))


def _socket_edges(graph: Graph, socket_id: str, socket_key: str, view: SocketView) -> None:
    """Carrier nodes and client edges under one socket node."""
    for reach in view.reaches:
        carrier_key = f"{socket_key}|{reach.carrier}"
        if not graph.has("v", carrier_key):
            graph.edge(socket_id, graph.node("v", carrier_key, reach.carrier))
        carrier = graph.node("v", carrier_key, reach.carrier)
        client = graph.node("c", reach.client, reach.client)
        ro = f" :ro {RO_NOTE}" if reach.read_only else ""
        graph.edge(carrier, client, f"at {reach.lands}{ro}", reach.identity, reach.access)


def _dedupe_edges(graph: Graph) -> None:
    """Drop repeated edges (keeping the first), so each carrier hangs off its socket once."""
    seen: set[tuple[str, str, tuple[str, ...]]] = set()
    unique = []
    for edge in graph.edges:
        if edge not in seen:
            seen.add(edge)
            unique.append(edge)
    graph.edges = unique


def scene_graph(scene: Scene, index: int) -> Graph:
    """The scene as nodes (daemons, sockets, volumes/binds, clients) and labelled edges."""
    graph = Graph(scene.path, f"p{index}")
    if scene.hosts:
        host = graph.node("h", "host", HOST_TITLE)
        for view in scene.hosts:
            key = f"host|{view.socket.path}"
            socket = graph.node(
                "s", key, view.socket.path, view.socket.owner, *host_gid_note(view.socket)
            )
            graph.edge(host, socket)
            _socket_edges(graph, socket, key, view)
    for shown in scene.daemons:
        daemon = graph.node("d", shown.daemon.service.name, shown.title, *shown.listeners)
        key = f"daemon|{shown.daemon.service.name}"
        socket = graph.node(
            "s", key, socket_title(shown.socket.socket), f"from {shown.socket.socket.provenance}"
        )
        graph.edge(daemon, socket)
        for via, target in shown.carriers:
            graph.edge(socket, graph.node("v", f"{key}|{via}", via), f"at {target}")
        _socket_edges(graph, socket, key, shown.socket)
        for tcp in shown.tcp:
            graph.edge(graph.node("c", tcp.client, tcp.client), daemon, f"{tcp.url} ({tcp.mode})")
    for endpoint in scene.endpoints:
        target = graph.node("x", endpoint.title, endpoint.title)
        for tcp in endpoint.edges:
            graph.edge(graph.node("c", tcp.client, tcp.client), target, tcp.url)
    _dedupe_edges(graph)
    return graph


_MERMAID_ESCAPES = {"#": "#35;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "|": "#124;", "`": "#96;"}


def _mermaid_label(lines: tuple[str, ...]) -> str:
    """A quoted Mermaid label: entity-escaped lines joined with ``<br/>``."""
    escaped = ["".join(_MERMAID_ESCAPES.get(ch, ch) for ch in neutralise(line)) for line in lines]
    return '"' + "<br/>".join(escaped) + '"'


def render_mermaid(scene_list: list[Scene]) -> str:
    """A ``flowchart LR``, one subgraph per compose project."""
    out = ["flowchart LR"]
    for index, scene in enumerate(scene_list, 1):
        graph = scene_graph(scene, index)
        out.append(f"  subgraph {graph.prefix}[{_mermaid_label((graph.title,))}]")
        out.extend(f"    {node_id}[{_mermaid_label(lines)}]" for node_id, lines in graph.nodes)
        out.append("  end")
        for source, target, lines in graph.edges:
            arrow = f"-->|{_mermaid_label(lines)}|" if lines else "-->"
            out.append(f"  {source} {arrow} {target}")
    return "\n".join(out) + "\n"


def _dot_string(lines: tuple[str, ...]) -> str:
    """A quoted DOT string: backslashes and quotes escaped, lines joined with ``\\n``."""
    escaped = [neutralise(line).replace("\\", "\\\\").replace('"', '\\"') for line in lines]
    return '"' + "\\n".join(escaped) + '"'


def render_dot(scene_list: list[Scene]) -> str:
    """A Graphviz ``digraph``, one cluster per compose project."""
    out = [
        "digraph dindlint {",
        "  rankdir=LR;",
        '  node [shape=box, fontname="monospace"];',
        '  edge [fontname="monospace"];',
    ]
    for index, scene in enumerate(scene_list, 1):
        graph = scene_graph(scene, index)
        out.append(f"  subgraph cluster_{index} {{")
        out.append(f"    label={_dot_string((graph.title,))};")
        out.extend(f"    {node_id} [label={_dot_string(lines)}];" for node_id, lines in graph.nodes)
        for source, target, lines in graph.edges:
            label = f" [label={_dot_string(lines)}]" if lines else ""
            out.append(f"    {source} -> {target}{label};")
        out.append("  }")
    out.append("}")
    return "\n".join(out) + "\n"


_RENDERERS = {"text": render_text, "mermaid": render_mermaid, "dot": render_dot}


def render(models: Iterable[tuple[Project, Topology]], base: Path, output_format: str) -> str:
    """Draw every compose project of ``models`` in ``output_format`` (text, mermaid, dot)."""
    return _RENDERERS[output_format](scenes(models, base))
