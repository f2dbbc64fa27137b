"""The analysis's column-speed computations equal plain, obvious ones.

Each plain version here is the straightforward loop over every event (what the analysis did
before it was made fast); both run on every fixture and on generated traces, with budgets
small enough to make every selection choose.
"""

from __future__ import annotations

import heapq
import importlib
import json
import math
import sys
import tracemalloc
from array import array
from collections import deque
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from attoreport import analyse, loader
from attoreport.analysis import cache, columns
from attoreport.analysis.cache import WINDOW, CacheCall, track_cache
from attoreport.analysis.detectors import cache_drop, empty_response, token_spike
from attoreport.analysis.facts import SessionFacts, collect_facts
from attoreport.analysis.insights import origin
from attoreport.analysis.iterations import IterationStats, iteration_stats
from attoreport.analysis.select import (
    ISSUE_KINDS,
    SESSION_WIDE_KINDS,
    issue_rows,
    slowest_rows,
    time_order,
)
from attoreport.analysis.series import CacheSeries, bins, cache_series
from attoreport.analysis.timeline import (
    Lanes,
    Marker,
    RawSpan,
    Span,
    Timeline,
    _lanes,
    _length,
    _pack_rows,
    build_timeline,
    timeline_items,
)
from attoreport.analysis.tokens import TokenFlowPoint, token_totals
from attoreport.model import (
    ERROR_KINDS,
    NO_ITERATION,
    TOOL_CALL_KINDS,
    EventTable,
    LlmColumns,
    Session,
)
from tests.conftest import FIXTURES

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
generate = importlib.import_module("generate")


def evenly(items: list[Any], size: int) -> list[Any]:
    """`size` of `items` at evenly spaced places, the first and last among them."""
    if len(items) <= size:
        return items
    if size == 1:
        return items[-1:]
    step = (len(items) - 1) / (size - 1)
    return [items[round(j * step)] for j in range(size)]


