"""How a session ended, decided once from the facts (the report words it)."""

from __future__ import annotations

from dataclasses import dataclass

from attoreport.analysis.evidence import Evidence, gather
from attoreport.analysis.facts import SessionFacts
from attoreport.model import Session

#: `session_end` statuses that mean the agent finished normally.
OK_STATUSES = frozenset({"complete", "completed", "success", "succeeded", "done", "ok", "finished"})

#: The states, most serious first (see `decide`).
OPEN = "open"
OUT_OF_BUDGET = "out_of_budget"
MODEL_FAILED = "model_failed"
ENDED_WITH_STATUS = "ended_with_status"
ALL_TOOLS_FAILED = "all_tools_failed"
COMPLETED_WITH_ERRORS = "completed_with_errors"
COMPLETED = "completed"


@dataclass(frozen=True, slots=True)
class Counts:
    """The counts every output states the same way (sentence, tiles, Markdown, JSON)."""

    model_calls: int  # LLM responses (Attocode's llm_calls)
    failed_model_calls: int  # llm_error events
    tool_calls: int  # tool_end + tool_error (Attocode's tool_calls)
    failed_tool_calls: int  # tool_error
    error_events: int  # `error` events
    errors: int  # Attocode's errors: failed tool calls + model errors + error events
    failed_tasks: int = 0  # swarm_task_failed events (a swarm coordinator's trace)


@dataclass(frozen=True, slots=True)
class Outcome:
    """How the session ended and the counts that back it."""

    state: str
    #: The last `session_end`'s status as written (None without one).
    status: str | None
    counts: Counts
    #: Seconds from the first event to the end (or the last event when the trace stops early).
    wall_seconds: float
    #: What the trace says about the result: tests, builds, changed files.
    evidence: Evidence


def decide(session: Session, facts: SessionFacts) -> Outcome:
    """The most serious thing that can be said of the ending, from the trace alone."""
    counts = Counts(
        model_calls=facts.llm_calls,
        failed_model_calls=facts.event_counts["llm_error"],
        tool_calls=facts.tool_calls,
        failed_tool_calls=facts.tool_errors,
        error_events=facts.event_counts["error"],
        errors=facts.errors,
        failed_tasks=facts.swarm_tasks_failed,
    )
    status = (session.end_status or "").strip()
    if session.is_open and session.run_phase:  # attoswarm writes no session_end
        status = session.run_phase
    if session.is_open and not session.run_phase:
        state = OPEN
    elif facts.event_counts["budget_exhausted"] or status.lower() == "budget_exhausted":
        state = OUT_OF_BUDGET
    elif counts.failed_model_calls and not counts.model_calls:
        state = MODEL_FAILED
    elif status and status.lower() not in OK_STATUSES:
        state = ENDED_WITH_STATUS
    elif counts.tool_calls and counts.failed_tool_calls == counts.tool_calls:
        state = ALL_TOOLS_FAILED
    elif counts.errors:
        state = COMPLETED_WITH_ERRORS
    else:
        state = COMPLETED
    return Outcome(state, status or None, counts, wall_seconds(session, facts),
                   gather(session))


def wall_seconds(session: Session, facts: SessionFacts) -> float:
    """First event to `session_end` (or to the last event): what a stopwatch would show."""
    first, last = facts.first_timestamp, facts.last_timestamp
    if first is None or last is None:
        return max(0.0, (session.end_time or 0.0) - session.start_time) if session.end_time else 0.0
    end = max(last, session.end_time) if session.end_time is not None else last
    return max(0.0, end - first)
