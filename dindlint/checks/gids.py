"""DIND2xx: group ids that decide socket access."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from dindlint.access import (
    Denial,
    describe_user,
    distinct_sockets,
    socket_owner,
    verdict,
)
from dindlint.checks.base import Context, dockerfile_events
from dindlint.checks.membership import add_socket_group
from dindlint.findings import Found, ReplaceText
from dindlint.model import Dockerfile, GroupCreated, IdInUse, parse_id
from dindlint.source import Span
from dindlint.topology import Client


def auto_assigned_docker_gid(ctx: Context) -> Iterator[Found]:
    """DIND201: a `docker` group created without an explicit GID."""
    for dockerfile in ctx.project.dockerfiles:
        if _realigns_at_runtime(ctx, dockerfile):
            continue
        known = _known_socket_gid(ctx, dockerfile.path)
        events = ctx.topology.dockerfile_events(dockerfile)
        for position, event in enumerate(events):
            if not isinstance(event, GroupCreated) or event.name != "docker":
                continue
            if event.gid_written is not None:
                continue
            if _recreated_later(dockerfile, event, events[position + 1 :]):
                continue
            how = "a package install creates" if event.by_package else "this command creates"
            message = (
                f"{how} group `docker` without a GID, so it gets whatever GID is free at "
                "build time; it will not reliably match the socket's group"
            )
            hint = None
            if known is not None:
                hint = f"give it the GID of the socket this image reaches: {known[0]} ({known[1]})"
            yield Found(message, event.span, hint=hint, repair=_with_gid(ctx, dockerfile, event))


def _recreated_later(
    dockerfile: Dockerfile, event: GroupCreated, later: tuple[object, ...]
) -> bool:
    """``apt-get install docker-ce && (groupdel docker || true) && groupadd -g N docker``: a
    later command of the same stage (or of a stage built FROM it) creates `docker` again,
    unconditionally, so the group the image ends with is that one (judged on its own)."""
    by_name = {s.name.lower(): s.index for s in dockerfile.stages if s.name}
    parent = {s.index: by_name.get(s.base.value.lower()) for s in dockerfile.stages}

    def descends(index: int | None) -> bool:
        seen: set[int] = set()
        while index is not None and index not in seen:
            if index == event.stage_index:
                return True
            seen.add(index)
            index = parent.get(index)
        return False

    return any(
        isinstance(other, GroupCreated)
        and other.name == "docker"
        and not other.conditional
        and descends(other.stage_index)
        for other in later
    )


def _with_gid(ctx: Context, dockerfile: Dockerfile, event: GroupCreated) -> ReplaceText | None:
    """DIND201's fix: ``addgroup``/``groupadd`` given ``-g GID``, the GID of the one daemon
    socket the services built from this Dockerfile reach (none when they reach several GIDs,
    or the group comes from a package install)."""
    if event.by_package or event.conditional or event.command not in ("addgroup", "groupadd"):
        return None
    gids = {
        reach.socket.gid
        for client in ctx.topology.clients.values()
        if ctx.project.builds.get(client.service.name) is dockerfile
        for reach in client.reaches
        if reach.socket.kind == "daemon"
    }
    if len(gids) != 1 or None in gids:
        return None
    (gid,) = gids
    tool = event.command
    label = f"Give `docker` GID {gid}"
    option = event.gid_option  # (Debian's addgroup takes `--gid` only)
    return ReplaceText(
        event.span, f"{tool} ", f"{tool} {option} {gid} ", label=label, anchored=True
    )


def _realigns_at_runtime(ctx: Context, dockerfile: Dockerfile) -> bool:
    clients = [
        c
        for c in ctx.topology.clients.values()
        if ctx.project.builds.get(c.service.name) is dockerfile
    ]
    if clients:
        return any(c.alignment is not None for c in clients)
    return ctx.topology.dockerfile_identity(dockerfile).alignment is not None


def _known_socket_gid(ctx: Context, path: Path) -> tuple[int, str] | None:
    for client in ctx.topology.clients.values():
        built = ctx.project.builds.get(client.service.name)
        if built is None or built.path != path:
            continue
        for reach in client.reaches:
            if reach.socket.gid is not None:
                return reach.socket.gid, f"{reach.socket.provenance}, service {reach.socket.daemon}"
    return None


def docker_gid_mismatch(ctx: Context) -> Iterator[Found]:
    """DIND202: the client expects access through a GID that is not the socket's."""
    for name, client in ctx.topology.clients.items():
        for reach in distinct_sockets(client.reaches):
            result = verdict(client, reach)
            if result.cause is not Denial.GID_MISMATCH:
                continue
            socket = reach.socket
            span = result.wrong_gid_span or reach.carrier
            related = [(reach.carrier, f"the socket lands at {reach.path}")]
            if socket.span is not None:
                related.append((socket.span, f"socket group decided here ({socket.provenance})"))
            yield Found(
                f"{name} runs as {describe_user(client)} and expects socket access through GID "
                f"{result.wrong_gid}, but {reach.path} belongs to {socket_owner(reach)}: "
                "connect() fails with `permission denied`",
                span,
                tuple(related),
                hint="give the client the socket's GID: add it to `group_add`, or create the "
                "image's group with that GID",
                repair=add_socket_group(ctx, client, reach) if socket.kind != "host" else None,
            )


