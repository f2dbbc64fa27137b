"""The swarm view: a run folder's analysis worded and formatted for the report.

`swarm_view(analysis, anchor)` builds the `SwarmView` that `templates/_swarm.html.j2`
lays out (`data-view="swarm"`): goal, outcome, the task graph as inline SVG (coordinates
from `attoreport.swarm.layout`), the task table with a detail per task, the timeline
(a plotly figure from `swarm_charts`), the coordinator's decisions and errors, and the
swarm rules' findings. `swarm_document` is the run's entry of the `--json` `swarms` list;
`swarm_markdown` its part of the `--markdown` summary.

All wording and number formatting for swarm runs lives here. Every string from a run
folder is bounded here and escaped later (jinja2 autoescape, `_chart_text` for plotly,
`markdown_cell` for Markdown); DOM ids are built from positions, never from the run.
"""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from attoreport.limits import DEFAULT_LIMITS, Limits
from attoreport.report import format as fmt
from attoreport.report.common import Chart, make_chart, plural
from attoreport.report.mdtext import escape_text
from attoreport.swarm.layout import GraphLayout, layout_graph
from attoreport.swarm.results import (
    Attempt,
    Mark,
    SwarmAnalysis,
    SwarmIssue,
    TaskAnalysis,
)
from attoreport.swarm.values import bounded

# ---------------------------------------------------------------------------
# Words
# ---------------------------------------------------------------------------

#: status -> (word, glyph, tone). The glyph and the word say what the colour says.
STATUS_LOOK: dict[str, tuple[str, str, str]] = {
    "done": ("done", "✓", "good"),
    "failed": ("failed", "✕", "bad"),
    "skipped": ("skipped", "⊘", "muted"),
    "needs_review": ("needs review", "?", "warn"),
    "pending": ("not started", "○", "muted"),
    "running": ("running", "▶", "warn"),
}
OTHER_STATUS = ("", "•", "muted")
#: attempt outcome -> (word, tone).
ATTEMPT_LOOK: dict[str, tuple[str, str]] = {
    "done": ("done", "good"),
    "retried": ("failed, retried", "bad"),
    "failed": ("failed, given up", "bad"),
    "needs_review": ("needs review", "warn"),
    "skipped": ("stopped (poison task)", "muted"),
    "interrupted": ("interrupted (attoswarm stopped)", "muted"),
    "open": ("no verdict recorded", "muted"),
}
SHUTDOWN_REASONS = {
    "budget_exhausted": "the budget ran out",
    "signal:SIGTERM": "it was sent SIGTERM",
    "signal:SIGINT": "it was interrupted (Ctrl-C)",
    "control:shutdown": "the user asked it to stop",
    "control:reject": "the user rejected the plan",
    "approval_timeout": "nobody approved the plan in time",
}
DECISION_WORDS = {
    "decomposition_complete": "plan",
    "retry": "retry",
    "task_failed": "task failed",
    "poison_detected": "poison task",
    "budget_projection": "budget",
    "budget_gate_block": "budget gate",
    "parallel_safety_split": "serialised",
}
MARK_LOOK: dict[str, tuple[str, str, str]] = {  # kind -> (legend name, plotly symbol, colour)
    "decision": ("Decision", "diamond", "#4e79a7"),
    "batch": ("Batch dispatched", "triangle-down", "#9c755f"),
    "retry": ("Retry", "x", "#e15759"),
    "resume": ("Resumed", "star", "#b07aa1"),
    "shutdown": ("Shutdown requested", "square", "#e15759"),
    "budget": ("Budget", "square", "#edc948"),
    "control": ("User command", "circle", "#76b7b2"),
    "warning": ("Warning", "triangle-up", "#f28e2b"),
}
ATTEMPT_COLOURS = {"done": "#59a14f", "retried": "#e15759", "failed": "#b3261e",
                   "needs_review": "#edc948", "skipped": "#9d9d9d", "interrupted": "#bab0ac",
                   "open": "#bab0ac"}
COORDINATOR_LANE = "Coordinator"

#: Bounds of what the report shows (the JSON output has everything); the tasks, tool calls,
#: lanes and marks shown are `Limits.swarm_tasks`, `swarm_calls`, `lanes` and `bars`.
MAX_MARKS = 2000
TITLE_IN_ROW = 90
SAID_IN_ROW = 110
PROMPT_CHARS = 20_000
RESULT_CHARS = 4_000
LOG_CHARS = 8_000
LANE_CHARS = 40


# ---------------------------------------------------------------------------
# The view model
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Fact:
    """A labelled figure, with a note saying what it is or where it comes from."""

    label: str
    value: str
    note: str = ""
    tone: str = ""


@dataclass(frozen=True, slots=True)
class Verdict:
    word: str
    sentence: str
    #: "good", "warn" or "bad" (the word says it too).
    tone: str


@dataclass(frozen=True, slots=True)
class GraphNode:
    """A task's box in the SVG graph (coordinates as SVG number strings)."""

    href: str
    x: str
    y: str
    width: str
    height: str
    status: str
    glyph: str
    task_id: str
    short_title: str
    #: The accessible name and tooltip: "task-1, done: Add quantity helpers".
    label: str
    text_x: str
    id_y: str
    title_y: str


@dataclass(frozen=True, slots=True)
class GraphEdge:
    path: str
    #: The dependent never ran because of this dependency (drawn dashed).
    blocked: bool


@dataclass(frozen=True, slots=True)
class GraphLevel:
    label: str
    y: str


@dataclass(frozen=True, slots=True)
class LegendItem:
    status: str
    word: str
    glyph: str
    count: int


@dataclass(frozen=True, slots=True)
class GraphView:
    """The task graph, laid out: everything the SVG needs, as numbers and words."""

    width: str
    height: str
    view_box: str
    compact: bool
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    levels: list[GraphLevel]
    legend: list[LegendItem]
    #: "18 tasks in 6 levels", and a word on wrapping/cycles when needed.
    caption: str
    arrow_id: str


@dataclass(frozen=True, slots=True)
class TaskRow:
    """A row of the task table (display text, and a sort value per column)."""

    href: str
    task_id: str
    title: str
    kind: str
    status: str
    status_word: str
    glyph: str
    tone: str
    level: int
    attempts: str
    attempts_value: int
    worker: str
    duration: str
    duration_value: float
    tool_calls: str
    tool_calls_value: int
    tokens: str
    tokens_value: int
    cost: str
    cost_value: float
    files: str
    said: str


