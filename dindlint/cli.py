"""Command line: ``dindlint check [PATH ...]`` and ``dindlint graph [PATH ...]``.

Exit codes: 0 when no finding reaches ``--fail-on``, 1 when one does, 2 for usage errors and
internal errors (one line, no traceback unless ``--debug``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import click

from dindlint import __version__

if TYPE_CHECKING:
    from collections.abc import Callable

    from dindlint.config import Config
    from dindlint.discover import Discovered
    from dindlint.findings import Diagnostic
    from dindlint.pipeline import Analysis
    from dindlint.project import Project
    from dindlint.report.formats import Output
    from dindlint.session import Settings
    from dindlint.source import ReadBoundary, Span
    from dindlint.topology import Topology

FORMATS = ("text", "sarif", "json", "github", "gitlab", "junit")  # dindlint.report.formats
GRAPH_FORMATS = ("text", "mermaid", "dot")
THRESHOLDS = ("error", "warning", "info")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dindlint")
def main() -> None:
    """dindlint: who can reach which Docker socket, as which uid, with which groups."""


def _internal_error(error: Exception, debug: bool) -> int:
    """One line for the user; the traceback only with --debug."""
    if debug:
        import traceback  # only here: importing it costs a pre-commit run several ms

        traceback.print_exc()
    click.echo(
        f"dindlint: internal error: {type(error).__name__}: {error} (run with --debug for details)",
        err=True,
    )
    return 2


def _reader_gone() -> int:
    """Standard output was closed by its reader (``dindlint check | head -0``): stop quietly,
    as other command-line tools do, with standard output sent to /dev/null so that the final
    flush does not fail again (the Python documentation's recipe, exit status 1)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
    return 1


def _discover(paths: list[Path], force_exclude: bool = False) -> Discovered | None:
    """Discovery with its notes on standard error; None when no given path exists."""
    from dindlint.discover import discover
    from dindlint.report.text import neutralise

    found = discover(paths, force_exclude)
    for missing in found.missing:
        click.echo(f"dindlint: {neutralise(str(missing))}: no such file or directory", err=True)
    for skipped in found.skipped:
        click.echo(
            f"dindlint: {neutralise(str(skipped))}: not a compose file or Dockerfile; skipped",
            err=True,
        )
    for outside in found.outside:
        click.echo(
            f"dindlint: {neutralise(str(outside))}: points outside the repository; not read",
            err=True,
        )
    for denied in found.denied:
        click.echo(f"dindlint: {neutralise(str(denied))}: permission denied; not read", err=True)
    if (found.missing or found.outside) and not (found.compose_files or found.dockerfiles):
        return None
    return found


def _write(text: str, output: Path | None, colour: bool = False) -> bool:
    """Standard output, or the file; False (after a message) when it cannot be written."""
    if output is None:
        click.echo(text, nl=False, color=colour)  # click strips ANSI off a terminal
        return True
    from dindlint.report.write import write_output

    try:
        write_output(output, text)
    except OSError as error:
        click.echo(f"dindlint: cannot write {output}: {error.strerror or error}", err=True)
        return False
    return True


def _stdout_is_terminal() -> bool:
    """Whether standard output is a terminal (None: started with descriptor 1 closed)."""
    return sys.stdout is not None and sys.stdout.isatty()


def _selectors(values: tuple[str, ...]) -> tuple[str, ...] | None:
    """``--select DIND1,DIND301 --select DIND4`` → ("DIND1", "DIND301", "DIND4")."""
    if not values:
        return None
    from dindlint.config import every_rule

    return every_rule(
        part.strip().upper() for value in values for part in value.split(",") if part.strip()
    )


# Options that choose the configuration and the variables: `check` and `graph` analyse alike.
CONFIG_FILE_OPTION = click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Use this configuration file instead of searching for one.",
)
NO_CONFIG_OPTION = click.option(
    "--no-config", is_flag=True, help="Ignore every configuration file."
)
ENV_FILE_OPTION = click.option(
    "--env-file",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Read variables from this file instead of the project's .env.",
)
USE_ENV_OPTION = click.option(
    "--use-env",
    is_flag=True,
    help="Also interpolate from the process environment (off: results must not "
    "depend on the machine, and secrets must not reach the report).",
)


