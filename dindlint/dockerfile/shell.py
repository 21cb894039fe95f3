"""Split shell text (RUN, heredoc bodies, ``sh -c`` strings) into simple commands.

Tokenising is done by the standard library's :mod:`shlex` in POSIX mode with
``punctuation_chars``; this module only adds what shlex does not know about:

* the physical position of every token (the text is carried with a parallel list of
  ``(line, column)`` pairs, one per character, and token offsets come from the shlex stream);
* ``$( … )``, backticks, ``${ … }`` and ``<( … )``, which are swapped for opaque placeholders
  before shlex runs (their ``)``/``}``/spaces/``#`` would otherwise be split apart), and whose
  commands are split recursively;
* shell comments (``#`` at the start of a word) and shell heredoc bodies, which are dropped;
* the grammar: ``&&``, ``||``, ``;``, ``|``, ``&``, newlines, redirections, ``if``/``case``/loops
  and groups, so that each command knows whether it runs only under a condition.
"""

from __future__ import annotations

import io
import os
import re
import shlex
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path

from dindlint.dockerfile.substitute import substitute
from dindlint.model import ShellCommand
from dindlint.source import Span

Pos = tuple[int, int]  # (line, column), both 1-based

_WHITESPACE = " \t\r\n"
# A newline ends a command like ``;``, so shlex must return it as punctuation, not skip it.
_PUNCTUATION = "();<>|&\n"
# Operators shlex may glue together (it returns runs of punctuation as one token); longest first.
_OPERATORS = (
    ";;&", "&>>", "<<<",
    "&&", "||", ";;", ";&", "|&", ">>", "<<", "<>", ">|", ">&", "<&", "&>",
    ";", "&", "|", "(", ")", "<", ">",
)  # fmt: skip
_REDIRECTS = frozenset({"<", ">", ">>", "<<", "<<<", "<>", ">|", ">&", "<&", "&>", "&>>"})
_CASE_ENDS = frozenset({";;", ";&", ";;&"})
_SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "ksh", "mksh", "busybox"})
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\+?=")
_PLACEHOLDER = re.compile("\ue000(\\d+)\ue001")
# Runs of characters _Preparer.run copies as they are: outside quotes, and inside "…".
_PLAIN = re.compile(r"""[^\\$`<>'"#\n]+""")
_PLAIN_IN_DOUBLE = re.compile(r'[^\\$`"]+')
# Tokens of unquoted text as shlex splits it (_tokenize_plain): blanks are " \t\r".
_PLAIN_TOKEN = re.compile(r"[();<>|&\n]+|[^ \t\r();<>|&\n]+")
_MAX_DEPTH = 8  # sh -c "sh -c '…'" nesting we follow before giving up


# A position packed into one machine integer (``Source.pos`` is an array of them): a tuple per
# character of a 3 MB continued RUN held 200 MB.
_COLUMN_BITS = 24


def packed(line: int, col: int) -> int:
    """The ``Source.pos`` entry of (line, column)."""
    return (line << _COLUMN_BITS) | col


def packed_lines(
    lines: Iterable[tuple[int, int, int]],
) -> Iterator[int]:
    """The ``Source.pos`` entries of runs of characters: for each (line, first column, length),
    one entry per character, the columns counting up (made in C, not one tuple at a time)."""
    return chain.from_iterable(
        range(packed(line, col), packed(line, col) + length) for line, col, length in lines
    )


@dataclass(eq=False, repr=False)
class Source:
    """Text plus the physical position of each of its characters (``packed``)."""

    text: str
    pos: array[int]

    @classmethod
    def from_text(cls, text: str, first_line: int, first_col: int = 1) -> Source:
        runs = []
        line, col = first_line, first_col
        for piece in text.split("\n"):
            runs.append((line, col, len(piece) + 1))  # (the newline is at the line's end)
            line, col = line + 1, 1
        return cls(text, array("q", islice(packed_lines(runs), len(text))))

    def at(self, index: int) -> Pos:
        if not self.pos:
            return (1, 1)
        code = self.pos[min(max(index, 0), len(self.pos) - 1)]
        return code >> _COLUMN_BITS, code & ((1 << _COLUMN_BITS) - 1)

    def slice(self, start: int, end: int) -> Source:
        return Source(self.text[start:end], self.pos[start:end])