@dataclass(frozen=True, slots=True)
class CallRow:
    offset: str
    attempt: str
    tool: str
    argument: str


@dataclass(frozen=True, slots=True)
class AttemptRow:
    number: int
    started: str
    ran: str
    outcome: str
    tone: str
    tool_calls: str
    tokens: str
    cost: str
    note: str


@dataclass(frozen=True, slots=True)
class ProblemRow:
    offset: str
    attempt: str
    cause: str
    message: str


@dataclass(frozen=True, slots=True)
class LinkedTask:
    href: str
    task_id: str


@dataclass(frozen=True, slots=True)
class TaskDetail:
    """Everything the `<details>` of one task shows."""

    dom_id: str
    task_id: str
    title: str
    status: str
    status_word: str
    glyph: str
    tone: str
    facts: list[Fact]
    description: str
    #: Why the coordinator stopped it, or ended it without a worker verdict, worded.
    stopped: str
    advice: str
    deps: list[LinkedTask]
    dependents: list[LinkedTask]
    attempts: list[AttemptRow]
    problems: list[ProblemRow]
    tests: list[str]
    calls: list[CallRow]
    calls_note: str
    prompt: str
    said: str
    result: str
    files: list[str]


@dataclass(frozen=True, slots=True)
class DecisionRow:
    offset: str
    phase: str
    kind: str
    decision: str
    reasoning: str


@dataclass(frozen=True, slots=True)
class CoordinatorProblemRow:
    offset: str
    kind: str
    tone: str
    task: LinkedTask | None
    message: str


@dataclass(frozen=True, slots=True)
class IssueRow:
    severity: str
    title: str
    description: str
    suggestion: str
    threshold: str
    tasks: list[LinkedTask]


@dataclass(frozen=True, slots=True)
class HistoryRow:
    source: str
    run_id: str
    phase: str
    tasks: str
    goal: str
    updated: str


@dataclass(frozen=True, slots=True)
class ControlRow:
    line: int
    action: str
    task_id: str
    timestamp: str
    detail: str


@dataclass(frozen=True, slots=True)
class DiagnosticRow:
    file: str
    line: int
    action: str
    message: str


@dataclass(frozen=True, slots=True)
class TimelineBar:
    lane: str
    start: float
    seconds: float
    outcome: str
    label: str
    #: The wait between the worker's end and the coordinator's verdict (drawn faint).
    waiting: bool = False


@dataclass(frozen=True, slots=True)
class TimelineMark:
    lane: str
    at: float
    kind: str
    label: str


@dataclass(slots=True)
class SwarmView:
    """Everything the swarm `<section data-view="swarm">` shows for one run folder."""

    anchor: str
    heading: str
    run_id: str
    source: str
    role_note: str
    goal: str
    verdict: Verdict
    narrative: str
    stats: list[Fact]
    spend_notes: list[str]
    graph: GraphView
    rows: list[TaskRow]
    rows_note: str
    details: list[TaskDetail]
    lanes: list[str]
    bars: list[TimelineBar]
    marks: list[TimelineMark]
    decisions: list[DecisionRow]
    problems: list[CoordinatorProblemRow]
    issues: list[IssueRow]
    issue_count: int
    history: list[HistoryRow]
    control: list[ControlRow]
    traces: list[str]
    postmortem: list[Fact]
    critical_path: str
    recommendations: list[str]
    log_tail: str
    log_note: str
    files_read: list[str]
    diagnostics: list[DiagnosticRow]
    notes: list[str] = field(default_factory=list)

    #: The timeline (a plotly figure), or None when the run records no times.
    chart: Chart | None = None

    @property
    def charts(self) -> list[Chart]:
        return [self.chart] if self.chart is not None else []


def swarm_view(analysis: SwarmAnalysis, anchor: str,
               limits: Limits = DEFAULT_LIMITS, *, static_charts: bool = False) -> SwarmView:
    """The view of one run folder; `anchor` is a safe DOM id prefix such as "w1". `limits`
    bound the tasks listed, their tool calls and texts, and the timeline's lanes and marks;
    `static_charts`: the timeline drawn as SVG now (svgchart), not by Plotly in the page."""
    hrefs = {t.task_id: f"{anchor}-task-{i}" for i, t in enumerate(analysis.tasks, start=1)}
    origin = analysis.origin
    working_dir = analysis.working_dir
    calls_recorded = analysis.outcome.tool_calls > 0
    listed = analysis.tasks[: limits.swarm_tasks]
    rows = [_task_row(t, hrefs[t.task_id], working_dir, calls_recorded) for t in listed]
    lanes, bars, marks = _timeline(analysis, origin, limits)
    log = analysis.coordinator_log
    view = SwarmView(
        anchor=anchor,
        heading=_heading(analysis),
        run_id=analysis.run_id,
        source=analysis.source,
        role_note=_role_note(analysis),
        goal=analysis.goal,
        verdict=_verdict(analysis),
        narrative=_narrative(analysis),
        stats=_stats(analysis),
        spend_notes=_spend_notes(analysis),
        graph=_graph(analysis, hrefs, anchor),
        rows=rows,
        rows_note=(f"The table shows the first {fmt.count(len(listed))} of "
                   f"{fmt.count(len(analysis.tasks))} tasks; the JSON output lists all of them."
                   if len(listed) < len(analysis.tasks) else ""),
        details=[_detail(t, hrefs, origin, working_dir, limits) for t in listed],
        lanes=lanes, bars=bars, marks=marks,
        decisions=[DecisionRow(_offset(d.at, origin), d.phase,
                               DECISION_WORDS.get(d.decision_type, d.decision_type.replace("_", " ")),
                               d.decision, d.reasoning) for d in analysis.decisions],
        problems=[CoordinatorProblemRow(
            _offset(p.at, origin), {"error": "error", "warning": "warning"}.get(p.kind, "run failed"),
            "bad" if p.kind != "warning" else "warn",
            LinkedTask(hrefs.get(p.task_id, ""), p.task_id) if p.task_id else None, p.message)
            for p in analysis.problems],
        issues=[_issue_row(i, hrefs) for i in analysis.issues],
        issue_count=len(analysis.issues),
        history=[HistoryRow(h.source, h.run_id or h.name, h.phase or "unknown",
                            _status_summary(h.tasks, h.dag_summary), bounded(h.goal, 160),
                            _date(h.updated_at)) for h in analysis.history],
        control=[ControlRow(c.line, c.action, c.task_id, c.timestamp, c.detail)
                 for c in analysis.control],
        traces=list(analysis.trace_sources),
        postmortem=_postmortem(analysis),
        critical_path=" → ".join(analysis.postmortem.critical_path[:30])
        if analysis.postmortem else "",
        recommendations=list(analysis.postmortem.recommendations) if analysis.postmortem else [],
        log_tail=bounded(log.tail, LOG_CHARS) if log else "",
        log_note=(f"coordinator.log has {fmt.count(log.lines)} lines; the last part is shown."
                  if log and (log.truncated or len(log.tail) > LOG_CHARS) else ""),
        files_read=[f"{name} ({_plural(lines, 'line')})" if lines else name
                    for name, lines in analysis.files_read],
        diagnostics=[DiagnosticRow(d.file, d.line, d.action, d.message)
                     for d in analysis.diagnostics],
        notes=_notes(analysis),
    )
    if view.bars or view.marks:
        view.chart = make_chart(f"{anchor}-timeline-chart", timeline_figure(view),
                                "Timeline of the swarm's attempts per task, with the "
                                "coordinator's decisions, batches and retries as markers",
                                static_charts)
    return view


