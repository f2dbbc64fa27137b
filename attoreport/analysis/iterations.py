"""Per-iteration figures: events, calls, errors, LLM spend and duration of every iteration.

Counted with whole-column passes (`attoreport.analysis.columns`); only the iteration
boundaries and the LLM responses are walked in Python, a run of consecutive rows of one
iteration at a time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import groupby
from operator import eq

from attoreport.analysis.columns import (
    counts_by_iteration,
    first_timestamps,
    kind_counts,
    rows_of_kinds,
)
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
    events = counts_by_iteration(table)
    if not events:
        return {}
    stats = {number: IterationStats(number, count) for number, count in events.items()}
    for number, started in first_timestamps(table).items():
        stats[number].started = started
    present = kind_counts(table)
    for wanted, field_name in ((TOOL_CALL_KINDS, "tool_calls"), (ERROR_KINDS, "errors")):
        codes = {c for c, n in enumerate(names) if n in wanted and c in present}
        if codes:
            for number, count in counts_by_iteration(table, codes).items():
                setattr(stats[number], field_name, count)
    _durations(table, stats)
    llm = table.llm
    iterations = table.iterations
    start = 0
    for number, run in groupby(map(iterations.__getitem__, llm.rows)):
        end = start + sum(1 for _ in run)
        if number != NO_ITERATION:
            s = stats[number]
            s.llm_calls += end - start
            s.tokens += sum(llm.tokens[start:end])
            s.cost = sum(llm.cost[start:end], s.cost)  # added in file order
        start = end
    return stats


def _durations(table: EventTable, stats: dict[int, IterationStats]) -> None:
    """Each iteration's `iteration_end` duration, or its end minus its latest start."""
    names = table.kind_names
    start_code = names.index("iteration_start")
    end_code = names.index("iteration_end")
    kinds, iterations, timestamps, durations = (table.kinds, table.iterations, table.timestamps,
                                                table.durations)
    rows = rows_of_kinds(table, (start_code, end_code))
    ends = [r for r in rows if kinds[r] == end_code and iterations[r] != NO_ITERATION]
    timed = list(map(durations.__getitem__, ends))
    if all(map(eq, timed, timed)):  # every end has its own duration (the usual case)
        for number, ms in zip(map(iterations.__getitem__, ends), timed, strict=True):
            stats[number].duration_ms = ms
        return
    starts: dict[int, float] = {}
    for row in rows:
        iteration = iterations[row]
        if iteration == NO_ITERATION:
            continue
        ts = timestamps[row]
        if kinds[row] == start_code:
            if ts == ts:
                starts[iteration] = ts
        elif not math.isnan(durations[row]):
            stats[iteration].duration_ms = durations[row]
        elif iteration in starts and ts == ts:
            stats[iteration].duration_ms = (ts - starts[iteration]) * 1000.0
