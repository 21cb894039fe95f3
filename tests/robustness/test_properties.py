"""Never a traceback (issue 7, part 1): generated compose files and Dockerfiles — valid,
near-valid and garbage — and mutated corpus files all end in a model with findings or
DIND001/DIND002/DIND003 problems, never in an exception nor in a loader's last-resort net.

Profiles (tests/conftest.py): ``ci`` (default, derandomized) runs ``max_examples`` inputs per
test, ``long`` many more: ``pytest tests/robustness --hypothesis-profile long``.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given
from hypothesis import strategies as st

from dindlint.compose import load_project
from dindlint.config import Config
from dindlint.discover import discover
from dindlint.dockerfile import load_dockerfile
from dindlint.engine import run_checks
from dindlint.project import Loader, build_projects
from dindlint.report import sarif, text

# generated YAML reuses anchors on purpose; ruamel warns about it
pytestmark = pytest.mark.filterwarnings("ignore::ruamel.yaml.error.ReusedAnchorWarning")
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
LOADER_RULES = {"DIND001", "DIND002", "DIND003"}
# the messages of the loaders' last-resort nets: reaching one is a dindlint bug
NETS = ("Could not load the project", "cannot parse Dockerfile:")

# ------------------------------------------------------------------ compose documents

_words = st.sampled_from(
    [
        "docker:27-dind",
        "docker:cli",
        "/var/run/docker.sock",
        "/var/run/docker.sock:/var/run/docker.sock",
        "/var/run/docker.sock:/var/run/docker.sock:ro",
        "./sock:/run",
        "dind-run:/var/run",
        "1000",
        "1000:999",
        "root",
        "docker",
        "999",
        "true",
        "false",
        "yes",
        "~",
        "null",
        "",
        ".",
        "..",
        "${UNSET}",
        "${SOCK:-/var/run/docker.sock}",
        "${X:?required}",
        "$$",
        "$(date)",
        "${",
        "unix:///var/run/docker.sock",
        "tcp://dind:2376",
        "8080:80",
        "127.0.0.1:8000-8010:80",
        "service:dind",
        "container:x:ro",
        "a\u00e9\u4e2d",
        "\x1b[31m",
        "0x10",
        "1e3",
        "-1",
    ]
)
_scalars = st.one_of(_words, st.text(max_size=12), st.integers(-5, 70000), st.booleans(), st.none())
_yaml_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(_words, st.text(max_size=6)), inner, max_size=4),
    ),
    max_leaves=12,
)
_SERVICE_KEYS = [
    "image",
    "build",
    "user",
    "group_add",
    "volumes",
    "volumes_from",
    "environment",
    "privileged",
    "command",
    "entrypoint",
    "ports",
    "extends",
    "runtime",
    "hostname",
    "networks",
    "use_api_socket",
    "container_name",
    "env_file",
]
_service = st.dictionaries(st.sampled_from(_SERVICE_KEYS), _yaml_values, max_size=6)
_TOP_KEYS = ["services", "volumes", "include", "name", "x-common", "networks", "version"]
_document = st.fixed_dictionaries(
    {
        "services": st.dictionaries(
            st.sampled_from(["dind", "client", "s", "a b", "x"]),
            st.one_of(_service, _scalars),
            max_size=3,
        )
    },
    optional={k: _yaml_values for k in _TOP_KEYS if k != "services"},
)


def _dump(value: object) -> str:
    """Plain YAML through JSON (a YAML subset); keys are strings."""
    import json

    def keys(v: object) -> object:
        if isinstance(v, dict):
            return {str(k): keys(x) for k, x in v.items()}
        if isinstance(v, list):
            return [keys(x) for x in v]
        return v

    return json.dumps(keys(value), ensure_ascii=False)


_near_valid_edits = st.sampled_from(
    [
        lambda t: t.replace(",", "\n", 1),
        lambda t: t.replace("{", "", 1),
        lambda t: t.replace('"', "'", 3),
        lambda t: "\t" + t,
        lambda t: t + "\n---\n" + t,
        lambda t: t.replace(":", ": &a", 1) + "\nx: *a",
        lambda t: t.replace(":", ":: ", 1),
        lambda t: "\ufeff" + t,
        lambda t: t.replace("\n", "\r\n"),
        lambda t: t[: len(t) // 2],
        lambda t: t,
        lambda t: "%YAML 1.1\n---\n" + t,
        lambda t: t.replace('"', "!reset ", 1),
    ]
)


def _check_compose(project) -> None:  # type: ignore[no-untyped-def]
    for problem in project.problems:
        assert problem.rule_id in LOADER_RULES, problem
        assert not problem.message.startswith(NETS), problem.message


_TMP = Path(tempfile.mkdtemp(prefix="dindlint-props-"))  # one folder, rewritten per example
atexit.register(shutil.rmtree, _TMP, True)


def _write(name: str, data: bytes | str) -> Path:
    path = _TMP / name
    if isinstance(data, str):
        data = data.encode("utf-8", errors="surrogatepass")
    path.write_bytes(data)
    return path


@given(_document, _near_valid_edits)
def test_generated_compose_documents_load(document: dict, edit) -> None:
    text_ = edit(_dump(document))
    path = _write("compose.yaml", text_.encode("utf-8", errors="replace"))
    _check_compose(load_project([path]))


@given(st.binary(max_size=400) | st.text(max_size=300).map(lambda t: t.encode("utf-8", "replace")))
def test_garbage_compose_files_load(data: bytes) -> None:
    _check_compose(load_project([_write("compose.yaml", data)]))


# ------------------------------------------------------------------ Dockerfiles

_df_lines = st.sampled_from(
    [
        "FROM docker:27-dind",
        "FROM alpine:3.20 AS base",
        "FROM base",
        "FROM ${BASE:-debian}",
        "ARG BASE=alpine",
        "ARG GID",
        "ARG GID=999",
        "USER 1000:999",
        "USER app",
        "USER ${UID}",
        "RUN addgroup -g 999 docker && adduser -D -G docker app",
        "RUN groupadd -g ${GID} docker && useradd -m -G docker app || true",
        "RUN usermod -aG docker app",
        'RUN ["sh", "-c", "addgroup -S docker"]',
        "RUN [broken",
        "RUN <<EOF\nset -e\naddgroup -g 1 x\nEOF",
        "RUN <<-EOT bash\n\tgroupadd g\n\tEOT",
        "COPY --chown=app:app . /app",
        "COPY <<EOF /x\nhello\nEOF",
        "ENV DOCKER_HOST=unix:///s",
        'ENTRYPOINT ["dockerd-entrypoint.sh"]',
        "CMD dockerd",
        "RUN echo a \\",
        "  && echo b",
        "# syntax=docker/dockerfile:1",
        "# escape=`",
        "RUN echo `",
        "# comment",
        "",
        "ONBUILD RUN adduser -D x",
        "HEALTHCHECK CMD true",
        'SHELL ["/bin/bash", "-c"]',
        'RUN if [ -n "$X" ]; then addgroup -g 5 g; fi',
        "RUN $(echo adduser) -D u",
        "MAINTAINER x",
        "WORKDIR /app",
        "RUN (( cd /; addgroup -g 7 y ))",
        "FOO bar",
        "RUN echo 'unterminated",
    ]
)
_dockerfiles = st.lists(st.one_of(_df_lines, st.text(max_size=20)), max_size=14).map("\n".join)


@given(_dockerfiles, st.sampled_from(["\n", "\r\n"]), st.booleans())
def test_generated_dockerfiles_load(body: str, newline: str, bom: bool) -> None:
    data = (("\ufeff" if bom else "") + body.replace("\n", newline)).encode("utf-8", "replace")
    dockerfile = load_dockerfile(_write("Dockerfile", data), build_args={"GID": "998"})
    for problem in dockerfile.problems:
        assert problem.rule_id == "DIND001" and not problem.message.startswith(NETS), problem


@given(st.binary(max_size=400))
def test_garbage_dockerfiles_load(data: bytes) -> None:
    dockerfile = load_dockerfile(_write("Dockerfile", data))
    assert all(not p.message.startswith(NETS) for p in dockerfile.problems)


# ------------------------------------------------------------------ corpus mutations


def _corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    found = discover([CORPUS])
    return sorted(found.compose_files)[:200] + sorted(found.dockerfiles)[:200]


_CORPUS_FILES = _corpus_files()


@st.composite
def _mutation(draw: st.DrawFn) -> tuple[Path, bytes]:
    source = draw(st.sampled_from(_CORPUS_FILES))
    data = bytearray(source.read_bytes()[:20000])  # read in place, never copied to the repo
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        kind = draw(st.integers(0, 4))
        if kind == 0:
            del data[at : at + draw(st.integers(1, 40))]
        elif kind == 1:
            data[at:at] = draw(
                st.sampled_from(
                    [
                        b"\t",
                        b"\x00",
                        b"\xff\xfe",
                        b"{",
                        b"[",
                        b"*a",
                        b"&a ",
                        b"\n---\n",
                        b"${",
                        b"\\",
                        b"<<EOF",
                        b": ",
                        b"- ",
                        b"\r",
                        b"'",
                        b'"',
                        b"\x1b[2J",
                        b"!!python/object:os.system",
                    ]
                )
            )
        elif kind == 2:
            data[at : at + 1] = bytes([draw(st.integers(0, 255))])
        elif kind == 3:
            end = min(len(data), at + draw(st.integers(1, 200)))
            data[at:at] = data[at:end]
        else:
            data = data[:at]
    return source, bytes(data)


@pytest.mark.skipif(not _CORPUS_FILES, reason="../shared/corpus is not present")
@given(_mutation())
def test_mutated_corpus_files_load(mutation: tuple[Path, bytes]) -> None:
    source, data = mutation
    if source.name.lower().endswith((".yml", ".yaml")):
        _check_compose(load_project([_write("compose.yaml", data)]))
    else:
        dockerfile = load_dockerfile(_write("Dockerfile", data))
        assert all(not p.message.startswith(NETS) for p in dockerfile.problems)


# ------------------------------------------------------------------ the whole pipeline


@given(_document, _dockerfiles)
def test_pipeline_and_reports_never_raise(document: dict, dockerfile: str) -> None:
    folder = _TMP / "project"
    folder.mkdir(exist_ok=True)
    services = document.get("services") or {}
    if isinstance(services, dict) and services:
        first = next(iter(services))
        if isinstance(services[first], dict):
            services[first]["build"] = "."
    (folder / "compose.yaml").write_text(_dump(document), encoding="utf-8")
    (folder / "Dockerfile").write_text(dockerfile, encoding="utf-8", errors="replace")
    projects = build_projects(discover([folder]), Loader())
    diagnostics = run_checks(projects, Config())
    text.render(diagnostics, _TMP, False, 2)
    sarif.render(diagnostics, _TMP)


# ------------------------------------------------------------------ hostile shapes (issue 18)
#
# The shapes of issue 18's table, generated: runs of blanks in comments and values, variables
# that double at each definition, deep `${` nesting, Unicode digits where numbers are expected,
# lone surrogates from YAML escapes, and line separators other than \n. The property is the
# command's: `dindlint check` ends in a report in every format (exit 0 or 1), never in an
# internal error. These run the whole command, so each gets a twentieth of the profile's
# examples (the `ci` profile: 50 each; the doubling test, whose values grow up to the expansion
# cap, a fortieth).

import contextlib
import io
import json
import os
import resource

from hypothesis import settings

from dindlint.cli import FORMATS
from dindlint.cli import main as dindlint_main


def _few(share: int = 20) -> settings:
    """The loaded profile with ``1/share`` of its examples."""
    return settings(max_examples=max(10, settings.default.max_examples // share))


@contextlib.contextmanager
def _memory_fence(headroom_mb: int = 1024):  # type: ignore[no-untyped-def]
    """Cap this process's address space at its current size plus ``headroom_mb`` for the block:
    an uncapped expansion then ends in MemoryError (a failing example) instead of taking the
    machine's memory. No cap where /proc is missing."""
    try:
        with open("/proc/self/statm", "rb") as handle:
            size = int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = size + (headroom_mb << 20)
    if soft != resource.RLIM_INFINITY:
        cap = min(cap, soft)
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _project(files: dict[str, str]) -> Path:
    """A fresh project folder holding ``files`` (name -> text, lone surrogates kept)."""
    folder = _TMP / "hostile"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    for name, text_ in files.items():
        (folder / name).write_bytes(text_.encode("utf-8", errors="surrogatepass"))
    return folder


