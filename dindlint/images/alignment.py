"""Recognise a runtime alignment of the docker GID in an entrypoint script: read the socket's
GID, then change groups and drop privileges, or re-export the socket with socat (as
devcontainers/features@765e8eb docker-outside-of-docker does, install.sh:465-527). Text is
matched, never executed."""

from __future__ import annotations

import bisect
import functools
import re

DEVCONTAINER_INIT = "/usr/local/share/docker-init.sh"  # docker-outside-of-docker feature

_COMMENT = re.compile(r"(^|\s)#(?!!).*$", re.MULTILINE)

_STAT_GID = re.compile(r"\bstat\b[^\n;&|]*%g")  # stat -c %g, -c '%g', --format=%g, -Lc "%g"
# `ls -n SOCK | awk '{print $4}'`; `ls -ng SOCK | cut -f3 -d' '`: -g drops the owner column, so
# the group is field 3. Each is three parts, the next one starting later on the same line as the
# end of the one before (a `[^\n]*` between them), matched by ``_on_one_line``.
_LS_NUMERIC = re.compile(r"\bls\s+-[A-Za-z]*n[A-Za-z]*\b")
_LS_GID_READS = (
    (_LS_NUMERIC, re.compile(r"\|\s*awk\b"), re.compile(r"\$4")),
    (_LS_NUMERIC, re.compile(r"\|\s*(cut|awk)\b"), re.compile(r"-f\s*[34]|\$[34]")),
)


@functools.cache
def _after_a_gid_read() -> tuple[
    re.Pattern[str], tuple[re.Pattern[str], ...], tuple[re.Pattern[str], ...]
]:
    """The patterns that matter only once a script reads the socket's GID (rare): compiled on
    first use, not at every start-up."""
    changes_groups = (
        re.compile(r"\bgroupmod\b[^\n;&|]*\s(-[A-Za-z]*g\b|--gid\b)"),
        re.compile(r"\bgroupadd\b[^\n;&|]*\s(-[A-Za-z]*g\b|--gid\b)"),
        re.compile(r"\baddgroup\b[^\n;&|]*\s(-[A-Za-z]*g\b|--gid\b)"),
        re.compile(
            r"\busermod\b[^\n;&|]*\s"
            r"(-[A-Za-z]*a[A-Za-z]*G|-[A-Za-z]*G[A-Za-z]*a\b|-a\b[^\n;&|]*\s-G|--append\b)"
        ),
        re.compile(r"\b(addgroup|adduser)\s+(?!-)[^\s;&|]+\s+(?!-)[^\s;&|]+"),
        re.compile(r"\bgpasswd\s+(-a|--add)\b"),
    )
    socat = re.compile(r"\bsocat\b[^\n]*\bUNIX-LISTEN:", re.IGNORECASE)
    drops = (
        re.compile(r"\bgosu\b"),
        re.compile(r"\bsu-exec\b"),
        re.compile(r"\bs6-setuidgid\b"),
        re.compile(r"\bsetpriv\b"),
        re.compile(r"\brunuser\b"),
        re.compile(r"\bsudo\s+(-[A-Za-z]*\s+)*-[A-Za-z]*u\b"),
        re.compile(r"(^|[\s;&|(])su\s+(-\S*\s+)*(-c\b|[A-Za-z_$\"'{][^\s]*)", re.MULTILINE),
        re.compile(r"\bchroot\s+--userspec\b"),
    )
    return socat, changes_groups, drops


def _strip_comments(text: str) -> str:
    return _COMMENT.sub(lambda m: m.group(1), text)


def detect_alignment(script_text: str) -> bool:
    """True when the script reads the socket GID AND (changes groups and drops privileges, or
    re-exports the socket with ``socat UNIX-LISTEN:``), or is the devcontainers init script."""
    text = _strip_comments(script_text)
    if DEVCONTAINER_INIT in text:
        return True
    if not (_STAT_GID.search(text) or any(_on_one_line(text, *parts) for parts in _LS_GID_READS)):
        return False
    socat, changes_groups, drops = _after_a_gid_read()
    if socat.search(text):
        return True
    return any(p.search(text) for p in changes_groups) and any(p.search(text) for p in drops)


def _on_one_line(text: str, *parts: re.Pattern[str]) -> bool:
    """Whether ``text`` matches ``parts[0][^\\n]*parts[1][^\\n]*parts[2]…``, in linear time.

    Written as one regex, each ``[^\\n]*`` runs to the end of the line and gives characters back
    one at a time to try the next part at every place: with many candidates on one line that is
    cubic (25 s for `ls -n |awk ` 800 times). Here each part's matches are found once (the parts
    used have one match per start and no match inside another, so ``finditer`` sees them all); a
    match of a part is usable when the next part has a usable match starting between its end and
    the end of its line. Working from the last part back, that is one binary search per match.
    """
    line_ends = [match.start() for match in re.finditer("\n", text)]
    usable: list[int] | None = None  # starts of the usable matches of the part after this one
    for part in reversed(parts):
        starts: list[int] = []
        for match in part.finditer(text):
            if usable is None or _starts_on_the_line(usable, match.end(), line_ends, len(text)):
                starts.append(match.start())
        if not starts:
            return False
        usable = starts
    return True


def _starts_on_the_line(
    starts: list[int], position: int, line_ends: list[int], text_end: int
) -> bool:
    """Whether the sorted ``starts`` hold one at ``position`` or later on the same line."""
    index = bisect.bisect_left(starts, position)
    if index == len(starts):
        return False
    line = bisect.bisect_left(line_ends, position)
    line_end = line_ends[line] if line < len(line_ends) else text_end
    return starts[index] <= line_end
