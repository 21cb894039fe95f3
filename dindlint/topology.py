"""Stage 5, topology: which socket reaches which container, at which path, as whom.

Reads the merged compose model and the resolved image identities, and builds the socket graph
the rules read and ``dindlint graph`` draws: daemon services with the socket each provides (path,
owning GID and where that GID was decided), TCP listeners with their TLS mode, and each client
with the sockets that land in it, its ``DOCKER_HOST`` and its effective identity.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from typing import NamedTuple

from dindlint.gitlab.dockerd import dind_start
from dindlint.images import (
    SocketChange,
    SocketExport,
    UserSwitch,
    detect_alignment,
    file_change,
    find_switch,
    identity_for_build,
    identity_for_image,
    replay_all_stages,
    resolve_user,
    socket_export,
    start_commands_of,
    switch_of,
    without_sudo,
)
from dindlint.model import (
    ComposeProject,
    Dockerfile,
    IdentityEvent,
    ImageIdentity,
    Mount,
    ResolvedUser,
    ScriptCommand,
    Service,
    parse_id,
)
from dindlint.project import Project
from dindlint.source import Located, Span, remembered

DEFAULT_SOCKET = "/var/run/docker.sock"

# Host-side Docker-API sockets and the folders that hold them.
HOST_SOCKETS = frozenset(
    {
        "/var/run/docker.sock",
        "/run/docker.sock",
        "/run/podman/podman.sock",
        "/var/run/podman/podman.sock",
    }
)
ROOTLESS_SOCKET = re.compile(r"^(/var)?/run/user/\d+/(docker\.sock|podman/podman\.sock)$")
HOST_SOCKET_DIRS = frozenset({"/var/run", "/run"})
# Wider folders that contain the host socket: exposure (DIND102), but their mount is for files.
HOST_SOCKET_ANCESTORS = frozenset({"/var", "/"})


def is_dind_image(ref: str) -> bool:
    """``docker:*dind*``: repository basename ``docker`` (any registry) and a tag with ``dind``.

    ``docker/mcp-gateway:dind`` is not one: its basename is ``mcp-gateway``.
    """
    name, _, tag = ref.split("@", 1)[0].rpartition(":")
    if not name or "/" in tag:
        return False
    return name.rsplit("/", 1)[-1] == "docker" and "dind" in tag


def normalise(path: str) -> str:
    """Fold ``//``, ``.``, ``..`` and trailing slashes the way the kernel resolves a path."""
    folded = posixpath.normpath(path) if path else path
    if folded.startswith("//"):
        folded = "/" + folded.lstrip("/")
    return folded


def same_run_dir(path: str) -> str:
    """``/var/run`` is a symlink to ``/run`` on Alpine and Debian: compare them as one.

    alpinelinux/aports@d2bfb22:main/alpine-baselayout/APKBUILD (`ln -s /run var/run`); Debian:
    lintian `systemd-tmpfile-in-var-run` (bug #984678). Cited in rules/DIND103.
    """
    if path == "/var/run" or path.startswith("/var/run/"):
        return path[len("/var") :]
    return path


def _relative(path: str, folder: str) -> str | None:
    """``path`` relative to ``folder`` when it is inside it ("" when equal), else None."""
    path, folder = same_run_dir(path), same_run_dir(folder)
    if path == folder:
        return ""
    prefix = folder.rstrip("/") + "/"
    return path[len(prefix) :] if path.startswith(prefix) else None


def network_names(service: Service) -> set[str]:
    """The names other containers reach ``service`` by: its name, network aliases and
    ``container_name`` (``hostname:`` names the container to itself only; compose-spec
    05-services.md ``networks.aliases``, ``container_name``, ``links``)."""
    names = {service.name, *service.network_aliases}
    if service.container_name is not None:
        names.add(service.container_name.value)
    return names


def answers_to(names: set[str] | tuple[str, ...], name: str) -> bool:
    """Whether ``name`` is one of ``names``: host names compare without regard to letter case
    (RFC 4343; Docker's embedded DNS and X.509 name matching both ignore it)."""
    wanted = name.lower()
    return any(n.lower() == wanted for n in names)


