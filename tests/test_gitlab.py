"""GitLab CI files: discovery, service names, variables, the runner's environment, hostile input,
and the real-world corpus (../shared/corpus-gitlab, read in place)."""

from __future__ import annotations

import re
import time
from collections import Counter
from pathlib import Path

import pytest

from dindlint.config import Config
from dindlint.discover import discover
from dindlint.engine import run_checks
from dindlint.gitlab import is_ci_name
from dindlint.gitlab.jobs import Variable, expand, host_names, image_kind, parse_ref, tls_by_default
from dindlint.project import Loader, build_projects
from dindlint.source import Span


def _lint(root: Path, runner_env: dict[str, str] | None = None) -> list[tuple[str, str, int]]:
    projects = build_projects(discover([root]), Loader(runner_env=runner_env))
    return [
        (d.rule_id, d.span.path.relative_to(root).as_posix(), d.span.line)
        for d in run_checks(projects, Config())
    ]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (".gitlab-ci.yml", True),
        (".GITLAB-CI.YML", True),
        ("build.gitlab-ci.yml", True),
        ("gitlab-ci.yml", False),
        (".gitlab-ci.yaml", False),
        ("compose.yaml", False),
    ],
)
def test_ci_file_names(name: str, expected: bool) -> None:
    assert is_ci_name(name) is expected


def test_discovery_finds_ci_files_and_included_ones_are_not_pipelines(tmp_path: Path) -> None:
    (tmp_path / "ci").mkdir()
    (tmp_path / ".gitlab-ci.yml").write_text("include: ci/jobs.gitlab-ci.yml\n")
    (tmp_path / "ci/jobs.gitlab-ci.yml").write_text(
        "job:\n  image: maven:3.9\n  services: [docker:27-dind]\n"
    )
    (tmp_path / "ci/other.GITLAB-CI.yml").write_text("x:\n  script: [true]\n")
    found = discover([tmp_path])
    assert [p.name for p in found.ci_paths()] == [
        ".gitlab-ci.yml",
        "jobs.gitlab-ci.yml",
        "other.GITLAB-CI.yml",
    ]
    assert found.compose_only() == ()
    # the job is reported once, as part of the pipeline that includes its file
    assert _lint(tmp_path) == [("DIND501", "ci/jobs.gitlab-ci.yml", 3)]


