"""DIND1xx: how sockets and endpoints are mounted and named."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from dindlint.checks.base import Context, environment_owners
from dindlint.checks.membership import writes_compose_keys
from dindlint.findings import Found, RemoveEntry, Repair, ReplaceText
from dindlint.model import Mount, Service
from dindlint.source import Span
from dindlint.topology import (
    DEFAULT_SOCKET,
    HOST_SOCKET_DIRS,
    HOST_SOCKETS,
    Reach,
    host_socket_reach,
    normalise,
    same_run_dir,
    socketless_landings,
    tcp_address,
)

# Filtering proxies: the proxy is the mitigation, its own socket mount is expected (DIND101).
SOCKET_PROXY_IMAGES = (
    "tecnativa/docker-socket-proxy",
    "linuxserver/socket-proxy",
    "wollomatic/socket-proxy",
)


# Other proxies by the name of their image (``…/docker-socket-proxy``, ``…/socket-proxy``,
# ``…/docker-proxy``, mirrors and forks included), and by the API sections their environment
# allows or denies with 1/0 (tecnativa/docker-socket-proxy and linuxserver/socket-proxy read
# `CONTAINERS=1`, `POST=0`, …).
_PROXY_NAME = re.compile(r"socket-proxy|docker-proxy")
_PROXY_SECTIONS = frozenset(
    {
        "CONTAINERS", "POST", "IMAGES", "NETWORKS", "VOLUMES", "SERVICES", "TASKS", "INFO",
        "EVENTS", "PING", "VERSION", "EXEC", "BUILD", "COMMIT", "CONFIGS", "SECRETS", "NODES",
        "PLUGINS", "SWARM", "SYSTEM", "AUTH", "DISTRIBUTION", "SESSION", "ALLOW_START",
        "ALLOW_STOP", "ALLOW_RESTARTS",
    }
)  # fmt: skip


def _repository(image: str) -> str:
    return (
        image.split("@", 1)[0].rsplit(":", 1)[0]
        if ":" in image.rsplit("/", 1)[-1]
        else image.split("@", 1)[0]
    )


@functools.lru_cache(maxsize=1024)  # (an image is usually named by many services)
def _is_socket_proxy(image: str | None) -> bool:
    if not image:
        return False
    repository = _repository(image)
    if any(repository == p or repository.endswith("/" + p) for p in SOCKET_PROXY_IMAGES):
        return True
    return bool(_PROXY_NAME.search(repository.rsplit("/", 1)[-1].lower()))


def _proxy_settings(service: Service) -> bool:
    """The environment of a filtering proxy: at least two API sections set to 0 or 1."""
    sections = [
        key
        for key, value in service.environment.items()
        if key in _PROXY_SECTIONS and value.known and (value.value or "").strip() in ("0", "1")
    ]
    return len(sections) >= 2


def is_socket_proxy(service: Service) -> bool:
    """A filtering socket proxy, by its image's name or by the API sections it is set to
    allow or deny: the proxy is the mitigation DIND101 advises."""
    image = service.image.value if service.image and service.image.known else None
    return _is_socket_proxy(image) or _proxy_settings(service)


def readonly_socket_mount(ctx: Context) -> Iterator[Found]:
    """DIND101: `:ro` on a socket or the folder that holds it is no protection."""
    compose_keys = writes_compose_keys(ctx)  # (a GitLab CI job's mounts are the runner's)
    hint = ""
    for name, client in ctx.topology.clients.items():
        if is_socket_proxy(client.service):
            continue  # the proxy is the mitigation: its `:ro` restricts nothing, and harms nothing
        for reach in client.reaches:
            if reach.read_only and reach.holds_socket:
                hint = hint or _proxy_hint(ctx)
                yield Found(
                    f"{name} mounts {_what(reach)} read-only, but `:ro` does not restrict the "
                    "Docker API (connect() needs only write permission on the socket inode): it "
                    "neither protects the daemon nor causes `permission denied`",
                    reach.read_only_span or reach.carrier,
                    _daemon_related(reach),
                    hint=hint,
                    repair=_read_write(reach, client.service.span if compose_keys else None),
                )


def _proxy_hint(ctx: Context) -> str:
    """DIND101's hint: the project's socket proxy, if it has one (looked for only once a
    finding needs it: every service of a large project was looked at for none)."""
    compose = ctx.project.compose
    proxies = sorted(
        n for n, s in (compose.services.items() if compose else ()) if is_socket_proxy(s)
    )
    if proxies:
        return f"for read-only API access, go through the project's socket proxy `{proxies[0]}`"
    return "for read-only API access, use a filtering socket proxy"


def _read_write(reach: Reach, service: Span | None) -> Repair | None:
    """DIND101's fix (unsafe: the mount gives the API either way, but the author wrote `:ro`):
    ``:ro`` off a short-syntax entry, the ``read_only: true`` line off a long one; only where
    the client ``service`` (its key) writes it itself."""
    mount = reach.mount
    if mount is None or mount.read_only_span is None or not mount.known:
        return None
    if mount.short_syntax:
        # the span is the `ro`; the text replaced starts at the target, earlier on its line
        line = mount.read_only_span._replace(col=1)
        old, new = f":{mount.target}:ro", f":{mount.target}"
        label = "Remove `:ro` from the socket's mount"
        return ReplaceText(line, old, new, False, label, service=service)
    return RemoveEntry(mount.read_only_span, "read_only: true", False, service)


def _what(reach: Reach) -> str:
    if reach.socket.kind == "host":
        return f"the host's Docker socket ({reach.via})"
    return f"the socket of {reach.socket.daemon} ({reach.via}, socket at {reach.path})"


def _daemon_related(reach: Reach) -> tuple[tuple[Span, str], ...]:
    if reach.socket.span is None:
        return ()
    return ((reach.socket.span, f"socket provided by {reach.socket.daemon or 'the host'}"),)


def host_socket_mount(ctx: Context) -> Iterator[Found]:
    """DIND102: the host's socket (or a folder above it) in a container, or use_api_socket."""
    compose = ctx.project.compose
    if compose is None:
        return
    for name, service in sorted(compose.services.items()):
        if service.use_api_socket is not None and service.use_api_socket.value:
            yield Found(
                f"{name} sets `use_api_socket: true`: compose mounts the engine's API socket and "
                "the user's registry credentials into the container; control of the daemon is "
                "root on the host",
                service.use_api_socket.span,
            )
        for mount in service.volumes:
            if mount.type != "bind" or not mount.known or mount.source is None:
                continue
            reach = host_socket_reach(mount)
            if reach is None:
                continue
            what = (
                "the host's Docker socket"
                if reach.holds_socket and normalise(mount.source) == reach.socket.path
                else f"`{normalise(mount.source)}`, which holds the host's Docker socket"
            )
            yield Found(
                f"{name} bind-mounts {what}: whoever controls this container controls the host's "
                "Docker daemon, which is root on the host",
                mount.span,
            )


