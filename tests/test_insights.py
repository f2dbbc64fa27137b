"""What the report computes beyond Attocode's numbers: tree, timeline, selections, tools,
per-iteration figures, outcome (attoreport.analysis.*)."""

from __future__ import annotations

from pathlib import Path

from attoreport import analyse, load
from attoreport.analysis import outcome as states
from attoreport.analysis.insights import insights
from attoreport.analysis.iterations import iteration_stats
from attoreport.analysis.select import select_events, time_order, with_ancestors
from attoreport.analysis.timeline import MAIN_LANE, Lanes, build_timeline
from attoreport.analysis.tools import percentile, tool_summaries
from attoreport.analysis.tree import TreeNode, build_tree
from attoreport.limits import Limits
from attoreport.model import FAILURE_KINDS
from tests.conftest import FIXTURES, event, write_trace

COLLECTOR = FIXTURES / "collector"


def loaded(trace: Path):
    [session] = load([str(trace)])
    return session


def tree_of(trace: Path, rows=None, depth: int = 1_000_000):
    table = loaded(trace).table
    return build_tree(table, iteration_stats(table), rows, depth)


def walk(nodes: list[TreeNode]):
    for node in nodes:
        yield node
        yield from walk(node.children)


def test_outcomes() -> None:
    def state(path: Path) -> str:
        return analyse(loaded(path)).outcome.state

    assert state(COLLECTOR / "collector-clean-feature.jsonl") == states.COMPLETED
    assert state(COLLECTOR / "collector-crashed-open-session.jsonl") == states.OPEN
    assert state(COLLECTOR / "collector-context-pressure.jsonl") == states.OUT_OF_BUDGET
    assert state(FIXTURES / "agent" / "agent-llm-auth-error.jsonl") == states.MODEL_FAILED
    assert state(COLLECTOR / "collector-swarm-run.jsonl") == states.ENDED_WITH_STATUS
    assert state(COLLECTOR / "collector-doom-loop-tool-errors.jsonl") == \
        states.COMPLETED_WITH_ERRORS
    assert state(FIXTURES / "agent" / "agent-tool-errors.jsonl") == states.ALL_TOOLS_FAILED


def test_counts_are_attocodes_and_add_up() -> None:
    a = analyse(loaded(COLLECTOR / "collector-doom-loop-tool-errors.jsonl"))
    c = a.outcome.counts
    assert (c.model_calls, c.tool_calls, c.errors) == (a.summary.llm_calls, a.summary.tool_calls,
                                                      a.summary.errors)
    assert c.errors == c.failed_tool_calls + c.failed_model_calls + c.error_events == 7


def test_wall_time_runs_from_the_first_event(tmp_path: Path) -> None:
    # Two prompts: the second session_start is later; Attocode measures from it.
    trace = write_trace(tmp_path / "t.jsonl", [
        event("session_start", 100.0), event("llm_response", 101.0, 1, tokens=1),
        event("session_start", 101.4), event("session_end", 106.5, status="completed")])
    a = analyse(loaded(trace))
    assert a.summary.duration_seconds == 106.5 - 101.4
    assert a.outcome.wall_seconds == 6.5


def test_tree_nests_events_under_their_parents() -> None:
    session = loaded(COLLECTOR / "collector-subagents-hierarchy.jsonl")
    tree = tree_of(COLLECTOR / "collector-subagents-hierarchy.jsonl")
    assert tree.shown == tree.total == len(session.table) + len(tree.iterations)
    assert {n.lane for n in walk(tree.roots)} - {MAIN_LANE}  # subagent lanes exist

    def depth(nodes, level=1):
        return max((max(level, depth(n.children, level + 1)) for n in nodes), default=level - 1)

    assert depth(tree.roots) >= 7  # parent chains up to 7 events long, under an iteration


def test_agent_tool_calls_pair_by_tool_id() -> None:
    tree = tree_of(FIXTURES / "agent" / "agent-normal-task.jsonl")
    starts = [n for root in tree.roots for n in root.children if n.kind == "tool_start"]
    assert starts and all([c.kind for c in s.children] == ["tool_end"] for s in starts)


