"""Read a `--baseline PATH`: a trace, a folder of traces, or a JSON document `--json` wrote.

A JSON baseline is recognised by its content (`{"tool": {"name": "attoreport", ...},
"sessions": [...]}`), not by its name, so CI can keep main's `--json` output under any name.
Anything else is read as a trace (or, for a folder, every trace in it) and analysed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from attoreport.analysis import analyse
from attoreport.analysis.compare import SessionFigures
from attoreport.collect import collect, find
from attoreport.errors import AttoreportError

#: Bytes read to tell a JSON document from a trace before reading the whole file.
SNIFF_BYTES = 64 * 1024
_GZIP_MAGIC = b"\x1f\x8b"
_NOT_ATTOREPORT = ('is not a JSON document written by attoreport --json (expected '
                   '{"tool": {"name": "attoreport"}, "sessions": [...]})')


def load_baseline(path: str | Path) -> list[SessionFigures]:
    """The baseline's sessions as figures; AttoreportError when PATH cannot be used."""
    where = str(path)
    target = Path(path)
    if not target.exists():
        raise AttoreportError(f"baseline {where}: no such file or directory")
    if target.is_file():
        document = _json_document(target, where)
        if document is not None:
            return _figures_from_document(document, where)
    try:  # read as the current run is read: run folders are not traces (their traces are)
        sessions = collect(find([where])).sessions
    except AttoreportError as exc:
        raise AttoreportError(f"baseline: {exc}") from exc
    return [SessionFigures.from_analysis(analyse(s)) for s in sessions]


def _json_document(path: Path, where: str) -> dict[str, Any] | None:
    """The parsed document when the file is attoreport's JSON, None when it is a trace."""
    try:
        with path.open("rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except OSError as exc:
        raise AttoreportError(f"baseline {where}: cannot read: {exc.strerror}") from exc
    if head.startswith(_GZIP_MAGIC) or not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        _refuse_json_named(path, where)
        return None
    first_line, newline, _ = head.partition(b"\n")
    if newline:
        parsed = _parse_quietly(first_line)
        if isinstance(parsed, dict):  # one whole object on the first line
            if _is_attoreport_document(parsed):
                return parsed
            _refuse_json_named(path, where)
            return None
    return _whole_file_document(path, where)


def _whole_file_document(path: Path, where: str) -> dict[str, Any] | None:
    """Parse the whole file: an indented `--json` document spans many lines."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
        document = json.loads(text, parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError) as exc:
        if _looks_like_json(path):
            raise AttoreportError(f"baseline {where}: invalid JSON: {_brief(exc)}") from exc
        return None  # a trace with a damaged first line: the loader reports it
    except OSError as exc:
        raise AttoreportError(f"baseline {where}: cannot read: {exc.strerror}") from exc
    if isinstance(document, dict) and _is_attoreport_document(document):
        return document
    if _looks_like_json(path) or isinstance(document, dict) and "sessions" in document:
        raise AttoreportError(f"baseline {where}: {_NOT_ATTOREPORT}")
    return None


def _refuse_json_named(path: Path, where: str) -> None:
    """A `.json` file must be attoreport's document: say so rather than read it as a trace."""
    if _looks_like_json(path):
        raise AttoreportError(f"baseline {where}: {_NOT_ATTOREPORT}")


def _looks_like_json(path: Path) -> bool:
    return path.name.lower().endswith(".json")


def _parse_quietly(line: bytes) -> Any:
    try:
        return json.loads(line.decode("utf-8-sig"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError):
        return None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _brief(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at line {exc.lineno} column {exc.colno}"
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 text (byte {exc.start})"
    return str(exc)


def _is_attoreport_document(document: dict[str, Any]) -> bool:
    tool = document.get("tool")
    return isinstance(tool, dict) and tool.get("name") == "attoreport" and "sessions" in document


def _figures_from_document(document: dict[str, Any], where: str) -> list[SessionFigures]:
    sessions = document["sessions"]
    if not isinstance(sessions, list):
        raise AttoreportError(f"baseline {where}: sessions: expected an array")
    if not sessions:
        raise AttoreportError(f"baseline {where}: the document has no sessions")
    try:
        return [SessionFigures.from_json(entry, f"sessions[{i}]")
                for i, entry in enumerate(sessions)]
    except AttoreportError as exc:
        raise AttoreportError(f"baseline {where}: not a valid attoreport --json document: "
                              f"{exc}") from exc
