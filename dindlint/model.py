"""The typed, immutable model that the loaders produce and every later stage reads.

Loaders (``dindlint.compose``, ``dindlint.dockerfile``) build these objects; nothing after the
load stage sees raw YAML or raw Dockerfile text again. Every value carries the span of the file
that supplied it, so a finding can point at the line to change.

The records here (and dindlint's other immutable records) are ``typing.NamedTuple`` classes
rather than frozen dataclasses: a frozen dataclass costs every run about half a millisecond to
create at import (it compiles six generated methods), a NamedTuple about a third of that. So a
record is a tuple of its fields, equal to any tuple of the same values: never compare records of
different types, or a record with a plain tuple. A dict field's default is one shared empty
dict, which nothing writes to. For the same reason the mutable working classes elsewhere (parser
and replay state) are ``@dataclass(eq=False, repr=False)``: nothing compares them, and they
compare by identity.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import NamedTuple

from dindlint.source import Located, Problem, Span

# --------------------------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------------------------

# Linux uids and gids are unsigned 32-bit (``uid_t``); ports and versions fit as well.
MAX_ID = 2**32 - 1
_MAX_ID_DIGITS = len(str(MAX_ID))


def parse_id(text: str) -> int | None:
    """``text`` as a uid, GID, port or version number, or None when it is not one.

    A number is ASCII decimal digits only, ten at most, no sign and no blanks, and at most
    ``MAX_ID``. ``str.isdigit()`` is not enough: it is true for ``²`` (which ``int()`` refuses)
    and for other scripts' digits (which ``int()`` takes, and no tool reading ``/etc/passwd`` or
    a port does); and ``int()`` refuses a string of more than 4,300 digits.
    """
    if not (0 < len(text) <= _MAX_ID_DIGITS and text.isascii() and text.isdecimal()):
        return None
    value = int(text)
    return value if value <= MAX_ID else None


# --------------------------------------------------------------------------------------------
# Expanded values
# --------------------------------------------------------------------------------------------

# The most characters one value may expand to (compose interpolation, `.env`, Dockerfile ARG and
# ENV), unless its own text is longer. Real values are far shorter; without a cap a chain that
# doubles a variable on each line (`V2=${V1}${V1}`) makes 26 lines of `.env` take gigabytes. A
# value over the cap is reported where it is written, and is unknown from there on.
MAX_EXPANDED_CHARS = 64 * 1024


def expansion_limit(template: str) -> int:
    """How long the expansion of ``template`` may grow: the cap, or the template's own length
    (substitution may keep a long text as it is, e.g. ``$$`` becoming ``$``)."""
    return max(MAX_EXPANDED_CHARS, len(template))


def too_long_message(limit: int) -> str:
    """The one wording of the cap, for every kind of value."""
    return f"expands to more than {limit:,} characters; not expanded further (value unknown)"


# --------------------------------------------------------------------------------------------
# Compose
# --------------------------------------------------------------------------------------------


class Mount(NamedTuple):
    """One entry of a service's ``volumes:`` after interpolation and merging.

    ``type`` is ``bind``, ``volume``, ``tmpfs`` (or another long-syntax type). For a short-syntax
    entry, a source that starts with ``.``, ``/``, ``~`` or ``\\`` is a bind, anything else a named
    volume (compose-go format/volume.go). ``source`` is interpolated; a bind's source is
    normalised and made absolute (``./x`` against the compose file's folder; ``~`` is kept as
    written, never expanded). ``source`` is None for anonymous volumes.
    """

    type: str
    source: str | None
    target: str
    read_only: bool
    span: Span  # the whole entry (short string, or the long mapping)
    short_syntax: bool
    read_only_span: Span | None = None  # where ``:ro`` / ``read_only: true`` was written
    unresolved: tuple[str, ...] = ()  # variables in source/target with no value and no default

    @property
    def known(self) -> bool:
        return not self.unresolved


class VolumesFrom(NamedTuple):
    """``volumes_from: [svc]``, ``svc:ro``, ``container:name[:mode]``."""

    service: str | None  # None when it names a container
    container: str | None
    read_only: bool
    span: Span


class Port(NamedTuple):
    """A published port. ``host_ip`` is None when not given (all interfaces)."""

    host_ip: str | None
    published: str | None  # may be a range "8000-8010" or None
    target: int | None
    protocol: str
    span: Span


class Build(NamedTuple):
    context: Path | None  # absolute; None when it is a URL or unresolved
    dockerfile: (
        Path | None
    )  # absolute path of the Dockerfile; None for dockerfile_inline or unknown
    target: Located[str] | None
    args: dict[str, Located[str | None]]  # None value: arg listed without a value
    span: Span
    context_raw: str = ""
    # the context or `dockerfile` as written, when an unset variable leaves it unknown (its
    # ``unresolved`` names the variables)
    unknown_path: Located[str] | None = None


class Service(NamedTuple):
    name: str
    span: Span  # the service's key in the file that defined it
    image: Located[str] | None = None
    build: Build | None = None
    container_name: Located[str] | None = None
    volumes: tuple[Mount, ...] = ()
    volumes_from: tuple[VolumesFrom, ...] = ()
    user: Located[str] | None = None
    group_add: tuple[Located[str], ...] = ()
    environment: dict[str, Located[str | None]] = {}  # noqa: RUF012 - a field, never mutated
    command: Located[tuple[str, ...] | str] | None = None  # list form → tuple, string form → str
    entrypoint: Located[tuple[str, ...] | str] | None = None
    privileged: Located[bool] | None = None
    runtime: Located[str] | None = None
    ports: tuple[Port, ...] = ()
    network_aliases: tuple[str, ...] = ()
    hostname: Located[str] | None = None
    use_api_socket: Located[bool] | None = None
    network_mode: Located[str] | None = None  # ``host``, ``service:NAME``, ``container:NAME``
    networks: tuple[str, ...] | None = None  # the networks it joins; None: not listed (default)
    links: tuple[tuple[str, str], ...] = ()  # (service, alias) of each ``links`` entry
    extra_hosts: tuple[str, ...] = ()  # the names ``extra_hosts`` adds to /etc/hosts
    external_links: bool = False  # ``external_links``: containers outside the project answer
    missing_env_files: tuple[Located[str], ...] = ()  # required ``env_file`` entries not found


class CiJob(NamedTuple):
    """What a GitLab CI job adds to the compose model of it (``dindlint.gitlab``): the job's
    container is the client service ``client``, each of its ``services:`` a service of the
    project, all on one network."""

    name: str
    span: Span  # the job's key
    client: str  # the key of the job's container in ``ComposeProject.services``
    image: Located[str] | None  # the job's image as expanded (None: none given; the runner's)
    image_kind: str  # "docker" (docker:* client), "dind", "official", "other", "unknown"
    entrypoint_overridden: bool  # ``image: {entrypoint: …}``
    # each docker:*dind* service: (its key in ``services``, its entry, from top-level or
    # ``default:`` ``services`` rather than the job's own)
    daemon_services: tuple[tuple[str, Span, bool], ...] = ()
    docker_host: bool = False  # a ``DOCKER_HOST`` reaches the job (variables or its scripts)
    endpoint_from_image: bool = False  # the DOCKER_HOST is the docker:* entrypoint's choice
    judged: bool = True  # False: an unresolved include may change what the job gets
    # the variables the job's own ``variables:`` sets: nothing merged in can change them
    own_variables: tuple[str, ...] = ()
    # variables the configuration says the runner injects (``gitlab-runner-env``)
    runner_env: tuple[str, ...] = ()


class ComposeProject(NamedTuple):
    """A compose file merged with its override files, ``extends`` and ``include``; or one job of
    a GitLab CI pipeline (``ci``)."""

    name: str
    directory: Path  # the project directory (folder of the first compose file)
    files: tuple[Path, ...]  # every file read: base, overrides, extended and included files, .env
    services: dict[str, Service]
    volumes: dict[str, Span]  # top-level named volumes
    problems: tuple[Problem, ...] = ()
    networks: dict[str, bool] = {}  # noqa: RUF012 - top-level networks: name → ``external``
    ci: CiJob | None = None  # the GitLab CI job this project models
    # the projects ``include`` brought in whole (none of their services overridden), in order
    included: tuple[ComposeProject, ...] = ()
    # the names of the services none of ``included`` brought in, as the loader records them
    # (None: every service is the project's own); read through ``own_service_names``
    own_services: frozenset[str] | None = None

    def own_service_names(self) -> AbstractSet[str]:
        """The names of the services that no project of ``included`` brought in: known from
        loading, not from a pass over ``services`` (forty includers of a file of 71,000
        services each went through all of them). A copy made with other ``services`` or
        without ``included`` gets the right answer too."""
        if self.own_services is None or not self.included:
            return self.services.keys()
        return {name for name in self.own_services if name in self.services}


# --------------------------------------------------------------------------------------------
# Dockerfile
# --------------------------------------------------------------------------------------------


class ShellCommand(NamedTuple):
    """One simple command out of a RUN (split on ``&&``, ``||``, ``;``, ``|``, newlines).

    ``argv`` has ARG/ENV substitution applied where the value is known. ``span`` is the physical
    line where the command starts. ``conditional`` is True when the command runs only under a
    condition (after ``||``, inside ``if``/``case``/a loop, ...): a "maybe" fact. ``handled``
    is not empty when a failure of the command does not fail the RUN: how it is handled
    (``||`` followed by another command, ``|| true``, ``|| :``, ``; true``).
    """

    argv: tuple[str, ...]
    span: Span
    conditional: bool = False
    handled: str = ""


class Instruction(NamedTuple):
    """One Dockerfile instruction. ``keyword`` is upper-case (``RUN``, ``USER``, ``COPY`` …)."""

    keyword: str
    value: str  # the instruction's text after the keyword, continuation lines joined
    span: Span  # first physical line .. last physical line
    commands: tuple[ShellCommand, ...] = ()  # RUN only (shell form and heredoc bodies)
    # --chown=app:app, --from=builder, ...
    flags: dict[str, str] = {}  # noqa: RUF012 - a field, never mutated
    exec_form: tuple[str, ...] | None = None  # JSON form of RUN/CMD/ENTRYPOINT


class Stage(NamedTuple):
    # the stage's position; the field hides tuple.index(), which nothing calls on a Stage
    index: int  # type: ignore[assignment]
    name: str | None  # ``FROM … AS name``
    base: Located[str]  # the image reference (ARGs substituted where known)
    instructions: tuple[Instruction, ...]
    span: Span  # the FROM line


class Dockerfile(NamedTuple):
    path: Path
    stages: tuple[Stage, ...]
    global_args: dict[str, str | None]  # ARGs before the first FROM, with defaults
    lines: tuple[str, ...]  # raw physical lines, for excerpts and suppressions
    problems: tuple[Problem, ...] = ()

    def stage(self, target: str | None) -> Stage | None:
        """The stage compose builds: ``target`` by name (case-insensitive), else the last one."""
        if not self.stages:
            return None
        if target is None:
            return self.stages[-1]
        for stage in self.stages:
            if stage.name and stage.name.lower() == target.lower():
                return stage
        return None


# --------------------------------------------------------------------------------------------
# Image identity (the "resolve" stage)
# --------------------------------------------------------------------------------------------


class GroupEntry(NamedTuple):
    """A line of the image's ``/etc/group``. ``gid`` None: auto-assigned, value unknown."""

    name: str
    gid: int | None
    members: frozenset[str] = frozenset()
    span: Span | None = None  # the command that created it; None when it comes from the base image
    maybe: bool = False  # created by a conditional command