def test_parent_cycles_and_missing_parents_do_not_break_the_tree(tmp_path: Path) -> None:
    events = [
        {**event("tool_start", 1.0, 1), "event_id": "a", "parent_event_id": "b"},
        {**event("tool_end", 2.0, 1), "event_id": "b", "parent_event_id": "a"},
        {**event("tool_end", 3.0, 1), "event_id": "c", "parent_event_id": "c"},
        {**event("custom", 4.0), "event_id": "d", "parent_event_id": "nowhere"},
    ]
    tree = tree_of(write_trace(tmp_path / "t.jsonl", events))
    [iteration, orphan] = tree.roots
    assert [n.row for n in iteration.children] == [0, 2]
    assert [n.row for n in iteration.children[0].children] == [1]
    assert orphan.row == 3 and tree.shown == 5


def test_deep_chains_are_flattened(tmp_path: Path) -> None:
    events = [{**event("custom", float(i), 1), "event_id": f"e{i}",
               "parent_event_id": f"e{i - 1}"} for i in range(10)]
    tree = tree_of(write_trace(tmp_path / "t.jsonl", events), depth=3)

    def depth(nodes, level=1):
        return max((max(level, depth(n.children, level + 1)) for n in nodes), default=level - 1)

    assert depth(tree.roots) == 4  # the iteration, then 3 levels; the rest hang on level 3
    assert sum(1 for _ in walk(tree.roots)) == 11


