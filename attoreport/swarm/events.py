"""One pass over a run's events: each task's attempts, verdicts and what stopped it.

attoswarm writes `swarm.events.jsonl` in the order things happen, so a `spawn` opens an
attempt of its task and the task's next verdict closes it: `complete` (done), `retry`,
`fail`, a poison `skip`, a `warning` that it needs review. `Resumed: ...` (a new attoswarm
process) closes every attempt still open as interrupted. The walk also collects the
coordinator's decisions, warnings and the moments worth marking on the timeline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from attoreport.swarm.model import Decision, SwarmEvent
from attoreport.swarm.reader import decision_from
from attoreport.swarm.results import Attempt, Mark, RunProblem, TaskProblem, TestRun
from attoreport.swarm.values import TEXT_CHARS, bounded, mapping, number, text, texts, whole

_QUOTED = re.compile(r"'([^']{1,200})'")
_SYNTAX_TASK = re.compile(r"^Syntax errors in (\S+)$")

# ---------------------------------------------------------------------------
# Events: attempts, verdicts, marks
# ---------------------------------------------------------------------------


@dataclass(slots=True)
class TaskTrack:
    """What the events say about one task."""

    attempts: list[Attempt] = field(default_factory=list)
    retries: int = 0
    verdict: str = ""
    stopped_because: str = ""
    failure_cause: str = ""
    failure_suggestion: str = ""
    tests: list[TestRun] = field(default_factory=list)
    commits: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    event_tokens: int | None = None
    event_cost: float | None = None
    warnings: list[TaskProblem] = field(default_factory=list)

    def open_attempt(self) -> Attempt | None:
        last = self.attempts[-1] if self.attempts else None
        return last if last is not None and not last.end_recorded and last.outcome == "open" \
            else None

    def close(self, at: float | None, outcome: str, recorded: bool = True) -> None:
        """End the open attempt: at its verdict, or (`recorded` False) at the last moment
        it is known to have been running."""
        attempt = self.open_attempt()
        if attempt is not None:
            attempt.ended, attempt.outcome, attempt.end_recorded = at, outcome, recorded


@dataclass(slots=True)
class EventWalk:
    tracks: dict[str, TaskTrack] = field(default_factory=dict)
    decisions: list[Decision] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    warnings: list[RunProblem] = field(default_factory=list)
    unlisted: set[str] = field(default_factory=set)
    known: set[str] = field(default_factory=set)
    finished: bool = False
    end_message: str = ""
    processes: int = 0
    batches: int = 0
    spawns: int = 0
    retries: int = 0


def walk_events(events: list[SwarmEvent], known: set[str]) -> EventWalk:
    """One pass over the events, in file order (the order attoswarm emitted them)."""
    walk = EventWalk(processes=1 if events else 0, known=known)
    last_at: float | None = None
    for event in events:
        handler = _HANDLERS.get(event.event_type)
        task_id = event.task_id
        track = None
        if task_id:
            if task_id in known:
                track = walk.tracks.setdefault(task_id, TaskTrack())
            else:
                walk.unlisted.add(task_id)
        if handler is not None:
            handler(walk, event, track, last_at)
        if event.timestamp is not None:
            last_at = event.timestamp
    for track in walk.tracks.values():  # no verdict by the end: running, or killed
        attempt = track.open_attempt()
        if attempt is not None:
            attempt.ended = last_at
    return walk


def _on_spawn(walk: EventWalk, e: SwarmEvent, track: TaskTrack | None, last_at: float | None) -> None:
    walk.spawns += 1
    if track is None:
        return
    track.close(last_at, "interrupted", recorded=False)
    track.attempts.append(Attempt(len(track.attempts) + 1, e.timestamp,
                                  serialized=e.message.rstrip().endswith("(serialized)")))


def _on_complete(walk: EventWalk, e: SwarmEvent, track: TaskTrack | None,
                 last_at: float | None) -> None:
    if not e.task_id:  # the run's end: "Swarm completed: 6/9 tasks in 152.7s"
        walk.finished, walk.end_message = True, e.message
        return
    if track is None:
        return
    track.close(e.timestamp, "done")
    track.verdict = "done"
    track.files.extend(texts(e.data.get("files_modified")))
    tokens, cost = whole(e.data.get("tokens_used")), number(e.data.get("cost_usd"))
    if tokens is not None:
        track.event_tokens = (track.event_tokens or 0) + tokens
    if cost is not None:
        track.event_cost = (track.event_cost or 0.0) + cost


def _on_retry(walk: EventWalk, e: SwarmEvent, track: TaskTrack | None, last_at: float | None) -> None:
    walk.retries += 1
    if e.timestamp is not None:
        walk.marks.append(Mark(e.timestamp, "retry", e.message, e.task_id))
    if track is not None:
        track.retries += 1
        track.close(e.timestamp, "retried")


def _on_fail(walk: EventWalk, e: SwarmEvent, track: TaskTrack | None, last_at: float | None) -> None:
    if not e.task_id:  # "Planning failed: ..."
        walk.warnings.append(RunProblem(e.timestamp, "failure", "", e.message))
        return
    if track is None:
        return
    track.close(e.timestamp, "failed")
    track.verdict = "failed"
    failure = mapping(e.data.get("failure"))
    track.failure_cause = text(failure.get("cause"), 80)
    track.failure_suggestion = text(failure.get("suggestion"))
    _cascade(walk, texts(e.data.get("skipped"), 200), e.task_id)


def _on_skip(walk: EventWalk, e: SwarmEvent, track: TaskTrack | None, last_at: float | None) -> None:
    poison = mapping(e.data.get("poison"))
    if track is not None and poison:
        track.close(e.timestamp, "skipped")
        track.verdict = track.verdict or "skipped"
        track.stopped_because = "poison: " + text(poison.get("reason"), 300)
    elif track is not None:  # a user's skip: a running worker carries on regardless
        track.verdict = track.verdict or "skipped"
        track.stopped_because = "skipped: " + bounded(e.message, 300)
    skipped = texts(e.data.get("skipped"), 200) or tuple(_QUOTED.findall(e.message))
    _cascade(walk, skipped, e.task_id)


def _cascade(walk: EventWalk, skipped: tuple[str, ...], source: str) -> None:
    """Mark tasks skipped because a task they depend on failed (the first cause wins)."""
    for other in skipped:
        if other not in walk.known:
            continue
        track = walk.tracks.setdefault(other, TaskTrack())
        if not track.stopped_because:
            track.stopped_because = f"cascade from {source}" if source else "cascade"


def _on_warning(walk: EventWalk, e: SwarmEvent, track: TaskTrack | None,
                last_at: float | None) -> None:
    if track is not None and ("quality_gate_reason" in e.data or "needs review" in e.message):
        track.close(e.timestamp, "needs_review")
        track.stopped_because = "needs review: " + text(
            e.data.get("quality_gate_reason") or e.message, 300)
        tokens = whole(e.data.get("tokens_used"))
        if tokens is not None:
            track.event_tokens = (track.event_tokens or 0) + tokens
        return
    task_id = e.task_id
    syntax = _SYNTAX_TASK.match(e.message)
    if not task_id and syntax:
        task_id = syntax.group(1)
    detail = "; ".join(texts(e.data.get("errors"), 300)[:5])
    message = f"{e.message}: {detail}" if detail else e.message
    walk.warnings.append(RunProblem(e.timestamp, "warning", task_id, bounded(message, TEXT_CHARS)))
    if e.timestamp is not None:
        walk.marks.append(Mark(e.timestamp, "warning", e.message, task_id))


def _on_decision(walk: EventWalk, e: SwarmEvent, track: TaskTrack | None,
                 last_at: float | None) -> None:
    decision = decision_from(e.data, e.timestamp)
    if not decision.decision:
        decision = Decision(decision.at, decision.phase, decision.decision_type, e.message,
                            decision.reasoning)
    walk.decisions.append(decision)
    if e.timestamp is not None:
        walk.marks.append(Mark(e.timestamp, "decision", decision.decision))


def _on_info(walk: EventWalk, e: SwarmEvent, track: TaskTrack | None, last_at: float | None) -> None:
    message = e.message
    if message.startswith("Batch "):
        walk.batches += 1
        kind = "batch"
    elif message.startswith("Resumed:"):
        walk.processes += 1
        for other in walk.tracks.values():
            other.close(last_at, "interrupted", recorded=False)
        kind = "resume"
    elif message.startswith("Shutdown requested"):
        kind = "shutdown"
    else:
        return
    if e.timestamp is not None:
        walk.marks.append(Mark(e.timestamp, kind, message))


def _on_budget(walk: EventWalk, e: SwarmEvent, track: TaskTrack | None, last_at: float | None) -> None:
    if track is not None and "gate" in e.message.lower():
        track.stopped_because = "budget gate: " + bounded(e.message, 300)
    if e.timestamp is not None:
        walk.marks.append(Mark(e.timestamp, "budget", e.message, e.task_id))


def _on_control(walk: EventWalk, e: SwarmEvent, track: TaskTrack | None,
                last_at: float | None) -> None:
    if e.timestamp is not None:
        walk.marks.append(Mark(e.timestamp, "control", e.message, e.task_id))


def _on_test(walk: EventWalk, e: SwarmEvent, track: TaskTrack | None, last_at: float | None) -> None:
    if track is None or e.event_type == "test_verify_start":
        return
    passed = e.event_type == "test_verify_pass"
    track.tests.append(TestRun(e.timestamp, passed, number(e.data.get("pass_rate")),
                               whole(e.data.get("tests_total", e.data.get("tests_passed"))),
                               whole(e.data.get("tests_failed"))))


def _on_commit(walk: EventWalk, e: SwarmEvent, track: TaskTrack | None,
               last_at: float | None) -> None:
    if track is None:
        return
    commit = text(e.data.get("commit"), 64)
    if commit:
        track.commits.append(commit)
    track.files.extend(texts(e.data.get("files")))


_HANDLERS = {
    "spawn": _on_spawn,
    "complete": _on_complete,
    "retry": _on_retry,
    "fail": _on_fail,
    "skip": _on_skip,
    "warning": _on_warning,
    "decision": _on_decision,
    "info": _on_info,
    "budget": _on_budget,
    "control.applied": _on_control,
    "test_verify_start": _on_test,
    "test_verify_pass": _on_test,
    "test_verify_fail": _on_test,
    "git_commit": _on_commit,
}
