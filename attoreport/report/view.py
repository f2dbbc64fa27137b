"""Analysis -> view model: plain dataclasses of display values.

All wording and number formatting of the report lives here; templates only lay out.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TypeVar

from attoreport.analysis import Analysis, DetectedIssue
from attoreport.analysis.detectors import SEVERITIES
from attoreport.analysis.tree import MAIN_LANE, Tree, TreeNode, build_tree
from attoreport.model import CATEGORIES, FAILURE_KINDS, TraceEvent, category_of
from attoreport.report import format as fmt
from attoreport.report.swarm import SwarmView, swarm_view
from attoreport.swarm.results import SwarmAnalysis

T = TypeVar("T")

#: Beyond these sizes the report shows the start and the end and says what it left out.
MAX_EVENT_ROWS = 4000
MAX_TREE_NODES = 4000
MAX_TREE_DEPTH = 24
MAX_BARS = 4000
MAX_TABLE_ROWS = 2000
MAX_SESSION_SECTIONS = 50
#: Longer chart series are summed (or averaged) into this many bins.
MAX_POINTS = 1500

GLOSSARY: tuple[tuple[str, str], ...] = (
    ("Iteration", "One turn of the agent's loop: it asks the model what to do next, then "
     "runs the tools the model asked for."),
    ("LLM call", "One request to the language model and its answer."),
    ("Tool call", "One action the agent took on the computer: reading a file, running a "
     "command, editing code."),
    ("Token", "The unit models read and write text in; roughly ¾ of a word. Cost follows "
     "tokens."),
    ("Prompt cache", "Providers can reuse the unchanged start of a prompt from the previous "
     "call. Cached tokens (\u201ccache read\u201d) are much cheaper and faster than new input."),
    ("Cache hit rate", "The share of prompt tokens that came from the cache: "
     "cache read ÷ (input + cache read)."),
    ("Compaction", "When the conversation gets too long, the agent summarises older messages "
     "to make room. Frequent compaction costs time and breaks the cache."),
    ("Subagent", "A helper agent started by the main agent for part of the task."),
    ("Efficiency score", "Attocode's 0–100 rating of how economically the session ran, made "
     "of five weighted parts (see Efficiency)."),
    ("Doom loop", "The agent repeating the same action with the same inputs without making "
     "progress."),
)

SCORE_WORDS = ((85.0, "Excellent", "good"), (70.0, "Good", "good"), (50.0, "Fair", "warn"),
               (-math.inf, "Poor", "bad"))


@dataclass(frozen=True, slots=True)
class ComponentText:
    title: str
    formula: str
    improve: str
    if_missing: str


COMPONENTS: dict[str, ComponentText] = {
    "cache_hit_rate": ComponentText(
        "Cache hit rate", "cache read ÷ (input + cache read), times 30",
        "Keep the start of the prompt stable (system prompt, tool list, early messages) so the "
        "provider can reuse its cache; avoid rewriting or reordering earlier messages.",
        "No input tokens recorded: 0 points."),
    "error_rate": ComponentText(
        "Errors per tool call", "(1 − errors ÷ tool calls, at least 0), times 25; errors are "
        "failed tool calls, LLM errors and error events",
        "Look at the failing calls in the event log; fix wrong paths or arguments and missing "
        "permissions, and make model errors retryable.",
        "No tool calls: full 25 points."),
    "compaction_frequency": ComponentText(
        "Compactions per iteration", "(1 − compactions ÷ iterations, at least 0), times 15",
        "Truncate large tool outputs and read files in parts, so the context fills more slowly.",
        "No iterations: full 15 points."),
    "tool_success_rate": ComponentText(
        "Tool success rate", "(1 − failed tool calls ÷ tool calls), times 20",
        "Give the agent correct tool names and required arguments; pre-approve safe commands.",
        "No tool calls: full 20 points."),
    "token_efficiency": ComponentText(
        "Output per input token", "output ÷ (input + cache read), at most 1, times 10",
        "Agents read far more than they write, so low values are normal; send less context "
        "per call (smaller tool results, fewer re-reads).",
        "No input tokens recorded: neutral 5 points."),
}

CATEGORY_NAMES = {
    "spinning": "Iterations without tool calls",
    "doom_loop": "Repeated identical tool calls",
    "cache_drop": "Cache hit rate drops",
    "token_spike": "Token usage spikes",
    "compaction_frequency": "Frequent compaction",
    "empty_response": "Empty model responses",
    "tool_error_rate": "High tool error rate",
    "long_tool": "Slow tool calls",
    "context_overflow": "Context overflow",
    "budget_warning_ignored": "Budget warnings ignored",
    "subagent_timeout": "Subagent timeouts",
    "swarm_cascade_failures": "Swarm cascade failures",
    "swarm_excessive_conflicts": "Swarm file conflicts",
}

#: What each issue means, for a reader who is not an engineer.
CATEGORY_MEANINGS = {
    "spinning": "The agent went many turns without doing anything: it was thinking in circles.",
    "doom_loop": "The agent repeated exactly the same action again and again: it was stuck.",
    "cache_drop": "The model suddenly had to re-read the whole conversation at full price.",
    "token_spike": "One request was far bigger than the others, usually because a huge file "
                   "or command output was pasted into it.",
    "compaction_frequency": "The conversation kept overflowing and had to be summarised often, "
                            "which loses detail and costs time.",
    "empty_response": "The model answered with nothing at all.",
    "tool_error_rate": "Many of the agent's actions failed.",
    "long_tool": "An action took more than 30 seconds.",
    "context_overflow": "The conversation grew larger than the model can hold, so parts of it "
                        "were cut off in an emergency.",
    "budget_warning_ignored": "The agent was warned it was running out of budget but carried on "
                              "as before.",
    "subagent_timeout": "A helper agent ran out of time before finishing its part.",
    "swarm_cascade_failures": "Many parallel tasks failed or were skipped because a task they "
                              "depended on failed.",
    "swarm_excessive_conflicts": "Parallel workers kept editing the same files and had to "
                                 "reconcile their changes.",
}

_OK_STATUSES = {"complete", "completed", "success", "succeeded", "done", "ok", "finished"}


@dataclass(frozen=True, slots=True)
class Stat:
    label: str
    value: str
    note: str = ""
    tone: str = ""


@dataclass(frozen=True, slots=True)
class Outcome:
    word: str
    sentence: str
    #: "good", "warn" or "bad": drives the colour (the word always says it too).
    tone: str


@dataclass(frozen=True, slots=True)
class ComponentRow:
    name: str
    title: str
    measured: str
    formula: str
    weight: str
    points: str
    points_value: float
    weight_value: float
    improve: str


@dataclass(frozen=True, slots=True)
class ScoreView:
    score: str
    value: float
    word: str
    tone: str
    components: list[ComponentRow]
    #: Said when the trace lacks the data some parts need (they then score by default).
    caveat: str


@dataclass(frozen=True, slots=True)
class IssueView:
    severity: str
    title: str
    description: str
    suggestion: str
    iteration: int | None
    #: Fragment of the iteration's node in the tree ("s1-iter-12"), or "".
    link: str
    #: Tokens and cost of that iteration, when the trace has them.
    involved: str


@dataclass(frozen=True, slots=True)
class IssueGroup:
    category: str
    name: str
    severity: str
    issues: list[IssueView]
    suggestion: str
    #: What it means, in plain words (empty for categories attoreport does not know).
    meaning: str


@dataclass(frozen=True, slots=True)
class TokenRow:
    iteration: int
    link: str
    input: str
    output: str
    cache_read: str
    cache_write: str
    total: str
    cumulative_cost: str
    hit_rate: str


@dataclass(frozen=True, slots=True)
class CacheRow:
    index: int
    iteration: str
    input: str
    cache_read: str
    hit_rate: str
    moving_average: str
    boundary: str


@dataclass(frozen=True, slots=True)
class ToolRow:
    name: str
    calls: str
    errors: str
    error_rate: str
    mean: str
    p95: str
    max: str
    failing: bool


@dataclass(frozen=True, slots=True)
class EventRow:
    offset: str
    iteration: int | None
    link: str
    kind: str
    category: str
    known: bool
    label: str
    duration: str
    lane: str
    failed: bool
    #: A gap marker: "… N events not shown …" (all other fields empty).
    gap: int = 0


@dataclass(slots=True)
class TreeItem:
    dom_id: str
    label: str
    kind: str
    category: str
    meta: list[str]
    failed: bool
    detail: str
    is_iteration: bool
    lane: str
    children: list[TreeItem] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class DiagnosticRow:
    file: str
    line: int
    action: str
    message: str


@dataclass(frozen=True, slots=True)
class Bar:
    """A bar of the waterfall: seconds since start, in a lane (and a row of it, when calls
    in that lane overlap in time)."""

    lane: str
    start: float
    seconds: float
    group: str
    label: str
    failed: bool
    row: int = 0

    @property
    def lane_label(self) -> str:
        return self.lane if self.row == 0 else f"{self.lane} · {self.row + 1}"


@dataclass(frozen=True, slots=True)
class Marker:
    lane: str
    at: float
    label: str


@dataclass(frozen=True, slots=True)
class ChartSeries:
    """Numbers for the charts; long series are binned (`note` then says so)."""

    flow_iterations: list[float]
    flow_series: dict[str, list[float]]
    cache_calls: list[float]
    cache_series: dict[str, list[float | None]]
    note: str


@dataclass(slots=True)
class SessionView:
    """Everything one session's `<section>` shows."""

    anchor: str  # safe DOM id prefix, never from the trace
    session_id: str
    source: str
    goal: str  # Markdown source; rendered by the html stage
    model: str
    is_open: bool
    outcome: Outcome
    #: The session in two or three plain sentences.
    narrative: str
    #: "read_file ×12, bash ×3, …": what the agent did, in a line.
    tools_used: str
    stats: list[Stat]
    score: ScoreView
    findings: list[IssueGroup]
    issue_groups: list[IssueGroup]
    issue_count: int
    severity_counts: list[tuple[str, int]]
    has_breakdown: bool
    token_rows: list[TokenRow]
    cache_rows: list[CacheRow]
    #: Said when the token or cache tables show only their start and end.
    table_note: str
    cache_stats: list[Stat]
    #: The tracker's own hit-rate figure, explained (for engineers).
    tracker_note: str
    tools: list[ToolRow]
    tree: list[TreeItem]
    tree_note: str
    events: list[EventRow]
    event_note: str
    event_total: int
    categories: list[str]
    kinds: list[str]
    diagnostics: list[DiagnosticRow]
    bars: list[Bar]
    markers: list[Marker]
    lanes: list[str]
    series: ChartSeries
    component_series: list[tuple[str, float, float]]
    cost_value: float
    tokens_value: int
    duration_value: float
    score_value: float