def test_a_custom_ci_path_is_linted_when_given(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.yml"
    path.write_text(
        "stages: [test]\njob:\n  image: python:3.12\n  services: [docker:27-dind]\n"
        "  script: [pytest]\n"
    )
    found = discover([path])
    assert found.ci_paths() == (path,)
    projects = build_projects(found, Loader())
    assert [d.rule_id for d in run_checks(projects, Config())] == ["DIND501"]
    # in a folder scan, a file of another name is not a pipeline
    assert discover([tmp_path]).compose_files == ()


@pytest.mark.parametrize(
    ("image", "names"),
    [
        ("docker:27-dind", ["docker"]),
        ("docker:dind@sha256:abc", ["docker"]),
        (
            "registry.example.com/library/docker:dind",
            ["registry.example.com__library__docker", "registry.example.com-library-docker"],
        ),
        (
            "registry.example.com:5000/docker:dind",
            ["registry.example.com__docker", "registry.example.com-docker"],
        ),
        ("tutum/wordpress:latest", ["tutum__wordpress", "tutum-wordpress"]),
    ],
)
def test_service_host_names(image: str, names: list[str]) -> None:
    assert host_names(parse_ref(image), image) == names


def test_a_name_built_from_an_unknown_prefix_is_never_docker() -> None:
    text, unknown = expand("${CI_DEPENDENCY_PROXY_GROUP_IMAGE_PREFIX}/docker:27-dind", {})
    assert unknown == {"CI_DEPENDENCY_PROXY_GROUP_IMAGE_PREFIX"}
    ref = parse_ref(text)
    assert image_kind(ref) == "dind"  # basename and tag are literal: still a daemon
    names = host_names(ref, "${CI_DEPENDENCY_PROXY_GROUP_IMAGE_PREFIX}/docker:27-dind")
    assert "docker" not in names


@pytest.mark.parametrize(
    ("image", "kind"),
    [
        ("docker:27", "docker"),
        ("docker.io/library/docker:cli", "docker"),
        ("registry.example.com/mirror/docker:27", "docker"),
        ("docker:27-dind", "dind"),
        ("maven:3.9", "official"),
        ("library/python:3.12", "official"),
        ("registry.example.com/team/builder:1", "other"),
        ("bitnami/kubectl:1.30", "other"),
    ],
)
def test_image_kinds(image: str, kind: str) -> None:
    assert image_kind(parse_ref(image)) == kind


@pytest.mark.parametrize(
    ("tag", "tls"),
    [
        ("dind", True),
        ("stable-dind", True),
        ("19.03-dind", True),
        ("27", True),
        ("18.09-dind", False),
    ],
)
def test_tls_default_by_version(tag: str, tls: bool) -> None:
    assert tls_by_default(parse_ref(f"docker:{tag}")) is tls


def test_variables_expand_nested_and_stop_at_expand_false() -> None:
    span = Span(Path("x"), 1)
    variables = {
        "A": Variable("tcp://$B:$C", span),
        "B": Variable("docker", span),
        "C": Variable("${D}", span),
        "D": Variable("2375", span),
        "E": Variable("$B", span, expand=False),
        "LOOP": Variable("$LOOP", span),
    }
    assert expand("$A", variables) == ("tcp://docker:2375", set())
    assert expand("$E and $$B", variables) == ("$B and $B", set())
    assert expand("$NOPE", variables)[1] == {"NOPE"}
    assert "LOOP" in expand("$LOOP", variables)[1]  # a cycle ends, unknown
    assert expand("tcp://docker:$[[ inputs.port ]]", variables) == ("tcp://docker:\0", {"inputs"})


_PLAIN_JOB = """\
job:
  image: docker:27
  services: [docker:27-dind]
  variables:
    DOCKER_HOST: tcp://docker:2375
  script: [docker info]
"""


def test_the_runner_environment_of_the_configuration(tmp_path: Path) -> None:
    (tmp_path / ".gitlab-ci.yml").write_text(_PLAIN_JOB)
    assert _lint(tmp_path) == [("DIND403", ".gitlab-ci.yml", 5)]
    # the runner injects DOCKER_TLS_CERTDIR="" into every job and its services: 2375 is served
    assert _lint(tmp_path, {"DOCKER_TLS_CERTDIR": ""}) == []


def test_the_runner_environment_key_is_read_from_the_configuration(tmp_path: Path) -> None:
    from dindlint.config import load_config

    path = tmp_path / ".dindlint.yaml"
    path.write_text('gitlab-runner-env:\n  DOCKER_TLS_CERTDIR: ""\n')
    assert load_config(path).gitlab_runner_env == {"DOCKER_TLS_CERTDIR": ""}


def test_dind403_on_a_job_says_the_runner_may_inject_variables(tmp_path: Path) -> None:
    (tmp_path / ".gitlab-ci.yml").write_text(_PLAIN_JOB)
    projects = build_projects(discover([tmp_path]), Loader())
    (diagnostic,) = run_checks(projects, Config())
    assert "runner injects" in diagnostic.message and "gitlab-runner-env" in diagnostic.message


def test_rules_that_read_what_a_ci_file_cannot_show_do_not_run(tmp_path: Path) -> None:
    """No `privileged` (runner configuration) and no certificate volume (runner volumes): the
    compose rules DIND401 and DIND404 would fire on the same model."""
    (tmp_path / ".gitlab-ci.yml").write_text(
        "job:\n  image: python:3.12\n  services: [docker:27-dind]\n  variables:\n"
        "    DOCKER_HOST: tcp://docker:2376\n    DOCKER_TLS_VERIFY: '1'\n"
        "    DOCKER_CERT_PATH: /certs/client\n"
    )
    assert _lint(tmp_path) == []


def test_an_alias_bomb_is_bounded(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 25):
        prev = f"*a{level - 1}"
        lines.append(f"a{level}: &a{level} [{', '.join([prev] * 10)}]")
    lines.append("job:\n  image: docker:27\n  services: [docker:27-dind]\n  script: *a24")
    lines.append(".t:\n  variables: !reference [a24]")
    (tmp_path / ".gitlab-ci.yml").write_text("\n".join(lines) + "\n")
    start = time.perf_counter()
    _lint(tmp_path)
    assert time.perf_counter() - start < 5


def test_deep_nesting_is_a_syntax_error_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / ".gitlab-ci.yml").write_text("job: " + "[" * 5000 + "]" * 5000 + "\n")
    assert [r for r, _, _ in _lint(tmp_path)] == ["DIND001"]