def plain_select(spans: list[RawSpan], budget: int) -> list[RawSpan]:
    if len(spans) <= budget:
        return spans
    chosen = set(evenly([i for i, s in enumerate(spans) if s[6]], budget // 2))
    wanted = budget - len(chosen)
    iterations = [i for i, s in enumerate(spans) if s[3] == "iteration"]
    calls = [i for i, s in enumerate(spans) if s[3] != "iteration" and not s[6]]
    failed = [i for i, s in enumerate(spans) if s[6]]
    for pool, share in ((iterations, wanted // 2), (calls, wanted), (iterations, wanted),
                        (failed, wanted)):
        # nlargest is stable: earlier spans first among equals
        chosen.update(heapq.nlargest(min(share, budget - len(chosen)),
                                     (i for i in pool if i not in chosen),
                                     key=lambda i: spans[i][2]))
    return [spans[i] for i in sorted(chosen, key=lambda i: (spans[i][1], i))]


def plain_timeline(table: EventTable, start: float, max_spans: int) -> Timeline:
    spans: list[RawSpan] = []
    markers: list[Marker] = []
    total_markers = 0
    for item in timeline_items(table, start):
        if isinstance(item, Marker):
            total_markers += 1
            markers.append(item)
        else:
            spans.append(item)
    markers = evenly(markers, max(1, max_spans // 4))
    kept = plain_select(spans, max_spans)
    rows = _pack_rows(kept)
    result = [Span(lane, r, begin, seconds, group, event, iteration, failed)
              for (lane, begin, seconds, group, event, iteration, failed), r
              in zip(kept, rows, strict=True)]
    return Timeline(start, _length(table, start), result, markers, _lanes(result, markers),
                    len(spans), total_markers)


def sessions() -> list[tuple[str, Session]]:
    found = []
    for trace in sorted(FIXTURES.glob("*/*.jsonl")):
        try:
            found += [(trace.stem, s) for s in loader.load([str(trace)], jobs=1)]
        except Exception:  # noqa: BLE001 - a fixture that is not a trace
            continue
    return found


SESSIONS = sessions()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test twice, whole-column questions answered by builtins, then through numpy;
    once, a test that compares the two itself (marked `both_readers`)."""
    if metafunc.definition.get_closest_marker("both_readers") is None:
        metafunc.parametrize("column_reader", ["builtins", "numpy"], indirect=True)


@pytest.fixture(autouse=True)
def column_reader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The reader a test runs with (see pytest_generate_tests); "both" for a marked test."""
    reader = str(getattr(request, "param", "both"))
    if reader != "both":
        monkeypatch.setattr(columns, "VECTOR_ROWS", 0 if reader == "numpy" else 10**12)
        monkeypatch.setattr(cache, "NUMPY_CALLS", 0 if reader == "numpy" else 10**12)
        if reader == "numpy":
            importlib.import_module("numpy")  # the series use it only when it is imported
    return reader


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> list[Session]:
    folder = tmp_path_factory.mktemp("generated")
    out = []
    for seed in (1, 2):
        path = folder / f"g{seed}.jsonl"
        generate.write_trace(path, 4000, seed=seed, closed=seed == 1)
        out += loader.load([str(path)], jobs=1)
    return out


@pytest.mark.parametrize("name,session", SESSIONS, ids=[n for n, _ in SESSIONS])
@pytest.mark.parametrize("budget", [3000, 20, 3])
def test_timeline_on_fixtures(name: str, session: Session, budget: int) -> None:
    start = origin(analyse(session))
    assert build_timeline(session.table, start, budget) == plain_timeline(session.table, start,
                                                                          budget)


@pytest.mark.parametrize("budget", [100_000, 2000, 300, 7])
def test_timeline_on_generated_traces(generated: list[Session], budget: int) -> None:
    for session in generated:
        start = origin(analyse(session))
        fast = build_timeline(session.table, start, budget)
        assert fast == plain_timeline(session.table, start, budget)
        assert len(fast.spans) == min(budget, fast.total_spans)


def test_lanes_are_computed_only_for_what_is_kept(generated: list[Session],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[int] = []
    call = Lanes.__call__

    def counting(self: Lanes, row: int) -> str:
        asked.append(row)
        return call(self, row)

    monkeypatch.setattr(Lanes, "__call__", counting)
    session = generated[0]
    timeline = build_timeline(session.table, origin(analyse(session)), 50)
    assert len(asked) <= len(timeline.spans) + len(timeline.markers)


def test_timeline_ties_negative_durations_and_missing_times(tmp_path: Path) -> None:
    """Equal starts, equal lengths, negative durations and failures without a time."""
    from tests.conftest import event, write_trace

    events: list[dict | str] = [event("iteration_start", 0.0, 1)]
    for i in range(40):
        kind = "tool_error" if i % 5 == 0 else "tool_end"
        # Pairs end at the same moment with the same length: equal starts and lengths.
        events.append(event(kind, 10.0 + i // 2, 1, tool="t", duration_ms=500.0 * (i // 2 % 3)))
        if i % 7 == 0:
            events.append(event("tool_end", 12.0 + i, 1, tool="t", duration_ms=-300.0))
    events += ['{"type": "tool.error", "data": {"tool": "t"}}', event("iteration_end", 80.0, 1)]
    session = loader.load([str(write_trace(tmp_path / "t.jsonl", events))], jobs=1)[0]
    assert session.table.missing_timestamps == 1
    for budget in (100, 12, 9, 4):
        assert build_timeline(session.table, 0.0, budget) == plain_timeline(session.table, 0.0,
                                                                            budget)


def test_the_iterations_of_llm_calls_take_8_bytes_each(tmp_path: Path) -> None:
    """An iteration number per LLM call, None for a call outside any: a list held a Python
    integer each (a million calls in 100,000 iterations: 40 MB, now 8 MB)."""
    from tests.conftest import event, write_trace

    events = [event("llm_response", float(i), 1000 + i, tokens=5) for i in range(20_000)]
    events.append(event("llm_response", 20_000.0, None, tokens=5))
    [session] = loader.load([str(write_trace(tmp_path / "t.jsonl", events))], jobs=1)
    collect_facts(session)  # what the first call sets up once
    tracemalloc.start()
    try:
        facts = collect_facts(session)
        kept = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert kept < 250_000  # a list: 814,000 bytes
    found = facts.llm_iterations
    assert len(found) == 20_001 and found[0] == 1000 and found[-1] is None
    assert found[-2:] == [20_999, None] and found == [*range(1000, 21_000), None]
    assert token_totals(session.table.llm, found).token_flow.iterations[0] == 0  # None: 0


@pytest.mark.parametrize("spread", [True, False])
def test_many_spans_of_one_length(tmp_path: Path, spread: bool) -> None:
    """Hundreds of calls as long as the shortest span kept, subagent runs as long as them
    (ending anywhere among the calls), and (`spread`) iterations and failed calls chosen
    before them: the spans and slowest events kept are those the plain sort keeps (a
    million LLM calls of one length were all sorted in Python: 1.3 s)."""
    from tests.conftest import event, write_trace

    events: list[dict | str] = []
    for i in range(400):
        if spread:
            events.append(event("iteration_start", 100.0 * i, i + 1))
        length = 500.0 if i % 9 else 900.0
        kind = "tool_error" if spread and i % 13 == 0 else "tool_end"
        events.append(event(kind, 100.0 * i + 2, i + 1, tool="t", duration_ms=length))
        events.append(event("llm_response", 100.0 * i + 3, i + 1, tokens=5, duration_ms=500.0))
        if i % 4 == 0:  # a subagent run of 0.5 s, ending after the calls of later rows
            agent = f"a{i}"
            events.append(event("subagent_spawn", 100.0 * i + 4, i + 1, agent_id=agent))
            events.append(event("subagent_complete", 100.0 * i + 4.5, i + 1, agent_id=agent))
        if spread:
            events.append(event("iteration_end", 100.0 * i + 5, i + 1))
    table = loader.load([str(write_trace(tmp_path / "t.jsonl", events))], jobs=1)[0].table
    for budget in (5, 40, 300, 900, 1300):
        assert build_timeline(table, 0.0, budget) == plain_timeline(table, 0.0, budget)
    for count in (1, 44, 45, 46, 300, 10**4):
        assert slowest_rows(table, count) == heapq.nlargest(
            count, (r for r, ms in enumerate(table.display_durations) if ms == ms and ms > 0),
            key=table.display_durations.__getitem__)


@pytest.mark.parametrize("seed", range(8))
def test_timeline_of_iterations_that_end_out_of_turn(seed: int, tmp_path: Path) -> None:
    """Iteration spans when ends do not follow their starts: an end of another iteration
    (ignored), an end twice (the first closes), a start closing the one before, an end before
    any start, untimed starts and ends, subagents between them, an iteration open at the end."""
    import random

    from tests.conftest import event, write_trace

    rng = random.Random(seed)
    events: list[dict | str] = [event("iteration_end", 0.5, 1)]
    for i in range(60):
        at = 1.0 + i
        roll = rng.random()
        number = rng.choice([1, 2, 3, i % 4])
        if roll < 0.35:
            events.append(event("iteration_start", at, number))
        elif roll < 0.7:
            events.append(event("iteration_end", at, number))
        elif roll < 0.8:
            events.append(event("subagent_spawn", at, number, agent_id=f"a{i % 3}"))
        elif roll < 0.9:
            events.append(event(rng.choice(["subagent_complete", "subagent_error"]), at, number,
                                agent_id=f"a{i % 3}"))
        else:
            events.append(rng.choice(['{"type": "iteration", "iteration": 4}',
                                      event("iteration_start", at - 30.0, number)]))
    session = loader.load([str(write_trace(tmp_path / "t.jsonl", events))], jobs=1)[0]
    for budget in (200, 10):
        assert build_timeline(session.table, 0.0, budget) == plain_timeline(session.table, 0.0,
                                                                            budget)


def plain_iteration_stats(table: EventTable) -> dict[int, IterationStats]:
    names = table.kind_names
    error_codes = {c for c, n in enumerate(names) if n in ERROR_KINDS}
    tool_codes = {c for c, n in enumerate(names) if n in TOOL_CALL_KINDS}
    start_code = names.index("iteration_start")
    end_code = names.index("iteration_end")
    stats: dict[int, IterationStats] = {}
    starts: dict[int, float] = {}
    for row, iteration in enumerate(table.iterations):
        if iteration == NO_ITERATION:
            continue
        s = stats.get(iteration)
        if s is None:
            s = stats[iteration] = IterationStats(iteration)
        s.events += 1
        kind, ts = table.kinds[row], table.timestamps[row]
        if s.started is None and ts == ts:
            s.started = ts
        s.tool_calls += kind in tool_codes
        s.errors += kind in error_codes
        if kind == start_code:
            if ts == ts:
                starts[iteration] = ts
        elif kind == end_code:
            if not math.isnan(table.durations[row]):
                s.duration_ms = table.durations[row]
            elif iteration in starts and ts == ts:
                s.duration_ms = (ts - starts[iteration]) * 1000.0
    llm = table.llm
    for row, tokens, cost in zip(llm.rows, llm.tokens, llm.cost, strict=True):
        iteration = table.iterations[row]
        if iteration != NO_ITERATION:
            s = stats[iteration]
            s.llm_calls += 1
            s.tokens += tokens
            s.cost += cost
    return dict(sorted(stats.items()))


def test_iteration_stats(generated: list[Session]) -> None:
    for session in [s for _, s in SESSIONS] + generated:
        fast = iteration_stats(session.table)
        assert list(fast) == list(plain_iteration_stats(session.table))
        assert fast == plain_iteration_stats(session.table)


def plain_cache_calls(llm: LlmColumns, iterations: list[int | None]) -> list[CacheCall]:
    inputs, reads, writes = llm.input_tokens, llm.cache_read_tokens, llm.cache_write_tokens
    rates = [r / (i + r) if i + r else None for i, r in zip(inputs, reads, strict=True)]
    averages: list[float | None] = []
    recent: deque[float] = deque(maxlen=WINDOW)
    for rate in rates:
        if rate is not None:
            recent.append(rate)
        averages.append(sum(recent) / len(recent) if recent else None)
    out = []
    for k in range(len(reads)):
        window = reads[max(0, k + 1 - WINDOW): k + 1]
        weighted = sum(r * (i + 1) for i, r in enumerate(window))
        boundary = int(weighted / sum(range(1, len(window) + 1)))
        out.append(CacheCall(k + 1, iterations[k], inputs[k], reads[k], writes[k], rates[k],
                             averages[k], boundary))
    return out


def plain_cache_series(calls: list[CacheCall], max_points: int) -> CacheSeries:
    ranges = bins(len(calls), max_points)

    def mean(values: list[float | None]) -> float | None:
        present = [v for v in values if v is not None]
        return sum(present) / len(present) if present else None

    return CacheSeries(
        calls=[calls[b - 1].index for _, b in ranges],
        hit_rate=[mean([c.hit_rate for c in calls[a:b]]) for a, b in ranges],
        moving_average=[calls[b - 1].moving_average for _, b in ranges],
        boundary=[calls[b - 1].boundary for _, b in ranges],
        binned=len(ranges) < len(calls),
    )


def test_cache_calls_and_series(generated: list[Session]) -> None:
    for session in [s for _, s in SESSIONS] + generated:
        a = analyse(session)
        plain = plain_cache_calls(session.table.llm, a.facts.llm_iterations)
        assert a.cache.calls == plain
        assert a.cache.calls_at([0, len(plain) - 1] if plain else []) == (
            [plain[0], plain[-1]] if plain else [])
        for points in (1500, 30, 1):
            assert cache_series(a.cache, points) == plain_cache_series(plain, points)


@pytest.mark.both_readers
@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(-3, 2**30), st.integers(-3, 2**30)), max_size=60),
       st.sampled_from([None, 2**52 - 1, 2**52, 2**53 + 1]))
def test_cache_series_through_numpy_equal_the_plain_loop(pairs: list[tuple[int, int]],
                                                         big: int | None) -> None:
    """Hit rates (none for a call without input or reads), moving averages and boundary
    estimates: through numpy when every count is exact there, through Python integers when
    one is too large; the same either way."""
    importlib.import_module("numpy")
    if big is not None and pairs:
        pairs[-1] = (pairs[-1][0], big)
    size = len(pairs)
    llm = LlmColumns(rows=array("q", range(size)), tokens=array("q", [0] * size),
                     cost=array("d", [0.0] * size),
                     input_tokens=array("q", [p[0] for p in pairs]),
                     output_tokens=array("q", [0] * size),
                     cache_read_tokens=array("q", [p[1] for p in pairs]),
                     cache_write_tokens=array("q", [0] * size),
                     has_token_keys=array("B", [1] * size), models=array("i", [-1] * size))
    iterations: list[int | None] = [None] * size
    plain = plain_cache_calls(llm, iterations)
    for calls in (0, 10**12):
        with patch.object(cache, "NUMPY_CALLS", calls):
            found = track_cache(llm, iterations)
            assert found.calls == plain
            for points in (7, 1):
                assert cache_series(found, points) == plain_cache_series(plain, points)


@pytest.mark.both_readers
@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(-2, 2**20), st.integers(0, 2**20), st.integers(0, 2**12),
                          st.integers(0, 2**14), st.booleans()), max_size=50),
       st.sampled_from([None, 2**53 + 1, -(2**62)]))
@example([(0, 0, 0, 0, True), (0, 0, 0, 0, False), (5, 5, 3, 1, True), (5, 5, 0, 0, True)],
         None)  # empty responses, with and without token keys
@example([(1, 0, 1, 1, True)] * 3 + [(1, 0, 1, 4, True)], None)  # 4 > 2 x 1.75
@example([(1, 0, 1, 2**53 + 1, True), (1, 0, 1, 2**53 - 1, True), (1, 0, 1, 0, True),
          (1, 0, 1, 0, True)], None)  # above 2 x 2**52 by 1, which a float cannot tell
def test_llm_call_rules_through_numpy_equal_the_plain_loop(
        rows: list[tuple[int, int, int, int, bool]], big: int | None) -> None:
    """The cache-drop, token-spike and empty-response rules find the same calls whether
    numpy picks the candidates or every call is looked at (counts beyond 2**53 included)."""
    importlib.import_module("numpy")
    size = len(rows)
    columns_of = [list(column) for column in zip(*rows, strict=True)] or [[]] * 5
    inputs, reads, outputs, tokens, keys = columns_of
    if big is not None and size:
        inputs[0], tokens[-1] = big, big
    llm = LlmColumns(rows=array("q", range(size)), tokens=array("q", tokens),
                     cost=array("d", [0.0] * size), input_tokens=array("q", inputs),
                     output_tokens=array("q", outputs), cache_read_tokens=array("q", reads),
                     cache_write_tokens=array("q", [0] * size),
                     has_token_keys=array("B", map(int, keys)), models=array("i", [-1] * size))
    facts = SessionFacts(llm=llm, llm_iterations=list(range(size)))
    found = []
    for calls in (0, 10**12):
        with patch.object(cache, "NUMPY_CALLS", calls):
            found.append([rule(facts) for rule in (cache_drop, token_spike, empty_response)])
    assert found[0] == found[1]
    if rows[-1:] == [(1, 0, 1, 4, True)] or rows[:1] == [(1, 0, 1, 2**53 + 1, True)]:
        assert len(found[0][1]) == 1  # the spike is found
    if rows[:1] == [(0, 0, 0, 0, True)]:
        assert [issue.iteration for issue in found[0][2]] == [0, 3]


def test_timeline_keeps_the_busiest_lanes(tmp_path: Path) -> None:
    """Sixty subagents: the chart keeps the main agent and the agents with failures first,
    then the busiest, within its rows; the rest are counted."""
    from tests.conftest import event, write_trace

    events: list[dict] = [event("iteration_start", 0.0, 1)]
    events.append(event("tool_end", 1.0, 1, tool="main", duration_ms=500.0))
    for n in range(60):
        agent = f"a{n}"
        calls = 1 + n % 5  # some agents busier than others
        for i in range(calls):
            events.append(event("tool_end", 2.0 + n + i * 0.1, 1, tool="t", agent_id=agent,
                                duration_ms=50.0))
        if n % 20 == 7:
            events.append(event("tool_error", 2.5 + n, 1, tool="t", agent_id=agent,
                                error="boom", duration_ms=10.0))
    session = loader.load([str(write_trace(tmp_path / "t.jsonl", events))], jobs=1)[0]
    timeline = build_timeline(session.table, 0.0, 3000, max_rows=10)
    lanes = [lane for lane, _ in timeline.lanes]
    assert sum(rows for _, rows in timeline.lanes) <= 9  # and a shared row for the rest
    assert timeline.total_lanes == 62 and lanes[:2] == ["Iterations", "main agent"]
    assert timeline.shared_lanes == 62 - len(lanes)
    assert {"a7", "a27", "a47"} <= set(lanes)  # the agents with failures
    others = [lane for lane in lanes[2:] if lane not in {"a7", "a27", "a47"}]
    assert all(int(lane[1:]) % 5 == 4 for lane in others)  # then the busiest (5 calls)
    assert len({s.lane for s in timeline.spans}) == 62  # every span kept, in its own lane
    assert build_timeline(session.table, 0.0, 3000).total_lanes == 0  # not limited


@pytest.mark.both_readers
def test_column_questions_agree(generated: list[Session], monkeypatch: pytest.MonkeyPatch) -> None:
    """Builtins and numpy answer every whole-column question alike."""
    for session in [s for _, s in SESSIONS] + generated:
        table = session.table
        answers = []
        for rows in (0, 10**12):
            monkeypatch.setattr(columns, "VECTOR_ROWS", rows)
            answers.append((columns.rows_of_kinds(table, {1, 5, 7, 9}), columns.kind_counts(table),
                            columns.counts_by_iteration(table),
                            columns.counts_by_iteration(table, {9, 10, 30}),
                            columns.first_timestamps(table), columns.time_range(table),
                            columns.max_iteration(table)))
        assert answers[0] == answers[1]


@pytest.mark.both_readers
def test_facts_agree(generated: list[Session], monkeypatch: pytest.MonkeyPatch) -> None:
    """The facts every rule reads are the same read through builtins or numpy, tools and
    repeated calls in the same order."""
    for session in [s for _, s in SESSIONS] + generated:
        found = []
        for rows in (0, 10**12):
            monkeypatch.setattr(columns, "VECTOR_ROWS", rows)
            facts = collect_facts(session)
            found.append((facts, list(facts.tools), list(facts.repeated_calls)))
        assert found[0] == found[1]


def plain_issue_rows(table: EventTable, issues: list, per_issue: int) -> list[int]:
    names = table.kind_names
    at_iteration: dict[int, set[int]] = {}
    anywhere: set[int] = set()
    for issue in issues:
        wanted = {c for c, n in enumerate(names) if n in ISSUE_KINDS.get(issue.category, ())}
        if issue.iteration is not None and wanted:
            at_iteration.setdefault(issue.iteration, set()).update(wanted)
        anywhere.update(c for c, n in enumerate(names)
                        if n in SESSION_WIDE_KINDS.get(issue.category, ()))
    found: list[int] = []
    counts: dict[tuple[str, int], int] = {}
    for row, kind in enumerate(table.kinds):
        iteration = table.iterations[row]
        if kind in anywhere:
            key = ("kind", kind)
        elif iteration in at_iteration and kind in at_iteration[iteration]:
            key = ("iteration", iteration)
        else:
            continue
        if counts.get(key, 0) < per_issue:
            counts[key] = counts.get(key, 0) + 1
            found.append(row)
    return found


def plain_time_order(table: EventTable) -> list[int] | None:
    stamps = [0.0 if t != t else t for t in table.timestamps]
    order = sorted(range(len(stamps)), key=stamps.__getitem__)
    return None if order == list(range(len(stamps))) else order


def test_selections(generated: list[Session], tmp_path: Path,
                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Through numpy, the issue events are found a part of the table at a time: here in
    parts of 97 rows, so every generated table has many."""
    from attoreport.analysis import select
    from tests.conftest import event, write_trace

    monkeypatch.setattr(select, "CANDIDATE_ROWS", 97)

    shuffled = [event("custom", ts) for ts in (5.0, 1.0, 3.0, 1.0, 4.0)]
    shuffled.append('{"type": "error", "data": {}}')  # a legacy line without a time
    extra = loader.load([str(write_trace(tmp_path / "s.jsonl", shuffled))], jobs=1)
    for session in [s for _, s in SESSIONS] + generated + extra:
        table, issues = session.table, analyse(session).issues
        assert time_order(table) == plain_time_order(table)
        for per_issue in (8, 1):
            assert issue_rows(table, issues, per_issue) == plain_issue_rows(table, issues,
                                                                            per_issue)
        for count in (0, 3, 200, 10**6):
            assert slowest_rows(table, count) == heapq.nlargest(
                count, (r for r, ms in enumerate(table.display_durations) if ms == ms and ms > 0),
                key=table.display_durations.__getitem__)


# -- token flow: columns equal Attocode's dict of points ------------------------------------


def _plain_token_flow(iterations: list[int | None], figures: list[tuple[int, ...]],
                      costs: list[float]) -> tuple[list[TokenFlowPoint], dict[int, float]]:
    """Attocode's TokenAnalyzer loop: one point per iteration, in iteration order."""
    points: dict[int, TokenFlowPoint] = {}
    by_iteration: dict[int, float] = {}
    spent = 0.0
    for iteration, (tokens, inp, out, read, write), cost in zip(
            iterations, figures, costs, strict=True):
        key = iteration or 0
        point = points.setdefault(key, TokenFlowPoint(key))
        point.input_tokens += inp
        point.output_tokens += out
        point.cache_read_tokens += read
        point.cache_write_tokens += write
        point.total_tokens += tokens or (inp + out + read + write)
        spent += cost
        point.cumulative_cost = spent
        by_iteration[key] = by_iteration.get(key, 0.0) + cost
    return [points[k] for k in sorted(points)], by_iteration


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.none(), st.integers(0, 6)),
                          st.tuples(*[st.integers(0, 2**40)] * 5),
                          st.floats(0, 10, allow_nan=False)), max_size=40), st.booleans())