@dataclass(frozen=True, slots=True)
class OverviewRow:
    anchor: str
    session_id: str
    goal: str
    outcome: Outcome
    duration: str
    duration_value: float
    cost: str
    cost_value: float
    tokens: str
    tokens_value: int
    iterations: int
    tool_calls: int
    errors: int
    score: str
    score_value: float
    issues: int


@dataclass(slots=True)
class ReportView:
    title: str
    generated_at: str
    version: str
    sources: list[str]
    sessions: list[SessionView]
    overview: list[OverviewRow]
    #: Said when only the first sessions have sections.
    overview_note: str
    glossary: tuple[tuple[str, str], ...] = GLOSSARY
    #: One swarm view per attoswarm run folder, shown before the sessions.
    swarms: list[SwarmView] = field(default_factory=list)


def build_report(analyses: Sequence[Analysis], *, version: str, title: str | None = None,
                 now: datetime | None = None,
                 swarms: Sequence[SwarmAnalysis] = ()) -> ReportView:
    """The whole report's view model: a section for each of the first MAX_SESSION_SECTIONS
    sessions, and with several sessions an overview row for every one; a swarm view for
    each attoswarm run folder."""
    shown = analyses[:MAX_SESSION_SECTIONS]
    sessions = [session_view(a, f"s{i}") for i, a in enumerate(shown, start=1)]
    sources = list(dict.fromkeys(a.session.source for a in analyses))
    moment = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    default_title = ("Agent session report: " + sessions[0].session_id if len(analyses) == 1
                     else f"Agent session report: {len(analyses)} sessions")
    overview = [_overview_row(a, f"s{i}" if i <= len(shown) else "")
                for i, a in enumerate(analyses, start=1)] if len(analyses) > 1 else []
    note = ""
    if len(analyses) > len(shown):
        note = (f"The report has a section for the first {len(shown)} of "
                f"{fmt.count(len(analyses))} sessions; the overview lists all of them.")
    swarm_views = [swarm_view(a, f"w{i}") for i, a in enumerate(swarms, start=1)]
    if swarm_views:
        sources = list(dict.fromkeys([*(a.source for a in swarms), *sources]))
        default_title = ("Swarm run report: " + swarm_views[0].run_id if len(swarms) == 1
                         else f"Swarm run report: {len(swarms)} runs")
    return ReportView(title=title or default_title,
                      generated_at=moment.strftime("%Y-%m-%d %H:%M UTC"), version=version,
                      sources=sources, sessions=sessions, overview=overview, overview_note=note,
                      swarms=swarm_views)


