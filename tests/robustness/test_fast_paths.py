"""The fast paths of issue 6 give exactly what the general paths they short-cut give.

- compose/yamlnodes: the documents the event composer makes from libyaml's events
  (``_compose_c``) are those of ruamel's own ``YAML(typ="safe").compose_all`` converted by
  ``_Converter`` — same kinds, tags, values, styles, spans and problems — for every fixture and
  corpus YAML file and on generated text (guards against a ruamel release that changes the events
  it relies on).
- dockerfile/shell: the regular-expression tokenizer for text without quotes or escapes
  (``_tokenize_plain``) splits as shlex does (``_tokenize_shlex``), on generated shell text.
"""

from __future__ import annotations

from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given
from hypothesis import strategies as st

from dindlint.compose.yamlnodes import (
    _compose_c,
    _Converter,
    make_yaml,
)
from dindlint.dockerfile.shell import _tokenize_plain, _tokenize_shlex
from dindlint.source import Problem
from tests.compose.test_masked_colons import shape

pytestmark = pytest.mark.filterwarnings("ignore::ruamel.yaml.error.ReusedAnchorWarning")
TESTS = Path(__file__).resolve().parents[1]
CORPUS = TESTS.parents[1] / "shared" / "corpus"
PATH = Path("compose.yaml")


def _yaml_files() -> list[Path]:
    roots = [TESTS, TESTS.parent / "examples", CORPUS]
    return sorted(
        p
        for root in roots
        if root.is_dir()
        for p in root.rglob("*")
        if p.suffix in (".yml", ".yaml") and p.is_file()
    )


_YAML_PIECES_FOR_EVENTS = st.sampled_from(
    [
        "a",
        "b",
        ": ",
        "- ",
        "? ",
        "\n",
        "  ",
        "[",
        "]",
        "{",
        "}",
        ", ",
        "&x ",
        "*x",
        "&y ",
        "*y",
        "<<: ",
        "!!str ",
        "!reset ",
        "!override ",
        "'q'",
        '"d"',
        "|\n  t\n",
        "---\n",
        "~",
        "1",
        "null",
        "a: 1\n",
        "a: 2\n",
    ]
)


def _converted(text: str) -> tuple[list[object], list[object]] | None:
    """libyaml's node trees converted as the pure parser's are (``_Converter``), and the
    problems found; None when libyaml's composer refuses the text."""
    problems: list[Problem] = []
    try:
        converter = _Converter(PATH, problems)
        documents = [converter.convert(doc) for doc in make_yaml(False).compose_all(text)]
    except Exception:  # noqa: BLE001 - the event composer must then refuse too
        return None
    return [shape(d) for d in documents], sorted(problems)


def _composed_from_events(text: str) -> tuple[list[object], list[object]] | None:
    try:
        documents, problems = _compose_c(text, None, PATH)
    except Exception:  # noqa: BLE001
        return None
    return [shape(d) for d in documents], sorted(problems)


@pytest.mark.skipif(
    "CParser" not in make_yaml().Parser.__name__, reason="no libyaml (ruamel.yaml.clib) here"
)
def test_event_composer_gives_the_converted_node_trees() -> None:
    """``_EventComposer`` (libyaml's events straight to Y* nodes) gives what libyaml's own
    composer and ``_Converter`` give, problems included, on every YAML file at hand."""
    compared = 0
    for path in _yaml_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        expected = _converted(text)
        assert _composed_from_events(text) == expected, path
        compared += expected is not None
    assert compared > (150 if CORPUS.is_dir() else 40)


@given(st.lists(_YAML_PIECES_FOR_EVENTS, max_size=50).map("".join))
def test_event_composer_on_generated_text(text: str) -> None:
    assert _composed_from_events(text) == _converted(text)


_shell_text = st.lists(
    st.sampled_from(
        [
            "apt-get",
            "install",
            "-y",
            "docker",
            "&&",
            "||",
            "|",
            ";",
            ";;",
            "(",
            ")",
            "&",
            ">",
            ">>",
            "<",
            "2>&1",
            "$X",
            "${A:-b}",
            "$(id -u)",
            "a=b",
            "\t",
            " ",
            "  ",
            "\r",
            "\n",
            "x",
            "-G",
            "docker,wheel",
            "/var/run/docker.sock",
            "#",
            "*",
            "~",
            "{",
            "}",
        ]
    )
    | st.text(alphabet="ab1 -_./=;&|()<>\t\n$", max_size=6),
    max_size=25,
).map("".join)


@given(_shell_text)
def test_plain_tokenizer_splits_as_shlex(text: str) -> None:
    tokens = _tokenize_shlex(text, "\\")
    assert [(t.value, t.start, t.op, t.raw_first) for t in _tokenize_plain(text)] == [
        (t.value, t.start, t.op, t.raw_first) for t in tokens
    ]


def test_without_libyaml_every_text_is_read_by_the_pure_parser(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without ruamel.yaml.clib there is no event parser: the text goes to the pure parser (it
    used to reach the event composer and fail on the missing class)."""
    from dindlint.compose import yamlnodes

    text = "services:\n  a:\n    image: alpine:3.20\n    volumes: [/x:/y]\n"
    with_libyaml = yamlnodes.parse_text(PATH, text, [])
    monkeypatch.setattr(yamlnodes, "_c_parser", lambda: None)
    without = yamlnodes.parse_text(PATH, text, [])
    assert without.ok and [shape(d) for d in without.documents] == [
        shape(d) for d in with_libyaml.documents
    ]