def docker_host_unreachable(ctx: Context) -> Iterator[Found]:
    """DIND103: DOCKER_HOST names a Unix socket no mount provides, or the socket lands
    elsewhere."""
    for name, client in ctx.topology.clients.items():
        service = client.service
        host = client.docker_host
        if any(not m.known for m in service.volumes):
            continue
        if host is None or host.value is None:
            if service.missing_env_files:
                continue  # a missing env_file may set DOCKER_HOST (DIND003)
            yield from _default_path_missed(name, client.reaches)
            continue
        if not host.known or not host.value.startswith("unix://"):
            continue
        path = normalise(host.value[len("unix://") :])
        if not path.startswith("/"):
            continue  # a relative path is an invalid DOCKER_HOST (DIND108), not this rule
        if any(same_run_dir(r.path) == same_run_dir(path) for r in client.reaches):
            continue
        missing = _no_socket_there(ctx, name, path, host.span, client.reaches)
        if missing is not None:
            yield missing
            continue
        daemon_reaches = [r for r in client.reaches if r.socket.kind == "daemon"]
        if daemon_reaches:
            reach = daemon_reaches[0]
            yield Found(
                f"{name} sets `DOCKER_HOST={host.value}`, but the socket of "
                f"{reach.socket.daemon} lands at {reach.path} in this container ({reach.via})",
                host.span,
                ((reach.carrier, "the socket lands here"),),
            )
        elif not _covered_by_mount(service, path):
            yield Found(
                f"{name} sets `DOCKER_HOST={host.value}`, but no volume or bind of {name} "
                f"provides a socket at {path}: the client will find nothing to connect to",
                host.span,
            )


