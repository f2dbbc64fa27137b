"""The section views: what the report says, worded and formatted for people."""

from __future__ import annotations

from pathlib import Path

import pytest

from attoreport import analyse, load
from attoreport.analysis import columns
from attoreport.limits import Limits
from attoreport.report import format as fmt
from attoreport.report.charts import TOKEN_SERIES
from attoreport.report.page import SourceEntry, build_report, session_view, source_entries
from attoreport.report.timeline import EventRow, Gap
from tests.conftest import FIXTURES, event, write_trace

COLLECTOR = FIXTURES / "collector"


def view_of(trace: Path, limits: Limits | None = None):
    [session] = load([str(trace)])
    return session_view(analyse(session), "s1", limits or Limits())


def stat(view, label: str):
    return next(s for s in view.summary.stats if s.label == label)


def test_formatting() -> None:
    assert fmt.duration_s(0.25) == "250 ms"
    assert fmt.duration_s(12.34) == "12.3 s"
    assert fmt.duration_s(252) == "4 min 12 s"
    assert fmt.duration_s(7500) == "2 h 5 min"
    assert fmt.cost(0.13569) == "$0.1357" and fmt.cost(12.5) == "$12.50" and fmt.cost(0) == "$0"
    assert fmt.tokens(950) == "950" and fmt.tokens(12_345) == "12k" and fmt.tokens(4_500_000) == "4.5M"
    assert fmt.percent(0.9750035) == "97.5%" and fmt.percent(None) == "–"
    assert fmt.offset(252.5) == "+4:12.5"
    # A part of a whole stays readable when small (the costliest of 87k iterations was "0%").
    assert [fmt.share(f) for f in (0.42, 0.01, 0.0035, 0.000234, 0.00004, 0.0)] == [
        "42%", "1%", "0.35%", "0.023%", "under 0.01%", "0%"]


def test_outcomes_in_plain_words() -> None:
    def word(path: Path) -> str:
        return view_of(path).summary.outcome.word

    assert word(COLLECTOR / "collector-clean-feature.jsonl") == "Completed: tests pass"
    assert word(FIXTURES / "agent" / "agent-normal-task.jsonl") == "Completed"
    assert word(COLLECTOR / "collector-crashed-open-session.jsonl") == "Did not finish"
    assert word(COLLECTOR / "collector-context-pressure.jsonl") == "Out of budget"
    assert word(FIXTURES / "agent" / "agent-llm-auth-error.jsonl") == "Failed"
    assert word(COLLECTOR / "collector-swarm-run.jsonl") == "Ended: partial"
    assert word(COLLECTOR / "collector-doom-loop-tool-errors.jsonl") == "Completed: tests pass"
    assert word(FIXTURES / "agent" / "agent-doom-loop.jsonl") == "Completed with errors"
    every_tool_failed = view_of(FIXTURES / "agent" / "agent-tool-errors.jsonl").summary.outcome
    assert every_tool_failed.tone == "bad"
    assert "every one of its tool calls" in every_tool_failed.sentence


def test_score_is_labelled_as_efficiency_with_its_ceiling() -> None:
    v = view_of(COLLECTOR / "collector-clean-feature.jsonl")
    score = v.summary.score
    assert (score.score, score.word, score.ceiling) == ("88.6", "very economical", "100")
    assert "not whether it did the job" in score.caveat
    assert [p.name for p in score.parts] == [
        "cache_hit_rate", "error_rate", "compaction_frequency", "tool_success_rate",
        "token_efficiency"]
    agent = view_of(FIXTURES / "agent" / "agent-normal-task.jsonl").summary.score
    assert agent.ceiling == "65" and "highest score it can reach is 65" in agent.caveat
    assert agent.parts[0].measured == "not recorded"
    failed = view_of(FIXTURES / "agent" / "agent-llm-auth-error.jsonl").summary.score
    assert "did not end normally" in failed.caveat


