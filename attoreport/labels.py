"""One-line summaries of events, worded as Attocode's `SessionAnalyzer` words them.

Unlike Attocode's, these never raise on odd values (a string cost, say), and where a
real-agent trace keeps a value only under `data.metadata` they read it from there.
"""

from __future__ import annotations

from typing import Any

MAX_LABEL = 300


def _fmt(value: Any, spec: str) -> str:
    if isinstance(value, (int, float)):
        try:
            return format(value, spec)
        except (ValueError, OverflowError):
            pass
    return str(value)


def _get(data: dict[str, Any], key: str, default: Any) -> Any:
    """`data[key]`, else `data.metadata[key]`, else the default."""
    if key in data:
        return data[key]
    meta = data.get("metadata")
    if isinstance(meta, dict) and key in meta:
        return meta[key]
    return default


def _shorten(text: str) -> str:
    text = " ".join(text.split()) if "\n" in text or "\r" in text else text
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def event_label(kind: str, data: dict[str, Any], iteration: int | None) -> str:
    """A human-readable one-liner for an event."""
    return _shorten(_label(kind, data, iteration))


def _label(kind: str, d: dict[str, Any], iteration: int | None) -> str:  # noqa: C901
    if kind == "session_start":
        goal = d.get("goal", "")
        return f"Session started: {goal}" if goal else f"Session started (model={d.get('model', '')})"
    if kind == "session_end":
        return f"Session ended: {d.get('status', 'unknown')}"
    if kind == "iteration_start":
        return f"Iteration {iteration} started"
    if kind == "iteration_end":
        dur = d.get("duration_ms")
        return f"Iteration {iteration} ended" + (f" ({_fmt(dur, '.0f')}ms)" if dur is not None else "")
    if kind == "llm_request":
        return f"LLM request: {d.get('messages_count', '?')} messages -> {d.get('model', '?')}"
    if kind == "llm_response":
        return f"LLM response: {d.get('tokens', 0)} tokens (${_fmt(d.get('cost', 0.0), '.4f')})"
    if kind == "llm_error":
        return f"LLM error: {d.get('error', 'unknown error')}"
    if kind == "llm_retry":
        return f"LLM retry (attempt {_get(d, 'attempt', '?')})"
    if kind == "tool_start":
        return f"Tool started: {_tool(d)}"
    if kind == "tool_end":
        dur = _get(d, "duration_ms", None)
        return f"Tool completed: {_tool(d)}" + (f" ({_fmt(dur, '.0f')}ms)" if dur is not None else "")
    if kind == "tool_error":
        return f"Tool error: {_tool(d)} -- {d.get('error', 'unknown')}"
    if kind == "tool_approval":
        return f"Tool approval: {_tool(d)}"
    if kind == "budget_check":
        return f"Budget check: {_fmt(_get(d, 'usage_fraction', 0), '.0%')} used"
    if kind == "budget_warning":
        return f"Budget warning: {_get(d, 'message', 'approaching limit')}"
    if kind == "budget_exhausted":
        return "Budget exhausted"
    if kind == "compaction_start":
        return "Compaction started"
    if kind == "compaction_end":
        return f"Compaction completed: {_get(d, 'tokens_saved', 0)} tokens saved"
    if kind == "context_overflow":
        return "Context overflow detected"
    if kind in _SUBAGENT_WORDS:
        return f"Subagent {_SUBAGENT_WORDS[kind]}: {d.get('agent_id', 'unknown')}"
    if kind == "error":
        return f"Error: {d.get('error', 'unknown error')}"
    if kind == "recovery":
        return "Recovery initiated"
    generic = kind.replace("_", " ").capitalize()
    message = _get(d, "message", None)
    return f"{generic}: {message}" if isinstance(message, str) and message else generic


_SUBAGENT_WORDS = {
    "subagent_spawn": "spawned",
    "subagent_complete": "completed",
    "subagent_error": "error",
    "subagent_timeout": "timeout",
}


def _tool(d: dict[str, Any]) -> Any:
    return d.get("tool", d.get("tool_name", "unknown"))
