"""Recognise a runtime alignment of the docker GID in an entrypoint script (domain-facts §7,
"Implications" item 12): read the socket's GID, then change groups and drop privileges, or
re-export the socket with socat. Text is matched, never executed."""

from __future__ import annotations

import functools
import re

DEVCONTAINER_INIT = "/usr/local/share/docker-init.sh"  # docker-outside-of-docker feature (§7)

_COMMENT = re.compile(r"(^|\s)#(?!!).*$", re.MULTILINE)

_READS_GID = (
    re.compile(r"\bstat\b[^\n;&|]*%g"),  # stat -c %g, -c '%g', --format=%g, -Lc "%g"
    re.compile(r"\bls\s+-[A-Za-z]*n[A-Za-z]*\b[^\n]*\|\s*awk\b[^\n]*\$4"),
    # `ls -ng SOCK | cut -f3 -d' '`: -g drops the owner column, so the group is field 3
    re.compile(r"\bls\s+-[A-Za-z]*n[A-Za-z]*\b[^\n]*\|\s*(cut|awk)\b[^\n]*(-f\s*[34]|\$[34])"),
)


@functools.cache
def _after_a_gid_read() -> tuple[re.Pattern[str], tuple[re.Pattern[str], ...],
                                 tuple[re.Pattern[str], ...]]:
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
    if not any(p.search(text) for p in _READS_GID):
        return False
    socat, changes_groups, drops = _after_a_gid_read()
    if socat.search(text):
        return True
    return any(p.search(text) for p in changes_groups) and any(p.search(text) for p in drops)
