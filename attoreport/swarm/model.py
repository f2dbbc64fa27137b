"""What a run folder records, as typed values: one dataclass per attoswarm file format.

The reader (`attoreport.swarm.reader`) fills these from the files, coercing every value
(a wrong type becomes the field's empty value, strings are bounded); the analysis
(`attoreport.swarm.analysis`) only reads them. Field names follow attoswarm's own.
Numbers that a file may lack are `None` ("not recorded"), never 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from attoreport.model import Diagnostic
from attoreport.swarm.folders import RunFolder


@dataclass(frozen=True, slots=True)
class SwarmEvent:
    """One line of `swarm.events.jsonl` (attoswarm's SwarmEvent)."""

    line: int
    event_type: str
    #: Epoch seconds; None when the line has no usable time.
    timestamp: float | None
    task_id: str
    agent_id: str
    message: str
    #: The payload as written (an object; type-specific, see the run folder README).
    data: dict[str, Any]
    trace_id: str = ""


@dataclass(frozen=True, slots=True)
class AgentEntry:
    """One line of `agents/agent-<task_id>.trace.jsonl`: a tool call or an attempt's result."""

    source: str
    line: int
    timestamp: float | None
    agent_id: str
    task_id: str
    #: "tool_call", "cost_delta" (an attempt the worker finished) or "error" (a failed one).
    entry_type: str
    data: dict[str, Any]
    trace_id: str = ""


@dataclass(frozen=True, slots=True)
class LiveActivity:
    """An `agent.activity` line of `swarm.live.jsonl`: what a worker said it was doing."""

    timestamp: float | None
    task_id: str
    kind: str
    text: str


@dataclass(slots=True)
class LiveFeed:
    """`swarm.live.jsonl`: every orchestrator event again plus worker status and activity.

    Its events duplicate `swarm.events.jsonl`; they are used only when that file is
    missing (`events` is then filled)."""

    lines: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    activities: list[LiveActivity] = field(default_factory=list)
    events: list[SwarmEvent] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class StateNode:
    """A task of `swarm.state.json`'s `dag.nodes`."""

    task_id: str
    title: str
    status: str
    description: str
    task_kind: str
    role_hint: str
    assigned_agent: str
    target_files: tuple[str, ...]
    result_summary: str
    #: Of the last attempt (attoswarm overwrites them per attempt).
    tokens_used: int | None
    cost_usd: float | None
    #: Failed attempts so far, as attoswarm counts them.
    attempt_count: int | None
    is_foundation: bool


@dataclass(frozen=True, slots=True)
class StateAgent:
    """An entry of `swarm.state.json`'s `active_agents` (every agent ever spawned)."""

    agent_id: str
    task_id: str
    status: str
    backend: str
    model: str
    started_at: float | None
    tool_call_count: int | None
    tokens_used: int | None
    files_touched: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Budget:
    """`swarm.state.json`'s budget: sums over all attempts, and the limits."""

    tokens_used: int | None = None
    tokens_max: int | None = None
    cost_used: float | None = None
    cost_max: float | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """A coordinator decision (`decision` event, or `decisions[]` of the state file)."""

    at: float | None
    phase: str
    decision_type: str
    decision: str
    reasoning: str


@dataclass(frozen=True, slots=True)
class CoordinatorError:
    """An entry of the state file's `errors[]`: one per failed attempt."""

    at: float | None
    message: str
    phase: str
    task_id: str


@dataclass(frozen=True, slots=True)
class Lineage:
    """Where a run comes from: fresh, resumed, or a child of another run (`continue`)."""

    parent_run_id: str = ""
    root_run_id: str = ""
    continuation_mode: str = ""


@dataclass(slots=True)
class RunState:
    """`swarm.state.json` (or, without it, `swarm.live.state.json`): the final state."""

    run_id: str = ""
    goal: str = ""
    phase: str = ""
    shutdown_reason: str = ""
    #: The project root the run worked in (absolute, on the machine that ran it).
    working_dir: str = ""
    updated_at: float | None = None
    lineage: Lineage = field(default_factory=Lineage)
    started_via: str = ""
    nodes: list[StateNode] = field(default_factory=list)
    edges: list[tuple[str, str]] = field(default_factory=list)
    agents: list[StateAgent] = field(default_factory=list)
    budget: Budget = field(default_factory=Budget)
    dag_summary: dict[str, int] = field(default_factory=dict)
    #: Seconds since the (last) attoswarm process started.
    elapsed_s: float | None = None
    decisions: list[Decision] = field(default_factory=list)
    errors: list[CoordinatorError] = field(default_factory=list)
    git_branch: str = ""
    #: "swarm.state.json" or "swarm.live.state.json".
    file: str = ""


@dataclass(frozen=True, slots=True)
class ManifestTask:
    """A TaskSpec of `swarm.manifest.json`."""

    task_id: str
    title: str
    description: str
    deps: tuple[str, ...]
    task_kind: str
    target_files: tuple[str, ...]
    status: str


@dataclass(slots=True)
class Manifest:
    """`swarm.manifest.json`: the task list after decomposition."""

    run_id: str = ""
    goal: str = ""
    tasks: list[ManifestTask] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    """An entry of `attempt_history` in `tasks/task-<id>.json`: one failed attempt."""

    attempt: int | None
    error: str
    at: float | None
    duration_s: float | None
    tokens_used: int | None
    failure_cause: str


@dataclass(frozen=True, slots=True)
class TaskRecord:
    """`tasks/task-<task_id>.json`, rewritten with every state write."""

    task_id: str
    title: str
    description: str
    status: str
    task_kind: str
    deps: tuple[str, ...]
    target_files: tuple[str, ...]
    files_modified: tuple[str, ...]
    result_summary: str
    tokens_used: int | None
    cost_usd: float | None
    attempt_count: int | None
    attempt_history: tuple[AttemptRecord, ...]


@dataclass(frozen=True, slots=True)
class DiffStat:
    """`tasks/task-<id>.diff` (git diff after success), summed up."""

    files: int
    added: int
    removed: int


@dataclass(frozen=True, slots=True)
class ControlCommand:
    """A line of `control.jsonl`: a user command to the orchestrator."""

    line: int
    action: str
    task_id: str
    #: As written: epoch seconds, or an ISO string (the TUI writes those).
    timestamp: str
    detail: str


@dataclass(frozen=True, slots=True)
class TextTail:
    """The end of a text file (`coordinator.log`)."""

    lines: int
    tail: str
    truncated: bool


@dataclass(frozen=True, slots=True)
class Postmortem:
    """`postmortem.json`: attoswarm's own verdict on the run."""

    outcome: str = ""
    success_rate: float | None = None
    parallel_efficiency: float | None = None
    critical_path: tuple[str, ...] = ()
    critical_path_s: float | None = None
    recommendations: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class GitSafety:
    """`git_safety.json`: the branch the swarm worked on and what became of it."""

    swarm_branch: str = ""
    original_branch: str = ""
    result_commit: str = ""
    finalization_mode: str = ""


@dataclass(frozen=True, slots=True)
class HistoryRun:
    """An earlier run listed from `history/<id>/swarm.state.json` (reportable on its own)."""

    name: str
    source: str
    run_id: str
    goal: str
    phase: str
    tasks: int
    dag_summary: dict[str, int]
    updated_at: float | None


@dataclass(slots=True)
class SwarmRun:
    """Everything read from one run folder, with the diagnostics of what could not be read."""

    folder: RunFolder
    state: RunState | None = None
    manifest: Manifest | None = None
    events: list[SwarmEvent] = field(default_factory=list)
    #: "swarm.events.jsonl", "swarm.live.jsonl" (when the events file is missing) or "".
    events_file: str = ""
    agent_entries: list[AgentEntry] = field(default_factory=list)
    live: LiveFeed = field(default_factory=LiveFeed)
    tasks: dict[str, TaskRecord] = field(default_factory=dict)
    prompts: dict[str, str] = field(default_factory=dict)
    diffs: dict[str, DiffStat] = field(default_factory=dict)
    control: list[ControlCommand] = field(default_factory=list)
    coordinator_log: TextTail | None = None
    postmortem: Postmortem | None = None
    git: GitSafety | None = None
    history: list[HistoryRun] = field(default_factory=list)
    #: (file name relative to the run folder, lines or 0 for documents) of every file read.
    files_read: list[tuple[str, int]] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def source(self) -> str:
        return self.folder.source

    @property
    def trace_paths(self) -> tuple[Path, ...]:
        return self.folder.trace_paths
