"""Per-tool replay of the commands that change ``/etc/passwd`` and ``/etc/group``.

Semantics per family follow the tools' sources: BusyBox ``addgroup``/``adduser``
(mirror/busybox@371fe9f) on Alpine-family images, shadow-utils ``groupadd``/``useradd``/
``usermod``/``groupmod``/``gpasswd`` (shadow-maint/shadow@816e02a) and Debian's
``addgroup``/``adduser`` (adduser(8)) elsewhere. A command that would fail (an id in use, a
missing group) records an event and leaves the state unchanged: the build stops there. Ids that
the tools pick themselves are ``None`` — never a guessed number.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from dindlint.images.options import OptSpec, Parsed, number, parse
from dindlint.images.state import WGroup, WState, WUser
from dindlint.model import (
    AdduserIgnoresGroup,
    GroupCreated,
    IdentityEvent,
    IdInUse,
    UnknownName,
    UsermodReplaces,
    parse_id,
)
from dindlint.source import Span


@dataclass(eq=False, repr=False)
class Ctx:
    """One command being replayed."""

    state: WState
    span: Span
    stage_index: int
    conditional: bool
    tool: str
    events: list[IdentityEvent]
    raw_text: str = ""  # the physical lines of the command (redirections are not in argv)
    extra: dict[str, str] = field(default_factory=dict)
    handled: str = ""  # how the RUN handles a failure of the command (``||``, ``; true``)

    def in_use(self, what: str, value: str, taken_by: str, taken_at: Span | None) -> None:
        """Record that the command fails: ``value`` (a ``what``) is taken."""
        self.events.append(
            IdInUse(
                self.span,
                self.stage_index,
                self.tool,
                self.conditional,
                what,
                value,
                taken_by,
                taken_at,
                self.handled,
            )
        )

    def unknown(self, what: str, name: str) -> None:
        """Record that the command fails: the ``what`` called ``name`` does not exist."""
        self.events.append(
            UnknownName(
                self.span, self.stage_index, self.tool, self.conditional, what, name, self.handled
            )
        )


def _unresolved(text: str) -> bool:
    return "$" in text or "`" in text


# ------------------------------------------------------------------------------------------------
# Shared checks (id-in-use, unknown-group-or-user) and state changes
# ------------------------------------------------------------------------------------------------


def _group_name_taken(ctx: Ctx, name: str) -> bool:
    """True when the group exists; records ``id-in-use`` unless it exists only maybe."""
    group = ctx.state.groups.get(name)
    if group is None:
        return False
    if not group.maybe:
        ctx.in_use("group", name, name, group.span)
    return True


def _user_name_taken(ctx: Ctx, name: str) -> bool:
    user = ctx.state.users.get(name)
    if user is None:
        return False
    if not user.maybe:
        ctx.in_use("user", name, name, user.span)
    return True


def _gid_taken(ctx: Ctx, gid: int | None, exclude: str | None = None) -> bool:
    holder = ctx.state.group_with_gid(gid, exclude=exclude)
    if holder is None or holder.maybe:
        return False
    ctx.in_use("gid", str(gid), holder.name, holder.span)
    return True


def _uid_taken(ctx: Ctx, uid: int | None, exclude: str | None = None) -> bool:
    holder = ctx.state.user_with_uid(uid, exclude=exclude)
    if holder is None or holder.maybe:
        return False
    ctx.in_use("uid", str(uid), holder.name, holder.span)
    return True


def lookup_group(ctx: Ctx, ref: str) -> tuple[bool, WGroup | None]:
    """Find a group the command needs. ``(False, None)``: it does not exist (event recorded).

    On an unknown base a group the command names must come from that base for the command to
    succeed, so a placeholder with an unknown GID is added (no event: DIND306 needs a known base).
    """
    group = ctx.state.find_group(ref)
    if group is not None:
        return True, group
    if _unresolved(ref) or not ref:
        return True, None
    if ctx.state.known:
        ctx.unknown("group", ref)
        return False, None
    if parse_id(ref) is not None:
        return True, None
    placeholder = WGroup(ref, None)
    ctx.state.groups[ref] = placeholder
    return True, placeholder


def lookup_primary_group(ctx: Ctx, ref: str) -> tuple[bool, WGroup | None, int | None]:
    """``lookup_group`` for a new user's primary group (busybox ``adduser -G``, shadow
    ``useradd -g``), with its GID: the group's, or the number given when no group has it."""
    ok, group = lookup_group(ctx, ref)
    return ok, group, (group.gid if group is not None else number(ref))


