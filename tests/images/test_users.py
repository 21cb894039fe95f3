"""``resolve_user`` (moby/sys/user ``GetExecUser``) and ``detect_alignment``."""

from __future__ import annotations

import pytest

from dindlint.images import detect_alignment, identity_for_image, resolve_user


def test_explicit_group_drops_supplementary() -> None:
    identity = identity_for_image("alpine:3.20")
    resolved = resolve_user(identity, "1001:1001")
    assert resolved is not None
    assert (resolved.uid, resolved.gid, resolved.supplementary) == (1001, 1001, ())
    assert resolved.explicit_group and not resolved.has_passwd_entry
    root = resolve_user(identity, "root:disk")
    assert root is not None and root.gid == 6 and root.supplementary == () and root.explicit_group


def test_numeric_uid_without_entry_gets_gid_0() -> None:
    resolved = resolve_user(identity_for_image("python:3.12-slim"), "1001")
    assert resolved is not None
    assert (resolved.uid, resolved.gid, resolved.supplementary) == (1001, 0, ())
    assert not resolved.has_passwd_entry and resolved.groups_known


def test_numeric_uid_with_entry_uses_name() -> None:
    resolved = resolve_user(identity_for_image("node:22-alpine"), "1000")
    assert resolved is not None
    assert (resolved.name, resolved.gid) == ("node", 1000)
    assert ("node", 1000) in resolved.supplementary


def test_default_user_root_groups() -> None:
    resolved = resolve_user(identity_for_image("alpine"), None)
    assert resolved is not None and resolved.uid == 0
    assert ("wheel", 10) in resolved.supplementary


def test_default_user_from_knowledge_base() -> None:
    resolved = resolve_user(identity_for_image("docker:dind-rootless"), "")
    assert resolved is not None and (resolved.name, resolved.uid) == ("rootless", 1000)


def test_unknown_image_is_unknown() -> None:
    identity = identity_for_image("gitlab/gitlab-runner:latest")
    assert resolve_user(identity, "gitlab-runner") is None
    assert resolve_user(identity, "1000") is None
    assert resolve_user(identity, None) is not None  # default root: uid 0 everywhere
    root = resolve_user(identity, "root")
    assert root is not None and root.uid == 0 and not root.groups_known


def test_missing_name_and_variables() -> None:
    identity = identity_for_image("alpine")
    assert resolve_user(identity, "nosuchuser") is None
    assert resolve_user(identity, "root:nosuchgroup") is None
    assert resolve_user(identity, "${UID}") is None


ALIGNED = [
    'G=$(stat -c %g /var/run/docker.sock)\ngroupmod -o -g "$G" docker\nexec gosu app "$@"',
    (
        "G=$(stat -c '%g' /var/run/docker.sock); addgroup -g $G dock; addgroup app dock;"
        ' exec su-exec app "$@"'
    ),
    (
        'G=$(stat --format="%g" /run/docker.sock) && groupadd -for -g $G docker\n'
        "usermod -aG docker app\n"
        'exec setpriv --reuid=app --regid=app --init-groups "$@"'
    ),
    (
        "G=$(ls -ln /var/run/docker.sock | awk '{print $4}')\ngroupmod -g $G docker\n"
        'exec sudo -E -u app "$@"'
    ),
    (
        "G=$(stat -c %g /var/run/docker-host.sock)\n"
        "socat UNIX-LISTEN:/var/run/docker.sock,fork,mode=660,user=app"
        " UNIX-CONNECT:/var/run/docker-host.sock &"
    ),
    'G=$(stat -c "%g" /var/run/docker.sock)\nadduser app docker\nexec chroot --userspec=app / "$@"',
    'G=$(stat -c %g /var/run/docker.sock)\nusermod -a -G docker app\nexec su app -c "$*"',
    'G=$(stat -c %g /var/run/docker.sock)\ngroupmod -g $G docker\nexec s6-setuidgid app "$@"',
]
NOT_ALIGNED = [
    'G=$(stat -c %g /var/run/docker.sock)\ngroupmod -g $G docker\nexec "$@"',  # no drop
    'groupmod -g 999 docker\nexec gosu app "$@"',  # does not read the socket GID
    'echo $(stat -c %g /var/run/docker.sock)\nexec gosu app "$@"',  # no group change
    '# G=$(stat -c %g /var/run/docker.sock); groupmod -g $G docker; gosu app\nexec "$@"',
]


@pytest.mark.parametrize("script", ALIGNED)
def test_alignment_recognised(script: str) -> None:
    assert detect_alignment(script)


@pytest.mark.parametrize("script", NOT_ALIGNED)
def test_alignment_not_recognised(script: str) -> None:
    assert not detect_alignment(script)


def test_devcontainer_init() -> None:
    assert detect_alignment("exec /usr/local/share/docker-init.sh")
