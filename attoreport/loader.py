"""Find trace inputs, stream-parse them with orjson, tolerate damage, split by session.

The loader reads the formats Attocode writes and reads (see README, "What attoreport
reads"): current `kind` lines, the real agent's `"kind": "tool"` lines (read as
`tool_end`) and older `type` lines. Every line it cannot use becomes a Diagnostic;
every good line is kept.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import sys
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from attoreport import gcpause
from attoreport.errors import AttoreportError
from attoreport.inputs import Inputs, TraceInput, describe_os_error, find_inputs, open_input
from attoreport.labels import event_label, preview
from attoreport.model import (
    AGENT_TOOL_KIND,
    KNOWN_KINDS,
    LEGACY_TYPE_KINDS,
    TOOL_CALL_KINDS,
    Diagnostic,
    LlmUsage,
    Session,
    TraceEvent,
)

#: A longer line is skipped (and reported) rather than read into memory.
MAX_LINE_BYTES = 64 * 1024 * 1024
#: Lines up to this size are kept as bytes to word labels on demand; longer ones are
#: worded at once and dropped, so memory stays bounded per event.
LAZY_LINE_BYTES = 1024
#: Tool names and agent ids are kept whole up to this length (the rules name them).
NAME_CHARS = 10_000
ERROR_CHARS = 500
#: `data` keys Attocode's analyzers read as numbers: int() for tokens, float() for the rest.
_INT_KEYS = ("tokens", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens")
_FLOAT_KEYS = ("cost", "duration_ms")
_NUMBER_KEYS = _INT_KEYS + _FLOAT_KEYS
_NUMBER_KEY_SET = frozenset(_NUMBER_KEYS)
_NOTHING = object()
#: Digits -> "9", everything else -> " ": a run of 19 nines marks a number orjson may not
#: hold exactly (it reads integers beyond 64 bits as floats). Faster than a regex.
_DIGITS_ONLY = bytes(57 if 48 <= i <= 57 else 32 for i in range(256))
_NINETEEN_DIGITS = b"9" * 19
_CUT_SHORT = ("last line is cut short (no newline at the end): the writer probably crashed "
              "mid-write; line skipped")


def load(
    args: Sequence[str] = (), *, stdin: IO[bytes] | None = None, cwd: Path | None = None
) -> list[Session]:
    """Load every session from the given inputs (see `find_inputs`)."""
    return load_inputs(find_inputs(args, cwd), stdin=stdin)


def load_inputs(inputs: Inputs[Any], *, stdin: IO[bytes] | None = None) -> list[Session]:
    """Load every trace of `inputs`, in order.

    A trace found by walking a folder that cannot be read (or holds no event) becomes a
    note instead of an error, unless no trace of that folder could be read. The notes
    (these and `inputs.notes`, each a Diagnostic with line 0) are listed first among the
    first session's diagnostics, so they reach the report and stderr.
    """
    sessions: list[Session] = []
    notes = list(inputs.notes)
    failed: dict[str, Diagnostic] = {}  # folder -> its first trace that could not be read
    read_folders: set[str] = set()
    for trace in inputs.traces:
        try:
            found = load_input(trace, stdin=stdin)
        except AttoreportError as exc:
            if trace.folder is None:
                raise
            reason = str(exc).removeprefix(f"{trace.source}: ")
            note = Diagnostic(trace.source, 0, f"{reason}; file skipped", "skipped")
            notes.append(note)
            failed.setdefault(trace.folder, note)
            continue
        if trace.folder is not None:
            read_folders.add(trace.folder)
        sessions.extend(found)
    for folder, first in failed.items():
        if folder not in read_folders:
            raise AttoreportError(f"{folder}: no trace in this folder could be read (first: "
                                  f"{first.file}: {first.message})")
    if sessions and notes:
        sessions[0].diagnostics[:0] = notes
    return sessions


@gcpause.pausing
def load_input(trace: TraceInput, *, stdin: IO[bytes] | None = None) -> list[Session]:
    """Load one input; raises AttoreportError when it cannot be read or has no events."""
    parser = _Parser(trace.source, trace.stem)
    try:
        with open_input(trace, stdin) as stream:
            parser.feed_stream(stream)
    except OSError as exc:
        if parser.lines_read == 0:
            raise AttoreportError(f"{trace.source}: cannot read: {describe_os_error(exc)}") \
                from exc
        parser.damage(f"cannot read further ({describe_os_error(exc)}); the rest of the file "
                      "is lost")
    sessions = parser.finish()
    if not sessions:
        first = parser.first_diagnostic
        detail = f" (line {first.line}: {first.message})" if first is not None else ""
        raise AttoreportError(f"{trace.source}: no trace events found{detail}")
    return sessions


@gcpause.pausing
def load_lines(lines: Iterable[bytes], source: str, stem: str) -> list[Session]:
    """Parse already-split lines (each with or without its newline)."""
    parser = _Parser(source, stem)
    for raw in lines:
        parser.feed_line(raw)
    return parser.finish()


# ---------------------------------------------------------------------------
# Coercion helpers: the way Attocode's analyzers coerce values.
# ---------------------------------------------------------------------------


#: Token counts, costs and durations beyond this are not real: they are capped here (and
#: reported), which keeps every sum finite and every number printable.
NUMBER_CAP = 10**15
#: Timestamps are epoch seconds; beyond this (the year 5138) a line is not believed.
TIMESTAMP_CAP = 1e11


def safe_int(value: Any) -> int:
    """`int(value)` as Attocode's `safe_int` (0 when missing or not convertible), capped."""
    if value is None:
        return 0
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return 0
    return number if -NUMBER_CAP <= number <= NUMBER_CAP else (
        NUMBER_CAP if number > 0 else -NUMBER_CAP)


