"""Analyse a `SwarmRun`: pure functions of what was read, no I/O and no wording.

`analyse_run(run)` pairs each task's spawn with its verdict (complete, retry, fail, skip,
needs review), places its tool calls and results in those attempts, counts spend once
(the workers' own `cost_usd`/`tokens_used` results; the state file's totals only where
workers report none), levels the task graph and applies the swarm rules
(`attoreport.swarm.rules`). Where a run records nothing (no cost from a backend that
reports none, a task never started) the figure is None, never 0.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from attoreport.swarm.events import EventWalk, TaskTrack, walk_events
from attoreport.swarm.graph import TaskGraph, task_graph
from attoreport.swarm.model import (
    AgentEntry,
    AttemptRecord,
    Budget,
    ManifestTask,
    StateAgent,
    StateNode,
    SwarmEvent,
    SwarmRun,
    TaskRecord,
)
from attoreport.swarm.results import (
    STATUS_ORDER,
    Attempt,
    AttemptResult,
    Outcome,
    RunProblem,
    Spend,
    SwarmAnalysis,
    TaskAnalysis,
    TaskProblem,
    ToolCall,
)
from attoreport.swarm.rules import detect
from attoreport.swarm.values import number, text, texts, whole
from attoreport.swarm.worker_text import main_argument, worker_said

#: Agent results this long before the run's first event belong to an earlier run.
EARLIER_RUN_SLACK_S = 1.0


def analyse_run(run: SwarmRun) -> SwarmAnalysis:
    """The analysis of one run folder (pure: reads only `run`)."""
    state = run.state
    bases = _task_bases(run)
    task_ids = list(bases)
    graph = task_graph(task_ids, _edges(run, bases))
    run_id = (state.run_id if state else "") or (run.manifest.run_id if run.manifest else "")
    events, earlier_events = _current_run_events(run.events, run_id)
    first_at, last_at = _time_range(events, run.agent_entries)
    entries, excluded = _own_entries(run, first_at, set(task_ids))
    walk = walk_events(events, set(task_ids))
    results = _results(entries)
    calls = _tool_calls(events, entries)
    agents = {a.task_id: a for a in state.agents} if state else {}
    tasks = []
    for task_id in task_ids:
        base = bases[task_id]
        track = walk.tracks.get(task_id, TaskTrack())
        task_results = results.get(task_id, [])
        attempts = _with_results(track.attempts, task_results)
        task_calls = _placed(calls.get(task_id, []), attempts)
        tasks.append(_task(task_id, base, graph, track, attempts, task_results, task_calls,
                           agents.get(task_id), run))
    spend = _spend(run, tasks, excluded)
    if spend.cost is None:
        for task in tasks:
            task.cost = None
    outcome = _outcome(run, tasks, walk, first_at, last_at)
    analysis = SwarmAnalysis(
        run_id=run_id,
        name=run.folder.name, source=run.folder.source, role=run.folder.role,
        goal=(state.goal if state else "") or (run.manifest.goal if run.manifest else ""),
        parent_run_id=state.lineage.parent_run_id if state else "",
        continuation_mode=state.lineage.continuation_mode if state else "",
        started_via=state.started_via if state else "",
        working_dir=state.working_dir if state else "",
        outcome=outcome, spend=spend, graph=graph, tasks=tasks,
        decisions=walk.decisions or (list(state.decisions) if state else []),
        problems=_problems(run, walk), marks=walk.marks, control=list(run.control),
        history=list(run.history), coordinator_log=run.coordinator_log,
        postmortem=run.postmortem, git=run.git, trace_sources=run.folder.trace_sources,
        events_file=run.events_file, state_file=state.file if state else "",
        files_read=list(run.files_read), diagnostics=list(run.diagnostics),
        unlisted_task_ids=tuple(sorted(walk.unlisted)),
        earlier_events=earlier_events,
        history_folders=run.folder.history,
    )
    analysis.issues = detect(analysis)
    return analysis


# ---------------------------------------------------------------------------
# Tasks as the run lists them
# ---------------------------------------------------------------------------


@dataclass(slots=True)
class _Base:
    """A task's own description, merged from the state, its task file and the manifest."""

    title: str = ""
    kind: str = ""
    status: str = ""
    description: str = ""
    deps: tuple[str, ...] = ()
    target_files: tuple[str, ...] = ()
    result_summary: str = ""
    attempt_count: int | None = None
    state_tokens: int | None = None
    state_cost: float | None = None
    files_modified: tuple[str, ...] = ()
    history: tuple[AttemptRecord, ...] = ()
    is_foundation: bool = False
    worker: str = ""