def _check_gives_a_report(folder: Path) -> None:
    """`dindlint check folder` exits 0 or 1 and writes a report in every format."""
    reports = _TMP / "reports"
    shutil.rmtree(reports, ignore_errors=True)
    reports.mkdir()
    arguments = ["check", "--no-config", "--color", "never", "--jobs", "1"]
    for report_format in FORMATS:
        arguments += ["--format", f"{report_format}:{reports / report_format}"]
    errors = io.StringIO()
    code: object = 0
    with (
        contextlib.redirect_stdout(io.StringIO()),
        contextlib.redirect_stderr(errors),
        _memory_fence(),
    ):
        try:
            dindlint_main([*arguments, str(folder)])
        except SystemExit as exit:
            code = exit.code
    assert code in (0, 1), errors.getvalue()
    for report_format in FORMATS:
        assert (reports / report_format).is_file(), report_format
    for report_format in ("sarif", "json", "gitlab"):
        json.loads((reports / report_format).read_text(encoding="utf-8"))


_SOCKET_CLIENT = (
    "  client:\n    image: docker:cli\n    volumes: [/var/run/docker.sock:/var/run/docker.sock]\n"
)
_blanks = st.builds(
    lambda unit, count: unit * count, st.sampled_from([" ", "\t", " \t"]), st.integers(0, 200)
)
_tails = st.sampled_from(
    [
        "!",
        "x",
        "#",
        "# c",
        "DIND102",
        "-- reason",
        "--",
        ",",
        "=",
        "",
        "'",
        '"',
        "\\",
        "$",
        "${",
        "|awk $4",
        "\u2028",
        "\x85",
    ]
)


