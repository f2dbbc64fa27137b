"""benchmarks/: the trace generator writes what Attocode's TraceCollector writes, and attoreport
reads it cleanly; bench.py's sizes, cache, process measurements and target checks do what they say.

Nothing here asserts on time: the measurements are checked for their memory figures and shape.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import re
import subprocess
import sys
import textwrap
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import attoreport
from tests.conftest import FIXTURES

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
generate = importlib.import_module("generate")
bench = importlib.import_module("bench")
shapes = importlib.import_module("shapes")

#: Attocode's 47 kinds, as its own collector wrote them into the all-kinds fixture.
ALL_KINDS = frozenset(
    json.loads(line)["kind"]
    for line in (FIXTURES / "collector" / "collector-all-kinds-markdown-goal.jsonl").open()
)
KEY_ORDER = ("event_id", "kind", "timestamp", "session_id", "iteration", "data",
             "parent_event_id", "duration_ms")
REQUIRED = ("event_id", "kind", "timestamp", "session_id")
EVENTS = 3_000


def read(path: Path) -> tuple[list[str], list[dict[str, Any]]]:
    lines = path.read_text(encoding="ascii").split("\n")
    assert lines[-1] == ""  # every line ends with a newline
    return lines[:-1], [json.loads(line) for line in lines[:-1]]


@pytest.fixture(scope="module")
def trace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("gen") / "bench-session.jsonl"
    generate.write_trace(path, EVENTS, seed=7)
    return path


@pytest.fixture(scope="module")
def events(trace: Path) -> list[dict[str, Any]]:
    return read(trace)[1]


@pytest.fixture(scope="module")
def by_id(events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {e["event_id"]: e for e in events}


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


# -- the collector's line format ---------------------------------------------------------


def test_every_line_is_exactly_what_the_collector_writes(trace: Path) -> None:
    lines, parsed = read(trace)
    for line, event in zip(lines, parsed, strict=True):
        assert json.dumps(event) == line  # default separators, ensure_ascii, key order kept
        keys = list(event)
        assert keys == [k for k in KEY_ORDER if k in event], keys
        assert all(k in event for k in REQUIRED)
        assert len(event["event_id"]) == 12 and int(event["event_id"], 16) >= 0
        assert event["event_id"] == event["event_id"].lower()
        assert event["session_id"] == "bench-session"  # the file's stem
        assert isinstance(event["timestamp"], float)
        assert event.get("data", {"x": 1})  # empty data is left out, never written as {}
        assert isinstance(event.get("iteration", 0), int)
        assert isinstance(event.get("duration_ms", 0.0), float)
        assert all(len(s) <= generate.STRING_LIMIT for s in strings(event.get("data", {})))
    cut = [s for e in parsed for s in strings(e.get("data", {})) if len(s) == generate.STRING_LIMIT]
    assert cut  # long tool results were cut, as the collector cuts them


@pytest.mark.parametrize("count", [12, 13, 14, 15, 16, 17, 50, 999, 2_345])
def test_a_trace_has_exactly_the_events_asked_for(tmp_path: Path, count: int) -> None:
    written = generate.write_trace(tmp_path / "t.jsonl", count, seed=count)
    lines, events = read(tmp_path / "t.jsonl")
    assert written.events == len(lines) == count
    assert written.bytes == (tmp_path / "t.jsonl").stat().st_size
    assert events[0]["kind"] == "session_start"
    assert events[-1]["kind"] == "session_end"
    assert [e["kind"] for e in events].count("session_end") == 1


@pytest.mark.parametrize("count", [12, 100, 1_000])
def test_an_open_session_stops_inside_an_iteration(tmp_path: Path, count: int) -> None:
    generate.write_trace(tmp_path / "t.jsonl", count, seed=3, closed=False)
    lines, events = read(tmp_path / "t.jsonl")
    assert len(lines) == count
    assert "session_end" not in {e["kind"] for e in events}


def test_too_few_events_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least"):
        generate.write_trace(tmp_path / "t.jsonl", generate.MIN_EVENTS - 1)


def test_every_kind_appears(events: list[dict[str, Any]]) -> None:
    assert len(ALL_KINDS) == 47
    assert {e["kind"] for e in events} == ALL_KINDS


@pytest.mark.parametrize("seed", range(5))
def test_every_kind_appears_in_a_thousand_events(tmp_path: Path, seed: int) -> None:
    generate.write_trace(tmp_path / "t.jsonl", 1_000, seed=seed)
    assert {e["kind"] for e in read(tmp_path / "t.jsonl")[1]} == ALL_KINDS


def test_the_same_seed_gives_the_same_bytes(tmp_path: Path) -> None:
    for name, seed in (("a", 11), ("b", 11), ("c", 12)):
        (tmp_path / name).mkdir()
        generate.write_trace(tmp_path / name / "t.jsonl", 500, seed=seed)
    a, b, c = ((tmp_path / n / "t.jsonl").read_bytes() for n in "abc")
    assert a == b
    assert a != c


# -- a realistic session ---------------------------------------------------------------------


def test_file_order_is_time_order(events: list[dict[str, Any]]) -> None:
    stamps = [e["timestamp"] for e in events]
    assert stamps == sorted(stamps)


def test_iterations_open_and_close_around_their_events(events: list[dict[str, Any]]) -> None:
    starts = [e["iteration"] for e in events if e["kind"] == "iteration_start"]
    ends = [e["iteration"] for e in events if e["kind"] == "iteration_end"]
    assert starts == ends == list(range(1, len(starts) + 1))
    current = None
    for e in events:
        if e["kind"] == "iteration_start":
            current = e["iteration"]
        if "iteration" in e:
            assert e["iteration"] == current, e
        if e["kind"] == "iteration_end":
            current = None
            assert e["duration_ms"] > 0


def test_parent_links_point_back_to_their_start(events: list[dict[str, Any]],
                                               by_id: dict[str, dict[str, Any]]) -> None:
    seen: set[str] = set()
    for e in events:
        parent_id = e.get("parent_event_id")
        if parent_id is not None:
            assert parent_id in seen, e  # written before its children
            parent = by_id[parent_id]
            expected = {
                "tool_end": {"tool_start", "llm_response"}, "tool_error": {"tool_start", "llm_response"},
                "compaction_end": {"compaction_start"}, "plan_step_start": {"plan_created"},
                "swarm_wave_start": {"swarm_start"}, "swarm_wave_complete": {"swarm_wave_start"},
                "swarm_complete": {"swarm_start"}, "swarm_task_start": {"swarm_wave_start"},
                "subagent_spawn": {"tool_start", "tool_end", "tool_error"},
                "llm_request": {"subagent_spawn"}, "llm_response": {"subagent_spawn"},
            }.get(e["kind"])
            if e["kind"] in ("tool_end", "tool_error") and parent["kind"] == "tool_start":
                assert parent["data"] == {"tool": e["data"]["tool"], "args": e["data"]["args"]}
            if expected is not None:
                assert parent["kind"] in expected, (e, parent)
        seen.add(e["event_id"])


def test_every_tool_start_ends_once(events: list[dict[str, Any]]) -> None:
    starts = {e["event_id"] for e in events if e["kind"] == "tool_start"}
    ends = Counter(e.get("parent_event_id") for e in events
                   if e["kind"] in ("tool_end", "tool_error"))
    assert starts and all(ends[start] == 1 for start in starts)
    assert ends[None] > 0  # record_tool_call alone (no tool_start) is common too
    assert all(e["duration_ms"] > 0 for e in events if e["kind"] in ("tool_end", "tool_error"))


def test_subagent_events_belong_to_their_spawn(events: list[dict[str, Any]],
                                               by_id: dict[str, dict[str, Any]]) -> None:
    spawns = {e["data"]["agent_id"]: e for e in events if e["kind"] == "subagent_spawn"}
    ends = [e for e in events if e["kind"] in ("subagent_complete", "subagent_error",
                                               "subagent_timeout")]
    assert len(ends) == len(spawns)  # every subagent ends, one way or another
    assert {e["kind"] for e in ends} == {"subagent_complete", "subagent_error", "subagent_timeout"}
    nested = [agent for agent in spawns if "." in agent]
    assert nested  # a subagent started by a subagent, from one of its tool calls
    for agent in nested:
        spawned_by = by_id[spawns[agent]["parent_event_id"]]
        assert spawned_by["data"]["agent_id"] == agent.rsplit(".", 1)[0]
    for e in events:
        agent = e.get("data", {}).get("agent_id")
        if agent is None or e["kind"] == "subagent_spawn":
            continue
        node = e
        while node["kind"] != "subagent_spawn":  # walk up: tool -> llm_response -> spawn
            node = by_id[node["parent_event_id"]]
        assert node["data"]["agent_id"] == agent


def test_subagents_run_in_parallel_lanes(events: list[dict[str, Any]]) -> None:
    """Events of different subagents interleave in the file, as parallel lanes do."""
    lanes = [e["data"]["agent_id"] for e in events
             if e["kind"] == "llm_response" and "agent_id" in e.get("data", {})]
    switches = sum(a != b for a, b in zip(lanes, lanes[1:], strict=False))
    assert switches > len(set(lanes))


def test_the_summary_is_the_collectors_own_count(events: list[dict[str, Any]]) -> None:
    kinds = Counter(e["kind"] for e in events)
    responses = [e["data"] for e in events if e["kind"] == "llm_response"]
    end = events[-1]["data"]
    assert end["summary"] == {
        "session_id": "bench-session",
        "total_events": len(events) - 1,
        "total_tokens": sum(r["tokens"] for r in responses),
        "total_cost": round(sum(r["cost"] for r in responses), 6),
        "duration_seconds": end["duration_seconds"],
        "iterations": kinds["iteration_start"],
        "tool_calls": kinds["tool_end"] + kinds["tool_error"],
        "llm_calls": kinds["llm_request"],
        "errors": kinds["tool_error"] + kinds["error"],
        "compactions": kinds["compaction_end"],
    }
    assert end["duration_seconds"] == round(events[-1]["timestamp"] - events[0]["timestamp"], 3)


def test_token_figures_follow_the_collectors_convention(events: list[dict[str, Any]]) -> None:
    responses = [e["data"] for e in events if e["kind"] == "llm_response"]
    for r in responses:
        parts = (r["input_tokens"], r["output_tokens"], r["cache_read_tokens"],
                 r["cache_write_tokens"])
        assert r["tokens"] == sum(parts)
        p_in, p_out, p_read, p_write = generate.PRICES[r["model"]]
        assert r["cost"] == round((parts[0] * p_in + parts[1] * p_out + parts[2] * p_read
                                   + parts[3] * p_write) / 1e6, 6)
    warm = [r for r in responses if r["cache_read_tokens"] > 0]
    assert len(warm) > 0.8 * len(responses)  # the prompt cache mostly hits


def test_errors_come_at_realistic_rates(tmp_path: Path) -> None:
    generate.write_trace(tmp_path / "t.jsonl", 20_000, seed=5)
    lines, events = read(tmp_path / "t.jsonl")
    kinds = Counter(e["kind"] for e in events)
    calls = kinds["tool_end"] + kinds["tool_error"]
    assert 0.02 < kinds["tool_error"] / calls < 0.2
    assert 0.002 < kinds["llm_error"] / kinds["llm_request"] < 0.05
    timeouts = [(e, re.search(r"timed out after (\d+)", e["data"]["error"])) for e in events
                if e["kind"] == "tool_error"]
    timeouts = [(e, int(m.group(1))) for e, m in timeouts if m]
    assert {limit for _, limit in timeouts} == {30, 120, 180}  # MCP, bash, subagent
    assert all(e["duration_ms"] >= limit * 1000 for e, limit in timeouts)
    assert kinds["subagent_timeout"] >= 1
    responses = [e["data"] for e in events if e["kind"] == "llm_response"]
    assert any(r["tokens"] == 0 for r in responses)  # an empty response
    assert any(r["cache_read_tokens"] == 0 and r["cache_write_tokens"] > 20_000
               for r in responses)  # the cache went cold after a pause
    assert 5 < len(events) / kinds["iteration_start"] < 20  # a few LLM and tool calls each
    bytes_per_event = sum(len(line) + 1 for line in lines) / len(lines)
    assert 220 < bytes_per_event < 320  # so 1M events make roughly the 250 MB of issue 10


# -- attoreport reads it -------------------------------------------------------------------


def test_attoreport_loads_it_without_a_diagnostic(trace: Path, events: list[dict[str, Any]]) -> None:
    sessions = attoreport.load([str(trace)])
    document = json.loads(attoreport.render_json([attoreport.analyse(s) for s in sessions]))
    [session] = document["sessions"]
    kinds = Counter(e["kind"] for e in events)
    responses = [e["data"] for e in events if e["kind"] == "llm_response"]
    assert session["diagnostics"] == []
    assert session["session_id"] == "bench-session"
    assert session["open"] is False
    assert session["event_counts"] == dict(kinds)
    summary = session["summary"]
    assert summary["goal"] == events[0]["data"]["goal"]
    assert summary["iterations"] == kinds["iteration_start"]
    assert summary["tool_calls"] == kinds["tool_end"] + kinds["tool_error"]
    assert summary["llm_calls"] == kinds["llm_response"]
    assert summary["errors"] == kinds["tool_error"] + kinds["error"] + kinds["llm_error"]
    assert summary["compactions"] == kinds["compaction_end"]
    assert summary["total_tokens"] == sum(r["tokens"] for r in responses)
    assert document["sessions"][0]["issues"]  # a realistic session has something to say


def test_a_folder_holds_varied_sessions_attoreport_reads(tmp_path: Path) -> None:
    written = generate.write_folder(tmp_path / "traces", 6, 300, seed=1, crashed_rate=0.5)
    names = [p.name for p in written.paths]
    assert names == sorted(names) == sorted(p.name for p in (tmp_path / "traces").iterdir())
    assert written.events == 6 * 300
    first_lines = [read(p)[1] for p in written.paths]
    assert len({events[0]["data"]["goal"] for events in first_lines}) > 1
    closed = ["session_end" in {e["kind"] for e in events} for events in first_lines]
    assert any(closed) and not all(closed)  # some crashed (no session_end)
    sessions = attoreport.load([str(tmp_path / "traces")])
    document = json.loads(attoreport.render_json([attoreport.analyse(s) for s in sessions]))
    assert [s["session_id"] for s in document["sessions"]] == [p.stem for p in written.paths]
    assert [s["open"] for s in document["sessions"]] == [not c for c in closed]
    assert all(s["diagnostics"] == [] for s in document["sessions"])


def test_the_command_line_writes_a_trace_and_a_folder(tmp_path: Path) -> None:
    assert generate.main(["trace", "--events", "1k", str(tmp_path / "one.jsonl")]) == 0
    assert len(read(tmp_path / "one.jsonl")[0]) == 1_000
    assert generate.main(["folder", "--files", "3", "--events", "40", str(tmp_path / "f")]) == 0
    assert len(list((tmp_path / "f").glob("*.jsonl"))) == 3
    assert generate.main(["trace", "--events", "5", str(tmp_path / "tiny.jsonl")]) == 2
    assert not (tmp_path / "tiny.jsonl").exists()


@pytest.mark.parametrize(("text", "count"), [("10k", 10_000), ("1m", 1_000_000),
                                             ("2.5m", 2_500_000), ("1_000", 1_000), ("42", 42)])
def test_counts_read_like_people_write_them(text: str, count: int) -> None:
    assert generate.parse_count(text) == count


@pytest.mark.parametrize("text", ["ten", "1.5k5", "-3", "0.5", ""])
def test_bad_counts_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        generate.parse_count(text)


# -- bench.py --------------------------------------------------------------------------------


def test_sizes_name_traces_and_folders() -> None:
    specs = bench.parse_sizes("10k, 1m,folder,folder:20x500")
    assert [(s.events, s.files, s.label) for s in specs] == [
        (10_000, 0, "10k"), (1_000_000, 0, "1m"), (1_000, 1_000, "folder 1000x1000"),
        (500, 20, "folder 20x500")]
    for bad in ("folder:20", "folder:0x100", "5", "", "lots"):
        with pytest.raises(ValueError):
            bench.parse_sizes(bad)


def test_generated_inputs_are_cached(tmp_path: Path) -> None:
    said: list[str] = []
    spec, folder = bench.parse_sizes("200,folder:3x50")
    first = bench.cached_input(spec, tmp_path, seed=1, say=said.append)
    again = bench.cached_input(spec, tmp_path, seed=1, say=said.append)
    assert first == again and len(said) == 1
    assert first.path.parent.parent.name == bench.generator_key()
    assert (first.files, first.events) == (1, 200)
    tree = bench.cached_input(folder, tmp_path, seed=1, say=said.append)
    assert (tree.files, tree.events, tree.is_folder) == (3, 150, True)
    assert not list(tmp_path.rglob("*.partial"))


def _python(code: str) -> list[str]:
    return [sys.executable, "-c", bench.PRELUDE + textwrap.dedent(code)]


def test_a_run_reports_the_main_process_and_its_worker_apart(tmp_path: Path) -> None:
    sample = bench.run_once(_python("""
        import subprocess, sys
        main = bytearray(60 * 2**20)
        subprocess.run([sys.executable, "-c", "x = bytearray(150 * 2**20)"], check=True)
        open("out.txt", "w").write("done")
    """), output=tmp_path / "out.txt", workdir=tmp_path)
    # Lower bounds only: on a busy machine a peak can read high, never low.
    assert sample.main_kib > 60 * 1024
    assert sample.workers_kib > 150 * 1024
    assert sample.output_bytes == 4
    assert sample.cpu_s > 0 and sample.wall_s > 0


def test_a_run_that_leaves_through_os_exit_still_reports_its_worker_apart(tmp_path: Path) -> None:
    """attoreport's command ends with os._exit (no interpreter teardown, no atexit)."""
    sample = bench.run_once(_python("""
        import os, subprocess, sys
        main = bytearray(60 * 2**20)
        subprocess.run([sys.executable, "-c", "x = bytearray(150 * 2**20)"], check=True)
        os._exit(0)
    """), output=None, workdir=tmp_path)
    # Lower bounds only, as above: on a busy machine a peak can read high, never low.
    assert sample.main_kib > 60 * 1024
    assert sample.workers_kib > 150 * 1024


