"""GitLab CI jobs as compose projects: the job's container is a client service, each of its
``services:`` a service on the job's network, named as the runner names it.

Sources: gitlab-runner (gitlabhq/gitlab-runner@d79f3e7) helpers/container/services/services.go
(service host names: ``/`` becomes ``__`` and ``-``), executors/docker/services.go (``alias``),
common/build.go ``GetServiceVariables`` (a service gets the job's variables, then its own);
gitlabhq/gitlabhq@41946e6:doc/ci/docker/docker_in_docker.md (the documented setups);
docker-library/docker@3289af8:docker-entrypoint.sh (the ``docker:*`` client entrypoint picks
``tcp://docker:2376`` with the generated client certificates, else ``tcp://docker:2375``).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from dindlint.compose.yamlnodes import YMap, YNode, YScalar, YSeq
from dindlint.gitlab.dockerd import dind_start
from dindlint.gitlab.resolve import (
    JobSource,
    Resolved,
    has_unresolved,
    scripts_set_docker_host,
)
from dindlint.model import CiJob, ComposeProject, Service
from dindlint.source import Located, Problem, Span

_NAME = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
_UNKNOWN = "\0"  # stands for the text of a variable with no value here
MAX_VARIABLE_DEPTH = 10
_OFFICIAL = ("", "library", "docker.io/library", "index.docker.io/library")


class Variable(NamedTuple):
    raw: str
    span: Span
    expand: bool = True


# ----------------------------------------------------------------------------------------------
# Variables
# ----------------------------------------------------------------------------------------------


def _variable(node: YNode, problems: list[Problem]) -> Variable | None:
    """A ``variables:`` entry: a scalar, or ``{value:, description:, expand:}``; None: unset."""
    if isinstance(node, YScalar):
        return None if node.is_null else Variable(node.value, node.span)
    if isinstance(node, YMap):
        value = node.get("value")
        expand = node.get("expand")
        keep = not (isinstance(expand, YScalar) and expand.value.lower() == "false")
        if isinstance(value, YScalar) and not value.is_null:
            return Variable(value.value, value.span, keep)
        if value is None:
            return Variable("", node.span, keep)  # description only: an empty value
    problems.append(Problem("DIND002", "A variable's value must be a string", node.span))
    return None


def variables_of(
    node: YNode | None, problems: list[Problem], only: set[str] | None = None
) -> dict[str, Variable]:
    if node is None or (isinstance(node, YScalar) and node.is_null):
        return {}
    if not isinstance(node, YMap):
        problems.append(Problem("DIND002", "`variables` must be a mapping", node.span))
        return {}
    found: dict[str, Variable] = {}
    for name, (_, value) in node.entries.items():
        if only is not None and name not in only:
            continue
        variable = _variable(value, problems)
        if variable is not None:
            found[name] = variable
    return found


def expand(
    text: str, variables: Mapping[str, Variable], depth: int = 0, shown: bool = False
) -> tuple[str, set[str]]:
    """``$NAME`` and ``${NAME}`` replaced by their values (nested references too); a name with
    no value becomes ``_UNKNOWN`` (with ``shown``: ``${NAME}``, for messages) and is returned.
    ``$$`` is a literal ``$``."""
    unknown: set[str] = set()
    out: list[str] = []
    index = 0
    while index < len(text):
        if text.startswith("$$", index):
            out.append("$")
            index += 2
            continue
        if text.startswith("$[[", index):  # `$[[ inputs.name ]]`: an input, unknown here
            end = text.find("]]", index)
            unknown.add("inputs")
            out.append(_UNKNOWN)
            index = len(text) if end < 0 else end + 2
            continue
        match = _NAME.match(text, index)
        if match is None:
            out.append(text[index])
            index += 1
            continue
        name = match.group(1) or match.group(2)
        variable = variables.get(name)
        if variable is None or depth >= MAX_VARIABLE_DEPTH:
            unknown.add(name)
            out.append(f"${{{name}}}" if shown else _UNKNOWN)
        elif not variable.expand:
            out.append(variable.raw)
        else:
            value, inner = expand(variable.raw, variables, depth + 1, shown)
            unknown |= inner
            out.append(value)
        index = match.end()
    return "".join(out), unknown


def _located(variable: Variable, variables: Mapping[str, Variable]) -> Located[str | None]:
    if not variable.expand:
        return Located(variable.raw, variable.span, (), False)
    value, unknown = expand(variable.raw, variables)
    return Located(
        value.replace(_UNKNOWN, ""), variable.span, tuple(sorted(unknown)), "$" in variable.raw
    )


# ----------------------------------------------------------------------------------------------
# Images and service names
# ----------------------------------------------------------------------------------------------


class ImageRef(NamedTuple):
    text: str  # expanded; ``_UNKNOWN`` where a variable had no value
    folder: str  # registry and namespace ("" for none)
    base: str  # repository basename
    tag: str


def parse_ref(text: str) -> ImageRef:
    name = text.split("@", 1)[0]
    tag = ""
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        name, _, tag = name.rpartition(":")
    folder, _, base = name.rpartition("/")
    return ImageRef(text, folder, base, tag)


def image_kind(ref: ImageRef) -> str:
    """``docker`` (a docker:* client), ``dind``, ``official`` (another Docker Hub image without
    a namespace), ``other``, or ``unknown`` (a variable decides its name or tag)."""
    if _UNKNOWN in ref.base or _UNKNOWN in ref.tag or not ref.base:
        return "unknown"
    if ref.base == "docker":
        return "dind" if "dind" in ref.tag else "docker"
    if _UNKNOWN in ref.folder:
        return "other"
    return "official" if ref.folder in _OFFICIAL else "other"


def host_names(ref: ImageRef, raw: str) -> list[str]:
    """The names the runner gives a service of image ``ref``: tag, digest and registry port
    stripped; ``/`` becomes ``__`` in the first name and ``-`` in the second. A part that a
    variable with no value here decides is kept as written (``$X``), so it never equals a
    plain name such as ``docker``."""
    name = f"{ref.folder}/{ref.base}" if ref.folder else ref.base
    if _UNKNOWN in name:
        name = raw.split("@", 1)[0]
        last = name.rsplit("/", 1)[-1]
        if ":" in last:
            name = name.rpartition(":")[0]
    parts = name.split("/")
    if len(parts) > 1 and ":" in parts[0]:
        parts[0] = parts[0].split(":", 1)[0]
    names = ["__".join(parts), "-".join(parts)]
    return list(dict.fromkeys(names))


def tls_by_default(ref: ImageRef) -> bool:
    """docker images set ``DOCKER_TLS_CERTDIR=/certs`` from 19.03 on; an unversioned tag
    (``dind``, ``stable``, ``latest``) follows the newest release (docker-library/docs
    docker/README.md: "In 19.03+, this behavior is enabled by default")."""
    match = re.match(r"^(\d+)(?:\.(\d+))?", ref.tag)
    if match is None:
        return True
    major, minor = int(match.group(1)), int(match.group(2) or 99)
    return (major, minor) >= (19, 3)


# ----------------------------------------------------------------------------------------------
# Jobs
# ----------------------------------------------------------------------------------------------


class _Image(NamedTuple):
    value: YScalar
    entrypoint: YNode | None


def _image(node: YNode | None, problems: list[Problem]) -> _Image | None:
    if node is None or (isinstance(node, YScalar) and node.is_null):
        return None
    if isinstance(node, YScalar):
        return _Image(node, None)
    if isinstance(node, YMap):
        name = node.get("name")
        if isinstance(name, YScalar) and not name.is_null:
            return _Image(name, node.get("entrypoint"))
    problems.append(
        Problem("DIND002", "`image` must be a name or a mapping with `name`", node.span)
    )
    return None


def _words(node: YNode | None) -> Located[tuple[str, ...] | str] | None:
    if node is None or (isinstance(node, YScalar) and node.is_null):
        return None
    if isinstance(node, YScalar):
        return Located(node.value, node.span)
    if isinstance(node, YSeq):
        return Located(tuple(i.value for i in node.items if isinstance(i, YScalar)), node.span)
    return None


def _entrypoint_for(
    entrypoint: Located[tuple[str, ...] | str] | None, env: Mapping[str, Variable]
) -> tuple[Located[tuple[str, ...] | str] | None, Located[tuple[str, ...] | str] | None, bool]:
    """A service ``entrypoint:`` as the topology reads it: (entrypoint, command, listeners
    known). One that runs ``dockerd-entrypoint.sh`` (itself or in ``sh -c``) keeps its defaults
    with the arguments after it as the command; one that runs ``dockerd`` gives its flags."""
    if entrypoint is None:
        return None, None, True
    value = entrypoint.value
    words = list(value) if isinstance(value, tuple) else _split(value)
    if len(words) >= 3 and words[0].rsplit("/", 1)[-1] in ("sh", "bash") and words[1] == "-c":
        # the script as the shell gets it: the topology reads it command by command
        script, unknown = expand(words[2], env)
        if unknown:
            return entrypoint, None, False
        return Located((words[0], "-c", script), entrypoint.span), None, True
    text, unknown = expand(" ".join(shlex.quote(w) for w in words), env)
    words = _split(text)
    for index, word in enumerate(words):
        base = word.rsplit("/", 1)[-1]
        if base == "dockerd-entrypoint.sh":
            rest = tuple(words[index + 1 :])
            if any(_UNKNOWN in w for w in rest):
                return Located(("dockerd-entrypoint.sh",), entrypoint.span), None, False
            command: Located[tuple[str, ...] | str] | None = (
                Located(rest, entrypoint.span) if rest else None
            )
            return Located(("dockerd-entrypoint.sh",), entrypoint.span), command, True
        if base == "dockerd":
            if unknown:
                return entrypoint, None, False
            return Located(tuple(words[index:]), entrypoint.span), None, True
    return entrypoint, None, True


def _certdir(environment: Mapping[str, Located[str | None]], ref: ImageRef) -> str | None:
    """The ``DOCKER_TLS_CERTDIR`` a docker image's entrypoint works with: the variable, else the
    image's default (``/certs`` from 19.03, empty before); None when a variable decides."""
    certdir = environment.get("DOCKER_TLS_CERTDIR")
    if certdir is None:
        return "/certs" if tls_by_default(ref) else ""
    if not certdir.known:
        return None
    return certdir.value or ""


