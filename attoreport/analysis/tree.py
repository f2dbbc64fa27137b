"""The iteration tree (events nested under their parents) and the timeline."""

from __future__ import annotations

from dataclasses import dataclass

from attoreport import gcpause
from attoreport.model import ERROR_KINDS, Session, TraceEvent

MAIN_LANE = "main agent"


class TreeNode:
    """An iteration (`event` is None) or an event, with the events nested under it.

    A plain class rather than a dataclass: one is made per event, so its constructor is
    on the report's hot path.
    """

    __slots__ = ("node_id", "kind", "iteration", "event", "duration_ms", "lane", "children",
                 "tokens", "cost", "failures")

    def __init__(self, node_id: str, kind: str, iteration: int | None,
                 event: TraceEvent | None = None, duration_ms: float | None = None,
                 lane: str = MAIN_LANE) -> None:
        self.node_id = node_id
        self.kind = kind
        self.iteration = iteration
        self.event = event
        self.duration_ms = duration_ms
        self.lane = lane
        self.children: list[TreeNode] = []
        self.tokens = 0
        self.cost = 0.0
        self.failures = 0

    @property
    def label(self) -> str:
        return self.event.label if self.event is not None else f"Iteration {self.iteration}"

    def __repr__(self) -> str:
        return f"TreeNode({self.node_id!r}, {self.kind!r}, children={len(self.children)})"


@dataclass(slots=True)
class TimelineEntry:
    """One row of Attocode's chronological timeline."""

    timestamp: float
    event_kind: str
    iteration: int | None
    summary: str
    duration_ms: float | None


def timeline(session: Session) -> list[TimelineEntry]:
    """Events sorted by timestamp (stable: file order breaks ties), as Attocode sorts them."""
    events = sorted(session.events, key=lambda e: e.timestamp)
    return [TimelineEntry(e.timestamp, e.kind, e.iteration, e.label, e.duration_ms)
            for e in events]


@dataclass(slots=True)
class Tree:
    """The iteration tree, its size, and the lane (agent) of every event off the main lane."""

    roots: list[TreeNode]
    size: int
    #: event line -> subagent lane; events not listed run in the main agent's lane.
    lanes: dict[int, str]

    def lane_of(self, event: TraceEvent) -> str:
        return self.lanes.get(event.line, MAIN_LANE)


@gcpause.pausing
def build_tree(session: Session) -> Tree:
    """Iteration nodes (sorted), then events without iteration, in file order.

    An event sits under its `parent_event_id` when that parent appeared earlier in
    the file (a tool call's end without one sits under the start with the same tool-call
    id, as the real agent writes them); otherwise under its iteration. Parent links to
    missing events, to later events or in cycles therefore cannot break the tree.
    """
    open_calls: dict[str, TreeNode] = {}
    by_id: dict[str, TreeNode] = {}
    iterations: dict[int, TreeNode] = {}
    ungrouped: list[TreeNode] = []
    starts: dict[int, float] = {}
    lanes: dict[int, str] = {}
    size = 0
    for event in session.events:
        parent = by_id.get(event.parent_id) if event.parent_id else None
        if parent is None and event.call_id is not None and event.kind != "tool_start":
            parent = open_calls.pop(event.call_id, None)
        lane = event.agent_id or (parent.lane if parent is not None else MAIN_LANE)
        if lane != MAIN_LANE:
            lanes[event.line] = lane
        node = TreeNode(f"event-{event.line}", event.kind, event.iteration, event,
                        event.display_duration_ms, lane)
        by_id.setdefault(event.event_id, node)
        if event.kind == "tool_start" and event.call_id is not None:
            open_calls[event.call_id] = node
        group = None
        if event.iteration is not None:
            group = iterations.get(event.iteration)
            if group is None:
                size += 1
                group = iterations[event.iteration] = TreeNode(
                    f"iter-{event.iteration}", "iteration",
                    event.iteration)
            # Iterations count LLM spend only, like Attocode's token flow.
            _account(group, event, usage=event.kind == "llm_response")
            if event.kind == "iteration_start":
                starts[event.iteration] = event.timestamp
            elif event.kind == "iteration_end":
                if event.duration_ms is not None:
                    group.duration_ms = event.duration_ms
                elif event.iteration in starts:
                    group.duration_ms = (event.timestamp - starts[event.iteration]) * 1000.0
        if parent is not None:
            parent.children.append(node)
        elif group is not None:
            group.children.append(node)
        else:
            ungrouped.append(node)
        _account(node, event)
        size += 1
    return Tree([iterations[i] for i in sorted(iterations)] + ungrouped, size, lanes)


def _account(node: TreeNode, event: TraceEvent, usage: bool = True) -> None:
    if usage and event.usage is not None:
        node.tokens += event.usage.tokens
        node.cost += event.usage.cost
    if event.kind in ERROR_KINDS:  # the summary's definition of an error
        node.failures += 1
