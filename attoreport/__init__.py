"""attoreport: turn Attocode agent traces into one self-contained HTML report.

The pipeline runs one way, each stage a plain function of the one before:

    load(paths) -> [Session] -> analyse(session) -> Analysis -> render_html / render_json / render_markdown
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from attoreport.analysis import (
    Analysis,
    CacheBoundaryTracker,
    InefficiencyDetector,
    SessionAnalyzer,
    TokenAnalyzer,
    analyse,
)
from attoreport.analysis.compare import (
    DEFAULT_THRESHOLDS,
    BaselineComparison,
    SessionFigures,
    Threshold,
    compare,
)
from attoreport.errors import AttoreportError
from attoreport.limits import DEFAULT_LIMITS, Limits
from attoreport.loader import load
from attoreport.model import Diagnostic, Session
from attoreport.redact import Redactor

if TYPE_CHECKING:
    from attoreport.swarm.results import SwarmAnalysis

#: The package's version (pyproject.toml reads it from here: one place to change).
__version__ = "0.1.0"

__all__ = [
    "Analysis",
    "AttoreportError",
    "BaselineComparison",
    "CacheBoundaryTracker",
    "Diagnostic",
    "InefficiencyDetector",
    "Limits",
    "Session",
    "SessionAnalyzer",
    "TokenAnalyzer",
    "__version__",
    "analyse",
    "compare_with_baseline",
    "export_trace",
    "load",
    "render_html",
    "render_json",
    "render_markdown",
]


def render_json(analyses: list[Analysis], *, swarms: Sequence[SwarmAnalysis] = (),
                comparison: BaselineComparison | None = None,
                redactor: Redactor | None = None, limits: Limits = DEFAULT_LIMITS) -> str:
    """The `--json` document for these analyses and swarm runs (with `comparison`: the
    `baseline` object and each session's `comparison`); at most `limits.json_sessions`
    sessions, the rest counted."""
    from attoreport.report.jsondoc import render_json as _render

    return _render(analyses, __version__, swarms=swarms, comparison=comparison,
                   redactor=redactor, limits=limits)


def render_html(analyses: list[Analysis], *, title: str | None = None,
                limits: Limits = DEFAULT_LIMITS, swarms: Sequence[SwarmAnalysis] = (),
                comparison: BaselineComparison | None = None,
                redactor: Redactor | None = None) -> str:
    """The self-contained HTML report for these analyses and swarm runs (with `comparison`:
    a comparison section per session and a note on the baseline)."""
    from attoreport.report.html import render_html as _render

    return _render(analyses, version=__version__, title=title, limits=limits, swarms=swarms,
                   comparison=comparison, redactor=redactor)


def render_markdown(analyses: list[Analysis], *, limits: Limits = DEFAULT_LIMITS,
                    swarms: Sequence[SwarmAnalysis] = (),
                    comparison: BaselineComparison | None = None,
                    report_name: str | None = None, redactor: Redactor | None = None) -> str:
    """The Markdown summary for a pull-request comment, at most `limits.markdown_chars`
    characters; `report_name` is the HTML report's file name when one is written."""
    from attoreport.report.markdown import render_markdown as _render

    return _render(analyses, version=__version__, limits=limits, swarms=swarms,
                   comparison=comparison, report_name=report_name, redactor=redactor)


def compare_with_baseline(analyses: Sequence[Analysis], baseline: str | Path,
                          thresholds: Mapping[str, Threshold] = DEFAULT_THRESHOLDS,
                          ) -> BaselineComparison:
    """Each session against the baseline: a trace, a folder of traces, or a `--json` file.

    Raises AttoreportError when the baseline cannot be read. Thresholds: see
    `attoreport.analysis.compare.parse_thresholds`."""
    from attoreport.baseline import load_baseline

    figures = [SessionFigures.from_analysis(a) for a in analyses]
    return compare(figures, load_baseline(baseline), thresholds)


def export_trace(analyses: list[Analysis]) -> Iterator[str]:
    """The sessions as a Chrome Trace Event Format document (Perfetto), in pieces to write
    one after the other: the whole trace, streamed."""
    from attoreport.report.perfetto import trace_chunks

    return trace_chunks(analyses, version=__version__)


def __getattr__(name: str) -> object:
    """`SwarmAnalysis` (the type of the `swarms` arguments above), imported on first use:
    the swarm modules cost a twentieth of a second to import, and most runs have no swarm."""
    if name == "SwarmAnalysis":
        from attoreport.swarm.results import SwarmAnalysis

        return SwarmAnalysis
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