@dataclass(eq=False, repr=False)
class _Sub:
    """A ``$( … )``-like region replaced by a placeholder before tokenising."""

    original: str
    inner: Source | None  # commands inside (``$(…)``, backticks, ``<(…)``); None: not commands


@dataclass(eq=False, repr=False)
class _Token:
    value: str
    start: int  # offset in the prepared text
    op: bool
    raw_first: str  # first raw character: tells quoted words from bare ones


@dataclass(eq=False, repr=False)
class _Ctx:
    kind: str  # if, loop, case, brace, subshell
    cond: bool
    state: str = "body"  # loop: header/await-do/body; case: word/pattern/body


@dataclass(eq=False, repr=False)
class _RawCommand:
    words: list[_Token]
    pos: Pos
    conditional: bool
    handled: str = ""  # how a failure of it is handled (``||``, ``|| true``, ``; true``)


# ------------------------------------------------------------------------------------------------
# Public entry points
# ------------------------------------------------------------------------------------------------


def split_shell(
    text: str,
    first_line: int,
    path: Path,
    *,
    variables: Mapping[str, str | None] | None = None,
    first_col: int = 1,
    conditional: bool = False,
    backslash_escapes: bool = True,
) -> tuple[ShellCommand, ...]:
    """Split shell ``text`` into simple commands, each with the physical line it starts on.

    ``first_line`` is the line of ``text[0]``; every newline in ``text`` advances it (a
    backslash-newline continues a command, as in the shell). ``variables`` are ARG/ENV values
    substituted into argv words where known (None values stay as written). ``conditional`` marks
    every command as conditional (used for text that itself runs under a condition).
    ``backslash_escapes`` False keeps backslashes literal (Windows Dockerfiles, ``# escape=```).
    Never raises on malformed shell: unbalanced quotes fall back to a whitespace split.
    """
    source = Source.from_text(text, first_line, first_col)
    return split_source(
        source, path, variables or {}, conditional=conditional, backslash_escapes=backslash_escapes
    )


def split_source(
    source: Source,
    path: Path,
    variables: Mapping[str, str | None],
    *,
    conditional: bool = False,
    depth: int = 0,
    backslash_escapes: bool = True,
) -> tuple[ShellCommand, ...]:
    """:func:`split_shell` over text whose characters already carry their positions."""
    if depth > _MAX_DEPTH:
        return ()
    escape = "\\" if backslash_escapes else ""
    prepared, subs = _Preparer(source, escape).run()
    tokens = _tokens_with_fallback(prepared, escape)
    raw_commands = _walk(tokens, prepared, conditional)
    out: list[ShellCommand] = []
    for raw in raw_commands:
        out.extend(_finish(raw, prepared, subs, path, variables, depth, escape))
    return tuple(out)


def commands_from_argv(
    argv: Sequence[str],
    pos: Pos,
    path: Path,
    variables: Mapping[str, str | None],
    *,
    backslash_escapes: bool = True,
) -> tuple[ShellCommand, ...]:
    """Commands of an exec-form RUN: the argv as is, or the inner commands of ``sh -c '…'``."""
    if not argv:
        return ()
    index = _shell_script_index(list(argv))
    if index is not None:
        inner = Source.from_text(argv[index], pos[0], pos[1])
        return split_source(inner, path, variables, depth=1, backslash_escapes=backslash_escapes)
    return (ShellCommand(tuple(argv), Span(path, pos[0], pos[1])),)


# ------------------------------------------------------------------------------------------------
# Preparation: continuations, comments, substitutions, shell heredoc bodies
# ------------------------------------------------------------------------------------------------


