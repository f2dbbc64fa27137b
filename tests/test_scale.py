"""The loader at scale: several processes give exactly one process's result, the fast typed
path and the generic path agree, details are read again, diagnostics stay small."""

from __future__ import annotations

import gzip
import io
import json
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import attoreport
from attoreport import loader
from attoreport.collect import find
from attoreport.model import NO_ROW, Session
from tests.conftest import ALL_TRACES, FIXTURES, event, write_trace

COLUMNS = ("kinds", "timestamps", "iterations", "lines", "durations", "display_durations",
           "parents", "agents", "tools", "flags")


def table_state(session: Session) -> dict[str, Any]:
    """Everything a session holds, in comparable form (NaN-safe)."""
    t = session.table
    state: dict[str, Any] = {name: list(getattr(t, name)) for name in COLUMNS}
    for name in ("timestamps", "durations", "display_durations"):
        state[name] = [repr(x) for x in state[name]]
    state["strings"] = [t.string(i) for i in t.tools] + [t.string(i) for i in t.agents]
    state["kind_names"] = [t.kind(r) for r in range(len(t))]
    state["llm"] = [list(getattr(t.llm, f)) for f in t.llm.__slots__]
    state["calls"] = (list(t.tool_calls.rows), list(t.tool_calls.fingerprints))
    state["errors"] = session.error_texts(range(len(t)))
    state["spend"], state["skipped"] = t.task_spend, t.skipped_tasks
    state["session"] = (session.session_id, session.goal, session.model, session.start_time,
                        session.end_time, session.end_status, session.line_format,
                        session.damaged_lines, session.changed_files, session.metadata)
    state["diagnostics"] = session.diagnostics
    state["details"] = session.details(range(len(t)))
    return state


def generic_only(patch: pytest.MonkeyPatch) -> None:
    """Every line read by the generic path (the typed path and its block columns off)."""
    patch.setattr(loader._ChunkParser, "_typed", lambda self, *args: 0)
    patch.setattr(loader._BlockColumns, "of", classmethod(lambda cls, *args: None))


def mixed_trace(path: Path, copies: int = 3) -> Path:
    """Every collector fixture, several times, as sessions of one file, with damage and lines
    without a session id in between."""
    lines: list[str] = []
    for n in range(copies):
        for trace in sorted((FIXTURES / "collector").glob("*.jsonl")):
            for i, line in enumerate(trace.read_text().splitlines()):
                record = json.loads(line)
                record["session_id"] = f"{trace.stem}-{n}"
                if i % 7 == 3:
                    record.pop("session_id")
                lines.append(json.dumps(record))
                if i % 11 == 5:
                    lines.append("")
                if i % 13 == 6:
                    lines.append('{"kind": "tool_end", "timestamp": "soon"}')
    lines.append('{"kind": "mystery_kind", "timestamp": 5.0}')
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("numpy_rows", [10**12, 1], ids=["builtins", "numpy"])
def test_several_processes_give_exactly_one_process_result(tmp_path: Path, monkeypatch,
                                                           split_runs: list[int],
                                                           numpy_rows: int) -> None:
    """Also with the parts joined (codes mapped, rows and lines shifted) by numpy."""
    trace = mixed_trace(tmp_path / "mixed.jsonl")
    one = loader.load([str(trace)], jobs=1)
    monkeypatch.setattr(loader, "NUMPY_ROWS", numpy_rows)
    monkeypatch.setattr(loader, "PARALLEL_BYTES", 1)
    monkeypatch.setattr(loader, "BLOCK_BYTES", 4096)
    for jobs in (2, 3, 5):
        many = loader.load([str(trace)], jobs=jobs)
        assert split_runs[-1] == jobs
        assert [s.session_id for s in many] == [s.session_id for s in one]
        for a, b in zip(one, many, strict=True):
            assert table_state(a) == table_state(b)
    docs = [attoreport.render_json([attoreport.analyse(s) for s in r]) for r in (one, many)]
    assert docs[0] == docs[1]


