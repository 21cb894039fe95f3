"""``dindlint graph``: the socket topology drawn as a text tree, Mermaid and Graphviz DOT."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from dindlint.cli import main
from tests.conftest import REPO

SEED = Path(__file__).resolve().parents[2] / "shared/examples/seed-incident"
FIXTURES = REPO / "tests/fixtures"
MEMBERSHIP = FIXTURES / "membership"
TRANSPORT = FIXTURES / "daemon-transport"

MANAGER_ID = "uid=1001(mcpmanager) gid=1001(mcpmanager) groups=1001(mcpmanager),2375(docker)"
RO_NOTE = "(:ro does not restrict the API)"


def graph(*args: str) -> Result:
    return CliRunner().invoke(main, ["graph", *args])


def drawn(*args: str) -> str:
    result = graph(*args)
    assert result.exit_code == 0, result.output
    return result.output


def subtree(text: str, label: str) -> list[str]:
    """The lines of the first node labelled exactly ``label`` and of everything under it."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        match = re.match(r"^((?:[│ ] {3})*)[├└]── (.*)$", line)
        if match and match.group(2) == label:
            depth = len(match.group(1))
            block = [line]
            for below in lines[index + 1 :]:
                inner = re.match(r"^((?:[│ ] {3})*)[├└]── ", below)
                if inner is None or len(inner.group(1)) <= depth:
                    break
                block.append(below)
            return block
    raise AssertionError(f"no node {label!r} in:\n{text}")


def children(block: list[str]) -> list[str]:
    """Labels of the direct children of the node whose subtree is ``block``."""
    head = re.match(r"^((?:[│ ] {3})*)", block[0])
    assert head is not None
    depth = len(head.group(1)) + 4
    child = re.compile(rf"^[│ ]{{{depth}}}[├└]── ")
    return [line[depth + 4 :] for line in block[1:] if child.match(line)]


# --------------------------------------------------------------------------------------------
# The incident (acceptance)
# --------------------------------------------------------------------------------------------


@pytest.fixture
def seed() -> Path:
    if not SEED.is_dir():
        pytest.skip("shared/examples/seed-incident is not present")
    return SEED


def test_incident_before_shows_the_ro_volume_and_access(seed: Path) -> None:
    text = drawn(str(seed / "before"))
    assert text.splitlines()[0].endswith("before/docker/dind/docker-compose.dind.yml")
    daemon = subtree(text, "mcp-orchestrator (docker:25.0.5-dind)")
    socket = subtree("\n".join(daemon), "socket /var/run/docker.sock root:2375 0660")
    assert "carried by volume mcp-docker-socket at /var/run" in children(socket)
    assert "tcp 2375 plain" in children(daemon)
    manager = subtree(text, "mcp-manager")
    assert "mcp-manager" in children(socket)  # drawn under the socket, under the daemon
    assert children(manager) == [
        "socket at /var/run/docker.sock",
        f"via volume mcp-docker-socket :ro {RO_NOTE}",
        MANAGER_ID,
        "✔ can connect",
    ]
    assert "Host Docker daemon" not in text  # nobody binds the host socket


def test_incident_after_is_the_same_without_ro(seed: Path) -> None:
    text = drawn(str(seed / "after"))
    socket = subtree(text, "socket /var/run/docker.sock root:2375 0660")
    assert "carried by volume mcp-docker-socket at /var/run" in children(socket)
    assert children(subtree(text, "mcp-manager")) == [
        "socket at /var/run/docker.sock",
        "via volume mcp-docker-socket",
        MANAGER_ID,
        "✔ can connect",
    ]
    assert ":ro" not in text


