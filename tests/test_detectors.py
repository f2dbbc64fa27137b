"""Each of Attocode's 13 inefficiency rules on its own: what fires it, and what does not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from attoreport import InefficiencyDetector, analyse, load
from attoreport.analysis import RULES
from attoreport.analysis.detectors import DetectedIssue
from tests.conftest import FIXTURES, event, write_trace


def issues_of(tmp_path: Path, events: list[dict[str, Any]]) -> list[DetectedIssue]:
    [session] = load([str(write_trace(tmp_path / "t.jsonl", events))])
    return InefficiencyDetector(session).detect()


def categories(issues: list[DetectedIssue]) -> list[str]:
    return [i.category for i in issues]


def iterations(n: int, with_tools: set[int]) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for i in range(1, n + 1):
        events.append(event("iteration_start", float(i), i))
        if i in with_tools:
            events.append(event("tool_end", i + 0.5, i, tool="read_file", args={"path": str(i)}))
    return events


def llm(ts: float, iteration: int, **usage: Any) -> dict[str, Any]:
    return event("llm_response", ts, iteration, **usage)


def test_there_are_thirteen_rules_in_attocodes_order() -> None:
    assert [r.__name__ for r in RULES] == [
        "spinning", "doom_loop", "cache_drop", "token_spike", "compaction_frequency",
        "empty_response", "tool_error_rate", "long_tool", "context_overflow",
        "budget_warning_ignored", "subagent_timeout", "swarm_cascade_failures",
        "swarm_excessive_conflicts"]


# Real traces first: each rule fires on the corpus file made to trigger it.
@pytest.mark.parametrize(("trace", "category"), [
    ("collector/collector-spinning-research", "spinning"),
    ("collector/collector-doom-loop-tool-errors", "doom_loop"),
    ("collector/collector-context-pressure", "cache_drop"),
    ("collector/collector-spinning-research", "token_spike"),
    ("collector/collector-context-pressure", "compaction_frequency"),
    ("collector/collector-spinning-research", "empty_response"),
    ("collector/collector-doom-loop-tool-errors", "tool_error_rate"),
    ("collector/collector-subagents-hierarchy", "long_tool"),
    ("collector/collector-all-kinds-markdown-goal", "context_overflow"),
    ("collector/collector-context-pressure", "budget_warning_ignored"),
    ("collector/collector-subagents-hierarchy", "subagent_timeout"),
    ("collector/collector-swarm-run", "swarm_cascade_failures"),
    ("collector/collector-swarm-run", "swarm_excessive_conflicts"),
])
def test_rule_fires_on_its_corpus_trace(trace: str, category: str) -> None:
    [session] = load([str(FIXTURES / f"{trace}.jsonl")])
    assert category in categories(analyse(session).issues)


def test_clean_session_has_no_issues() -> None:
    [session] = load([str(FIXTURES / "collector" / "collector-clean-feature.jsonl")])
    assert analyse(session).issues == []


def test_spinning_needs_more_than_fifteen(tmp_path: Path) -> None:
    assert categories(issues_of(tmp_path, iterations(16, {1, 16}))) == []  # a run of 14
    [issue] = issues_of(tmp_path, iterations(18, {1, 18}))  # a run of 16: 2-17
    assert issue.category == "spinning" and issue.iteration == 2
    assert "16 consecutive iterations (2-17)" in issue.description
    [trailing] = issues_of(tmp_path, iterations(17, {1}))
    assert "at end of session" in trailing.description


def test_spinning_with_a_huge_iteration_number_is_instant(tmp_path: Path) -> None:
    events = iterations(2, {1}) + [event("iteration_start", 9.0, 10**12)]
    [issue] = issues_of(tmp_path, events)
    assert issue.iteration == 2 and f"{10**12 - 1} consecutive" in issue.description


def test_doom_loop_counts_identical_arguments_only(tmp_path: Path) -> None:
    same = [event("tool_end", float(i), i, tool="bash", args={"b": 1, "a": [1, 2]})
            for i in range(1, 3)]
    reordered = event("tool_error", 5.0, 3, tool="bash", args={"a": [1, 2], "b": 1}, error="x")
    other = event("tool_end", 6.0, 4, tool="bash", args={"a": [2, 1], "b": 1})
    [issue] = issues_of(tmp_path, [*same, reordered, other])
    assert issue.title == "Repeated tool call: bash" and issue.iteration == 1
    assert "called 3 times" in issue.description
    assert issues_of(tmp_path, [*same, other]) == []


def test_cache_drop(tmp_path: Path) -> None:
    calls = [llm(1.0, 1, input_tokens=100, cache_read_tokens=900),
             llm(2.0, 2, input_tokens=800, cache_read_tokens=200)]
    [issue] = issues_of(tmp_path, calls)
    assert issue.category == "cache_drop" and issue.iteration == 2
    assert "from 90% to 20% (a 70% decrease)" in issue.description
    gentle = [calls[0], llm(2.0, 2, input_tokens=500, cache_read_tokens=500)]
    assert issues_of(tmp_path, gentle) == []


def test_token_spike_needs_three_calls_and_twice_the_mean(tmp_path: Path) -> None:
    calls = [llm(float(i), i, tokens=t) for i, t in enumerate([100, 100, 100, 1000], start=1)]
    [issue] = issues_of(tmp_path, calls)
    assert issue.category == "token_spike" and issue.iteration == 4
    assert "used 1,000 tokens, which is 3.1x the average (325)" in issue.description
    assert issues_of(tmp_path, calls[2:]) == []  # two calls only


def test_compaction_frequency_first_window_only(tmp_path: Path) -> None:
    marks = [event("compaction_end", float(i), i, tokens_saved=1) for i in (1, 5, 9, 30, 31, 32, 33)]
    [issue] = [i for i in issues_of(tmp_path, marks) if i.category == "compaction_frequency"]
    assert issue.iteration == 30 and issue.description.startswith("4 compactions")
    no_iteration = [event("compaction_end", float(i), None) for i in range(6)]
    assert issues_of(tmp_path, no_iteration) == []


def test_empty_response_needs_token_keys(tmp_path: Path) -> None:
    empty = llm(1.0, 1, tokens=0, output_tokens=0)
    no_keys = llm(2.0, 2, cost=0.0)
    [issue] = issues_of(tmp_path, [empty, no_keys])
    assert issue.category == "empty_response" and issue.iteration == 1


def test_tool_error_rate(tmp_path: Path) -> None:
    ok = [event("tool_end", float(i), 1, tool="t", args={"i": i}) for i in range(2)]
    bad = [event("tool_error", 5.0 + i, 1, tool="t", args={"j": i}, error="e") for i in range(2)]
    [issue] = issues_of(tmp_path, ok + bad[:1] + bad[1:])
    assert issue.description.startswith("2/4 tool calls failed (50% error rate)")
    assert issues_of(tmp_path, ok[:1] + bad[:1]) == []  # fewer than 3 calls


def test_long_tool_reads_top_level_then_data_duration(tmp_path: Path) -> None:
    top = event("tool_end", 1.0, 1, tool="pytest", duration_ms=45_000.0)
    in_data = {**event("tool_end", 2.0, 2, tool="bash"), "data": {"tool": "bash", "duration_ms": "31000"}}
    short = event("tool_end", 3.0, 3, tool="ls", duration_ms=30_000.0)
    found = issues_of(tmp_path, [top, in_data, short])
    assert [(i.title, i.iteration) for i in found] == [
        ("Long tool execution: pytest", 1), ("Long tool execution: bash", 2)]
    assert "took 45.0s" in found[0].description


def test_context_overflow_and_subagent_timeout(tmp_path: Path) -> None:
    found = issues_of(tmp_path, [event("context_overflow", 1.0, 3),
                                 event("subagent_timeout", 2.0, 4, agent_id="sub-x")])
    assert [(i.severity, i.category, i.iteration) for i in found] == [
        ("critical", "context_overflow", 3), ("high", "subagent_timeout", 4)]
    assert found[1].title == "Subagent timeout: sub-x"


def test_budget_warning_ignored_unless_tools_drop_or_mode_changes(tmp_path: Path) -> None:
    def tools(i: int, n: int) -> list[dict[str, Any]]:
        return [event("tool_end", i + k / 10, i, tool="t", args={"k": k, "i": i}) for k in range(n)]
    warning = event("budget_warning", 1.9, 1, message="80%")
    ignored = [*tools(1, 2), warning, *tools(2, 2), *tools(3, 2), *tools(4, 2)]
    [issue] = issues_of(tmp_path, ignored)
    assert issue.category == "budget_warning_ignored" and issue.iteration == 1
    heeded = [*tools(1, 2), warning, *tools(2, 2), *tools(3, 0)]
    assert "budget_warning_ignored" not in categories(issues_of(tmp_path, heeded))
    mode = [*tools(1, 2), warning, *tools(2, 2), event("mode_change", 3.0, 3)]
    assert "budget_warning_ignored" not in categories(issues_of(tmp_path, mode))


def test_swarm_rules(tmp_path: Path) -> None:
    swarm = [event("swarm_wave_start", 1.0)]
    swarm += [event("swarm_task_start", 2.0 + i, task_id=str(i)) for i in range(4)]
    swarm += [event("swarm_task_failed", 7.0, skipped=["a"]),
              event("swarm_task_failed", 8.0, skipped="not a list")]
    swarm += [event("swarm_conflict", 9.0 + i) for i in range(3)]
    cascade, conflicts = issues_of(tmp_path, swarm)
    assert cascade.title == "Cascade failures affecting 75% of tasks"
    assert cascade.description.startswith("2 tasks failed and 1 were cascade-skipped out of 4")
    assert cascade.iteration is None
    assert conflicts.title == "High conflict rate: 3.0 conflicts/batch"
    calm = swarm[:5] + [event("swarm_conflict", 9.0), event("swarm_conflict", 10.0)]
    assert issues_of(tmp_path, calm) == []
