"""The rule catalogue: every document valid, matching the registered checks one to one, and its
examples true: *Example* yields exactly its annotated findings, *Use instead* none of its rule."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest

from dindlint.catalogue import catalogue, parse
from dindlint.checks import CHECKS
from dindlint.engine import ENGINE_RULES
from tests.catalogue_examples import blocks, sections, write_project
from tests.conftest import REPO
from tests.expectations import describe, expectations, findings, lint

DOCS = catalogue()
REQUIRED_SECTIONS = [
    "What it does",
    "Why is this bad?",
    "Example",
    "Use instead",
    "Exceptions",
    "References",
]


def test_catalogue_and_checks_match_one_to_one() -> None:
    assert sorted(DOCS) == sorted([*CHECKS, *ENGINE_RULES])


def test_every_markdown_file_in_rules_is_a_rule_document() -> None:
    files = sorted(p.name for p in (REPO / "rules").glob("*.md"))
    assert files == sorted(doc.filename for doc in DOCS.values())
    for doc in DOCS.values():
        assert doc.filename == f"{doc.id}-{doc.name}.md"


@pytest.mark.parametrize("rule_id", sorted(DOCS))
def test_front_matter_is_valid(rule_id: str) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    from ruamel.yaml import YAML

    schema = json.loads(
        resources.files("dindlint").joinpath("data/rule-document.schema.json").read_text()
    )
    text = (REPO / "rules" / DOCS[rule_id].filename).read_text()
    front = YAML(typ="safe").load(text.split("---\n")[1])
    jsonschema.validate(front, schema)
    assert front["id"] == rule_id


@pytest.mark.parametrize("rule_id", sorted(DOCS))
def test_document_has_the_house_sections(rule_id: str) -> None:
    doc = DOCS[rule_id]
    assert doc.body.startswith(f"# {doc.id} {doc.name}\n")
    assert list(sections(doc.body)) == REQUIRED_SECTIONS
    assert doc.summary and len(doc.summary) <= 120
    assert "# dindlint: disable" in sections(doc.body)["Exceptions"]


def check_example(rule_id: str, text: str, folder: Path) -> str | None:
    """None when the document's examples are true, else what is wrong."""
    body = sections(parse(f"{rule_id}.md", text).body)
    example, use_instead = folder / "example", folder / "use-instead"
    write_project(body["Example"], example)
    write_project(body["Use instead"], use_instead)
    expected, actual = expectations(example), findings(example)
    if not any(rule == rule_id for (_, _, rule) in expected):
        return f"the Example of {rule_id} claims no {rule_id} finding"
    if expected != actual:
        return f"Example of {rule_id}: expected\n{describe(expected)}\nactual\n{describe(actual)}"
    wrong = {k: v for k, v in findings(use_instead).items() if k[2] == rule_id}
    if wrong:
        return f"Use instead of {rule_id} still yields:\n{describe(wrong)}"  # type: ignore[arg-type]
    # advice that another rule calls an error is no advice (a warning such as DIND102 on a
    # host socket mount may stay: it is the price of the setup, said once)
    errors = [
        f"{d.span.path.name}:{d.span.line} {d.rule_id}"
        for d in lint(use_instead)
        if d.severity == "error" and d.suppressed is None
    ]
    if errors:
        return f"Use instead of {rule_id} yields errors of other rules: {errors}"
    return None


@pytest.mark.parametrize("rule_id", sorted(DOCS))
def test_examples_are_true(rule_id: str, tmp_path: Path) -> None:
    text = (REPO / "rules" / DOCS[rule_id].filename).read_text()
    assert blocks(sections(parse("x.md", text).body)["Example"]), "the Example has no titled block"
    problem = check_example(rule_id, text, tmp_path)
    assert problem is None, problem


def test_a_broken_example_is_caught(tmp_path: Path) -> None:
    """The examples test can fail: drop the finding from DIND101's example (make it rw)."""
    text = (REPO / "rules" / DOCS["DIND101"].filename).read_text()
    broken = text.replace(":/var/run:ro", ":/var/run:rw")
    assert broken != text
    problem = check_example("DIND101", broken, tmp_path)
    assert problem is not None and "expected" in problem


def test_an_example_yielding_an_unclaimed_rule_is_caught(tmp_path: Path) -> None:
    """A finding of another rule that the example does not claim fails the test too."""
    text = (REPO / "rules" / DOCS["DIND102"].filename).read_text()
    bind = "- /var/run/docker.sock:/var/run/docker.sock  # expect: DIND102"
    assert bind in text
    broken = text.replace(bind, "- /var/run/docker.sock:/var/run/docker.sock:ro  # expect: DIND102")
    problem = check_example("DIND102", broken, tmp_path)
    assert problem is not None and "DIND101" in problem
