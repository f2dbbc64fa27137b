"""The swarm view, its HTML, JSON and Markdown: wording, layout numbers and escaping."""

from __future__ import annotations

import json
import re
import shutil
from functools import cache
from itertools import combinations
from pathlib import Path

import pytest

import attoreport
from attoreport.report.swarm import (
    markdown_cell,
    swarm_charts,
    swarm_document,
    swarm_markdown,
    swarm_view,
)
from attoreport.swarm import SwarmAnalysis, load_runs
from attoreport.swarm.layout import COMPACT, ROOMY, layout_graph
from tests.swarm_support import RUN_DIR, RUN_NAMES, SWARM, copy_project, write_big_run


@cache
def analysis(name: str) -> SwarmAnalysis:
    (run,) = load_runs(SWARM / name)
    return run


# ---------------------------------------------------------------------------
# Outcome and figures
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "word", "tone"), [
    ("swarm-clean", "Completed", "good"),
    ("swarm-failures", "Completed with problems", "bad"),
    ("swarm-budget", "Out of budget", "bad"),
    ("swarm-interrupted", "Stopped early", "warn"),
    ("swarm-killed-resumed", "Completed", "good"),
])
def test_the_outcome_in_a_word(name: str, word: str, tone: str) -> None:
    verdict = swarm_view(analysis(name), "w1").verdict
    assert (verdict.word, verdict.tone) == (word, tone)


def test_a_run_that_never_finished_says_so(tmp_path: Path) -> None:
    project = copy_project("swarm-clean", tmp_path)
    state_file = project / RUN_DIR / "swarm.state.json"
    state_file.write_text(state_file.read_text().replace('"phase": "completed"',
                                                         '"phase": "executing"'))
    verdict = swarm_view(load_runs(project)[0], "w1").verdict
    assert verdict.word == "Did not finish" and "executing phase" in verdict.sentence


def test_the_figures_say_where_they_come_from() -> None:
    view = swarm_view(analysis("swarm-failures"), "w1")
    stats = {f.label: f for f in view.stats}
    assert stats["Tasks done"].value == "5 / 9"
    assert stats["Tasks done"].note == "2 failed, 1 skipped, 1 needs review"
    assert stats["Cost"].value == "$2.94" and stats["Cost"].note == "sum of 15 worker results"
    assert stats["Tokens"].note.startswith("102,801 input + output tokens")
    assert stats["Budget used"].value == "12%" and "$25.00" in stats["Budget used"].note
    assert stats["Worker starts"].value == "15" and stats["Worker starts"].tone == "bad"
    assert any("agrees" in note for note in view.spend_notes)
    assert "The swarm checks found 5 problems." in view.narrative


def test_a_run_without_cost_says_not_recorded_never_zero() -> None:
    view = swarm_view(analysis("swarm-codex"), "w1")
    stats = {f.label: f for f in view.stats}
    assert stats["Cost"].value == "not recorded"
    assert "reports none" in stats["Cost"].note
    assert any("$0 would be wrong" in note for note in view.spend_notes)
    assert all(r.cost == "–" for r in view.rows)
    assert stats["Tool calls"].note == "not recorded by this worker backend"
    assert all(r.tool_calls == "–" for r in view.rows)
    assert "$0" not in view.narrative


def test_the_budget_overrun_is_marked() -> None:
    stats = {f.label: f for f in swarm_view(analysis("swarm-budget"), "w1").stats}
    assert stats["Budget used"].value == "108%" and stats["Budget used"].tone == "bad"


def test_a_resumed_run_says_how_many_processes_worked_on_it() -> None:
    stats = {f.label: f for f in swarm_view(analysis("swarm-killed-resumed"), "w1").stats}
    assert "2 attoswarm processes (the run was resumed)" in stats["Wall time"].note
    assert "the last ran 26.6 s" in stats["Wall time"].note


# ---------------------------------------------------------------------------
# The graph
# ---------------------------------------------------------------------------


def _boxes_disjoint(layout) -> bool:  # type: ignore[no-untyped-def]
    g = layout.geometry
    for a, b in combinations(layout.nodes, 2):
        if abs(a.x - b.x) < g.node_width and abs(a.y - b.y) < g.node_height:
            return False
    return True


