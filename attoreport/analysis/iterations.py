"""Per-iteration figures: events, calls, errors, LLM spend and duration of every iteration."""

from __future__ import annotations

import math
from dataclasses import dataclass

from attoreport.model import ERROR_KINDS, NO_ITERATION, TOOL_CALL_KINDS, EventTable


@dataclass(slots=True)
class IterationStats:
    """What one iteration did. Tokens and cost count its LLM responses, as Attocode's token
    flow does; `duration_ms` is its `iteration_end` duration or end minus start."""

    iteration: int
    events: int = 0
    llm_calls: int = 0
    tool_calls: int = 0
    #: Failed tool calls, LLM errors and error events (the summary's definition).
    errors: int = 0
    tokens: int = 0
    cost: float = 0.0
    duration_ms: float | None = None
    #: Timestamp of its first event (epoch seconds), None when no event had one.
    started: float | None = None


def iteration_stats(table: EventTable) -> dict[int, IterationStats]:
    """Every iteration that appears in the trace, keyed by number, in ascending order."""
    names = table.kind_names
    error_codes = {c for c, n in enumerate(names) if n in ERROR_KINDS}
    tool_codes = {c for c, n in enumerate(names) if n in TOOL_CALL_KINDS}
    start_code = names.index("iteration_start")
    end_code = names.index("iteration_end")
    stats: dict[int, IterationStats] = {}
    starts: dict[int, float] = {}
    kinds, iterations, timestamps, durations = (table.kinds, table.iterations, table.timestamps,
                                                table.durations)
    for row, iteration in enumerate(iterations):
        if iteration == NO_ITERATION:
            continue
        s = stats.get(iteration)
        if s is None:
            s = stats[iteration] = IterationStats(iteration)
        s.events += 1
        kind = kinds[row]
        ts = timestamps[row]
        if s.started is None and ts == ts:  # not NaN
            s.started = ts
        if kind in tool_codes:
            s.tool_calls += 1
        if kind in error_codes:
            s.errors += 1
        if kind == start_code:
            if ts == ts:
                starts[iteration] = ts
        elif kind == end_code:
            if not math.isnan(durations[row]):
                s.duration_ms = durations[row]
            elif iteration in starts and ts == ts:
                s.duration_ms = (ts - starts[iteration]) * 1000.0
    llm = table.llm
    for row, tokens, cost in zip(llm.rows, llm.tokens, llm.cost, strict=True):
        iteration = iterations[row]
        if iteration != NO_ITERATION:
            s = stats[iteration]
            s.llm_calls += 1
            s.tokens += tokens
            s.cost += cost
    return dict(sorted(stats.items()))
