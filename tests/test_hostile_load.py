"""Hostile lines never end the run: every output is written, memory and size stay bounded."""

from __future__ import annotations

import gzip
import json
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import attoreport
from attoreport import loader
from tests.conftest import FIXTURES, event, write_trace

DEEP = 700  # deep enough to break naive repr()/str(), shallow enough for json.loads


def nested(depth: int) -> str:
    return "[" * depth + '"x"' + "]" * depth


def every_output(path: Path) -> tuple[list[attoreport.Session], dict[str, Any]]:
    sessions = attoreport.load([str(path)])
    analyses = [attoreport.analyse(s) for s in sessions]
    doc = json.loads(attoreport.render_json(analyses))
    attoreport.render_markdown(analyses)
    attoreport.render_html(analyses)
    for s in sessions:
        s.details(range(len(s.table)))
    return sessions, doc


def test_non_finite_goal_and_model_are_kept_as_text(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text('{"kind": "session_start", "timestamp": 1, "data": {"goal": NaN, '
                    '"model": Infinity}}\n{"kind": "llm_response", "timestamp": 2, "data": '
                    '{"tokens": 5, "model": -Infinity}}\n')
    [session], doc = every_output(path)
    assert session.goal == "NaN" and session.model == "Infinity"
    assert doc["sessions"][0]["summary"]["goal"] == "NaN"
    assert any("not finite" in d.message for d in session.diagnostics)


def test_lone_surrogates_anywhere(tmp_path: Path) -> None:
    lines = [
        '{"kind": "session_start", "timestamp": 1, "session_id": "a@", "data": {"goal": "g@", '
        '"model": "m@"}}',
        '{"kind": "tool_error", "timestamp": 2, "session_id": "a@", "data": {"tool": "t@", '
        '"error": "e@", "agent_id": "x@", "args": {"k@": "v@"}}}',
        '{"kind": "k@", "timestamp": 3, "session_id": "b@", "data": {"status": "s@"}}',
        '{"kind": "session_end", "timestamp": 4, "session_id": "b@", "data": {"status": "s@"}}',
    ]
    lines = [line.replace("@", "\\ud800") for line in lines]
    path = tmp_path / "t.jsonl"
    path.write_text("\n".join(lines) + "\n")
    sessions, doc = every_output(path)
    assert [d["session_id"] for d in doc["sessions"]] == ["a\ufffd", "b\ufffd"]
    assert sessions[0].goal == "g\ufffd" and sessions[0].table.strings[0] == "t\ufffd"
    assert sessions[0].error_texts([0, 1]) == {1: "e\ufffd"} and sessions[1].end_status == "s\ufffd"


@pytest.mark.parametrize("where", ["goal", "data", "args", "event_id", "tool", "error",
                                   "status", "agent_id", "iteration", "parent"])
def test_deep_nesting_anywhere(tmp_path: Path, where: str) -> None:
    deep = nested(DEEP)
    record = {
        "goal": '{"kind": "session_start", "timestamp": 1, "data": {"goal": %s}}',
        "data": '{"kind": "custom", "timestamp": 1, "data": {"x": %s}}',
        "args": '{"kind": "tool_end", "timestamp": 1, "data": {"tool": "t", "args": %s}}',
        "event_id": '{"kind": "custom", "timestamp": 1, "event_id": %s}',
        "tool": '{"kind": "tool_end", "timestamp": 1, "data": {"tool": %s}}',
        "error": '{"kind": "tool_error", "timestamp": 1, "data": {"tool": "t", "error": %s}}',
        "status": '{"kind": "session_end", "timestamp": 1, "data": {"status": %s}}',
        "agent_id": '{"kind": "subagent_timeout", "timestamp": 1, "data": {"agent_id": %s}}',
        "iteration": '{"kind": "custom", "timestamp": 1, "iteration": %s}',
        "parent": '{"kind": "custom", "timestamp": 1, "parent_event_id": %s}',
    }[where].replace("%s", deep)
    good = json.dumps(event("session_start", 0.5, goal="g"))
    path = write_trace(tmp_path / "t.jsonl", [good, record, record, record])
    sessions, _ = every_output(path)
    assert sum(len(s.table) for s in sessions) >= 1


@pytest.mark.parametrize("value", ["1e309", str(2**64), str(-(2**63)), "1e300", "true"])
def test_iterations_that_are_not_usable_are_ignored(tmp_path: Path, value: str) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text('{"kind": "llm_response", "timestamp": 1, "iteration": ' + value +
                    ', "data": {"tokens": 3}}\n')
    [session], doc = every_output(path)
    assert list(session.table.iterations) == [loader.NO_ITERATION]
    assert "iteration" in session.diagnostics[0].message
    assert doc["sessions"][0]["token_flow"][0]["iteration"] == 0


def test_long_names_are_interned_and_bounded(tmp_path: Path) -> None:
    agent = '"' * 10_000
    kind = "k" * 10_000
    lines = [event("subagent_spawn", 1.0, 1, agent_id=agent)]
    lines += [event("tool_end", 2.0 + i, 1, tool="t" * 20_000, agent_id=agent) for i in range(300)]
    lines += [event(kind, 400.0 + i) for i in range(300)]
    [session], doc = every_output(write_trace(tmp_path / "t.jsonl", lines))
    table = session.table
    assert len(table.strings) == 2  # one agent, one tool, each kept once
    assert max(len(s) for s in table.strings) <= loader.NAME_CHARS
    assert max(len(k) for k in table.kind_names) <= loader.KIND_CHARS
    assert len(json.dumps(doc)) < 200_000


def test_numbers_of_thousands_of_digits(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    digits = "9" * 5000
    good = json.dumps(event("session_start", 0.5, goal="g"))
    path.write_text(good + '\n{"kind": "tool_end", "timestamp": 1, "duration_ms": @, "data": '
                    '{"tool": "t", "args": {"n": @}, "tokens": @}}\n'.replace("@", digits))
    [session], _ = every_output(path)
    assert [d.line for d in session.diagnostics] == [2]
    unreadable = tmp_path / "u.jsonl"
    unreadable.write_text('{"kind": "tool_end", "timestamp": 1, "n": 1e400, "x": NaN')
    with pytest.raises(attoreport.AttoreportError, match="no trace events found .line 1: "):
        attoreport.load([str(unreadable)])


def many_sessions(path: Path, count: int) -> Path:
    """One small event per session id, each with a tool name of its own."""
    path.write_text("".join(json.dumps({"kind": "tool_end", "timestamp": i, "session_id": f"s{i}",
                                        "data": {"tool": f"tool{i}"}}) + "\n"
                            for i in range(count)))
    return path


@pytest.mark.slow
def test_more_sessions_than_a_short_counts(tmp_path: Path) -> None:
    """The column of sessions per row once held 16-bit numbers: 65,536 sessions crashed."""
    sessions = attoreport.load([str(many_sessions(tmp_path / "t.jsonl", 70_000))], jobs=1)
    assert len(sessions) == 70_000
    assert sessions[-1].session_id == "s69999" and len(sessions[-1].table) == 1
    table = sessions[-1].table
    assert table.string(table.tools[0]) == "tool69999"


def load_peak(path: Path) -> int:
    tracemalloc.start()
    try:
        attoreport.load([str(path)], jobs=1)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_splitting_sessions_costs_memory_in_proportion_to_them(tmp_path: Path) -> None:
    """Each session once got a copy of every name in the file (and scanned every LLM call
    and error of the file): memory and time grew with sessions × names."""
    small = load_peak(many_sessions(tmp_path / "a.jsonl", 1000))
    large = load_peak(many_sessions(tmp_path / "b.jsonl", 2000))
    assert large < 2.6 * small


def test_long_errors_and_names_are_not_kept_whole_while_loading(tmp_path: Path) -> None:
    """Texts kept to find repeats were keyed by the text as written: a trace whose every
    error is a distinct 20 KB stack trace held all of them until the load ended (40,000
    distinct 4 KB errors in 200,000 events: 345 MB in place of 193), and so did long tool
    names. Only their
    shortened copies are kept (a name's up to NAME_CHARS, as the rules read names)."""
    path = tmp_path / "t.jsonl"
    path.write_text("".join(
        json.dumps({"kind": "tool_error", "timestamp": i, "iteration": i,
                    "data": {"tool": f"{i % 50}" + "t" * 60_000, "error": f"{i} " + "e" * 20_000}})
        + "\n" for i in range(200)))
    # 16 MB of file; what is kept: 50 names of 20 KB (10,000 characters and an ellipsis,
    # two bytes each) and 200 errors of 1 KB: 5.5 MB at the peak, 8.5 to 9.1 MB with any of
    # the three tables keeping the long texts.
    assert load_peak(path) < 7_000_000
    [session] = attoreport.load([str(path)], jobs=1)
    table = session.table
    errors = session.error_texts(range(len(table)))
    assert len(set(errors.values())) == 200
    assert len(errors[199]) == loader.ERROR_CHARS
    assert len({table.string(code) for code in table.tools}) == 50


def test_a_session_keeps_no_error_text(tmp_path: Path) -> None:
    """Error texts are read again for the few rows an export shows: a trace of 230,000
    failed calls held 42 MB of them, and spent a second redacting them, when the table kept
    one per row. Distinct 400-character errors now cost a session no more than one-letter
    ones (they cost 1.3 MB more for 3,000 calls)."""
    def kept(error: Callable[[int], str], name: str) -> int:
        path = tmp_path / name
        path.write_text("".join(
            json.dumps({"kind": "tool_error", "timestamp": i, "iteration": 1,
                        "data": {"tool": "bash", "args": {"i": i}, "error": error(i)}}) + "\n"
            for i in range(3000)))
        tracemalloc.start()
        try:
            sessions = attoreport.load([str(path)], jobs=1)
            size = tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()
        assert len(sessions[0].error_texts([2999])[2999]) == len(error(2999))
        return size

    kept(lambda i: "e", "warm.jsonl")  # what the first load sets up once
    short = kept(lambda i: "e", "short.jsonl")
    assert kept(lambda i: f"{i:04} " + "e" * 395, "long.jsonl") - short < 100_000


BOMB_LINE = json.dumps(event("tool_end", 1.0, 1, tool="bash", duration_ms=99_999)) + "\n"


@pytest.mark.parametrize("through", ["file", "stdin"])
def test_a_compression_bomb_is_read_only_so_far(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                through: str) -> None:
    """75 KB of gzip once became 300,000 events, a 100 MB JSON and 400 MB of memory."""
    # A floor above what 100 times the compressed bytes read so far allow (gzip reads the
    # compressed file ahead), so the floor is what stops the reading.
    floor = 8 * loader.BLOCK_BYTES
    monkeypatch.setattr(loader, "GZIP_FLOOR_BYTES", floor)
    bomb = tmp_path / "bomb.jsonl.gz"
    bomb.write_bytes(gzip.compress(BOMB_LINE.encode() * 60_000, 9))  # 8.5 MB, 190 times smaller
    if through == "file":
        [session] = attoreport.load([str(bomb)])
    else:
        with bomb.open("rb") as stdin:
            [session] = attoreport.load(["-"], stdin=stdin)
    read = len(session.table) * len(BOMB_LINE)
    assert floor - loader.BLOCK_BYTES - len(BOMB_LINE) <= read <= floor  # one block at most lost
    [note] = [d for d in session.diagnostics if "compression bomb" in d.message]
    assert f"expands more than {loader.GZIP_RATIO} times" in note.message
    assert note.line == len(session.table) + 1


def test_a_trace_that_compresses_as_traces_do_is_read_whole(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loader, "GZIP_FLOOR_BYTES", 1024)
    trace = FIXTURES / "collector" / "collector-context-pressure.jsonl"
    packed = tmp_path / "t.jsonl.gz"
    packed.write_bytes(gzip.compress(trace.read_bytes(), 9))
    [session] = attoreport.load([str(packed)])
    [plain] = attoreport.load([str(trace)])
    assert len(session.table) == len(plain.table) and not session.diagnostics


def test_a_very_repetitive_trace_is_read_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One tool call repeated with only its time and iteration changing compresses about 20
    times: more than traces do, far less than a bomb; every event is kept."""
    monkeypatch.setattr(loader, "GZIP_FLOOR_BYTES", 1024)
    lines = [json.dumps(event("tool_end", 1_700_000_000 + i * 0.137, i // 3, tool="read_file",
                              duration_ms=3 + i % 7)) for i in range(30_000)]
    data = ("\n".join(lines) + "\n").encode()
    packed = gzip.compress(data, 9)
    assert len(data) > 15 * len(packed)
    (tmp_path / "t.jsonl.gz").write_bytes(packed)
    [session] = attoreport.load([str(tmp_path / "t.jsonl.gz")])
    assert len(session.table) == 30_000 and not session.diagnostics
