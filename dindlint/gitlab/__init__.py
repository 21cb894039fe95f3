"""GitLab CI files (``.gitlab-ci.yml``, ``*.gitlab-ci.yml``) loaded into the compose model: each
job of a pipeline becomes a ``ComposeProject`` whose ``ci`` says which service is the job.

``resolve`` merges a pipeline's local includes and resolves ``!reference`` and ``extends``;
``jobs`` maps each job to services named as the runner names them, with the variables GitLab
passes to them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from dindlint.gitlab.jobs import job_project
from dindlint.gitlab.resolve import (
    Resolved,
    child_pipelines,
    is_ci_name,
    jobs_of,
    resolve_file,
)
from dindlint.model import ComposeProject
from dindlint.source import Problem

__all__ = ["is_ci_name", "pipeline_projects"]

MAX_PIPELINES = 1000  # child pipelines followed, in all


def pipeline_projects(
    paths: tuple[Path, ...],
    root_of: Callable[[Path], Path],
    runner_env: Mapping[str, str] | None = None,
) -> list[ComposeProject]:
    """One project per job of each pipeline among ``paths``. A file another of them includes
    locally is linted as part of that pipeline, not as a pipeline of its own (unless it
    includes that one in turn). ``root_of`` gives a file's repository root, from which local
    includes resolve."""
    resolved = {path: resolve_file(path, root_of(path)) for path in paths}
    # child pipelines (`trigger: include: local`) are pipelines of their own, whatever their name
    queue = list(resolved.values())
    forwarded: set[Path] = set()
    while queue and len(resolved) < MAX_PIPELINES:
        for child, forwards in child_pipelines(queue.pop(), root_of):
            if forwards:
                forwarded.add(child)
            if child not in resolved:
                resolved[child] = resolve_file(child, root_of(child))
                queue.append(resolved[child])
    for child in forwarded & resolved.keys():
        resolved[child] = resolved[child]._replace(forwarded_variables=True)
    readers: dict[Path, set[Path]] = {}
    for path, result in resolved.items():
        for included in result.includes:
            if included != path:
                readers.setdefault(included, set()).add(path)
    projects: list[ComposeProject] = []
    for path, result in resolved.items():
        own = set(result.includes)
        if any(reader not in own for reader in readers.get(path, ())):
            continue
        projects.extend(_projects(result, runner_env))
    return projects


def _projects(resolved: Resolved, runner_env: Mapping[str, str] | None) -> list[ComposeProject]:
    problems = list(resolved.problems)
    jobs = jobs_of(resolved, problems)
    found: list[ComposeProject] = []
    for job in jobs:
        found.append(job_project(resolved, job, list(problems), runner_env))
    if found:
        return _naming_the_jobs_not_judged(found)
    # no job to judge: only what stopped the loading is reported, and for a file that is not a
    # template library (hidden jobs only), the includes it could not read
    library = resolved.top is not None and any(k.startswith(".") for k in resolved.top.entries)
    kept = tuple(p for p in problems if p.rule_id in ("DIND001", "DIND002") or not library)
    return [_empty(resolved, kept)]


def _naming_the_jobs_not_judged(projects: list[ComposeProject]) -> list[ComposeProject]:
    """Each DIND003 of an include the pipeline could not read names the jobs that use Docker
    and are not judged while it is unread (a user saw one info line and none of the findings it
    held back)."""
    names = [
        p.ci.name
        for p in projects
        if p.ci is not None and not p.ci.judged and (p.ci.daemon_services or p.ci.docker_host)
    ]
    if not names:
        return projects
    shown = ", ".join(f"`{n}`" for n in names[:_JOBS_NAMED])
    more = f" and {len(names) - _JOBS_NAMED} more" if len(names) > _JOBS_NAMED else ""
    note = f"; not judged while it is unread: job{'s' if len(names) > 1 else ''} {shown}{more}"

    def named(problem: Problem) -> Problem:
        if problem.rule_id != "DIND003" or "include" not in problem.message:
            return problem
        return problem._replace(message=problem.message + note)

    return [p._replace(problems=tuple(named(q) for q in p.problems)) for p in projects]


_JOBS_NAMED = 5


def _empty(resolved: Resolved, problems: tuple[Problem, ...]) -> ComposeProject:
    return ComposeProject(
        name=resolved.path.name,
        directory=resolved.path.parent,
        files=resolved.files or (resolved.path,),
        services={},
        volumes={},
        problems=problems,
    )
