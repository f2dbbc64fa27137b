"""Recognising run folders and reading every attoswarm file format in them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from attoreport.swarm import find_run_folders, is_run_folder, load_runs, read_run
from attoreport.swarm.folders import recognise_run_folder
from tests.swarm_support import RUN_DIR, RUN_NAMES, SWARM, copy_project, run_dir


def _lines(path: Path) -> int:
    return path.read_bytes().count(b"\n")


# ---------------------------------------------------------------------------
# Finding run folders
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("given", ["project", ".agent", "run"])
def test_a_run_is_found_from_the_project_the_agent_folder_or_itself(given: str) -> None:
    project = SWARM / "swarm-clean"
    path = {"project": project, ".agent": project / ".agent", "run": project / RUN_DIR}[given]
    folders = find_run_folders(path, "here")
    assert [f.path for f in folders] == [project / RUN_DIR]
    assert folders[0].role == "run"
    expected_source = {"project": "here/.agent/hybrid-swarm", ".agent": "here/hybrid-swarm",
                       "run": "here"}[given]
    assert folders[0].source == expected_source


def test_a_folder_without_attoswarm_files_is_no_run(tmp_path: Path) -> None:
    (tmp_path / ".agent" / "hybrid-swarm").mkdir(parents=True)
    (tmp_path / ".agent" / "hybrid-swarm" / "notes.jsonl").write_text("{}\n")
    assert find_run_folders(tmp_path) == []
    assert not is_run_folder(tmp_path / ".agent" / "hybrid-swarm")
    assert recognise_run_folder(tmp_path / "missing") is None


@pytest.mark.parametrize("marker", ["swarm.state.json", "swarm.events.jsonl",
                                    "swarm.manifest.json", "swarm.live.jsonl"])
def test_any_one_of_attoswarms_own_files_marks_a_run_folder(tmp_path: Path, marker: str) -> None:
    (tmp_path / marker).write_text("")
    assert is_run_folder(tmp_path)


def test_the_collector_traces_beside_the_run_are_exposed_oldest_first() -> None:
    folder = find_run_folders(SWARM / "swarm-killed-resumed", "p")[0]
    names = [p.name for p in folder.trace_paths]
    assert names == ["trace-1795759848.jsonl", "trace-1795759880.jsonl"]
    assert all(p.is_file() for p in folder.trace_paths)
    assert folder.trace_sources == ("p/.agent/hybrid-swarm/traces/trace-1795759848.jsonl",
                                    "p/.agent/hybrid-swarm/traces/trace-1795759880.jsonl")


def test_continue_runs_beside_the_run_are_found_after_it(tmp_path: Path) -> None:
    project = copy_project("swarm-clean", tmp_path)
    child = project / ".agent" / "45d09977-child-20261127-061500-ab12"
    shutil.copytree(run_dir("swarm-codex"), child)
    folders = find_run_folders(project)
    assert [f.name for f in folders] == ["hybrid-swarm", child.name]
    assert [f.role for f in folders] == ["run", "child"]


def _archive(project: Path, name: str) -> Path:
    """Do what a fresh attoswarm run does to the run before it: move it to history/."""
    history = project / RUN_DIR / "history" / name
    history.parent.mkdir(parents=True)
    shutil.copytree(run_dir("swarm-interrupted"), history, ignore=shutil.ignore_patterns(
        "traces", "run-*", "locks"))
    return history


def test_history_runs_are_listed_and_reportable_on_their_own(tmp_path: Path) -> None:
    project = copy_project("swarm-clean", tmp_path)
    archived = _archive(project, "9782af0e")
    folder = find_run_folders(project, "proj")[0]
    assert [h.name for h in folder.history] == ["9782af0e"]
    assert folder.history[0].source == "proj/.agent/hybrid-swarm/history/9782af0e"

    run = read_run(folder)
    assert len(run.history) == 1
    earlier = run.history[0]
    assert (earlier.run_id, earlier.phase, earlier.tasks) == ("9782af0e", "shutdown", 7)
    assert earlier.dag_summary == {"done": 4, "pending": 3}
    assert earlier.goal.startswith("Add account, currency")

    alone = find_run_folders(archived)
    assert len(alone) == 1 and alone[0].role == "history"
    analysis = load_runs(archived)[0]
    assert analysis.run_id == "9782af0e"
    assert analysis.outcome.total_tasks == 7
    assert analysis.diagnostics == []


# ---------------------------------------------------------------------------
# Reading: every line of attoswarm's formats is read, none is damage
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", RUN_NAMES)
def test_every_file_is_read_whole_and_no_valid_line_is_reported(name: str) -> None:
    run = read_run(find_run_folders(SWARM / name)[0])
    assert run.diagnostics == []
    read = dict(run.files_read)
    folder = run_dir(name)
    for path in [folder / "swarm.events.jsonl", folder / "swarm.live.jsonl",
                 folder / "control.jsonl", *sorted((folder / "agents").glob("*.trace.jsonl"))]:
        assert read[str(path.relative_to(folder))] == _lines(path), path.name
    for document in ("swarm.state.json", "swarm.manifest.json", "postmortem.json",
                     "git_safety.json"):
        assert document in read
    assert len(run.events) == _lines(folder / "swarm.events.jsonl")
    assert len(run.agent_entries) == sum(
        _lines(p) for p in (folder / "agents").glob("*.trace.jsonl"))
    assert sum(run.live.kinds.values()) == _lines(folder / "swarm.live.jsonl")
    assert set(run.tasks) == {p.name[5:-5] for p in (folder / "tasks").glob("task-*.json")}
    assert set(run.prompts) == {p.name[6:-11] for p in (folder / "agents").glob("*.prompt.txt")}


def test_an_empty_control_file_is_simply_empty() -> None:
    run = read_run(find_run_folders(SWARM / "swarm-clean")[0])
    assert (run_dir("swarm-clean") / "control.jsonl").stat().st_size == 0
    assert run.control == [] and ("control.jsonl", 0) in run.files_read


def test_control_commands_are_read() -> None:
    run = read_run(find_run_folders(SWARM / "swarm-control")[0])
    assert [(c.action, c.task_id) for c in run.control] == [
        ("add_task", "user-1"), ("skip", "task-5"), ("paused", ""), ("executing", ""),
        ("edit_task", "task-4")]
    assert run.control[0].detail == "Add a vowel counting helper"


def test_a_control_line_with_an_iso_timestamp_is_a_command_not_damage(tmp_path: Path) -> None:
    project = copy_project("swarm-clean", tmp_path)
    (project / RUN_DIR / "control.jsonl").write_text(
        '{"action": "paused", "task_id": "", "timestamp": "2026-11-27T06:00:00+00:00"}\n')
    run = read_run(find_run_folders(project)[0])
    assert run.diagnostics == []
    assert run.control[0].timestamp == "2026-11-27T06:00:00+00:00"


# ---------------------------------------------------------------------------
# Broken lines are diagnostics with file and line; the rest is kept
# ---------------------------------------------------------------------------


def _append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8", newline="") as handle:
        handle.write(text)


def test_broken_lines_are_reported_with_file_and_line(tmp_path: Path) -> None:
    project = copy_project("swarm-failures", tmp_path)
    folder = project / RUN_DIR
    events_file, agent_file = folder / "swarm.events.jsonl", folder / "agents/agent-task-1.trace.jsonl"
    events_before, agent_before = _lines(events_file), _lines(agent_file)
    _append(events_file, "not json at all\n[1, 2]\n{\"message\": \"no type\"}\n")
    with events_file.open("ab") as handle:
        handle.write(b'{"event_type": "info", "message": "\xff\xfe"}\n')
    _append(agent_file, '{"timestamp": 1.0, "entry_type": "tool_call", "data": {"tool": "Re')
    _append(folder / "control.jsonl", '{"task_id": "task-1"}\n\n')
    _append(folder / "swarm.live.jsonl", '{"seq": 1}\n')

    run = read_run(find_run_folders(project, "p")[0])
    where = [(d.file.removeprefix("p/.agent/hybrid-swarm/"), d.line, d.action)
             for d in run.diagnostics]
    assert where == [
        ("swarm.events.jsonl", events_before + 1, "skipped"),
        ("swarm.events.jsonl", events_before + 2, "skipped"),
        ("swarm.events.jsonl", events_before + 3, "skipped"),
        ("swarm.events.jsonl", events_before + 4, "skipped"),
        ("agents/agent-task-1.trace.jsonl", agent_before + 1, "skipped"),
        ("swarm.live.jsonl", _lines(folder / "swarm.live.jsonl"), "skipped"),
        ("control.jsonl", 1, "skipped"),
        ("control.jsonl", 2, "skipped"),
    ]
    messages = [d.message for d in run.diagnostics]
    assert messages[0].startswith("invalid JSON") or messages[0].startswith("not JSON")
    assert "not a JSON object but an array" in messages[1]
    assert "no 'event_type'" in messages[2]
    assert "invalid UTF-8" in messages[3]
    assert "cut short" in messages[4]
    assert "blank line" in messages[7]
    # every good line is still read
    assert len(run.events) == events_before
    analysis = load_runs(project)[0]
    assert analysis.outcome.total_tasks == 9 and analysis.spend.tokens == 102801


def test_a_line_without_a_usable_time_is_kept_and_reported_repaired(tmp_path: Path) -> None:
    project = copy_project("swarm-clean", tmp_path)
    _append(project / RUN_DIR / "swarm.events.jsonl",
            '{"event_type": "info", "timestamp": "soon", "message": "hello"}\n')
    run = read_run(find_run_folders(project)[0])
    assert [(d.action, d.line) for d in run.diagnostics] == [("repaired", 185)]
    assert run.events[-1].message == "hello" and run.events[-1].timestamp is None


def test_a_broken_state_file_is_reported_and_the_live_state_used(tmp_path: Path) -> None:
    project = copy_project("swarm-budget", tmp_path)
    state_file = project / RUN_DIR / "swarm.state.json"
    state_file.write_text(state_file.read_text()[:500])
    run = read_run(find_run_folders(project)[0])
    assert len(run.diagnostics) == 1
    assert run.diagnostics[0].file.endswith("swarm.state.json")
    assert run.diagnostics[0].line > 1 and "invalid JSON" in run.diagnostics[0].message
    assert run.state is not None and run.state.file == "swarm.live.state.json"
    analysis = load_runs(project)[0]
    assert analysis.outcome.total_tasks == 7
    assert analysis.outcome.status_counts == {"done": 6, "pending": 1}


def test_without_state_files_the_manifest_task_files_and_events_tell(tmp_path: Path) -> None:
    project = copy_project("swarm-failures", tmp_path)
    (project / RUN_DIR / "swarm.state.json").unlink()
    (project / RUN_DIR / "swarm.live.state.json").unlink()
    analysis = load_runs(project)[0]
    assert analysis.run_id == "aa11c72f"
    assert analysis.outcome.total_tasks == 9
    assert analysis.outcome.status_counts == {"done": 5, "failed": 2, "skipped": 1,
                                              "needs_review": 1}
    assert analysis.spend.tokens == 102801 and analysis.spend.tokens_source == "workers"
    assert len(analysis.graph.levels) == 5


def test_without_the_events_file_the_live_feed_gives_the_events(tmp_path: Path) -> None:
    project = copy_project("swarm-failures", tmp_path)
    (project / RUN_DIR / "swarm.events.jsonl").unlink()
    run = read_run(find_run_folders(project)[0])
    assert run.events_file == "swarm.live.jsonl"
    assert run.diagnostics == []
    analysis = load_runs(project)[0]
    assert analysis.outcome.spawns == 15 and analysis.outcome.retries == 7
    assert analysis.outcome.tool_calls == 265


def test_hostile_strings_are_bounded_and_kept_as_text(tmp_path: Path) -> None:
    project = copy_project("swarm-clean", tmp_path)
    state_file = project / RUN_DIR / "swarm.state.json"
    state = json.loads(state_file.read_text())
    state["goal"] = "<script>alert(1)</script>" + "x" * 100_000
    state["dag"]["nodes"][0]["title"] = "<img src=x onerror=alert(1)>" * 50
    state["dag"]["nodes"][0]["tokens_used"] = "many"
    state["dag"]["nodes"][1]["title"] = {"not": "a string"}
    state_file.write_text(json.dumps(state))
    analysis = load_runs(project)[0]
    assert analysis.goal.startswith("<script>") and len(analysis.goal) <= 20_000
    assert len(analysis.tasks[0].title) <= 300
    assert analysis.tasks[1].title == "Add duplicate-SKU detection to the store"  # task file


def test_the_coordinator_log_postmortem_and_git_safety_are_read(tmp_path: Path) -> None:
    project = copy_project("swarm-failures", tmp_path)
    log = project / RUN_DIR / "coordinator.log"
    log.write_text("".join(f"line {i}: working\n" for i in range(1, 5001)))
    run = read_run(find_run_folders(project)[0])
    assert run.diagnostics == []
    assert run.coordinator_log is not None and run.coordinator_log.lines == 5000
    assert run.coordinator_log.truncated
    assert run.coordinator_log.tail.endswith("line 5000: working\n")
    assert run.coordinator_log.tail.startswith("line ")  # cut at a whole line
    assert run.postmortem is not None and run.postmortem.outcome == "partial"
    assert run.postmortem.parallel_efficiency == 0.272
    assert run.postmortem.critical_path == ("task-1", "task-2", "task-4", "task-5", "task-9")
    assert run.git is not None and run.git.swarm_branch == "attoswarm/aa11c72f"


def test_a_continue_run_names_its_parent(tmp_path: Path) -> None:
    project = copy_project("swarm-clean", tmp_path)
    child = project / ".agent" / "45d09977-child-20261127-061500-ab12"
    shutil.copytree(run_dir("swarm-codex"), child)
    state_file = child / "swarm.state.json"
    state = json.loads(state_file.read_text())
    state["lineage"].update(parent_run_id="45d09977", continuation_mode="child")
    state_file.write_text(json.dumps(state))
    runs = load_runs(project)
    assert [(r.role, r.parent_run_id) for r in runs] == [("run", ""), ("child", "45d09977")]


def test_invisible_and_control_characters_are_made_visible(tmp_path: Path) -> None:
    project = copy_project("swarm-clean", tmp_path)
    state_file = project / RUN_DIR / "swarm.state.json"
    state = json.loads(state_file.read_text())
    state["dag"]["nodes"][0]["title"] = "rm -rf \u202e/ \x1b[31mred\x00"
    state_file.write_text(json.dumps(state))
    (project / RUN_DIR / "agents" / "agent-task-1.prompt.txt").write_text("a\u200bb\x07\n")
    (analysis,) = load_runs(project)
    assert analysis.tasks[0].title == "rm -rf <U+202E>/ \\x1b[31mred\\x00"
    assert analysis.tasks[0].prompt == "a<U+200B>b\\x07\n"
