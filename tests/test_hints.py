"""Messages and hints: a check says what is wrong (``message``) and what to change (``hint``)
without naming its own rule; the engine gives each finding the rule id ``CHECKS`` registers the
check under, and carries the hint to the diagnostic."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dindlint import engine
from dindlint.checks import CHECKS
from dindlint.checks.base import Context
from dindlint.config import Config
from dindlint.discover import discover
from dindlint.findings import Found
from dindlint.project import Loader, build_projects
from dindlint.source import Span
from tests.conftest import REPO
from tests.expectations import lint

FIXTURES = [REPO / "examples/broken-dind", REPO / "tests/fixtures/membership"]


def test_a_found_record_becomes_a_finding_of_the_rule_it_is_given() -> None:
    span = Span(REPO / "compose.yaml", 3, 5)
    finding = Found("m", span, hint="h").finding("DIND301")
    assert (finding.rule_id, finding.message, finding.span, finding.hint) == (
        "DIND301",
        "m",
        span,
        "h",
    )


def test_the_engine_names_the_rule_and_carries_the_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    def check(ctx: Context) -> Iterator[Found]:
        compose = ctx.project.compose
        if compose is not None:
            yield Found("what is wrong", Span(compose.files[0], 1), hint="fix")

    monkeypatch.setattr(engine, "CHECKS", {"DIND301": check})
    projects = build_projects(discover([REPO / "examples/broken-dind"]), Loader())
    diagnostics = [
        d for d in engine.run_checks(projects, Config()) if d.rule_id != engine.UNUSED_SUPPRESSION
    ]
    assert [(d.rule_id, d.name, d.message, d.hint) for d in diagnostics] == [
        ("DIND301", "user-cannot-access-socket", "what is wrong", "fix")
    ]


def test_every_check_yields_records_without_a_rule_id() -> None:
    from dindlint.topology import build_topology

    for project in build_projects(discover(FIXTURES), Loader()):
        ctx = Context(project, build_topology(project, None))
        for check in CHECKS.values():
            assert all(type(item) is Found for item in check(ctx))


def test_hints_are_apart_from_messages() -> None:
    """Where a rule has advice it is the hint, not the end of the message; a hint is a short
    instruction without a final stop (formats add their own punctuation)."""
    diagnostics = lint(REPO / "tests/fixtures", FIXTURES)
    hinted = [d for d in diagnostics if d.hint is not None]
    assert {d.rule_id for d in hinted} >= {"DIND101", "DIND205", "DIND301", "DIND302"}
    for diag in diagnostics:
        assert "; use " not in diag.message and "; add " not in diag.message, diag.message
        if diag.hint is not None:
            assert diag.hint and not diag.hint.endswith("."), diag.hint