@pytest.mark.parametrize("name", RUN_NAMES)
def test_the_graph_is_laid_out_in_levels_without_overlaps(name: str) -> None:
    a = analysis(name)
    layout = layout_graph(a.graph)
    assert len(layout.nodes) == len(a.tasks) and len(layout.edges) == len(a.graph.edges)
    assert _boxes_disjoint(layout)
    at = {n.task_id: n for n in layout.nodes}
    for edge in layout.edges:  # every dependency points down, to a later level
        assert edge.y2 > edge.y1 and at[edge.source].level < at[edge.target].level
    for node in layout.nodes:
        assert node.level == a.graph.level_of[node.task_id]
        assert node.x + layout.geometry.node_width <= layout.width
        assert node.y + layout.geometry.node_height <= layout.height
    assert layout.geometry is ROOMY


def test_two_hundred_tasks_wrap_into_rows_and_keep_the_page_width(tmp_path: Path) -> None:
    (a,) = load_runs(write_big_run(tmp_path, 200))
    layout = layout_graph(a.graph)
    assert layout.geometry is COMPACT and len(layout.nodes) == 200
    assert _boxes_disjoint(layout)
    assert layout.width <= 1100  # fits the report's column; it only grows downwards
    assert any(band.rows > 1 for band in layout.bands)
    view = swarm_view(a, "w1")
    assert view.graph.compact and "wrap onto several rows" in view.graph.caption


def test_twenty_tasks_keep_titles_in_their_boxes() -> None:
    graph = swarm_view(analysis("swarm-large"), "w1").graph
    assert not graph.compact
    assert all(n.short_title and len(n.short_title) <= 24 for n in graph.nodes)


def test_graph_nodes_say_their_status_in_words_and_a_glyph_not_only_colour() -> None:
    view = swarm_view(analysis("swarm-failures"), "w1")
    by_id = {n.task_id: n for n in view.graph.nodes}
    assert (by_id["task-6"].glyph, by_id["task-6"].status) == ("✕", "failed")
    assert by_id["task-6"].label == "task-6, failed: Add a command line interface"
    assert by_id["task-8"].label.startswith("task-8, skipped")
    assert by_id["task-9"].glyph == "?"
    assert {i.word for i in view.graph.legend} == {"done", "failed", "skipped", "needs review"}
    blocked = [e for e in view.graph.edges if e.blocked]
    assert len(blocked) == 1  # task-6 (failed) -> task-8 (cascade-skipped)


def test_every_graph_node_and_table_row_links_to_its_detail() -> None:
    view = swarm_view(analysis("swarm-large"), "w3")
    details = {d.dom_id for d in view.details}
    assert {n.href for n in view.graph.nodes} == details == {r.href for r in view.rows}
    assert all(re.fullmatch(r"w3-task-\d+", d) for d in details)


# ---------------------------------------------------------------------------
# Table, details, timeline
# ---------------------------------------------------------------------------


def test_the_task_table_rows() -> None:
    rows = {r.task_id: r for r in swarm_view(analysis("swarm-failures"), "w1").rows}
    assert rows["task-2"].attempts == "2 (1 failed)" and rows["task-2"].attempts_value == 2
    assert rows["task-2"].tokens == "15,122" and rows["task-2"].cost == "$0.4334"
    assert rows["task-2"].worker == "claude"
    assert rows["task-8"].attempts == "–" and rows["task-8"].tokens_value == -1
    assert rows["task-1"].files == "textkit/tokenize.py"
    assert rows["task-1"].said == "Let me look at the current state of the project first."


def test_a_task_detail_has_prompt_calls_attempts_errors_and_result() -> None:
    view = swarm_view(analysis("swarm-failures"), "w1")
    detail = next(d for d in view.details if d.task_id == "task-6")
    assert detail.prompt.startswith("# Task: Add a command line interface")
    assert [a.outcome for a in detail.attempts] == ["failed, retried", "failed, retried",
                                                    "failed, given up"]
    assert [p.cause for p in detail.problems] == ["agent error", "crash", "agent error"]
    assert "TypeError" in detail.problems[1].message
    assert detail.advice.startswith("Review task prompt")
    assert detail.calls[0].tool == "Bash" and detail.calls[0].argument == "ls -la ."
    assert [t.task_id for t in detail.deps] == ["task-2", "task-3"]
    assert [t.task_id for t in detail.dependents] == ["task-8"]
    skipped = next(d for d in view.details if d.task_id == "task-8")
    assert skipped.stopped == "Skipped without running because task-6 failed."
    poison = next(d for d in view.details if d.task_id == "task-7")
    assert poison.stopped.startswith("attoswarm declared it a poison task")


