"""Can this client's process connect to that socket? The access model: a verdict and, for a
denial, its reason (``Denial``); the rules map reasons to rule ids (``checks.DENIAL_RULES``).

connect() on a Unix socket needs write permission on the socket inode
(torvalds/linux@001a25088c35:net/unix/af_unix.c, ``unix_find_bsd``); the socket is
``root:GID 0660`` (moby@b985e23:vendor/github.com/docker/go-connections/sockets/
unix_socket_unix.go:63-71), so a non-root process needs the socket's GID among its primary and
supplementary GIDs, which dockerd computes as moby/sys/user does (moby@b985e23:daemon/
oci_linux.go:182-211): ``group_add`` adds to
them, an explicit group in ``user:`` replaces the ``/etc/group`` memberships, a numeric uid with no
passwd entry gets GID 0 and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import Enum
from typing import NamedTuple

from dindlint.images import resolve_user
from dindlint.model import ResolvedUser, parse_id
from dindlint.source import Located, Span
from dindlint.topology import Client, Reach


class Denial(Enum):
    """Why a client cannot connect: one reason per denial, the first that applies in this
    order (so that one client yields one finding per reason)."""

    EXPLICIT_GROUP = "an explicit group drops the membership that would grant it"
    NO_PASSWD_ENTRY = "a numeric user without a passwd entry gets GID 0 and no memberships"
    GID_MISMATCH = "its groups expect the socket under another GID"
    NOT_MEMBER = "not in the socket's group"


class Verdict(NamedTuple):
    allowed: bool | None  # None: the files do not tell
    cause: Denial | None = None  # why a denial
    wrong_gid: int | None = None  # GID_MISMATCH: the GID the client expects access through
    wrong_gid_span: Span | None = None


UNKNOWN = Verdict(None)
ALLOWED = Verdict(True)


def group_add_gids(client: Client) -> tuple[set[int], bool]:
    """Numeric GIDs ``group_add`` gives, and whether every entry could be resolved."""
    gids: set[int] = set()
    complete = True
    for entry in client.identity.group_add:
        gid = _group_add_gid(client, entry)
        if gid is None:
            complete = False
        else:
            gids.add(gid)
    return gids, complete


def _group_add_gid(client: Client, entry: Located[str]) -> int | None:
    if not entry.known:
        return None
    gid = parse_id(entry.value)
    if gid is not None:
        return gid
    group = client.image.groups.get(entry.value) if client.image is not None else None
    return group.gid if group is not None else None


def user_gids(user: ResolvedUser) -> list[int | None]:
    return [user.gid, *(gid for _, gid in user.supplementary)]


def _group_names(user: ResolvedUser) -> set[str]:
    return {name for name, _ in user.supplementary}


def _grants(user: ResolvedUser, client: Client, reach: Reach) -> bool | None:
    """Whether ``user`` (plus group_add) reaches the socket's group; None when unknown."""
    if user.uid == 0:
        return True
    added, complete = group_add_gids(client)
    gid = reach.socket.gid
    if gid is None:
        if reach.socket.kind != "host":
            return None
        # Host socket GID unknown: a group named docker, or any group_add, is taken as access
        # (DIND301 stays silent); so is an explicit numeric group (`user: 1001:998`), which may be
        # the host's docker GID (DIND205 reports it as hard-coded). An unknown membership model
        # decides nothing.
        if "docker" in _group_names(user) or client.identity.group_add:
            return True
        if user.explicit_group and user.gid not in (None, 0) and _explicit_group_is_numeric(client):
            return None
        return False if user.groups_known else None
    gids = user_gids(user)
    if gid in gids or gid in added:
        return True
    if not complete or not user.groups_known or _docker_gid_unknown(user, client):
        return None  # an unknown membership, or an auto-assigned docker GID (DIND201)
    # Other auto-assigned GIDs (a user's own group from `useradd`/`adduser`) are not taken as
    # the socket's: only a group meant for Docker is ever aligned with it.
    return False


def _docker_gid_unknown(user: ResolvedUser, client: Client) -> bool:
    """The user is (or may be, through an unknown primary GID) in a `docker` group whose GID
    was auto-assigned: DIND201 reports that group, DIND202/301 stay silent about it."""
    if client.image is None:
        return False
    docker = client.image.groups.get("docker")
    if docker is None or docker.gid is not None:
        return False
    return "docker" in _group_names(user) or user.gid is None


def _explicit_group_is_numeric(client: Client) -> bool:
    spec = client.identity.spec or ""
    return parse_id(spec.partition(":")[2]) is not None


def distinct_sockets(reaches: tuple[Reach, ...]) -> Iterator[Reach]:
    """One finding per cause: a socket mounted twice into a client is judged once."""
    seen: set[tuple[str, str | None, str]] = set()
    for reach in reaches:
        key = (reach.socket.kind, reach.socket.daemon, reach.socket.path)
        if key not in seen:
            seen.add(key)
            yield reach


