"""Traces of unusual shapes, each with far more of one kind of event than real runs have.

The realistic generator keeps every kind at realistic rates; each shape here pushes one of
them, so that time or memory growing with one kind of event shows up.

Why: issue 10's targets are checked on traces made by a generator we have not seen. A
generator of its own may write far more of one thing than `generate.py` does. Each shape
here found (or ruled out) a cliff in attoreport: work done for every event of one kind that
the report never shows.

| shape | what every part of it is |
|---|---|
| `failed` | `generate.py`'s trace with every `tool_end` turned into a `tool_error` |
| `llm` | LLM responses of one length, ten per iteration, twenty models |
| `tools` | tool calls (start and end) of 2,000 tools, one length, no iterations |
| `iterations` | three-event iterations (start, one LLM response, end) without durations |
| `spawns` | subagent runs: spawn, a tool call, complete (one in twenty fails) |
| `kinds` | every kind in turn, each carrying the fields any kind may carry |
| `swarm` | swarm tasks: start, a tool call, complete with spend or fail and skip the next |

Lines are written as the collector writes them (`json.dumps` with its default separators,
its key order), between a `session_start` and a `session_end`, so a trace of N events has
N lines.

    python benchmarks/shapes.py failed --events 1m failed.jsonl
    python benchmarks/bench.py --sizes 10k --input failed.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate  # noqa: E402 - the benchmarks' own generator, beside this file

START = 1_700_000_000.0
_TOOL_END = '"kind": "tool_end"'


def _line(number: int, kind: str, at: float, iteration: int | None, data: dict[str, Any],
          *, parent: int | None = None, duration_ms: float | None = None) -> str:
    event: dict[str, Any] = {"event_id": f"{number:012x}", "kind": kind, "timestamp": at,
                             "session_id": "shape"}
    if iteration is not None:
        event["iteration"] = iteration
    if data:
        event["data"] = data
    if parent is not None:
        event["parent_event_id"] = f"{parent:012x}"
    if duration_ms is not None:
        event["duration_ms"] = duration_ms
    return json.dumps(event)


def _llm(n: int) -> Iterator[str]:
    for i in range(n):
        yield _line(i, "llm_response", START + i, i // 10 + 1, {
            "model": f"model-{i % 20}", "tokens": 1000 + i % 97, "input_tokens": 800,
            "output_tokens": 200 + i % 97, "cache_read_tokens": i % 500,
            "cache_write_tokens": 0, "cost": 0.001 * (i % 13)}, duration_ms=50.0)


def _tools(n: int) -> Iterator[str]:
    for i in range(0, n - 1, 2):
        tool, args = f"tool_{i // 2 % 2000}", {"q": i // 2 % 1000}
        yield _line(i, "tool_start", START + i, None, {"tool": tool, "args": args})
        yield _line(i + 1, "tool_end", START + i + 0.5, None,
                    {"tool": tool, "args": args, "result": "x"}, parent=i, duration_ms=5.0)


def _iterations(n: int) -> Iterator[str]:
    for i in range(0, n - 2, 3):
        number = i // 3 + 1
        yield _line(i, "iteration_start", START + number, number, {})
        yield _line(i + 1, "llm_response", START + number + 0.1, number, {
            "tokens": 1000 + number % 97, "input_tokens": 800, "output_tokens": 200,
            "cache_read_tokens": 500, "cost": 0.01})
        yield _line(i + 2, "iteration_end", START + number + 0.5, number, {})


def _spawns(n: int) -> Iterator[str]:
    for i in range(0, n - 3, 4):
        agent, run, at = f"agent-{i // 4}", i // 4, START + i
        yield _line(i, "subagent_spawn", at, run // 10 + 1, {"agent_id": agent,
                                                             "task": f"do {run % 50}"})
        yield _line(i + 1, "tool_start", at + 0.1, run // 10 + 1,
                    {"tool": "read_file", "args": {"path": f"f{run % 100}"}, "agent_id": agent})
        yield _line(i + 2, "tool_end", at + 0.2, run // 10 + 1,
                    {"tool": "read_file", "args": {"path": f"f{run % 100}"}, "result": "x",
                     "agent_id": agent}, parent=i + 1, duration_ms=100.0)
        failed = run % 20 == 0
        yield _line(i + 3, "subagent_error" if failed else "subagent_complete", at + 0.5,
                    run // 10 + 1, {"agent_id": agent, **({"error": "boom"} if failed else {})})


def _kinds(n: int) -> Iterator[str]:
    from attoreport.model import FAILURE_KINDS, KIND_ORDER

    kinds = [k for k in KIND_ORDER if k not in ("session_start", "session_end")]
    for i in range(n):
        kind = kinds[i % len(kinds)]
        data: dict[str, Any] = {
            "tool": f"tool_{i % 7}", "args": {"path": f"src/f{i % 1000}.py"},
            "agent_id": f"a{i // 45 % 500}", "path": f"src/f{i % 1000}.py", "model": "m",
            "tokens": 100 + i % 37, "input_tokens": 80, "output_tokens": 20, "cost": 0.001,
            "status": "ok", "task_id": f"t{i // 45}", "result": "done"}
        if kind in FAILURE_KINDS:
            data["error"] = f"failure {i % 300}"
        yield _line(i, kind, START + i * 0.01, i // 45 + 1, data,
                    parent=i - 1 if i % 3 else None, duration_ms=float(i % 500))


def _swarm(n: int) -> Iterator[str]:
    for i in range(0, n - 3, 4):
        task, at, iteration = f"task-{i // 4}", START + i, i // 200 + 1
        yield _line(i, "swarm_task_start", at, iteration, {"task_id": task, "wave": i // 400})
        yield _line(i + 1, "tool_end", at + 0.2, iteration, {
            "tool": "bash", "args": {"command": f"pytest tests/t{i // 4 % 97}.py"},
            "result": "1 passed", "agent_id": f"worker-{i // 4 % 8}"}, duration_ms=200.0)
        if (i // 4) % 10:
            yield _line(i + 2, "swarm_task_complete", at + 0.5, iteration,
                        {"task_id": task, "tokens_used": 1000 + i % 500, "cost_usd": 0.01})
        else:
            yield _line(i + 2, "swarm_task_failed", at + 0.5, iteration, {
                "task_id": task, "error": f"timeout {i}", "skipped": [f"task-{i // 4 + 1}"]})
        yield _line(i + 3, "llm_response", at + 0.7, iteration, {
            "model": "m", "tokens": 900, "input_tokens": 700, "output_tokens": 200,
            "cost": 0.002}, duration_ms=300.0)


SHAPES: dict[str, Callable[[int], Iterator[str]]] = {
    "llm": _llm, "tools": _tools, "iterations": _iterations, "spawns": _spawns,
    "kinds": _kinds, "swarm": _swarm,
}


def write_shape(shape: str, path: Path, events: int) -> Path:
    """Write a trace of `shape` with `events` lines (at least 8) to `path`."""
    if events < 8:
        raise ValueError("a shape needs at least 8 events")
    if shape == "failed":
        with tempfile.TemporaryDirectory(dir=path.parent) as folder:
            base = Path(folder) / path.name  # the same stem: the same session id
            generate.write_trace(base, events)
            with base.open(encoding="utf-8") as lines, path.open("w", encoding="utf-8") as out:
                for line in lines:
                    if _TOOL_END in line:
                        line = line.replace(_TOOL_END, '"kind": "tool_error"').replace(
                            '"result": ', '"error": ')
                    out.write(line)
        return path
    body = SHAPES[shape](events - 2)
    with path.open("w", encoding="utf-8") as fh:
        fh.write(_line(10**11, "session_start", START - 1, None,
                       {"goal": f"a trace of the {shape} shape", "model": "m"}) + "\n")
        written = 1
        for line in body:
            fh.write(line + "\n")
            written += 1
        while written < events - 1:  # shapes made of groups: the rest as custom events
            fh.write(_line(10**11 + written, "custom", START + 10**7 - 1, None,
                           {"n": written}) + "\n")
            written += 1
        fh.write(_line(10**11 + events, "session_end", START + 10**7, None,
                       {"status": "completed"}) + "\n")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("shape", choices=["failed", *SHAPES])
    parser.add_argument("--events", type=generate.parse_count, default=1_000_000,
                        help="lines to write, e.g. 100k, 1m (default 1m)")
    parser.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    write_shape(args.shape, args.out, args.events)
    print(f"{args.out}: {args.events:,} events of the {args.shape} shape")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
