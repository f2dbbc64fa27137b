"""Perfetto export: the sessions in Chrome's Trace Event Format (JSON), streamed.

    trace_chunks(analyses, version=...) -> Iterator[str]     the whole trace (`--export-trace`)
    bounded_trace(analyses, version=..., max_events=...) -> BoundedTrace   (the report's button)

ui.perfetto.dev and chrome://tracing open the file. Each session is a process (`pid`, named
after the session); each agent is a lane of threads (`tid`): "Iterations", "main agent" and
"agent <id>" for each subagent. Iterations, LLM calls, tool calls, subagent runs, swarm tasks
and compactions are complete events (`ph: "X"`, microseconds since the earliest session's
first event). Spans that overlap in time never share a thread: a lane gets as many threads as
it has calls running at once ("main agent · parallel 2"), so no slice hides or partly covers
another. Cumulative tokens and cost are counter tracks (`ph: "C"`) at each LLM response;
failures (tool errors, model errors, error events, failed subagents and swarm tasks,
overflows, exhausted budgets) are instant events (`ph: "i"`) on their lane; metadata events
(`ph: "M"`) name the processes and threads.

The whole trace is streamed: spans are kept as a few compact arrays per session (not one
object per event), sorted once per lane for the track packing, and written one JSON event at
a time. Every string from the trace (agent and tool names, models, error messages) is
bounded and made one honest line (`textsafe.shown`); JSON encoding escapes the rest.
"""

from __future__ import annotations

import heapq
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

import orjson

from attoreport.analysis import Analysis
from attoreport.analysis.columns import prefix_sums
from attoreport.analysis.insights import origin as session_origin
from attoreport.analysis.timeline import (
    ITERATIONS_LANE,
    MAIN_LANE,
    Marker,
    Timeline,
    spread,
    timeline_items,
)
from attoreport.limits import DEFAULT_LIMITS, Limits
from attoreport.model import FLAG_ERROR_TEXT, NO_ITERATION, NO_STRING, EventTable
from attoreport.textsafe import shown

#: Span groups (the timeline's) in the order of their codes; `cat` of each complete event.
GROUPS = ("iteration", "llm", "tool", "subagent", "swarm", "compaction")
_GROUP_CODE = {name: code for code, name in enumerate(GROUPS)}
#: Counter track names: running totals at each LLM response.
TOKENS_COUNTER = "Tokens (cumulative)"
COST_COUNTER = "Cost in USD (cumulative)"
#: Events serialised per chunk handed to the writer.
CHUNK_EVENTS = 2000
#: Longest error message carried in an instant event's args.
ERROR_CHARS = 240
#: Spans or failures whose error texts are read again from the trace at a time.
ERROR_ROWS = 4096
_MICROS = 1_000_000


@dataclass(slots=True)
class _Spans:
    """One session's spans as columns (microseconds since the export's origin)."""

    lane_names: list[str] = field(default_factory=list)
    lane_codes: dict[str, int] = field(default_factory=dict)
    lane: array[int] = field(default_factory=lambda: array("i"))
    start: array[int] = field(default_factory=lambda: array("q"))
    end: array[int] = field(default_factory=lambda: array("q"))
    group: array[int] = field(default_factory=lambda: array("B"))
    row: array[int] = field(default_factory=lambda: array("q"))
    iteration: array[int] = field(default_factory=lambda: array("q"))
    failed: array[int] = field(default_factory=lambda: array("B"))
    #: Index into `EventTable.llm` of an LLM call's span (-1 for other spans).
    llm_index: array[int] = field(default_factory=lambda: array("q"))

    def add(self, lane: str, begin: float, seconds: float, group: str, row: int,
            iteration: int | None, failed: bool, llm_index: int) -> None:
        """One span, `begin` and `seconds` in seconds since the export's origin."""
        start = _micros(begin)
        self.lane.append(self.lane_code(lane))
        self.start.append(start)
        self.end.append(max(start, _micros(begin + seconds)))
        self.group.append(_GROUP_CODE[group])
        self.row.append(row)
        self.iteration.append(NO_ITERATION if iteration is None else iteration)
        self.failed.append(1 if failed else 0)
        self.llm_index.append(llm_index)

    def lane_code(self, name: str) -> int:
        code = self.lane_codes.get(name)
        if code is None:
            code = self.lane_codes[name] = len(self.lane_names)
            self.lane_names.append(name)
        return code

    def __len__(self) -> int:
        return len(self.start)