@main.command()
# readable=False: an unreadable input is the run's to report (DIND001/DIND003), not a usage error
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path, readable=False))
@click.option(
    "--format",
    "output_format",
    multiple=True,
    metavar="FORMAT[:PATH]",
    callback=lambda ctx, param, value: _outputs(value),
    help=f"Report format, repeatable: {', '.join(FORMATS)} [default: text]; "
    "FORMAT:PATH writes that report to PATH (--format text --format "
    "sarif:out.sarif).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report to FILE instead of standard output.",
)
@click.option(
    "--help-uri-base",
    metavar="URL",
    default=None,
    help="Base URL of the rule documentation linked from reports "
    "[default: https://github.com/dindlint/dindlint/blob/main/rules/].",
)
@click.option(
    "--sarif-category",
    metavar="NAME",
    default=None,
    help="SARIF runAutomationDetails category, to upload several analyses of one commit.",
)
@click.option(
    "--sarif-omit-suppressed",
    is_flag=True,
    help="Leave findings suppressed inline out of SARIF (GitHub code scanning does not read "
    "SARIF suppressions and would open an alert for each).",
)
@CONFIG_FILE_OPTION
@NO_CONFIG_OPTION
@click.option(
    "--select",
    multiple=True,
    metavar="IDS",
    help="Only these rules (ids or prefixes, comma-separated; e.g. DIND2,DIND301).",
)
@click.option("--ignore", multiple=True, metavar="IDS", help="Skip these rules (ids or prefixes).")
@click.option(
    "--fail-on",
    type=click.Choice(THRESHOLDS),
    default=None,
    help="Lowest severity that makes the exit code 1 [default: warning].",
)
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings reach --fail-on.")
@ENV_FILE_OPTION
@USE_ENV_OPTION
@click.option(
    "--baseline",
    "baseline_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Report only findings that this baseline file does not record.",
)
@click.option(
    "--write-baseline",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Record the current findings in FILE and exit 0.",
)
@click.option(
    "--color",
    "colour",
    type=click.Choice(("auto", "always", "never")),
    default="auto",
    show_default=True,
    help="Colour text output; auto: only on a terminal and never with NO_COLOR.",
)
@click.option(
    "--no-inline-suppressions",
    is_flag=True,
    help="Ignore `# dindlint: disable=` comments (for policies that forbid them).",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=0),
    default=None,
    metavar="N",
    help="Check projects on N processes [default: the CPU count; 1: in this "
    "process, for debugging].",
)
@click.option(
    "--statistics",
    is_flag=True,
    help="Show how many findings each rule has instead of each finding (text output).",
)
@click.option(
    "--fix",
    is_flag=True,
    help="Apply the safe fixes the analysis confirms (each edit is analysed again and kept only "
    "if its finding is gone and no other appears), then report what remains.",
)
@click.option(
    "--unsafe-fixes",
    is_flag=True,
    help="With --fix or --diff, apply unsafe fixes too (they change more than the finding).",
)
@click.option(
    "--diff",
    is_flag=True,
    help="Print the fixes as a unified diff instead of applying them; write nothing. Exit 1 "
    "when there is a diff (0 with --exit-zero), 0 when not.",
)
@click.option(
    "--force-exclude",
    is_flag=True,
    help="Skip the paths git ignores even when they are named on the command line "
    "(for pre-commit and editors, which name files).",
)
@click.option(
    "--debug",
    is_flag=True,
    help="Show tracebacks of internal errors, and which YAML parser is used.",
)
def check(paths: tuple[Path, ...], debug: bool, **options: object) -> None:
    """Check compose files and Dockerfiles under PATHS (default: the current directory)."""
    from dindlint.baseline import BaselineError
    from dindlint.config import ConfigError

    if debug:
        from dindlint.compose.yamlnodes import parser_description

        click.echo(f"dindlint: YAML parser: {parser_description()}", err=True)
    given = _as_folders(list(paths)) or [Path(".")]
    try:
        code = _check(given, CheckOptions(**options, debug=debug))  # type: ignore[arg-type]
    except (ConfigError, BaselineError) as error:
        from dindlint.source import capped

        _say_config_error(error)
        _sarif_of_failure(given, CheckOptions(**options), capped(str(error)))  # type: ignore[arg-type]
        code = 2
    except BrokenPipeError:
        code = _reader_gone()
    except Exception as error:  # noqa: BLE001 - never a traceback for the user (unless --debug)
        code = _internal_error(error, debug)
    sys.exit(code)


