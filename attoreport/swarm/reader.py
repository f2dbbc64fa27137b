"""Read a run folder into a `SwarmRun`: every attoswarm file as the format it is.

Formats (field by field in the run folder README): `swarm.events.jsonl` (`event_type`
lines), `agents/agent-<id>.trace.jsonl` (`entry_type` lines), `swarm.live.jsonl` (`type`
and `kind` lines), `swarm.state.json` (or `swarm.live.state.json`), `swarm.manifest.json`,
`tasks/task-<id>.json` and `.diff`, `agents/agent-<id>.prompt.txt`, `control.jsonl` (often
empty), `coordinator.log`, `postmortem.json`, `git_safety.json` and `history/<id>/`. A line
of one of these formats is never damage; a line that is not JSON, or lacks the key that
makes it a line of its format, is a `Diagnostic` with its file and line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from attoreport.swarm import values as v
from attoreport.swarm.files import FileNotes, iter_jsonl, read_json, read_text
from attoreport.swarm.folders import RunFolder
from attoreport.swarm.model import (
    AgentEntry,
    AttemptRecord,
    Budget,
    ControlCommand,
    CoordinatorError,
    Decision,
    DiffStat,
    GitSafety,
    HistoryRun,
    Lineage,
    LiveActivity,
    Manifest,
    ManifestTask,
    Postmortem,
    RunState,
    StateAgent,
    StateNode,
    SwarmEvent,
    SwarmRun,
    TaskRecord,
    TextTail,
)
from attoreport.textsafe import json_type

EVENTS_FILE = "swarm.events.jsonl"
LIVE_FILE = "swarm.live.jsonl"
STATE_FILE = "swarm.state.json"
LIVE_STATE_FILE = "swarm.live.state.json"
MANIFEST_FILE = "swarm.manifest.json"
CONTROL_FILE = "control.jsonl"
COORDINATOR_LOG = "coordinator.log"
POSTMORTEM_FILE = "postmortem.json"
GIT_SAFETY_FILE = "git_safety.json"
#: `swarm.live.jsonl` kinds that are not orchestrator events (the others repeat them).
LIVE_ONLY_KINDS = frozenset({"state.snapshot", "agent.status", "agent.activity", "agent.result"})
MAX_ACTIVITIES = 5000
PROMPT_CHARS = 20_000
RESULT_CHARS = 4_000
LOG_TAIL_BYTES = 16 * 1024
MAX_TASK_FILES = 5000


def read_run(folder: RunFolder) -> SwarmRun:
    """Read every file of a run folder; what cannot be read becomes a diagnostic."""
    run = SwarmRun(folder=folder)
    notes = FileNotes()
    _read_events(run, notes)
    _read_agents(run, notes)
    _read_live(run, notes)
    run.state = _read_state(run, notes)
    run.manifest = _read_manifest(run, notes)
    _read_tasks(run, notes)
    _read_control(run, notes)
    _read_extras(run, notes)
    run.history = [_history_run(h.path, h.source, h.name) for h in folder.history]
    run.diagnostics = notes.diagnostics
    return run


def _source(run: SwarmRun, *parts: str) -> str:
    base = run.folder.source.rstrip("/")
    return "/".join([base, *parts]) if base not in ("", ".") else "/".join(parts)


# ---------------------------------------------------------------------------
# JSON Lines formats
# ---------------------------------------------------------------------------


def _read_events(run: SwarmRun, notes: FileNotes) -> None:
    path = run.folder.path / EVENTS_FILE
    if not path.is_file():
        return
    source = _source(run, EVENTS_FILE)
    lines = 0
    for line, raw in iter_jsonl(path, source, notes):
        lines = line
        event = _event(raw, line, source, notes, "event_type", "data")
        if event is not None:
            run.events.append(event)
    run.events_file = EVENTS_FILE
    run.files_read.append((EVENTS_FILE, lines))


def _event(raw: dict[str, Any], line: int, source: str, notes: FileNotes, type_key: str,
           data_key: str) -> SwarmEvent | None:
    event_type = raw.get(type_key)
    if not isinstance(event_type, str) or not event_type:
        notes.add(source, line, f"no '{type_key}' name (found {json_type(event_type)}): not an "
                  "attoswarm event; line skipped")
        return None
    timestamp = v.epoch(raw.get("timestamp"))
    if timestamp is None:
        notes.add(source, line, f"{v.bounded(event_type, 80)} event has no usable timestamp: "
                  "kept, but not placed in time", "repaired")
    data = raw.get(data_key)
    if data is not None and not isinstance(data, dict):
        notes.add(source, line, f"'{data_key}' is {json_type(data)}, not an object; ignored",
                  "repaired")
    return SwarmEvent(line=line, event_type=v.text(event_type, v.ID_CHARS), timestamp=timestamp,
                      task_id=v.text(raw.get("task_id"), v.ID_CHARS),
                      agent_id=v.text(raw.get("agent_id"), v.ID_CHARS),
                      message=v.text(raw.get("message")), data=v.mapping(data),
                      trace_id=v.text(raw.get("trace_id"), v.ID_CHARS))


def _read_agents(run: SwarmRun, notes: FileNotes) -> None:
    folder = run.folder.path / "agents"
    try:
        files = sorted(p for p in folder.iterdir() if p.name.endswith(".trace.jsonl"))
    except OSError:
        return
    for path in files:
        name = f"agents/{path.name}"
        source = _source(run, name)
        lines = 0
        for line, raw in iter_jsonl(path, source, notes):
            lines = line
            entry = _agent_entry(raw, line, source, notes)
            if entry is not None:
                run.agent_entries.append(entry)
        run.files_read.append((name, lines))
        _read_prompt(run, path, notes)


def _agent_entry(raw: dict[str, Any], line: int, source: str,
                 notes: FileNotes) -> AgentEntry | None:
    entry_type = raw.get("entry_type")
    if not isinstance(entry_type, str) or not entry_type:
        notes.add(source, line, f"no 'entry_type' name (found {json_type(entry_type)}): not an "
                  "agent trace entry; line skipped")
        return None
    timestamp = v.epoch(raw.get("timestamp"))
    if timestamp is None:
        notes.add(source, line, f"{v.bounded(entry_type, 80)} entry has no usable timestamp: "
                  "kept, but not placed in time", "repaired")
    return AgentEntry(source=source, line=line, timestamp=timestamp,
                      agent_id=v.text(raw.get("agent_id"), v.ID_CHARS),
                      task_id=v.text(raw.get("task_id"), v.ID_CHARS),
                      entry_type=v.text(entry_type, v.ID_CHARS), data=v.mapping(raw.get("data")),
                      trace_id=v.text(raw.get("trace_id"), v.ID_CHARS))


def _read_prompt(run: SwarmRun, trace_path: Path, notes: FileNotes) -> None:
    """`agent-<task_id>.prompt.txt` beside the agent's trace."""
    agent = trace_path.name.removesuffix(".trace.jsonl")
    prompt = trace_path.with_name(agent + ".prompt.txt")
    if not prompt.is_file():
        return
    text = read_text(prompt, _source(run, "agents", prompt.name), notes, PROMPT_CHARS * 4)
    if text is not None:
        run.prompts[agent.removeprefix("agent-")] = v.bounded(text.text, PROMPT_CHARS)


