"""Helpers for the swarm tests: the fixture runs, their oracle, and independent counts.

The fixtures in tests/fixtures/swarm/ are run folders written by attoswarm 0.2.30's own
code (see /work/shared/traces/swarm/README.md, copied unchanged); `expected.json` holds
that README's tables (task counts, statuses, attempts, spawns, spend). The counting helpers
here read the files with the standard `json` module, independently of attoreport.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

SWARM = Path(__file__).parent / "fixtures" / "swarm"
EXPECTED: dict[str, Any] = json.loads((SWARM / "expected.json").read_text())["runs"]
RUN_NAMES = sorted(EXPECTED)
RUN_DIR = Path(".agent") / "hybrid-swarm"


def run_dir(name: str) -> Path:
    return SWARM / name / RUN_DIR


def copy_project(name: str, target: Path) -> Path:
    """A writable copy of a fixture project (the folder holding `.agent/`)."""
    dest = target / name
    shutil.copytree(SWARM / name, dest)
    for path in dest.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return dest


def jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def events(name: str) -> list[dict[str, Any]]:
    return jsonl(run_dir(name) / "swarm.events.jsonl")


def state(name: str) -> dict[str, Any]:
    return json.loads((run_dir(name) / "swarm.state.json").read_text())


def agent_results(name: str) -> list[dict[str, Any]]:
    """Every cost_delta and error entry of the run's agent traces."""
    found = []
    for path in sorted((run_dir(name) / "agents").glob("*.trace.jsonl")):
        found += [e for e in jsonl(path) if e["entry_type"] in ("cost_delta", "error")]
    return found


def spawns_per_task(name: str) -> Counter[str]:
    return Counter(e["task_id"] for e in events(name) if e["event_type"] == "spawn")


def rewrite_jsonl(path: Path, change: Any) -> None:
    """Apply `change(obj) -> obj` to every line of a JSONL file."""
    lines = [json.dumps(change(json.loads(line))) for line in path.read_text().splitlines()
             if line.strip()]
    path.write_text("".join(line + "\n" for line in lines))


def stretch_time(run: Path, factor: float) -> None:
    """Make a run `factor` times slower: every timestamp (from the first event) and every
    duration scaled. The fixtures' stand-in worker runs about 3 times faster than a real
    Claude Code worker; stretched, they look like real runs."""
    origin = jsonl(run / "swarm.events.jsonl")[0]["timestamp"]

    def scale(obj: dict[str, Any]) -> dict[str, Any]:
        if isinstance(obj.get("timestamp"), float):
            obj["timestamp"] = origin + (obj["timestamp"] - origin) * factor
        data = obj.get("data")
        if isinstance(data, dict) and isinstance(data.get("duration_s"), float):
            data["duration_s"] *= factor
        return obj

    rewrite_jsonl(run / "swarm.events.jsonl", scale)
    for path in (run / "agents").glob("*.trace.jsonl"):
        rewrite_jsonl(path, scale)


def write_big_run(target: Path, tasks: int, width: int = 25) -> Path:
    """A synthetic run folder of `tasks` tasks in levels of up to `width` (each task depends
    on two of the level before), written in attoswarm's formats from a real run's shape:
    state, events (spawn, tool calls, complete) and agent traces. For scale tests only;
    the numbers tests use attoswarm's own runs."""
    run = target / ".agent" / "hybrid-swarm"
    (run / "agents").mkdir(parents=True)
    ids = [f"task-{i + 1}" for i in range(tasks)]
    statuses = ["done"] * tasks
    for i in range(0, tasks, 17):
        statuses[i] = "failed"
    edges = []
    for i in range(width, tasks):
        level_start = (i // width - 1) * width
        edges += [[ids[level_start + i % width], ids[i]],
                  [ids[level_start + (i * 7) % width], ids[i]]]
    edges = [list(e) for e in dict.fromkeys(tuple(e) for e in edges)]
    nodes = [{"task_id": t, "title": f"Synthetic task number {i + 1} with a long title",
              "status": statuses[i], "task_kind": "implement", "attempt_count": 0,
              "tokens_used": 1000 + i, "cost_usd": 0.01} for i, t in enumerate(ids)]
    start = 1795760000.0
    lines, budget_tokens, budget_cost = [], 0, 0.0
    for i, task_id in enumerate(ids):
        at = start + (i // width) * 60 + (i % width)
        lines.append({"event_type": "spawn", "timestamp": at, "task_id": task_id,
                      "agent_id": f"agent-{task_id}", "data": {}, "message": "Spawning"})
        lines.append({"event_type": "agent.tool_call", "timestamp": at + 5, "task_id": task_id,
                      "agent_id": f"agent-{task_id}", "data": {
                          "tool": "Read", "input_summary": '{"file_path": "/p/a.py"}'},
                      "message": "Read"})
        verdict = "complete" if statuses[i] == "done" else "fail"
        lines.append({"event_type": verdict, "timestamp": at + 40, "task_id": task_id,
                      "agent_id": f"agent-{task_id}", "data": {}, "message": verdict})
        entry = {"timestamp": at + 30, "agent_id": f"agent-{task_id}", "task_id": task_id,
                 "entry_type": "cost_delta" if verdict == "complete" else "error",
                 "data": {"cost_usd": 0.01, "tokens_used": 1000 + i, "duration_s": 30.0,
                          "files_modified": [], "error": ""}}
        (run / "agents" / f"agent-{task_id}.trace.jsonl").write_text(json.dumps(entry) + "\n")
        budget_tokens += 1000 + i
        budget_cost += 0.01
    (run / "swarm.events.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    state_doc = {"run_id": "b1g00000", "goal": "A big synthetic swarm", "phase": "completed",
                 "dag": {"nodes": nodes, "edges": edges},
                 "budget": {"tokens_used": budget_tokens, "tokens_max": 10**7,
                            "cost_used_usd": budget_cost, "cost_max_usd": 100.0},
                 "dag_summary": dict(Counter(statuses))}
    (run / "swarm.state.json").write_text(json.dumps(state_doc))
    return target
