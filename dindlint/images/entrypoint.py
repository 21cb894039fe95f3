"""What a container's start command does, read statically: the simple commands of an ENTRYPOINT
or CMD (inline, or in a shell script the image copies from the build context), and the user an
entrypoint switches to. Text is split into words, never executed; anything the words do not
show for certain (a variable, a tool whose semantics are not modelled) is left unknown.

User switchers whose group semantics are modelled (the rules cite them):

* ``gosu USER`` resolves USER with moby/sys/user ``GetExecUserPath``, the function Docker uses
  for ``USER``, then ``setgroups(Sgids)``: a name gets its ``/etc/group`` memberships,
  ``USER:GROUP`` only GROUP, and the container's ``group_add`` GIDs are replaced
  (tianon/gosu@0396450:setup-user.go:15-41);
* ``su-exec NAME`` takes ``getgrouplist(NAME, gid)``, ``su-exec NAME:GROUP`` ``setgroups(1, &gid)``;
  a numeric uid is not looked up (ncopa/su-exec@0231008:su-exec.c:40-92), so it stays unknown.

Other switchers (``setpriv``, ``runuser``, ``su``, ``sudo -u``, ``s6-setuidgid``,
``chroot --userspec``) are recognised as switches to an unknown identity.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from pathlib import Path
from typing import NamedTuple

from dindlint.model import ScriptCommand
from dindlint.source import Span

_SEPARATORS = frozenset({";", "&&", "||", "|", "&", "(", ")", "!", "`"})
# words that may come before the command itself
_PREFIXES = frozenset(
    {"then", "else", "do", "if", "elif", "while", "until", "exec", "command", "nohup", "time"}
)
_SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "ksh"})
_MAX_COMMANDS = 10_000  # a bound on what one text yields
_MAX_LINE = 4096  # a longer logical line is not read
_MAX_LEXED = 256 * 1024  # characters split into words per text; what follows is not read
MODELLED = frozenset({"gosu", "su-exec"})
SWITCHERS = frozenset(
    {"gosu", "su-exec", "setpriv", "runuser", "su", "sudo", "s6-setuidgid", "chroot"}
)


class UserSwitch(NamedTuple):
    """An entrypoint's switch to another user."""

    tool: str  # "gosu", "su-exec", "sudo -u", …
    spec: str | None  # the user spec switched to; None: unknown (a variable, an unread option)
    modelled: bool  # the tool's group semantics are modelled (gosu, su-exec by name)
    span: Span  # the switching command
    certain: bool = True  # False: it may not run (a branch, a function) or other switches differ

    @property
    def text(self) -> str:
        """``gosu dev``, ``sudo -u ?``."""
        return f"{self.tool} {self.spec if self.spec is not None else '?'}"

    @property
    def decides(self) -> bool:
        """Whether the switch decides who the process is: modelled, certain, its user known."""
        return self.modelled and self.certain and self.spec is not None


def is_shell_script(text: str, name: str) -> bool:
    """A shell script: a ``#!`` line naming a shell, or no ``#!`` line and a ``.sh`` name."""
    first = text.split("\n", 1)[0]
    if first.startswith("#!"):
        words = first[2:].split()
        names = [posixpath.basename(w) for w in words[:2]]
        if names[:1] == ["env"]:
            names = names[1:]
        return bool(names) and names[0] in _SHELLS
    return name.endswith(".sh")


def commands_of_text(text: str, path: Path, first_line: int, part: str) -> list[ScriptCommand]:
    """The simple commands of shell ``text`` (a script, or a shell-form value starting at
    ``first_line`` of ``path``), with continuation lines joined; comments dropped. A command
    ``sh -c 'TEXT'`` also yields the commands of TEXT, at the same line. Each command says
    whether it certainly runs when the script starts as root (``ScriptCommand.certain``)."""
    out: list[ScriptCommand] = []
    blocks = _Blocks()
    lines = text.split("\n")
    index = 0
    budget = _MAX_LEXED
    while index < len(lines) and len(out) < _MAX_COMMANDS and budget > 0:
        start = index
        parts = [lines[index]]
        size = len(parts[0])
        while parts[-1].endswith("\\") and index + 1 < len(lines):
            index += 1
            parts[-1] = parts[-1][:-1]
            parts.append(lines[index])
            size += len(lines[index]) + 1
        index += 1
        if size > _MAX_LINE:
            continue  # not a line of an entrypoint script: unread (lexing it would be slow)
        logical = " ".join(parts)
        budget -= size
        span = Span(path, first_line + start)
        if _FUNCTION.match(logical):
            blocks.function_next = True
        for raw, chained in _split(logical):
            certain = blocks.take(raw, logical) and not chained
            _add(out, _strip_prefixes(raw), span, part, certain)
    return out


