"""The iteration tree: iterations, each event nested under the event that started it.

An event sits under its parent (`EventTable.parents`: the `parent_event_id` seen earlier in
the session, or a tool call's start with the same tool-call id); otherwise under its
iteration; events without an iteration follow at the top level in file order. Links to
missing or later events and cycles cannot break it: parents always come earlier.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from attoreport.analysis.iterations import IterationStats
from attoreport.analysis.timeline import MAIN_LANE, Lanes
from attoreport.model import ERROR_KINDS, NO_ITERATION, NO_ROW, EventTable


@dataclass(slots=True)
class TreeNode:
    """An iteration (`row` is -1) or an event, with what is nested under it."""

    row: int
    iteration: int | None
    kind: str
    lane: str = MAIN_LANE
    duration_ms: float | None = None
    tokens: int = 0
    cost: float = 0.0
    #: Errors in it: the event's own (0 or 1) or, for an iteration, all of its errors.
    failures: int = 0
    children: list[TreeNode] = field(default_factory=list)

    @property
    def is_iteration(self) -> bool:
        return self.row < 0


@dataclass(frozen=True, slots=True)
class Tree:
    roots: list[TreeNode]
    #: Nodes in the tree, and nodes the whole trace would give (events + iterations).
    shown: int
    total: int
    #: Iterations that have a node (links to others need a stand-in anchor).
    iterations: frozenset[int]
    #: Event rows that have a node.
    rows: frozenset[int]


def build_tree(table: EventTable, stats: Mapping[int, IterationStats],
               rows: Collection[int] | None = None, max_depth: int = 1_000_000) -> Tree:
    """The tree of the given rows (all events when None; pass rows closed under parents, see
    `select.with_ancestors`). Nesting deeper than `max_depth` is flattened under the last level."""
    names, kinds, iterations = table.kind_names, table.kinds, table.iterations
    parents, durations = table.parents, table.display_durations
    error_codes = {c for c, n in enumerate(names) if n in ERROR_KINDS}
    selected = range(len(table)) if rows is None else sorted(rows)
    spend = _spend(table, selected)
    lane_of = Lanes(table)
    nodes: dict[int, TreeNode] = {}
    depth: dict[int, int] = {}
    groups: dict[int, TreeNode] = {}
    ungrouped: list[TreeNode] = []
    for row in selected:
        number = iterations[row]
        iteration = None if number == NO_ITERATION else number
        ms = durations[row]
        tokens, cost = spend.get(row, (0, 0.0))
        node = TreeNode(row, iteration, names[kinds[row]], lane_of(row),
                        None if math.isnan(ms) else ms, tokens, cost,
                        1 if kinds[row] in error_codes else 0)
        nodes[row] = node
        parent = parents[row]
        holder = nodes.get(parent) if parent != NO_ROW else None
        if holder is not None:
            level = depth[parent] + 1
            while level > max_depth:  # too deep: hang it on an ancestor at the last level
                parent = parents[parent]
                holder = nodes[parent]
                level = depth[parent] + 1
            depth[row] = level
            holder.children.append(node)
            continue
        depth[row] = 1
        if iteration is not None:
            group = groups.get(iteration)
            if group is None:
                group = groups[iteration] = _iteration_node(iteration, stats.get(iteration))
            group.children.append(node)
        else:
            ungrouped.append(node)
    roots = [groups[i] for i in sorted(groups)] + ungrouped
    return Tree(roots, len(nodes) + len(groups), len(table) + len(stats), frozenset(groups),
                frozenset(nodes))


def _spend(table: EventTable, rows: Sequence[int]) -> dict[int, tuple[int, float]]:
    """(tokens, cost) of the LLM responses and swarm tasks among `rows` (ascending): looked
    up by row in the responses' rows (ascending, file order) when `rows` is a selection, so a
    million-event trace's tree does not pay for every response."""
    llm = table.llm
    if len(rows) >= len(llm.rows) // 8:
        spend = dict(zip(llm.rows, zip(llm.tokens, llm.cost, strict=True), strict=True))
    else:
        spend = {}
        llm_rows, start = llm.rows, 0
        for row in rows:
            at = bisect_left(llm_rows, row, start)
            if at < len(llm_rows) and llm_rows[at] == row:
                spend[row] = (llm.tokens[at], llm.cost[at])
            start = at
    spend.update(table.task_spend)
    return spend


def _iteration_node(iteration: int, stats: IterationStats | None) -> TreeNode:
    if stats is None:
        return TreeNode(-1, iteration, "iteration")
    return TreeNode(-1, iteration, "iteration", MAIN_LANE, stats.duration_ms, stats.tokens,
                    stats.cost, stats.errors)