def lookup_user(ctx: Ctx, name: str) -> tuple[bool, WUser | None]:
    user = ctx.state.users.get(name)
    if user is not None:
        return True, user
    if ctx.state.known and not _unresolved(name) and name:
        ctx.unknown("user", name)
        return False, None
    return True, None


def create_group(
    ctx: Ctx,
    name: str,
    gid: int | None,
    gid_written: str | None,
    by_package: bool = False,
    gid_option: str = "-g",
) -> WGroup:
    """Add group ``name`` with ``gid`` (None: chosen by the tool, or unknown); ``gid_written`` is
    the GID as the command gives it (None: none given); ``gid_option``: how it takes one."""
    group = WGroup(name, gid, set(), ctx.span, ctx.conditional, True)
    ctx.state.groups[name] = group
    ctx.events.append(
        GroupCreated(
            ctx.span,
            ctx.stage_index,
            ctx.tool,
            ctx.conditional,
            name,
            gid,
            gid_written,
            by_package,
            gid_option,
        )
    )
    return group


def _gid_text(given: str | None, gid: int | None) -> str | None:
    if given is None:
        return None
    return str(gid) if gid is not None else given


def create_user(
    ctx: Ctx, name: str, uid: int | None, gid: int | None, primary: str | None
) -> WUser:
    user = WUser(name, uid, gid, primary, ctx.span, True)
    ctx.state.users[name] = user
    return user


def add_membership(ctx: Ctx, user_name: str, group_ref: str) -> None:
    """``addgroup USER GROUP`` / ``adduser USER GROUP`` / ``gpasswd -a``: both must exist."""
    ok_user, _ = lookup_user(ctx, user_name)
    ok_group, group = lookup_group(ctx, group_ref)
    if ok_user and ok_group and group is not None:
        group.members.add(user_name)


def remove_membership(ctx: Ctx, user_name: str, group_ref: str) -> None:
    ok_group, group = lookup_group(ctx, group_ref)
    if ok_group and group is not None:
        group.members.discard(user_name)


def delete_user(ctx: Ctx, name: str) -> None:
    """Remove a user and its memberships.

    Also drops the group named like the user when it is that user's primary group and no other
    user has it as primary (shadow userdel with USERGROUPS_ENAB; assumed for BusyBox deluser —
    an inference, not read in its source: it only makes later id checks more lenient).
    A name computed at build time (``userdel "$(getent passwd 1000 | cut -d: -f1)"``) may be
    any user's: every user, and each group named like a user, then exists only maybe.
    """
    if _unresolved(name):
        for each in ctx.state.users.values():
            each.maybe = True
            own = ctx.state.groups.get(each.name)
            if own is not None:
                own.maybe = True
        return
    ok, user = lookup_user(ctx, name)
    if not ok:
        return
    state = ctx.state
    state.users.pop(name, None)
    for group in state.groups.values():
        group.members.discard(name)
    if user is None:
        return
    own = state.groups.get(name)
    if (
        own is not None
        and state.primary_name(user) == name
        and not any(state.primary_name(u) == name for u in state.users.values())
    ):
        del state.groups[name]


def _create_in_nogroup(ctx: Ctx, name: str, uid: int | None) -> None:
    """A system user without a group option: primary group ``nogroup`` (adduser.c:233-236)."""
    nogroup = ctx.state.groups.get("nogroup")
    create_user(ctx, name, uid, nogroup.gid if nogroup else None, "nogroup" if nogroup else None)


