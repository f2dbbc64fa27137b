"""The waterfall: spans of iterations, LLM calls, tool calls, subagents and swarm tasks over
time, in lanes (the main agent and each subagent), bounded to what a report can draw."""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

from attoreport.model import FAILURE_KINDS, NO_ITERATION, NO_ROW, NO_STRING, EventTable, Session

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
    #: (lane, rows) from top to bottom.
    lanes: list[tuple[str, int]]
    #: How many spans and markers the whole trace has (the lists above may hold fewer).
    total_spans: int
    total_markers: int


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


def build_timeline(table: EventTable, origin: float, max_spans: int) -> Timeline:
    """Every span and failure marker, then a bounded selection: all failures first (up to
    half the budget), then the longest spans, so short bursts of errors are never lost."""
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
    spans: list[tuple[str, float, float, str, int, int | None, bool]] = []
    markers: list[Marker] = []
    total_markers = 0
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
                spans.append((lane_of(row), at - seconds, seconds, group, row,
                              _iteration(iterations[row]), kind in failing))
        elif kind == start_code and iterations[row] != NO_ITERATION:
            for number, begin in open_iterations.items():
                spans.append(_iteration_span(number, begin, at))
            open_iterations = {iterations[row]: at}
        elif kind == end_code and iterations[row] in open_iterations:
            number = iterations[row]
            spans.append(_iteration_span(number, open_iterations.pop(number), at))
        elif kind == spawn_code and agents[row] != NO_STRING:
            spawns[agents[row]] = at
        elif kind in sub_end and agents[row] in spawns:
            begin = spawns[agents[row]]
            spans.append((lane_of(row), begin, max(at - begin, 0.0), "subagent", row,
                          _iteration(iterations[row]), kind != complete_code))
        if kind in failing:
            total_markers += 1
            if len(markers) < max_spans:
                markers.append(Marker(lane_of(row), at, row))
    for number, begin in open_iterations.items():
        spans.append(_iteration_span(number, begin, last))
    kept = _select(spans, max_spans)
    rows = _pack_rows(kept)
    result = [Span(lane, r, begin, seconds, group, event, iteration, failed)
              for (lane, begin, seconds, group, event, iteration, failed), r
              in zip(kept, rows, strict=True)]
    return Timeline(origin, last, result, markers, _lanes(result, markers), len(spans),
                    total_markers)


def _iteration(value: int) -> int | None:
    return None if value == NO_ITERATION else value


def _iteration_span(number: int, begin: float,
                    end: float) -> tuple[str, float, float, str, int, int | None, bool]:
    return (ITERATIONS_LANE, begin, max(end - begin, 0.0), "iteration", -1, number, False)


def _select(spans: list[tuple[str, float, float, str, int, int | None, bool]],
            budget: int) -> list[tuple[str, float, float, str, int, int | None, bool]]:
    """All spans, or the failed ones (up to half the budget) and then the longest, in time order."""
    if len(spans) <= budget:
        return spans
    failed = [i for i, s in enumerate(spans) if s[6]][: budget // 2]
    chosen = set(failed)
    rest = heapq.nlargest(budget - len(chosen), (i for i in range(len(spans)) if i not in chosen),
                          key=lambda i: spans[i][2])
    chosen.update(rest)
    return [spans[i] for i in sorted(chosen, key=lambda i: (spans[i][1], i))]


def _pack_rows(spans: list[tuple[str, float, float, str, int, int | None, bool]]) -> list[int]:
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
