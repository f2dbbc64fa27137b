"""The overview of a multi-session report: a sortable, filterable table and comparison charts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from attoreport.analysis import Analysis
from attoreport.analysis.detectors import severity_rank
from attoreport.limits import Limits
from attoreport.report import charts
from attoreport.report import format as fmt
from attoreport.report.common import Chart, make_chart, plural
from attoreport.report.efficiency import score_view
from attoreport.report.issues import CATEGORY_NAMES
from attoreport.report.mdtext import markdown_plain
from attoreport.report.summary import OutcomeView, outcome_view
from attoreport.textsafe import shown


@dataclass(frozen=True, slots=True)
class OverviewRow:
    #: The session's section ("s3"), or "" when it has none (beyond the section limit).
    anchor: str
    session_id: str
    goal: str
    outcome: OutcomeView
    duration: str
    duration_value: float
    cost: str
    cost_value: float
    tokens: str
    tokens_value: int
    iterations: int
    tool_calls: int
    errors: int
    score: str
    score_value: float
    issues: int
    #: The most serious issue, in words ("" without issues).
    top_issue: str


@dataclass(frozen=True, slots=True)
class OverviewView:
    rows: list[OverviewRow]
    total: int
    #: What the report leaves out (sections, rows), or "".
    note: str
    charts: list[Chart]


def plain_goal(goal: str, limit: int = 90) -> str:
    """The goal's words without Markdown markup, for a table cell."""
    text = markdown_plain(goal[:4000])
    return shown(text, limit) if text else "(goal not recorded)"


def row(analysis: Analysis, anchor: str, name_chars: int) -> OverviewRow:
    s = analysis.summary
    score = score_view(analysis)
    total_cost = analysis.spend.total_cost
    worst = min(analysis.issues, key=lambda i: severity_rank(i.severity), default=None)
    top = (f"{worst.severity}: {CATEGORY_NAMES.get(worst.category, shown(worst.category, 40))}"
           if worst is not None else "")
    return OverviewRow(anchor, shown(analysis.session.session_id, name_chars),
                       plain_goal(analysis.session.goal_text), outcome_view(analysis.outcome),
                       fmt.duration_s(analysis.outcome.wall_seconds),
                       _rounded(analysis.outcome.wall_seconds, 3), fmt.cost(total_cost),
                       _rounded(total_cost, 6),
                       fmt.tokens(analysis.spend.total_tokens), analysis.spend.total_tokens,
                       s.iterations, s.tool_calls,
                       s.errors, f"{score.score} ({score.word})", score.value,
                       len(analysis.issues), top)


def _rounded(value: float | None, digits: int) -> Any:
    """A sort key short enough for thousands of table rows (milliseconds, micro-dollars)."""
    return value if value is None else round(value, digits)


#: The overview charts stand three abreast: drawn this wide when static (svgchart).
OVERVIEW_WIDTH = 420.0


def build(analyses: Sequence[Analysis], sections: int, limits: Limits, *,
          static_charts: bool = False) -> OverviewView | None:
    """The overview of several sessions, its charts drawn as SVG with `static_charts`."""
    if len(analyses) < 2:
        return None
    listed = analyses[: limits.overview_rows]
    rows = [row(a, f"s{i}" if i <= sections else "", limits.name_chars)
            for i, a in enumerate(listed, start=1)]
    notes = []
    if len(analyses) > sections:
        lists = ("all of them" if len(listed) == len(analyses)
                 else f"the first {fmt.count(len(listed))}")
        notes.append(f"The report has a section for the first {sections} of "
                     f"{fmt.count(len(analyses))} sessions; the table lists {lists}.")
    notes.extend(_left_out(len(analyses), len(listed), limits.json_sessions))
    top = sorted(rows, key=lambda r: -r.cost_value)[: limits.overview_bars]
    more = len(rows) - len(top)
    charts_list = [
        make_chart("overview-cost-chart", charts.overview_bars(
            [r.session_id for r in top], [r.cost_value for r in top], "cost", more,
            "Cost of the most expensive sessions"), "Bar chart: cost of the most expensive "
            "sessions", static_charts, OVERVIEW_WIDTH),
        make_chart("overview-tokens-chart", charts.overview_bars(
            [r.session_id for r in top], [float(r.tokens_value) for r in top], "tokens", more,
            "Tokens of the same sessions"), "Bar chart: tokens of the most expensive sessions",
            static_charts, OVERVIEW_WIDTH),
        make_chart("overview-score-chart", charts.overview_bars(
            [r.session_id for r in top], [r.score_value for r in top], "score", more,
            "Efficiency score of the same sessions"), "Bar chart: efficiency score of the most "
            "expensive sessions", static_charts, OVERVIEW_WIDTH),
    ]
    return OverviewView(rows, len(analyses), " ".join(notes), charts_list)


def _left_out(total: int, listed: int, in_json: int) -> list[str]:
    """Where the sessions the table does not list are: in the JSON, or (beyond its own
    limit) counted only."""
    if listed >= total:
        return []
    in_json_only = max(0, min(total, in_json) - listed)
    nowhere = total - listed - in_json_only
    notes = []
    if in_json_only:
        notes.append(f"{plural(in_json_only, 'session')} more "
                     f"{'is' if in_json_only == 1 else 'are'} in the JSON output.")
    if nowhere:
        notes.append(f"{plural(nowhere, 'session')} more "
                     f"{'is' if nowhere == 1 else 'are'} counted but listed in no output.")
    return notes
