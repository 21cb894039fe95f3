"""The "resolve" stage: users, groups, USER and daemon of the images services run.

Public API:

* :func:`identity_for_image` — a compose ``image:`` that is not built here (knowledge base).
* :func:`identity_for_build` — the stage chain compose builds from a Dockerfile.
* :func:`replay_all_stages` — events of every stage, for the Dockerfile-only rules.
* :func:`resolve_user` — GetExecUser for a user spec (moby/sys/user, as dockerd calls it).
* :func:`detect_alignment` — a runtime docker-GID alignment script (:mod:`.alignment`).
* :func:`start_commands_of` — the commands of a compose ``entrypoint:``/``command:`` value;
  :func:`find_switch` — the user they switch to; :func:`file_change`, :func:`socket_export` —
  a ``chmod``/``chown``/``chgrp``, a socat re-export over TCP (:mod:`.entrypoint`).
"""

from __future__ import annotations

import shlex
from itertools import takewhile
from pathlib import Path, PurePosixPath

from dindlint.images.alignment import DEVCONTAINER_INIT, detect_alignment
from dindlint.images.entrypoint import (
    SocketChange,
    SocketExport,
    UserSwitch,
    commands_of_text,
    commands_of_words,
    file_change,
    find_switch,
    is_shell_script,
    socket_export,
    switch_of,
    without_sudo,
)
from dindlint.images.knowledge import lookup
from dindlint.images.replay import Replayer
from dindlint.images.state import WCopy, WState, state_from_known, unknown_state
from dindlint.images.users import resolve_user
from dindlint.model import Dockerfile, IdentityEvent, ImageIdentity, ScriptCommand, SkippedScript
from dindlint.session import current
from dindlint.source import FileTooLarge, Located, Span, inside_boundary, read_input

__all__ = [
    "SocketChange",
    "SocketExport",
    "UserSwitch",
    "detect_alignment",
    "file_change",
    "find_switch",
    "identity_for_build",
    "identity_for_image",
    "replay_all_stages",
    "resolve_user",
    "socket_export",
    "start_commands_of",
    "switch_of",
    "without_sudo",
]

_MAX_SCRIPT_BYTES = 1_000_000
_PATH_DIRS = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
_GLOB_CHARS = frozenset("*?[")


def _freeze(
    state: WState,
    description: str,
    events: tuple[IdentityEvent, ...] = (),
    alignment: Span | None = None,
    started: tuple[tuple[ScriptCommand, ...], tuple[SkippedScript, ...]] = ((), ()),
) -> ImageIdentity:
    return ImageIdentity(
        description=description,
        base_known=state.known,
        family=state.family,
        users=state.frozen_users(),
        groups=state.frozen_groups(),
        user=state.user,
        default_user=state.default_user,
        daemon=state.daemon,
        alignment=alignment,
        entrypoint=state.entrypoint,
        cmd=state.cmd,
        events=events,
        source=state.source,
        start_commands=started[0],
        skipped_scripts=started[1],
    )


# The session's Replayers of the Dockerfiles used last, with the identities already made from
# their stages (keyed by identity, the Dockerfile kept alive beside it): the topology of every
# service that builds a Dockerfile and each Dockerfile rule reuse its replayed stages, and a
# project's services and checks ask for the same stage one after the other (replayed stages and
# identities are never modified afterwards). A small LRU catches the reuse without holding every
# model of a large run in memory. A session's configured image entries never change, so what
# was replayed under them stays true for the session.
_REPLAYERS_KEPT = 64
_BuiltIdentities = dict[tuple[int, Path | None], ImageIdentity]  # (stage, context) → identity


def _replayed(dockerfile: Dockerfile) -> tuple[Replayer, _BuiltIdentities]:
    replayers = current().replayers
    key = id(dockerfile)
    entry = replayers.get(key)
    if entry is None or entry[0] is not dockerfile:
        entry = (dockerfile, Replayer(dockerfile), {})
        replayers[key] = entry
        if len(replayers) > _REPLAYERS_KEPT:
            replayers.popitem(last=False)
    replayers.move_to_end(key)
    return entry[1], entry[2]


# The session's identities of images not built here: a large run asks for the same few images
# thousands of times, and freezing the users and groups of a base image anew each time was a
# tenth of the run. Bounded, as lookup()'s memo.
_IDENTITIES_KEPT = 4096