def _read_live(run: SwarmRun, notes: FileNotes) -> None:
    path = run.folder.path / LIVE_FILE
    if not path.is_file():
        return
    source = _source(run, LIVE_FILE)
    live = run.live
    for line, raw in iter_jsonl(path, source, notes):
        live.lines = line
        kind = raw.get("type", raw.get("kind"))
        if not isinstance(kind, str) or not kind:
            notes.add(source, line, f"no 'type' or 'kind' name (found {json_type(kind)}): not a "
                      "live feed line; line skipped")
            continue
        kind = v.text(kind, v.ID_CHARS)
        live.kinds[kind] = live.kinds.get(kind, 0) + 1
        if kind == "agent.activity" and len(live.activities) < MAX_ACTIVITIES:
            payload = v.mapping(raw.get("payload"))
            live.activities.append(LiveActivity(
                v.epoch(raw.get("timestamp")), v.text(raw.get("task_id"), v.ID_CHARS),
                v.text(payload.get("kind"), 40),
                v.text(payload.get("text_preview", raw.get("message")), 300)))
        elif kind not in LIVE_ONLY_KINDS and not run.events_file:
            event = _event(raw, line, source, notes, "type", "payload")
            if event is not None:
                live.events.append(event)
    run.files_read.append((LIVE_FILE, live.lines))
    if not run.events_file and live.events:
        run.events = live.events
        run.events_file = LIVE_FILE


