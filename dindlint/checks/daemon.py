"""DIND4xx: the daemon service and the transport to it."""

from __future__ import annotations

import re
from collections.abc import Iterator

from dindlint.checks.base import Context, ci_job, environment_owners
from dindlint.checks.membership import writes_compose_keys
from dindlint.findings import AddKey, Found, RemoveEntry, ReplaceText, Several
from dindlint.model import Mount, Service, Stage
from dindlint.source import Located, Span
from dindlint.topology import (
    Client,
    Daemon,
    answers_to,
    is_dind_image,
    network_names,
    normalise,
    tcp_address,
    unserved_name,
)


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
        repair: AddKey | ReplaceText | None = None
        if service.privileged is not None and writes_compose_keys(ctx):
            # replaced where it is written when that place is the service's own, else set in
            # the service (a merged anchor or an extended service is shared: ``dindlint.fix``)
            old = service.privileged.span
            repair = AddKey("privileged", "true", service.span, existing=old, old="false")
        elif service.privileged is not None:
            repair = ReplaceText(service.privileged.span, "false", "true")
        elif writes_compose_keys(ctx):  # (a GitLab CI runner's setting, not the file's)
            repair = AddKey("privileged", "true", service.span)
        yield Found(
            f"{name} runs dockerd but is not privileged: Docker-in-Docker requires "
            "`privileged: true` (or `runtime: sysbox-runc`) to function",
            span,
            repair=repair,
        )


def _own_value(ctx: Context, service: Service) -> Span | None:
    """The service whose own value a fix may edit (``RemoveEntry.service``): a compose service's
    key; None for a GitLab CI job (its variables are not a service's mapping)."""
    return service.span if writes_compose_keys(ctx) else None


def _is_ci(ctx: Context) -> bool:
    """The project is a GitLab CI job (``dindlint.gitlab``)."""
    return ci_job(ctx) is not None


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
        if tcp_address(host.value)[1] is None:
            continue  # no port: an invalid DOCKER_HOST (DIND108)
        if _name_not_served(ctx, client) is not None:
            continue  # DIND407 reports this client
        for daemon_name, daemon, port in _dialled(ctx, client):
            assert daemon.tcp is not None
            if any(t.port == port for t in daemon.tcp):
                continue
            span = daemon.service.image.span if daemon.service.image else daemon.service.span
            yield Found(
                f"{name} connects to `{host.value}`{_chosen(ctx)}, but {daemon_name} serves "
                f"{_serves(daemon)}{_why(daemon)}: the connection will be refused"
                f"{_runner_note(ctx)}",
                host.span,
                ((span, f"{daemon_name} is defined here"),),
                hint=_port_hint(daemon, daemon_name),
                repair=_served_port(ctx, client, daemon, port),
            )


def _port_hint(daemon: Daemon, daemon_name: str) -> str:
    """What DIND403 asks for: a port the daemon serves, in its mode."""
    tls = sorted({t.port for t in daemon.tcp or () if t.tls})
    plain = sorted({t.port for t in daemon.tcp or () if not t.tls})
    if plain:
        return f"dial port {plain[0]}, which {daemon_name} serves in plain TCP"
    if tls:
        hint = (
            f"dial port {tls[0]} with `DOCKER_TLS_VERIFY=1` and `DOCKER_CERT_PATH` on the "
            f"client certificates {daemon_name} makes"
        )
        if daemon.uses_entrypoint_defaults:
            hint += f', or set `DOCKER_TLS_CERTDIR: ""` on {daemon_name} to serve plain 2375'
        return hint
    return f"dial {daemon_name}'s unix socket through a shared volume, or give it a TCP listener"


def _served_port(
    ctx: Context, client: Client, daemon: Daemon, port: int | None
) -> ReplaceText | None:
    """DIND403's fix: dial the one port the daemon serves, when the client already speaks its
    mode (``DOCKER_TLS_VERIFY`` set for a TLS port, unset for a plain one); none otherwise."""
    host = client.docker_host
    ports = {(t.port, t.tls) for t in daemon.tcp or ()}
    if host is None or host.value is None or host.interpolated or port is None or len(ports) != 1:
        return None
    ((served, tls),) = ports
    if _env_sets(ctx, client.service, ("DOCKER_TLS_VERIFY",)) is not tls:
        return None
    return ReplaceText(host.span, host.value, host.value.replace(f":{port}", f":{served}", 1))


