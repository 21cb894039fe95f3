"""Loader behaviour on real fixture files: merge, anchors, interpolation, extends, include."""

from __future__ import annotations

import pytest

from dindlint.compose import is_compose_document, load_project
from dindlint.compose.yamlnodes import make_yaml


def by_target(service):
    return {m.target: m for m in service.volumes}


def problems(project, rule_id):
    return [p for p in project.problems if p.rule_id == rule_id]


def test_c_parser_is_used():
    assert "CParser" in make_yaml().Parser.__name__


# ------------------------------------------------------------------ override merge


def test_override_replaces_ro_volume_by_target(load, fixtures):
    project = load("override/compose.yml", "override/compose.override.yml")
    assert project.problems == ()
    client = project.services["client"]
    sock = client.volumes[0]  # replaced at the earlier position
    assert sock.target == "/var/run/docker.sock"
    assert sock.read_only is False
    assert sock.read_only_span is None
    assert sock.span.path == fixtures / "override/compose.override.yml"
    assert sock.span.line == 4
    assert [m.target for m in client.volumes] == ["/var/run/docker.sock", "/data"]
    # the service key keeps the span of the file that defined it
    assert client.span.path == fixtures / "override/compose.yml"


def test_override_other_merge_rules(load, fixtures):
    client = load("override/compose.yml", "override/compose.override.yml").services["client"]
    env = {k: v.value for k, v in client.environment.items()}
    assert env == {"A": "1", "B": "3", "C": "4"}
    assert client.environment["B"].span.path == fixtures / "override/compose.override.yml"
    assert [g.value for g in client.group_add] == ["999", "docker"]
    assert [(v.service, v.read_only) for v in client.volumes_from] == [
        ("dind", False),
        ("other", True),
    ]
    assert [(p.published, p.target) for p in client.ports] == [("8080", 80), ("9090", 90)]
    assert client.command is not None and client.command.value == "run"


def test_relative_bind_resolved_against_project_dir(load, fixtures):
    client = load("override/compose.yml").services["client"]
    assert by_target(client)["/data"].source == (fixtures / "override/data").as_posix()


def test_project_name_and_files(load, fixtures):
    project = load("override/compose.yml", "override/compose.override.yml")
    assert project.name == "override"
    assert project.directory == fixtures / "override"
    assert project.files == (
        fixtures / "override/compose.yml",
        fixtures / "override/compose.override.yml",
    )


# ------------------------------------------------------------------ anchors


def test_anchors_and_merge_keys(load):
    project = load("anchors/compose.yml")
    assert project.problems == ()
    a, b = project.services["a"], project.services["b"]
    assert a.image is not None and a.image.value == "docker:dind"
    assert a.privileged is not None and a.privileged.value is True  # `yes` is a boolean
    assert a.hostname is not None and a.hostname.value == "explicit"  # explicit key wins
    assert a.user is not None and a.user.value == "root"  # first merge source wins
    assert a.volumes[0].source == "/var/run/docker.sock"
    assert a.volumes[0].span.line == 1  # an alias keeps the anchor's position
    assert b.privileged is not None and b.privileged.value is False
    assert b.privileged.span.line == 17


def test_alias_bomb_is_cheap(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 20):
        refs = ", ".join([f"*a{i - 1}"] * 10)
        lines.append(f"a{i}: &a{i} [{refs}]")
    lines.append("services:\n  s:\n    image: alpine\n    environment: *a19")
    path = tmp_path / "compose.yml"
    path.write_text("\n".join(lines) + "\n")
    project = load_project([path])
    assert "s" in project.services


# ------------------------------------------------------------------ interpolation