class UserEntry(NamedTuple):
    """A line of the image's ``/etc/passwd``. ``uid``/``gid`` None: auto-assigned or unknown."""

    name: str
    uid: int | None
    gid: int | None
    span: Span | None = None
    created_here: bool = False  # created by a Dockerfile command dindlint replayed


class DaemonInfo(NamedTuple):
    """What a daemon image provides when run with its default entrypoint (knowledge base). The
    socket's group is the image's ``docker`` group (dockerd's default ``--group docker``), read
    from the image's groups like any other: ``root:root`` when the image has none."""

    socket_path: str  # e.g. /var/run/docker.sock
    tls_default: bool  # DOCKER_TLS_CERTDIR defaults to /certs (TLS on 2376)
    rootless: bool = False
    source: str = ""  # citation


# Identity events: facts the replay notices on the way, for the Dockerfile rules. Each names
# where it happened (``span``, the stage), the command (``addgroup``, ``USER``, ``COPY --chown``)
# and whether it runs conditionally (``getent group 999 || addgroup …``: a failure there does not
# stop the build).


class GroupCreated(NamedTuple):
    """A group created by a command, or by a package install (``by_package``)."""

    span: Span
    stage_index: int
    command: str
    conditional: bool
    name: str
    gid: int | None  # the GID it gets, when known
    gid_written: str | None  # the GID as the command gives it; None: none given (auto-assigned)
    by_package: bool = False
    gid_option: str = "-g"  # how the command takes a GID (Debian's addgroup: `--gid`)


