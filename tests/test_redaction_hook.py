"""`load(..., redactor=)` redacts every string a session keeps for display, after the numbers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attoreport
from attoreport.report.jsondoc import session_document
from tests.conftest import FIXTURES, event, write_trace

SECRET = "ghp_SECRET"


class StandInRedactor:
    """Same API as attoreport.redact.Redactor: replaces the secret everywhere."""

    def text(self, text: str) -> str:
        return text.replace(SECRET, "[redacted]")

    def value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, dict):
            return {k: self.value(v) for k, v in value.items()}
        return value


def test_every_kept_string_is_redacted_and_the_numbers_stay(tmp_path: Path) -> None:
    trace = write_trace(tmp_path / "t.jsonl", [
        event("session_start", 1.0, goal=f"use {SECRET}", model=SECRET, token=SECRET),
        *[event("tool_end", 2.0 + i, 1, tool=f"t{SECRET}", agent_id=SECRET,
                args={"command": f"echo {SECRET}"}, result=f"{SECRET}\nmore") for i in range(3)],
        event("tool_error", 6.0, 1, tool="x", error=f"bad {SECRET}"),
        event(f"custom_{SECRET}", 7.0),
        {"kind": "llm_request", "timestamp": 8.0, "iteration": f"it {SECRET}"},
        event("session_end", 9.0, status=f"done {SECRET}"),
    ])
    [plain] = attoreport.load([str(trace)])
    [session] = attoreport.load([str(trace)], redactor=StandInRedactor())
    kept = json.dumps([session.goal, session.model, session.metadata, session.end_status,
                       session.table.strings, session.table.kind_names,
                       session.error_texts(range(len(session.table))),
                       [d.message for d in session.diagnostics],
                       [list(vars_of(d)) for d in session.details(range(len(session.table)))
                        .values()]], ensure_ascii=False)
    assert SECRET not in kept and "[redacted]" in kept
    assert SECRET in json.dumps([d.subject for d in plain.details([1]).values()])
    ours = session_document(attoreport.analyse(session))
    theirs = session_document(attoreport.analyse(plain))
    assert ours["summary"]["total_tokens"] == theirs["summary"]["total_tokens"]
    assert [i["category"] for i in ours["issues"]] == [i["category"] for i in theirs["issues"]]
    assert "doom_loop" in [i["category"] for i in ours["issues"]]
    assert SECRET not in json.dumps(ours)


def vars_of(detail: Any) -> tuple[str, ...]:
    return (detail.label, detail.preview, detail.subject, detail.excerpt)


def test_redaction_leaves_parity_fixtures_unchanged() -> None:
    trace = FIXTURES / "collector" / "collector-doom-loop-tool-errors.jsonl"
    [plain] = attoreport.load([str(trace)])
    [redacted] = attoreport.load([str(trace)], redactor=StandInRedactor())
    assert session_document(attoreport.analyse(plain)) == \
        session_document(attoreport.analyse(redacted))
