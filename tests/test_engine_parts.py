"""A part of a project checked on its own gives the findings it gives inside the project.

``engine.project_findings`` checks an ``include``d part once per run when the rest of the
project cannot interact with it (``engine._separable_include``). These tests take every compose
project at hand (fixtures, examples, the shared corpus when present), cut it into a part and a
rest in every way the criterion accepts, and compare the findings with those of the project
checked whole (a given topology turns the split off).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dindlint.config import Config
from dindlint.discover import discover
from dindlint.engine import _separable_include, project_findings
from dindlint.findings import Finding
from dindlint.model import ComposeProject, Service
from dindlint.project import Loader, Project, build_projects
from dindlint.source import Located, Span, reading_once
from dindlint.topology import build_topology
from tests.conftest import REPO, SHARED

ROOTS = [REPO / "tests" / "fixtures", REPO / "tests" / "cases", REPO / "examples"]


def _folders(roots: list[Path]) -> list[Path]:
    return [f for root in roots if root.is_dir() for f in sorted(root.iterdir()) if f.is_dir()]


def _whole(project: Project, config: Config) -> set[Finding]:
    return set(project_findings(project, config, build_topology(project, config.host_docker_gid)))


def _cuts(compose: ComposeProject) -> list[ComposeProject]:
    """The project with one service as the rest and the others as an included part, with one
    service as the part and the others as the rest, and the whole project as the part of a
    project that adds a service of its own (the shape of a file many projects include)."""
    span = Span(compose.files[0], 1)
    own = Service("own-service", span, image=Located("alpine:3.20", span))
    whole_part = compose._replace(included=(), problems=())
    cuts = [
        compose._replace(
            services={**compose.services, own.name: own},
            included=(whole_part,),
            own_services=frozenset({own.name}),
        )
    ]
    for name in compose.services:
        one: dict[str, Service] = {name: compose.services[name]}
        others = {n: s for n, s in compose.services.items() if n != name}
        for part_services in (others, one):
            if not part_services:
                continue
            part = compose._replace(services=part_services, included=(), problems=())
            own_services = frozenset(compose.services.keys() - part_services.keys())
            cuts.append(compose._replace(included=(part,), own_services=own_services))
    return cuts


def _compare_cuts(folders: list[Path]) -> int:
    """How many separable cuts were compared; fails on the first that differs."""
    config = Config()
    compared = 0
    for folder in folders:
        with reading_once():
            projects = build_projects(discover([folder]), Loader())
            for project in projects:
                if project.compose is None or project.compose.ci is not None:
                    continue
                for cut in _cuts(project.compose):
                    candidate = project._replace(compose=cut)
                    if _separable_include(candidate) is None:
                        continue
                    compared += 1
                    found = set(project_findings(candidate, config))
                    whole = _whole(candidate, config)
                    assert found == whole, (folder, list(cut.included[0].services))
    return compared


def test_a_separated_part_gives_the_findings_of_the_whole() -> None:
    assert _compare_cuts(_folders(ROOTS)) >= 20


def test_a_separated_part_gives_the_findings_of_the_whole_on_the_corpus() -> None:
    corpus = SHARED / "corpus"
    if not corpus.is_dir():
        pytest.skip(f"{corpus} is not here (real compose files from public repositories)")
    assert _compare_cuts(_folders([corpus])) >= 100


@pytest.mark.parametrize("host", ["helper", "HELPER"])
def test_a_rest_that_the_part_names_is_not_separated(tmp_path: Path, host: str) -> None:
    """A service of the rest that the part dials by name is not cut off from it; host names
    compare without regard to letter case (`tcp://HELPER:2375` names `helper`)."""
    (tmp_path / "shared.yaml").write_text(
        "services:\n"
        "  client:\n"
        "    image: docker:cli\n"
        f"    environment: [DOCKER_HOST=tcp://{host}:2375]\n"
    )
    (tmp_path / "compose.yaml").write_text(
        "include: [shared.yaml]\nservices:\n  helper:\n    image: alpine:3.20\n"
    )
    with reading_once():
        (project,) = build_projects(discover([tmp_path / "compose.yaml"]), Loader())
        assert project.compose is not None and len(project.compose.included) == 1
        assert _separable_include(project) is None


def test_an_inert_rest_is_separated_and_the_part_is_checked_once(tmp_path: Path) -> None:
    (tmp_path / "shared.yaml").write_text(
        "services:\n"
        "  client:\n"
        "    image: docker:cli\n"
        "    volumes: [/var/run/docker.sock:/var/run/docker.sock]\n"
    )
    for index in range(3):
        (tmp_path / f"p{index}").mkdir()
        (tmp_path / f"p{index}" / "compose.yaml").write_text(
            f"include: [../shared.yaml]\nservices:\n  own{index}:\n    image: alpine:3.20\n"
        )
    config = Config()
    with reading_once():
        projects = build_projects(discover([tmp_path]), Loader())
        assert len(projects) == 3
        results = []
        for project in projects:
            assert _separable_include(project) is not None
            results.append(project_findings(project, config))
            assert set(results[-1]) == _whole(project, config)
        # the part's findings are the same list object: worked out once
        assert [f.rule_id for f in results[0]] == ["DIND102"]
