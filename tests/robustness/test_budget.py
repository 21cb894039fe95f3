"""The budget of issue 18: no input of a few KB may take minutes, gigabytes, or crash the run.

For each row of the issue's table (tests/robustness/hostile_inputs.py ``ROWS``) the hostile
input at four times the table's size is checked by a fresh process (``test_bounds.run_bounded``)
in under 10 s and 500 MB, and every report the row is measured with is written and parses. For
each crash the issue lists (``CRASHES``) the run ends in a report in every format, and the
project's ordinary finding (a host socket mount in another service) is still in it.

A configuration or baseline that dindlint cannot use may instead be refused the way an invalid
one always is: exit 2 with one line ``dindlint: FILE: …`` naming it, never a traceback or an
"internal error" (``Hostile.refusal_allowed``).

The address space of each run is capped (``MEMORY_CAP_MB``) so that an unbounded expansion
fails here with MemoryError instead of taking the machine's memory from whatever else runs.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from dindlint import source
from tests.robustness.hostile_inputs import (
    CRASHES,
    MAX_FILE_BYTES,
    ROWS,
    Hostile,
    check_arguments,
    report_path,
)
from tests.robustness.test_bounds import run_bounded

SCALE = 4  # the issue: "the hostile file at 4x the size above"
TIME_BOUND_S = 10.0
RSS_BOUND_MB = 500.0
# 8x the memory bound: over the bound fails the test all the same, this only keeps the machine
MEMORY_CAP_MB = 4096
_TEXT_SUMMARY = ("Found ", "No problems found")


def _run(
    hostile: Hostile,
    reports: Path,
    baseline: Path | None = None,
    time_bound_s: float = TIME_BOUND_S,
    rss_bound_mb: float = RSS_BOUND_MB,
) -> dict:
    """Run dindlint on ``hostile`` within the bounds; its stats (see ``run_bounded``)."""
    codes = (0, 1, 2) if hostile.refusal_allowed else (0, 1)
    _, stats = run_bounded(
        *check_arguments(hostile, reports, baseline),
        options=(),
        time_bound_s=time_bound_s,
        rss_bound_mb=rss_bound_mb,
        codes=codes,
        cwd=hostile.cwd or reports,
        memory_cap_mb=MEMORY_CAP_MB,
    )
    return stats


def _refused(hostile: Hostile, stats: dict) -> bool:
    """True when the run refused the configuration or baseline (and did so properly)."""
    if stats["code"] != 2:
        return False
    message = stats["stderr"].strip().splitlines()[-2]  # the last line is run_bounded's stats
    assert message.startswith("dindlint: ") and "internal error" not in message, message
    return True


def _parse_report(report_format: str, path: Path) -> list[str]:
    """Parse the ``report_format`` report at ``path``; the rule ids of the findings it shows."""
    text = path.read_text(encoding="utf-8")
    if report_format == "text":
        lines = [line for line in text.split("\n") if line.strip()]
        assert lines and lines[-1].startswith(_TEXT_SUMMARY), lines[-3:]
        return [word for line in lines for word in line.split()[2:3] if word.startswith("DIND")]
    if report_format == "github":
        lines = [line for line in text.split("\n") if line.strip()]
        assert all(line.startswith("::") for line in lines), lines[:3]
        return [line.split("title=", 1)[1].split()[0] for line in lines if "title=" in line]
    if report_format == "junit":
        root = ElementTree.fromstring(text)
        return [failure.get("type", "") for failure in root.iter("failure")]
    data = json.loads(text)
    if report_format == "sarif":
        return [result["ruleId"] for run in data["runs"] for result in run["results"]]
    if report_format == "json":
        return [finding["rule"] for finding in data["findings"]]
    assert report_format == "gitlab", report_format
    return [finding["check_name"] for finding in data]


def _check_reports(hostile: Hostile, reports: Path) -> None:
    for report_format in hostile.formats:
        rules = _parse_report(report_format, report_path(reports, report_format))
        if hostile.expected_rule is not None:
            assert hostile.expected_rule in rules, (report_format, sorted(set(rules)))
    if hostile.expected_excerpt is not None:
        _check_excerpt(hostile, report_path(reports, "text"))


def _check_excerpt(hostile: Hostile, text_report: Path) -> None:
    """The line shown under each of the expected rule's findings is the line it points at."""
    lines = text_report.read_text(encoding="utf-8").split("\n")
    shown = [
        lines[i + 1] for i, line in enumerate(lines[:-1]) if f" {hostile.expected_rule} " in line
    ]
    assert shown and all(hostile.expected_excerpt in line for line in shown), shown


def test_the_generators_know_the_file_size_cap() -> None:
    assert MAX_FILE_BYTES == source.MAX_FILE_BYTES


@pytest.mark.parametrize("name", sorted(ROWS))
def test_hostile_row_at_four_times_its_size_is_within_budget(tmp_path: Path, name: str) -> None:
    _check_row(tmp_path, name, TIME_BOUND_S, RSS_BOUND_MB)


def _check_row(tmp_path: Path, name: str, time_bound_s: float, rss_bound_mb: float) -> None:
    hostile = ROWS[name](tmp_path / "project", SCALE)
    reports = tmp_path / "reports"
    reports.mkdir()
    stats = _run(hostile, reports, time_bound_s=time_bound_s, rss_bound_mb=rss_bound_mb)
    if not _refused(hostile, stats):
        _check_reports(hostile, reports)
    if hostile.write_baseline:
        baseline = reports / "baseline.json"
        stats = _run(hostile, reports, baseline, time_bound_s, rss_bound_mb)
        assert stats["code"] == 0
        recorded = json.loads(baseline.read_text(encoding="utf-8"))
        assert recorded["findings"], "the baseline records the findings"


@pytest.mark.parametrize("name", sorted(CRASHES))
def test_crashing_input_gets_a_report(tmp_path: Path, name: str) -> None:
    hostile = CRASHES[name](tmp_path / "project", 1)
    reports = tmp_path / "reports"
    reports.mkdir()
    stats = _run(hostile, reports)
    if not _refused(hostile, stats):
        _check_reports(hostile, reports)
