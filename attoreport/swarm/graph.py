"""The task graph: dependency edges and levels (pure functions, no I/O).

A task's level is the length of the longest dependency chain before it, so level 1 holds
the tasks with no dependencies and every edge points to a later level, as attoswarm's
`DAG: N tasks, L levels` counts them. Tasks caught in a dependency cycle (a damaged or
hand-edited state file) cannot be levelled that way: they go to one last level, listed
in `cyclic`, and the graph is still drawn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class TaskGraph:
    """Tasks, their dependency edges and their levels."""

    #: Task ids in the run's own order.
    nodes: tuple[str, ...]
    #: (dependency, dependent) pairs between known tasks, without duplicates.
    edges: tuple[tuple[str, str], ...]
    #: Level number of each task, from 1.
    level_of: dict[str, int]
    #: Task ids per level (levels[0] is level 1), each in the run's order.
    levels: tuple[tuple[str, ...], ...]
    #: Tasks in a dependency cycle (placed on the last level).
    cyclic: tuple[str, ...] = ()
    #: Edges that named a task the run does not have, or a task itself (left out).
    dropped_edges: int = 0
    deps_of: dict[str, tuple[str, ...]] = field(default_factory=dict)
    dependents_of: dict[str, tuple[str, ...]] = field(default_factory=dict)


def task_graph(task_ids: Sequence[str], edges: Sequence[tuple[str, str]]) -> TaskGraph:
    """Level the tasks by their dependencies (Kahn's algorithm, longest path)."""
    known = dict.fromkeys(task_ids)
    kept = list(dict.fromkeys((a, b) for a, b in edges if a in known and b in known and a != b))
    deps: dict[str, list[str]] = {t: [] for t in known}
    dependents: dict[str, list[str]] = {t: [] for t in known}
    for dep, task in kept:
        deps[task].append(dep)
        dependents[dep].append(task)
    waiting = {t: len(deps[t]) for t in known}
    level_of: dict[str, int] = {}
    ready = [t for t in known if waiting[t] == 0]
    for task in ready:
        level_of[task] = 1
    while ready:
        task = ready.pop()
        for after in dependents[task]:
            level_of[after] = max(level_of.get(after, 1), level_of[task] + 1)
            waiting[after] -= 1
            if waiting[after] == 0:
                ready.append(after)
    cyclic = tuple(t for t in known if waiting[t] > 0)
    if cyclic:
        last = max((level_of[t] for t in known if waiting[t] == 0), default=0) + 1
        for task in cyclic:
            level_of[task] = last
    count = max(level_of.values(), default=0)
    levels = tuple(tuple(t for t in known if level_of[t] == n) for n in range(1, count + 1))
    return TaskGraph(
        nodes=tuple(known), edges=tuple(kept), level_of=level_of, levels=levels, cyclic=cyclic,
        dropped_edges=sum(1 for a, b in edges if a not in known or b not in known or a == b),
        deps_of={t: tuple(d) for t, d in deps.items()},
        dependents_of={t: tuple(d) for t, d in dependents.items()},
    )
