"""The loader's column path (a block's typed events turned into columns at C speed) gives
exactly what the event-by-event typed path gives, on clean traces and on traces with every
odd value the typed decoder accepts: both paths build the same parser state, byte for byte.
"""

from __future__ import annotations

import importlib
import io
import json
import random
import sys
from pathlib import Path
from typing import Any

import pytest

from attoreport import loader
from tests.conftest import FIXTURES

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
generate = importlib.import_module("generate")


def parse(data: bytes, *, columns: bool, block_bytes: int, monkeypatch: Any) -> loader._Chunk:
    """The parser's result for `data`, with or without the column path."""
    monkeypatch.setattr(loader, "BLOCK_BYTES", block_bytes)
    monkeypatch.setattr(loader, "FAST_ROWS", 8 if columns else 10**9)
    parser = loader._ChunkParser("trace.jsonl", first_chunk=True)
    loader._feed(parser, io.BytesIO(data), 0)
    return parser.result()


def state(chunk: loader._Chunk) -> dict[str, Any]:
    """Everything a parser built, comparable (columns as bytes: NaN-safe, type-exact)."""
    groups = [(g.key, g.log.entries("f", None), g.log.damaged_lines, g.start, g.header, g.end,
               g.legacy_id, g.status, g.kind_lines, g.legacy_lines,
               list(g.changed_files.items()), g.changed_more) for g in chunk.groups]
    return {
        "columns": {name: (col.typecode, col.tobytes()) for name, col in chunk.columns.items()},
        "strings": chunk.strings, "kind_names": chunk.kind_names,
        "task_spend": list(chunk.task_spend.items()),
        "skipped": list(chunk.skipped.items()), "groups": groups,
        "row_groups": None if chunk.row_groups is None else chunk.row_groups.tobytes(),
        "single": chunk.single_group, "current": chunk.current,
        "checkpoints": [c.tobytes() for c in chunk.checkpoints],
        "flags": (chunk.lines_read, chunk.saw_event_line, chunk.missing_timestamps,
                  chunk.first_problem, chunk.has_lines, chunk.has_content),
    }


def assert_paths_agree(data: bytes, monkeypatch: Any, block_bytes: int = 1 << 20) -> None:
    slow = state(parse(data, columns=False, block_bytes=block_bytes, monkeypatch=monkeypatch))
    fast = state(parse(data, columns=True, block_bytes=block_bytes, monkeypatch=monkeypatch))
    for key in slow:
        assert fast[key] == slow[key], key


def mutated(lines: list[bytes], seed: int) -> bytes:
    """The lines with odd but typed-readable values (and a few generic ones) sprinkled in."""
    rng = random.Random(seed)
    out = []
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            out.append(line)
            continue
        data = record.setdefault("data", {})
        roll = rng.random()
        if roll < 0.03:
            record["session_id"] = rng.choice(["other", "", None, "another"])
        elif roll < 0.06:
            record.pop("iteration", None) if rng.random() < 0.5 else record.update(iteration=None)
        elif roll < 0.09:
            record["event_id"] = rng.choice(["", None, "x" * 65, "y" * 64])
        elif roll < 0.12:
            for key in ("tokens", "output_tokens", "cost", "model"):
                if rng.random() < 0.5:
                    data.pop(key, None)
            if rng.random() < 0.3:
                data["model"] = rng.choice(["", None, "m" * 200, "glass-1"])
        elif roll < 0.15:
            record["duration_ms"] = rng.choice([0, 0.0, 12.5, 10**16])
        elif roll < 0.18:
            data["duration_ms"] = rng.choice([5.5, 10**16, None, 0])
        elif roll < 0.21:
            data["metadata"] = {"duration_ms": rng.choice([7, None, 10**16]),
                                "tool_id": rng.choice(["t1", "t2", None, ""])}
        elif roll < 0.24:
            data.pop("tool", None)
            data["tool_name"] = rng.choice(["bash", "read_file", "spawn_agent"])
        elif roll < 0.27:
            data["tool_id"] = rng.choice(["t1", "t2", "", None])
        elif roll < 0.30:
            data["agent_id"] = rng.choice(["a1", "a2", "", "b" * 300])
        elif roll < 0.33:
            data[rng.choice(["tokens", "input_tokens", "cost"])] = rng.choice([10**16, -1e16, 5])
        elif roll < 0.36:
            data["error"] = rng.choice(["boom", "", None, "e" * 900])
        elif roll < 0.38:
            record["kind"] = rng.choice(["session_start", "session_end", "mystery", "tool"])
        elif roll < 0.40:
            data.update(tokens=3, cost=0.5, skipped=["a", "b"])
            record["kind"] = rng.choice(["swarm_task_complete", "swarm_task_failed"])
        elif roll < 0.42:
            record["parent_event_id"] = rng.choice(["", None, "nope"])
        if not data:
            record.pop("data")
        out.append(json.dumps(record).encode())
        if rng.random() < 0.01:
            out.append(rng.choice([b"", b"not json", b'{"kind": "tool_end", "timestamp": 1e20}']))
    return b"\n".join(out) + b"\n"