class IdInUse(NamedTuple):
    """A group or user created with a name (``what``: group, user) or an id (gid, uid) that is
    already taken."""

    span: Span
    stage_index: int
    command: str
    conditional: bool
    what: str
    value: str
    taken_by: str  # the group or user that holds it
    taken_at: Span | None  # where that one was created; None: in the base image
    handled: str = ""  # how the RUN handles the failure (``||``, ``|| true``, ``; true``)


class UsermodReplaces(NamedTuple):
    """``usermod -G LIST USER`` without ``-a``: the user's supplementary groups are replaced."""

    span: Span
    stage_index: int
    command: str
    conditional: bool
    user: str
    groups: tuple[str, ...]  # as given
    removed: tuple[str, ...]  # memberships it drops


class AdduserIgnoresGroup(NamedTuple):
    """busybox ``adduser [options] USER GROUP``: the group argument is ignored."""

    span: Span
    stage_index: int
    command: str
    conditional: bool
    user: str
    group: str


class UnknownName(NamedTuple):
    """A user or group (``what``) referenced before it exists."""

    span: Span
    stage_index: int
    command: str
    conditional: bool
    what: str
    name: str
    handled: str = ""  # how the RUN handles the failure (``||``, ``|| true``, ``; true``)


IdentityEvent = GroupCreated | IdInUse | UsermodReplaces | AdduserIgnoresGroup | UnknownName