class CheckOptions(NamedTuple):
    output_format: tuple[Output, ...]  # --format, parsed by _outputs
    output: Path | None
    help_uri_base: str | None
    sarif_category: str | None
    config_file: Path | None
    no_config: bool
    select: tuple[str, ...]
    ignore: tuple[str, ...]
    fail_on: str | None
    exit_zero: bool
    env_file: tuple[Path, ...]
    use_env: bool
    baseline_file: Path | None
    write_baseline: Path | None
    colour: str
    no_inline_suppressions: bool
    jobs: int | None = None  # None: the CPU count; 0 counts as 1
    force_exclude: bool = False
    statistics: bool = False
    sarif_omit_suppressed: bool = False
    fix: bool = False
    unsafe_fixes: bool = False
    diff: bool = False
    debug: bool = False


class ConfigOptions(NamedTuple):
    """The options that choose the configuration (``check`` and ``graph`` share them)."""

    config_file: Path | None
    no_config: bool
    env_file: tuple[Path, ...]
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    fail_on: str | None = None


def _configuration(
    options: CheckOptions | ConfigOptions, boundary: ReadBoundary
) -> tuple[Config, ReadBoundary]:
    """The configuration in force, and the read boundary with the env files of a configuration
    the user named outside the repository admitted (one in the repository names only files
    inside it). Called within ``boundary``."""
    from dindlint.catalogue import did_you_mean, names_a_rule
    from dindlint.config import ConfigError, names_outside, resolve, with_overrides
    from dindlint.source import is_input_file

    config = resolve(options.config_file, options.no_config, Path.cwd())
    if options.config_file is not None and not options.env_file:
        if os.path.realpath(options.config_file) in boundary.admitted:
            boundary = boundary._replace(
                admitted=boundary.admitted | {os.path.realpath(p) for p in config.env_files}
            )
        else:
            names_outside(options.config_file, config)
    config = with_overrides(
        config,
        select=_selectors(options.select),
        ignore=_selectors(options.ignore),
        fail_on=options.fail_on,
        # absolute, not resolved: a symbolic link loop is reported below, not raised here
        env_files=tuple(Path(os.path.abspath(p)) for p in options.env_file) or None,
    )
    for selector in (*(config.select or ()), *config.ignore):
        if not names_a_rule(selector):
            raise ConfigError(
                f"unknown rule id `{selector}` in --select/--ignore{did_you_mean(selector)}"
            )
    for env_file in config.env_files:
        if not is_input_file(env_file):
            raise ConfigError(f"{env_file}: no such env file")
    return config, boundary


def _configured_boundary(
    paths: list[Path], options: CheckOptions | ConfigOptions, named: tuple[Path, ...]
) -> tuple[Config, ReadBoundary]:
    """The configuration in force and the run's read boundary: the repository of the paths
    checked (``discover.read_boundary``) and the files the user named (``named``, and the env
    files of a configuration named outside the repository)."""
    from dindlint.discover import read_boundary
    from dindlint.source import reading_within

    boundary = read_boundary(paths, (*options.env_file, *named))
    with reading_within(boundary):
        return _configuration(options, boundary)


def _check(paths: list[Path], options: CheckOptions) -> int:
    """The run: everything it reads — inputs, and files quoted in the report — is read inside
    the repository of the paths checked, or named by the user."""
    from dindlint.source import reading_within

    named = tuple(p for p in (options.config_file, options.baseline_file) if p)
    config, boundary = _configured_boundary(paths, options, named)
    with reading_within(boundary):
        return _check_within(paths, options, config, boundary)