def unserved_name(compose: ComposeProject, client: Service, name: str) -> tuple[str, ...] | None:
    """Whether no container of the project answers to ``name`` on a network ``client`` shares
    with it: None when one does, or when that cannot be told (``network_mode``,
    ``extra_hosts``, ``external_links``, a network of another project); else the services named
    ``name`` that share no network with ``client`` (empty when none is named so)."""
    if (
        client.network_mode is not None
        or client.external_links
        or answers_to(tuple(client.extra_hosts), name)
    ):
        return None
    joined = set(client.networks or ("default",))
    for network in joined:
        if compose.networks.get(network, network != "default"):
            return None  # external, or declared elsewhere (an included file): unknown
    if client.hostname is not None and answers_to((client.hostname.value,), name):
        return None  # the container's own /etc/hosts
    unshared: list[str] = []
    for other in compose.services.values():
        if other.container_name is not None and not other.container_name.known:
            return None
        names = network_names(other) | {a for s, a in client.links if s == other.name}
        if other.hostname is not None and any(s == other.name for s, _ in client.links):
            # a legacy link may put the linked container's hostname into /etc/hosts: whether
            # it does on a compose network is not established, so the name counts as served
            names.add(other.hostname.value)
        if not answers_to(names, name):
            continue
        if other.network_mode is not None:
            return None  # not on the project's networks by name: dindlint cannot tell
        if other is client or joined & set(other.networks or ("default",)):
            return None
        unshared.append(other.name)
    return tuple(unshared)


def tcp_address(docker_host: str) -> tuple[str, int | None]:
    """Host and port of ``tcp://HOST:PORT[/path]`` (``[::1]:2375`` too); port None if absent."""
    address = docker_host.split("://", 1)[-1].split("/", 1)[0]
    if address.startswith("["):
        host, _, tail = address[1:].partition("]")
        port = tail[1:] if tail.startswith(":") else ""
    else:
        host, _, port = address.rpartition(":") if ":" in address else (address, "", "")
    return host, parse_id(port)


# --------------------------------------------------------------------------------------------
# The graph
# --------------------------------------------------------------------------------------------


class Socket(NamedTuple):
    """A Docker-API socket. ``gid`` is its owning group (0: ``root:root``; None: unknown)."""

    kind: str  # "host" or "daemon"
    path: str  # path on the host, or inside the daemon container
    gid: int | None
    provenance: str  # how the GID was decided, in words
    daemon: str | None = None  # the daemon service
    span: Span | None = None  # where the GID was decided

    @property
    def owner(self) -> str:
        group = "?" if self.gid is None else ("root" if self.gid == 0 else str(self.gid))
        return f"root:{group} 0660"


class Reach(NamedTuple):
    """A socket landing in a client container."""

    socket: Socket
    path: str  # where the socket lands in the client
    carrier: Span  # the volume, bind or volumes_from entry that carries it
    read_only: bool
    read_only_span: Span | None
    via: str  # "bind /var/run/docker.sock", "volume mcp-docker-socket", "volumes_from dind"
    holds_socket: bool  # the entry is the socket or the folder that holds it (not `/` or `/var`)
    mount: Mount | None = None


class TcpListener(NamedTuple):
    port: int
    tls: bool
    host: str
    verify: bool = False  # ``--tlsverify``: the daemon asks clients for their certificates


class Daemon(NamedTuple):
    service: Service
    identity: ImageIdentity | None
    socket: Socket
    socket_mounts: tuple[Mount, ...]  # the daemon's mounts that hold its socket
    tcp: tuple[TcpListener, ...] | None  # None: unknown (unresolved TLS setting)
    uses_entrypoint_defaults: bool  # docker:dind's entrypoint builds dockerd's flags
    serves_unix: bool = True  # False: its ``--host`` flags name only TCP listeners


class Identity(NamedTuple):
    """A client's effective process identity.

    When the container starts as root and its entrypoint switches user (``switch``), this is
    the identity switched to: ``spec`` is the switch's user, ``spec_span`` the switching
    command, ``resolved`` None unless the tool's group semantics are modelled, and
    ``group_add`` empty (the switch sets the supplementary groups anew).
    """

    spec: str | None  # the user spec in force (compose ``user:`` or image ``USER``), None: default
    spec_span: Span | None
    from_compose: bool
    resolved: ResolvedUser | None  # None: unknown
    group_add: tuple[Located[str], ...]
    unresolved: tuple[str, ...] = ()  # variables with no value in ``user:``
    switch: UserSwitch | None = None  # the entrypoint's switch from root to another user

    @property
    def is_root(self) -> bool:
        return self.resolved is not None and self.resolved.uid == 0


