"""Discovery: which files a scan picks, what it skips, and how files group into projects."""

from __future__ import annotations

import subprocess
from pathlib import Path

from dindlint.discover import discover
from dindlint.files import is_compose_name, is_dockerfile_name
from dindlint.project import Loader, build_projects, group_compose_files

COMPOSE = "services:\n  web:\n    image: nginx:1.27\n"


def _write(root: Path, relative: str, text: str = COMPOSE) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_names() -> None:
    for name in (
        "compose.yaml",
        "docker-compose.yml",
        "Docker-Compose.prod.YML",
        "dev.compose.yaml",
        "docker-stack.yml",
        "compose.override.yaml",
    ):
        assert is_compose_name(name), name
    for name in ("values.yaml", "docker.yml", ".gitlab-ci.yml"):
        assert not is_compose_name(name), name
    for name in (
        "Dockerfile",
        "Dockerfile.dev",
        "app.Dockerfile",
        "ubuntu.dockerfile",
        "Containerfile",
        "dockerfile",
    ):
        assert is_dockerfile_name(name), name
    for name in ("Dockerfile-notes.md", "dockerfiles", "README"):
        assert not is_dockerfile_name(name), name


def test_skips_vcs_dependencies_and_virtualenvs(tmp_path: Path) -> None:
    kept = _write(tmp_path, "app/compose.yaml")
    _write(tmp_path, ".git/compose.yaml")
    _write(tmp_path, "node_modules/pkg/docker-compose.yml")
    _write(tmp_path, "env/pyvenv.cfg", "home = /usr\n")
    _write(tmp_path, "env/lib/compose.yaml")
    _write(tmp_path, ".venv/compose.yaml")
    assert discover([tmp_path]).compose_files == (kept,)


def test_skips_git_ignored_paths(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text("generated/\n")
    kept = _write(tmp_path, "compose.yaml")
    _write(tmp_path, "generated/compose.yaml")
    assert discover([tmp_path]).compose_files == (kept,)


def test_explicit_yaml_is_compose_only_with_services(tmp_path: Path) -> None:
    stack = _write(tmp_path, "stack.yml")
    other = _write(tmp_path, "values.yml", "replicas: 3\n")
    assert discover([stack, other]).compose_files == (stack,)


def test_override_merges_into_the_default_base(tmp_path: Path) -> None:
    base = _write(tmp_path, "compose.yaml")
    override = _write(tmp_path, "compose.override.yaml")
    other = _write(tmp_path, "docker-compose.prod.yml")
    groups = group_compose_files(discover([tmp_path]).compose_files)
    assert sorted(groups) == sorted([(base, override), (other,)])


def test_override_passed_alone_finds_its_base(tmp_path: Path) -> None:
    base = _write(tmp_path, "docker-compose.yml")
    override = _write(tmp_path, "docker-compose.override.yml")
    assert group_compose_files((override,)) == [(base, override)]


def test_included_file_is_not_a_project_of_its_own(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "compose.yaml",
        "include:\n  - db/compose.yaml\nservices:\n  web:\n    image: nginx:1.27\n",
    )
    _write(tmp_path, "db/compose.yaml", "services:\n  db:\n    image: postgres:16\n")
    projects = build_projects(discover([tmp_path]), Loader())
    assert len(projects) == 1
    assert set(projects[0].compose.services) == {"web", "db"}


def test_lone_dockerfile_finds_the_compose_file_that_builds_it(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    _write(tmp_path, "deploy/compose.yaml", "services:\n  app:\n    build: ../src/app\n")
    dockerfile = _write(tmp_path, "src/app/Dockerfile", "FROM alpine:3.20\n")
    projects = build_projects(discover([dockerfile]), Loader())
    assert [p.compose.files[0].name for p in projects if p.compose] == ["compose.yaml"]
    assert projects[0].builds["app"].path == dockerfile


def test_unbuilt_dockerfile_is_its_own_project(tmp_path: Path) -> None:
    dockerfile = _write(tmp_path, "tools/Dockerfile", "FROM alpine:3.20\n")
    projects = build_projects(discover([tmp_path]), Loader())
    assert [(p.compose, [d.path for d in p.dockerfiles]) for p in projects] == [
        (None, [dockerfile])
    ]


def test_missing_path_is_reported(tmp_path: Path) -> None:
    assert discover([tmp_path / "nope"]).missing == (tmp_path / "nope",)