@dataclass(frozen=True, slots=True)
class Headline:
    """What a short summary of a session says (the Markdown output): cheap to build."""

    session_id: str
    outcome: Outcome
    score: ScoreView
    duration: float
    findings: list[IssueGroup]
    issue_count: int
    damaged_lines: int


def headline(analysis: Analysis) -> Headline:
    groups = _issue_groups(analysis.issues, "", {})
    return Headline(analysis.session.session_id, _outcome(analysis), _score(analysis),
                    _display_duration(analysis), _findings(groups), len(analysis.issues),
                    len(analysis.session.diagnostics))


def _overview_row(analysis: Analysis, anchor: str) -> OverviewRow:
    s = analysis.summary
    score = _score(analysis)
    duration = _display_duration(analysis)
    return OverviewRow(anchor, analysis.session.session_id,
                       fmt.truncate(_plain_goal(analysis.session.goal_text), 90),
                       _outcome(analysis), fmt.duration_s(duration), duration,
                       fmt.cost(s.total_cost), s.total_cost, fmt.tokens(s.total_tokens),
                       s.total_tokens, s.iterations, s.tool_calls, s.errors, score.score,
                       score.value, len(analysis.issues))


def _display_duration(analysis: Analysis) -> float:
    """Attocode's duration, except without a session_start (Attocode then counts from 1970)."""
    session, first = analysis.session, analysis.facts.first_timestamp
    if session.end_time is not None and not session.start_time and first is not None:
        return session.end_time - first
    return analysis.summary.duration_seconds


