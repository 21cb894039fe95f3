"""The state of one run, in one place: what was global before is a field of ``Session``.

A run (``pipeline.analyse``, or a worker process of ``parallel``) makes a ``Session`` from its
``Settings`` and activates it; every stage that needs run state asks ``current()`` for it:

- ``boundary``: what the run may open (``source.read_input``), and the settings' ``overlay``:
  the edited contents a fix run reads instead of the files';
- ``memo``: the bytes read and the trees parsed once per run (``source.reading_once``);
- ``extra_images``: the configuration's ``images:`` entries, consulted before the built-in
  knowledge base (``images.knowledge.lookup``), with the lookups made under them;
- ``replayers`` and ``image_identities``: replayed Dockerfiles and frozen image identities,
  reused by the services and rules of a project (``images``);
- ``enabled_checks``: the checks the configuration selects (``engine``).

The active session lives in a ``ContextVar``: nothing leaks from one run into the next, and two
sessions (a test's and the run it makes) never share a memo. Outside any run the default session
applies: no boundary (any file but ``/proc``, ``/sys`` and ``/dev``), no memo, no configured
images; a library caller gets what it asks for, and nothing is kept beyond the bounded caches.

This module is a leaf: it imports no other stage (the types it names are for annotations only).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from dindlint.config import Config
    from dindlint.source import ReadBoundary


class Settings(NamedTuple):
    """What a run is asked to do, besides the files: picklable, so that a worker process builds
    its own session from it (nothing depends on state inherited through ``fork``)."""

    config: Config
    environ: Mapping[str, str] | None = None  # the process environment, when `--use-env`
    env_files: tuple[Path, ...] | None = None
    inline_suppressions: bool = True
    # what the run may open (``source.ReadBoundary``); None: any file but /proc, /sys, /dev
    boundary: ReadBoundary | None = None
    # the contents a fix gives files, in memory (real path → bytes): ``source.read_input``
    # returns these instead of the file's bytes (``dindlint check --fix`` verifies its edits
    # by analysing again; nothing is written until they are kept)
    overlay: Mapping[str, bytes] | None = None


@dataclass(eq=False, repr=False)
class Session:
    """The mutable state of one run. Made by ``pipeline.new_session`` (from ``Settings``), or
    empty: the default session of a library caller."""

    settings: Settings | None = None
    boundary: ReadBoundary | None = None
    memo: dict[tuple[str, object], object] | None = None
    # compiled ``images:`` entries, (matcher, KnownImage) pairs (``images.knowledge``)
    extra_images: tuple[tuple[Any, Any], ...] = ()
    lookups: dict[str, Any] = field(default_factory=dict)
    replayers: OrderedDict[int, Any] = field(default_factory=OrderedDict)
    image_identities: dict[str, Any] = field(default_factory=dict)
    enabled_checks: list[tuple[str, Any]] | None = None


_DEFAULT = Session()
_current: ContextVar[Session] = ContextVar("dindlint_session", default=_DEFAULT)


def current() -> Session:
    """The session of the run in progress (the default session outside a run)."""
    return _current.get()


@contextmanager
def active(session: Session) -> Iterator[Session]:
    """Within this block ``current()`` is ``session``."""
    token = _current.set(session)
    try:
        yield session
    finally:
        _current.reset(token)


def activate_for_life(session: Session) -> None:
    """Make ``session`` current for the rest of this process's main context (a worker process,
    whose life is one run)."""
    _current.set(session)