def delete_group(ctx: Ctx, name: str) -> None:
    if _unresolved(name):  # computed at build time: any group may be the one deleted
        for each in ctx.state.groups.values():
            each.maybe = True
        return
    ok, group = lookup_group(ctx, name)
    if ok and group is not None:
        ctx.state.groups.pop(group.name, None)


# ------------------------------------------------------------------------------------------------
# BusyBox (mirror/busybox@371fe9f: loginutils/addgroup.c, adduser.c)
# ------------------------------------------------------------------------------------------------

BB_ADDGROUP = OptSpec(
    short_arg="g", short_flag="S", long_arg={"gid": "g"}, long_flag={"system": "S"}
)
BB_ADDUSER = OptSpec(
    short_arg="hgsGuk",
    short_flag="SDH",
    long_arg={"home": "h", "gecos": "g", "shell": "s", "ingroup": "G", "uid": "u", "skel": "k"},
    long_flag={
        "system": "S",
        "disabled-password": "D",
        "empty-password": "D",
        "no-create-home": "H",
    },
)
BB_DEL = OptSpec(long_flag={"remove-home": "r"})


def bb_addgroup(ctx: Ctx, p: Parsed) -> None:
    """``addgroup [-g GID] [-S] GROUP`` creates; ``addgroup USER GROUP`` adds a member."""
    pos = p.positional
    if len(pos) >= 2:
        if not p.has("g"):  # -g with the two-argument form prints usage (addgroup.c:169-195)
            add_membership(ctx, pos[0], pos[1])
        return
    if len(pos) != 1:
        return
    name, given = pos[0], p.value("g")
    gid = number(given)
    if _group_name_taken(ctx, name) or _gid_taken(ctx, gid):  # "group/gid 'X' in use"
        return
    create_group(ctx, name, gid, _gid_text(given, gid))


def bb_adduser(ctx: Ctx, p: Parsed) -> None:
    """BusyBox ``adduser`` (adduser.c:123-128, 219-274): the GROUP argument counts only without
    options; ``-G`` sets the PRIMARY group (and lists the user as member); without ``-G`` a group
    named like the user with gid = uid is created; ``-S`` without ``-G`` gives primary group
    ``nogroup``."""
    pos = p.positional
    if not pos:
        return
    name = pos[0]
    if len(pos) >= 2:
        if not p.any_option:
            add_membership(ctx, name, pos[1])
            return
        if ctx.state.family == "busybox":
            ctx.events.append(
                AdduserIgnoresGroup(
                    ctx.span, ctx.stage_index, ctx.tool, ctx.conditional, name, pos[1]
                )
            )
    given_uid = p.value("u")
    uid = number(given_uid)
    if _user_name_taken(ctx, name) or _uid_taken(ctx, uid):
        return
    if p.has("G"):
        ok, group, gid = lookup_primary_group(ctx, p.value("G") or "")
        if not ok:
            return
        create_user(ctx, name, uid, gid, group.name if group else None)
        if group is not None:
            group.members.add(name)  # addgroup_wrapper (adduser.c:274)
        return
    if p.has("S"):
        _create_in_nogroup(ctx, name, uid)
        return
    if _group_name_taken(ctx, name) or _gid_taken(ctx, uid):
        return
    create_group(ctx, name, uid, str(uid) if uid is not None else None)
    create_user(ctx, name, uid, uid, name)


def bb_delgroup(ctx: Ctx, p: Parsed) -> None:
    pos = p.positional
    if len(pos) >= 2:
        remove_membership(ctx, pos[0], pos[1])
    elif pos:
        delete_group(ctx, pos[0])


def bb_deluser(ctx: Ctx, p: Parsed) -> None:
    pos = p.positional
    if len(pos) >= 2:
        remove_membership(ctx, pos[0], pos[1])
    elif pos:
        delete_user(ctx, pos[0])


