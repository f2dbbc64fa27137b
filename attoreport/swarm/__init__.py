"""attoswarm run folders: recognise them, read every file in them, analyse the run.

    find_run_folders(path) -> [RunFolder] --read_run--> SwarmRun --analyse_run--> SwarmAnalysis

`load_runs(path)` does all three for every run folder at a path. A run's TraceCollector
traces (`RunFolder.trace_paths`, written with `--trace`) are ordinary Attocode traces for
the normal loader; the report shows them beside the swarm view.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from attoreport.swarm.folders import (
    HistoryFolder,
    RunFolder,
    find_run_folders,
    is_run_folder,
    recognise_run_folder,
)

if TYPE_CHECKING:
    from attoreport.swarm.analysis import analyse_run
    from attoreport.swarm.model import SwarmRun
    from attoreport.swarm.reader import read_run
    from attoreport.swarm.results import SwarmAnalysis, SwarmIssue, TaskAnalysis
    from attoreport.swarm.rules import RULES

#: Names imported on first use (PEP 562): recognising a run folder needs only `folders`, and
#: reports without a run folder (most) never import the reader and the analysis.
_LAZY = {"analyse_run": "analysis", "SwarmRun": "model", "read_run": "reader",
         "SwarmAnalysis": "results", "SwarmIssue": "results", "TaskAnalysis": "results",
         "RULES": "rules"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "RULES",
    "HistoryFolder",
    "RunFolder",
    "SwarmAnalysis",
    "SwarmIssue",
    "SwarmRun",
    "TaskAnalysis",
    "analyse_run",
    "find_run_folders",
    "is_run_folder",
    "load_runs",
    "read_run",
    "recognise_run_folder",
]


def load_runs(path: str | Path) -> list[SwarmAnalysis]:
    """Find, read and analyse every run folder at `path` (see `find_run_folders`); empty
    when `path` holds none."""
    from attoreport.swarm.analysis import analyse_run
    from attoreport.swarm.reader import read_run

    given = str(path)
    return [analyse_run(read_run(folder)) for folder in find_run_folders(Path(path), given)]
