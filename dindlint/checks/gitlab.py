"""DIND5xx: GitLab CI jobs (``dindlint.gitlab`` maps each job to a compose project), and which
rules judge a job at all."""

from __future__ import annotations

import functools
from collections.abc import Iterator

from dindlint.checks.base import Check, Context, ci_job
from dindlint.findings import Found
from dindlint.gitlab.jobs import socket_fallback
from dindlint.topology import answers_to

# The rules that judge a GitLab CI job: what the file shows of endpoints, ports, TLS and names.
# The others read what a CI file cannot show (runner `privileged`, runner volumes, published
# ports, socket mounts, image users): they do not run on a job.
CI_RULES = frozenset(
    {
        "DIND001",
        "DIND002",
        "DIND003",
        "DIND108",
        "DIND403",
        "DIND405",
        "DIND406",
        "DIND407",
        "DIND408",
        "DIND409",
        "DIND410",
        "DIND501",
    }
)
# The rules a job is judged by even when an unresolved include may change what it gets.
_ALWAYS = frozenset({"DIND001", "DIND002", "DIND003"})
# The rules whose finding rests only on one variable of the job: judged whenever the job's own
# `variables:` sets it (a job's value wins over any global or template one).
_OWN_VALUE = {"DIND108": "DOCKER_HOST", "DIND405": "DOCKER_TLS_VERIFY"}


def for_ci(rule_id: str, check: Check) -> Check:
    """``check`` as it runs on a project: unchanged for compose; on a GitLab CI job, only when
    ``rule_id`` judges jobs, and when an unresolved include cannot change the values it rests on
    (``CiJob.judged``, or the job's own value of the one variable the rule reads; the include's
    DIND003 covers the job otherwise)."""
    if rule_id in _ALWAYS:
        return check

    @functools.wraps(check)
    def wrapped(ctx: Context) -> Iterator[Found]:
        job = ci_job(ctx)
        if job is not None and rule_id not in CI_RULES:
            return
        if job is not None and not job.judged and _OWN_VALUE.get(rule_id) not in job.own_variables:
            return
        yield from check(ctx)

    return wrapped


_DOCKER_SOCKET_ERROR = "`Cannot connect to the Docker daemon at unix:///var/run/docker.sock`"


def dind_service_without_endpoint(ctx: Context) -> Iterator[Found]:
    """DIND501: a job with a Docker-in-Docker service whose client has no ``DOCKER_HOST``."""
    compose, job = ctx.project.compose, ci_job(ctx)
    if compose is None or job is None:
        return
    why = socket_fallback(job)
    image = job.image
    if why is None or image is None:
        return  # a docker:* image sets it; another image may set it itself; none: the runner's
    key, span, _ = job.daemon_services[0]
    service = compose.services[key]
    shown = service.image.value if service.image is not None else key
    message = (
        f"job {job.name} has the Docker-in-Docker service `{shown}`, but no `DOCKER_HOST` "
        f"reaches the job and {why}: the client falls back to `unix:///var/run/docker.sock`, "
        f"which does not exist in the job container ({_DOCKER_SOCKET_ERROR})"
    )
    hint = (
        "set `DOCKER_HOST: tcp://docker:2376` with `DOCKER_TLS_VERIFY: 1` and `DOCKER_CERT_PATH: "
        '/certs/client` (TLS), or `tcp://docker:2375` with `DOCKER_TLS_CERTDIR: ""`'
    )
    if not answers_to((key, *service.network_aliases), "docker"):
        # the certificate the dind entrypoint generates names `docker`, not the image's name
        hint = "give the service `alias: docker` and " + hint
    severity = None
    if all(from_default for _, _, from_default in job.daemon_services):
        severity = "warning"
        hint += "; or, if the job needs no Docker, give it `services: []`"
    yield Found(
        message,
        span,
        ((image.span, f"the image of job {job.name}"),),
        severity=severity,
        hint=hint,
    )