def test_a_run_that_skips_its_exit_handlers_still_has_its_peak(tmp_path: Path) -> None:
    sample = bench.run_once(_python("""
        import posix, subprocess, sys
        main = bytearray(60 * 2**20)
        subprocess.run([sys.executable, "-c", "x = bytearray(150 * 2**20)"], check=True)
        posix._exit(0)  # past atexit and past the prelude's os._exit
    """), output=None, workdir=tmp_path)
    assert sample.main_kib > 150 * 1024  # from wait4: the largest of the process tree
    assert sample.workers_kib == bench.UNKNOWN
    assert bench._mb(sample.workers_kib) == "?"


def test_a_failed_run_says_why_without_raw_control_characters(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match=r"exit code 3: .*\\x1b\[31mboom") as failure:
        bench.run_once(_python("""
            import sys
            sys.stderr.write("\\x1b[31mboom")
            sys.exit(3)
        """), output=None, workdir=tmp_path)
    assert "\x1b" not in str(failure.value)


def test_tree_memory_sums_a_process_and_its_children() -> None:
    code = ("import subprocess, sys; x = bytearray(40 * 2**20); "
            "c = subprocess.Popen([sys.executable, '-c', "
            "'import sys; y = bytearray(90 * 2**20); print(1, flush=True); sys.stdin.read()'], "
            "stdin=subprocess.PIPE, stdout=subprocess.PIPE); c.stdout.readline(); "
            "print(1, flush=True); sys.stdin.read(); c.stdin.close(); c.wait()")
    parent = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE)
    try:
        assert parent.stdout is not None and parent.stdout.readline()  # both hold their memory
        assert bench.tree_rss_kib(parent.pid) > (40 + 90) * 1024
        assert bench.tree_pss_kib(parent.pid) > (40 + 90) * 1024
        assert bench._rss_kib(parent.pid) < 90 * 1024
    finally:
        parent.communicate(b"")
    assert bench.tree_rss_kib(parent.pid) == 0  # gone