def _chosen(ctx: Context) -> str:
    """For a GitLab CI job whose endpoint the docker image's entrypoint picks, say so."""
    job = ci_job(ctx)
    if job is None or not job.endpoint_from_image:
        return ""
    return " (what the `docker` image's entrypoint picks without `DOCKER_HOST`)"


def _runner_note(ctx: Context) -> str:
    """For a GitLab CI job: the runner may inject variables the file cannot show."""
    job = ci_job(ctx)
    if job is None:
        return ""
    if job.runner_env:
        return " (with the runner's variables `gitlab-runner-env` declares)"
    return (
        " (unless the runner injects variables such as `DOCKER_TLS_CERTDIR`, which the file "
        "cannot show: declare them under `gitlab-runner-env` in the configuration)"
    )


def _why(daemon: Daemon) -> str:
    if not daemon.uses_entrypoint_defaults:
        return " (its own `--host` flags)"
    certdir = daemon.service.environment.get("DOCKER_TLS_CERTDIR")
    known = daemon.identity.daemon if daemon.identity is not None else None
    if certdir is None and known is not None and not known.tls_default:
        return " (before 19.03 the image serves plain TCP unless `DOCKER_TLS_CERTDIR` is set)"
    if certdir is None:
        return " (TLS is on by default: `DOCKER_TLS_CERTDIR=/certs`)"
    if certdir.value:
        return f" (`DOCKER_TLS_CERTDIR={certdir.value}` turns TLS on)"
    if certdir.value is None:
        return " (`DOCKER_TLS_CERTDIR:` without a value unsets it: TLS off)"
    return " (`DOCKER_TLS_CERTDIR` is empty: TLS off)"


_LOOPBACK = ("127.", "::1", "[::1]", "localhost")


def _loopback(host_ip: str | None) -> bool:
    return host_ip is not None and host_ip.startswith(_LOOPBACK)


def dind_plaintext_tcp_published(ctx: Context) -> Iterator[Found]:
    """DIND402: a plain-TCP Docker API port published on a non-loopback address."""
    for name, daemon in ctx.topology.daemons.items():
        plain = {t.port for t in daemon.tcp or () if not t.tls}
        mode = daemon.service.network_mode
        if mode is not None and mode.known and mode.value == "host":
            # no `ports:` needed: the listener is on the host's own interfaces
            open_ports = sorted(
                {(t.port, t.host) for t in daemon.tcp or () if not t.tls and not _loopback(t.host)}
            )
            for number, address in open_ports:
                where = (
                    "every interface of the host"
                    if address in ("0.0.0.0", "", "::")
                    else f"the host's address {address}"
                )
                yield Found(
                    f"{name} serves the Docker API without TLS on {number} with "
                    f"`network_mode: host`: the port is open on {where}, and anyone who reaches "
                    "it gets unauthenticated root on the daemon (and its privileged containers)",
                    mode.span,
                    hint="bind the listener to `127.0.0.1` or turn TLS on",
                )
            continue
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
        for daemon_name, daemon, _ in _dialled(ctx, client):
            found = _missing_certs(name, client, daemon_name, daemon)
            if found is not None:
                yield found


def _dialled(ctx: Context, client: Client) -> list[tuple[str, Daemon, int | None]]:
    """The daemon services the client's ``DOCKER_HOST=tcp://HOST:PORT`` names, with PORT."""
    host = client.docker_host
    if host is None or not host.known or not (host.value or "").startswith("tcp://"):
        return []
    hostname, port = tcp_address(host.value or "")
    # a `links` entry of the client names the daemon under an alias of its own
    aliases = {s for s, alias in client.service.links if answers_to((alias,), hostname)}
    return [
        (daemon_name, daemon, port)
        for daemon_name, daemon in ctx.topology.daemons.items()
        if (answers_to(_names(daemon), hostname) or daemon_name in aliases)
        and daemon.tcp is not None
    ]


