from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from dindlint.compose import load_project
from dindlint.model import ComposeProject

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES.absolute()


@pytest.fixture
def load(fixtures: Path) -> Callable[..., ComposeProject]:
    def _load(*names: str, **kwargs: object) -> ComposeProject:
        return load_project([fixtures / n for n in names], **kwargs)  # type: ignore[arg-type]

    return _load


def ids(project: ComposeProject) -> list[str]:
    return [p.rule_id for p in project.problems]
