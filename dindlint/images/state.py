"""The mutable working state of a replay, frozen into an :class:`ImageIdentity` at the end."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from dindlint.images.knowledge import KnownImage
from dindlint.model import DaemonInfo, GroupEntry, UserEntry, parse_id
from dindlint.source import Located, Span


@dataclass(eq=False, repr=False)
class WGroup:
    """A working ``/etc/group`` line."""

    name: str
    gid: int | None
    members: set[str] = field(default_factory=set)
    span: Span | None = None  # None: from the base image
    maybe: bool = False
    created_here: bool = False


@dataclass(eq=False, repr=False)
class WUser:
    """A working ``/etc/passwd`` line; ``primary`` names the primary group when it is known."""

    name: str
    uid: int | None
    gid: int | None
    primary: str | None = None
    span: Span | None = None
    created_here: bool = False
    maybe: bool = False  # perhaps deleted (by a deletion whose target is computed at build time)


@dataclass(eq=False, repr=False)
class WCopy:
    """A ``COPY``/``ADD`` from the build context (for the entrypoint-script lookup)."""

    dest: str  # absolute path in the image, as written (trailing ``/`` kept)
    sources: tuple[str, ...]
    span: Span


@dataclass(eq=False, repr=False)
class WState:
    """Users, groups and image config while the stages are replayed."""

    known: bool  # the base image is known (knowledge base, scratch, or built here from one)
    family: str | None
    users: dict[str, WUser] = field(default_factory=dict)
    groups: dict[str, WGroup] = field(default_factory=dict)
    user: Located[str] | None = None
    default_user: str = "root"
    daemon: DaemonInfo | None = None
    entrypoint: tuple[str, ...] | None = None
    entrypoint_span: Span | None = None
    entrypoint_text: str | None = None  # shell-form text, for inline alignment detection
    cmd: tuple[str, ...] | None = None
    cmd_span: Span | None = None
    cmd_text: str | None = None
    workdir: str = "/"
    copies: list[WCopy] = field(default_factory=list)
    root_ref: str = ""
    source: str = ""

    def clone(self) -> WState:
        """A deep copy, for a stage that starts ``FROM`` this one."""
        return copy.deepcopy(self)

    # --- lookups --------------------------------------------------------------------------

    def group_with_gid(self, gid: int | None, *, exclude: str | None = None) -> WGroup | None:
        if gid is None:
            return None
        for group in self.groups.values():
            if group.gid == gid and group.name != exclude:
                return group
        return None

    def user_with_uid(self, uid: int | None, *, exclude: str | None = None) -> WUser | None:
        if uid is None:
            return None
        for user in self.users.values():
            if user.uid == uid and user.name != exclude:
                return user
        return None

    def find_group(self, ref: str) -> WGroup | None:
        """A group by name, or by number when ``ref`` is numeric (shadow's ``-g`` accepts both)."""
        if ref in self.groups:
            return self.groups[ref]
        gid = parse_id(ref)
        return None if gid is None else self.group_with_gid(gid)

    def primary_name(self, user: WUser) -> str | None:
        if user.primary is not None:
            return user.primary
        group = self.group_with_gid(user.gid)
        return group.name if group else None

    # --- freezing -------------------------------------------------------------------------

    def frozen_users(self) -> dict[str, UserEntry]:
        return {
            u.name: UserEntry(u.name, u.uid, u.gid, u.span, u.created_here)
            for u in self.users.values()
        }

    def frozen_groups(self) -> dict[str, GroupEntry]:
        return {
            g.name: GroupEntry(g.name, g.gid, frozenset(g.members), g.span, g.maybe)
            for g in self.groups.values()
        }


def state_from_known(image: KnownImage, ref: str) -> WState:
    """The starting state of a stage ``FROM`` a knowledge-base image."""
    state = WState(known=True, family=image.family, root_ref=ref, source=image.source)
    state.default_user = image.default_user
    state.daemon = image.daemon
    for group in image.groups:
        state.groups[group.name] = WGroup(group.name, group.gid, set(group.members))
    for user in image.users:
        state.users[user.name] = WUser(user.name, user.uid, user.gid)
    by_gid: dict[int | None, str] = {}  # the first group with each GID, as group_with_gid
    for wgroup in state.groups.values():
        by_gid.setdefault(wgroup.gid, wgroup.name)
    by_gid.pop(None, None)
    for wuser in state.users.values():
        primary = by_gid.get(wuser.gid)
        if primary is not None:
            wuser.primary = primary
        elif wuser.gid is None and wuser.name in state.groups:
            wuser.primary = wuser.name  # auto-assigned own group (dockremap)
    return state


def unknown_state(ref: str) -> WState:
    """The starting state of a stage whose base image is unknown."""
    return WState(known=False, family=None, root_ref=ref)