class Client(NamedTuple):
    service: Service
    image: ImageIdentity | None
    identity: Identity
    reaches: tuple[Reach, ...]
    docker_host: Located[str | None] | None
    alignment: Span | None  # recognised runtime GID alignment
    # what the container runs at start: compose entrypoint/command, else the image's
    start_commands: tuple[ScriptCommand, ...] = ()
    # the landed socket paths a start command run as root changes, with the tool (DIND107)
    changed_sockets: tuple[tuple[str, str], ...] = ()


class Topology(NamedTuple):
    project: Project
    images: dict[str, ImageIdentity | None]
    daemons: dict[str, Daemon]
    clients: dict[str, Client]

    def dockerfile_events(self, dockerfile: Dockerfile) -> tuple[IdentityEvent, ...]:
        """What the replay of every stage of ``dockerfile`` noticed (built by compose or not:
        the Dockerfile rules run on every stage)."""
        return replay_all_stages(dockerfile)

    def dockerfile_identity(self, dockerfile: Dockerfile) -> ImageIdentity:
        """The identity of ``dockerfile``'s last stage built from its own folder, for a
        Dockerfile no service of the project builds."""
        return identity_for_build(dockerfile, None, dockerfile.path.parent)


# --------------------------------------------------------------------------------------------
# Building it
# --------------------------------------------------------------------------------------------


def build_topology(project: Project, host_docker_gid: int | None = None) -> Topology:
    """The socket graph of one project. ``host_docker_gid`` is the GID of the docker group on
    the team's hosts (configuration), which makes the host socket's owner known."""
    compose = project.compose
    if compose is None:
        return Topology(project, {}, {}, {})
    ordered = sorted(compose.services.items())
    images: dict[str, ImageIdentity | None] = {}
    daemons: dict[str, Daemon] = {}
    for name, service in ordered:
        images[name], daemon = _image_and_daemon(project, service)
        if daemon is not None:
            daemons[name] = daemon
    # the daemons holding their socket on each volume or bind source, for the clients' mounts
    # (scanning every daemon for every mount grew as clients × daemons)
    held_by: _HeldBy = {}
    for daemon in daemons.values():
        for held in daemon.socket_mounts:
            held_by.setdefault((held.type, held.source), []).append((daemon, held))
    clients: dict[str, Client] = {}
    for name, service in ordered:
        if name in daemons:
            continue
        reaches = _reaches(service, compose.services, held_by, set(), host_docker_gid)
        docker_host = service.environment.get("DOCKER_HOST")
        if reaches or docker_host is not None:
            started = start_commands(service, images[name])
            clients[name] = Client(
                service=service,
                image=images[name],
                identity=_identity(service, images[name], started),
                reaches=reaches,
                docker_host=docker_host,
                alignment=_alignment(service, images[name]),
                start_commands=started,
            )
            changed = socket_file_changes(clients[name]) if started else []
            if changed:
                clients[name] = clients[name]._replace(
                    changed_sockets=tuple((reach.path, c.tool) for _, c, reach in changed)
                )
    return Topology(project, images, daemons, clients)


def _image_and_daemon(
    project: Project, service: Service
) -> tuple[ImageIdentity | None, Daemon | None]:
    """The image identity of ``service`` and the daemon it runs (None: it runs none).

    A service not built here gets the same answer in every project that holds it: the services
    of a file that forty projects ``include`` are the same objects in each, and were worked out
    again for each (``remembered``: once the second project asks, for the rest of the run)."""
    if service.build is not None:
        image = _image_of(project, service)
        return image, _as_daemon(service, image)

    def work_out() -> tuple[Service, ImageIdentity | None, Daemon | None]:
        image = _image_of(project, service)
        return service, image, _as_daemon(service, image)

    # the service is kept with its answer: its id() cannot be another service's meanwhile
    _, image, daemon = remembered(("topology-service", id(service)), work_out)
    return image, daemon


