"""Generators of the hostile inputs of issue 18 (bounded work on hostile input).

One generator per row of the issue's table (``ROWS``: inputs that made dindlint take minutes or
gigabytes) and one per crash it lists (``CRASHES``: inputs that ended in exit 2 / "internal
error" / no report). Each generator writes a project into an empty folder and returns a
``Hostile``: the paths to pass to ``dindlint check``, the report formats the row is measured
with, and what a good run must show.

``scale`` multiplies the size of the row as the issue measured it (1: the table's size, 4: four
times). For the doubling rows (each line doubles the previous value) the line count is scaled:
that is what makes the file four times the size, and what an uncapped expansion cannot survive.
A single input file may not exceed ``MAX_FILE_BYTES`` (5 MiB, ``dindlint.source``): above it
dindlint reports DIND001 "file too large" without reading the file, which would measure nothing.
Rows that would cross it at 4x (only ``user-dollars``) keep each file's shape under the cap and
scale by the number of files instead; each such place says so.

Used by tests/robustness/test_budget.py (4x, bounded time and memory) and bench/hostile.py
(before/after timings of the table). Standard library only.
"""

from __future__ import annotations

import math
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

# dindlint.source.MAX_FILE_BYTES (test_budget.py checks they agree). Not imported: bench/hostile.py
# uses these generators to measure other checkouts of dindlint than the one importable here.
MAX_FILE_BYTES = 5 * 1024 * 1024

# What a project's other, ordinary finding looks like: a host socket mount (DIND102).
SOCKET_RULE = "DIND102"
SOCKET_SERVICE = (
    "  client:\n    image: docker:cli\n    volumes: [/var/run/docker.sock:/var/run/docker.sock]\n"
)
ALL_FORMATS = ("text", "sarif", "json", "github", "gitlab", "junit")
# Largest file a row writes when it must split its input: under MAX_FILE_BYTES with room to spare.
FILE_BUDGET_BYTES = MAX_FILE_BYTES * 7 // 8


class Hostile(NamedTuple):
    """A hostile project written to disk, and how ``dindlint check`` is run on it."""

    paths: tuple[Path, ...]
    # the reports the row is measured with (each written to a file of its own)
    formats: tuple[str, ...] = ("text",)
    # also measured with ``--write-baseline`` (a second run)
    write_baseline: bool = False
    # options before the paths; rows without a configuration of their own run with --no-config
    options: tuple[str, ...] = ("--no-config",)
    # the folder the run starts in (where the configuration is looked for)
    cwd: Path | None = None
    # a rule another part of the project triggers: its finding must survive the hostile part
    expected_rule: str | None = None
    # text the text report's excerpt under that finding must show, when the row is about which
    # line a finding points at
    expected_excerpt: str | None = None
    # the hostile file is the configuration or the baseline: refusing it (exit 2 with a one-line
    # "dindlint: FILE: ..." message, no traceback) is a valid outcome as well as a report
    refusal_allowed: bool = False


Generator = Callable[[Path, float], Hostile]


def report_path(reports: Path, report_format: str) -> Path:
    """Where the run's ``report_format`` report is written, in the folder ``reports``."""
    return reports / f"report.{report_format}"


def check_arguments(hostile: Hostile, reports: Path, baseline: Path | None = None) -> list[str]:
    """The arguments of ``dindlint check`` for ``hostile``: every report written to a file of
    ``reports`` (never to a pipe: an unbounded report must not fill the measuring process), or,
    with ``baseline``, ``--write-baseline baseline`` instead of the reports."""
    arguments = [*hostile.options, "--color", "never"]
    if baseline is not None:
        arguments += ["--write-baseline", str(baseline)]
    else:
        for report_format in hostile.formats:
            arguments += ["--format", f"{report_format}:{report_path(reports, report_format)}"]
    return [*arguments, *map(str, hostile.paths)]


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    return path


def _count(base: int, scale: float) -> int:
    return max(1, round(base * scale))


# ------------------------------------------------------------------ rows of the table


def suppression_blanks(folder: Path, scale: float = 1) -> Hostile:
    """3 lines ``# dindlint: disable=`` + 300 blanks + ``!`` (1.3 KB with the service): the
    directive regex in suppress.py was cubic on the blanks."""
    blanks = " " * _count(300, scale)
    comments = "".join(f"# dindlint: disable={blanks}!\n" for _ in range(3))
    _write(
        folder / "compose.yaml",
        comments
        + "services:\n"
        + SOCKET_SERVICE
        + "  app:\n    image: alpine:3.20\n    user: '1000'\n"
        + "    environment: {MODE: production, LEVEL: info}\n",
    )
    return Hostile((folder,), expected_rule=SOCKET_RULE)