def _missing_certs(
    name: str, client: Client, daemon_name: str, daemon: Daemon, ci: bool = False
) -> Found | None:
    """DIND404's finding for this client of this daemon, if it has one. Never for a GitLab CI
    job (``ci``): the certificates are shared by a runner volume the file cannot show
    (gitlabhq/gitlabhq@41946e6:doc/ci/docker/docker_in_docker.md)."""
    if ci:
        return None
    host = client.docker_host
    assert host is not None and daemon.tcp is not None
    port = tcp_address(host.value or "")[1]
    if not any(t.port == port and t.tls and t.verify for t in daemon.tcp):
        return None
    if any(not m.known for m in client.service.volumes):
        return None
    cert_path = client.service.environment.get("DOCKER_CERT_PATH")
    if cert_path is not None and not cert_path.known:
        return None
    inherited = _inherited_cert_mounts(client, daemon)
    if cert_path is not None and cert_path.value:
        mounts = client.service.volumes + inherited
        if not cert_path.known or _mounted(cert_path.value, mounts):
            return None
        return _certs_finding(name, daemon_name, cert_path.span, cert_path.value)
    if inherited:
        return None  # `volumes_from: [dind]`: the daemon's certificate mounts, at its paths
    shared = {(m.type, m.source) for m in _cert_mounts(daemon)}
    if any((m.type, m.source) in shared for m in client.service.volumes):
        return None
    return _certs_finding(name, daemon_name, host.span, None)


def _inherited_cert_mounts(client: Client, daemon: Daemon) -> tuple[Mount, ...]:
    """The daemon's mounts that hold its client certificates (named, bind or anonymous, such as
    ``volumes: [/certs]``), when the client takes the daemon's mounts by ``volumes_from``."""
    if not any(e.service == daemon.service.name for e in client.service.volumes_from):
        return ()
    certs = _certs_dir(daemon)
    if certs is None or not daemon.uses_entrypoint_defaults:
        return ()
    client_dir = certs + "/client"
    return tuple(
        m
        for m in daemon.service.volumes
        if m.known and (client_dir == m.target or client_dir.startswith(m.target + "/"))
    )


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


# --------------------------------------------------------------------------------------------
# TLS: what the client turns on, what the daemon's flags do
# --------------------------------------------------------------------------------------------

_TLS_OFF_WORDS = frozenset({"0", "false", "no", "off"})
_CLIENT_TLS = ("DOCKER_TLS_VERIFY", "DOCKER_TLS", "DOCKER_CERT_PATH")


def _repository(ref: str) -> tuple[str, str]:
    """(namespace path, basename) of an image reference: ``docker.io/library/docker:27`` gives
    (``docker.io/library``, ``docker``)."""
    name = ref.split("@", 1)[0]
    if ":" in name.rsplit("/", 1)[-1]:
        name = name.rsplit(":", 1)[0]
    folder, _, base = name.rpartition("/")
    return folder, base


def _official(ref: str) -> bool:
    """An official Docker Hub image: no namespace (``python``, ``docker.io/library/python``)."""
    folder, _ = _repository(ref)
    return folder in ("", "library", "docker.io/library", "index.docker.io/library")


def _is_docker_cli(service: Service) -> bool:
    """A ``docker:*`` image (the docker CLI), not built here."""
    return (
        service.build is None
        and service.image is not None
        and service.image.known
        and _official(service.image.value)
        and _repository(service.image.value)[1] == "docker"
    )


def _base_chain(ctx: Context, service: Service) -> list[Stage] | None:
    """The stages compose builds for ``service``, the built one first, down to the first
    ``FROM`` of an image; None when it is not built from a Dockerfile that was read."""
    dockerfile = ctx.project.builds.get(service.name)
    if dockerfile is None or service.build is None:
        return None
    target = service.build.target.value if service.build.target else None
    stage = dockerfile.stage(target)
    chain: list[Stage] = []
    while stage is not None and stage not in chain:
        chain.append(stage)
        base = stage.base.value.lower()
        stage = next(
            (s for s in dockerfile.stages[: stage.index] if s.name and s.name.lower() == base),
            None,
        )
    return chain


def _built_from_python(ctx: Context, service: Service) -> bool:
    """Built ``FROM python*``: the client is docker-py, most likely."""
    chain = _base_chain(ctx, service)
    if not chain:
        return False
    return _repository(chain[-1].base.value)[1].startswith("python")


def _serves_plain(ctx: Context, client: Client) -> bool:
    """The client's ``DOCKER_HOST`` names a daemon port served without TLS."""
    return any(
        port is not None and any(t.port == port and not t.tls for t in daemon.tcp or ())
        for _, daemon, port in _dialled(ctx, client)
    )


