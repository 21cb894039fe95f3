"""DIND3xx: the client's user and its group memberships."""

from __future__ import annotations

from collections.abc import Iterator

from dindlint.access import (
    Denial,
    describe_user,
    distinct_sockets,
    socket_owner,
    verdict,
)
from dindlint.checks.base import Context, dockerfile_events
from dindlint.findings import AddGroup, Found, ReplaceText
from dindlint.model import AdduserIgnoresGroup, UnknownName, UsermodReplaces
from dindlint.source import Span
from dindlint.topology import Client, Reach


def _denials(ctx: Context, cause: Denial) -> Iterator[tuple[str, Client, Reach]]:
    for name, client in ctx.topology.clients.items():
        if client.identity.switch is not None:
            continue  # the user an entrypoint switches to: DIND307
        for reach in distinct_sockets(client.reaches):
            if verdict(client, reach).cause is cause:
                yield name, client, reach
                break  # one finding per cause and client


def _where(client: Client, reach: Reach) -> tuple[Span, tuple[tuple[Span, str], ...]]:
    """The compose ``user:`` when compose sets it, else the entry that carries the socket."""
    related: list[tuple[Span, str]] = []
    if client.identity.from_compose and client.identity.spec_span is not None:
        primary = client.identity.spec_span
        related.append((reach.carrier, f"the socket lands at {reach.path}"))
    else:
        primary = reach.carrier
        if client.identity.spec_span is not None:
            related.append((client.identity.spec_span, "the effective user is set here"))
    if reach.socket.span is not None:
        related.append(
            (reach.socket.span, f"socket group decided here ({reach.socket.provenance})")
        )
    return primary, tuple(related)


def _socket_group_names(client: Client, reach: Reach) -> set[str]:
    """The names the client's image may know the socket's group by: `docker`, and any group
    of the image with the socket's GID."""
    names = {"docker"}
    if client.image is not None and reach.socket.gid is not None:
        names |= {g.name for g in client.image.groups.values() if g.gid == reach.socket.gid}
    return names


def _reported_membership_events(ctx: Context) -> set[object]:
    """The events of the project's Dockerfiles that DIND304, DIND305 and DIND306 report."""
    reported: set[object] = set()
    for kind in (UsermodReplaces, AdduserIgnoresGroup, UnknownName):
        reported |= {event for event, _ in dockerfile_events(ctx, kind)}
    return reported


def _explained(client: Client, reach: Reach, reported: set[object]) -> bool:
    """One finding per cause: the user's missing membership in the socket's group is already
    reported on the Dockerfile that builds the client (DIND304, DIND305 or DIND306: one of the
    ``reported`` events)."""
    return explaining_rule(client, reach, reported) is not None


def explaining_rule(client: Client, reach: Reach, reported: set[object] | None) -> str | None:
    """The rule that reports, on the client's Dockerfile, why its user misses the socket's
    group (DIND304, DIND305 or DIND306), among the ``reported`` events (None: any of its image's
    events); None when none does. ``dindlint graph`` names it as ``check`` does."""
    user = client.identity.resolved
    if client.image is None or user is None or not user.name:
        return None
    groups = _socket_group_names(client, reach)
    for event in client.image.events:
        if reported is not None and event not in reported:
            continue
        if isinstance(event, AdduserIgnoresGroup):
            if event.user == user.name and event.group in groups:
                return "DIND305"
        elif isinstance(event, UsermodReplaces):
            if event.user == user.name and bool(groups & set(event.removed)):
                return "DIND304"
        elif (  # the socket's group missing when referenced: the command (and build) fails
            isinstance(event, UnknownName) and event.what == "group" and event.name in groups
        ):
            return "DIND306"
    return None


def user_cannot_access_socket(ctx: Context) -> Iterator[Found]:
    """DIND301: a non-root client user with none of the socket's groups."""
    reported: set[object] | None = None  # worked out at the first denial
    for name, client, reach in _denials(ctx, Denial.NOT_MEMBER):
        if reported is None:
            reported = _reported_membership_events(ctx)
        if _explained(client, reach, reported):
            continue  # DIND304/305/306 on its Dockerfile says why
        span, related = _where(client, reach)
        if reach.socket.kind == "host":
            message = (
                f"{name} runs as {describe_user(client)}: no group named `docker` and no "
                f"`group_add`, so connect() to {reach.path} (the host's socket, "
                "`root:<docker gid> 0660`) fails with `permission denied`"
            )
            hint = 'add `group_add: ["${DOCKER_GID:?set DOCKER_GID}"]`'
            repair = add_socket_group(ctx, client, reach)
        else:
            gid = reach.socket.gid
            message = (
                f"{name} runs as {describe_user(client)}, but {reach.path} in this "
                f"container belongs to {socket_owner(reach)}: connect() fails with "
                "`permission denied`"
            )
            hint = f'add `group_add: ["{gid}"]`'
            repair = add_socket_group(ctx, client, reach)
        yield Found(message, span, related, hint=hint, repair=repair)


def writes_compose_keys(ctx: Context) -> bool:
    """Whether a fix may add compose keys to the project's services: not to a GitLab CI job's
    (its services are the model of a job, written in another language)."""
    return ctx.project.compose is None or ctx.project.compose.ci is None


# the entry a fix adds for the host's socket: its GID differs per machine, so compose must be
# told it (and stops with this message when it is not)
HOST_GID_ENTRY = "${DOCKER_GID:?set DOCKER_GID to the GID of /var/run/docker.sock}"