# ------------------------------------------------------------------------------------------------
# Debian adduser/addgroup (adduser(8), manpages.debian.org)
# ------------------------------------------------------------------------------------------------

DEB_ADDUSER = OptSpec(
    short_flag="qD",
    long_arg={
        k: k
        for k in (
            "uid", "gid", "ingroup", "home", "shell", "gecos", "comment", "conf",
            "firstuid", "lastuid", "firstgid", "lastgid", "key", "extrausers",
        )
    },
    long_flag={
        k: k
        for k in (
            "system", "group", "disabled-password", "disabled-login", "no-create-home", "quiet",
            "debug", "force-badname", "allow-badname", "allow-bad-names", "allow-all-names",
            "encrypt-home", "add-extra-groups", "add_extra_groups", "verbose",
        )
    },
)  # fmt: skip


def deb_addgroup(ctx: Ctx, p: Parsed) -> None:
    """``addgroup [--system] [--gid N] GROUP``. An existing group with ``--system`` exits 0."""
    if len(p.positional) != 1:
        return  # ``addgroup USER GROUP`` on Debian is not modelled
    name, given = p.positional[0], p.value("gid")
    gid = number(given)
    if name in ctx.state.groups and p.has("system"):
        return
    if _group_name_taken(ctx, name) or _gid_taken(ctx, gid):
        return
    create_group(ctx, name, gid, _gid_text(given, gid), gid_option="--gid")


def deb_adduser(ctx: Ctx, p: Parsed) -> None:
    """``adduser [options] USER`` creates; ``adduser USER GROUP`` adds a member."""
    pos = p.positional
    if len(pos) >= 2:
        add_membership(ctx, pos[0], pos[1])
        return
    if len(pos) != 1:
        return
    name, system = pos[0], p.has("system")
    if name in ctx.state.users and system:
        return
    uid = number(p.value("uid"))
    if _user_name_taken(ctx, name) or _uid_taken(ctx, uid):
        return
    if p.has("ingroup"):
        ok, group = lookup_group(ctx, p.value("ingroup") or "")
        if ok:
            create_user(ctx, name, uid, group.gid if group else None, group.name if group else None)
        return
    if p.has("gid"):
        gid = number(p.value("gid"))
        group = ctx.state.group_with_gid(gid)
        create_user(ctx, name, uid, gid, group.name if group else None)
        return
    if system and not p.has("group"):
        _create_in_nogroup(ctx, name, uid)
        return
    if _group_name_taken(ctx, name):
        return
    create_group(ctx, name, None, None)  # USERGROUPS: a same-named group, GID chosen by adduser
    create_user(ctx, name, uid, None, name)


# ------------------------------------------------------------------------------------------------
# shadow-utils (shadow-maint/shadow@816e02a)
# ------------------------------------------------------------------------------------------------

