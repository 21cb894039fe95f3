"""What every check reads and yields: its ``Context`` (a project and its topology), the
``Check`` signature, and the replay events of the project's Dockerfiles up to where a build
stops."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import NamedTuple, TypeVar

from dindlint.findings import Found
from dindlint.model import CiJob, Dockerfile, IdentityEvent, IdInUse, Service, UnknownName
from dindlint.project import Project
from dindlint.topology import Topology

EventT = TypeVar("EventT", bound=IdentityEvent)


class Context(NamedTuple):
    project: Project
    topology: Topology


Check = Callable[[Context], Iterable[Found]]


def ci_job(ctx: Context) -> CiJob | None:
    """The GitLab CI job the project models (``dindlint.gitlab``), or None for compose."""
    return ctx.project.compose.ci if ctx.project.compose is not None else None


def environment_owners(ctx: Context) -> Iterator[tuple[str, Service]]:
    """The services whose ``environment`` a rule judges, by name: every service of a compose
    project; of a GitLab CI job, only the job's container (its services get the job's
    variables, so the job is the one judged)."""
    compose = ctx.project.compose
    if compose is None:
        return
    for name, service in sorted(compose.services.items()):
        if compose.ci is None or name == compose.ci.client:
            yield name, service


def dockerfile_events(ctx: Context, kind: type[EventT]) -> Iterable[tuple[EventT, Dockerfile]]:
    """Replay events of ``kind`` from every stage of every Dockerfile of the project (the
    Dockerfile-only rules run on every stage, built by compose or not)."""
    for dockerfile in ctx.project.dockerfiles:
        for event in _until_the_build_stops(dockerfile, ctx.topology.dockerfile_events(dockerfile)):
            if isinstance(event, kind):
                yield event, dockerfile


def _fatal(event: IdentityEvent) -> bool:
    """A command that fails the build (``RUN`` exits non-zero), unless it runs conditionally or
    the RUN handles its failure (``|| fallback``, ``|| true``, ``; true``)."""
    if event.conditional or event.command == "USER":
        return False
    return isinstance(event, (IdInUse, UnknownName)) and not event.handled


def _until_the_build_stops(
    dockerfile: Dockerfile, events: tuple[IdentityEvent, ...]
) -> list[IdentityEvent]:
    """One finding per cause: the build stops at a stage's first failing command, so what the
    replay notices after it in that stage, or in stages built FROM it, is a consequence."""
    by_name = {s.name.lower(): s.index for s in dockerfile.stages if s.name}
    parent = {s.index: by_name.get(s.base.value.lower()) for s in dockerfile.stages}

    def lineage(index: int) -> set[int]:
        seen: set[int] = set()
        current: int | None = index
        while current is not None and current not in seen:
            seen.add(current)
            current = parent.get(current)
        return seen

    failed: set[int] = set()
    kept: list[IdentityEvent] = []
    for event in events:
        if lineage(event.stage_index) & failed:
            continue
        kept.append(event)
        if _fatal(event):
            failed.add(event.stage_index)
    return kept