def _task_bases(run: SwarmRun) -> dict[str, _Base]:
    """Task id -> description. The state file decides which tasks the run has; without
    one, the manifest, the task files and the spawned tasks of the events do."""
    state_nodes = run.state.nodes if run.state else []
    manifest = {t.task_id: t for t in run.manifest.tasks} if run.manifest else {}
    if state_nodes:
        ids = [n.task_id for n in state_nodes if n.task_id]
    else:
        ids = list(manifest) + list(run.tasks)
        ids += [e.task_id for e in run.events if e.event_type == "spawn" and e.task_id]
    bases: dict[str, _Base] = {}
    nodes = {n.task_id: n for n in state_nodes}
    for task_id in dict.fromkeys(ids):
        base = _Base()
        _from_manifest(base, manifest.get(task_id))
        _from_record(base, run.tasks.get(task_id))
        _from_node(base, nodes.get(task_id))
        bases[task_id] = base
    return bases


def _from_manifest(base: _Base, task: ManifestTask | None) -> None:
    if task is None:
        return
    base.title, base.kind, base.description = task.title, task.task_kind, task.description
    base.deps, base.target_files = task.deps, task.target_files
    base.status = task.status


def _from_record(base: _Base, record: TaskRecord | None) -> None:
    if record is None:
        return
    base.title = record.title or base.title
    base.kind = record.task_kind or base.kind
    base.status = record.status or base.status
    base.description = record.description or base.description
    base.deps = record.deps or base.deps
    base.target_files = record.target_files or base.target_files
    base.result_summary = record.result_summary
    base.attempt_count = record.attempt_count
    base.state_tokens, base.state_cost = record.tokens_used, record.cost_usd
    base.files_modified = record.files_modified
    base.history = record.attempt_history


def _from_node(base: _Base, node: StateNode | None) -> None:
    """The state file has the last word (it is written last, after the task files)."""
    if node is None:
        return
    base.title = node.title or base.title
    base.kind = node.task_kind or base.kind
    base.status = node.status or base.status
    base.description = node.description if len(node.description) > len(base.description) \
        else base.description
    base.target_files = node.target_files or base.target_files
    if len(node.result_summary) > len(base.result_summary):
        base.result_summary = node.result_summary
    if node.attempt_count is not None:
        base.attempt_count = node.attempt_count
    base.state_tokens = node.tokens_used if node.tokens_used is not None else base.state_tokens
    base.state_cost = node.cost_usd if node.cost_usd is not None else base.state_cost
    base.is_foundation = node.is_foundation
    base.worker = node.assigned_agent


def _edges(run: SwarmRun, bases: dict[str, _Base]) -> list[tuple[str, str]]:
    if run.state and run.state.edges:
        return list(run.state.edges)
    return [(dep, task_id) for task_id, base in bases.items() for dep in base.deps]


# ---------------------------------------------------------------------------
# Agent traces: results and tool calls
# ---------------------------------------------------------------------------


#: attoswarm's first event of a fresh run (a resume starts with "Resumed: ...").
FRESH_RUN_MESSAGE = "Clean slate"


def _current_run_events(events: list[SwarmEvent], run_id: str) -> tuple[list[SwarmEvent], int]:
    """The events of this run: from its last fresh start on, without events another run
    id wrote (an events file that outlived earlier runs holds theirs too)."""
    start = 0
    for i, event in enumerate(events):
        if event.event_type == "info" and event.message.startswith(FRESH_RUN_MESSAGE):
            start = i
    kept = [e for e in events[start:]
            if not (run_id and e.trace_id and e.trace_id != run_id)]
    return kept, len(events) - len(kept)


