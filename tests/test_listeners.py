"""The listener model: which TCP listeners (and unix socket) a daemon service has, drawn by
``dindlint graph`` from the same topology the rules read (tests/fixtures/listener-model)."""

from __future__ import annotations

from tests.conftest import REPO
from tests.test_graph import children, drawn, subtree

LISTENERS = REPO / "tests/fixtures/listener-model"
NO_UNIX = "no unix socket (its `--host` flags name only TCP)"


def test_tlsverify_false_is_drawn_as_tls() -> None:
    daemon = children(subtree(drawn(str(LISTENERS)), "verify-false (docker:27-dind)"))
    assert "tcp 2376 TLS" in daemon
    assert "tcp 2376 plain" not in daemon
    assert NO_UNIX in daemon


def test_tls_false_keeps_the_entrypoint_tls() -> None:
    daemon = children(subtree(drawn(str(LISTENERS)), "tls-false-defaults (docker:27-dind)"))
    assert [text for text in daemon if text.startswith("tcp ")] == ["tcp 2376 TLS"]
    assert NO_UNIX not in daemon


def test_entrypoint_dockerd_gets_only_its_listeners() -> None:
    daemon = children(subtree(drawn(str(LISTENERS)), "entrypoint-dockerd (docker:27-dind)"))
    assert [text for text in daemon if text.startswith("tcp ")] == ["tcp 2375 plain"]


def test_null_certdir_is_plain() -> None:
    daemon = children(subtree(drawn(str(LISTENERS)), "null-certdir (docker:27-dind)"))
    assert [text for text in daemon if text.startswith("tcp ")] == ["tcp 2375 plain"]
