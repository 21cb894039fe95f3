"""Load a Dockerfile into the immutable model (the "load" stage).

The physical lines are grouped into instructions in one pass, the way dockerfile-parse 2.0.1
groups them (``_Grouper``; the library itself was quadratic on a long continued instruction and
had to be run again after each heredoc). The text of every instruction is then rebuilt from the
raw physical lines, so each character keeps its line and column: comment lines inside a
continued instruction are skipped, and a command inside a long RUN points at the physical line it
is written on. Heredocs are handled here (heredoc.py): their bodies are read from the lines after
the instruction, and the grouping resumes after them. Variable substitution is done here with
the values the Dockerfile declares (substitute.py), never with the process environment.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from dindlint.dockerfile.heredoc import Heredoc, find_markers, read_bodies, strip_markers
from dindlint.dockerfile.shell import (
    Source,
    commands_from_argv,
    packed_lines,
    split_source,
)
from dindlint.dockerfile.substitute import expand_value, substitute
from dindlint.model import (
    Dockerfile,
    Instruction,
    ShellCommand,
    Stage,
    expansion_limit,
    too_long_message,
)
from dindlint.source import Located, Problem, Span, quoted, read_input, unreadable

RULE = "DIND001"
_BOM = b"\xef\xbb\xbf"
_DIRECTIVE = re.compile(r"^\s*#\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(.*?)\s*$")
_KNOWN_DIRECTIVES = frozenset({"syntax", "escape", "check"})
_KEYWORD = re.compile(r"\S+")
_FLAG = re.compile(r"--([A-Za-z][A-Za-z0-9-]*)(?:=(\"[^\"]*\"|'[^']*'|\S*))?(?=\s|$)")
_INSTRUCTIONS = frozenset(
    {
        "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK",
        "LABEL", "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME",
        "WORKDIR",
    }
)  # fmt: skip
_FLAGGED = frozenset({"FROM", "RUN", "COPY", "ADD", "HEALTHCHECK"})
_EXEC_FORM = frozenset({"RUN", "CMD", "ENTRYPOINT", "SHELL"})
# Instructions whose arguments the builder itself expands ($VAR) before using them.
# RUN/CMD/ENTRYPOINT are left to the shell (their commands get substituted argv instead).
_EXPANDED = frozenset({"ADD", "COPY", "EXPOSE", "LABEL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"})
_HEREDOC_KEYWORDS = frozenset({"RUN", "COPY", "ADD"})
_SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "ksh", "mksh"})
# Most stages analysed: real Dockerfiles have a handful; more is refused (DIND001).
MAX_STAGES = 256
# dockerfile-parse 2.0.1's parser-directive tests (_Grouper), on a line with its newline.
_DP_ESCAPE = re.compile(r"^\s*#\s*escape\s*=\s*(\\|`)\s*$", re.IGNORECASE)
_DP_SYNTAX = re.compile(r"^\s*#\s*syntax\s*=\s*(.*)\s*$", re.IGNORECASE)


@dataclass(eq=False, repr=False)
class _Raw:
    """One instruction as located in the file (0-based line indexes)."""

    keyword: str
    start: int
    end: int  # last line, including a heredoc's terminator
    source: Source  # the text after the keyword, continuation lines joined
    heredocs: list[Heredoc] = field(default_factory=list)


@dataclass(eq=False, repr=False)
class _Scope:
    """Variables visible to an instruction: ARGs of the stage, then ENV (ENV wins)."""

    args: dict[str, str | None] = field(default_factory=dict)
    env: dict[str, str | None] = field(default_factory=dict)

    def variables(self) -> dict[str, str | None]:
        return {**self.args, **self.env}


@dataclass(eq=False, repr=False)
class _OpenStage:
    """The stage being read: its FROM, and the instructions seen so far."""

    raw: _Raw
    base: Located[str]
    name: str | None
    scope: _Scope
    instructions: list[Instruction] = field(default_factory=list)


# ------------------------------------------------------------------------------------------------
# Entry point
# ------------------------------------------------------------------------------------------------


def load_dockerfile(path: Path, *, build_args: Mapping[str, str] | None = None) -> Dockerfile:
    """Load the Dockerfile at ``path``; never raises.

    Problems (unreadable, not UTF-8, a directory, binary, no FROM, content before FROM, unknown
    instruction, unterminated heredoc) are reported as DIND001 in ``Dockerfile.problems``.
    ``build_args`` override ARG defaults (global ARGs in FROM and ARGs inside stages).
    """
    lines, problem = _read_lines(path)
    if problem is not None:
        return Dockerfile(path, (), {}, lines, (problem,))
    try:
        dockerfile = _Loader(path, lines, dict(build_args or {})).load()
        if len(dockerfile.stages) > MAX_STAGES:
            # replaying a chain of stages copies the users and groups once per stage
            count = len(dockerfile.stages)
            message = f"more than {MAX_STAGES} build stages ({count}): not analysed"
            return Dockerfile(path, (), {}, lines, (Problem(RULE, message, Span(path, 1)),))
        return dockerfile
    except Exception as exc:  # noqa: BLE001 - the contract: a bad file never stops the run
        message = f"cannot parse Dockerfile: {type(exc).__name__}: {exc}"
        return Dockerfile(path, (), {}, lines, (Problem(RULE, message, Span(path, 1)),))


def _read_lines(path: Path) -> tuple[tuple[str, ...], Problem | None]:
    """The file's physical lines (no newline, no BOM), or a DIND001 problem."""
    if os.path.isdir(path):  # (os.path: a folder above without permission is no crash)
        return (), Problem(RULE, f"{path.name} is a directory, not a Dockerfile", Span(path, 1))
    try:
        data = read_input(path)
    except OSError as exc:
        return (), unreadable(path, exc)
    data = data.removeprefix(_BOM)
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        return (), Problem(RULE, "binary file, not a Dockerfile", Span(path, line))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        lines = _split_lines(data.decode("utf-8", errors="replace"))
        return lines, Problem(RULE, "Dockerfile is not valid UTF-8", Span(path, line))
    return _split_lines(text), None


