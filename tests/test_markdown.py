"""The Markdown summary for pull requests."""

from __future__ import annotations

import re

import attoreport
from tests.conftest import FIXTURES


def markdown(*names: str) -> str:
    sessions = attoreport.load([str(FIXTURES / n) for n in names])
    return attoreport.render_markdown([attoreport.analyse(s) for s in sessions])


def test_table_row_per_session_and_findings() -> None:
    text = markdown("collector/collector-doom-loop-tool-errors.jsonl",
                    "collector/collector-clean-feature.jsonl")
    assert "| collector-doom-loop-tool-errors | Completed with errors | 62.9 (some waste) | $0.1155 |" in text
    assert "| collector-clean-feature | Completed | 88.6 (very economical) |" in text
    assert "**high** Repeated identical tool calls `bash`: Tool 'bash' called 5 times" in text
    assert "Consider reviewing doom loop thresholds." in text  # suggestions are not cut


def test_trace_text_cannot_break_the_markdown() -> None:
    text = markdown("hostile/hostile-payloads.jsonl")
    ours = text.rsplit("\n<sub>", 1)[0]
    assert re.search(r"(?<!\\)[<>]", ours) is None  # every angle bracket from the trace escaped
    for line in text.splitlines():
        if line.startswith("| ") and "hostile" in line:
            assert line.count(" | ") == 8  # no extra columns from pipes in the trace


def test_damaged_lines_are_mentioned() -> None:
    assert "3 damaged trace line(s)" in markdown("damaged/damaged-garbage-lines.jsonl")


def test_mentions_cannot_ping_anyone(tmp_path) -> None:
    from tests.conftest import event, write_trace

    trace = write_trace(tmp_path / "t.jsonl", [
        {**event("subagent_timeout", 1.0, 1, agent_id="@org/team"), "session_id": "x"}])
    sessions = attoreport.load([str(trace)])
    text = attoreport.render_markdown([attoreport.analyse(s) for s in sessions])
    assert "@org" not in text and "@\u2060org/team" in text
