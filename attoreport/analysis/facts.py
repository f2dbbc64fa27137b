"""The facts every analysis reads, gathered from a session's columns in a few C-speed passes.

`collect_facts` never loops over every event in Python: it counts kinds with `Counter`
over the kind column, finds the rows of the rare kinds the rules look at with `array.index`,
and loops in Python only over the tool calls (for the per-tool figures). Everything else in
`attoreport.analysis` is a pure function of these facts and of the table's LLM columns.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from attoreport.model import (
    ERROR_KINDS,
    KIND_ORDER,
    NO_ITERATION,
    EventTable,
    LlmColumns,
    Session,
)

LONG_TOOL_MS = 30_000.0
_CODE = {name: code for code, name in enumerate(KIND_ORDER)}


@dataclass(slots=True)
class ToolStats:
    """Calls, failures and durations of one tool."""

    name: str
    calls: int = 0
    errors: int = 0
    #: Display durations (ms) of the calls that have one, in file order.
    durations_ms: Any = field(default_factory=lambda: array("d"))


@dataclass(slots=True)
class RepeatedCall:
    """Tool calls with one fingerprint: Attocode's doom-loop candidates."""

    tool: str
    count: int
    first_iteration: int | None


@dataclass(slots=True)
class SessionFacts:
    """Aggregates of one session."""

    event_counts: Counter[str] = field(default_factory=Counter)
    #: The `llm_response` rows' figures (the table's LlmColumns).
    llm: LlmColumns | None = None
    #: Iteration of each LLM response (None when it has none), aligned with `llm`.
    llm_iterations: list[int | None] = field(default_factory=list)
    iterations: int = 0
    tool_calls: int = 0
    tool_errors: int = 0
    errors: int = 0
    compactions: int = 0
    total_tokens: int = 0
    max_iteration: int = 0
    iterations_with_tools: set[int] = field(default_factory=set)
    tools_per_iteration: Counter[int] = field(default_factory=Counter)
    #: Fingerprints seen 3 or more times, in order of first call.
    repeated_calls: dict[int, RepeatedCall] = field(default_factory=dict)
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
    #: Distinct models named by the LLM responses, in order of first use (at most 10).
    models: list[str] = field(default_factory=list)

    @property
    def llm_calls(self) -> int:
        return len(self.llm.rows) if self.llm is not None else 0

def rows_of_kind(table: EventTable, code: int) -> Iterator[int]:
    """Rows of one kind code, in order, found by C-level scans of the kind column."""
    kinds = table.kinds
    index = kinds.index
    start = 0
    end = len(kinds)
    while True:
        try:
            row = index(code, start, end)
        except ValueError:
            return
        yield row
        start = row + 1


def _iteration(value: int) -> int | None:
    return None if value == NO_ITERATION else value


def collect_facts(session: Session) -> SessionFacts:
    """Gather what every analysis needs from the session's columns."""
    table = session.table
    f = SessionFacts(llm=table.llm)
    names = table.kind_names
    by_code = Counter(table.kinds)
    counts = f.event_counts
    for code, n in by_code.items():
        counts[names[code]] += n
    f.iterations = counts["iteration_start"]
    f.compactions = counts["compaction_end"]
    f.errors = sum(counts[k] for k in ERROR_KINDS)
    f.swarm_tasks_started = counts["swarm_task_start"]
    f.swarm_tasks_failed = counts["swarm_task_failed"]
    f.swarm_conflicts = counts["swarm_conflict"]
    f.swarm_waves = counts["swarm_wave_start"]
    iterations = table.iterations
    if len(iterations):
        f.max_iteration = max(0, max(iterations))
    _timestamps(f, table)
    llm = table.llm
    f.total_tokens = sum(llm.tokens)
    f.llm_iterations = [_iteration(i) for i in map(iterations.__getitem__, llm.rows)]
    f.models = _models(table)
    for code, target in ((_CODE["compaction_end"], f.compaction_iterations),
                         (_CODE["budget_warning"], f.warning_iterations)):
        if by_code.get(code):
            target.extend(i for i in (iterations[r] for r in rows_of_kind(table, code))
                          if i != NO_ITERATION)
    if by_code.get(_CODE["mode_change"]):
        f.mode_change_iterations.update(
            i for i in (iterations[r] for r in rows_of_kind(table, _CODE["mode_change"]))
            if i != NO_ITERATION)
    if by_code.get(_CODE["context_overflow"]):
        f.overflow_iterations = [_iteration(iterations[r]) for r in
                                 rows_of_kind(table, _CODE["context_overflow"])]
    if by_code.get(_CODE["subagent_timeout"]):
        f.subagent_timeouts = [
            (_name(table, table.agents[r]), _iteration(iterations[r]))
            for r in rows_of_kind(table, _CODE["subagent_timeout"])]
    f.swarm_tasks_skipped = sum(table.skipped_tasks.values())
    for tokens, cost in table.task_spend.values():  # swarm tasks' own spend
        f.swarm_tokens += tokens
        f.swarm_cost += cost
    _tool_calls(f, table)
    return f


