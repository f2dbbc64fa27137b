"""The trace model: event kinds and categories, compact events, sessions, diagnostics.

Events are kept in a compact form: the loader extracts, once, the few values the
analysis needs (tokens, cost, tool fingerprint, durations, ...) and drops the parsed
JSON. What only the report shows (a one-line label, a short data preview) is worded on
demand from the event's line, kept as bytes for short lines (see `TraceEvent.label`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from attoreport.labels import describe_line

# Every kind attocode 0.2.30's TraceEventKind defines, with its category.
# Categories follow attocode's own prefix rules (types.py).
_KINDS_BY_CATEGORY: dict[str, tuple[str, ...]] = {
    "session": ("session_start", "session_end"),
    "iteration": ("iteration_start", "iteration_end"),
    "llm": ("llm_request", "llm_response", "llm_error", "llm_retry"),
    "tool": ("tool_start", "tool_end", "tool_error", "tool_approval"),
    "budget": ("budget_check", "budget_warning", "budget_exhausted"),
    "compaction": ("compaction_start", "compaction_end", "context_overflow"),
    "subagent": ("subagent_spawn", "subagent_complete", "subagent_error", "subagent_timeout"),
    "swarm": (
        "swarm_start",
        "swarm_complete",
        "swarm_wave_start",
        "swarm_wave_complete",
        "swarm_task_start",
        "swarm_task_complete",
        "swarm_task_failed",
        "swarm_tool_action",
        "swarm_decision",
        "swarm_conflict",
        "swarm_budget_projection",
        "swarm_failure_attribution",
    ),
    "plan": ("plan_created", "plan_step_start", "plan_step_complete"),
    "quality": ("quality_check", "learning_proposed"),
    "error": ("error", "recovery"),
    "mode": ("mode_change",),
    "mcp": ("mcp_connect", "mcp_disconnect"),
    "file": ("file_change",),
    "checkpoint": ("checkpoint",),
    "custom": ("custom",),
}

#: kind -> category for every kind Attocode writes.
KIND_CATEGORIES: dict[str, str] = {
    kind: category for category, kinds in _KINDS_BY_CATEGORY.items() for kind in kinds
}
KNOWN_KINDS: frozenset[str] = frozenset(KIND_CATEGORIES)
CATEGORIES: tuple[str, ...] = tuple(_KINDS_BY_CATEGORY)

#: The real agent's TraceWriter writes successful tool calls with this kind.
AGENT_TOOL_KIND = "tool"

#: Attocode's AgentEvent type -> trace kind table, used for legacy `type` lines.
LEGACY_TYPE_KINDS: dict[str, str] = {
    "iteration": "iteration_start",
    "thinking": "llm_request",
    "response": "llm_response",
    "llm.start": "llm_request",
    "llm.complete": "llm_response",
    "llm.error": "llm_error",
    "llm.retry": "llm_retry",
    "llm.stream.start": "llm_request",
    "llm.stream.chunk": "llm_response",
    "llm.stream.end": "llm_response",
    "tool.start": "tool_start",
    "tool.complete": "tool_end",
    "tool.error": "tool_error",
    "tool.approval.requested": "tool_approval",
    "tool.approval.granted": "tool_approval",
    "tool.approval.denied": "tool_approval",
    "tool.blocked": "tool_error",
    "tool.coerced": "tool_approval",
    "tool.call.mismatch": "tool_error",
    "tool.markup.suspicious": "tool_approval",
    "tool.loop_guard.activated": "budget_warning",
    "budget.check": "budget_check",
    "budget.warning": "budget_warning",
    "budget.exhausted": "budget_exhausted",
    "budget.extension.requested": "budget_warning",
    "budget.extension.granted": "budget_check",
    "budget.extension.denied": "budget_warning",
    "compaction": "compaction_start",
    "compaction.start": "compaction_start",
    "compaction.complete": "compaction_end",
    "compaction.error": "compaction_end",
    "context.overflow": "context_overflow",
    "context.breakdown": "context_overflow",
    "subagent.spawn": "subagent_spawn",
    "subagent.complete": "subagent_complete",
    "subagent.error": "subagent_error",
    "subagent.timeout.hard_kill": "subagent_timeout",
    "subagent.iteration": "subagent_spawn",
    "subagent.phase": "subagent_spawn",
    "subagent.wrapup.started": "subagent_complete",
    "subagent.wrapup.completed": "subagent_complete",
    "swarm.start": "swarm_start",
    "swarm.complete": "swarm_complete",
    "swarm.wave.start": "swarm_wave_start",
    "swarm.wave.complete": "swarm_wave_complete",
    "swarm.task.start": "swarm_task_start",
    "swarm.task.complete": "swarm_task_complete",
    "swarm.task.failed": "swarm_task_failed",
    "swarm.task.queued": "swarm_task_start",
    "swarm.worker.assigned": "swarm_wave_start",
    "swarm.worker.released": "swarm_wave_complete",
    "swarm.decision": "swarm_decision",
    "swarm.conflict": "swarm_conflict",
    "swarm.budget_projection": "swarm_budget_projection",
    "swarm.failure_attribution": "swarm_failure_attribution",
    "plan.created": "plan_created",
    "plan.step.start": "plan_step_start",
    "plan.step.complete": "plan_step_complete",
    "plan.approved": "plan_step_complete",
    "plan.rejected": "plan_created",
    "plan.updated": "plan_created",
    "quality.check": "quality_check",
    "quality.score": "quality_check",
    "learning.proposed": "learning_proposed",
    "learning.approved": "learning_proposed",
    "learning.rejected": "learning_proposed",
    "health.check": "quality_check",
    "mode.changed": "mode_change",
    "mcp.connect": "mcp_connect",
    "mcp.disconnect": "mcp_disconnect",
    "mcp.tool.discovered": "mcp_connect",
    "mcp.tool.call": "tool_start",
    "mcp.tool.error": "tool_error",
    "session.checkpoint": "checkpoint",
    "session.created": "session_start",
    "session.loaded": "session_start",
    "session.saved": "checkpoint",
    "session.resumed": "session_start",
    "session.forked": "session_start",
    "start": "session_start",
    "complete": "session_end",
    "shutdown": "session_end",
    "error": "error",
    "policy.evaluation": "tool_approval",
    "policy.override": "tool_approval",
    "permission.granted": "tool_approval",
    "permission.denied": "tool_approval",
    "permission.remembered": "tool_approval",
    "resilience.retry": "recovery",
    "resilience.fallback": "recovery",
    "circuit_breaker.open": "error",
    "circuit_breaker.half_open": "recovery",
    "circuit_breaker.closed": "recovery",
    "undo.tracked": "file_change",
    "undo.executed": "file_change",
    "undo.failed": "error",
    "insight.doom_loop": "budget_warning",
    "insight.saturation": "budget_warning",
    "insight.nudge": "budget_check",
    "insight.phase_change": "mode_change",
}

TOOL_CALL_KINDS = frozenset({"tool_end", "tool_error"})
ERROR_KINDS = frozenset({"tool_error", "error", "llm_error"})
#: Kinds drawn in red: something failed.
FAILURE_KINDS = frozenset(
    {"tool_error", "error", "llm_error", "subagent_error", "subagent_timeout",
     "swarm_task_failed", "context_overflow", "budget_exhausted"}
)


def category_of(kind: str) -> str:
    """The category of a kind; kinds Attocode does not define are `custom`."""
    return KIND_CATEGORIES.get(kind, "custom")


@dataclass(slots=True)
class LlmUsage:
    """Token and cost figures of one `llm_response`, coerced as Attocode's analyzers do."""

    tokens: int = 0
    cost: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    #: `output_tokens` or `tokens` present at all (the empty-response rule skips others).
    has_token_keys: bool = False
    model: str | None = None


