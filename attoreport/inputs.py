"""Find the trace inputs named on the command line: files, directories, `-`, or discovery."""

from __future__ import annotations

import gzip
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from attoreport.errors import AttoreportError

DISCOVERY_DIRS = (Path(".attocode") / "traces", Path(".traces"))
TRACE_SUFFIXES = (".jsonl", ".jsonl.gz")


@dataclass(frozen=True, slots=True)
class TraceInput:
    """One trace to read: a file, or standard input (`path` is None)."""

    source: str
    path: Path | None
    stem: str


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".jsonl.gz", ".gz", ".jsonl"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return path.stem


def _is_trace_file(path: Path) -> bool:
    return path.is_file() and path.name.endswith(TRACE_SUFFIXES)


def find_inputs(args: Sequence[str], cwd: Path | None = None) -> list[TraceInput]:
    """Resolve CLI-style arguments: files, directories, `-` (stdin) or, with none, discovery."""
    base = cwd or Path.cwd()
    if not args:
        return [_discover(base)]
    inputs: list[TraceInput] = []
    for arg in args:
        if arg == "-":
            inputs.append(TraceInput("-", None, "stdin"))
            continue
        path = Path(arg)
        full = path if path.is_absolute() else base / path
        if full.is_dir():
            try:
                found = sorted(p for p in full.iterdir() if _is_trace_file(p))
            except OSError as exc:
                raise AttoreportError(f"{arg}: cannot read the directory: {exc.strerror}") from exc
            if not found:
                raise AttoreportError(f"{arg}: directory has no *.jsonl or *.jsonl.gz traces")
            inputs.extend(TraceInput(str(path / p.name), p, _stem(p)) for p in found)
        elif full.exists():  # a file, or a pipe such as <(zcat trace.jsonl.gz)
            inputs.append(TraceInput(arg, full, _stem(full)))
        else:
            raise AttoreportError(f"{arg}: no such file or directory")
    return inputs


def _discover(base: Path) -> TraceInput:
    for folder in DISCOVERY_DIRS:
        directory = base / folder
        if directory.is_dir():
            traces = [p for p in directory.iterdir() if _is_trace_file(p)]
            if traces:
                newest = max(traces, key=lambda p: (p.stat().st_mtime, p.name))
                return TraceInput(str(folder / newest.name), newest, _stem(newest))
    raise AttoreportError(
        "no trace given and none found in ./.attocode/traces/ or ./.traces/ "
        "(pass a trace file, a directory, or - for standard input)"
    )




def open_binary(path: Path) -> BinaryIO:
    if path.name.endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")
