"""Shared test helpers: the fixture corpus and a writer for small traces."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLES = Path(__file__).parent.parent / "sample_traces"
#: The corpus written by Attocode's own code, each with Attocode's results (.expected.json).
ALL_TRACES = sorted(t for t in FIXTURES.glob("*/*.jsonl") if t.parent.name != "hostile")


def expected_for(trace: Path) -> dict[str, Any]:
    return json.loads(trace.with_name(trace.stem + ".expected.json").read_text())


def write_trace(path: Path, events: Iterable[dict[str, Any] | str]) -> Path:
    """Write events (dicts, or raw text lines) as a JSONL trace."""
    lines = [e if isinstance(e, str) else json.dumps(e) for e in events]
    path.write_text("".join(line + "\n" for line in lines))
    return path


def event(kind: str, ts: float, iteration: int | None = None, **data: Any) -> dict[str, Any]:
    """A current-format event line as the collector writes it."""
    line: dict[str, Any] = {"event_id": f"e{ts}", "kind": kind, "timestamp": ts,
                            "session_id": "t"}
    if iteration is not None:
        line["iteration"] = iteration
    duration = data.pop("duration_ms", None)
    if data:
        line["data"] = data
    if duration is not None:
        line["duration_ms"] = duration
    return line


@pytest.fixture
def trace_dir(tmp_path: Path) -> Path:
    return tmp_path


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slowest tests (marked `slow`) run first. Handed out in collection order, they
    came last in places, and one worker went on alone for a second or two at the end; now
    both finish on short tests. A stable sort: every worker gets the same order."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-gold", action="store_true", default=False,
                     help="Rewrite the gold files in tests/gold/ from the current output.")


class Row:
    """One event of a loaded session, read from its columns (tests only: the product reads
    the columns directly)."""

    def __init__(self, session: Any, row: int) -> None:
        from attoreport.model import KNOWN_KINDS, NO_ITERATION, category_of

        table = session.table
        self.row = row
        self.kind = table.kind(row)
        self.line = table.lines[row]
        stamp = table.timestamps[row]
        self.has_timestamp = stamp == stamp
        self.timestamp = stamp if self.has_timestamp else 0.0
        number = table.iterations[row]
        self.iteration = None if number == NO_ITERATION else number
        self.category = category_of(self.kind)
        self.known_kind = self.kind in KNOWN_KINDS
        self._session = session
        llm = table.llm
        self.usage = None
        for i, llm_row in enumerate(llm.rows):
            if llm_row == row:
                self.usage = type("Usage", (), {
                    "tokens": llm.tokens[i], "cost": llm.cost[i],
                    "input_tokens": llm.input_tokens[i], "output_tokens": llm.output_tokens[i],
                    "cache_read_tokens": llm.cache_read_tokens[i],
                    "cache_write_tokens": llm.cache_write_tokens[i]})()

    @property
    def label(self) -> str:
        return self._session.details([self.row])[self.row].label


def events_of(session: Any) -> list[Row]:
    return [Row(session, r) for r in range(len(session.table))]


@pytest.fixture
def split_runs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The loader's multi-process path, taken whatever else runs in the test process.

    The loader forks only when the process has a single thread; after a browser test, a
    Playwright thread stays alive, and the loader would quietly read in one process. Here it
    splits anyway: with forked workers when no other thread is alive, else with the parts
    parsed in this process one after the other (a fork beside a live thread could deadlock).
    Returns the number of parts of each split, for the test to check that one happened."""

    from attoreport import loader

    parts: list[int] = []
    processes = loader._processes
    alone = loader.single_threaded()

    @contextmanager
    def split(function: Any, argument_lists: list[tuple[Any, ...]],
              workers: int) -> Iterator[Iterator[Any]]:
        parts.append(len(argument_lists))
        if alone:
            with processes(function, argument_lists, workers) as results:
                yield results
        else:
            yield (function(*arguments) for arguments in argument_lists)

    monkeypatch.setattr(loader, "_can_fork", lambda: True)
    monkeypatch.setattr(loader, "_processes", split)
    return parts