def _image_of(project: Project, service: Service) -> ImageIdentity | None:
    dockerfile = project.builds.get(service.name)
    if dockerfile is not None and service.build is not None:
        target = service.build.target.value if service.build.target else None
        return identity_for_build(dockerfile, target, service.build.context)
    if service.build is not None:
        return None  # built from something we could not read: unknown
    if service.image is not None and service.image.known:
        return identity_for_image(service.image.value)
    return None


def _words(value: Located[tuple[str, ...] | str] | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value.value, str):
        return tuple(value.value.split())
    return value.value


def _as_daemon(service: Service, image: ImageIdentity | None) -> Daemon | None:
    """A daemon service runs dockerd: a ``docker:*dind*`` image with its entrypoint, or a
    command or entrypoint that runs ``dockerd`` (or ``dockerd-entrypoint.sh``)."""
    entrypoint, command = _words(service.entrypoint), _words(service.command)
    dind = (image is not None and image.daemon is not None) or (
        service.image is not None and is_dind_image(service.image.value)
    )
    start = dind_start(entrypoint, command, dind)
    if start is None:
        return None
    args, entry_defaults = start.args, start.defaults
    socket_path = _socket_path(service, image, args, entry_defaults)
    socket = _daemon_socket(service, image, args, socket_path)
    hosts = _flag_values(args, "-H", "--host")
    # dockerd listens only where its --host flags say; the unix socket is its default when
    # they name nothing (docker-library/docker#396: `dockerd -H tcp://0.0.0.0:2375` lost it)
    serves_unix = entry_defaults or not hosts or not all(h.startswith("tcp://") for h in hosts)
    mounts = tuple(
        m
        for m in service.volumes
        if serves_unix
        and m.type in ("volume", "bind")
        and m.source
        and _relative(socket_path, m.target) is not None
    )
    tcp = _tcp_listeners(service, image, args, entry_defaults) if start.known else None
    return Daemon(service, image, socket, mounts, tcp, entry_defaults, serves_unix)


def socketless_landings(
    service: Service, daemons: dict[str, Daemon]
) -> list[tuple[str, Daemon, Mount]]:
    """Where ``service`` would find the socket of a daemon that serves none (its ``--host``
    flags name only TCP listeners): (path in the client, daemon, the client's mount)."""
    found: list[tuple[str, Daemon, Mount]] = []
    for daemon in daemons.values():
        if daemon.serves_unix:
            continue
        for held in daemon.service.volumes:
            rel = _relative(daemon.socket.path, held.target)
            if held.type not in ("volume", "bind") or not held.source or rel is None:
                continue
            for mount in service.volumes:
                if (mount.type, mount.source) == (held.type, held.source):
                    path = normalise(mount.target.rstrip("/") + ("/" + rel if rel else ""))
                    found.append((path, daemon, mount))
    return found


def _flag_values(args: tuple[str, ...], *names: str) -> list[str]:
    """Values of ``--name value``, ``--name=value`` and ``-G value`` style flags, in order."""
    values: list[str] = []
    for index, arg in enumerate(args):
        for name in names:
            if arg == name and index + 1 < len(args):
                values.append(args[index + 1])
            elif arg.startswith(name + "=") and name.startswith("--"):
                values.append(arg[len(name) + 1 :])
    return values


def _socket_path(
    service: Service, image: ImageIdentity | None, args: tuple[str, ...], entry_defaults: bool
) -> str:
    for host in _flag_values(args, "-H", "--host"):
        if host.startswith("unix://"):
            return normalise(host[len("unix://") :])
    env_host = service.environment.get("DOCKER_HOST")
    if (
        entry_defaults
        and env_host is not None
        and env_host.value
        and env_host.value.startswith("unix://")
    ):
        # dockerd-entrypoint.sh's defaults take it (a tcp:// one is ignored):
        # docker-library/docker@3289af8:dockerd-entrypoint.sh:102-141
        return normalise(env_host.value[len("unix://") :])
    if image is not None and image.daemon is not None:
        return image.daemon.socket_path
    return DEFAULT_SOCKET