def _plain_goal(goal: str) -> str:
    line = next((ln.strip(" #>*-") for ln in goal.splitlines() if ln.strip(" #>*-")), "")
    return line or "(goal not recorded)"


def session_view(analysis: Analysis, anchor: str) -> SessionView:  # noqa: PLR0915
    session, summary, facts = analysis.session, analysis.summary, analysis.facts
    tree = build_tree(session)
    iteration_nodes = {n.iteration: n for n in tree.roots if n.kind == "iteration"}
    start = _start_time(analysis)
    issue_groups = _issue_groups(analysis.issues, anchor, iteration_nodes)
    events, event_note = _event_rows(session.events, start, anchor, tree, iteration_nodes)
    tree_items, tree_note = _tree_items(tree, anchor)
    bars, markers = _waterfall(session.events, tree, start)
    lanes = _lanes(bars, markers)
    tokens = analysis.tokens
    flow = tokens.token_flow
    severity_counts = Counter(i.severity for i in analysis.issues)
    tool_calls_note = (f"{facts.tool_errors} failed" if facts.tool_errors else "none failed")
    stats = [
        Stat("Duration", fmt.duration_s(_display_duration(analysis)),
             "until the trace stops (no end recorded)" if session.is_open else "start to end"),
        Stat("Cost", fmt.cost(summary.total_cost),
             f"plus {fmt.cost(facts.swarm_cost)} reported by swarm tasks, not in Attocode's "
             "total" if facts.swarm_cost else "model usage as recorded"),
        Stat("Iterations", fmt.count(summary.iterations)),
        Stat("LLM calls", fmt.count(summary.llm_calls)),
        Stat("Tool calls", fmt.count(summary.tool_calls), tool_calls_note,
             "bad" if facts.tool_calls and facts.tool_errors / facts.tool_calls > 0.3 else ""),
        Stat("Errors", fmt.count(summary.errors), "failed tools, model errors, error events",
             "bad" if summary.errors else ""),
        Stat("Tokens", fmt.tokens(summary.total_tokens),
             f"{fmt.count(summary.total_tokens)}; swarm tasks report "
             f"{fmt.count(facts.swarm_tokens)} more" if facts.swarm_tokens
             else fmt.count(summary.total_tokens)),
        Stat("Compactions", fmt.count(summary.compactions)),
    ]
    return SessionView(
        anchor=anchor,
        session_id=session.session_id,
        source=session.source,
        goal=session.goal_text,
        model=session.model_text or _models(facts.llm_responses),
        is_open=session.is_open,
        outcome=_outcome(analysis),
        narrative=_narrative(analysis),
        tools_used=_tools_used(analysis),
        stats=stats,
        score=_score(analysis),
        findings=_findings(issue_groups),
        issue_groups=issue_groups,
        issue_count=len(analysis.issues),
        severity_counts=[(s, severity_counts[s]) for s in SEVERITIES if severity_counts[s]],
        has_breakdown=tokens.has_breakdown,
        token_rows=_head_tail([
            TokenRow(p.iteration, _iter_link(anchor, p.iteration, iteration_nodes),
                     fmt.count(p.input_tokens), fmt.count(p.output_tokens),
                     fmt.count(p.cache_read_tokens), fmt.count(p.cache_write_tokens),
                     fmt.count(p.total_tokens), fmt.cost(p.cumulative_cost),
                     fmt.percent(_rate(p.cache_read_tokens, p.input_tokens)))
            for p in _head_tail(flow)
        ]),
        cache_rows=[
            CacheRow(c.index, "–" if c.iteration is None else str(c.iteration),
                     fmt.count(c.input_tokens), fmt.count(c.cache_read_tokens),
                     fmt.percent(c.hit_rate), fmt.percent(c.moving_average),
                     fmt.count(c.boundary))
            for c in _head_tail(analysis.cache.calls)
        ],
        table_note=_table_note(len(flow), len(analysis.cache.calls)),
        cache_stats=_cache_stats(analysis),
        tracker_note=_tracker_note(analysis),
        tools=_tool_rows(analysis),
        tree=tree_items,
        tree_note=tree_note,
        events=events,
        event_note=event_note,
        event_total=len(session.events),
        categories=[c for c in CATEGORIES if any(category_of(k) == c for k in facts.event_counts)],
        kinds=sorted(facts.event_counts),
        diagnostics=[DiagnosticRow(d.file, d.line, d.action, d.message)
                     for d in session.diagnostics],
        bars=bars,
        markers=markers,
        lanes=lanes,
        series=_chart_series(analysis),
        component_series=[(COMPONENTS[c.name].title, c.points, c.weight)
                          for c in analysis.efficiency.components],
        cost_value=summary.total_cost,
        tokens_value=summary.total_tokens,
        duration_value=_display_duration(analysis),
        score_value=summary.efficiency_score,
    )