class ScriptCommand(NamedTuple):
    """A simple command the container runs at start (its ENTRYPOINT or CMD, inline or in a
    script the image copies from the build context), as words; read, never run."""

    words: tuple[str, ...]
    span: Span
    part: str  # "entrypoint" or "cmd": the part of the container's command it comes from
    # False inside a function body, a loop, a `case`, an `if` branch other than the one a root
    # process takes, or after `&&`/`||`: whether it runs is not certain
    certain: bool = True


class SkippedScript(NamedTuple):
    """An entrypoint script that was not read (over the size limit): what it does is unknown."""

    path: str  # the script, relative to the build context
    span: Span  # the ENTRYPOINT or CMD that runs it
    part: str  # "entrypoint" or "cmd"


class ImageIdentity(NamedTuple):
    """Users, groups and effective user an image will have, as far as the files show them.

    ``base_known`` is False when the base image is neither in the knowledge base nor built here:
    then entries not created by the replayed commands are unknown, and memberships the base might
    add are unknown too (rules/DIND301-user-cannot-access-socket.md, Exceptions).
    """

    description: str  # "docker:25.0.5-dind", "python:3.12-alpine + orchestrator/manager/Dockerfile"
    base_known: bool
    family: str | None  # "busybox", "shadow", or None (unknown)
    users: dict[str, UserEntry]
    groups: dict[str, GroupEntry]
    user: Located[str] | None  # the last USER of the built stage chain; None: image default
    default_user: str = "root"  # USER of the base image per the knowledge base
    daemon: DaemonInfo | None = None
    alignment: Span | None = None  # a recognised runtime GID alignment (entrypoint script …)
    entrypoint: tuple[str, ...] | None = None
    cmd: tuple[str, ...] | None = None
    events: tuple[IdentityEvent, ...] = ()
    source: str = ""  # citation of the knowledge-base entry used, if any
    # the commands of its ENTRYPOINT and CMD, and of the scripts they run (``images.entrypoint``)
    start_commands: tuple[ScriptCommand, ...] = ()
    skipped_scripts: tuple[SkippedScript, ...] = ()


class ResolvedUser(NamedTuple):
    """The process identity dockerd would compute for a user spec (moby/sys/user GetExecUser).

    ``gids`` is primary GID first, then supplementary GIDs from ``/etc/group`` (without
    ``group_add``). A GID may be None when the group exists but its GID was auto-assigned.
    ``groups_known`` is False when memberships the base image adds are unknown.
    """

    spec: str
    uid: int | None
    name: str | None
    gid: int | None
    supplementary: tuple[tuple[str, int | None], ...]  # (group name, gid)
    has_passwd_entry: bool
    explicit_group: bool
    groups_known: bool