def test_score_parts_show_points_earned_not_the_weight() -> None:
    a = analyse(load([str(COLLECTOR / "collector-doom-loop-tool-errors.jsonl")])[0])
    v = session_view(a, "s1")
    for part, row in zip(a.efficiency.components, v.efficiency.score.parts, strict=True):
        assert row.points == f"{part.points:.1f}" and row.weight == f"{part.weight:g}"
    assert any(row.points != row.weight for row in v.efficiency.score.parts)


def test_issues_grouped_by_category_and_subject_most_severe_first() -> None:
    v = view_of(COLLECTOR / "collector-context-pressure.jsonl")
    groups = v.issues.groups
    assert groups[0].category == "context_overflow"
    spikes = next(g for g in groups if g.category == "token_spike")
    assert spikes.count > 1 and spikes.name == "Token usage spikes"
    assert v.summary.findings == groups[:3]
    linked = [i for g in groups for i in g.instances if i.iteration is not None]
    assert all(i.link == f"s1-iter-{i.iteration}" for i in linked)
    assert all(i.involved.startswith(f"Iteration {i.iteration} used") for i in linked)
    assert all(g.suggestion for g in groups)
    doom = view_of(COLLECTOR / "collector-doom-loop-tool-errors.jsonl").issues.groups
    assert {(g.category, g.subject) for g in doom} >= {("doom_loop", "bash"),
                                                      ("long_tool", "bash")}


def test_issue_instances_are_capped_per_group(tmp_path: Path) -> None:
    events = [event("context_overflow", float(i), i) for i in range(1, 30)]
    v = view_of(write_trace(tmp_path / "t.jsonl", events), Limits(issue_instances=3))
    group = next(g for g in v.issues.groups if g.category == "context_overflow")
    assert (group.count, len(group.instances), group.hidden) == (29, 3, 26)


def test_tools_table_shows_the_95th_percentile(tmp_path: Path) -> None:
    calls = [event("tool_end", float(i), 1, tool="t", args={"i": i}, duration_ms=float(ms))
             for i, ms in enumerate(list(range(1, 40)) + [10_000])]
    [row] = view_of(write_trace(tmp_path / "t.jsonl", calls)).tools.rows
    assert (row.p95, row.longest) == ("38 ms", "10.0 s")
    doom = view_of(COLLECTOR / "collector-doom-loop-tool-errors.jsonl")
    bash = next(t for t in doom.tools.rows if t.name == "bash")
    assert bash.failing and bash.failures == "4"
    assert doom.summary.tools_used.startswith("bash ×")


def test_iteration_table_columns_hold_their_own_numbers() -> None:
    a = analyse(load([str(COLLECTOR / "collector-clean-feature.jsonl")])[0])
    v = session_view(a, "s1")
    flow = {p.iteration: p for p in a.tokens.token_flow}
    assert v.tokens.rows
    for row in v.tokens.rows:
        p = flow[row.iteration]
        assert row.input.value == p.input_tokens and row.output.value == p.output_tokens
        assert row.cache_read.value == p.cache_read_tokens
        assert row.cache_write.value == p.cache_write_tokens
        assert row.cache_read.text == fmt.count(p.cache_read_tokens)
        assert row.cost.value == a.tokens.cost_by_iteration[row.iteration]
    assert v.tokens.costliest.startswith("The most expensive iteration was ")


def test_token_chart_series_are_the_right_series() -> None:
    a = analyse(load([str(COLLECTOR / "collector-clean-feature.jsonl")])[0])
    v = session_view(a, "s1")
    assert v.tokens.chart is not None
    traces = {t["name"]: t["y"] for t in v.tokens.chart.figure["data"]}
    flow = a.tokens.token_flow
    expected = {"Input": [p.input_tokens for p in flow], "Output": [p.output_tokens for p in flow],
                "Cache read": [p.cache_read_tokens for p in flow],
                "Cache write": [p.cache_write_tokens for p in flow]}
    assert [label for _, label in TOKEN_SERIES] == list(expected)
    for name, values in expected.items():
        assert traces[name] == [float(x) for x in values], name