def safe_float(value: Any) -> float:
    """`float(value)` as Attocode's `safe_float` (0.0 when missing or not convertible), but
    also 0.0 when not finite; capped."""
    number = _finite_float(value, bools=True)
    return 0.0 if number is None else _capped(number)


def _optional_float(value: Any) -> float | None:
    """A duration: `float(value)` capped, or None when missing, not a number or not finite."""
    number = _finite_float(value, bools=False)
    return None if number is None else _capped(number)


def _timestamp(value: Any) -> float | None:
    """Epoch seconds, or None when missing, not a number or beyond TIMESTAMP_CAP."""
    number = _finite_float(value, bools=False)
    return number if number is not None and -TIMESTAMP_CAP <= number <= TIMESTAMP_CAP else None


def _finite_float(value: Any, *, bools: bool) -> float | None:
    if value is None or (not bools and isinstance(value, bool)):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _capped(number: float) -> float:
    return number if -NUMBER_CAP <= number <= NUMBER_CAP else math.copysign(NUMBER_CAP, number)


def _text(value: Any, limit: int) -> str:
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _fingerprint(tool: str, args: Any) -> bytes:
    """Digest of Attocode's `tool:json.dumps(args, sort_keys=True)` fingerprint."""
    if args is None:
        payload = b"\x00"
    else:
        try:
            payload = b"\x01" + orjson.dumps(args, option=orjson.OPT_SORT_KEYS)
        except (TypeError, orjson.JSONEncodeError):  # lone surrogates, deep nesting, big ints
            try:
                text = json.dumps(args, sort_keys=True, default=str)
            except (TypeError, ValueError, RecursionError):
                text = repr(args)
            payload = b"\x02" + text.encode("utf-8", "surrogatepass")
    return hashlib.blake2b(tool.encode("utf-8", "surrogatepass") + payload,
                           digest_size=16).digest()


# ---------------------------------------------------------------------------
# The line parser
# ---------------------------------------------------------------------------


@dataclass(slots=True)
class _Group:
    """Events of one `session_id` within a file, with Attocode's session bookkeeping."""

    key: str | None
    events: list[TraceEvent] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # (line, value) pairs: the last one in the file wins, as in Attocode's loader.
    start: tuple[int, float] | None = None
    header: tuple[int, Any, Any, dict[str, Any]] | None = None
    end: tuple[int, float] | None = None
    legacy_id: tuple[int, str] | None = None
    status: tuple[int, str | None] | None = None
    kind_lines: int = 0
    legacy_lines: int = 0


