"""The view model: what the report says, worded and formatted for people."""

from __future__ import annotations

from pathlib import Path

import pytest

from attoreport import analyse, load
from attoreport.analysis.tree import MAIN_LANE, build_tree
from attoreport.report import format as fmt
from attoreport.report import view as view_module
from attoreport.report.view import build_report, session_view
from tests.conftest import FIXTURES, event, write_trace


def view_of(trace: Path, anchor: str = "s1"):
    [session] = load([str(trace)])
    return session_view(analyse(session), anchor)


def test_formatting() -> None:
    assert fmt.duration_s(0.25) == "250 ms"
    assert fmt.duration_s(12.34) == "12.3 s"
    assert fmt.duration_s(252) == "4 min 12 s"
    assert fmt.duration_s(7500) == "2 h 5 min"
    assert fmt.cost(0.13569) == "$0.1357" and fmt.cost(12.5) == "$12.50" and fmt.cost(0) == "$0"
    assert fmt.tokens(950) == "950" and fmt.tokens(12_345) == "12k" and fmt.tokens(4_500_000) == "4.5M"
    assert fmt.percent(0.9750035) == "97.5%" and fmt.percent(None) == "–"
    assert fmt.offset(252.5) == "+4:12.5"


def test_outcomes_in_plain_words() -> None:
    assert view_of(FIXTURES / "collector" / "collector-clean-feature.jsonl").outcome.word == "Completed"
    assert view_of(FIXTURES / "collector" / "collector-crashed-open-session.jsonl").outcome.word == \
        "Did not finish"
    assert view_of(FIXTURES / "collector" / "collector-context-pressure.jsonl").outcome.word == \
        "Out of budget"
    assert view_of(FIXTURES / "agent" / "agent-llm-auth-error.jsonl").outcome.word == "Failed"
    assert view_of(FIXTURES / "collector" / "collector-swarm-run.jsonl").outcome.word == "Ended: partial"
    assert view_of(FIXTURES / "collector" / "collector-doom-loop-tool-errors.jsonl").outcome.word == \
        "Completed with errors"
    every_tool_failed = view_of(FIXTURES / "agent" / "agent-tool-errors.jsonl").outcome
    assert every_tool_failed.tone == "bad" and "every one of its tool calls" in \
        every_tool_failed.sentence


def test_score_word_and_components() -> None:
    v = view_of(FIXTURES / "collector" / "collector-clean-feature.jsonl")
    assert (v.score.score, v.score.word) == ("88.6", "Excellent")
    assert [c.name for c in v.score.components] == [
        "cache_hit_rate", "error_rate", "compaction_frequency", "tool_success_rate",
        "token_efficiency"]
    assert v.score.caveat == ""
    agent = view_of(FIXTURES / "agent" / "agent-normal-task.jsonl")
    assert "only total tokens" in agent.score.caveat
    assert agent.score.components[0].measured == "not recorded"


def test_issues_grouped_by_category_most_severe_first() -> None:
    v = view_of(FIXTURES / "collector" / "collector-context-pressure.jsonl")
    assert [g.category for g in v.issue_groups][0] == "context_overflow"
    spikes = next(g for g in v.issue_groups if g.category == "token_spike")
    assert len(spikes.issues) > 1 and spikes.name == "Token usage spikes"
    assert v.findings == v.issue_groups[:3]
    linked = [i for g in v.issue_groups for i in g.issues if i.iteration is not None]
    assert all(i.link == f"s1-iter-{i.iteration}" for i in linked)
    assert all(i.involved.startswith(f"Iteration {i.iteration} used") for i in linked)


def test_tree_nests_events_under_their_parents() -> None:
    [session] = load([str(FIXTURES / "collector" / "collector-subagents-hierarchy.jsonl")])
    tree = build_tree(session)
    assert tree.size == len(session.events) + sum(1 for n in tree.roots if n.kind == "iteration")
    assert {tree.lane_of(e) for e in session.events} - {MAIN_LANE}  # subagent lanes exist

    def depth(nodes, level=1):
        return max((max(level, depth(n.children, level + 1)) for n in nodes), default=level - 1)

    assert depth(tree.roots) >= 7  # parent chains up to 7 events long, under an iteration


