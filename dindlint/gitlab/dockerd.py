"""How a container starts dockerd, read from its entrypoint and command: the flags dockerd
gets, and whether the dind image's ``dockerd-entrypoint.sh`` adds its defaults. Shared by the
compose services and the GitLab CI services of the topology.

Sources: docker-library/docker@163b457:dockerd-entrypoint.sh (the defaults only for no arguments
or a first one starting with ``-``, "first arg is `-f` or `--some-option`"; any other command is
passed through ``docker-entrypoint.sh``, which runs it); docker-library/docker@3289af8:
dockerd-entrypoint.sh:102-141 (the defaults: the unix socket, and ``tcp://0.0.0.0:2376
--tlsverify`` when ``DOCKER_TLS_CERTDIR`` is non-empty, else plain ``tcp://0.0.0.0:2375``).
"""

from __future__ import annotations

import re
from typing import NamedTuple

_DOCKERD = re.compile(r"(^|[\s/])(dockerd|dockerd-entrypoint\.sh)(\s|$)")


class DindStart(NamedTuple):
    """How a daemon container starts dockerd: the flags it passes, whether
    ``dockerd-entrypoint.sh`` adds its defaults (the unix socket, TLS on 2376 or plain 2375), and
    whether that is known."""

    args: tuple[str, ...]
    defaults: bool
    known: bool = True  # False: a shell line dindlint does not follow: listeners unknown


_SEPARATORS = re.compile(r"&&|\|\||[;\n|&]")
_SHELL_SPECIAL = re.compile(r"[$`<>(){}*?\\'\"]")


def dind_start(
    entrypoint: tuple[str, ...] | None, command: tuple[str, ...] | None, dind: bool
) -> DindStart | None:
    """How a container with this ``entrypoint`` and ``command`` starts dockerd (``dind``: a
    ``docker:*dind*`` image, whose entrypoint is ``dockerd-entrypoint.sh``); None: it runs none."""
    if dind and entrypoint is None:
        return _script_start(command or ())
    if dind and runs_dockerd(entrypoint):
        return _start((entrypoint or ()) + (command or ()))
    if runs_dockerd(entrypoint) or runs_dockerd(command):
        return _start((entrypoint or ()) + (command or ()))
    return None


def _script_start(args: tuple[str, ...]) -> DindStart | None:
    """``dockerd-entrypoint.sh ARGS``: its defaults with ``ARGS`` as extra flags when there are
    none or the first starts with ``-``; any other command is handed to
    ``docker-entrypoint.sh``, which runs it (a ``dockerd-entrypoint.sh`` or ``dockerd`` there is
    followed)."""
    if not args or args[0].startswith("-"):
        return DindStart(args, True)
    return _start(args)


def _start(words: tuple[str, ...]) -> DindStart | None:
    """The dockerd a command line runs: after the first ``dockerd`` (its flags) or
    ``dockerd-entrypoint.sh`` (its defaults and flags); a ``sh -c`` line is read command by
    command."""
    for index, word in enumerate(words):
        if len(word.split()) > 1 or _SEPARATORS.search(word):
            if _DOCKERD.search(word):
                return _shell_start(word, words[index + 1 :])
            continue
        base = word.rsplit("/", 1)[-1]
        if base == "dockerd":
            return DindStart(after_dockerd(words[index:]), False)
        if base == "dockerd-entrypoint.sh":
            return _script_start(words[index + 1 :])
    return None


def _shell_start(script: str, rest: tuple[str, ...]) -> DindStart | None:
    """A ``sh -c`` line: the one command of it that runs ``dockerd`` or
    ``dockerd-entrypoint.sh`` (``exec`` in front allowed), with plain words as arguments.
    Another shape (two of them, variables, redirections, quoting) leaves the listeners
    unknown; for ``dockerd`` the words after it are still read as its flags."""
    runs = [c.split() for c in _SEPARATORS.split(script) if _DOCKERD.search(c)]
    if len(runs) == 1:
        run = runs[0][1:] if runs[0][:1] == ["exec"] else runs[0]
        base = run[0].rsplit("/", 1)[-1] if run else ""
        if base in ("dockerd", "dockerd-entrypoint.sh") and not any(
            _SHELL_SPECIAL.search(w) for w in run
        ):
            if base == "dockerd":
                return DindStart(tuple(run[1:]), False)
            start = _script_start(tuple(run[1:]))
            return start if start is not None else DindStart((), False, False)
    if not re.search(r"(^|[\s/])dockerd-entrypoint\.sh(\s|$)", script):
        return DindStart(after_dockerd((script, *rest)), False)
    return DindStart((), False, False)


def runs_dockerd(words: tuple[str, ...] | None) -> bool:
    """Whether the words name ``dockerd`` or ``dockerd-entrypoint.sh``."""
    return words is not None and bool(_DOCKERD.search(" ".join(words)))


def after_dockerd(words: tuple[str, ...]) -> tuple[str, ...]:
    """The words after the first ``dockerd`` (or ``dockerd-entrypoint.sh``), split at spaces."""
    flat: list[str] = []
    for word in words:
        flat.extend(word.split())
    for index, word in enumerate(flat):
        if word.rsplit("/", 1)[-1] in ("dockerd", "dockerd-entrypoint.sh"):
            return tuple(flat[index + 1 :])
    return tuple(flat)