def test_a_file_is_split_in_parts_of_at_least_half_the_threshold(
        tmp_path: Path, monkeypatch, split_runs: list[int]) -> None:
    """Many cores do not cut a file into slivers: each worker costs a start and a join."""
    trace = mixed_trace(tmp_path / "mixed.jsonl")
    size = trace.stat().st_size
    monkeypatch.setattr(loader, "PARALLEL_BYTES", size // 2)  # parts of a quarter at least
    loader.load([str(trace)], jobs=16)
    monkeypatch.setattr(loader, "PARALLEL_BYTES", size)  # just over the threshold: two parts
    loader.load([str(trace)], jobs=16)
    assert split_runs == [4, 2]


def test_byte_ranges_start_at_lines(tmp_path: Path) -> None:
    trace = mixed_trace(tmp_path / "mixed.jsonl", copies=1)
    data = trace.read_bytes()
    ranges = loader._byte_ranges(trace, len(data), 4)
    assert ranges[0][0] == 0 and ranges[-1][1] == len(data)
    for (_, end), (start, _) in zip(ranges, ranges[1:], strict=False):
        assert end == start and data[start - 1:start] == b"\n"


def test_a_folder_read_by_several_processes_equals_one(tmp_path: Path,
                                                      split_runs: list[int]) -> None:
    for trace in ALL_TRACES:
        (tmp_path / trace.name).write_bytes(trace.read_bytes())
    (tmp_path / "packed.jsonl.gz").write_bytes(gzip.compress(ALL_TRACES[0].read_bytes()))
    one = loader.load([str(tmp_path)], jobs=1)
    many = loader.load([str(tmp_path)], jobs=3)
    assert split_runs  # the files were shared out
    assert [table_state(s) for s in one] == [table_state(s) for s in many]


@pytest.mark.parametrize("trace", ALL_TRACES, ids=lambda p: p.stem)
def test_typed_and_generic_paths_agree(trace: Path, monkeypatch) -> None:
    """The fast path is only a faster way to the generic path's result."""
    fast = loader.load([str(trace)], jobs=1)
    generic_only(monkeypatch)
    slow = loader.load([str(trace)], jobs=1)
    assert [table_state(s) for s in fast] == [table_state(s) for s in slow]



def refused_lines_trace(path: Path, refused: int) -> tuple[Path, int]:
    """A trace of ordinary events with `refused` lines the typed decoder refuses (each kind
    of refusal in turn), some after blank lines; returns the path and how many it holds."""
    odd = [
        json.dumps({**event("tool_end", 0.5, 1, tool="bash", result="ok"),
                    "data": {"tool": "bash", "agent_id": None}}),       # null where a name goes
        json.dumps(event("llm_response", 0.5, 1, tokens=12.5)),          # fractional tokens
        json.dumps(event("tool_error", 0.5, 1, tool="x", error={"code": 3})),  # error object
        '{"kind": "tool_end", "timestamp": ',                             # cut short
        json.dumps(event("llm_response", 0.5, 1, tokens=3))[:-1] + ', "x": NaN}',  # stdlib only
    ]
    lines: list[str] = []
    for i in range(refused):
        for n in range(20):
            ts = i * 20 + n + 1.0
            lines.append(json.dumps(event("llm_response", ts, i, tokens=n, cost=0.001))
                         if n % 2 else
                         json.dumps(event("tool_end", ts, i, tool="bash",
                                          args={"command": f"ls {n}"}, result="ok")))
        if i % 3 == 1:
            lines.append("")  # the decoder skips blank lines: event index != line index
        lines.append(odd[i % len(odd)])
    lines.append(json.dumps(event("llm_response", 9e3, 1, tokens=1)))
    path.write_text("\n".join(lines) + "\n")
    return path, refused


@pytest.mark.parametrize(("refused", "splits"), [(1, None), (7, 64), (40, 64), (40, 1)])
def test_a_refused_line_costs_only_itself(tmp_path: Path, monkeypatch, refused: int,
                                          splits: int | None) -> None:
    """A line the typed decoder refuses is read alone; the lines around it (blank lines
    apart) stay on the bulk path, as deep as BLOCK_SPLITS allows; the result is the
    generic path's."""
    if splits is not None:
        monkeypatch.setattr(loader, "BLOCK_SPLITS", splits)
    trace, count = refused_lines_trace(tmp_path / "t.jsonl", refused)
    read_alone: list[int] = []
    line = loader._ChunkParser._line

    def counting(self: Any, raw: bytes, line_no: int, complete: bool) -> None:
        read_alone.append(line_no)
        line(self, raw, line_no, complete)

    monkeypatch.setattr(loader._ChunkParser, "_line", counting)
    [fast] = loader.load([str(trace)], jobs=1)
    lines = len(trace.read_text().splitlines())
    if count < 2**loader.BLOCK_SPLITS:
        assert len(read_alone) == count  # only the refused lines, not their neighbours
    else:
        assert count < len(read_alone) < lines  # the rest of the block went line by line
    generic_only(monkeypatch)
    [slow] = loader.load([str(trace)], jobs=1)
    assert table_state(fast) == table_state(slow)
    blank = sum(1 for i in range(refused) if i % 3 == 1)
    cut_short = sum(1 for i in range(refused) if i % 5 == 3)
    assert len(fast.table) == lines - blank - cut_short  # every other line is a row


@pytest.mark.parametrize(("sessions", "threshold", "imported"),
                         [(2, 50, True), (1, 50, False), (2, 10**9, False)])
def test_a_large_file_of_several_sessions_imports_numpy(tmp_path: Path, sessions: int,
                                                        threshold: int, imported: bool) -> None:
    """The loader imports numpy for a file of at least NUMPY_ROWS events holding
    several sessions, so the analysis reads their tables through it (columns.numpy_for)."""
    import subprocess
    import sys

    trace = write_trace(tmp_path / "t.jsonl", [
        {**event("llm_response", float(i), 1, tokens=1), "session_id": f"s{i * sessions // 60}"}
        for i in range(60)])
    code = ("import sys; from attoreport import loader; "
            f"loader.NUMPY_ROWS = {threshold}; "
            f"assert len(loader.load([{str(trace)!r}], jobs=1)) == {sessions}; "
            "print('numpy' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == str(imported)


def test_a_refused_line_is_found_from_the_decoders_message() -> None:
    good = json.dumps(event("llm_response", 1.0, 1, tokens=1)).encode() + b"\n"
    bad = json.dumps(event("llm_response", 2.0, 1, tokens="many")).encode() + b"\n"
    block = good * 3 + bad + good
    start, two = len(good) * 3, 2 * len(good)
    cases = [
        (block, (start, start + len(bad))),  # a value the types refuse: `$[3]`
        (good * 3 + b'{"kind": x\n' + good, (start, start + 11)),  # malformed: `byte N`
        # The decoder skips blank lines (its count is of the others).
        (b"\n" + good + b"  \n" + good + bad + good, (4 + two, 4 + two + len(bad))),
        # A line cut short runs into the next one (the malformed byte lies after it).
        (good * 2 + b'{"kind": "tool_end", "timestamp": \n' + good * 2, (two, two + 35)),
    ]
    for block_, span in cases:
        try:
            loader._EVENTS.decode_lines(block_)
        except loader._TYPED_ERRORS as exc:
            assert loader._refused_line(block_, exc) == span
        else:
            raise AssertionError("the block decoded")
    # An error that names no place: no split.
    assert loader._refused_line(block, ValueError("something")) is None


def test_details_are_read_again_from_files_gzip_and_stdin(tmp_path: Path) -> None:
    source = FIXTURES / "collector" / "collector-subagents-hierarchy.jsonl"
    [plain] = loader.load([str(source)])
    rows = [0, 3, len(plain.table) - 1]
    expected = plain.details(rows)
    assert expected[3].label and expected[3].preview
    packed = tmp_path / "t.jsonl.gz"
    packed.write_bytes(gzip.compress(source.read_bytes()))
    [unpacked] = loader.load([str(packed)])
    assert unpacked.details(rows) == expected
    [piped] = loader.load(["-"], stdin=io.BytesIO(source.read_bytes()))
    assert piped.details(rows) == expected
    [piped_gzip] = loader.load(["-"], stdin=io.BytesIO(gzip.compress(source.read_bytes())))
    assert piped_gzip.details(rows) == expected
    assert piped_gzip.table.lines == plain.table.lines


def test_details_of_lines_split_by_carriage_returns(tmp_path: Path) -> None:
    a = json.dumps(event("tool_end", 1.0, 1, tool="bash", args={"command": "pytest -q"},
                         result="Error: 2 failed"))
    b = json.dumps(event("llm_response", 2.0, 1, tokens=20))
    path = tmp_path / "t.jsonl"
    path.write_bytes((a + "\r" + b + "\r\n" + a + "\n").encode())
    [session] = loader.load([str(path)])
    details = session.details([0, 1, 2])
    assert details[0] == details[2] and details[0].subject == "pytest -q"
    assert details[0].excerpt == "Error: 2 failed" and details[1].label.startswith("LLM response")


def test_object_results_are_judged_on_the_fast_path_too(tmp_path: Path, monkeypatch) -> None:
    """A tool's result written as a JSON object (`{"exit_code": 1, ...}`, MCP tools' `isError`)
    reports a failure the same on the typed path as on the generic one; the typed path once
    read only text results. A failed write changes no file either way."""
    from attoreport.model import FLAG_BUILD_COMMAND, FLAG_FILE_WRITE, FLAG_REPORTED_FAILURE

    results = [{"exit_code": 1, "output": "boom"}, {"isError": True, "content": []},
               {"success": False}, {"output": "Error: File not found: a.py"},
               {"exit_code": 0, "output": "fine"}, ["a", "list"], 3, None, "Exit code: 2"]
    events = [event("tool_end", float(i), 1, tool=tool, args=args, result=result)
              for i, result in enumerate(results * 2)
              for tool, args in (("bash", {"command": "make"}),
                                 ("write_file", {"path": f"f{i}.py"}))]
    trace = write_trace(tmp_path / "t.jsonl", events)
    [fast] = loader.load([str(trace)], jobs=1)
    failed = [True, True, True, False, False, False, False, False, True] * 2
    bash_flags = [FLAG_BUILD_COMMAND | (FLAG_REPORTED_FAILURE if f else 0) for f in failed]
    assert list(fast.table.flags)[::2] == bash_flags
    # write_file's "Error: File not found" is a failure too (not a command tool).
    write_failed = [True, True, True, True, False, False, False, False, True] * 2
    assert list(fast.table.flags)[1::2] == [FLAG_REPORTED_FAILURE if f else FLAG_FILE_WRITE
                                            for f in write_failed]
    generic_only(monkeypatch)
    [slow] = loader.load([str(trace)], jobs=1)
    assert table_state(fast) == table_state(slow)


def test_tool_call_flags_and_changed_files(tmp_path: Path) -> None:
    from attoreport.model import FLAG_BUILD_COMMAND, FLAG_FILE_WRITE, FLAG_REPORTED_FAILURE, FLAG_TEST_COMMAND

    trace = write_trace(tmp_path / "t.jsonl", [
        event("tool_end", 1.0, 1, tool="bash", args={"command": "pytest -q"},
              result="Exit code: 1\nF\n1 failed in 0.1s"),
        event("tool_end", 2.0, 1, tool="bash", args={"command": "make"}, result="ok"),
        event("tool_end", 3.0, 1, tool="write_file", args={"path": "a.py"}, result="done"),
        event("tool_end", 4.0, 1, tool="edit_file", args={"path": "a.py"}, result="done"),
        event("llm_response", 5.0, 1, tokens=3),
    ])
    [session] = loader.load([str(trace)])
    flags = list(session.table.flags)
    assert flags == [FLAG_TEST_COMMAND | FLAG_REPORTED_FAILURE, FLAG_BUILD_COMMAND,
                     FLAG_FILE_WRITE, FLAG_FILE_WRITE, 0]
    assert session.changed_files == {"a.py": 2}


def test_parents_link_earlier_events_and_tool_ids(tmp_path: Path) -> None:
    trace = write_trace(tmp_path / "t.jsonl", [
        {**event("tool_start", 1.0, 1, tool="x"), "event_id": "a"},
        {**event("tool_end", 2.0, 1, tool="x"), "event_id": "b", "parent_event_id": "a"},
        {**event("tool_end", 3.0, 1, tool="x"), "event_id": "c", "parent_event_id": "later"},
        {**event("custom", 4.0, 1), "event_id": "later"},
        {**event("tool_start", 5.0, 1, tool="y", metadata={"tool_id": "t1"}), "event_id": "d"},
        {**event("tool_end", 6.0, 1, tool="y", metadata={"tool_id": "t1"}), "event_id": "e"},
        {**event("custom", 7.0, 1), "event_id": "a"},  # the same id again: the first one counts
        {**event("custom", 8.0, 1), "event_id": "f", "parent_event_id": "a"},
    ])
    [session] = loader.load([str(trace)])
    assert list(session.table.parents) == [NO_ROW, 0, NO_ROW, NO_ROW, NO_ROW, 4, NO_ROW, 0]


# -- diagnostics stay small ---------------------------------------------------------------


def test_a_megabyte_of_newlines_is_one_grouped_diagnostic(tmp_path: Path) -> None:
    path = tmp_path / "blank.jsonl"
    good = json.dumps(event("session_start", 1.0, goal="g"))
    path.write_bytes(b"\n" * 1_000_000 + good.encode() + b"\n")
    tracemalloc.start()
    [session] = loader.load([str(path)], jobs=1)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 8 * 2**20
    assert len(session.diagnostics) == loader_keep() + 1
    group = session.diagnostics[-1]
    assert group.count == 1_000_000 - loader_keep() and group.last_line == 1_000_000
    assert "999,995 more blank lines (lines 6–1,000,000)" in group.message
    assert session.damaged_lines == 1_000_000
    # The run is counted at once; the event after it keeps its line and its text.
    assert list(session.table.lines) == [1_000_001]
    assert session.details([0])[0].label.startswith("Session started: g")


def loader_keep() -> int:
    from attoreport.diagnostics import KEEP

    return KEEP


def test_newlines_in_gzip_and_lone_carriage_returns_stay_small(tmp_path: Path) -> None:
    good = json.dumps(event("session_start", 1.0, goal="g")).encode() + b"\n"
    packed = tmp_path / "blank.jsonl.gz"
    packed.write_bytes(gzip.compress(b"\n" * 2_000_000 + good))
    [session] = loader.load([str(packed)])
    assert len(session.diagnostics) == loader_keep() + 1 and session.damaged_lines == 2_000_000
    crs = tmp_path / "cr.jsonl"
    crs.write_bytes(b"\r" * 300_000 + good)
    [session] = loader.load([str(crs)])
    assert len(session.diagnostics) == loader_keep() + 1 and session.damaged_lines == 300_000


def test_many_kinds_of_damage_each_keep_a_few(tmp_path: Path) -> None:
    good = json.dumps(event("session_start", 1.0, goal="g"))
    lines = [good] + ["{bad"] * 50 + ["[1]"] * 50 + [json.dumps(event(f"k{i}", 2.0))
                                                      for i in range(50)]
    [session] = loader.load([str(write_trace(tmp_path / "t.jsonl", lines))])
    assert len(session.diagnostics) == 3 * (loader_keep() + 1)
    assert sum(d.count for d in session.diagnostics) == 150 == session.damaged_lines
    assert len(session.table) == 51


# -- newcomers ------------------------------------------------------------------------------


def test_json_that_is_not_a_trace_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('{"a":1}\n{"b":2}\n')
    with pytest.raises(attoreport.AttoreportError) as caught:
        loader.load([str(path)])
    assert str(caught.value) == (f'{path}: not an Attocode trace: no line has a "kind" or '
                                 '"type"; expected JSON Lines, one event per line')
    pretty = tmp_path / "pretty.jsonl"
    pretty.write_text(json.dumps({"events": [{"kind": "x"}]}, indent=2))
    with pytest.raises(attoreport.AttoreportError, match="single JSON document"):
        loader.load([str(pretty)])


def test_clean_decode_messages(tmp_path: Path) -> None:
    good = json.dumps(event("session_start", 1.0, goal="g"))
    [session] = loader.load([str(write_trace(tmp_path / "t.jsonl",
                                             [good, '{"kind": "x", "a": "tab\there"}']))])
    [diagnostic] = session.diagnostics
    assert "at at" not in diagnostic.message and "at column" in diagnostic.message


def test_json_output_is_the_same_text_with_orjson_and_the_standard_library(monkeypatch) -> None:
    from attoreport.report import jsondoc

    sessions = [s for t in ALL_TRACES for s in loader.load([str(t)])]
    analyses = [attoreport.analyse(s) for s in sessions]
    fast = attoreport.render_json(analyses)

    def refuse(*args: Any, **kwargs: Any) -> bytes:
        raise TypeError("Integer exceeds 64-bit range")

    monkeypatch.setattr(jsondoc.orjson, "dumps", refuse)
    slow = attoreport.render_json(analyses)
    assert json.loads(fast) == json.loads(slow)
    assert json.loads(fast)["sessions"][0]["token_flow"][0]["iteration"] == \
        jsondoc.session_document(analyses[0])["token_flow"][0]["iteration"]


def test_integers_beyond_64_bits_in_the_json(tmp_path: Path) -> None:
    trace = write_trace(tmp_path / "t.jsonl", [event("session_start", 1.0, goal="g",
                                                     model=2**70)])
    [session] = loader.load([str(trace)])
    doc = json.loads(attoreport.render_json([attoreport.analyse(session)]))
    assert doc["sessions"][0]["summary"]["model"] == 2**70


def fake_pool(monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """A pool that runs its work in this process and records how it was made and used."""
    import multiprocessing

    seen: dict[str, object] = {}

    class FakePool:
        def __init__(self, processes: int, initializer: object = None) -> None:
            seen["processes"], seen["initializer"] = processes, initializer

        def __enter__(self) -> FakePool:
            return self

        def __exit__(self, *exc: object) -> None:
            pass

        def imap(self, function: Any, args: list[tuple[object, ...]],
                 chunksize: int = 1) -> Iterator[object]:
            seen["chunksize"] = chunksize
            return (function(a) for a in args)

    class Context:
        Pool = FakePool

    monkeypatch.setattr(multiprocessing, "get_context", lambda method: Context)
    return seen


def test_workers_do_not_inherit_the_clis_signal_handlers(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pool stops its workers with SIGTERM; with the CLI's handler inherited through fork,
    each would print a traceback."""
    import signal

    from attoreport.output import termination_raises

    seen = fake_pool(monkeypatch)
    loader._in_processes(str, [(1,), (2,)], 2)
    assert seen["initializer"] is loader._worker_signals
    before = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)}
    try:
        with termination_raises():
            loader._worker_signals()
            assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
            assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)


def test_a_trace_only_run_imports_no_swarm_reader_and_compiles_few_rules(tmp_path: Path) -> None:
    """Start-up is paid on every run (issue 10: fixed costs): a report of traces alone, in a
    fresh interpreter, never imports the attoswarm reader, analysis or view, and compiles
    only the redaction rules whose anchors its strings hold. A run folder still brings the
    swarm modules in."""
    import subprocess
    import sys

    script = """
import json, sys
from attoreport.cli import main
from attoreport import redact
try:
    main(sys.argv[1:], standalone_mode=False)
finally:
    print(json.dumps({"modules": sorted(m for m in sys.modules if m.startswith("attoreport.swarm")
                                        or m == "attoreport.report.swarm"),
                      "compiled": sum("pattern" in vars(r) for r in redact.RULES),
                      "rules": len(redact.RULES)}))
"""
    trace = FIXTURES / "collector" / "collector-doom-loop-tool-errors.jsonl"

    def run(*args: str) -> dict[str, Any]:
        done = subprocess.run([sys.executable, "-c", script, *args, "-q"], capture_output=True,
                              text=True, check=True)
        return json.loads(done.stdout.splitlines()[-1])

    plain = run(str(trace), "-o", str(tmp_path / "a.html"), "--json", str(tmp_path / "a.json"),
                "--markdown", str(tmp_path / "a.md"))
    assert plain["modules"] == ["attoreport.swarm", "attoreport.swarm.folders"]
    assert 0 < plain["compiled"] < plain["rules"] // 2
    swarm = run(str(FIXTURES / "swarm" / "swarm-clean"), "-o", str(tmp_path / "b.html"))
    assert {"attoreport.swarm.reader", "attoreport.swarm.analysis",
            "attoreport.report.swarm"} <= set(swarm["modules"])


def test_every_redaction_rule_compiles() -> None:
    """The rules compile on first use (start-up cost): each must still be a valid pattern."""
    from attoreport import redact

    for rule in redact.RULES:
        assert rule.pattern.pattern == rule.source


@pytest.mark.parametrize(("files", "workers", "chunk"), [(2, 2, 1), (40, 2, 5), (1000, 2, 32),
                                                          (1000, 64, 3)])
def test_a_folder_is_handed_out_a_few_files_at_a_time(monkeypatch: pytest.MonkeyPatch,
                                                       files: int, workers: int,
                                                       chunk: int) -> None:
    """One file per round trip through the pool's queues cost a folder of 1,000 traces 8%
    of its load; a byte range (two parts) still goes one to a process."""
    seen = fake_pool(monkeypatch)
    assert loader._in_processes(str, [(i,) for i in range(files)], workers) == [
        str(i) for i in range(files)]
    assert (seen["processes"], seen["chunksize"]) == (min(files, workers), chunk)


def test_the_swarm_names_still_import_from_where_they_did() -> None:
    """The swarm modules load on first use; their names stay where library users found them."""
    import attoreport.swarm
    from attoreport import SwarmAnalysis  # type: ignore[attr-defined]
    from attoreport.swarm import RULES, SwarmRun, analyse_run, load_runs, read_run
    from attoreport.swarm.results import SwarmAnalysis as Direct

    assert SwarmAnalysis is Direct is attoreport.swarm.SwarmAnalysis
    assert callable(analyse_run) and callable(read_run) and callable(load_runs)
    assert RULES and SwarmRun.__name__ == "SwarmRun"
    with pytest.raises(AttributeError):
        attoreport.swarm.not_a_name  # noqa: B018
    with pytest.raises(AttributeError):
        attoreport.not_a_name  # type: ignore[attr-defined]  # noqa: B018


def test_interleaved_sessions_each_equal_their_own_file(tmp_path: Path) -> None:
    """Two sessions whose lines alternate in one file (rows with gaps between them, not one
    run) each hold exactly what their own file gives, but for the line numbers."""
    traces = [FIXTURES / "collector" / "collector-doom-loop-tool-errors.jsonl",
              FIXTURES / "collector" / "collector-subagents-hierarchy.jsonl"]
    texts = [t.read_text().splitlines() for t in traces]
    mixed = [line for pair in zip(*texts, strict=False) for line in pair]
    shortest = min(map(len, texts))
    mixed += texts[0][shortest:] + texts[1][shortest:]
    both = tmp_path / "both.jsonl"
    both.write_text("\n".join(mixed) + "\n")
    (tmp_path / "alone").mkdir()
    alone = []
    for trace, lines in zip(traces, texts, strict=True):
        path = tmp_path / "alone" / trace.name
        path.write_text("\n".join(lines) + "\n")
        alone += loader.load([str(path)], jobs=1)
    together = loader.load([str(both)], jobs=1)
    assert len(together) == 2 and len(together[0].table) > 10

    def without_lines(session: Session) -> dict[str, Any]:
        """The state, names read (a file's sessions share one table of names)."""
        state = table_state(session)
        del state["lines"], state["tools"], state["agents"]
        table = session.table
        state["llm"][-1] = [table.string(code) for code in table.llm.models]
        return state

    assert [without_lines(s) for s in together] == [without_lines(s) for s in alone]


def test_the_loader_never_forks_beside_a_thread_threading_does_not_list() -> None:
    """A thread started with `_thread` (as pytest-xdist's workers and C libraries do) is not in
    `threading.active_count()`; a fork beside it can deadlock the child (a full test run once
    hung on one), so the loader counts the process's threads as the system does."""
    import _thread
    import threading

    started, release = threading.Event(), threading.Lock()
    release.acquire()

    def wait() -> None:
        started.set()
        release.acquire()

    before = threading.active_count()
    _thread.start_new_thread(wait, ())
    started.wait(5)
    try:
        assert threading.active_count() == before  # invisible to threading
        assert not loader.single_threaded()
        assert not loader._can_fork()
    finally:
        release.release()


def test_each_session_is_handed_on_as_soon_as_its_file_is_loaded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, split_runs: list[int]) -> None:
    """`load_inputs(each=...)` gets every session, in order, right after its file: with
    worker processes decoding the later files meanwhile, the caller analyses the first ones
    instead of waiting for them all."""
    for trace in ALL_TRACES[:6]:
        (tmp_path / trace.name).write_bytes(trace.read_bytes())
    steps: list[str] = []
    finish = loader._finish

    def finished(trace: Any, *args: Any) -> list[Session]:
        steps.append("file")
        return finish(trace, *args)

    monkeypatch.setattr(loader, "_finish", finished)
    handed: list[Session] = []

    def each(session: Session) -> None:
        handed.append(session)
        steps.append("each")

    for jobs in (1, 3):
        steps.clear()
        handed.clear()
        sessions = loader.load_inputs(find([str(tmp_path)]), jobs=jobs, each=each)
        assert handed == sessions and len(sessions) >= 6
        assert steps[:4] == ["file", "each", "file", "each"]  # not every file first
    assert split_runs == [6]  # the second load shared the files out


def test_an_error_in_each_ends_the_worker_pool(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    for trace in ALL_TRACES[:4]:
        (tmp_path / trace.name).write_bytes(trace.read_bytes())
    ended: list[bool] = []

    @contextmanager
    def serial(function: Any, argument_lists: list[tuple[Any, ...]],
               workers: int) -> Iterator[Iterator[Any]]:
        try:
            yield (function(*a) for a in argument_lists)
        finally:
            ended.append(True)

    monkeypatch.setattr(loader, "_can_fork", lambda: True)
    monkeypatch.setattr(loader, "_processes", serial)

    def fail(session: Session) -> None:
        raise RuntimeError("a bug in the caller")

    with pytest.raises(RuntimeError) as caught:  # its traceback keeps the loader's frame
        loader.load_inputs(find([str(tmp_path)]), jobs=2, each=fail)
    assert ended == [True] and caught.traceback  # ended by the loader, not by the collector


def test_the_job_analyses_each_session_once_as_it_is_loaded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, split_runs: list[int]) -> None:
    from attoreport.run import Request, write_reports

    for trace in ALL_TRACES[:5]:
        (tmp_path / trace.name).write_bytes(trace.read_bytes())
    analysed: list[str] = []
    analyse = attoreport.analyse

    def counted(session: Session) -> Any:
        analysed.append(session.session_id)
        return analyse(session)

    monkeypatch.setattr(attoreport, "analyse", counted)
    result = write_reports(Request(traces=[str(tmp_path)], json=str(tmp_path / "r.json"),
                                   jobs=2))
    assert analysed == [s.session_id for s in result.collected.sessions]  # once each, in order
    assert split_runs == [5]
    again = [analyse(s) for s in loader.load([str(tmp_path)], jobs=1)]
    assert attoreport.render_json(result.analyses) == attoreport.render_json(again)


_IDS = st.one_of(st.integers(0, 6), st.integers(-2**63, 2**63 - 1),
                 # the same low bits, different ids: the numpy path's bit table must not confuse them
                 st.integers(1, 5).map(lambda k: (k << 40) | 3))


@settings(max_examples=60, deadline=None)
@given(ids=st.lists(_IDS, min_size=1, max_size=40),
       links=st.lists(st.tuples(st.integers(0, 39), _IDS), max_size=40))
def test_parents_found_by_numpy_equal_the_plain_walk(ids: list[int],
                                                    links: list[tuple[int, int]]) -> None:
    """Each row naming a parent gets the first row with that id, when it came earlier; numpy's
    way (a bit table of the names, then a search) gives exactly the plain walk's rows."""
    from array import array

    size = len(ids)
    rows = sorted({row % size for row, _ in links})
    keys = [key for _, key in links][:len(rows)]
    rows = rows[:len(keys)]
    found = []
    for threshold in (10**12, 0):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(loader, "NUMPY_ROWS", threshold)
            found.append(list(loader._parents(array("q", ids), array("q", rows), array("q", keys),
                                              array("q"), array("q"), array("B"), size)))
    assert found[0] == found[1]
