"""Per-iteration figures: events, calls, errors, LLM spend and duration of every iteration.

Counted with C-level passes over the columns (`Counter` over the iteration column, filtered
by kind with `compress`); only the iteration boundaries and the LLM responses are walked in
Python, a run of consecutive rows of one iteration at a time.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from itertools import compress, groupby
from operator import eq

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
    kinds, iterations = table.kinds, table.iterations
    events = Counter(iterations)
    events.pop(NO_ITERATION, None)
    if not events:
        return {}
    stats = {number: IterationStats(number, count) for number, count in sorted(events.items())}
    for number, started in _first_timestamps(table).items():
        if number != NO_ITERATION:
            stats[number].started = started
    present = set(kinds)
    for wanted, field_name in ((TOOL_CALL_KINDS, "tool_calls"), (ERROR_KINDS, "errors")):
        codes = {c for c, n in enumerate(names) if n in wanted}
        if codes & present:
            for number, count in Counter(compress(iterations, map(codes.__contains__,
                                                                  kinds))).items():
                if number != NO_ITERATION:
                    setattr(stats[number], field_name, count)
    _durations(table, stats)
    llm = table.llm
    llm_iterations = list(map(iterations.__getitem__, llm.rows))
    start = 0
    for number, run in groupby(llm_iterations):
        end = start + sum(1 for _ in run)
        if number != NO_ITERATION:
            s = stats[number]
            s.llm_calls += end - start
            s.tokens += sum(llm.tokens[start:end])
            s.cost = sum(llm.cost[start:end], s.cost)  # added in file order
        start = end
    return stats


def _first_timestamps(table: EventTable) -> dict[int, float]:
    """Iteration -> timestamp of its first event that has one."""
    iterations, timestamps = table.iterations, table.timestamps
    if not table.missing_timestamps:  # the last write of each key, backwards, is its first
        return dict(zip(reversed(iterations), reversed(timestamps), strict=True))
    known = list(map(eq, timestamps, timestamps))
    return dict(zip(reversed(list(compress(iterations, known))),
                    reversed(list(compress(timestamps, known))), strict=True))


def _durations(table: EventTable, stats: dict[int, IterationStats]) -> None:
    """Each iteration's `iteration_end` duration, or its end minus its latest start."""
    names = table.kind_names
    start_code = names.index("iteration_start")
    end_code = names.index("iteration_end")
    kinds, iterations, timestamps, durations = (table.kinds, table.iterations, table.timestamps,
                                                table.durations)
    starts: dict[int, float] = {}
    bounds = {start_code, end_code}
    for row in compress(range(len(kinds)), map(bounds.__contains__, kinds)):
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
