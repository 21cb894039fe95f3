"""Replay of real Dockerfile fixtures through the loader (tests/images/fixtures/*/Dockerfile)."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import pytest

from dindlint.dockerfile import load_dockerfile
from dindlint.images import identity_for_build, replay_all_stages, resolve_user
from dindlint.model import (
    AdduserIgnoresGroup,
    GroupCreated,
    IdentityEvent,
    IdInUse,
    ImageIdentity,
    UnknownName,
    UsermodReplaces,
)
from tests.conftest import SHARED

FIXTURES = Path(__file__).parent / "fixtures"
SEED = SHARED / "examples/seed-incident/before/docker/dind/orchestrator/manager/Dockerfile"


def build(name: str, target: str | None = None) -> ImageIdentity:
    path = FIXTURES / name / "Dockerfile"
    return identity_for_build(load_dockerfile(path), target, path.parent)


EventT = TypeVar("EventT", bound=IdentityEvent)


def events(name: str, kind: type[EventT]) -> list[EventT]:
    dockerfile = load_dockerfile(FIXTURES / name / "Dockerfile")
    return [e for e in replay_all_stages(dockerfile) if isinstance(e, kind)]


def test_alpine_gid_999_is_ping() -> None:
    found = events("alpine-gid-999", IdInUse)
    assert len(found) == 1
    assert found[0].what == "gid"
    assert found[0].value == "999"
    assert found[0].taken_by == "ping"
    assert found[0].taken_at is None  # the base image
    assert found[0].span.line == 2
    assert "docker" not in build("alpine-gid-999").groups  # the build stops there


def test_ubuntu_2404_uid_1000_in_use() -> None:
    found = events("ubuntu2404-uid-1000", IdInUse)
    assert [(e.what, e.value, e.taken_by) for e in found] == [("uid", "1000", "ubuntu")]


def test_ubuntu_2204_has_no_1000() -> None:
    assert events("ubuntu2204-gid-1000", IdInUse) == []
    identity = build("ubuntu2204-gid-1000")
    resolved = resolve_user(identity, None)
    assert resolved is not None
    assert (resolved.uid, resolved.gid) == (1000, 1000)


def test_busybox_adduser_with_option_ignores_group() -> None:
    found = events("busybox-adduser-options", AdduserIgnoresGroup)
    assert len(found) == 1
    assert found[0].user == "app" and found[0].group == "docker"
    assert found[0].span.line == 3  # physical line of the continued RUN
    identity = build("busybox-adduser-options")
    assert "app" not in identity.groups["docker"].members
    resolved = resolve_user(identity, None)
    assert resolved is not None
    assert ("docker", 2375) not in resolved.supplementary


def test_busybox_adduser_without_option_adds_member() -> None:
    identity = build("busybox-adduser-plain")
    assert "app" in identity.groups["docker"].members
    assert events("busybox-adduser-plain", AdduserIgnoresGroup) == []
    resolved = resolve_user(identity, None)
    assert resolved is not None
    assert (resolved.uid, resolved.gid) == (1001, 1001)  # own group, gid = uid (busybox adduser)
    assert ("docker", 2375) in resolved.supplementary


def test_usermod_without_append_replaces() -> None:
    found = events("usermod-replaces", UsermodReplaces)
    assert len(found) == 1
    assert found[0].user == "app"
    assert set(found[0].removed) == {"audio", "video"}
    resolved = resolve_user(build("usermod-replaces"), None)
    assert resolved is not None
    assert [name for name, _ in resolved.supplementary] == ["docker"]


def test_usermod_append_forms() -> None:
    assert events("usermod-append", UsermodReplaces) == []
    resolved = resolve_user(build("usermod-append"), None)
    assert resolved is not None
    assert {name for name, _ in resolved.supplementary} == {"audio", "docker", "video", "cdrom"}


def test_addgroup_without_gid_is_auto() -> None:
    found = events("addgroup-auto", GroupCreated)
    assert [(e.name, e.gid_written, e.by_package) for e in found] == [("docker", None, False)]
    assert build("addgroup-auto").groups["docker"].gid is None


def test_apk_add_docker_package_only() -> None:
    found = events("apk-docker", GroupCreated)
    assert [(e.name, e.gid_written, e.by_package, e.span.line) for e in found] == [
        ("docker", None, True, 3)
    ]


def test_addgroup_docker_on_dind_name_in_use() -> None:
    found = events("dind-addgroup", IdInUse)
    assert [(e.what, e.value) for e in found] == [("group", "docker")]
    identity = build("dind-addgroup")
    assert identity.daemon is not None and identity.groups["docker"].gid == 2375


def test_unknown_base_user_created_here() -> None:
    identity = build("unknown-base")
    assert not identity.base_known
    assert identity.family == "shadow"  # guessed from groupadd/useradd
    resolved = resolve_user(identity, None)
    assert resolved is not None
    assert resolved.uid is None  # useradd without -u: auto-assigned
    assert ("docker", 2375) in resolved.supplementary
    assert resolved.groups_known
    assert events("unknown-base", IdInUse) == []
    assert events("unknown-base", UnknownName) == []


@pytest.mark.skipif(not SEED.is_file(), reason="../shared/examples/seed-incident is not present")
def test_seed_incident_manager() -> None:
    identity = identity_for_build(load_dockerfile(SEED), None, SEED.parent)
    assert identity.base_known and identity.family == "busybox"
    resolved = resolve_user(identity, None)
    assert resolved is not None
    assert (resolved.name, resolved.uid, resolved.gid) == ("mcpmanager", 1001, 1001)
    assert ("docker", 2375) in resolved.supplementary
    assert identity.cmd == ("uvicorn", "app:app", "--host", "0.0.0.0", "--port", "8081")
    assert identity.alignment is None


def test_multistage_inherits_groups() -> None:
    identity = build("multistage")
    resolved = resolve_user(identity, None)
    assert resolved is not None
    assert ("docker", 2375) in resolved.supplementary
    assert "extra" not in identity.groups  # the failing addgroup changed nothing
    # addgroup -g 999 in the final stage collides with Alpine's ping, inherited from base
    found = events("multistage", IdInUse)
    assert [(e.value, e.stage_index) for e in found] == [("999", 1)]


def test_target_selects_earlier_stage() -> None:
    dev = build("target", target="dev")
    assert dev.user is not None and dev.user.value == "dev"
    assert "prod" not in dev.users
    assert build("target").user.value == "prod"  # type: ignore[union-attr]


def test_alignment_script_from_context() -> None:
    identity = build("aligned")
    assert identity.alignment is not None
    assert identity.alignment.line == 4  # the ENTRYPOINT


def test_stat_without_privilege_drop_is_not_alignment() -> None:
    assert build("not-aligned").alignment is None


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.iterdir() if p.is_dir()))
def test_every_fixture_replays(name: str) -> None:
    build(name)


def test_unknown_group_or_user_events() -> None:
    found = events("unknown-refs", UnknownName)
    got = [(e.span.line, e.what, e.name, e.command) for e in found]
    assert got == [
        (2, "user", "app", "COPY --chown"),
        (2, "group", "app", "COPY --chown"),
        (3, "user", "app", "adduser"),
        (3, "group", "docker", "adduser"),
        (5, "user", "ghost", "USER"),
    ]
    assert resolve_user(build("unknown-refs"), None) is None  # ghost does not exist


def test_echo_append_to_etc_group() -> None:
    identity = build("etc-group-append")
    assert identity.groups["docker"].gid == 2375
    resolved = resolve_user(identity, None)
    assert resolved is not None and ("docker", 2375) in resolved.supplementary


def test_get_docker_com_is_a_package_install() -> None:
    found = events("get-docker", GroupCreated)
    assert [(e.name, e.by_package, e.span.line) for e in found] == [("docker", True, 3)]


def test_apt_docker_keeps_existing_group() -> None:
    found = events("apt-docker", GroupCreated)
    assert [(e.gid_written, e.by_package) for e in found] == [("2375", False)]
    assert build("apt-docker").groups["docker"].gid == 2375


def test_conditional_commands_are_maybe() -> None:
    identity = build("conditional")
    assert identity.groups["docker"].maybe
    created = events("conditional", GroupCreated)
    assert created[0].conditional
    assert "app" in identity.groups["docker"].members


def test_shadow_force_non_unique_and_userdel() -> None:
    assert events("shadow-flags", IdInUse) == []
    identity = build("shadow-flags")
    assert identity.groups["other"].gid == 1000
    assert identity.groups["third"].gid is None  # -f with a taken GID picks another one
    assert "ubuntu" not in identity.users
    created = {e.name: e.gid_written for e in events("shadow-flags", GroupCreated)}
    assert created["docker"] == "${DOCKER_GID}"  # an explicit (unresolved) GID is not "auto"
    resolved = resolve_user(identity, None)
    assert resolved is not None and resolved.uid == 1000
    assert ("docker", None) in resolved.supplementary


def test_debian_adduser() -> None:
    identity = build("debian-adduser")
    assert identity.groups["docker"].gid == 2375
    assert identity.users["svc"].gid == 65534  # system user without --group: nogroup
    resolved = resolve_user(identity, None)
    assert resolved is not None and resolved.uid == 1001
    assert ("docker", 2375) in resolved.supplementary
    assert events("debian-adduser", IdInUse) == []


def test_inline_shell_entrypoint_alignment() -> None:
    identity = build("inline-entrypoint")
    assert identity.alignment is not None and identity.alignment.line == 3
    assert identity.entrypoint is not None and identity.entrypoint[0] == "sh"


def test_docker_cli_gid_2375_taken_and_busybox_primary_group() -> None:
    found = events("docker-cli-collision", IdInUse)
    assert [(e.what, e.taken_by) for e in found] == [("gid", "docker")]
    identity = build("docker-cli-collision")
    # the replay goes on after a failing command, so later problems are reported too
    assert identity.users["ci"].gid == 2375  # busybox -G sets the PRIMARY group
    assert "ci" in identity.groups["docker"].members
    assert "ci" not in identity.groups  # no own group with -G
    missing = events("docker-cli-collision", UnknownName)
    assert [(e.what, e.name) for e in missing] == [("group", "ci")]
    assert resolve_user(identity, None) is None  # USER ci:ci: group ci does not exist


def test_usermod_G_on_busybox_image_and_node_uid() -> None:
    assert len(events("usermod-G-dockerfile", UsermodReplaces)) == 1
    found = events("usermod-G-dockerfile", IdInUse)
    assert [(e.what, e.value, e.taken_by) for e in found] == [("uid", "1000", "node")]