class _Preparer:
    """One pass over the text that copies what shlex should see, with positions."""

    def __init__(self, source: Source, escape: str) -> None:
        self.src = source
        self.escape = escape
        self.text = source.text
        self.chars: list[str] = []
        self.pos: array[int] = array("q")
        self.subs: dict[int, _Sub] = {}
        self.pending_heredocs: list[tuple[str, bool]] = []

    def emit(self, chunk: str, index: int) -> None:
        where = packed(*self.src.at(index))
        for ch in chunk:
            self.chars.append(ch)
            self.pos.append(where)

    def emit_span(self, start: int, end: int) -> None:
        self.chars.extend(self.text[start:end])
        self.pos.extend(self.src.pos[start:end])

    def placeholder(self, start: int, end: int, inner: Source | None) -> None:
        number = len(self.subs)
        self.subs[number] = _Sub(self.text[start:end], inner)
        self.emit(f"\ue000{number}\ue001", start)

    def at_word_start(self) -> bool:
        return not self.chars or self.chars[-1] in _WHITESPACE + _PUNCTUATION

    def run(self) -> tuple[Source, dict[int, _Sub]]:
        text = self.text
        n = len(text)
        i = 0
        quote = ""
        while i < n:
            # characters with no meaning where they stand are copied a run at a time (one at a
            # time, this loop was a good part of loading a Dockerfile)
            if quote == "'":
                close = text.find("'", i)
                end = n if close < 0 else close + 1
                self.emit_span(i, end)
                if close >= 0:
                    quote = ""
                i = end
                continue
            plain = (_PLAIN_IN_DOUBLE if quote else _PLAIN).match(text, i)
            if plain is not None:
                self.emit_span(i, plain.end())
                i = plain.end()
                continue
            ch = text[i]
            if ch == "\\" and self.escape:
                if i + 1 < n and text[i + 1] == "\n":
                    i += 2  # line continuation: the shell removes both characters
                    continue
                self.emit_span(i, min(i + 2, n))
                i += 2
                continue
            if ch in "$`" or (not quote and ch in "<>" and text[i + 1 : i + 2] == "("):
                end = self.substitution(i)
                if end > i:
                    i = end
                    continue
            if quote == '"':
                self.emit_span(i, i + 1)
                if ch == '"':
                    quote = ""
                i += 1
                continue
            if ch in "'\"":
                quote = ch
            elif ch == "#" and self.at_word_start():
                i = _line_end(text, i)  # a comment: drop up to (not including) the newline
                continue
            elif ch == "<" and text.startswith("<<", i) and not text.startswith("<<<", i):
                if not (i > 0 and text[i - 1] == "<"):
                    self.note_heredoc(i + 2)
            elif ch == "\n" and self.pending_heredocs:
                self.emit_span(i, i + 1)
                i = self.skip_heredoc_bodies(i + 1)
                continue
            self.emit_span(i, i + 1)
            i += 1
        return Source("".join(self.chars), self.pos), self.subs

    def substitution(self, i: int) -> int:
        """Replace the substitution starting at ``i`` by a placeholder; return its end or ``i``."""
        text = self.text
        ch = text[i]
        nxt = text[i + 1 : i + 2]
        if ch == "`":
            end = _closing_backtick(text, i + 1)
            if end < 0:
                return i
            self.placeholder(i, end + 1, self.src.slice(i + 1, end))
            return end + 1
        if ch in "<>" or (ch == "$" and nxt == "("):
            end = _closing_paren(text, i + 1)
            if end < 0:
                return i
            arithmetic = text.startswith("((", i + 1) and text[end - 1 : end] == ")"
            inner = None if arithmetic else self.src.slice(i + 2, end)
            self.placeholder(i, end + 1, inner)
            return end + 1
        if ch == "$" and nxt == "{":
            end = _closing_brace(text, i + 1)
            if end < 0:
                return i
            self.placeholder(i, end + 1, None)
            return end + 1
        return i

    def note_heredoc(self, i: int) -> None:
        """Remember the delimiter of ``<<[-]WORD`` so its body lines can be dropped."""
        text = self.text
        strip_tabs = text.startswith("-", i)
        if strip_tabs:
            i += 1
        while i < len(text) and text[i] in " \t":
            i += 1
        match = re.match(r"""'([^'\n]*)'|"([^"\n]*)"|([^\s;&|<>()]+)""", text[i:])
        if match is None:
            return
        word = next(g for g in match.groups() if g is not None).replace("\\", "")
        if word:
            self.pending_heredocs.append((word, strip_tabs))

    def skip_heredoc_bodies(self, i: int) -> int:
        """Skip the body lines of every pending heredoc, starting at ``i``; return the new index."""
        text = self.text
        for word, strip_tabs in self.pending_heredocs:
            while i < len(text):
                end = _line_end(text, i)
                line = text[i:end].rstrip("\r")
                i = end + 1
                if (line.lstrip("\t") if strip_tabs else line) == word:
                    break
        self.pending_heredocs.clear()
        return min(i, len(text))


