"""libyaml gets a second try with the colons YAML 1.2 reads inside plain scalars masked
(``yamlnodes._mask_plain_colons``): whenever that try is taken, the trees must be exactly the pure
parser's (values, tags, styles, spans), and a text the pure parser refuses must not be accepted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dindlint.compose import yamlnodes
from dindlint.compose.yamlnodes import YMap, YScalar, YSeq, parse_text
from tests.conftest import REPO, SHARED

PATH = Path("compose.yaml")


def shape(node: Any) -> Any:
    """Everything a converted node carries, as comparable tuples."""
    if isinstance(node, YScalar):
        return (
            "scalar",
            node.value,
            node.tag,
            node.is_null,
            node.quoted,
            node.mark,
            tuple(node.span),
        )
    if isinstance(node, YSeq):
        return ("seq", node.mark, tuple(node.span), tuple(shape(i) for i in node.items))
    assert isinstance(node, YMap)
    return (
        "map",
        node.mark,
        tuple(node.span),
        tuple((k, tuple(s), shape(v)) for k, (s, v) in node.entries.items()),
    )


def parsed(text: str, pure: bool) -> tuple[Any, list[str]]:
    problems: list[Any] = []
    result = parse_text(PATH, text, problems, pure=pure)
    return tuple(shape(d) for d in result.documents), sorted(p.message for p in problems)


def masked_try_taken(text: str) -> bool:
    """libyaml refuses ``text`` as written and accepts it masked."""
    try:
        yamlnodes._compose_c(text)
        return False
    except Exception:  # noqa: BLE001, S110 - any refusal: try the masked text
        pass
    masked = yamlnodes._mask_plain_colons(text)
    if masked is None:
        return False
    try:
        yamlnodes._compose_c(masked[0])
    except Exception:  # noqa: BLE001
        return False
    return True


def test_the_example_that_needs_it() -> None:
    text = (
        "services:\n  a:\n    volumes: [/var/run/docker.sock:/run/d.sock, 'x:y', 8080:80]\n"
        "    labels: {a.b:c: d, t: 2001-12-14 21:59:43}\n"
    )
    assert masked_try_taken(text)
    assert parsed(text, pure=False) == parsed(text, pure=True)


def _yaml_files() -> list[Path]:
    files = sorted(p for p in (REPO / "tests").rglob("*") if p.suffix in (".yml", ".yaml"))
    if (SHARED / "corpus").is_dir():
        files += sorted(p for p in (SHARED / "corpus").rglob("*") if p.suffix in (".yml", ".yaml"))
    return files


def test_every_yaml_file_at_hand_reads_as_the_pure_parser_reads_it() -> None:
    taken = 0
    for path in _yaml_files():
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if masked_try_taken(text):
            taken += 1
            assert parsed(text, pure=False) == parsed(text, pure=True), path
    assert taken >= 1  # tests/compose/fixtures/flow-colons holds flow collections with `a:/b`


_FLOW_ALPHABET = st.sampled_from(list("ab1/:-., []{}'\"#!&*?|\n") + [": ", ", ", "\t"])


@given(st.lists(_FLOW_ALPHABET, max_size=40).map("".join))
def test_generated_flow_text_reads_as_the_pure_parser_reads_it(body: str) -> None:
    for text in (f"k: [{body}]\n", f"k: {{{body}}}\n", body):
        if not masked_try_taken(text):
            continue
        pure = parsed(text, pure=True)
        assert not any(m.startswith("YAML syntax error") for m in pure[1]), (
            f"masked libyaml accepted what YAML 1.2 refuses: {text!r}"
        )
        assert parsed(text, pure=False) == pure, text


@pytest.mark.parametrize(
    "text",
    [
        "k: [a ,:b]\n",  # a `:` opening a token is not masked
        'k: ["a":/b]\n',  # after a quote: a JSON-like key's indicator
        "k: {a:,b}\n",  # followed by a flow indicator: an indicator
        "k: !<tag:yaml.org,2002:str> [x:y]\n",
    ],
)
def test_colons_that_are_not_part_of_a_plain_scalar_are_left_alone(text: str) -> None:
    if masked_try_taken(text):
        assert parsed(text, pure=False) == parsed(text, pure=True)
