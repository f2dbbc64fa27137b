"""The HTML stage: jinja2 environment, safe Markdown, asset inlining, one self-contained file."""

from __future__ import annotations

import base64
import gzip
import json
import secrets
from collections.abc import Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import orjson
from markdown_it import MarkdownIt
from markupsafe import Markup

from attoreport import gcpause
from attoreport.analysis import Analysis
from attoreport.report import charts
from attoreport.report.swarm import swarm_charts
from attoreport.report.view import ReportView, build_report
from attoreport.swarm.results import SwarmAnalysis

SAFE_SCHEMES = ("http:", "https:", "mailto:")


@gcpause.pausing
def render_html(analyses: Sequence[Analysis], *, version: str, title: str | None = None,
                swarms: Sequence[SwarmAnalysis] = ()) -> str:
    """The report for these analyses (and swarm runs), as one HTML document with
    everything inlined."""
    view = build_report(analyses, version=version, title=title, swarms=swarms)
    return render_view(view)


def render_view(view: ReportView) -> str:
    figures: dict[str, Any] = {}
    for session in view.sessions:
        for name, figure in charts.session_charts(session).items():
            figures[f"{session.anchor}-{name}"] = figure
    if view.overview:
        figures["overview"] = charts.overview_chart(view.overview)
    for swarm in view.swarms:
        figures.update(swarm_charts(swarm))
    template = _environment().get_template("report.html.j2")
    return template.render(
        report=view,
        nonce=secrets.token_urlsafe(18),
        css=Markup(_asset("report.css")),
        js=Markup(_asset("report.js")),
        plotly_gz=_plotly_gzip_base64(),
        chart_json=Markup(script_json(figures)),
        chart_ids=set(figures),
    )


def script_json(value: Any) -> str:
    """JSON that is safe inside a `<script>` element: no `<`, `>`, `&`, U+2028 or U+2029."""
    try:
        text = orjson.dumps(value).decode("utf-8")
    except TypeError:  # integers beyond 64 bits
        text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


# ---------------------------------------------------------------------------
# Markdown
# ---------------------------------------------------------------------------


@cache
def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.disable("image")  # an image would be a network request
    md.validateLink = _safe_link  # type: ignore[method-assign]

    def link_open(renderer: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
        tokens[idx].attrSet("rel", "noopener noreferrer nofollow")
        return str(renderer.renderToken(tokens, idx, options, env))

    md.add_render_rule("link_open", link_open)
    return md


def _safe_link(url: str) -> bool:
    return url.strip().lower().startswith(SAFE_SCHEMES)


def markdown_html(text: str) -> Markup:
    """Markdown from a trace as HTML: raw HTML escaped, no images, only http(s)/mailto links."""
    return Markup(_markdown().render(text))


# ---------------------------------------------------------------------------
# Templates and assets
# ---------------------------------------------------------------------------


def _template_dir() -> Path:
    """Installed: the package `attoreport.templates`; in a source tree: `templates/`."""
    try:
        return Path(str(resources.files("attoreport.templates")))
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[2] / "templates"


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_template_dir()),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["markdown"] = markdown_html
    return env


@cache
def _asset(name: str) -> str:
    return (_template_dir() / name).read_text(encoding="utf-8")


@cache
def _plotly_gzip_base64() -> str:
    """plotly.min.js from the plotly package, gzip-compressed and base64-encoded.

    The plain bundle is 4.8 MB; compressed it keeps a report under 2.5 MB. The page
    unpacks it with the browser's DecompressionStream.
    """
    bundle = (resources.files("plotly") / "package_data" / "plotly.min.js").read_bytes()
    return base64.b64encode(gzip.compress(bundle, compresslevel=9, mtime=0)).decode("ascii")