def _split_lines(text: str) -> tuple[str, ...]:
    # Only "\n" ends a line (as for the builder); str.splitlines would also split on \x0c …
    parts = text.split("\n")
    if parts and parts[-1] == "":
        parts.pop()
    return tuple(part.removesuffix("\r") for part in parts)


# ------------------------------------------------------------------------------------------------
# Locating instructions
# ------------------------------------------------------------------------------------------------


def _directives(lines: Sequence[str]) -> tuple[str, dict[int, str]]:
    """The escape character and the parser-directive lines (index → directive name).

    Directives are only recognised at the very top; the first other line (blank, comment or
    instruction) ends them, as in BuildKit.
    """
    escape = "\\"
    found: dict[int, str] = {}
    for index, line in enumerate(lines):
        match = _DIRECTIVE.match(line)
        if match is None or match.group(1).lower() not in _KNOWN_DIRECTIVES:
            break
        name = match.group(1).lower()
        if name in found.values():
            break
        found[index] = name
        if name == "escape" and match.group(2) in ("\\", "`"):
            escape = match.group(2)
    return escape, found


class _Grouper:
    """The grouping of physical lines into instructions that dockerfile-parse 2.0.1 makes.

    ``DockerfileParser.structure`` was run on the file (with blank lines and heredoc bodies
    turned into comments), and again after each heredoc; it is quadratic on a long continued
    instruction (it extends its strings with ``+=`` through a dict). This walks the lines once,
    with the same tests, and gives the same ``(keyword, start, end)`` (0-based):

    * parser directives are read only at the very top: ``escape`` and ``syntax`` lines (any other
      directive BuildKit knows counts as ``syntax``, as dindlint fed it) keep them going, and the
      last ``escape`` sets the character that continues a line;
    * a comment line (``#`` after blanks) or a blank line is skipped, also inside a continued
      instruction: it neither ends nor extends it;
    * an instruction starts on a line with a non-blank character (its first word, upper-cased,
      is the keyword) and goes on while its last non-comment line, without trailing blanks, ends
      with the continuation character; one still going on at the end of the file is dropped.

    Heredoc bodies are not read here: ``next`` starts at the line after a body.
    """

    def __init__(self, lines: Sequence[str], directives: dict[int, str]) -> None:
        self.lines = lines
        self.continuation = "\\"
        for index, line in enumerate(lines):
            if not line.strip():
                break
            fed = line if directives.get(index, "escape") == "escape" else "# syntax=dindlint"
            match = _DP_ESCAPE.match(fed + "\n")
            if match is not None:
                self.continuation = match.group(1)
            elif _DP_SYNTAX.match(fed + "\n") is None:
                break

    def next(self, index: int) -> tuple[str, int, int] | None:
        """The first instruction that starts at or after line ``index``, or None."""
        lines = self.lines
        count = len(lines)
        continuation = self.continuation
        while index < count and _skipped(lines[index]):
            index += 1
        if index >= count:
            return None
        start = end = index
        keyword = lines[start].split(None, 1)[0].upper()
        going_on = lines[start].rstrip().endswith(continuation)
        while going_on:
            index += 1
            if index >= count:
                return None
            line = lines[index]
            if not (left := line.lstrip()) or left[0] == "#":  # _skipped, inlined
                continue
            end = index
            going_on = line.rstrip().endswith(continuation)
        return keyword, start, end


