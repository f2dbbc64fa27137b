"""The whole job behind the command line, as one library call: read the traces and run
folders, analyse, compare with a baseline, render and write every output (all or none), and
decide the gates. A front end (the CLI) hears about the run through a `Listener` and turns the
result into messages and an exit code.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol

import attoreport
from attoreport import gcpause
from attoreport.analysis import Analysis
from attoreport.analysis.compare import DEFAULT_THRESHOLDS, BaselineComparison, Threshold
from attoreport.collect import Collected, collect, find
from attoreport.diagnostics import damage
from attoreport.errors import AttoreportError
from attoreport.gates import (
    DEFAULT_REGRESSION_SEVERITY,
    GateFailure,
    gate_failures,
    regression_failures,
)
from attoreport.inputs import TraceInput, display_path
from attoreport.limits import DEFAULT_LIMITS, Limits
from attoreport.model import Diagnostic, Session
from attoreport.output import Text, check_outputs, write_outputs
from attoreport.redact import Receipt, Redactor
from attoreport.swarm.folders import RunFolder

if TYPE_CHECKING:
    from attoreport.swarm.results import SwarmAnalysis


@dataclass(frozen=True, slots=True)
class Request:
    """What to read, what to write, and which gates to apply."""

    traces: Sequence[str] = ()
    #: Output paths ("-" for standard output), None when not wanted.
    html: str | None = None
    json: str | None = None
    markdown: str | None = None
    trace: str | None = None
    #: Outputs appended to instead of replaced (GitHub's step summary).
    append_to: frozenset[str] = frozenset()
    title: str | None = None
    baseline: str | None = None
    thresholds: Mapping[str, Threshold] = field(default_factory=lambda: DEFAULT_THRESHOLDS)
    fail_on: str | None = None
    fail_under: float | None = None
    fail_on_regression: bool = False
    #: Refuse (nothing written) when any line of any trace was damaged.
    strict: bool = False
    redact: bool = True
    #: Processes to decode with (None: the cores available).
    jobs: int | None = None
    limits: Limits = DEFAULT_LIMITS

    @property
    def targets(self) -> dict[str, str | None]:
        return {"html": self.html, "json": self.json, "markdown": self.markdown,
                "trace": self.trace}


class Listener(Protocol):
    """What a front end hears while the job runs (all optional to act on)."""

    def discovered(self, trace: TraceInput) -> None: ...

    def read(self, diagnostics: Sequence[Diagnostic]) -> None: ...

    def stage(self, words: str) -> None: ...


class Silent:
    """A listener that ignores everything (the library default)."""

    def discovered(self, trace: TraceInput) -> None:
        pass

    def read(self, diagnostics: Sequence[Diagnostic]) -> None:
        pass

    def stage(self, words: str) -> None:
        pass


@dataclass(frozen=True, slots=True)
class Result:
    collected: Collected
    analyses: list[Analysis]
    comparison: BaselineComparison | None
    #: The gates that failed (empty: the run passes).
    failures: list[GateFailure]
    #: What redaction removed from the outputs (empty with `redact=False`).
    receipt: Receipt


@gcpause.pausing  # nothing the job builds forms cycles: no collector pass at all (with
# 80,000 sessions, the passes of a collector re-enabled after each analysis took most of the run)
def write_reports(request: Request, *, stdin: IO[bytes] | None = None,
                  listener: Listener | None = None) -> Result:
    """Do the whole job; raises AttoreportError (nothing written) for bad input."""
    hear = listener or Silent()
    inputs = find(list(request.traces))
    check_outputs(request.targets, inputs.traces, append_to=request.append_to)
    _check_run_folders(request.targets, inputs.claimed)
    for trace in inputs.traces:
        if trace.discovered:
            hear.discovered(trace)
    hear.stage("reading the traces")
    redactor = Redactor(enabled=request.redact)
    # Each session is analysed as soon as it is loaded: while worker processes decode a
    # folder's later files, this one analyses the first (it would wait for them otherwise).
    analyses: list[Analysis] = []

    def analyse(session: Session) -> None:
        hear.stage(f"analysing session {len(analyses) + 1:,}")
        analyses.append(attoreport.analyse(session))

    collected = collect(inputs, stdin=stdin, jobs=request.jobs, redactor=redactor, each=analyse)
    diagnostics = [d for s in collected.sessions for d in s.diagnostics]
    diagnostics += [d for swarm in collected.swarms for d in swarm.diagnostics]
    hear.read(diagnostics)
    damaged = [d for d in diagnostics if d.line > 0]  # line 0: a note about a whole file
    if request.strict and damaged:
        lines = (sum(s.damaged_lines for s in collected.sessions)
                 + damage(d for swarm in collected.swarms for d in swarm.diagnostics).lines)
        raise AttoreportError(f"--strict: {lines} line{'' if lines == 1 else 's'} damaged or "
                              f"repaired, first at {damaged[0].file}:{damaged[0].line}; "
                              "nothing written")
    comparison = None
    if request.baseline is not None:
        hear.stage("comparing with the baseline")
        comparison = attoreport.compare_with_baseline(analyses, request.baseline,
                                                      request.thresholds)
    texts = {path: _render(name, request, collected, analyses, comparison, redactor, hear)
             for name, path in request.targets.items() if path is not None}
    write_outputs(texts, append_to=request.append_to)
    failures = gate_failures(analyses, fail_on=request.fail_on, fail_under=request.fail_under,
                             swarms=collected.swarms)
    if request.fail_on_regression and comparison is not None:
        failures += regression_failures(comparison,
                                        request.fail_on or DEFAULT_REGRESSION_SEVERITY)
    return Result(collected, analyses, comparison, failures, redactor.receipt)


def _check_run_folders(targets: Mapping[str, str | None], folders: Sequence[RunFolder]) -> None:
    """Refuse an output inside an attoswarm run folder being read: every file there is input
    (its traces, event logs and state)."""
    for name, path in targets.items():
        if path is None or path == "-":
            continue
        target = Path(os.path.abspath(path))
        for folder in folders:
            if target.is_relative_to(Path(os.path.abspath(folder.path))):
                raise AttoreportError(f"{display_path(path)}: is inside the attoswarm run "
                                      f"folder {folder.source}, which is being read; refusing "
                                      f"to write the {name} output there")


_STAGES = {"html": "writing the HTML report", "json": "writing the JSON",
           "markdown": "writing the Markdown", "trace": "writing the trace"}


def _render(name: str, request: Request, collected: Collected, analyses: list[Analysis],
            comparison: BaselineComparison | None, redactor: Redactor,
            hear: Listener) -> Text:
    hear.stage(_STAGES[name])
    swarms = collected.swarms
    renderers: dict[str, Callable[[], Text]] = {
        "html": lambda: attoreport.render_html(analyses, title=request.title,
                                               limits=request.limits, swarms=swarms,
                                               comparison=comparison, redactor=redactor),
        "json": lambda: _json_bytes(analyses, swarms, comparison, redactor, request.limits),
        "markdown": lambda: attoreport.render_markdown(
            analyses, limits=request.limits, swarms=swarms, comparison=comparison,
            report_name=_report_name(request.html), redactor=redactor),
        "trace": lambda: attoreport.export_trace(analyses),  # streamed while it is written
    }
    return renderers[name]()


def _json_bytes(analyses: list[Analysis], swarms: Sequence[SwarmAnalysis],
                comparison: BaselineComparison | None, redactor: Redactor,
                limits: Limits) -> Text:
    """`attoreport.render_json`'s text as UTF-8 pieces: written without a text copy."""
    from attoreport.report.jsondoc import render_json_bytes

    return render_json_bytes(analyses, attoreport.__version__, swarms=swarms,
                             comparison=comparison, redactor=redactor, limits=limits)


def _report_name(html: str | None) -> str | None:
    return Path(html).name if html not in (None, "-") else None
