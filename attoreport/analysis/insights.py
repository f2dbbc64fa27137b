"""What the report shows beyond Attocode's own numbers, computed once and bounded by Limits:
per-iteration figures, tool statistics, the timeline, the event and tree selections and the
chart series."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from attoreport.analysis.iterations import IterationTable, iteration_stats
from attoreport.analysis.select import Selection, select_events, time_order, with_ancestors
from attoreport.analysis.series import CacheSeries, TokenSeries, cache_series, token_series
from attoreport.analysis.timeline import Timeline, build_timeline
from attoreport.analysis.tools import ToolSummary, tool_summaries
from attoreport.analysis.tree import Tree, build_tree
from attoreport.limits import Limits

if TYPE_CHECKING:  # avoids an import cycle
    from attoreport.analysis import Analysis


@dataclass(frozen=True, slots=True)
class Insights:
    iterations: IterationTable
    tools: list[ToolSummary]
    timeline: Timeline
    #: The event log's rows.
    events: Selection
    tree: Tree
    token_series: TokenSeries
    cache_series: CacheSeries


def insights(analysis: Analysis, limits: Limits) -> Insights:
    """Everything the report's views need from the events, in a few passes over the columns."""
    table = analysis.session.table
    stats = iteration_stats(table)
    order = time_order(table)
    events = select_events(table, analysis.issues, limits.event_rows, order)
    if len(table) <= limits.tree_nodes:
        tree = build_tree(table, stats, None, limits.tree_depth)
    else:
        rows = with_ancestors(table, events.rows[: limits.tree_nodes])
        tree = build_tree(table, stats, rows, limits.tree_depth)
    return Insights(
        iterations=stats,
        tools=tool_summaries(analysis.facts),
        timeline=build_timeline(table, origin(analysis), limits.bars, limits.lane_rows),
        events=events,
        tree=tree,
        token_series=token_series(analysis.tokens.token_flow, limits.chart_points),
        cache_series=cache_series(analysis.cache, limits.chart_points),
    )


def origin(analysis: Analysis) -> float:
    """Time 0 of the timeline and the event log: the first event (or the session start)."""
    first = analysis.facts.first_timestamp
    start = analysis.session.start_time
    if first is None:
        return start
    return min(first, start) if start else first
