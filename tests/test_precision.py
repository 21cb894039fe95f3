"""Messages of the precision fixtures (issue 12): what a finding claims must be what happens."""

from __future__ import annotations

from pathlib import Path

from dindlint.dockerfile import split_shell
from tests.expectations import lint

FIXTURES = Path(__file__).parent / "fixtures"


def _messages(case: str, rule_id: str) -> dict[int, str]:
    return {
        d.span.line: d.message + (f" (hint: {d.hint})" if d.hint else "")
        for d in lint(FIXTURES / case)
        if d.rule_id == rule_id
    }


def test_a_handled_failure_does_not_stop_the_build() -> None:
    found = {
        line: (message, d.severity)
        for d in lint(FIXTURES / "precision-handled-failure")
        for line, message in [(d.span.line, d.message)]
    }
    for line, handler in ((10, "|| true"), (12, "; true"), (14, "|| :")):
        message, severity = found[line]
        assert "the build stops" not in message
        assert f"`{handler}` ignores the failure" in message
        assert "the build goes on" in message
        assert severity == "warning"
    assert "`|| true` ignores the failure and the build goes on" in found[16][0]
    message, severity = found[21]  # `set -e`: the first failure ends the RUN
    assert message.endswith("so the build stops") and severity == "error"


def test_unknown_paths_name_the_variable_and_no_machine_path() -> None:
    messages = _messages("precision-unknown-paths", "DIND003")
    assert "`compose/${DEPLOY_HOST}/proxy.yml` not found" in messages[2]
    assert "variable `DEPLOY_HOST`" in messages[2]
    assert "Variable `TYPE` has no value" in messages[7]
    assert "`./${TYPE}/Dockerfile`" in messages[7]
    for message in messages.values():
        assert str(FIXTURES) not in message and "/work/" not in message


def test_a_readonly_mount_next_to_a_proxy_points_at_it() -> None:
    (message,) = _messages("precision-socket-proxies", "DIND101").values()
    assert "go through the project's socket proxy `by-name`" in message


def _handled(script: str) -> dict[str, str]:
    return {" ".join(c.argv): c.handled for c in split_shell(script, 1, Path("Dockerfile"))}


def test_the_shell_parser_says_how_a_failure_is_handled() -> None:
    found = _handled("a && b || c; d; true")
    assert found == {"a": "|| c", "b": "|| c", "c": "", "d": "; true", "true": ""}
    found = _handled("(groupadd -g 1 x || groupadd x) && useradd u")
    assert found["groupadd -g 1 x"] == "|| groupadd"
    assert found["useradd u"] == ""
    assert _handled("a || :")["a"] == "|| :"
    assert _handled("a || { echo no >&2; exit 1; }")["a"] == ""  # the fallback fails the RUN
    assert _handled("a || exit 0")["a"] == "|| exit"
    assert _handled("set -eux; a; true")["a"] == ""  # errexit: `a` ends the RUN
    assert _handled("a; b")["a"] == ""  # the next command decides nothing about `a`
    assert _handled("sh -c 'a' || true")["a"] == "|| true"
