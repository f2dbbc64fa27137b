"""The facts every analysis reads, gathered from a session's columns in a few C-speed passes.

`collect_facts` never loops over every event in Python: it counts kinds with `Counter`
over the kind column, finds the rows of the rare kinds the rules look at with `array.index`,
and loops in Python only over the tool calls (for the per-tool figures). Everything else in
`attoreport.analysis` is a pure function of these facts and of the table's LLM columns.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from attoreport.analysis.columns import (
    Iterations,
    kind_counts,
    max_iteration,
    numpy_for,
    rows_of_kinds,
    time_range,
    view,
)
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
    llm_iterations: Sequence[int | None] = field(default_factory=list)
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

def _iteration(value: int) -> int | None:
    return None if value == NO_ITERATION else value


def collect_facts(session: Session) -> SessionFacts:
    """Gather what every analysis needs from the session's columns."""
    table = session.table
    f = SessionFacts(llm=table.llm)
    names = table.kind_names
    by_code = kind_counts(table)
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
    largest = max_iteration(table)
    if largest is not None:
        f.max_iteration = max(0, largest)
    found = time_range(table)
    if found is not None:
        f.first_timestamp, f.last_timestamp = found
    llm = table.llm
    f.total_tokens = sum(llm.tokens)
    f.llm_iterations = Iterations.of_rows(table, llm.rows)
    f.models = _models(table)
    rare = _rows_by_kind(table, [_CODE[k] for k in _RARE_KINDS if by_code.get(_CODE[k])])
    f.compaction_iterations = [i for i in map(iterations.__getitem__, rare["compaction_end"])
                               if i != NO_ITERATION]
    f.warning_iterations = [i for i in map(iterations.__getitem__, rare["budget_warning"])
                            if i != NO_ITERATION]
    f.mode_change_iterations = {i for i in map(iterations.__getitem__, rare["mode_change"])
                                if i != NO_ITERATION}
    if rare["context_overflow"]:
        f.overflow_iterations = [_iteration(iterations[r]) for r in rare["context_overflow"]]
    if rare["subagent_timeout"]:
        f.subagent_timeouts = [(_name(table, table.agents[r]), _iteration(iterations[r]))
                               for r in rare["subagent_timeout"]]
    f.swarm_tasks_skipped = sum(table.skipped_tasks.values())
    for tokens, cost in table.task_spend.values():  # swarm tasks' own spend
        f.swarm_tokens += tokens
        f.swarm_cost += cost
    _tool_calls(f, table)
    return f


_RARE_KINDS = ("compaction_end", "budget_warning", "mode_change", "context_overflow",
               "subagent_timeout")


def _rows_by_kind(table: EventTable, codes: list[int]) -> dict[str, list[int]]:
    """The rows of each of the rare kinds the rules read, found in one pass."""
    found: dict[str, list[int]] = {name: [] for name in _RARE_KINDS}
    names, kinds = table.kind_names, table.kinds
    for row in rows_of_kinds(table, codes) if codes else ():
        found[names[kinds[row]]].append(row)
    return found


def _name(table: EventTable, index: int, default: str = "unknown") -> str:
    name = table.string(index)
    return default if name is None else name


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
    np = numpy_for(table)
    if np is not None:
        _tool_calls_numpy(np, f, table)
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
    _merge_tools(f, stats.values())
    f.repeated_calls = _repeated(calls.fingerprints, tool_codes, call_iterations, table)


def _merge_tools(f: SessionFacts, stats: Iterable[ToolStats]) -> None:
    """Per-tool figures by name (names that differ only beyond the bound share a row)."""
    for tool in stats:
        known = f.tools.get(tool.name)
        if known is None:
            f.tools[tool.name] = tool
        else:
            known.calls += tool.calls
            known.errors += tool.errors
            known.durations_ms.extend(tool.durations_ms)


def _tool_calls_numpy(np: Any, f: SessionFacts, table: EventTable) -> None:
    """`_tool_calls` for a large table, through numpy: the same figures, in the same order."""
    calls = table.tool_calls
    assert calls is not None
    rows = view(np, calls.rows)
    kinds = view(np, table.kinds)[rows]
    failed = kinds == _CODE["tool_error"]
    f.tool_calls = len(rows)
    f.tool_errors = int(np.count_nonzero(failed))
    iterations = view(np, table.iterations)[rows]
    numbers, counts = np.unique(iterations[iterations != NO_ITERATION], return_counts=True)
    f.tools_per_iteration = Counter(dict(zip(numbers.tolist(), counts.tolist(), strict=True)))
    f.iterations_with_tools = set(f.tools_per_iteration)
    tool_codes = view(np, table.tools)[rows]
    durations = view(np, table.durations)[rows]
    for i in np.flatnonzero(durations > LONG_TOOL_MS).tolist():
        f.long_tools.append((_name(table, int(tool_codes[i])), float(durations[i]),
                             _iteration(int(iterations[i]))))
    shown = view(np, table.display_durations)[rows]
    # Calls grouped by tool (a stable sort keeps file order inside each group), the groups
    # in order of each tool's first call.
    order = np.argsort(tool_codes, kind="stable")
    grouped = tool_codes[order]
    starts = np.flatnonzero(np.r_[True, grouped[1:] != grouped[:-1]])
    ends = np.r_[starts[1:], len(order)]
    stats = []
    for start, end in sorted(zip(starts.tolist(), ends.tolist(), strict=True),
                             key=lambda group: int(order[group[0]])):
        members = order[start:end]
        tool = ToolStats(_name(table, int(grouped[start])), end - start,
                         int(np.count_nonzero(failed[members])))
        times = shown[members]
        tool.durations_ms.frombytes(times[~np.isnan(times)].tobytes())
        stats.append(tool)
    _merge_tools(f, stats)
    fingerprints = view(np, calls.fingerprints)
    keys, first, counts = np.unique(fingerprints, return_index=True, return_counts=True)
    repeated = np.flatnonzero(counts >= 3)
    found: dict[int, RepeatedCall] = {}
    for k in sorted(repeated.tolist(), key=lambda k: int(first[k])):
        i = int(first[k])
        found[int(keys[k])] = RepeatedCall(_name(table, int(tool_codes[i]), ""), int(counts[k]),
                                           _iteration(int(iterations[i])))
    f.repeated_calls = found


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