def identity_for_image(ref: str) -> ImageIdentity:
    """The identity of an image that is not built here: the knowledge base entry, or unknown."""
    identities = current().image_identities
    identity: ImageIdentity | None = identities.get(ref)
    if identity is not None:
        return identity
    known = lookup(ref) if "$" not in ref else None
    state = state_from_known(known, ref) if known is not None else unknown_state(ref)
    identity = _freeze(state, ref)
    if len(identities) >= _IDENTITIES_KEPT:
        identities.clear()
    identities[ref] = identity
    return identity


def identity_for_build(
    dockerfile: Dockerfile, target: str | None, context: Path | None
) -> ImageIdentity:
    """The identity of the image compose builds: ``target`` (or the last stage) and its chain.

    ``context`` is the build context directory; an ENTRYPOINT/CMD script copied from it is read
    (text only, < 1 MB, inside the context) to recognise a runtime GID alignment.
    """
    stage = dockerfile.stage(target)
    if stage is None:
        return _freeze(unknown_state(target or ""), f"{dockerfile.path} (no stage {target!r})")
    replayer, identities = _replayed(dockerfile)
    made = identities.get((stage.index, context))
    if made is not None:
        return made
    result = replayer.stage(stage.index)
    root_ref = result.state.root_ref
    # folder/Dockerfile, not the absolute path: messages must not depend on the checkout's place
    description = f"{root_ref} + {dockerfile.path.parent.name}/{dockerfile.path.name}"
    alignment = find_alignment(result.state, context)
    started = start_commands(result.state, context)
    identity = _freeze(
        result.state, description, replayer.chain_events(stage.index), alignment, started
    )
    identities[(stage.index, context)] = identity
    return identity


def replay_all_stages(dockerfile: Dockerfile) -> tuple[IdentityEvent, ...]:
    """Events of every stage (each stage's own instructions once), in stage order."""
    replayer, _ = _replayed(dockerfile)
    out: list[IdentityEvent] = []
    for stage in dockerfile.stages:
        out.extend(replayer.stage(stage.index).events)
    return tuple(out)


# ------------------------------------------------------------------------------------------------
# Alignment: the ENTRYPOINT/CMD script, read from the build context
# ------------------------------------------------------------------------------------------------


def find_alignment(state: WState, context: Path | None) -> Span | None:
    """The span of the ENTRYPOINT (or CMD) whose script aligns the docker GID at run time."""
    span = state.entrypoint_span or state.cmd_span
    if span is None:
        return None
    words = (state.entrypoint or ()) + (state.cmd or ())
    if DEVCONTAINER_INIT in words:
        return span
    inline = " ".join(t for t in (state.entrypoint_text, state.cmd_text) if t)
    if (inline and detect_alignment(inline)) or detect_alignment(" ".join(words)):
        return span
    if context is None or not inside_boundary(context):
        return None  # a context outside the repository (`/`, `..`) is not looked into
    for word in words:
        for image_path in _image_paths(word, state.workdir):
            text = _script_from_context(state.copies, image_path, context)
            if text is not None and detect_alignment(text):
                return span
    return None


def _image_paths(word: str, workdir: str) -> list[str]:
    """Where in the image a command word may point: absolute, relative to WORKDIR, or on PATH."""
    if not word or word.startswith("-") or "$" in word:
        return []
    if word.startswith("/"):
        return [str(PurePosixPath(word))]
    if "/" in word:
        return [str(PurePosixPath(workdir, word))]
    return [f"{d}/{word}" for d in _PATH_DIRS] + [str(PurePosixPath(workdir, word))]


def _script_from_context(copies: list[WCopy], image_path: str, context: Path) -> str | None:
    """The text of the context file the latest matching COPY/ADD put at ``image_path``."""
    for copy in reversed(copies):
        for candidate in _candidates(copy, image_path, context):
            text = _read_inside(candidate, context)
            if text is not None:
                return text
    return None