@dataclass(slots=True)
class _Markers:
    """One session's failures as columns."""

    lane: array[int] = field(default_factory=lambda: array("i"))
    at: array[int] = field(default_factory=lambda: array("q"))
    row: array[int] = field(default_factory=lambda: array("q"))

    def add(self, lane: int, at: float, row: int) -> None:
        self.lane.append(lane)
        self.at.append(_micros(at))
        self.row.append(row)

    def __len__(self) -> int:
        return len(self.at)


def _micros(seconds: float) -> int:
    return int(round(seconds * _MICROS))


def _collect(table: EventTable, origin: float) -> tuple[_Spans, _Markers]:
    """Every span and failure of the session, in one pass, as compact columns."""
    spans, markers = _Spans(), _Markers()
    llm_rows = table.llm.rows
    next_llm = 0
    for item in timeline_items(table, origin):
        if isinstance(item, Marker):
            markers.add(spans.lane_code(item.lane), item.at, item.event)
            continue
        lane, begin, seconds, group, row, iteration, failed = item
        llm_index = -1
        if group == "llm":  # LLM spans come in file order, like the llm columns
            while next_llm < len(llm_rows) and llm_rows[next_llm] < row:
                next_llm += 1
            if next_llm < len(llm_rows) and llm_rows[next_llm] == row:
                llm_index = next_llm
        spans.add(lane, begin, seconds, group, row, iteration, failed, llm_index)
    return spans, markers


def _from_timeline(timeline: Timeline, table: EventTable, shift: float) -> tuple[_Spans, _Markers]:
    """The spans and failures a report's timeline selected, moved by `shift` seconds onto the
    export's clock (no pass over the events)."""
    spans, markers = _Spans(), _Markers()
    llm_rows = table.llm.rows
    for span in timeline.spans:
        llm_index = -1
        if span.group == "llm":
            k = bisect_left(llm_rows, span.event)
            llm_index = k if k < len(llm_rows) and llm_rows[k] == span.event else -1
        spans.add(span.lane, span.start + shift, span.seconds, span.group, span.event,
                  span.iteration, span.failed, llm_index)
    for marker in timeline.markers:
        markers.add(spans.lane_code(marker.lane), marker.at + shift, marker.event)
    return spans, markers


