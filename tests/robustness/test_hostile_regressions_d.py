"""Hostile inputs of issue 18, Dockerfile loading: the row "21 ``RUN <<#x`` heredocs then an
800 KB continued ``RUN``" (68-71 s). dockerfile-parse, which grouped the lines into instructions,
is quadratic on a continued instruction's lines, and the loader ran it again after each heredoc
whose body fooled it; the loader now groups the lines itself, once.

The cost is measured in a fresh process (``test_bounds.run_bounded``); the bound leaves about ten
times the cost measured after the fix on a 2-core machine, far below the cost before it (written
beside it).
"""

from __future__ import annotations

from pathlib import Path

from tests.robustness.test_bounds import run_bounded

_HEREDOCS = "".join(f"RUN <<#x{i}\necho {i}\n#x{i}\n" for i in range(21))


def test_heredocs_then_a_continued_run_of_750000_lines_is_loaded_in_linear_time(
    tmp_path: Path,
) -> None:
    """3 MB: lines that hold no command (only a continuation) make the grouping the whole cost.
    Before: 63 s; after: 3.2 s, 320 MB."""
    blank_lines = 750_000
    (tmp_path / "Dockerfile").write_text(
        "FROM alpine:3.20\n"
        + _HEREDOCS
        + "RUN true \\\n"
        + "  \\\n" * blank_lines
        + "  && addgroup -S g \\\n  && addgroup -S g\nUSER 1000\n",
        encoding="utf-8",
    )
    out, _ = run_bounded(tmp_path, time_bound_s=30.0)
    # the second addgroup fails (DIND203) on the line it is written on, after the continuation
    line = 1 + 3 * 21 + 1 + blank_lines + 2
    assert f"Dockerfile:{line}:6: error DIND203" in out, out[-2000:]
