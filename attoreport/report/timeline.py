"""The timeline section: a waterfall of the session over time, and the event log under it."""

from __future__ import annotations

from dataclasses import dataclass

from attoreport.analysis.timeline import ITERATIONS_LANE, MAIN_LANE, Lanes, Span
from attoreport.model import CATEGORIES, FAILURE_KINDS, KNOWN_KINDS, NO_ITERATION, category_of
from attoreport.report import charts
from attoreport.report import format as fmt
from attoreport.report.common import Chart, Context, showing

#: Kinds offered in the log's kind filter (unknown kinds beyond this are only searchable).
MAX_KIND_OPTIONS = 80
HOVER_CHARS = 160


@dataclass(frozen=True, slots=True)
class EventRow:
    offset: str
    iteration: int | None
    link: str
    kind: str
    category: str
    known: bool
    #: What happened, in a line ("Tool completed: bash (4200ms)").
    label: str
    #: A tool call's main argument (the command, the path) and the start of its result.
    subject: str
    excerpt: str
    duration: str
    #: The agent it ran in ("" for the main agent).
    lane: str
    failed: bool


@dataclass(frozen=True, slots=True)
class Gap:
    """Events of the trace that the log leaves out at this place."""

    hidden: int


@dataclass(frozen=True, slots=True)
class TimelineView:
    chart: Chart | None
    #: Said when the waterfall draws a selection.
    chart_note: str
    rows: list[EventRow | Gap]
    #: "Showing 3,000 of 1,000,000 events: …" or "".
    log_note: str
    total: int
    categories: list[str]
    kinds: list[str]


def lane_names(lanes: list[tuple[str, int]], ctx: Context) -> dict[tuple[str, int], str]:
    """A short, unique display name for each (lane, row): long agent ids cannot blow up
    the chart, and extra rows of calls that ran at the same time say so."""
    names: dict[tuple[str, int], str] = {}
    used: set[str] = set()
    for lane, rows in lanes:
        base = _lane_base(lane, ctx)
        name = base
        suffix = 2
        while name in used:
            name = f"{base} #{suffix}"
            suffix += 1
        used.add(name)
        for row in range(rows):
            names[(lane, row)] = name if row == 0 else f"{name}, parallel {row + 1}"
    return names


def _lane_base(lane: str, ctx: Context) -> str:
    base = lane if lane in (ITERATIONS_LANE, MAIN_LANE) else f"agent {ctx.name(lane)}"
    return base if len(base) <= 40 else base[:39] + "…"


def _span_label(ctx: Context, span: Span) -> str:
    if span.event < 0:
        return f"Iteration {span.iteration}"
    detail = ctx.detail(span.event)
    text = detail.label + (f" — {detail.subject}" if detail.subject else "")
    return ctx.label(text)[:HOVER_CHARS]  # ctx.label bounds it to the shared label budget


def build(ctx: Context) -> TimelineView:
    timeline = ctx.insights.timeline
    chart = None
    chart_note = ""
    if timeline.spans or timeline.markers:
        names = lane_names(timeline.lanes, ctx)
        order = [names[(lane, row)] for lane, rows in timeline.lanes for row in range(rows)]
        shared = ""
        if timeline.shared_lanes:
            shared = f"{fmt.count(timeline.shared_lanes)} more lanes"
            order.append(shared)

        def place(lane: str, row: int, label: str) -> tuple[str, str]:
            """The row a span or marker is drawn in, and its hover (a shared row names the
            lane the call ran in)."""
            name = names.get((lane, row))
            if name is not None:
                return name, label
            return shared, f"{_lane_base(lane, ctx)}: {label}"[:HOVER_CHARS]

        bars = []
        for s in timeline.spans:
            lane, label = place(s.lane, s.row, _span_label(ctx, s))
            bars.append(charts.Bar(lane, s.start, s.seconds, s.group, label, s.failed))
        marks = []
        for m in timeline.markers:
            lane, label = place(m.lane, 0, ctx.label(ctx.detail(m.event).label)[:HOVER_CHARS])
            marks.append(charts.Mark(lane, m.at, label))
        chart = ctx.chart("timeline",
                          charts.timeline_chart(order, bars, marks, timeline.length),
                          "Waterfall chart of iterations, model calls and tool calls over time")
        notes = []
        shown_note = showing(len(timeline.spans), timeline.total_spans, "bars")
        if shown_note:
            notes.append(shown_note + ": failures first (spread over the whole run when "
                         "there are more than fit), then the longest iterations and calls.")
        if shared:
            notes.append(f"{fmt.count(timeline.total_lanes)} lanes: the main agent and the "
                         "agents with the most failures and calls have their own, the other "
                         f"{fmt.count(timeline.shared_lanes)} share the last one.")
        chart_note = " ".join(notes)
    rows = _log_rows(ctx)
    selection = ctx.insights.events
    log_note = showing(len(selection.rows), selection.total, "events")
    if log_note:
        log_note += (": every failure, the events behind each issue, the slowest calls, and the "
                     "first and last events. The summary, charts and issues cover all of them.")
    # The filters offer what the log shows.
    shown_kinds = {r.kind for r in rows if isinstance(r, EventRow)}
    kinds = sorted(shown_kinds, key=lambda k: (k not in KNOWN_KINDS, k))[:MAX_KIND_OPTIONS]
    return TimelineView(
        chart=chart, chart_note=chart_note, rows=rows, log_note=log_note,
        total=selection.total,
        categories=[c for c in CATEGORIES
                    if any(r.category == c for r in rows if isinstance(r, EventRow))],
        kinds=kinds,
    )


def _log_rows(ctx: Context) -> list[EventRow | Gap]:
    table = ctx.analysis.session.table
    selection = ctx.insights.events
    origin = ctx.insights.timeline.origin
    rows: list[EventRow | Gap] = []
    lane_of = Lanes(table)
    for row, hidden in zip(selection.rows, selection.hidden_before, strict=True):
        if hidden:
            rows.append(Gap(hidden))
        kind = table.kind(row)
        ts = table.timestamps[row]
        iteration = table.iterations[row]
        number = None if iteration == NO_ITERATION else iteration
        detail = ctx.detail(row)
        ms = table.display_durations[row]
        lane = lane_of(row)
        rows.append(EventRow(
            offset="–" if ts != ts else fmt.offset(ts - origin),
            iteration=number,
            link=ctx.iteration_link(number),
            kind=ctx.name(kind),
            category=category_of(kind),
            known=kind in KNOWN_KINDS,
            label=ctx.label(detail.label),
            subject=ctx.label(detail.subject),
            excerpt=ctx.label(detail.excerpt),
            duration="" if ms != ms else fmt.duration_ms(ms),
            lane="" if lane == MAIN_LANE else ctx.name(lane),
            failed=kind in FAILURE_KINDS,
        ))
    if selection.hidden_after:
        rows.append(Gap(selection.hidden_after))
    return rows