@st.composite
def _blank_runs(draw: st.DrawFn) -> dict[str, str]:
    """Long runs of blanks in a suppression comment, an env value, a compose value and a
    script the alignment patterns read."""

    def run() -> str:
        return draw(_blanks) + draw(_tails)

    comment = f"# dindlint: {draw(st.sampled_from(['disable', 'disable-file']))}={run()}{run()}"
    return {
        "compose.yaml": f"{comment}\nservices:  {comment}\n{_SOCKET_CLIENT}"
        f"    environment: {{A: '{run()}{run()}'}}\n"
        f"    command: [sh, -c, 'ls -n{run()}|awk{run()}$4']\n",
        ".env": f'A=x{run()}{run()}\nB="{run()}\n{run()}"\nexport C{run()}={run()}\n',
        "Dockerfile": f"FROM docker:cli\nENTRYPOINT ls -n{run()}|awk {run()}stat -c %g{run()}\n"
        f"RUN echo{run()}\\\n{run()}\n{comment}\n",
    }


@_few()
@given(_blank_runs())
def test_blank_runs_give_a_report(files: dict[str, str]) -> None:
    _check_gives_a_report(_project(files))


@st.composite
def _doubling(draw: st.DrawFn) -> dict[str, str]:
    """Variables defined from the previous one used two to four times (.env, ARG, ENV), the
    last one interpolated."""
    count = draw(st.integers(1, 40))
    copies = draw(st.integers(2, 4))
    style = draw(st.sampled_from(["${{{0}}}", "${0}", "${{{0}:-x}}", "${{{0}-}}"]))

    def chain(prefix: str, keyword: str) -> str:
        lines = [f"{keyword}{prefix}0=ab"]
        for i in range(1, count):
            lines.append(f"{keyword}{prefix}{i}=" + style.format(f"{prefix}{i - 1}") * copies)
        return "\n".join(lines) + "\n"

    keyword = draw(st.sampled_from(["ARG ", "ENV "]))
    return {
        ".env": chain("V", ""),
        "compose.yaml": "services:\n  app:\n    build: .\n"
        f'    environment: {{LAST: "${{V{count - 1}}}"}}\n'
        f'    user: "${{V{count - 1}}}"\n' + _SOCKET_CLIENT,
        "Dockerfile": "FROM alpine:3.20\n"
        + chain("A", keyword)
        + f'RUN echo "$A{count - 1}"\nUSER ${{A{count - 1}}}\n',
    }