def test_an_include_cycle_and_a_path_out_of_the_repository(tmp_path: Path) -> None:
    (tmp_path / "outside.yml").write_text("variables: {DOCKER_HOST: tcp://evil:2375}\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / ".gitlab-ci.yml").write_text(
        "include:\n  - local: a.yml\n  - local: ../outside.yml\n"
        + _PLAIN_JOB.replace("  script:", "    DOCKER_TLS_CERTDIR: /certs\n  script:")
    )
    (repo / "a.yml").write_text("include: [.gitlab-ci.yml]\n")
    assert sorted(_lint(repo)) == [
        ("DIND003", ".gitlab-ci.yml", 3),  # not a file of this repository
        ("DIND403", ".gitlab-ci.yml", 8),  # the job sets all it rests on itself
    ]


# ----------------------------------------------------------------------------------------------
# The real-world corpus
# ----------------------------------------------------------------------------------------------

# Every finding other than DIND003 (one per unreadable include) on ../shared/corpus-gitlab, each
# folder linted as a repository of its own, hand-checked (verdicts in the closing note of
# issue 14).
CORPUS_FINDINGS = Counter(
    {
        ("DIND501", "Xyrodileas__vault-init/.gitlab-ci.yml", 13): 1,
        (
            "DIND001",
            "cookiecutter__cookiecutter-django/{{cookiecutter.project_slug}}/.gitlab-ci.yml",
            11,
        ): 1,
        ("DIND403", "shopware__shopware/.gitlab-ci.yml", 3): 3,
        ("DIND403", "svx__gitlab-ci-yml/Chef.gitlab-ci.yml", 13): 3,
    }
)


@pytest.fixture
def corpus(shared: Path) -> Path:
    folder = shared / "corpus-gitlab"
    if not folder.is_dir():
        pytest.skip("../shared/corpus-gitlab is not present")
    return folder


def test_corpus_findings_stay_as_checked(corpus: Path) -> None:
    found: Counter[tuple[str, str, int]] = Counter()
    for folder in sorted(p for p in corpus.iterdir() if p.is_dir()):
        projects = build_projects(discover([folder]), Loader())
        for d in run_checks(projects, Config()):
            if d.rule_id != "DIND003":
                found[(d.rule_id, d.span.path.relative_to(corpus).as_posix(), d.span.line)] += 1
    assert found == CORPUS_FINDINGS


def test_the_pre_commit_hooks_run_on_ci_files() -> None:
    from ruamel.yaml import YAML

    from tests.conftest import REPO

    hooks = YAML(typ="safe").load((REPO / ".pre-commit-hooks.yaml").read_text())
    for hook in (h for h in hooks if "files" in h):
        pattern = re.compile(hook["files"])  # pre-commit uses re.search
        for path in (".gitlab-ci.yml", "ci/build.gitlab-ci.yml", ".GITLAB-CI.YML"):
            assert pattern.search(path), (hook["id"], path)
        for path in ("gitlab-ci.yml", ".gitlab-ci.yml.j2", "ci/gitlab-ci.yaml"):
            assert not pattern.search(path), (hook["id"], path)


def test_the_tls_default_by_version_holds_for_compose(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n  dind:\n    image: docker:18.09-dind\n    privileged: true\n"
        "  client:\n    image: docker:18.09\n    environment:\n"
        "      DOCKER_HOST: tcp://dind:2376\n"
    )
    projects = build_projects(discover([tmp_path]), Loader())
    (diagnostic,) = run_checks(projects, Config())
    assert diagnostic.rule_id == "DIND403" and "before 19.03" in diagnostic.message


def test_an_included_file_that_is_not_yaml_stops_its_pipeline(tmp_path: Path) -> None:
    (tmp_path / "ci").mkdir()
    (tmp_path / ".gitlab-ci.yml").write_text(
        "include: ci/bad.yml\njob:\n  image: maven:3.9\n  services: [docker:27-dind]\n"
    )
    (tmp_path / "ci/bad.yml").write_text("x: [\n")
    assert [(r, p) for r, p, _ in _lint(tmp_path)] == [("DIND001", "ci/bad.yml")]