def _line_end(text: str, i: int) -> int:
    end = text.find("\n", i)
    return len(text) if end < 0 else end


def _closing_backtick(text: str, i: int) -> int:
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == "`":
            return i
        i += 1
    return -1


def _closing_paren(text: str, open_index: int) -> int:
    """Index of the ``)`` matching ``text[open_index] == "("``, skipping quotes; or -1."""
    return _closing(text, open_index, "(", ")")


def _closing_brace(text: str, open_index: int) -> int:
    return _closing(text, open_index, "{", "}")


def _closing(text: str, i: int, opener: str, closer: str) -> int:
    depth = 0
    quote = ""
    while i < len(text):
        ch = text[i]
        if quote == "'":
            if ch == "'":
                quote = ""
        elif ch == "\\":
            i += 2
            continue
        elif quote == '"':
            if ch == '"':
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == opener:
            depth += 1
        elif ch == closer:
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


# ------------------------------------------------------------------------------------------------
# Tokenising with shlex
# ------------------------------------------------------------------------------------------------


def _tokenize(source: Source, escape: str) -> list[_Token]:
    """shlex tokens with their start offsets. Raises ValueError on unbalanced quotes."""
    text = source.text
    if "'" not in text and '"' not in text and not (escape and escape in text):
        return _tokenize_plain(text)
    return _tokenize_shlex(text, escape)


def _tokenize_shlex(text: str, escape: str) -> list[_Token]:
    stream = io.StringIO(text)  # what shlex makes of a str, kept here for its position
    lexer = shlex.shlex(stream, posix=True, punctuation_chars=_PUNCTUATION)
    lexer.whitespace_split = True
    lexer.escape = escape
    lexer.whitespace = " \t\r"
    lexer.commenters = ""  # comments were removed by _prepare; shlex would cut ``${X#y}``
    tokens: list[_Token] = []
    while True:
        # shlex keeps a character it read ahead in ``_pushback_chars`` (punctuation mode);
        # the stream position minus that is where the next token's leading whitespace starts.
        pushed = len(getattr(lexer, "_pushback_chars", ()))
        start = stream.tell() - pushed
        value = lexer.get_token()
        if value is None:
            return tokens
        while start < len(text) and text[start] in " \t\r":
            start += 1
        raw_first = text[start : start + 1]
        if raw_first and raw_first in _PUNCTUATION and value and set(value) <= set(_PUNCTUATION):
            tokens.extend(_split_operators(value, start))
        else:
            tokens.append(_Token(value, start, False, raw_first))


def _tokenize_plain(text: str) -> list[_Token]:
    """``_tokenize`` of text without quotes or escape characters: then shlex's tokens are exactly
    the runs of punctuation and the runs of other non-blank characters, which a regular
    expression finds several times faster than shlex reads them (most RUN commands)."""
    tokens: list[_Token] = []
    for match in _PLAIN_TOKEN.finditer(text):
        value, start = match.group(), match.start()
        if value[0] in _PUNCTUATION:
            tokens.extend(_split_operators(value, start))
        else:
            tokens.append(_Token(value, start, False, value[0]))
    return tokens


def _split_operators(run: str, start: int) -> list[_Token]:
    """Break a run of punctuation such as ``&&(`` or ``));`` into shell operators."""
    out: list[_Token] = []
    i = 0
    while i < len(run):
        op = next((o for o in _OPERATORS if run.startswith(o, i)), run[i])
        out.append(_Token(op, start + i, True, op[0]))
        i += len(op)
    return out


