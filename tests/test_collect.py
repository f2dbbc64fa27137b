"""Reading what the command line names: traces and attoswarm run folders together."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from attoreport import analyse
from attoreport.analysis import outcome as states
from attoreport.collect import collect, find
from attoreport.errors import AttoreportError
from tests.conftest import FIXTURES

SWARM = FIXTURES / "swarm"


def test_a_project_folder_gives_its_run_and_the_trace_beside_it() -> None:
    collected = collect(find([str(SWARM / "swarm-clean")]))
    [swarm] = collected.swarms
    [session] = collected.sessions
    assert swarm.run_id == "45d09977"
    assert session.source in swarm.trace_sources
    assert not any(d.line for d in session.diagnostics)  # attoswarm's files are no damage


def test_the_run_folder_itself_and_a_folder_of_runs() -> None:
    run = collect(find([str(SWARM / "swarm-clean" / ".agent" / "hybrid-swarm")]))
    assert [s.run_id for s in run.swarms] == ["45d09977"] and len(run.sessions) == 1
    every = collect(find([str(SWARM)]))
    assert len(every.swarms) == 8 and len(every.sessions) == len(
        {t for s in every.swarms for t in s.trace_sources})


def test_a_swarm_trace_ends_as_its_run_did(tmp_path: Path) -> None:
    collected = collect(find([str(SWARM / "swarm-clean")]))
    [session] = collected.sessions
    assert session.is_open  # attoswarm writes no session_end; Attocode's numbers stay so
    assert session.run_phase == "completed"
    assert analyse(session).outcome.state == states.COMPLETED
    budget = collect(find([str(SWARM / "swarm-budget")]))
    assert analyse(budget.sessions[0]).outcome.state == states.ENDED_WITH_STATUS


def test_an_empty_control_file_and_traces_beside_runs(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(SWARM / "swarm-control", project)
    control = project / ".agent" / "hybrid-swarm" / "control.jsonl"
    control.write_text("")
    shutil.copy(FIXTURES / "collector" / "collector-clean-feature.jsonl", project / "own.jsonl")
    collected = collect(find([str(project)]))
    assert len(collected.swarms) == 1
    assert "own" in {s.session_id for s in collected.sessions}


def test_nothing_to_read_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "empty.jsonl").write_text("")
    with pytest.raises(AttoreportError):
        collect(find([str(tmp_path)]))