def _skipped(line: str) -> bool:
    """A blank or comment line, which dockerfile-parse read as a comment (blanks were fed as
    ``#``). str.strip and the parser's ``\\s`` know the same blanks."""
    left = line.lstrip()
    return not left or left[0] == "#"


def _instruction_source(
    lines: Sequence[str], start: int, end: int, escape: str
) -> tuple[str, Source]:
    """Keyword and the text after it, built from the physical lines ``start..end``.

    Comment and blank lines inside the range are skipped; the escape character that continues a
    line is removed and the lines are joined without separator, as the builder does. (Lists are
    built a range at a time rather than a line at a time: a continued RUN can have 100,000s of
    lines.)
    """
    kept = [start]
    kept += [i for i in range(start + 1, end + 1) if not _skipped(lines[i])]
    stripped = [lines[i].rstrip(" \t") for i in kept]
    parts = [body[:-1] if body.endswith(escape) else body for body in stripped]
    if kept[-1] == end and not stripped[-1].endswith(escape):
        parts[-1] = lines[end]  # the last line keeps its trailing blanks
    text = "".join(parts)
    match = _KEYWORD.search(text)
    if match is None:
        return "", Source("", array("q"))
    value_start = match.end()
    while value_start < len(text) and text[value_start] in " \t":
        value_start += 1
    value_end = max(value_start, len(text.rstrip()))
    # the position of each character of the value (line and column, both 1-based)
    runs = [(i + 1, 1, len(part)) for i, part in zip(kept, parts, strict=True)]
    pos = array("q", islice(packed_lines(runs), value_start, value_end))
    return match.group().upper(), Source(text[value_start:value_end], pos)


def _locate(lines: Sequence[str]) -> tuple[list[_Raw], str]:
    """All instructions with their text and heredoc bodies, and the escape character.

    One pass over the lines: after an instruction with heredocs, the search for the next one
    resumes after the bodies (which are never read as instructions).
    """
    escape, directives = _directives(lines)
    grouper = _Grouper(lines, directives)
    raws: list[_Raw] = []
    index = 0
    while (found := grouper.next(index)) is not None:
        keyword, start, end = found
        index = end + 1
        keyword, source = _instruction_source(lines, start, end, escape)
        if found[0] in _HEREDOC_KEYWORDS and "<<" in source.text and source.text[:1] != "[":
            markers = find_markers(source.text)
            if markers:
                bodies, last = read_bodies(lines, end + 1, markers)
                raws.append(_Raw(keyword, start, max(end, last), source, bodies))
                index = last + 1
                continue
        raws.append(_Raw(keyword, start, end, source))
    return raws, escape


# ------------------------------------------------------------------------------------------------
# Building the model
# ------------------------------------------------------------------------------------------------


