"""The swarm rules fire where attoswarm's own runs show the problem, and only there."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from attoreport.swarm import RULES, SwarmAnalysis, load_runs
from attoreport.swarm import rules as swarm_rules
from tests.swarm_support import RUN_DIR, RUN_NAMES, SWARM, copy_project, rewrite_jsonl, stretch_time


def _run(path: Path) -> SwarmAnalysis:
    (run,) = load_runs(path)
    return run


def _fired(analysis: SwarmAnalysis) -> dict[str, list[tuple[str, ...]]]:
    found: dict[str, list[tuple[str, ...]]] = {}
    for issue in analysis.issues:
        found.setdefault(issue.rule, []).append(issue.task_ids)
    return found


EXPECTED_FINDINGS = {
    "swarm-budget": {},
    "swarm-clean": {"serialised_level": [("task-1", "task-2", "task-4", "task-6")]},
    "swarm-codex": {},
    "swarm-control": {},
    "swarm-failures": {
        "failed_after_all_attempts": [("task-6",), ("task-7",)],
        "worker_stuck": [("task-3", "task-7")],
        "retry_storm": [("task-2", "task-3", "task-4", "task-5", "task-6", "task-7")],
        "outlier_task": [("task-7",)],
    },
    "swarm-interrupted": {},
    "swarm-killed-resumed": {},
    "swarm-large": {"serialised_level": [("task-7", "task-11")]},
}


@pytest.mark.parametrize("name", RUN_NAMES)
def test_each_fixture_run_gets_exactly_its_findings(name: str) -> None:
    assert _fired(_run(SWARM / name)) == EXPECTED_FINDINGS[name]


def test_every_rule_is_documented_with_its_threshold_and_every_finding_says_it() -> None:
    names = [rule.name for rule in RULES]
    assert names == ["failed_after_all_attempts", "retry_storm", "worker_stuck",
                     "outlier_task", "serialised_level"]
    doc = swarm_rules.__doc__ or ""
    for rule in RULES:
        assert f"- {rule.name}:" in doc and rule.threshold
    for issue in _run(SWARM / "swarm-failures").issues:
        assert issue.threshold and issue.suggestion and issue.description
        assert issue.severity in ("critical", "high", "medium", "low")


def test_findings_come_most_severe_first() -> None:
    severities = [i.severity for i in _run(SWARM / "swarm-failures").issues]
    order = ["critical", "high", "medium", "low"]
    assert severities == sorted(severities, key=order.index)


def test_a_failed_task_names_its_last_error_and_the_tasks_it_blocked() -> None:
    issue = next(i for i in _run(SWARM / "swarm-failures").issues if i.task_ids == ("task-6",))
    assert "failed after 3 attempts" in issue.description
    assert "claude exited with code 143" in issue.description
    assert "It blocked task-8" in issue.description
    assert issue.suggestion == "Review task prompt for clarity. Check model availability."


def test_retry_storm_threshold(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    storm = next(i for i in _run(SWARM / "swarm-failures").issues if i.rule == "retry_storm")
    assert storm.description.startswith("7 retries out of 15 worker starts (47%)")
    assert storm.severity == "medium"
    large = _run(SWARM / "swarm-large")  # 2 retries out of 20 starts
    assert "retry_storm" not in _fired(large)
    monkeypatch.setattr(swarm_rules, "RETRY_STORM_MIN", 2)
    monkeypatch.setattr(swarm_rules, "RETRY_STORM_SHARE", 0.1)
    assert [i.rule for i in swarm_rules.detect(large)].count("retry_storm") == 1


def test_a_worker_silent_for_minutes_is_idle(tmp_path: Path) -> None:
    """Stretched tenfold (real workers are about three times slower than the stand-in),
    the failures run has workers that go minutes without a tool call."""
    project = copy_project("swarm-failures", tmp_path)
    stretch_time(project / RUN_DIR, 10)
    idle = [i for i in _run(project).issues if i.title == "Workers idle for a long time"]
    assert len(idle) == 1
    assert "No tool call for 120 seconds or more" in idle[0].description
    plain = _run(SWARM / "swarm-failures")
    assert not [i for i in plain.issues if i.title == "Workers idle for a long time"]


def _slow_down(project: Path, task_id: str, seconds: float) -> None:
    def change(entry: dict) -> dict:
        if entry.get("entry_type") == "cost_delta":
            entry["data"]["duration_s"] = seconds
        return entry

    rewrite_jsonl(project / RUN_DIR / "agents" / f"agent-{task_id}.trace.jsonl", change)


@pytest.mark.parametrize(("seconds", "fires"), [(200.0, True), (60.0, False)])
def test_a_task_much_slower_than_its_level(tmp_path: Path, seconds: float, fires: bool) -> None:
    project = copy_project("swarm-large", tmp_path)
    _slow_down(project, "task-12", seconds)  # level 4: task-12, -13, -14, -15
    found = [i for i in _run(project).issues if i.rule == "outlier_task"]
    assert bool(found) is fires
    if fires:
        assert found[0].task_ids == ("task-12",)
        assert "the other tasks of level 4" in found[0].description
        assert found[0].title == "Task task-12 was much slower than its siblings"


def test_a_costly_task_is_compared_with_its_level() -> None:
    issue = next(i for i in _run(SWARM / "swarm-failures").issues if i.rule == "outlier_task")
    assert "cost $0.95" in issue.description and "level 3" in issue.description


def test_tasks_of_a_level_run_one_after_another_although_ready(tmp_path: Path) -> None:
    """Push one level-2 task of swarm-budget after its sibling: ready together, run apart."""
    project = copy_project("swarm-budget", tmp_path)
    events_file = project / RUN_DIR / "swarm.events.jsonl"
    lines = [json.loads(x) for x in events_file.read_text().splitlines()]
    # level 2 (task-5, task-6) ran side by side: push task-6's whole attempt after task-5's
    end5 = next(e["timestamp"] for e in lines
                if e["event_type"] == "complete" and e["task_id"] == "task-5")
    start6 = next(e["timestamp"] for e in lines
                  if e["event_type"] == "spawn" and e["task_id"] == "task-6")
    shift = end5 - start6 + 1.0

    def later(entry: dict) -> dict:
        if entry.get("task_id") == "task-6":
            entry["timestamp"] += shift
        return entry

    rewrite_jsonl(events_file, later)
    rewrite_jsonl(project / RUN_DIR / "agents" / "agent-task-6.trace.jsonl", later)
    found = [i for i in _run(project).issues if i.rule == "serialised_level"]
    assert [i.title for i in found] == ["Level 2 ran its tasks one at a time"]
    assert found[0].task_ids == ("task-5", "task-6")
    assert "ready together" in found[0].description
    assert not [i for i in _run(SWARM / "swarm-budget").issues if i.rule == "serialised_level"]


def test_a_chain_shaped_graph_is_reported_once() -> None:
    (issue,) = [i for i in _run(SWARM / "swarm-clean").issues]
    assert issue.title == "The task graph is mostly a chain (4 of 5 levels hold one task)"
    assert "Levels 1, 2, 4, 5" in issue.description