def test_incident_text_tree_exactly(seed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(seed)
    assert drawn("before") == (
        "before/docker/dind/docker-compose.dind.yml\n"
        "└── mcp-orchestrator (docker:25.0.5-dind)\n"
        "    ├── socket /var/run/docker.sock root:2375 0660\n"
        "    │   ├── from group `docker` of image docker:25.0.5-dind\n"
        "    │   ├── carried by volume mcp-docker-socket at /var/run\n"
        "    │   └── mcp-manager\n"
        "    │       ├── socket at /var/run/docker.sock\n"
        f"    │       ├── via volume mcp-docker-socket :ro {RO_NOTE}\n"
        f"    │       ├── {MANAGER_ID}\n"
        "    │       └── ✔ can connect\n"
        "    └── tcp 2375 plain\n"
    )


# --------------------------------------------------------------------------------------------
# Text: denials, unknowns, the host daemon, TCP edges
# --------------------------------------------------------------------------------------------


def test_client_that_cannot_connect_shows_the_rule() -> None:
    text = drawn(str(MEMBERSHIP))
    not_member = children(subtree(text, "not-a-member"))
    assert not_member[-1] == "✘ cannot connect (DIND301)"
    assert "uid=1001(app) gid=1001(app) groups=1001(app)" in not_member
    assert children(subtree(text, "explicit-group"))[-1] == "✘ cannot connect (DIND302)"
    assert children(subtree(text, "numeric-no-entry"))[-2:] == [
        "uid=1500 gid=0(root) groups=0(root)",
        "✘ cannot connect (DIND303)",
    ]


def test_unknown_identity_and_access() -> None:
    unknown = children(subtree(drawn(str(MEMBERSHIP)), "unknown-image"))
    assert unknown[-2:] == [
        "identity unknown (image ghcr.io/example/ci-runner:1.0 not modelled)",
        "? unknown",
    ]


def test_group_add_gids_are_appended() -> None:
    added = children(subtree(drawn(str(MEMBERSHIP)), "group-add-right"))
    assert "uid=1001(app) gid=1001(app) groups=1001(app),2375" in added


def test_host_daemon_node_when_a_client_binds_the_host_socket() -> None:
    text = drawn(str(MEMBERSHIP))
    host = subtree(
        text,
        "Host Docker daemon — socket /var/run/docker.sock, owner root:? 0660 "
        "(GID unknown: the host's docker group)",
    )
    assert children(host) == ["host-client", "host-client-docker-group"]
    assert children(subtree(text, "host-client")) == [
        "socket at /var/run/docker.sock",
        "via bind /var/run/docker.sock",
        "uid=1001(app) gid=1001(app) groups=1001(app)",
        "✘ cannot connect (DIND301)",
    ]
    assert children(subtree(text, "host-client-docker-group"))[-1] == "✔ can connect"
    # the host daemon comes first, then the daemon services
    assert [line for line in text.splitlines() if line.startswith(("├── ", "└── "))] == [
        "├── " + host[0][4:],
        "└── dind (docker:27-dind)",
    ]


def test_tcp_edges_hang_under_the_daemon_they_name() -> None:
    text = drawn(str(TRANSPORT))
    tls = children(subtree(text, "tls-dind (docker:27-dind)"))
    assert "tcp 2376 TLS" in tls
    assert "client-alias → tcp://docker:2376 (TLS)" in tls  # network alias
    assert "client-plain-to-tls → tcp://tls-dind:2375 (no listener on 2375)" in tls
    assert "client-plain → tcp://plain-dind:2375 (plain)" in children(
        subtree(text, "plain-dind (docker:27-dind)")
    )
    outside = subtree(text, "build-host.example (not a service of this project)")
    assert children(outside) == ["client-outside → tcp://build-host.example:2375"]


def test_volumes_from_and_group_add_names(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n"
        "  dind:\n    image: docker:27-dind\n    privileged: true\n"
        "    volumes: [run:/var/run]\n"
        "  cli:\n    image: docker:27-cli\n    user: '1000'\n"
        "    group_add: ['2375', nosuch]\n    volumes: [run:/var/run]\n"
        "  heir:\n    image: docker:27-cli\n    volumes_from: ['cli:ro']\n"
        "  proxy:\n    image: tecnativa/docker-socket-proxy\n"
        "  viaproxy:\n    image: docker:27-cli\n"
        "    environment: {DOCKER_HOST: 'tcp://proxy:2375'}\n"
        "volumes:\n  run:\n"
    )
    text = drawn(str(tmp_path))
    assert "uid=1000 gid=0(root) groups=0(root),2375(docker),?(nosuch)" in children(
        subtree(text, "cli")
    )
    assert f"via volumes_from cli :ro {RO_NOTE}" in children(subtree(text, "heir"))
    assert children(subtree(text, "proxy (service proxy, runs no dockerd)")) == [
        "viaproxy → tcp://proxy:2375"
    ]


def test_header_is_relative_to_the_working_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES)
    assert drawn("membership").splitlines()[0] == "membership/compose.yaml"


def test_projects_in_path_order() -> None:
    text = drawn(str(TRANSPORT), str(MEMBERSHIP))
    headers = [b.splitlines()[0] for b in text.split("\n\n")]
    assert [h.rsplit("/", 2)[-2] for h in headers] == ["daemon-transport", "membership"]


