"""KV-cache boundary tracking, as Attocode's `CacheBoundaryTracker` does it.

`track_cache` reads the table's LLM columns; the per-call series (hit rate, its moving
average, the boundary estimate) are computed only when first asked for.
"""

from __future__ import annotations

import sys
from array import array
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import accumulate, compress, count
from operator import eq, mul
from typing import Any, overload

from attoreport.analysis.columns import as_array, below, prefix_sums, view
from attoreport.model import LlmColumns

WINDOW = 50
_NAN = float("nan")


@dataclass(slots=True)
class CacheStats:
    """Aggregate cache figures over every recorded request."""

    total_requests: int = 0
    total_input_tokens: int = 0
    total_cache_read: int = 0
    total_cache_write: int = 0
    hit_rate: float = 0.0
    estimated_boundary: int = 0

    def to_dict(self) -> dict[str, object]:
        return {
            "total_requests": self.total_requests,
            "total_input_tokens": self.total_input_tokens,
            "total_cache_read": self.total_cache_read,
            "total_cache_write": self.total_cache_write,
            "hit_rate": round(self.hit_rate, 4),
            "estimated_boundary": self.estimated_boundary,
        }


class CacheBoundaryTracker:
    """Running cache totals and a recency-weighted boundary estimate over the last `window` calls.

    `get_cache_hit_rate()` is cache_read / input, as Attocode defines it: above 1 when a
    provider's `input_tokens` excludes cached tokens.
    """

    def __init__(self, *, window_size: int = WINDOW) -> None:
        self._window: deque[int] = deque(maxlen=max(1, window_size))
        self._stats = CacheStats()

    def record_request(self, input_tokens: int, cache_read_tokens: int = 0,
                       cache_write_tokens: int = 0) -> None:
        s = self._stats
        s.total_requests += 1
        s.total_input_tokens += input_tokens
        s.total_cache_read += cache_read_tokens
        s.total_cache_write += cache_write_tokens
        self._window.append(cache_read_tokens)

    def get_cache_hit_rate(self) -> float:
        s = self._stats
        return s.total_cache_read / s.total_input_tokens if s.total_input_tokens else 0.0

    def get_boundary_position(self) -> int:
        if not self._window:
            return 0
        weighted = 0.0
        weights = 0.0
        for index, cache_read in enumerate(self._window):
            weighted += cache_read * (index + 1)
            weights += index + 1
        return int(weighted / weights)

    def get_stats(self) -> CacheStats:
        s = self._stats
        return CacheStats(s.total_requests, s.total_input_tokens, s.total_cache_read,
                          s.total_cache_write, self.get_cache_hit_rate(),
                          self.get_boundary_position())


@dataclass(frozen=True, slots=True)
class CacheCall:
    """One LLM call's cache figures, for the per-call chart."""

    index: int
    iteration: int | None
    input_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    #: cache_read / (input + cache_read) of this call; None without input data.
    hit_rate: float | None
    #: Mean of `hit_rate` over the last `WINDOW` calls that had one.
    moving_average: float | None
    #: The tracker's boundary estimate after this call.
    boundary: int


@dataclass(slots=True)
class CacheBoundary:
    """The tracker's figures after every call, and the per-call figures (built on demand:
    a long trace's report shows a few calls and a binned series, never all of them)."""

    hit_rate: float
    boundary_position: int
    stats: CacheStats
    _llm: LlmColumns | None = None
    _iterations: Sequence[int | None] = field(default_factory=list)
    _series: _CallSeries | None = None

    @property
    def calls(self) -> list[CacheCall]:
        """One entry per LLM call, in file order."""
        return self.calls_at(range(self.call_count))

    @property
    def call_count(self) -> int:
        return len(self._llm.rows) if self._llm is not None else 0

    def calls_at(self, indexes: Iterable[int]) -> list[CacheCall]:
        """The calls at these 0-based indexes (file order)."""
        series = self.series()
        llm, iterations = self._llm, self._iterations
        if llm is None:
            return []
        return [CacheCall(k + 1, iterations[k], llm.input_tokens[k], llm.cache_read_tokens[k],
                          llm.cache_write_tokens[k], series.rates[k], series.average(k),
                          series.boundary(k)) for k in indexes]

    def series(self) -> _CallSeries:
        """Every call's hit rate and its moving average, and the boundary estimates."""
        if self._series is None:
            self._series = _CallSeries.of(self._llm)
        return self._series


def track_cache(llm: LlmColumns, iterations: Sequence[int | None]) -> CacheBoundary:
    """A fresh tracker fed with every `llm_response` in file order (missing values as 0)."""
    tracker = CacheBoundaryTracker()
    tracker._stats = CacheStats(len(llm.rows), sum(llm.input_tokens), sum(llm.cache_read_tokens),
                                sum(llm.cache_write_tokens))
    tracker._window.extend(llm.cache_read_tokens[-WINDOW:])
    return CacheBoundary(tracker.get_cache_hit_rate(), tracker.get_boundary_position(),
                         tracker.get_stats(), llm, iterations)


