"""Read the files of a run folder: JSON Lines, JSON documents and text, never trusting them.

Every line that is an object is handed on, whatever its keys (the callers decide what a
line of their format needs); a line that is not JSON, not an object, not UTF-8, cut short
or too long becomes a `Diagnostic` with its file and line. An empty file is simply empty
(attoswarm creates `control.jsonl` empty). Nothing here raises on bad content; an
unreadable file is a diagnostic with line 0.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from attoreport.model import Diagnostic
from attoreport.textsafe import clean, json_type

#: A longer line is skipped and reported (attoswarm's lines are a few KB at most).
MAX_LINE_BYTES = 16 * 1024 * 1024
#: JSON documents larger than this are not read (a state file is tens of KB).
MAX_JSON_BYTES = 64 * 1024 * 1024
#: Text files (prompts, logs, diffs) are read up to this many bytes.
MAX_TEXT_BYTES = 256 * 1024


@dataclass(slots=True)
class FileNotes:
    """Diagnostics collected while reading, in file order."""

    diagnostics: list[Diagnostic] = field(default_factory=list)

    def add(self, source: str, line: int, message: str, action: str = "skipped") -> None:
        self.diagnostics.append(Diagnostic(source, line, message, action))


def iter_jsonl(path: Path, source: str, notes: FileNotes) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for every JSON-object line of a JSON Lines file."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        notes.add(source, 0, f"cannot read the file ({exc.strerror or exc}); skipped")
        return
    with handle:
        line_no = 0
        while True:
            try:
                raw = handle.readline(MAX_LINE_BYTES)
            except OSError as exc:
                notes.add(source, line_no + 1, f"cannot read further ({exc.strerror or exc}); "
                          "the rest of the file is lost")
                return
            if not raw:
                return
            line_no += 1
            if len(raw) >= MAX_LINE_BYTES and not raw.endswith(b"\n"):
                notes.add(source, line_no, f"line longer than {MAX_LINE_BYTES // 2**20} MiB; "
                          "skipped")
                while raw and not raw.endswith(b"\n"):
                    raw = handle.readline(MAX_LINE_BYTES)
                continue
            parsed = _parse_line(raw, line_no, source, notes)
            if parsed is not None:
                yield line_no, parsed


def _parse_line(raw: bytes, line_no: int, source: str, notes: FileNotes) -> dict[str, Any] | None:
    text = raw.strip()
    if line_no == 1 and text.startswith(b"\xef\xbb\xbf"):
        text = text[3:].strip()
    if not text:
        notes.add(source, line_no, "blank line skipped")
        return None
    complete = raw.endswith(b"\n")
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        value = _fallback(text, line_no, complete, source, notes)
        if value is _BROKEN:
            return None
    if not isinstance(value, dict):
        notes.add(source, line_no, f"not a JSON object but {json_type(value)}; line skipped")
        return None
    return value


_BROKEN = object()


def _fallback(text: bytes, line_no: int, complete: bool, source: str, notes: FileNotes) -> Any:
    """Python's own reading (as attoswarm's readers): NaN, Infinity and huge integers."""
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError as exc:
        notes.add(source, line_no, _cut_short() if not complete
                  else f"invalid UTF-8 at byte {exc.start}; line skipped")
        return _BROKEN
    try:
        return json.loads(decoded)
    except (ValueError, RecursionError) as exc:
        if not complete:
            notes.add(source, line_no, _cut_short())
        elif isinstance(exc, json.JSONDecodeError):
            notes.add(source, line_no, f"invalid JSON ({exc.msg} at column {exc.colno}); "
                      "line skipped")
        else:
            notes.add(source, line_no, "invalid JSON (nested too deeply); line skipped")
        return _BROKEN


def _cut_short() -> str:
    return ("last line is cut short (no newline at the end): the writer probably stopped "
            "mid-write; line skipped")


def read_json(path: Path, source: str, notes: FileNotes) -> Any:
    """A whole JSON document, or None (with a diagnostic) when it cannot be read.

    An empty file is None without a diagnostic: attoswarm creates some files empty."""
    try:
        size = path.stat().st_size
        if size > MAX_JSON_BYTES:
            notes.add(source, 0, f"larger than {MAX_JSON_BYTES // 2**20} MiB; not read")
            return None
        data = path.read_bytes()
    except OSError as exc:
        notes.add(source, 0, f"cannot read the file ({exc.strerror or exc}); skipped")
        return None
    if not data.strip():
        return None
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        pass
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        notes.add(source, 0, f"invalid UTF-8 at byte {exc.start}; file not read")
    except json.JSONDecodeError as exc:
        notes.add(source, exc.lineno, f"invalid JSON ({exc.msg} at column {exc.colno}); "
                  "file not read")
    except (ValueError, RecursionError):
        notes.add(source, 0, "invalid JSON; file not read")
    return None


@dataclass(frozen=True, slots=True)
class TextFile:
    """The start of a text file, and whether it was cut."""

    text: str
    lines: int
    truncated: bool


def read_text(path: Path, source: str, notes: FileNotes, limit: int = MAX_TEXT_BYTES,
              tail: bool = False) -> TextFile | None:
    """The first (or, with `tail`, the last) `limit` bytes of a text file, decoded with
    replacement characters and cleaned for showing; None (with a diagnostic) when
    unreadable."""
    try:
        with path.open("rb") as handle:
            size = handle.seek(0, 2)
            if tail and size > limit:
                handle.seek(size - limit)
            else:
                handle.seek(0)
            data = handle.read(limit)
    except OSError as exc:
        notes.add(source, 0, f"cannot read the file ({exc.strerror or exc}); skipped")
        return None
    truncated = size > len(data)
    if tail and truncated:  # start at a whole line
        data = data.split(b"\n", 1)[1] if b"\n" in data else data
    text = clean(data.decode("utf-8", "replace"))
    return TextFile(text=text, lines=text.count("\n"), truncated=truncated)