def test_no_compose_file(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\n")
    assert drawn(str(tmp_path)) == "No compose files found.\n"


# --------------------------------------------------------------------------------------------
# Mermaid and DOT
# --------------------------------------------------------------------------------------------

CLIENTS = ["not-a-member", "member", "host-client", "unknown-image", "heir"]


def _clients_of(path: Path) -> list[str]:
    from dindlint.discover import discover
    from dindlint.project import Loader, build_projects
    from dindlint.topology import build_topology

    projects = build_projects(discover([path]), Loader())
    return sorted(name for p in projects for name in build_topology(p).clients)


@pytest.mark.parametrize("fixture", [MEMBERSHIP, TRANSPORT])
def test_mermaid_structure(fixture: Path) -> None:
    text = drawn("--format", "mermaid", str(fixture))
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    assert text.count('"') % 2 == 0
    for line in lines:
        assert line.count('"') % 2 == 0, line
    for client in _clients_of(fixture):
        assert f'["{client}"]' in text
    nodes = set(re.findall(r"^\s+(p\d+_[a-z]\d+)\[", text, re.MULTILINE))
    edge = re.compile(r'^\s+(\S+) -->(?:\|"[^"]*"\|)? (\S+)$', re.MULTILINE)
    for source, target in edge.findall(text):
        assert source in nodes and target in nodes
    assert len([line for line in lines if "-->" in line]) == len(edge.findall(text))
    assert lines.count("  end") == text.count("subgraph ")


def test_mermaid_client_edges_carry_identity_and_access() -> None:
    text = drawn("--format", "mermaid", str(MEMBERSHIP))
    assert "uid=1001(app) gid=1001(app) groups=1001(app)<br/>✘ cannot connect (DIND301)" in text
    assert "✔ can connect" in text


@pytest.mark.parametrize("fixture", [MEMBERSHIP, TRANSPORT])
def test_dot_structure(fixture: Path) -> None:
    text = drawn("--format", "dot", str(fixture))
    assert text.startswith("digraph ")
    assert text.rstrip().endswith("}")
    assert text.count("{") == text.count("}")
    assert len(re.findall(r'(?<!\\)"', text)) % 2 == 0
    for client in _clients_of(fixture):
        assert f'[label="{client}"]' in text
    assert "->" in text


def test_quotes_and_backslashes_are_escaped(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n  remote:\n    image: docker:27-cli\n"
        "    environment:\n      DOCKER_HOST: 'ssh://a\"b\\c'\n"
    )
    mermaid = drawn("--format", "mermaid", str(tmp_path))
    assert "ssh://a#quot;b\\c" in mermaid and mermaid.count('"') % 2 == 0
    dot = drawn("--format", "dot", str(tmp_path))
    assert 'ssh://a\\"b\\\\c' in dot
    assert len(re.findall(r'(?<!\\)"', dot.replace("\\\\", ""))) % 2 == 0


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
@pytest.mark.parametrize("fixture", [MEMBERSHIP, TRANSPORT])
def test_graphviz_accepts_the_dot(fixture: Path) -> None:
    text = drawn("--format", "dot", str(fixture))
    result = subprocess.run(
        ["dot", "-Tsvg"], input=text, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "mermaid", "dot"])
def test_output_is_deterministic(fmt: str) -> None:
    paths = [str(MEMBERSHIP), str(TRANSPORT)]
    assert drawn("--format", fmt, *paths) == drawn("--format", fmt, *paths)


def test_output_file(tmp_path: Path) -> None:
    target = tmp_path / "graph.mmd"
    result = graph("--format", "mermaid", "-o", str(target), str(MEMBERSHIP))
    assert result.exit_code == 0 and result.output == ""
    assert target.read_text(encoding="utf-8") == drawn("--format", "mermaid", str(MEMBERSHIP))


def test_default_path_is_the_working_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(MEMBERSHIP)
    assert drawn() == drawn(".")
    assert drawn().startswith("compose.yaml\n")


def test_usage_errors(tmp_path: Path) -> None:
    missing = graph(str(tmp_path / "nope"))
    assert missing.exit_code == 2 and "no such file or directory" in missing.output
    assert graph("--format", "svg", str(MEMBERSHIP)).exit_code == 2
    assert graph("--no-such-option").exit_code == 2


def test_unwritable_output_is_a_usage_error(tmp_path: Path) -> None:
    result = graph("-o", str(tmp_path / "no-such-dir" / "graph.txt"), str(MEMBERSHIP))
    assert result.exit_code == 2 and "cannot write" in result.output


def test_incident_graph_document_is_current() -> None:
    """docs/incident-graph.md shows what `dindlint graph` really prints for the incident."""
    import os

    incident = Path(__file__).resolve().parents[2] / "shared/examples/seed-incident"
    if not incident.is_dir():
        pytest.skip("../shared is not present")
    document = (Path(__file__).resolve().parents[1] / "docs/incident-graph.md").read_text()
    blocks = re.findall(r"```(?:text|mermaid)\n(.*?)```", document, re.DOTALL)
    cwd = os.getcwd()
    os.chdir(incident)
    try:
        live = [
            CliRunner().invoke(main, args).output
            for args in (
                ["graph", "before"],
                ["graph", "after"],
                ["graph", "--format", "mermaid", "before"],
            )
        ]
    finally:
        os.chdir(cwd)
    assert blocks == live