def test_paths_inside_the_project_are_shown_relative_to_it() -> None:
    view = swarm_view(analysis("swarm-clean"), "w1")
    arguments = [c.argument for d in view.details for c in d.calls]
    assert not any("/home/dev/projects" in a for a in arguments)
    assert "README.md" in arguments


def test_the_timeline_has_a_lane_per_task_attempt_bars_and_marks() -> None:
    view = swarm_view(analysis("swarm-failures"), "w1")
    assert view.lanes[0] == "Coordinator" and len(view.lanes) == 1 + 8  # task-8 never ran
    attempts = [b for b in view.bars if not b.waiting]
    assert len(attempts) == 15
    assert {b.outcome for b in attempts} == {"done", "retried", "failed", "skipped",
                                             "needs_review"}
    retries = [m for m in view.marks if m.kind == "retry"]
    assert len(retries) == 7 and all(m.lane.startswith("task-") for m in retries)
    assert [m.kind for m in view.marks if m.lane == "Coordinator"].count("decision") == 10
    figure = swarm_charts(view)["w1-timeline-chart"]
    assert figure["layout"]["yaxis"]["categoryarray"][0] == "Coordinator"
    names = [trace["name"] for trace in figure["data"]]
    assert names.count("Waiting for the verdict") >= 1
    assert sum(1 for t in figure["data"] if t["name"] == "Waiting for the verdict"
               and t["showlegend"]) == 1


# ---------------------------------------------------------------------------
# Hostile run folders: escaped everywhere, ids never from the run
# ---------------------------------------------------------------------------


HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(2)>`|@here'


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> SwarmAnalysis:
    project = copy_project("swarm-failures", tmp_path_factory.mktemp("hostile"))
    state_file = project / RUN_DIR / "swarm.state.json"
    text = state_file.read_text()
    state = json.loads(text)
    state["goal"] = HOSTILE
    state["dag"]["nodes"][0]["title"] = HOSTILE
    state["dag"]["nodes"][1]["task_id"] = HOSTILE
    state["dag"]["edges"].append(["task-1", HOSTILE])
    state_file.write_text(json.dumps(state))
    events_file = project / RUN_DIR / "swarm.events.jsonl"
    events_file.write_text(events_file.read_text().replace(
        "Retrying task-3 (attempt 1/3)", HOSTILE.replace('"', '\\"')))
    (run,) = load_runs(project)
    return run


def test_hostile_strings_are_escaped_in_the_html(hostile: SwarmAnalysis) -> None:
    html = attoreport.render_html([], swarms=[hostile])
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    for dom_id in re.findall(r'\bid="([^"]*)"', html):
        assert re.fullmatch(r"[A-Za-z0-9_-]+", dom_id), dom_id
    chart = re.search(r'<script type="application/json" id="chart-data">(.*?)</script>', html,
                      re.S)
    assert chart is not None and "<" not in chart.group(1)
    figures = json.loads(chart.group(1))
    labels = json.dumps(figures["w1-timeline-chart"])
    assert "<script>" not in labels and "&lt;script&gt;" in labels


def test_hostile_strings_are_escaped_in_markdown_and_kept_in_json(
        hostile: SwarmAnalysis) -> None:
    markdown = swarm_markdown(hostile)
    assert "<script>" not in markdown and "\\<script\\>" in markdown
    assert "@\u2060here" in markdown and "\\|" in markdown
    document = json.loads(attoreport.render_json([], swarms=[hostile]))
    assert document["swarms"][0]["goal"] == HOSTILE


def test_markdown_cell() -> None:
    assert markdown_cell("a|b *c* `d` [e](f) <g> #h @i ~~j~~") == \
        "a\\|b \\*c\\* \\`d\\` \\[e\\](f) \\<g\\> \\#h @\u2060i \\~\\~j\\~\\~"
    assert markdown_cell("one\ntwo   three") == "one two three"
    assert markdown_cell("x" * 500, 50) == "x" * 50 + "… (500 characters)"
    assert markdown_cell("see https://evil.example and www.evil.example") == \
        "see https:\u2060//evil.example and www\u2060.evil.example"


# ---------------------------------------------------------------------------
# JSON and Markdown
# ---------------------------------------------------------------------------


def test_the_json_entry_of_a_run() -> None:
    document = swarm_document(analysis("swarm-interrupted"))
    assert {"run_id", "source", "goal", "phase", "tasks", "edges", "totals", "issues"} <= set(
        document)
    assert document["run_id"] == "9782af0e" and document["phase"] == "shutdown"
    tasks = {t["task_id"]: t for t in document["tasks"]}
    assert set(tasks["task-1"]) >= {"task_id", "title", "status", "attempts",
                                    "duration_seconds", "tool_calls", "tokens", "cost"}
    assert tasks["task-1"]["tokens"] == 6439 and tasks["task-1"]["tool_calls"] == 15
    never = tasks["task-4"]
    assert never["status"] == "pending"
    assert (never["duration_seconds"], never["tool_calls"], never["tokens"], never["cost"]) == (
        None, None, None, None)
    assert document["edges"] == [list(e) for e in analysis("swarm-interrupted").graph.edges]
    assert document["totals"]["tokens"] == 39474
    assert document["totals"]["cost"] == pytest.approx(1.103655)
    assert document["totals"]["cost_source"] == "workers"
    assert document["totals"]["statuses"] == {"done": 4, "pending": 3}


def test_the_json_document_lists_swarms_beside_sessions() -> None:
    (folder,) = [f for f in load_runs(SWARM / "swarm-codex")]
    sessions = attoreport.load([str(SWARM / "swarm-codex" / RUN_DIR / "traces" /
                                    "trace-1795760706.jsonl")])
    analyses = [attoreport.analyse(s) for s in sessions]
    document = json.loads(attoreport.render_json(analyses, swarms=[folder]))
    assert len(document["sessions"]) == 1 and len(document["swarms"]) == 1
    swarm = document["swarms"][0]
    assert swarm["totals"]["cost"] is None and swarm["totals"]["tokens"] == 1397383
    assert all(t["cost"] is None and t["tool_calls"] is None for t in swarm["tasks"])
    assert "total_cost" in document["sessions"][0]["summary"]
    assert json.loads(attoreport.render_json(analyses))["swarms"] == []


def test_markdown_has_the_outcome_the_task_table_and_top_issues() -> None:
    text = swarm_markdown(analysis("swarm-failures"))
    assert text.startswith("### Swarm run aa11c72f")
    assert "**Completed with problems** · 5/9 tasks done" in text
    assert "cost $2.94" in text
    assert text.count("\n| task-") == 9
    assert "**Top issues**" in text and "**high** Task task-6 failed after all its attempts" in text


def test_markdown_is_trimmed_to_fit(tmp_path: Path) -> None:
    (big,) = load_runs(write_big_run(tmp_path, 200))
    text = swarm_markdown(big, max_chars=4000)
    assert len(text) <= 4000
    shown = text.count("\n| task-")
    assert 5 < shown < 200
    assert f"… {200 - shown} more tasks" in text
    assert "**Top issues**" in text


def test_render_markdown_puts_swarms_first() -> None:
    text = attoreport.render_markdown([], swarms=[analysis("swarm-clean")])
    assert text.startswith("<!-- attoreport -->\n## Swarm run report")
    assert "### Swarm run 45d09977" in text and "| Session |" not in text


def test_the_view_shows_the_log_postmortem_history_and_traces(tmp_path: Path) -> None:
    project = copy_project("swarm-failures", tmp_path)
    (project / RUN_DIR / "coordinator.log").write_text("started\n" + "x" * 20_000 + "\ndone\n")
    history = project / RUN_DIR / "history" / "45d09977"
    history.parent.mkdir()
    shutil.copytree(SWARM / "swarm-clean" / RUN_DIR, history,
                    ignore=shutil.ignore_patterns("traces"))
    view = swarm_view(load_runs(project)[0], "w1")
    assert view.log_tail.endswith("done\n") and "coordinator.log has" in view.log_note
    assert {f.label: f.value for f in view.postmortem}["Parallel efficiency"] == "27%"
    assert view.critical_path == "task-1 → task-2 → task-4 → task-5 → task-9"
    (earlier,) = view.history
    assert (earlier.run_id, earlier.phase, earlier.tasks) == ("45d09977", "completed",
                                                              "6 tasks: 6 done")
    assert earlier.source.endswith("hybrid-swarm/history/45d09977")
    assert view.traces == [f"{project}/.agent/hybrid-swarm/traces/trace-1795760372.jsonl"]
    html = attoreport.render_html([], swarms=[load_runs(project)[0]])
    assert "Earlier runs in this folder" in html and "coordinator.log" in html
