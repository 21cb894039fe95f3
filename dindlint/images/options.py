"""A small getopt_long look-alike for the user/group tools (permuting, like GNU getopt)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from dindlint.model import parse_id


class OptSpec(NamedTuple):
    """Which options take an argument. Long names map to a canonical key (usually the letter)."""

    short_arg: str = ""
    short_flag: str = ""
    long_arg: dict[str, str] = {}  # noqa: RUF012 - a field, never mutated
    long_flag: dict[str, str] = {}  # noqa: RUF012 - a field, never mutated


@dataclass(eq=False, repr=False)
class Parsed:
    """Options (canonical key → values, flags get ``""``) and positional arguments."""

    opts: dict[str, list[str]]
    positional: list[str]

    def has(self, key: str) -> bool:
        return key in self.opts

    def value(self, key: str) -> str | None:
        values = self.opts.get(key)
        return values[-1] if values else None

    @property
    def any_option(self) -> bool:
        return bool(self.opts)


def parse(args: list[str] | tuple[str, ...], spec: OptSpec) -> Parsed:
    """Parse ``args`` (without argv[0]). Unknown options are kept as flags under their own name."""
    out = Parsed({}, [])
    items = list(args)
    i = 0
    while i < len(items):
        arg = items[i]
        i += 1
        if arg == "--":
            out.positional.extend(items[i:])
            break
        if arg.startswith("--") and len(arg) > 2:
            name, eq, val = arg[2:].partition("=")
            if name in spec.long_arg:
                if not eq and i < len(items):
                    val = items[i]
                    i += 1
                out.opts.setdefault(spec.long_arg[name], []).append(val)
            else:
                out.opts.setdefault(spec.long_flag.get(name, "--" + name), []).append("")
            continue
        if arg.startswith("-") and len(arg) > 1:
            j = 1
            while j < len(arg):
                letter = arg[j]
                j += 1
                if letter in spec.short_arg:
                    val = arg[j:]
                    if not val and i < len(items):
                        val = items[i]
                        i += 1
                    out.opts.setdefault(letter, []).append(val)
                    break
                out.opts.setdefault(letter, []).append("")
            continue
        out.positional.append(arg)
    return out


def number(text: str | None) -> int | None:
    """A decimal id, or None when the text is not a plain number (e.g. an unresolved ``${GID}``)."""
    return None if text is None else parse_id(text.strip())