def _no_socket_there(
    ctx: Context, name: str, path: str, span: Span, reaches: tuple[Reach, ...]
) -> Found | None:
    """The client looks at ``path`` through a daemon's mount, but that daemon serves no unix
    socket: a command starting with ``dockerd`` listens only where its ``--host`` flags say
    (docker-library/docker#396)."""
    if any(same_run_dir(r.path) == same_run_dir(path) for r in reaches):
        return None
    client = ctx.topology.clients[name].service
    for landing, daemon, mount in socketless_landings(client, ctx.topology.daemons):
        if same_run_dir(landing) != same_run_dir(path):
            continue
        daemon_name = daemon.service.name
        where = daemon.service.command.span if daemon.service.command else daemon.service.span
        return Found(
            f"{name} sets `DOCKER_HOST=unix://{path}` to the socket of {daemon_name} "
            f"({mount.type} {mount.source}), but {daemon_name} serves no unix socket: its "
            "command starts with `dockerd` and its `--host` flags name only TCP listeners",
            span,
            ((where, f"{daemon_name}'s listeners are set here"),),
            hint="add `--host=unix:///var/run/docker.sock` to the daemon's command, or connect "
            "over TCP",
        )
    return None


def _covered_by_mount(service: Service, path: str) -> bool:
    """Some mount (or volumes_from) puts something at ``path`` or a folder above it."""
    if service.volumes_from:
        return True
    for mount in service.volumes:
        target = same_run_dir(mount.target.rstrip("/") or "/")
        wanted = same_run_dir(path)
        if wanted == target or wanted.startswith(target.rstrip("/") + "/"):
            return True
    return False


def _default_path_missed(name: str, reaches: tuple[Reach, ...]) -> Iterator[Found]:
    """DOCKER_HOST unset: clients look at /var/run/docker.sock (moby@b985e23:
    client/client_unix.go:13)."""
    daemon_reaches = [r for r in reaches if r.socket.kind == "daemon"]
    if not daemon_reaches:
        return
    if any(same_run_dir(r.path) == same_run_dir(DEFAULT_SOCKET) for r in reaches):
        return
    reach = daemon_reaches[0]
    yield Found(
        f"the socket of {reach.socket.daemon} lands at {reach.path} in {name} ({reach.via}), "
        f"but `DOCKER_HOST` is unset, so Docker clients look for {DEFAULT_SOCKET}",
        reach.carrier,
        severity="warning",
    )


def socket_source_is_named_volume(ctx: Context) -> Iterator[Found]:
    """DIND105: `docker.sock:/var/run/docker.sock` mounts a named volume, not the socket."""
    compose = ctx.project.compose
    if compose is None:
        return
    for service in compose.services.values():
        for mount in service.volumes:
            if not (mount.short_syntax and mount.type == "volume" and mount.source):
                continue
            if mount.source.endswith(".sock") or "docker.sock" in mount.source:
                yield Found(
                    f"`{mount.source}` does not start with `/`, `.` or `~`, so compose mounts a "
                    f"named volume called `{mount.source}` at {mount.target}, not a socket",
                    mount.span,
                    hint="write the absolute path, e.g. `/var/run/docker.sock`",
                )


# Docker Desktop and Colima host-side socket paths: bind sources resolve inside the VM
# (docker/for-mac#7382, abiosoft/colima#382), so these paths do not exist where the bind is made.
_VM_SOCKET = re.compile(
    r"(^|/)\.docker/run/docker\.sock$|(^|/)(\.config/)?\.?colima/([^/]+/)?"
    r"docker\.sock$"
)


def is_vm_socket_bind(mount: Mount) -> bool:
    """A Docker Desktop / Colima host-side socket path as a bind source (DIND106)."""
    source = mount.source or ""
    if mount.type != "bind" or not _VM_SOCKET.search(source):
        return False
    return set(mount.unresolved) <= {"HOME"}


