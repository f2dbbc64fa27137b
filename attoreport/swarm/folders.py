"""Recognise attoswarm run folders by the files attoswarm writes into them.

A run folder (`<project>/.agent/hybrid-swarm/` by default) holds `swarm.state.json`,
`swarm.events.jsonl`, `swarm.manifest.json` and the live feed. `attoswarm continue`
writes a sibling `.agent/<parent_run_id>-child-<stamp>/`; a fresh run moves the previous
run into `history/<run_id>/`. `find_run_folders` accepts the run folder itself, a
`history/<id>/` folder, the `.agent/` folder or the project folder above it, and never
reads file contents: that is `attoreport.swarm.reader`'s job.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

#: Files only attoswarm writes: one of them makes a folder a run folder.
MARKER_FILES = (
    "swarm.state.json",
    "swarm.events.jsonl",
    "swarm.manifest.json",
    "swarm.live.jsonl",
    "swarm.live.state.json",
)
AGENT_DIR = ".agent"
DEFAULT_RUN_DIR = "hybrid-swarm"
HISTORY_DIR = "history"
TRACES_DIR = "traces"
CHILD_MARK = "-child-"
#: More than this many sub-folders of `.agent/` or `history/` are not looked at (a guard
#: against huge folders; attoswarm makes a handful).
MAX_SCANNED_FOLDERS = 2000


@dataclass(frozen=True, slots=True)
class HistoryFolder:
    """An earlier run of the same swarm, archived by attoswarm into `history/<run_id>/`."""

    path: Path
    #: The path as the user would type it (the input path joined with `history/<name>`).
    source: str
    name: str


@dataclass(frozen=True, slots=True)
class RunFolder:
    """One attoswarm run folder, found by its files (nothing read yet)."""

    path: Path
    #: The path as given (or as found under what was given), for messages and the report.
    source: str
    #: "run" (the run folder), "child" (an `attoswarm continue` run) or "history".
    role: str
    #: TraceCollector traces (`traces/trace-*.jsonl`, written with `--trace`), oldest first:
    #: ordinary Attocode traces for the normal loader.
    trace_paths: tuple[Path, ...] = ()
    history: tuple[HistoryFolder, ...] = field(default_factory=tuple)

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def trace_sources(self) -> tuple[str, ...]:
        """The traces' paths as the user would type them."""
        return tuple(_join(self.source, TRACES_DIR, p.name) for p in self.trace_paths)


def is_run_folder(path: Path) -> bool:
    """True when `path` is a folder holding at least one of attoswarm's own files."""
    try:
        return path.is_dir() and any((path / name).is_file() for name in MARKER_FILES)
    except OSError:
        return False


def recognise_run_folder(path: Path, source: str | None = None) -> RunFolder | None:
    """The run folder at `path`, or None when it is not one (a claim for folder walks)."""
    if not is_run_folder(path):
        return None
    shown = source if source is not None else str(path)
    if path.parent.name == HISTORY_DIR and is_run_folder(path.parent.parent):
        role = "history"
    elif CHILD_MARK in path.name:
        role = "child"
    else:
        role = "run"
    return RunFolder(path=path, source=shown, role=role, trace_paths=_traces(path),
                     history=_history(path, shown) if role != "history" else ())


def find_run_folders(path: Path, source: str | None = None) -> list[RunFolder]:
    """Run folders at `path`: the run folder itself, or every run folder in `.agent/`
    (given `.agent/` or the project folder above it: `hybrid-swarm` first, then others
    such as continue runs, by name). Empty when there is none."""
    shown = source if source is not None else str(path)
    own = recognise_run_folder(path, shown)
    if own is not None:
        return [own]
    if path.name == AGENT_DIR:
        agent_dir, agent_source = path, shown
    else:
        agent_dir, agent_source = path / AGENT_DIR, _join(shown, AGENT_DIR)
    found: list[RunFolder] = []
    for child in _subfolders(agent_dir):
        folder = recognise_run_folder(child, _join(agent_source, child.name))
        if folder is not None:
            found.append(folder)
    found.sort(key=lambda f: (f.name != DEFAULT_RUN_DIR, f.name))
    return found


def _traces(run_dir: Path) -> tuple[Path, ...]:
    folder = run_dir / TRACES_DIR
    try:
        entries = [p for p in folder.iterdir() if p.name.startswith("trace-")
                   and p.name.endswith((".jsonl", ".jsonl.gz")) and p.is_file()]
    except OSError:
        return ()
    return tuple(sorted(entries, key=_trace_order))


def _trace_order(path: Path) -> tuple[int, str]:
    """`trace-<epoch>.jsonl` by epoch (numerically), others after them by name."""
    stem = path.name.split(".", 1)[0].removeprefix("trace-")
    return (int(stem), path.name) if stem.isdigit() and len(stem) < 20 else (10**20, path.name)


def _history(run_dir: Path, source: str) -> tuple[HistoryFolder, ...]:
    history_source = _join(source, HISTORY_DIR)
    entries = [HistoryFolder(child, _join(history_source, child.name), child.name)
               for child in _subfolders(run_dir / HISTORY_DIR) if is_run_folder(child)]
    return tuple(sorted(entries, key=lambda h: h.name))


def _subfolders(folder: Path) -> list[Path]:
    try:
        with os.scandir(folder) as entries:
            names: list[str] = []
            for entry in entries:
                if len(names) >= MAX_SCANNED_FOLDERS:
                    break
                try:
                    if entry.is_dir():
                        names.append(entry.name)
                except OSError:
                    continue
    except OSError:
        return []
    return [folder / name for name in sorted(names)]


def _join(source: str, *parts: str) -> str:
    """`source/part/...` as the user would type it (no `./` prefix for `.`)."""
    if source in ("", "."):
        return "/".join(parts)
    return "/".join([source.rstrip("/") or "/", *parts]).replace("//", "/")