_FUNCTION = re.compile(r"^\s*(function\s+[A-Za-z_][\w-]*|[A-Za-z_][\w-]*\s*\(\s*\))")
_ROOT_TEST = re.compile(r"(\bid\s+-u\b|\$\{?E?UID\b)")
_NEGATED = re.compile(r"(!=|\s-ne\s|^!|\s!\s)")


class _Blocks:
    """The compound commands open at a point of a script: whether a command there certainly
    runs when the script starts as root (the then-branch of a root test does)."""

    def __init__(self) -> None:
        # each open block: its kind, whether its commands certainly run, and for an `if`
        # whether its test is for root (True), for not root (False), or something else (None)
        self.frames: list[tuple[str, bool, bool | None]] = []
        self.uncertain = 0  # how many open blocks are not certain (kept, not recounted)
        self.function_next = False

    def _push(self, kind: str, certain: bool, root: bool | None = None) -> None:
        self.frames.append((kind, certain, root))
        self.uncertain += not certain

    def _pop(self, kinds: tuple[str, ...]) -> None:
        if self.frames and self.frames[-1][0] in kinds:
            self.uncertain -= not self.frames.pop()[1]

    def _set_top(self, certain: bool, root: bool | None) -> None:
        kind, was, _ = self.frames[-1]
        self.frames[-1] = (kind, certain, root)
        self.uncertain += (not certain) - (not was)

    def take(self, raw: list[str], line: str) -> bool:
        """Update the blocks with a command's words (before prefixes are dropped) on ``line``;
        whether the command certainly runs."""
        head = raw[0] if raw else ""
        top_if = bool(self.frames) and self.frames[-1][0] == "if"
        if head == "if":
            condition = line.split("then", 1)[0]
            is_root = bool(_ROOT_TEST.search(condition)) and "0" in condition
            self._push("if", False, not _NEGATED.search(condition) if is_root else None)
        elif head == "elif" and top_if:
            self._set_top(False, None)
        elif head == "then" and top_if:
            self._set_top(self.frames[-1][2] is True, self.frames[-1][2])
        elif head == "else" and top_if:
            self._set_top(self.frames[-1][2] is False, self.frames[-1][2])
        elif head == "fi":
            self._pop(("if",))
        elif head in ("case", "while", "until", "for", "select"):
            self._push("loop", False)
        elif head in ("esac", "done"):
            self._pop(("loop",))
        elif head == "{":
            self._push("group", not self.function_next)
            self.function_next = False
        elif head == "}":
            self._pop(("group",))
        return self.uncertain == 0


def commands_of_words(words: tuple[str, ...], span: Span, part: str) -> list[ScriptCommand]:
    """The command of an exec-form value (``["gosu", "dev", "app"]``), and of its ``sh -c``."""
    out: list[ScriptCommand] = []
    _add(out, _strip_prefixes(list(words)), span, part, True)
    return out


def _add(out: list[ScriptCommand], words: list[str], span: Span, part: str, certain: bool) -> None:
    if not words:
        return
    out.append(ScriptCommand(tuple(words), span, part, certain))
    if posixpath.basename(words[0]) in _SHELLS and "-c" in words[1:-1]:
        inner = words[words.index("-c", 1) + 1]
        if len(inner) > _MAX_LEXED:
            return
        blocks = _Blocks()
        for line in inner.replace("\\\n", " ").split("\n"):
            if len(line) > _MAX_LINE:
                continue
            for raw, chained in _split(line):
                inner_certain = blocks.take(raw, line) and certain and not chained
                if len(out) < _MAX_COMMANDS:
                    _add(out, _strip_prefixes(raw), span, part, inner_certain)