def tls_verify_value_means_on(ctx: Context) -> Iterator[Found]:
    """DIND405: ``DOCKER_TLS_VERIFY=0`` (``false``, ``no``, ``off``) turns verification on."""
    job = ci_job(ctx)
    for name, service in environment_owners(ctx):
        value = service.environment.get("DOCKER_TLS_VERIFY")
        if value is None or not value.known or value.value is None:
            continue
        if value.value.strip().lower() not in _TLS_OFF_WORDS:
            continue
        client = ctx.topology.clients.get(name)
        severity = None
        if (
            client is not None
            # (a job an unresolved include may change: only its own value is judged)
            and (job is None or job.judged)
            and (_is_docker_cli(service) or _built_from_python(ctx, service))
            and _serves_plain(ctx, client)
        ):
            severity = "error"
        consequence = (
            ": against the plain port it dials, the client fails with `http: server gave HTTP "
            "response to HTTPS client`"
            if severity
            else ""
        )
        yield Found(
            f"{name} sets `DOCKER_TLS_VERIFY={value.value}`, which does not mean off: the docker "
            f"CLI and docker-py turn TLS verification on for any non-empty value{consequence}",
            value.span,
            severity=severity,
            hint="remove `DOCKER_TLS_VERIFY` to turn verification off",
            repair=RemoveEntry(value.span, "DOCKER_TLS_VERIFY", False, _own_value(ctx, service)),
        )


def _env_sets(ctx: Context, service: Service, names: tuple[str, ...]) -> bool | None:
    """The client's environment sets one of ``names`` to a non-empty value: compose
    ``environment`` or ``ENV`` in the Dockerfile it is built from. None: unknown."""
    for key in names:
        value = service.environment.get(key)
        if value is not None and not value.known:
            return None
        if value is not None and value.value:
            return True
    for stage in _base_chain(ctx, service) or ():
        for instruction in stage.instructions:
            if instruction.keyword == "ENV" and any(
                re.search(rf"(^|\s){key}(=|\s|$)", instruction.value) for key in names
            ):
                return True
    return False


def tls_client_not_enabled(ctx: Context) -> Iterator[Found]:
    """DIND408: a client dials a TLS port, and nothing turns TLS on in the client."""
    for name, client in ctx.topology.clients.items():
        service = client.service
        host = client.docker_host
        if host is None:
            continue
        docker_cli = _is_docker_cli(service)
        if docker_cli:
            if service.entrypoint is None:
                continue  # docker-entrypoint.sh sets DOCKER_TLS_VERIFY up itself
            names: tuple[str, ...] = ("DOCKER_TLS_VERIFY", "DOCKER_TLS")
        elif service.build is not None:
            if client.image is None or not client.image.base_known:
                continue
            names = _CLIENT_TLS
        elif service.image is not None and service.image.known and _official(service.image.value):
            names = _CLIENT_TLS
        else:
            continue  # an image dindlint does not know may set them up
        if _env_sets(ctx, service, names) is not False:
            continue
        for daemon_name, daemon, port in _dialled(ctx, client):
            if not any(t.port == port and t.tls for t in daemon.tcp or ()):
                continue
            if _missing_certs(name, client, daemon_name, daemon, _is_ci(ctx)) is not None:
                continue  # DIND404 reports this client
            span = daemon.service.image.span if daemon.service.image else daemon.service.span
            turns = (
                "`DOCKER_TLS_VERIFY` or `DOCKER_TLS`"
                if docker_cli
                else ("`DOCKER_TLS_VERIFY`, `DOCKER_TLS` or `DOCKER_CERT_PATH`")
            )
            yield Found(
                f"{name} dials `{host.value}`, which {daemon_name} serves with TLS, but nothing "
                f"turns TLS on in {name} (no {turns}): it sends plain HTTP and gets `Client sent "
                "an HTTP request to an HTTPS server.`",
                host.span,
                ((span, f"{daemon_name} is defined here"),),
                hint="set `DOCKER_TLS_VERIFY=1` and `DOCKER_CERT_PATH` to the mounted client "
                "certificates",
            )
            break


