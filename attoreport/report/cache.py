"""The cache section: how much of each prompt came from the provider's prompt cache."""

from __future__ import annotations

from dataclasses import dataclass

from attoreport.report import charts
from attoreport.report import format as fmt
from attoreport.report.common import Chart, Context, showing
from attoreport.report.summary import Stat


@dataclass(frozen=True, slots=True)
class CallRow:
    index: int
    iteration: str
    input: str
    cache_read: str
    cache_write: str
    hit_rate: str
    moving_average: str
    boundary: str


@dataclass(frozen=True, slots=True)
class CacheView:
    #: "recorded", "not recorded" (totals only) or "no calls".
    state: str
    stats: list[Stat]
    #: Attocode's own tracker figure, explained for engineers.
    tracker_note: str
    rows: list[CallRow]
    table_note: str
    chart: Chart | None
    chart_note: str


def build(ctx: Context) -> CacheView:
    a = ctx.analysis
    cache, tokens = a.cache, a.tokens
    calls = cache.call_count
    if not calls:
        return CacheView("no calls", [], "", [], "", None, "")
    if not tokens.has_breakdown:
        return CacheView("not recorded", [], "", [], "", None, "")
    limit = ctx.limits.table_rows
    every = range(calls)
    listed = cache.calls_at(every if calls <= limit else
                            [*every[: limit * 3 // 4], *every[-(limit // 4):]])
    rows = [CallRow(c.index, "–" if c.iteration is None else str(c.iteration),
                    fmt.count(c.input_tokens), fmt.count(c.cache_read_tokens),
                    fmt.count(c.cache_write_tokens), fmt.percent(c.hit_rate),
                    fmt.percent(c.moving_average), fmt.count(c.boundary))
            for c in listed]
    note = showing(len(listed), calls, "calls")
    if note:
        note += ": the first and the last. The JSON output has the totals."
    stats = [
        Stat("Cache hit rate", fmt.percent(tokens.cache_efficiency),
             "share of prompt tokens read from cache (the score uses this)"),
        Stat("Cached prefix", f"~{fmt.count(cache.boundary_position)} tokens",
             "how much of each prompt came from cache lately (recency-weighted, last 50 calls)"),
        Stat("Model calls", fmt.count(cache.stats.total_requests),
             f"{fmt.count(cache.stats.total_cache_read)} tokens read from cache, "
             f"{fmt.count(cache.stats.total_cache_write)} written"),
    ]
    tracker = (f"Attocode's CacheBoundaryTracker reports a hit rate of {cache.hit_rate:.2f} "
               "(cache read ÷ input tokens): above 1 when the provider counts cached tokens "
               "apart from input, as Anthropic does. The percentage above uses cache read ÷ "
               "(input + cache read) instead.")
    series = ctx.insights.cache_series
    chart = ctx.chart("cache", charts.cache_chart(series),
                      "Chart of the cache hit rate of each model call, its moving average and the "
                      "cached prefix estimate")
    return CacheView("recorded", stats, tracker, rows, note, chart,
                     "This trace is long: each point of the chart averages several calls."
                     if series.binned else "")
