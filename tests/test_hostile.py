"""Hostile input, end to end (issue 7): crafted traces run through the command line with every
output at once. None may end the run with a bug (exit 1 or 3), push an output past its budget,
use memory out of proportion, or let trace text form a link, mention, strikethrough or a bidi
trick.
"""

from __future__ import annotations

import gc
import json
import re
from pathlib import Path
from typing import Any

import pytest

import attoreport
from attoreport.limits import Limits
from attoreport.report import markdown
from attoreport.run import Request, Silent, write_reports


def many_sessions(path: Path, count: int) -> Path:
    """One LLM call per session id."""
    path.write_text("".join(
        json.dumps({"kind": "llm_response", "timestamp": i, "session_id": f"s{i}",
                    "data": {"tokens": i % 97 + 1, "cost": (i % 13) / 100}}) + "\n"
        for i in range(count)))
    return path


# --- bounds of the outputs, in the library -----------------------------------------------------


def test_the_json_lists_the_first_sessions_and_counts_the_rest(tmp_path: Path) -> None:
    analyses = [attoreport.analyse(s)
                for s in attoreport.load([str(many_sessions(tmp_path / "t.jsonl", 5))])]
    document = json.loads(attoreport.render_json(analyses, limits=Limits(json_sessions=3)))
    assert [s["session_id"] for s in document["sessions"]] == ["s0", "s1", "s2"]
    assert document["sessions_left_out"] == 2
    whole = json.loads(attoreport.render_json(analyses))
    assert len(whole["sessions"]) == 5 and whole["sessions_left_out"] == 0


def test_a_capped_json_keeps_the_comparison_of_the_sessions_it_lists(tmp_path: Path) -> None:
    analyses = [attoreport.analyse(s)
                for s in attoreport.load([str(many_sessions(tmp_path / "t.jsonl", 4))])]
    comparison = attoreport.compare_with_baseline(analyses, str(tmp_path / "t.jsonl"))
    document = json.loads(attoreport.render_json(analyses, comparison=comparison,
                                                 limits=Limits(json_sessions=2)))
    assert [s["comparison"]["baseline"]["session_id"] for s in document["sessions"]] == ["s0", "s1"]
    assert document["sessions_left_out"] == 2


def test_the_overview_says_where_the_sessions_it_does_not_list_are(tmp_path: Path) -> None:
    analyses = [attoreport.analyse(s)
                for s in attoreport.load([str(many_sessions(tmp_path / "t.jsonl", 9))])]
    html = attoreport.render_html(analyses, limits=Limits(overview_rows=4, json_sessions=6,
                                                          session_sections=2))
    assert "2 sessions more are in the JSON output." in html
    assert "3 sessions more are counted but listed in no output." in html


def test_the_json_keeps_the_start_of_a_huge_goal(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps({"kind": "session_start", "timestamp": 1,
                                "data": {"goal": "[*" * 500_000}}) + "\n")
    analyses = [attoreport.analyse(s) for s in attoreport.load([str(path)])]
    goal = json.loads(attoreport.render_json(analyses, limits=Limits(goal_chars=100)))[
        "sessions"][0]["summary"]["goal"]
    assert goal == "[*" * 49 + "[…"
    assert len(json.loads(attoreport.render_json(analyses))["sessions"][0]["summary"]["goal"]) \
        == Limits().goal_chars


@pytest.mark.parametrize("budget", [65_000, 4000])
def test_the_markdown_builds_only_the_sessions_that_can_fit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, budget: int) -> None:
    """80,000 sessions once meant 80,000 Markdown sections built and then left out (and as
    many table rows): the same text now comes from the few that can fit."""
    analyses = [attoreport.analyse(s)
                for s in attoreport.load([str(many_sessions(tmp_path / "t.jsonl", 3000))])]
    comparison = attoreport.compare_with_baseline(analyses[:5], str(tmp_path / "t.jsonl"))
    compared = analyses[:5]
    limits = Limits(markdown_chars=budget)
    built: list[str] = []
    section = markdown.session_section

    def counted(analysis: Any, *args: Any) -> Any:
        built.append(analysis.session.session_id)
        return section(analysis, *args)

    monkeypatch.setattr(markdown, "session_section", counted)
    fast = attoreport.render_markdown(analyses, limits=limits)
    fast_compared = attoreport.render_markdown(compared, limits=limits, comparison=comparison)
    assert 0 < len(built) < 100
    monkeypatch.setattr(markdown, "fitting_sections", lambda analyses, compared, limits: [
        counted(a, c, limits) for a, c in zip(analyses, compared, strict=True)])
    monkeypatch.setattr(markdown, "most_rows", lambda limits: 10**9)
    assert attoreport.render_markdown(analyses, limits=limits) == fast
    assert attoreport.render_markdown(compared, limits=limits, comparison=comparison) == \
        fast_compared
    listed = len(re.findall(r"^- s\d+ \(from ", fast_compared, re.MULTILINE))
    [more] = re.findall(r"^- \+([\d,]+) more sessions\.$", fast_compared, re.MULTILINE)
    assert listed + int(more.replace(",", "")) == 2995  # the sessions in the baseline only
    assert len(fast) <= budget