def _read_control(run: SwarmRun, notes: FileNotes) -> None:
    path = run.folder.path / CONTROL_FILE
    if not path.is_file():
        return
    source = _source(run, CONTROL_FILE)
    lines = 0
    for line, raw in iter_jsonl(path, source, notes):
        lines = line
        action = raw.get("action")
        if not isinstance(action, str) or not action:
            notes.add(source, line, f"no 'action' (found {json_type(action)}): not a control "
                      "command; line skipped")
            continue
        detail = next((v.text(raw.get(k), 200) for k in ("title", "description")
                       if isinstance(raw.get(k), str)), "")
        run.control.append(ControlCommand(line, v.text(action, v.ID_CHARS),
                                          v.text(raw.get("task_id"), v.ID_CHARS),
                                          v.text(raw.get("timestamp"), 40), detail))
    run.files_read.append((CONTROL_FILE, lines))


# ---------------------------------------------------------------------------
# JSON documents
# ---------------------------------------------------------------------------


def _document(run: SwarmRun, name: str, notes: FileNotes) -> dict[str, Any] | None:
    path = run.folder.path / name
    if not path.is_file():
        return None
    source = _source(run, name)
    value = read_json(path, source, notes)
    if value is None:
        return None
    if not isinstance(value, dict):
        notes.add(source, 0, f"not a JSON object but {json_type(value)}; file not used")
        return None
    run.files_read.append((name, 0))
    return value


def _read_state(run: SwarmRun, notes: FileNotes) -> RunState | None:
    for name in (STATE_FILE, LIVE_STATE_FILE):
        raw = _document(run, name, notes)
        if raw is not None:
            return state_from(raw, name)
    return None


def state_from(raw: dict[str, Any], file: str) -> RunState:
    """A RunState from the object of a state file (`swarm.state.json` keys)."""
    dag = v.mapping(raw.get("dag"))
    lineage = v.mapping(raw.get("lineage"))
    budget = v.mapping(raw.get("budget"))
    return RunState(
        run_id=v.text(raw.get("run_id"), v.ID_CHARS),
        goal=v.text(raw.get("goal"), v.LONG_TEXT_CHARS),
        phase=v.text(raw.get("phase"), v.ID_CHARS),
        shutdown_reason=v.text(raw.get("shutdown_reason"), v.TITLE_CHARS),
        working_dir=v.text(raw.get("working_dir"), v.TEXT_CHARS),
        updated_at=v.epoch(raw.get("updated_at")),
        lineage=_lineage(lineage),
        started_via=v.text(v.mapping(raw.get("launcher")).get("started_via"), v.ID_CHARS),
        nodes=[_state_node(n) for n in _objects(dag.get("nodes"))],
        edges=_edges(dag.get("edges")),
        agents=[_state_agent(a) for a in _objects(raw.get("active_agents"))],
        budget=Budget(v.whole(budget.get("tokens_used")), v.whole(budget.get("tokens_max")),
                      v.number(budget.get("cost_used_usd")), v.number(budget.get("cost_max_usd"))),
        dag_summary=v.counts(raw.get("dag_summary")),
        elapsed_s=v.number(raw.get("elapsed_s")),
        decisions=[decision_from(d) for d in _objects(raw.get("decisions"))],
        errors=[CoordinatorError(v.epoch(e.get("timestamp")), v.text(e.get("message")),
                                 v.text(e.get("phase"), v.ID_CHARS),
                                 v.text(e.get("task_id"), v.ID_CHARS))
                for e in _objects(raw.get("errors"))],
        git_branch=v.text(raw.get("git_branch"), v.TITLE_CHARS),
        file=file,
    )


def _lineage(raw: dict[str, Any]) -> Lineage:
    return Lineage(v.text(raw.get("parent_run_id"), v.ID_CHARS),
                   v.text(raw.get("root_run_id"), v.ID_CHARS),
                   v.text(raw.get("continuation_mode"), v.ID_CHARS))