def test_token_flow_columns_equal_attocode_points(rows: list[tuple[Any, ...]],
                                                  huge: bool) -> None:
    """Iterations out of order, met again later, None (iteration 0), sums beyond 64 bits:
    the same points, through builtins and through numpy."""
    iterations = [r[0] for r in rows]
    figures = [r[1] for r in rows]
    if huge and figures:  # sums beyond 64 bits: Python integers
        figures = [(2**62, 2**62, *f[2:]) for f in figures]
    costs = [r[2] for r in rows]
    llm = LlmColumns(rows=array("q", range(len(rows))),
                     tokens=array("q", [f[0] for f in figures]), cost=array("d", costs),
                     input_tokens=array("q", [f[1] for f in figures]),
                     output_tokens=array("q", [f[2] for f in figures]),
                     cache_read_tokens=array("q", [f[3] for f in figures]),
                     cache_write_tokens=array("q", [f[4] for f in figures]),
                     has_token_keys=array("B", [1] * len(rows)),
                     models=array("i", [-1] * len(rows)))
    points, by_iteration = _plain_token_flow(iterations, figures, costs)
    for np in (None, pytest.importorskip("numpy")):
        totals = token_totals(llm, iterations, np)
        assert list(totals.token_flow) == points
        assert totals.token_flow == points
        costs_found = totals.cost_by_iteration
        assert costs_found == by_iteration
        assert list(costs_found) == list(by_iteration)  # first met, first listed
        assert list(costs_found.items()) == list(by_iteration.items())
        assert list(costs_found.values()) == list(by_iteration.values())
        assert [costs_found[k] for k in reversed(by_iteration)] == list(reversed(
            by_iteration.values()))  # looked up in any order
        assert costs_found.get(99) is None and 99 not in costs_found
        assert totals.total_cost == sum(costs)
        assert totals.breakdown == {name: sum(f[i] for f in figures) for i, name in enumerate(
            ("input", "output", "cache_read", "cache_write"), start=1)}
        for point in points:
            assert totals.token_flow.point(point.iteration) == point
        assert totals.token_flow.point(99) is None
        assert totals.token_flow[1:3] == points[1:3]


