"""The fast path (ADR 006): C parser where installed, lazy imports, files read once, and the
benchmark's generator (a smoke run, no timing asserted)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from dindlint.cli import main
from dindlint.compose.yamlnodes import make_yaml, parser_description
from tests.conftest import REPO

BENCH = REPO / "bench"


def _load(name: str):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(BENCH))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCH))
    return module


def test_compose_files_use_the_c_parser_when_installed() -> None:
    pytest.importorskip("_ruamel_yaml")  # ruamel.yaml.clib
    assert make_yaml().Parser.__name__ == "CParser"
    assert parser_description().startswith("C ")


def test_debug_says_which_parser(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["check", "--debug", "--no-config", str(tmp_path)])
    assert "YAML parser: " in result.output


def test_compiled_knowledge_base_is_current() -> None:
    """A run reads images.json, the compiled twin of images.yaml: it must hold exactly what the
    YAML says, or an edit of the YAML would silently not take effect."""
    from ruamel.yaml import YAML

    from dindlint.images.knowledge import COMPILED_FILE, SOURCE_FILE, compile_source

    source = SOURCE_FILE.read_text(encoding="utf-8")
    compiled = COMPILED_FILE.read_text(encoding="utf-8")
    assert compiled == compile_source(source), (
        "dindlint/data/images.json is out of date: run `python scripts/compile_knowledge.py`"
    )
    # and JSON can say everything the YAML says (no integer keys turned into strings, …)
    assert json.loads(compiled)["images"] == YAML(typ="safe", pure=True).load(source)["images"]


def test_images_yaml_reads_the_same_with_both_parsers() -> None:
    """images.yaml means the same to the C loader (YAML 1.1 resolver) and the pure (YAML 1.2)
    one: entries copied into a configuration file read the same whichever parser reads them."""
    from ruamel.yaml import YAML

    from dindlint.images.knowledge import SOURCE_FILE

    text = SOURCE_FILE.read_text(encoding="utf-8")
    assert YAML(typ="safe", pure=False).load(text) == YAML(typ="safe", pure=True).load(text)


# Imported on demand only: a pre-commit run names its files and writes text, so it needs no
# schema validation, no git subprocess (no folder is walked), no fingerprints (SARIF, baseline),
# no process pool, no other report format, and no importlib.resources (data is read by path).
NOT_FOR_A_PRECOMMIT_RUN = (
    "jsonschema",
    "subprocess",
    "hashlib",
    "importlib.resources",
    "tempfile",
    "multiprocessing",
    "concurrent.futures",
    "dindlint.graph",
    "dindlint.report.sarif",
    "dindlint.report.json_report",
    "dindlint.report.junit",
    "dindlint.report.gitlab",
)


def test_startup_imports_nothing_it_does_not_need() -> None:
    """`dindlint check` on the files a pre-commit hook passes pays only for what it uses."""
    code = (
        "import sys\nfrom dindlint.cli import main\n"
        "try:\n    main(['check', '--no-config', *sys.argv[1:]])\nexcept SystemExit:\n"
        "    pass\n"
        f"print(sorted(m for m in {NOT_FOR_A_PRECOMMIT_RUN!r} if m in sys.modules))"
    )
    files = [
        REPO / "examples/broken-dind/compose.yaml",
        REPO / "examples/broken-dind/runner/Dockerfile",
    ]
    proc = subprocess.run(
        [sys.executable, "-c", code, *map(str, files)],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert "DIND" in proc.stdout, proc.stdout + proc.stderr  # it did check them
    assert proc.stdout.strip().splitlines()[-1] == "[]", proc.stdout + proc.stderr


def test_a_file_shared_by_projects_is_read_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dindlint import source

    (tmp_path / "common.yml").write_text("services:\n  base:\n    image: alpine:3.20\n")
    for name in ("a", "b", "c"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "compose.yaml").write_text(
            "services:\n  app:\n    extends: {file: ../common.yml, service: base}\n"
        )
    reads: list[str] = []
    real = source._read_input
    monkeypatch.setattr(
        source, "_read_input", lambda p, limit: reads.append(str(p)) or real(p, limit)
    )
    result = CliRunner().invoke(main, ["check", "--no-config", "--jobs", "1", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert reads.count(str(tmp_path / "common.yml")) == 1
    assert len(reads) == len(set(reads))


def test_services_of_a_file_many_projects_include_are_worked_out_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 18, included-by-many: each includer worked out the image and daemon of every
    included service again; now the included part is checked once (``engine._part_findings``)
    and each includer's own service on its own."""
    from dindlint import topology

    (tmp_path / "shared.yaml").write_text(
        "services:\n"
        + "".join(f"  s{i}:\n    image: docker:dind\n    privileged: true\n" for i in range(5))
    )
    for index in range(6):
        (tmp_path / f"p{index}").mkdir()
        (tmp_path / f"p{index}" / "compose.yaml").write_text(
            f"include: [../shared.yaml]\nservices:\n  own{index}:\n    image: alpine:3.20\n"
        )
    asked: list[str] = []
    real = topology._as_daemon
    monkeypatch.setattr(
        topology,
        "_as_daemon",
        lambda service, image: asked.append(service.name) or real(service, image),
    )
    result = CliRunner().invoke(main, ["check", "--no-config", "--jobs", "1", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert sorted(asked) == sorted([*(f"s{i}" for i in range(5)), *(f"own{i}" for i in range(6))])


def test_benchmark_generator_and_dindlint_on_the_smallest_tree(tmp_path: Path) -> None:
    generate = _load("generate")
    files = generate.generate(tmp_path / "tree", 10)
    assert len(files) >= 10
    assert any(f.name.endswith(("compose.yaml", ".yml")) for f in files)
    assert any("ockerfile" in f.name for f in files)
    for jobs in ("1", "2"):
        proc = subprocess.run(
            [sys.executable, "-m", "dindlint", "check", "--no-config", "--jobs", jobs, "."],
            capture_output=True,
            text=True,
            cwd=tmp_path / "tree",
            check=False,
            env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
        )
        assert proc.returncode == 1, proc.stderr  # the templates carry known problems
        assert "internal error" not in proc.stderr and "DIND00" not in proc.stdout


def test_benchmark_script_runs_on_the_smallest_size(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            str(BENCH / "bench.py"),
            "--sizes",
            "10",
            "--repeat",
            "1",
            "--no-peers",
            "--workdir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "| tree 10 |" in proc.stdout and "| pre-commit |" in proc.stdout