def test_the_cyclic_collector_rests_while_sessions_are_analysed(tmp_path: Path) -> None:
    """Re-enabled after each session, it rescanned every analysis kept so far: with 80,000
    sessions that was most of the run. Collections between two sessions are counted."""
    stage = [""]
    between_sessions: list[int] = []

    class Listener(Silent):
        def stage(self, words: str) -> None:
            stage[0] = words

    def count(phase: str, info: dict[str, int]) -> None:
        number = re.fullmatch(r"analysing session ([\d,]+) of ([\d,]+)", stage[0])
        if phase == "start" and number and number[1] != number[2]:
            between_sessions.append(info["generation"])

    gc.callbacks.append(count)
    try:
        write_reports(Request(traces=[str(many_sessions(tmp_path / "t.jsonl", 1500))],
                              json=str(tmp_path / "t.json"), jobs=1), listener=Listener())
    finally:
        gc.callbacks.remove(count)
    assert between_sessions == []


def size(text: str) -> int:
    return len(text.encode())


def quoted_names(path: Path, events: int = 300) -> Path:
    """Failed tool calls whose tool, agent and error are made of `"` (5 bytes each in HTML,
    more in chart data)."""
    path.write_text("".join(json.dumps({
        "kind": "tool_error", "timestamp": i, "iteration": i, "duration_ms": 5,
        "data": {"tool": f'{i}{chr(34) * 300}', "agent_id": f'{i}{chr(34) * 300}',
                 "error": chr(34) * 1000}}) + "\n" for i in range(events)))
    return path


def test_a_report_over_its_byte_budget_is_made_again_with_halved_limits(tmp_path: Path) -> None:
    analyses = [attoreport.analyse(s)
                for s in attoreport.load([str(quoted_names(tmp_path / "t.jsonl"))])]
    whole = attoreport.render_html(analyses)
    floor = attoreport.render_html(analyses, limits=Limits(html_bytes=1))  # every limit at its floor
    assert size(floor) < size(whole) // 2
    budget = (size(whole) + size(floor)) // 2
    fitted = attoreport.render_html(analyses, limits=Limits(html_bytes=budget))
    assert size(floor) <= size(fitted) <= budget
    assert fitted.count("<tr") < whole.count("<tr")


def test_halved_limits_reach_a_floor() -> None:
    limits, seen = Limits(), []
    while limits not in seen:
        seen.append(limits)
        limits = limits.halved()
    assert len(seen) < 16 and limits.name_chars == 16 and limits.event_rows == 10
    assert limits.markdown_chars == Limits().markdown_chars  # other outputs keep theirs


def test_sessions_share_the_tools_table_budget(tmp_path: Path) -> None:
    """Each of 50 sessions listed its 200 costliest tools: 10,000 rows of names."""
    path = tmp_path / "t.jsonl"
    path.write_text("".join(json.dumps({"kind": "tool_end", "timestamp": s * 100 + t,
                                        "session_id": f"s{s}", "data": {"tool": f"tool{t}"}})
                            + "\n" for s in range(20) for t in range(40)))
    analyses = [attoreport.analyse(s) for s in attoreport.load([str(path)])]
    html = attoreport.render_html(analyses)
    rows = re.findall(r'<th scope="row"><code>tool\d+</code></th>', html)
    assert len(rows) == 20 * Limits().share(20).tool_rows == 20 * 10
    assert Limits().share(2).tool_rows == 50 and Limits().share(1).tool_rows == 200


#: Bidi embeddings, overrides and isolates, and marks: what can reorder what a reader sees.
BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def test_the_json_escapes_bidi_controls_and_keeps_the_strings(tmp_path: Path) -> None:
    sid = "rm -rf / \u202e1\u00d7 \u2066x\u2069 \U000e0041"
    path = tmp_path / "t.jsonl"
    path.write_text("".join(json.dumps({"kind": "tool_error", "timestamp": 1, "session_id": name,
                                        "data": {"tool": sid, "error": sid}},
                                       ensure_ascii=False) + "\n" for name in (sid, "other")))
    text = attoreport.render_json([attoreport.analyse(s) for s in attoreport.load([str(path)])])
    assert not BIDI.search(text) and "\U000e0041" not in text
    assert "\\u202e" in text and "\\udb40\\udc41" in text
    assert json.loads(text)["sessions"][0]["session_id"] == sid
