"""Shared test helpers: the fixture corpus and a writer for small traces."""

from __future__ import annotations

import json
from collections.abc import Iterable
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


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-gold", action="store_true", default=False,
                     help="Rewrite the gold files in tests/gold/ from the current output.")