@pytest.fixture
def interp(load):
    return load("interp/compose.yml")


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("plain", "/var/run/docker.sock"),
        ("braced", "/var/run/docker.sock"),
        ("soft_unset", "soft"),
        ("soft_empty", "soft"),
        ("hard_unset", "hard"),
        ("hard_empty", ""),
        ("alt_set", "alt"),
        ("alt_empty", ""),
        ("plus_empty", "alt"),
        ("plus_unset", ""),
        ("required", "/var/run/docker.sock"),
        ("nested", "27-dind"),
        ("dollar", "$HOME and ${X}"),
        ("quoted", 'with "escapes" and /var/run/docker.sock'),
        ("single", "no $SOCK here"),
        ("inline", "value"),
        ("ref", "/var/run/docker.sock-ref"),
    ],
)
def test_interpolation_forms(interp, key, expected):
    value = interp.services["s"].environment[key]
    assert value.value == expected
    assert value.known


def test_unset_variable_recorded(interp):
    env = interp.services["s"].environment
    assert env["unset"].value == "pre--post"
    assert env["unset"].unresolved == ("MISSING",)
    assert env["required_missing"].unresolved == ("NOPE",)
    assert not env["required_missing"].known


def test_image_interpolated_from_env_file(interp, fixtures):
    assert interp.services["s"].image.value == "docker:27-dind"
    assert fixtures / "interp/.env" in interp.files


def test_rejected_interpolation_is_dind002(interp):
    bad = problems(interp, "DIND002")
    assert [p.span.line for p in bad] == [25]
    assert "${SOCK" in bad[0].message


def test_lone_dollar_is_kept_literally_as_compose_does(interp):
    # docker compose 2.40 (the parity oracle) loads `$(date)` as written: a `$` that starts
    # neither a name nor `${` is literal; only a malformed `${…}` is an error
    bad = interp.services["s"].environment["bad"]
    assert bad.value == "$(date)" and bad.known


def test_socket_bind_with_unset_variable(interp):
    volumes = interp.services["s"].volumes
    assert volumes[0].source == "/var/run/docker.sock" and volumes[0].known
    unknown = volumes[1]
    assert unknown.target == "/var/run/docker.sock"
    assert unknown.unresolved == ("MISSING_SOCK",)
    assert unknown.type == "bind"


@pytest.mark.parametrize("escape", ["\\x24", "\\u0024", "\\U00000024"])
def test_escaped_dollar_is_interpolated(tmp_path, escape):
    # a file without a literal `$` may still hold one, escaped in a double-quoted scalar:
    # interpolation (skipped for a file that cannot hold a `$`) reads the value, as compose
    compose = tmp_path / "compose.yaml"
    compose.write_text(f'services:\n  s:\n    image: "{escape}{{IMAGE}}"\n', encoding="utf-8")
    project = load_project([compose], environ={"IMAGE": "docker:27-dind"})
    assert project.services["s"].image.value == "docker:27-dind"


