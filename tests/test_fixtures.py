"""Every folder under tests/fixtures/ is a case: its findings must equal its `# expect:` lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.expectations import describe, expectations, findings

FIXTURES = Path(__file__).parent / "fixtures"
CASES = sorted(p for p in FIXTURES.iterdir() if p.is_dir())


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fixture_case(case: Path) -> None:
    expected = expectations(case)
    actual = findings(case)
    missing = expected - actual
    unexpected = actual - expected
    assert not missing and not unexpected, (
        f"\nexpected but not found:\n{describe(missing)}\nfound but not expected:\n"
        f"{describe(unexpected)}"
    )