GROUPADD = OptSpec(
    short_arg="gKpRPU",
    short_flag="rfo",
    long_arg={"gid": "g", "key": "K", "password": "p", "root": "R", "prefix": "P", "users": "U"},
    long_flag={"system": "r", "force": "f", "non-unique": "o"},
)
USERADD = OptSpec(
    short_arg="ugGdscefkKbpRPZ",
    short_flag="rmMNUolD",
    long_arg={
        "uid": "u", "gid": "g", "groups": "G", "home-dir": "d", "home": "d", "shell": "s",
        "comment": "c", "expiredate": "e", "inactive": "f", "skel": "k", "key": "K",
        "base-dir": "b", "password": "p", "root": "R", "prefix": "P", "selinux-user": "Z",
    },
    long_flag={
        "system": "r", "create-home": "m", "no-create-home": "M", "no-user-group": "N",
        "user-group": "U", "non-unique": "o", "no-log-init": "l", "defaults": "D",
    },
)  # fmt: skip
USERMOD = OptSpec(
    short_arg="cdefgGlpsuRPZvVwW",
    short_flag="aLUmor",
    long_arg={
        "comment": "c", "home": "d", "expiredate": "e", "inactive": "f", "gid": "g",
        "groups": "G", "login": "l", "password": "p", "shell": "s", "uid": "u", "root": "R",
        "prefix": "P", "selinux-user": "Z", "add-subuids": "v", "del-subuids": "V",
        "add-subgids": "w", "del-subgids": "W",
    },
    long_flag={
        "append": "a", "lock": "L", "unlock": "U", "move-home": "m", "non-unique": "o",
        "remove": "r",
    },
)  # fmt: skip
GROUPMOD = OptSpec(
    short_arg="gnpRPU",
    short_flag="oa",
    long_arg={
        "gid": "g",
        "new-name": "n",
        "password": "p",
        "root": "R",
        "prefix": "P",
        "users": "U",
    },
    long_flag={"non-unique": "o", "append": "a"},
)
GPASSWD = OptSpec(
    short_arg="adMAQ",
    short_flag="rR",
    long_arg={"add": "a", "delete": "d", "members": "M", "administrators": "A", "root": "Q"},
    long_flag={"remove-password": "r", "restrict": "R"},
)
DEL_SPEC = OptSpec(
    short_arg="RP", short_flag="rfZ", long_arg={"root": "R", "prefix": "P"},
    long_flag={"remove": "r", "force": "f", "selinux-user": "Z"},
)  # fmt: skip


def _split_list(text: str | None) -> list[str]:
    return [item for item in (text or "").split(",") if item]


def groupadd(ctx: Ctx, p: Parsed) -> None:
    """``groupadd [-g GID] [-r] [-f] [-o] GROUP``: ``-f`` exits 0 when the group exists and picks
    another GID when ``-g`` is taken; ``-o`` allows a duplicate GID (groupadd.c:510,528)."""
    if len(p.positional) != 1:
        return
    name, given = p.positional[0], p.value("g")
    gid = number(given)
    if name in ctx.state.groups and p.has("f"):
        return
    if _group_name_taken(ctx, name):
        return
    if gid is not None and not p.has("o"):
        if p.has("f") and ctx.state.group_with_gid(gid) is not None:
            gid, given = None, None
        elif _gid_taken(ctx, gid):
            return
    group = create_group(ctx, name, gid, _gid_text(given, gid))
    group.members.update(_split_list(p.value("U")))


def useradd(ctx: Ctx, p: Parsed) -> None:
    """``useradd [-u UID] [-g GROUP] [-G g1,g2] USER``; without ``-g`` (and without ``-N``) a
    same-named group is created (USERGROUPS_ENAB, Debian default); its GID is left unknown."""
    if p.has("D") or len(p.positional) != 1:
        return
    name = p.positional[0]
    uid = number(p.value("u"))
    supplementary: list[WGroup] = []
    for ref in _split_list(p.value("G")):
        ok, group = lookup_group(ctx, ref)
        if not ok:
            return
        if group is not None:
            supplementary.append(group)
    primary: WGroup | None = None
    primary_gid: int | None = None
    if p.has("g"):
        ok, primary, primary_gid = lookup_primary_group(ctx, p.value("g") or "")
        if not ok:
            return
    if _user_name_taken(ctx, name) or (not p.has("o") and _uid_taken(ctx, uid)):
        return
    if not p.has("g"):
        if p.has("N"):
            primary = ctx.state.groups.get("users")  # /etc/default/useradd GROUP (assumed 100)
            primary_gid = primary.gid if primary else None
        else:
            if _group_name_taken(ctx, name):  # "group NAME exists - ... use -g"
                return
            primary = create_group(ctx, name, None, None)
    create_user(ctx, name, uid, primary_gid, primary.name if primary else None)
    for group in supplementary:
        group.members.add(name)


