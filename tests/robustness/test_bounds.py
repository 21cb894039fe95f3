"""Bounded resources (issue 7, part 2): each hostile input is checked by a fresh ``dindlint
check`` process whose wall time and peak memory (ru_maxrss) are asserted.

The bounds are generous (about 10x what a run takes on a 2-core machine, see MEASURED) so a
busy CI machine does not make them flake; what they catch is the exponential or unbounded case
(an alias bomb expanded, a file read whole, a cycle followed forever), which exceeds them by far.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Collection, Sequence
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# argv: JSON of [options, address-space cap in MB or 0], then the arguments of `dindlint check`
_CHILD = """
import json, resource, sys, time
sys.path.insert(0, %r)
cap_mb = json.loads(sys.argv[1])
if cap_mb:  # an unbounded case ends in MemoryError (or a killed write) instead of taking the
    # machine's memory or disk from whatever else runs on it
    resource.setrlimit(resource.RLIMIT_AS, (cap_mb << 20, cap_mb << 20))
    resource.setrlimit(resource.RLIMIT_FSIZE, (cap_mb << 20, cap_mb << 20))
from dindlint.cli import main
start = time.perf_counter()
try:
    main(["check", *sys.argv[2:]])
except SystemExit as exit:
    code = exit.code
rss = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF,
                                                         resource.RUSAGE_CHILDREN))
print(json.dumps({"code": code, "seconds": time.perf_counter() - start, "rss_mb": rss / 1024}),
      file=sys.stderr)
