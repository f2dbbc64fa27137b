"""The results of analysing a run folder: plain dataclasses, every number the report needs.

Built by `attoreport.swarm.analysis.analyse_run`; worded by `attoreport.report.swarm`.
Times are epoch seconds (offsets are counted from `SwarmAnalysis.origin`); a figure a run
does not record is None, never 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from attoreport.model import Diagnostic
from attoreport.swarm.folders import HistoryFolder
from attoreport.swarm.graph import TaskGraph
from attoreport.swarm.model import (
    Budget,
    ControlCommand,
    Decision,
    DiffStat,
    GitSafety,
    HistoryRun,
    Postmortem,
    TextTail,
)

#: Task statuses in the order the report lists them (others follow, by name).
STATUS_ORDER = ("done", "failed", "skipped", "needs_review", "pending", "running")
#: Phases a run ends in; a final state file with another phase means it stopped early
#: (attoswarm killed or crashed keeps the phase it had).
FINAL_PHASES = frozenset({"completed", "shutdown", "planning_failed", "rejected"})
#: How an attempt ended.
ATTEMPT_OUTCOMES = ("done", "retried", "failed", "needs_review", "skipped", "interrupted", "open")


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A tool call of a worker, with its most telling argument."""

    at: float | None
    tool: str
    argument: str
    #: The attempt it belongs to (from 1); 0 when it came before any recorded spawn.
    attempt: int


@dataclass(frozen=True, slots=True)
class AttemptResult:
    """What a worker reported at the end of an attempt (`cost_delta` or `error` entry)."""

    at: float | None
    ok: bool
    cost: float | None
    tokens: int | None
    duration_s: float | None
    files_modified: tuple[str, ...]
    error: str
    timed_out: bool
    near_timeout: bool


@dataclass(slots=True)
class Attempt:
    """One run of a task's worker: from its spawn to the coordinator's verdict."""

    number: int
    started: float | None
    #: The verdict's time; without one, the last moment it is known to have run.
    ended: float | None = None
    #: One of ATTEMPT_OUTCOMES.
    outcome: str = "open"
    #: False when no verdict was recorded (killed, resumed, or still running).
    end_recorded: bool = False
    serialized: bool = False
    tool_calls: int = 0
    result: AttemptResult | None = None

    @property
    def seconds(self) -> float | None:
        """Spawn to verdict, when both are recorded (includes waiting for the batch)."""
        if self.started is None or self.ended is None or not self.end_recorded:
            return None
        return max(self.ended - self.started, 0.0)

    @property
    def worker_seconds(self) -> float | None:
        """How long the worker ran: its manager's own measure, else spawn to its result."""
        if self.result is None:
            return None
        if self.result.duration_s is not None:
            return max(self.result.duration_s, 0.0)
        if self.result.at is not None and self.started is not None:
            return max(self.result.at - self.started, 0.0)
        return None

    @property
    def ran_seconds(self) -> float | None:
        """The worker's own time where it reported one, else spawn to verdict."""
        worker = self.worker_seconds
        return worker if worker is not None else self.seconds


@dataclass(frozen=True, slots=True)
class TestRun:
    """The test gate run on a task's result (`test_verify_*` events)."""

    at: float | None
    passed: bool
    pass_rate: float | None
    tests: int | None
    failed: int | None


@dataclass(frozen=True, slots=True)
class TaskProblem:
    """Why an attempt of a task failed, or another problem the coordinator saw with it."""

    at: float | None
    attempt: int | None
    message: str
    cause: str


@dataclass(slots=True)
class TaskAnalysis:
    """One task: what it was, how it ran, what it cost."""

    task_id: str
    title: str
    kind: str
    status: str
    description: str
    level: int
    deps: tuple[str, ...]
    dependents: tuple[str, ...]
    #: Failed attempts as attoswarm counts them (`attempt_count`), None when not recorded.
    attempts: int | None
    #: Times a worker was started for it (spawn events).
    runs: int
    retries: int
    worker: str
    backend: str
    model: str
    attempt_list: list[Attempt]
    tool_calls: list[ToolCall]
    results: list[AttemptResult]
    #: Sum over its attempts of what its workers reported; None when nothing was recorded.
    tokens: int | None
    cost: float | None
    #: Where tokens and cost come from: "workers", "events", "state" or "" (nothing).
    spend_source: str
    #: Seconds its workers ran, summed over its attempts (the worker manager's own measure;
    #: spawn to verdict where a worker reported none); None when nothing was recorded.
    duration_s: float | None
    files: tuple[str, ...]
    result_summary: str
    said: str
    prompt: str
    problems: list[TaskProblem]
    tests: list[TestRun]
    commits: list[str]
    diff: DiffStat | None
    #: Why the coordinator stopped it without a worker verdict ("poison: ...", "cascade
    #: from task-3", "budget gate", "user"), or "".
    stopped_because: str
    failure_cause: str
    failure_suggestion: str
    is_foundation: bool
    target_files: tuple[str, ...]

    @property
    def first_start(self) -> float | None:
        return next((a.started for a in self.attempt_list if a.started is not None), None)