def _check_within(
    paths: list[Path], options: CheckOptions, config: Config, boundary: ReadBoundary
) -> int:
    from dindlint.findings import SEVERITY_RANK
    from dindlint.pipeline import analyse
    from dindlint.session import Settings

    discovered = _discover(paths, options.force_exclude)
    if discovered is None:
        return 2
    found = discovered.without(config.excluded)
    if not (found.compose_files or found.dockerfiles):
        click.echo("dindlint: no compose files or Dockerfiles found", err=True)
    settings = Settings(
        config,
        environ=dict(os.environ) if options.use_env else None,
        env_files=config.env_files or None,
        inline_suppressions=not options.no_inline_suppressions,
        boundary=boundary,
    )
    # files given (a pre-commit run) are reported with the services that build them and the files
    # their compose projects read: the models
    keep = any(not os.path.isdir(p) for p in paths)
    jobs = options.jobs or (1 if options.jobs == 0 else None)
    fixed: int | None = None
    if options.fix or options.diff:
        outcome = _fix(paths, options, found, settings, jobs, keep)
        if isinstance(outcome, int):
            return outcome
        analysis, fixed = outcome
    else:
        analysis = analyse(found, settings, jobs, keep_models=keep)
    diagnostics = analysis.diagnostics
    if options.write_baseline is not None:
        from dindlint.baseline import repository_root, write_baseline

        try:
            count = write_baseline(options.write_baseline, diagnostics, repository_root(Path.cwd()))
        except OSError as error:
            click.echo(
                f"dindlint: cannot write {options.write_baseline}: {error.strerror or error}",
                err=True,
            )
            return 2
        click.echo(f"dindlint: wrote {count} finding(s) to {options.write_baseline}", err=True)
        return 0
    if options.baseline_file is not None:
        from dindlint.baseline import read_baseline, repository_root, without_baselined

        known = read_baseline(options.baseline_file)
        diagnostics, matched = without_baselined(diagnostics, known, repository_root(Path.cwd()))
        click.echo(f"dindlint: {matched} finding(s) matched the baseline", err=True)
    diagnostics = in_scope(
        diagnostics,
        [*paths, *_read_by(analysis.models, paths)],
        _built_by(analysis.models, paths),
    )
    from dindlint.fix import with_fixes

    # marked fixable only where --fix would edit: files analysed, inside the paths given
    analysed = {os.path.realpath(f) for f in analysis.files}
    inside = _writable(paths)
    diagnostics = with_fixes(diagnostics, writable=lambda real: real in analysed and inside(real))
    if not _emit(diagnostics, options, _files_checked(analysis.files), fixed):
        return 2
    threshold = SEVERITY_RANK[config.fail_on or "warning"]
    failed = any(
        SEVERITY_RANK[d.severity] >= threshold for d in diagnostics if d.suppressed is None
    )
    return 1 if failed and not options.exit_zero else 0


def _fix(
    paths: list[Path],
    options: CheckOptions,
    found: Discovered,
    settings: Settings,
    jobs: int | None,
    keep: bool,
) -> tuple[Analysis, int] | int:
    """``--fix`` and ``--diff``: the fixes the analysis confirms, applied (or shown as a diff:
    an exit code). Only files the run analysed, inside the paths given (real paths: never a
    symbolic link that leads out of them), are edited."""
    from dindlint.fix import apply_fixes, target, unified_diff, write_files
    from dindlint.pipeline import analyse
    from dindlint.report.text import neutralise

    def select(analysis: Analysis) -> list[Diagnostic]:
        diagnostics = analysis.diagnostics
        if options.baseline_file is not None:
            from dindlint.baseline import read_baseline, repository_root, without_baselined

            known = read_baseline(options.baseline_file)
            diagnostics, _ = without_baselined(diagnostics, known, repository_root(Path.cwd()))
        return in_scope(
            diagnostics,
            [*paths, *_read_by(analysis.models, paths)],
            _built_by(analysis.models, paths),
        )

    writable = _writable(paths)

    def log(message: str) -> None:
        if options.debug:
            click.echo(f"dindlint: {neutralise(message)}", err=True)

    outcome = apply_fixes(
        found,
        settings,
        unsafe=options.unsafe_fixes,
        select=select,
        writable=writable,
        jobs=jobs,
        keep_models=keep,
        log=log,
    )
    if options.diff:
        diff = unified_diff(
            outcome.changed, outcome.original, lambda real: _shown(Path(real), Path.cwd())
        )
        click.echo(diff, nl=False)
        count = len(outcome.fixed)
        click.echo(f"dindlint: would fix {count} problem{'s' if count != 1 else ''}", err=True)
        return 1 if diff and not options.exit_zero else 0
    failed = write_files(outcome.changed, outcome.original)
    for failure in failed:
        click.echo(
            f"dindlint: {neutralise(failure.path)}: not written: {neutralise(failure.reason)}",
            err=True,
        )
    if not failed:
        final = outcome.analysis
        return final._replace(diagnostics=outcome.without_dropped(final.diagnostics)), len(
            outcome.fixed
        )
    # what was not written is not fixed: the report is of the files as they are now
    unwritten = {f.path for f in failed}
    fixed = [
        d
        for d in outcome.fixed
        if d.repair is None or os.path.realpath(target(d.repair)) not in unwritten
    ]
    return analyse(found, settings, jobs, keep_models=keep), len(fixed)