def _daemon_socket(
    service: Service, image: ImageIdentity | None, args: tuple[str, ...], path: str
) -> Socket:
    """The socket's owning GID: ``--group``/``-G`` (name or number) or the default group
    ``docker``; with no such group dockerd falls back to its own GID, 0
    (moby@b985e23:daemon/listeners/listeners_linux.go:35-54, group_unix.go:12-24)."""
    where = service.image.value if service.image else service.name
    span = service.command.span if service.command else None
    groups = _flag_values(args, "-G", "--group")
    if groups:
        wanted = groups[-1]
        if wanted == "":
            return Socket("daemon", path, 0, '`--group ""` in the command', service.name, span)
        if parse_id(wanted) is not None:
            return Socket(
                "daemon",
                path,
                parse_id(wanted),
                f"`--group {wanted}` in the command",
                service.name,
                span,
            )
        entry = image.groups.get(wanted) if image is not None else None
        gid = entry.gid if entry is not None else None
        return Socket("daemon", path, gid, f"`--group {wanted}` in the command", service.name, span)
    image_span = service.image.span if service.image else service.span
    if image is None:
        return Socket(
            "daemon", path, None, f"image {where} (not modelled)", service.name, image_span
        )
    if image.daemon is not None and image.daemon.rootless:
        return Socket(
            "daemon",
            path,
            None,
            f"rootless daemon in {image.description}",
            service.name,
            image_span,
        )
    docker = image.groups.get("docker")
    if docker is not None:
        return Socket(
            "daemon",
            path,
            docker.gid,
            f"group `docker` of image {image.description}",
            service.name,
            docker.span or image_span,
        )
    if image.base_known:
        return Socket(
            "daemon",
            path,
            0,
            f"image {image.description} has no `docker` group",
            service.name,
            image_span,
        )
    return Socket("daemon", path, None, f"image {image.description}", service.name, image_span)


def _tcp_listeners(
    service: Service, image: ImageIdentity | None, args: tuple[str, ...], entry_defaults: bool
) -> tuple[TcpListener, ...] | None:
    """What the daemon listens on over TCP. The dind entrypoint adds its defaults only to an
    empty command or one starting with ``-``: the unix socket and ``tcp://0.0.0.0:2376
    --tlsverify`` with the certificates it generates when ``DOCKER_TLS_CERTDIR`` is non-empty,
    else plain ``tcp://0.0.0.0:2375`` (docker-library/docker@3289af8:dockerd-entrypoint.sh:
    102-141); otherwise only the ``--host`` flags given listen."""
    listeners: list[TcpListener] = []
    tls = tls_switches(service, args)
    if tls is None:
        return None
    on, verify = tls
    if entry_defaults:
        certdir = service.environment.get("DOCKER_TLS_CERTDIR")
        if certdir is not None and not certdir.known:
            return None
        if certdir is None:
            generated = image.daemon.tls_default if image is not None and image.daemon else True
        else:
            generated = bool(certdir.value)  # a YAML-null entry unsets the variable: plain
        if generated:
            on = verify = True  # the entrypoint passes --tlsverify
        listeners.append(TcpListener(2376 if generated else 2375, generated, "0.0.0.0", generated))
    for host in _flag_values(args, "-H", "--host"):
        if host.startswith("tcp://"):
            hostname, port = tcp_address(host)
            listeners.append(TcpListener(port or (2376 if on else 2375), on, hostname, verify))
    return tuple(listeners)


_OFF = frozenset({"false", "0", "f", "FALSE", "False", "F"})


def tls_switches(service: Service, args: tuple[str, ...]) -> tuple[bool, bool] | None:
    """(TLS on, clients verified) by dockerd's own flags, None when an unresolved variable
    decides. ``--tlsverify`` in any form, ``--tlsverify=false`` included, or a non-empty
    ``DOCKER_TLS_VERIFY`` in dockerd's environment, forces TLS on whatever ``--tls`` says
    (moby/moby@0e90002:daemon/command/options.go, ``installFlags`` and ``setDefaultOptions``)."""
    verify_flags = [a for a in args if a.split("=", 1)[0] == "--tlsverify"]
    env_verify = service.environment.get("DOCKER_TLS_VERIFY")
    if env_verify is not None and not env_verify.known:
        return None
    if verify_flags or (env_verify is not None and env_verify.value):
        last = verify_flags[-1] if verify_flags else "--tlsverify"
        return True, last.partition("=")[2] not in _OFF
    tls_flags = [a for a in args if a.split("=", 1)[0] == "--tls"]
    on = bool(tls_flags) and tls_flags[-1].partition("=")[2] not in _OFF
    return on, False