def _tokens_with_fallback(source: Source, escape: str) -> list[_Token]:
    """Tokenise the whole text; if shlex rejects it, line by line, then by whitespace."""
    try:
        return _tokenize(source, escape)
    except ValueError:
        pass
    tokens: list[_Token] = []
    start = 0
    text = source.text
    while start <= len(text):
        end = _line_end(text, start)
        line = source.slice(start, end)
        try:
            line_tokens = _tokenize(line, escape)
        except ValueError:
            line_tokens = _whitespace_tokens(line.text)
        for tok in line_tokens:
            tok.start += start
        tokens.extend(line_tokens)
        tokens.append(_Token("\n", end, True, "\n"))
        start = end + 1
    return tokens


def _whitespace_tokens(text: str) -> list[_Token]:
    out: list[_Token] = []
    for match in re.finditer(r"\S+", text):
        word = match.group()
        is_op = word in _OPERATORS
        out.append(_Token(word, match.start(), is_op, word[0]))
    return out


# ------------------------------------------------------------------------------------------------
# Grammar: from tokens to simple commands with a "conditional" flag
# ------------------------------------------------------------------------------------------------


@dataclass(eq=False, repr=False)
class _Walker:
    source: Source
    base_cond: bool
    stack: list[_Ctx] = field(default_factory=list)
    words: list[_Token] = field(default_factory=list)
    start: Pos = (1, 1)
    start_cond: bool = False
    after_or: bool = False  # the current pipeline follows ``||``
    continues: bool = False  # last token was ``&&``/``||``/``|``: a newline does not end the list
    skip_target: bool = False  # the next word is a redirection target
    function_pending: bool = False  # ``f()`` / ``function f`` seen: its body runs only if called
    function_name_next: bool = False
    commands: list[_RawCommand] = field(default_factory=list)
    # Failure handling: the commands of the and-or list under way at each nesting level (a
    # group closing adds its commands to the level around it), the list a ``;``/newline just
    # ended, the commands an ``||`` handles with the level of that ``||`` (labelled by the
    # fallback's first command; unmarked when the fallback fails on purpose: ``exit 1``,
    # ``false``), and whether ``set -e`` is on (then ``; true`` handles nothing).
    levels: list[list[int]] = field(default_factory=lambda: [[]])
    ended: list[int] = field(default_factory=list)
    or_handled: list[int] = field(default_factory=list)
    or_depth: int = 0
    or_labelled: bool = False
    errexit: bool = False

    def effective_cond(self) -> bool:
        inherited = self.stack[-1].cond if self.stack else self.base_cond
        return self.after_or or inherited

    def end_command(self) -> None:
        if self.words:
            self.commands.append(_RawCommand(self.words, self.start, self.start_cond))
            self.note_handling(self.words)
            self.levels[-1].append(len(self.commands) - 1)
        self.words = []

    def note_handling(self, words: list[_Token]) -> None:
        """``A || true``, ``A || :``, ``A; true`` (without ``set -e``): the failure of A is
        ignored; ``set -e``/``set -o errexit`` turns the last form off."""
        bare = [w.value for w in words if w.raw_first == w.value[:1]]
        ignores = len(words) == 1 and bool(bare) and bare[0] in ("true", ":")
        if self.or_handled:
            first = words[0].value
            fails = first == "false" or (
                first == "exit" and (len(words) == 1 or words[1].value != "0")
            )
            for index in self.or_handled:
                if fails:
                    self.commands[index].handled = ""
                elif not self.or_labelled:
                    self.commands[index].handled = f"|| {first}"
            self.or_labelled = True
            if fails:
                self.or_handled = []
        if self.ended and not self.levels[-1] and ignores and not self.errexit:
            for index in self.ended:
                self.commands[index].handled = self.commands[index].handled or f"; {bare[0]}"
        self.ended = []
        if bare and bare[0] == "set":
            options = [w.value for w in words[1:]]
            if "errexit" in options or any(
                o.startswith("-") and not o.startswith("--") and "e" in o for o in options
            ):
                self.errexit = True

    def push(self, kind: str, own_cond: bool, state: str = "body") -> None:
        cond = own_cond or self.effective_cond() or self.function_pending
        self.function_pending = False
        self.stack.append(_Ctx(kind, cond, state))
        self.levels.append([])
        self.after_or = False

    def pop(self, *kinds: str) -> None:
        # Pop the innermost matching context; a stray closer (``fi`` with no ``if``) is ignored.
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index].kind in kinds:
                del self.stack[index:]
                inner = [i for level in self.levels[index + 1 :] for i in level]
                del self.levels[index + 1 :]
                self.levels[-1].extend(inner)
                return

    def feed(self, tok: _Token) -> None:
        top = self.stack[-1] if self.stack else None
        if (
            top is not None
            and top.kind in ("loop", "case")
            and top.state != "body"
            and self.header(top, tok)
        ):
            return
        if tok.op:
            if tok.value == "\n" and self.continues and not self.words:
                return  # ``a &&<newline> b``
            self.operator(tok)
            self.continues = tok.value in ("&&", "||", "|", "|&")
        else:
            self.word(tok)
            self.continues = False

    def header(self, top: _Ctx, tok: _Token) -> bool:
        """Swallow ``for x in a b;`` / ``case w in`` / case patterns. True if consumed."""
        bare = not tok.op and tok.raw_first == tok.value[:1]
        if top.kind == "loop":
            if bare and tok.value == "do":
                top.state = "body"
            elif top.state == "header" and tok.op and tok.value in (";", "\n"):
                top.state = "await-do"
            return True
        if top.state == "word":
            if bare and tok.value == "in":
                top.state = "pattern"
            return True
        # case pattern: ``(a|b)`` up to the closing ``)``
        if bare and tok.value == "esac":
            self.pop("case")
        elif tok.op and tok.value == ")":
            top.state = "body"
        return True

    def operator(self, tok: _Token) -> None:
        value = tok.value
        if value in _REDIRECTS:
            self.drop_fd_prefix(tok)
            self.skip_target = True
            return
        self.skip_target = False
        if value == "(":
            if len(self.words) == 1 and not self.function_pending:
                self.function_pending = True  # ``name()``: a function definition
                self.words = []
                return
            self.end_command()
            if not self.function_pending:
                self.push("subshell", False)
            return
        self.end_command()
        if value == ")":
            if self.function_pending:
                return  # the ``)`` of ``name()``
            top = self.stack[-1] if self.stack else None
            if top is not None and top.kind == "case" and top.state == "pattern":
                top.state = "body"
            else:
                self.pop("subshell")
            return
        if value in _CASE_ENDS:
            if self.stack and self.stack[-1].kind == "case":
                self.stack[-1].state = "pattern"
            self.after_or = False
        elif value == "||":
            self.after_or = True
            if self.or_handled and len(self.levels) == self.or_depth:
                self.or_handled = []  # `A || B || C`: B's fallback is C
            fresh = [i for i in self.levels[-1] if not self.commands[i].handled]
            for index in fresh:
                self.commands[index].handled = "||"
            self.or_handled, self.or_depth, self.or_labelled = fresh, len(self.levels), False
        elif value in ("&&", ";", "&", "\n"):
            self.after_or = False
            if self.or_handled and len(self.levels) == self.or_depth:
                self.or_handled = []  # the fallback is over
            if value != "&&" and self.levels[-1]:
                self.ended, self.levels[-1] = self.levels[-1], []
        # ``|`` and ``|&`` keep the pipeline's condition

    def drop_fd_prefix(self, tok: _Token) -> None:
        """``2>file``: the ``2`` shlex returned as a word is the redirected descriptor."""
        if not self.words:
            return
        last = self.words[-1]
        adjacent = last.start + len(last.value) == tok.start
        if adjacent and last.value.isdigit() and last.raw_first.isdigit():
            self.words.pop()

    def word(self, tok: _Token) -> None:
        if self.skip_target:
            self.skip_target = False
            return
        if self.function_name_next:
            self.function_name_next = False
            self.function_pending = True
            return
        if not self.words and tok.raw_first == tok.value[:1] and self.keyword(tok.value):
            return
        if not self.words:
            self.start = self.source.at(tok.start)
            self.start_cond = self.effective_cond()
        self.words.append(tok)

    def keyword(self, value: str) -> bool:
        """Handle a reserved word in command position; True when it was one."""
        if value in ("if", "while", "until"):
            self.push(value if value == "if" else "loop", True)
        elif value in ("for", "select"):
            self.push("loop", True, "header")
        elif value == "case":
            self.push("case", True, "word")
        elif value == "{":
            self.push("brace", False)
        elif value == "}":
            self.pop("brace")
        elif value == "fi":
            self.pop("if")
        elif value == "done":
            self.pop("loop")
        elif value == "esac":
            self.pop("case")
        elif value == "function":
            self.function_name_next = True
        elif value not in ("then", "else", "elif", "do", "!"):
            return False
        return True