def _files_checked(files: set[Path]) -> int:
    """How many of the files a run read were checked: compose, CI and Dockerfiles, not the env
    files read for their variables."""
    from dindlint.files import is_dockerfile_name

    return sum(
        1 for f in files if f.suffix.lower() in (".yml", ".yaml") or is_dockerfile_name(f.name)
    )


def _writable(paths: list[Path]) -> Callable[[str], bool]:
    """Whether ``--fix`` may write a file (its real path): one inside the paths given. A file
    given is itself, not what a symbolic link named so leads to (that is written only when it
    lies in a folder given); a folder given is everything under its real path."""
    files = {
        os.path.join(os.path.realpath(os.path.dirname(os.path.abspath(p))), os.path.basename(p))
        for p in paths
        if not os.path.isdir(p)
    }
    folders = tuple(os.path.join(os.path.realpath(p), "") for p in paths if os.path.isdir(p))
    return lambda real: real in files or real.startswith(folders)


def _shown(path: Path, base: Path) -> str:
    from dindlint.files import display_path

    return display_path(path, base)


def _sarif_of_failure(paths: list[Path], options: CheckOptions, error: str) -> None:
    """The SARIF files asked for, written for a run that stopped before analysing (exit code 2):
    no results, ``executionSuccessful: false``, the error as a notification; an upload step that
    runs after a failure (``if: always()``) then shows the error, not a missing file."""
    from dindlint.discover import read_boundary
    from dindlint.report import sarif
    from dindlint.report.common import ReportContext, repository_root
    from dindlint.report.formats import OutputError, plan
    from dindlint.report.write import write_output
    from dindlint.source import reading_within

    try:
        outputs = [o for o in plan(options.output_format, options.output) if o.format == "sarif"]
    except OutputError:
        return
    root = repository_root(Path.cwd())
    for prefix in {os.path.join(str(root), ""), os.path.join(os.path.realpath(root), "")}:
        error = error.replace(prefix, "")  # no path of the machine in the report
    context = ReportContext(root=root, sarif_category=options.sarif_category, failure=error)
    with reading_within(read_boundary(paths)):
        for output in outputs:
            if output.path is None:
                continue  # standard output is not a file an upload step looks for
            try:
                write_output(output.path, sarif.render([], context))
            except OSError as failure:
                click.echo(f"dindlint: cannot write {output.path}: {failure.strerror}", err=True)


SETTINGS_FILES = (".env", ".dindlint.yaml", ".dindlint.yml")


def _as_folders(paths: list[Path]) -> list[Path]:
    """``.env`` and ``.dindlint.y[a]ml`` given as files (pre-commit passes the files a commit
    changed) stand for their folder: the compose files there read the one, the other configures
    the folder."""
    return [p.parent if p.name in SETTINGS_FILES and not os.path.isdir(p) else p for p in paths]


def _read_by(models: tuple[tuple[Project, Topology], ...], paths: list[Path]) -> list[Path]:
    """The files the compose projects of the compose files in ``paths`` read besides them
    (included and extended files, ``.env``): a compose file given stands for its project."""
    given = {os.path.realpath(p) for p in paths if not os.path.isdir(p)}
    read: list[Path] = []
    for project, _ in models:
        files = project.compose.files if project.compose is not None else ()
        if any(os.path.realpath(f) in given for f in files):
            read.extend(files)
    return read