# (mount type, source) → the daemons holding their socket there, with that mount, in order.
_HeldBy = dict[tuple[str, str | None], list[tuple[Daemon, Mount]]]


def _reaches(
    service: Service,
    services: dict[str, Service],
    held_by: _HeldBy,
    seen: set[str],
    host_docker_gid: int | None = None,
) -> tuple[Reach, ...]:
    """Sockets carried into ``service`` by its mounts and its ``volumes_from``."""
    reaches: list[Reach] = []
    for mount in service.volumes:
        reach = _reach_of_mount(mount, held_by, host_docker_gid)
        if reach is not None:
            reaches.append(reach)
    seen = seen | {service.name}
    for entry in service.volumes_from:
        source = services.get(entry.service or "")
        if source is None or source.name in seen:
            continue
        for inherited in _reaches(source, services, held_by, seen, host_docker_gid):
            reaches.append(
                Reach(
                    socket=inherited.socket,
                    path=inherited.path,
                    carrier=entry.span,
                    read_only=inherited.read_only or entry.read_only,
                    read_only_span=entry.span if entry.read_only else inherited.read_only_span,
                    via=f"volumes_from {source.name}",
                    holds_socket=inherited.holds_socket,
                    mount=inherited.mount,
                )
            )
    return tuple(reaches)


def _reach_of_mount(mount: Mount, held_by: _HeldBy, host_docker_gid: int | None) -> Reach | None:
    if not mount.known or mount.source is None:
        return None
    if mount.type == "bind":
        host = host_socket_reach(mount, host_docker_gid)
        if host is not None:
            return host
    for daemon, held in held_by.get((mount.type, mount.source), ()):
        inside = _relative(daemon.socket.path, held.target)
        if inside is None:
            continue
        landed = normalise(posixpath.join(mount.target, inside)) if inside else mount.target
        return Reach(
            daemon.socket,
            landed,
            mount.span,
            mount.read_only,
            mount.read_only_span,
            f"{mount.type} {mount.source}",
            True,
            mount,
        )
    return None


def host_socket_reach(mount: Mount, host_docker_gid: int | None = None) -> Reach | None:
    source = normalise(mount.source or "")
    if source in HOST_SOCKETS or ROOTLESS_SOCKET.match(source):
        socket_path, holds = source, True
    elif source in HOST_SOCKET_DIRS:
        socket_path, holds = posixpath.join(source, "docker.sock"), True
    elif source in HOST_SOCKET_ANCESTORS:
        socket_path, holds = DEFAULT_SOCKET, False
    else:
        return None
    inside = _relative(socket_path, source) if source != "/" else socket_path.lstrip("/")
    landed = normalise(posixpath.join(mount.target, inside)) if inside else mount.target
    if host_docker_gid is None:
        socket = Socket("host", socket_path, None, "the host's Docker daemon")
    else:
        socket = Socket(
            "host",
            socket_path,
            host_docker_gid,
            "`host-docker-gid` of the configuration",
            "the host",
        )
    return Reach(
        socket,
        landed,
        mount.span,
        mount.read_only,
        mount.read_only_span,
        f"bind {source}",
        holds,
        mount,
    )


def start_commands(service: Service, image: ImageIdentity | None) -> tuple[ScriptCommand, ...]:
    """What the container runs at start: compose's ``entrypoint:`` (which also clears the
    image's CMD) or the image's ENTRYPOINT, then compose's ``command:`` or the image's CMD."""
    inherited = image.start_commands if image is not None else ()
    out: list[ScriptCommand] = []
    if service.entrypoint is not None:
        out.extend(start_commands_of(service.entrypoint, "entrypoint"))
    else:
        out.extend(c for c in inherited if c.part == "entrypoint")
    if service.command is not None:
        out.extend(start_commands_of(service.command, "cmd"))
    elif service.entrypoint is None:
        out.extend(c for c in inherited if c.part == "cmd")
    return tuple(out)