def test_costs_of_a_long_session_s_iterations_take_a_few_bytes_each() -> None:
    """Through numpy (a long session), each iteration's cost is kept in two 8-byte columns,
    not a dict entry (333,000 iterations: 29 MB as a dict)."""
    np = pytest.importorskip("numpy")
    size = 20_000
    llm = LlmColumns(rows=array("q", range(size)), tokens=array("q", [5] * size),
                     cost=array("d", [0.5] * size), input_tokens=array("q", [1] * size),
                     output_tokens=array("q", [1] * size),
                     cache_read_tokens=array("q", [0] * size),
                     cache_write_tokens=array("q", [0] * size),
                     has_token_keys=array("B", [1] * size), models=array("i", [-1] * size))
    iterations = list(range(size, 0, -1))  # met in reverse: sorted for the flow, not here
    token_totals(llm, iterations, np)  # what the first call sets up once
    tracemalloc.start()
    try:
        totals = token_totals(llm, iterations, np)
        kept = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert kept < 2_000_000  # with a dict: 2.9 MB (the token flow's columns: 1.1 MB)
    assert list(totals.cost_by_iteration)[:2] == [size, size - 1]
    assert totals.cost_by_iteration[1] == 0.5


def test_iteration_figures_of_repeated_and_untimed_iteration_ends() -> None:
    """Both ways (builtins and numpy): an iteration ended twice keeps its last end's
    duration; with an end that has no duration, ends fall back to end minus latest start;
    an iteration whose rows have no timestamp has no start time."""
    def line(kind: str, ts: float | None, iteration: int, **extra: Any) -> bytes:
        record: dict[str, Any] = {"kind": kind, "iteration": iteration, "data": {}, **extra}
        if ts is not None:
            record["timestamp"] = ts
        return json.dumps(record).encode()

    lines = [line("session_start", 100.0, 0, data={"goal": "g"}),
             line("iteration_start", 101.0, 1), line("iteration_end", 102.0, 1, duration_ms=5.0),
             line("iteration_end", 103.0, 1, duration_ms=7.0),
             line("iteration_start", 104.0, 2), line("iteration_end", 106.0, 2, duration_ms=9.0)]
    [session] = loader.load_lines(lines, "t.jsonl", "t")
    stats = iteration_stats(session.table)
    assert stats[1].duration_ms == 7.0 and stats[2].duration_ms == 9.0
    assert stats[1].started == 101.0 and stats[1].events == 3
    untimed = [*lines[:-1], line("iteration_end", 106.0, 2)]  # no duration: end - start
    [session] = loader.load_lines(untimed, "t.jsonl", "t")
    stats = iteration_stats(session.table)
    assert stats[1].duration_ms == 7.0 and stats[2].duration_ms == 2000.0