def id_or_name_in_use(ctx: Context) -> Iterator[Found]:
    """DIND203: a group or user created with a name or id that is already taken."""
    for event, _ in dockerfile_events(ctx, IdInUse):
        if event.conditional:
            continue  # `getent group 999 || addgroup -g 999 …` guards itself
        if event.handled and not _ignores(event.handled):
            continue  # `groupadd -g N x || groupadd x`: the fallback decides, outcome unknown
        what, value, holder, command = event.what, event.value, event.taken_by, event.command
        origin = "the base image" if event.taken_at is None else _short(event.taken_at)
        if what in ("gid", "uid"):
            owner = "group" if what == "gid" else "user"
            taken = f"{what} {value} already belongs to {owner} `{holder}` ({origin})"
        else:
            taken = f"{what} `{value}` already exists ({origin})"
        if event.handled:
            yield Found(
                f"`{command}` fails here: {taken}; `{event.handled}` ignores the failure, so the "
                f"build goes on but `{command}` changes nothing",
                event.span,
                severity="warning",
            )
            continue
        yield Found(
            f"`{command}` fails here: {taken}, so the build stops",
            event.span,
        )


# Fallbacks that change no user or group: with them, the failed command just changes nothing.
_NO_OP_FALLBACKS = frozenset({"true", ":", "echo", "printf", "exit"})


def _ignores(handled: str) -> bool:
    """``|| true``, ``|| :``, ``|| echo …``, ``|| exit 0``, ``; true``: the failure is ignored
    (a fallback ``exit`` that fails is never recorded as handling it)."""
    words = handled.split()
    return handled.startswith(";") or (len(words) == 2 and words[1] in _NO_OP_FALLBACKS)


def _short(where: Span) -> str:
    """``/abs/path/Dockerfile:3`` → ``created at Dockerfile:3``."""
    return f"created at {where.path.name}:{where.line}"


def group_add_by_name(ctx: Context) -> Iterator[Found]:
    """DIND204: ``group_add`` by name resolves in the container's /etc/group, not the host's."""
    compose = ctx.project.compose
    if compose is None:
        return
    for name, service in sorted(compose.services.items()):
        image = ctx.topology.images.get(name)
        for entry in service.group_add:
            if not entry.known or entry.interpolated or parse_id(entry.value) is not None:
                continue
            if image is not None and image.base_known and entry.value not in image.groups:
                yield Found(
                    f"`group_add: {entry.value}` names a group that {image.description} does not "
                    f"have: the container fails to start (`unable to find group {entry.value}`)",
                    entry.span,
                    severity="error",
                )
            elif name in ctx.topology.clients and any(
                r.socket.kind == "host" for r in ctx.topology.clients[name].reaches
            ):
                known = image.groups.get(entry.value) if image is not None else None
                inside = (
                    f" (GID {known.gid} in {image.description})"
                    if known is not None and known.gid is not None and image
                    else ""
                )
                yield Found(
                    f"`group_add: {entry.value}` is resolved in the container's `/etc/group`"
                    f"{inside}, not the host's: it grants the socket only if that GID happens to "
                    "be the socket's",
                    entry.span,
                    hint="give the GID as a number",
                )


def hardcoded_host_docker_gid(ctx: Context) -> Iterator[Found]:
    """DIND205: a client of the host socket relies on a literal docker GID."""
    for name, client in ctx.topology.clients.items():
        host = [r.socket for r in client.reaches if r.socket.kind == "host"]
        if not host or not _known_non_root(client):
            continue
        if any(entry.interpolated for entry in client.identity.group_add):
            continue  # the GID is given per machine already (`${DOCKER_GID}`)
        # the host's GID configured (`host-docker-gid`): a literal that differs is a denial
        # (DIND202, DIND301), not a GID that "works where it happens to match"
        known = {s.gid for s in host if s.gid is not None}
        for span, what in _literal_gids(client):
            if known and parse_id(what) not in known:
                continue
            yield Found(
                f"{name} reaches the host's socket through the literal GID {what}; the docker "
                "GID differs between hosts, so this works only where it happens to match",
                span,
                hint='use `group_add: ["${DOCKER_GID:?set DOCKER_GID}"]` filled from '
                "`stat -c %g /var/run/docker.sock`",
            )
            break  # one finding per client


def _known_non_root(client: Client) -> bool:
    """The process is known not to run as uid 0 (a numeric `user:` says so even when the image
    is not modelled)."""
    resolved = client.identity.resolved
    if resolved is not None:
        return resolved.uid != 0
    user = (client.identity.spec or "").split(":", 1)[0]
    return parse_id(user) not in (None, 0)


def _literal_gids(client: Client) -> Iterator[tuple[Span, str]]:
    for entry in client.identity.group_add:
        if entry.known and not entry.interpolated and parse_id(entry.value) is not None:
            yield entry.span, entry.value
    service_user = client.service.user
    if (
        service_user is not None
        and service_user.known
        and not service_user.interpolated
        and ":" in service_user.value
    ):
        group = service_user.value.split(":", 1)[1]
        if parse_id(group) is not None:
            yield service_user.span, group
    user = client.identity.resolved
    docker = client.image.groups.get("docker") if client.image is not None else None
    if (
        docker is not None
        and docker.gid is not None
        and docker.span is not None
        and user
        and "docker" in {n for n, _ in user.supplementary}
        and not _given_per_machine(client, str(docker.gid))
    ):
        yield docker.span, str(docker.gid)


def _given_per_machine(client: Client, gid: str) -> bool:
    """The GID is the value of a build argument compose interpolates (`DOCKER_GID:
    ${DOCKER_GID:-999}`): each machine builds the image with its own."""
    build = client.service.build
    return build is not None and any(
        arg.interpolated and arg.value == gid for arg in build.args.values()
    )
