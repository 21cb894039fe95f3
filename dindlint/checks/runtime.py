"""What the entrypoint does at run time: the user it switches to (DIND307), a change to the
socket file (DIND107), a re-export of the socket over TCP (DIND110)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from dindlint.access import Denial, describe_user, distinct_sockets, socket_owner, verdict
from dindlint.checks.base import Context
from dindlint.findings import Found
from dindlint.source import Span
from dindlint.topology import Client, Reach, socket_exports, socket_file_changes

if TYPE_CHECKING:
    from dindlint.images import UserSwitch

# How each modelled tool sets the groups: gosu as Docker resolves `USER` (moby/sys/user
# GetExecUserPath, then setgroups; tianon/gosu@0396450:setup-user.go:15-41), su-exec by name with
# getgrouplist, with `USER:GROUP` setgroups(1, &gid) (ncopa/su-exec@0231008:su-exec.c:40-92)
_SEMANTICS = {
    "gosu": "which sets the groups from the image's `/etc/group` as Docker resolves `USER`",
    "su-exec": "which sets the groups from the image's `/etc/group`",
}


def entrypoint_user_cannot_access_socket(ctx: Context) -> Iterator[Found]:
    """DIND307: the container starts as root and its entrypoint switches to a user that cannot
    connect to the socket the service mounts."""
    for name, client in ctx.topology.clients.items():
        switch = client.identity.switch
        if switch is None or client.identity.spec_span is None:
            continue
        for reach in distinct_sockets(client.reaches):
            cause = verdict(client, reach).cause
            if cause in (Denial.NOT_MEMBER, Denial.EXPLICIT_GROUP, Denial.NO_PASSWD_ENTRY):
                yield _finding(name, client, switch, reach, cause, client.identity.spec_span)
                break  # one finding per client


def _finding(
    name: str, client: Client, switch: UserSwitch, reach: Reach, cause: Denial, span: Span
) -> Found:
    who = describe_user(client)
    if cause is Denial.EXPLICIT_GROUP:
        why = (
            f"with an explicit group the process gets only that group ({who}), so the "
            f"`/etc/group` membership that grants {reach.path} is dropped"
        )
    elif reach.socket.kind == "host":
        why = (
            f"{_SEMANTICS[switch.tool]}: {who}, no group named `docker`, so connect() to "
            f"{reach.path} (the host's socket, `root:<docker gid> 0660`) fails with "
            "`permission denied`"
        )
    else:
        why = (
            f"{_SEMANTICS[switch.tool]}: {who}, not in {socket_owner(reach)}, so connect() "
            f"to {reach.path} fails with `permission denied`"
        )
    dropped = ""
    if client.service.group_add:
        dropped = " (the service's `group_add` does not survive the switch)"
    message = (
        f"{name} starts as root and its entrypoint switches user with `{switch.text}`{dropped}"
        f", {why}"
    )
    related: list[tuple[Span, str]] = [(reach.carrier, f"the socket lands at {reach.path}")]
    if reach.socket.span is not None:
        related.append(
            (reach.socket.span, f"socket group decided here ({reach.socket.provenance})")
        )
    user = (switch.spec or "").split(":", 1)[0]
    if cause is Denial.EXPLICIT_GROUP:
        hint = f"switch with `{switch.tool} {user}` so that its `/etc/group` memberships apply"
    else:
        hint = (
            "before the switch, give the socket's GID to a group of "
            f'{user} (`groupmod -g "$(stat -c %g {reach.path})" docker` with {user} in '
            "`docker`), or add it to that group in the image"
        )
    return Found(message, span, tuple(related), hint=hint)


def socket_permissions_changed(ctx: Context) -> Iterator[Found]:
    """DIND107: a start command changes the mode (to world-writable), owner or group of a
    socket the service mounts: a bind mount is the host's own file (error); a daemon
    service's socket is shared with every container that mounts it (warning)."""
    for name, client in ctx.topology.clients.items():
        if not client.changed_sockets:
            continue  # the topology found no change to a socket that lands here
        for command, change, reach in socket_file_changes(client):
            written = " ".join((change.tool, change.argument, *change.paths))
            host = reach.socket.kind == "host"
            if change.tool == "chmod":
                effect = (
                    "every local user of the host can then connect, and the Docker API is root "
                    "on the host"
                    if host
                    else "any process of any container that mounts it can then connect"
                )
            else:
                effect = (
                    "the socket now belongs to ids of this container, and the host's `docker` "
                    "group may lose it"
                    if host
                    else "the group the daemon gave it no longer decides who connects"
                )
            if host:
                whose = (
                    f"{reach.path} is the host's socket bind-mounted here (the same file), so "
                    f"the host's own socket changes until its daemon restarts: {effect}"
                )
            else:
                whose = (
                    f"{reach.path} is the socket of service {reach.socket.daemon}, shared "
                    f"through {reach.via}, so it changes for every container that shares it: "
                    f"{effect}"
                )
            yield Found(
                f"{name} runs `{written}` at start: {whose}",
                command.span,
                ((reach.carrier, f"the socket lands at {reach.path}"),),
                severity=None if host else "warning",
                hint=(
                    "remove the command and give the process the socket's group instead "
                    "(`group_add` with the socket's GID, or a group aligned to "
                    f"`stat -c %g {reach.path}` before dropping root)"
                ),
            )


_LOOPBACK = ("127.", "localhost", "::1", "[::1]")


def socket_exported_over_tcp(ctx: Context) -> Iterator[Found]:
    """DIND110: socat re-exports a Docker socket on a plain TCP listener."""
    for name, client in ctx.topology.clients.items():
        if not client.start_commands:
            continue
        service = client.service
        host_network = service.network_mode is not None and service.network_mode.value == "host"
        for command, export, reach in socket_exports(client):
            loopback = export.bind is not None and export.bind.startswith(_LOOPBACK)
            if loopback and not host_network:
                continue  # only this container's own processes reach it
            port = "?" if export.port is None else str(export.port)
            published = [
                p
                for p in service.ports
                if export.port is not None
                and p.target == export.port
                and p.host_ip in (None, "", "0.0.0.0", "::", "[::]")
            ]
            related: list[tuple[Span, str]] = [(reach.carrier, f"the socket lands at {reach.path}")]
            if host_network and not loopback:
                where, severity = (
                    "with `network_mode: host` it is open on the host's interfaces",
                    "error",
                )
            elif host_network:
                where, severity = (
                    "with `network_mode: host` every local user of the host reaches it",
                    None,
                )
            elif published:
                where, severity = "the port is published on all interfaces", "error"
                related.append((published[0].span, "published here"))
            else:
                where, severity = "every container on its networks reaches it", None
            yield Found(
                f"{name} re-exports {reach.path} with socat on plain TCP port {port}: whoever "
                f"reaches the port gets the whole Docker API without TLS or authentication, "
                f"whatever the socket's group says; {where}",
                command.span,
                tuple(related),
                severity=severity,
                hint=(
                    "share the socket itself (a volume or `UNIX-LISTEN:` with `mode=`/`user=`), "
                    "or a daemon port with TLS (`--tlsverify`)"
                ),
            )
