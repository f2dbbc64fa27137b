"""The tokens section: what each iteration used and cost, as a chart and a sortable table."""

from __future__ import annotations

import heapq
from dataclasses import dataclass

from attoreport.analysis.columns import numpy_for, view
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
    limit = ctx.limits.table_rows
    ends = min(10, limit // 4)
    shown_numbers, total = _shown_iterations(ctx, limit, ends)
    note = ""
    if len(shown_numbers) < total:
        note = (f"Showing {fmt.count(len(shown_numbers))} of {fmt.count(total)} "
                f"iterations: the most expensive, the first and the last {ends}. The JSON output "
                "has all of them.")
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


def _shown_iterations(ctx: Context, limit: int, ends: int) -> tuple[list[int], int]:
    """The iterations the table lists (all of them, or at most `limit`: the first and the last
    `ends`, then the most expensive, earlier first among equals), in order, and how many
    iterations there are: those with LLM responses and those with events."""
    found = _shown_numpy(ctx, limit, ends)
    if found is not None:
        return found
    a = ctx.analysis
    costs = a.tokens.cost_by_iteration
    numbers = sorted(set(a.tokens.token_flow.iterations) | set(ctx.insights.iterations))
    if len(numbers) <= limit:
        return numbers, len(numbers)
    # The `limit` most expensive (as a stable sort would order them; all that can be kept).
    by_cost = heapq.nsmallest(limit, numbers, key=lambda n: -costs.get(n, 0.0))
    chosen = dict.fromkeys([*numbers[:ends], *numbers[len(numbers) - ends:], *by_cost])
    return sorted(list(chosen)[:limit]), len(numbers)


def _shown_numpy(ctx: Context, limit: int, ends: int) -> tuple[list[int], int] | None:
    """`_shown_iterations` through numpy, for a long session (a set and a sorted list of
    every iteration number took 26 MB at 90,000 iterations, 105 MB at 333,000); None when
    the table is small or a number does not fit 64 bits."""
    a = ctx.analysis
    np = numpy_for(a.session.table)
    if np is None:
        return None
    costs = a.tokens.cost_by_iteration
    try:
        numbers = np.union1d(np.asarray(a.tokens.token_flow.iterations, dtype=np.int64),
                             view(np, ctx.insights.iterations.numbers))
        keys = np.fromiter(costs, dtype=np.int64, count=len(costs))
    except (OverflowError, TypeError, ValueError):  # a number beyond 64 bits
        return None
    if len(numbers) <= limit:
        return numbers.tolist(), len(numbers)
    values = np.fromiter(costs.values(), dtype=np.float64, count=len(costs))
    if np.isnan(values).any():
        return None
    cost = np.zeros(len(numbers))
    cost[np.searchsorted(numbers, keys)] = values  # every key is among the numbers
    by_cost = numbers[np.argsort(-cost, kind="stable")[:limit]]
    chosen = dict.fromkeys([*numbers[:ends].tolist(), *numbers[len(numbers) - ends:].tolist(),
                            *by_cost.tolist()])
    return sorted(list(chosen)[:limit]), len(numbers)


def _count(n: int) -> Cell:
    return Cell(fmt.count(n), n)
