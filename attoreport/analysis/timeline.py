"""The waterfall: spans of iterations, LLM calls, tool calls, subagents and swarm tasks over
time, in lanes (the main agent and each subagent), bounded to what a report can draw."""

from __future__ import annotations

import heapq
import math
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import compress, repeat
from operator import and_, eq, not_, or_, sub, truediv
from typing import Any, TypeVar

from attoreport.analysis.columns import as_array, kind_mask, numpy_for, rows_of_kinds, view
from attoreport.model import FAILURE_KINDS, NO_ITERATION, NO_ROW, NO_STRING, EventTable, Session

T = TypeVar("T")

ITERATIONS_LANE = "Iterations"
MAIN_LANE = "main agent"
#: Kinds whose duration ends at the event: the span is [timestamp - duration, timestamp].
TIMED_KINDS = {"llm_response": "llm", "tool_end": "tool", "tool_error": "tool",
               "swarm_task_complete": "swarm", "swarm_task_failed": "swarm",
               "compaction_end": "compaction"}
SUBAGENT_ENDS = ("subagent_complete", "subagent_error", "subagent_timeout")
#: Spans drawn behind the others (they are not stacked into rows).
BACKGROUND_GROUPS = frozenset({"iteration", "subagent"})
#: Calls running at once in one lane get up to this many rows; more share the least busy.
MAX_ROWS_PER_LANE = 6


@dataclass(frozen=True, slots=True)
class Span:
    """A bar: seconds since the session's first event, in a lane and a row of it."""

    lane: str
    row: int
    start: float
    seconds: float
    #: "iteration", "llm", "tool", "subagent", "swarm" or "compaction".
    group: str
    #: The event row that ends the span (-1 for an iteration span).
    event: int
    iteration: int | None
    failed: bool


@dataclass(frozen=True, slots=True)
class Marker:
    """A failure at a moment."""

    lane: str
    at: float
    event: int


@dataclass(frozen=True, slots=True)
class Timeline:
    #: Epoch seconds of time 0 (the first event).
    origin: float
    #: Seconds from the first to the last event.
    length: float
    spans: list[Span]
    markers: list[Marker]
    #: (lane, rows) from top to bottom: the lanes drawn on their own. When `total_lanes` is
    #: larger, the spans and markers of the other lanes share one more row below.
    lanes: list[tuple[str, int]]
    #: How many spans and markers the whole trace has (the lists above may hold fewer).
    total_spans: int
    total_markers: int
    #: Lanes the kept spans and markers ran in, when more than fit (0: all drawn on their own).
    total_lanes: int = 0

    @property
    def shared_lanes(self) -> int:
        """Lanes whose spans and markers share the last row (0: none)."""
        return self.total_lanes - len(self.lanes) if self.total_lanes else 0


class Lanes:
    """The lane of each event: its own `agent_id`, else its parent's lane, else the main agent."""

    def __init__(self, table: EventTable) -> None:
        self._table = table
        self._memo: dict[int, str] = {}

    def __call__(self, row: int) -> str:
        memo = self._memo
        found = memo.get(row)
        if found is not None:
            return found
        agents, parents, strings = self._table.agents, self._table.parents, self._table.strings
        path = []
        current = row
        lane = MAIN_LANE
        while current != NO_ROW:
            cached = memo.get(current)
            if cached is not None:
                lane = cached
                break
            path.append(current)
            agent = agents[current]
            if agent != NO_STRING:
                lane = strings[agent]
                break
            current = parents[current]
        for visited in path:
            memo[visited] = lane
        return lane


#: (lane, start, seconds, group, event row, iteration, failed): one span before it is kept.
RawSpan = tuple[str, float, float, str, int, int | None, bool]


