"""Command line: ``dindlint check [PATH ...]`` and ``dindlint graph [PATH ...]``.

Exit codes: 0 when no finding reaches ``--fail-on``, 1 when one does, 2 for usage errors and
internal errors (one line, no traceback unless ``--debug``).
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path

import click

from dindlint import __version__

FORMATS = ("text", "sarif")
THRESHOLDS = ("error", "warning", "info")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dindlint")
def main() -> None:
    """dindlint: who can reach which Docker socket, as which uid, with which groups."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "output_format", type=click.Choice(FORMATS), default="text",
              show_default=True, help="Output format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report to FILE instead of standard output.")
@click.option("--fail-on", type=click.Choice(THRESHOLDS), default="warning", show_default=True,
              help="Lowest severity that makes the exit code 1.")
@click.option("--color", "colour", type=click.Choice(("auto", "always", "never")),
              default="auto", show_default=True,
              help="Colour text output; auto: only on a terminal and never with NO_COLOR.")
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
def check(paths: tuple[Path, ...], output_format: str, output: Path | None, fail_on: str,
          colour: str, debug: bool) -> None:
    """Check compose files and Dockerfiles under PATHS (default: the current directory)."""
    try:
        code = _check(list(paths) or [Path(".")], output_format, output, fail_on, colour)
    except Exception as error:  # never a traceback for the user (unless --debug)
        if debug:
            traceback.print_exc()
        click.echo(f"dindlint: internal error: {type(error).__name__}: {error} "
                   "(run with --debug for details)", err=True)
        sys.exit(2)
    sys.exit(code)


def _check(paths: list[Path], output_format: str, output: Path | None, fail_on: str,
           colour: str) -> int:
    from dindlint.discover import discover
    from dindlint.engine import SEVERITY_RANK, run_checks
    from dindlint.project import Loader, build_projects

    found = discover(paths)
    for missing in found.missing:
        click.echo(f"dindlint: {missing}: no such file or directory", err=True)
    for skipped in found.skipped:
        click.echo(f"dindlint: {skipped}: not a compose file or Dockerfile; skipped", err=True)
    if found.missing and not (found.compose_files or found.dockerfiles):
        return 2
    if not (found.compose_files or found.dockerfiles):
        click.echo("dindlint: no compose files or Dockerfiles found", err=True)
    projects = build_projects(found, Loader())
    diagnostics = run_checks(projects)
    files = {f for p in projects for f in (p.compose.files if p.compose else ())}
    files.update(df.path for p in projects for df in p.dockerfiles)
    base = Path.cwd()
    use_colour = False
    if output_format == "sarif":
        from dindlint.report import sarif

        text = sarif.render(diagnostics, base)
    else:
        from dindlint.report import text as text_report

        use_colour = colour == "always" or (
            colour == "auto" and output is None and sys.stdout.isatty()
            and "NO_COLOR" not in os.environ)
        text = text_report.render(diagnostics, base, use_colour, len(files))
    if output is not None:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as error:
            click.echo(f"dindlint: cannot write {output}: {error.strerror or error}", err=True)
            return 2
    else:
        click.echo(text, nl=False, color=use_colour)  # click strips ANSI off a terminal
    threshold = SEVERITY_RANK[fail_on]
    return 1 if any(SEVERITY_RANK[d.severity] >= threshold for d in diagnostics) else 0


GRAPH_FORMATS = ("text", "mermaid", "dot")


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "output_format", type=click.Choice(GRAPH_FORMATS), default="text",
              show_default=True, help="Drawing format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the drawing to FILE instead of standard output.")
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
def graph(paths: tuple[Path, ...], output_format: str, output: Path | None, debug: bool) -> None:
    """Draw who reaches which Docker socket, as whom, for each compose project under PATHS."""
    try:
        code = _graph(list(paths) or [Path(".")], output_format, output)
    except Exception as error:  # never a traceback for the user (unless --debug)
        if debug:
            traceback.print_exc()
        click.echo(f"dindlint: internal error: {type(error).__name__}: {error} "
                   "(run with --debug for details)", err=True)
        sys.exit(2)
    sys.exit(code)


def _graph(paths: list[Path], output_format: str, output: Path | None) -> int:
    """Discover and load projects as ``check`` does, then draw them; 2 when nothing was found."""
    from dindlint.discover import discover
    from dindlint.project import Loader, build_projects
    from dindlint.report import graph as graph_report

    found = discover(paths)
    for missing in found.missing:
        click.echo(f"dindlint: {missing}: no such file or directory", err=True)
    if found.missing and not (found.compose_files or found.dockerfiles):
        return 2
    text = graph_report.render(build_projects(found, Loader()), Path.cwd(), output_format)
    if output is not None:
        output.write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)
    return 0