class _Loader:
    def __init__(self, path: Path, lines: tuple[str, ...], build_args: dict[str, str]) -> None:
        self.path = path
        self.lines = lines
        self.build_args = build_args
        self.problems: list[Problem] = []
        self.escape = "\\"
        self.global_args: dict[str, str | None] = {}  # defaults as written (substituted)
        self.global_values: dict[str, str | None] = {}  # defaults overridden by build args
        self.stages: list[Stage] = []
        self.stage_env: dict[str, dict[str, str | None]] = {}  # stage name → final ENV

    def problem(self, message: str, line: int) -> None:
        self.problems.append(Problem(RULE, message, Span(self.path, line)))

    def load(self) -> Dockerfile:
        raws, self.escape = _locate(self.lines)
        current: _OpenStage | None = None
        for raw in raws:
            self.check_raw(raw)
            if raw.keyword == "FROM":
                if current is not None:
                    self.close_stage(current)
                current = self.open_stage(raw)
            elif current is None:
                self.before_from(raw)
            else:
                current.instructions.append(self.instruction(raw, current.scope))
        if current is not None:
            self.close_stage(current)
        elif raws:
            self.problem("no FROM instruction: not a buildable Dockerfile", raws[0].start + 1)
        return Dockerfile(
            self.path, tuple(self.stages), dict(self.global_args), self.lines, tuple(self.problems)
        )

    def check_raw(self, raw: _Raw) -> None:
        if raw.keyword not in _INSTRUCTIONS:
            self.problem(f"unknown instruction {quoted(raw.keyword)!r}", raw.start + 1)
        for heredoc in raw.heredocs:
            if not heredoc.terminated:
                name = heredoc.marker.name
                self.problem(f"heredoc {name!r} is never terminated", raw.start + 1)

    def span(self, raw: _Raw) -> Span:
        return Span(self.path, raw.start + 1, 1, raw.end + 1)

    # -- before the first FROM ----------------------------------------------------------------

    def before_from(self, raw: _Raw) -> None:
        if raw.keyword != "ARG":
            if raw.keyword in _INSTRUCTIONS:
                self.problem(f"{raw.keyword} before the first FROM", raw.start + 1)
            return
        for name, default in _arg_pairs(raw.source.text):
            if default is not None:
                default = self.declared("ARG", name, default, self.global_values, raw)
            self.global_args[name] = default
            self.global_values[name] = self.build_args.get(name, default)

    # -- stages -------------------------------------------------------------------------------

    def open_stage(self, raw: _Raw) -> _OpenStage:
        _, rest = _split_flags(raw.source)
        words = rest.text.split()
        span = self.span(raw)
        if not words:
            self.problem("FROM without an image", raw.start + 1)
            words = [""]
        image, unresolved = substitute(words[0], self.global_values, escape=self.escape)
        name = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
        scope = _Scope()
        parent_env = self.stage_env.get(image.lower())
        if parent_env is not None:  # FROM an earlier stage inherits its ENV (not its ARGs)
            scope.env.update(parent_env)
        return _OpenStage(raw, Located(image, span, unresolved), name, scope)

    def close_stage(self, current: _OpenStage) -> None:
        stage = Stage(
            len(self.stages),
            current.name,
            current.base,
            tuple(current.instructions),
            self.span(current.raw),
        )
        self.stages.append(stage)
        if current.name:
            self.stage_env[current.name.lower()] = dict(current.scope.env)

    # -- instructions -------------------------------------------------------------------------

    def instruction(self, raw: _Raw, scope: _Scope) -> Instruction:
        variables = scope.variables()
        flags: dict[str, str] = {}
        rest = raw.source
        if raw.keyword in _FLAGGED:
            flags, rest = _split_flags(raw.source)
            flags = {k: self.expand(v, variables) for k, v in flags.items()}
        exec_form = _exec_form(rest.text) if raw.keyword in _EXEC_FORM else None
        commands: tuple[ShellCommand, ...] = ()
        if raw.keyword == "RUN":
            commands = self.run_commands(raw, rest, exec_form, variables)
        value = raw.source.text
        if raw.keyword in _EXPANDED:
            value = self.expand(value, variables)
        if raw.keyword == "ARG":
            self.declare_args(raw, scope)
        elif raw.keyword == "ENV":
            self.set_env(raw, scope)
        return Instruction(raw.keyword, value, self.span(raw), commands, flags, exec_form)

    @property
    def posix(self) -> bool:
        """False for ``# escape=```: a Windows Dockerfile, where ``C:\\app`` is a path."""
        return self.escape == "\\"

    def expand(self, text: str, variables: Mapping[str, str | None]) -> str:
        return substitute(text, variables, escape=self.escape)[0]

    def run_commands(
        self,
        raw: _Raw,
        rest: Source,
        exec_form: tuple[str, ...] | None,
        variables: Mapping[str, str | None],
    ) -> tuple[ShellCommand, ...]:
        if raw.heredocs:
            return self.heredoc_commands(raw, rest, variables)
        if exec_form is not None:
            return commands_from_argv(
                exec_form, rest.at(0), self.path, variables, backslash_escapes=self.posix
            )
        return split_source(rest, self.path, variables, backslash_escapes=self.posix)

    def heredoc_commands(
        self, raw: _Raw, rest: Source, variables: Mapping[str, str | None]
    ) -> tuple[ShellCommand, ...]:
        """``RUN <<EOF`` runs the body as a script; ``RUN python3 <<EOF`` feeds it as input."""
        command = strip_markers(rest.text, find_markers(rest.text)).strip()
        if not _is_shell_launcher(command):
            return split_source(rest, self.path, variables, backslash_escapes=self.posix)
        out: list[ShellCommand] = []
        for heredoc in raw.heredocs:
            body = _body_source(self.lines, heredoc)
            out.extend(split_source(body, self.path, variables, backslash_escapes=self.posix))
        return tuple(out)

    def declare_args(self, raw: _Raw, scope: _Scope) -> None:
        for name, default in _arg_pairs(raw.source.text):
            if name in self.build_args:
                value: str | None = self.build_args[name]
            elif default is not None:
                value = self.declared("ARG", name, default, scope.variables(), raw)
            else:
                # ``ARG VERSION`` re-declaring a global ARG takes the global value.
                value = self.global_values.get(name)
            scope.args[name] = value

    def set_env(self, raw: _Raw, scope: _Scope) -> None:
        # All values of one ENV are expanded with the variables from before it, as BuildKit does.
        variables = scope.variables()
        for name, value in _env_pairs(raw.source.text):
            scope.env[name] = self.declared("ENV", name, value, variables, raw)

    def declared(
        self, keyword: str, name: str, text: str, variables: Mapping[str, str | None], raw: _Raw
    ) -> str | None:
        """An ARG default or ENV value expanded. Over the cap (a chain that doubles a variable
        on each line) it is reported (DIND002) and unknown from there on: None."""
        value = expand_value(text, variables, escape=self.escape)
        if value is None:
            message = f"{keyword} `{name}` {too_long_message(expansion_limit(text))}"
            self.problems.append(Problem("DIND002", message, Span(self.path, raw.start + 1)))
        return value