def env_doubling(folder: Path, scale: float = 1) -> Hostile:
    """``.env`` of 26 lines ``V{i}=${V{i-1}}${V{i-1}}`` (433 bytes), the last one interpolated by
    the compose file: 2^25 characters uncapped (3.1 GB)."""
    lines = _count(26, scale)
    env = "V0=x\n" + "".join(f"V{i}=${{V{i - 1}}}${{V{i - 1}}}\n" for i in range(1, lines))
    _write(folder / ".env", env)
    _write(
        folder / "compose.yaml",
        "services:\n  app:\n    image: alpine:3.20\n"
        f'    environment: {{LAST: "${{V{lines - 1}}}"}}\n' + SOCKET_SERVICE,
    )
    return Hostile((folder,), expected_rule=SOCKET_RULE)


def _dockerfile_doubling(folder: Path, scale: float, keyword: str) -> Hostile:
    count = _count(28, scale)
    body = f"FROM alpine:3.20\n{keyword} A0=x\n" + "".join(
        f"{keyword} A{i}=${{A{i - 1}}}${{A{i - 1}}}\n" for i in range(1, count)
    )
    _write(folder / "Dockerfile", body + f'RUN echo "$A{count - 1}"\nUSER 1000\n')
    return Hostile((folder,))


def dockerfile_arg_doubling(folder: Path, scale: float = 1) -> Hostile:
    """``ARG A{i}=${A{i-1}}${A{i-1}}`` x 28 (595 bytes): 4.2 GB uncapped."""
    return _dockerfile_doubling(folder, scale, "ARG")


def dockerfile_env_doubling(folder: Path, scale: float = 1) -> Hostile:
    """``ENV A{i}=${A{i-1}}${A{i-1}}`` x 28: 2.1 GB uncapped."""
    return _dockerfile_doubling(folder, scale, "ENV")


def entrypoint_ls_awk(folder: Path, scale: float = 1) -> Hostile:
    """``ENTRYPOINT`` + ``ls -n |awk `` x 800 (8.8 KB): the alignment regexes (two ``[^\\n]*``
    around fixed words) were cubic."""
    _write(
        folder / "Dockerfile",
        "FROM docker:cli\nENTRYPOINT " + "ls -n |awk " * _count(800, scale) + "\n",
    )
    _write(
        folder / "compose.yaml",
        "services:\n  client:\n    build: .\n"
        "    volumes: [/var/run/docker.sock:/var/run/docker.sock]\n",
    )
    return Hostile((folder,), expected_rule=SOCKET_RULE)


def config_aliases(folder: Path, scale: float = 1) -> Hostile:
    """``.dindlint.yaml`` whose ``images`` reuse one ``groups`` list, whose groups reuse one
    ``members`` list (3.5 KB): schema validation walked every alias path."""
    members, groups, images = _count(100, scale), _count(80, scale), _count(20, scale)
    names = ", ".join(f"u{i}" for i in range(members))
    lines = [
        "images:",
        "  - id: img0",
        "    groups: &g",
        f"      - {{name: g0, members: &m [{names}]}}",
    ]
    lines += [f"      - {{name: g{i}, members: *m}}" for i in range(1, groups)]
    lines += [f"  - {{id: img{i}, groups: *g}}" for i in range(1, images)]
    _write(folder / ".dindlint.yaml", "\n".join(lines) + "\n")
    _write(folder / "compose.yaml", "services:\n" + SOCKET_SERVICE)
    return Hostile(
        (folder,), options=(), cwd=folder, expected_rule=SOCKET_RULE, refusal_allowed=True
    )


def _env_project(folder: Path, env: str) -> Hostile:
    _write(folder / ".env", env)
    _write(
        folder / "compose.yaml",
        "services:\n  app:\n    image: alpine:3.20\n"
        '    environment: {A: "${A:-}", LAST: "${LAST:-}"}\n' + SOCKET_SERVICE,
    )
    return Hostile((folder,), expected_rule=SOCKET_RULE)


def env_unterminated_quote(folder: Path, scale: float = 1) -> Hostile:
    """``.env``: ``A="`` then 20,000 newlines: the quoted value was rescanned per line."""
    return _env_project(folder, 'A="' + "\n" * _count(20_000, scale))