@pytest.mark.both_readers
@pytest.mark.parametrize("seed", range(4))
def test_whole_documents_are_equal_both_ways_on_damaged_traces(seed: int, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch
                                                               ) -> None:
    """The JSON document and the HTML report of a damaged trace (values of the wrong type,
    nulls, lost, repeated and swapped lines) are the same whether every whole-column question
    is answered by builtins or through numpy (which production uses from 200,000 rows)."""
    import re
    from datetime import datetime, timezone

    from attoreport.report import html as html_stage
    from attoreport.report.jsondoc import session_document
    from attoreport.report.page import build_report

    parity = importlib.import_module("parity")
    source, damaged = tmp_path / "t.jsonl", tmp_path / "d.jsonl"
    generate.write_trace(source, 2000, seed=seed, closed=seed != 3)
    parity.damaged_copy(source, damaged, seed=seed)
    nonce = re.compile(r"nonce-[\w-]+|nonce=\"[\w-]+\"")
    outputs = []
    for rows in (10**12, 0):
        monkeypatch.setattr(columns, "VECTOR_ROWS", rows)
        monkeypatch.setattr(loader, "NUMPY_ROWS", rows)
        [session] = loader.load([str(damaged)], jobs=1)
        analysis = analyse(session)
        view = build_report([analysis], version="t", now=datetime(2026, 1, 1, tzinfo=timezone.utc))
        outputs.append((json.dumps(session_document(analysis), sort_keys=True, default=str),
                        nonce.sub("N", html_stage.render_view(view))))
    assert outputs[0][0] == outputs[1][0]
    assert outputs[0][1] == outputs[1][1]


