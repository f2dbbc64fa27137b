"""The trace model: event kinds and categories, the columnar event store, sessions, diagnostics.

A session's events are kept as columns (`EventTable`): the loader extracts, once, the few
values the analysis needs (kind, time, iteration, tokens, cost, tool fingerprint, durations,
...) and keeps no per-event Python object. What only the report shows (a one-line label, a
data preview, a tool call's argument and result) is read again from the trace for the few
rows the report shows (`Session.details`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

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


#: `EventTable.flags` bits of a tool call, set from its arguments and result (see toolcalls).
FLAG_REPORTED_FAILURE = 1  # the result says the call failed although it was not a tool_error
FLAG_TEST_COMMAND = 2  # a command that runs tests
FLAG_BUILD_COMMAND = 4  # a command that builds, installs or lints
FLAG_FILE_WRITE = 8  # the call wrote or edited a file
FLAG_ERROR_TEXT = 16  # the call's line has a `data.error` (read again when shown)


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """A problem with one input line (or, grouped, with `count` lines from `line` to
    `last_line`): what was skipped or repaired, and why."""

    file: str
    line: int
    message: str
    #: "skipped" (the line was dropped) or "repaired" (kept, with a fix or a default).
    action: str = "skipped"
    #: How many lines this entry stands for: 1, or more for a group of the same problem.
    count: int = 1
    #: Last line of a group (equal to `line` for a single line).
    last_line: int = 0

    def __post_init__(self) -> None:
        if self.last_line < self.line:
            object.__setattr__(self, "last_line", self.line)

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "message": self.message,
                "action": self.action, "count": self.count, "last_line": self.last_line}


#: `Redactor.text`: what redaction does to one string (see attoreport.redact).
TextFilter = Callable[[str], str]


class DetailSource:
    """Where `Session.details` reads the rows it is asked for (implemented by the loader)."""

    def details(self, table: EventTable, rows: Sequence[int]) -> dict[int, EventDetail]:
        raise NotImplementedError

    def errors(self, table: EventTable, rows: Sequence[int]) -> dict[int, str]:
        raise NotImplementedError


@dataclass(slots=True)
class Session:
    """One agent session: its metadata, its events as columns, and its diagnostics."""

    session_id: str
    source: str
    table: EventTable
    #: As written in the last session_start (normally text; Attocode keeps any JSON value;
    #: values that JSON cannot carry, such as NaN, are kept as text and reported).
    goal: Any = ""
    model: Any = ""
    start_time: float = 0.0
    end_time: float | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    #: Problems with lines, grouped: a few of each kind one by one, then counts (see Diagnostic).
    diagnostics: list[Diagnostic] = field(default_factory=list)
    #: How many distinct lines were skipped or repaired (what the CLI counts).
    damaged_lines: int = 0
    #: `status` of the last `session_end` ("completed", "budget_exhausted", ...).
    end_status: str | None = None
    #: Format of the lines: "current" (`kind` lines), "legacy" (`type` lines) or "mixed".
    line_format: str = "current"
    #: Files the session's tool calls wrote or edited -> number of writes (bounded).
    changed_files: dict[str, int] = field(default_factory=dict)
    #: Written files beyond the bound of `changed_files` (not listed).
    changed_files_more: int = 0
    detail_source: DetailSource | None = None
    #: For a trace written beside an attoswarm run folder: the phase the run ended in
    #: ("completed", "shutdown", ...), which stands in for the `session_end` it never writes.
    run_phase: str | None = None

    def details(self, rows: Sequence[int]) -> dict[int, EventDetail]:
        """Label, data preview, main argument and result excerpt of these rows, read again
        from the trace (redacted and bounded). Rows that cannot be read again get a label
        from their kind alone."""
        wanted = sorted({row for row in rows if 0 <= row < len(self.table)})
        if self.detail_source is None:
            return {row: EventDetail(_plain_label(self.table, row), "") for row in wanted}
        return self.detail_source.details(self.table, wanted)

    def error_texts(self, rows: Sequence[int]) -> dict[int, str]:
        """`data.error` of those of these rows that have one, read again from the trace
        (bounded, redacted). The table keeps no error text: a trace of 200,000 failed calls
        held 42 MB of them and took a second to redact them all, for the few a report shows."""
        wanted = sorted({row for row in rows if 0 <= row < len(self.table)})
        if self.detail_source is None or not wanted:
            return {}
        return self.detail_source.errors(self.table, wanted)

    @property
    def goal_text(self) -> str:
        return self.goal if isinstance(self.goal, str) else "" if self.goal is None else str(self.goal)

    @property
    def model_text(self) -> str:
        return self.model if isinstance(self.model, str) else "" if self.model is None else str(self.model)

    @property
    def is_open(self) -> bool:
        """No `session_end` (or legacy `trace.end`): the writer probably stopped early."""
        return self.end_time is None


def _plain_label(table: EventTable, row: int) -> str:
    return table.kind(row).replace("_", " ").capitalize()


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


@dataclass(frozen=True, slots=True)
class ToolCallColumns:
    """The tool calls (`tool_end` and `tool_error` rows), in file order."""

    rows: Any  # array('q'): the event row of each call
    #: 64-bit key of Attocode's repeated-call fingerprint: tool + ":" + `json.dumps(args,
    #: sort_keys=True)`. Equal keys <=> equal fingerprints (a 64-bit hash of an exact
    #: canonical form; comparable only within one load).
    fingerprints: Any  # array('q')


@dataclass(slots=True)
class EventTable:
    """A session's events as columns, in file order: row `i` is the i-th event.

    Analysis reads these columns; what only the report shows (labels, arguments, results) is
    read again for the few rows it shows, through `Session.details`.
    """

    #: kind code -> kind name (codes below len(KIND_ORDER) are the known kinds, in that order;
    #: unknown kind names are bounded in length).
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
    #: Interned names (tools, agents, models), redacted, without lone surrogates, at most
    #: NAME_CHARS long (the rules quote them whole; views shorten them).
    strings: list[str]
    llm: LlmColumns
    #: (tokens, cost) that swarm task rows report themselves (not in Attocode's totals).
    task_spend: dict[int, tuple[int, float]] = field(default_factory=dict)
    #: FLAG_* bits of each row (tool calls only; 0 elsewhere).
    flags: Any = None  # array('B')
    #: The tool-call rows and their repeated-call fingerprints.
    tool_calls: ToolCallColumns | None = None
    #: `swarm_task_failed` rows -> number of tasks they cascade-skipped (when not 0).
    skipped_tasks: dict[int, int] = field(default_factory=dict)
    #: Number of rows whose timestamp is NaN (0: min/max of `timestamps` are safe).
    missing_timestamps: int = 0

    def __len__(self) -> int:
        return len(self.kinds)

    def kind(self, row: int) -> str:
        return self.kind_names[self.kinds[row]]

    def string(self, index: int) -> str | None:
        return None if index == NO_STRING else self.strings[index]


