"""Stage 6, rules: small generator functions over the model and the topology.

A check never parses and never prints: it reads typed objects and yields ``Found`` records (a
message, a place, a hint). It does not name its own rule: the one explicit table ``CHECKS`` maps
each rule id to its function, and the engine makes each record a ``Finding`` of that rule, then
stamps severity and name from the catalogue (``rules/``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import NamedTuple

from dindlint.model import Dockerfile, IdentityEvent
from dindlint.project import Project
from dindlint.source import Span
from dindlint.topology import Topology


class Found(NamedTuple):
    """What a check reports, without its rule id (the engine adds it: ``finding``).

    ``message`` says what is wrong and why, in one sentence; ``hint`` what to change, or None
    when there is nothing concrete to say. ``severity`` is set only by rules whose severity
    depends on the case (DIND103 is a warning when ``DOCKER_HOST`` is unset)."""

    message: str
    span: Span
    related: tuple[tuple[Span, str], ...] = ()
    severity: str | None = None
    hint: str | None = None

    def finding(self, rule_id: str) -> Finding:
        """This record as a finding of ``rule_id``."""
        return Finding(rule_id, *self)


class Finding(NamedTuple):
    """A finding of one rule, as the engine handles it: what a check found (``Found``) under the
    rule id ``CHECKS`` registers the check with, or a finding of one of the engine's own rules."""

    rule_id: str
    message: str
    span: Span
    related: tuple[tuple[Span, str], ...] = ()
    severity: str | None = None
    hint: str | None = None


class Context(NamedTuple):
    project: Project
    topology: Topology


Check = Callable[[Context], Iterable[Found]]


def _table() -> dict[str, Check]:
    from dindlint.checks import daemon, gids, inputs, membership, sockets

    return {
        "DIND001": inputs.syntax_error,
        "DIND002": inputs.invalid_compose,
        "DIND003": inputs.unresolved_reference,
        "DIND101": sockets.readonly_socket_mount,
        "DIND102": sockets.host_socket_mount,
        "DIND103": sockets.docker_host_unreachable,
        "DIND105": sockets.socket_source_is_named_volume,
        "DIND106": sockets.vm_host_socket_path,
        "DIND108": sockets.invalid_docker_host,
        "DIND201": gids.auto_assigned_docker_gid,
        "DIND202": gids.docker_gid_mismatch,
        "DIND203": gids.id_or_name_in_use,
        "DIND204": gids.group_add_by_name,
        "DIND205": gids.hardcoded_host_docker_gid,
        "DIND301": membership.user_cannot_access_socket,
        "DIND302": membership.explicit_group_drops_membership,
        "DIND303": membership.numeric_user_without_passwd_entry,
        "DIND304": membership.usermod_replaces_groups,
        "DIND305": membership.busybox_adduser_ignores_group,
        "DIND306": membership.unknown_group_or_user,
        "DIND401": daemon.dind_not_privileged,
        "DIND402": daemon.dind_plaintext_tcp_published,
        "DIND403": daemon.docker_host_port_mismatch,
        "DIND404": daemon.dind_client_certs_missing,
    }


def dockerfile_events(ctx: Context, kind: str) -> Iterable[tuple[IdentityEvent, Dockerfile]]:
    """Replay events of ``kind`` from every stage of every Dockerfile of the project (the
    Dockerfile-only rules run on every stage, built by compose or not)."""
    from dindlint.images import replay_all_stages

    for dockerfile in ctx.project.dockerfiles:
        for event in _until_the_build_stops(dockerfile, replay_all_stages(dockerfile)):
            if event.kind == kind:
                yield event, dockerfile


def _fatal(event: IdentityEvent) -> bool:
    """A command that fails the build (``RUN`` exits non-zero), unless it runs conditionally."""
    if event.detail.get("conditional") == "true" or event.detail.get("command") == "USER":
        return False
    return event.kind in ("id-in-use", "unknown-group-or-user")


def _until_the_build_stops(
    dockerfile: Dockerfile, events: tuple[IdentityEvent, ...]
) -> list[IdentityEvent]:
    """One finding per cause: the build stops at a stage's first failing command, so what the
    replay notices after it in that stage, or in stages built FROM it, is a consequence."""
    by_name = {s.name.lower(): s.index for s in dockerfile.stages if s.name}
    parent = {s.index: by_name.get(s.base.value.lower()) for s in dockerfile.stages}

    def lineage(index: int) -> set[int]:
        seen: set[int] = set()
        current: int | None = index
        while current is not None and current not in seen:
            seen.add(current)
            current = parent.get(current)
        return seen

    failed: set[int] = set()
    kept: list[IdentityEvent] = []
    for event in events:
        if lineage(event.stage_index) & failed:
            continue
        kept.append(event)
        if _fatal(event):
            failed.add(event.stage_index)
    return kept


CHECKS: dict[str, Check] = _table()
