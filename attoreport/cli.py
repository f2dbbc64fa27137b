"""The command line: options -> library calls -> exit codes. No analysis, no HTML here."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import click

import attoreport
from attoreport.errors import AttoreportError
from attoreport.model import Diagnostic, Session

EXIT_OK = 0
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
        sessions = attoreport.load(traces, stdin=click.get_binary_stream("stdin"))
        diagnostics = [d for s in sessions for d in s.diagnostics]
        _report_diagnostics(diagnostics, quiet=quiet)
        if strict and diagnostics:
            raise AttoreportError(
                f"--strict: {len(diagnostics)} damaged line(s), first at "
                f"{diagnostics[0].file}:{diagnostics[0].line}; nothing written"
            )
        analyses = [attoreport.analyse(s) for s in sessions]
        if output is None and json_path is None and markdown_path is None:
            output = "report.html"
        if json_path is not None:
            _write(json_path, attoreport.render_json(analyses))
        if markdown_path is not None:
            _write(markdown_path, attoreport.render_markdown(analyses))
        if output is not None:
            _write(output, attoreport.render_html(analyses, title=title))
        if not quiet:
            _say_done(sessions, output, json_path, markdown_path)
    except AttoreportError as exc:
        click.echo(_printable(f"attoreport: {exc}"), err=True)
        sys.exit(EXIT_USAGE)
    except Exception as exc:  # a bug in attoreport, never the trace's fault
        click.echo(f"attoreport: internal error: {exc.__class__.__name__}: {exc}\n"
                   "Please report this with the trace that caused it.", err=True)
        sys.exit(EXIT_INTERNAL)


_CONTROL = {c: f"\\x{c:02x}" for c in [*range(0x20), *range(0x7f, 0xa0)]}


def _printable(text: str) -> str:
    """Text from a trace, safe for a terminal: control characters shown as \\xNN."""
    return text.translate(_CONTROL)


def _report_diagnostics(diagnostics: Sequence[Diagnostic], quiet: bool) -> None:
    if quiet or not diagnostics:
        return
    for d in diagnostics[:SHOWN_DIAGNOSTICS]:
        click.echo(_printable(f"{d.file}:{d.line}: {d.message}"), err=True)
    if len(diagnostics) > SHOWN_DIAGNOSTICS:
        click.echo(f"... and {len(diagnostics) - SHOWN_DIAGNOSTICS} more damaged lines "
                   "(all are listed in the report)", err=True)


def _say_done(sessions: Sequence[Session], *paths: str | None) -> None:
    skipped = sum(1 for s in sessions for d in s.diagnostics if d.action == "skipped")
    written = ", ".join(p for p in paths if p is not None and p != "-")
    note = f"; {skipped} damaged line(s) skipped" if skipped else ""
    if written:
        click.echo(f"attoreport: {len(sessions)} session(s){note} -> {written}", err=True)


def _write(path: str, text: str) -> None:
    """Write a whole file or nothing: a temporary file in the same folder, then a rename."""
    if path == "-":
        click.echo(text, nl=False)
        return
    target = Path(path)
    if target.is_dir():
        raise AttoreportError(f"{path}: is a directory")
    if target.exists() and not target.is_file():
        # A device or pipe (/dev/null, a FIFO): write straight to it, never replace it.
        try:
            with open(target, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
        except OSError as exc:
            raise AttoreportError(f"{path}: cannot write: {exc.strerror}") from exc
        return
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise AttoreportError(f"{path}: folder {folder} does not exist")
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise AttoreportError(f"{path}: cannot write: {exc.strerror}") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise AttoreportError(f"{path}: cannot write: {exc.strerror}") from exc
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