def env_many_keys(folder: Path, scale: float = 1) -> Hostile:
    """``.env`` of 80,000 keys: the lookup dict was copied per line."""
    return _env_project(
        folder, "".join(f"K{i}=v\n" for i in range(_count(80_000, scale))) + "LAST=${K0}\n"
    )


def env_blank_run(folder: Path, scale: float = 1) -> Hostile:
    """``.env``: a value with 150,000 blanks before ``x#``: ``re.split(r"\\s+#")`` retried the
    blank run from each blank."""
    return _env_project(folder, "A=x" + " " * _count(150_000, scale) + "x#y\n")


def user_dollars(folder: Path, scale: float = 1) -> Hostile:
    """``user: "$$…"`` of 3.2 MB: interpolation built its output with ``+=`` on an attribute.

    At 4x (12.8 MB) one file would cross MAX_FILE_BYTES, so the bytes are spread over as many
    compose projects as needed, each file at most FILE_BUDGET_BYTES (4.4 MiB): same shape, four
    times the bytes."""
    total = round(3_200_000 * scale)
    files = max(1, math.ceil(total / FILE_BUDGET_BYTES))
    dollars = "$$" * (total // files // 2)
    for index in range(files):
        _write(
            folder / f"p{index}" / "compose.yaml",
            f'services:\n  app:\n    image: alpine:3.20\n    user: "{dollars}"\n' + SOCKET_SERVICE,
        )
    return Hostile((folder,), expected_rule=SOCKET_RULE)


def nested_defaults(folder: Path, scale: float = 1) -> Hostile:
    """``${A:-`` x 200 around 1 MB: the closing brace was searched again at every level."""
    value = "${A:-" * 200 + "x" * round(1_000_000 * scale) + "}" * 200
    _write(
        folder / "compose.yaml",
        "services:\n  app:\n    image: alpine:3.20\n"
        f'    environment: {{DEEP: "{value}"}}\n' + SOCKET_SERVICE,
    )
    return Hostile((folder,), expected_rule=SOCKET_RULE)


def many_socket_services(folder: Path, scale: float = 1) -> Hostile:
    """8,000 services mounting the host socket (718 KB), reported as SARIF, json, gitlab and a
    baseline: each fingerprint rescanned every line above its finding."""
    _write(
        folder / "compose.yaml",
        "services:\n"
        + "".join(
            f"  s{i}:\n    image: docker:cli\n"
            "    volumes: [/var/run/docker.sock:/var/run/docker.sock]\n"
            for i in range(_count(8000, scale))
        ),
    )
    return Hostile(
        (folder,),
        formats=("sarif", "json", "gitlab"),
        write_baseline=True,
        expected_rule=SOCKET_RULE,
    )


def flow_services(folder: Path, scale: float = 1) -> Hostile:
    """One-line flow compose file of 3,000 socket-mounting services (218 KB), text report: the
    caret line was ``" " * (col - 1)`` (327 MB of output)."""
    services = ", ".join(
        f"s{i}: {{image: docker:cli, volumes: [/var/run/docker.sock:/run/d.sock]}}"
        for i in range(_count(3000, scale))
    )
    _write(folder / "compose.yaml", f"{{services: {{{services}}}}}\n")
    return Hostile((folder,), expected_rule=SOCKET_RULE)


def heredocs_then_continued_run(folder: Path, scale: float = 1) -> Hostile:
    """21 ``RUN <<#x`` heredocs, then an 800 KB ``RUN`` continued over lines: dockerfile-parse
    (quadratic on continuations) was re-run after each heredoc."""
    heredocs = "".join(f"RUN <<#x{i}\necho {i}\n#x{i}\n" for i in range(21))
    continued = "  && addgroup -S g \\\n" * round(800_000 * scale / 22)
    _write(
        folder / "Dockerfile",
        "FROM alpine:3.20\n" + heredocs + "RUN true \\\n" + continued + "  && true\nUSER 1000\n",
    )
    return Hostile((folder,))


def included_by_many(folder: Path, scale: float = 1) -> Hostile:
    """One 1 MB compose file ``include``d by 40 projects: each includer modelled it again."""
    services = "".join(
        f"  shared{i}:\n    image: alpine:3.20\n    environment: [A=1, B=2]\n"
        for i in range(round(1_000_000 * scale / 56))
    )
    _write(folder / "shared.yaml", "services:\n" + services + SOCKET_SERVICE)
    for index in range(40):
        _write(
            folder / f"p{index}" / "compose.yaml",
            f"include: [../shared.yaml]\nservices:\n  own{index}:\n    image: alpine:3.20\n",
        )
    return Hostile((folder,), expected_rule=SOCKET_RULE)


ROWS: dict[str, Generator] = {
    "suppression-blanks": suppression_blanks,
    "env-doubling": env_doubling,
    "dockerfile-arg-doubling": dockerfile_arg_doubling,
    "dockerfile-env-doubling": dockerfile_env_doubling,
    "entrypoint-ls-awk": entrypoint_ls_awk,
    "config-aliases": config_aliases,
    "env-unterminated-quote": env_unterminated_quote,
    "env-many-keys": env_many_keys,
    "env-blank-run": env_blank_run,
    "user-dollars": user_dollars,
    "nested-defaults": nested_defaults,
    "many-socket-services": many_socket_services,
    "flow-services": flow_services,
    "heredocs-then-continued-run": heredocs_then_continued_run,
    "included-by-many": included_by_many,
}

# ------------------------------------------------------------------ crashes (exit 2, no report)


def _with_client(folder: Path, service: str) -> Hostile:
    _write(folder / "compose.yaml", "services:\n" + service + SOCKET_SERVICE)
    return Hostile((folder,), formats=ALL_FORMATS, expected_rule=SOCKET_RULE)


def unicode_digit_user(folder: Path, scale: float = 1) -> Hostile:
    """``user: "²"`` on a service that mounts the socket: ``str.isdigit()`` is true, ``int()``
    fails."""
    return _with_client(
        folder,
        '  app:\n    image: docker:cli\n    user: "\u00b2"\n'
        "    volumes: [/var/run/docker.sock:/var/run/docker.sock]\n",
    )


def unicode_digit_gid(folder: Path, scale: float = 1) -> Hostile:
    """An Arabic-Indic digit in ``group_add`` and a superscript in ``user``'s group."""
    return _with_client(
        folder,
        '  app:\n    image: docker:cli\n    user: "1000:\u00b3"\n'
        '    group_add: ["\u0663"]\n'
        "    volumes: [/var/run/docker.sock:/var/run/docker.sock]\n",
    )


def unicode_digit_port(folder: Path, scale: float = 1) -> Hostile:
    """Unicode digits in the port of a client's ``DOCKER_HOST`` (``tcp://dind:²³⁷⁵``)."""
    return _with_client(
        folder,
        "  dind:\n    image: docker:27-dind\n    privileged: true\n"
        "  app:\n    image: docker:cli\n"
        '    environment: ["DOCKER_HOST=tcp://dind:\u00b2\u00b3\u2077\u2075"]\n',
    )


def huge_uid(folder: Path, scale: float = 1) -> Hostile:
    """A uid of more than 4,300 digits (``int()``'s limit on decimal strings) on a service that
    mounts the socket."""
    digits = "1" + "0" * _count(4400, scale)
    return _with_client(
        folder,
        f"  app:\n    image: docker:cli\n    user: '{digits}'\n"
        "    volumes: [/var/run/docker.sock:/var/run/docker.sock]\n",
    )


def lone_surrogate(folder: Path, scale: float = 1) -> Hostile:
    """A lone surrogate from a YAML escape (``"\\ud800"``) in a service name that a finding
    names: no output format could encode it."""
    return _with_client(
        folder,
        '  "dind\\ud800":\n    image: docker:cli\n'
        "    volumes: [/var/run/docker.sock:/var/run/docker.sock]\n",
    )


def non_utf8_folder(folder: Path, scale: float = 1) -> Hostile:
    """A folder whose name is not UTF-8 (byte 0xff) in a git repository: the names sent to git's
    stdin and every report's paths."""
    subprocess.run(["git", "init", "-q", str(folder)], check=True)
    odd = os.path.join(os.fsencode(folder), b"\xff")
    os.mkdir(odd)
    with open(os.path.join(odd, b"compose.yaml"), "w", encoding="utf-8") as handle:
        handle.write("services:\n" + SOCKET_SERVICE)
    _write(folder / "ok" / "compose.yaml", "services:\n" + SOCKET_SERVICE)
    return Hostile((folder,), formats=ALL_FORMATS, expected_rule=SOCKET_RULE)


def _symlink_loop(folder: Path, name: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).symlink_to(f"{name}.next")
    (folder / f"{name}.next").symlink_to(name)


def include_env_file_symlink_loop(folder: Path, scale: float = 1) -> Hostile:
    """An ``include`` whose ``env_file`` is a symlink loop: ``Path.resolve`` raised in the
    SARIF/json/gitlab/junit reports (the unreadable env file is where a problem is reported)."""
    _symlink_loop(folder, "loop.env")
    _write(folder / "included.yaml", "services:\n  app:\n    image: alpine:3.20\n")
    _write(
        folder / "compose.yaml",
        "include: [{path: included.yaml, env_file: loop.env}]\nservices:\n" + SOCKET_SERVICE,
    )
    return Hostile((folder,), formats=ALL_FORMATS, expected_rule=SOCKET_RULE)


def cli_env_file_symlink_loop(folder: Path, scale: float = 1) -> Hostile:
    """``--env-file`` naming a symlink loop: a usage error (exit 2, as for a missing env file),
    never an internal error."""
    _symlink_loop(folder, "loop.env")
    hostile = _with_client(folder, "")
    return hostile._replace(
        options=("--no-config", "--env-file", str(folder / "loop.env")), refusal_allowed=True
    )


def deep_config(folder: Path, scale: float = 1) -> Hostile:
    """A ``.dindlint.yaml`` nested deeply (RecursionError while loading it)."""
    depth = _count(20_000, scale)
    _write(folder / ".dindlint.yaml", "images: " + "[" * depth + "]" * depth + "\n")
    _write(folder / "compose.yaml", "services:\n" + SOCKET_SERVICE)
    return Hostile(
        (folder,),
        formats=ALL_FORMATS,
        options=(),
        cwd=folder,
        expected_rule=SOCKET_RULE,
        refusal_allowed=True,
    )


def deep_baseline(folder: Path, scale: float = 1) -> Hostile:
    """A baseline JSON nested deeply (RecursionError in ``json.loads``)."""
    depth = _count(100_000, scale)
    baseline = _write(folder / "baseline.json", "[" * depth + "]" * depth)
    _write(folder / "compose.yaml", "services:\n" + SOCKET_SERVICE)
    return Hostile(
        (folder,),
        formats=ALL_FORMATS,
        options=("--no-config", "--baseline", str(baseline)),
        expected_rule=SOCKET_RULE,
        refusal_allowed=True,
    )


def malformed_pyproject(folder: Path, scale: float = 1) -> Hostile:
    """A pyproject.toml whose ``[tool.dindlint]`` is inside a multi-line string and whose
    ``tool`` is ``5``: the section is found by text, ``tool`` is not a table."""
    _write(
        folder / "pyproject.toml",
        'description = """\n[tool.dindlint]\nignore = []\n"""\ntool = 5\n',
    )
    _write(folder / "compose.yaml", "services:\n" + SOCKET_SERVICE)
    return Hostile(
        (folder,),
        formats=ALL_FORMATS,
        options=(),
        cwd=folder,
        expected_rule=SOCKET_RULE,
        refusal_allowed=True,
    )


def extends_chain(folder: Path, scale: float = 1) -> Hostile:
    """An ``extends`` chain of 500 services (a RecursionError replaced every finding of the
    project by one DIND001)."""
    count = _count(500, scale)
    chain = "".join(f"  e{i}:\n    extends: e{i + 1}\n" for i in range(count))
    return _with_client(folder, chain + f"  e{count}:\n    image: alpine:3.20\n")


def line_separator(folder: Path, scale: float = 1) -> Hostile:
    """A U+2028 in a compose value before a finding: the excerpt (and the baseline hash) took
    another line than the finding's."""
    _write(
        folder / "compose.yaml",
        "services:\n  app:\n    image: alpine:3.20\n"
        '    labels: {note: "first\u2028second\u2029third\x85fourth"}\n' + SOCKET_SERVICE,
    )
    return Hostile(
        (folder,),
        formats=ALL_FORMATS,
        expected_rule=SOCKET_RULE,
        expected_excerpt="/var/run/docker.sock",
    )


CRASHES: dict[str, Generator] = {
    "unicode-digit-user": unicode_digit_user,
    "unicode-digit-gid": unicode_digit_gid,
    "unicode-digit-port": unicode_digit_port,
    "huge-uid": huge_uid,
    "lone-surrogate": lone_surrogate,
    "non-utf8-folder": non_utf8_folder,
    "include-env-file-symlink-loop": include_env_file_symlink_loop,
    "cli-env-file-symlink-loop": cli_env_file_symlink_loop,
    "deep-config": deep_config,
    "deep-baseline": deep_baseline,
    "malformed-pyproject": malformed_pyproject,
    "extends-chain": extends_chain,
    "line-separator": line_separator,
}
