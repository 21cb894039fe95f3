"""The import layers of docs/architecture.md: no module imports a higher layer, and no cycle.

The layer order is read from the document itself (the list between ``<!-- layers:start -->`` and
``<!-- layers:end -->``): one line per layer, lowest first, ``N. `module`, `module` - what``. A
module of a package belongs to the package's layer. Every import counts, at module level or
inside a function, except those under ``if TYPE_CHECKING:`` (annotations only).
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

from tests.conftest import REPO

PACKAGE = REPO / "dindlint"
ARCHITECTURE = REPO / "docs/architecture.md"


def layers() -> dict[str, int]:
    """Layer of each top-level module or package (``dindlint.compose`` → its number)."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    block = text.split("<!-- layers:start -->", 1)[1].split("<!-- layers:end -->", 1)[0]
    found: dict[str, int] = {}
    for line in block.splitlines():
        match = re.match(r"^(\d+)\. (.*?) [-—] ", line)
        if match:
            for name in re.findall(r"`([\w.]+)`", match.group(2)):
                found[f"dindlint.{name}" if name != "dindlint" else name] = int(match.group(1))
    return found


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def unit(module: str) -> str:
    """The layered unit of ``module``: ``dindlint.compose.merge`` → ``dindlint.compose``."""
    return ".".join(module.split(".")[:2])


def _under_type_checking(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return True
    return False


def imports(path: Path, known: set[str]) -> set[str]:
    """The dindlint modules ``path`` imports (``from dindlint.x import y`` counts ``x.y`` when it
    is a module, else ``x``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found: set[str] = set()
    for node in ast.walk(tree):
        if _under_type_checking(node, parents):
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] != "dindlint":
                continue
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                found.add(full if full in known else node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "dindlint")
    return found


@functools.cache
def import_graph() -> dict[str, set[str]]:
    paths = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    known = set(paths)
    return {module: imports(path, known) - {module} for module, path in paths.items()}


def test_every_module_has_a_layer() -> None:
    order = layers()
    missing = sorted({unit(m) for m in import_graph()} - set(order))
    assert not missing, f"add to docs/architecture.md's layer list: {missing}"


def test_no_import_goes_up_a_layer() -> None:
    order = layers()
    against = sorted(
        f"{module} ({order[unit(module)]}) imports {target} ({order[unit(target)]})"
        for module, targets in import_graph().items()
        for target in targets
        if order.get(unit(target), 0) > order.get(unit(module), 0)
    )
    assert not against, "\n".join(against)


def test_no_import_cycle() -> None:
    graph = import_graph()
    state: dict[str, int] = {}  # 1: on the path, 2: done
    cycles: list[list[str]] = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


def test_the_checker_sees_a_violation(tmp_path: Path) -> None:
    """The walk is not vacuous: it finds imports at module level and inside functions, and skips
    those only made for annotations."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from typing import TYPE_CHECKING\n"
        "from dindlint.source import Span\n"
        "if TYPE_CHECKING:\n"
        "    from dindlint.config import Config\n"
        "def f():\n"
        "    from dindlint.report import text\n",
        encoding="utf-8",
    )
    known = {"dindlint.source", "dindlint.report", "dindlint.report.text", "dindlint.config"}
    assert imports(sample, known) == {"dindlint.source", "dindlint.report.text"}
    assert layers()["dindlint.source"] < layers()["dindlint.report"]


# Beyond the order: modules that must not reach past the stage before them.
NARROWER = {
    # rules read the project and its topology, never the loaders or the image replay directly
    "dindlint.checks": {"dindlint.compose", "dindlint.dockerfile", "dindlint.images"},
    # report formats write diagnostics: no stage of the analysis
    "dindlint.report": {
        "dindlint.compose",
        "dindlint.dockerfile",
        "dindlint.images",
        "dindlint.project",
        "dindlint.topology",
        "dindlint.checks",
        "dindlint.engine",
        "dindlint.pipeline",
    },
}


def test_rules_and_reports_do_not_reach_past_their_inputs() -> None:
    against = sorted(
        f"{module} imports {target}"
        for module, targets in import_graph().items()
        for target in targets
        if unit(target) in NARROWER.get(unit(module), set())
    )
    assert not against, "\n".join(against)