def _rate(cache_read: int, uncached: int) -> float | None:
    total = cache_read + uncached
    return cache_read / total if total else None


def _models(llm_responses: list[TraceEvent]) -> str:
    names = dict.fromkeys(e.usage.model for e in llm_responses if e.usage and e.usage.model)
    return ", ".join(list(names)[:3])


def _plural(n: int, word: str) -> str:
    return f"{fmt.count(n)} {word}{'' if n == 1 else 's'}"


def _narrative(analysis: Analysis) -> str:
    s, f = analysis.summary, analysis.facts
    failed = f" ({fmt.count(f.tool_errors)} failed)" if f.tool_errors else ""
    llm_errors = f.event_counts["llm_error"]
    calls = max(s.llm_calls, f.event_counts["llm_request"])  # requests include failed ones
    calls_failed = f" ({_plural(llm_errors, 'model error')})" if llm_errors else ""
    swarm = (f" (plus {fmt.cost(f.swarm_cost)} reported by its swarm tasks)"
             if f.swarm_cost else "")
    worked = (f"The agent worked for {fmt.duration_s(_display_duration(analysis))} over "
              f"{_plural(s.iterations, 'iteration')}, made {_plural(calls, 'model call')}"
              f"{calls_failed} and {_plural(s.tool_calls, 'tool call')}{failed}, and spent "
              f"{fmt.cost(s.total_cost)} on the model{swarm}.")
    issues = len(analysis.issues)
    if issues:
        worst = min((i.severity for i in analysis.issues), key=_severity_rank)
        found = (f" Attocode's checks found {_plural(issues, 'issue')}, the most serious "
                 f"rated {worst}.")
    else:
        found = " Attocode's checks found no issues."
    return worked + found


def _tools_used(analysis: Analysis) -> str:
    tools = sorted(analysis.facts.tools.values(), key=lambda t: (-t.calls, t.name))
    shown = ", ".join(f"{fmt.truncate(t.name, 40)} ×{t.calls}" for t in tools[:6])
    more = f" and {len(tools) - 6} more" if len(tools) > 6 else ""
    return shown + more


def _start_time(analysis: Analysis) -> float:
    first = analysis.facts.first_timestamp
    start = analysis.session.start_time
    if first is None:
        return start
    return min(first, start) if start else first


def _outcome(analysis: Analysis) -> Outcome:
    session, counts = analysis.session, analysis.facts.event_counts
    if session.is_open:
        return Outcome("Did not finish", "The trace stops without an end record: the agent "
                       "probably crashed or was stopped, or the file was cut short.", "bad")
    status = (session.end_status or "").strip()
    if counts["budget_exhausted"] or status.lower() == "budget_exhausted":
        return Outcome("Out of budget", "The agent stopped because its token or cost budget "
                       "ran out before it finished.", "bad")
    if counts["llm_error"] and not analysis.facts.llm_responses:
        return Outcome("Failed", "The model never answered: every call ended in an error.",
                       "bad")
    if status and status.lower() not in _OK_STATUSES:
        return Outcome(f"Ended: {fmt.truncate(status, 40)}",
                       f"The session ended with status \u201c{fmt.truncate(status, 80)}\u201d.",
                       "warn")
    facts = analysis.facts
    if facts.tool_calls and facts.tool_errors == facts.tool_calls:
        return Outcome("Completed with errors", "The session ran to its end, but every one of "
                       "its tool calls failed (see Issues and the event log).", "bad")
    if analysis.summary.errors:
        return Outcome("Completed with errors", "The session ran to its end, but some steps "
                       "failed along the way (see Issues and the event log).", "warn")
    return Outcome("Completed", "The session ran to its end without errors.", "good")


def _score(analysis: Analysis) -> ScoreView:
    score = analysis.efficiency.score
    word, tone = next((w, t) for limit, w, t in SCORE_WORDS if score >= limit)
    no_breakdown = bool(analysis.facts.llm_responses) and not analysis.tokens.has_breakdown
    caveat = ("This trace records only total tokens per call, not input, output and cached "
              "tokens, so the cache part earns 0 of its 30 points and the token part its "
              "neutral 5: the score is lower than the session itself deserves."
              if no_breakdown else "")
    if _outcome(analysis).tone == "bad":
        caveat = ("The score rates how economically the agent worked, not whether it "
                  "succeeded. " + caveat).strip()
    rows = []
    for c in analysis.efficiency.components:
        text = COMPONENTS[c.name]
        if no_breakdown and c.name in ("cache_hit_rate", "token_efficiency"):
            measured = "not recorded"
        elif c.value is None:
            measured = text.if_missing
        else:
            measured = fmt.percent(c.value)
        rows.append(ComponentRow(c.name, text.title, measured, text.formula, f"{c.weight:g}",
                                 f"{c.points:.1f}", c.points, float(c.weight), text.improve))
    return ScoreView(f"{score:.1f}", score, word, tone, rows, caveat)