def decision_from(raw: dict[str, Any], at: float | None = None) -> Decision:
    """A Decision from a decision record (`timestamp` is ISO text; `at` overrides it)."""
    return Decision(at if at is not None else v.epoch(raw.get("timestamp")),
                    v.text(raw.get("phase"), v.ID_CHARS),
                    v.text(raw.get("decision_type"), v.ID_CHARS),
                    v.text(raw.get("decision")), v.text(raw.get("reasoning")))


def _objects(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _edges(value: Any) -> list[tuple[str, str]]:
    edges = []
    for pair in value if isinstance(value, list) else []:
        if isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair):
            edges.append((v.text(pair[0], v.ID_CHARS), v.text(pair[1], v.ID_CHARS)))
    return edges


def _state_node(raw: dict[str, Any]) -> StateNode:
    return StateNode(
        task_id=v.text(raw.get("task_id"), v.ID_CHARS),
        title=v.text(raw.get("title"), v.TITLE_CHARS),
        status=v.text(raw.get("status"), v.ID_CHARS),
        description=v.text(raw.get("description")),
        task_kind=v.text(raw.get("task_kind"), v.ID_CHARS),
        role_hint=v.text(raw.get("role_hint"), v.ID_CHARS),
        assigned_agent=v.text(raw.get("assigned_agent"), v.ID_CHARS),
        target_files=v.texts(raw.get("target_files"), v.TITLE_CHARS),
        result_summary=v.text(raw.get("result_summary"), RESULT_CHARS),
        tokens_used=v.whole(raw.get("tokens_used")),
        cost_usd=v.number(raw.get("cost_usd")),
        attempt_count=v.whole(raw.get("attempt_count")),
        is_foundation=raw.get("is_foundation") is True,
    )


def _state_agent(raw: dict[str, Any]) -> StateAgent:
    return StateAgent(
        agent_id=v.text(raw.get("agent_id"), v.ID_CHARS),
        task_id=v.text(raw.get("task_id"), v.ID_CHARS),
        status=v.text(raw.get("status"), v.ID_CHARS),
        backend=v.text(raw.get("backend"), v.ID_CHARS),
        model=v.text(raw.get("model"), v.ID_CHARS),
        started_at=v.epoch(raw.get("started_at_epoch")),
        tool_call_count=v.whole(raw.get("tool_call_count")),
        tokens_used=v.whole(raw.get("tokens_used")),
        files_touched=v.texts(raw.get("files_touched"), v.TITLE_CHARS),
    )


def _read_manifest(run: SwarmRun, notes: FileNotes) -> Manifest | None:
    raw = _document(run, MANIFEST_FILE, notes)
    if raw is None:
        return None
    tasks = [ManifestTask(v.text(t.get("task_id"), v.ID_CHARS), v.text(t.get("title"), v.TITLE_CHARS),
                          v.text(t.get("description")), v.texts(t.get("deps"), v.ID_CHARS),
                          v.text(t.get("task_kind"), v.ID_CHARS),
                          v.texts(t.get("target_files"), v.TITLE_CHARS),
                          v.text(t.get("status"), v.ID_CHARS))
             for t in _objects(raw.get("tasks"))]
    return Manifest(v.text(raw.get("run_id"), v.ID_CHARS),
                    v.text(raw.get("goal"), v.LONG_TEXT_CHARS), [t for t in tasks if t.task_id])


def _read_tasks(run: SwarmRun, notes: FileNotes) -> None:
    folder = run.folder.path / "tasks"
    try:
        files = sorted(folder.iterdir())[:MAX_TASK_FILES]
    except OSError:
        return
    for path in files:
        name = path.name
        if name.startswith("task-") and name.endswith(".json"):
            raw = _document(run, f"tasks/{name}", notes)
            if raw is not None:
                record = _task_record(raw, name.removeprefix("task-").removesuffix(".json"))
                run.tasks[record.task_id] = record
        elif name.startswith("task-") and name.endswith(".diff"):
            diff = read_text(path, _source(run, "tasks", name), notes)
            if diff is not None:
                run.diffs[name.removeprefix("task-").removesuffix(".diff")] = diff_stat(diff.text)
                run.files_read.append((f"tasks/{name}", diff.lines))