class _Parser:
    def __init__(self, source: str, stem: str) -> None:
        self.source = source
        self.stem = stem
        self.groups: dict[str | None, _Group] = {}
        self.current: _Group | None = None
        self.lines_read = 0
        self.first_diagnostic: Diagnostic | None = None
        self.line_source: bytes | None = None

    # -- input ----------------------------------------------------------

    def feed_stream(self, stream: IO[bytes]) -> None:
        try:
            for raw in _iter_lines(stream, self):
                self.feed_line(raw)
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            where = f"after line {self.lines_read}" if self.lines_read else "from the start"
            self.damage(f"compressed data is damaged {where} ({exc}); the rest of the file is "
                        "lost")

    def feed_line(self, raw: bytes) -> None:
        self.lines_read += 1
        line_no = self.lines_read
        complete = raw.endswith(b"\n")
        if line_no == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
            self.diagnose(1, "starts with a UTF-8 byte-order mark: ignored, line kept "
                          "(Attocode's loader drops this line)", "repaired")
        text = raw.strip()
        if not text:
            if raw:  # a real empty line, not the end of the stream
                self.diagnose(line_no, "blank line skipped")
            return
        # Short lines parsed by orjson are kept to word labels on demand (see TraceEvent).
        self.line_source = text if len(text) <= LAZY_LINE_BYTES else None
        if _NINETEEN_DIGITS not in text.translate(_DIGITS_ONLY):
            try:
                parsed = orjson.loads(text)
            except orjson.JSONDecodeError:
                self.line_source = None
                parsed = self._fallback_parse(text, line_no, complete)
        else:  # orjson would read integers beyond 64 bits as floats
            self.line_source = None
            parsed = self._fallback_parse(text, line_no, complete)
        if parsed is _NOTHING:
            return
        if not isinstance(parsed, dict):
            self.diagnose(line_no, f"not a JSON object but {_json_type(parsed)}; line skipped")
            return
        if "kind" in parsed:
            self._current_line(parsed, line_no)
        else:
            self._legacy_line(parsed, line_no)

    def _fallback_parse(self, text: bytes, line_no: int, complete: bool) -> Any:
        """The standard library's reading, as Attocode's: `json.loads(line.strip())`.

        It also accepts NaN, Infinity, integers beyond 64 bits, lone surrogates and
        Unicode whitespace around the line. Returns _NOTHING (and reports) otherwise.
        """
        try:
            decoded = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            if not complete:
                self.diagnose(line_no, _CUT_SHORT)
            else:
                self.diagnose(line_no, f"invalid UTF-8 at byte {exc.start}; line skipped")
            return _NOTHING
        decoded = decoded.strip()
        if not decoded:
            self.diagnose(line_no, "blank line skipped")
            return _NOTHING
        try:
            return json.loads(decoded)
        except (ValueError, RecursionError) as exc:
            if not complete:
                self.diagnose(line_no, _CUT_SHORT)
            elif "\x00" in decoded:
                self.diagnose(line_no, "binary junk (NUL bytes), not JSON; line skipped")
            elif not decoded.startswith(("{", "[")):
                self.diagnose(line_no, f"not JSON: {_text(decoded, 60)!r}; line skipped")
            elif isinstance(exc, json.JSONDecodeError):
                self.diagnose(line_no, f"invalid JSON ({exc.msg} at column {exc.colno}); "
                              "line skipped")
            elif isinstance(exc, RecursionError):
                self.diagnose(line_no, "invalid JSON (nested too deeply); line skipped")
            else:
                self.diagnose(line_no, f"unreadable JSON ({_text(str(exc), 80)}); line skipped")
            return _NOTHING

    # -- diagnostics ----------------------------------------------------

    def diagnose(self, line: int, message: str, action: str = "skipped") -> None:
        if self.first_diagnostic is None:
            self.first_diagnostic = Diagnostic(self.source, line, message, action)
        self._group_for(None).diagnostics.append(Diagnostic(self.source, line, message, action))

    def damage(self, message: str) -> None:
        self.diagnose(self.lines_read + 1, message)

    # -- groups ---------------------------------------------------------

    def _group_for(self, key: str | None) -> _Group:
        if key is None:
            if self.current is None:
                self.current = self.groups.setdefault(None, _Group(None))
            return self.current
        group = self.groups.get(key)
        if group is None:
            group = self.groups[key] = _Group(key)
        self.current = group
        return group

    # -- current format -------------------------------------------------

    def _current_line(self, raw: dict[str, Any], line: int) -> None:
        # The hot path: written for the common case (well-formed collector lines).
        kind = raw["kind"]
        if kind.__class__ is not str or not kind:
            self.diagnose(line, f"'kind' is {_json_type(kind)}, not a name; line skipped")
            return
        timestamp = raw.get("timestamp")
        if timestamp.__class__ is not float or not -TIMESTAMP_CAP <= timestamp <= TIMESTAMP_CAP:
            if "timestamp" not in raw:
                self.diagnose(line, f"{kind} event has no timestamp; line skipped")
                return
            timestamp = _timestamp(timestamp)
            if timestamp is None:
                self.diagnose(line, f"{kind} event has a timestamp that is not a time in epoch "
                              "seconds; line skipped")
                return
        if kind not in KNOWN_KINDS:
            if kind == AGENT_TOOL_KIND:
                kind = "tool_end"
            else:
                self.diagnose(line, f"unknown kind '{_text(kind, 80)}': kept as a custom event",
                              "repaired")
        sid = raw.get("session_id")
        group = self.current
        if group is None or sid != group.key:
            group = self._group_for(str(sid) if isinstance(sid, (str, int)) and sid != "" else None)
        group.kind_lines += 1
        data = raw.get("data")
        if data.__class__ is not dict:
            data = self._data(data, line)
        iteration = raw.get("iteration")
        if iteration is not None and iteration.__class__ is not int:
            iteration = self._iteration(iteration, line)
        parent = raw.get("parent_event_id")
        if parent is not None and parent.__class__ is not str:
            self.diagnose(line, "parent_event_id is not a string; ignored", "repaired")
            parent = None
        top_duration = raw.get("duration_ms")
        event_id = raw.get("event_id")
        if event_id.__class__ is not str or not event_id or len(event_id) > 64:
            event_id = f"line-{line}" if event_id in (None, "") else _text(str(event_id), 64)
        self._check_numbers(data, line, ("timestamp", raw["timestamp"]),
                            ("duration_ms", top_duration))
        event = _build_event(kind, timestamp, event_id, iteration, parent, top_duration, data,
                             line, self.line_source)
        group.events.append(event)
        if kind == "session_start":
            goal, model = data.get("goal", ""), data.get("model", "")
            meta = {k: v for k, v in data.items() if k not in ("goal", "model")}
            group.header = (line, goal, model, meta)
            group.start = (line, timestamp)
        elif kind == "session_end":
            status = data.get("status")
            group.end = (line, timestamp)
            group.status = (line, _text(status, 200) if status is not None else None)

    def _data(self, data: Any, line: int) -> dict[str, Any]:
        if data is None:
            return {}
        if not isinstance(data, dict):
            self.diagnose(line, f"'data' is {_json_type(data)}, not an object; ignored", "repaired")
            return {}
        return data

    def _check_numbers(self, data: dict[str, Any], line: int, *top: tuple[str, Any]) -> None:
        """Report values Attocode reads as numbers that are not plain numbers.

        They are read the way Attocode's analyzers read them (`int()` / `float()`, 0 when
        that fails); the diagnostic says what each became.
        """
        # The common case, decided quickly: every value a plain number (or absent).
        for key in data:
            if key in _NUMBER_KEY_SET and not _plain(data[key]):
                break
        else:
            for _, value in top:
                if not _plain(value):
                    break
            else:
                return
        odd = []
        for key, value in (*top, *((k, data.get(k)) for k in _NUMBER_KEYS)):
            if _plain(value):
                continue
            if key in _INT_KEYS:
                read: object = safe_int(value)
            elif key == "cost":
                read = safe_float(value)
            else:
                read = _optional_float(value)
            shown = "ignored" if read is None else f"as {read}"
            odd.append(f"{key} {_text(repr(value), 40)} {shown}")
        if odd:
            self.diagnose(line, "values that are not plain numbers (or too large to be real), "
                          "read as Attocode reads them, capped: " + ", ".join(odd), "repaired")

    def _iteration(self, value: Any, line: int) -> int | None:
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        self.diagnose(line, f"iteration is {_json_type(value)}, not a whole number; ignored",
                      "repaired")
        return None

    # -- legacy format --------------------------------------------------

    def _legacy_line(self, raw: dict[str, Any], line: int) -> None:
        evt_type = raw.get("type")
        if evt_type is None:
            self.diagnose(line, "no 'kind' or 'type': kept as a custom event", "repaired")
            evt_type = "custom"
        elif not isinstance(evt_type, str):
            self.diagnose(line, f"'type' is {_json_type(evt_type)}: kept as a custom event",
                          "repaired")
            evt_type = "custom"
        has_timestamp = "timestamp" in raw
        timestamp = _timestamp(raw.get("timestamp"))
        if timestamp is None:
            reason = "no timestamp" if not has_timestamp else "a timestamp that is not a number"
            self.diagnose(line, f"{_text(evt_type, 80)} line has {reason}: kept, placed at the "
                          "start of the timeline", "repaired")
        group = self._group_for(None)  # legacy lines never split a file into sessions
        if evt_type == "trace.start":
            sid = raw.get("session_id")
            if sid is not None and sid != "" and not isinstance(sid, (dict, list)):
                group.legacy_id = (line, _text(sid, NAME_CHARS))
            group.start = (line, timestamp or 0.0)
            group.legacy_lines += 1
            return
        group.legacy_lines += 1
        if evt_type == "trace.end":
            group.end = (line, timestamp or 0.0)
            return
        kind = LEGACY_TYPE_KINDS.get(evt_type, "custom")
        data = {k: v for k, v in raw.items() if k not in ("type", "timestamp", "elapsed_ms")}
        self._check_numbers(data, line)
        event = _build_event(kind, timestamp or 0.0, f"line-{line}", None, None, None, data, line,
                             self.line_source)
        event.has_timestamp = timestamp is not None
        group.events.append(event)

    # -- result ---------------------------------------------------------

    def finish(self) -> list[Session]:
        named = [g for key, g in self.groups.items() if key is not None]
        unnamed = self.groups.get(None)
        if len(named) <= 1:
            parts = ([unnamed] if unnamed else []) + named
            merged = _merge(parts)
            return [self._session(merged, split=False)] if merged.events else []
        if unnamed is not None:
            # Lines before the first session id belong to the first session.
            named[0] = _merge([unnamed, named[0]])
        return [self._session(g, split=True) for g in named if g.events]

    def _session(self, group: _Group, split: bool) -> Session:
        session_id = self.stem
        if split and group.key is not None:
            session_id = group.key
        elif group.legacy_id is not None:
            session_id = group.legacy_id[1]
        session = Session(session_id=session_id, source=self.source, events=group.events,
                          diagnostics=sorted(group.diagnostics, key=lambda d: d.line))
        if group.header is not None:
            _, session.goal, session.model, session.metadata = group.header
        if group.start is not None:
            session.start_time = group.start[1]
        if group.end is not None:
            session.end_time = group.end[1]
        if group.status is not None:
            session.end_status = group.status[1]
        if group.kind_lines and group.legacy_lines:
            session.line_format = "mixed"
        elif group.legacy_lines:
            session.line_format = "legacy"
        return session