def _split(line: str) -> list[tuple[list[str], bool]]:
    """The simple commands of one logical line, each with whether it may not run (it follows
    ``||``, or a test and ``&&``); a line the lexer cannot read yields none."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|()`")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    commands: list[tuple[list[str], bool]] = [([], False)]
    try:
        for token in lexer:
            if token in ("{", "}"):
                commands.append(([token], False))
                commands.append(([], False))
            elif token in _SEPARATORS or set(token) <= set(";&|()`"):
                # after `||`, or `&&` behind a test, the next command may not run (a failing
                # command before `&&` stops the start anyway)
                before = commands[-1][0][:1]
                maybe = token == "||" or (token == "&&" and before in (["["], ["[["], ["test"]))
                inherits = token in ("&&", "||", "|") and commands[-1][1]
                commands.append(([], maybe or inherits))
            else:
                commands[-1][0].append(token)
    except ValueError:  # an unterminated quote: not a line dindlint can read
        return []
    return [(words, chained) for words, chained in commands if words]


def _strip_prefixes(words: list[str]) -> list[str]:
    """Drop shell keywords, ``exec``, ``VAR=value`` assignments and ``env`` before a command."""
    index = 0
    while index < len(words):
        word = words[index]
        if word in _PREFIXES or _is_assignment(word):
            index += 1
        elif word == "env":
            index += 1
            while index < len(words) and (words[index].startswith("-") or "=" in words[index]):
                index += 1
        elif word == "set" and words[index + 1 : index + 2] == ["--"]:
            index += 2  # `set -- gosu app "$@"` then `exec "$@"`: the official images' idiom
        else:
            break
    return words[index:]


def _is_assignment(word: str) -> bool:
    name, equals, _ = word.partition("=")
    return bool(equals) and name.isidentifier()


def switch_of(command: ScriptCommand) -> UserSwitch | None:
    """The user switch a command makes, if it runs one of the switching tools."""
    words = command.words
    tool = posixpath.basename(words[0])
    if tool not in SWITCHERS:
        return None
    args = list(words[1:])
    if tool in MODELLED:
        if not args or args[0].startswith("-") or len(args) < 2:
            return None  # `gosu --version`, `gosu nobody` without a command: no switch
        spec = args[0]
        if "$" in spec or "`" in spec:
            return UserSwitch(tool, None, True, command.span, command.certain)
        if tool == "su-exec" and spec.partition(":")[0].isdigit():
            # a uid is not looked up: su-exec.c:44-58 leaves `pw` NULL
            return UserSwitch(tool, spec, False, command.span, command.certain)
        return UserSwitch(tool, spec, True, command.span, command.certain)
    target = _unmodelled_target(tool, args)
    if target is None:
        return None
    label = {"sudo": "sudo -u", "runuser": "runuser -u", "chroot": "chroot --userspec"}
    known = target if target and "$" not in target and "`" not in target else None
    return UserSwitch(label.get(tool, tool), known, False, command.span, command.certain)


def _unmodelled_target(tool: str, args: list[str]) -> str | None:
    """The user of a switch by a tool whose group semantics are not modelled; "" when the
    switch is certain but its user is not read; None when the command switches no user."""
    option = {"sudo": ("-u", "--user"), "runuser": ("-u", "--user")}.get(tool)
    if option is not None:
        for index, arg in enumerate(args):
            if arg in option and index + 1 < len(args):
                return args[index + 1]
            if arg.startswith("--user="):
                return arg.split("=", 1)[1]
        return None
    if tool == "setpriv":
        for arg in args:
            if arg.startswith("--reuid"):
                return arg.split("=", 1)[1] if "=" in arg else ""
        return None
    if tool == "chroot":
        for arg in args:
            if arg.startswith("--userspec"):
                return arg.split("=", 1)[1] if "=" in arg else ""
        return None
    if tool == "su":
        if "-c" not in args and "--command" not in args:
            return None  # an interactive `su`: nothing runs in the entrypoint's place
        names = [
            a
            for i, a in enumerate(args)
            if not a.startswith("-") and (i == 0 or args[i - 1] not in ("-c", "--command"))
        ]
        return names[0] if names else ""
    # s6-setuidgid USER PROG
    return args[0] if len(args) >= 2 and not args[0].startswith("-") else None


def find_switch(commands: list[ScriptCommand] | tuple[ScriptCommand, ...]) -> UserSwitch | None:
    """The user an entrypoint switches to: the last switch, not certain when one of the
    switches may not run or when they name different users (stay silent when unsure)."""
    switches = [s for s in (switch_of(c) for c in commands) if s is not None]
    if not switches:
        return None
    last = switches[-1]  # the one an `exec` ends the script with, if any
    if any((s.tool, s.spec) != (last.tool, last.spec) or not s.certain for s in switches):
        return last._replace(certain=False)
    return last


# ------------------------------------------------------------------------------------------------
# Changes to the socket file, and re-exports of the socket over TCP
# ------------------------------------------------------------------------------------------------

_SUDO_FLAGS = frozenset({"-E", "-H", "-n", "-S", "-i", "-s", "-P", "-k", "--preserve-env"})


class AsRoot(NamedTuple):
    """A command's words without a ``sudo`` in front, and whether ``sudo`` made it root."""

    words: tuple[str, ...]
    by_sudo: bool