def _walk(tokens: list[_Token], source: Source, base_cond: bool) -> list[_RawCommand]:
    walker = _Walker(source, base_cond)
    for tok in tokens:
        walker.feed(tok)
    walker.end_command()
    return walker.commands


# ------------------------------------------------------------------------------------------------
# From raw commands to ShellCommand: placeholders, assignments, substitution, ``sh -c``
# ------------------------------------------------------------------------------------------------


def _finish(
    raw: _RawCommand,
    source: Source,
    subs: dict[int, _Sub],
    path: Path,
    variables: Mapping[str, str | None],
    depth: int,
    escape: str,
) -> list[ShellCommand]:
    out: list[ShellCommand] = []
    argv: list[str] = []
    words_raw: list[str] = []  # restored but not substituted, for ``sh -c`` recursion
    word_pos: list[Pos] = []
    for tok in raw.words:
        # Commands inside ``$(…)``/backticks run first, and only when the word is evaluated.
        for number in _PLACEHOLDER.findall(tok.value):
            inner = subs[int(number)].inner
            if inner is not None:
                out.extend(_recurse(inner, path, variables, True, depth, escape))
        restored = _PLACEHOLDER.sub(lambda m: subs[int(m.group(1))].original, tok.value)
        if not argv and tok.raw_first not in "'\"" and _ASSIGNMENT.match(restored):
            continue  # ``FOO=bar cmd``: an assignment prefix, not the command
        words_raw.append(restored)
        word_pos.append(source.at(tok.start))
        # Single-quoted words are not expanded by the shell.
        argv.append(restored if tok.raw_first == "'" else substitute(restored, variables)[0])
    if not argv:
        return out
    index = _shell_script_index(argv)
    if index is not None and depth < _MAX_DEPTH:
        line, col = word_pos[index]
        inner = Source.from_text(words_raw[index], line, col)
        for command in _recurse(inner, path, variables, raw.conditional, depth, escape):
            out.append(command._replace(handled=command.handled or raw.handled))
        return out
    span = Span(path, raw.pos[0], raw.pos[1])
    out.append(ShellCommand(tuple(argv), span, raw.conditional, raw.handled))
    return out


def _shell_script_index(argv: list[str]) -> int | None:
    """Index in argv of the script of ``sh -c 'script'`` / ``bash -eo pipefail -c "…"``."""
    name = os.path.basename(argv[0])
    offset = 1
    if name == "busybox" and len(argv) > 1 and argv[1] in _SHELLS:
        offset = 2
    elif name not in _SHELLS or name == "busybox":
        return None
    args = argv[offset:]
    has_c = False
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            i += 1
            break
        if not arg.startswith(("-", "+")) or len(arg) < 2:
            break
        letters = arg[1:]
        if arg.startswith("-") and "c" in letters:
            has_c = True
        if "o" in letters:  # ``-o pipefail`` takes an argument
            i += 1
        i += 1
    if has_c and i < len(args):
        return offset + i
    return None


def _recurse(
    inner: Source,
    path: Path,
    variables: Mapping[str, str | None],
    conditional: bool,
    depth: int,
    escape: str,
) -> tuple[ShellCommand, ...]:
    return split_source(
        inner,
        path,
        variables,
        conditional=conditional,
        depth=depth + 1,
        backslash_escapes=bool(escape),
    )