def _identity(
    service: Service, image: ImageIdentity | None, started: tuple[ScriptCommand, ...] = ()
) -> Identity:
    declared = _declared_identity(service, image)
    if not declared.is_root:
        return declared
    switch = find_switch(started)
    if switch is None:
        return declared
    resolved = None
    # gosu's defaults are the current uid and gid: with `user: "0:GID"` a uid without a passwd
    # entry would keep GID, which the model does not follow (left unknown)
    explicit_start = ":" in (declared.spec or "")
    if switch.decides and switch.spec is not None and image is not None and not explicit_start:
        resolved = resolve_user(image, switch.spec)
    return Identity(switch.spec, switch.span, False, resolved, (), (), switch)


def _as_root(client: Client) -> list[tuple[ScriptCommand, tuple[str, ...]]]:
    """The start commands that run as root, with their words (a ``sudo`` in front dropped): all
    of them up to the first user switch when the container starts as root, else those run
    through ``sudo``."""
    starts_as_root = client.identity.switch is not None or client.identity.is_root
    out: list[tuple[ScriptCommand, tuple[str, ...]]] = []
    switched = False
    for command in client.start_commands:
        switched = switched or switch_of(command) is not None
        plain = without_sudo(command.words)
        if plain is not None and (plain.by_sudo or (starts_as_root and not switched)):
            out.append((command, plain.words))
    return out


def _landing(client: Client, path: str) -> Reach | None:
    """The socket that lands at ``path`` (or that a glob such as ``/var/run/*.sock`` names)."""
    if not path.startswith("/"):
        return None
    wanted = same_run_dir(normalise(path))
    for reach in client.reaches:
        landed = same_run_dir(reach.path)
        if landed == wanted or (set("*?[") & set(wanted) and fnmatch.fnmatchcase(landed, wanted)):
            return reach
    return None


def socket_file_changes(client: Client) -> list[tuple[ScriptCommand, SocketChange, Reach]]:
    """``chmod`` to world-writable, ``chown`` and ``chgrp`` of a socket that lands in the
    client, run as root at start."""
    out: list[tuple[ScriptCommand, SocketChange, Reach]] = []
    for command, words in _as_root(client):
        change = file_change(words)
        if change is None:
            continue
        for path in change.paths:
            reach = _landing(client, path)
            if reach is not None:
                out.append((command, change, reach))
                break
    return out


def socket_exports(client: Client) -> list[tuple[ScriptCommand, SocketExport, Reach]]:
    """socat re-exports over plain TCP of a socket that lands in the client."""
    out: list[tuple[ScriptCommand, SocketExport, Reach]] = []
    for command in client.start_commands:
        export = socket_export(command.words)
        if export is None:
            continue
        reach = _landing(client, export.path)
        if reach is not None:
            out.append((command, export, reach))
    return out


def _declared_identity(service: Service, image: ImageIdentity | None) -> Identity:
    """The identity compose or the image declares: ``user:``, else ``USER``, else default."""
    if service.user is not None:
        spec: str | None = service.user.value
        span: Span | None = service.user.span
        from_compose = True
        if not service.user.known:
            return Identity(spec, span, True, None, service.group_add, service.user.unresolved)
    elif image is not None and image.user is not None:
        spec, span, from_compose = image.user.value, image.user.span, False
    else:
        spec, span, from_compose = None, None, False
    if image is not None:
        resolved = resolve_user(image, spec)
    else:
        resolved = _root_if_obvious(spec)
    return Identity(spec, span, from_compose, resolved, service.group_add)


def _root_if_obvious(spec: str | None) -> ResolvedUser | None:
    """Without a model of the image only uid 0 is certain (root is uid 0 everywhere)."""
    user = (spec or "").split(":", 1)[0]
    if user in ("0", "root"):
        return ResolvedUser(
            spec or "", 0, "root", None, (), user == "root", ":" in (spec or ""), False
        )
    return None


def _alignment(service: Service, image: ImageIdentity | None) -> Span | None:
    """Runtime GID alignment: in the image's entrypoint script, or inline in compose."""
    for value in (service.entrypoint, service.command):
        if value is not None:
            text = value.value if isinstance(value.value, str) else " ".join(value.value)
            if detect_alignment(text):
                return value.span
    if service.entrypoint is not None:
        return None  # an overridden entrypoint bypasses the image's script
    return image.alignment if image is not None else None