def test_pure_parser_reads_what_libyaml_refuses_up_to_its_limit(tmp_path):
    from dindlint.compose.yamlnodes import PURE_PARSER_MAX_CHARS

    # a tab anywhere keeps the flow colons unmasked, and libyaml refuses `[b:c]` (YAML 1.1);
    # the pure-Python parser reads it as compose does, but only up to its limit
    tail = "  x:\n    image: alpine\n    command: [b:c]\n# a\ttab\n"
    padding = "".join(f"  s{i}:\n    image: alpine\n" for i in range(PURE_PARSER_MAX_CHARS // 20))
    for name, text in (("small", "services:\n" + tail), ("large", "services:\n" + padding + tail)):
        compose = tmp_path / name / "compose.yaml"
        compose.parent.mkdir()
        compose.write_text(text, encoding="utf-8")
        project = load_project([compose])
        if name == "small":
            assert project.services["x"].command.value == ("b:c",)
            assert not project.problems
            continue
        assert len(text) > PURE_PARSER_MAX_CHARS
        assert not project.services
        [problem] = project.problems
        assert problem.rule_id == "DIND001"
        assert problem.span.line == text.count("\n") - 1  # the line of `[b:c]`
        assert "libyaml cannot read it (line " in problem.message
        assert "pure-Python YAML parser" in problem.message


def test_environ_overrides_env_file(load):
    project = load("interp/compose.yml", environ={"TAG": "cli", "MISSING": "m"})
    s = project.services["s"]
    assert s.image.value == "docker:cli"
    assert s.environment["unset"].value == "pre-m-post" and s.environment["unset"].known


def test_explicit_env_files(load, fixtures, tmp_path):
    env = tmp_path / "custom.env"
    env.write_text("TAG=custom\n")
    project = load("interp/compose.yml", env_files=[env])
    assert project.services["s"].image.value == "docker:custom"
    assert fixtures / "interp/.env" not in project.files


# ------------------------------------------------------------------ extends


@pytest.fixture
def extends(load):
    return load("extends/app/compose.yml")


def test_extends_same_file(extends, fixtures):
    web = extends.services["web"]
    assert web.image.value == "alpine"
    assert web.user.value == "1000"
    assert web.volumes[0].source == (fixtures / "extends/app/here").as_posix()
    assert web.volumes[0].read_only


def test_extends_other_file_paths_relative_to_that_file(extends, fixtures):
    remote = extends.services["remote"]
    common = fixtures / "extends/common"
    assert remote.image.value == "docker:dind"  # through the base's own extends
    assert remote.privileged.value is True
    mounts = by_target(remote)
    # the extending service's `/data` replaced the base's `:ro` one entirely
    assert mounts["/data"].source == (fixtures / "extends/app/override").as_posix()
    assert not mounts["/data"].read_only
    assert mounts["/certs"].source == (common / "certs").as_posix()
    assert remote.build.context == common
    assert remote.build.dockerfile == common / "Dockerfile.dind"
    assert remote.build.span.path == common / "base.yml"
    assert common / "base.yml" in extends.files


def test_extends_cycle_and_missing_file(extends):
    assert any("Extends cycle" in p.message for p in problems(extends, "DIND002"))
    missing = problems(extends, "DIND003")
    assert len(missing) == 1 and "nope.yml" in missing[0].message
    assert "missing" in extends.services  # still loaded, without its base


# ------------------------------------------------------------------ include


def test_include(load, fixtures):
    project = load("include/compose.yml")
    sub = fixtures / "include/sub"
    assert set(project.services) == {"main", "shared", "worker", "other"}
    assert project.services["shared"].image.value == "mine"  # the including file wins
    worker = project.services["worker"]
    assert worker.image.value == "worker:from-sub-env"  # the included project's own .env
    assert worker.volumes[0].source == (sub / "logs").as_posix()
    assert worker.build.context == sub / "ctx"
    assert "subvol" in project.volumes
    assert sub / ".env" in project.files and sub / "other.yml" in project.files
    missing = problems(project, "DIND003")
    assert len(missing) == 1 and "missing.yml" in missing[0].message


def test_own_services_are_those_no_whole_part_brought(tmp_path):
    # `whole.yaml` enters whole (an included part); `clash.yaml` names a service the project
    # defines, so its other service enters one by one and counts as the project's own
    (tmp_path / "whole.yaml").write_text("services:\n  a: {image: x}\n", encoding="utf-8")
    (tmp_path / "clash.yaml").write_text(
        "services:\n  own: {image: y}\n  b: {image: y}\n", encoding="utf-8"
    )
    compose = tmp_path / "compose.yaml"
    compose.write_text(
        "include: [whole.yaml, clash.yaml]\nservices:\n  own: {image: z}\n", encoding="utf-8"
    )
    project = load_project([compose])
    assert list(project.services) == ["own", "a", "b"]  # the file's own, then in include order
    assert [sorted(part.services) for part in project.included] == [["a"]]
    assert sorted(project.own_service_names()) == ["b", "own"]
    # a copy without the parts, or with fewer services, does not keep a stale answer
    assert sorted(project._replace(included=()).own_service_names()) == ["a", "b", "own"]
    fewer = project._replace(services={"a": project.services["a"], "b": project.services["b"]})
    assert sorted(fewer.own_service_names()) == ["b"]
    alone = tmp_path / "alone" / "compose.yaml"
    alone.parent.mkdir()
    alone.write_text("services:\n  s: {image: z}\n", encoding="utf-8")
    assert load_project([alone]).own_services is None  # nothing included: all its own


def test_include_cycle(tmp_path):
    (tmp_path / "a.yml").write_text("include: [b.yml]\nservices:\n  a:\n    image: a\n")
    (tmp_path / "b.yml").write_text("include: [a.yml]\nservices:\n  b:\n    image: b\n")
    project = load_project([tmp_path / "a.yml"])
    assert set(project.services) == {"a", "b"}
    assert any("Include cycle" in p.message for p in project.problems)


# ------------------------------------------------------------------ reset / override


def test_reset_and_override(load):
    project = load("reset/compose.yml", "reset/compose.override.yml")
    assert project.problems == ()
    s = project.services["s"]
    assert s.volumes == ()
    assert s.privileged is None
    assert [g.value for g in s.group_add] == ["2"]  # replaced, not appended
    assert s.environment["A"].value == "1"


# ------------------------------------------------------------------ is_compose_document


def test_is_compose_document(fixtures):
    assert is_compose_document(fixtures / "anchors/compose.yml")
    assert not is_compose_document(fixtures / "bad/services_list.yml")
    assert not is_compose_document(fixtures / "bad/invalid.yml")
    assert not is_compose_document(fixtures / "bad/latin1.yml")
    assert not is_compose_document(fixtures / "bad/toplist.yml")
    assert not is_compose_document(fixtures / "does-not-exist.yml")
    assert not is_compose_document(fixtures / "interp/.env")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("services:\n  a:\n    image: x\n", True),
        ("services: {a: [/x:/y]}\n", True),  # a colon libyaml refuses in a flow scalar
        ("x: &m {a: 1}\nservices: *m\n", True),
        ("x: &m [a]\nservices: *m\n", False),
        ("a: &a b\n*a : {c: 1}\nservices: {d: 1}\n", True),
        ("? [services]\n: {a: 1}\nservices: {b: 1}\n", True),
        ("x: &a services\n*a : {b: 1}\n", True),  # a key written as an alias
        ("x: &a services\n*a : [b]\n", False),
        ("services: {}\nx: " + "[" * 300 + "]" * 300 + "\n", True),  # DIND001 says why
        ("services: 1\nservices: {a: 1}\n", False),  # the first entry of a key is read
        ("services: [a]\n", False),
        ("- services\n- {a: 1}\n", False),
        ("x: {services: {a: 1}}\n", False),
        ("x: 1\n---\nservices: {b: 1}\n", True),  # compose loads each document
        ("services: 1\n---\n- services\n- {b: 1}\n", False),
        ("services:\n", False),
        ("", False),
    ],
)
def test_is_compose_document_reads_the_top_level(tmp_path, text, expected):
    path = tmp_path / "file.yaml"
    path.write_text(text, encoding="utf-8")
    assert is_compose_document(path) is expected


def _flatten(node, out):
    from dindlint.compose.yamlnodes import YMap, YSeq

    if isinstance(node, YMap):
        for key, (key_span, value) in node.entries.items():
            out.append((key, key_span))
            _flatten(value, out)
    elif isinstance(node, YSeq):
        for item in node.items:
            _flatten(item, out)
    elif not node.is_null:
        out.append((node.value, node.span, node.tag, node.quoted))
    return out


@pytest.mark.parametrize(
    "name",
    ["volumes/compose.yml", "anchors/compose.yml", "interp/compose.yml", "ports/compose.yml"],
)
def test_pure_and_c_parsers_agree(fixtures, name):
    from dindlint.compose.yamlnodes import parse_text

    path = fixtures / name
    text = path.read_text()
    c_tree = parse_text(path, text, [], pure=False).documents[0]
    py_tree = parse_text(path, text, [], pure=True).documents[0]
    assert _flatten(c_tree, []) == _flatten(py_tree, [])
