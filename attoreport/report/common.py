"""What every section of the report shares: the per-session context, charts, links, words."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from attoreport.analysis import Analysis
from attoreport.analysis.insights import Insights
from attoreport.limits import Limits
from attoreport.model import EventDetail
from attoreport.report import format as fmt
from attoreport.report import svgchart
from attoreport.textsafe import shown, shown_path

Figure = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Chart:
    """A plotly figure and the DOM id of the element it is drawn into (decided here, once)."""

    dom_id: str
    figure: Figure
    #: Said to screen readers and shown when scripts are off.
    description: str
    #: The figure drawn as inline SVG (`svgchart.render`) when the report draws it statically;
    #: None when Plotly draws it in the page.
    svg: str | None = None


def make_chart(dom_id: str, figure: Figure, description: str, static: bool,
               width: float = svgchart.WIDTH) -> Chart:
    """A chart for Plotly to draw in the page or, `static`, drawn now as inline SVG `width`
    units wide (about the pixels of the column it is shown in)."""
    return Chart(dom_id, figure, description,
                 svgchart.render(figure, description, width) if static else None)


@dataclass(slots=True)
class Context:
    """One session's inputs to its sections, and the iteration links they hand out."""

    anchor: str
    analysis: Analysis
    insights: Insights
    limits: Limits
    #: Label, preview, main argument and excerpt of every event row the report shows.
    details: dict[int, EventDetail]
    #: Iterations some section links to; the tree gives each an anchor.
    linked: set[int] = field(default_factory=set)
    #: Draw this session's charts as static SVG now, not with Plotly in the page.
    static_charts: bool = False

    def iteration_link(self, iteration: int | None) -> str:
        """The fragment of an iteration's node (`s1-iter-12`), registered so it resolves."""
        if iteration is None:
            return ""
        self.linked.add(iteration)
        return f"{self.anchor}-iter-{iteration}"

    def event_link(self, row: int) -> str:
        """The fragment of an event's node in the tree, or "" when the tree does not show it."""
        return f"{self.anchor}-event-{row}" if row in self.insights.tree.rows else ""

    def chart_id(self, name: str) -> str:
        return f"{self.anchor}-{name}-chart"

    def chart(self, name: str, figure: Figure, description: str) -> Chart:
        """The session's `name` chart: for Plotly, or drawn here as SVG (`static_charts`)."""
        return make_chart(self.chart_id(name), figure, description, self.static_charts)

    def name(self, value: object) -> str:
        """A name from the trace (tool, agent, kind, id) as shown: bounded, one line."""
        return shown(value, self.limits.name_chars)

    def path(self, value: object) -> str:
        """A file path (a trace, a diagnostic's file) as shown: bounded from its start, so
        the file's name stays."""
        return shown_path(value, self.limits.name_chars)

    def label(self, value: object) -> str:
        """A one-line text from the trace (a label, an argument), bounded."""
        return shown(value, self.limits.label_chars)

    def text(self, value: object) -> str:
        """A longer text from the trace (a description, a preview), bounded."""
        return shown(value, self.limits.detail_chars, one_line=False)

    def detail(self, row: int) -> EventDetail:
        found = self.details.get(row)
        return found if found is not None else EventDetail(self.analysis.session.table.kind(row),
                                                           "")


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 tool call', '12 tool calls', with thousands separators."""
    return f"{fmt.count(n)} {word if n == 1 else (many or word + 's')}"


def showing(shown_count: int, total: int, what: str) -> str:
    """'' when everything is shown, else 'Showing 3,000 of 1,000,000 events: …' start."""
    if shown_count >= total:
        return ""
    return f"Showing {fmt.count(shown_count)} of {fmt.count(total)} {what}"
