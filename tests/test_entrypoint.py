"""What the entrypoint does at run time: the user switch as the graph draws it, the shell reading
behind it, and a script too large to read."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from dindlint.cli import main
from dindlint.images.entrypoint import commands_of_text, find_switch
from tests.expectations import findings, lint

FIXTURE = Path(__file__).parent / "fixtures" / "entrypoint-switch"

COMPOSE = """services:
  dind:
    image: docker:27-dind
    privileged: true
    volumes:
      - dind-run:/var/run
  worker:
    build: ./app
    volumes:
      - dind-run:/var/run
volumes:
  dind-run:
"""
DOCKERFILE = """FROM python:3.12-slim
RUN groupadd -g 1000 dev && useradd -m -u 1000 -g dev dev
COPY entrypoint.sh /usr/local/bin/entrypoint.sh
ENTRYPOINT ["entrypoint.sh"]
"""


def _switch(text: str) -> tuple[str | None, bool] | None:
    switch = find_switch(commands_of_text(text, Path("entrypoint.sh"), 1, "entrypoint"))
    return None if switch is None else (switch.spec, switch.decides)


def test_graph_draws_the_switch_and_judges_the_user_switched_to() -> None:
    result = CliRunner().invoke(main, ["graph", "--no-config", str(FIXTURE)])
    lines = result.output.splitlines()
    drawn = [i for i, line in enumerate(lines) if "root → gosu dev: uid=1000(dev)" in line]
    assert drawn, result.output
    verdicts = {lines[i + 1].split("── ", 1)[1] for i in drawn}
    assert verdicts == {
        "✘ cannot connect (DIND307)",
        "✔ can connect",
        "✔ can connect (runtime GID alignment)",
    }
    assert any("root → sudo -u dev (identity unknown: sudo's groups" in line for line in lines)


def test_a_switch_in_a_branch_a_root_process_takes_decides() -> None:
    root_test = 'if [ "$(id -u)" = "0" ]; then\n  exec gosu dev "$@"\nfi\nexec "$@"\n'
    assert _switch(root_test) == ("dev", True)
    assert _switch(root_test.replace('= "0"', '!= "0"')) == ("dev", False)
    assert _switch('if [ "$1" = app ]; then\n  set -- su-exec app "$@"\nfi\n') == ("app", False)
    assert _switch('[ -n "$U" ] && exec gosu dev "$@"\n') == ("dev", False)
    assert _switch('mkdir -p /data && exec gosu dev "$@"\n') == ("dev", True)
    assert _switch('f() {\n  exec gosu dev "$@"\n}\nf "$@"\n') == ("dev", False)


def test_a_switch_the_text_only_mentions_is_no_switch() -> None:
    assert _switch('echo "exec gosu dev"\n# exec gosu dev "$@"\nexec "$@"\n') is None
    assert _switch("gosu --version\ngosu nobody\n") is None
    assert _switch('exec gosu "$APP_USER" "$@"\n') == (None, False)


def _project(root: Path, script: str) -> None:
    (root / "app").mkdir()
    (root / "compose.yaml").write_text(COMPOSE)
    (root / "app" / "Dockerfile").write_text(DOCKERFILE)
    (root / "app" / "entrypoint.sh").write_text(script)


def test_a_script_over_the_size_limit_is_not_read_and_says_so(tmp_path: Path) -> None:
    switching = '#!/bin/sh\nexec gosu dev "$@"\n'
    small, large = tmp_path / "small", tmp_path / "large"
    small.mkdir()
    large.mkdir()
    _project(small, switching)
    _project(large, switching + "# padding\n" * 110_000)  # over 1 MB
    assert {(path, rule) for path, _, rule in findings(small)} == {("app/entrypoint.sh", "DIND307")}
    assert set(findings(large)) == {("app/Dockerfile", 4, "DIND003")}


def test_socket_changes_and_exports_are_graded_by_who_reaches_the_socket() -> None:
    case = Path(__file__).parent / "fixtures" / "entrypoint-socket-changes"
    graded = {
        (d.message.split(" ", 1)[0], d.rule_id): d.severity
        for d in lint(case)
        if d.rule_id in ("DIND107", "DIND110")
    }
    assert graded == {
        ("host-chmod", "DIND107"): "error",  # the host's own socket
        ("host-chown", "DIND107"): "error",
        ("shared-chmod", "DIND107"): "warning",  # a daemon service's socket
        ("glob-sudo", "DIND107"): "warning",
        ("socat-published", "DIND110"): "error",  # published on all interfaces
        ("socat-host-network", "DIND110"): "error",
        ("socat-internal", "DIND110"): "warning",
        ("socat-loopback-host-network", "DIND110"): "warning",
    }


def test_a_root_process_changes_the_socket_so_the_user_switched_to_is_not_judged() -> None:
    """`chown jenkins:jenkins` before `exec gosu jenkins`: jenkins then owns the socket, so no
    access rule speaks (DIND107 reports the change itself)."""
    case = Path(__file__).parent / "fixtures" / "entrypoint-socket-changes"
    result = CliRunner().invoke(main, ["graph", "--no-config", str(case)])
    lines = result.output.splitlines()
    switched = [i for i, line in enumerate(lines) if "root → gosu jenkins: uid=1000" in line]
    assert len(switched) == 1, result.output
    assert lines[switched[0] + 1].endswith(
        "? unknown (the socket is changed by `chown` at start, DIND107)"
    )
    assert any(
        line.endswith("✔ can connect (the socket is made world-writable at start, DIND107)")
        for line in lines
    )