def build_timeline(table: EventTable, origin: float, max_spans: int,
                   max_rows: int | None = None) -> Timeline:
    """Every span and failure marker, then a bounded selection: all failures first (up to
    half the budget), then the longest spans, so short bursts of errors are never lost; at
    most a quarter of the budget in failure markers.

    With `max_rows`, at most that many rows of lanes are drawn: the iterations and the main
    agent always, then the agents whose kept spans hold the most failures, then the most
    spans, and one more row that the spans and markers of every other lane share (a trace
    with hundreds of subagents would otherwise draw hundreds of lanes). `lanes` then lists
    the lanes drawn on their own; spans and markers keep their own lane.

    The spans are those `timeline_items` yields, found with C-level scans of the columns;
    only the spans kept (and their lanes) become Python objects.
    """
    found = _SpanColumns.of(table, origin)
    lane_of = Lanes(table)
    kept = [found.span(i, lane_of) for i in found.select(max_spans)]
    markers, total_markers = _markers(table, origin, max(1, max_spans // 4), lane_of)
    rows = _pack_rows(kept)
    result = [Span(lane, r, begin, seconds, group, event, iteration, failed)
              for (lane, begin, seconds, group, event, iteration, failed), r
              in zip(kept, rows, strict=True)]
    lanes = _lanes(result, markers)
    total_lanes = 0
    if max_rows is not None and sum(n for _, n in lanes) > max_rows:
        total_lanes = len(lanes)
        chosen = _busiest_lanes(lanes, result, markers, max(1, max_rows - 1))
        lanes = [(lane, rows) for lane, rows in lanes if lane in chosen]
    return Timeline(origin, _length(table, origin), result, markers, lanes, len(found),
                    total_markers, total_lanes)


def _busiest_lanes(lanes: list[tuple[str, int]], spans: list[Span], markers: list[Marker],
                   max_rows: int) -> set[str]:
    """The iterations and the main agent, then the lanes with the most failures, then the
    most spans (earlier lanes first among equals), while their rows fit in `max_rows`."""
    failures: dict[str, int] = {}
    counts: dict[str, int] = {}
    for span in spans:
        counts[span.lane] = counts.get(span.lane, 0) + 1
        if span.failed:
            failures[span.lane] = failures.get(span.lane, 0) + 1
    for marker in markers:
        failures[marker.lane] = failures.get(marker.lane, 0) + 1
    rows = dict(lanes)
    order = list(rows)
    always = [lane for lane in (ITERATIONS_LANE, MAIN_LANE) if lane in rows]
    others = sorted((lane for lane in order if lane not in always),
                    key=lambda lane: (-failures.get(lane, 0), -counts.get(lane, 0),
                                      order.index(lane)))
    chosen = set(always)
    used = sum(rows[lane] for lane in always)
    for lane in others:
        if used + rows[lane] <= max_rows:
            chosen.add(lane)
            used += rows[lane]
    return chosen


class _SpanColumns:
    """Every span of a session, in two parts: the timed calls (most spans: found with C-level
    scans, kept as parallel lists) and the iterations and subagent runs (a short loop over
    their own rows). Index `i` below `len(rows)` is a timed call, above it one of `others`.

    `timeline_items` yields each span at the row that ends it, so that row (`end`) orders
    the spans as it does.
    """

    def __init__(self, table: EventTable, rows: Sequence[int], starts: Sequence[float],
                 seconds: Sequence[float], failed: Sequence[Any], groups: Sequence[str] | _Groups,
                 others: _Others) -> None:
        # Lists for a small table; compact arrays (8 bytes a span) for a large one.
        self.table = table
        self.rows, self.starts, self.seconds, self.failed, self.groups = (
            rows, starts, seconds, failed, groups)
        #: The other spans, in yield order.
        self.others = others

    def __len__(self) -> int:
        return len(self.rows) + len(self.others)

    @classmethod
    def of(cls, table: EventTable, origin: float) -> _SpanColumns:
        names = table.kind_names
        timed = {c: TIMED_KINDS[n] for c, n in enumerate(names) if n in TIMED_KINDS}
        failing = {c for c, n in enumerate(names) if n in FAILURE_KINDS}
        np = numpy_for(table)
        if np is not None:
            return cls._of_numpy(np, table, origin, timed, failing)
        kinds, stamps, display = table.kinds, table.timestamps, table.display_durations
        rows = list(compress(range(len(kinds)), map(timed.__contains__, kinds)))
        ms = list(map(display.__getitem__, rows))
        at = list(map(stamps.__getitem__, rows))
        known = list(map(eq, ms, ms))  # the duration is not NaN
        if table.missing_timestamps:
            known = list(map(and_, known, map(eq, at, at)))
        if not all(known):
            rows, ms, at = (list(compress(values, known)) for values in (rows, ms, at))
        at = list(map(sub, at, repeat(origin)))
        seconds = list(map(truediv, ms, repeat(1000.0)))
        if seconds and min(seconds) < 0.0:
            seconds = [max(x, 0.0) for x in seconds]
        codes = list(map(kinds.__getitem__, rows))
        return cls(table, rows, list(map(sub, at, seconds)), seconds,
                   list(map(failing.__contains__, codes)), list(map(timed.__getitem__, codes)),
                   _other_spans(table, origin))

    @classmethod
    def _of_numpy(cls, np: Any, table: EventTable, origin: float, timed: dict[int, str],
                  failing: set[int]) -> _SpanColumns:
        """`of` through numpy: the same values, with the same float arithmetic, kept in
        arrays (a million-event trace has half a million spans)."""
        others = _other_spans(table, origin)  # first: its temporaries and these never add up
        # Rows of timed kinds with a duration (and a time): chosen with a byte a row, then
        # each value taken once and worked on in place (a copy per step of half a million
        # spans took 50 MB at a million events).
        mask = kind_mask(np, table, timed)
        display = view(np, table.display_durations)
        mask &= display == display  # not NaN
        stamps = view(np, table.timestamps)
        if table.missing_timestamps:
            mask &= stamps == stamps
        rows = np.flatnonzero(mask)
        del mask
        seconds = display[rows]
        seconds /= 1000.0
        seconds[seconds < 0.0] = 0.0  # as max(x, 0.0): keeps -0.0
        starts = stamps[rows]
        starts -= origin
        starts -= seconds
        codes = view(np, table.kinds)[rows]
        groups = _Groups(as_array("H", codes), timed)
        failed = as_array("B", np.isin(codes, list(failing)))
        del codes
        return cls(table, as_array("q", rows), as_array("d", starts), as_array("d", seconds),
                   failed, groups, others)

    def end(self, index: int) -> int:
        timed = len(self.rows)
        return self.rows[index] if index < timed else self.others.ends[index - timed]

    def start(self, index: int) -> float:
        timed = len(self.rows)
        return self.starts[index] if index < timed else self.others.begins[index - timed]

    def length(self, index: int) -> float:
        timed = len(self.rows)
        return self.seconds[index] if index < timed else self.others.seconds[index - timed]

    def select(self, budget: int) -> list[int]:
        """All spans in yield order; or, when there are more: the failed ones (up to half
        the budget, spread over the whole run: see `spread`), then the longest iterations
        (up to half of what is left), then the longest calls and subagent runs that did not
        fail (then iterations, then failed ones, if room is left); earlier first among
        equals; in time order.

        Iterations are longer than the calls in them, and failed calls (timeouts) often the
        longest calls: chosen only by length they took all the room, and a long run's chart
        showed no call that had worked."""
        total = len(self)
        timed = len(self.rows)
        if total <= budget:
            return sorted(range(total), key=self.end)
        # Flags of the other spans (iterations and subagent runs).
        other_failed, is_iteration = self.others.failed, self.others.iteration
        np = numpy_for(self.table)
        failed_calls = (list(compress(range(timed), self.failed)) if np is None
                        else np.flatnonzero(view(np, self.failed)).tolist())
        failed_runs = list(compress(range(timed, total), other_failed))
        # Both in yield order already; merged by the row that ends each span.
        failed = failed_calls
        if failed_runs:
            if np is None:
                failed = list(heapq.merge(failed_calls, failed_runs, key=self.end))
            else:
                ends = np.concatenate([view(np, self.rows)[failed_calls], np.array(
                    [self.end(i) for i in failed_runs], dtype=np.int64)])
                both = np.array(failed_calls + failed_runs, dtype=np.int64)
                failed = both[np.argsort(ends, kind="stable")].tolist()
        chosen = set(spread(failed, budget // 2))
        wanted = budget - len(chosen)
        iterations = list(compress(range(timed, total), is_iteration))
        runs = list(compress(range(timed, total),
                             map(not_, map(or_, is_iteration, other_failed))))
        lengths = None if np is None else np.concatenate([
            view(np, self.seconds), view(np, self.others.seconds)])
        calls: Any  # the calls and subagent runs that did not fail (through numpy: a mask)
        if np is None:
            calls = [*compress(range(timed), map(not_, self.failed)), *runs]
        else:
            calls = np.zeros(total, dtype=bool)
            np.equal(view(np, self.failed), 0, out=calls[:timed])
            calls[runs] = True
        for pool, share in ((iterations, wanted // 2), (calls, wanted), (iterations, wanted),
                            (failed, wanted)):
            room = min(share, budget - len(chosen))
            chosen.update(self._longest(np, lengths, pool, room, chosen))
        return sorted(chosen, key=lambda i: (self.start(i), self.end(i)))

    def _longest(self, np: Any, lengths: Any, pool: Any, count: int, skip: set[int]) -> list[int]:
        """The `count` longest spans of `pool` (indexes in order, or through numpy a mask of
        every span) not in `skip`, earlier first among equals."""
        if count <= 0 or not len(pool):
            return []
        # The `count` longest not skipped are among the `count + len(skip)` longest.
        place = count + len(skip)
        if np is not None:
            pool = self._first_numpy(np, lengths, pool, place)
        found = [i for i in pool if i not in skip]
        found.sort(key=lambda i: (-self.length(i), self.end(i)))
        return found[:count]

    def _first_numpy(self, np: Any, lengths: Any, pool: Any, place: int) -> list[int]:
        """The `place` first spans of `pool` (a mask of every span, or indexes) in the order
        `_longest` sorts them (longest, then earliest end, then pool order), in pool order.

        Spans as long as the shortest kept one are chosen by that order here: a million
        LLM calls of the same length were all sorted in Python (1.3 s, 150 MB)."""
        mask = isinstance(pool, np.ndarray) and pool.dtype.kind == "b"
        indexes: Any = None if mask else np.asarray(pool, dtype=np.int64)
        values = lengths[pool if mask else indexes]
        if len(values) <= place:
            return (np.flatnonzero(pool) if mask else indexes).tolist()
        values.partition(len(values) - place)  # in place: a copy less
        threshold = values[len(values) - place]
        del values
        if mask:  # positions in the pool are the spans themselves
            longer = np.flatnonzero(pool & (lengths > threshold))
            ties = np.flatnonzero(pool & (lengths == threshold))
        else:
            at = lengths[indexes]
            longer, ties = np.flatnonzero(at > threshold), np.flatnonzero(at == threshold)
        need = place - len(longer)
        if len(ties) > need:
            spans = ties if mask else indexes[ties]
            if mask:  # calls end in the order of their indexes: only the first `need` can
                # come first among the ties; subagent runs end anywhere
                timed = spans < len(self.rows)
                keep = np.concatenate([np.flatnonzero(timed)[:need], np.flatnonzero(~timed)])
                keep.sort()
                ties, spans = ties[keep], spans[keep]
            order = np.lexsort((ties, self._ends(np, spans)))[:need]
            order.sort()
            ties = ties[order]
        positions = np.union1d(longer, ties)
        return (positions if mask else indexes[positions]).tolist()

    def _ends(self, np: Any, spans: Any) -> Any:
        """The row that ends each of these spans (`end`, for an array of indexes)."""
        timed = len(self.rows)
        out = np.empty(len(spans), dtype=np.int64)
        calls = spans < timed
        out[calls] = view(np, self.rows)[spans[calls]]
        if not calls.all():
            out[~calls] = view(np, self.others.ends)[spans[~calls] - timed]
        return out

    def span(self, index: int, lane_of: Lanes) -> RawSpan:
        """The span as `timeline_items` yields it."""
        iterations = self.table.iterations
        timed = len(self.rows)
        if index < timed:
            end = self.rows[index]
            return (lane_of(end), self.starts[index], self.seconds[index], self.groups[index],
                    end, _iteration(iterations[end]), bool(self.failed[index]))
        others, at = self.others, index - timed
        end, start, seconds = others.ends[at], others.begins[at], others.seconds[at]
        if others.iteration[at]:
            return (ITERATIONS_LANE, start, seconds, "iteration", -1, others.numbers[at], False)
        return (lane_of(end), start, seconds, "subagent", end, _iteration(iterations[end]),
                bool(others.failed[at]))


class _Others:
    """The iteration and subagent spans, in yield order, as columns: a long run has tens
    of thousands of iterations, and a tuple each took 260 bytes (23 MB for the 87,000 of a
    million-event trace, and twice that while they were made)."""

    __slots__ = ("ends", "begins", "seconds", "failed", "iteration", "numbers")

    def __init__(self) -> None:
        #: The row that ends each span, its start and length (seconds from the origin).
        self.ends, self.begins, self.seconds = array("q"), array("d"), array("d")
        #: 1: a subagent run that failed; 1: an iteration, then its number (else 0).
        self.failed, self.iteration, self.numbers = array("B"), array("B"), array("q")

    def __len__(self) -> int:
        return len(self.ends)

    def add_iteration(self, end_row: int, begin: float, end: float, number: int) -> None:
        self._add(end_row, begin, end, failed=False, number=number)

    def add_subagent(self, end_row: int, begin: float, end: float, failed: bool) -> None:
        self._add(end_row, begin, end, failed=failed, number=None)

    def _add(self, end_row: int, begin: float, end: float, *, failed: bool,
             number: int | None) -> None:
        """One span, from `begin` to `end`: an iteration (its `number`), or a subagent run."""
        self.ends.append(end_row)
        self.begins.append(begin)
        self.seconds.append(max(end - begin, 0.0))
        self.failed.append(1 if failed else 0)
        self.iteration.append(0 if number is None else 1)
        self.numbers.append(0 if number is None else number)


class _Groups:
    """The group of each timed span, from its kind code (a list would hold a pointer a span)."""

    def __init__(self, codes: array[int], names: dict[int, str]) -> None:
        self.codes, self.names = codes, names

    def __getitem__(self, index: int) -> str:
        return self.names[self.codes[index]]

    def __len__(self) -> int:
        return len(self.codes)


def _other_spans(table: EventTable, origin: float) -> _Others:
    """Iteration and subagent spans (`_Others`), found as `timeline_items` finds them."""
    np = numpy_for(table)
    if np is not None:
        return _other_spans_numpy(np, table, origin)
    names = table.kind_names
    start_code, end_code = names.index("iteration_start"), names.index("iteration_end")
    spawn_code = names.index("subagent_spawn")
    sub_end = {names.index(n) for n in SUBAGENT_ENDS}
    complete_code = names.index("subagent_complete")
    wanted = {start_code, end_code, spawn_code, *sub_end}
    kinds, stamps, iterations, agents = (table.kinds, table.timestamps, table.iterations,
                                         table.agents)
    out = _Others()
    open_iterations: dict[int, float] = {}
    spawns: dict[int, float] = {}
    for row in compress(range(len(kinds)), map(wanted.__contains__, kinds)):
        ts = stamps[row]
        if ts != ts:  # no timestamp
            continue
        at = ts - origin
        kind = kinds[row]
        if kind == start_code and iterations[row] != NO_ITERATION:
            for number, begin in open_iterations.items():
                out.add_iteration(row, begin, at, number)
            open_iterations = {iterations[row]: at}
        elif kind == end_code and iterations[row] in open_iterations:
            number = iterations[row]
            out.add_iteration(row, open_iterations.pop(number), at, number)
        elif kind == spawn_code and agents[row] != NO_STRING:
            spawns[agents[row]] = at
        elif kind in sub_end and agents[row] in spawns:
            failed = kind != complete_code
            out.add_subagent(row, spawns[agents[row]], at, failed)
    if open_iterations:
        last = _length(table, origin)
        for number, begin in open_iterations.items():
            out.add_iteration(len(kinds), begin, last, number)
    return out


def _other_spans_numpy(np: Any, table: EventTable, origin: float) -> _Others:
    """`_other_spans` for a large table: the iteration spans with whole-column operations
    (the walk's state is one open iteration at most: each start closes the one before), the
    few subagent rows walked as before; merged in the order the walk yields them."""
    names = table.kind_names
    start_code, end_code = names.index("iteration_start"), names.index("iteration_end")
    kinds, numbers = view(np, table.kinds), view(np, table.iterations)
    stamps = view(np, table.timestamps)
    # Worked on in place, each temporary dropped when done: a copy per step took 25 MB at
    # a million events (180,000 iteration starts and ends).
    mask = kinds == start_code
    mask |= kinds == end_code
    mask &= numbers != NO_ITERATION
    if table.missing_timestamps:
        mask &= stamps == stamps
    rows = np.flatnonzero(mask)
    del mask
    is_start = kinds[rows] == start_code
    its, at = numbers[rows], stamps[rows]
    at -= origin
    # The latest start before each position (-1: none yet).
    before = np.where(is_start, np.arange(len(rows)), -1)
    np.maximum.accumulate(before, out=before)
    before[1:] = before[:-1].copy()
    before[:1] = -1
    # An end closes the open iteration: the first end of its number after that start.
    candidates = np.flatnonzero(~is_start & (before >= 0))
    candidates = candidates[its[candidates] == its[before[candidates]]]
    opened, first = np.unique(before[candidates], return_index=True)
    closing = candidates[first]
    del candidates, first
    closed = np.zeros(len(rows), dtype=bool)
    closed[opened] = True
    del opened
    # A start closes the start before it when no end did.
    starts = np.flatnonzero(is_start)
    del is_start
    pairs = [(closing, before[closing])]
    del before
    if len(starts) > 1:
        previous = starts[:-1]
        unclosed = ~closed[previous]
        pairs.append((starts[1:][unclosed], previous[unclosed]))
    end_row = np.concatenate([rows[ending] for ending, _ in pairs])
    begin = np.concatenate([at[begun] for _, begun in pairs])
    seconds = np.concatenate([at[ending] for ending, _ in pairs])
    number = np.concatenate([its[begun] for _, begun in pairs])
    del pairs
    seconds -= begin
    seconds[seconds < 0.0] = 0.0  # as max(x, 0.0): keeps -0.0
    iteration = np.ones(len(end_row), dtype=np.uint8)
    failed = np.zeros(len(end_row), dtype=np.uint8)
    subagents = _subagent_spans(table, origin)
    if len(subagents):  # after the iterations that end at the same row, as a stable sort puts them
        end_row, begin, seconds, failed, iteration, number = (
            np.concatenate([mine, view(np, theirs)]) for mine, theirs in (
                (end_row, subagents.ends), (begin, subagents.begins),
                (seconds, subagents.seconds), (failed, subagents.failed),
                (iteration, subagents.iteration), (number, subagents.numbers)))
    order = np.argsort(end_row, kind="stable")
    out = _Others()
    out.ends, out.begins = as_array("q", end_row[order]), as_array("d", begin[order])
    out.seconds, out.failed = as_array("d", seconds[order]), as_array("B", failed[order])
    out.iteration, out.numbers = as_array("B", iteration[order]), as_array("q", number[order])
    if len(starts) and not closed[starts[-1]]:  # still open at the end: closes at the last event
        last = starts[-1]
        out.add_iteration(len(kinds), float(at[last]), _length(table, origin), int(its[last]))
    return out


def _subagent_spans(table: EventTable, origin: float) -> _Others:
    """`_other_spans`'s subagent runs (from a spawn to its agent's end)."""
    names = table.kind_names
    spawn_code = names.index("subagent_spawn")
    sub_end = {names.index(n) for n in SUBAGENT_ENDS}
    complete_code = names.index("subagent_complete")
    kinds, stamps, agents = table.kinds, table.timestamps, table.agents
    out = _Others()
    spawns: dict[int, float] = {}
    for row in rows_of_kinds(table, {spawn_code, *sub_end}):
        ts = stamps[row]
        if ts != ts:  # no timestamp
            continue
        at = ts - origin
        if kinds[row] == spawn_code:
            if agents[row] != NO_STRING:
                spawns[agents[row]] = at
        elif agents[row] in spawns:
            failed = kinds[row] != complete_code
            out.add_subagent(row, spawns[agents[row]], at, failed)
    return out


def spread(items: Sequence[T], size: int) -> list[T]:
    """At most `size` of `items`, evenly spaced, in order: the first and the last always
    (one: the last). A long run's failures are shown over its whole length, not only the
    first ones (which crowded its first minutes and left the rest looking clean)."""
    count = len(items)
    if count <= size:
        return list(items)
    if size <= 1:
        return [items[-1]] if size == 1 else []
    return [items[round(j * (count - 1) / (size - 1))] for j in range(size)]


def _markers(table: EventTable, origin: float, budget: int,
             lane_of: Lanes) -> tuple[list[Marker], int]:
    """At most `budget` failure markers, spread over the run (file order), and how many
    there are."""
    names = table.kind_names
    stamps = table.timestamps
    rows = rows_of_kinds(table, {c for c, n in enumerate(names) if n in FAILURE_KINDS})
    if table.missing_timestamps:
        rows = [r for r in rows if stamps[r] == stamps[r]]
    return ([Marker(lane_of(row), stamps[row] - origin, row) for row in spread(rows, budget)],
            len(rows))


def _length(table: EventTable, origin: float) -> float:
    """Seconds from `origin` to the last timestamped event (at least 0)."""
    stamps = table.timestamps
    if table.missing_timestamps:
        last = max((t for t in stamps if t == t), default=None)
    else:
        last = max(stamps, default=None)
    return 0.0 if last is None else max(0.0, last - origin)


def timeline_items(table: EventTable, origin: float) -> Iterator[RawSpan | Marker]:
    """Every span (iterations, timed calls, subagent runs) and failure marker, streamed in
    one pass over the columns: seconds since `origin`, each span in its agent's lane.

    Spans are yielded when they end (file order), so a caller can keep them compactly;
    iterations still open at the end close at the last event.
    """
    names = table.kind_names
    timed = {c: TIMED_KINDS[n] for c, n in enumerate(names) if n in TIMED_KINDS}
    failing = {c for c, n in enumerate(names) if n in FAILURE_KINDS}
    start_code, end_code = names.index("iteration_start"), names.index("iteration_end")
    spawn_code = names.index("subagent_spawn")
    sub_end = {names.index(n) for n in SUBAGENT_ENDS}
    complete_code = names.index("subagent_complete")
    lane_of = Lanes(table)
    kinds, stamps, iterations = table.kinds, table.timestamps, table.iterations
    display, agents = table.display_durations, table.agents
    open_iterations: dict[int, float] = {}
    spawns: dict[int, float] = {}
    last = 0.0
    for row, kind in enumerate(kinds):
        ts = stamps[row]
        if ts != ts:  # no timestamp
            continue
        at = ts - origin
        if at > last:
            last = at
        group = timed.get(kind)
        if group is not None:
            ms = display[row]
            if not math.isnan(ms):
                seconds = max(ms / 1000.0, 0.0)
                yield (lane_of(row), at - seconds, seconds, group, row,
                       _iteration(iterations[row]), kind in failing)
        elif kind == start_code and iterations[row] != NO_ITERATION:
            for number, begin in open_iterations.items():
                yield _iteration_span(number, begin, at)
            open_iterations = {iterations[row]: at}
        elif kind == end_code and iterations[row] in open_iterations:
            number = iterations[row]
            yield _iteration_span(number, open_iterations.pop(number), at)
        elif kind == spawn_code and agents[row] != NO_STRING:
            spawns[agents[row]] = at
        elif kind in sub_end and agents[row] in spawns:
            begin = spawns[agents[row]]
            yield (lane_of(row), begin, max(at - begin, 0.0), "subagent", row,
                   _iteration(iterations[row]), kind != complete_code)
        if kind in failing:
            yield Marker(lane_of(row), at, row)
    for number, begin in open_iterations.items():
        yield _iteration_span(number, begin, last)


def _iteration(value: int) -> int | None:
    return None if value == NO_ITERATION else value


def _iteration_span(number: int, begin: float, end: float) -> RawSpan:
    return (ITERATIONS_LANE, begin, max(end - begin, 0.0), "iteration", -1, number, False)


def _pack_rows(spans: list[RawSpan]) -> list[int]:
    """A row per span so that calls running at the same time in one lane do not hide each
    other (greedy interval packing). Iterations and subagent runs stay in row 0, behind."""
    rows = [0] * len(spans)
    ends: dict[str, list[float]] = {}
    for i in sorted(range(len(spans)), key=lambda i: spans[i][1]):
        lane, begin, seconds, group = spans[i][:4]
        if group in BACKGROUND_GROUPS:
            continue
        lane_ends = ends.setdefault(lane, [])
        row = next((r for r, end in enumerate(lane_ends) if end <= begin + 1e-9), len(lane_ends))
        if row == len(lane_ends):
            if row >= MAX_ROWS_PER_LANE:
                row = min(range(len(lane_ends)), key=lane_ends.__getitem__)
            else:
                lane_ends.append(0.0)
        lane_ends[row] = max(lane_ends[row], begin + seconds)
        rows[i] = row
    return rows


def _lanes(spans: list[Span], markers: list[Marker]) -> list[tuple[str, int]]:
    """Lanes top to bottom: iterations, the main agent, then the others in order of
    appearance; each with how many rows its spans need."""
    rows: dict[str, int] = {ITERATIONS_LANE: 0, MAIN_LANE: 0}
    used: set[str] = set()
    for span in sorted(spans, key=lambda s: s.start):
        rows[span.lane] = max(rows.get(span.lane, 0), span.row + 1)
        used.add(span.lane)
    for marker in markers:
        rows.setdefault(marker.lane, 1)
        rows[marker.lane] = max(rows[marker.lane], 1)
        used.add(marker.lane)
    return [(lane, count) for lane, count in rows.items() if lane in used]


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One row of Attocode's chronological timeline (`SessionAnalyzer.timeline()`)."""

    timestamp: float
    event_kind: str
    iteration: int | None
    summary: str
    duration_ms: float | None


def attocode_timeline(session: Session) -> list[TimelineEntry]:
    """Every event sorted by timestamp (stable), as Attocode's `SessionAnalyzer.timeline()`."""
    table = session.table
    details = session.details(list(range(len(table))))
    stamps = table.timestamps
    order = sorted(range(len(table)), key=lambda r: 0.0 if stamps[r] != stamps[r] else stamps[r])
    return [TimelineEntry(0.0 if stamps[r] != stamps[r] else stamps[r], table.kind(r),
                          _iteration(table.iterations[r]), details[r].label,
                          None if math.isnan(table.durations[r]) else table.durations[r])
            for r in order]