def _built_by(models: tuple[tuple[Project, Topology], ...], paths: list[Path]) -> set[Span]:
    """Every span of the compose services that build a Dockerfile of ``paths``."""
    given = {os.path.realpath(p) for p in paths if not os.path.isdir(p)}
    spans: set[Span] = set()
    for project, _ in models:
        if project.compose is None:
            continue
        for name, dockerfile in project.builds.items():
            service = project.compose.services.get(name)
            if service is not None and os.path.realpath(dockerfile.path) in given:
                _collect_spans(service, spans)
    return spans


def _collect_spans(value: object, into: set[Span]) -> None:
    from dindlint.source import Span

    if isinstance(value, Span):
        into.add(value)
    elif isinstance(value, dict):
        for item in value.values():
            _collect_spans(item, into)
    elif isinstance(value, tuple):  # records (NamedTuples) and tuples of them
        for item in value:
            _collect_spans(item, into)


def in_scope(
    diagnostics: list[Diagnostic], paths: list[Path], services: set[Span] | None = None
) -> list[Diagnostic]:
    """The diagnostics to report for ``paths``: when files are given (a pre-commit run), those
    located in a given file or folder, or with a related location there (a compose file's finding
    about the Dockerfile given), or on a line of a service that builds a given Dockerfile
    (``services``: the spans of those services); with folders only, all of them."""
    files = {os.path.realpath(p) for p in paths if not os.path.isdir(p)}
    if not files:
        return diagnostics
    service_lines = {(os.path.realpath(s.path), s.line) for s in services or ()}
    folders = tuple(os.path.join(os.path.realpath(p), "") for p in paths if os.path.isdir(p))
    known: dict[Path, bool] = {}
    reals: dict[Path, str] = {}

    def real(path: Path) -> str:
        if path not in reals:
            reals[path] = os.path.realpath(path)
        return reals[path]

    def inside(path: Path) -> bool:
        if path not in known:
            known[path] = real(path) in files or real(path).startswith(folders)
        return known[path]

    def of_a_service(span: Span) -> bool:
        return (real(span.path), span.line) in service_lines

    return [
        d
        for d in diagnostics
        if inside(d.span.path) or of_a_service(d.span) or any(inside(s.path) for s, _ in d.related)
    ]


def _outputs(values: tuple[str, ...]) -> tuple[Output, ...]:
    """``--format`` values (``FORMAT`` or ``FORMAT:PATH``) parsed; a usage error otherwise."""
    from dindlint.report.formats import OutputError, parse_output

    try:
        return tuple(parse_output(value) for value in values)
    except OutputError as error:
        raise click.BadParameter(str(error), param_hint="'--format'") from None


def _emit(
    diagnostics: list[Diagnostic], options: CheckOptions, files: int, fixed: int | None = None
) -> bool:
    """Render and write every requested report; False (after a message) when the formats
    cannot be honoured or a file cannot be written."""
    from dindlint.report.common import DEFAULT_HELP_URI_BASE, ReportContext, repository_root
    from dindlint.report.formats import OutputError, plan, render
    from dindlint.source import reading_once

    try:
        outputs = plan(options.output_format, options.output)
    except OutputError as error:
        click.echo(f"dindlint: {error}", err=True)
        return False
    base = Path.cwd()
    context = ReportContext(
        root=repository_root(base),
        base=base,
        files_checked=files,
        help_uri_base=options.help_uri_base or DEFAULT_HELP_URI_BASE,
        sarif_category=options.sarif_category,
        sarif_omit_suppressed=options.sarif_omit_suppressed,
        fixed=fixed,
        unsafe_fixes=options.unsafe_fixes,
    )
    written = True
    with reading_once():  # files, paths and fingerprints worked out once for all the formats
        for output in outputs:
            colour = output.format == "text" and (
                options.colour == "always"
                or (
                    options.colour == "auto"
                    and output.path is None
                    and _stdout_is_terminal()
                    and "NO_COLOR" not in os.environ
                )
            )
            if options.statistics and output.format == "text":
                from dindlint.report.text import statistics

                report = statistics(diagnostics, files)
            else:
                report = render(output.format, diagnostics, context._replace(colour=colour))
            written = _write(report, output.path, colour) and written
    if all(output.path is not None for output in outputs):
        # every report went to a file: the terminal still says what was found (the exit code
        # alone would not)
        from dindlint.report.text import summary

        click.echo(f"dindlint: {summary(diagnostics, files)}", err=True)
    return written