def _time_range(events: list[SwarmEvent],
                entries: list[AgentEntry]) -> tuple[float | None, float | None]:
    times = [e.timestamp for e in events if e.timestamp is not None]
    if not times:
        times = [e.timestamp for e in entries if e.timestamp is not None]
    return (min(times), max(times)) if times else (None, None)


def _own_entries(run: SwarmRun, first_at: float | None,
                 known: set[str]) -> tuple[list[AgentEntry], int]:
    """The agent entries of this run: not of another run id, not from before its first
    event (attoswarm lets agent traces of older runs accumulate), of a task it has."""
    run_id = run.state.run_id if run.state else ""
    own, excluded = [], 0
    for entry in run.agent_entries:
        other_run = bool(run_id and entry.trace_id and entry.trace_id != run_id)
        earlier = (first_at is not None and entry.timestamp is not None
                   and entry.timestamp < first_at - EARLIER_RUN_SLACK_S)
        if other_run or earlier or entry.task_id not in known:
            if entry.entry_type in ("cost_delta", "error"):
                excluded += 1
            continue
        own.append(entry)
    return own, excluded


def _results(entries: Iterable[AgentEntry]) -> dict[str, list[AttemptResult]]:
    results: dict[str, list[AttemptResult]] = {}
    for entry in entries:
        if entry.entry_type not in ("cost_delta", "error"):
            continue
        d = entry.data
        results.setdefault(entry.task_id, []).append(AttemptResult(
            at=entry.timestamp, ok=entry.entry_type == "cost_delta",
            cost=number(d.get("cost_usd")), tokens=whole(d.get("tokens_used")),
            duration_s=number(d.get("duration_s")),
            files_modified=texts(d.get("files_modified")), error=text(d.get("error")),
            timed_out=d.get("timed_out") is True, near_timeout=d.get("near_timeout") is True))
    for task_results in results.values():
        task_results.sort(key=lambda r: r.at if r.at is not None else float("inf"))
    return results


def _tool_calls(events: list[SwarmEvent],
                entries: list[AgentEntry]) -> dict[str, list[ToolCall]]:
    """Tool calls per task: the events' `agent.tool_call` lines, with the longer input
    prefix of the agent trace's matching `tool_call` entries (same tools, same order);
    the agent trace alone where the events have none for a task."""
    from_events: dict[str, list[tuple[float | None, str, str]]] = {}
    for e in events:
        if e.event_type == "agent.tool_call" and e.task_id:
            from_events.setdefault(e.task_id, []).append(
                (e.timestamp, text(e.data.get("tool"), 200), text(e.data.get("input_summary"))))
    from_agents: dict[str, list[tuple[float | None, str, str]]] = {}
    for entry in entries:
        if entry.entry_type == "tool_call":
            from_agents.setdefault(entry.task_id, []).append(
                (entry.timestamp, text(entry.data.get("tool"), 200),
                 text(entry.data.get("input_summary"))))
    calls: dict[str, list[ToolCall]] = {}
    for task_id in dict.fromkeys([*from_events, *from_agents]):
        mine, theirs = from_events.get(task_id, []), from_agents.get(task_id, [])
        if mine and [t for _, t, _ in mine] == [t for _, t, _ in theirs]:
            chosen = [(at, tool, summary)
                      for (at, tool, _), (_, _, summary) in zip(mine, theirs, strict=True)]
        else:
            chosen = mine or theirs
        calls[task_id] = [ToolCall(at, tool, main_argument(summary), 0)
                          for at, tool, summary in chosen]
    return calls


