"""The single pass over a session's events that every analysis reads from.

`collect_facts` touches each event once and keeps only aggregates and the few
events the rules look at again (LLM responses, slow tool calls). Everything else in
`attoreport.analysis` is a pure function of these facts.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from attoreport.model import ERROR_KINDS, TOOL_CALL_KINDS, Session, TraceEvent

LONG_TOOL_MS = 30_000.0


@dataclass(slots=True)
class ToolStats:
    """Calls, failures and durations of one tool."""

    name: str
    calls: int = 0
    errors: int = 0
    durations_ms: list[float] = field(default_factory=list)


@dataclass(slots=True)
class RepeatedCall:
    tool: str
    count: int
    first_iteration: int | None


@dataclass(slots=True)
class SessionFacts:
    """Aggregates of one session, gathered in one pass."""

    event_counts: Counter[str] = field(default_factory=Counter)
    #: `llm_response` events in file order.
    llm_responses: list[TraceEvent] = field(default_factory=list)
    iterations: int = 0
    tool_calls: int = 0
    tool_errors: int = 0
    errors: int = 0
    compactions: int = 0
    total_tokens: int = 0
    max_iteration: int = 0
    iterations_with_tools: set[int] = field(default_factory=set)
    tools_per_iteration: Counter[int] = field(default_factory=Counter)
    repeated_calls: dict[bytes, RepeatedCall] = field(default_factory=dict)
    compaction_iterations: list[int] = field(default_factory=list)
    warning_iterations: list[int] = field(default_factory=list)
    mode_change_iterations: set[int] = field(default_factory=set)
    #: (tool, duration_ms, iteration) of tool calls over 30 s, in file order.
    long_tools: list[tuple[str, float, int | None]] = field(default_factory=list)
    overflow_iterations: list[int | None] = field(default_factory=list)
    subagent_timeouts: list[tuple[str, int | None]] = field(default_factory=list)
    swarm_tasks_started: int = 0
    swarm_tasks_failed: int = 0
    swarm_tasks_skipped: int = 0
    swarm_conflicts: int = 0
    swarm_waves: int = 0
    #: Tokens and cost that swarm tasks report themselves: not in Attocode's totals.
    swarm_tokens: int = 0
    swarm_cost: float = 0.0
    tools: dict[str, ToolStats] = field(default_factory=dict)
    first_timestamp: float | None = None
    last_timestamp: float | None = None


def collect_facts(session: Session) -> SessionFacts:  # noqa: C901 - one flat dispatch
    """Walk the events once and gather what every analysis needs."""
    f = SessionFacts()
    counts = f.event_counts
    first_ts = last_ts = None
    for event in session.events:
        kind = event.kind
        counts[kind] += 1
        iteration = event.iteration
        if iteration is not None and iteration > f.max_iteration:
            f.max_iteration = iteration
        if event.has_timestamp:
            ts = event.timestamp
            if first_ts is None or ts < first_ts:
                first_ts = ts
            if last_ts is None or ts > last_ts:
                last_ts = ts
        if kind in ERROR_KINDS:
            f.errors += 1
        if kind in TOOL_CALL_KINDS:
            _tool_call(f, event)
        elif kind == "llm_response":
            f.llm_responses.append(event)
            if event.usage is not None:
                f.total_tokens += event.usage.tokens
        elif kind == "iteration_start":
            f.iterations += 1
        elif kind == "compaction_end":
            f.compactions += 1
            if iteration is not None:
                f.compaction_iterations.append(iteration)
        elif kind == "budget_warning":
            if iteration is not None:
                f.warning_iterations.append(iteration)
        elif kind == "mode_change":
            if iteration is not None:
                f.mode_change_iterations.add(iteration)
        elif kind == "context_overflow":
            f.overflow_iterations.append(iteration)
        elif kind == "subagent_timeout":
            agent = event.agent_id if event.agent_id is not None else "unknown"
            f.subagent_timeouts.append((agent, iteration))
        elif kind == "swarm_task_start":
            f.swarm_tasks_started += 1
        elif kind == "swarm_task_failed":
            f.swarm_tasks_failed += 1
            f.swarm_tasks_skipped += event.skipped_tasks
        elif kind == "swarm_conflict":
            f.swarm_conflicts += 1
        elif kind == "swarm_wave_start":
            f.swarm_waves += 1
        if event.usage is not None and kind != "llm_response":  # swarm tasks' own spend
            f.swarm_tokens += event.usage.tokens
            f.swarm_cost += event.usage.cost
    f.first_timestamp, f.last_timestamp = first_ts, last_ts
    return f


def _tool_call(f: SessionFacts, event: TraceEvent) -> None:
    f.tool_calls += 1
    failed = event.kind == "tool_error"
    if failed:
        f.tool_errors += 1
    iteration = event.iteration
    if iteration is not None:
        f.iterations_with_tools.add(iteration)
        f.tools_per_iteration[iteration] += 1
    fingerprint_tool = "" if event.tool is None else event.tool
    if event.fingerprint is not None:
        seen = f.repeated_calls.get(event.fingerprint)
        if seen is None:
            f.repeated_calls[event.fingerprint] = RepeatedCall(fingerprint_tool, 1, iteration)
        else:
            seen.count += 1
    if event.duration_ms is not None and event.duration_ms > LONG_TOOL_MS:
        tool = "unknown" if event.tool is None else event.tool
        f.long_tools.append((tool, event.duration_ms, iteration))
    name = "unknown" if event.tool is None else event.tool
    stats = f.tools.get(name)
    if stats is None:
        stats = f.tools[name] = ToolStats(name)
    stats.calls += 1
    if failed:
        stats.errors += 1
    if event.display_duration_ms is not None:
        stats.durations_ms.append(event.display_duration_ms)
