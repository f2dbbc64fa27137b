"""The Perfetto export (Chrome Trace Event Format): fields, tracks, counters, instants, bounds."""

from __future__ import annotations

import json
import tracemalloc
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

import attoreport
from attoreport import loader
from attoreport.analysis.insights import insights
from attoreport.limits import DEFAULT_LIMITS
from attoreport.model import FAILURE_KINDS
from attoreport.report import perfetto
from attoreport.report.perfetto import (
    COST_COUNTER,
    TOKENS_COUNTER,
    BoundedTrace,
    bounded_trace,
    trace_chunks,
)
from attoreport.textsafe import bounded as cut
from attoreport.textsafe import shown
from tests.conftest import ALL_TRACES, FIXTURES, event, write_trace
from tests.test_scale import generic_only

DOOM = FIXTURES / "collector" / "collector-doom-loop-tool-errors.jsonl"
SUBAGENTS = FIXTURES / "collector" / "collector-subagents-hierarchy.jsonl"
HOSTILE = FIXTURES / "hostile" / "hostile-payloads.jsonl"


def analyses(*paths: Path) -> list[attoreport.Analysis]:
    return [attoreport.analyse(s) for s in attoreport.load([str(p) for p in paths])]


def bounded(found: list[attoreport.Analysis], max_events: int,
            limits: attoreport.Limits = DEFAULT_LIMITS) -> BoundedTrace:
    """The report's copy: from the timelines the report draws."""
    timelines = [insights(a, limits).timeline for a in found]
    return bounded_trace(found, timelines, version="t", max_events=max_events)


