"""Determinism (issue 7, part 4): the same input gives byte-identical output in every format,
across runs, ``--jobs`` values, directory traversal orders and (for formats whose paths are
relative to the repository root) the current directory inside the repository."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

import dindlint.discover as discover_module
from dindlint.cli import FORMATS, main

REPO = Path(__file__).resolve().parents[2]
TARGETS = [REPO / "examples", REPO / "tests" / "fixtures"]
# text and github annotations name files relative to the current directory (for people and
# for the runner's workspace); the others relative to the repository root
CWD_INDEPENDENT = [f for f in FORMATS if f not in ("text", "github")]


def run(fmt: str, *extra: str, cwd: Path = REPO) -> bytes:
    old = Path.cwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(
            main,
            [
                "check",
                "--no-config",
                "--color",
                "never",
                "--format",
                fmt,
                *extra,
                *map(str, TARGETS),
            ],
        )
    finally:
        os.chdir(old)
    assert result.exit_code in (0, 1), result.output
    return result.stdout_bytes


@pytest.mark.parametrize("fmt", FORMATS)
def test_same_output_across_runs_and_jobs(fmt: str) -> None:
    first = run(fmt, "--jobs", "1")
    assert first
    assert run(fmt, "--jobs", "1") == first
    assert run(fmt, "--jobs", "2") == first
    assert run(fmt, "--jobs", "4") == first


@pytest.mark.parametrize("fmt", CWD_INDEPENDENT)
def test_same_output_from_any_directory_of_the_repository(fmt: str) -> None:
    assert run(fmt, cwd=REPO / "tests") == run(fmt, cwd=REPO)


def test_same_output_whatever_the_traversal_order(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = {fmt: run(fmt) for fmt in ("text", "sarif")}
    real_scandir, real_listdir = os.scandir, os.listdir

    class Reversed:
        def __init__(self, path: object = ".") -> None:
            with real_scandir(path) as entries:  # type: ignore[arg-type]
                self.entries = iter(sorted(entries, key=lambda e: e.name, reverse=True))

        def __iter__(self):  # type: ignore[no-untyped-def]
            return self

        def __next__(self):  # type: ignore[no-untyped-def]  # an iterator, as scandir's is
            return next(self.entries)

        def __enter__(self):  # type: ignore[no-untyped-def]
            return self

        def __exit__(self, *args: object) -> None:
            return None

        def close(self) -> None:
            return None

    monkeypatch.setattr(discover_module.os, "scandir", Reversed)
    monkeypatch.setattr(
        discover_module.os, "listdir", lambda p=".": sorted(real_listdir(p), reverse=True)
    )
    for fmt, output in expected.items():
        assert run(fmt) == output