def add_socket_group(ctx: Context, client: Client, reach: Reach) -> AddGroup | None:
    """The fix of a membership the client lacks: the socket's GID in its ``group_add`` (safe
    for a daemon service's socket, whose GID the model knows; unsafe for the host's, which
    needs ``DOCKER_GID`` set on each machine). None for a GitLab CI job: it has no compose
    keys to add."""
    if not writes_compose_keys(ctx):
        return None
    if reach.socket.kind == "host":
        entry, safe = HOST_GID_ENTRY, False
    elif reach.socket.gid is not None and reach.socket.gid != 0:
        entry, safe = str(reach.socket.gid), True
    else:
        return None
    service = client.service
    return AddGroup(entry, service.span, tuple(g.span for g in service.group_add), safe)


def explicit_group_drops_membership(ctx: Context) -> Iterator[Found]:
    """DIND302: ``user: NAME:GROUP`` keeps only that group."""
    for name, client, reach in _denials(ctx, Denial.EXPLICIT_GROUP):
        span, related = _where(client, reach)
        span = client.identity.spec_span or span
        yield Found(
            f"{name} runs as `{client.identity.spec}`: with an explicit group the process gets "
            f"only that group ({describe_user(client)}), so the `/etc/group` membership that "
            f"grants access to {reach.path} is dropped",
            span,
            related,
            hint="use the user alone, or add the socket's group with `group_add`",
            repair=add_socket_group(ctx, client, reach),
        )


def numeric_user_without_passwd_entry(ctx: Context) -> Iterator[Found]:
    """DIND303: ``user: "N"`` with no passwd entry gets GID 0 and no supplementary groups."""
    for name, client, reach in _denials(ctx, Denial.NO_PASSWD_ENTRY):
        span, related = _where(client, reach)
        image = client.image.description if client.image else "the image"
        yield Found(
            f"{name} runs as uid {client.identity.spec}, which has no entry in the passwd file "
            f"of {image}: the process gets primary GID 0 and no supplementary groups, so the "
            f"image's group membership for {reach.path} does not apply",
            span,
            related,
            repair=add_socket_group(ctx, client, reach),
        )


def usermod_replaces_groups(ctx: Context) -> Iterator[Found]:
    """DIND304: ``usermod -G LIST USER`` without ``-a`` replaces every supplementary group."""
    for event, _ in dockerfile_events(ctx, UsermodReplaces):
        user, groups = event.user, ",".join(event.groups)
        lost = f"; here it drops {user} from {_listed(event.removed)}" if event.removed else ""
        yield Found(
            f"`usermod -G {groups} {user}` without `-a` replaces {user}'s supplementary groups "
            f"with `{groups}` instead of adding to them{lost}",
            event.span,
            hint=f"use `usermod -aG {groups} {user}`",
            repair=ReplaceText(event.span, "usermod -G", "usermod -aG"),
        )


def _listed(names: tuple[str, ...]) -> str:
    return ", ".join(f"`{n}`" for n in names if n)


def busybox_adduser_ignores_group(ctx: Context) -> Iterator[Found]:
    """DIND305: busybox ``adduser -D app docker`` silently ignores the group argument."""
    for event, _ in dockerfile_events(ctx, AdduserIgnoresGroup):
        user, group = event.user, event.group
        yield Found(
            f"busybox `adduser` ignores the group argument `{group}` when any option is given: "
            f"{user} is created but not added to {group}",
            event.span,
            hint=f"add `addgroup {user} {group}` after it",
            repair=_adduser_then_addgroup(event),
        )


def _adduser_then_addgroup(event: AdduserIgnoresGroup) -> ReplaceText | None:
    """DIND305's fix: ``adduser [opts] USER GROUP`` → ``adduser [opts] USER && addgroup USER
    GROUP``, for a command that runs unconditionally (the edit is made only where ``USER
    GROUP`` is written once, from the command on)."""
    if event.conditional:
        return None
    user, group = event.user, event.group
    return ReplaceText(
        event.span,
        f" {user} {group}",
        f" {user} && addgroup {user} {group}",
        label=f"Add `{user}` to `{group}` with `addgroup {user} {group}` after `adduser`",
    )


def unknown_group_or_user(ctx: Context) -> Iterator[Found]:
    """DIND306: a user or group referenced before it exists (on a known base image)."""
    by_line: dict[Span, list[UnknownName]] = {}
    for event, _ in dockerfile_events(ctx, UnknownName):
        by_line.setdefault(event.span, []).append(event)
    for span, events in by_line.items():
        # `COPY --chown=svc:svc` names a user and a group: one command, one finding
        missing = " and ".join(f"{e.what} `{e.name}`" for e in events)
        verb = "does" if len(events) == 1 else "do"
        command = events[0].command
        if command == "USER":
            what = events[0].what
            effect = f"the container will not start (`unable to find {what}`)"
        elif command.startswith(("COPY", "ADD")) or "chown" in command:
            effect = "the build fails there"
        elif events[0].handled.startswith("||") and events[0].handled not in ("|| true", "|| :"):
            fallback = events[0].handled
            effect = f"`{command}` fails and the build goes on with its fallback (`{fallback} …`)"
        elif events[0].handled:
            effect = (
                f"`{command}` fails, `{events[0].handled}` ignores the failure and the build "
                "goes on"
            )
        else:
            effect = f"`{command}` fails and the build stops there"
        yield Found(
            f"{missing} {verb} not exist at this point of the build; {effect}",
            span,
        )