def plain_evidence(session: Session) -> tuple[Any, ...]:
    """`evidence.gather`'s figures by the obvious loop over every row."""
    from attoreport.analysis.evidence import FILE_CHANGE_ROWS, LAST_RUNS
    from attoreport.model import FLAG_BUILD_COMMAND, FLAG_REPORTED_FAILURE, FLAG_TEST_COMMAND

    table = session.table
    runs: dict[str, list[tuple[int, bool]]] = {"test": [], "build": []}
    reported = 0
    calls = table.tool_calls
    if calls is not None and table.flags is not None:
        for row in calls.rows:
            bits = table.flags[row]
            reported += bool(bits & FLAG_REPORTED_FAILURE)
            passed = table.kind(row) != "tool_error" and not bits & FLAG_REPORTED_FAILURE
            if bits & FLAG_TEST_COMMAND:
                runs["test"].append((row, passed))
            elif bits & FLAG_BUILD_COMMAND:
                runs["build"].append((row, passed))
    kept = sorted(runs["test"][-LAST_RUNS:] + runs["build"][-LAST_RUNS:])
    changes = [row for row in range(len(table)) if table.kind(row) == "file_change"]
    return kept, reported, changes[-FILE_CHANGE_ROWS:]


def test_evidence_equals_the_plain_loop(tmp_path: Path) -> None:
    """Test and build runs, reported failures and the last file changes (each fixture, and a
    generated trace with more file changes than are kept), both ways."""
    from attoreport.analysis.evidence import FILE_CHANGE_ROWS, gather

    generated = tmp_path / "t.jsonl"
    generate.write_trace(generated, 8000, seed=5)
    sessions = [s for trace in [*FIXTURES.glob("*/*.jsonl"), generated]
                if trace.parent.name != "hostile" for s in loader.load([str(trace)], jobs=1)]
    many = 0
    for session in sessions:
        found = gather(session)
        runs, reported, changes = plain_evidence(session)
        assert [(r.row, r.passed) for r in found.runs] == runs
        assert (found.reported_failures, found.file_change_rows) == (reported, changes)
        many = max(many, len(changes))
    assert many == FILE_CHANGE_ROWS  # some session has more than are kept