def export(*paths: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads("".join(trace_chunks(analyses(*paths), version="t")))
    return document


def of_phase(document: dict[str, Any], phase: str) -> list[dict[str, Any]]:
    return [e for e in document["traceEvents"] if e["ph"] == phase]


def check_format(document: dict[str, Any]) -> None:
    """What the Trace Event Format requires of each event, and no overlap on a thread."""
    assert set(document) == {"traceEvents", "displayTimeUnit", "otherData"}
    assert document["displayTimeUnit"] == "ms"
    for e in document["traceEvents"]:
        assert isinstance(e["name"], str) and e["name"]
        assert isinstance(e["pid"], int) and e["pid"] >= 1
        phase = e["ph"]
        assert phase in ("X", "C", "i", "M"), e
        if phase in ("X", "i", "M"):
            assert isinstance(e["tid"], int)
        if phase in ("X", "C", "i"):
            assert isinstance(e["ts"], int), e
        if phase == "X":
            assert isinstance(e["dur"], int) and e["dur"] >= 0, e
            assert e["cat"] in ("iteration", "llm", "tool", "subagent", "swarm", "compaction")
        if phase == "C":
            assert e["args"] and all(isinstance(v, (int, float)) for v in e["args"].values())
        if phase == "i":
            assert e["s"] == "t"
        if phase == "M":
            assert e["name"] in ("process_name", "process_sort_index", "thread_name",
                                 "thread_sort_index")
    assert_no_overlap(of_phase(document, "X"))


def assert_no_overlap(spans: Iterable[dict[str, Any]]) -> None:
    tracks: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    for e in spans:
        tracks[(e["pid"], e["tid"])].append((e["ts"], e["ts"] + e["dur"]))
    for track, intervals in tracks.items():
        intervals.sort()
        for (_, end), (start, _) in zip(intervals, intervals[1:], strict=False):
            assert start >= end, f"overlap on {track}: {start} < {end}"


@pytest.mark.parametrize("trace", [*ALL_TRACES, HOSTILE], ids=lambda p: p.stem)
def test_every_fixture_exports_the_documented_format(trace: Path) -> None:
    document = export(trace)
    check_format(document)
    found = analyses(trace)
    names = {e["pid"]: e["args"]["name"] for e in of_phase(document, "M")
             if e["name"] == "process_name"}
    assert names == {pid: f"session {a.session.session_id}"
                     for pid, a in enumerate(found, start=1)} or trace == HOSTILE
    for pid, a in enumerate(found, start=1):
        counters = [e for e in of_phase(document, "C") if e["pid"] == pid]
        tokens = [e["args"]["tokens"] for e in counters if e["name"] == TOKENS_COUNTER]
        costs = [e["args"]["usd"] for e in counters if e["name"] == COST_COUNTER]
        assert len(tokens) == len(costs)
        if tokens:  # the last running total is the session's own
            assert tokens[-1] == a.summary.total_tokens
            assert costs[-1] == pytest.approx(a.summary.total_cost, abs=1e-6)


def test_calls_iterations_failures_and_counters_of_a_known_trace() -> None:
    document = export(DOOM)
    [a] = analyses(DOOM)
    spans = of_phase(document, "X")
    by_cat = defaultdict(list)
    for e in spans:
        by_cat[e["cat"]].append(e)
    assert len(by_cat["iteration"]) == a.summary.iterations
    assert len(by_cat["llm"]) == a.summary.llm_calls
    assert len(by_cat["tool"]) == a.summary.tool_calls
    first_tool = min(by_cat["tool"], key=lambda e: e["ts"])
    assert first_tool["name"] == "tool bash" and first_tool["dur"] == 4_200_000  # µs
    assert first_tool["args"]["failed"] is True and "assert 52 == 53" in first_tool["args"]["error"]
    failures = of_phase(document, "i")
    expected = sum(n for kind, n in a.event_counts.items() if kind in FAILURE_KINDS)
    assert len(failures) == expected > 0
    assert all(e["cat"] == "error" for e in failures)
    llm = min(by_cat["llm"], key=lambda e: e["ts"])
    assert llm["args"]["tokens"] == 4376 and llm["args"]["model"] == "claude-sonnet-4-20250514"
    assert len(of_phase(document, "C")) == 2 * a.summary.llm_calls


def test_each_subagent_has_tracks_of_its_own() -> None:
    document = export(SUBAGENTS)
    threads = {e["tid"]: e["args"]["name"] for e in of_phase(document, "M")
               if e["name"] == "thread_name"}
    assert "Iterations" in threads.values() and "main agent" in threads.values()
    agents = {name.split(" · ")[0] for name in threads.values() if name.startswith("agent ")}
    assert agents == {"agent sub-logs-1", "agent sub-logs-1.1", "agent sub-logs-2",
                      "agent sub-deps-1"}
    subagent_runs = [e for e in of_phase(document, "X") if e["cat"] == "subagent"]
    assert {threads[e["tid"]].split(" · ")[0] for e in subagent_runs} <= agents
    for e in of_phase(document, "X"):  # every slice sits on a named thread
        assert e["tid"] in threads


def test_calls_running_at_once_never_share_a_thread(tmp_path: Path) -> None:
    # Ten calls that all overlap: more than the timeline's six rows per lane.
    calls = [event("tool_end", 20.0 + i, 1, tool="t", args={"i": i}, duration_ms=15_000.0)
             for i in range(10)]
    later = event("tool_end", 60.0, 1, tool="t", args={"i": "later"}, duration_ms=1000.0)
    trace = write_trace(tmp_path / "t.jsonl", [event("iteration_start", 1.0, 1), *calls, later])
    document = export(trace)
    check_format(document)
    tools = [e for e in of_phase(document, "X") if e["cat"] == "tool"]
    assert len({e["tid"] for e in tools}) == 10
    threads = {e["tid"]: e["args"]["name"] for e in of_phase(document, "M")
               if e["name"] == "thread_name"}
    assert threads[max(tools, key=lambda e: e["ts"])["tid"]] == "main agent"  # reused
    assert sorted(threads.values())[-1] == "main agent · parallel 9"


def test_sessions_are_processes_on_one_clock() -> None:
    document = export(DOOM, SUBAGENTS)
    check_format(document)
    processes = {e["pid"]: e["args"]["name"] for e in of_phase(document, "M")
                 if e["name"] == "process_name"}
    assert processes == {1: "session collector-doom-loop-tool-errors",
                         2: "session collector-subagents-hierarchy"}
    assert min(e["ts"] for e in of_phase(document, "X")) >= 0
    origin = document["otherData"]["origin_unix_seconds"]
    assert origin == min(a.facts.first_timestamp for a in analyses(DOOM, SUBAGENTS))


def test_hostile_names_stay_valid_bounded_json() -> None:
    document = export(HOSTILE)
    for e in document["traceEvents"]:
        assert len(e["name"]) < 400
        for value in e.get("args", {}).values():
            assert not isinstance(value, str) or len(value) < 400


def counted_reads(monkeypatch: pytest.MonkeyPatch) -> Counter[int]:
    """How many times each line of a trace is read again from here on."""
    reads: Counter[int] = Counter()
    read_lines = loader._Lines.read_lines

    def counted(self: loader._Lines, wanted: list[int]) -> dict[int, bytes]:
        reads.update(wanted)
        return read_lines(self, wanted)

    monkeypatch.setattr(loader._Lines, "read_lines", counted)
    return reads


@pytest.mark.parametrize("path", ["typed", "generic"])
def test_error_texts_are_read_again_from_the_trace_once_per_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: str) -> None:
    """The table keeps no error text (a trace of 230,000 failed calls held 42 MB of them and
    spent a second redacting them): the export reads each failed call's line again, in
    parts, once for both its span and its failure marker. Both of the loader's paths mark
    the calls whose lines have an error."""
    if path == "generic":
        generic_only(monkeypatch)
    monkeypatch.setattr(perfetto, "ERROR_ROWS", 3)
    monkeypatch.setattr(loader, "ERROR_BATCH_ROWS", 2)
    events = [event("tool_error", float(i), 1, tool="t", args={"i": i}, error=f"boom {i}",
                    duration_ms=1.0) for i in range(1, 9)]
    events += [
        event("tool_end", 20.0, 1, tool="t", args={"i": 20}, result="ok", error="said so",
              duration_ms=1.0),
        event("tool_end", 21.0, 1, tool="t", args={"i": 21}, result="ok", duration_ms=1.0),
        event("error", 22.0, 1, error={"code": 7}),  # not text: as Python shows it
        event("tool_error", 23.0, 1, tool="t", args={"i": 23}, error="x" * 2000,
              duration_ms=1.0),
    ]
    trace = write_trace(tmp_path / "t.jsonl", events)
    reads = counted_reads(monkeypatch)
    document = export(trace)
    tools = {e["args"]["line"]: e["args"].get("error") for e in of_phase(document, "X")
             if e["cat"] == "tool"}
    long = shown(cut("x" * 2000, loader.ERROR_CHARS), perfetto.ERROR_CHARS)
    assert tools == {**{i: f"boom {i}" for i in range(1, 9)}, 9: "said so", 10: None, 12: long}
    failures = {e["args"]["line"]: e["args"].get("error") for e in of_phase(document, "i")}
    assert failures == {**{i: f"boom {i}" for i in range(1, 9)}, 11: "{'code': 7}", 12: long}
    assert set(reads) == {*range(1, 10), 11, 12} and max(reads.values()) == 1