@pytest.mark.parametrize("trace", sorted(FIXTURES.glob("*/*.jsonl")), ids=lambda p: p.stem)
def test_fixtures(trace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert_paths_agree(trace.read_bytes(), monkeypatch)
    assert_paths_agree(trace.read_bytes(), monkeypatch, block_bytes=512)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_traces(seed: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "t.jsonl"
    generate.write_trace(path, 3000, seed=seed, closed=seed != 2)
    assert_paths_agree(path.read_bytes(), monkeypatch)
    assert_paths_agree(path.read_bytes(), monkeypatch, block_bytes=8192)


@pytest.mark.parametrize("seed", range(6))
def test_odd_values(seed: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "t.jsonl"
    generate.write_trace(path, 2000, seed=seed)
    data = mutated(path.read_bytes().splitlines(), seed)
    assert_paths_agree(data, monkeypatch)
    assert_paths_agree(data, monkeypatch, block_bytes=4096)


def test_the_column_path_is_taken(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a clean trace every event but the session's start and end goes through columns."""
    path = tmp_path / "t.jsonl"
    generate.write_trace(path, 3000, seed=4)
    taken: list[int] = []
    append = loader._ChunkParser._append_columns

    def counting(self: Any, block: Any, start: int, stop: int) -> None:
        taken.append(stop - start)
        append(self, block, start, stop)

    monkeypatch.setattr(loader._ChunkParser, "_append_columns", counting)
    parse(path.read_bytes(), columns=True, block_bytes=1 << 20, monkeypatch=monkeypatch)
    assert sum(taken) == 3000 - 2


def test_parts_spilled_to_files_join_exactly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             split_runs: list[int]) -> None:
    """Byte ranges decoded by workers that write their columns to files (some with a display
    column of their own, some without) join into exactly the one-process result, and the
    files are gone afterwards."""
    import tempfile

    from tests.test_scale import table_state

    agent = (FIXTURES / "agent" / "agent-normal-task.jsonl").read_bytes()
    collector = (FIXTURES / "collector" / "collector-subagents-hierarchy.jsonl").read_bytes()
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(collector * 3 + agent + collector * 3)
    one = loader.load([str(path)], jobs=1)
    monkeypatch.setattr(loader, "PARALLEL_BYTES", 1)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "spill"))
    (tmp_path / "spill").mkdir()
    for jobs in (2, 4):
        many = loader.load([str(path)], jobs=jobs)
        assert [table_state(s) for s in many] == [table_state(s) for s in one]
        assert split_runs[-1] == jobs
    assert any(s.table.display_durations is not s.table.durations for s in one)
    assert not list((tmp_path / "spill").iterdir())


@pytest.mark.parametrize("scan_bytes", [5, 64, 1 << 16])
def test_lines_are_read_again_exactly(scan_bytes: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading chosen lines back (for `details`) gives the lines text mode gives, however
    the reads fall and whatever ends the lines (LF, CRLF, lone CR)."""
    rng = random.Random(scan_bytes)
    monkeypatch.setattr(loader, "SCAN_BYTES", scan_bytes)
    for _ in range(40):
        lines = [("x" * rng.randrange(0, 30)).encode() for _ in range(rng.randrange(1, 60))]
        ends = [rng.choice([b"\n", b"\n", b"\r\n", b"\r"]) if rng.random() < 0.3 else b"\n"
                for _ in lines]
        data = b"".join(line + end for line, end in zip(lines, ends, strict=True))
        if rng.random() < 0.3:
            data = data.rstrip(b"\r\n")  # no newline at the end
        expected = data.splitlines()
        wanted = sorted(rng.sample(range(1, len(expected) + 1), min(5, len(expected))))
        found: dict[int, bytes] = {}
        loader._scan(io.BytesIO(data), 1, wanted, found)
        assert found == {n: expected[n - 1] for n in wanted}


def test_details_are_read_once_per_row(monkeypatch: pytest.MonkeyPatch) -> None:
    """The HTML and the JSON ask for some of the same rows: each is read from the file once
    (a request for more rows than a report shows is answered without being kept)."""
    [session] = loader.load([str(FIXTURES / "collector" / "collector-swarm-run.jsonl")])
    reads: list[list[int]] = []
    read_lines = loader._Lines.read_lines

    def counting(self: Any, wanted: Any) -> Any:
        reads.append(list(wanted))
        return read_lines(self, wanted)

    monkeypatch.setattr(loader._Lines, "read_lines", counting)
    first = session.details([3, 5, 8])
    assert session.details([5, 8, 9]) == {r: first[r] for r in (5, 8)} | session.details([9])
    assert [len(r) for r in reads] == [3, 1]
    monkeypatch.setattr(loader, "DETAIL_CACHE_ROWS", 6)
    session.details(list(range(20)))
    session.details(list(range(20)))
    assert [len(r) for r in reads[2:]] == [16, 16]


def test_argument_memo_is_shared_within_a_load_and_emptied_after(tmp_path: Path) -> None:
    """Traces of one folder share the memo of tool-call arguments (the same calls recur
    across a project's traces); each session's figures equal its own file's alone, and the
    memo holds nothing once the load ends (a library caller does not keep it)."""
    folder = tmp_path / "runs"
    generate.write_folder(folder, 3, 600, seed=5)
    seen_sizes: list[int] = []
    finish = loader._finish

    def watching(*args: Any, **kwargs: Any) -> Any:
        seen_sizes.append(len(loader._ARGS_SEEN))
        return finish(*args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(loader, "_finish", watching)
        together = loader.load([str(folder)], jobs=1)
    assert seen_sizes and seen_sizes[-1] > seen_sizes[0] > 0  # filled, and kept across files
    assert len(loader._ARGS_SEEN) == 0
    alone = [s for path in sorted(folder.glob("*.jsonl")) for s in loader.load([str(path)], jobs=1)]
    assert len(loader._ARGS_SEEN) == 0
    assert [s.session_id for s in together] == [s.session_id for s in alone]
    for a, b in zip(together, alone, strict=True):
        assert a.table.flags == b.table.flags
        assert a.table.tools == b.table.tools and a.table.strings == b.table.strings
        assert a.table.tool_calls == b.table.tool_calls
        assert a.changed_files == b.changed_files


@pytest.mark.parametrize("entries,text", [(10, 10**9), (10**9, 2000)])
def test_argument_memo_stays_bounded(entries: int, text: int, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """At most two generations of ARGS_SEEN calls, or of ARGS_SEEN_TEXT bytes of arguments
    (a generation that holds either becomes the older one); the figures are those of a load
    with a memo that never forgets."""
    path = tmp_path / "t.jsonl"
    generate.write_trace(path, 3000, seed=6)
    [whole] = loader.load([str(path)], jobs=1)
    monkeypatch.setattr(loader, "ARGS_SEEN", entries)
    monkeypatch.setattr(loader, "ARGS_SEEN_TEXT", text)
    sizes: list[tuple[int, int]] = []
    typed_args = loader._ChunkParser._typed_args

    def watching(self: Any, tool: str, raw_args: bytes) -> Any:
        found = typed_args(self, tool, raw_args)
        memo = loader._ARGS_SEEN
        sizes.append((len(memo), sum(len(t) + len(a) for t, a in [*memo.new, *memo.old])))
        return found

    monkeypatch.setattr(loader._ChunkParser, "_typed_args", watching)
    [bounded] = loader.load([str(path)], jobs=1)
    assert len(sizes) > 100
    if entries == 10:
        assert max(n for n, _ in sizes) == 2 * 10 - 1
    else:
        assert 2000 < max(t for _, t in sizes) < 2 * (2000 + loader.ARGS_SEEN_BYTES)
    assert bounded.table.flags == whole.table.flags
    assert bounded.table.tool_calls == whole.table.tool_calls


def test_argument_memo_keeps_the_calls_made_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """A call made again and again stays in the memo however many other calls come between
    its repeats, as long as they fit in a generation; one never made again is dropped after
    two."""
    monkeypatch.setattr(loader, "ARGS_SEEN", 100)
    memo = loader._ArgsMemo()
    memo.put(("bash", b'{"command": "pytest"}'), (1, None, 0, None))
    for i in range(1000):
        memo.put(("read_file", b'{"path": "%d"}' % i), (i, None, 0, None))
        if i % 50 == 0:
            assert memo.get(("bash", b'{"command": "pytest"}')) == (1, None, 0, None)
    assert memo.get(("read_file", b'{"path": "0"}')) is None
    assert memo.get(("read_file", b'{"path": "999"}')) == (999, None, 0, None)
    assert len(memo) < 2 * 100


@pytest.mark.parametrize("seed", [7, 8])
def test_parent_links_through_numpy_equal_the_plain_walk(seed: int, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Large tables resolve `parent_event_id` with numpy: the same rows as the plain walk,
    on a generated trace and on one whose ids repeat, point forward or name nothing."""
    path = tmp_path / "t.jsonl"
    generate.write_trace(path, 3000, seed=seed)
    lines = path.read_bytes().splitlines()
    rng = random.Random(seed)
    odd = []
    for line in lines:
        record = json.loads(line)
        roll = rng.random()
        if roll < 0.05:
            record["event_id"] = "same-id"  # repeated ids: the first one is the parent
        elif roll < 0.10:
            record["parent_event_id"] = rng.choice(["same-id", "nowhere", lines[-1][16:28].decode()])
        odd.append(json.dumps(record).encode())
    data = b"\n".join(odd) + b"\n"
    results = []
    for rows in (10**12, 0):
        monkeypatch.setattr(loader, "NUMPY_ROWS", rows)
        [session] = loader.load_lines(data.splitlines(), "t.jsonl", "t")
        results.append(session.table.parents)
    assert results[0] == results[1]
    assert sum(1 for p in results[0] if p != loader.NO_ROW) > 300


def test_forked_workers_read_what_one_process_reads(tmp_path: Path) -> None:
    """In a fresh interpreter (one thread, so the loader forks: the test processes of
    pytest-xdist never do), a trace split across two worker processes by byte range, and a
    folder split by file, load exactly as in one process."""
    import subprocess

    path = tmp_path / "t.jsonl"
    generate.write_trace(path, 3000, seed=12)
    generate.write_folder(tmp_path / "runs", 24, 100, seed=13)  # handed out 3 files at a time
    script = """
import json, sys
from attoreport import analyse, loader
from attoreport.report.jsondoc import session_document
loader.PARALLEL_BYTES = 1
parts = []
processes = loader._processes
def counted(function, argument_lists, workers):
    parts.append(len(argument_lists))
    return processes(function, argument_lists, workers)
loader._processes = counted
out = {1: [], 2: []}
for argument in sys.argv[1:]:  # a file (split by byte range), then a folder (by file)
    for jobs in (1, 2):
        out[jobs] += [json.dumps(session_document(analyse(s)), sort_keys=True, default=str)
                      for s in loader.load([argument], jobs=jobs)]
assert loader._can_fork()
print(json.dumps({"same": out[1] == out[2], "parts": parts, "sessions": len(out[1])}))
"""
    done = subprocess.run([sys.executable, "-c", script, str(path), str(tmp_path / "runs")],
                          capture_output=True, text=True, check=True)
    result = json.loads(done.stdout)
    assert result == {"same": True, "parts": [2, 24], "sessions": 25}
