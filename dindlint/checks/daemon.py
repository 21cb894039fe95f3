"""DIND4xx: the daemon service and the transport to it."""

from __future__ import annotations

from collections.abc import Iterator

from dindlint.checks import Context, Finding
from dindlint.topology import Daemon


def dind_not_privileged(ctx: Context) -> Iterator[Finding]:
    """DIND401: Docker-in-Docker needs ``privileged: true`` (sysbox is the exception)."""
    for name, daemon in ctx.topology.daemons.items():
        service = daemon.service
        if service.privileged is not None and service.privileged.value:
            continue
        if service.runtime is not None and service.runtime.value == "sysbox-runc":
            continue
        span = service.privileged.span if service.privileged is not None else (
            service.image.span if service.image is not None else service.span)
        yield Finding(
            "DIND401",
            f"{name} runs dockerd but is not privileged: Docker-in-Docker needs "
            "`privileged: true` (or `runtime: sysbox-runc`), otherwise dockerd cannot start",
            span,
        )


def _names(daemon: Daemon) -> set[str]:
    service = daemon.service
    names = {service.name, *service.network_aliases}
    for value in (service.container_name, service.hostname):
        if value is not None:
            names.add(value.value)
    return names


def _serves(daemon: Daemon) -> str:
    assert daemon.tcp is not None
    if not daemon.tcp:
        return "no TCP port"
    parts = sorted({f"{t.port} ({'TLS' if t.tls else 'plain'})" for t in daemon.tcp})
    return "only " + ", ".join(parts)


def docker_host_port_mismatch(ctx: Context) -> Iterator[Finding]:
    """DIND403: ``DOCKER_HOST=tcp://HOST:PORT`` where HOST is a daemon service that does not
    serve PORT."""
    for name, client in ctx.topology.clients.items():
        host = client.docker_host
        if host is None or host.value is None or not host.known:
            continue
        if not host.value.startswith("tcp://"):
            continue
        address = host.value[len("tcp://"):].split("/", 1)[0]
        hostname, _, port = address.rpartition(":")
        if not port.isdigit():
            continue  # no port: an invalid DOCKER_HOST, another rule's business
        for daemon_name, daemon in ctx.topology.daemons.items():
            if hostname not in _names(daemon) or daemon.tcp is None:
                continue
            if any(t.port == int(port) for t in daemon.tcp):
                continue
            span = daemon.service.image.span if daemon.service.image else daemon.service.span
            yield Finding(
                "DIND403",
                f"{name} connects to `{host.value}`, but {daemon_name} serves {_serves(daemon)}"
                f"{_why(daemon)}: the connection will be refused",
                host.span, ((span, f"{daemon_name} is defined here"),),
            )


def _why(daemon: Daemon) -> str:
    if not daemon.uses_entrypoint_defaults:
        return " (its own `--host` flags)"
    certdir = daemon.service.environment.get("DOCKER_TLS_CERTDIR")
    if certdir is None:
        return " (TLS is on by default: `DOCKER_TLS_CERTDIR=/certs`)"
    if certdir.value:
        return f" (`DOCKER_TLS_CERTDIR={certdir.value}` turns TLS on)"
    return " (`DOCKER_TLS_CERTDIR` is empty: TLS off)"