# ---------------------------------------------------------------------------
# Headline: goal, outcome, figures
# ---------------------------------------------------------------------------


def _heading(analysis: SwarmAnalysis) -> str:
    run = analysis.run_id or analysis.name
    return {"history": f"Earlier swarm run {run}", "child": f"Continued swarm run {run}"}.get(
        analysis.role, f"Swarm run {run}")


def _role_note(analysis: SwarmAnalysis) -> str:
    if analysis.role == "history":
        return ("An earlier run of this swarm, archived by attoswarm into history/ when a new "
                "run started in the same folder.")
    if analysis.parent_run_id:
        return (f"Continues run {analysis.parent_run_id} ({analysis.continuation_mode or 'child'} "
                "run, made by attoswarm continue).")
    return ""


def _counts(analysis: SwarmAnalysis) -> dict[str, int]:
    return analysis.outcome.status_counts


def _verdict(analysis: SwarmAnalysis) -> Verdict:
    o = analysis.outcome
    counts = _counts(analysis)
    done, total = counts.get("done", 0), o.total_tasks
    tally = f"{done} of {_plural(total, 'task')} done"
    problems = _status_summary(total, counts, skip=("done",))
    if o.stopped_early or (not o.phase and not o.finished):
        where = f" in the {o.phase} phase" if o.phase else ""
        return Verdict("Did not finish", f"attoswarm stopped{where} without finishing the run "
                       f"(killed, crashed, or still running): {tally}.", "bad")
    if o.phase == "planning_failed":
        return Verdict("Planning failed", "attoswarm could not split the goal into tasks.", "bad")
    if o.phase == "rejected":
        return Verdict("Plan rejected", "The plan was rejected before any task ran.", "warn")
    if o.phase == "shutdown":
        reason = SHUTDOWN_REASONS.get(o.shutdown_reason, o.shutdown_reason or "it was told to")
        tone = "bad" if o.shutdown_reason == "budget_exhausted" else "warn"
        word = "Out of budget" if o.shutdown_reason == "budget_exhausted" else "Stopped early"
        return Verdict(word, f"attoswarm shut down because {reason}: {tally}"
                       + (f" ({problems})" if problems else "") + ".", tone)
    failed = counts.get("failed", 0)
    if failed or set(counts) - {"done"}:
        tone = "bad" if failed else "warn"
        return Verdict("Completed with problems", f"The run completed: {tally}, {problems}.", tone)
    return Verdict("Completed", f"The run completed: every one of its {_plural(total, 'task')} "
                   "is done.", "good")


def _status_summary(total: int, counts: dict[str, int], skip: Sequence[str] = ()) -> str:
    parts = [f"{n} {STATUS_LOOK.get(s, (s.replace('_', ' '),))[0]}" for s, n in counts.items()
             if n and s not in skip]
    if not skip:
        return f"{_plural(total, 'task')}: " + ", ".join(parts) if parts else _plural(total, "task")
    return ", ".join(parts)


def _narrative(analysis: SwarmAnalysis) -> str:
    o, spend = analysis.outcome, analysis.spend
    levels = len(analysis.graph.levels)
    worked = (f"attoswarm split the goal into {_plural(o.total_tasks, 'task')} in "
              f"{_plural(levels, 'level')} and started workers {_plural(o.spawns, 'time')}"
              + (f" ({_plural(o.retries, 'retry', 'retries')})" if o.retries else "") + ".")
    spent = (f" The workers report {_money(spend.cost)} and {fmt.count(spend.tokens)} tokens"
             if spend.cost is not None and spend.tokens is not None else
             f" The workers report {fmt.count(spend.tokens)} tokens; the run records no cost"
             if spend.tokens is not None else " The run records no spend")
    took = f" over {fmt.duration_s(o.wall_s)}." if o.wall_s is not None else "."
    issues = (f" The swarm checks found {_plural(len(analysis.issues), 'problem')}."
              if analysis.issues else " The swarm checks found no problems.")
    return worked + spent + took + issues


def _money(value: float | None) -> str:
    return "not recorded" if value is None else fmt.cost(value)


def _stats(analysis: SwarmAnalysis) -> list[Fact]:
    o, spend, budget = analysis.outcome, analysis.spend, analysis.outcome.budget
    counts = _counts(analysis)
    done = counts.get("done", 0)
    facts = [
        Fact("Tasks done", f"{done} / {o.total_tasks}",
             _status_summary(o.total_tasks, counts, skip=("done",)) or "all done",
             "bad" if counts.get("failed") else ""),
        Fact("Cost", _money(spend.cost), _cost_note(analysis), ""),
        Fact("Tokens", "not recorded" if spend.tokens is None else fmt.tokens(spend.tokens),
             "" if spend.tokens is None else
             f"{fmt.count(spend.tokens)} input + output tokens the workers reported"
             if spend.tokens_source == "workers" else
             f"{fmt.count(spend.tokens)}, from {_source_words(spend.tokens_source)}"),
        Fact("Budget used", *_budget_use(analysis)),
        Fact("Wall time", fmt.duration_s(o.wall_s), _time_note(analysis)),
        Fact("Worker starts", fmt.count(o.spawns),
             f"{_plural(o.retries, 'retry', 'retries')} in {_plural(o.batches, 'batch', 'batches')}"
             if o.batches else _plural(o.retries, "retry", "retries"),
             "bad" if o.retries and o.spawns and o.retries / o.spawns >= 0.25 else ""),
        Fact("Tool calls", fmt.count(o.tool_calls),
             "not recorded by this worker backend" if not o.tool_calls and o.spawns
             else "made by the workers"),
        Fact("Graph", _plural(len(analysis.graph.levels), "level"),
             f"widest level: {_plural(max((len(x) for x in analysis.graph.levels), default=0), 'task')}"),
    ]
    if budget.cost_max is not None and budget.cost_used is not None and budget.cost_max > 0 \
            and budget.cost_used > budget.cost_max:
        facts[3] = Fact(facts[3].label, facts[3].value, facts[3].note, "bad")
    return facts