def vm_host_socket_path(ctx: Context) -> Iterator[Found]:
    """DIND106: a Docker Desktop or Colima host-side socket path as a bind source."""
    compose = ctx.project.compose
    if compose is None:
        return
    for name, service in sorted(compose.services.items()):
        for mount in service.volumes:
            if is_vm_socket_bind(mount):
                written = mount.source if not mount.unresolved else f"$HOME{mount.source}"
                yield Found(
                    f"{name} binds `{written}`, the host-side socket path of Docker Desktop or "
                    "Colima: bind sources are resolved inside their VM, not on your machine, so "
                    "this does not mount the daemon's socket",
                    mount.span,
                    hint="bind `/var/run/docker.sock` (the VM's socket) instead",
                )


_SCHEMES = ("unix", "tcp", "ssh", "npipe", "http", "https")


def _docker_host_problem(value: str) -> tuple[str, str | None] | None:
    """What is wrong with a DOCKER_HOST value and what clients do with it (moby@b985e23:
    client/client.go:380-400; docker/docker-py@afc6d1e:docker/utils/utils.py:237-306)."""
    scheme, sep, rest = value.partition("://")
    if not sep:
        return (
            (
                "has no scheme (`unix://`, `tcp://`, `ssh://`, `npipe://`); the Docker CLI "
                "fails with `unable to parse docker host`"
            ),
            None,
        )
    if scheme.lower() not in _SCHEMES:
        return f"has an unknown scheme `{scheme}://`; no Docker client connects through it", None
    if scheme == "unix" and not rest.startswith("/"):
        return (
            (
                f"names a relative socket path (`unix://` followed by `{rest}`): clients look "
                "for it relative to their working directory"
            ),
            f"write `unix:///{rest}`",
        )
    if scheme == "tcp" and tcp_address(value)[1] is None:
        return (
            "has no port; the Docker SDK for Python rejects it (`port is required`)",
            "write `tcp://HOST:2376` (TLS) or `tcp://HOST:2375`",
        )
    return None


def invalid_docker_host(ctx: Context) -> Iterator[Found]:
    """DIND108: a ``DOCKER_HOST`` that no Docker client can parse."""
    for name, service in environment_owners(ctx):
        host = service.environment.get("DOCKER_HOST")
        if host is None or not host.value or not host.known:
            continue
        problem = _docker_host_problem(host.value)
        if problem is not None:
            what, hint = problem
            yield Found(
                f"{name} sets `DOCKER_HOST={host.value}`, which {what}",
                host.span,
                hint=hint,
                repair=None if host.interpolated else _valid_docker_host(host.value, host.span),
            )


def _valid_docker_host(value: str, span: Span) -> ReplaceText | None:
    """DIND108's fix, where the intent is plain: a relative ``unix://`` path made absolute
    (``unix://dind/docker.sock`` → ``unix:///dind/docker.sock``), an absolute path given its
    scheme (``/var/run/docker.sock`` → ``unix:///var/run/docker.sock``)."""
    if value.startswith("unix://") and not value.startswith("unix:///"):
        return ReplaceText(span, value, "unix:///" + value.removeprefix("unix://"))
    if value.startswith("/") and "://" not in value:
        return ReplaceText(span, value, "unix://" + value)
    return None


_DRIVE = re.compile(r"^([A-Za-z]):(/.*)$")


def single_letter_volume_is_a_drive(ctx: Context) -> Iterator[Found]:
    """DIND109: ``s:/var/run`` is a Windows drive path, not the named volume ``s``
    (compose-go ``format/volume.go``, ``isWindowsDrive``)."""
    compose = ctx.project.compose
    if compose is None:
        return
    for name, service in sorted(compose.services.items()):
        for mount in service.volumes:
            if not mount.short_syntax or mount.type != "volume" or mount.source is not None:
                continue
            match = _DRIVE.match(mount.target)
            if match is None:
                continue
            letter, path = match.groups()
            wanted = normalise(path)
            socket_path = (
                wanted in HOST_SOCKETS or wanted in HOST_SOCKET_DIRS or wanted.endswith(".sock")
            )
            if letter not in compose.volumes and not socket_path:
                continue
            lost = (
                f"the named volume `{letter}` is never mounted"
                if letter in compose.volumes
                else f"nothing is mounted at {wanted}"
            )
            yield Found(
                f"{name} mounts `{mount.target}`: compose reads a one-letter source followed by "
                f"`:` as a Windows drive, so this is an anonymous volume at `{mount.target}` and "
                f"{lost}",
                mount.span,
                hint=f"give the volume a name of two or more letters (`{letter}{letter}:{path}`), "
                "or use the long syntax",
            )