def usermod(ctx: Ctx, p: Parsed) -> None:
    """``usermod -G list`` without ``-a`` REPLACES the supplementary groups (usermod.8:200-216)."""
    if len(p.positional) != 1:
        return
    name = p.positional[0]
    ok, user = lookup_user(ctx, name)
    if not ok:
        return
    state = ctx.state
    if p.has("G"):
        wanted: list[WGroup] = []
        refs = _split_list(p.value("G"))
        for ref in refs:
            ok, group = lookup_group(ctx, ref)
            if not ok:
                return
            if group is not None:
                wanted.append(group)
        if p.has("a"):
            for group in wanted:
                group.members.add(name)
        elif p.has("r"):
            for group in wanted:
                group.members.discard(name)
        else:
            current = [g.name for g in state.groups.values() if name in g.members]
            removed = [g for g in current if g not in {w.name for w in wanted}]
            ctx.events.append(
                UsermodReplaces(
                    ctx.span,
                    ctx.stage_index,
                    ctx.tool,
                    ctx.conditional,
                    name,
                    tuple(refs),
                    tuple(removed),
                )
            )
            for group in state.groups.values():
                group.members.discard(name)
            for group in wanted:
                group.members.add(name)
    if p.has("g") and user is not None:
        ok, group = lookup_group(ctx, p.value("g") or "")
        if ok:
            user.gid = group.gid if group is not None else number(p.value("g"))
            user.primary = group.name if group is not None else None
    if p.has("u") and user is not None:
        uid = number(p.value("u"))
        if not p.has("o") and _uid_taken(ctx, uid, exclude=name):
            return
        user.uid = uid
    if p.has("l") and user is not None:
        new = p.value("l") or name
        state.users.pop(name, None)
        user.name = new
        state.users[new] = user
        for group in state.groups.values():
            if name in group.members:
                group.members.discard(name)
                group.members.add(new)


def groupmod(ctx: Ctx, p: Parsed) -> None:
    """``groupmod -g GID [-o] GROUP``: unique GID unless ``-o``; primary-group users follow."""
    if len(p.positional) != 1:
        return
    ok, group = lookup_group(ctx, p.positional[0])
    if not ok or group is None:
        return
    state = ctx.state
    if p.has("g"):
        gid = number(p.value("g"))
        if not p.has("o") and _gid_taken(ctx, gid, exclude=group.name):
            return
        for user in state.users.values():
            if state.primary_name(user) == group.name:
                user.gid = gid
                user.primary = group.name
        group.gid = gid
    if p.has("U"):
        if not p.has("a"):
            group.members.clear()
        group.members.update(_split_list(p.value("U")))
    if p.has("n"):
        new = p.value("n") or group.name
        old = group.name
        state.groups.pop(old, None)
        group.name = new
        state.groups[new] = group
        for user in state.users.values():
            if user.primary == old:
                user.primary = new


def gpasswd(ctx: Ctx, p: Parsed) -> None:
    """``gpasswd -a USER GROUP`` adds, ``-d`` removes, ``-M u1,u2`` sets the member list."""
    if len(p.positional) != 1:
        return
    group_ref = p.positional[0]
    if p.has("a"):
        add_membership(ctx, p.value("a") or "", group_ref)
    elif p.has("d"):
        remove_membership(ctx, p.value("d") or "", group_ref)
    elif p.has("M"):
        ok, group = lookup_group(ctx, group_ref)
        if ok and group is not None:
            group.members = set(_split_list(p.value("M")))


def userdel(ctx: Ctx, p: Parsed) -> None:
    if len(p.positional) == 1:
        delete_user(ctx, p.positional[0])


def groupdel(ctx: Ctx, p: Parsed) -> None:
    if len(p.positional) == 1:
        delete_group(ctx, p.positional[0])


# ------------------------------------------------------------------------------------------------
# Packages that create ``docker`` and appends to /etc/group
# ------------------------------------------------------------------------------------------------