def _source_words(source: str) -> str:
    return {"workers": "the workers' results", "state": "attoswarm's budget totals (state file)",
            "events": "the tasks' complete events"}.get(source, "nowhere")


def _cost_note(analysis: SwarmAnalysis) -> str:
    spend = analysis.spend
    if spend.cost is None:
        return ("the workers reported a cost of 0: this backend reports none"
                if spend.zero_costs else "no worker reported a cost")
    if spend.cost_source == "workers":
        return f"sum of {_plural(spend.worker_results, 'worker result')}"
    return f"from {_source_words(spend.cost_source)}"


def _budget_use(analysis: SwarmAnalysis) -> tuple[str, str]:
    budget = analysis.outcome.budget
    spend = analysis.spend
    if budget.cost_max and spend.cost is not None:
        return (fmt.percent(spend.cost / budget.cost_max, 0),
                f"of the {fmt.cost(budget.cost_max)} limit"
                + (f"; tokens {fmt.percent((spend.tokens or 0) / budget.tokens_max, 1)} of "
                   f"{fmt.tokens(budget.tokens_max)}" if budget.tokens_max else ""))
    if budget.tokens_max and spend.tokens is not None:
        return (fmt.percent(spend.tokens / budget.tokens_max, 1),
                f"of the {fmt.tokens(budget.tokens_max)}-token limit"
                + (f" (cost limit {fmt.cost(budget.cost_max)}, cost not recorded)"
                   if budget.cost_max else ""))
    return ("–", "the run records no budget limit")


def _time_note(analysis: SwarmAnalysis) -> str:
    o = analysis.outcome
    note = "first to last event"
    if o.processes > 1:
        note += (f"; {o.processes} attoswarm processes (the run was resumed"
                 f"{'' if o.processes == 2 else ' ' + str(o.processes - 1) + ' times'})")
        if o.elapsed_s is not None:
            note += f"; the last ran {fmt.duration_s(o.elapsed_s)}"
    return note


def _spend_notes(analysis: SwarmAnalysis) -> list[str]:
    """Where each spend figure comes from, in a sentence or two each."""
    spend = analysis.spend
    notes = []
    if spend.tokens_source == "workers":
        notes.append(
            f"Spend is counted once: the sum of what the workers reported at the end of each "
            f"attempt ({_plural(spend.worker_results, 'result')}: cost_delta and error entries "
            "of agents/*.trace.jsonl, cost_usd and tokens_used), failed attempts included. "
            "Tokens are input + output tokens (attoswarm does not count cache reads and writes).")
        agrees = (spend.state_tokens == spend.tokens and (
            spend.state_cost is None or spend.cost is None
            or abs(spend.state_cost - spend.cost) < 5e-7))
        if spend.state_tokens is not None or spend.state_cost is not None:
            state_figures = (f"{_money(spend.state_cost) if spend.state_cost else 'no cost'} and "
                             f"{fmt.count(spend.state_tokens or 0)} tokens")
            notes.append(f"attoswarm's own budget total in swarm.state.json ({state_figures}) "
                         + ("agrees." if agrees else "differs: it counts attempts whose workers "
                            "left no result line, or results of other runs."))
    elif spend.tokens_source == "state":
        notes.append("No worker wrote a result line (agents/*.trace.jsonl), so the figures are "
                     "attoswarm's own budget totals from swarm.state.json.")
    elif spend.tokens_source == "events":
        notes.append("No worker result lines and no budget in a state file: the figures are the "
                     "sums of the tasks' complete events.")
    if spend.zero_costs:
        notes.append("Cost is not recorded: every worker reported a cost of 0.0. attoswarm reads "
                     "a cost_usd key that the codex backend and current Claude Code do not write "
                     "(Claude Code prints total_cost_usd), so $0 would be wrong.")
    if spend.unreported_tasks:
        shown = ", ".join(spend.unreported_tasks[:10])
        notes.append(f"{_plural(len(spend.unreported_tasks), 'task')} ({shown}) left no worker "
                     "result line: their own figures (from their complete event or the state "
                     "file) are shown with them but are not in the total.")
    if spend.excluded_results:
        notes.append(f"{_plural(spend.excluded_results, 'result line')} in agents/ belong to "
                     "another run (older trace files accumulate there) and are not counted.")
    if analysis.trace_sources:
        notes.append("The TraceCollector trace beside the run is Attocode's own record of the "
                     "same swarm; its total_cost covers model calls it recorded itself, so the "
                     "workers' spend above is not in it.")
    return notes


def _notes(analysis: SwarmAnalysis) -> list[str]:
    notes = []
    if analysis.events_file == "swarm.live.jsonl":
        notes.append("swarm.events.jsonl is missing: the events come from swarm.live.jsonl, "
                     "which repeats them.")
    elif not analysis.events_file:
        notes.append("The run folder has no event file: attempts, times and tool calls are "
                     "unknown; the tasks come from the state files.")
    if analysis.state_file == "swarm.live.state.json":
        notes.append("swarm.state.json is missing or unreadable: the final state comes from "
                     "swarm.live.state.json (no decisions or errors there).")
    if analysis.unlisted_task_ids:
        shown = ", ".join(analysis.unlisted_task_ids[:10])
        notes.append(f"Events name tasks the state file does not list ({shown}); they are left "
                     "out of the counts.")
    if analysis.earlier_events:
        notes.append(f"{_plural(analysis.earlier_events, 'event')} in {analysis.events_file} "
                     "belong to earlier runs in the same folder and are left out.")
    if analysis.graph.cyclic:
        notes.append("Some dependencies form a cycle (" + ", ".join(analysis.graph.cyclic[:10])
                     + "); those tasks are drawn on the last level.")
    return notes


