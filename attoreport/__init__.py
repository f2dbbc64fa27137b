"""attoreport: turn Attocode agent traces into one self-contained HTML report.

The pipeline runs one way, each stage a plain function of the one before:

    load(paths) -> [Session] -> analyse(session) -> Analysis -> render_html / render_json / render_markdown
"""

from __future__ import annotations

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
from attoreport.loader import load
from attoreport.model import Diagnostic, Session, TraceEvent

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
    "Session",
    "SessionAnalyzer",
    "TokenAnalyzer",
    "TraceEvent",
    "__version__",
    "analyse",
    "load",
    "render_html",
    "render_json",
    "render_markdown",
]


def render_json(analyses: list[Analysis], **options: object) -> str:
    """The `--json` document for these analyses (`swarms=`: swarm run analyses)."""
    from attoreport.report.jsondoc import render_json as _render

    return _render(analyses, __version__, **options)  # type: ignore[arg-type]


def render_html(analyses: list[Analysis], **options: object) -> str:
    """The self-contained HTML report for these analyses."""
    from attoreport.report.html import render_html as _render

    return _render(analyses, version=__version__, **options)  # type: ignore[arg-type]


def render_markdown(analyses: list[Analysis], **options: object) -> str:
    """A short Markdown summary for a pull request."""
    from attoreport.report.markdown import render_markdown as _render

    return _render(analyses, version=__version__, **options)  # type: ignore[arg-type]
