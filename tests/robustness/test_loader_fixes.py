"""One test per loader bug found by the robustness work (issue 7); no oracle needed."""

from __future__ import annotations

import time
from pathlib import Path

from dindlint.compose import is_compose_document, load_project
from dindlint.discover import discover
from dindlint.dockerfile import load_dockerfile
from dindlint.project import Loader, build_projects


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_merge_key_bomb_is_not_expanded(tmp_path: Path) -> None:
    # each anchor merges the previous one and holds it twice: 3^22 paths, one small DAG
    lines = ["x-a: &a0 {A: '1'}"] + [
        f"x-{i}: &a{i} {{<<: [*a{i - 1}], k{i}: *a{i - 1}, j{i}: *a{i - 1}}}" for i in range(1, 23)
    ]
    path = write(
        tmp_path / "compose.yaml",
        "\n".join(lines) + "\nservices:\n  s:\n"
        "    image: x\n    labels: *a22\n    environment: {A: '1'}\n",
    )
    start = time.perf_counter()
    project = load_project([path])
    assert time.perf_counter() - start < 10  # was exponential: never finished (OOM)
    assert project.services["s"].environment["A"].value == "1"


def test_deep_nesting_is_dind001_not_a_crash(tmp_path: Path) -> None:
    # 100 000 nested `[` crashed the interpreter (SIGSEGV) in the C composer
    path = write(
        tmp_path / "compose.yaml",
        "services:\n  s:\n    command: " + "[" * 100_000 + "]" * 100_000 + "\n",
    )
    project = load_project([path])
    assert [p.rule_id for p in project.problems] == ["DIND001"]
    assert "nested deeper" in project.problems[0].message
    # passed by another name, it is still taken for compose, so that DIND001 says why it is not
    # analysed (the events that tell it are read without recursion)
    assert is_compose_document(path)
    shallow = write(
        tmp_path / "ok.yaml", "services:\n  s:\n    command: " + "[" * 150 + "]" * 150 + "\n"
    )
    assert not [p for p in load_project([shallow]).problems if p.rule_id == "DIND001"]


def test_many_flow_lists_with_colon_paths_still_parse(tmp_path: Path) -> None:
    # 1,200 flow lists of `[a:/b]`, which libyaml refuses unless their colons are masked
    body = "".join(f"  s{i}:\n    image: x\n    volumes: [/a:/b{i}]\n" for i in range(1200))
    project = load_project([write(tmp_path / "compose.yaml", "services:\n" + body)])
    assert not project.problems and len(project.services) == 1200


def test_lone_dollar_is_literal(tmp_path: Path) -> None:
    path = write(
        tmp_path / "compose.yaml",
        "services:\n  s:\n    image: x\n    environment:\n"
        "      HASH: ${UNSET:-$2a$14$abc.def}\n      PRICE: 5$\n",
    )
    env = load_project([path]).services["s"].environment
    assert env["PRICE"].value == "5$" and env["HASH"].value.startswith("$2a$14")


def test_key_without_value_takes_the_dotenv_value(tmp_path: Path) -> None:
    write(tmp_path / ".env", "DOCKER_HOST=tcp://dind:2376\nV=1\n")
    path = write(
        tmp_path / "compose.yaml",
        "services:\n  s:\n    build: {context: ., args: [V]}\n"
        "    environment: [DOCKER_HOST, OTHER]\n",
    )
    service = load_project([path]).services["s"]
    assert service.environment["DOCKER_HOST"].value == "tcp://dind:2376"
    assert service.environment["OTHER"].value is None
    assert service.build is not None and service.build.args["V"].value == "1"


def test_compose_project_name_variable(tmp_path: Path) -> None:
    path = write(
        tmp_path / "My.Stack" / "compose.yaml",
        "services:\n  s:\n    image: x\n    volumes:\n      - /tmp/${COMPOSE_PROJECT_NAME}:/d\n",
    )
    assert load_project([path]).services["s"].volumes[0].source == "/tmp/mystack"


def test_mutual_includes_are_still_linted(tmp_path: Path) -> None:
    for this, other in (("a", "b"), ("b", "a")):
        write(
            tmp_path / this / "compose.yaml",
            f"include: [../{other}/compose.yaml]\nservices: {{{this}: {{image: x}}}}\n",
        )
    projects = build_projects(discover([tmp_path]), Loader())
    assert projects, "both projects were dropped as 'referenced': nothing was linted"


def test_symlink_loop_in_a_scanned_folder(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").symlink_to(tmp_path / "Dockerfile")
    write(tmp_path / "compose.yaml", "services: {s: {image: x}}\n")
    found = discover([tmp_path])
    assert found.compose_files and not found.dockerfiles


def test_many_heredocs_are_linear(tmp_path: Path) -> None:
    path = write(tmp_path / "Dockerfile", "FROM alpine\n" + "RUN <<EOF\ntrue\nEOF\n" * 10_000)
    start = time.perf_counter()
    dockerfile = load_dockerfile(path)
    assert time.perf_counter() - start < 20  # was quadratic: ~30 s
    assert len(dockerfile.stages[0].instructions) == 10_000


def test_long_stage_chain_replays_without_recursion(tmp_path: Path) -> None:
    from dindlint.images import identity_for_build

    text = "FROM alpine AS s0\n" + "".join(f"FROM s{i - 1} AS s{i}\n" for i in range(1, 250))
    dockerfile = load_dockerfile(write(tmp_path / "Dockerfile", text + "USER nobody\n"))
    assert not dockerfile.problems and len(dockerfile.stages) == 250
    identity_for_build(dockerfile, None, None)  # was RecursionError past ~300 chained stages
    too_many = load_dockerfile(write(tmp_path / "x" / "Dockerfile", "FROM a\n" * 300))
    assert "build stages" in too_many.problems[0].message