def _chosen_spans(spans: _Spans, budget: int | None) -> list[int]:
    """Indices of the spans to export, by start time: all of them, or (with a budget) the
    failed ones up to half of it (spread over the run) and then the longest, as the timeline
    chooses."""
    count = len(spans)
    if budget is None or count <= budget:
        indices: Iterable[int] = range(count)
    else:
        failed = spread([i for i in range(count) if spans.failed[i]], budget // 2)
        chosen = set(failed)
        start, end = spans.start, spans.end
        chosen.update(heapq.nlargest(budget - len(chosen),
                                     (i for i in range(count) if i not in chosen),
                                     key=lambda i: end[i] - start[i]))
        indices = chosen
    start = spans.start
    return sorted(indices, key=lambda i: (start[i], i))


class _Tracks:
    """Threads of one process: each lane gets threads so that no two spans on one thread
    overlap (the lowest free thread is reused, a new one opened when all are busy)."""

    def __init__(self, lane_names: Sequence[str], first_tid: int = 1) -> None:
        self._lane_names = lane_names
        self._next_tid = first_tid
        #: lane -> tid of each of its threads, in order.
        self.threads: dict[int, list[int]] = {}
        self._busy: dict[int, list[tuple[int, int]]] = {}  # lane -> heap of (end, track)
        self._free: dict[int, list[int]] = {}  # lane -> heap of free track numbers

    def _open(self, lane: int) -> int:
        tracks = self.threads.setdefault(lane, [])
        tracks.append(self._next_tid)
        self._next_tid += 1
        return len(tracks) - 1

    def place(self, lane: int, start: int, end: int) -> int:
        """The tid for a span [start, end] (spans must come in order of start)."""
        busy = self._busy.setdefault(lane, [])
        free = self._free.setdefault(lane, [])
        while busy and busy[0][0] <= start:
            heapq.heappush(free, heapq.heappop(busy)[1])
        track = heapq.heappop(free) if free else self._open(lane)
        heapq.heappush(busy, (end, track))
        return self.threads[lane][track]

    def first(self, lane: int) -> int:
        """The lane's first thread (opened when the lane has no span yet)."""
        if lane not in self.threads:
            self._open(lane)
        return self.threads[lane][0]

    def names(self) -> Iterator[tuple[int, str, int]]:
        """(tid, thread name, sort index): iterations, then the main agent, then the others."""
        def order(lane: int) -> tuple[int, int]:
            name = self._lane_names[lane]
            return (0 if name == ITERATIONS_LANE else 1 if name == MAIN_LANE else 2, lane)

        position = 0
        for lane in sorted(self.threads, key=order):
            name = self._lane_names[lane]
            label = name if name in (ITERATIONS_LANE, MAIN_LANE) else f"agent {name}"
            for number, tid in enumerate(self.threads[lane], start=1):
                position += 1
                yield tid, label if number == 1 else f"{label} · parallel {number}", position


@dataclass(slots=True)
class _Count:
    """Events exported and events the whole trace has (metadata not counted)."""

    exported: int = 0
    total: int = 0


@dataclass(frozen=True, slots=True)
class _Budget:
    """How much of a session a bounded export keeps."""

    spans: int
    failures: int
    counters: int

    @classmethod
    def of(cls, events: int) -> _Budget:
        return cls(max(events // 2, 1), max(events // 4, 1), max(events // 4, 2))


def _session_events(analysis: Analysis, pid: int, origin: float, limits: Limits,
                    timeline: Timeline | None, budget: _Budget | None,
                    count: _Count) -> Iterator[dict[str, Any]]:
    """The trace events of one session: spans, failures, counters, then its metadata.

    Without a timeline, every span and failure of the trace; with one (the report's), the
    spans and failures it selected, cut further to the budget."""
    table = analysis.session.table
    if timeline is None:
        spans, markers = _collect(table, origin)
        total = len(spans) + len(markers)
    else:
        spans, markers = _from_timeline(timeline, table, timeline.origin - origin)
        total = timeline.total_spans + timeline.total_markers
    tracks = _Tracks(spans.lane_names)
    chosen = _chosen_spans(spans, None if budget is None else budget.spans)
    failures = len(markers) if budget is None else min(len(markers), budget.failures)
    # Error texts are read again from the trace, a part at a time; those of failed calls
    # that are also failure markers are kept from the spans' parts for the markers.
    marked = set(markers.row[:failures])
    known: dict[int, str] = {}
    session, flags, tool = analysis.session, table.flags, _GROUP_CODE["tool"]
    for at in range(0, len(chosen), ERROR_ROWS):
        part = chosen[at:at + ERROR_ROWS]
        errors = session.error_texts([
            spans.row[i] for i in part
            if spans.group[i] == tool and flags[spans.row[i]] & FLAG_ERROR_TEXT
        ]) if flags is not None else {}
        known.update((row, text) for row, text in errors.items() if row in marked)
        for i in part:
            tid = tracks.place(spans.lane[i], spans.start[i], spans.end[i])
            yield _span_event(table, spans, i, pid, tid, limits, errors)
    del marked
    for at in range(0, failures, ERROR_ROWS):
        stop = min(at + ERROR_ROWS, failures)
        rows = markers.row[at:stop]
        errors = session.error_texts([row for row in rows if row not in known])
        errors.update((row, known.pop(row)) for row in rows if row in known)
        for i in range(at, stop):
            yield _failure_event(table, markers, i, pid, tracks.first(markers.lane[i]), limits,
                                 errors)
    timed = _timed_calls(table)
    counters = 0
    for counter in _counter_events(table, pid, origin, timed,
                                   None if budget is None else budget.counters):
        counters += 1
        yield counter
    count.exported += len(chosen) + failures + counters
    count.total += total + 2 * len(timed)
    session_name = shown(analysis.session.session_id, limits.name_chars)
    yield _metadata("process_name", pid, 0, {"name": f"session {session_name}"})
    yield _metadata("process_sort_index", pid, 0, {"sort_index": pid})
    for tid, name, order in tracks.names():
        yield _metadata("thread_name", pid, tid, {"name": shown(name, limits.name_chars + 24)})
        yield _metadata("thread_sort_index", pid, tid, {"sort_index": order})


def _span_event(table: EventTable, spans: _Spans, i: int, pid: int, tid: int,
                limits: Limits, errors: dict[int, str]) -> dict[str, Any]:
    group = GROUPS[spans.group[i]]
    row = spans.row[i]
    iteration = spans.iteration[i]
    args: dict[str, Any] = {}
    if iteration != NO_ITERATION:
        args["iteration"] = iteration
    if row >= 0:
        args["line"] = table.lines[row]
    if spans.failed[i]:
        args["failed"] = True
    name = _span_name(table, spans, i, group, limits, args, errors)
    return {"name": name, "cat": group, "ph": "X", "ts": spans.start[i],
            "dur": spans.end[i] - spans.start[i], "pid": pid, "tid": tid, "args": args}


def _span_name(table: EventTable, spans: _Spans, i: int, group: str, limits: Limits,
               args: dict[str, Any], errors: dict[int, str]) -> str:
    """The slice's name, adding what the trace knows of it to `args`."""
    row = spans.row[i]
    if group == "iteration":
        return f"Iteration {spans.iteration[i]}"
    if group == "llm":
        k = spans.llm_index[i]
        if k >= 0:
            llm = table.llm
            args["tokens"] = llm.tokens[k]
            args["cost_usd"] = llm.cost[k]
            model = table.string(llm.models[k])
            if model:
                args["model"] = shown(model, limits.name_chars)
        return "LLM call"
    if group == "tool":
        tool = table.string(table.tools[row])
        error = errors.get(row)
        if error:
            args["error"] = shown(error, ERROR_CHARS)
        return f"tool {shown(tool, limits.name_chars)}" if tool else "tool call"
    if group == "subagent":
        agent = table.agents[row]
        return (f"subagent {shown(table.strings[agent], limits.name_chars)}"
                if agent != NO_STRING else "subagent")
    if group == "swarm":
        return "swarm task"
    return "compaction"


def _failure_event(table: EventTable, markers: _Markers, i: int, pid: int, tid: int,
                   limits: Limits, errors: dict[int, str]) -> dict[str, Any]:
    row = markers.row[i]
    kind = shown(table.kind(row), limits.name_chars)
    tool = table.string(table.tools[row])
    args: dict[str, Any] = {"line": table.lines[row]}
    iteration = table.iterations[row]
    if iteration != NO_ITERATION:
        args["iteration"] = iteration
    error = errors.get(row)
    if error:
        args["error"] = shown(error, ERROR_CHARS)
    name = f"{kind}: {shown(tool, limits.name_chars)}" if tool else kind
    return {"name": name, "cat": "error", "ph": "i", "s": "t", "ts": markers.at[i],
            "pid": pid, "tid": tid, "args": args}


def _timed_calls(table: EventTable) -> Sequence[int]:
    """Indexes of the LLM responses that have a timestamp (all of them, usually)."""
    stamps, rows = table.timestamps, table.llm.rows
    if not table.missing_timestamps:
        return range(len(rows))
    return [k for k, row in enumerate(rows) if stamps[row] == stamps[row]]


def _counter_events(table: EventTable, pid: int, origin: float, timed: Sequence[int],
                    budget: int | None) -> Iterator[dict[str, Any]]:
    """Running totals of tokens and cost at each timed LLM response (with a budget of events,
    an even sample of the calls that ends with the last; the totals always count every call,
    timed or not, added in file order)."""
    llm, stamps, rows = table.llm, table.timestamps, table.llm.rows
    tokens_so_far = prefix_sums(llm.tokens)[1:]  # Python integers beyond 64 bits
    cost_so_far = array("d", accumulate(llm.cost))
    chosen = (timed if budget is None
              else spread(timed, max(budget // 2, 1)))
    for k in chosen:
        at = _micros(stamps[rows[k]] - origin)
        yield {"name": TOKENS_COUNTER, "ph": "C", "ts": at, "pid": pid,
               "args": {"tokens": tokens_so_far[k]}}
        yield {"name": COST_COUNTER, "ph": "C", "ts": at, "pid": pid,
               "args": {"usd": round(cost_so_far[k], 6)}}


def _metadata(name: str, pid: int, tid: int, args: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "ph": "M", "pid": pid, "tid": tid, "args": args}


def export_origin(analyses: Sequence[Analysis]) -> float:
    """Time 0 of the export: the earliest session's first event (epoch seconds)."""
    return min((session_origin(a) for a in analyses), default=0.0)


def _document(events: Iterator[dict[str, Any]], other: dict[str, Any]) -> Iterator[str]:
    """The JSON object `{"traceEvents": [...], "displayTimeUnit": "ms", "otherData": {...}}`,
    in pieces of CHUNK_EVENTS events."""
    yield '{"traceEvents":[\n'
    batch: list[str] = []
    first = True
    for event in events:
        batch.append(orjson.dumps(event).decode("utf-8"))  # orjson's buffers are 4 KiB
        if len(batch) >= CHUNK_EVENTS:
            yield ("" if first else ",\n") + ",\n".join(batch)
            first, batch = False, []
    if batch:
        yield ("" if first else ",\n") + ",\n".join(batch)
    tail = orjson.dumps({"displayTimeUnit": "ms", "otherData": other}).decode("utf-8")
    yield "\n]," + tail[1:] + "\n"


def trace_chunks(analyses: Sequence[Analysis], *, version: str,
                 limits: Limits = DEFAULT_LIMITS) -> Iterator[str]:
    """The whole trace of these sessions as Chrome Trace Event Format JSON, in pieces."""
    origin = export_origin(analyses)
    events = (event for pid, analysis in enumerate(analyses, start=1)
              for event in _session_events(analysis, pid, origin, limits, None, None, _Count()))
    return _document(events, {"tool": "attoreport", "version": version,
                              "origin_unix_seconds": origin})


@dataclass(frozen=True, slots=True)
class BoundedTrace:
    """The report's embedded copy of the export: at most about `max_events` events."""

    #: The JSON document (not yet escaped for a `<script>` element).
    text: str
    exported: int
    total: int

    @property
    def capped(self) -> bool:
        return self.exported < self.total


def bounded_trace(analyses: Sequence[Analysis], timelines: Sequence[Timeline], *, version: str,
                  max_events: int, limits: Limits = DEFAULT_LIMITS) -> BoundedTrace:
    """The export of what a report shows, from its timelines (one per analysis): the budget
    is shared by the sessions; each keeps its failed calls first, then its longest spans, its
    first failures and an even sample of its counters (whose totals stay exact)."""
    count = _Count()
    origin = export_origin(analyses)
    budget = _Budget.of(max(max_events // max(len(analyses), 1), 8))
    events = (event for pid, (analysis, timeline) in enumerate(
                  zip(analyses, timelines, strict=True), start=1)
              for event in _session_events(analysis, pid, origin, limits, timeline, budget,
                                           count))
    text = "".join(_document(events, {"tool": "attoreport", "version": version,
                                      "origin_unix_seconds": origin, "selection": True}))
    return BoundedTrace(text, count.exported, count.total)