def _postmortem(analysis: SwarmAnalysis) -> list[Fact]:
    post = analysis.postmortem
    if post is None:
        return []
    facts = []
    if post.outcome:
        facts.append(Fact("attoswarm's verdict", post.outcome))
    if post.success_rate is not None:
        facts.append(Fact("Success rate", fmt.percent(post.success_rate, 0)))
    if post.parallel_efficiency is not None:
        facts.append(Fact("Parallel efficiency", fmt.percent(post.parallel_efficiency, 0),
                          "how much of the workers' capacity was used"))
    return facts


# ---------------------------------------------------------------------------
# The task graph
# ---------------------------------------------------------------------------


def _graph(analysis: SwarmAnalysis, hrefs: dict[str, str], anchor: str) -> GraphView:
    layout: GraphLayout = layout_graph(analysis.graph)
    geo = layout.geometry
    tasks = analysis.task_by_id
    nodes = []
    for placed in layout.nodes:
        task = tasks[placed.task_id]
        word, glyph, _ = STATUS_LOOK.get(task.status, OTHER_STATUS)
        word = word or task.status.replace("_", " ") or "unknown"
        title_chars = int((geo.node_width - 16) / 6.6)
        nodes.append(GraphNode(
            href=hrefs[task.task_id], x=_num(placed.x), y=_num(placed.y),
            width=_num(geo.node_width), height=_num(geo.node_height),
            status=_status_class(task.status), glyph=glyph,
            task_id=bounded(task.task_id, 12 if geo.compact else 24),
            short_title="" if geo.compact else bounded(task.title or task.kind, title_chars),
            label=bounded(f"{task.task_id}, {word}: {task.title}", 200),
            text_x=_num(placed.x + 8),
            id_y=_num(placed.y + (geo.node_height / 2 + 4 if geo.compact else 20)),
            title_y=_num(placed.y + 38)))
    edges = []
    for e in layout.edges:
        bend = min(28.0, max((e.y2 - e.y1) / 2, 8.0))
        target = tasks[e.target]
        blocked = target.status in ("skipped", "pending") and tasks[e.source].status in (
            "failed", "skipped", "pending")
        edges.append(GraphEdge(
            f"M{_num(e.x1)} {_num(e.y1)} C{_num(e.x1)} {_num(e.y1 + bend)} "
            f"{_num(e.x2)} {_num(e.y2 - bend)} {_num(e.x2)} {_num(e.y2 - 2)}", blocked))
    levels = [GraphLevel(f"Level {b.level}", _num(b.y + geo.node_height / 2 + 4))
              for b in layout.bands]
    counts = analysis.outcome.status_counts
    legend = [LegendItem(_status_class(status), STATUS_LOOK.get(status, OTHER_STATUS)[0]
                         or status.replace("_", " "), STATUS_LOOK.get(status, OTHER_STATUS)[1], n)
              for status, n in counts.items()]
    wrapped = any(b.rows > 1 for b in layout.bands)
    caption = (f"{_plural(len(layout.nodes), 'task')} in {_plural(len(layout.bands), 'level')}, "
               "dependencies pointing down" + ("; wide levels wrap onto several rows" if wrapped
                                               else "")
               + ("; small boxes show task ids only (hover or select one for its title)"
                  if geo.compact else "") + ".")
    return GraphView(width=_num(layout.width), height=_num(layout.height),
                     view_box=f"0 0 {_num(layout.width)} {_num(layout.height)}",
                     compact=geo.compact,
                     nodes=nodes, edges=edges, levels=levels, legend=legend, caption=caption,
                     arrow_id=f"{anchor}-arrow")


