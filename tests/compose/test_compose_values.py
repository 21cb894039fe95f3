"""Volumes, ports and the DIND001/DIND002 problems, on fixture files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dindlint.compose import is_compose_document, load_project
from dindlint.compose.volumes import VolumeSpecError, normalize_path, parse_short
from tests.conftest import SHARED


@pytest.fixture
def volumes(load):
    return load("volumes/compose.yml")


def mounts(project):
    return {m.target: m for m in project.services["s"].volumes}


def test_named_volume_called_docker_sock(volumes):
    m = mounts(volumes)["/var/run/docker.sock"]
    assert (m.type, m.source, m.short_syntax) == ("volume", "docker.sock", True)


def test_mode_last_wins(volumes):
    m = mounts(volumes)
    assert m["/a"].read_only is False and m["/a"].read_only_span is None  # ro,rw
    assert m["/b"].read_only is True  # rw,ro
    span = m["/b"].read_only_span
    assert (span.line, span.col) == (7, 36)  # the `ro` that decided it
    assert m["/c"].read_only is True  # unknown option `cached` ignored
    assert m["/c"].read_only_span.col == 36  # quoted scalar: shifted by the quote


def test_paths_normalised(volumes):
    m = mounts(volumes)["/d"]
    assert m.source == "/var/run/docker.sock" and m.type == "bind"


def test_anonymous_windows_and_home(volumes):
    m = mounts(volumes)
    assert (m["/anon"].type, m["/anon"].source) == ("volume", None)
    assert (m["/win"].type, m["/win"].source) == ("bind", "C:\\data")
    assert (m["/cache"].type, m["/cache"].source) == ("bind", "~/cache")


def test_long_syntax(volumes):
    m = mounts(volumes)
    long = m["/long"]
    assert (long.type, long.source, long.read_only, long.short_syntax) == (
        "bind",
        "/var/run/docker.sock",
        True,
        False,
    )
    assert long.read_only_span.line == 17
    assert long.span.line == 14
    assert (m["/named"].type, m["/named"].source) == ("volume", "named")


def test_bad_volume_entries(volumes):
    bad = [p for p in volumes.problems if p.rule_id == "DIND002"]
    assert [p.span.line for p in bad] == [11, 21]
    assert "too many colons" in bad[0].message
    assert "/b" in mounts(volumes)  # the rest is still loaded


def test_volumes_from(volumes):
    vf = volumes.services["s"].volumes_from
    assert [(v.service, v.container, v.read_only) for v in vf] == [
        ("svc", None, False),
        ("svc2", None, True),
        (None, "c1", False),
        (None, "c2", True),
    ]


def test_top_level_volumes(volumes):
    assert set(volumes.volumes) == {"docker.sock", "named"}
    assert volumes.volumes["named"].line == 29


@pytest.mark.parametrize(
    ("spec", "source", "target", "ro"),
    [
        ("/x:/y", "/x", "/y", False),
        ("/x:/y:ro", "/x", "/y", True),
        ("/x:/y:ro,rw", "/x", "/y", False),
        ("/y", None, "/y", False),
        ("C:\\x:/y:ro", "C:\\x", "/y", True),
    ],
)
def test_parse_short(spec, source, target, ro):
    parsed = parse_short(spec)
    assert (parsed.source, parsed.target, parsed.read_only) == (source, target, ro)


@pytest.mark.parametrize("spec", ["/a:/b:ro:x", "/a::/b", ""])
def test_parse_short_errors(spec):
    with pytest.raises(VolumeSpecError):
        parse_short(spec)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("//var/run/docker.sock", "/var/run/docker.sock"),
        ("/var/run/", "/var/run"),
        ("/var/./run/../run/docker.sock", "/var/run/docker.sock"),
        ("///x", "/x"),
    ],
)
def test_normalize_path(path, expected):
    assert normalize_path(path) == expected


# ------------------------------------------------------------------ ports / networks


def test_ports(load):
    s = load("ports/compose.yml").services["s"]
    got = [(p.host_ip, p.published, p.target, p.protocol) for p in s.ports]
    assert got == [
        ("127.0.0.1", "2375", 2375, "tcp"),
        ("::1", "2376", 2376, "tcp"),
        (None, "2377", 2377, "udp"),
        (None, None, 2378, "tcp"),
        (None, "8000-8010", None, "tcp"),
        ("0.0.0.0", "12375", 2375, "tcp"),
    ]
    assert s.ports[0].span.line == 5
    assert s.network_aliases == ("docker", "dind")


# ------------------------------------------------------------------ problems


def test_invalid_yaml_is_dind001_with_position(load, fixtures):
    project = load("bad/invalid.yml")
    assert [p.rule_id for p in project.problems] == ["DIND001"]
    problem = project.problems[0]
    assert problem.span.path == fixtures / "bad/invalid.yml"
    assert problem.span.line == 4
    assert project.services == {}  # a file that fails to parse contributes nothing


def test_services_as_list_is_dind002(load):
    project = load("bad/services_list.yml")
    assert [(p.rule_id, p.span.line) for p in project.problems] == [("DIND002", 2)]
    assert project.services == {}


def test_non_utf8_is_dind001(load):
    project = load("bad/latin1.yml")
    assert [(p.rule_id, p.span.line) for p in project.problems] == [("DIND001", 3)]


def test_unreadable_file_is_dind001(tmp_path):
    project = load_project([tmp_path / "missing.yml"])
    assert [(p.rule_id, p.span.line) for p in project.problems] == [("DIND001", 1)]


def test_structure_problems(load):
    project = load("bad/structure.yml")
    got = [(p.rule_id, p.span.line) for p in project.problems]
    assert got == [("DIND002", 2), ("DIND002", 5), ("DIND002", 6), ("DIND002", 7)]
    ok = project.services["ok"]
    assert ok.image.value == "alpine"
    assert ok.user is None and ok.group_add == () and ok.privileged is None


def test_duplicate_key_is_dind001(load):
    project = load("bad/dupkeys.yml")
    assert [(p.rule_id, p.span.line) for p in project.problems] == [("DIND001", 4)]


def test_top_level_not_mapping(load):
    project = load("bad/toplist.yml")
    assert [(p.rule_id, p.span.line) for p in project.problems] == [("DIND002", 1)]


def test_multi_document_merged_as_layers(load):
    # compose-go loads each document of a stream as a layer (loader/multidoc_test.go)
    a = load("bad/multidoc.yml").services["a"]
    assert a.image.value == "first" and a.user.value == "1000"


def test_missing_build_context_and_dockerfile(tmp_path):
    (tmp_path / "ctx").mkdir()
    (tmp_path / "compose.yml").write_text(
        "services:\n  a:\n    build: ./nope\n  b:\n    build:\n      context: ctx\n"
        "      dockerfile: Other.Dockerfile\n      args: [A=1, B]\n      target: t\n"
        "  c:\n    build: https://github.com/x/y.git\n"
    )
    project = load_project([tmp_path / "compose.yml"])
    got = [(p.rule_id, p.span.line) for p in project.problems]
    assert got == [("DIND003", 3), ("DIND003", 7)]
    b = project.services["b"].build
    assert b.dockerfile == tmp_path / "ctx/Other.Dockerfile"
    assert {k: v.value for k, v in b.args.items()} == {"A": "1", "B": None}
    assert b.target.value == "t"
    assert project.services["c"].build.context is None


# ------------------------------------------------------------------ corpus


CORPUS = SHARED / "corpus"


def _corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(
        p
        for p in CORPUS.rglob("*")
        if p.suffix in (".yml", ".yaml") and p.is_file() and is_compose_document(p)
    )


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not present")
def test_corpus_loads_without_exceptions():
    """Every compose file of the (read-only) corpus loads; problems are fine, crashes are not."""
    counts: dict[str, int] = {}
    files = _corpus_files()
    for path in files:
        project = load_project([path])
        for problem in project.problems:
            counts[problem.rule_id] = counts.get(problem.rule_id, 0) + 1
            assert "Could not load" not in problem.message, (path, problem)
    if os.environ.get("DINDLINT_CORPUS_REPORT"):
        print(f"\ncorpus: {len(files)} compose files, problems: {counts}")
    assert files


def test_env_file_details(tmp_path):
    from dindlint.compose.envfile import parse_env_text

    text = 'A=1\nexport B="x\\ny"\nC="multi\nline"\nD\nE=${A}${NOPE:-z}\nbad line here\n'
    problems: list = []
    env = parse_env_text(text, tmp_path / ".env", {"D": "from-env"}, problems)
    assert env == {"A": "1", "B": "x\ny", "C": "multi\nline", "D": "from-env", "E": "1z"}
    assert [(p.rule_id, p.span.line) for p in problems] == [("DIND002", 7)]


def test_misc_service_keys(tmp_path):
    (tmp_path / "compose.yml").write_text(
        "name: MyProj\nservices:\n  s:\n    image: alpine\n    use_api_socket: true\n"
        "    entrypoint: [sh, -c]\n    runtime: sysbox-runc\n    container_name: c\n"
    )
    project = load_project([tmp_path / "compose.yml"])
    s = project.services["s"]
    assert project.name == "MyProj"
    assert s.use_api_socket.value is True and s.use_api_socket.span.line == 5
    assert s.entrypoint.value == ("sh", "-c")
    assert s.runtime.value == "sysbox-runc" and s.container_name.value == "c"