@dataclass(frozen=True, slots=True)
class _CallSeries:
    """Per call: hit rate and moving average; boundaries from prefix sums when asked."""

    rates: _Optional
    #: The rates that exist (calls with input or cache reads), in order, and how many of
    #: them the calls up to each one had (None: every call has one, `present` is `rates`):
    #: the moving average is taken when asked.
    present: array[float]
    present_before: array[int] | None
    #: Prefix sums of cache reads and of cache reads times their 1-based index.
    plain: Any
    ranked: Any

    @classmethod
    def of(cls, llm: LlmColumns | None) -> _CallSeries:
        if llm is None:
            return cls(_Optional(), array("d"), array("q"), [0], [0])
        inputs, reads = llm.input_tokens, llm.cache_read_tokens
        np = numpy_for_calls(llm)
        if np is not None and _exact_in_numpy(np, inputs, reads):
            return cls._of_numpy(np, inputs, reads)
        rates = _Optional(r / (i + r) if i + r else None
                          for i, r in zip(inputs, reads, strict=True))
        values = rates.values
        has = list(map(eq, values, values))  # NaN: no rate
        present, before = values, None
        if not all(has):
            present, before = array("d", compress(values, has)), array("q", accumulate(has))
        return cls(rates, present, before, prefix_sums(reads),
                   prefix_sums(map(mul, reads, count(1))))

    @classmethod
    def _of_numpy(cls, np: Any, inputs: array[int], reads: array[int]) -> _CallSeries:
        """`of` through numpy: the same values (see `_exact_in_numpy`), without a Python
        object per call while they are made (a million calls: 90 -> 24 MB at the peak)."""
        read = view(np, reads)
        rates = hit_rates_numpy(np, inputs, reads)
        has = rates == rates
        present = before = None
        if not has.all():
            present = as_array("d", rates[has])
            before = as_array("q", np.cumsum(has, dtype=np.int64))
        del has
        column = _Optional.of_array(as_array("d", rates))
        del rates
        plain = array("q", [0]) * (len(reads) + 1)  # filled through numpy, in place
        np.cumsum(read, out=view(np, plain)[1:])
        ranked = array("q", [0]) * (len(reads) + 1)
        weighted = read * np.arange(1, len(reads) + 1, dtype=np.int64)
        np.cumsum(weighted, out=view(np, ranked)[1:])
        del weighted
        return cls(column, column.values if present is None else present, before, plain,
                   ranked)

    def average(self, index: int) -> float | None:
        """The mean of the last WINDOW rates up to call `index` (0-based), None before the
        first rate."""
        seen = index + 1 if self.present_before is None else self.present_before[index]
        if not seen:
            return None
        window = self.present[max(0, seen - WINDOW):seen]
        return sum(window) / len(window)

    def boundary(self, index: int) -> int:
        """The tracker's estimate after call `index` (0-based): Σ read·weight over the
        window / Σ weights."""
        k = index + 1
        low = max(0, k - WINDOW)
        n = k - low
        weighted = (self.ranked[k] - self.ranked[low]) - low * (self.plain[k] - self.plain[low])
        return int(weighted / (n * (n + 1) // 2))  # int / int: correctly rounded


#: LLM calls from which the per-call series is made through numpy (when it is imported).
NUMPY_CALLS = 4096


def numpy_for_calls(llm: LlmColumns) -> Any | None:
    """numpy, when it is imported and there are enough LLM calls to read through it."""
    return sys.modules.get("numpy") if len(llm.rows) >= NUMPY_CALLS else None


def hit_rates_numpy(np: Any, inputs: array[int], reads: array[int]) -> Any:
    """Each call's `reads / (input + reads)`, NaN where that is 0: the values Python's
    `r / (i + r)` gives when every count is below 2**52 (the sum is then a float without
    rounding, and both divisions are correctly rounded)."""
    read = view(np, reads)
    rates = (view(np, inputs) + read).astype(np.float64)
    none = rates == 0  # the float sum is exact: 0 only where the integers sum to 0
    np.divide(read, rates, out=rates, where=~none)
    rates[none] = np.nan
    return rates


def _exact_in_numpy(np: Any, inputs: array[int], reads: array[int]) -> bool:
    """Whether numpy computes the series exactly as Python integers do: every token count
    below 2**52 (so an input plus its reads is a float without rounding, and each rate the
    correctly rounded quotient), and no prefix sum of reads, plain or weighted by the call's
    1-based index, reaching 2**62."""
    size = len(reads)
    return bool(size) and below(np, min(2**52, 2**62 // (size * (size + 1) // 2) + 1),
                                inputs, reads)


class _Optional:
    """Floats or None, 8 bytes each (None kept as NaN, which these figures never are)."""

    def __init__(self, values: Iterable[float | None] = ()) -> None:
        self._values = array("d", (_NAN if v is None else v for v in values))

    @classmethod
    def of_array(cls, values: array[float]) -> _Optional:
        """The column as it is (NaN for None)."""
        made = cls()
        made._values = values
        return made

    @property
    def values(self) -> array[float]:
        """The floats, NaN for None."""
        return self._values

    def __len__(self) -> int:
        return len(self._values)

    def __iter__(self) -> Iterator[float | None]:
        return (None if v != v else v for v in self._values)

    @overload
    def __getitem__(self, index: int) -> float | None: ...

    @overload
    def __getitem__(self, index: slice) -> list[float | None]: ...

    def __getitem__(self, index: int | slice) -> float | None | list[float | None]:
        if isinstance(index, slice):
            return [None if v != v else v for v in self._values[index]]
        value = self._values[index]
        return None if value != value else value