def _num(value: float) -> str:
    """An SVG coordinate: at most one decimal, no trailing '.0'."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _status_class(status: str) -> str:
    """A CSS class suffix for a status (only known statuses; others are 'other')."""
    return status if status in STATUS_LOOK else "other"


# ---------------------------------------------------------------------------
# The task table and details
# ---------------------------------------------------------------------------


def _task_row(task: TaskAnalysis, href: str, working_dir: str, calls_recorded: bool) -> TaskRow:
    word, glyph, tone = _look(task.status)
    failed = sum(1 for a in task.attempt_list if a.outcome in ("retried", "failed"))
    files = [_in_project(f, working_dir) for f in task.files]
    shown_files = ", ".join(bounded(f, 60) for f in files[:3]) + (
        f" +{len(files) - 3}" if len(files) > 3 else "")
    return TaskRow(
        href=href, task_id=bounded(task.task_id, 60), title=bounded(task.title, TITLE_IN_ROW),
        kind=bounded(task.kind, 30), status=_status_class(task.status), status_word=word,
        glyph=glyph, tone=tone, level=task.level,
        attempts=(f"{task.runs}" + (f" ({failed} failed)" if failed else "")) if task.runs
        else "–", attempts_value=task.runs,
        worker=bounded(" · ".join(p for p in (task.backend, task.model) if p) or task.worker, 60),
        duration=fmt.duration_s(task.duration_s),
        duration_value=task.duration_s if task.duration_s is not None else -1.0,
        tool_calls=fmt.count(len(task.tool_calls))
        if task.tool_calls or (task.runs and calls_recorded) else "–",
        tool_calls_value=len(task.tool_calls),
        tokens="–" if task.tokens is None else fmt.count(task.tokens),
        tokens_value=task.tokens if task.tokens is not None else -1,
        cost="–" if task.cost is None else fmt.cost(task.cost),
        cost_value=task.cost if task.cost is not None else -1.0,
        files=shown_files or "–", said=bounded(task.said, SAID_IN_ROW))


def _look(status: str) -> tuple[str, str, str]:
    word, glyph, tone = STATUS_LOOK.get(status, OTHER_STATUS)
    return word or status.replace("_", " ") or "unknown", glyph, tone


def _detail(task: TaskAnalysis, hrefs: dict[str, str], origin: float | None,
            working_dir: str, limits: Limits = DEFAULT_LIMITS) -> TaskDetail:
    word, glyph, tone = _look(task.status)
    most_calls = limits.swarm_calls
    text_chars = limits.goal_chars  # halved with the other limits when a report is too big
    calls = [CallRow(_offset(c.at, origin), str(c.attempt) if c.attempt else "–",
                     bounded(c.tool, 60), _in_project(c.argument, working_dir))
             for c in task.tool_calls[:most_calls]]
    return TaskDetail(
        dom_id=hrefs[task.task_id], task_id=task.task_id, title=task.title, status=_status_class(
            task.status), status_word=word, glyph=glyph, tone=tone,
        facts=_task_facts(task),
        description=task.description,
        stopped=_stopped(task),
        advice=task.failure_suggestion,
        deps=[LinkedTask(hrefs.get(d, ""), d) for d in task.deps],
        dependents=[LinkedTask(hrefs.get(d, ""), d) for d in task.dependents],
        attempts=[_attempt_row(a, origin) for a in task.attempt_list],
        problems=[ProblemRow(_offset(p.at, origin), str(p.attempt) if p.attempt else "–",
                             p.cause.replace("_", " "), bounded(p.message, min(2000, text_chars)))
                  for p in task.problems],
        tests=[_test_words(t.passed, t.pass_rate, t.tests, t.failed, t.at, origin)
               for t in task.tests],
        calls=calls,
        calls_note=(f"Showing the first {most_calls} of {fmt.count(len(task.tool_calls))} "
                    "tool calls." if len(task.tool_calls) > most_calls else ""),
        prompt=bounded(task.prompt, min(PROMPT_CHARS, text_chars)),
        said=task.said,
        result=bounded(task.result_summary, min(RESULT_CHARS, text_chars)),
        files=[_in_project(f, working_dir) for f in task.files][:200],
    )


def _task_facts(task: TaskAnalysis) -> list[Fact]:
    facts = [Fact("Kind", task.kind or "–"), Fact("Level", str(task.level))]
    if task.worker:
        facts.append(Fact("Worker", " · ".join(p for p in (task.worker, task.backend,
                                                             task.model) if p)))
    facts += [
        Fact("Attempts", str(task.runs) if task.runs else "none",
             f"attoswarm counts {_plural(task.attempts, 'failed attempt')}"
             if task.attempts is not None else ""),
        Fact("Ran", fmt.duration_s(task.duration_s), "worker time, all attempts"),
        Fact("Tool calls", fmt.count(len(task.tool_calls))),
        Fact("Tokens", "not recorded" if task.tokens is None else fmt.count(task.tokens),
             _spend_source_note(task)),
        Fact("Cost", _money(task.cost), _spend_source_note(task)),
    ]
    if task.commits:
        facts.append(Fact("Commits", ", ".join(c[:10] for c in task.commits[:5])))
    if task.diff is not None:
        facts.append(Fact("Diff", f"+{task.diff.added} −{task.diff.removed}",
                          _plural(task.diff.files, "file")))
    return facts


def _spend_source_note(task: TaskAnalysis) -> str:
    return {"workers": f"sum of {_plural(len(task.results), 'worker result')}",
            "events": "from its complete event",
            "state": "the state file's figure (its last attempt)"}.get(task.spend_source, "")


def _stopped(task: TaskAnalysis) -> str:
    reason = task.stopped_because
    if not reason:
        return ""
    kind, _, detail = reason.partition(": ")
    if kind == "poison":
        return f"attoswarm declared it a poison task and stopped retrying it: {detail}."
    if kind.startswith("cascade"):
        source = kind.removeprefix("cascade from ").removeprefix("cascade")
        return (f"Skipped without running because {source or 'a task it depends on'} failed."
                if source else "Skipped without running because a task it depends on failed.")
    if kind == "needs review":
        return f"The quality gate sent it back for review: {detail}."
    if kind == "budget gate":
        return f"Never started: the budget gate blocked it ({detail})."
    if kind == "skipped":
        ran = " It finished anyway." if task.status == "done" else ""
        return f"Skipped on request ({detail}).{ran}"
    return reason


def _attempt_row(attempt: Attempt, origin: float | None) -> AttemptRow:
    word, tone = ATTEMPT_LOOK.get(attempt.outcome, (attempt.outcome, "muted"))
    result = attempt.result
    note = ""
    if result is not None and not result.ok:
        note = "timed out" if result.timed_out else _first_line(result.error)
    elif result is not None and result.near_timeout:
        note = "finished close to the timeout"
    elif result is None and attempt.started is not None:
        note = "no result reported by the worker"
    if attempt.serialized:
        note = ("serialised (file conflicts); " + note).rstrip("; ")
    return AttemptRow(
        number=attempt.number, started=_offset(attempt.started, origin),
        ran=fmt.duration_s(attempt.ran_seconds), outcome=word, tone=tone,
        tool_calls=fmt.count(attempt.tool_calls),
        tokens="–" if result is None or result.tokens is None else fmt.count(result.tokens),
        cost="–" if result is None or result.cost is None else fmt.cost(result.cost),
        note=bounded(note, 300))


def _test_words(passed: bool, rate: float | None, tests: int | None, failed: int | None,
                at: float | None, origin: float | None) -> str:
    if passed:
        return f"{_offset(at, origin)} tests passed" + (f" ({tests})" if tests else "")
    return (f"{_offset(at, origin)} tests failed" + (f": {failed} failing" if failed else "")
            + (f", pass rate {fmt.percent(rate, 0)}" if rate is not None else ""))


def _issue_row(issue: SwarmIssue, hrefs: dict[str, str]) -> IssueRow:
    return IssueRow(issue.severity, issue.title, issue.description, issue.suggestion,
                    issue.threshold, [LinkedTask(hrefs.get(t, ""), t) for t in issue.task_ids])


# ---------------------------------------------------------------------------
# The timeline
# ---------------------------------------------------------------------------


def _timeline(analysis: SwarmAnalysis, origin: float | None, limits: Limits = DEFAULT_LIMITS
              ) -> tuple[list[str], list[TimelineBar], list[TimelineMark]]:
    """Lanes (the coordinator, then the tasks as they started), at most `limits.lanes` of
    them (the rest share the last, which says how many: thousands of task labels froze the
    browser), attempt bars and up to `limits.bars` marks."""
    if origin is None:
        return [], [], []
    started = sorted((t for t in analysis.tasks if t.first_start is not None),
                     key=lambda t: (t.first_start or 0.0, t.task_id))
    lanes = [COORDINATOR_LANE]
    lane_of: dict[str, str] = {}
    used = {COORDINATOR_LANE}
    bars: list[TimelineBar] = []
    for task in started:
        base = bounded(f"{task.task_id} · {task.title}" if task.title else task.task_id,
                       LANE_CHARS)
        lane, primes = base, 0
        while lane in used:  # tasks whose names start alike: ′, ′′, ′′′, then ′4, ′5 …
            primes += 1
            lane = base + ("′" * primes if primes <= 3 else f"′{primes}")
        used.add(lane)
        lane_of[task.task_id] = lane
        lanes.append(lane)
        for attempt in task.attempt_list:
            bars.extend(_attempt_bars(task, attempt, lane, origin))
    marks = [TimelineMark(lane_of.get(m.task_id, COORDINATOR_LANE) if m.kind == "retry"
                          else COORDINATOR_LANE, m.at - origin, m.kind, _mark_label(m))
             for m in analysis.marks[: min(MAX_MARKS, limits.bars)]]
    if len(lanes) <= limits.lanes:
        return lanes, bars, marks
    kept = lanes[: max(limits.lanes, 2) - 1]
    shared = f"{fmt.count(len(lanes) - len(kept))} more tasks"
    drawn = set(kept)

    def folded(name: str) -> str:
        return name if name in drawn else shared

    return ([*kept, shared], [dataclasses.replace(b, lane=folded(b.lane)) for b in bars],
            [dataclasses.replace(m, lane=folded(m.lane)) for m in marks])


def _attempt_bars(task: TaskAnalysis, attempt: Attempt, lane: str,
                  origin: float) -> list[TimelineBar]:
    if attempt.started is None:
        return []
    start = attempt.started - origin
    worker = attempt.worker_seconds
    verdict = attempt.seconds
    ran = worker if worker is not None else verdict
    if ran is None and attempt.ended is not None:  # no verdict: as long as it was seen
        ran = max(attempt.ended - attempt.started, 0.0)
    word = ATTEMPT_LOOK.get(attempt.outcome, (attempt.outcome, ""))[0]
    detail = ""
    if attempt.result is not None and not attempt.result.ok:
        detail = " — " + ("timed out" if attempt.result.timed_out
                          else _first_line(attempt.result.error))
    label = bounded(f"{task.task_id} attempt {attempt.number}: {word}, "
                    f"{fmt.duration_s(ran)}{detail}", 300)
    if ran is None:  # no end recorded: a sliver, so the start shows
        return [TimelineBar(lane, start, 0.0, attempt.outcome, label)]
    bars = [TimelineBar(lane, start, ran, attempt.outcome, label)]
    if worker is not None and verdict is not None and verdict - worker > 0.5:
        bars.append(TimelineBar(lane, start + worker, verdict - worker, attempt.outcome,
                                f"{task.task_id} attempt {attempt.number}: waiting "
                                f"{fmt.duration_s(verdict - worker)} for the coordinator's "
                                "verdict", waiting=True))
    return bars


def _mark_label(mark: Mark) -> str:
    name = MARK_LOOK.get(mark.kind, (mark.kind,))[0]
    return bounded(f"{name}: {mark.label}", 300)


def swarm_charts(view: SwarmView) -> dict[str, dict[str, Any]]:
    """Chart id -> plotly figure (a plain dict) for one swarm view."""
    return {chart.dom_id: chart.figure for chart in view.charts}


def _chart_text(value: str) -> str:
    """Escaped for plotly, which renders a little HTML in labels and hover text."""
    return html.escape(value, quote=True)


def timeline_figure(view: SwarmView) -> dict[str, Any]:
    """One lane per task (and one for the coordinator): attempts as bars from spawn to
    their end, coloured by how they ended; retries and decisions as markers."""
    lanes = [_chart_text(lane) for lane in view.lanes]
    data: list[dict[str, Any]] = []
    waiting_shown = False
    for outcome, (word, _) in ATTEMPT_LOOK.items():
        for waiting in (False, True):
            bars = [b for b in view.bars if b.outcome == outcome and b.waiting is waiting]
            if not bars:
                continue
            legend = not waiting or not waiting_shown
            waiting_shown = waiting_shown or waiting
            data.append({
                "type": "bar", "orientation": "h",
                "name": "Waiting for the verdict" if waiting else f"Attempt: {word}",
                "legendgroup": "waiting" if waiting else outcome, "showlegend": legend,
                "y": [_chart_text(b.lane) for b in bars], "x": [b.seconds for b in bars],
                "base": [b.start for b in bars], "text": [_chart_text(b.label) for b in bars],
                "textposition": "none", "opacity": 0.3 if waiting else 0.9,
                "marker": {"color": ATTEMPT_COLOURS.get(outcome, "#bab0ac"),
                           "line": {"width": 1, "color": "rgba(255,255,255,0.8)"}},
                "hovertemplate": "%{text}<br>from %{base:.1f} s<extra></extra>",
            })
    for kind, (name, symbol, colour) in MARK_LOOK.items():
        marks = [m for m in view.marks if m.kind == kind]
        if not marks:
            continue
        data.append({
            "type": "scatter", "mode": "markers", "name": name,
            "y": [_chart_text(m.lane) for m in marks], "x": [m.at for m in marks],
            "text": [_chart_text(m.label) for m in marks],
            "marker": {"symbol": symbol, "size": 10 if kind != "batch" else 8, "color": colour,
                       "line": {"width": 1, "color": "rgba(0,0,0,0.4)"}},
            "hovertemplate": "%{text}<br>at %{x:.1f} s<extra></extra>",
        })
    return {
        "data": data,
        "layout": {
            "barmode": "overlay", "height": min(max(240, 26 * len(lanes) + 140), 6000),
            "margin": {"l": 230, "r": 20, "t": 40, "b": 50},
            "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)",
            "legend": {"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
            "hovermode": "closest",
            "xaxis": {"title": {"text": "seconds since the run's first event"},
                      "rangemode": "tozero"},
            "yaxis": {"type": "category", "categoryorder": "array", "categoryarray": lanes,
                      "autorange": "reversed", "automargin": True},
        },
    }


# ---------------------------------------------------------------------------
# JSON and Markdown
# ---------------------------------------------------------------------------


def swarm_document(analysis: SwarmAnalysis) -> dict[str, Any]:
    """One run folder's entry of the `--json` `swarms` list (schema in README, "JSON
    output"). Figures a run does not record are null."""
    o, spend, budget = analysis.outcome, analysis.spend, analysis.outcome.budget
    return {
        "run_id": analysis.run_id,
        "source": analysis.source,
        "role": analysis.role,
        "goal": analysis.goal,
        "phase": o.phase,
        "shutdown_reason": o.shutdown_reason,
        "finished": o.finished,
        "tasks": [_task_document(t, calls_recorded=o.tool_calls > 0) for t in analysis.tasks],
        "edges": [[a, b] for a, b in analysis.graph.edges],
        "totals": {
            "tasks": o.total_tasks,
            "statuses": dict(o.status_counts),
            "levels": len(analysis.graph.levels),
            "spawns": o.spawns,
            "retries": o.retries,
            "tool_calls": o.tool_calls,
            "tokens": spend.tokens,
            "cost": spend.cost,
            "tokens_source": spend.tokens_source or None,
            "cost_source": spend.cost_source or None,
            "worker_results": spend.worker_results,
            "budget": {"tokens_used": budget.tokens_used, "tokens_max": budget.tokens_max,
                       "cost_used": budget.cost_used, "cost_max": budget.cost_max},
            "wall_seconds": o.wall_s,
            "elapsed_seconds": o.elapsed_s,
            "processes": o.processes,
        },
        "issues": [{"rule": i.rule, "severity": i.severity, "title": i.title,
                    "description": i.description, "suggestion": i.suggestion,
                    "threshold": i.threshold, "task_ids": list(i.task_ids)}
                   for i in analysis.issues],
        "decisions": [{"at": d.at, "phase": d.phase, "type": d.decision_type,
                       "decision": d.decision, "reasoning": d.reasoning}
                      for d in analysis.decisions],
        "history": [{"run_id": h.run_id, "source": h.source, "phase": h.phase,
                     "tasks": h.tasks} for h in analysis.history],
        "traces": list(analysis.trace_sources),
        "diagnostics": [d.to_dict() for d in analysis.diagnostics],
    }


