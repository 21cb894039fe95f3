"""DIND4xx: the daemon service and the transport to it."""

from __future__ import annotations

from collections.abc import Iterator

from dindlint.checks.base import Context
from dindlint.findings import Found
from dindlint.model import Mount
from dindlint.source import Span
from dindlint.topology import Daemon, network_names, normalise, tcp_address


def dind_not_privileged(ctx: Context) -> Iterator[Found]:
    """DIND401: Docker-in-Docker needs ``privileged: true`` (sysbox is the exception)."""
    for name, daemon in ctx.topology.daemons.items():
        service = daemon.service
        if service.privileged is not None and service.privileged.value:
            continue
        if service.runtime is not None and service.runtime.value == "sysbox-runc":
            continue
        span = (
            service.privileged.span
            if service.privileged is not None
            else (service.image.span if service.image is not None else service.span)
        )
        yield Found(
            f"{name} runs dockerd but is not privileged: Docker-in-Docker requires "
            "`privileged: true` (or `runtime: sysbox-runc`) to function",
            span,
        )


def _names(daemon: Daemon) -> set[str]:
    return network_names(daemon.service)


def _serves(daemon: Daemon) -> str:
    assert daemon.tcp is not None
    if not daemon.tcp:
        return "no TCP port"
    parts = sorted({f"{t.port} ({'TLS' if t.tls else 'plain'})" for t in daemon.tcp})
    return "only " + ", ".join(parts)


def docker_host_port_mismatch(ctx: Context) -> Iterator[Found]:
    """DIND403: ``DOCKER_HOST=tcp://HOST:PORT`` where HOST is a daemon service that does not
    serve PORT."""
    for name, client in ctx.topology.clients.items():
        host = client.docker_host
        if host is None or host.value is None or not host.known:
            continue
        if not host.value.startswith("tcp://"):
            continue
        hostname, port = tcp_address(host.value)
        if port is None:
            continue  # no port: an invalid DOCKER_HOST (DIND108)
        for daemon_name, daemon in ctx.topology.daemons.items():
            if hostname not in _names(daemon) or daemon.tcp is None:
                continue
            if any(t.port == port for t in daemon.tcp):
                continue
            span = daemon.service.image.span if daemon.service.image else daemon.service.span
            yield Found(
                f"{name} connects to `{host.value}`, but {daemon_name} serves {_serves(daemon)}"
                f"{_why(daemon)}: the connection will be refused",
                host.span,
                ((span, f"{daemon_name} is defined here"),),
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


_LOOPBACK = ("127.", "::1", "[::1]", "localhost")


def _loopback(host_ip: str | None) -> bool:
    return host_ip is not None and host_ip.startswith(_LOOPBACK)


def dind_plaintext_tcp_published(ctx: Context) -> Iterator[Found]:
    """DIND402: a plain-TCP Docker API port published on a non-loopback address."""
    for name, daemon in ctx.topology.daemons.items():
        plain = {t.port for t in daemon.tcp or () if not t.tls}
        for port in daemon.service.ports:
            if port.target not in plain or _loopback(port.host_ip):
                continue
            where = port.host_ip or "all interfaces"
            yield Found(
                f"{name} serves the Docker API without TLS on {port.target} and publishes it on "
                f"{where}: anyone who reaches this host gets unauthenticated root on the daemon "
                "(and its privileged containers)",
                port.span,
                hint="publish on `127.0.0.1` or turn TLS on",
            )


def _certs_dir(daemon: Daemon) -> str | None:
    certdir = daemon.service.environment.get("DOCKER_TLS_CERTDIR")
    if certdir is None:
        return "/certs"
    if not certdir.known or not certdir.value:
        return None
    return normalise(certdir.value)


def _cert_mounts(daemon: Daemon) -> list[Mount]:
    """The daemon's mounts that hold its generated client certificates."""
    certs = _certs_dir(daemon)
    if certs is None or not daemon.uses_entrypoint_defaults:
        return []
    client_dir = certs + "/client"
    return [
        m
        for m in daemon.service.volumes
        if m.source and (client_dir == m.target or client_dir.startswith(m.target + "/"))
    ]


def _mounted(path: str, mounts: tuple[Mount, ...]) -> bool:
    path = normalise(path)
    return any(path == m.target or path.startswith(m.target.rstrip("/") + "/") for m in mounts)


def dind_client_certs_missing(ctx: Context) -> Iterator[Found]:
    """DIND404: a TLS client of a DinD service without the daemon's client certificates."""
    for name, client in ctx.topology.clients.items():
        host = client.docker_host
        if host is None or not host.known or not (host.value or "").startswith("tcp://"):
            continue
        hostname, port = tcp_address(host.value or "")
        for daemon_name, daemon in ctx.topology.daemons.items():
            if hostname not in _names(daemon) or daemon.tcp is None:
                continue
            if not any(t.port == port and t.tls for t in daemon.tcp):
                continue
            if any(not m.known for m in client.service.volumes):
                continue
            cert_path = client.service.environment.get("DOCKER_CERT_PATH")
            if cert_path is not None and cert_path.value:
                if not cert_path.known or _mounted(cert_path.value, client.service.volumes):
                    continue
                yield _certs_finding(name, daemon_name, cert_path.span, cert_path.value)
                continue
            shared = {(m.type, m.source) for m in _cert_mounts(daemon)}
            if any((m.type, m.source) in shared for m in client.service.volumes):
                continue
            yield _certs_finding(name, daemon_name, host.span, None)


def _certs_finding(name: str, daemon_name: str, span: Span, cert_path: str | None) -> Found:
    """DIND404 for a client without certificates: ``cert_path`` is its ``DOCKER_CERT_PATH``,
    which no mount provides, or None when it neither sets one nor mounts the daemon's."""
    refused = "the daemon, which verifies clients (`--tlsverify`), refuses the connection"
    if cert_path is None:
        return Found(
            f"{name} talks TLS to {daemon_name} without the client certificates: {refused}",
            span,
            hint="mount the daemon's `/certs/client` (a shared volume), or set "
            "`DOCKER_CERT_PATH` to a mounted path",
        )
    return Found(
        f"{name} talks TLS to {daemon_name}, but `DOCKER_CERT_PATH={cert_path}` is not a mounted "
        f"path: without the client certificates {refused}",
        span,
        hint="mount the daemon's `/certs/client` (a shared volume) there, or set "
        "`DOCKER_CERT_PATH` to a mounted path",
    )
