"""Swarm rules: what went wrong in a run as a whole, each with its threshold and advice.

Attocode's inefficiency rules look at one agent; these look at the swarm. One small
function per rule, registered in RULES; each reads the analysis only (no I/O) and
returns findings with a severity, a description naming the tasks, and a suggestion.

- failed_after_all_attempts: a task's final status is `failed` (attoswarm gave up after
  `max_task_attempts`).
- retry_storm: at least RETRY_STORM_MIN retries making up RETRY_STORM_SHARE of the run's
  worker starts, or one task retried TASK_RETRY_STORM times or more.
- worker_stuck: an attempt hit the task timeout (or came within 10 % of it), or a worker
  went IDLE_GAP_S seconds without a tool call.
- outlier_task: a task ran OUTLIER_FACTOR times as long as the median of its siblings (its
  graph level; the whole run when the level has fewer than OUTLIER_MIN_SIBLINGS others that
  ran) and at least OUTLIER_MIN_SECONDS longer; or cost OUTLIER_FACTOR times as much and at
  least OUTLIER_MIN_COST more.
- serialised_level: tasks of one level ran one after another although they were ready
  together (attoswarm serialised them for file conflicts, say); or levels holding a single
  task took SINGLE_TASK_SHARE of the run's working time while the other workers waited.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise

from attoreport.swarm.results import Attempt, SwarmAnalysis, SwarmIssue, TaskAnalysis

RETRY_STORM_MIN = 3
RETRY_STORM_SHARE = 0.25
TASK_RETRY_STORM = 2
#: Real Claude Code workers: median 1.3 s, 90th percentile 10 s between tool calls.
IDLE_GAP_S = 120.0
OUTLIER_FACTOR = 3.0
OUTLIER_MIN_SIBLINGS = 2
OUTLIER_MIN_SECONDS = 60.0
OUTLIER_MIN_COST = 0.25
SINGLE_TASK_SHARE = 0.5
#: Parallel tasks whose start times are this close count as started together.
OVERLAP_SLACK_S = 0.5
MAX_NAMED_TASKS = 8


@dataclass(frozen=True, slots=True)
class SwarmRule:
    name: str
    #: The threshold in words, shown with every finding.
    threshold: str
    check: Callable[[SwarmAnalysis], list[SwarmIssue]]


def detect(analysis: SwarmAnalysis) -> list[SwarmIssue]:
    """Every finding of every rule, most severe first (stable within a severity)."""
    found = [issue for rule in RULES for issue in rule.check(analysis)]
    for issue in found:
        issue.threshold = issue.threshold or _THRESHOLDS[issue.rule]
    order = ("critical", "high", "medium", "low")
    return sorted(found, key=lambda i: order.index(i.severity) if i.severity in order else 4)


def _name(task: TaskAnalysis) -> str:
    return f"{task.task_id} “{task.title}”" if task.title else task.task_id


def _names(tasks: list[TaskAnalysis]) -> str:
    shown = ", ".join(_name(t) for t in tasks[:MAX_NAMED_TASKS])
    more = f" and {len(tasks) - MAX_NAMED_TASKS} more" if len(tasks) > MAX_NAMED_TASKS else ""
    return shown + more


def _plural(n: int, word: str, plural: str = "") -> str:
    return f"{n} {word if n == 1 else plural or word + 's'}"


# ---------------------------------------------------------------------------
# The rules
# ---------------------------------------------------------------------------


def failed_after_all_attempts(analysis: SwarmAnalysis) -> list[SwarmIssue]:
    issues = []
    by_id = analysis.task_by_id
    for task in analysis.tasks:
        if task.status != "failed":
            continue
        runs = task.runs
        last = next((p.message for p in reversed(task.problems) if p.message), "")
        blocked = [by_id[t] for t in task.dependents if t in by_id
                   and by_id[t].status in ("skipped", "pending")]
        description = (f"Task {_name(task)} failed after {_plural(runs, 'attempt')}"
                       + (f"; the last error: {_first_line(last)}" if last else "") + ".")
        if task.stopped_because.startswith("poison"):
            description += (" attoswarm declared it a poison task ("
                            f"{task.stopped_because.removeprefix('poison: ')}).")
        if blocked:
            description += f" It blocked {_names(blocked)}."
        suggestion = task.failure_suggestion or (
            "Read the task's errors below: fix the cause before re-running (a crash or a "
            "timeout will not go away by retrying), split the task if it is too big, or make "
            "its prompt say exactly which files to change.")
        issues.append(SwarmIssue("failed_after_all_attempts", "high",
                                 f"Task {task.task_id} failed after all its attempts",
                                 description, suggestion, (task.task_id,)))
    return issues


def retry_storm(analysis: SwarmAnalysis) -> list[SwarmIssue]:
    outcome = analysis.outcome
    retries, spawns = outcome.retries, outcome.spawns
    stormy = [t for t in analysis.tasks if t.retries >= TASK_RETRY_STORM]
    run_storm = retries >= RETRY_STORM_MIN and spawns and retries / spawns >= RETRY_STORM_SHARE
    if not run_storm and not stormy:
        return []
    parts = []
    if run_storm:
        parts.append(f"{_plural(retries, 'retry', 'retries')} out of {_plural(spawns, 'worker start')}"
                     f" ({retries / spawns:.0%}): much of the run's time and money went into "
                     "doing work again")
    if stormy:
        parts.append(f"retried {TASK_RETRY_STORM} times or more: {_names(stormy)}")
    retried = [t for t in analysis.tasks if t.retries]
    severity = "high" if spawns and retries / spawns >= 0.5 else "medium"
    return [SwarmIssue(
        "retry_storm", severity, "Retry storm", _sentence("; ".join(parts)),
        "Look for a common cause in the errors (the same crash, API error or timeout in "
        "several tasks): fix that once, lower max_task_attempts for errors that do not go "
        "away, and raise the task timeout if attempts time out.",
        tuple(t.task_id for t in retried))]


def worker_stuck(analysis: SwarmAnalysis) -> list[SwarmIssue]:
    timed_out, near, idle = [], [], []
    for task in analysis.tasks:
        calls_by_attempt: dict[int, list[float]] = {}
        for call in task.tool_calls:
            if call.at is not None:
                calls_by_attempt.setdefault(call.attempt, []).append(call.at)
        for attempt in task.attempt_list:
            result = attempt.result
            if result is not None and result.timed_out:
                timed_out.append((task, attempt))
            elif result is not None and result.near_timeout:
                near.append((task, attempt))
            gap = _longest_gap(attempt, calls_by_attempt.get(attempt.number, []))
            if gap is not None and gap >= IDLE_GAP_S:
                idle.append((task, attempt, gap))
    issues = []
    if timed_out or near:
        hung = [f"{_name(t)} (attempt {a.number})" for t, a in timed_out[:MAX_NAMED_TASKS]]
        close = [f"{_name(t)} (attempt {a.number})" for t, a in near[:MAX_NAMED_TASKS]]
        text = []
        if hung:
            text.append(f"Hit the task timeout and were stopped: {', '.join(hung)}.")
        if close:
            text.append(f"Finished within 10% of the timeout: {', '.join(close)}.")
        tasks = tuple(dict.fromkeys(t.task_id for t, _ in timed_out + near))
        issues.append(SwarmIssue(
            "worker_stuck", "high" if timed_out else "medium", "Workers stuck until the timeout",
            " ".join(text),
            "A worker that runs into the timeout usually waits on something (a prompt for "
            "input, a hanging command, a server that never exits): look at its last tool "
            "calls. Split tasks that are simply big, or raise the task timeout for them.", tasks))
    if idle:
        named = [f"{_name(t)} (attempt {a.number}, {gap:.0f} s)"
                 for t, a, gap in sorted(idle, key=lambda x: -x[2])[:MAX_NAMED_TASKS]]
        issues.append(SwarmIssue(
            "worker_stuck", "medium", "Workers idle for a long time",
            f"No tool call for {IDLE_GAP_S:.0f} seconds or more: {', '.join(named)}.",
            "Long silences are long model turns or a command that blocks: check the tool call "
            "before the gap in the task's detail; give commands a timeout and keep outputs "
            "short.", tuple(dict.fromkeys(t.task_id for t, _, _ in idle))))
    return issues


def _longest_gap(attempt: Attempt, calls: list[float]) -> float | None:
    """The longest stretch of an attempt without a tool call (spawn, calls, worker end)."""
    if not calls or attempt.started is None:
        return None
    end = None
    if attempt.result is not None and attempt.result.at is not None:
        end = attempt.result.at
    elif attempt.end_recorded:
        end = attempt.ended
    points = [attempt.started, *sorted(calls)] + ([end] if end is not None else [])
    return max(b - a for a, b in pairwise(points))


def outlier_task(analysis: SwarmAnalysis) -> list[SwarmIssue]:
    issues = []
    for task in analysis.tasks:
        siblings = _siblings(analysis, task)
        slow = _outlier(task.duration_s, [t.duration_s for t in siblings], OUTLIER_MIN_SECONDS)
        costly = _outlier(task.cost, [t.cost for t in siblings], OUTLIER_MIN_COST)
        if slow is None and costly is None:
            continue
        scope = (f"the other tasks of level {task.level}" if _level_siblings(analysis, task)
                 else "the other tasks of the run")
        parts = []
        if slow is not None:
            parts.append(f"ran {task.duration_s:.0f} s, {slow:.1f}× the median of {scope}")
        if costly is not None:
            parts.append(f"cost ${task.cost:.2f}, {costly:.1f}× the median of {scope}")
        retried = f" over {_plural(task.runs, 'attempt')}" if task.runs > 1 else ""
        issues.append(SwarmIssue(
            "outlier_task", "medium" if (slow or 0) >= 5 or (costly or 0) >= 5 else "low",
            f"Task {task.task_id} was much {'slower' if slow else 'costlier'} than its siblings",
            f"Task {_name(task)} {' and '.join(parts)}{retried}.",
            "Open the task's tool calls: a task far above its siblings usually re-reads files, "
            "loops on failing tests or is simply bigger than the others; split it or give it "
            "the context it lacked.", (task.task_id,)))
    return issues


def _level_siblings(analysis: SwarmAnalysis, task: TaskAnalysis) -> list[TaskAnalysis]:
    """The other tasks of its level that ran, when there are enough to compare with."""
    levels = analysis.graph.levels
    level = levels[task.level - 1] if 0 < task.level <= len(levels) else ()
    by_id = analysis.task_by_id
    others = [by_id[t] for t in level if t != task.task_id and by_id[t].runs]
    return others if len(others) >= OUTLIER_MIN_SIBLINGS else []


def _siblings(analysis: SwarmAnalysis, task: TaskAnalysis) -> list[TaskAnalysis]:
    """The tasks of its level; the whole run when the level is too small to compare."""
    level = _level_siblings(analysis, task)
    if level:
        return level
    others = [t for t in analysis.tasks if t.task_id != task.task_id and t.runs]
    return others if len(others) >= OUTLIER_MIN_SIBLINGS + 1 else []


def _outlier(value: float | None, others: list[float | None], minimum: float) -> float | None:
    """value ÷ median of the others, when it is an outlier by both measures."""
    present = [o for o in others if o is not None]
    if value is None or len(present) < OUTLIER_MIN_SIBLINGS:
        return None
    median = statistics.median(present)
    if median <= 0 or value < OUTLIER_FACTOR * median or value - median < minimum:
        return None
    return value / median


def serialised_level(analysis: SwarmAnalysis) -> list[SwarmIssue]:
    issues = []
    by_id = analysis.task_by_id
    for number, level in enumerate(analysis.graph.levels, start=1):
        ran = [by_id[t] for t in level if by_id[t].first_start is not None]
        if len(ran) < 2:
            continue
        serialized = [t for t in ran if any(a.serialized for a in t.attempt_list)]
        if serialized or _waited_for_each_other(analysis, ran):
            how = ("attoswarm serialised " + _names(serialized) + " (their spawns say "
                   "“serialized”: they touch the same files)") if serialized else (
                "they ran one after another although they were ready together")
            issues.append(SwarmIssue(
                "serialised_level", "medium" if len(ran) >= 3 else "low",
                f"Level {number}: {_plural(len(serialized), 'task')} ran one after another"
                if serialized else f"Level {number} ran its tasks one at a time",
                f"Level {number} has {_plural(len(level), 'task')} that could run in parallel, "
                f"but {how}.",
                "Give parallel tasks disjoint files (separate modules, separate test files), or "
                "merge tasks that must edit the same file into one.",
                tuple(t.task_id for t in (serialized or ran))))
    issues.extend(_bottlenecks(analysis))
    return issues


def _waited_for_each_other(analysis: SwarmAnalysis, tasks: list[TaskAnalysis]) -> bool:
    """True when these tasks' first attempts never overlapped although a later one was
    ready (its dependencies done) before the one before it finished."""
    spans = []
    for task in tasks:
        first = task.attempt_list[0] if task.attempt_list else None
        if first is None or first.started is None:
            return False
        spans.append((first.started, first.started + (first.ran_seconds or 0.0),
                      _ready_at(analysis, task)))
    spans.sort()
    if any(b[0] < a[1] - OVERLAP_SLACK_S for a, b in pairwise(spans)):
        return False  # some ran side by side
    return any(b[2] is not None and b[2] < a[1] - OVERLAP_SLACK_S
               for a, b in pairwise(spans))


def _ready_at(analysis: SwarmAnalysis, task: TaskAnalysis) -> float | None:
    """When its last dependency's verdict came (the run's first spawn for a root task)."""
    by_id = analysis.task_by_id
    if not task.deps:
        starts = [a.started for t in analysis.tasks for a in t.attempt_list
                  if a.started is not None]
        return min(starts) if starts else None
    ends = []
    for dep in task.deps:
        done = [a.ended for a in by_id[dep].attempt_list if a.outcome == "done"
                and a.ended is not None]
        if not done:
            return None
        ends.append(done[-1])
    return max(ends)


def _bottlenecks(analysis: SwarmAnalysis) -> list[SwarmIssue]:
    """Single-task levels that took much of the run's working time."""
    levels = analysis.graph.levels
    if len(levels) < 2 or max(len(level) for level in levels) < 2:
        return []
    by_id = analysis.task_by_id
    working = _working_seconds(analysis)
    if not working:
        return []
    single = [by_id[level[0]] for level in levels if len(level) == 1]
    single_time = sum(t.duration_s or 0.0 for t in single)
    share = single_time / working
    if share < SINGLE_TASK_SHARE:
        return []
    numbers = [str(n) for n, level in enumerate(levels, start=1) if len(level) == 1]
    return [SwarmIssue(
        "serialised_level", "low",
        f"The task graph is mostly a chain ({len(single)} of {len(levels)} levels hold one task)",
        f"Levels {', '.join(numbers)} hold a single task each ({_names(single)}); everything "
        f"after them waits, and they took {share:.0%} of the run's working time while the "
        "other workers had nothing to do.",
        "Ask the decomposition for independent tasks (one module each, tests beside their "
        "module), or merge a chain of small tasks into one.",
        tuple(t.task_id for t in single))]