_APK_ARG_OPTS = frozenset({"-X", "--repository", "-t", "--virtual", "-p", "--root", "--arch",
                           "--cache-dir", "--keys-dir", "--repositories-file"})  # fmt: skip
_APT_ARG_OPTS = frozenset({"-t", "--target-release", "--default-release", "-o", "--option", "-c",
                           "--config-file"})  # fmt: skip
_DNF_ARG_OPTS = frozenset({"--repo", "--enablerepo", "--disablerepo", "--setopt", "--releasever",
                           "--installroot", "-c", "--config"})  # fmt: skip


def _packages(args: list[str], verb: set[str], arg_opts: frozenset[str]) -> list[str]:
    """Package names after the install verb (options and their arguments skipped)."""
    out: list[str] = []
    seen_verb = False
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg.startswith("-"):
            skip = arg in arg_opts
            continue
        if not seen_verb:
            seen_verb = arg in verb
            if not seen_verb:
                return []
            continue
        out.append(arg)
    return out


def package_group(ctx: Ctx) -> None:
    """A package install that creates ``docker`` with an auto-assigned GID, unless it exists
    (docker-ce-packaging@2f12fe8:deb/common/docker-ce.postinst:7-8 ``getent group docker ||
    groupadd --system docker``; alpinelinux/aports@c3b9918:community/docker/docker.pre-install
    ``addgroup -S docker 2>/dev/null``)."""
    if "docker" in ctx.state.groups:
        return
    create_group(ctx, "docker", None, None, by_package=True)


def _strip_version(name: str, pattern: str) -> str:
    return re.split(pattern, name, maxsplit=1)[0]


def apk(ctx: Ctx, args: list[str]) -> None:
    names = {_strip_version(n, r"[=<>~]") for n in _packages(args, {"add"}, _APK_ARG_OPTS)}
    if "docker" in names:  # the ``docker`` package only, not docker-cli / docker-compose
        package_group(ctx)


def apt(ctx: Ctx, args: list[str]) -> None:
    names = {_strip_version(n, r"[=/]") for n in _packages(args, {"install"}, _APT_ARG_OPTS)}
    if names & {"docker.io", "docker-ce"}:
        package_group(ctx)


_RPM_DOCKER = re.compile(r"^docker-ce(-cli)?(-\d.*)?$")


def dnf(ctx: Ctx, args: list[str]) -> None:
    names = _packages(args, {"install"}, _DNF_ARG_OPTS)
    if any(_RPM_DOCKER.match(n) for n in names):  # docker-ce.spec / docker-ce-cli.spec
        package_group(ctx)


_GROUP_LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_.-]*\$?):[^:]*:(\d*):([^:\s]*)$")
_PASSWD_LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_.-]*\$?):[^:]*:(\d+):(\d+):[^:]*:[^:]*:[^:]*$")
_APPEND_TO = re.compile(r">>\s*['\"]?(/etc/group|/etc/passwd)\b")


def echo_append(ctx: Ctx, args: list[str]) -> None:
    """``echo 'docker:x:999:app' >> /etc/group`` (and ``/etc/passwd``) appends a line."""
    target = _APPEND_TO.search(ctx.raw_text)
    if target is None:
        return
    for arg in args:
        if arg.startswith("-") and len(arg) <= 3:
            continue
        for line in arg.replace("\\n", "\n").splitlines():
            _append_line(ctx, target.group(1), line.strip())


def _append_line(ctx: Ctx, path: str, line: str) -> None:
    if path == "/etc/group":
        found = _GROUP_LINE.match(line)
        if found is None:
            return
        name, gid = found.group(1), number(found.group(2) or None)
        group = create_group(ctx, name, gid, str(gid) if gid is not None else None)
        group.members.update(_split_list(found.group(3)))
        return
    found = _PASSWD_LINE.match(line)
    if found is not None:
        uid, gid = parse_id(found.group(2)), parse_id(found.group(3))
        if uid is None or gid is None:
            return  # not a line `/etc/passwd` can hold: no user is created
        holder = ctx.state.group_with_gid(gid)
        create_user(ctx, found.group(1), uid, gid, holder.name if holder else None)


