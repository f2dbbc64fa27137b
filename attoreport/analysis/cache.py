"""KV-cache boundary tracking, as Attocode's `CacheBoundaryTracker` does it."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from attoreport.model import TraceEvent

WINDOW = 50


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


@dataclass(frozen=True, slots=True)
class CacheBoundary:
    hit_rate: float
    boundary_position: int
    stats: CacheStats
    calls: list[CacheCall]


def track_cache(llm_responses: list[TraceEvent]) -> CacheBoundary:
    """Feed a fresh tracker with every `llm_response` in file order (missing values as 0)."""
    tracker = CacheBoundaryTracker()
    recent: deque[float] = deque(maxlen=WINDOW)
    recent_sum = 0.0
    weighted = 0.0  # running sum of cache_read * weight over the window
    plain = 0.0  # running sum of cache_read over the window
    window: deque[int] = deque(maxlen=WINDOW)
    calls = []
    for index, event in enumerate(llm_responses, start=1):
        u = event.usage
        assert u is not None
        tracker.record_request(u.input_tokens, u.cache_read_tokens, u.cache_write_tokens)
        denominator = u.input_tokens + u.cache_read_tokens
        rate = u.cache_read_tokens / denominator if denominator else None
        if rate is not None:
            if len(recent) == WINDOW:
                recent_sum -= recent[0]
            recent.append(rate)
            recent_sum += rate
        # Incremental form of get_boundary_position(): O(1) per call.
        if len(window) == WINDOW:
            weighted -= plain  # every weight drops by one, the oldest (weight 1) leaves
            plain -= window[0]
        window.append(u.cache_read_tokens)
        plain += u.cache_read_tokens
        weighted += u.cache_read_tokens * len(window)
        n = len(window)
        boundary = int(weighted / (n * (n + 1) / 2))
        calls.append(CacheCall(index, event.iteration, u.input_tokens, u.cache_read_tokens,
                               u.cache_write_tokens, rate,
                               recent_sum / len(recent) if recent else None, boundary))
    stats = tracker.get_stats()
    return CacheBoundary(tracker.get_cache_hit_rate(), tracker.get_boundary_position(), stats,
                         calls)