def test_agent_tool_calls_pair_by_tool_id() -> None:
    [session] = load([str(FIXTURES / "agent" / "agent-normal-task.jsonl")])
    tree = build_tree(session)
    starts = [n for root in tree.roots for n in root.children if n.kind == "tool_start"]
    assert starts and all([c.kind for c in s.children] == ["tool_end"] for s in starts)


def test_parent_cycles_and_missing_parents_do_not_break_the_tree(tmp_path: Path) -> None:
    events = [
        {**event("tool_start", 1.0, 1), "event_id": "a", "parent_event_id": "b"},
        {**event("tool_end", 2.0, 1), "event_id": "b", "parent_event_id": "a"},
        {**event("tool_end", 3.0, 1), "event_id": "c", "parent_event_id": "c"},
        {**event("custom", 4.0), "event_id": "d", "parent_event_id": "nowhere"},
    ]
    [session] = load([str(write_trace(tmp_path / "t.jsonl", events))])
    tree = build_tree(session)
    [iteration, orphan] = tree.roots
    assert [n.node_id for n in iteration.children] == ["event-1", "event-3"]
    assert [n.node_id for n in iteration.children[0].children] == ["event-2"]
    assert orphan.node_id == "event-4" and tree.size == 5


def test_deep_chains_are_flattened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(view_module, "MAX_TREE_DEPTH", 3)
    events = [{**event("custom", float(i), 1), "event_id": f"e{i}",
               "parent_event_id": f"e{i - 1}"} for i in range(10)]
    v = view_of(write_trace(tmp_path / "t.jsonl", events))

    def depth(items, level=1):
        return max((max(level, depth(i.children, level + 1)) for i in items), default=level - 1)

    assert depth(v.tree) == 5  # iteration, 3 levels, then the rest flat
    assert sum(1 for _ in _flatten(v.tree)) == 11


def _flatten(items):
    for item in items:
        yield item
        yield from _flatten(item.children)


def test_timeline_bars_and_lanes() -> None:
    v = view_of(FIXTURES / "collector" / "collector-subagents-hierarchy.jsonl")
    assert v.lanes[:2] == ["Iterations", MAIN_LANE] and len(v.lanes) > 2
    assert {b.group for b in v.bars} >= {"iteration", "llm", "tool", "subagent"}
    agent = view_of(FIXTURES / "agent" / "agent-budget-exhausted.jsonl")
    iterations = [b for b in agent.bars if b.group == "iteration"]
    assert len(iterations) == 38  # no iteration_end in agent traces: start to next start
    assert all(b.seconds >= 0 for b in agent.bars)


def test_tools_table_and_tools_used() -> None:
    v = view_of(FIXTURES / "collector" / "collector-doom-loop-tool-errors.jsonl")
    bash = next(t for t in v.tools if t.name == "bash")
    assert bash.failing and bash.errors != "0"
    assert v.tools_used.startswith("bash ×")


def test_huge_sessions_are_capped_and_binned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(view_module, "MAX_EVENT_ROWS", 40)
    monkeypatch.setattr(view_module, "MAX_TREE_NODES", 30)
    monkeypatch.setattr(view_module, "MAX_TABLE_ROWS", 20)
    monkeypatch.setattr(view_module, "MAX_POINTS", 10)
    events = []
    for i in range(1, 101):
        events += [event("iteration_start", i * 10.0, i),
                   event("llm_response", i * 10.0 + 1, i, tokens=100 + i, cost=0.01,
                         input_tokens=50, output_tokens=50 + i, cache_read_tokens=10)]
    v = view_of(write_trace(tmp_path / "t.jsonl", events))
    assert len(v.events) == 41 and v.events[30].gap == 200 - 40
    assert "200 events" in v.event_note
    assert len(v.token_rows) == 20 and v.table_note
    assert len(v.series.flow_iterations) == 10 and v.series.note
    assert v.series.flow_series["output"][0] == sum(50 + i for i in range(1, 11))
    assert "first 30 of 300 nodes" in v.tree_note  # 200 events + 100 iterations


def test_report_title_and_overview() -> None:
    sessions = load([str(FIXTURES / "collector" / "collector-clean-feature.jsonl"),
                     str(FIXTURES / "collector" / "collector-swarm-run.jsonl")])
    report = build_report([analyse(s) for s in sessions], version="9.9")
    assert report.title == "Agent session report: 2 sessions"
    assert [r.session_id for r in report.overview] == ["collector-clean-feature",
                                                        "collector-swarm-run"]
    single = build_report([analyse(sessions[0])], version="9.9", title="Mine")
    assert single.title == "Mine" and single.overview == []