# ------------------------------------------------------------------------------------------------
# Dispatch
# ------------------------------------------------------------------------------------------------


def _flavour(state: WState, args: list[str]) -> str:
    """Which addgroup/adduser: by family; on an unknown family short options mean BusyBox."""
    if state.family == "busybox":
        return "busybox"
    if state.family == "shadow":
        return "debian"
    if any(a.startswith("-") and not a.startswith("--") for a in args):
        return "busybox"
    if any(a.startswith("--") for a in args):
        return "debian"
    return "busybox"  # no options: both tools agree (create, or add USER to GROUP)


def _addgroup(ctx: Ctx, args: list[str]) -> None:
    if _flavour(ctx.state, args) == "debian":
        deb_addgroup(ctx, parse(args, DEB_ADDUSER))
    else:
        bb_addgroup(ctx, parse(args, BB_ADDGROUP))


def _adduser(ctx: Ctx, args: list[str]) -> None:
    if _flavour(ctx.state, args) == "debian":
        deb_adduser(ctx, parse(args, DEB_ADDUSER))
    else:
        bb_adduser(ctx, parse(args, BB_ADDUSER))


def _with(
    spec: OptSpec, handler: Callable[[Ctx, Parsed], None]
) -> Callable[[Ctx, list[str]], None]:
    return lambda ctx, args: handler(ctx, parse(args, spec))


def _deluser(ctx: Ctx, args: list[str]) -> None:
    bb_deluser(ctx, parse(args, BB_DEL))


def _delgroup(ctx: Ctx, args: list[str]) -> None:
    bb_delgroup(ctx, parse(args, BB_DEL))


HANDLERS: dict[str, Callable[[Ctx, list[str]], None]] = {
    "addgroup": _addgroup,
    "adduser": _adduser,
    "delgroup": _delgroup,
    "deluser": _deluser,
    "groupadd": _with(GROUPADD, groupadd),
    "useradd": _with(USERADD, useradd),
    "usermod": _with(USERMOD, usermod),
    "groupmod": _with(GROUPMOD, groupmod),
    "gpasswd": _with(GPASSWD, gpasswd),
    "userdel": _with(DEL_SPEC, userdel),
    "groupdel": _with(DEL_SPEC, groupdel),
    "apk": apk,
    "apt-get": apt,
    "apt": apt,
    "aptitude": apt,
    "yum": dnf,
    "dnf": dnf,
    "microdnf": dnf,
    "echo": echo_append,
    "printf": echo_append,
}

_SUDO_ARG_OPTS = frozenset({"-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U", "-T"})
_PASSTHROUGH = frozenset({"exec", "nohup", "time", "nice", "stdbuf", "chronic"})
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


def normalize(argv: tuple[str, ...]) -> tuple[str, list[str]] | None:
    """Strip ``sudo``/``env``/``exec``/assignment prefixes: (tool basename, its arguments)."""
    items = list(argv)
    while items:
        head = PurePosixPath(items[0]).name
        if _ASSIGNMENT.match(items[0]) or head in _PASSTHROUGH:
            items = items[1:]
        elif head == "command":
            if len(items) > 1 and items[1] in ("-v", "-V"):
                return None
            items = items[1:]
        elif head == "sudo" or head == "env":
            rest = items[1:]
            while rest and (
                rest[0].startswith("-") or (head == "env" and _ASSIGNMENT.match(rest[0]))
            ):
                opt = rest.pop(0)
                if opt == "--":
                    break
                takes_arg = (head == "sudo" and opt in _SUDO_ARG_OPTS) or (
                    head == "env" and opt == "-u"
                )
                if takes_arg and rest:
                    rest.pop(0)
            items = rest
        elif head == "busybox" and len(items) > 1:
            items = items[1:]
        else:
            return head, items[1:]
    return None
