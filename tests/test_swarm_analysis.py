"""The analysis of attoswarm's own runs equals what their files record.

Oracles: the run folder README's tables (tests/fixtures/swarm/expected.json) and the files
themselves, counted here with the standard json module.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from attoreport.swarm import SwarmAnalysis, load_runs
from attoreport.swarm.graph import task_graph
from attoreport.swarm.worker_text import main_argument, worker_said
from tests.swarm_support import (
    EXPECTED,
    RUN_DIR,
    RUN_NAMES,
    SWARM,
    agent_results,
    copy_project,
    events,
    jsonl,
    spawns_per_task,
    state,
)


@cache
def analysis(name: str) -> SwarmAnalysis:
    (run,) = load_runs(SWARM / name)
    return run


@pytest.mark.parametrize("name", RUN_NAMES)
def test_tasks_statuses_and_attempts_equal_the_state_file(name: str) -> None:
    a, expected, raw = analysis(name), EXPECTED[name], state(name)
    assert a.run_id == expected["run_id"] == raw["run_id"]
    assert a.outcome.phase == expected["phase"]
    assert a.outcome.total_tasks == expected["tasks"] == len(raw["dag"]["nodes"])
    present = {k: v for k, v in expected["statuses"].items() if v}
    assert a.outcome.status_counts == present == raw["dag_summary"]
    assert a.outcome.dag_summary == raw["dag_summary"]
    tasks = a.task_by_id
    assert list(tasks) == [n["task_id"] for n in raw["dag"]["nodes"]]
    for task_id, want in expected["per_task"].items():
        assert tasks[task_id].status == want["status"], task_id
        assert tasks[task_id].attempts == want["attempts"], task_id


@pytest.mark.parametrize("name", RUN_NAMES)
def test_spawns_retries_and_tool_calls_equal_the_event_files(name: str) -> None:
    a, expected = analysis(name), EXPECTED[name]
    types = Counter(e["event_type"] for e in events(name))
    assert a.outcome.spawns == expected["spawns"] == types["spawn"]
    assert a.outcome.retries == expected["retry_events"] == types["retry"]
    assert a.outcome.tool_calls == types["agent.tool_call"]
    if name != "swarm-codex":  # the README counts the stand-in's own codex commands there
        assert a.outcome.tool_calls == expected["tool_calls"]
    spawns = spawns_per_task(name)
    retries = Counter(e["task_id"] for e in events(name) if e["event_type"] == "retry")
    calls = Counter(e["task_id"] for e in events(name) if e["event_type"] == "agent.tool_call")
    for task in a.tasks:
        assert task.runs == spawns[task.task_id], task.task_id
        assert task.retries == retries[task.task_id], task.task_id
        assert len(task.tool_calls) == calls[task.task_id], task.task_id


@pytest.mark.parametrize("name", RUN_NAMES)
def test_spend_is_the_sum_of_the_workers_reported_figures(name: str) -> None:
    a, expected = analysis(name), EXPECTED[name]
    results = agent_results(name)
    tokens = sum(r["data"]["tokens_used"] for r in results)
    cost = sum(r["data"]["cost_usd"] for r in results)
    assert a.spend.tokens == tokens == expected["tokens_used"]
    assert a.spend.tokens_source == "workers"
    assert a.spend.worker_results == len(results)
    if cost:
        assert a.spend.cost == pytest.approx(cost, abs=1e-9)
        assert a.spend.cost == pytest.approx(expected["cost_usd"], abs=1e-9)
        assert a.spend.cost_source == "workers"
    else:  # the codex backend reports no cost: not recorded, not $0
        assert a.spend.cost is None and a.spend.zero_costs
    per_task_tokens = Counter[str]()
    per_task_cost = Counter[str]()
    for r in results:
        per_task_tokens[r["task_id"]] += r["data"]["tokens_used"]
        per_task_cost[r["task_id"]] += r["data"]["cost_usd"]
    for task in a.tasks:
        if task.task_id in per_task_tokens:
            assert task.tokens == per_task_tokens[task.task_id], task.task_id
            assert task.spend_source == "workers"
            if cost:
                assert task.cost == pytest.approx(per_task_cost[task.task_id], abs=1e-9)
        else:  # never ran: nothing recorded
            assert (task.tokens, task.cost, task.runs) == (None, None, 0), task.task_id
    assert sum(t.tokens or 0 for t in a.tasks) == a.spend.tokens


@pytest.mark.parametrize("name", RUN_NAMES)
def test_single_attempt_tasks_match_the_state_files_own_figures(name: str) -> None:
    """The state file keeps each task's last attempt; for one attempt that is the whole."""
    a = analysis(name)
    for task_id, want in EXPECTED[name]["per_task"].items():
        task = a.task_by_id[task_id]
        if task.runs == 1 and want["tokens"]:
            assert task.tokens == want["tokens"], task_id
            if task.cost is not None:
                assert round(task.cost, 3) == pytest.approx(want["cost_3dp"], abs=1e-9)