@dataclass(slots=True)
class TraceEvent:
    """One trace event in compact form."""

    line: int
    kind: str
    timestamp: float
    event_id: str
    iteration: int | None = None
    parent_id: str | None = None
    #: Duration as Attocode reads it: top-level `duration_ms`, else `data.duration_ms`.
    duration_ms: float | None = None
    #: Duration for display: as above, else `data.metadata.duration_ms` (real agent files).
    display_duration_ms: float | None = None
    #: The event's JSON line, kept (short lines only) to word `label` and `detail` when shown.
    source: bytes | None = None
    #: One-line summary and short JSON preview of the data; see `label` and `detail`.
    described: tuple[str, str] | None = None
    usage: LlmUsage | None = None
    tool: str | None = None
    #: Hash of Attocode's tool fingerprint (tool + sorted-keys JSON of args).
    fingerprint: bytes | None = None
    agent_id: str | None = None
    #: The provider's id of a tool call (`metadata.tool_id`), pairing tool_start with its end.
    call_id: str | None = None
    error: str | None = None
    #: Number of tasks a `swarm_task_failed` cascade-skipped.
    skipped_tasks: int = 0
    #: False for legacy lines that had no timestamp (Attocode reads them as 0.0).
    has_timestamp: bool = True

    @property
    def label(self) -> str:
        """A one-line summary, worded as Attocode's timeline words it."""
        return self._describe()[0]

    @property
    def detail(self) -> str:
        """The event's data as short JSON."""
        return self._describe()[1]

    def _describe(self) -> tuple[str, str]:
        if self.described is None:
            self.described = describe_line(self.kind, self.iteration, self.source or b"{}")
            self.source = None
        return self.described

    @property
    def category(self) -> str:
        return category_of(self.kind)

    @property
    def known_kind(self) -> bool:
        return self.kind in KNOWN_KINDS


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """A problem with one input line: what was skipped or repaired, and why."""

    file: str
    line: int
    message: str
    #: "skipped" (the line was dropped) or "repaired" (kept, with a fix or a default).
    action: str = "skipped"

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "message": self.message,
                "action": self.action}