def _with_results(attempts: list[Attempt], results: list[AttemptResult]) -> list[Attempt]:
    """Give each result to the attempt it ends (the last spawned before it); results
    without any recorded spawn become attempts of their own."""
    attempts = list(attempts)
    for result in results:
        host = None
        for attempt in attempts:
            if attempt.result is None and (result.at is None or attempt.started is None
                                           or attempt.started <= result.at):
                host = attempt
        if host is None:
            started = (result.at - result.duration_s
                       if result.at is not None and result.duration_s is not None else None)
            host = Attempt(len(attempts) + 1, started, result.at,
                           "done" if result.ok else "retried", result.at is not None)
            attempts.append(host)
        host.result = result
    return attempts


def _placed(calls: list[ToolCall], attempts: list[Attempt]) -> list[ToolCall]:
    """Each call with the number of the attempt it happened in (counted on the attempt)."""
    placed = []
    for call in calls:
        number_ = 0
        for attempt in attempts:
            if call.at is None or attempt.started is None or attempt.started <= call.at:
                number_ = attempt.number
        placed.append(ToolCall(call.at, call.tool, call.argument, number_))
    counts: dict[int, int] = {}
    for call in placed:
        counts[call.attempt] = counts.get(call.attempt, 0) + 1
    for attempt in attempts:
        attempt.tool_calls = counts.get(attempt.number, 0)
    return placed


# ---------------------------------------------------------------------------
# One task
# ---------------------------------------------------------------------------


def _task(task_id: str, base: _Base, graph: TaskGraph, track: TaskTrack, attempts: list[Attempt],
          results: list[AttemptResult], calls: list[ToolCall], agent: StateAgent | None,
          run: SwarmRun) -> TaskAnalysis:
    tokens, cost, source = _task_spend(base, track, results)
    durations = [a.ran_seconds for a in attempts if a.ran_seconds is not None]
    files = list(base.files_modified) + track.files
    for result in results:
        files.extend(result.files_modified)
    backend, model = (agent.backend, agent.model) if agent is not None else ("", "")
    status = base.status or _status_from_events(track)
    return TaskAnalysis(
        task_id=task_id, title=base.title, kind=base.kind, status=status,
        description=base.description, level=graph.level_of.get(task_id, 1),
        deps=graph.deps_of.get(task_id, ()), dependents=graph.dependents_of.get(task_id, ()),
        attempts=base.attempt_count if base.attempt_count is not None else _failed_attempts(attempts),
        runs=sum(1 for a in attempts if a.started is not None or a.result is not None),
        retries=track.retries, worker=base.worker or (f"agent-{task_id}" if attempts else ""),
        backend=backend, model=model, attempt_list=attempts, tool_calls=calls, results=results,
        tokens=tokens, cost=cost, spend_source=source,
        duration_s=sum(durations) if durations else None,
        files=tuple(dict.fromkeys(f for f in files if f)),
        result_summary=base.result_summary, said=worker_said(base.result_summary),
        prompt=run.prompts.get(task_id, ""), problems=_task_problems(base, track, results),
        tests=track.tests, commits=track.commits, diff=run.diffs.get(task_id),
        stopped_because=track.stopped_because, failure_cause=track.failure_cause,
        failure_suggestion=track.failure_suggestion, is_foundation=base.is_foundation,
        target_files=base.target_files,
    )


def _failed_attempts(attempts: list[Attempt]) -> int | None:
    """Failed attempts counted from the events, where attoswarm's count is missing."""
    if not attempts:
        return None
    return sum(1 for a in attempts if a.outcome in ("retried", "failed"))


def _status_from_events(track: TaskTrack) -> str:
    if track.verdict:
        return track.verdict
    if track.open_attempt() is not None:
        return "running"
    return "pending"


def _task_spend(base: _Base, track: TaskTrack,
                results: list[AttemptResult]) -> tuple[int | None, float | None, str]:
    """Tokens and cost of a task, counted once: its workers' results summed; else its
    complete event; else the state file's figures (of its last attempt)."""
    if results:
        tokens = [r.tokens for r in results if r.tokens is not None]
        costs = [r.cost for r in results if r.cost is not None]
        return (sum(tokens) if tokens else None, sum(costs) if costs else None, "workers")
    if track.event_tokens is not None or track.event_cost is not None:
        return track.event_tokens, track.event_cost, "events"
    if base.state_tokens or base.state_cost:
        return base.state_tokens, base.state_cost, "state"
    return None, None, ""


