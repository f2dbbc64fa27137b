"""Bounded selections of events for the event log and the tree.

A report cannot show a million events, so it shows a selection that always keeps what a
reader looks for: every failure, the events behind each detected issue, the slowest calls,
and the first and last events. Everything the summary, charts and issues count still covers
the whole trace; the views say "showing N of M".
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain
from typing import Any

from attoreport.analysis.columns import numpy_for, rows_of_kinds, view
from attoreport.analysis.detectors import DetectedIssue
from attoreport.model import FAILURE_KINDS, NO_ROW, TOOL_CALL_KINDS, EventTable

#: The kinds of events that show each issue category, at the issue's iteration.
ISSUE_KINDS: dict[str, tuple[str, ...]] = {
    "spinning": ("iteration_start", "llm_response"),
    "doom_loop": ("tool_end", "tool_error"),
    "cache_drop": ("llm_response",),
    "token_spike": ("llm_response",),
    "compaction_frequency": ("compaction_end",),
    "empty_response": ("llm_response",),
    "long_tool": ("tool_end", "tool_error"),
    "context_overflow": ("context_overflow",),
    "budget_warning_ignored": ("budget_warning",),
    "subagent_timeout": ("subagent_timeout",),
}
#: Issue categories that concern every event of these kinds, whatever the iteration.
SESSION_WIDE_KINDS: dict[str, tuple[str, ...]] = {
    "tool_error_rate": ("tool_error",),
    "swarm_cascade_failures": ("swarm_task_failed",),
    "swarm_excessive_conflicts": ("swarm_conflict",),
    "compaction_frequency": ("compaction_end",),
}


@dataclass(frozen=True, slots=True)
class Selection:
    """Event rows to show, in time order, and how many events are hidden before each."""

    rows: list[int]
    #: hidden_before[i]: events (in time order) left out between rows[i-1] and rows[i].
    hidden_before: list[int]
    #: Events left out after the last row shown.
    hidden_after: int
    total: int

    @property
    def complete(self) -> bool:
        return len(self.rows) == self.total


def time_order(table: EventTable) -> list[int] | None:
    """Rows sorted by timestamp (stable), or None when file order already is time order.

    Events without a timestamp sort first, as Attocode reads them as time 0.
    """
    stamps = table.timestamps
    np = numpy_for(table)
    if np is not None:
        times = view(np, stamps)
        if table.missing_timestamps:
            times = np.where(np.isnan(times), 0.0, times)
        if bool(np.all(times[1:] >= times[:-1])):
            return None
        return np.argsort(times, kind="stable").tolist()  # type: ignore[no-any-return]
    previous = -math.inf
    for ts in stamps:
        if ts != ts:
            ts = 0.0
        if ts < previous:
            break
        previous = ts
    else:
        return None
    return sorted(range(len(stamps)), key=lambda r: 0.0 if stamps[r] != stamps[r] else stamps[r])


def issue_rows(table: EventTable, issues: Iterable[DetectedIssue], per_issue: int) -> list[int]:
    """Events behind the detected issues (at most `per_issue` per issue), in file order."""
    names = table.kind_names
    at_iteration: dict[int, set[int]] = {}
    anywhere: set[int] = set()
    wanted: dict[str, set[int]] = {}  # kinds of each category, worked out once
    for issue in issues:
        kinds = wanted.get(issue.category)
        if kinds is None:
            kinds = wanted[issue.category] = {
                c for c, n in enumerate(names) if n in ISSUE_KINDS.get(issue.category, ())}
            anywhere.update(c for c, n in enumerate(names)
                            if n in SESSION_WIDE_KINDS.get(issue.category, ()))
        if issue.iteration is not None and kinds:
            at_iteration.setdefault(issue.iteration, set()).update(kinds)
    if not at_iteration and not anywhere:
        return []
    found: list[int] = []
    counts: dict[tuple[str, int], int] = {}
    kinds, iterations = table.kinds, table.iterations
    for row in _issue_candidates(table, at_iteration, anywhere):
        kind = kinds[row]
        iteration = iterations[row]
        if kind in anywhere:
            key = ("kind", kind)
        elif iteration in at_iteration and kind in at_iteration[iteration]:
            key = ("iteration", iteration)
        else:
            continue
        seen = counts.get(key, 0)
        if seen < per_issue:
            counts[key] = seen + 1
            found.append(row)
    return found


#: Rows read at a time for `_issue_candidates` (its masks cost a few bytes a row).
CANDIDATE_ROWS = 1 << 16


def _issue_candidates(table: EventTable, at_iteration: dict[int, set[int]],
                      anywhere: set[int]) -> Iterable[int]:
    """Rows of the kinds the issues name (at their iterations, or anywhere), in file order:
    a superset of the rows `issue_rows` keeps."""
    kinds = anywhere.union(*at_iteration.values())
    np = numpy_for(table)
    if np is None or not kinds:
        return rows_of_kinds(table, kinds)
    return chain.from_iterable(_candidate_parts(np, table, kinds, at_iteration, anywhere))


def _candidate_parts(np: Any, table: EventTable, kinds: set[int],
                     at_iteration: dict[int, set[int]], anywhere: set[int]) -> Iterator[list[int]]:
    """`_issue_candidates` through numpy, CANDIDATE_ROWS rows at a time: over the whole
    table at once, the membership test and the list of rows took 25 MB at a million
    events (thousands of issues name most of the LLM and tool events)."""
    size = max(len(table.kind_names), max(kinds) + 1)
    of_kinds, of_anywhere = np.zeros(size, dtype=bool), np.zeros(size, dtype=bool)
    of_kinds[list(kinds)] = True
    of_anywhere[list(anywhere)] = True
    numbers = np.array(list(at_iteration), dtype=np.int64)
    codes, iterations = view(np, table.kinds), view(np, table.iterations)
    for start in range(0, len(codes), CANDIDATE_ROWS):
        part = codes[start:start + CANDIDATE_ROWS]
        chosen = of_anywhere[part]
        if len(numbers):
            chosen |= of_kinds[part] & np.isin(iterations[start:start + CANDIDATE_ROWS], numbers)
        yield (np.flatnonzero(chosen) + start).tolist()


def failure_rows(table: EventTable) -> list[int]:
    names = table.kind_names
    return rows_of_kinds(table, {c for c, n in enumerate(names) if n in FAILURE_KINDS})


def slowest_rows(table: EventTable, count: int) -> list[int]:
    """The `count` longest timed events (earlier events first among equals)."""
    durations = table.display_durations
    np = numpy_for(table)
    if np is None:
        return heapq.nlargest(count, (r for r, ms in enumerate(durations) if ms == ms and ms > 0),
                              key=durations.__getitem__)
    if count <= 0:
        return []
    values = view(np, durations)
    rows = np.flatnonzero(values > 0)  # NaN is not > 0
    if len(rows) > count:
        timed = values[rows]
        threshold = np.partition(timed, len(timed) - count)[len(timed) - count]
        longer = rows[timed > threshold]
        # Among events as long as the shortest kept, the earliest (a million calls of one
        # length were all sorted in Python).
        rows = np.union1d(longer, rows[timed == threshold][: count - len(longer)])
    ranked = sorted(rows.tolist(), key=lambda r: -durations[r])  # stable: earlier first
    return ranked[:count]


def select_events(table: EventTable, issues: Iterable[DetectedIssue], budget: int,
                  order: list[int] | None) -> Selection:
    """At most `budget` events: failures (up to a third, first and last), issue events, the
    slowest calls, then the first and last events; in time order."""
    total = len(table)
    if total <= budget:
        rows = order if order is not None else list(range(total))
        return Selection(list(rows), [0] * total, 0, total)
    chosen: set[int] = set()

    def take(rows: Iterable[int], quota: int) -> None:
        for row in rows:
            if quota <= 0 or len(chosen) >= budget:
                return
            if row not in chosen:
                chosen.add(row)
                quota -= 1

    failures = failure_rows(table)
    share = budget // 3
    take(failures if len(failures) <= share else failures[: share // 2] + failures[-share // 2:],
         share)
    take(issue_rows(table, issues, 8), budget // 6)
    take(slowest_rows(table, budget // 6), budget // 6)
    ordered = order if order is not None else range(total)
    rest = budget - len(chosen)
    head = rest - rest // 4
    take(ordered[:head] if isinstance(ordered, list) else range(head), head)
    take(reversed(ordered) if isinstance(ordered, list) else range(total - 1, -1, -1),
         budget - len(chosen))
    return _in_order(chosen, order, total)


def _in_order(chosen: set[int], order: list[int] | None, total: int) -> Selection:
    if order is None:
        rows = sorted(chosen)
        rank = {row: row for row in rows}
    else:
        rank = {row: i for i, row in enumerate(order) if row in chosen}
        rows = sorted(chosen, key=rank.__getitem__)
    hidden = []
    previous = -1
    for row in rows:
        hidden.append(rank[row] - previous - 1)
        previous = rank[row]
    return Selection(rows, hidden, total - previous - 1, total)


def with_ancestors(table: EventTable, rows: Iterable[int]) -> set[int]:
    """The rows and every event they nest under (so a shown event keeps its place in the tree)."""
    parents = table.parents
    result: set[int] = set()
    for row in rows:
        while row != NO_ROW and row not in result:
            result.add(row)
            row = parents[row]
    return result


def tool_call_rows(table: EventTable) -> list[int]:
    names = table.kind_names
    codes = {c for c, n in enumerate(names) if n in TOOL_CALL_KINDS}
    return [row for row, kind in enumerate(table.kinds) if kind in codes]
