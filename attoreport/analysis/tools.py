"""Per-tool statistics: calls, failures and duration percentiles."""

from __future__ import annotations

import math
from dataclasses import dataclass

from attoreport.analysis.facts import SessionFacts


@dataclass(frozen=True, slots=True)
class ToolSummary:
    """One tool's calls, failures and durations (milliseconds; None when none recorded)."""

    name: str
    calls: int
    failures: int
    timed_calls: int
    mean_ms: float | None
    p95_ms: float | None
    max_ms: float | None

    @property
    def failure_rate(self) -> float:
        return self.failures / self.calls if self.calls else 0.0


def percentile(ordered: list[float], fraction: float) -> float:
    """The nearest-rank percentile of an ascending list (not empty)."""
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def tool_summaries(facts: SessionFacts) -> list[ToolSummary]:
    """Every tool, most called first (then by name)."""
    rows = []
    for tool in sorted(facts.tools.values(), key=lambda t: (-t.calls, t.name)):
        durations = sorted(tool.durations_ms)
        if durations:
            mean: float | None = sum(durations) / len(durations)
            p95: float | None = percentile(durations, 0.95)
            longest: float | None = durations[-1]
        else:
            mean = p95 = longest = None
        rows.append(ToolSummary(tool.name, tool.calls, tool.errors, len(durations), mean, p95,
                                longest))
    return rows