def _task_document(task: TaskAnalysis, calls_recorded: bool) -> dict[str, Any]:
    """A task's entry; `tool_calls` is null for a task that never ran, and for every task
    of a run whose worker backend records no tool calls (codex)."""
    return {
        "task_id": task.task_id,
        "title": task.title,
        "kind": task.kind,
        "status": task.status,
        "level": task.level,
        "attempts": task.attempts,
        "runs": task.runs,
        "retries": task.retries,
        "duration_seconds": task.duration_s,
        "tool_calls": len(task.tool_calls) if task.tool_calls or (task.runs and calls_recorded)
        else None,
        "tokens": task.tokens,
        "cost": task.cost,
        "deps": list(task.deps),
        "files": list(task.files),
    }


def markdown_cell(text: str, limit: int = 120) -> str:
    """Text safe in a Markdown table cell or list item: one line, no markup, no pipes, no
    links, mentions or math (the same escaping as the sessions' Markdown)."""
    return escape_text(text, limit)


MARKDOWN_TOP_ISSUES = 5


def swarm_markdown(analysis: SwarmAnalysis, max_chars: int = 20_000) -> str:
    """A run's outcome, its task table (as many rows as fit in `max_chars`) and its top
    issues, for a pull-request comment."""
    o, spend = analysis.outcome, analysis.spend
    verdict = _verdict(analysis)
    head = [f"### Swarm run {markdown_cell(analysis.run_id or analysis.name, 40)}", ""]
    if analysis.goal:
        head += [f"> {markdown_cell(analysis.goal, 300)}", ""]
    counts = _counts(analysis)
    head += [f"**{verdict.word}** · {counts.get('done', 0)}/{o.total_tasks} tasks done"
             + (f" ({markdown_cell(_status_summary(o.total_tasks, counts, skip=('done',)))})"
                if set(counts) - {"done"} else "")
             + f" · cost {_money(spend.cost)} · {fmt.count(spend.tokens or 0)} tokens"
             f" · {fmt.duration_s(o.wall_s)} · {o.spawns} worker starts, "
             f"{_plural(o.retries, 'retry', 'retries')}", ""]
    tail = []
    if analysis.issues:
        tail += ["", "**Top issues**", ""]
        for issue in analysis.issues[:MARKDOWN_TOP_ISSUES]:
            tail.append(f"- **{issue.severity}** {markdown_cell(issue.title, 120)}: "
                        f"{markdown_cell(issue.description, 400)} *What to do:* "
                        f"{markdown_cell(issue.suggestion, 300)}")
        if len(analysis.issues) > MARKDOWN_TOP_ISSUES:
            tail.append(f"- … and {len(analysis.issues) - MARKDOWN_TOP_ISSUES} more in the "
                        "HTML report.")
    table = ["| Task | Status | Attempts | Ran | Tool calls | Tokens | Cost |",
             "|---|---|---:|---:|---:|---:|---:|"]
    rows = [_markdown_row(t) for t in analysis.tasks]
    budget = max_chars - len("\n".join(head + table + tail)) - 80
    shown = []
    for row in rows:
        if budget - len(row) - 1 < 0:
            break
        shown.append(row)
        budget -= len(row) + 1
    more = ([f"| … {len(rows) - len(shown)} more tasks in the HTML and JSON reports "
             "| | | | | | |"] if len(shown) < len(rows) else [])
    text = "\n".join(head + table + shown + more + tail) + "\n"
    return text if len(text) <= max_chars else fmt.truncate(text, max_chars)