@dataclass(frozen=True, slots=True)
class Mark:
    """A moment of the run worth marking on the timeline."""

    at: float
    #: "decision", "retry", "batch", "resume", "shutdown", "budget", "control", "warning".
    kind: str
    label: str
    task_id: str = ""


@dataclass(frozen=True, slots=True)
class RunProblem:
    """An error or warning of the coordinator."""

    at: float | None
    #: "error" (a failed attempt, from the state file), "warning" or "failure" (the run).
    kind: str
    task_id: str
    message: str
    phase: str = ""


@dataclass(frozen=True, slots=True)
class Spend:
    """The run's spend, counted once, and where each figure comes from."""

    tokens: int | None
    cost: float | None
    #: "workers" (sum of the workers' cost_delta/error results), "state" (the state file's
    #: budget, when workers report none), "events" (task complete events) or "".
    tokens_source: str
    cost_source: str
    #: Worker results summed (cost_delta and error entries of this run).
    worker_results: int
    #: What the state file's budget says, for comparison.
    state_tokens: int | None
    state_cost: float | None
    tokens_max: int | None
    cost_max: float | None
    #: Agent results left out because they belong to another run (older runs' files).
    excluded_results: int = 0
    #: True when costs were written but all are 0 (backends that report no cost).
    zero_costs: bool = False
    #: Tasks that ran but left no worker result (their own figures come from their
    #: complete event or the state file, and are not in the workers' total).
    unreported_tasks: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Outcome:
    """How the run ended."""

    phase: str
    shutdown_reason: str
    #: attoswarm wrote its run-end event (`Swarm completed|shutdown: ...`).
    finished: bool
    end_message: str
    total_tasks: int
    #: status -> number of tasks, in STATUS_ORDER then by name; only statuses present.
    status_counts: dict[str, int]
    #: The state file's own `dag_summary`.
    dag_summary: dict[str, int]
    budget: Budget
    first_at: float | None
    last_at: float | None
    #: attoswarm's own clock: seconds since its (last) process started.
    elapsed_s: float | None
    #: attoswarm processes that worked on the run (1 + resumes).
    processes: int
    batches: int
    spawns: int
    retries: int
    tool_calls: int

    @property
    def stopped_early(self) -> bool:
        """The state file's phase is not one a run ends in (killed, crashed or running)."""
        return bool(self.phase) and self.phase not in FINAL_PHASES

    @property
    def wall_s(self) -> float | None:
        """First to last event, resumes and their gaps included."""
        if self.first_at is None or self.last_at is None:
            return None
        return self.last_at - self.first_at


@dataclass(slots=True)
class SwarmIssue:
    """A finding of a swarm rule (see attoreport.swarm.rules)."""

    rule: str
    severity: str
    title: str
    description: str
    suggestion: str
    task_ids: tuple[str, ...] = ()
    #: The threshold that fired, for the reader ("3× the median of its level").
    threshold: str = ""


@dataclass(slots=True)
class SwarmAnalysis:
    """Everything attoreport computes for one run folder."""

    run_id: str
    name: str
    source: str
    #: "run", "child" (an `attoswarm continue` run) or "history" (an earlier run).
    role: str
    goal: str
    parent_run_id: str
    continuation_mode: str
    started_via: str
    working_dir: str
    outcome: Outcome
    spend: Spend
    graph: TaskGraph
    tasks: list[TaskAnalysis]
    decisions: list[Decision]
    problems: list[RunProblem]
    marks: list[Mark]
    control: list[ControlCommand]
    history: list[HistoryRun]
    coordinator_log: TextTail | None
    postmortem: Postmortem | None
    git: GitSafety | None
    #: The TraceCollector traces beside the run, as the user would type their paths.
    trace_sources: tuple[str, ...]
    #: Where the events came from ("swarm.events.jsonl", "swarm.live.jsonl" or "").
    events_file: str
    #: Where the final state came from ("swarm.state.json", "swarm.live.state.json", "").
    state_file: str
    files_read: list[tuple[str, int]]
    diagnostics: list[Diagnostic]
    #: Task ids seen in events or results that the state file does not list.
    unlisted_task_ids: tuple[str, ...] = ()
    #: Lines of the events file that belong to earlier runs (left out).
    earlier_events: int = 0
    issues: list[SwarmIssue] = field(default_factory=list)
    history_folders: tuple[HistoryFolder, ...] = ()

    _index: dict[str, TaskAnalysis] | None = field(default=None, repr=False, compare=False)

    @property
    def task_by_id(self) -> dict[str, TaskAnalysis]:
        """Tasks by id (built once)."""
        if self._index is None or len(self._index) != len(self.tasks):
            self._index = {t.task_id: t for t in self.tasks}
        return self._index

    @property
    def origin(self) -> float | None:
        """The time offsets in the report count from here (the first event)."""
        return self.outcome.first_at
