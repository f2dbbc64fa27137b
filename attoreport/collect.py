"""Read everything the command line names: Attocode traces and attoswarm run folders."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from attoreport.errors import AttoreportError
from attoreport.inputs import Inputs, TraceInput, display_path, find_inputs
from attoreport.loader import load_inputs
from attoreport.model import Session
from attoreport.redact import Redactor, redact_tree
from attoreport.swarm.folders import RunFolder, recognise_run_folder

if TYPE_CHECKING:
    from attoreport.swarm.results import SwarmAnalysis


@dataclass(frozen=True, slots=True)
class Collected:
    """The sessions of every trace (those beside run folders included) and the analyses of
    every attoswarm run folder, in the order they were named."""

    inputs: Inputs[RunFolder]
    sessions: list[Session]
    swarms: list[SwarmAnalysis]


def find(args: Sequence[str], cwd: Path | None = None) -> Inputs[RunFolder]:
    """The traces and run folders the arguments name (see `inputs.find_inputs`)."""
    return find_inputs(args, cwd, claim=recognise_run_folder)


def collect(inputs: Inputs[RunFolder], *, stdin: IO[bytes] | None = None,
            jobs: int | None = None, redactor: Redactor | None = None,
            each: Callable[[Session], object] | None = None) -> Collected:
    """Load the traces and read the run folders of `inputs`. A run folder's TraceCollector
    trace (`traces/trace-*.jsonl`) is loaded as an ordinary session beside its swarm view.
    `each(session)`: called for each session as soon as it is loaded, its run phase set (see
    `load_inputs`)."""
    swarms = _analyse_runs(inputs.claimed)
    if redactor is not None:  # after the analysis, so no two secrets merge two tasks
        swarms = [redact_tree(swarm, redactor) for swarm in swarms]
    beside = [TraceInput(source, path, path.name.removesuffix(".jsonl"))
              for folder in inputs.claimed
              for source, path in zip(folder.trace_sources, folder.trace_paths, strict=True)]
    everything = Inputs(list(inputs.traces) + beside, list(inputs.notes), list(inputs.claimed))
    # A folder that holds a run folder was worth reading, even if its other files are not traces.
    with_runs = {t.folder for t in inputs.traces if t.folder is not None
                 and any(Path(f.path).is_relative_to(Path(t.folder).absolute())
                         or f.source.startswith(t.folder) for f in inputs.claimed)}
    phases = _final_phases(swarms)

    def arrived(session: Session) -> None:
        session.run_phase = phases.get(session.source, session.run_phase)
        if each is not None:
            each(session)

    sessions = load_inputs(everything, stdin=stdin, jobs=jobs, redactor=redactor,
                           found_elsewhere=with_runs, each=arrived) if everything.traces else []
    if not sessions and not swarms:
        raise AttoreportError("no trace events and no attoswarm run found in "
                              + ", ".join(display_path(Path(t.source)) for t in inputs.traces))
    return Collected(everything, sessions, swarms)


def _analyse_runs(folders: Sequence[RunFolder]) -> list[SwarmAnalysis]:
    """Each run folder read and analysed. The swarm modules are imported only when there
    is a run folder: most reports have none, and importing them costs a twentieth of a
    second on every run."""
    if not folders:
        return []
    from attoreport.swarm import analyse_run, read_run

    return [analyse_run(read_run(folder)) for folder in folders]


def _final_phases(swarms: Sequence[SwarmAnalysis]) -> dict[str, str]:
    """Trace source -> the phase its run ended in, for the runs that ended."""
    if not swarms:
        return {}
    from attoreport.swarm.results import FINAL_PHASES

    return {source: swarm.outcome.phase for swarm in swarms
            if swarm.outcome.phase in FINAL_PHASES for source in swarm.trace_sources}
