"""DIND2xx: group ids that decide socket access."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from dindlint.checks import Context, Finding
from dindlint.checks.access import GID_MISMATCH, describe_user, verdict
from dindlint.images import identity_for_build, replay_all_stages
from dindlint.model import Dockerfile


def auto_assigned_docker_gid(ctx: Context) -> Iterator[Finding]:
    """DIND201: a `docker` group created without an explicit GID."""
    for dockerfile in ctx.project.dockerfiles:
        if _realigns_at_runtime(ctx, dockerfile):
            continue
        hint = _known_socket_gid(ctx, dockerfile.path)
        for event in replay_all_stages(dockerfile):
            if event.kind != "group-created" or event.detail.get("name") != "docker":
                continue
            if event.detail.get("gid") != "auto":
                continue
            how = "a package install creates" if event.detail.get("via") == "package" else \
                "this command creates"
            message = (f"{how} group `docker` without a GID, so it gets whatever GID is free at "
                       "build time; it will not reliably match the socket's group")
            if hint is not None:
                message += f"; the socket this image reaches belongs to GID {hint[0]} ({hint[1]})"
            yield Finding("DIND201", message, event.span)


def _realigns_at_runtime(ctx: Context, dockerfile: Dockerfile) -> bool:
    clients = [c for c in ctx.topology.clients.values()
               if ctx.project.builds.get(c.service.name) is dockerfile]
    if clients:
        return any(c.alignment is not None for c in clients)
    return identity_for_build(dockerfile, None, dockerfile.path.parent).alignment is not None


def _known_socket_gid(ctx: Context, path: Path) -> tuple[int, str] | None:
    for client in ctx.topology.clients.values():
        built = ctx.project.builds.get(client.service.name)
        if built is None or built.path != path:
            continue
        for reach in client.reaches:
            if reach.socket.gid is not None:
                return reach.socket.gid, f"{reach.socket.provenance}, service {reach.socket.daemon}"
    return None


def docker_gid_mismatch(ctx: Context) -> Iterator[Finding]:
    """DIND202: the client expects access through a GID that is not the socket's."""
    for name, client in ctx.topology.clients.items():
        for reach in _first_per_socket(client.reaches):
            result = verdict(client, reach)
            if result.cause != GID_MISMATCH:
                continue
            socket = reach.socket
            span = result.wrong_gid_span or reach.carrier
            related = [(reach.carrier, f"the socket lands at {reach.path}")]
            if socket.span is not None:
                related.append((socket.span, f"socket group decided here ({socket.provenance})"))
            yield Finding(
                "DIND202",
                f"{name} runs as {describe_user(client)} and expects socket access through GID "
                f"{result.wrong_gid}, but {reach.path} belongs to group {socket.gid} "
                f"({socket.provenance}, service {socket.daemon}): connect() fails with "
                "`permission denied`",
                span, tuple(related),
            )


def _first_per_socket(reaches):  # type: ignore[no-untyped-def]
    """One finding per cause: a socket mounted twice into a client is judged once."""
    seen = set()
    for reach in reaches:
        key = (reach.socket.kind, reach.socket.daemon, reach.socket.path)
        if key not in seen:
            seen.add(key)
            yield reach
