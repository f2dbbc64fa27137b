"""The tokens section: what each iteration used and cost, as a chart and a sortable table."""

from __future__ import annotations

import heapq
from dataclasses import dataclass

from attoreport.analysis.series import rate
from attoreport.report import charts
from attoreport.report import format as fmt
from attoreport.report.common import Chart, Context


@dataclass(frozen=True, slots=True)
class Cell:
    """A table cell: what is shown, and the number it sorts by."""

    text: str
    value: float


@dataclass(frozen=True, slots=True)
class IterationRow:
    iteration: int
    link: str
    llm_calls: Cell
    tool_calls: Cell
    errors: Cell
    input: Cell
    output: Cell
    cache_read: Cell
    cache_write: Cell
    total: Cell
    cost: Cell
    cumulative_cost: Cell
    duration: Cell
    hit_rate: Cell


@dataclass(frozen=True, slots=True)
class TokensView:
    #: False when the trace records only total tokens per call (the real agent's).
    has_breakdown: bool
    rows: list[IterationRow]
    #: Said when the table shows a selection.
    table_note: str
    chart: Chart | None
    chart_note: str
    #: The iteration that cost the most, in words ("" without LLM calls).
    costliest: str


def _cell(value: float, text: str) -> Cell:
    return Cell(text, value)


def build(ctx: Context) -> TokensView:
    a = ctx.analysis
    flow = a.tokens.token_flow
    stats = ctx.insights.iterations
    numbers = sorted(set(flow.iterations) | set(stats))
    limit = ctx.limits.table_rows
    if len(numbers) > limit:  # the most expensive, plus the first and last iterations
        ends = min(10, limit // 4)
        # The `limit` most expensive (as a stable sort would order them; all that can be kept).
        by_cost = heapq.nsmallest(limit, numbers,
                                  key=lambda n: -a.tokens.cost_by_iteration.get(n, 0.0))
        chosen = dict.fromkeys([*numbers[:ends], *numbers[len(numbers) - ends:], *by_cost])
        keep = set(list(chosen)[:limit])
        shown_numbers = [n for n in numbers if n in keep]
        note = (f"Showing {fmt.count(len(shown_numbers))} of {fmt.count(len(numbers))} "
                f"iterations: the most expensive, the first and the last {ends}. The JSON output "
                "has all of them.")
    else:
        shown_numbers, note = numbers, ""
    rows = []
    for n in shown_numbers:
        p, s = flow.point(n), stats.get(n)
        hit = rate(p.cache_read_tokens, p.input_tokens) if p is not None else None
        duration = s.duration_ms if s is not None else None
        rows.append(IterationRow(
            iteration=n,
            link=ctx.iteration_link(n) if s is not None else "",
            llm_calls=_count(s.llm_calls if s else 0),
            tool_calls=_count(s.tool_calls if s else 0),
            errors=_count(s.errors if s else 0),
            input=_count(p.input_tokens if p else 0),
            output=_count(p.output_tokens if p else 0),
            cache_read=_count(p.cache_read_tokens if p else 0),
            cache_write=_count(p.cache_write_tokens if p else 0),
            total=_count(p.total_tokens if p else 0),
            cost=_cell(round(a.tokens.cost_by_iteration.get(n, 0.0), 6),
                       fmt.cost(a.tokens.cost_by_iteration.get(n, 0.0))),
            cumulative_cost=_cell(round(p.cumulative_cost, 6) if p else 0.0,
                                  fmt.cost(p.cumulative_cost) if p else "–"),
            duration=_cell(round(duration, 1) if duration is not None else -1.0,
                           fmt.duration_ms(duration)),
            hit_rate=_cell(round(hit, 5) if hit is not None else -1.0, fmt.percent(hit)),
        ))
    series = ctx.insights.token_series
    chart = None
    if series.iterations:
        chart = ctx.chart("token-flow",
                          charts.token_flow_chart(series, a.tokens.has_breakdown),
                          "Stacked bar chart of tokens per iteration with the cumulative cost "
                          "as a line")
    costliest = ""
    if a.tokens.cost_by_iteration:
        n, cost = max(a.tokens.cost_by_iteration.items(), key=lambda item: (item[1], -item[0]))
        share = cost / a.tokens.total_cost if a.tokens.total_cost else 0.0
        costliest = (f"The most expensive iteration was {n}: {fmt.cost(cost)}, "
                     f"{fmt.share(share)} of the model cost.") if cost > 0 else ""
    return TokensView(a.tokens.has_breakdown, rows, note, chart,
                      "This trace is long: each point of the chart sums several iterations."
                      if series.binned else "", costliest)


def _count(n: int) -> Cell:
    return Cell(fmt.count(n), n)
