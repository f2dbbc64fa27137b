"""One-line summaries of events, worded as Attocode's `SessionAnalyzer` words them.

Unlike Attocode's, these never raise on odd values (a string cost, say), and where a
real-agent trace keeps a value only under `data.metadata` they read it from there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from attoreport.textsafe import safe_text

MAX_LABEL = 300
DETAIL_CHARS = 400
#: Keys of a legacy (`type`) line that are not part of its data, as in Attocode's loader.
LEGACY_NON_DATA = ("type", "timestamp", "elapsed_ms")

Data = dict[str, Any]


def _fmt(value: Any, spec: str) -> str:
    if isinstance(value, (int, float)):
        try:
            return format(value, spec)
        except (ValueError, OverflowError):
            pass
    return str(value)


def _get(data: Data, key: str, default: Any) -> Any:
    """`data[key]`, else `data.metadata[key]`, else the default."""
    if key in data:
        return data[key]
    meta = data.get("metadata")
    if isinstance(meta, dict) and key in meta:
        return meta[key]
    return default


def _tool(d: Data) -> Any:
    return d.get("tool", d.get("tool_name", "unknown"))


def _took(value: Any) -> str:
    return f" ({_fmt(value, '.0f')}ms)" if value is not None else ""


def _session_start(d: Data, n: int | None) -> str:
    goal, model = d.get("goal", ""), d.get("model", "")
    if goal:
        return f"Session started: {goal}"
    return f"Session started (model={model})" if model else "Session started"


def _llm_request(d: Data, n: int | None) -> str:
    if "messages_count" in d or "model" in d:
        return f"LLM request: {d.get('messages_count', '?')} messages -> {d.get('model', '?')}"
    attempt = _get(d, "attempt", None)  # the real agent writes only its attempt number
    return f"LLM request (attempt {attempt})" if attempt is not None else "LLM request"


_LABELS: dict[str, Callable[[Data, int | None], str]] = {
    "session_start": _session_start,
    "session_end": lambda d, n: f"Session ended: {d.get('status', 'unknown')}",
    "iteration_start": lambda d, n: f"Iteration {n} started",
    "iteration_end": lambda d, n: f"Iteration {n} ended{_took(d.get('duration_ms'))}",
    "llm_request": _llm_request,
    "llm_response": lambda d, n: (
        f"LLM response: {d.get('tokens', 0)} tokens (${_fmt(d.get('cost', 0.0), '.4f')})"),
    "llm_error": lambda d, n: f"LLM error: {d.get('error', 'unknown error')}",
    "llm_retry": lambda d, n: f"LLM retry (attempt {_get(d, 'attempt', '?')})",
    "tool_start": lambda d, n: f"Tool started: {_tool(d)}",
    "tool_end": lambda d, n: f"Tool completed: {_tool(d)}{_took(_get(d, 'duration_ms', None))}",
    "tool_error": lambda d, n: f"Tool error: {_tool(d)} -- {d.get('error', 'unknown')}",
    "tool_approval": lambda d, n: f"Tool approval: {_tool(d)}",
    "budget_check": lambda d, n: (
        f"Budget check: {_fmt(_get(d, 'usage_fraction', 0), '.0%')} used"),
    "budget_warning": lambda d, n: f"Budget warning: {_get(d, 'message', 'approaching limit')}",
    "budget_exhausted": lambda d, n: "Budget exhausted",
    "compaction_start": lambda d, n: "Compaction started",
    "compaction_end": lambda d, n: (
        f"Compaction completed: {_get(d, 'tokens_saved', 0)} tokens saved"),
    "context_overflow": lambda d, n: "Context overflow detected",
    "subagent_spawn": lambda d, n: f"Subagent spawned: {d.get('agent_id', 'unknown')}",
    "subagent_complete": lambda d, n: f"Subagent completed: {d.get('agent_id', 'unknown')}",
    "subagent_error": lambda d, n: f"Subagent error: {d.get('agent_id', 'unknown')}",
    "subagent_timeout": lambda d, n: f"Subagent timeout: {d.get('agent_id', 'unknown')}",
    "error": lambda d, n: f"Error: {d.get('error', 'unknown error')}",
    "recovery": lambda d, n: "Recovery initiated",
}


def _generic(kind: str, d: Data) -> str:
    generic = kind.replace("_", " ").capitalize()
    message = _get(d, "message", None)
    return f"{generic}: {message}" if isinstance(message, str) and message else generic


def event_label(kind: str, data: Data, iteration: int | None) -> str:
    """A human-readable one-liner for an event (at most MAX_LABEL characters, one line)."""
    make = _LABELS.get(kind)
    text = make(data, iteration) if make is not None else _generic(kind, data)
    if len(text) > MAX_LABEL:
        text = text[: MAX_LABEL - 1] + "…"
    if "\n" in text or "\r" in text:
        text = " ".join(text.split())
    return text


def preview(data: Data) -> str:
    """The event's data as short JSON, for the report (never fails, at most DETAIL_CHARS)."""
    if not data:
        return ""
    try:
        text = orjson.dumps(data).decode("utf-8")
    except (TypeError, orjson.JSONEncodeError):  # big integers, deep nesting, surrogates
        text = safe_text(data, DETAIL_CHARS + 1)
    return text if len(text) <= DETAIL_CHARS else text[: DETAIL_CHARS - 1] + "…"


def legacy_data(raw: Data) -> Data:
    """The data of a legacy (`type`) line: every key but the line's own, as Attocode reads it."""
    return {k: v for k, v in raw.items() if k not in LEGACY_NON_DATA}