AGREEMENT_CONFIG = """\
host-docker-gid: 999
images:
  - id: acme-runner
    match: {repository: [acme/runner]}
    inherits: debian
    users: [{name: runner, uid: 1001, gid: 1001}]
    groups: [{name: runner, gid: 1001, members: [runner]}]
    source: platform team
"""
AGREEMENT_COMPOSE = """\
services:
  agent:
    image: acme/runner:1
    user: runner
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock
"""


def test_graph_and_check_agree_under_the_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`graph` draws the model `check` reasons on, under the same configuration: the host GID
    (`host-docker-gid`) and the image entry (`images:`) that makes `runner` known."""
    (tmp_path / ".dindlint.yaml").write_text(AGREEMENT_CONFIG, encoding="utf-8")
    (tmp_path / "compose.yaml").write_text(AGREEMENT_COMPOSE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)

    checked = CliRunner().invoke(main, ["check", "--format", "json", "."])
    assert checked.exit_code == 1, checked.output
    rules = sorted(f["rule"] for f in json.loads(checked.output)["findings"])
    assert rules == ["DIND102", "DIND301"]

    text = drawn(".")
    assert "owner root:999 0660" in text and "GID unknown" not in text
    client = subtree(text, "agent")
    assert "uid=1001(runner) gid=1001(runner) groups=1001(runner)" in "\n".join(client)
    assert "✘ cannot connect (DIND301)" in "\n".join(client)

    # without the configuration, both see an unknown image and an unknown host GID
    unconfigured = drawn("--no-config", ".")
    assert "identity unknown (image acme/runner:1 not modelled)" in unconfigured
    assert "GID unknown" in unconfigured
    plain = CliRunner().invoke(main, ["check", "--no-config", "--format", "json", "."])
    assert sorted(f["rule"] for f in json.loads(plain.output)["findings"]) == ["DIND102"]


def test_graph_refuses_an_invalid_configuration_as_check_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".dindlint.yaml").write_text("host-docker-gid: many\n", encoding="utf-8")
    (tmp_path / "compose.yaml").write_text(AGREEMENT_COMPOSE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    drawing, checking = graph("."), CliRunner().invoke(main, ["check", "."])
    assert drawing.exit_code == checking.exit_code == 2
    assert drawing.output.startswith("dindlint: ") and "Traceback" not in drawing.output


def test_auto_assigned_ids_are_named_not_questioned(tmp_path: Path) -> None:
    """alpine ``adduser -D app``: the uid and the group's gid are auto-assigned at build time,
    not unknown; the graph and DIND301's message say so instead of ``?``."""
    (tmp_path / "app").mkdir()
    (tmp_path / "app/Dockerfile").write_text("FROM alpine:3.20\nRUN adduser -D app\nUSER app\n")
    (tmp_path / "compose.yaml").write_text(
        "services:\n"
        "  dind:\n    image: docker:27-dind\n    privileged: true\n"
        "    volumes: [run:/var/run]\n"
        "  cli:\n    build: ./app\n    volumes: [run:/var/run]\n"
        "volumes:\n  run:\n"
    )
    text = drawn(str(tmp_path))
    identity = "uid=unspecified(app) gid=unspecified groups=unspecified"
    assert identity in children(subtree(text, "cli"))
    assert "?" not in identity
    result = CliRunner().invoke(main, ["check", "--no-config", "--format", "json", str(tmp_path)])
    messages = [f["message"] for f in json.loads(result.output)["findings"]]
    assert any(
        "cli runs as app with an unspecified uid and an unspecified gid" in m for m in messages
    ), messages


def test_graph_names_the_rule_check_reports_for_a_missing_membership(tmp_path: Path) -> None:
    """busybox `adduser -D user group` ignores the group: check reports DIND305 (not DIND301),
    and the graph's ✘ names the same rule."""
    (tmp_path / "runner").mkdir()
    (tmp_path / "runner" / "Dockerfile").write_text(
        "FROM alpine:3.20\nRUN addgroup -S docker && adduser -D -u 1000 runner docker\n"
        "USER runner\n"
    )
    (tmp_path / "compose.yaml").write_text(
        "services:\n  dind:\n    image: docker:27-dind\n    privileged: true\n"
        "    volumes: [dind-sock:/var/run]\n"
        "  runner:\n    build: ./runner\n"
        "    environment: [DOCKER_HOST=unix:///var/run/docker.sock]\n"
        "    volumes: [dind-sock:/var/run]\n"
        "volumes:\n  dind-sock:\n"
    )
    check = CliRunner().invoke(main, ["check", "--no-config", str(tmp_path)])
    assert " DIND305 " in check.output and " DIND301 " not in check.output
    graph = CliRunner().invoke(main, ["graph", "--no-config", str(tmp_path)])
    assert "✘ cannot connect (DIND305)" in graph.output