# ------------------------------------------------------------------------------------------------
# Small parsers
# ------------------------------------------------------------------------------------------------


def _split_flags(source: Source) -> tuple[dict[str, str], Source]:
    """Leading ``--name=value`` flags (a repeated flag's values are joined with newlines)."""
    flags: dict[str, str] = {}
    text = source.text
    i = 0
    while True:
        while i < len(text) and text[i] in " \t":
            i += 1
        match = _FLAG.match(text, i)
        if match is None:
            break
        name, value = match.group(1), match.group(2)
        value = "" if value is None else _unquote(value)
        flags[name] = f"{flags[name]}\n{value}" if name in flags else value
        i = match.end()
    return flags, source.slice(i, len(text))


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def _exec_form(text: str) -> tuple[str, ...] | None:
    """JSON array form; anything that is not a JSON list of strings is shell form (as docker)."""
    stripped = text.strip()
    if not stripped.startswith("["):
        return None
    try:
        parsed = json.loads(stripped)
    except ValueError:
        return None
    if isinstance(parsed, list) and all(isinstance(item, str) for item in parsed):
        return tuple(parsed)
    return None


def _words(text: str) -> list[str]:
    """Shell-like words of ARG/ENV text; unbalanced quotes fall back to whitespace."""
    try:
        return shlex.split(text, comments=False, posix=True)
    except ValueError:
        return text.split()


def _arg_pairs(text: str) -> list[tuple[str, str | None]]:
    pairs: list[tuple[str, str | None]] = []
    for word in _words(text):
        name, sep, default = word.partition("=")
        if name:
            pairs.append((name, default if sep else None))
    return pairs


def _env_pairs(text: str) -> list[tuple[str, str]]:
    words = _words(text)
    if words and "=" not in words[0]:
        # Legacy ``ENV NAME value with spaces``: the rest of the line is the value.
        name = words[0]
        value = text.strip()[len(name) :].strip() if text.strip().startswith(name) else ""
        return [(name, _unquote(value))]
    pairs: list[tuple[str, str]] = []
    for word in words:
        name, sep, value = word.partition("=")
        if name and sep:
            pairs.append((name, value))
    return pairs


def _is_shell_launcher(command: str) -> bool:
    """True when what remains of ``RUN … <<EOF`` runs the body as a shell script."""
    if not command:
        return True
    words = command.split()
    if words[0].rsplit("/", 1)[-1] not in _SHELLS:
        return False
    # ``bash -e <<EOF`` reads the script from stdin; ``bash -c …`` or ``bash file`` do not.
    return all(w.startswith(("-", "+")) and "c" not in w[1:] for w in words[1:])


def _body_source(lines: Sequence[str], heredoc: Heredoc) -> Source:
    """The heredoc's body, each line ended by a newline at its end."""
    runs = []
    for index, text in heredoc.body:
        first_col = len(lines[index]) - len(text) + 1  # ``<<-`` removed leading tabs
        runs.append((index + 1, first_col, len(text) + 1))
    text = "".join(f"{body}\n" for _, body in heredoc.body)
    return Source(text, array("q", packed_lines(runs)))