@pytest.mark.parametrize("name", RUN_NAMES)
def test_the_graph_has_the_state_files_edges_and_attoswarms_level_count(name: str) -> None:
    a = analysis(name)
    raw = state(name)
    assert [list(e) for e in a.graph.edges] == raw["dag"]["edges"]
    dag_line = next(e["message"] for e in events(name) if e["message"].startswith("DAG: "))
    levels = int(re.search(r"(\d+) levels", dag_line).group(1))  # type: ignore[union-attr]
    assert len(a.graph.levels) == levels
    for dep, task in a.graph.edges:
        assert a.graph.level_of[dep] < a.graph.level_of[task]


def test_a_failed_run_tells_each_tasks_story() -> None:
    tasks = analysis("swarm-failures").task_by_id
    assert [x.outcome for x in tasks["task-6"].attempt_list] == ["retried", "retried", "failed"]
    assert tasks["task-6"].failure_cause == "agent_error"
    assert tasks["task-6"].tokens == 0 and tasks["task-6"].cost == 0.0
    assert [p.cause for p in tasks["task-6"].problems] == ["agent_error", "crash", "agent_error"]
    assert tasks["task-8"].stopped_because == "cascade from task-6"
    assert tasks["task-8"].runs == 0
    assert tasks["task-7"].stopped_because.startswith("poison: zero_progress")
    assert tasks["task-9"].stopped_because.startswith("needs review: test task produced")
    first = tasks["task-3"].attempt_list[0]
    assert first.outcome == "retried" and first.result is not None and first.result.timed_out
    assert [t.passed for t in tasks["task-5"].tests] == [False, True]
    assert tasks["task-1"].commits == ["c1d849be23f24d94d879575362b06f1f3396b9f6"]
    assert tasks["task-1"].files == ("textkit/tokenize.py",)
    assert tasks["task-2"].dependents == ("task-4", "task-6", "task-7")


def test_results_and_tool_calls_sit_in_the_attempt_they_belong_to() -> None:
    task = analysis("swarm-failures").task_by_id["task-2"]
    first, second = task.attempt_list
    assert first.result is not None and not first.result.ok
    assert first.result.error == "claude exited with code 1"
    assert second.result is not None and second.result.ok and second.result.tokens == 11336
    assert first.tool_calls + second.tool_calls == len(task.tool_calls)
    assert all(c.attempt in (1, 2) for c in task.tool_calls)
    assert [c.attempt for c in task.tool_calls] == sorted(c.attempt for c in task.tool_calls)
    assert task.duration_s == pytest.approx(7.576440811157227 + 13.855846405029297)


def test_a_killed_and_resumed_run_has_two_processes_and_interrupted_attempts() -> None:
    a = analysis("swarm-killed-resumed")
    assert a.outcome.processes == 2
    assert len(a.trace_sources) == 2
    raw = events("swarm-killed-resumed")
    resume = next(i for i, e in enumerate(raw) if e["message"].startswith("Resumed:"))
    last_before_resume = raw[resume - 1]["timestamp"]  # the killed process's last event
    for task_id in ("task-4", "task-5"):
        first, second = a.task_by_id[task_id].attempt_list
        assert (first.outcome, second.outcome) == ("interrupted", "done"), task_id
        assert first.ended == last_before_resume and not first.end_recorded
        assert first.result is None and first.seconds is None and first.ran_seconds is None
        assert second.result is not None and second.result.ok
        assert a.task_by_id[task_id].duration_s == second.result.duration_s
    # the state file zeroes the first process's tasks; the workers' results still count
    assert a.task_by_id["task-1"].tokens == 8371
    assert a.outcome.wall_s == pytest.approx(1795759906.699947 - 1795759848.4004824)
    assert a.outcome.elapsed_s == pytest.approx(26.61168599128723)


def test_a_user_skip_of_a_running_task_does_not_end_its_attempt() -> None:
    task = analysis("swarm-control").task_by_id["task-5"]
    assert task.status == "done"
    assert [x.outcome for x in task.attempt_list] == ["done"]
    assert task.stopped_because == "skipped: Task task-5 skipped by user"


def test_decisions_marks_and_problems_of_the_coordinator() -> None:
    a = analysis("swarm-failures")
    assert len(a.decisions) == 10
    assert [d.decision_type for d in a.decisions].count("retry") == 7
    assert a.decisions[0].decision == "Produced 9 tasks"
    kinds = Counter(m.kind for m in a.marks)
    assert kinds["retry"] == 7 and kinds["batch"] == 8 and kinds["decision"] == 10
    errors = [p for p in a.problems if p.kind == "error"]
    assert len(errors) == len(state("swarm-failures")["errors"])
    warnings = [p for p in a.problems if p.kind == "warning"]
    assert any(p.task_id == "task-4" and "expected ':'" in p.message for p in warnings)
    assert a.outcome.finished and a.outcome.end_message.startswith("Swarm completed: 6/9")


