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