def _markdown_row(task: TaskAnalysis) -> str:
    word = _look(task.status)[0]
    return (f"| {markdown_cell(task.task_id, 40)} {markdown_cell(task.title, 60)} | {word} | "
            f"{task.runs if task.runs else '–'} | {fmt.duration_s(task.duration_s)} | "
            f"{len(task.tool_calls) if task.runs else '–'} | "
            f"{'–' if task.tokens is None else fmt.count(task.tokens)} | "
            f"{'–' if task.cost is None else fmt.cost(task.cost)} |")


# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------


def _plural(n: int | None, word: str, many: str = "") -> str:
    """`plural`, with None (not recorded) counted as 0."""
    return plural(n or 0, word, many or None)


def _offset(at: float | None, origin: float | None) -> str:
    return "–" if at is None or origin is None else fmt.offset(at - origin)


def _date(at: float | None) -> str:
    if at is None:
        return "–"
    return datetime.fromtimestamp(at, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _first_line(text: str) -> str:
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return bounded(line, 200)


def _in_project(text: str, working_dir: str) -> str:
    """Paths inside the project shown relative to it ('/home/me/p/a.py' -> 'a.py')."""
    if not working_dir or len(working_dir) < 2 or working_dir not in text:
        return text
    root = working_dir.rstrip("/")
    return text.replace(root + "/", "").replace(root, ".")