def _generated_certs(service: Service) -> bool | None:
    """Whether a dind service's entrypoint generates the TLS certificates (its defaults run,
    with a certificate directory); None when that is not known here."""
    if service.image is None:
        return None
    start = dind_start(_flat_words(service.entrypoint), _flat_words(service.command), True)
    if start is not None and not start.known:
        return None
    if start is None or not start.defaults:
        return False  # dockerd run directly, or another command: no certificates generated
    certdir = _certdir(service.environment, parse_ref(service.image.value))
    return None if certdir is None else bool(certdir)


def _flat_words(value: Located[tuple[str, ...] | str] | None) -> tuple[str, ...] | None:
    """A service's ``entrypoint`` or ``command`` as words, the way the topology reads them."""
    if value is None:
        return None
    return tuple(value.value.split()) if isinstance(value.value, str) else value.value


def _shell(node: YNode | None) -> bool:
    """``entrypoint: [sh, -c, "…"]``: the service's ``command`` does not reach the script's
    commands (it becomes ``$0``, ``$1``…)."""
    words = _words(node)
    value = words.value if words is not None else ()
    parts = list(value) if isinstance(value, tuple) else _split(value)
    return len(parts) >= 2 and parts[0].rsplit("/", 1)[-1] in ("sh", "bash") and parts[1] == "-c"


