"""Place the task graph on a page: levels top to bottom, coordinates computed here.

Each level is a band of rows; a level wider than `per_row` tasks wraps onto more rows,
so the drawing keeps the page's width whatever the number of tasks and only grows
downwards (the page scrolls it). Within a level, tasks are ordered by the mean position
of their dependencies (the barycentre heuristic), which keeps most edges short and
uncrossed. Runs of more than COMPACT_FROM tasks get small boxes showing the task id
only. Pure geometry: no wording, no I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from attoreport.swarm.graph import TaskGraph

#: From this many tasks on, boxes are small (task id only) so 200 tasks stay usable.
COMPACT_FROM = 41


@dataclass(frozen=True, slots=True)
class Geometry:
    """Sizes of the drawing, in SVG user units (pixels at 100 % zoom)."""

    node_width: float
    node_height: float
    gap_x: float
    gap_y: float
    margin_left: float
    margin: float
    per_row: int

    @property
    def compact(self) -> bool:
        return self.node_height < 40


ROOMY = Geometry(node_width=172, node_height=50, gap_x=16, gap_y=44, margin_left=70,
                 margin=10, per_row=6)
COMPACT = Geometry(node_width=92, node_height=28, gap_x=10, gap_y=30, margin_left=64,
                   margin=10, per_row=10)


@dataclass(frozen=True, slots=True)
class PlacedNode:
    task_id: str
    x: float
    y: float
    level: int


@dataclass(frozen=True, slots=True)
class PlacedEdge:
    """From the bottom middle of a dependency to the top middle of its dependent."""

    source: str
    target: str
    x1: float
    y1: float
    x2: float
    y2: float


@dataclass(frozen=True, slots=True)
class LevelBand:
    """Where a level starts (its first row's top) and how many rows it wraps onto."""

    level: int
    y: float
    rows: int
    tasks: int


@dataclass(frozen=True, slots=True)
class GraphLayout:
    width: float
    height: float
    geometry: Geometry
    nodes: tuple[PlacedNode, ...]
    edges: tuple[PlacedEdge, ...]
    bands: tuple[LevelBand, ...]


def layout_graph(graph: TaskGraph, geometry: Geometry | None = None) -> GraphLayout:
    """Coordinates for every task and edge of the graph."""
    geo = geometry or (COMPACT if len(graph.nodes) >= COMPACT_FROM else ROOMY)
    ordered = _ordered_levels(graph, geo.per_row)
    widest = min(max((len(level) for level in ordered), default=1), geo.per_row)
    content_width = widest * geo.node_width + (widest - 1) * geo.gap_x
    width = geo.margin_left + content_width + geo.margin
    nodes: list[PlacedNode] = []
    bands: list[LevelBand] = []
    y = geo.margin
    for number, level in enumerate(ordered, start=1):
        rows = max(1, math.ceil(len(level) / geo.per_row))
        bands.append(LevelBand(number, y, rows, len(level)))
        for row in range(rows):
            members = level[row * geo.per_row:(row + 1) * geo.per_row]
            row_width = len(members) * geo.node_width + (len(members) - 1) * geo.gap_x
            x = geo.margin_left + (content_width - row_width) / 2
            for task_id in members:
                nodes.append(PlacedNode(task_id, x, y, number))
                x += geo.node_width + geo.gap_x
            y += geo.node_height + geo.gap_y
    height = y - geo.gap_y + geo.margin if nodes else 2 * geo.margin
    at = {n.task_id: n for n in nodes}
    edges = tuple(
        PlacedEdge(dep, task, at[dep].x + geo.node_width / 2, at[dep].y + geo.node_height,
                   at[task].x + geo.node_width / 2, at[task].y)
        for dep, task in graph.edges)
    return GraphLayout(width, height, geo, tuple(nodes), edges, tuple(bands))


def _ordered_levels(graph: TaskGraph, per_row: int) -> list[list[str]]:
    """Levels with their tasks ordered by the mean position of their dependencies
    (positions are columns counted from the middle of their row, as drawn)."""
    position: dict[str, float] = {}
    ordered: list[list[str]] = []
    for level in graph.levels:
        run_order = {task_id: i for i, task_id in enumerate(level)}
        centre = (len(level) - 1) / 2

        def key(task_id: str, order: dict[str, int] = run_order,
                middle: float = centre) -> tuple[float, int]:
            deps = [position[d] for d in graph.deps_of.get(task_id, ()) if d in position]
            return (sum(deps) / len(deps) if deps else order[task_id] - middle, order[task_id])

        tasks = sorted(level, key=key)
        for i, task_id in enumerate(tasks):
            row_start = i - i % per_row
            row_length = min(per_row, len(tasks) - row_start)
            position[task_id] = (i - row_start) - (row_length - 1) / 2
        ordered.append(tasks)
    return ordered