def test_cache_table_columns_hold_their_own_numbers() -> None:
    a = analyse(load([str(COLLECTOR / "collector-context-pressure.jsonl")])[0])
    v = session_view(a, "s1")
    assert v.cache.state == "recorded"
    for row, call in zip(v.cache.rows, a.cache.calls, strict=False):
        assert row.input == fmt.count(call.input_tokens)
        assert row.cache_read == fmt.count(call.cache_read_tokens)
    assert any(r.input != r.cache_read for r in v.cache.rows)
    agent = view_of(FIXTURES / "agent" / "agent-normal-task.jsonl")
    assert agent.cache.state == "not recorded" and agent.cache.chart is None


def test_event_log_is_bounded_and_says_so(tmp_path: Path) -> None:
    events = []
    for i in range(1, 101):
        events += [event("iteration_start", i * 10.0, i),
                   event("llm_response", i * 10.0 + 1, i, tokens=100 + i, cost=0.01,
                         input_tokens=50, output_tokens=50 + i, cache_read_tokens=10)]
    v = view_of(write_trace(tmp_path / "t.jsonl", events),
                Limits(event_rows=40, tree_nodes=30, table_rows=20, chart_points=10))
    rows = [r for r in v.timeline.rows if isinstance(r, EventRow)]
    gaps = [r for r in v.timeline.rows if isinstance(r, Gap)]
    assert len(rows) == 40 and sum(g.hidden for g in gaps) == 160
    assert v.timeline.log_note.startswith("Showing 40 of 200 events")
    assert len(v.tokens.rows) == 20 and v.tokens.table_note
    assert v.tokens.chart_note
    assert v.tree.note.startswith("Showing ")