def test_budget_and_shutdown_runs() -> None:
    budget = analysis("swarm-budget")
    assert budget.outcome.shutdown_reason == "budget_exhausted"
    assert budget.outcome.budget.cost_max == 2.0
    assert budget.task_by_id["task-7"].stopped_because.startswith("budget gate")
    assert any(m.kind == "budget" for m in budget.marks)
    interrupted = analysis("swarm-interrupted")
    assert interrupted.outcome.shutdown_reason == "signal:SIGTERM"
    assert any(m.kind == "shutdown" for m in interrupted.marks)
    assert not interrupted.outcome.stopped_early


def test_agent_results_of_another_run_are_not_counted(tmp_path: Path) -> None:
    project = copy_project("swarm-clean", tmp_path)
    agent = project / RUN_DIR / "agents" / "agent-task-1.trace.jsonl"
    line = agent.read_text().splitlines()[-1]
    older = line.replace('"trace_id": "45d09977"', '"trace_id": "0ld0ld00"')
    earlier = line.replace('"timestamp": 17957', '"timestamp": 16957')
    agent.write_text(agent.read_text() + older + "\n" + earlier + "\n")
    (a,) = load_runs(project)
    assert a.spend.tokens == EXPECTED["swarm-clean"]["tokens_used"]
    assert a.spend.excluded_results == 2
    assert a.diagnostics == []


def test_a_run_stopped_mid_way_keeps_open_attempts(tmp_path: Path) -> None:
    project = copy_project("swarm-large", tmp_path)
    events_file = project / RUN_DIR / "swarm.events.jsonl"
    lines = events_file.read_text().splitlines()
    cut = next(i for i, ln in enumerate(lines) if '"Batch 3: ' in ln) + 3
    events_file.write_text("\n".join(lines[:cut]) + "\n")
    state_file = project / RUN_DIR / "swarm.state.json"
    state_file.write_text(state_file.read_text().replace('"phase": "completed"',
                                                         '"phase": "executing"'))
    (a,) = load_runs(project)
    assert a.outcome.stopped_early and not a.outcome.finished
    open_attempts = [x for t in a.tasks for x in t.attempt_list if x.outcome == "open"]
    assert len(open_attempts) == 2  # spawned in batch 3, never judged
    assert all(not x.end_recorded and x.seconds is None for x in open_attempts)


def test_the_codex_run_records_tokens_but_no_cost_and_no_tool_calls() -> None:
    a = analysis("swarm-codex")
    assert a.spend.cost is None and a.spend.tokens == 1397383
    assert all(t.cost is None for t in a.tasks)
    assert a.outcome.tool_calls == 0
    assert a.task_by_id["task-1"].said.startswith("I'll start by exploring")


def test_every_fixture_prompt_and_result_reaches_its_task() -> None:
    a = analysis("swarm-clean")
    for task in a.tasks:
        prompt = (SWARM / "swarm-clean" / RUN_DIR / "agents" /
                  f"agent-{task.task_id}.prompt.txt").read_text()
        assert task.prompt == prompt
        assert task.result_summary and task.said


# ---------------------------------------------------------------------------
# What a worker's cut-off tool input and raw stdout say
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("summary", "argument"), [
    ('{"command": "ls -la /p", "description": "List project directo', "ls -la /p"),
    ('{"pattern": "def slug", "path": "/p", "output_mode": "files_', "def slug"),
    ('{"replace_all": false, "file_path": "/p/x.py", "old_strin', "/p/x.py"),
    ('{"file_path": "/p/very/long/na', "/p/very/long/na…"),
    ('{"command": "echo \\u00e9\\', "echo é…"),
    ('{"command": "pytest -q"}', "pytest -q"),
    ('{"max_results": 1}', '{"max_results": 1}'),
    ("not json", "not json"),
    ("", ""),
])
def test_the_main_argument_of_a_cut_tool_input(summary: str, argument: str) -> None:
    assert main_argument(summary) == argument


def test_main_arguments_of_every_fixture_call_are_short_and_never_raw_json() -> None:
    for name in RUN_NAMES:
        for task in analysis(name).tasks:
            for call in task.tool_calls:
                assert len(call.argument) <= 200
                if call.tool in ("Read", "Bash", "Grep", "Glob", "Edit", "Write"):
                    assert not call.argument.startswith("{"), (name, call)


