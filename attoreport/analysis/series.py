"""Chart series, binned when long: tokens summed, rates averaged, running totals sampled."""

from __future__ import annotations

import math
from dataclasses import dataclass

from attoreport.analysis.cache import CacheBoundary
from attoreport.analysis.tokens import TokenFlow


@dataclass(frozen=True, slots=True)
class TokenSeries:
    """Per iteration (or per bin of iterations): x is the bin's last iteration."""

    iterations: list[int]
    input: list[int]
    output: list[int]
    cache_read: list[int]
    cache_write: list[int]
    total: list[int]
    cumulative_cost: list[float]
    #: cache read ÷ (input + cache read) of the bin; None without input.
    hit_rate: list[float | None]
    binned: bool


@dataclass(frozen=True, slots=True)
class CacheSeries:
    """Per LLM call (or per bin of calls): x is the bin's last call."""

    calls: list[int]
    hit_rate: list[float | None]
    moving_average: list[float | None]
    boundary: list[int]
    binned: bool


def bins(n: int, max_points: int) -> list[tuple[int, int]]:
    """[start, end) index ranges that cut n points into at most `max_points` bins."""
    size = max(1, math.ceil(n / max(1, max_points)))
    return [(i, min(i + size, n)) for i in range(0, n, size)]


def rate(cache_read: float, uncached: float) -> float | None:
    total = cache_read + uncached
    return cache_read / total if total else None


def token_series(flow: TokenFlow, max_points: int) -> TokenSeries:
    ranges = bins(len(flow), max_points)
    sums = {name: [sum(column[a:b]) for a, b in ranges] for name, column in (
        ("input", flow.input_tokens), ("output", flow.output_tokens),
        ("cache_read", flow.cache_read_tokens), ("cache_write", flow.cache_write_tokens),
        ("total", flow.total_tokens))}
    return TokenSeries(
        iterations=[flow.iterations[b - 1] for _, b in ranges],
        cumulative_cost=[flow.cumulative_cost[b - 1] for _, b in ranges],
        hit_rate=[rate(r, i) for r, i in zip(sums["cache_read"], sums["input"], strict=True)],
        binned=len(ranges) < len(flow),
        **sums,
    )


def cache_series(cache: CacheBoundary, max_points: int) -> CacheSeries:
    """Per LLM call, or per bin of calls: the bin's mean hit rate, and the moving average
    and boundary estimate after its last call."""
    calls = cache.call_count
    ranges = bins(calls, max_points)
    series = cache.series()

    def mean(values: list[float | None]) -> float | None:
        present = [v for v in values if v is not None]
        return sum(present) / len(present) if present else None

    return CacheSeries(
        calls=[b for _, b in ranges],
        hit_rate=[mean(series.rates[a:b]) for a, b in ranges],
        moving_average=[series.average(b - 1) for _, b in ranges],
        boundary=[series.boundary(b - 1) for _, b in ranges],
        binned=len(ranges) < calls,
    )