def _task_record(raw: dict[str, Any], file_task_id: str) -> TaskRecord:
    history = tuple(
        AttemptRecord(v.whole(a.get("attempt")), v.text(a.get("error")), v.epoch(a.get("timestamp")),
                      v.number(a.get("duration_s")), v.whole(a.get("tokens_used")),
                      v.text(a.get("failure_cause"), v.ID_CHARS))
        for a in _objects(raw.get("attempt_history")))
    return TaskRecord(
        task_id=v.text(raw.get("task_id"), v.ID_CHARS) or v.bounded(file_task_id, v.ID_CHARS),
        title=v.text(raw.get("title"), v.TITLE_CHARS),
        description=v.text(raw.get("description")),
        status=v.text(raw.get("status"), v.ID_CHARS),
        task_kind=v.text(raw.get("task_kind"), v.ID_CHARS),
        deps=v.texts(raw.get("deps"), v.ID_CHARS),
        target_files=v.texts(raw.get("target_files"), v.TITLE_CHARS),
        files_modified=v.texts(raw.get("files_modified"), v.TITLE_CHARS),
        result_summary=v.text(raw.get("result_summary"), RESULT_CHARS),
        tokens_used=v.whole(raw.get("tokens_used")),
        cost_usd=v.number(raw.get("cost_usd")),
        attempt_count=v.whole(raw.get("attempt_count")),
        attempt_history=history,
    )


def diff_stat(text: str) -> DiffStat:
    """Files, added and removed lines of a unified git diff."""
    files = added = removed = 0
    for line in text.splitlines():
        if line.startswith("diff --git "):
            files += 1
        elif line.startswith("+") and not line.startswith("+++"):
            added += 1
        elif line.startswith("-") and not line.startswith("---"):
            removed += 1
    return DiffStat(files, added, removed)


def _read_extras(run: SwarmRun, notes: FileNotes) -> None:
    post = _document(run, POSTMORTEM_FILE, notes)
    if post is not None:
        summary, execution = v.mapping(post.get("summary")), v.mapping(post.get("execution"))
        run.postmortem = Postmortem(
            outcome=v.text(summary.get("outcome"), v.ID_CHARS),
            success_rate=v.number(summary.get("success_rate")),
            parallel_efficiency=v.number(execution.get("parallel_efficiency")),
            critical_path=v.texts(execution.get("critical_path"), v.ID_CHARS),
            critical_path_s=v.number(execution.get("critical_path_duration_s")),
            recommendations=v.texts(post.get("recommendations"))[:20])
    git = _document(run, GIT_SAFETY_FILE, notes)
    if git is not None:
        run.git = GitSafety(v.text(git.get("swarm_branch"), v.TITLE_CHARS),
                            v.text(git.get("original_branch"), v.TITLE_CHARS),
                            v.text(git.get("result_commit"), 64),
                            v.text(git.get("finalization_mode"), v.ID_CHARS))
    log = run.folder.path / COORDINATOR_LOG
    if log.is_file():
        run.coordinator_log = _log_tail(log, _source(run, COORDINATOR_LOG), notes)
        if run.coordinator_log is not None:
            run.files_read.append((COORDINATOR_LOG, run.coordinator_log.lines))


def _log_tail(path: Path, source: str, notes: FileNotes) -> TextTail | None:
    try:
        with path.open("rb") as handle:
            lines = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
    except OSError as exc:
        notes.add(source, 0, f"cannot read the file ({exc.strerror or exc}); skipped")
        return None
    tail = read_text(path, source, notes, LOG_TAIL_BYTES, tail=True)
    if tail is None:
        return None
    return TextTail(lines, tail.text, tail.truncated)


def _history_run(path: Path, source: str, name: str) -> HistoryRun:
    """An earlier run's headline, from its state file (its own problems are reported when
    it is reported on its own)."""
    raw: Any = None
    for file in (STATE_FILE, LIVE_STATE_FILE):
        if (path / file).is_file():
            raw = read_json(path / file, f"{source}/{file}", FileNotes())
            if isinstance(raw, dict):
                break
    state = state_from(raw, STATE_FILE) if isinstance(raw, dict) else RunState()
    return HistoryRun(name=v.bounded(name, v.ID_CHARS), source=source, run_id=state.run_id,
                      goal=state.goal, phase=state.phase, tasks=len(state.nodes),
                      dag_summary=state.dag_summary, updated_at=state.updated_at)
