"""DIND0xx: input problems the loaders found, and unknowns that decide a socket question."""

from __future__ import annotations

import re
from collections.abc import Iterator

from dindlint.checks.base import Context
from dindlint.checks.daemon import certificate_names_unset
from dindlint.checks.sockets import is_vm_socket_bind
from dindlint.findings import Found
from dindlint.model import GroupCreated, parse_id
from dindlint.source import Span
from dindlint.topology import HOST_SOCKET_ANCESTORS, HOST_SOCKET_DIRS, HOST_SOCKETS


def _loader_problems(ctx: Context, rule_id: str) -> Iterator[Found]:
    problems = list(ctx.project.compose.problems) if ctx.project.compose else []
    for dockerfile in ctx.project.dockerfiles:
        problems.extend(dockerfile.problems)
    for problem in problems:
        if problem.rule_id == rule_id:
            yield Found(problem.message, problem.span)


def syntax_error(ctx: Context) -> Iterator[Found]:
    """DIND001: a compose file or Dockerfile cannot be parsed."""
    yield from _loader_problems(ctx, "DIND001")


def invalid_compose(ctx: Context) -> Iterator[Found]:
    """DIND002: the structure the analysis reads is malformed."""
    yield from _loader_problems(ctx, "DIND002")


def _names_socket(text: str) -> bool:
    return text.endswith(".sock") or text in HOST_SOCKET_DIRS or text in HOST_SOCKETS


def unresolved_reference(ctx: Context) -> Iterator[Found]:
    """DIND003: a missing file, or a variable with no value that decides a socket question."""
    yield from _loader_problems(ctx, "DIND003")
    compose = ctx.project.compose
    if compose is None:
        return
    clients = ctx.topology.clients
    for name, service in sorted(compose.services.items()):
        for mount in service.volumes:
            if is_vm_socket_bind(mount):
                continue  # `$HOME/.docker/run/docker.sock`: DIND106 says what is wrong
            if mount.unresolved and (
                _names_socket(mount.target)
                or _names_socket(mount.source or "")
                or (mount.source or "") in HOST_SOCKET_ANCESTORS
                or (mount.source in ("", None) and mount.target in HOST_SOCKETS)
            ):
                yield from _unset(mount.unresolved, mount.span, "the socket checks of this mount")
        docker_host = service.environment.get("DOCKER_HOST")
        unset = docker_host.unresolved if docker_host is not None else ()
        if compose.ci is not None:
            # GitLab always fills its predefined `CI_*` variables and a pipeline's `$[[ inputs ]]`:
            # unknown here, never missing
            unset = tuple(n for n in unset if not n.startswith("CI_") and n != "inputs")
        if docker_host is not None and unset:
            yield from _unset(unset, docker_host.span, "the `DOCKER_HOST` checks")
        if _env_file_decides(ctx, name):
            for env_file in service.missing_env_files:
                yield Found(
                    f"`env_file` `{env_file.value}` of {name} does not exist here (compose "
                    "refuses the project without it); skipped: the checks that read the "
                    "`DOCKER_*` variables it may set",
                    env_file.span,
                )
        if name not in clients:
            continue
        unknown_path = service.build.unknown_path if service.build is not None else None
        if unknown_path is not None:
            yield from _unset(
                unknown_path.unresolved,
                unknown_path.span,
                f"the analysis of the Dockerfile that builds {name} (`{unknown_path.value}`)",
            )
        yield from _unset_build_arg_gid(ctx, name)
        yield from _skipped_scripts(ctx, name)
        if service.user is not None and service.user.unresolved:
            yield from _unset(
                service.user.unresolved, service.user.span, f"the socket access check of {name}"
            )
        for entry in service.group_add:
            if entry.unresolved:
                yield from _unset(
                    entry.unresolved, entry.span, f"the socket access check of {name}"
                )
    for daemon_name, (variables, span) in certificate_names_unset(ctx):
        yield from _unset(
            variables, span, f"the check of the names in the TLS certificate of {daemon_name}"
        )


def _env_file_decides(ctx: Context, name: str) -> bool:
    """A missing ``env_file`` of ``name`` hides a variable a rule reads: a daemon's TLS settings,
    the TLS variables of a client that dials TCP, or the ``DOCKER_HOST`` of a client that a
    daemon's socket reaches."""
    if name in ctx.topology.daemons:
        return True
    client = ctx.topology.clients.get(name)
    if client is None:
        return False
    host = client.docker_host
    if host is None:
        return any(r.socket.kind == "daemon" for r in client.reaches)
    return (host.value or "").startswith("tcp://")


_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _unset(names: tuple[str, ...], span: Span, skipped: str) -> Iterator[Found]:
    """DIND003 for unset variables. Text compose rejects outright (``$(...)``) is DIND002's
    finding already: one finding per cause."""
    variables = [n for n in names if _VARIABLE.match(n)]
    if not variables:
        return
    listed = ", ".join(f"`{n}`" for n in variables)
    subject = f"Variable {listed} has" if len(variables) == 1 else f"Variables {listed} have"
    yield Found(f"{subject} no value and no default here; skipped: {skipped}", span)


def _skipped_scripts(ctx: Context, service: str) -> Iterator[Found]:
    """An entrypoint script of a socket client over the size limit: it is not read, so the
    user it may switch to and the alignment it may do are unknown."""
    client = ctx.topology.clients[service]
    image = client.image
    if image is None or client.service.entrypoint is not None:
        return  # an overridden entrypoint does not run the image's script
    for skipped in image.skipped_scripts:
        if skipped.part == "cmd" and client.service.command is not None:
            continue  # compose's `command:` replaces the image's CMD
        yield Found(
            f"the script `{skipped.path}` that {service} runs at start is over the size limit "
            "and was not read; skipped: the user its entrypoint may switch to, and any GID "
            "alignment in it",
            skipped.span,
        )


_ARG_REFERENCE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")


def _unset_build_arg_gid(ctx: Context, service: str) -> Iterator[Found]:
    """A `docker` group whose GID is a build arg with no value: the GID is unknown."""
    image = ctx.topology.images.get(service)
    if image is None:
        return
    for event in image.events:
        if not isinstance(event, GroupCreated) or event.name != "docker":
            continue
        gid = event.gid_written
        if gid is None or parse_id(gid) is not None:
            continue
        names = tuple(_ARG_REFERENCE.findall(gid))
        yield from _unset(
            names,
            event.span,
            f"the socket access check of {service} (the GID of group `docker` is unknown)",
        )
