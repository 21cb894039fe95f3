"""``resolve_user``: the process identity dockerd computes for a user spec.

Mirrors moby/sys/user ``GetExecUser`` (moby/sys@d7c3b9e:user/user.go:287-391) as dockerd calls
it (``defaults == nil``, moby@b985e23:daemon/oci_linux.go:182-211):
a name or a uid with a passwd entry gets that entry's GID plus every group listing the name as a
member; a uid without an entry gets GID 0 and no supplementary groups; an explicit
``user:group`` gets only that group.
"""

from __future__ import annotations

from dindlint.model import ImageIdentity, ResolvedUser, UserEntry, parse_id


def _find_user(identity: ImageIdentity, part: str) -> UserEntry | None:
    """A numeric part matches by uid only, a name by name only (as in ``GetExecUser``)."""
    uid = parse_id(part)
    if uid is not None:
        return next((u for u in identity.users.values() if u.uid == uid), None)
    return identity.users.get(part)


def _explicit_gid(identity: ImageIdentity, group: str) -> tuple[bool, int | None]:
    """The explicit group's GID; ``(False, None)`` when it certainly does not exist."""
    gid = parse_id(group)
    if gid is not None:
        return True, gid  # a numeric GID is accepted without an /etc/group entry
    entry = identity.groups.get(group)
    if entry is not None:
        return True, entry.gid
    return (not identity.base_known), None


def _supplementary(identity: ImageIdentity, name: str) -> tuple[tuple[str, int | None], ...]:
    return tuple((g.name, g.gid) for g in identity.groups.values() if name in g.members)


def resolve_user(identity: ImageIdentity, spec: str | None) -> ResolvedUser | None:
    """Resolve ``spec`` (compose ``user:``; None/"" = the image's USER or its default user).

    Returns None when the answer is unknown: an unknown base image and a user that the replayed
    commands did not create (uid 0 / ``root`` excepted), a name that does not exist, or a
    variable left in the spec.
    """
    if not spec:
        spec = identity.user.value if identity.user is not None else identity.default_user
    spec = spec.strip()
    if "$" in spec or not spec:
        return None
    user_part, colon, group_part = spec.partition(":")
    explicit = bool(colon)
    entry = _find_user(identity, user_part) if user_part else None
    is_root = user_part in ("0", "root")
    if not identity.base_known and (entry is None or not entry.created_here) and not is_root:
        return None
    if entry is None and parse_id(user_part) is None and not is_root:
        return None  # "unable to find user NAME" — the container does not start (DIND306)
    explicit_known, explicit_gid = _explicit_gid(identity, group_part) if explicit else (True, None)
    if not explicit_known:
        return None
    groups_known = identity.base_known or (entry is not None and entry.created_here)
    if entry is None:
        # No passwd entry: primary GID 0 (``defaults`` is nil) and no supplementary groups
        # (user.go:350). On an unknown base, uid 0 / root is assumed, its memberships unknown.
        uid = 0 if is_root else parse_id(user_part)
        gid = explicit_gid if explicit else 0
        return ResolvedUser(
            spec,
            uid,
            "root" if is_root else None,
            gid,
            (),
            False,
            explicit,
            identity.base_known or explicit,
        )
    if explicit:
        return ResolvedUser(spec, entry.uid, entry.name, explicit_gid, (), True, True, True)
    return ResolvedUser(
        spec,
        entry.uid,
        entry.name,
        entry.gid,
        _supplementary(identity, entry.name),
        True,
        False,
        groups_known,
    )