@_few(40)
@given(_doubling())
def test_doubling_variables_give_a_report(files: dict[str, str]) -> None:
    _check_gives_a_report(_project(files))


@st.composite
def _deep_nesting(draw: st.DrawFn) -> dict[str, str]:
    """``${A:-${A:-…}}`` nested up to 3,000 deep, closed or not, around a payload."""
    depth = draw(st.integers(1, 3000))
    opener = "${A" + draw(st.sampled_from([":-", "-", ":+", "+", ":?", "?"]))
    closed = draw(st.booleans())
    payload = draw(st.sampled_from(["x", "$$", "$", "}", "/var/run/docker.sock", ""])) * draw(
        st.integers(0, 2000)
    )
    value = opener * depth + payload + ("}" * depth if closed else "")
    quoted = value.replace("\\", "\\\\").replace('"', '\\"')
    return {
        "compose.yaml": f'services:\n  app:\n    image: alpine:3.20\n    user: "{quoted}"\n'
        f'    environment: {{DEEP: "{quoted}"}}\n' + _SOCKET_CLIENT,
        ".env": f"DEEP={value}\n",
        "Dockerfile": f"FROM alpine:3.20\nARG DEEP={value}\nUSER {value[:5000]}\n",
    }


@_few()
@given(_deep_nesting())
def test_deep_interpolation_nesting_gives_a_report(files: dict[str, str]) -> None:
    _check_gives_a_report(_project(files))


