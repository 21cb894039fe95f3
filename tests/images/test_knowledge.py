"""Knowledge-base matching and ``identity_for_image``."""

from __future__ import annotations

import pytest

from dindlint.images import identity_for_image
from dindlint.images.knowledge import lookup, parse_reference


@pytest.mark.parametrize(
    "ref",
    [
        "docker:25.0.5-dind", "docker:dind", "docker:27-dind", "docker:24.0.7-dind",
        "docker:25.0.5-dind-alpine3.19", "docker.io/library/docker:27-dind",
        "code.forgejo.org/oci/docker:dind", "docker:24-dind",
    ],
)  # fmt: skip
def test_dind_socket_gid_2375(ref: str) -> None:
    identity = identity_for_image(ref)
    assert identity.base_known and identity.family == "busybox"
    assert identity.daemon is not None
    assert identity.daemon.socket_path == "/var/run/docker.sock"
    assert identity.daemon.tls_default
    assert identity.groups["docker"].gid == 2375
    assert identity.groups["dockremap"].gid is None
    assert identity.groups["ping"].gid == 999


@pytest.mark.parametrize("ref", ["docker:20.10-dind", "docker:23.0.1-dind", "docker:24.0.6-dind"])
def test_old_dind_socket_root_root(ref: str) -> None:
    identity = identity_for_image(ref)
    assert identity.daemon is not None
    assert "docker" not in identity.groups  # the socket is root:root


@pytest.mark.parametrize("ref", ["docker:cli", "docker:latest", "docker:rc", "docker:27", "docker"])
def test_docker_cli_has_group_no_daemon(ref: str) -> None:
    identity = identity_for_image(ref)
    assert identity.groups["docker"].gid == 2375
    assert identity.daemon is None


def test_rootless() -> None:
    identity = identity_for_image("docker:dind-rootless")
    assert identity.default_user == "rootless"
    assert identity.users["rootless"].uid == 1000
    assert identity.daemon is not None and identity.daemon.rootless
    assert identity.daemon.socket_path == "/run/user/1000/docker.sock"


@pytest.mark.parametrize(
    "ref", ["docker/mcp-gateway:dind", "gitlab/gitlab-runner:latest", "golang:1.22", "ubuntu:foo"]
)
def test_unknown(ref: str) -> None:
    identity = identity_for_image(ref)
    assert not identity.base_known and identity.family is None
    assert identity.users == {} and identity.groups == {} and identity.daemon is None


def test_scratch_known_and_empty() -> None:
    identity = identity_for_image("scratch")
    assert identity.base_known and identity.users == {} and identity.groups == {}


def test_alpine_groups() -> None:
    identity = identity_for_image("alpine:3.20")
    assert identity.groups["nogroup"].gid == 65533
    assert identity.groups["nobody"].gid == 65534
    assert "root" in identity.groups["wheel"].members
    assert identity.users["root"].uid == 0 and identity.default_user == "root"
    assert identity.source.startswith("alpinelinux/aports@bb00d0e:main/alpine-baselayout/group")


def test_ubuntu_versions() -> None:
    assert identity_for_image("ubuntu:24.04").users["ubuntu"].uid == 1000
    assert identity_for_image("ubuntu:noble").groups["ubuntu"].gid == 1000
    assert "ubuntu" not in identity_for_image("ubuntu:22.04").users
    assert identity_for_image("ubuntu:22.04").family == "shadow"


@pytest.mark.parametrize(
    ("ref", "entry"),
    [
        ("python:3.12-alpine", "python-alpine"), ("python:3.12-alpine3.20", "python-alpine"),
        ("python:3.12-slim", "python-debian"), ("python:3.12", "python-debian"),
        ("node:22-alpine", "node-alpine"), ("node:22", "node-debian"),
        ("golang:1.22-alpine", "golang-alpine"), ("library/alpine", "alpine"),
        ("public.ecr.aws/docker/library/alpine:3", "alpine"), ("alpine@sha256:00", "alpine"),
    ],
)  # fmt: skip
def test_entries(ref: str, entry: str) -> None:
    found = lookup(ref)
    assert found is not None and found.id == entry


def test_node_user() -> None:
    alpine = identity_for_image("node:22-alpine")
    assert alpine.users["node"].gid == 1000 and "node" in alpine.groups["node"].members
    debian = identity_for_image("node:22-bookworm")
    assert debian.users["node"].uid == 1000 and debian.family == "shadow"


def test_digest_only_docker_is_unknown() -> None:
    assert lookup("docker@sha256:00") is None  # version unknown: dind or not, old or new


def test_parse_reference() -> None:
    ref = parse_reference("localhost:5000/team/app:1.2@sha256:ab")
    assert (ref.registry, ref.repository, ref.tag, ref.digest) == (
        "localhost:5000", "team/app", "1.2", "sha256:ab",
    )  # fmt: skip