@dataclass(slots=True)
class Session:
    """One agent session: its metadata, its events in file order, and its diagnostics."""

    session_id: str
    source: str
    events: list[TraceEvent] = field(default_factory=list)
    #: As written in the last session_start (normally text; Attocode keeps any JSON value).
    goal: Any = ""
    model: Any = ""
    start_time: float = 0.0
    end_time: float | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    #: `status` of the last `session_end` ("completed", "budget_exhausted", ...).
    end_status: str | None = None
    #: Format of the lines: "current" (`kind` lines), "legacy" (`type` lines) or "mixed".
    line_format: str = "current"

    _table: EventTable | None = None

    @property
    def table(self) -> EventTable:
        """The events as columns (see `EventTable`)."""
        if self._table is None:
            self._table = table_from_events(self.events)
        return self._table

    def details(self, rows: list[int]) -> dict[int, EventDetail]:
        """Label, data preview, main argument and result excerpt of these rows."""
        return {row: EventDetail(self.events[row].label, self.events[row].detail)
                for row in rows}

    @property
    def goal_text(self) -> str:
        return self.goal if isinstance(self.goal, str) else "" if self.goal is None else str(self.goal)

    @property
    def model_text(self) -> str:
        return self.model if isinstance(self.model, str) else "" if self.model is None else str(self.model)

    @property
    def damaged_lines(self) -> int:
        """Distinct lines that were skipped or repaired."""
        return len({(d.file, d.line) for d in self.diagnostics if d.line > 0})

    @property
    def is_open(self) -> bool:
        """No `session_end` (or legacy `trace.end`): the writer probably stopped early."""
        return self.end_time is None


# ---------------------------------------------------------------------------
# The columnar event store
# ---------------------------------------------------------------------------

#: `EventTable.iterations` value of an event without an iteration.
NO_ITERATION = -(2**63)
#: `EventTable.parents` value of an event without a (known, earlier) parent.
NO_ROW = -1
#: `EventTable.tools` / `agents` value of an event without that name.
NO_STRING = -1
#: Kind codes: the known kinds first, in this fixed order; unknown kinds get later codes.
KIND_ORDER: tuple[str, ...] = tuple(KIND_CATEGORIES)


@dataclass(frozen=True, slots=True)
class LlmColumns:
    """Token and cost figures of the `llm_response` rows, in file order, coerced as Attocode
    coerces them."""

    rows: Any  # array('q'): the event row of each entry
    tokens: Any  # array('q')
    cost: Any  # array('d')
    input_tokens: Any  # array('q')
    output_tokens: Any  # array('q')
    cache_read_tokens: Any  # array('q')
    cache_write_tokens: Any  # array('q')
    #: 1 when `output_tokens` or `tokens` was present at all (the empty-response rule).
    has_token_keys: Any  # array('B')
    #: Index into `EventTable.strings` of `data.model`, or NO_STRING.
    models: Any  # array('i')


@dataclass(frozen=True, slots=True)
class EventDetail:
    """What the report shows of one event, read again from its line (redacted, bounded)."""

    #: One line, worded as Attocode's timeline words it.
    label: str
    #: The event's data as short JSON.
    preview: str
    #: A tool call's main argument (the command, the path, the pattern, the URL), or "".
    subject: str = ""
    #: The first line of a tool call's result or error, or "".
    excerpt: str = ""