def test_a_selections_nodes_carry_the_spend_of_the_whole_trees(tmp_path: Path) -> None:
    # 80 responses (every fifth row is something else) and 4 swarm tasks; a few rows selected
    # (far fewer than the responses, so their spend is looked up by row) give the nodes the
    # whole tree gives those rows.
    events = [event("llm_response", float(i), i // 3, tokens=100 + i, cost=i / 64)
              if i % 5 else event("custom", float(i), i // 3) for i in range(100)]
    events += [event("swarm_task_complete", 100.0 + i, 13, tokens_used=7 * i, cost_usd=i / 8)
               for i in range(4)]
    trace = write_trace(tmp_path / "t.jsonl", events)
    whole = {n.row: n for n in walk(tree_of(trace).roots) if not n.is_iteration}
    rows = [1, 5, 6, 39, 101, 103]
    part = [n for n in walk(tree_of(trace, rows).roots) if not n.is_iteration]
    assert [n.row for n in part] == rows
    assert [(n.tokens, n.cost) for n in part] == [(whole[r].tokens, whole[r].cost) for r in rows]
    assert [(n.tokens, n.cost) for n in part] == [
        (101, 1 / 64), (0, 0.0), (106, 6 / 64), (139, 39 / 64), (7, 1 / 8), (21, 3 / 8)]


def test_iteration_nodes_carry_llm_spend_errors_and_duration() -> None:
    tree = tree_of(COLLECTOR / "collector-doom-loop-tool-errors.jsonl")
    first = tree.roots[0]
    assert first.is_iteration and first.iteration == 1
    assert (first.tokens, round(first.cost, 6), first.failures) == (4376, 0.0247, 1)
    assert round(first.duration_ms) == 18_035  # iteration_end's own duration


def test_timeline_spans_lanes_and_failures() -> None:
    session = loaded(COLLECTOR / "collector-subagents-hierarchy.jsonl")
    a = analyse(session)
    timeline = build_timeline(session.table, a.facts.first_timestamp, 3000)
    lanes = [lane for lane, _ in timeline.lanes]
    assert lanes[:2] == ["Iterations", MAIN_LANE] and len(lanes) > 2
    assert {s.group for s in timeline.spans} >= {"iteration", "llm", "tool", "subagent"}
    assert all(s.seconds >= 0 for s in timeline.spans)
    agent = loaded(FIXTURES / "agent" / "agent-budget-exhausted.jsonl")
    spans = build_timeline(agent.table, analyse(agent).facts.first_timestamp, 3000).spans
    assert sum(1 for s in spans if s.group == "iteration") == 38  # start to next start


def test_overlapping_calls_get_rows_of_their_own(tmp_path: Path) -> None:
    calls = [event("tool_end", end, 1, tool="t", args={"i": i}, duration_ms=ms)
             for i, (end, ms) in enumerate([(10.0, 9000.0), (11.0, 5000.0), (12.0, 1000.0),
                                            (20.0, 2000.0)])]
    session = loaded(write_trace(tmp_path / "t.jsonl", [event("iteration_start", 0.5, 1), *calls]))
    timeline = build_timeline(session.table, 0.5, 100)
    rows = [(s.row, s.start) for s in timeline.spans if s.group == "tool"]
    # 0.5-9.5 and 5.5-10.5 overlap; 10.5-11.5 fits after the first; 17.5-19.5 after all.
    assert rows == [(0, 0.5), (1, 5.5), (0, 10.5), (0, 17.5)]
    assert timeline.lanes == [("Iterations", 1), (MAIN_LANE, 2)]


def test_timeline_keeps_every_failure_when_capped(tmp_path: Path) -> None:
    events = [event("tool_end", float(i), 1, tool="t", duration_ms=1000.0 + i) for i in range(50)]
    events += [event("tool_error", 60.0 + i, 1, tool="t", error="x", duration_ms=1.0)
               for i in range(5)]
    session = loaded(write_trace(tmp_path / "t.jsonl", events))
    timeline = build_timeline(session.table, 0.0, 20)
    assert len(timeline.spans) == 20 and timeline.total_spans == 55
    assert sum(s.failed for s in timeline.spans) == 5
    kept = sorted(s.seconds for s in timeline.spans if not s.failed)
    assert kept[0] == 1.035  # the longest 15 of the successful calls


def test_a_long_runs_failures_are_shown_over_its_whole_length(tmp_path: Path) -> None:
    """With more failures than fit, the timeline kept the first ones: a long run's chart
    had all its red in the first minutes and looked clean after. Kept failures (bars and
    error marks) are now spread over the run: the first, the last, evenly between."""
    events = []
    for i in range(200):  # a failed call every 10 s (its error event beside it), 2,000 s
        events.append(event("tool_end", 10.0 * i, i + 1, tool="t", duration_ms=5.0))
        events.append(event("tool_error", 10.0 * i + 2, i + 1, tool="t", error="x",
                            duration_ms=1.0))
        events.append(event("error", 10.0 * i + 3, i + 1, error="boom"))
    session = loaded(write_trace(tmp_path / "t.jsonl", events))
    timeline = build_timeline(session.table, 0.0, 40)
    failed = [s.start for s in timeline.spans if s.failed]
    assert len(failed) == 20 and timeline.total_spans == 400
    assert failed[0] == 2 - 0.001 and failed[-1] == 1992 - 0.001
    assert max(b - a for a, b in zip(failed, failed[1:], strict=False)) <= 110
    marks = [m.at for m in timeline.markers]
    assert len(marks) == 10 and timeline.total_markers == 400
    assert marks[0] == 2 and marks[-1] == 1993
    assert max(b - a for a, b in zip(marks, marks[1:], strict=False)) <= 230


def test_a_capped_timeline_keeps_calls_beside_the_longer_iterations(tmp_path: Path) -> None:
    """Iterations are longer than their calls, and failed calls (timeouts) the longest
    calls: picked by length alone they filled the chart, and a long run showed no call
    that had worked. Failures take at most half the room (spread over the run), iterations
    half the rest, the calls that worked the remainder."""
    events = []
    for n in range(1, 101):  # 100 iterations of 9 s: two calls of 1-3 s, one of 5 s fails
        t = 10.0 * n
        events += [event("iteration_start", t, n),
                   event("tool_end", t + 3, n, tool="t", duration_ms=1000.0 + n),
                   event("tool_end", t + 8, n, tool="t", duration_ms=2000.0 + n),
                   event("tool_error", t + 8.5, n, tool="t", error="timeout",
                         duration_ms=5000.0),
                   event("iteration_end", t + 9, n)]
    session = loaded(write_trace(tmp_path / "t.jsonl", events))
    timeline = build_timeline(session.table, 0.0, 80)
    kinds = [("failed" if s.failed else s.group) for s in timeline.spans]
    assert len(kinds) == 80 and timeline.total_spans == 400
    assert (kinds.count("failed"), kinds.count("iteration"), kinds.count("tool")) == (40, 20, 20)
    # the longest that worked: the last iterations' calls of 2 s and more
    assert min(s.seconds for s in timeline.spans if s.group == "tool" and not s.failed) == 2.081


def test_lanes_inherit_from_parents() -> None:
    session = loaded(COLLECTOR / "collector-subagents-hierarchy.jsonl")
    lane = Lanes(session.table)
    table = session.table
    for row in range(len(table)):
        parent = table.parents[row]
        if table.agents[row] == -1 and parent != -1:
            assert lane(row) == lane(parent)


def test_tool_statistics_use_the_95th_percentile() -> None:
    assert percentile([float(i) for i in range(1, 101)], 0.95) == 95.0
    assert percentile([1.0, 2.0], 0.95) == 2.0
    a = analyse(loaded(COLLECTOR / "collector-doom-loop-tool-errors.jsonl"))
    bash = next(t for t in tool_summaries(a.facts) if t.name == "bash")
    durations = sorted(a.facts.tools["bash"].durations_ms)
    assert bash.p95_ms == durations[-1] and bash.max_ms == durations[-1]
    assert bash.failures == 4 and bash.calls == 6


def test_p95_differs_from_the_maximum(tmp_path: Path) -> None:
    calls = [event("tool_end", float(i), 1, tool="t", args={"i": i}, duration_ms=float(ms))
             for i, ms in enumerate(list(range(1, 40)) + [10_000])]
    a = analyse(loaded(write_trace(tmp_path / "t.jsonl", calls)))
    [tool] = tool_summaries(a.facts)
    assert (tool.p95_ms, tool.max_ms) == (38.0, 10_000.0)


def test_selection_keeps_failures_issue_events_and_the_ends(tmp_path: Path) -> None:
    events = [event("iteration_start", 0.0, 1)]
    for i in range(1, 400):
        events.append(event("llm_response", float(i), 1 + i // 10, tokens=10))
    events.append(event("tool_error", 200.5, 21, tool="x", error="boom"))
    events.append(event("tool_end", 201.0, 21, tool="slow", duration_ms=99_000.0))
    session = loaded(write_trace(tmp_path / "t.jsonl", events))
    a = analyse(session)
    selection = select_events(session.table, a.issues, 60, time_order(session.table))
    assert len(selection.rows) == 60 and selection.total == len(events)
    kinds = [session.table.kind(r) for r in selection.rows]
    assert "tool_error" in kinds and "tool_end" in kinds
    assert selection.rows[0] == 0 and selection.rows[-1] == len(events) - 3
    assert sum(selection.hidden_before) + selection.hidden_after == len(events) - 60
    assert with_ancestors(session.table, selection.rows) >= set(selection.rows)


def test_selection_in_time_order_when_the_file_is_not(tmp_path: Path) -> None:
    events = [event("custom", ts) for ts in (5.0, 1.0, 3.0, 2.0, 4.0)]
    session = loaded(write_trace(tmp_path / "t.jsonl", events))
    order = time_order(session.table)
    assert order == [1, 3, 2, 4, 0]
    selection = select_events(session.table, [], 10, order)
    assert selection.rows == order


def test_insights_bound_everything_by_the_limits(tmp_path: Path) -> None:
    events = []
    for i in range(1, 101):
        events += [event("iteration_start", i * 10.0, i),
                   event("llm_response", i * 10.0 + 1, i, tokens=100 + i, cost=0.01,
                         input_tokens=50, output_tokens=50 + i, cache_read_tokens=10)]
    a = analyse(loaded(write_trace(tmp_path / "t.jsonl", events)))
    found = insights(a, Limits(event_rows=40, tree_nodes=30, chart_points=10, bars=25))
    assert len(found.events.rows) == 40 and found.events.total == 200
    assert found.tree.total == 300 and found.tree.shown < 300
    assert len(found.token_series.iterations) == 10 and found.token_series.binned
    assert found.token_series.output[0] == sum(50 + i for i in range(1, 11))
    assert len(found.timeline.spans) == 25
    assert all(session_kind not in FAILURE_KINDS for session_kind in ("iteration_start",))
