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
@click.option("--no-inline-suppressions", is_flag=True,
              help="Ignore `# dindlint: disable=` comments (for policies that forbid them).")
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
def check(paths: tuple[Path, ...], output_format: str, output: Path | None, fail_on: str,
          colour: str, no_inline_suppressions: bool, debug: bool) -> None:
    """Check compose files and Dockerfiles under PATHS (default: the current directory)."""
    try:
        code = _check(list(paths) or [Path(".")], output_format, output, fail_on, colour,
                      not no_inline_suppressions)
    except Exception as error:  # never a traceback for the user (unless --debug)
        if debug:
            traceback.print_exc()
        click.echo(f"dindlint: internal error: {type(error).__name__}: {error} "
                   "(run with --debug for details)", err=True)
        sys.exit(2)
    sys.exit(code)


def _check(paths: list[Path], output_format: str, output: Path | None, fail_on: str,
           colour: str, inline_suppressions: bool) -> int:
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
    diagnostics = run_checks(projects, inline_suppressions=inline_suppressions)
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
    return 1 if any(SEVERITY_RANK[d.severity] >= threshold
                    for d in diagnostics if d.suppressed is None) else 0


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


@main.command("rules")
@click.option("--format", "output_format", type=click.Choice(("text", "json")), default="text",
              show_default=True, help="Output format.")
def list_rules(output_format: str) -> None:
    """List every rule: id, name, severity and summary."""
    from dindlint.catalogue import catalogue

    docs = catalogue().values()
    if output_format == "json":
        import json

        rows = [{"id": d.id, "name": d.name, "severity": d.severity, "summary": d.summary,
                 "tags": list(d.tags), "security-severity": d.security_severity}
                for d in docs]
        click.echo(json.dumps(rows, indent=2))
        return
    width = max(len(d.name) for d in docs)
    for doc in docs:
        click.echo(f"{doc.id}  {doc.name:<{width}}  {doc.severity:<7}  {doc.summary}")


@main.command()
@click.argument("rule")
@click.option("--color", "colour", type=click.Choice(("auto", "always", "never")),
              default="auto", show_default=True, help="Style headings on a terminal.")
def explain(rule: str, colour: str) -> None:
    """Show the documentation of RULE (an id such as DIND301, or a name)."""
    import difflib

    from dindlint.catalogue import catalogue

    docs = catalogue()
    by_name = {d.name: d for d in docs.values()}
    doc = docs.get(rule.upper()) or by_name.get(rule.lower())
    if doc is None:
        close = difflib.get_close_matches(rule.upper(), list(docs), n=3, cutoff=0.5)
        close += difflib.get_close_matches(rule.lower(), list(by_name), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else \
            f"; known rules: {', '.join(sorted(docs))}"
        click.echo(f"dindlint: unknown rule `{rule}`{hint}", err=True)
        sys.exit(2)
    styled = colour == "always" or (colour == "auto" and sys.stdout.isatty()
                                    and "NO_COLOR" not in os.environ)
    click.echo(_render_markdown(doc.body, styled), color=styled)


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
            out.append(f"\033[1m{text}\033[0m" if styled else text.upper()
                       if line.startswith("## ") else text)
        else:
            out.append(line)
    return "\n".join(out).rstrip() + "\n"