def verdict(client: Client, reach: Reach) -> Verdict:
    """Decide access of ``client`` to the socket carried by ``reach``."""
    identity = client.identity
    changed = {tool for path, tool in client.changed_sockets if path == reach.path}
    if changed:
        # a start command run as root changed the socket file itself (DIND107 reports it):
        # `chmod 666` lets anyone connect; a new owner or group is not modelled
        return ALLOWED if changed == {"chmod"} else UNKNOWN
    if client.alignment is not None or identity.unresolved or identity.resolved is None:
        return ALLOWED if client.alignment is not None else UNKNOWN
    user = identity.resolved
    granted = _grants(user, client, reach)
    if granted is None:
        return UNKNOWN
    if granted:
        return ALLOWED
    if user.explicit_group and _implicit_form_grants(client, reach):
        return Verdict(False, Denial.EXPLICIT_GROUP)
    if _relies_on_membership_without_entry(client, reach):
        return Verdict(False, Denial.NO_PASSWD_ENTRY)
    mismatch = _expected_gid(client, reach)
    if mismatch is not None:
        return Verdict(False, Denial.GID_MISMATCH, mismatch[0], mismatch[1])
    return Verdict(False, Denial.NOT_MEMBER)


def _implicit_form_grants(client: Client, reach: Reach) -> bool:
    """Would ``user: NAME`` (without ``:GROUP``) have reached the socket through /etc/group?"""
    if client.image is None or client.identity.spec is None:
        return False
    implicit = resolve_user(client.image, client.identity.spec.split(":", 1)[0])
    if implicit is None or not implicit.has_passwd_entry or implicit.uid == 0:
        return False  # no entry: the implicit form would get GID 0, not memberships
    without_primary = ResolvedUser(
        implicit.spec,
        implicit.uid,
        implicit.name,
        None,
        implicit.supplementary,
        True,
        False,
        implicit.groups_known,
    )
    return _grants(without_primary, client, reach) is True


def _relies_on_membership_without_entry(client: Client, reach: Reach) -> bool:
    """``user: "N"`` with no passwd entry for N, on an image whose socket access is set up
    through /etc/group membership (DIND303)."""
    user = client.identity.resolved
    image = client.image
    if user is None or image is None or not image.base_known:
        return False
    if user.has_passwd_entry or not client.identity.from_compose:
        return False
    if parse_id(client.identity.spec or "") is None:
        return False  # `N:G` gets GID G, not 0: only the plain numeric form
    for group in image.groups.values():
        if not group.members:
            continue
        if reach.socket.gid is not None and group.gid == reach.socket.gid:
            return True
        if reach.socket.gid is None and group.name == "docker":
            return True
    return False


def _expected_gid(client: Client, reach: Reach) -> tuple[int, Span | None] | None:
    """The other GID through which the client expects access: its image's ``docker`` group
    where the user is a member, or a numeric ``group_add`` (DIND202)."""
    if reach.socket.gid is None:
        return None
    user = client.identity.resolved
    if user is not None and client.image is not None:
        docker = client.image.groups.get("docker")
        if (
            docker is not None
            and docker.gid is not None
            and docker.gid != reach.socket.gid
            and ("docker" in _group_names(user) or user.gid == docker.gid)
        ):
            return docker.gid, docker.span
    for entry in client.identity.group_add:
        gid = parse_id(entry.value) if entry.known else None
        if gid is not None and gid != reach.socket.gid:
            return gid, entry.span
    return None


def describe_user(client: Client) -> str:
    """``mcpmanager with uid 1001 and groups 1001,2375``, as ``id`` would resolve it; a uid or
    gid the files do not set (auto-assigned, or a variable) is ``an unspecified uid``/``gid``."""
    user = client.identity.resolved
    if user is None:
        return f"`{client.identity.spec}`"
    name = user.name or (client.identity.spec or "root").split(":", 1)[0]
    # None: the files do not set it (auto-assigned at build time, or an unresolved variable)
    uid = "an unspecified uid" if user.uid is None else f"uid {user.uid}"
    gids = list(user_gids(user))
    added, _ = group_add_gids(client)
    numbers: list[str] = []
    unspecified = False
    for gid in [*gids, *sorted(added)]:
        if gid is None:
            unspecified = True
        elif str(gid) not in numbers:
            numbers.append(str(gid))
    if not unspecified:
        groups = f"groups {','.join(numbers) or 'none'}"
    elif numbers:
        groups = f"groups {','.join(numbers)} plus an unspecified gid"
    else:
        groups = "an unspecified gid"
    return f"{name} with {uid} and {groups}"


def socket_owner(reach: Reach) -> str:
    """``group 2375 (group `docker` of image docker:27-dind, service dind)``."""
    socket = reach.socket
    group = "root" if socket.gid == 0 else str(socket.gid)
    if socket.kind == "host":
        return f"group {group} ({socket.provenance})"
    return f"group {group} ({socket.provenance}, service {socket.daemon})"