def _iter_link(anchor: str, iteration: int | None, nodes: dict[int | None, TreeNode]) -> str:
    return f"{anchor}-iter-{iteration}" if iteration is not None and iteration in nodes else ""


def _issue_groups(issues: list[DetectedIssue], anchor: str,
                  nodes: dict[int | None, TreeNode]) -> list[IssueGroup]:
    grouped: dict[str, list[IssueView]] = {}
    for issue in issues:
        node = nodes.get(issue.iteration) if issue.iteration is not None else None
        involved = ""
        if node is not None and (node.tokens or node.cost):
            involved = (f"Iteration {issue.iteration} used {fmt.count(node.tokens)} tokens, "
                        f"{fmt.cost(node.cost)}.")
        grouped.setdefault(issue.category, []).append(IssueView(
            issue.severity, issue.title, issue.description, issue.suggestion, issue.iteration,
            _iter_link(anchor, issue.iteration, nodes), involved))
    groups = [
        IssueGroup(category, CATEGORY_NAMES.get(category, category.replace("_", " ")),
                   min((i.severity for i in views), key=_severity_rank), views,
                   views[0].suggestion, CATEGORY_MEANINGS.get(category, ""))
        for category, views in grouped.items()
    ]
    return sorted(groups, key=lambda g: _severity_rank(g.severity))


def _severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


def _findings(groups: list[IssueGroup]) -> list[IssueGroup]:
    return groups[:3]


def _cache_stats(analysis: Analysis) -> list[Stat]:
    cache, tokens = analysis.cache, analysis.tokens
    return [
        Stat("Cache hit rate", fmt.percent(tokens.cache_efficiency),
             "share of prompt tokens read from cache (the score uses this)"),
        Stat("Cached prefix", f"~{fmt.count(cache.boundary_position)} tokens",
             "how much of each prompt came from cache lately (recency-weighted, last 50 calls)"),
        Stat("Calls", fmt.count(cache.stats.total_requests),
             f"{fmt.count(cache.stats.total_cache_read)} tokens read from cache, "
             f"{fmt.count(cache.stats.total_cache_write)} written"),
    ]


def _tracker_note(analysis: Analysis) -> str:
    cache = analysis.cache
    return (f"Attocode's CacheBoundaryTracker reports a hit rate of {cache.hit_rate:.2f} "
            "(cache read ÷ input tokens): above 1 when the provider counts cached tokens "
            "apart from input, as Anthropic does. The percentage above uses cache read ÷ "
            "(input + cache read) instead.")


def _tool_rows(analysis: Analysis) -> list[ToolRow]:
    rows = []
    stats = sorted(analysis.facts.tools.values(), key=lambda t: (-t.calls, t.name))
    for tool in stats:
        durations = sorted(tool.durations_ms)
        if durations:
            mean = fmt.duration_ms(sum(durations) / len(durations))
            p95 = fmt.duration_ms(durations[max(0, math.ceil(0.95 * len(durations)) - 1)])
            longest = fmt.duration_ms(durations[-1])
        else:
            mean = p95 = longest = "–"
        rows.append(ToolRow(fmt.truncate(tool.name, 80), fmt.count(tool.calls),
                            fmt.count(tool.errors), fmt.percent(tool.errors / tool.calls, 0),
                            mean, p95, longest, tool.errors > 0))
    return rows


def _walk(nodes: list[TreeNode]) -> Iterator[TreeNode]:
    stack = list(reversed(nodes))
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.children))


def _event_rows(events: list[TraceEvent], start: float, anchor: str, tree: Tree,
                known_iterations: dict[int | None, TreeNode]) -> tuple[list[EventRow], str]:
    ordered = sorted(events, key=lambda e: e.timestamp)
    shown: list[TraceEvent | int] = list(ordered)
    note = ""
    if len(ordered) > MAX_EVENT_ROWS:
        head, tail = MAX_EVENT_ROWS * 3 // 4, MAX_EVENT_ROWS // 4
        hidden = len(ordered) - head - tail
        shown = [*ordered[:head], hidden, *ordered[-tail:]]
        note = (f"This trace has {fmt.count(len(ordered))} events; the log shows the first "
                f"{fmt.count(head)} and the last {fmt.count(tail)}. The summary, charts and "
                "issues cover all of them.")
    rows = []
    for item in shown:
        if isinstance(item, int):
            rows.append(EventRow("", None, "", "", "", True, "", "", "", False, gap=item))
            continue
        e = item
        link = (f"{anchor}-iter-{e.iteration}"
                if e.iteration is not None and e.iteration in known_iterations else "")
        rows.append(EventRow(
            fmt.offset(e.timestamp - start) if e.has_timestamp else "–", e.iteration, link,
            e.kind, category_of(e.kind), e.known_kind, e.label,
            fmt.duration_ms(e.display_duration_ms) if e.display_duration_ms is not None else "",
            tree.lane_of(e), e.kind in FAILURE_KINDS))
    return rows, note