def _tls_off_flag(args: tuple[str, ...]) -> str | None:
    """``--tls=false``, ``--tls=0`` or ``--tls false`` among ``args``, as written."""
    for index, arg in enumerate(args):
        if arg.startswith("--tls=") and arg.partition("=")[2].lower() in ("false", "0", "f"):
            return arg
        if arg == "--tls" and index + 1 < len(args) and args[index + 1].lower() in ("false", "0"):
            return f"--tls {args[index + 1]}"
    return None


def tls_off_flag_ignored(ctx: Context) -> Iterator[Found]:
    """DIND409: ``--tls=false`` next to the entrypoint's ``--tlsverify`` does nothing."""
    for name, daemon in ctx.topology.daemons.items():
        command = daemon.service.command
        if not daemon.uses_entrypoint_defaults or command is None:
            continue
        if not any(t.tls and t.port == 2376 and t.host == "0.0.0.0" for t in daemon.tcp or ()):
            continue  # DOCKER_TLS_CERTDIR empty (or unresolved): no --tlsverify added
        flag = _tls_off_flag(_flat(command.value))
        if flag is None:
            continue
        certdir = daemon.service.environment.get("DOCKER_TLS_CERTDIR")
        why = (
            "`DOCKER_TLS_CERTDIR` is set"
            if certdir is not None
            else "`DOCKER_TLS_CERTDIR` defaults to `/certs`"
        )
        yield Found(
            f"{name} passes `{flag}`, but the dind entrypoint adds `--tlsverify` ({why}), and "
            "`--tlsverify` turns TLS on whatever `--tls` says: TLS stays on at 2376",
            command.span,
            hint='set `DOCKER_TLS_CERTDIR: ""` to serve plain TCP on 2375',
            repair=_certdir_off(ctx, daemon.service, flag),
        )


def _certdir_off(ctx: Context, service: Service, flag: str) -> Several | None:
    """DIND409's fix (unsafe: it turns TLS off): the flag's ``command:`` line removed and
    ``environment: {DOCKER_TLS_CERTDIR: ""}`` added, for a command that is the flag alone and a
    service without ``environment`` (other shapes get none)."""
    command = service.command
    if command is None or not writes_compose_keys(ctx) or service.environment:
        return None
    if " ".join(_flat(command.value)) != flag or command.span.path != service.span.path:
        return None
    return Several(
        (
            RemoveEntry(command.span, "command", False),
            AddKey("environment", '{DOCKER_TLS_CERTDIR: ""}', service.span, False),
        ),
        f'Replace `{flag}` by `DOCKER_TLS_CERTDIR: ""`',
        False,
    )


def _flat(value: tuple[str, ...] | str) -> tuple[str, ...]:
    words = value.split() if isinstance(value, str) else value
    return tuple(part for word in words for part in word.split())


_CERT_HOME = "/root/.docker"


def daemon_tls_without_certificates(ctx: Context) -> Iterator[Found]:
    """DIND410: dockerd run directly with TLS on, a tcp listener, and no certificates."""
    for name, daemon in ctx.topology.daemons.items():
        service = daemon.service
        if daemon.uses_entrypoint_defaults or not any(t.tls for t in daemon.tcp or ()):
            continue
        if (
            service.build is not None
            or service.image is None
            or not (service.image.known and is_dind_image(service.image.value))
        ):
            continue  # another image may ship its certificates in ~/.docker
        words = _flat(service.entrypoint.value if service.entrypoint else ()) + _flat(
            service.command.value if service.command else ()
        )
        given = {w.split("=", 1)[0] for w in words}
        if {"--tlscert", "--tlskey"} <= given:
            continue
        if any(
            service.environment.get(key) is not None
            for key in ("DOCKER_CERT_PATH", "DOCKER_CONFIG")
        ):
            continue  # the default certificate folder moves: dindlint cannot see it
        if any(
            not m.known
            or (m.target != "/" and (_CERT_HOME + "/").startswith(m.target.rstrip("/") + "/"))
            or m.target.rstrip("/").endswith("/.docker")
            for m in service.volumes
        ):
            continue  # something is mounted where dockerd looks for them
        flag = next((w for w in words if w.split("=", 1)[0] in ("--tlsverify", "--tls")), None)
        if flag is not None:
            located = service.command or service.entrypoint
            where = located.span if located is not None else service.span
            cause = f"`{flag}` turns TLS on"
        else:
            verify = service.environment["DOCKER_TLS_VERIFY"]
            where = verify.span
            cause = f"`DOCKER_TLS_VERIFY={verify.value}` in its environment turns TLS on"
        lacking = [f"`{f}`" for f in ("--tlscert", "--tlskey") if f not in given]
        missing = (
            f"neither {lacking[0]} nor {lacking[1]}" if len(lacking) == 2 else f"no {lacking[0]}"
        )
        yield Found(
            f"{name} runs dockerd itself (the dind entrypoint adds nothing): {cause} for its TCP "
            f"listener, but {missing} is given, so dockerd looks for `~/.docker/cert.pem` and "
            "`key.pem`, does not find them, and exits",
            where,
            hint="give `--tlscacert`, `--tlscert` and `--tlskey`, or let the entrypoint add its "
            "defaults (a command that starts with `-`)",
        )