""" % str(REPO)  # noqa: UP031 - a template of Python code, full of braces
# MEASURED (2 cores, idle): each compose case under 4 s and 100 MB; each Dockerfile case under 5 s
# and 250 MB
TIME_BOUND_S = 40.0
RSS_BOUND_MB = 600.0
DEFAULT_OPTIONS = ("--no-config", "--color", "never", "--exit-zero")


def run_bounded(
    *paths: Path | str,
    options: Sequence[str] = DEFAULT_OPTIONS,
    time_bound_s: float = TIME_BOUND_S,
    rss_bound_mb: float = RSS_BOUND_MB,
    codes: Collection[int] = (0,),
    cwd: Path = REPO,
    memory_cap_mb: int = 0,
) -> tuple[str, dict]:
    """Run ``dindlint check *options *paths`` in a fresh process started in ``cwd``; assert that
    it exits with one of ``codes`` without an internal error, within ``time_bound_s`` seconds
    and ``rss_bound_mb`` MB of peak resident memory (its own or a worker's). ``memory_cap_mb``
    (0: none) caps its address space and the size of the files it writes.

    Returns its standard output and its stats (``code``, ``seconds``, ``rss_mb``, ``stderr``)."""
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, json.dumps(memory_cap_mb), *options, *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=time_bound_s * 3,
        cwd=cwd,
        check=False,
        errors="replace",
    )
    lines = proc.stderr.strip().splitlines()
    assert lines and lines[-1].startswith('{"code"'), (proc.returncode, proc.stderr[-3000:])
    stats = json.loads(lines[-1])
    stats["stderr"] = proc.stderr
    assert stats["code"] in codes, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr[
        -3000:
    ]
    assert stats["seconds"] < time_bound_s, {k: v for k, v in stats.items() if k != "stderr"}
    assert stats["rss_mb"] < rss_bound_mb, {k: v for k, v in stats.items() if k != "stderr"}
    return proc.stdout, stats


def _laughs_flow() -> str:
    lines = ["x-a: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, 10):
        lines.append(f"x-{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    lines += [
        "services:",
        "  s:",
        "    image: docker:cli",
        "    command: *a9",
        "    volumes: *a9",
        "    environment: *a9",
        "    group_add: *a9",
    ]
    return "\n".join(lines) + "\n"


def _laughs_maps() -> str:
    lines = ["x-a: &a0 {A: '1', B: /var/run/docker.sock}"]
    for i in range(1, 24):
        lines.append(f"x-{i}: &a{i} {{<<: [*a{i - 1}], k{i}: *a{i - 1}, j{i}: *a{i - 1}}}")
    lines += [
        "services:",
        "  s: &s",
        "    image: docker:cli",
        "    environment: *a23",
        "    labels: *a23",
        "    build: {context: ., args: *a23}",
        "    x-deep: *a23",
    ]
    return "\n".join(lines) + "\n"


CASES = {
    "billion-laughs-sequences": _laughs_flow,
    "billion-laughs-mappings": _laughs_maps,
    "deep-flow-nesting": lambda: (
        "services:\n  s:\n    command: " + "[" * 2_000_000 + "]" * 2_000_000 + "\n"
    ),
    "deep-flow-mappings": lambda: "x: " + "{a: " * 500_000 + "1" + "}" * 500_000 + "\n",
    "deep-block-nesting": lambda: "".join("  " * i + f"k{i}:\n" for i in range(1500)),
    "deep-block-sequences": lambda: "x: " + "- " * 1_000_000 + "x\n",
    "thousands-of-services": lambda: (
        "services:\n"
        + "".join(
            f"  s{i}:\n    image: docker:cli\n    user: '1000'\n    group_add: ['999']\n"
            f"    volumes: [/var/run/docker.sock:/var/run/docker.sock]\n"
            for i in range(3000)
        )
    ),
    "long-line": lambda: "services:\n  s:\n    image: '" + "a" * 4_000_000 + "'\n",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_compose_is_bounded(tmp_path: Path, name: str) -> None:
    (tmp_path / "compose.yaml").write_text(CASES[name](), encoding="utf-8")
    run_bounded(tmp_path)


def test_file_over_the_limit_is_not_read(tmp_path: Path) -> None:
    for name in ("compose.yaml", "Dockerfile", ".env"):
        with (tmp_path / name).open("wb") as handle:
            handle.seek(200 * 1024 * 1024)  # 200 MiB, sparse
            handle.write(b"\n")
    out, stats = run_bounded(tmp_path)
    assert out.count("file too large") >= 2 and stats["rss_mb"] < 200


def test_text_libyaml_cannot_read_is_not_given_whole_to_the_pure_parser(tmp_path: Path) -> None:
    # one U+2028 in a comment sends a text to ruamel's pure-Python parser, ten times slower than
    # libyaml: a 4.5 MB compose file took 41 s and 517 MB; refused, it takes well under a second
    services = "".join(f"  s{i}:\n    image: alpine:3.20\n" for i in range(150_000))
    (tmp_path / "compose.yaml").write_text("# \u2028\nservices:\n" + services, encoding="utf-8")
    out, _ = run_bounded(tmp_path, time_bound_s=10.0, rss_bound_mb=300.0)
    assert "libyaml cannot read it (U+2028 at line 1 is a line break to libyaml" in out


def test_include_and_extends_chains_and_cycles(tmp_path: Path) -> None:
    n = 60
    for i in range(n):
        nxt = f"include: [c{i + 1}.yml]\n" if i + 1 < n else "include: [c0.yml]\n"  # a cycle
        (tmp_path / f"c{i}.yml").write_text(
            nxt + f"services:\n  s{i}:\n    extends: {{file: c{(i + 1) % n}.yml, "
            f"service: s{(i + 1) % n}}}\n    image: docker:cli\n",
            encoding="utf-8",
        )
    chain = "".join(f"  e{i}:\n    extends: e{i + 1}\n    user: '{i}'\n" for i in range(300))
    (tmp_path / "compose.yaml").write_text(
        "include: [c0.yml]\nservices:\n" + chain + "  e300:\n    image: docker:cli\n"
        "    volumes: [/var/run/docker.sock:/var/run/docker.sock]\n",
        encoding="utf-8",
    )
    out, _ = run_bounded(tmp_path / "compose.yaml")
    assert "cycle" in out


DOCKERFILE_CASES = {
    "subst": "FROM alpine\nRUN " + "$(" * 20_000 + ")" * 20_000 + "\n",
    "parens": "FROM alpine\nRUN " + "(" * 20_000 + "true" + ")" * 20_000 + "\n",
    "ifs": "FROM alpine\nRUN " + "if true; then " * 5000 + "true" + "; fi" * 5000 + "\n",
    "continuations": "FROM alpine\nRUN adduser -D u \\\n"
    + " && addgroup g \\\n" * 50_000
    + " && true\n",
    "many-stages": "".join(
        f"FROM alpine AS s{i}\nRUN addgroup -g {i} g{i}\n" for i in range(20_000)
    ),
    "heredocs": "FROM alpine\n" + "RUN <<EOF\naddgroup -g 1 x\nEOF\n" * 20_000,
    "bogus-heredocs": "FROM alpine\n" + "RUN <<EOF\nx \\\nEOF\nUSER a\n" * 5000,
    "chained-stages": "FROM alpine AS s0\n"
    + "".join(f"FROM s{i - 1} AS s{i}\nRUN addgroup -g {i} g{i}\n" for i in range(1, 5000)),
    "chained-under-limit": "FROM alpine AS s0\n"
    + "".join(
        f"FROM s{i - 1} AS s{i}\nRUN "
        + " && ".join(f"addgroup -g {i * 100 + j} g{i}_{j}" for j in range(20))
        + "\n"
        for i in range(1, 200)
    ),
    "identity-commands": "FROM alpine\nRUN "
    + " && ".join(f"addgroup -g {j} g{j}" for j in range(20_000))
    + "\nUSER g5\n",
}


@pytest.mark.parametrize("name", sorted(DOCKERFILE_CASES))
def test_hostile_dockerfiles_are_bounded(tmp_path: Path, name: str) -> None:
    (tmp_path / "Dockerfile").write_text(DOCKERFILE_CASES[name], encoding="utf-8")
    run_bounded(tmp_path)