_digit_chars = st.characters(categories=["Nd", "No"]) | st.sampled_from("0123456789")
_numbers = st.one_of(
    st.text(_digit_chars, min_size=1, max_size=8),
    st.integers(4290, 4400).map(lambda n: "1" * n),  # around int()'s 4,300-digit limit
)


@st.composite
def _unicode_numbers(draw: st.DrawFn) -> dict[str, str]:
    """Unicode digits (and very long ASCII ones) as uid, gid, port and group_add entries."""
    uid, gid, port, group = (draw(_numbers) for _ in range(4))
    return {
        "compose.yaml": "services:\n  dind:\n    image: docker:27-dind\n    privileged: true\n"
        f'    ports: ["{port}:2375", "127.0.0.1:{port}:{port}"]\n'
        f'  app:\n    image: docker:cli\n    user: "{uid}:{gid}"\n'
        f'    group_add: ["{group}"]\n'
        f'    environment: ["DOCKER_HOST=tcp://dind:{port}"]\n'
        "    volumes: [/var/run/docker.sock:/var/run/docker.sock]\n",
        "Dockerfile": f"FROM alpine:3.20\nRUN addgroup -g {gid} docker && adduser -u {uid} "
        f"-G docker -D app\nEXPOSE {port}\nUSER {uid}:{gid}\n",
    }


@_few()
@given(_unicode_numbers())
def test_unicode_digits_give_a_report(files: dict[str, str]) -> None:
    _check_gives_a_report(_project(files))


_surrogate_escapes = st.integers(0xD800, 0xDFFF).flatmap(
    lambda code: st.sampled_from([f"\\u{code:04x}", f"\\U{code:08x}", f"\\u{code:04X}"])
)
_separators = st.sampled_from(["", "\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1c", "\r"])


@st.composite
def _surrogates(draw: st.DrawFn) -> dict[str, str]:
    """Lone surrogates from YAML escapes where findings quote them (a service name, an image,
    a volume, an env value), and line separators other than \\n before a finding."""

    def word(text_: str) -> str:
        return (
            text_
            + draw(_surrogate_escapes)
            + draw(_separators).encode("unicode_escape").decode("ascii").replace("\\x", "\\x")
        )

    return {
        "compose.yaml": f'services:\n  "{word("dind")}":\n    image: "{word("docker:cli")}"\n'
        f'    volumes: ["/var/run/docker.sock:/{word("sock")}"]\n'
        f'    environment: {{"{word("K")}": "{word("v")}"}}\n'
        f'    labels: {{note: "x{draw(_separators)}y"}}\n' + _SOCKET_CLIENT,
    }


@_few()
@given(_surrogates())
def test_lone_surrogates_give_a_report(files: dict[str, str]) -> None:
    _check_gives_a_report(_project(files))
