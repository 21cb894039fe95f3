"""What the machine formats share (dindlint/report/common.py): the JSON writer is byte for byte
``json.dumps(indent=2, ensure_ascii=False)``, and within one set of reports a path is resolved
once (issue 18, many-socket-services: it was resolved once per finding and per format)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from dindlint.findings import Diagnostic
from dindlint.report.common import ReportContext, json_text, shown_path
from dindlint.report.formats import render
from dindlint.source import Span, reading_once, run_memo


class _Str(str):
    pass


class _Dict(dict):  # type: ignore[type-arg]
    pass


ODD_VALUES = [
    {},
    [],
    "",
    0,
    -7,
    10**40,
    True,
    False,
    None,
    1.5,
    -0.0,
    math.inf,
    -math.inf,
    math.nan,
    'é \u2028 \ud800 \x00 \n " \\ /',
    {"a": {}, "b": [], "c": [[]], "d": [{}], "e": {"f": {"g": [1, [2, {"h": "i\n"}]]}}},
    # False, not True: True == 1, so a True key would replace the int key's value
    {1: "int key", False: "bool key", None: "null key", 2.5: "float key"},
    (1, (2, {"x": ("y",)})),
    [None, True, 0, "", {"": ""}, 1.25],
    _Str("a str subclass"),
    _Dict(k=[_Dict(), _Str("v")]),
    {
        "findings": [
            {
                "rule": "DIND102",
                "line": 3,
                "endColumn": None,
                "related": [],
                "suppressed": {"justification": None},
            }
        ]
    },
]


@pytest.mark.parametrize("value", ODD_VALUES, ids=range(len(ODD_VALUES)))
def test_json_text_is_json_dumps_with_an_indent_of_two(value: object) -> None:
    assert json_text(value) == json.dumps(value, indent=2, ensure_ascii=False)


@pytest.mark.parametrize("value", [{(1,): 2}, {"a": object()}, [{1j}]])
def test_json_text_refuses_what_json_refuses(value: object) -> None:
    with pytest.raises(TypeError):
        json.dumps(value, indent=2)
    with pytest.raises(TypeError):
        json_text(value)


def _findings(path: Path, count: int) -> list[Diagnostic]:
    return [
        Diagnostic(
            Span(path, line, 5),
            "DIND102",
            "error",
            "host-socket-mount",
            "m",
            related=((Span(path, line + 1, 1), "here"),),
        )
        for line in range(1, count + 1)
    ]


def test_each_path_is_resolved_once_for_all_the_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compose = tmp_path / "compose.yaml"
    compose.write_text("services:\n" * 300, encoding="utf-8")
    diagnostics = _findings(compose, 200)
    resolved: list[Path] = []
    resolve = Path.resolve

    def counting(self: Path, strict: bool = False) -> Path:
        if self == tmp_path or tmp_path in self.parents:  # not dindlint's own files
            resolved.append(self)
        return resolve(self, strict)

    monkeypatch.setattr(Path, "resolve", counting)
    context = ReportContext(root=tmp_path)
    with reading_once():
        reports = [render(name, diagnostics, context) for name in ("sarif", "json", "gitlab")]
    assert sorted(set(resolved)) == [tmp_path, compose] and len(resolved) == 2
    assert all("compose.yaml" in report for report in reports)
    resolved.clear()
    render("json", diagnostics, context)  # a block of its own: resolved again
    assert len(resolved) == 2


def test_nothing_is_remembered_after_the_reports(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    link = tmp_path / "link"
    link.symlink_to("a")
    with reading_once():
        assert shown_path(link / "compose.yaml", tmp_path) == "a/compose.yaml"
    link.unlink()
    link.symlink_to("b")
    assert shown_path(link / "compose.yaml", tmp_path) == "b/compose.yaml"
    assert run_memo() is None