def test_what_the_worker_said() -> None:
    stream = ('{"type":"system","subtype":"init"}\n'
              '{"type":"assistant","message":{"content":[{"type":"text","text":"Reading."}]}}\n'
              '{"type":"assistant","message":{"content":[{"type":"tool_use","name":"Read"}]}}\n'
              '{"type":"result","result":"All done."}\n')
    assert worker_said(stream) == "Reading. All done."
    assert worker_said("plain words\nfrom a worker") == "plain words from a worker"
    assert worker_said('{"type":"assistant","message":{"content":[{"type":"te') == ""


def test_the_events_file_order_is_the_oracle_for_attempt_pairing() -> None:
    """Every retry and fail event closes an attempt of its task, and every complete too."""
    for name in RUN_NAMES:
        a = analysis(name)
        raw = events(name)
        closing = Counter(e["task_id"] for e in raw
                          if e["event_type"] in ("retry", "fail", "complete") and e["task_id"])
        for task in a.tasks:
            closed = sum(1 for x in task.attempt_list if x.outcome in ("retried", "failed", "done"))
            assert closed == closing[task.task_id], (name, task.task_id)


def test_jsonl_helper_reads_every_fixture_line() -> None:
    for name in RUN_NAMES:
        assert len(events(name)) == EXPECTED[name]["events_lines"]
        types = Counter(e["event_type"] for e in jsonl(SWARM / name / RUN_DIR /
                                                        "swarm.events.jsonl"))
        assert dict(types) == EXPECTED[name]["event_types"]


@pytest.mark.parametrize("edges", [
    [("a", "b"), ("b", "c"), ("a", "c"), ("c", "d")],
    [("a", "c"), ("c", "d"), ("b", "c"), ("a", "b")],
    [("c", "d"), ("a", "c"), ("a", "b"), ("b", "c")],
])
def test_levels_are_the_longest_dependency_chain(edges: list[tuple[str, str]]) -> None:
    graph = task_graph(["a", "b", "c", "d", "e"], edges)
    assert graph.level_of == {"a": 1, "b": 2, "c": 3, "d": 4, "e": 1}
    assert graph.levels == (("a", "e"), ("b",), ("c",), ("d",))


def test_a_short_branch_finished_last_does_not_pull_a_task_up() -> None:
    graph = task_graph(["q", "r", "m", "p", "c"], [("r", "m"), ("m", "p"), ("p", "c"),
                                                   ("q", "c")])
    assert graph.level_of["c"] == 4 and len(graph.levels) == 4


def test_a_dependency_cycle_is_drawn_on_a_last_level() -> None:
    graph = task_graph(["a", "b", "c", "x"], [("a", "b"), ("b", "c"), ("c", "b"),
                                               ("a", "missing"), ("x", "x")])
    assert graph.cyclic == ("b", "c")
    assert graph.level_of == {"a": 1, "x": 1, "b": 2, "c": 2}
    assert graph.dropped_edges == 2


def test_events_and_results_of_an_earlier_run_in_the_same_files_are_left_out(
        tmp_path: Path) -> None:
    """Older attoswarm versions kept appending to the same files: put the whole clean
    run (another run id) in front of the failures run's events and agent traces."""
    project = copy_project("swarm-failures", tmp_path)
    folder = project / RUN_DIR
    older = (SWARM / "swarm-clean" / RUN_DIR / "swarm.events.jsonl").read_text()
    own = (folder / "swarm.events.jsonl").read_text()
    (folder / "swarm.events.jsonl").write_text(older + own)
    for path in (SWARM / "swarm-clean" / RUN_DIR / "agents").glob("*.trace.jsonl"):
        target = folder / "agents" / path.name
        target.write_text(path.read_text() + (target.read_text() if target.exists() else ""))
    (a,) = load_runs(project)
    assert a.earlier_events == len(older.splitlines())
    assert a.spend.tokens == EXPECTED["swarm-failures"]["tokens_used"]
    assert a.spend.excluded_results == len(agent_results("swarm-clean"))
    assert a.outcome.spawns == 15 and a.outcome.tool_calls == 265
    assert a.diagnostics == []
    for task in a.tasks:
        assert task.runs == spawns_per_task("swarm-failures")[task.task_id]


def test_a_task_without_worker_results_keeps_its_own_figures_outside_the_total(
        tmp_path: Path) -> None:
    project = copy_project("swarm-clean", tmp_path)
    (project / RUN_DIR / "agents" / "agent-task-6.trace.jsonl").unlink()
    (a,) = load_runs(project)
    task = a.task_by_id["task-6"]
    assert (task.tokens, task.spend_source) == (16621, "events")  # its complete event
    assert a.spend.tokens == EXPECTED["swarm-clean"]["tokens_used"] - 16621
    assert a.spend.unreported_tasks == ("task-6",)
    assert len(task.tool_calls) == 36  # the events still have its tool calls
