"""Every Dockerfile of the shared corpus loads without an exception (read-only data)."""

from __future__ import annotations

import fnmatch
from pathlib import Path

import pytest

from dindlint.dockerfile import load_dockerfile
from tests.conftest import SHARED

CORPUS = SHARED / "corpus"
PATTERNS = (
    "Dockerfile", "Dockerfile.*", "*.Dockerfile", "*.dockerfile", "dockerfile", "Containerfile"
)  # fmt: skip


def corpus_dockerfiles() -> list[Path]:
    return sorted(
        path
        for path in CORPUS.rglob("*")
        if any(fnmatch.fnmatchcase(path.name, pattern) for pattern in PATTERNS)
    )


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not present")
def test_corpus_loads() -> None:
    files = corpus_dockerfiles()
    assert files
    for path in files:
        df = load_dockerfile(path)
        if path.is_file():
            assert len(df.lines) == len(path.read_bytes().splitlines()) or df.problems, path
        # the catch-all in load_dockerfile must not be what kept us alive
        assert not any("cannot parse" in p.message for p in df.problems), (path, df.problems)
        for stage in df.stages:
            for instruction in stage.instructions:
                assert instruction.span.line <= instruction.span.end_line
                for command in instruction.commands:
                    assert command.argv
                    assert instruction.span.line <= command.span.line <= instruction.span.end_line
