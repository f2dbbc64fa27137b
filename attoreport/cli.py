"""The command line: options -> library calls -> exit codes. No analysis, no HTML here.

The run, in order: check the options (bad values exit 2 before any work), find the inputs and
check the outputs, load, analyse, read the baseline and compare, render and write every output,
print annotations, open the report, and only then decide the gates (exit 1, one line per
failure on stderr). Exit codes are `EXIT_CODES`, the same in `--help`, the README and the tests.
"""

from __future__ import annotations

import os
import sys
import webbrowser
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import click

import attoreport
from attoreport.analysis.compare import (
    DEFAULT_THRESHOLDS,
    Threshold,
    parse_thresholds,
)
from attoreport.analysis.detectors import SEVERITIES
from attoreport.diagnostics import damage
from attoreport.errors import AttoreportError
from attoreport.inputs import TraceInput
from attoreport.limits import CHART_MODES, DEFAULT_LIMITS
from attoreport.model import Diagnostic
from attoreport.output import termination_raises
from attoreport.progress import Progress
from attoreport.report.annotations import github_annotations
from attoreport.run import Request, Result, write_reports
from attoreport.textsafe import shown

EXIT_OK = 0
EXIT_GATE = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130
#: Every exit code and what it means (the help, the README and the tests say the same).
EXIT_CODES: Mapping[int, str] = {
    EXIT_OK: "done",
    EXIT_GATE: "a gate failed (--fail-on, --fail-under, --fail-on-regression); the outputs "
               "are written",
    EXIT_USAGE: "bad usage or unreadable input (or --strict and a damaged line); nothing is "
                "written",
    EXIT_INTERNAL: "internal error (a bug in attoreport: please report it with the trace)",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C or SIGTERM); files are left as they were",
}
#: How many diagnostics are listed on stderr before the rest are only counted.
SHOWN_DIAGNOSTICS = 20
#: GitHub's step summary file: `--markdown` appends to it, as GitHub expects.
STEP_SUMMARY_VARIABLE = "GITHUB_STEP_SUMMARY"

EXAMPLES = """\b
Examples:
  attoreport .attocode/traces/ -o report.html --json report.json --markdown comment.md
  attoreport run.jsonl --fail-on high --fail-under 60 --annotations github
  attoreport run.jsonl --baseline main.json --fail-on-regression --threshold cost=20
  attoreport run.jsonl --export-trace run.perfetto.json --open
"""


def _epilog() -> str:
    codes = "\n".join(f"  {code:<4} {meaning}" for code, meaning in EXIT_CODES.items())
    return f"{EXAMPLES}\n\b\nExit codes:\n{codes}"


