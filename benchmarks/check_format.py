"""Check generated traces against attocode 0.2.30's real TraceCollector, byte for byte.

Each event of a trace is replayed through the collector's own helper it would have come
from (`start_session`, `record_llm_request`, `record_llm_response`, `record_tool_call`,
`record_budget_check`, `record_compaction`, `record_subagent`, `record_error`,
`record_iteration_start`, `record`, `end_session`), with the collector's clock and event ids
pinned to the trace's. The file the collector writes must equal the trace line for line,
`session_end.summary` counters included. Run it after changing generate.py:

    python benchmarks/generate.py trace --events 100k /tmp/t.jsonl
    python benchmarks/check_format.py /tmp/t.jsonl

attocode's wheel is fetched from PyPI once (as bench.py --attocode does) and cached.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import types
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench import fetch_attocode  # noqa: E402  (a sibling script, not a package)

TOP_LEVEL = ("iteration", "parent_event_id", "duration_ms")
#: record_llm_response's optional token breakdown, written only when given.
TOKEN_FIELDS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens")


class _PinnedUuid:
    """Stands in for uuid4(): its `.hex` starts with the trace's next event id."""

    def __init__(self, ids: Iterator[str]) -> None:
        self.hex = next(ids) + "0" * 20


def replay(trace: Path, attocode: Path, out_dir: Path) -> list[str]:
    """The lines attocode's collector writes for the events of `trace`."""
    sys.path.insert(0, str(attocode))
    import attocode.tracing.collector as collector_module
    import attocode.tracing.types as types_module
    from attocode.tracing.types import TraceEventKind

    events = [json.loads(line) for line in trace.read_text(encoding="utf-8").splitlines()]
    clock = {"now": 0.0}
    fake_time = types.SimpleNamespace(time=lambda: clock["now"])
    ids = iter([e["event_id"] for e in events])
    collector_module.time = fake_time
    types_module.time = fake_time
    types_module.uuid = types.SimpleNamespace(uuid4=lambda: _PinnedUuid(ids))
    stem = trace.name[: -len(".jsonl")] if trace.name.endswith(".jsonl") else trace.stem
    collector = collector_module.TraceCollector(output_dir=out_dir, session_id=stem,
                                                flush_on_crash=False)
    for event in events:
        clock["now"] = event["timestamp"]
        _record(collector, TraceEventKind, event)
    if collector.is_active:  # a crashed session: what reached the file before the "crash"
        collector.flush()
    return (out_dir / f"{stem}.jsonl").read_text(encoding="utf-8").splitlines()


def _record(collector: Any, kinds: Any, event: dict[str, Any]) -> None:
    """Call the helper that writes this event, with the arguments that give its line."""
    kind = event["kind"]
    data = dict(event.get("data", {}))
    top = {k: event[k] for k in TOP_LEVEL if k in event}

    def extra() -> dict[str, Any] | None:
        return {**data, **top} or None

    if kind == "session_start":
        goal, model = data.pop("goal"), data.pop("model")
        collector.start_session(goal, model, data)
    elif kind == "session_end":
        collector.end_session(data["status"])
    elif kind == "iteration_start":
        collector.record_iteration_start(top.pop("iteration"))
    elif kind == "llm_request":
        iteration = top.pop("iteration")
        collector.record_llm_request(iteration, data.pop("messages_count"), data.pop("model"),
                                     extra=extra())
    elif kind == "llm_response":
        iteration, duration = top.pop("iteration"), top.pop("duration_ms")
        tokens = {k: data.pop(k) for k in TOKEN_FIELDS if k in data}
        collector.record_llm_response(iteration, data.pop("tokens"), data.pop("cost"), duration,
                                      model=data.pop("model", ""), **tokens, extra=extra())
    elif kind in ("tool_end", "tool_error"):
        iteration, duration = top.pop("iteration"), top.pop("duration_ms")
        collector.record_tool_call(iteration, data.pop("tool"), data.pop("args", None),
                                   data.pop("result", None), duration, data.pop("error", None),
                                   extra=extra())
    elif kind in ("budget_check", "budget_warning", "budget_exhausted"):
        collector.record_budget_check(data.pop("status"), data.pop("usage_fraction"),
                                      data.pop("message", ""), extra=extra())
    elif kind == "compaction_end":
        duration = top.pop("duration_ms", None)
        collector.record_compaction(data.pop("messages_before"), data.pop("messages_after"),
                                    data.pop("tokens_saved"), duration_ms=duration, extra=extra())
    elif kind.startswith("subagent_"):
        collector.record_subagent(data.pop("agent_id"), data.pop("event_type"), **data, **top)
    elif kind == "error":
        iteration = top.pop("iteration", None)
        error_type, message = data.pop("error_type"), data.pop("error")
        error = message if error_type == "str" else type(error_type, (Exception,), {})(message)
        collector.record_error(error, data.pop("context", ""), iteration=iteration,
                               extra=extra())
    else:  # every other kind, record_swarm_* included, is a plain record() call
        collector.record(kinds(kind), **data, **top)


def check(trace: Path, attocode: Path) -> list[str]:
    """Differences between `trace` and what the collector writes (empty when identical)."""
    ours = trace.read_text(encoding="utf-8").splitlines()
    with tempfile.TemporaryDirectory() as out_dir:
        theirs = replay(trace, attocode, Path(out_dir))
    problems = []
    if len(ours) != len(theirs):
        problems.append(f"{len(ours)} lines here, {len(theirs)} from the collector")
    for number, (line, expected) in enumerate(zip(ours, theirs, strict=False), start=1):
        if line != expected:
            problems.append(f"line {number}:\n  generated: {ascii(line)[1:-1][:300]}\n"
                            f"  collector: {ascii(expected)[1:-1][:300]}")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("traces", nargs="+", type=Path)
    parser.add_argument("--cache", type=Path,
                        default=Path(tempfile.gettempdir()) / "attoreport-benchmarks")
    args = parser.parse_args(argv)
    attocode = fetch_attocode(args.cache, sys.executable)
    if attocode is None:
        print("check_format.py: attocode 0.2.30 could not be fetched from PyPI", file=sys.stderr)
        return 2
    failed = 0
    for trace in args.traces:
        problems = check(trace, attocode)
        print(f"{trace}: {'identical' if not problems else f'{len(problems)} difference(s)'}")
        for problem in problems[:5]:
            print(problem)
        failed += bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
