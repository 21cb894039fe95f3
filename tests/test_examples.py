"""The shipped examples: broken reports exactly its `# expect:` lines, fixed reports nothing."""

from __future__ import annotations

from tests.conftest import REPO
from tests.expectations import describe, expectations, findings


def test_broken_example_matches_its_annotations() -> None:
    case = REPO / "examples/broken-dind"
    expected, actual = expectations(case), findings(case)
    assert expected, "the broken example must show problems"
    assert actual == expected, f"\nexpected:\n{describe(expected)}\nactual:\n{describe(actual)}"


def test_fixed_example_is_clean() -> None:
    actual = findings(REPO / "examples/fixed-dind")
    assert not actual, describe(actual)