# --------------------------------------------------------------------------------------------
# Names: which name reaches a daemon, which names its certificate carries
# --------------------------------------------------------------------------------------------

_NOT_A_LABEL = re.compile(r"[.:]|^$|^localhost$")


def _name_not_served(ctx: Context, client: Client) -> Found | None:
    """DIND407's finding for this client, if it has one."""
    compose = ctx.project.compose
    host = client.docker_host
    if compose is None or not ctx.topology.daemons or host is None or not host.known:
        return None
    if not (host.value or "").startswith("tcp://"):
        return None
    name = tcp_address(host.value or "")[0]
    if _NOT_A_LABEL.search(name) or "$" in name:
        return None
    unshared = unserved_name(compose, client.service, name)
    if unshared is None:
        return None
    who = client.service.name
    related = tuple(
        (
            compose.services[s].span,
            f"{s} is defined here",
        )
        for s in unshared
    )
    if unshared:
        cause = (
            f"`{name}` is the service {unshared[0]}, which shares no network with {who}"
            if name == unshared[0]
            else f"`{name}` names {unshared[0]}, which shares no network with {who}"
        )
        hint = f"put {who} and {unshared[0]} on a common network"
    elif _is_ci(ctx):
        # a GitLab CI job: the runner names each service after its image and its `alias:`
        daemons = sorted(ctx.topology.daemons.values(), key=lambda d: d.service.name)
        answers = [
            f"`{'`, `'.join((d.service.name, *d.service.network_aliases))}`" for d in daemons
        ]
        which = "service answers" if len(answers) == 1 else "services answer"
        cause = (
            f"no service of the job answers to `{name}` (the Docker-in-Docker {which} "
            f"only to {'; '.join(answers)}: the runner names a service after its image, "
            "registry and namespace included, and after its `alias:`)"
        )
        hint = f"give the service `alias: {name}`"
        related = tuple((d.service.span, f"{d.service.name} is defined here") for d in daemons)
    else:
        cause = (
            f"no container of the project answers to `{name}` (service names, "
            "`container_name`, network aliases and `links` aliases do; `hostname:` does not)"
        )
        hint = "dial a daemon service by its service name, or add `" + name + "` as its alias"
    return Found(
        f"{who} dials `{host.value}`, but {cause}: the lookup fails with `dial tcp: lookup "
        f"{name}: no such host`",
        host.span,
        related,
        hint=hint,
    )


def docker_host_name_not_served(ctx: Context) -> Iterator[Found]:
    """DIND407: ``DOCKER_HOST=tcp://NAME:PORT`` where no container answers to NAME."""
    for client in ctx.topology.clients.values():
        found = _name_not_served(ctx, client)
        if found is not None:
            yield found


def _verifies(
    name: str, client: Client, daemon_name: str, daemon: Daemon, ci: bool = False
) -> bool:
    """The client verifies the daemon's certificate: a non-empty ``DOCKER_TLS_VERIFY``, or a
    ``docker:*`` image whose entrypoint exports it (it does when it finds the certificates)."""
    verify = client.service.environment.get("DOCKER_TLS_VERIFY")
    if verify is not None:
        return verify.known and bool(verify.value)
    return (
        _is_docker_cli(client.service)
        and client.service.entrypoint is None
        and _missing_certs(name, client, daemon_name, daemon, ci) is None
    )