@main.command()
# readable=False: an unreadable input is the run's to report (DIND001/DIND003), not a usage error
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path, readable=False))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(GRAPH_FORMATS),
    default="text",
    show_default=True,
    help="Drawing format.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the drawing to FILE instead of standard output.",
)
@CONFIG_FILE_OPTION
@NO_CONFIG_OPTION
@ENV_FILE_OPTION
@USE_ENV_OPTION
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
def graph(
    paths: tuple[Path, ...],
    output_format: str,
    output: Path | None,
    config_file: Path | None,
    no_config: bool,
    env_file: tuple[Path, ...],
    use_env: bool,
    debug: bool,
) -> None:
    """Draw who reaches which Docker socket, as whom, for each compose project under PATHS.

    The drawing is the model `dindlint check` reasons on, under the same configuration (its
    `host-docker-gid` and `images:` entries)."""
    from dindlint.config import ConfigError

    options = ConfigOptions(config_file, no_config, env_file)
    try:
        code = _graph(list(paths) or [Path(".")], output_format, output, options, use_env)
    except ConfigError as error:
        _say_config_error(error)
        code = 2
    except BrokenPipeError:
        code = _reader_gone()
    except Exception as error:  # noqa: BLE001 - never a traceback for the user (unless --debug)
        code = _internal_error(error, debug)
    sys.exit(code)


def _say_config_error(error: Exception) -> None:
    """A configuration (or baseline) error, one problem a line (at most ten): a configuration's
    keys and values are the repository's text, so each line is neutralised and capped."""
    from dindlint.report.text import neutralise
    from dindlint.source import capped

    # one problem an argument (``config._validate``); a problem's text is never split, since
    # it may quote a key holding a line break
    for problem in [str(a) for a in error.args][:10] or [str(error)]:
        click.echo(f"dindlint: {neutralise(capped(problem))}", err=True)


def _graph(
    paths: list[Path],
    output_format: str,
    output: Path | None,
    options: ConfigOptions,
    use_env: bool,
) -> int:
    """Analyse as ``check`` does (the same pipeline and configuration), then draw each
    project's topology; 2 when nothing was found."""
    from dindlint import graph as graph_report
    from dindlint.pipeline import analyse
    from dindlint.session import Settings
    from dindlint.source import reading_within

    named = (options.config_file,) if options.config_file else ()
    config, boundary = _configured_boundary(paths, options, named)
    with reading_within(boundary):
        found = _discover(paths)
        if found is None:
            return 2
        settings = Settings(
            config,
            environ=dict(os.environ) if use_env else None,
            env_files=config.env_files or None,
            boundary=boundary,
        )
        analysis = analyse(found.without(config.excluded), settings, jobs=1, keep_models=True)
        # a file that does not parse has no topology to draw: its errors, as `check` shows them
        broken = [
            d
            for d in analysis.diagnostics
            if d.rule_id in ("DIND001", "DIND002") and d.suppressed is None
        ]
        unreadable = {d.span.path for d in broken if d.rule_id == "DIND001"}
        models = tuple(
            (project, topology)
            for project, topology in analysis.models
            if project.compose is None or not unreadable.intersection(project.compose.files)
        )
        if broken:
            from dindlint.report.text import render as render_text

            report = render_text(broken, Path.cwd(), False, len(analysis.files))
            click.echo(report, nl=False, err=True)
        if broken and not models:
            return 1
        text = graph_report.render(models, Path.cwd(), output_format)
        written = _write(text, output)
        return 2 if not written else 1 if broken else 0