@dataclass(slots=True)
class EventTable:
    """A session's events as columns, in file order: row `i` is the i-th event.

    Analysis reads these columns; what only the report shows (labels, arguments, results) is
    read again for the few rows it shows, through `Session.details`.
    """

    #: kind code -> kind name (codes below len(KIND_ORDER) are the known kinds, in that order).
    kind_names: list[str]
    kinds: Any  # array('H')
    #: Epoch seconds; NaN when the line had none (legacy lines; Attocode reads them as 0.0).
    timestamps: Any  # array('d')
    iterations: Any  # array('q'), NO_ITERATION when none
    lines: Any  # array('q'): 1-based line number in the source
    #: Attocode's duration: top-level `duration_ms`, else `data.duration_ms`; NaN when none.
    durations: Any  # array('d')
    #: As above, else `data.metadata.duration_ms` (real agent files); NaN when none.
    display_durations: Any  # array('d')
    #: Row of the parent: the event named by `parent_event_id` if it came earlier in the
    #: session, else (a tool call's end) the `tool_start` with the same `metadata.tool_id`.
    parents: Any  # array('q'), NO_ROW when none
    agents: Any  # array('i'): index into `strings` of `data.agent_id`, NO_STRING when none
    tools: Any  # array('i'): index into `strings` of `data.tool` (or `tool_name`)
    #: Interned names, each bounded in length and safe to show (no lone surrogates).
    strings: list[str]
    llm: LlmColumns
    #: `data.error` of the rows that have one (bounded).
    errors: dict[int, str] = field(default_factory=dict)
    #: (tokens, cost) that swarm task rows report themselves (not in Attocode's totals).
    task_spend: dict[int, tuple[int, float]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.kinds)

    def kind(self, row: int) -> str:
        return self.kind_names[self.kinds[row]]

    def string(self, index: int) -> str | None:
        return None if index == NO_STRING else self.strings[index]


def table_from_events(events: list[TraceEvent]) -> EventTable:
    """Columns of already-built events (the object loader's output)."""
    from array import array

    kind_names = list(KIND_ORDER)
    kind_codes = {name: code for code, name in enumerate(kind_names)}
    strings: list[str] = []
    string_codes: dict[str, int] = {}

    def intern(text: str | None) -> int:
        if text is None:
            return NO_STRING
        code = string_codes.get(text)
        if code is None:
            code = string_codes[text] = len(strings)
            strings.append(text)
        return code

    nan = float("nan")
    kinds, timestamps, iterations, lines = array("H"), array("d"), array("q"), array("q")
    durations, display, parents = array("d"), array("d"), array("q")
    agents, tools = array("i"), array("i")
    llm = LlmColumns(array("q"), array("q"), array("d"), array("q"), array("q"), array("q"),
                     array("q"), array("B"), array("i"))
    errors: dict[int, str] = {}
    task_spend: dict[int, tuple[int, float]] = {}
    by_id: dict[str, int] = {}
    open_calls: dict[str, int] = {}
    for row, e in enumerate(events):
        code = kind_codes.get(e.kind)
        if code is None:
            code = kind_codes[e.kind] = len(kind_names)
            kind_names.append(e.kind)
        kinds.append(code)
        timestamps.append(e.timestamp if e.has_timestamp else nan)
        iterations.append(NO_ITERATION if e.iteration is None else e.iteration)
        lines.append(e.line)
        durations.append(nan if e.duration_ms is None else e.duration_ms)
        display.append(nan if e.display_duration_ms is None else e.display_duration_ms)
        parent = by_id.get(e.parent_id, NO_ROW) if e.parent_id else NO_ROW
        if parent == NO_ROW and e.call_id is not None and e.kind != "tool_start":
            parent = open_calls.pop(e.call_id, NO_ROW)
        parents.append(parent)
        by_id.setdefault(e.event_id, row)
        if e.kind == "tool_start" and e.call_id is not None:
            open_calls[e.call_id] = row
        agents.append(intern(e.agent_id))
        tools.append(intern(e.tool))
        if e.error is not None:
            errors[row] = e.error
        u = e.usage
        if u is not None and e.kind != "llm_response":
            task_spend[row] = (u.tokens, u.cost)
        elif u is not None:
            llm.rows.append(row)
            llm.tokens.append(u.tokens)
            llm.cost.append(u.cost)
            llm.input_tokens.append(u.input_tokens)
            llm.output_tokens.append(u.output_tokens)
            llm.cache_read_tokens.append(u.cache_read_tokens)
            llm.cache_write_tokens.append(u.cache_write_tokens)
            llm.has_token_keys.append(1 if u.has_token_keys else 0)
            llm.models.append(intern(u.model))
    return EventTable(kind_names, kinds, timestamps, iterations, lines, durations, display,
                      parents, agents, tools, strings, llm, errors, task_spend)