def without_sudo(words: tuple[str, ...]) -> AsRoot | None:
    """``sudo [flags] CMD…`` → CMD… run as root; None when sudo runs it as another user."""
    if not words or posixpath.basename(words[0]) != "sudo":
        return AsRoot(words, False)
    index = 1
    while index < len(words) and words[index].startswith("-"):
        flag = words[index]
        if flag in ("-u", "--user", "-g", "--group"):
            if index + 1 >= len(words) or words[index + 1] not in ("root", "0", "#0"):
                return None
            index += 2
        elif flag == "--":
            index += 1
            break
        elif flag in _SUDO_FLAGS or flag.startswith("--preserve-env="):
            index += 1
        else:
            return None  # a flag not read here: stay silent
    return AsRoot(words[index:], True)


class SocketChange(NamedTuple):
    """``chmod``/``chown``/``chgrp`` of a path: ``what`` the command changes."""

    tool: str  # "chmod", "chown", "chgrp"
    argument: str  # the mode, owner or group as written
    paths: tuple[str, ...]


def file_change(words: tuple[str, ...]) -> SocketChange | None:
    """A ``chmod`` that makes files world-writable, or any ``chown``/``chgrp``: the paths it
    names (a path with a variable is left out, unknown)."""
    if not words:
        return None
    tool = posixpath.basename(words[0])
    if tool not in ("chmod", "chown", "chgrp"):
        return None
    operands = [w for w in words[1:] if not w.startswith("-") or _is_mode(w)]
    if any(w.startswith("--reference") for w in words[1:]) or len(operands) < 2:
        return None
    argument, paths = operands[0], tuple(p for p in operands[1:] if "$" not in p)
    if "$" in argument or not paths:
        return None
    if tool == "chmod" and not world_writable(argument):
        return None
    return SocketChange(tool, argument, paths)


def _is_mode(word: str) -> bool:
    return bool(re.fullmatch(r"-[rwxXst]+", word))


def world_writable(mode: str) -> bool:
    """``666``, ``0777``, ``o+w``, ``a+rw``, ``ugo=rwx``: others get write permission."""
    if mode.isdigit():
        if len(mode) > 4 or any(digit in "89" for digit in mode):
            return False
        return (int(mode[-1], 8) & 2) == 2
    for clause in mode.split(","):
        match = re.fullmatch(r"([ugoa]*)([+=])([rwxXst]*)", clause)
        if match and "w" in match.group(3) and ("o" in match.group(1) or "a" in match.group(1)):
            return True
    return False


_TCP_LISTEN = re.compile(r"^TCP[46]?-L(ISTEN)?:([^,]*)(,.*)?$", re.IGNORECASE)
_UNIX_CONNECT = re.compile(r"^UNIX-(CONNECT|CLIENT):([^,]+)", re.IGNORECASE)


class SocketExport(NamedTuple):
    """``socat TCP-LISTEN:PORT[,bind=ADDR] UNIX-CONNECT:PATH``."""

    port: int | None  # None: not a literal number
    bind: str | None  # the ``bind=`` option; None: all interfaces
    path: str


def socket_export(words: tuple[str, ...]) -> SocketExport | None:
    """A socat re-export of a Unix socket on a plain TCP listener (the words of a ``socat``
    command, or the arguments compose gives an image whose entrypoint is socat)."""
    listen = next((m for m in map(_TCP_LISTEN.match, words) if m), None)
    connect = next((m for m in map(_UNIX_CONNECT.match, words) if m), None)
    if listen is None or connect is None:
        return None
    options = dict((o.split("=", 1) + [""])[:2] for o in (listen.group(3) or "").split(",") if o)
    bind = options.get("bind")
    path = connect.group(2)
    if "$" in path or (bind is not None and "$" in bind):
        return None
    port = listen.group(2)
    return SocketExport(int(port) if port.isdigit() else None, bind or None, path)