def _tree_items(tree: Tree, anchor: str) -> tuple[list[TreeItem], str]:
    budget = [MAX_TREE_NODES]
    items = []
    for node in tree.roots:
        if budget[0] <= 0:
            break
        items.append(_tree_item(node, anchor, 0, budget))
    total = tree.size
    shown = MAX_TREE_NODES - budget[0]
    note = ""
    if shown < total:
        note = (f"The tree shows the first {fmt.count(shown)} of {fmt.count(total)} nodes; "
                "the event log and the charts cover the rest.")
    return items, note


def _tree_item(node: TreeNode, anchor: str, depth: int, budget: list[int]) -> TreeItem:
    budget[0] -= 1
    meta = []
    if node.duration_ms is not None:
        meta.append(fmt.duration_ms(node.duration_ms))
    if node.tokens:
        meta.append(f"{fmt.count(node.tokens)} tokens")
    if node.cost:
        meta.append(fmt.cost(node.cost))
    if node.kind == "iteration":
        failures = node.failures
        if failures:
            meta.append(f"{failures} error{'s' if failures != 1 else ''}")
        dom_id = f"{anchor}-iter-{node.iteration}"
        detail = ""
        category = "iteration"
    else:
        dom_id = f"{anchor}-{node.node_id}"
        detail = node.event.detail if node.event is not None else ""
        category = category_of(node.kind)
    if node.lane != MAIN_LANE and node.kind != "iteration":
        meta.append(f"agent {fmt.truncate(node.lane, 40)}")
    item = TreeItem(dom_id, node.label, node.kind, category, meta,
                    node.failures > 0 if node.kind == "iteration" else node.kind in FAILURE_KINDS,
                    detail, node.kind == "iteration", node.lane)
    # Deeper than MAX_TREE_DEPTH, descendants are listed flat under the last level.
    children = node.children if depth < MAX_TREE_DEPTH else []
    for child in children:
        if budget[0] <= 0:
            break
        item.children.append(_tree_item(child, anchor, depth + 1, budget))
    if depth == MAX_TREE_DEPTH:
        for child in _walk(node.children):
            if budget[0] <= 0:
                break
            leaf = TreeNode(child.node_id, child.kind, child.iteration, child.event,
                            child.duration_ms, child.lane)
            leaf.tokens, leaf.cost, leaf.failures = child.tokens, child.cost, child.failures
            flat = _tree_item(leaf, anchor, depth + 1, budget)
            item.children.append(flat)
    return item


def _waterfall(events: list[TraceEvent], tree: Tree,
               start: float) -> tuple[list[Bar], list[Marker]]:
    # (lane, start, seconds, group, event or label, failed): labels are worded only for
    # the bars that are kept.
    spans: list[tuple[str, float, float, str, TraceEvent | str, bool]] = []
    marks: list[tuple[str, float, TraceEvent]] = []
    open_iterations: dict[int, float] = {}
    spawns: dict[str, float] = {}
    last = 0.0
    for e in events:
        if not e.has_timestamp:
            continue
        at = e.timestamp - start
        last = max(last, at)
        lane = tree.lane_of(e)
        if e.kind == "iteration_start" and e.iteration is not None:
            # Traces without iteration_end (the real agent's): an iteration lasts until the next.
            for number, begin in open_iterations.items():
                spans.append(_iteration_span(number, begin, at))
            open_iterations = {e.iteration: at}
        elif e.kind == "iteration_end" and e.iteration in open_iterations:
            spans.append(_iteration_span(e.iteration, open_iterations.pop(e.iteration), at))
        elif e.kind == "subagent_spawn" and e.agent_id:
            spawns[e.agent_id] = at
        elif e.kind in ("subagent_complete", "subagent_error", "subagent_timeout") \
                and e.agent_id in spawns:
            begin = spawns[e.agent_id]  # type: ignore[index]
            spans.append((lane, begin, max(at - begin, 0.0), "subagent", e,
                          e.kind != "subagent_complete"))
        elif e.display_duration_ms is not None and e.kind in _TIMED_KINDS:
            seconds = max(e.display_duration_ms / 1000.0, 0.0)
            spans.append((lane, at - seconds, seconds, _TIMED_KINDS[e.kind], e,
                          e.kind in FAILURE_KINDS))
        if e.kind in FAILURE_KINDS:
            marks.append((lane, at, e))
    for number, begin in open_iterations.items():
        spans.append(_iteration_span(number, begin, last))
    if len(spans) > MAX_BARS:  # keep the longest
        spans = sorted(spans, key=lambda s: -s[2])[:MAX_BARS]
    rows = _pack_rows(spans)
    bars = [Bar(lane, begin, seconds, group, what if isinstance(what, str) else what.label,
                failed, row)
            for (lane, begin, seconds, group, what, failed), row in zip(spans, rows, strict=True)]
    return bars, [Marker(lane, at, e.label) for lane, at, e in marks[:MAX_BARS]]