Unset = tuple[tuple[str, ...], Span]  # the unset variables of a value, where it is written


def _certificate_names(daemon: Daemon) -> tuple[set[str], list[Unset]]:
    """The DNS names of the server certificate dind's entrypoint generates that can be told
    (docker-library/docker@3289af8:dockerd-entrypoint.sh:8-20), and the ``hostname:`` or
    ``DOCKER_TLS_SAN`` from an unset variable that may add others."""
    service = daemon.service
    names = {"docker", "localhost"}
    unset: list[Unset] = []
    if service.hostname is not None:
        if not service.hostname.known:
            unset.append((service.hostname.unresolved, service.hostname.span))
        else:
            names.add(service.hostname.value)
            names.add(service.hostname.value.split(".", 1)[0])
    san = service.environment.get("DOCKER_TLS_SAN")
    if san is not None:
        if not san.known:
            unset.append((san.unresolved, san.span))
        else:
            for entry in (san.value or "").split(","):
                kind, _, value = entry.strip().partition(":")
                if kind.strip().upper() == "DNS":
                    names.add(value.strip())
    return names, unset


def certificate_names_unset(ctx: Context) -> Iterator[tuple[str, Unset]]:
    """(daemon service, unset value) where a ``hostname:`` or ``DOCKER_TLS_SAN`` from an unset
    variable decides DIND406: a verifying client dials a name the known names lack. Once per
    value (DIND003 reports it)."""
    seen: set[Span] = set()
    for _, _, _, daemon_name, _, _, unset in _name_cases(ctx):
        for variables, span in unset:
            if span not in seen:
                seen.add(span)
                yield daemon_name, (variables, span)


def tls_name_not_in_certificate(ctx: Context) -> Iterator[Found]:
    """DIND406: a verifying client dials a dind daemon by a name its certificate lacks."""
    for name, host, hostname, daemon_name, daemon, names, unset in _name_cases(ctx):
        if unset:
            continue  # the names are not all known: DIND003 (certificate_names_unset)
        span = daemon.service.image.span if daemon.service.image else daemon.service.span
        listed = ", ".join(sorted(names))
        yield Found(
            f"{name} verifies the TLS certificate of {daemon_name} but dials it as "
            f"`{hostname}`, a name the certificate the dind entrypoint generates does not "
            f"carry (it names the container's id and addresses, {listed}): `x509: "
            f"certificate is valid for …, not {hostname}`",
            host.span,
            ((span, f"{daemon_name} is defined here"),),
            hint=f"add `DOCKER_TLS_SAN: DNS:{hostname}` to {daemon_name}, or "
            + (
                "dial it as `docker`"
                if answers_to(tuple(network_names(daemon.service)), "docker")
                else "give it `docker` as a network alias and dial that"
            ),
        )


def _name_cases(
    ctx: Context,
) -> Iterator[tuple[str, Located[str | None], str, str, Daemon, set[str], list[Unset]]]:
    """Each verifying client that dials a daemon's generated certificate by a name its known
    names lack: (client, its ``DOCKER_HOST``, the name, daemon service, daemon, the known
    names, the unset values that may add others)."""
    for name, client in ctx.topology.clients.items():
        if _name_not_served(ctx, client) is not None:
            continue  # DIND407 reports this client
        host = client.docker_host
        if host is None:
            continue
        hostname = tcp_address(host.value or "")[0]
        if ":" in hostname or re.fullmatch(r"[0-9.]+", hostname):
            continue  # an IP literal: the certificate carries the container's addresses
        for daemon_name, daemon, port in _dialled(ctx, client):
            if not daemon.uses_entrypoint_defaults or _certs_dir(daemon) is None:
                continue  # no certificate generated by the entrypoint
            words = _flat(daemon.service.command.value if daemon.service.command else ())
            if {w.split("=", 1)[0] for w in words} & {"--tlscert", "--tlskey"}:
                continue  # its own certificate: dindlint does not know its names
            if not any(t.port == port and t.tls for t in daemon.tcp or ()):
                continue  # a port not served with TLS is DIND403's
            names, unset = _certificate_names(daemon)
            if answers_to(names, hostname):
                continue
            if not _verifies(name, client, daemon_name, daemon, _is_ci(ctx)):
                continue
            yield name, host, hostname, daemon_name, daemon, names, unset