def _split(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


class _ServiceEntry(NamedTuple):
    image: YScalar
    span: Span
    aliases: tuple[str, ...]
    entrypoint: YNode | None
    command: YNode | None
    variables: YNode | None


def _service_entries(node: YNode | None, problems: list[Problem]) -> list[_ServiceEntry]:
    if node is None or (isinstance(node, YScalar) and node.is_null):
        return []
    if not isinstance(node, YSeq):
        problems.append(Problem("DIND002", "`services` must be a list", node.span))
        return []
    entries: list[_ServiceEntry] = []
    for item in node.items:
        if isinstance(item, YScalar) and not item.is_null:
            entries.append(_ServiceEntry(item, item.span, (), None, None, None))
        elif isinstance(item, YMap) and isinstance(item.get("name"), YScalar):
            name = item.get("name")
            assert isinstance(name, YScalar)
            alias = item.get("alias")
            aliases = (
                tuple(a for a in re.split(r"[,\s]+", alias.value) if a)
                if isinstance(alias, YScalar) and not alias.is_null
                else ()
            )
            entries.append(
                _ServiceEntry(
                    name,
                    item.span,
                    aliases,
                    item.get("entrypoint"),
                    item.get("command"),
                    item.get("variables"),
                )
            )
        elif not (isinstance(item, YScalar) and item.is_null):
            problems.append(
                Problem("DIND002", "A service must be an image name or have `name:`", item.span)
            )
    return entries


def _inherit(job: YMap, key: str) -> bool | set[str]:
    inherit = job.get("inherit")
    value = inherit.get(key) if isinstance(inherit, YMap) else None
    if isinstance(value, YScalar) and value.value.lower() == "false":
        return False
    if isinstance(value, YSeq):
        return {i.value for i in value.items if isinstance(i, YScalar)}
    return True


def _from_defaults(job: YMap, top: YMap, key: str) -> tuple[YNode | None, bool]:
    """``key`` of the job, else of ``default:``, else the deprecated top-level one (unless
    ``inherit: default:`` excludes it); True when it comes from those."""
    if key in job.entries:
        return job.get(key), False
    allowed = _inherit(job, "default")
    if allowed is False or (isinstance(allowed, set) and key not in allowed):
        return None, False
    default = top.get("default")
    if isinstance(default, YMap) and key in default.entries:
        return default.get(key), True
    if key in top.entries:
        return top.get(key), True
    return None, False


def job_project(
    resolved: Resolved,
    job: JobSource,
    problems: list[Problem],
    runner_env: Mapping[str, str] | None = None,
) -> ComposeProject:
    """The compose project of one job."""
    top = resolved.top
    assert top is not None
    node = job.node
    allowed = _inherit(node, "variables")
    only = None if allowed is True else (allowed if isinstance(allowed, set) else set())
    variables: dict[str, Variable] = {
        name: Variable(value, job.span) for name, value in (runner_env or {}).items()
    }
    variables.update(variables_of(top.get("variables"), problems, only))
    variables.update(variables_of(node.get("variables"), problems))

    image_node, _ = _from_defaults(node, top, "image")
    image = _image(image_node, problems)
    client_name = f"job {job.name}"
    client_image: Located[str] | None = None
    kind = "unknown"
    entrypoint_override: Located[tuple[str, ...] | str] | None = None
    if image is not None:
        text, unknown = expand(image.value.value, variables)
        ref = parse_ref(text)
        kind = image_kind(ref)
        client_image = Located(
            expand(image.value.value, variables, shown=True)[0],
            image.value.span,
            tuple(sorted(unknown)),
            "$" in image.value.value,
        )
        entrypoint_override = _words(image.entrypoint)

    services_node, from_defaults = _from_defaults(node, top, "services")
    services: dict[str, Service] = {}
    daemons: list[tuple[str, Span, bool]] = []
    for entry in _service_entries(services_node, problems):
        text, unknown = expand(entry.image.value, variables)
        ref = parse_ref(text)
        env_vars = dict(variables)
        env_vars.update(variables_of(entry.variables, problems))
        names = host_names(ref, entry.image.value)
        names.extend(a for a in entry.aliases if a not in names)
        key = names[0]
        while key in services or key == client_name:
            key += "'"
        service_kind = image_kind(ref)
        environment = {n: _located(v, env_vars) for n, v in env_vars.items()}
        if service_kind != "dind":
            # it gets the job's `DOCKER_HOST` too, but is no client of the job's daemon
            environment.pop("DOCKER_HOST", None)
        entrypoint, command, known = _entrypoint_for(_words(entry.entrypoint), env_vars)
        if command is None and entry.entrypoint is None:
            command = _words(entry.command)
        elif entry.command is not None and entrypoint is not None and not _shell(entry.entrypoint):
            extra = _words(entry.command)
            if extra is not None:
                before = command.value if command is not None else ()
                command = Located(tuple(before) + tuple(_flat(extra.value)), extra.span)
        if not known:
            # the listeners depend on a value not known here: the topology leaves them unknown
            # (an unresolved TLS setting makes them so, for the entrypoint and for dockerd)
            for name, default in (("DOCKER_TLS_CERTDIR", "/certs"), ("DOCKER_TLS_VERIFY", "")):
                given = environment.get(name)
                environment[name] = Located(
                    given.value if given is not None and given.value is not None else default,
                    given.span if given is not None else entry.span,
                    ("entrypoint",),
                )
        services[key] = Service(
            name=key,
            span=entry.span,
            image=Located(
                expand(entry.image.value, variables, shown=True)[0],
                entry.image.span,
                tuple(sorted(unknown)) if service_kind == "unknown" else (),
                "$" in entry.image.value,
            ),
            environment=environment,
            command=command,
            entrypoint=entrypoint,
            network_aliases=tuple(n for n in names if n != key),
        )
        if service_kind == "dind":
            daemons.append((key, entry.span, from_defaults))

    client_env = {n: _located(v, variables) for n, v in variables.items()}
    # the scripts the job runs: its own, else `default:`'s (or the deprecated top-level ones)
    # when it inherits them
    scripts = [_from_defaults(node, top, key)[0] for key in ("before_script", "after_script")]
    scripts.append(node.get("script"))
    docker_host = "DOCKER_HOST" in variables or scripts_set_docker_host(scripts)
    from_image = False
    if (
        "DOCKER_HOST" not in variables
        and daemons
        and not docker_host
        and kind in ("docker", "dind")
        and entrypoint_override is None
        and client_image is not None
    ):
        # the entrypoint picks 2376 when it finds the client certificates, which the daemon
        # answering as `docker` generates (shared by the runner's `/certs/client` volume)
        client_certs = _certdir(client_env, parse_ref(client_image.value))
        named = [
            services[k] for k, _, _ in daemons if "docker" in (k, *services[k].network_aliases)
        ]
        daemon_certs = _generated_certs(named[0]) if named else True
        if client_certs is not None and daemon_certs is not None:
            tls = bool(client_certs) and daemon_certs
            client_env["DOCKER_HOST"] = Located(
                "tcp://docker:2376" if tls else "tcp://docker:2375", client_image.span
            )
            from_image = True
    client = Service(
        name=client_name,
        span=job.span,
        image=client_image,
        environment=client_env,
        entrypoint=entrypoint_override,
    )
    all_services = {client_name: client, **services}
    judged = (
        job.complete
        and (
            not (resolved.unresolved_includes or resolved.forwarded_variables)
            or _self_contained(job)
        )
        and not any(has_unresolved(n) for n in (node, top.get("variables"), top.get("default")))
    )
    conditional = _rules_variables(top, node)
    if any(name.startswith("DOCKER_") for name in conditional):
        judged = False  # `rules: variables:` may set them, whichever rule matches (not evaluated)
    if judged and daemons and not docker_host and kind == "unknown" and client_image is not None:
        # the image decides DIND501: say which variable leaves it unknown (GitLab always fills
        # its predefined `CI_*` ones, and a pipeline's `$[[ inputs ]]`)
        unset = [n for n in client_image.unresolved if not n.startswith("CI_") and n != "inputs"]
        if unset:
            listed = ", ".join(f"`{n}`" for n in unset)
            problems.append(
                Problem(
                    "DIND003",
                    f"the image of job {job.name} names {listed}, which has no value here; "
                    "skipped: whether the job's Docker client finds its Docker-in-Docker service",
                    client_image.span,
                )
            )
    ci = CiJob(
        name=job.name,
        span=job.span,
        client=client_name,
        image=client_image,
        image_kind=kind,
        entrypoint_overridden=entrypoint_override is not None,
        daemon_services=tuple(daemons),
        docker_host=docker_host,
        endpoint_from_image=from_image,
        judged=judged,
        own_variables=tuple(n for n in _own_variables(resolved, job) if n not in conditional),
        runner_env=tuple(sorted(runner_env or {})),
    )
    return ComposeProject(
        name=job.name,
        directory=resolved.path.parent,
        files=resolved.files,
        services=all_services,
        volumes={},
        problems=tuple(problems),
        ci=ci,
    )


_DECIDING = ("DOCKER_HOST", "DOCKER_TLS_CERTDIR")


def _self_contained(job: JobSource) -> bool:
    """Whether the job's own mapping sets what the endpoint rules rest on (its image, its
    services, ``DOCKER_HOST`` and ``DOCKER_TLS_CERTDIR``): then no unresolved include can change
    them (job values win over global ones)."""
    own = job.own
    if "extends" in own.entries or not {"image", "services"} <= own.entries.keys():
        return False
    variables = own.get("variables")
    return isinstance(variables, YMap) and all(k in variables.entries for k in _DECIDING)


def _rules_variables(top: YMap, node: YMap) -> set[str]:
    """The variables ``workflow: rules:`` and the job's ``rules:`` may set: which rule matches is
    decided when the pipeline runs, and a matching rule's ``variables`` override the global and
    the job's own (https://docs.gitlab.com/ee/ci/yaml/#rulesvariables and
    https://docs.gitlab.com/ee/ci/yaml/#workflowrulesvariables; gitlab-org/gitlab#294232)."""
    workflow = top.get("workflow")
    lists = [node.get("rules"), workflow.get("rules") if isinstance(workflow, YMap) else None]
    names: set[str] = set()
    for rules in lists:
        for rule in rules.items if isinstance(rules, YSeq) else ():
            variables = rule.get("variables") if isinstance(rule, YMap) else None
            if isinstance(variables, YMap):
                names.update(variables.entries)
    return names


def _own_variables(resolved: Resolved, job: JobSource) -> tuple[str, ...]:
    """The variables the job's own ``variables:`` sets in the pipeline's file: no include can
    change them (the including file wins; among included files, a later one would)."""
    own = variables_of(job.own.get("variables"), [])
    return tuple(sorted(n for n, v in own.items() if v.span.path == resolved.path))


def _flat(value: tuple[str, ...] | str) -> tuple[str, ...]:
    return tuple(_split(value)) if isinstance(value, str) else value


def pipeline_files(resolved: Resolved) -> tuple[Path, ...]:
    return resolved.files


def socket_fallback(job: CiJob) -> str | None:
    """Why the job's client falls back to ``unix:///var/run/docker.sock`` although the job has
    a Docker-in-Docker service (DIND501), or None when it does not (or that is not known)."""
    if not job.daemon_services or job.docker_host or job.image is None:
        return None
    if job.image_kind == "official":
        return "its image cannot set one (an official image other than `docker`)"
    if job.image_kind in ("docker", "dind") and job.entrypoint_overridden:
        return (
            "its image's entrypoint, which would set one, is overridden (`image: {entrypoint: …}`)"
        )
    return None