class _Rows:
    """A table of `rows` rows, as far as `numpy_for` looks."""

    def __init__(self, rows: int) -> None:
        self.rows = rows

    def __len__(self) -> int:
        return self.rows


@pytest.mark.both_readers
def test_numpy_reads_mid_sized_tables_once_it_is_imported(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables of a twelfth of VECTOR_ROWS and more are read through numpy when it is imported
    already (its import is what a smaller table cannot repay); below that, never."""
    import sys

    import numpy

    monkeypatch.setattr(columns, "VECTOR_ROWS", 48_000)
    ask = columns.numpy_for
    assert ask(_Rows(3_999)) is None  # type: ignore[arg-type]
    assert ask(_Rows(4_000)) is numpy and ask(_Rows(48_000)) is numpy  # type: ignore[arg-type]
    monkeypatch.delitem(sys.modules, "numpy")
    assert ask(_Rows(4_000)) is None and ask(_Rows(47_999)) is None  # type: ignore[arg-type]


def test_iterations_cost_a_few_bytes_each_in_the_timeline(tmp_path: Path) -> None:
    """The timeline's iteration and subagent spans are columns: 10,000 iterations once
    kept a 260-byte tuple each while the selection ran (23 MB at a million events)."""
    import tracemalloc

    from attoreport.analysis.timeline import _SpanColumns

    lines = []
    for i in range(10_000):
        lines.append({"kind": "iteration_start", "timestamp": 2.0 * i, "iteration": i + 1})
        lines.append({"kind": "iteration_end", "timestamp": 2.0 * i + 1, "iteration": i + 1})
    path = tmp_path / "t.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    [session] = loader.load([str(path)], jobs=1)
    _SpanColumns.of(session.table, 0.0)  # numpy imported, if this reader uses it
    tracemalloc.start()
    try:
        found = _SpanColumns.of(session.table, 0.0)
        kept = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert len(found) == 10_000 and found.length(10_000 - 1) == 1.0
    assert kept < 10_000 * 60, kept


def test_iteration_durations_without_their_own(tmp_path: Path) -> None:
    """Ends without a duration: timed from the latest start of their iteration before them
    that had a time (a start without one is passed over); the last end that gives one wins;
    iterations interleaved (a subagent's numbering) and ends before any start."""
    lines = [
        {"kind": "iteration_end", "timestamp": 0.5, "iteration": 9},  # no start yet
        {"kind": "iteration_start", "timestamp": 1.0, "iteration": 1},
        {"kind": "iteration_start", "timestamp": 1.5, "iteration": 2},
        {"type": "iteration", "iteration": 1},  # an older line, no time: changes nothing
        {"kind": "iteration_end", "timestamp": 2.0, "iteration": 2},
        {"kind": "iteration_end", "timestamp": 3.25, "iteration": 1},
        {"kind": "iteration_start", "timestamp": 4.0, "iteration": 2},
        {"kind": "iteration_end", "timestamp": 4.5, "iteration": 2, "duration_ms": 7.0},
        {"kind": "iteration_end", "timestamp": None, "iteration": 2},  # changes nothing
        {"kind": "iteration_start", "timestamp": 5.0, "iteration": 3},
        {"kind": "iteration_end", "timestamp": 6.0, "iteration": 3},
        {"kind": "iteration_end", "timestamp": 6.5, "iteration": 3},  # the last one wins
        {"kind": "iteration_start", "timestamp": 7.0, "iteration": 4},
    ]
    path = tmp_path / "t.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    [session] = loader.load([str(path)], jobs=1)
    stats = iteration_stats(session.table)
    assert stats == plain_iteration_stats(session.table)
    assert [stats[n].duration_ms for n in (1, 2, 3, 4, 9)] == [2250.0, 7.0, 1500.0, None, None]


@pytest.mark.both_readers
def test_iteration_figures_take_no_memory_per_row(monkeypatch: pytest.MonkeyPatch) -> None:
    """Through numpy, the iteration figures are summed over runs of rows of one iteration:
    no index or copy of every row (they took 50 MB at a million events, over what the
    report keeps). 3,000 iterations of 11 events, LLM calls, tool calls and failures."""
    import tracemalloc

    monkeypatch.setattr(columns, "VECTOR_ROWS", 0)
    lines = []
    for i in range(1, 3001):
        ts = 10.0 * i
        lines += [{"kind": "iteration_start", "timestamp": ts, "iteration": i},
                  {"kind": "llm_request", "timestamp": ts + 0.1, "iteration": i},
                  {"kind": "llm_response", "timestamp": ts + 1, "iteration": i,
                   "data": {"tokens": 100 + i % 7, "cost": 0.01 * (i % 5)}, "duration_ms": 900.0}]
        for j in range(3):
            call = {"tool": "bash", "args": {"command": f"ls {j}"}}
            lines += [{"kind": "tool_start", "timestamp": ts + 2 + j, "iteration": i, "data": call},
                      {"kind": "tool_error" if (i + j) % 4 == 0 else "tool_end",
                       "timestamp": ts + 2.5 + j, "iteration": i, "data": call,
                       "duration_ms": 300.0}]
        lines += [{"kind": "budget_check", "timestamp": ts + 5, "iteration": i},
                  {"kind": "iteration_end", "timestamp": ts + 6, "iteration": i,
                   "duration_ms": 6000.0}]
    [session] = loader.load_lines([json.dumps(line).encode() for line in lines], "t.jsonl", "t")
    table = session.table
    assert iteration_stats(table) == plain_iteration_stats(table)
    tracemalloc.start()
    try:
        stats = iteration_stats(table)
        kept, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(stats) == 3000 and stats[3000].errors == 1 and stats[3000].tool_calls == 3
    assert peak - kept < 25 * len(table), (peak - kept) / len(table)


def test_iteration_start_times_when_some_rows_have_none() -> None:
    """An iteration starts at its first row with a time, in file order, wherever that row is
    in its runs of rows; an iteration none of whose rows has a time has no start, and
    neither has any iteration of a table without times.

    The loader never gives a row with an iteration and no time (a current event without
    one is skipped, as Attocode skips it; older-format lines carry no iteration), so the
    times are taken off a loaded table here: `iteration_stats` answers for any table."""
    def timed(kind: str, ts: float, iteration: int | None) -> bytes:
        record: dict[str, Any] = {"kind": kind, "timestamp": ts, "data": {}}
        if iteration is not None:
            record["iteration"] = iteration
        return json.dumps(record).encode()

    def without_times(lines: list[bytes], rows: list[int]) -> EventTable:
        [session] = loader.load_lines(lines, "t.jsonl", "t")
        table = session.table
        for row in rows:
            table.timestamps[row] = math.nan
        table.missing_timestamps = len(rows)
        return table

    lines = [timed("iteration_start", 1.0, 1), timed("llm_response", 2.0, 1),
             timed("iteration_start", 2.5, 2),  # no row of iteration 2 keeps a time
             timed("custom", 3.0, None),
             timed("iteration_start", 4.0, 3), timed("iteration_end", 5.0, 3),
             timed("llm_response", 7.0, 1),  # iteration 1 again: its first time stays 2.0
             timed("llm_response", 8.0, 3), timed("iteration_start", 9.0, 4)]
    table = without_times(lines, [0, 2, 4, 5])
    stats = iteration_stats(table)
    assert stats == plain_iteration_stats(table)
    assert [stats[n].started for n in (1, 2, 3, 4)] == [2.0, None, 8.0, 9.0]
    table = without_times(lines[:3], [0, 1, 2])
    stats = iteration_stats(table)
    assert stats == plain_iteration_stats(table)
    assert [stats[n].started for n in (1, 2)] == [None, None]