def _working_seconds(analysis: SwarmAnalysis) -> float:
    """From the first spawn to the last verdict (decomposition and shutdown left out)."""
    starts = [a.started for t in analysis.tasks for a in t.attempt_list if a.started is not None]
    ends = [a.ended for t in analysis.tasks for a in t.attempt_list if a.ended is not None]
    if not starts or not ends:
        return 0.0
    return max(max(ends) - min(starts), 0.0)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."


def _first_line(text: str) -> str:
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return line if len(line) <= 200 else line[:199] + "…"


RULES: tuple[SwarmRule, ...] = (
    SwarmRule("failed_after_all_attempts",
              "a task's final status is failed (attoswarm's max_task_attempts used up)",
              failed_after_all_attempts),
    SwarmRule("retry_storm",
              f"at least {RETRY_STORM_MIN} retries making up {RETRY_STORM_SHARE:.0%} of worker "
              f"starts, or one task retried {TASK_RETRY_STORM} times", retry_storm),
    SwarmRule("worker_stuck",
              f"an attempt timed out or came within 10% of the timeout, or {IDLE_GAP_S:.0f} s "
              "without a tool call", worker_stuck),
    SwarmRule("outlier_task",
              f"{OUTLIER_FACTOR:.0f}× the median of its siblings, and at least "
              f"{OUTLIER_MIN_SECONDS:.0f} s or ${OUTLIER_MIN_COST:.2f} more", outlier_task),
    SwarmRule("serialised_level",
              "tasks of a level that ran one at a time, or single-task levels taking "
              f"{SINGLE_TASK_SHARE:.0%} of the working time", serialised_level),
)
_THRESHOLDS = {rule.name: rule.threshold for rule in RULES}
