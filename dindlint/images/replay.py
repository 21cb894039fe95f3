"""Replay a Dockerfile's stages: users, groups, USER, ENTRYPOINT/CMD, and the events rules need.

One stage at a time (the "resolve" stage): a stage starts from the knowledge base (its base
image), from the state of an earlier stage it names (``FROM base AS final``), or from "unknown".
Its RUN commands are replayed in order with the handlers of :mod:`dindlint.images.commands`.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import PurePosixPath
from typing import NamedTuple

from dindlint.images.commands import HANDLERS, Ctx, normalize, package_group
from dindlint.images.knowledge import lookup
from dindlint.images.state import WCopy, WState, state_from_known, unknown_state
from dindlint.model import (
    Dockerfile,
    IdentityEvent,
    Instruction,
    ShellCommand,
    Stage,
    UnknownName,
    parse_id,
)
from dindlint.source import Located, Span

_BUSYBOX_HINTS = frozenset({"apk"})
_SHADOW_HINTS = frozenset(
    {"apt-get", "apt", "dpkg", "groupadd", "useradd", "usermod", "groupmod", "gpasswd"}
)
_FETCHERS = frozenset({"curl", "wget"})
_SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh"})
_GET_DOCKER = re.compile(r"\b(get|test)\.docker\.com\b")


class StageResult(NamedTuple):
    """The state after a stage and the events its own instructions produced."""

    state: WState
    events: tuple[IdentityEvent, ...]
    chain: tuple[int, ...]  # stage indexes from the chain's root to this stage


# Identity commands (addgroup, useradd, …) replayed per Dockerfile at most: lookups scan the
# users and groups, and each chained stage copies them, so an adversarial file with hundreds of
# thousands of them would take hours. Real Dockerfiles have a few dozen.
MAX_REPLAYED_COMMANDS = 2000


class Replayer:
    """Replays the stages of one Dockerfile, each at most once (results are cached)."""

    def __init__(self, dockerfile: Dockerfile) -> None:
        self.dockerfile = dockerfile
        self.cache: dict[int, StageResult] = {}
        self.replayed = 0  # identity commands replayed so far (MAX_REPLAYED_COMMANDS)
        # first stage of each name (a lookup per stage, not a scan: files may hold many stages)
        self.named: dict[str, int] = {}
        for stage in dockerfile.stages:
            if stage.name:
                self.named.setdefault(stage.name.lower(), stage.index)

    def parent_index(self, stage: Stage) -> int | None:
        """The earlier stage ``FROM name`` refers to (names are case-insensitive)."""
        found = self.named.get(stage.base.value.lower())
        return found if found is not None and found < stage.index else None

    def stage(self, index: int) -> StageResult:
        if index in self.cache:
            return self.cache[index]
        # replay the ancestors not yet replayed first, root first: a chain of thousands of
        # `FROM previous` stages must not recurse once per stage
        pending: list[int] = []
        current: int | None = index
        while current is not None and current not in self.cache:
            pending.append(current)
            current = self.parent_index(self.dockerfile.stages[current])
        for ancestor in reversed(pending[1:]):
            self._replay(ancestor)
        return self._replay(index)

    def _replay(self, index: int) -> StageResult:
        if index in self.cache:
            return self.cache[index]
        stage = self.dockerfile.stages[index]
        parent = self.parent_index(stage)
        if parent is not None:
            before = self.stage(parent)
            state, chain = before.state.clone(), before.chain + (index,)
            state.copies = list(before.state.copies)
        else:
            state, chain = initial_state(stage.base), (index,)
        events: list[IdentityEvent] = []
        if not state.known and state.family is None:
            state.family = guess_family(stage)
        StageReplay(self, state, stage, events).run()
        result = StageResult(state, tuple(events), chain)
        self.cache[index] = result
        return result

    def chain_events(self, index: int) -> tuple[IdentityEvent, ...]:
        result = self.stage(index)
        return tuple(e for i in result.chain for e in self.stage(i).events)


def initial_state(base: Located[str]) -> WState:
    """The state ``FROM base`` starts with: the knowledge base entry, or unknown."""
    if not base.known or "$" in base.value:
        return unknown_state(base.value)
    known = lookup(base.value)
    if known is None:
        return unknown_state(base.value)
    return state_from_known(known, base.value)


def guess_family(stage: Stage) -> str | None:
    """For an unknown base: the family its commands imply, when only one is implied."""
    tools: set[str] = set()
    for instruction in stage.instructions:
        for command in instruction.commands:
            found = normalize(command.argv)
            if found:
                tools.add(found[0])
    busybox, shadow = bool(tools & _BUSYBOX_HINTS), bool(tools & _SHADOW_HINTS)
    if busybox != shadow:
        return "busybox" if busybox else "shadow"
    return None


def split_command_value(instruction: Instruction) -> tuple[str, ...]:
    """ENTRYPOINT/CMD as argv: the exec form, or the shell form split into words."""
    if instruction.exec_form is not None:
        return instruction.exec_form
    try:
        return tuple(shlex.split(instruction.value, comments=False))
    except ValueError:
        return tuple(instruction.value.split())


class StageReplay:
    """The instruction loop of one stage."""

    def __init__(
        self, owner: Replayer, state: WState, stage: Stage, events: list[IdentityEvent]
    ) -> None:
        self.owner = owner
        self.state = state
        self.stage = stage
        self.events = events
        self.reported_user_spans: set[Span] = set()
        self.cmd_set_here = False

    def run(self) -> None:
        for instruction in self.stage.instructions:
            handler = getattr(self, "on_" + instruction.keyword.lower(), None)
            if handler is not None:
                handler(instruction)
        self.check_user()

    # --- instructions -------------------------------------------------------------------------

    def on_run(self, instruction: Instruction) -> None:
        commands = instruction.commands
        for position, command in enumerate(commands):
            found = normalize(command.argv)
            if found is None:
                continue
            tool, args = found
            ctx = Ctx(
                self.state,
                command.span,
                self.stage.index,
                command.conditional,
                tool,
                self.events,
                raw_text=self.raw_text(command, instruction),
                handled=command.handled,
            )
            if tool in _FETCHERS and any(_GET_DOCKER.search(a) for a in args):
                # get.docker.com/rootless installs binaries under $HOME as the user: no group
                rootless = any("rootless" in a for a in args)
                if not rootless and self.runs_script_later(commands[position + 1 :]):
                    package_group(ctx)  # get.docker.com installs docker-ce
                continue
            handler = HANDLERS.get(tool)
            if handler is not None:
                if self.owner.replayed >= MAX_REPLAYED_COMMANDS:
                    # past the budget the users and groups are no longer followed: unknown
                    self.state.known = False
                    continue
                self.owner.replayed += 1
                handler(ctx, args)

    def on_user(self, instruction: Instruction) -> None:
        self.state.user = Located(instruction.value.strip(), instruction.span)

    def on_workdir(self, instruction: Instruction) -> None:
        path = instruction.value.strip().strip("\"'")
        if path:
            self.state.workdir = str(PurePosixPath(self.state.workdir, path))

    def on_entrypoint(self, instruction: Instruction) -> None:
        """ENTRYPOINT resets a CMD inherited from the base (Dockerfile reference)."""
        state = self.state
        state.entrypoint, state.entrypoint_span = split_command_value(instruction), instruction.span
        state.entrypoint_text = instruction.value if instruction.exec_form is None else None
        if not self.cmd_set_here:
            state.cmd, state.cmd_span, state.cmd_text = None, None, None

    def on_cmd(self, instruction: Instruction) -> None:
        state = self.state
        state.cmd, state.cmd_span = split_command_value(instruction), instruction.span
        self.cmd_set_here = True
        state.cmd_text = instruction.value if instruction.exec_form is None else None

    def on_copy(self, instruction: Instruction) -> None:
        self.check_chown(instruction)
        words = self.copy_words(instruction)
        if len(words) < 2:
            return
        if "from" in instruction.flags:
            self.copy_from_stage(instruction.flags["from"], words)
            return
        dest = words[-1]
        if not dest.startswith("/"):
            slash = "/" if dest.endswith("/") else ""
            dest = str(PurePosixPath(self.state.workdir, dest)) + slash
        sources = tuple(w for w in words[:-1] if "://" not in w)
        self.state.copies.append(WCopy(dest, sources, instruction.span))

    on_add = on_copy

    # --- helpers -------------------------------------------------------------------------------

    @staticmethod
    def copy_words(instruction: Instruction) -> list[str]:
        text = instruction.value.strip()
        words: list[str]
        if text.startswith("["):
            try:
                words = [str(w) for w in json.loads(text)]
            except ValueError:
                words = text.split()
        else:
            words = text.split()
        while words and words[0].startswith("--"):
            words.pop(0)
        return words

    def copy_from_stage(self, source: str, words: list[str]) -> None:
        """``COPY --from=stage /etc/passwd /etc/group /etc/`` carries those files' contents."""
        wanted = {w.rstrip("/") for w in words[:-1]}
        if not wanted & {"/etc/passwd", "/etc/group"}:
            return
        other = None
        for earlier in self.owner.dockerfile.stages[: self.stage.index]:
            if (earlier.name or "").lower() == source.lower() or str(earlier.index) == source:
                other = self.owner.stage(earlier.index).state
        if other is None:
            known = lookup(source)
            other = state_from_known(known, source) if known else None
        if other is None or not other.known:
            self.state.known = False  # the files come from an unknown image
            if other is None:
                return
        if "/etc/passwd" in wanted:
            self.state.users = dict(other.clone().users)
        if "/etc/group" in wanted:
            self.state.groups = dict(other.clone().groups)

    def raw_text(self, command: ShellCommand, instruction: Instruction) -> str:
        """The physical line where the command starts (redirections are not part of argv)."""
        lines = self.owner.dockerfile.lines
        index = command.span.line - 1
        return lines[index] if 0 <= index < len(lines) else instruction.value

    @staticmethod
    def runs_script_later(rest: tuple[ShellCommand, ...]) -> bool:
        for command in rest:
            found = normalize(command.argv)
            if found and found[0] in _SHELLS:
                return True
        return False

    def check_chown(self, instruction: Instruction) -> None:
        """``COPY --chown=user:group`` needs both to exist at that point (DIND306)."""
        spec = instruction.flags.get("chown")
        if not spec or not self.state.known or "$" in spec:
            return
        user, _, group = spec.partition(":")
        span, command = instruction.span, "COPY --chown"
        if user and parse_id(user) is None and user not in self.state.users:
            self.events.append(UnknownName(span, self.stage.index, command, False, "user", user))
        if group and parse_id(group) is None and group not in self.state.groups:
            self.events.append(UnknownName(span, self.stage.index, command, False, "group", group))

    def check_user(self) -> None:
        """The stage's last USER names a user/group that never exists: the container (or a later
        stage's RUN) fails to start (GetExecUser errors: moby/sys@d7c3b9e:user/user.go:343,377).
        Known bases only."""
        located = self.state.user
        if located is None or not self.state.known or located.span in self.reported_user_spans:
            return
        if located.span.line < self.stage.span.line or located.span.path != self.stage.span.path:
            return  # set by an earlier stage: reported there
        user, _, group = located.value.partition(":")
        missing: list[tuple[str, str]] = []
        if user and parse_id(user) is None and "$" not in user and user not in self.state.users:
            missing.append(("user", user))
        if (
            group
            and parse_id(group) is None
            and "$" not in group
            and group not in self.state.groups
        ):
            missing.append(("group", group))
        if not missing:
            return
        self.reported_user_spans.add(located.span)
        for what, name in missing:
            self.events.append(
                UnknownName(located.span, self.stage.index, "USER", False, what, name)
            )