def _task_problems(base: _Base, track: TaskTrack, results: list[AttemptResult]) -> list[TaskProblem]:
    """Why attempts failed: the task file's attempt history (with attoswarm's cause), else
    the workers' own error results; then the coordinator's other warnings."""
    problems = []
    for record in base.history:
        problems.append(TaskProblem(record.at, record.attempt, record.error,
                                    record.failure_cause))
    if not problems:
        failed = [r for r in results if not r.ok]
        problems = [TaskProblem(r.at, None, r.error or ("timed out" if r.timed_out else ""),
                                "timeout" if r.timed_out else "") for r in failed]
    return problems + track.warnings


# ---------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------


def _spend(run: SwarmRun, tasks: list[TaskAnalysis], excluded: int) -> Spend:
    budget = run.state.budget if run.state else Budget()
    worker_results = [t for t in tasks if t.spend_source == "workers"]
    result_count = sum(len(t.results) for t in worker_results)
    if result_count:
        tokens = _total(t.tokens for t in worker_results)
        cost = _total_cost(t.cost for t in worker_results)
        written_costs = any(r.cost is not None for t in worker_results for r in t.results)
        tokens_source = cost_source = "workers"
    elif budget.tokens_used is not None or budget.cost_used is not None:
        tokens, cost = budget.tokens_used, budget.cost_used
        written_costs = cost is not None
        tokens_source = cost_source = "state"
    else:
        from_events = [t for t in tasks if t.spend_source == "events"]
        tokens = _total(t.tokens for t in from_events)
        cost = _total_cost(t.cost for t in from_events)
        written_costs = any(t.cost is not None for t in from_events)
        tokens_source = cost_source = "events" if from_events else ""
    # A backend that reports no cost writes 0.0: not recorded, not a free run.
    zero_costs = written_costs and not cost
    return Spend(tokens=tokens, cost=cost if cost else None,
                 tokens_source=tokens_source if tokens is not None else "",
                 cost_source=cost_source if cost else "", worker_results=result_count,
                 state_tokens=budget.tokens_used, state_cost=budget.cost_used,
                 tokens_max=budget.tokens_max, cost_max=budget.cost_max,
                 excluded_results=excluded, zero_costs=zero_costs,
                 unreported_tasks=tuple(t.task_id for t in tasks if tokens_source == "workers"
                                        and t.spend_source in ("events", "state")))


def _total(values: Iterable[int | None]) -> int | None:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def _total_cost(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def _outcome(run: SwarmRun, tasks: list[TaskAnalysis], walk: EventWalk, first_at: float | None,
             last_at: float | None) -> Outcome:
    state = run.state
    counts: dict[str, int] = {}
    for task in tasks:
        counts[task.status or "unknown"] = counts.get(task.status or "unknown", 0) + 1
    ordered = {s: counts[s] for s in STATUS_ORDER if s in counts}
    ordered.update({s: counts[s] for s in sorted(counts) if s not in ordered})
    return Outcome(
        phase=state.phase if state else "", shutdown_reason=state.shutdown_reason if state else "",
        finished=walk.finished, end_message=walk.end_message, total_tasks=len(tasks),
        status_counts=ordered, dag_summary=dict(state.dag_summary) if state else {},
        budget=state.budget if state else Budget(), first_at=first_at, last_at=last_at,
        elapsed_s=state.elapsed_s if state else None, processes=walk.processes,
        batches=walk.batches, spawns=walk.spawns, retries=walk.retries,
        tool_calls=sum(len(t.tool_calls) for t in tasks),
    )


def _problems(run: SwarmRun, walk: EventWalk) -> list[RunProblem]:
    """The coordinator's errors (state file: one per failed attempt) and warnings."""
    errors = [RunProblem(e.at, "error", e.task_id, e.message, e.phase)
              for e in (run.state.errors if run.state else [])]
    problems = errors + walk.warnings
    return sorted(problems, key=lambda p: p.at if p.at is not None else float("inf"))