@main.command("rules")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(("text", "json")),
    default="text",
    show_default=True,
    help="Output format.",
)
def list_rules(output_format: str) -> None:
    """List every rule: id, name, severity, whether it has a fix and summary.

    [*] marks a rule with a fix (`dindlint check --fix`), [~] one whose fix is unsafe
    (`--unsafe-fixes`)."""
    from dindlint.catalogue import catalogue

    docs = catalogue().values()
    if output_format == "json":
        import json

        rows = [
            {
                "id": d.id,
                "name": d.name,
                "severity": d.severity,
                "summary": d.summary,
                "tags": list(d.tags),
                "security-severity": d.security_severity,
                "since": d.since,
                "fix": d.fix,
            }
            for d in docs
        ]
        click.echo(json.dumps(rows, indent=2))
        return
    width = max(len(d.name) for d in docs)
    for doc in docs:
        mark = {None: "   ", "unsafe": "[~]"}.get(doc.fix, "[*]")
        click.echo(f"{doc.id}  {doc.name:<{width}}  {doc.severity:<7}  {mark} {doc.summary}")


@main.command()
@click.argument("rule")
@click.option(
    "--color",
    "colour",
    type=click.Choice(("auto", "always", "never")),
    default="auto",
    show_default=True,
    help="Style headings on a terminal.",
)
def explain(rule: str, colour: str) -> None:
    """Show the documentation of RULE (an id such as DIND301, or a name)."""
    import difflib

    from dindlint.catalogue import catalogue

    docs = catalogue()
    by_name = {d.name: d for d in docs.values()}
    doc = docs.get(rule.upper()) or by_name.get(rule.lower())
    if doc is None:
        wanted = rule.upper()
        if wanted.startswith("DIND"):
            # an id: those one keystroke away (DIND3O2, DIND3021), or the ids of a prefix (DIND30)
            close = [i for i in docs if i.startswith(wanted) or _one_edit_apart(wanted, i)][:5]
        else:
            close = difflib.get_close_matches(rule.lower(), list(by_name), n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(close)}?" if close else "; `dindlint rules` lists them"
        from dindlint.report.text import neutralise

        click.echo(f"dindlint: unknown rule `{neutralise(rule)}`{hint}", err=True)
        sys.exit(2)
    styled = colour == "always" or (
        colour == "auto" and _stdout_is_terminal() and "NO_COLOR" not in os.environ
    )
    click.echo(_render_markdown(doc.body, styled), color=styled)


def _one_edit_apart(a: str, b: str) -> bool:
    """Whether one character changed, added or removed turns ``a`` into ``b``."""
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long = sorted((a, b), key=len)
    if len(long) - len(short) != 1:
        return False
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def _render_markdown(body: str, styled: bool) -> str:
    """Markdown for a terminal: headings in bold, fences dropped, code indented."""
    out: list[str] = []
    in_code = False
    for line in body.splitlines():
        if line.startswith("```"):
            in_code = not in_code
            title = line.partition("title=")[2].split()[:1]
            if in_code and title:
                out.append(f"  {title[0]}:" if not styled else f"  \033[2m{title[0]}:\033[0m")
            continue
        if in_code:
            out.append("    " + line)
        elif line.startswith("#"):
            text = line.lstrip("#").strip()
            out.append(
                f"\033[1m{text}\033[0m"
                if styled
                else text.upper()
                if line.startswith("## ")
                else text
            )
        else:
            out.append(line)
    return "\n".join(out).rstrip() + "\n"


@main.command()
@click.option("--force", is_flag=True, help="Overwrite an existing .dindlint.yaml.")
def init(force: bool) -> None:
    """Write a commented starter configuration to ./.dindlint.yaml."""
    from importlib import resources

    from dindlint.discover import read_boundary
    from dindlint.report.write import write_output
    from dindlint.source import reading_within

    target = Path(".dindlint.yaml")
    text = resources.files("dindlint").joinpath("data/starter-config.yaml").read_text()
    try:
        with reading_within(read_boundary([Path(".")])):  # the repository init writes into
            write_output(target, text, exclusive=not force)
    except FileExistsError:
        click.echo(f"dindlint: {target} exists; use --force to overwrite it", err=True)
        sys.exit(2)
    except OSError as error:
        click.echo(f"dindlint: cannot write {target}: {error.strerror or error}", err=True)
        sys.exit(2)
    click.echo(f"wrote {target}")