def _merge(groups: list[_Group]) -> _Group:
    if len(groups) == 1:
        return groups[0]
    merged = _Group(next((g.key for g in groups if g.key is not None), None))
    for group in sorted(groups, key=lambda g: g.events[0].line if g.events else 0):
        merged.events.extend(group.events)
    merged.events.sort(key=lambda e: e.line)
    for group in groups:
        merged.diagnostics.extend(group.diagnostics)
        merged.kind_lines += group.kind_lines
        merged.legacy_lines += group.legacy_lines
        for name in ("start", "header", "end", "legacy_id", "status"):
            mine, theirs = getattr(merged, name), getattr(group, name)
            if theirs is not None and (mine is None or theirs[0] > mine[0]):
                setattr(merged, name, theirs)
    return merged


def _plain(value: Any) -> bool:
    """None, or an int or float of believable size."""
    if value is None:
        return True
    cls = value.__class__
    return (cls is int or cls is float) and -NUMBER_CAP <= value <= NUMBER_CAP


def _build_event(
    kind: str,
    timestamp: float,
    event_id: str,
    iteration: int | None,
    parent: str | None,
    top_duration: Any,
    data: dict[str, Any],
    line: int,
    source: bytes | None,
) -> TraceEvent:
    # Attocode: `event.duration_ms or data.get("duration_ms")`.
    duration = _optional_float(top_duration or data.get("duration_ms"))
    display = duration
    if display is None:
        meta = data.get("metadata")
        if isinstance(meta, dict):
            display = _optional_float(meta.get("duration_ms"))
    event = TraceEvent(line, sys.intern(kind), timestamp, event_id, iteration, parent, duration,
                       display, source)
    if source is None:  # a long line, or one only the standard library could read
        event.described = (event_label(kind, data, iteration), preview(data))
    if kind == "llm_response":
        model = data.get("model")
        event.usage = LlmUsage(
            tokens=safe_int(data.get("tokens")),
            cost=safe_float(data.get("cost")),
            input_tokens=safe_int(data.get("input_tokens")),
            output_tokens=safe_int(data.get("output_tokens")),
            cache_read_tokens=safe_int(data.get("cache_read_tokens")),
            cache_write_tokens=safe_int(data.get("cache_write_tokens")),
            has_token_keys="output_tokens" in data or "tokens" in data,
            model=_text(model, 120) if model else None,
        )
    elif kind in ("swarm_task_complete", "swarm_task_failed") and (
            "tokens" in data or "cost" in data):
        # A swarm worker's own spend; Attocode's totals leave it out (see SessionFacts).
        event.usage = LlmUsage(tokens=safe_int(data.get("tokens")),
                               cost=safe_float(data.get("cost")), has_token_keys=True)
    if "tool" in data or "tool_name" in data:
        tool = data["tool"] if "tool" in data else data["tool_name"]
        event.tool = _text(tool, NAME_CHARS)
    if kind in TOOL_CALL_KINDS:
        tool = data.get("tool", data.get("tool_name", ""))
        event.fingerprint = _fingerprint(tool if isinstance(tool, str) else str(tool),
                                         data.get("args"))
    if kind in TOOL_CALL_KINDS or kind == "tool_start":
        meta = data.get("metadata")
        call_id = meta.get("tool_id") if isinstance(meta, dict) else data.get("tool_id")
        if isinstance(call_id, str) and call_id:
            event.call_id = call_id[:100]
    if "agent_id" in data:
        event.agent_id = _text(data["agent_id"], NAME_CHARS)
    if "error" in data and data["error"] is not None:
        event.error = _text(data["error"], ERROR_CHARS)
    if kind == "swarm_task_failed":
        skipped = data.get("skipped", [])
        event.skipped_tasks = len(skipped) if isinstance(skipped, list) else 0
    return event


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _iter_lines(stream: IO[bytes], parser: _Parser) -> Iterator[bytes]:
    """Lines of a binary stream; a line over MAX_LINE_BYTES is reported and skipped."""
    while True:
        raw = stream.readline(MAX_LINE_BYTES)
        if not raw:
            return
        if len(raw) >= MAX_LINE_BYTES and not raw.endswith(b"\n"):
            parser.lines_read += 1
            parser.diagnose(parser.lines_read, f"line longer than {MAX_LINE_BYTES // 2**20} MiB; "
                            "skipped")
            while raw and not raw.endswith(b"\n"):
                raw = stream.readline(MAX_LINE_BYTES)
            continue
        if b"\r" in raw:
            yield from _split_carriage_returns(raw)
        else:
            yield raw


def _split_carriage_returns(raw: bytes) -> Iterator[bytes]:
    """Lone CRs end lines too, as in Python's text mode (and so in Attocode's loader)."""
    end = b"\n" if raw.endswith(b"\n") else b""
    body = raw[: len(raw) - len(end)]
    if body.endswith(b"\r"):
        body, end = body[:-1], b"\n"
    pieces = body.split(b"\r")
    for piece in pieces[:-1]:
        yield piece + b"\n"
    yield pieces[-1] + end