@pytest.mark.parametrize("reader", ["builtins", "numpy"])
def test_the_token_table_keeps_the_most_expensive_and_the_ends(
        tmp_path: Path, reader: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Beyond `table_rows` iterations: the first and last few, then the most expensive (ties
    in iteration order), listed in iteration order. Iterations without an LLM response count
    too. The same through numpy (which a long session uses)."""
    monkeypatch.setattr(columns, "VECTOR_ROWS", 0 if reader == "numpy" else 10**12)
    costs = {i: [0.05, 0.01, 0.05, 0.02, 0.0][i % 5] + (0.5 if i in (40, 41) else 0.0)
             for i in range(1, 101)}
    events = []
    for i, cost in costs.items():
        events += [event("iteration_start", i * 10.0, i),
                   event("llm_response", i * 10.0 + 1, i, tokens=100, cost=cost)]
    events += [event("iteration_start", 2000.0 + i, i) for i in (101, 102)]  # no LLM call
    # A response outside any iteration counts as iteration 0 (as in Attocode's token flow).
    events.insert(0, event("llm_response", 5.0, None, tokens=100, cost=0.3))
    costs[0] = 0.3
    v = view_of(write_trace(tmp_path / "t.jsonl", events), Limits(table_rows=20))
    numbers = sorted(costs) + [101, 102]
    by_cost = sorted(numbers, key=lambda n: -costs.get(n, 0.0))  # stable: ties in order
    chosen = list(dict.fromkeys([*numbers[:5], *numbers[-5:], *by_cost]))[:20]
    assert [r.iteration for r in v.tokens.rows] == sorted(chosen)
    assert {0, 40, 41, 1, 102} <= {r.iteration for r in v.tokens.rows}
    assert v.tokens.table_note.startswith("Showing 20 of 103 iterations")


def test_every_iteration_link_resolves(tmp_path: Path) -> None:
    events = []
    for i in range(1, 81):
        events += [event("iteration_start", i * 10.0, i),
                   event("llm_response", i * 10.0 + 1, i, tokens=100, cost=0.01 * (i % 7))]
    events.append(event("context_overflow", 805.0, 77))
    v = view_of(write_trace(tmp_path / "t.jsonl", events),
                Limits(event_rows=20, tree_nodes=10, table_rows=15))

    def ids(items):
        for item in items:
            yield item.dom_id
            yield from ids(item.children)

    targets = set(ids(v.tree.items)) | {s.dom_id for s in v.tree.stubs}
    links = {r.link for r in v.tokens.rows if r.link}
    links |= {r.link for r in v.timeline.rows if isinstance(r, EventRow) and r.link}
    links |= {i.link for g in v.issues.groups for i in g.instances if i.link}
    assert links and links <= targets
    assert v.tree.stubs  # some linked iterations are not in the capped tree


def test_report_title_and_overview() -> None:
    sessions = load([str(COLLECTOR / "collector-clean-feature.jsonl"),
                     str(COLLECTOR / "collector-swarm-run.jsonl")])
    report = build_report([analyse(s) for s in sessions], version="9.9")
    assert report.title == "Agent session report: 2 sessions"
    assert report.overview is not None
    assert [r.session_id for r in report.overview.rows] == ["collector-clean-feature",
                                                             "collector-swarm-run"]
    assert [c.dom_id for c in report.overview.charts] == [
        "overview-cost-chart", "overview-tokens-chart", "overview-score-chart"]
    single = build_report([analyse(sessions[0])], version="9.9", title="Mine")
    assert single.title == "Mine" and single.overview is None


def test_swarm_spend_is_the_headline_with_its_parts() -> None:
    v = view_of(COLLECTOR / "collector-swarm-run.jsonl")
    cost = stat(v, "Cost")
    assert cost.value == "$2.03"  # $0.0403 model calls + $1.99 reported by swarm tasks
    assert cost.note == "$0.0403 model calls (Attocode's total) + $1.99 reported by swarm tasks"
    tokens = stat(v, "Tokens")
    assert "+ 471,390 reported by swarm tasks" in tokens.note
    assert "spent $2.03 ($0.0403 on its own model calls, $1.99 reported by its swarm tasks)" \
        in v.summary.narrative


def test_narrative_and_tiles_use_the_same_counts() -> None:
    v = view_of(COLLECTOR / "collector-doom-loop-tool-errors.jsonl")
    narrative = v.summary.narrative
    assert narrative.startswith("The agent worked for 3 min 16 s over 11 iterations, made ")
    assert "11 model calls (and 1 more that failed) and 10 tool calls (5 failed)" in narrative
    assert stat(v, "Model calls").value == "11" and stat(v, "Model calls").note == \
        "plus 1 that failed"
    assert stat(v, "Tool calls").value == "10"
    assert stat(v, "Tool calls").note.startswith("5 failed;")
    assert stat(v, "Errors").value == "7"
    assert stat(v, "Errors").note == "5 failed tool calls, 1 model error, 1 error event"
    assert "the most serious rated high" in narrative
    doom = next(g for g in v.issues.groups if g.category == "doom_loop")
    assert doom.meaning.startswith("The agent repeated exactly the same action")
    assert "Its last test run passed." in narrative
    clean = view_of(COLLECTOR / "collector-clean-feature.jsonl")
    assert clean.summary.narrative.endswith("Attocode's checks found no issues.")


def test_duration_says_what_it_measures(tmp_path: Path) -> None:
    trace = write_trace(tmp_path / "t.jsonl", [event("llm_request", 1000.0, 1),
                                               event("session_end", 1030.0, status="completed")])
    [session] = load([str(trace)])
    analysis = analyse(session)
    assert analysis.summary.duration_seconds == 1030.0  # Attocode's number: from 1970
    duration = stat(session_view(analysis, "s1"), "Duration")
    assert (duration.value, duration.note) == ("30.0 s", "first event to the end")


def test_many_sessions_get_sections_up_to_a_limit(tmp_path: Path) -> None:
    events = [{**event("llm_response", float(i), 1, tokens=10), "session_id": f"run-{i}"}
              for i in range(5)]
    sessions = load([str(write_trace(tmp_path / "many.jsonl", events))])
    report = build_report([analyse(s) for s in sessions], version="x",
                          limits=Limits(session_sections=2, overview_bars=3))
    assert len(report.sessions) == 2 and report.overview is not None
    assert [r.anchor for r in report.overview.rows] == ["s1", "s2", "", "", ""]
    assert "first 2 of 5 sessions" in report.overview.note
    bars = report.overview.charts[0].figure
    assert len(bars["data"][0]["x"]) == 3 and "(and 2 more)" in bars["layout"]["title"]["text"]


def test_long_hostile_names_are_bounded_where_shown(tmp_path: Path) -> None:
    agent = '"' * 10_000
    events = [event("subagent_spawn", 1.0, 1, agent_id=agent)]
    events += [{**event("tool_end", 2.0 + i, 1, tool="t\u202eevil", duration_ms=5.0),
                "parent_event_id": "e1.0"} for i in range(50)]
    v = view_of(write_trace(tmp_path / "t.jsonl", events))
    rows = [r for r in v.timeline.rows if isinstance(r, EventRow)]
    assert all(len(r.lane) < 120 for r in rows)
    assert any("(10,000 characters)" in r.lane for r in rows)
    assert all("\u202e" not in r.label for r in rows)
    assert v.timeline.chart is not None
    ticks = v.timeline.chart.figure["layout"]["yaxis"]["ticktext"]
    assert all(len(t) < 300 for t in ticks)  # 40 characters, each escaped


def test_did_it_work_shows_the_last_test_runs_and_changed_files() -> None:
    v = view_of(COLLECTOR / "collector-doom-loop-tool-errors.jsonl")
    evidence = v.summary.evidence
    assert [(r.kind, r.passed) for r in evidence.runs] == [("Tests", False), ("Tests", False),
                                                          ("Tests", True)]
    assert evidence.runs[-1].command == "pytest tests/test_dates.py::test_parse_iso_week -x -q"
    assert evidence.runs[-1].result == "1 passed"
    assert evidence.runs[1].result == "1 failed, 211 passed"
    assert evidence.runs[-1].link.startswith("s1-event-")
    assert evidence.files == ["dates/parse.py"]  # the failed edit changed nothing
    assert evidence.reported.startswith("1 tool call that Attocode counts as a success")
    assert stat(v, "Tool calls").note == "5 failed; 1 more reports a failure in its output"
    clean = view_of(COLLECTOR / "collector-clean-feature.jsonl").summary.evidence
    assert set(clean.files) == {"acme_cli/commands/export.py", "tests/test_export_dry_run.py"}


def test_failures_recorded_as_successes_are_counted_beside_attocodes() -> None:
    a = analyse(load([str(FIXTURES / "agent" / "agent-doom-loop.jsonl")])[0])
    assert a.outcome.evidence.reported_failures == 8
    assert a.summary.tool_calls == a.outcome.counts.tool_calls  # Attocode's count unchanged
    v = session_view(a, "s1")
    assert "8 more report a failure" in stat(v, "Tool calls").note


def test_a_coordinator_trace_says_its_tasks_failed_and_has_nothing_to_rate() -> None:
    from attoreport.collect import collect, find

    collected = collect(find([str(FIXTURES / "swarm" / "swarm-failures")]))
    [session] = collected.sessions
    v = session_view(analyse(session), "s1")
    assert v.summary.outcome.word == "Completed with failed tasks"
    assert v.summary.score.word == "nothing to rate"
    assert "no model calls" in v.summary.score.caveat


def test_damage_is_counted_in_lines_everywhere() -> None:
    v = view_of(FIXTURES / "damaged" / "damaged-tokens-as-string.jsonl")
    assert v.diagnostics is not None
    assert v.diagnostics.headline.startswith("22 damaged lines: 0 skipped, 22 repaired.")


def test_overview_goals_keep_their_words(tmp_path: Path) -> None:
    from attoreport.report.overview import plain_goal

    assert plain_goal("Fix tests/test_dates.py::test_parse_iso_week") == \
        "Fix tests/test_dates.py::test_parse_iso_week"
    assert plain_goal("# Migrate the **billing** service to `Gateway`") == \
        "Migrate the billing service to Gateway"


def test_the_score_word_judges_against_what_the_trace_can_reach() -> None:
    agent = view_of(FIXTURES / "agent" / "agent-normal-task.jsonl").summary.score
    assert agent.ceiling == "65" and agent.word == "very economical"


def test_an_issue_group_says_how_often_it_was_found(tmp_path: Path) -> None:
    """The group heading said a bare '29' after the subject; it now says it in words."""
    import attoreport

    events = [event("context_overflow", float(i), i) for i in range(1, 30)]
    [session] = load([str(write_trace(tmp_path / "t.jsonl", events))])
    html = attoreport.render_html([analyse(session)])
    assert '<span class="count">found 29 times</span>' in html
    doom = FIXTURES / "collector" / "collector-doom-loop-tool-errors.jsonl"
    assert '<span class="count">found once</span>' in attoreport.render_html(
        [analyse(s) for s in load([str(doom)])])


def test_the_header_names_a_folder_of_traces_once() -> None:
    """A folder's report opened with a wall of 20 paths, squeezing the trace note beside it
    into a narrow column; a folder of many traces is now named once, with how many."""
    many = [f"runs/{i:04}.jsonl" for i in range(1000)]
    few = ["one/a.jsonl", "one/b.jsonl", "b.jsonl"]
    entries, more = source_entries(["runs/swarm-1"], few[:2] + many + few[2:], 80)
    assert [(e.count, e.path) for e in entries] == [
        ("", "runs/swarm-1"), ("", "one/a.jsonl"), ("", "one/b.jsonl"),
        ("1,000 traces in", "runs/"), ("", "b.jsonl")]
    assert more == ""
    # Five traces of a folder are still named one by one; six are not.
    entries, _ = source_entries([], [f"x/{i}.jsonl" for i in range(5)], 80)
    assert [e.path for e in entries] == [f"x/{i}.jsonl" for i in range(5)]
    entries, _ = source_entries([], [f"x/{i}.jsonl" for i in range(6)], 80)
    assert [(e.traces, e.path) for e in entries] == [(6, "x/")]
    # At most 20 entries; the files of those left out are counted, a folder's all of them.
    loose = [f"d{i}/t.jsonl" for i in range(25)]
    entries, more = source_entries([], loose + many, 80)
    assert [e.path for e in entries] == loose[:20] and more == "1,005 more files"
    assert source_entries([], ["-", "/t.jsonl", "t.jsonl"], 80)[0] == [
        SourceEntry("-"), SourceEntry("/t.jsonl"), SourceEntry("t.jsonl")]


def test_a_folders_report_names_the_folder(tmp_path: Path) -> None:
    traces = [write_trace(tmp_path / f"t{i}.jsonl", [event("llm_response", 1.0, 1, tokens=i)])
              for i in range(7)]
    sessions = [s for t in traces for s in load([str(t)])]
    view = build_report([analyse(s) for s in sessions], version="x")
    [entry] = view.sources
    assert entry.count == "7 traces in" and entry.path.endswith(f"/{tmp_path.name}/")


def test_the_costliest_iteration_of_a_long_run_has_its_share(tmp_path: Path) -> None:
    events = [event("llm_response", float(i), i, tokens=10, cost=1.0 + (i == 7))
              for i in range(1, 2001)]
    [session] = load([str(write_trace(tmp_path / "t.jsonl", events))])
    view = session_view(analyse(session), "s1")
    assert view.tokens.costliest == ("The most expensive iteration was 7: $2.00, 0.1% of the "
                                     "model cost.")