def _candidates(copy: WCopy, image_path: str, context: Path) -> list[Path]:
    dest = copy.dest.rstrip("/") or "/"
    single_file_dest = len(copy.sources) == 1 and not copy.dest.endswith("/")
    out: list[Path] = []
    for source in copy.sources:
        source = source.lstrip("/") or "."
        if single_file_dest and dest == image_path and not _GLOB_CHARS & set(source):
            out.append(context / source)
        prefix = dest if dest.endswith("/") else dest + "/"
        if not image_path.startswith(prefix):
            continue
        rest = image_path[len(prefix) :]
        if _GLOB_CHARS & set(source):
            # not through a link out of the repository (`root/**` with `root -> /` would walk
            # the machine): the folder before the first pattern must lie inside
            fixed = list(
                takewhile(
                    lambda part: not _GLOB_CHARS & set(part), PurePosixPath(source).parts[:-1]
                )
            )
            if inside_boundary(context.joinpath(*fixed) if fixed else context):
                out.extend(m for m in context.glob(source) if m.name == rest)
        elif (context / source).is_dir():
            out.append(context / source / rest)
        elif PurePosixPath(source).name == rest:
            out.append(context / source)
    return out


def _read_inside(candidate: Path, context: Path) -> str | None:
    """Read a context file as text, only inside the context (and the run's read boundary) and
    below 1 MB; never execute it."""
    try:
        if not candidate.resolve().is_relative_to(context.resolve()):
            return None
        return read_input(candidate, _MAX_SCRIPT_BYTES - 1).decode("utf-8", errors="replace")
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop on Python < 3.13
        return None


# ------------------------------------------------------------------------------------------------
# What the container runs at start: the ENTRYPOINT and CMD, and the shell scripts they name
# ------------------------------------------------------------------------------------------------


def start_commands(
    state: WState, context: Path | None
) -> tuple[tuple[ScriptCommand, ...], tuple[SkippedScript, ...]]:
    """The simple commands of the image's ENTRYPOINT then CMD: an inline (shell-form) value,
    the exec-form words, and each shell script they name that a COPY/ADD took from the build
    context (read as text, below 1 MB, inside the context; a larger one is skipped)."""
    commands: list[ScriptCommand] = []
    skipped: list[SkippedScript] = []
    parts = (
        ("entrypoint", state.entrypoint, state.entrypoint_span, state.entrypoint_text),
        ("cmd", state.cmd, state.cmd_span, state.cmd_text),
    )
    readable = context is not None and inside_boundary(context)
    for part, words, span, inline in parts:
        if span is None or words is None:
            continue
        if inline is not None:
            # the shell form runs `/bin/sh -c TEXT`: its commands, all at the instruction
            found = commands_of_text(inline, span.path, span.line, part)
            commands.extend(c._replace(span=span) for c in found)
        else:
            commands.extend(commands_of_words(words, span, part))
        if not readable or context is None:
            continue
        for word in words:
            for image_path in _image_paths(word, state.workdir):
                found_script = _script_file(state.copies, image_path, context)
                if found_script is None:
                    continue
                path, text = found_script
                if text is None:
                    skipped.append(SkippedScript(_relative_name(path, context), span, part))
                elif is_shell_script(text, path.name):
                    commands.extend(commands_of_text(text, path, 1, part))
                break
    return tuple(commands), tuple(skipped)


def start_commands_of(value: Located[tuple[str, ...] | str], part: str) -> list[ScriptCommand]:
    """The commands of a compose ``entrypoint:`` or ``command:``: a list is the argv; a string
    is split into words as compose splits it (no shell runs it, unless it names one)."""
    if isinstance(value.value, str):
        try:
            words = tuple(shlex.split(value.value))
        except ValueError:
            return []
    else:
        words = value.value
    return commands_of_words(words, value.span, part)


def _relative_name(path: Path, context: Path) -> str:
    try:
        return path.relative_to(context).as_posix()
    except ValueError:
        return path.name


def _script_file(
    copies: list[WCopy], image_path: str, context: Path
) -> tuple[Path, str | None] | None:
    """The context file the latest matching COPY/ADD put at ``image_path``, with its text
    (None: over the size limit, not read)."""
    for copy in reversed(copies):
        for candidate in _candidates(copy, image_path, context):
            try:
                if not candidate.resolve().is_relative_to(context.resolve()):
                    continue
                data = read_input(candidate, _MAX_SCRIPT_BYTES - 1)
            except FileTooLarge:
                return candidate, None
            except (OSError, RuntimeError):  # RuntimeError: a symlink loop on Python < 3.13
                continue
            return candidate, data.decode("utf-8", errors="replace")
    return None