_BACKGROUND_GROUPS = {"iteration", "subagent"}
MAX_ROWS_PER_LANE = 6


def _pack_rows(spans: list[tuple[str, float, float, str, TraceEvent | str, bool]]) -> list[int]:
    """A row per span so that calls running at the same time in one lane do not hide each
    other (greedy interval packing). Iterations and subagent runs stay in row 0, behind."""
    rows = [0] * len(spans)
    ends: dict[str, list[float]] = {}
    order = sorted(range(len(spans)), key=lambda i: spans[i][1])
    for i in order:
        lane, begin, seconds, group, _, _ = spans[i]
        if group in _BACKGROUND_GROUPS:
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


def _iteration_span(number: int, begin: float,
                    end: float) -> tuple[str, float, float, str, str, bool]:
    return ("Iterations", begin, max(end - begin, 0.0), "iteration", f"Iteration {number}", False)


_TIMED_KINDS = {"llm_response": "llm", "tool_end": "tool", "tool_error": "tool",
                "swarm_task_complete": "swarm", "swarm_task_failed": "swarm",
                "compaction_end": "compaction"}


def _lanes(bars: list[Bar], markers: list[Marker]) -> list[str]:
    """Lane labels top to bottom: iterations, the main agent, then subagents, each lane
    followed by its extra rows."""
    base = dict.fromkeys(["Iterations", MAIN_LANE])
    for lane in [b.lane for b in bars] + [m.lane for m in markers]:
        base.setdefault(lane)
    rows: dict[str, set[int]] = {}
    for b in bars:
        rows.setdefault(b.lane, set()).add(b.row)
    for m in markers:
        rows.setdefault(m.lane, set()).add(0)
    return [Bar(lane, 0, 0, "", "", False, row).lane_label
            for lane in base if lane in rows for row in sorted(rows[lane])]


def _head_tail(rows: list[T]) -> list[T]:
    """All rows, or the first three quarters and the last quarter of MAX_TABLE_ROWS of them."""
    limit = MAX_TABLE_ROWS
    if len(rows) <= limit:
        return rows
    return rows[: limit * 3 // 4] + rows[-(limit // 4):]


def _table_note(iterations: int, calls: int) -> str:
    if max(iterations, calls) <= MAX_TABLE_ROWS:
        return ""
    return (f"The tables show the first {fmt.count(MAX_TABLE_ROWS * 3 // 4)} and the last "
            f"{fmt.count(MAX_TABLE_ROWS // 4)} rows; the JSON output has all of them.")


def _bins(n: int) -> list[tuple[int, int]]:
    """[start, end) index ranges that cut n points into at most MAX_POINTS bins."""
    size = max(1, math.ceil(n / MAX_POINTS))
    return [(i, min(i + size, n)) for i in range(0, n, size)]


def _chart_series(analysis: Analysis) -> ChartSeries:
    """Chart series; beyond MAX_POINTS, tokens are summed and rates averaged per bin."""
    flow = analysis.tokens.token_flow
    calls = analysis.cache.calls
    flow_bins, call_bins = _bins(len(flow)), _bins(len(calls))
    binned = len(flow_bins) < len(flow) or len(call_bins) < len(calls)

    def total(key: str, a: int, b: int) -> float:
        return float(sum(getattr(p, key) for p in flow[a:b]))

    def mean(values: list[float | None]) -> float | None:
        present = [v for v in values if v is not None]
        return sum(present) / len(present) if present else None

    flow_series: dict[str, list[float]] = {key: [] for key in (
        "input", "output", "cache_read", "cache_write", "total", "cumulative_cost")}
    fields = {"input": "input_tokens", "output": "output_tokens",
              "cache_read": "cache_read_tokens", "cache_write": "cache_write_tokens",
              "total": "total_tokens"}
    flow_hit: list[float | None] = []
    for a, b in flow_bins:
        for key, name in fields.items():
            flow_series[key].append(total(name, a, b))
        flow_series["cumulative_cost"].append(flow[b - 1].cumulative_cost)
        flow_hit.append(_rate(int(total("cache_read_tokens", a, b)),
                              int(total("input_tokens", a, b))))
    return ChartSeries(
        flow_iterations=[float(flow[b - 1].iteration) for a, b in flow_bins],
        flow_series=flow_series,
        cache_calls=[float(calls[b - 1].index) for a, b in call_bins],
        cache_series={
            "hit_rate": [mean([c.hit_rate for c in calls[a:b]]) for a, b in call_bins],
            "moving_average": [calls[b - 1].moving_average for a, b in call_bins],
            "boundary": [float(calls[b - 1].boundary) for a, b in call_bins],
            "flow_hit_rate": flow_hit,
        },
        note=("This trace is long: each point of the charts sums (or averages) several "
              "iterations or calls.") if binned else "",
    )