def _name(table: EventTable, index: int, default: str = "unknown") -> str:
    name = table.string(index)
    return default if name is None else name


def _timestamps(f: SessionFacts, table: EventTable) -> None:
    stamps = table.timestamps
    if not table.missing_timestamps:
        if len(stamps):
            f.first_timestamp, f.last_timestamp = min(stamps), max(stamps)
        return
    known = [t for t in stamps if t == t]
    if known:
        f.first_timestamp, f.last_timestamp = min(known), max(known)


def _models(table: EventTable) -> list[str]:
    seen: dict[int, None] = {}
    for code in table.llm.models:
        if code >= 0 and code not in seen:
            seen[code] = None
            if len(seen) >= 10:
                break
    return [table.strings[code] for code in seen]


def _tool_calls(f: SessionFacts, table: EventTable) -> None:
    """Counts, per-iteration figures, slow calls, per-tool figures and repeated calls."""
    calls = table.tool_calls
    if calls is None or not len(calls.rows):
        return
    rows = calls.rows
    kinds = list(map(table.kinds.__getitem__, rows))
    error_code = _CODE["tool_error"]
    f.tool_calls = len(rows)
    f.tool_errors = kinds.count(error_code)
    call_iterations = list(map(table.iterations.__getitem__, rows))
    per_iteration = Counter(call_iterations)
    per_iteration.pop(NO_ITERATION, None)
    f.tools_per_iteration = per_iteration
    f.iterations_with_tools = set(per_iteration)
    tool_codes = list(map(table.tools.__getitem__, rows))
    durations = list(map(table.durations.__getitem__, rows))
    for i, duration in enumerate(durations):
        if duration > LONG_TOOL_MS:
            f.long_tools.append((_name(table, tool_codes[i]), duration,
                                 _iteration(call_iterations[i])))
    shown = list(map(table.display_durations.__getitem__, rows))
    stats: dict[int, ToolStats] = {}
    for code, kind, duration in zip(tool_codes, kinds, shown, strict=True):
        tool = stats.get(code)
        if tool is None:
            tool = stats[code] = ToolStats(_name(table, code))
        tool.calls += 1
        if kind == error_code:
            tool.errors += 1
        if duration == duration:
            tool.durations_ms.append(duration)
    for tool in stats.values():  # names that differ only beyond the bound share a row
        known = f.tools.get(tool.name)
        if known is None:
            f.tools[tool.name] = tool
        else:
            known.calls += tool.calls
            known.errors += tool.errors
            known.durations_ms.extend(tool.durations_ms)
    f.repeated_calls = _repeated(calls.fingerprints, tool_codes, call_iterations, table)


def _repeated(fingerprints: Any, tool_codes: list[int], call_iterations: list[int],
              table: EventTable) -> dict[int, RepeatedCall]:
    """Fingerprints called 3 or more times: count, tool and first iteration, in order of first
    call (sorting finds them without a dictionary of every fingerprint)."""
    ordered = sorted(fingerprints)
    thrice = {a for a, b in zip(ordered, ordered[2:], strict=False) if a == b}
    if not thrice:
        return {}
    found: dict[int, RepeatedCall] = {}
    for i, key in enumerate(fingerprints):
        if key in thrice:
            call = found.get(key)
            if call is None:
                found[key] = RepeatedCall(_name(table, tool_codes[i], ""), 1,
                                          _iteration(call_iterations[i]))
            else:
                call.count += 1
    return found