def test_swarm_spend_is_shown_beside_attocodes_totals() -> None:
    v = view_of(FIXTURES / "collector" / "collector-swarm-run.jsonl")
    cost = next(s for s in v.stats if s.label == "Cost")
    assert cost.value == "$0.0403"  # Attocode's total: the main agent's LLM calls
    assert cost.note == "plus $1.99 reported by swarm tasks, not in Attocode's total"
    tokens = next(s for s in v.stats if s.label == "Tokens")
    assert "swarm tasks report 471,390 more" in tokens.note


def test_narrative_and_plain_meanings() -> None:
    v = view_of(FIXTURES / "collector" / "collector-doom-loop-tool-errors.jsonl")
    assert v.narrative.startswith("The agent worked for 3 min 16 s over 11 iterations, made ")
    assert "and 10 tool calls (5 failed), and spent $0.1155 on the model." in v.narrative
    assert "the most serious rated high" in v.narrative
    doom = next(g for g in v.issue_groups if g.category == "doom_loop")
    assert doom.meaning.startswith("The agent repeated exactly the same action")
    assert all(g.meaning for g in v.issue_groups)
    clean = view_of(FIXTURES / "collector" / "collector-clean-feature.jsonl")
    assert clean.narrative.endswith("Attocode's checks found no issues.")


def test_failed_sessions_say_the_score_is_not_success() -> None:
    v = view_of(FIXTURES / "agent" / "agent-llm-auth-error.jsonl")
    assert v.outcome.word == "Failed"
    assert v.score.caveat.startswith("The score rates how economically the agent worked")
    assert "made 2 model calls (3 model errors)" in v.narrative


def test_labels_for_the_real_agents_sparse_events() -> None:
    [session] = load([str(FIXTURES / "agent" / "agent-normal-task.jsonl")])
    labels = {e.kind: e.label for e in session.events}
    assert labels["session_start"] == "Session started"
    assert labels["llm_request"] == "LLM request (attempt 1)"


def test_many_sessions_get_sections_up_to_a_limit(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(view_module, "MAX_SESSION_SECTIONS", 2)
    events = [{**event("llm_response", float(i), 1, tokens=10), "session_id": f"run-{i}"}
              for i in range(5)]
    sessions = load([str(write_trace(tmp_path / "many.jsonl", events))])
    report = build_report([analyse(s) for s in sessions], version="x")
    assert len(report.sessions) == 2 and len(report.overview) == 5
    assert [r.anchor for r in report.overview] == ["s1", "s2", "", "", ""]
    assert "first 2 of 5 sessions" in report.overview_note


def test_session_end_without_start_shows_a_real_duration(tmp_path: Path) -> None:
    trace = write_trace(tmp_path / "t.jsonl", [event("llm_request", 1000.0, 1),
                                               event("session_end", 1030.0, status="completed")])
    [session] = load([str(trace)])
    analysis = analyse(session)
    assert analysis.summary.duration_seconds == 1030.0  # Attocode's number: from 1970
    v = session_view(analysis, "s1")
    assert next(s for s in v.stats if s.label == "Duration").value == "30.0 s"


def test_overlapping_calls_get_rows_of_their_own(tmp_path: Path) -> None:
    calls = [event("tool_end", end, 1, tool="t", args={"i": i}, duration_ms=ms)
             for i, (end, ms) in enumerate([(10.0, 9000.0), (11.0, 5000.0), (12.0, 1000.0),
                                            (20.0, 2000.0)])]
    v = view_of(write_trace(tmp_path / "t.jsonl", [event("iteration_start", 0.5, 1), *calls]))
    rows = [(b.lane_label, round(b.start, 1)) for b in v.bars if b.group == "tool"]
    # 0.5-9.5 and 5.5-10.5 overlap; 10.5-11.5 fits after the first; 17.5-19.5 after all.
    assert rows == [(MAIN_LANE, 0.5), (f"{MAIN_LANE} · 2", 5.5), (MAIN_LANE, 10.5),
                    (MAIN_LANE, 17.5)]
    assert v.lanes == ["Iterations", MAIN_LANE, f"{MAIN_LANE} · 2"]