def _result(label: str, kind: str, wall: float, tree_mb: float = 50, out_mb: float | None = None,
            events: int = 100_000, files: int = 1, folder: bool = False,
            tmp: Path | None = None) -> Any:
    path = (tmp or Path("/nonexistent")) / label
    if folder and tmp is not None:
        path.mkdir(exist_ok=True)
    source = bench.Input(label, path, files, events, 1.0)
    out = int(out_mb * 1e6) if out_mb is not None else None
    sample = bench.Sample(wall, wall, int(tree_mb * 1024), 0, int(tree_mb * 1024), out)
    return bench.Result(source, kind, [sample])


def test_targets_are_checked_against_the_floor_of_the_same_input(tmp_path: Path) -> None:
    results = [
        _result("100k", "floor", 0.1), _result("100k", "html", 0.25, out_mb=2.0),
        _result("100k", "json", 0.2),
        _result("1m", "floor", 1.0, events=1_000_000), _result("1m", "html", 2.5, tree_mb=240,
                                                               out_mb=7.5, events=1_000_000),
        _result("1m", "json", 1.4, tree_mb=260, events=1_000_000),
    ]
    checks = "\n".join(bench.target_lines(results))
    assert "met      100k events, full HTML report [100k, html]: 2.50 x floor" in checks
    assert "NOT met  1M events, full HTML report [1m, html]: 2.50 x floor (target <= 2)" in checks
    assert "met      1M events, --json only [1m, json]: 1.40 x floor" in checks
    assert "NOT met  1M events, peak RSS (whole process tree) [1m, json]: 260.00 MB" in checks
    assert "met      1M events, peak RSS (whole process tree) [1m, html]: 240.00 MB" in checks
    assert "NOT met  report size, any input [1m, html]: 7.50 MB" in checks
    assert "met      report size, any input [100k, html]: 2.00 MB" in checks
    assert "folder" not in checks
    table = "\n".join(bench.table(results))
    assert "  25.00  " not in table and "2.50" in table  # ratio to the same input's floor