def test_a_child_pipeline_is_a_pipeline_of_its_own(tmp_path: Path) -> None:
    (tmp_path / "ci").mkdir()
    (tmp_path / ".gitlab-ci.yml").write_text("parent:\n  trigger:\n    include: ci/child.yml\n")
    (tmp_path / "ci/child.yml").write_text(
        "job:\n  image: maven:3.9\n  services: [docker:27-dind]\n"
    )
    assert _lint(tmp_path) == [("DIND501", "ci/child.yml", 3)]


def test_graph_draws_each_job_with_its_endpoint(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from dindlint.cli import main

    (tmp_path / ".gitlab-ci.yml").write_text(
        _PLAIN_JOB + "alias:\n  image: docker:27\n  services:\n    - name: docker:27-dind\n"
        "      alias: dind\n  variables:\n    DOCKER_HOST: tcp://dind:2376\n"
        "lint:\n  image: python:3.12\n  script: [ruff check]\n"
        "maven:\n  image: maven:3.9\n  services: [docker:27-dind]\n"
        "tls:\n  image: docker:27\n  services: [docker:27-dind]\n"
    )
    result = CliRunner().invoke(main, ["graph", "--no-config", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert ": job job\n" in result.output and ": job alias\n" in result.output
    assert "job job → tcp://docker:2375 (✘ no listener on 2375, DIND403)" in result.output
    assert "docker, dind (docker:27-dind)" in result.output
    # a TLS listener serves 2376, but the certificate does not name `dind`: as `check` says
    assert "job alias → tcp://dind:2376 (✘ TLS, DIND406)" in result.output
    assert "job tls → tcp://docker:2376 (✔ TLS)" in result.output
    assert "job lint" not in result.output  # no Docker in that job: not drawn
    assert "job maven → unix:///var/run/docker.sock (✘ no `DOCKER_HOST`)" in result.output


def test_an_included_file_given_alone_is_judged_in_its_pipeline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pre-commit run passes the changed file only: its jobs extend what the pipeline that
    includes it defines."""
    from click.testing import CliRunner

    from dindlint.cli import main

    (tmp_path / "ci").mkdir()
    (tmp_path / ".gitlab-ci.yml").write_text(
        "include: ci/jobs.gitlab-ci.yml\n.dind:\n  image: docker:27\n  services: [docker:27-dind]\n"
    )
    (tmp_path / "ci/jobs.gitlab-ci.yml").write_text(
        "job:\n  extends: .dind\n  variables:\n    DOCKER_HOST: tcp://docker:2375\n"
    )
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", "--no-config", "--", "ci/jobs.gitlab-ci.yml"])
    assert result.exit_code == 1, result.output
    assert "ci/jobs.gitlab-ci.yml:4:18: error DIND403" in result.output
    assert "DIND003" not in result.output


def test_a_glob_include_spans_folders_and_does_not_follow_links(tmp_path: Path) -> None:
    (tmp_path / "ci/deep/er").mkdir(parents=True)
    (tmp_path / "ci/loop").symlink_to(tmp_path / "ci", target_is_directory=True)
    (tmp_path / ".gitlab-ci.yml").write_text("include:\n  - local: 'ci/**/*.yml'\n")
    (tmp_path / "ci/deep/er/job.yml").write_text(
        "job:\n  image: maven:3.9\n  services: [docker:27-dind]\n"
    )
    (tmp_path / "ci/top.yml").write_text("variables: {A: b}\n")
    assert _lint(tmp_path) == [("DIND501", "ci/deep/er/job.yml", 3)]


def test_the_runner_environment_key_is_validated(tmp_path: Path) -> None:
    from dindlint.config import ConfigError, load_config

    path = tmp_path / ".dindlint.yaml"
    path.write_text("gitlab-runner-env:\n  DOCKER_TLS_VERIFY: 1\n")
    assert load_config(path).gitlab_runner_env == {"DOCKER_TLS_VERIFY": "1"}
    path.write_text("gitlab-runner-env:\n  DOCKER_TLS_CERTDIR: [a]\n")
    with pytest.raises(ConfigError):
        load_config(path)
    path.write_text("gitlab-runner-env:\n  not a name: x\n")
    with pytest.raises(ConfigError):
        load_config(path)


@pytest.mark.parametrize(
    ("command", "port", "expected"),
    [
        # dockerd-entrypoint.sh run by the command keeps its defaults: plain 2375 here
        ('["dockerd-entrypoint.sh", "--mtu=1400"]', 2375, []),
        ('["dockerd-entrypoint.sh", "--mtu=1400"]', 2376, [("DIND403", "compose.yaml", 11)]),
        ('["sh", "-c", "update-ca-certificates && dockerd-entrypoint.sh"]', 2375, []),
        # dockerd itself: only the `--host` flags given listen
        ('["dockerd", "--host=tcp://0.0.0.0:2375"]', 2375, []),
        ('["dockerd", "--mtu=1400"]', 2375, [("DIND403", "compose.yaml", 11)]),
        # a shell line not followed: the listeners are unknown, no port judged
        ('["sh", "-c", "dockerd-entrypoint.sh $$FLAGS"]', 2376, []),
    ],
)
def test_compose_command_running_the_dind_entrypoint_keeps_its_defaults(
    tmp_path: Path, command: str, port: int, expected: list[tuple[str, str, int]]
) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n"
        "  docker:\n"
        "    image: docker:27-dind\n"
        "    privileged: true\n"
        f"    command: {command}\n"
        "    environment:\n"
        '      DOCKER_TLS_CERTDIR: ""\n'
        "  client:\n"
        "    image: docker:27-cli\n"
        "    environment:\n"
        f"      DOCKER_HOST: tcp://docker:{port}\n"
    )
    assert _lint(tmp_path) == expected


def test_the_extends_limit_does_not_depend_on_job_order(tmp_path: Path) -> None:
    chain = "".join(f".t{i}:\n  extends: .t{i + 1}\n" for i in range(13))
    chain += ".t13:\n  image: maven:3.9\n  services: [docker:27-dind]\n"
    short, long = "short:\n  extends: .t3\n", "long:\n  extends: .t0\n"
    for jobs in (short + long, long + short):
        (tmp_path / ".gitlab-ci.yml").write_text(jobs + chain)
        found = _lint(tmp_path)
        assert ("DIND002", ".gitlab-ci.yml", 8) in found  # .t1: 12 levels below it
        assert [f[0] for f in found].count("DIND501") == 1  # `short`, 11 levels


def test_a_prefixed_service_is_named_as_the_runner_names_it(tmp_path: Path) -> None:
    (tmp_path / ".gitlab-ci.yml").write_text(
        "prefixed:\n"
        "  image: docker:27\n"
        "  services: [registry.example.com/library/docker:27-dind]\n"
        "  variables: {DOCKER_HOST: 'tcp://docker:2376'}\n"
        "python:\n"
        "  image: python:3.12\n"
        "  services: [registry.example.com/library/docker:27-dind]\n"
        # host names ignore letter case: `DOCKER` is the service `docker`
        "upper:\n"
        "  image: docker:27\n"
        "  services: [docker:27-dind]\n"
        "  variables: {DOCKER_HOST: 'tcp://DOCKER:2375'}\n"
    )
    projects = build_projects(discover([tmp_path]), Loader())
    found = {d.rule_id: d for d in run_checks(projects, Config())}
    assert sorted(found) == ["DIND403", "DIND407", "DIND501"]
    dind407 = found["DIND407"]
    assert "no service of the job answers to `docker`" in dind407.message
    assert "`registry.example.com__library__docker`" in dind407.message
    assert "container_name" not in dind407.message and "links" not in dind407.message
    assert dind407.hint == "give the service `alias: docker`"
    assert found["DIND501"].hint is not None
    assert found["DIND501"].hint.startswith("give the service `alias: docker` and set")
    assert "registry.example.com__library__docker:" not in found["DIND501"].hint
    assert found["DIND403"].span.line == 11  # `DOCKER` is dialled on the wrong port


def test_an_unread_include_names_the_jobs_it_keeps_from_being_judged(tmp_path: Path) -> None:
    """The classic 2375-vs-TLS job is held back by an include dindlint cannot read: the one
    finding left says which jobs are not judged, a job without Docker is not named."""
    (tmp_path / ".gitlab-ci.yml").write_text(
        "include:\n  - template: Jobs/SAST.gitlab-ci.yml\n"
        "build:\n  image: docker:27\n  services: [docker:27-dind]\n"
        "  variables:\n    DOCKER_HOST: tcp://docker:2375\n  script: [docker info]\n"
        "lint:\n  image: python:3.12\n  script: [ruff check]\n"
    )
    projects = build_projects(discover([tmp_path]), Loader())
    (only,) = run_checks(projects, Config())
    assert only.rule_id == "DIND003"
    assert only.message.endswith("; not judged while it is unread: job `build`")
