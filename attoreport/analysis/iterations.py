"""Per-iteration figures: events, calls, errors, LLM spend and duration of every iteration.

Counted with whole-column passes (`attoreport.analysis.columns`); only the iteration
boundaries and the LLM responses are walked in Python, a run of consecutive rows of one
iteration at a time.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from itertools import groupby
from operator import eq
from typing import Any

from attoreport.analysis.columns import (
    as_array,
    counts_by_iteration,
    first_timestamps,
    kind_counts,
    kind_mask,
    numpy_for,
    rows_of_kinds,
    view,
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


class IterationTable(Mapping[int, IterationStats]):
    """Every iteration's figures as columns, keyed by iteration number in ascending order:
    about 70 bytes an iteration instead of a 250-byte object (a million-event trace has
    about 90,000 iterations). An `IterationStats` is made when one is asked for."""

    __slots__ = ("numbers", "events", "llm_calls", "tool_calls", "errors", "tokens", "cost",
                 "duration_ms", "started")

    def __init__(self, numbers: array[int], events: array[int]) -> None:
        size = len(numbers)
        self.numbers = numbers
        self.events = events
        self.llm_calls = array("q", bytes(8 * size))
        self.tool_calls = array("q", bytes(8 * size))
        self.errors = array("q", bytes(8 * size))
        self.tokens: Any = array("q", bytes(8 * size))
        self.cost = array("d", bytes(8 * size))
        #: NaN: none (None in the `IterationStats`).
        self.duration_ms = array("d", [math.nan]) * size
        self.started = array("d", [math.nan]) * size

    def position(self, number: int) -> int:
        """The index of iteration `number` in the columns, or -1."""
        at = bisect_left(self.numbers, number)
        return at if at < len(self.numbers) and self.numbers[at] == number else -1

    def __getitem__(self, number: int) -> IterationStats:
        at = self.position(number)
        if at < 0:
            raise KeyError(number)
        duration, started = self.duration_ms[at], self.started[at]
        return IterationStats(number, self.events[at], self.llm_calls[at], self.tool_calls[at],
                              self.errors[at], self.tokens[at], self.cost[at],
                              None if duration != duration else duration,
                              None if started != started else started)

    def __contains__(self, number: object) -> bool:
        return isinstance(number, int) and self.position(number) >= 0

    def __iter__(self) -> Iterator[int]:
        return iter(self.numbers)

    def __len__(self) -> int:
        return len(self.numbers)


def iteration_stats(table: EventTable) -> IterationTable:
    """Every iteration that appears in the trace, keyed by number, in ascending order."""
    np = numpy_for(table)
    if np is not None and sum(map(abs, table.llm.tokens)) < 2**63:
        return _stats_numpy(np, table)
    names = table.kind_names
    events = counts_by_iteration(table)
    stats = IterationTable(array("q", events), array("q", events.values()))
    if not events:
        return stats
    del events
    position = {number: at for at, number in enumerate(stats.numbers)}
    started = stats.started
    for number, first in first_timestamps(table).items():
        started[position[number]] = first
    present = kind_counts(table)
    for wanted, column in ((TOOL_CALL_KINDS, stats.tool_calls), (ERROR_KINDS, stats.errors)):
        codes = {c for c, n in enumerate(names) if n in wanted and c in present}
        if codes:
            for number, count in counts_by_iteration(table, codes).items():
                column[position[number]] = count
    _durations(table, stats, position)
    llm = table.llm
    if sum(map(abs, llm.tokens)) >= 2**63:  # sums beyond 64 bits: Python integers
        stats.tokens = stats.tokens.tolist()
    llm_calls, tokens, cost = stats.llm_calls, stats.tokens, stats.cost
    iterations = table.iterations
    start = 0
    for number, run in groupby(map(iterations.__getitem__, llm.rows)):
        end = start + sum(1 for _ in run)
        if number != NO_ITERATION:
            at = position[number]
            llm_calls[at] += end - start
            tokens[at] += sum(llm.tokens[start:end])
            cost[at] = sum(llm.cost[start:end], cost[at])  # added in file order
        start = end
    return stats


def _stats_numpy(np: Any, table: EventTable) -> IterationTable:
    """`iteration_stats` with whole-column operations over the runs of rows of one
    iteration (consecutive events share one: a million rows are about 90,000 runs).

    Each figure is summed over a run, then over the runs of its iteration. No array of a
    number per row is made (the masks are a byte a row): indexes and copies of the rows
    took 50 MB at a million events, on top of everything the report keeps."""
    names = table.kind_names
    iterations = view(np, table.iterations)
    if not len(iterations):
        return IterationTable(array("q"), array("q"))
    starts = np.flatnonzero(np.concatenate(([True], iterations[1:] != iterations[:-1])))
    values = iterations[starts]
    real = values != NO_ITERATION
    numbers, of_run = np.unique(values[real], return_inverse=True)
    of_run = of_run.reshape(-1)
    size = len(numbers)

    def by_iteration(per_run: Any) -> Any:
        """Figures of every run (an iteration or not), summed by iteration."""
        return np.bincount(of_run, weights=per_run[real], minlength=size).astype(np.int64)

    lengths = np.diff(np.append(starts, len(iterations)))
    stats = IterationTable(as_array("q", numbers), as_array("q", by_iteration(lengths)))
    if not size:
        return stats
    for wanted, name in ((TOOL_CALL_KINDS, "tool_calls"), (ERROR_KINDS, "errors")):
        codes = [c for c, n in enumerate(names) if n in wanted]
        counts = np.add.reduceat(kind_mask(np, table, codes), starts, dtype=np.int64)
        setattr(stats, name, as_array("q", by_iteration(counts)))
    stats.started = as_array("d", _started(np, table, starts[real], lengths[real], of_run, size))
    end_code = names.index("iteration_end")
    ends = np.flatnonzero(view(np, table.kinds) == end_code)
    ends = ends[iterations[ends] != NO_ITERATION]
    durations = view(np, table.durations)[ends]
    if not np.isnan(durations).any():  # every end has its own duration (the usual case)
        at = np.searchsorted(numbers, iterations[ends])
        column = np.full(size, np.nan)
        # The last end of an iteration wins (its last occurrence, found from the back).
        _, last = np.unique(at[::-1], return_index=True)
        chosen = len(at) - 1 - last
        column[at[chosen]] = durations[chosen]
        stats.duration_ms = as_array("d", column)
    else:
        _durations_numpy(np, table, stats)
    _llm_numpy(np, table, stats)
    return stats


def _started(np: Any, table: EventTable, starts: Any, lengths: Any, of_run: Any,
             size: int) -> Any:
    """Each iteration's first timestamp in file order (NaN: none of its rows has one), from
    its runs: the first row of a run, or its first row with a time when some lack one."""
    timestamps = view(np, table.timestamps)
    started = np.full(size, np.nan)
    first = starts
    if table.missing_timestamps:
        timed = np.flatnonzero(timestamps == timestamps)  # not NaN
        if not len(timed):
            return started
        # Each run's first timed row at or after its start, kept when still inside the run.
        first = timed[np.minimum(np.searchsorted(timed, starts), len(timed) - 1)]
        inside = (first >= starts) & (first < starts + lengths)
        first, of_run = first[inside], of_run[inside]
    found, earliest = np.unique(of_run, return_index=True)  # each iteration's first run
    started[found] = timestamps[first[earliest]]
    return started


def _llm_numpy(np: Any, table: EventTable, stats: IterationTable) -> None:
    """The LLM columns of `stats` with whole-column operations (costs added in file
    order: `np.add.at` adds in index order)."""
    llm = table.llm
    iterations = view(np, table.iterations)[view(np, llm.rows)]
    keep = iterations != NO_ITERATION
    at = np.searchsorted(view(np, stats.numbers), iterations[keep])
    size = len(stats.numbers)
    calls = np.bincount(at, minlength=size).astype(np.int64)
    tokens = np.zeros(size, dtype=np.int64)
    np.add.at(tokens, at, view(np, llm.tokens)[keep])
    cost = np.zeros(size, dtype=np.float64)
    np.add.at(cost, at, view(np, llm.cost)[keep])
    stats.llm_calls = as_array("q", calls)
    stats.tokens = as_array("q", tokens)
    stats.cost = as_array("d", cost)


def _durations_numpy(np: Any, table: EventTable, stats: IterationTable) -> None:
    """`_durations` with whole-column operations, for ends without a duration of their own
    (a dict entry and two list entries per iteration took 130 MB at 333,000 iterations).
    The same rule: an end's own duration, or its time minus the latest start of its
    iteration before it that had a time; the last end that gives one wins."""
    names = table.kind_names
    start_code, end_code = names.index("iteration_start"), names.index("iteration_end")
    kinds, iterations = view(np, table.kinds), view(np, table.iterations)
    mask = kinds == start_code
    mask |= kinds == end_code
    mask &= iterations != NO_ITERATION
    rows = np.flatnonzero(mask)
    del mask
    numbers, stamps = iterations[rows], view(np, table.timestamps)[rows]
    own, is_start = view(np, table.durations)[rows], kinds[rows] == start_code
    del rows
    keep = ~(is_start & np.isnan(stamps))  # a start without a time is passed over
    if not keep.all():
        numbers, stamps, own, is_start = (x[keep] for x in (numbers, stamps, own, is_start))
    del keep
    # By iteration, in file order within each: the latest start before each row. Rows are
    # grouped by iteration already unless iterations interleave (then a stable sort).
    if len(numbers) and not bool((numbers[1:] >= numbers[:-1]).all()):
        order = np.argsort(numbers, kind="stable")
        numbers, stamps, own, is_start = (x[order] for x in (numbers, stamps, own, is_start))
        del order
    latest = np.where(is_start, np.arange(len(numbers)), -1)
    np.maximum.accumulate(latest, out=latest)
    begun = np.maximum(latest, 0)
    had = (latest >= 0) & (numbers[begun] == numbers)
    del latest
    begun = np.where(had, stamps[begun], np.nan)
    del had
    value = np.where(np.isnan(own), (stamps - begun) * 1000.0, own)
    del begun
    ended = ~is_start & ~np.isnan(value)
    at, value = numbers[ended], value[ended]
    if not len(at):
        return
    _, last = np.unique(at[::-1], return_index=True)  # the last end of each iteration
    chosen = len(at) - 1 - last
    column = np.array(view(np, stats.duration_ms))
    column[np.searchsorted(view(np, stats.numbers), at[chosen])] = value[chosen]
    stats.duration_ms = as_array("d", column)


def _durations(table: EventTable, stats: IterationTable, position: dict[int, int]) -> None:
    """Each iteration's `iteration_end` duration, or its end minus its latest start."""
    names = table.kind_names
    start_code = names.index("iteration_start")
    end_code = names.index("iteration_end")
    kinds, iterations, timestamps, durations = (table.kinds, table.iterations, table.timestamps,
                                                table.durations)
    column = stats.duration_ms
    rows = rows_of_kinds(table, (start_code, end_code))
    ends = [r for r in rows if kinds[r] == end_code and iterations[r] != NO_ITERATION]
    timed = list(map(durations.__getitem__, ends))
    if all(map(eq, timed, timed)):  # every end has its own duration (the usual case)
        for number, ms in zip(map(iterations.__getitem__, ends), timed, strict=True):
            column[position[number]] = ms
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
            column[position[iteration]] = durations[row]
        elif iteration in starts and ts == ts:
            column[position[iteration]] = (ts - starts[iteration]) * 1000.0
