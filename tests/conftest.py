from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture
def shared() -> Path:
    """``../shared`` beside the repository (docs, examples, corpus); tests skip without it."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not present")
    return SHARED


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