def _finite_score(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    if value is not None and not 0 <= value <= 100:  # also refuses nan
        raise click.BadParameter(f"{value:g} is not a score from 0 to 100")
    return value


def _thresholds(ctx: click.Context, param: click.Parameter,
                value: tuple[str, ...]) -> dict[str, Threshold]:
    try:
        return parse_thresholds(value)
    except AttoreportError as exc:  # click names the option already
        raise click.BadParameter(_printable(str(exc).removeprefix("--threshold "))) from exc


@click.command(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
               epilog=_epilog())
@click.argument("traces", nargs=-1, metavar="[TRACE]...")
@click.option("-o", "--output", "output", metavar="PATH",
              help="Write the HTML report here (default: report.html when no other output "
              "is asked for).")
@click.option("--json", "json_path", metavar="PATH",
              help="Write the analysis as JSON here ('-' for standard output).")
@click.option("--markdown", "markdown_path", metavar="PATH",
              help="Write a Markdown summary for a pull-request comment here ('-' for standard "
              "output; appended to when PATH is $GITHUB_STEP_SUMMARY).")
@click.option("--export-trace", "trace_path", metavar="PATH",
              help="Write the whole trace in Chrome's trace format, for ui.perfetto.dev or "
              "chrome://tracing.")
@click.option("--title", metavar="TEXT", help="Title of the HTML report.")
@click.option("--charts", type=click.Choice(list(CHART_MODES)), default="auto",
              metavar="MODE",
              help="How the HTML report draws its charts: interactive (Plotly, with "
              "zoom), static (SVG written into the report: shown without scripts, a smaller "
              f"file) or auto (the default: interactive for up to "
              f"{DEFAULT_LIMITS.plotly_sections} sessions, static for more).")
@click.option("--baseline", metavar="PATH",
              help="Compare with a baseline: a trace, a folder of traces, or a JSON file that "
              "--json wrote.")
@click.option("--threshold", "thresholds", multiple=True, metavar="NAME=VALUE",
              callback=_thresholds,
              help="Change a regression threshold (repeatable): cost, tokens, duration, "
              "iterations in percent; cache_hit_rate, score in points; or NAME=off.")
@click.option("--fail-on", type=click.Choice(SEVERITIES, case_sensitive=False),
              metavar="SEVERITY",
              help="Exit 1 when an issue at or above this severity is found: critical, high, "
              "medium or low.")
@click.option("--fail-under", type=float, metavar="SCORE", callback=_finite_score,
              help="Exit 1 when a session's efficiency score is below SCORE.")
@click.option("--fail-on-regression", is_flag=True,
              help="With --baseline: exit 1 when a threshold is crossed or a new issue at or "
              "above --fail-on (default high) appears.")
@click.option("--annotations", type=click.Choice(["github"]),
              help="Print GitHub workflow commands for the most severe issues on standard "
              "output.")
@click.option("--open", "open_report", is_flag=True,
              help="Open the written HTML report in the default browser.")
@click.option("--no-redact", "no_redact", is_flag=True,
              help="Keep secrets found in the traces in every output (they are redacted by "
              "default); prints a warning.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), metavar="N",
              help="Processes to read traces with (default: the cores available).")
@click.option("--strict", is_flag=True,
              help="Fail (exit code 2) if any line of any trace was damaged; nothing is written.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.version_option(attoreport.__version__, "-V", "--version", prog_name="attoreport")
@termination_raises()  # SIGTERM/SIGHUP raise like Ctrl-C while the command runs, so cleanup runs
def main(traces: tuple[str, ...], output: str | None, json_path: str | None,
         markdown_path: str | None, trace_path: str | None, title: str | None, charts: str,
         baseline: str | None, thresholds: dict[str, Threshold], fail_on: str | None,
         fail_under: float | None, fail_on_regression: bool, annotations: str | None,
         open_report: bool, no_redact: bool, jobs: int | None, strict: bool,
         quiet: bool) -> None:
    """Turn Attocode traces into one self-contained HTML report.

    TRACE is a trace file (.jsonl, plain or gzip), a pipe, - for standard input, a folder
    (searched recursively), or an attoswarm run folder (or the project holding one). With no
    TRACE, the newest trace in ./.attocode/traces/ (or ./.traces/) is used.
    """
    if output is None and json_path is None and markdown_path is None and trace_path is None:
        output = "report.html"
    targets = {"html": output, "json": json_path, "markdown": markdown_path, "trace": trace_path}
    _check_usage(targets, baseline, fail_on_regression, annotations, open_report)
    fail_on = fail_on.lower() if fail_on else None
    progress = Progress.for_stream(sys.stderr, quiet=quiet)
    written: list[bool] = []  # set once the outputs are in place
    try:
        with progress:
            if no_redact:
                click.echo("attoreport: warning: --no-redact: secrets in the traces are kept in "
                           "every output; do not share them", err=True)
            request = Request(
                traces=traces, html=targets["html"], json=targets["json"],
                markdown=targets["markdown"], trace=targets["trace"],
                append_to=_step_summary(targets["markdown"]), title=title, baseline=baseline,
                thresholds=thresholds or DEFAULT_THRESHOLDS, fail_on=fail_on,
                fail_under=fail_under, fail_on_regression=fail_on_regression,
                strict=strict, redact=not no_redact, jobs=jobs,
                limits=replace(DEFAULT_LIMITS, plotly_sections=CHART_MODES[charts]))
            code = _run(request, progress, written, annotations=annotations,
                        open_report=open_report, quiet=quiet)
    except AttoreportError as exc:
        click.echo(_printable(f"attoreport: {exc}"), err=True)
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt:  # Ctrl-C, or SIGTERM/SIGHUP (Terminated); the writer cleaned up
        click.echo("attoreport: interrupted" + ("" if written else "; nothing written"), err=True)
        sys.exit(EXIT_INTERRUPTED)
    except Exception as exc:  # a bug in attoreport, never the trace's fault
        click.echo(_printable(f"attoreport: internal error: {exc.__class__.__name__}: {exc}")
                   + "\nPlease report this with the trace that caused it.", err=True)
        sys.exit(EXIT_INTERNAL)
    sys.exit(code)


def entry() -> None:
    """The `attoreport` command (and `python -m attoreport`): `main`, then an immediate exit.

    Everything is written and closed by then, so the interpreter's teardown (freeing every
    object of a large trace, a last collection) is skipped: about 50 ms on every run. Tests
    call `main` itself, which returns through SystemExit as click's commands do."""
    try:
        main()
        code: object = 0
    except SystemExit as exc:
        code = exc.code
    if code is None:
        code = 0
    elif not isinstance(code, int):  # sys.exit("message"): printed, exit code 1
        print(code, file=sys.stderr)
        code = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe (`attoreport … --json - | head`)
        code = code or 1
    os._exit(code)


def _check_usage(targets: Mapping[str, str | None], baseline: str | None,
                 fail_on_regression: bool, annotations: str | None, open_report: bool) -> None:
    """Option combinations that cannot work: exit 2 before any work."""
    if fail_on_regression and baseline is None:
        raise click.UsageError("--fail-on-regression needs --baseline PATH")
    if annotations and "-" in targets.values():
        raise click.UsageError("--annotations prints to standard output; write the other "
                               "outputs to files")
    if open_report and targets["html"] in (None, "-"):
        raise click.UsageError("--open needs the HTML report written to a file (-o PATH)")


def _run(request: Request, progress: Progress, written: list[bool], *,
         annotations: str | None, open_report: bool, quiet: bool) -> int:
    """The whole run (one library call) and what the user sees of it; the exit code."""
    stdin = sys.stdin.buffer if "-" in request.traces else None
    if stdin is not None and sys.stdin.isatty() and not quiet:
        click.echo("attoreport: reading the trace from standard input (end it with Ctrl-D)",
                   err=True)
    result = write_reports(request, stdin=stdin, listener=_Listener(progress, quiet))
    written.append(True)
    progress.clear()
    if annotations == "github":
        try:
            for line in github_annotations(result.analyses, result.comparison,
                                           swarms=result.collected.swarms):
                click.echo(line)
        except BrokenPipeError:  # `| head`: the reader has what it wanted; the gates still count
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    if open_report and request.html is not None:
        _open(request.html)
    if not quiet:
        _say_done(result, *request.targets.values())
        if result.receipt.total:
            click.echo(f"attoreport: {result.receipt.summary()}", err=True)
    for failure in result.failures:
        click.echo(_printable(f"attoreport: gate failed: {failure.reason}"), err=True)
    return EXIT_GATE if result.failures else EXIT_OK


class _Listener:
    """What the terminal shows while the job runs."""

    def __init__(self, progress: Progress, quiet: bool) -> None:
        self._progress, self._quiet = progress, quiet

    def discovered(self, trace: TraceInput) -> None:
        if not self._quiet:
            click.echo(_printable(f"attoreport: no TRACE given; reading the newest trace, "
                                  f"{trace.source}"), err=True)

    def read(self, diagnostics: Sequence[Diagnostic]) -> None:
        self._progress.clear()
        _report_diagnostics(diagnostics, quiet=self._quiet)

    def stage(self, words: str) -> None:
        self._progress.stage(words)


def _step_summary(markdown_path: str | None) -> frozenset[str]:
    """The Markdown path when it is GitHub's step summary (appended to, not replaced)."""
    summary = os.environ.get(STEP_SUMMARY_VARIABLE)
    if not summary or markdown_path is None or markdown_path == "-":
        return frozenset()
    same = os.path.abspath(markdown_path) == os.path.abspath(summary)
    return frozenset({markdown_path}) if same else frozenset()


def _open(path: str) -> None:
    """Open the written report in the default browser (a note when there is none)."""
    if not webbrowser.open(Path(path).resolve().as_uri()):
        click.echo(_printable(f"attoreport: no browser to open {path} with"), err=True)


def _printable(text: str) -> str:
    """Text from a trace, safe for a terminal: control characters shown as \\xNN, bidi and
    other invisible characters as <U+202E>, bounded."""
    return shown(text, 1000)


def _report_diagnostics(diagnostics: Sequence[Diagnostic], quiet: bool) -> None:
    if quiet or not diagnostics:
        return
    for d in diagnostics[:SHOWN_DIAGNOSTICS]:
        where = f"{d.file}:{d.line}" if d.line else d.file  # line 0: about a whole input
        click.echo(_printable(f"{where}: {d.message}"), err=True)
    if len(diagnostics) > SHOWN_DIAGNOSTICS:
        click.echo(f"... and {len(diagnostics) - SHOWN_DIAGNOSTICS} more "
                   "(all are listed in the report and the JSON)", err=True)


def _say_done(result: Result, *paths: str | None) -> None:
    sessions, swarms = result.collected.sessions, result.collected.swarms
    counted = damage([d for s in sessions for d in s.diagnostics]
                     + [d for w in swarms for d in w.diagnostics])
    written = ", ".join(p for p in paths if p is not None and p != "-")
    note = "".join([f"; {_lines(counted.skipped)} skipped" if counted.skipped else "",
                    f"; {_lines(counted.repaired)} repaired" if counted.repaired else "",
                    f"; {counted.notes} input{'' if counted.notes == 1 else 's'} skipped"
                    if counted.notes else ""])
    if written:
        count = f"{len(sessions)} session{'' if len(sessions) == 1 else 's'}"
        if swarms:
            count += f", {len(swarms)} swarm run{'' if len(swarms) == 1 else 's'}"
        click.echo(_printable(f"attoreport: {count}{note} -> {written}"), err=True)


def _lines(n: int) -> str:
    return f"{n} line{'' if n == 1 else 's'}"