def test_error_texts_of_rows_shown_in_the_report_are_read_with_their_details(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The report reads the lines of the events it shows (details), then the export asks
    for the error texts of failures, most of them among those events: their lines are not
    read a second time, and their texts are redacted all the same."""
    from tests.test_redaction_hook import SECRET, StandInRedactor

    events = [event("tool_error", float(i), 1, tool="t", args={"i": i},
                    error=f"boom {i} {SECRET}", duration_ms=1.0) for i in range(1, 7)]
    events.append(event("tool_end", 7.0, 1, tool="t", args={"i": 7}, result="ok",
                        duration_ms=1.0))
    [session] = attoreport.load([str(write_trace(tmp_path / "t.jsonl", events))], jobs=1,
                                redactor=StandInRedactor())
    session.details([0, 1, 2, 6])  # lines 1, 2, 3 and the call without an error
    reads = counted_reads(monkeypatch)
    found = session.error_texts(range(7))
    assert found == {row: f"boom {row + 1} [redacted]" for row in range(6)}
    assert set(reads) == {4, 5, 6}  # only the failures whose details were not read


def test_the_bounded_copy_keeps_failures_first_and_says_what_it_left_out(tmp_path: Path) -> None:
    events = [event("tool_end", float(i), 1, tool="t", args={"i": i}, duration_ms=500.0 + i)
              for i in range(1, 200)]
    events += [event("tool_error", 300.0 + i, 1, tool="t", args={"e": i}, error="boom",
                     duration_ms=1.0) for i in range(5)]
    trace = write_trace(tmp_path / "t.jsonl", events)
    found = analyses(trace)
    copy = bounded(found, 40)
    document = json.loads(copy.text)
    check_format(document)
    assert copy.capped and copy.total == 199 + 5 + 5  # spans, failures (no LLM calls)
    assert copy.exported == len([e for e in document["traceEvents"] if e["ph"] != "M"]) <= 40
    tools = of_phase(document, "X")
    assert sum(1 for e in tools if e["args"].get("failed")) == 5
    kept = sorted(e["dur"] for e in tools if not e["args"].get("failed"))
    assert kept[0] > 500_000 + 150 * 1000  # the longest of the successful calls
    whole = bounded(found, 10_000)
    assert not whole.capped and whole.exported == whole.total
    assert json.loads(whole.text)["traceEvents"] == [
        e for e in export(tmp_path / "t.jsonl")["traceEvents"]]  # the same as the file


def test_the_bounded_copy_spreads_failures_over_the_run(tmp_path: Path) -> None:
    """More failures than fit: those kept run from the first to the last, not only the first
    ones (as the timeline chooses)."""
    events = [event("tool_error", 10.0 * i, 1, tool="t", args={"e": i}, error="boom",
                    duration_ms=1.0) for i in range(100)]
    events += [event("tool_end", 5.0 + 10.0 * i, 1, tool="t", args={"i": i}, duration_ms=2.0)
               for i in range(100)]
    found = analyses(write_trace(tmp_path / "t.jsonl", sorted(events, key=lambda e: e["timestamp"])))
    document = json.loads(bounded(found, 40, attoreport.Limits(bars=10_000)).text)
    failed = sorted(e["ts"] for e in of_phase(document, "X") if e["args"].get("failed"))
    assert 5 <= len(failed) <= 20
    assert failed[0] < 1_000_000 and failed[-1] > 980_000_000  # microseconds: 0 s ... 990 s
    assert max(b - a for a, b in zip(failed, failed[1:], strict=False)) < 250_000_000


def test_the_bounded_copy_covers_the_timeline_s_selection(tmp_path: Path) -> None:
    events = [event("tool_end", float(i), 1, tool="t", args={"i": i}, duration_ms=500.0 + i)
              for i in range(1, 60)]
    found = analyses(write_trace(tmp_path / "t.jsonl", events))
    limits = attoreport.Limits(bars=20)
    copy = bounded(found, 10_000, limits)
    assert copy.capped and copy.total == 59 and copy.exported == 20


def test_bounded_counters_keep_the_exact_totals(tmp_path: Path) -> None:
    events = [event("llm_response", float(i), i, tokens=10, cost=0.5, duration_ms=100.0)
              for i in range(1, 101)]
    found = analyses(write_trace(tmp_path / "t.jsonl", events))
    document = json.loads(bounded(found, 40).text)
    tokens = [e["args"]["tokens"] for e in of_phase(document, "C") if e["name"] == TOKENS_COUNTER]
    assert 2 < len(tokens) <= 12 and tokens[-1] == 1000 and tokens[0] == 10


@pytest.mark.slow
def test_the_export_is_streamed(tmp_path: Path) -> None:
    """A large trace goes out in pieces, and the export holds far less than a dict per event."""
    count = 15_000
    events = [event("tool_end", 1.0 + i * 0.01, 1 + i // 100, tool="t", args={"i": i},
                    duration_ms=5.0) for i in range(count)]
    found = analyses(write_trace(tmp_path / "big.jsonl", events))
    assert len(found[0].session.table) == count  # the columns exist before the export
    tracemalloc.start()
    try:
        pieces = 0
        size = 0
        for piece in trace_chunks(found, version="t"):
            pieces += 1
            size += len(piece)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert pieces > count // 2000
    # A dict per event would take well over 500 bytes each; the columns take about 100.
    assert peak < count * 250, peak
    assert size > count * 80


def test_counters_are_running_totals_at_each_timed_response(tmp_path: Path) -> None:
    """Every timed LLM response gets the totals so far, in file order, counting the responses
    without a time too (legacy lines); the bounded copy samples them, ending with the last."""
    events: list[dict[str, Any] | str] = []
    for i in range(1, 31):
        if i % 7 == 0:  # a legacy line without a timestamp: counted, not placed
            events.append(json.dumps({"type": "llm.complete", "iteration": i, "tokens": 1000,
                                      "cost": 0.25}))
        else:
            events.append(event("llm_response", float(i), i, tokens=i, cost=i / 100,
                                duration_ms=10.0))
    found = analyses(write_trace(tmp_path / "t.jsonl", events))
    tokens_so_far, cost_so_far, expected = 0, 0.0, []
    for i in range(1, 31):
        tokens_so_far += 1000 if i % 7 == 0 else i
        cost_so_far += 0.25 if i % 7 == 0 else i / 100
        if i % 7:
            expected.append((tokens_so_far, round(cost_so_far, 6)))
    for document in (export(tmp_path / "t.jsonl"), json.loads(bounded(found, 14).text)):
        counters = of_phase(document, "C")
        tokens = [e["args"]["tokens"] for e in counters if e["name"] == TOKENS_COUNTER]
        usd = [e["args"]["usd"] for e in counters if e["name"] == COST_COUNTER]
        pairs = list(zip(tokens, usd, strict=True))
        assert pairs[-1] == expected[-1] and set(pairs) <= set(expected)
        assert pairs == sorted(pairs)
    assert len(of_phase(export(tmp_path / "t.jsonl"), "C")) == 2 * len(expected)


def test_token_counters_beyond_64_bits_stay_exact(tmp_path: Path) -> None:
    """10,000 responses of 10^15 tokens (the most a value may say) sum past 2^63: the running
    totals become Python integers instead of overflowing."""
    events = [event("llm_response", float(i), 1, tokens=10**15, cost=0.0, duration_ms=1.0)
              for i in range(1, 10_001)]
    document = export(write_trace(tmp_path / "t.jsonl", events))
    tokens = [e["args"]["tokens"] for e in of_phase(document, "C") if e["name"] == TOKENS_COUNTER]
    assert tokens[-1] == 10**19 > 2**63 and tokens[0] == 10**15