def test_one_quick_run_prints_the_machine_the_table_and_saves_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    saved = tmp_path / "results.json"
    status = bench.main(["--sizes", "300", "--repeat", "1", "--runs", "json",
                         "--cache", str(tmp_path / "cache"), "--save", str(saved),
                         "--keep", str(tmp_path / "kept")])
    out = capsys.readouterr().out
    assert status == 0
    assert out.splitlines()[0].startswith("machine: ")
    assert "attoreport " in out and "orjson " in out
    header = next(i for i, line in enumerate(out.splitlines()) if line.startswith("input "))
    floor, json_run = (line.split() for line in out.splitlines()[header + 1:header + 3])
    assert floor[:4] == ["300", "300", "0.1", "floor"] and floor[5] == "1.00"
    assert json_run[0] == "json" and float(json_run[-1]) > 0  # the JSON document's size
    document = json.loads(saved.read_text())
    assert [r["run"] for r in document["results"]] == ["floor", "json"]
    assert all(r["error"] is None and len(r["samples"]) == 1 for r in document["results"])
    kept = json.loads((tmp_path / "kept" / "300-json.json").read_text())
    assert kept["sessions"][0]["session_id"] == "session-300"


def test_bad_options_are_refused_before_anything_runs(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cache = tmp_path / "cache"
    for argv in (["--sizes", "7"], ["--runs", "pdf"], ["--repeat", "0"],
                 ["--input", str(tmp_path / "missing.jsonl")]):
        assert bench.main([*argv, "--cache", str(cache)]) == 2
        assert capsys.readouterr().err.startswith("bench.py: ")
    assert not cache.exists()


def test_an_existing_trace_can_be_measured_too(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    trace = tmp_path / "mine.jsonl"
    trace.write_text((FIXTURES / "collector" / "collector-clean-feature.jsonl").read_text()
                     + "\n\nnot json\n")
    source = bench.given_input(trace)
    assert (source.label, source.files, source.events) == ("mine.jsonl", 1, 70)
    [floor] = bench.measure_input(source, ["floor"], bench.Runner(sys.executable, [], None), 1,
                                  None, lambda line: None)
    assert floor.error is None and len(floor.samples) == 1  # damaged lines do not stop the floor


# -- browser_draw.py ---------------------------------------------------------------------------


@pytest.fixture
def browser_draw() -> Any:
    """benchmarks/browser_draw.py, where Playwright and Debian's Chromium are there."""
    pytest.importorskip("playwright")
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("no /usr/bin/chromium")
    return importlib.import_module("browser_draw")


@pytest.mark.browser
def test_browser_draw_counts_charts_and_dead_links(tmp_path: Path, browser_draw: Any) -> None:
    report = tmp_path / "report.html"
    sessions = attoreport.load([str(FIXTURES / "collector" / "collector-clean-feature.jsonl")])
    html = attoreport.render_html([attoreport.analyse(s) for s in sessions])
    extra = '<a name="old-anchor"></a><a href="#old-anchor">a</a><a href="#no-such-\x1bid">b</a>'
    report.write_text(html.replace("</body>", extra + "</body>"), encoding="utf-8")
    draw = browser_draw.measure_draw_isolated(report)  # in a child process, as bench.py does
    assert draw.charts >= 2 and draw.drawn == draw.charts and not draw.timed_out
    assert draw.charts_ms is not None and draw.charts_ms >= (draw.dom_content_loaded_ms or 0)
    assert draw.dead_links == 1 and draw.links > 2  # a named anchor is a live target
    assert draw.dead_examples == ["no-such-\\x1bid"]
    assert draw.errors == []
    assert draw.js_heap_mb > 0 and draw.dom_nodes > 100


@pytest.mark.browser
def test_browser_draw_counts_static_charts_as_drawn_with_the_page(tmp_path: Path,
                                                                  browser_draw: Any) -> None:
    report = tmp_path / "static.html"
    sessions = attoreport.load([str(FIXTURES / "collector")])
    report.write_text(attoreport.render_html([attoreport.analyse(s) for s in sessions]),
                      encoding="utf-8")
    draw = browser_draw.measure_draw_isolated(report)
    assert draw.charts == 3 + 4 * len(sessions) == draw.drawn and not draw.timed_out
    lines = browser_draw.target_lines("folder", draw)
    assert lines[0].split()[0] == "met" and "every chart drawn [folder]" in lines[0]
    assert lines[1].split()[0] == "met" and "0 dead of" in lines[1]
    slow = dataclasses.replace(draw, charts_ms=3500.0, dead_links=2)
    assert [line.split()[:2] for line in browser_draw.target_lines("x", slow)] == [
        ["NOT", "met"], ["NOT", "met"]]


@pytest.mark.browser
def test_browser_draw_gives_up_on_a_page_that_hangs(tmp_path: Path, browser_draw: Any) -> None:
    report = tmp_path / "hang.html"
    report.write_text("<div data-chart></div><script>while (true) {}</script>", encoding="utf-8")
    draw = browser_draw.measure_draw_isolated(report, timeout_s=1, limit_s=8)
    assert draw.timed_out and draw.errors == ["gave up after 8 s"]


# --- parity.py (attocode itself is fetched from PyPI, so only its comparison is tested here) ---

parity = importlib.import_module("parity")


def _as_attocode_prints(expected: dict[str, Any]) -> dict[str, Any]:
    """An expected.json in the shape parity.py's attocode process prints."""
    return {"open": expected["session"]["open_session"], "summary": expected["summary"],
            "token_flow": expected["token_flow"], "total_cost": expected["total_cost"],
            "cache_efficiency": expected["cache_efficiency"],
            "token_breakdown": expected["token_breakdown"],
            "cost_by_iteration": expected["cost_by_iteration"],
            "cache_stats": expected["cache_boundary"]["stats"], "issues": expected["issues"],
            "event_counts": expected["event_counts"]}


def test_parity_finds_no_difference_where_the_fixtures_agree_and_names_one_that_differs() -> None:
    trace = FIXTURES / "collector" / "collector-doom-loop-tool-errors.jsonl"
    theirs = _as_attocode_prints(json.loads(trace.with_suffix(".expected.json").read_text()))
    notes: list[str] = []
    assert parity.differences(trace, theirs, notes) == [] and notes == []
    theirs["total_cost"] *= 1.001
    theirs["issues"] = theirs["issues"][1:]
    found = parity.differences(trace, theirs, notes)
    assert [line.split(":")[0].split("[")[0] for line in found] == ["total_cost", "issues"]


def test_parity_lists_a_float_iteration_key_apart() -> None:
    trace = FIXTURES / "collector" / "collector-doom-loop-tool-errors.jsonl"
    theirs = _as_attocode_prints(json.loads(trace.with_suffix(".expected.json").read_text()))
    theirs["cost_by_iteration"] = {f"{k}.0" if k == "2" else k: v
                                   for k, v in theirs["cost_by_iteration"].items()}
    notes: list[str] = []
    assert parity.differences(trace, theirs, notes) == []
    assert len(notes) == 1 and "'2.0'" in notes[0]


def test_a_damaged_copy_keeps_most_lines_and_damages_some(tmp_path: Path) -> None:
    source, target = tmp_path / "t.jsonl", tmp_path / "d.jsonl"
    generate.write_trace(source, 2000, seed=3)
    parity.damaged_copy(source, target, seed=4)
    before = source.read_text().splitlines()
    after = target.read_text().split("\n")[:-1]
    assert 0.9 * len(before) < len(after) < 1.1 * len(before)
    changed = len(set(after) - set(before) - {""})
    assert 0.04 * len(before) < changed < 0.2 * len(before)
    assert "" in after
    [session] = attoreport.load([str(target)], jobs=1)
    assert session.diagnostics  # the blank lines are reported


def test_a_forked_worker_leaving_through_os_exit_reports_nothing(tmp_path: Path) -> None:
    """Forked pool workers leave through os._exit too; only the measured process reports, so
    its figures are never a worker's."""
    sample = bench.run_once(_python("""
        import os, posix
        pid = os.fork()
        if pid == 0:
            x = bytearray(100 * 2**20)
            os._exit(0)
        os.waitpid(pid, 0)
        posix._exit(0)  # the measured process itself leaves without reporting
    """), output=None, workdir=tmp_path)
    assert sample.workers_kib == bench.UNKNOWN


@pytest.mark.parametrize("shape", ["failed", *sorted(shapes.SHAPES)])
def test_each_shape_writes_exactly_its_events_in_the_collector_format(shape: str,
                                                                       tmp_path: Path) -> None:
    path = shapes.write_shape(shape, tmp_path / f"{shape}.jsonl", 403)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 403
    events = [json.loads(line) for line in lines]
    assert all(line == json.dumps(event) for line, event in zip(lines, events, strict=True))
    kinds = Counter(event["kind"] for event in events)
    assert (events[0]["kind"], events[-1]["kind"]) == ("session_start", "session_end")
    [session] = attoreport.load([str(path)], jobs=1)
    assert len(session.table) == 403 and session.diagnostics == []
    analysis = attoreport.analyse(session)
    pushed = {"failed": "tool_error", "llm": "llm_response", "tools": "tool_end",
              "iterations": "iteration_end", "spawns": "subagent_complete",
              "kinds": "checkpoint", "swarm": "swarm_task_complete"}[shape]
    assert kinds[pushed] > 0
    if shape == "failed":
        assert kinds["tool_end"] == 0 and analysis.summary.tool_calls == kinds["tool_error"]
    elif shape == "kinds":
        assert set(kinds) == ALL_KINDS
    else:
        assert kinds[pushed] >= 403 // 5
