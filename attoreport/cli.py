"""The command line: options -> library calls -> exit codes. No analysis, no HTML here."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

import attoreport
from attoreport.errors import AttoreportError
from attoreport.inputs import Inputs, TraceInput, find_inputs
from attoreport.loader import load_inputs
from attoreport.model import Diagnostic, Session
from attoreport.output import check_outputs, write_outputs
from attoreport.textsafe import shown

EXIT_INTERNAL = 1
EXIT_USAGE = 2
#: How many diagnostics are listed on stderr before the rest are only counted.
SHOWN_DIAGNOSTICS = 20


@click.command(
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="Exit codes: 0 done; 1 internal error; 2 bad usage, unreadable input, or (with "
    "--strict) damaged lines.",
)
@click.argument("traces", nargs=-1, metavar="[TRACE]...")
@click.option("-o", "--output", "output", metavar="PATH",
              help="Write the HTML report here (default: report.html when no other output "
              "is asked for).")
@click.option("--json", "json_path", metavar="PATH",
              help="Write the analysis as JSON here ('-' for standard output).")
@click.option("--markdown", "markdown_path", metavar="PATH",
              help="Write a short Markdown summary (for a pull request) here ('-' for "
              "standard output).")
@click.option("--title", metavar="TEXT", help="Title of the HTML report.")
@click.option("--strict", is_flag=True,
              help="Fail (exit code 2) if any line of any trace was damaged.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.version_option(attoreport.__version__, "-V", "--version", prog_name="attoreport")
def main(traces: tuple[str, ...], output: str | None, json_path: str | None,
         markdown_path: str | None, title: str | None, strict: bool, quiet: bool) -> None:
    """Turn Attocode traces into one self-contained HTML report.

    TRACE is a .jsonl or .jsonl.gz file, a directory of them, or - for standard input.
    With no TRACE, the newest trace in ./.attocode/traces/ (or ./.traces/) is used.
    """
    try:
        if output is None and json_path is None and markdown_path is None:
            output = "report.html"
        targets = {"html": output, "json": json_path, "markdown": markdown_path}
        inputs: Inputs[object] = find_inputs(traces)
        check_outputs(targets, inputs.traces)
        if not quiet:
            _say_discovered(inputs.traces)
        sessions = load_inputs(inputs, stdin=sys.stdin.buffer if "-" in traces else None)
        diagnostics = [d for s in sessions for d in s.diagnostics]
        _report_diagnostics(diagnostics, quiet=quiet)
        damaged = [d for d in diagnostics if d.line > 0]  # line 0: a note about a whole file
        if strict and damaged:
            lines = sum(s.damaged_lines for s in sessions)
            raise AttoreportError(
                f"--strict: {_lines(lines)} damaged or repaired, first at "
                f"{damaged[0].file}:{damaged[0].line}; nothing written"
            )
        analyses = [attoreport.analyse(s) for s in sessions]
        renderers = {
            "html": lambda: attoreport.render_html(analyses, title=title),
            "json": lambda: attoreport.render_json(analyses),
            "markdown": lambda: attoreport.render_markdown(analyses),
        }
        write_outputs({path: renderers[name]() for name, path in targets.items()
                              if path is not None})
        if not quiet:
            _say_done(sessions, *targets.values())
    except AttoreportError as exc:
        click.echo(_printable(f"attoreport: {exc}"), err=True)
        sys.exit(EXIT_USAGE)
    except Exception as exc:  # a bug in attoreport, never the trace's fault
        click.echo(f"attoreport: internal error: {exc.__class__.__name__}: {exc}\n"
                   "Please report this with the trace that caused it.", err=True)
        sys.exit(EXIT_INTERNAL)


def _printable(text: str) -> str:
    """Text from a trace, safe for a terminal: control characters shown as \\xNN, bidi and
    other invisible characters as <U+202E>, bounded."""
    return shown(text, 1000)


def _say_discovered(traces: Sequence[TraceInput]) -> None:
    """Name the trace the no-argument run picked, so the user knows what is reported."""
    for trace in traces:
        if trace.discovered:
            click.echo(_printable(f"attoreport: no TRACE given; reading the newest trace, "
                                  f"{trace.source}"), err=True)


def _report_diagnostics(diagnostics: Sequence[Diagnostic], quiet: bool) -> None:
    if quiet or not diagnostics:
        return
    for d in diagnostics[:SHOWN_DIAGNOSTICS]:
        where = f"{d.file}:{d.line}" if d.line else d.file  # line 0: about a whole input
        click.echo(_printable(f"{where}: {d.message}"), err=True)
    if len(diagnostics) > SHOWN_DIAGNOSTICS:
        click.echo(f"... and {len(diagnostics) - SHOWN_DIAGNOSTICS} more "
                   "(all are listed in the report and the JSON)", err=True)


def _say_done(sessions: Sequence[Session], *paths: str | None) -> None:
    actions = [d.action for s in sessions for d in s.diagnostics if d.line]
    skipped, repaired = actions.count("skipped"), actions.count("repaired")
    inputs_skipped = sum(1 for s in sessions for d in s.diagnostics if not d.line)
    written = ", ".join(p for p in paths if p is not None and p != "-")
    note = "".join([f"; {_lines(skipped)} skipped" if skipped else "",
                    f"; {_lines(repaired)} repaired" if repaired else "",
                    f"; {inputs_skipped} input{'' if inputs_skipped == 1 else 's'} skipped"
                    if inputs_skipped else ""])
    if written:
        count = f"{len(sessions)} session{'' if len(sessions) == 1 else 's'}"
        click.echo(f"attoreport: {count}{note} -> {written}", err=True)


def _lines(n: int) -> str:
    return f"{n} line{'' if n == 1 else 's'}"


