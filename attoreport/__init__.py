"""attoreport: turn Attocode agent traces into one self-contained HTML report.

The pipeline runs one way, each stage a plain function of the one before:

    load(paths) -> [Session] -> analyse(session) -> Analysis -> render_html / render_json / render_markdown
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version

from attoreport.analysis import (
    Analysis,
    CacheBoundaryTracker,
    InefficiencyDetector,
    SessionAnalyzer,
    TokenAnalyzer,
    analyse,
)
from attoreport.errors import AttoreportError
from attoreport.limits import DEFAULT_LIMITS, Limits
from attoreport.loader import load
from attoreport.model import Diagnostic, Session
from attoreport.swarm.results import SwarmAnalysis

try:
    __version__ = version("attoreport")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = [
    "Analysis",
    "AttoreportError",
    "CacheBoundaryTracker",
    "Diagnostic",
    "InefficiencyDetector",
    "Limits",
    "Session",
    "SessionAnalyzer",
    "TokenAnalyzer",
    "__version__",
    "analyse",
    "load",
    "render_html",
    "render_json",
    "render_markdown",
]


def render_json(analyses: list[Analysis], *, swarms: Sequence[SwarmAnalysis] = ()) -> str:
    """The `--json` document for these analyses and swarm runs."""
    from attoreport.report.jsondoc import render_json as _render

    return _render(analyses, __version__, swarms=swarms)


def render_html(analyses: list[Analysis], *, title: str | None = None,
                limits: Limits = DEFAULT_LIMITS, swarms: Sequence[SwarmAnalysis] = ()) -> str:
    """The self-contained HTML report for these analyses and swarm runs."""
    from attoreport.report.html import render_html as _render

    return _render(analyses, version=__version__, title=title, limits=limits, swarms=swarms)


def render_markdown(analyses: list[Analysis], *, limits: Limits = DEFAULT_LIMITS,
                    swarms: Sequence[SwarmAnalysis] = ()) -> str:
    """A short Markdown summary for a pull request."""
    from attoreport.report.markdown import render_markdown as _render

    return _render(analyses, version=__version__, limits=limits, swarms=swarms)
