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
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
_CHILD = """
import json, resource, sys, time
from dindlint.cli import main
start = time.perf_counter()
try:
    main(["check", "--no-config", "--color", "never", "--exit-zero", *sys.argv[1:]])
except SystemExit as exit:
    code = exit.code
print(json.dumps({"code": code, "seconds": time.perf_counter() - start,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}),
      file=sys.stderr)
"""
# MEASURED (2 cores, idle): each compose case under 4 s and 100 MB; each Dockerfile case under 5 s
# and 250 MB
TIME_BOUND_S = 40.0
RSS_BOUND_MB = 600.0


def run_bounded(*paths: Path) -> tuple[str, dict]:
    proc = subprocess.run([sys.executable, "-c", _CHILD, *map(str, paths)], capture_output=True,
                          text=True, timeout=TIME_BOUND_S * 3, cwd=REPO, check=False)
    stats = json.loads(proc.stderr.strip().splitlines()[-1])
    assert stats["code"] == 0, proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    assert stats["seconds"] < TIME_BOUND_S, stats
    assert stats["rss_mb"] < RSS_BOUND_MB, stats
    return proc.stdout, stats


def _laughs_flow() -> str:
    lines = ["x-a: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, 10):
        lines.append(f"x-{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    lines += ["services:", "  s:", "    image: docker:cli", "    command: *a9",
              "    volumes: *a9", "    environment: *a9", "    group_add: *a9"]
    return "\n".join(lines) + "\n"


def _laughs_maps() -> str:
    lines = ["x-a: &a0 {A: '1', B: /var/run/docker.sock}"]
    for i in range(1, 24):
        lines.append(f"x-{i}: &a{i} {{<<: [*a{i - 1}], k{i}: *a{i - 1}, j{i}: *a{i - 1}}}")
    lines += ["services:", "  s: &s", "    image: docker:cli", "    environment: *a23",
              "    labels: *a23", "    build: {context: ., args: *a23}", "    x-deep: *a23"]
    return "\n".join(lines) + "\n"


CASES = {
    "billion-laughs-sequences": _laughs_flow,
    "billion-laughs-mappings": _laughs_maps,
    "deep-flow-nesting": lambda: "services:\n  s:\n    command: " + "[" * 2_000_000
    + "]" * 2_000_000 + "\n",
    "deep-flow-mappings": lambda: "x: " + "{a: " * 500_000 + "1" + "}" * 500_000 + "\n",
    "deep-block-nesting": lambda: "".join("  " * i + f"k{i}:\n" for i in range(1500)),
    "deep-block-sequences": lambda: "x: " + "- " * 1_000_000 + "x\n",
    "thousands-of-services": lambda: "services:\n" + "".join(
        f"  s{i}:\n    image: docker:cli\n    user: '1000'\n    group_add: ['999']\n"
        f"    volumes: [/var/run/docker.sock:/var/run/docker.sock]\n" for i in range(3000)),
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


def test_include_and_extends_chains_and_cycles(tmp_path: Path) -> None:
    n = 60
    for i in range(n):
        nxt = f"include: [c{i + 1}.yml]\n" if i + 1 < n else "include: [c0.yml]\n"  # a cycle
        (tmp_path / f"c{i}.yml").write_text(
            nxt + f"services:\n  s{i}:\n    extends: {{file: c{(i + 1) % n}.yml, "
            f"service: s{(i + 1) % n}}}\n    image: docker:cli\n", encoding="utf-8")
    chain = "".join(f"  e{i}:\n    extends: e{i + 1}\n    user: '{i}'\n" for i in range(300))
    (tmp_path / "compose.yaml").write_text(
        "include: [c0.yml]\nservices:\n" + chain + "  e300:\n    image: docker:cli\n"
        "    volumes: [/var/run/docker.sock:/var/run/docker.sock]\n", encoding="utf-8")
    out, _ = run_bounded(tmp_path / "compose.yaml")
    assert "cycle" in out


DOCKERFILE_CASES = {
    "subst": "FROM alpine\nRUN " + "$(" * 20_000 + ")" * 20_000 + "\n",
    "parens": "FROM alpine\nRUN " + "(" * 20_000 + "true" + ")" * 20_000 + "\n",
    "ifs": "FROM alpine\nRUN " + "if true; then " * 5000 + "true" + "; fi" * 5000 + "\n",
    "continuations": "FROM alpine\nRUN adduser -D u \\\n" + " && addgroup g \\\n" * 50_000
    + " && true\n",
    "many-stages": "".join(f"FROM alpine AS s{i}\nRUN addgroup -g {i} g{i}\n"
                           for i in range(20_000)),
    "heredocs": "FROM alpine\n" + "RUN <<EOF\naddgroup -g 1 x\nEOF\n" * 20_000,
    "bogus-heredocs": "FROM alpine\n" + "RUN <<EOF\nx \\\nEOF\nUSER a\n" * 5000,
    "chained-stages": "FROM alpine AS s0\n" + "".join(
        f"FROM s{i - 1} AS s{i}\nRUN addgroup -g {i} g{i}\n" for i in range(1, 5000)),
    "chained-under-limit": "FROM alpine AS s0\n" + "".join(
        f"FROM s{i - 1} AS s{i}\nRUN " + " && ".join(
            f"addgroup -g {i * 100 + j} g{i}_{j}" for j in range(20)) + "\n"
        for i in range(1, 200)),
    "identity-commands": "FROM alpine\nRUN " + " && ".join(
        f"addgroup -g {j} g{j}" for j in range(20_000)) + "\nUSER g5\n",
}


@pytest.mark.parametrize("name", sorted(DOCKERFILE_CASES))
def test_hostile_dockerfiles_are_bounded(tmp_path: Path, name: str) -> None:
    (tmp_path / "Dockerfile").write_text(DOCKERFILE_CASES[name], encoding="utf-8")
    run_bounded(tmp_path)
