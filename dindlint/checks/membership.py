"""DIND3xx: the client's user and its group memberships."""

from __future__ import annotations

from collections.abc import Iterator

from dindlint.checks import Context, Finding
from dindlint.checks.access import (
    EXPLICIT_GROUP,
    NO_PASSWD_ENTRY,
    NOT_MEMBER,
    describe_socket,
    describe_user,
    verdict,
)
from dindlint.checks.gids import _first_per_socket
from dindlint.source import Span
from dindlint.topology import Client, Reach


def _denials(ctx: Context, cause: str) -> Iterator[tuple[str, Client, Reach]]:
    for name, client in ctx.topology.clients.items():
        for reach in _first_per_socket(client.reaches):
            if verdict(client, reach).cause == cause:
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
        related.append((reach.socket.span, f"socket group decided here ({reach.socket.provenance})"))
    return primary, tuple(related)


def user_cannot_access_socket(ctx: Context) -> Iterator[Finding]:
    """DIND301: a non-root client user with none of the socket's groups."""
    for name, client, reach in _denials(ctx, NOT_MEMBER):
        span, related = _where(client, reach)
        if reach.socket.kind == "host":
            why = ("is in no group named `docker` and has no `group_add`, so it cannot write "
                   f"to {reach.path} (the host's socket is `root:<docker gid> 0660`)")
        else:
            why = f"is not in that group: connect() to {describe_socket(client, reach)} fails " \
                  "with `permission denied`"
        yield Finding("DIND301", f"{name} runs as {describe_user(client)}, which {why}",
                      span, related)


def explicit_group_drops_membership(ctx: Context) -> Iterator[Finding]:
    """DIND302: ``user: NAME:GROUP`` keeps only that group."""
    for name, client, reach in _denials(ctx, EXPLICIT_GROUP):
        span, related = _where(client, reach)
        span = client.identity.spec_span or span
        yield Finding(
            "DIND302",
            f"{name} runs as `{client.identity.spec}`: with an explicit group the process gets "
            f"only that group, so the `/etc/group` membership that grants access to "
            f"{reach.path} is dropped ({describe_user(client)}); give the group with "
            "`group_add` instead",
            span, related,
        )


def numeric_user_without_passwd_entry(ctx: Context) -> Iterator[Finding]:
    """DIND303: ``user: "N"`` with no passwd entry gets GID 0 and no supplementary groups."""
    for name, client, reach in _denials(ctx, NO_PASSWD_ENTRY):
        span, related = _where(client, reach)
        image = client.image.description if client.image else "the image"
        yield Finding(
            "DIND303",
            f"{name} runs as uid {client.identity.spec}, which has no entry in the passwd file "
            f"of {image}: the process gets primary GID 0 and no supplementary groups, so the "
            f"image's group membership for {reach.path} does not apply",
            span, related,
        )
