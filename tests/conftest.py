from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture
def shared() -> Path:
    """``../shared`` beside the repository (optional, not shipped: the incident's stack, the SARIF
    schema, the real-world corpus); tests skip without it."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not present")
    return SHARED


# The slow tier: `pytest -m "not slow"` is the inner loop, CI (.ci/run) runs everything. Marked
# here by path (paths relative to tests/, a folder ends with "/"), by the precommit marker, and
# single tests by name: over ~2 s in `pytest --durations=30`. tests/test_sarif_multitool.py marks
# itself.
SLOW_PATHS = ("robustness/", "test_precommit.py", "test_performance.py")
SLOW_TESTS = {
    "compose/test_masked_colons.py": {"test_generated_flow_text_reads_as_the_pure_parser_reads_it"},
    "test_security.py": {"test_the_boundary_holds_in_worker_processes"},
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    tests = Path(__file__).resolve().parent
    for item in items:
        try:
            path = item.path.resolve().relative_to(tests).as_posix()
        except ValueError:
            continue
        name = getattr(item, "originalname", item.name)
        if (
            path.startswith(SLOW_PATHS)
            or item.get_closest_marker("precommit") is not None
            or name in SLOW_TESTS.get(path, ())
        ):
            item.add_marker(pytest.mark.slow)


# Hypothesis profiles (tests/robustness). Registered here, in the initial conftest, so that
# `pytest --hypothesis-profile long` can select one; CI uses `ci` (derandomized, no example
# database: the same inputs on every run). HYPOTHESIS_PROFILE=long also selects the long run.
try:
    import os as _os

    from hypothesis import HealthCheck, settings
except ImportError:  # pragma: no cover - the robustness tests skip without hypothesis
    pass
else:
    _SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
    settings.register_profile(
        "ci",
        max_examples=1000,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=_SLOW_OK,
        print_blob=True,
    )
    settings.register_profile(
        "long",
        max_examples=20000,
        database=None,
        deadline=None,
        suppress_health_check=_SLOW_OK,
        print_blob=True,
    )
    settings.load_profile(_os.environ.get("HYPOTHESIS_PROFILE", "ci"))
