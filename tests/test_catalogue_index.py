"""The catalogue index (dindlint/data/catalogue.json) is what the rule documents give."""

from __future__ import annotations

from dindlint.catalogue import INDEX_FILE, catalogue, index_of_documents, parse


def test_the_index_is_built_from_the_rule_documents() -> None:
    assert INDEX_FILE.read_text(encoding="utf-8") == index_of_documents(), (
        "rules/ changed: run `python scripts/catalogue_index.py`"
    )


def test_the_catalogue_is_the_documents_read_in_full() -> None:
    from dindlint.catalogue import _documents

    read = {doc.id: doc for doc in (parse(name, text) for name, text in _documents())}
    assert catalogue() == read


def test_the_index_notices_a_changed_severity() -> None:
    """Not vacuous: a document edited without rebuilding the index differs from it."""
    from dindlint.catalogue import _documents, build_index

    documents = _documents()
    name, text = documents[0]
    edited = [(name, text.replace("severity: error", "severity: info", 1)), *documents[1:]]
    assert "severity: error" in text
    assert build_index(edited) != index_of_documents()
