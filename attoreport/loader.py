"""Read traces into columns: block decoding with msgspec, exact per-line diagnostics, sessions.

The loader reads the formats Attocode writes and reads (see README, "What attoreport
reads"): current `kind` lines, the real agent's `"kind": "tool"` lines (read as `tool_end`)
and older `type` lines. Every line it cannot use becomes a Diagnostic; every good line is kept.

How it stays fast and small (issue 10):
- Blocks of about a MiB are decoded at once by msgspec into small typed structs holding only
  the fields the analysis needs (`_Event`); their values go straight into `array` columns
  (`EventTable`) and the structs are dropped. No per-event Python object is kept.
- A block that fails (a damaged line, an odd value) is decoded again line by line, and a line
  the typed decoder refuses goes through the generic path (`_ChunkParser._generic_line`),
  which reads it as Attocode does and reports exactly what was wrong with it.
- Lines are not kept: a sparse index (line -> byte offset, every few KiB) lets
  `Session.details` read again the few rows a report shows.
- One large file is split into byte ranges decoded in parallel (fork), a folder's files are
  decoded in parallel by file; the merge gives exactly the one-process result.
- The cyclic garbage collector is paused while columns are built (nothing forms cycles).
"""

from __future__ import annotations

import functools
import gzip
import json
import math
import os
import re
import sys
import tempfile
import threading
import zlib
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Collection, Generator, Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from itertools import chain, compress, count, islice, repeat
from operator import attrgetter, eq, is_, is_not, itemgetter, lt
from pathlib import Path
from typing import IO, Annotated, Any, Protocol, TypeVar, cast

import msgspec
from msgspec import UNSET, Raw, Struct, UnsetType

from attoreport import gcpause, toolcalls
from attoreport.diagnostics import DiagnosticLog
from attoreport.errors import AttoreportError
from attoreport.inputs import (
    GZIP_MAGIC,
    Inputs,
    TraceInput,
    check_stdin,
    describe_os_error,
    find_inputs,
    open_checked,
)
from attoreport.labels import event_label, legacy_data, preview
from attoreport.model import (
    AGENT_TOOL_KIND,
    FLAG_BUILD_COMMAND,
    FLAG_ERROR_TEXT,
    FLAG_FILE_WRITE,
    FLAG_REPORTED_FAILURE,
    FLAG_TEST_COMMAND,
    KIND_ORDER,
    LEGACY_TYPE_KINDS,
    NO_ITERATION,
    NO_ROW,
    NO_STRING,
    DetailSource,
    Diagnostic,
    EventDetail,
    EventTable,
    LlmColumns,
    Session,
    ToolCallColumns,
)
from attoreport.textsafe import (
    bounded,
    json_safe,
    json_type,
    safe_repr,
    safe_text,
    without_surrogates,
)

#: A longer line is skipped (and reported) rather than read into memory.
MAX_LINE_BYTES = 64 * 1024 * 1024
#: Bytes read and decoded at once. A block's decoded events stay in the processor's cache
#: while the columns are built from them: a worker read its half of a million-event trace in
#: 1.78-1.83 CPU-s with 256 KiB blocks against 1.84-2.05 s with 1 MiB ones (128 KiB: the
#: same; 64 KiB: 1.82 s), and held 4 MB less at its peak.
BLOCK_BYTES = 256 * 1024
#: How deep a block is split around lines the typed decoder refuses, and blank lines, before
#: the rest is read line by line (see `_ChunkParser.feed_block`). A split decodes what follows
#: again: on a 200k-line trace, one refused line per block read as fast as a clean trace (0.97
#: against 1.21 s unsplit), one per 300 lines no faster than line by line.
BLOCK_SPLITS = 3
#: Distance between two entries of the line -> byte offset index that `details` uses.
CHECKPOINT_BYTES = 16 * 1024
#: Details remembered per session (what a report shows is a few thousand rows).
DETAIL_CACHE_ROWS = 50_000
#: Bytes read at a time when lines are read again for `details`.
SCAN_BYTES = 64 * 1024
#: Lines longer than this are not parsed again for `details` (their label is the kind's).
DETAIL_LINE_BYTES = 1024 * 1024
#: Rows whose error texts are read again at a time (an export of every failure of a trace
#: holds one batch of lines, not all of them).
ERROR_BATCH_ROWS = 4096
#: Strings of an event's data beyond this length are not shown (nor redacted) by details.
DETAIL_STRING_CHARS = 4000
#: Tool names and agent ids are kept whole up to this length (the rules name them).
NAME_CHARS = 10_000
#: Unknown kind names, session ids, models, statuses: shown, so bounded.
KIND_CHARS = 120
SESSION_ID_CHARS = 200
MODEL_CHARS = 120
STATUS_CHARS = 200
ERROR_CHARS = 500
GOAL_CHARS = 100_000
#: Written files listed per session (the rest are counted).
CHANGED_FILES = 500
#: Tool-call arguments remembered by their bytes (fingerprint, flags, written file): at most
#: ARGS_SEEN calls, or ARGS_SEEN_TEXT bytes of their arguments, in each of the memo's two
#: generations (see `_ArgsMemo`); arguments longer than ARGS_SEEN_BYTES are not remembered.
ARGS_SEEN = 4096
ARGS_SEEN_TEXT = 1024 * 1024
ARGS_SEEN_BYTES = 4096


class _ArgsMemo:
    """What each tool call's arguments gave, by the call's bytes: agents make the same calls
    again and again, and reading one takes a decode, a sorted encode and a hash.

    Two generations: a call found in the older one moves to the newer one, and when the
    newer one is full it becomes the older one (the one before is dropped). The calls an
    agent keeps making stay; arguments that never repeat (a new path in every call) cost at
    most two generations. Counting only entries (50,000, emptied when full) let a worker
    of a million-event trace whose every call differed hold 42 MB more, and keys of 4 KB
    could have held 200 MB.

    Shared by every parser of a process (calls recur across the traces of a folder too),
    and emptied when the load that filled it ends (`_sharing_args`), so a library caller
    does not keep it."""

    def __init__(self) -> None:
        self.new: dict[tuple[str, bytes], tuple[int, Any, int, str | None]] = {}
        self.old: dict[tuple[str, bytes], tuple[int, Any, int, str | None]] = {}
        self.text = 0  # bytes of arguments in `new`

    def __len__(self) -> int:
        return len(self.new) + len(self.old)

    def get(self, key: tuple[str, bytes]) -> tuple[int, Any, int, str | None] | None:
        """What the call gave (None: not remembered); one of the older generation moves to
        the newer one."""
        found = self.new.get(key)
        if found is None:
            found = self.old.pop(key, None)
            if found is not None:
                self.put(key, found)
        return found

    def put(self, key: tuple[str, bytes], value: tuple[int, Any, int, str | None]) -> None:
        self.new[key] = value
        self.text += len(key[0]) + len(key[1])
        if len(self.new) >= ARGS_SEEN or self.text >= ARGS_SEEN_TEXT:
            self.old, self.new, self.text = self.new, {}, 0

    def clear(self) -> None:
        self.new, self.old, self.text = {}, {}, 0


_ARGS_SEEN = _ArgsMemo()
_args_users = 0
#: A single file is split into byte ranges for several processes from this size on (about
#: 30,000 events: below it, starting a worker costs more than it saves).
PARALLEL_BYTES = 8 * 1024 * 1024
#: Most files a worker process is handed at once when a folder is shared out.
POOL_CHUNK = 32
#: A compressed input is read until it has expanded this many times (and at least
#: GZIP_FLOOR_BYTES): traces compress about 7 times, and one tool call repeated 200,000 times
#: with only its time and iteration changing 22 times, while a bomb of repeated lines expands
#: 190 times and one of a repeated byte 1,000 times (gigabytes from a few megabytes).
GZIP_RATIO = 100
GZIP_FLOOR_BYTES = 2 * 1024 * 1024
#: Token counts, costs and durations beyond this are not real: they are capped here (and
#: reported), which keeps every sum finite and every number printable.
NUMBER_CAP = 10**15
#: Timestamps are epoch seconds; beyond this (the year 5138) a line is not believed.
TIMESTAMP_CAP = 1e11
_INT64_MAX = 2**63 - 1

_INT_KEYS = ("tokens", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens")
_NUMBER_KEYS = (*_INT_KEYS, "cost", "duration_ms")
_NUMBER_KEY_SET = frozenset(_NUMBER_KEYS)
_NOTHING = object()
_NAN = float("nan")
_CUT_SHORT = ("last line is cut short (no newline at the end): the writer probably crashed "
              "mid-write; line skipped")
_KIND_CODES: dict[str, int] = {name: code for code, name in enumerate(KIND_ORDER)}
_TOOL_END = _KIND_CODES["tool_end"]
_TOOL_ERROR = _KIND_CODES["tool_error"]
_TOOL_START = _KIND_CODES["tool_start"]
_LLM_RESPONSE = _KIND_CODES["llm_response"]
_SESSION_START = _KIND_CODES["session_start"]
_SESSION_END = _KIND_CODES["session_end"]
_TASK_COMPLETE = _KIND_CODES["swarm_task_complete"]
_TASK_FAILED = _KIND_CODES["swarm_task_failed"]
#: A swarm task's own spend: the collector writes tokens/cost, attoswarm tokens_used/cost_usd.
_TASK_SPEND_KEYS = ("tokens", "cost", "tokens_used", "cost_usd")
_CALL_CODES = frozenset({_TOOL_END, _TOOL_ERROR})
_PAIRED_CODES = frozenset({_TOOL_START, _TOOL_END, _TOOL_ERROR})
_TASK_CODES = frozenset({_TASK_COMPLETE, _TASK_FAILED})
#: Kinds the typed path reads (session start and end need the whole `data`: generic path).
_TYPED_CODES = {name: code for name, code in _KIND_CODES.items()
                if code not in (_SESSION_START, _SESSION_END)} | {AGENT_TOOL_KIND: _TOOL_END}
_JSON_AT = re.compile(r"\s+at$")


F = TypeVar("F", bound=Callable[..., Any])


class Redactor(Protocol):
    """What `load(..., redactor=)` needs of attoreport.redact.Redactor."""

    def text(self, text: str) -> str: ...

    def value(self, value: Any) -> Any: ...


# ---------------------------------------------------------------------------
# Public entry points
# ---------------------------------------------------------------------------


@gcpause.pausing
def load(
    args: Sequence[str] = (), *, stdin: IO[bytes] | None = None, cwd: Path | None = None,
    jobs: int | None = None, redactor: Redactor | None = None,
) -> list[Session]:
    """Load every session from the given inputs (see `find_inputs`).

    `jobs`: processes to decode with (None: the cores available; 1: this process only).
    `redactor`: applied to every string a session keeps for display, after the numbers
    (fingerprints included) are computed.
    """
    return load_inputs(find_inputs(args, cwd), stdin=stdin, jobs=jobs, redactor=redactor)


def _sharing_args(function: F) -> F:
    """Empties the shared argument memo when the outermost load ends."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        global _args_users
        _args_users += 1
        try:
            return function(*args, **kwargs)
        finally:
            _args_users -= 1
            if not _args_users:
                _ARGS_SEEN.clear()

    return cast(F, wrapper)


@_sharing_args
@gcpause.pausing
def load_inputs(inputs: Inputs[Any], *, stdin: IO[bytes] | None = None, jobs: int | None = None,
                redactor: Redactor | None = None, found_elsewhere: Collection[str] = (),
                each: Callable[[Session], object] | None = None) -> list[Session]:
    """Load every trace of `inputs`, in order.

    A trace found by walking a folder that cannot be read (or holds no event) becomes a
    note instead of an error, unless no trace of that folder could be read. The notes
    (these and `inputs.notes`, each a Diagnostic with line 0) are listed first among the
    first session's diagnostics, so they reach the report and stderr. `found_elsewhere`:
    folders in which something else was found to report (an attoswarm run folder).

    `each(session)` is called for every session, in order, as soon as it is loaded: while
    worker processes decode a folder's later files, this process can analyse the first ones.
    (The notes about files skipped join the first session's diagnostics only at the end: a
    later file can add one.)
    """
    workers = _workers(jobs)
    traces = inputs.traces
    is_file = [t.path is not None and _splittable(t.path) for t in traces]
    loaded: Generator[list[Session] | AttoreportError, None, None]
    if workers > 1 and sum(is_file) > 1 and _can_fork():
        loaded = _load_many(traces, is_file, workers, stdin, redactor)
    else:
        loaded = (_load_one(trace, stdin, workers, redactor) for trace in traces)
    sessions: list[Session] = []
    notes = list(inputs.notes)
    failed: dict[str, Diagnostic] = {}  # folder -> its first trace that could not be read
    read_folders: set[str] = set(found_elsewhere)
    with closing(loaded):  # an error in `each` ends the workers too
        for trace, result in zip(traces, loaded, strict=True):
            if isinstance(result, AttoreportError):
                if trace.folder is None:
                    raise result
                reason = str(result).removeprefix(f"{trace.source}: ")
                note = Diagnostic(trace.source, 0, f"{reason}; file skipped", "skipped")
                notes.append(note)
                failed.setdefault(trace.folder, note)
                continue
            if trace.folder is not None:
                read_folders.add(trace.folder)
            sessions.extend(result)
            if each is not None:
                for session in result:
                    each(session)
    for folder, first in failed.items():
        if folder not in read_folders:
            raise AttoreportError(f"{folder}: no trace in this folder could be read (first: "
                                  f"{first.file}: {first.message})")
    if sessions and notes:
        sessions[0].diagnostics[:0] = notes
    return sessions


def _load_one(trace: TraceInput, stdin: IO[bytes] | None, workers: int,
              redactor: Redactor | None) -> list[Session] | AttoreportError:
    try:
        return load_input(trace, stdin=stdin, jobs=workers, redactor=redactor)
    except AttoreportError as exc:
        return exc


@_sharing_args
@gcpause.pausing
def load_input(trace: TraceInput, *, stdin: IO[bytes] | None = None, jobs: int | None = 1,
               redactor: Redactor | None = None) -> list[Session]:
    """Load one input; raises AttoreportError when it cannot be read or is not a trace."""
    workers = _workers(jobs)
    if trace.path is None:
        stream = stdin if stdin is not None else sys.stdin.buffer
        check_stdin(stream)
        return _load_stream(trace, stream, redactor)
    try:
        if not _splittable(trace.path):  # a pipe: read once, spooled
            with open_checked(trace) as fh:
                return _load_stream(trace, fh, redactor)
        return _load_file(trace, redactor, workers)
    except OSError as exc:
        raise AttoreportError(f"{trace.source}: cannot read: {describe_os_error(exc)}") from exc


@_sharing_args
@gcpause.pausing
def load_lines(lines: Iterable[bytes], source: str, stem: str,
               redactor: Redactor | None = None) -> list[Session]:
    """Parse already-split lines (each with or without its newline); details come from a
    temporary copy of them."""
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the sessions
    for raw in lines:
        spool.write(raw if raw.endswith(b"\n") else raw + b"\n")
    spool.seek(0)
    trace = TraceInput(source, None, stem)
    parser = _ChunkParser(source, first_chunk=True)
    _feed(parser, spool, 0)
    try:
        return _finish(trace, [parser.result()], _Lines(spool=spool), redactor)
    except AttoreportError:  # no events (or not a trace): nothing to report
        return []


def _workers(jobs: int | None) -> int:
    if jobs is None:
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except AttributeError:  # not on Linux
            return max(1, os.cpu_count() or 1)
    return max(1, jobs)


def _splittable(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:
        return False


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods() and single_threaded()


def single_threaded() -> bool:
    """Whether this process runs one thread, so a fork copies no lock another thread holds.

    The operating system's count where it gives one: threads started outside `threading`
    (by a C library, or by `_thread` as pytest-xdist's workers do) are not in
    `threading.active_count()`, and a fork beside one of them can deadlock the child."""
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:  # not Linux
        return threading.active_count() == 1


# ---------------------------------------------------------------------------
# Files, streams, processes
# ---------------------------------------------------------------------------


def _load_file(trace: TraceInput, redactor: Redactor | None, workers: int) -> list[Session]:
    path = trace.path
    assert path is not None
    with open_checked(trace) as fh:  # regular files only; devices were refused before
        gz = fh.read(len(GZIP_MAGIC)) == GZIP_MAGIC
        size = os.fstat(fh.fileno()).st_size
    if not gz and workers > 1 and size >= PARALLEL_BYTES and _can_fork():
        # Parts of at least half the threshold: a worker costs a start and a join.
        ranges = _byte_ranges(path, size, min(workers, max(2, 2 * size // PARALLEL_BYTES)))
        if len(ranges) > 1:
            with tempfile.TemporaryDirectory(prefix="attoreport-") as folder:
                chunks = _in_processes(_parse_range, [(trace.source, str(path), a, b, i == 0,
                                                       folder)
                                                      for i, (a, b) in enumerate(ranges)],
                                       workers)
                return _finish(trace, chunks, _Lines(path=path), redactor)
    chunk = _parse_path(trace.source, path, gz)
    return _finish(trace, [chunk], _Lines(path=path, gzip=gz), redactor)


def _parse_path(source: str, path: Path, gz: bool) -> _Chunk:
    parser = _ChunkParser(source, first_chunk=True)
    try:
        with path.open("rb") as raw:
            stream: Any = gzip.GzipFile(fileobj=raw, mode="rb") if gz else raw
            _feed(parser, stream, 0, raw.tell if gz else None)
    except OSError as exc:
        if parser.lines_read == 0 and not parser.rows:
            raise AttoreportError(f"{source}: cannot read: {describe_os_error(exc)}") from exc
        parser.damage(f"cannot read further ({describe_os_error(exc)}); the rest of the file "
                      "is lost")
    return parser.result()


def _parse_range(source: str, path: str, start: int, end: int, first: bool,
                 spill_to: str | None = None) -> _Chunk:
    parser = _ChunkParser(source, first_chunk=first)
    with open(path, "rb") as fh:
        fh.seek(start)
        _feed(parser, _Range(fh, end - start), start)
    chunk = parser.result()
    if spill_to is not None:
        chunk.spill(spill_to)
    return chunk


def _byte_ranges(path: Path, size: int, parts: int) -> list[tuple[int, int]]:
    """`parts` ranges of about equal size, each starting at the beginning of a line."""
    cuts = [0]
    with path.open("rb") as fh:
        for k in range(1, parts):
            fh.seek(max(size * k // parts, cuts[-1]))
            fh.readline(MAX_LINE_BYTES)
            position = fh.tell()
            if cuts[-1] < position < size:
                cuts.append(position)
    cuts.append(size)
    return [(a, b) for a, b in zip(cuts, cuts[1:], strict=False) if b > a]


class _Range:
    """A file object limited to `length` bytes from where it stands."""

    def __init__(self, fh: IO[bytes], length: int) -> None:
        self._fh, self._left = fh, length

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        data = self._fh.read(self._left if size < 0 else min(size, self._left))
        self._left -= len(data)
        return data


def _in_processes(function: Any, argument_lists: list[tuple[Any, ...]], workers: int) -> list[Any]:
    """`function(*args)` for each, in forked processes, results in order."""
    with _processes(function, argument_lists, workers) as results:
        return list(results)


@contextmanager
def _processes(function: Any, argument_lists: list[tuple[Any, ...]],
               workers: int) -> Iterator[Iterator[Any]]:
    """`function(*args)` for each, in forked processes: an iterator of the results, in
    order, each as soon as it (and those before it) is in, so the caller can use the first
    while the workers go on. The pool ends with the block.

    Many argument lists (a folder's files) are handed out a few at a time: one at a time,
    each file cost a round trip through the pool's queues, and a folder of 1,000 traces
    loaded about 8% slower. At most a quarter of each worker's share goes at once, so the
    last ones still even out."""
    import multiprocessing

    size = len(argument_lists)
    context = multiprocessing.get_context("fork")
    with context.Pool(min(workers, size), initializer=_worker_signals) as pool:
        yield pool.imap(_Star(function), argument_lists,
                        chunksize=max(1, min(POOL_CHUNK, size // (4 * workers))))


@dataclass(frozen=True)
class _Star:
    """`function(*args)` for `Pool.imap`, which passes one argument (the workers are forks:
    the function is found in them as it is here)."""

    function: Any

    def __call__(self, args: tuple[Any, ...]) -> Any:
        return self.function(*args)


def _worker_signals() -> None:
    """A worker ends quietly when the pool (or the user) stops it: the parent's handlers,
    inherited through fork, would turn the pool's SIGTERM into a traceback."""
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent, which cleans up


def _load_many(traces: list[TraceInput], is_file: list[bool], workers: int,
               stdin: IO[bytes] | None, redactor: Redactor | None
               ) -> Generator[list[Session] | AttoreportError, None, None]:
    """Several inputs: regular files (`is_file`) decoded in parallel by file (forked
    processes); the result of each input (sessions, or the error it gives), in order, as soon
    as it is in: the workers go on with the later files meanwhile."""
    with _processes(_parse_file_quietly, [(t.source, str(t.path)) for t, f in
                                          zip(traces, is_file, strict=True) if f],
                    workers) as parsed:
        for trace, file in zip(traces, is_file, strict=True):
            try:
                if not file:
                    yield load_input(trace, stdin=stdin, jobs=1, redactor=redactor)
                    continue
                found = next(parsed)
                if isinstance(found, str):
                    raise AttoreportError(found)
                chunk, gz = found
                assert trace.path is not None
                yield _finish(trace, [chunk], _Lines(path=trace.path, gzip=gz), redactor)
            except AttoreportError as exc:
                yield exc


def _parse_file_quietly(source: str, path: str) -> tuple[_Chunk, bool] | str:
    """`_parse_path` for a worker: an AttoreportError (or OSError) comes back as its message."""
    with gcpause.paused():
        try:
            with open(path, "rb") as fh:
                gz = fh.read(len(GZIP_MAGIC)) == GZIP_MAGIC
            return _parse_path(source, Path(path), gz), gz
        except AttoreportError as exc:
            return str(exc)
        except OSError as exc:
            return f"{source}: cannot read: {describe_os_error(exc)}"


def _load_stream(trace: TraceInput, stream: IO[bytes], redactor: Redactor | None) -> list[Session]:
    """Standard input or a pipe: spooled to a temporary file while it is read, so that
    `details` can read it again; gzip data is recognised by its first bytes."""
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the sessions
    tee = _Tee(stream, spool)
    head = tee.peek(2)
    gz = head == b"\x1f\x8b"
    parser = _ChunkParser(trace.source, first_chunk=True)
    source: Any = gzip.GzipFile(fileobj=tee, mode="rb") if gz else tee  # type: ignore[call-overload]
    try:
        _feed(parser, source, 0, tee.tell if gz else None)
    except OSError as exc:
        if parser.lines_read == 0:
            raise AttoreportError(f"{trace.source}: cannot read: {exc}") from exc
        parser.damage(f"cannot read further ({exc}); the rest of the input is lost")
    tee.drain()
    return _finish(trace, [parser.result()], _Lines(spool=spool, gzip=gz), redactor)


class _Tee:
    """Reads a stream and writes what it read to a spool file."""

    def __init__(self, stream: IO[bytes], spool: IO[bytes]) -> None:
        self._stream, self._spool, self._head = stream, spool, b""
        self._read = 0

    def tell(self) -> int:
        """Bytes handed over so far."""
        return self._read

    def peek(self, size: int) -> bytes:
        while len(self._head) < size:
            data = self._stream.read(size - len(self._head))
            if not data:
                break
            self._head += data
        return self._head

    def read(self, size: int = -1) -> bytes:
        if self._head:
            data, self._head = self._head, b""
            if size < 0 or size > len(data):
                data += self._stream.read(-1 if size < 0 else size - len(data))
        else:
            data = self._stream.read(size)
        self._spool.write(data)
        self._read += len(data)
        return data

    def drain(self) -> None:
        """Spool what the reader left unread (after a gzip stream's end, say)."""
        while self.read(BLOCK_BYTES):
            pass

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        pass


def _bomb(expanded: int, compressed: int) -> bool:
    """Whether `compressed` bytes expanding to `expanded` are more than a trace can be."""
    return expanded > max(GZIP_FLOOR_BYTES, GZIP_RATIO * compressed)


def _feed(parser: _ChunkParser, stream: Any, base: int,
          compressed: Callable[[], int] | None = None) -> None:
    """Blocks of whole lines from `stream` into the parser; overlong lines are skipped
    without being held in memory. `compressed`: for a decompressed stream, how many
    compressed bytes were read so far (reading stops past GZIP_RATIO times as many)."""
    offset = base
    read_size = min(BLOCK_BYTES, MAX_LINE_BYTES)
    # gzip: read1 hands over what was decompressed so far, so a damaged stream's good
    # lines are kept (read() drops them when it meets the damage).
    read = stream.read1 if isinstance(stream, gzip.GzipFile) else stream.read
    pending: list[bytes] = []
    pending_size = 0
    skipping = False
    try:
        while True:
            data = read(read_size)
            if not data:
                break
            if compressed is not None and _bomb(offset - base + len(data), compressed()):
                parser.damage(f"the compressed data expands more than {GZIP_RATIO} times "
                              f"(a compression bomb?): reading stopped after "
                              f"{(offset - base) // 2**20:,} MiB; the rest is not read")
                pending = []
                break
            if skipping:  # inside an overlong line: drop bytes up to its end
                newline = data.find(b"\n")
                if newline < 0:
                    offset += len(data)
                    continue
                offset += newline + 1
                data, skipping = data[newline + 1:], False
                if not data:
                    continue
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                pending.append(data)
                pending_size += len(data)
                if pending_size > MAX_LINE_BYTES:
                    parser.overlong_line()
                    offset += pending_size
                    pending, pending_size, skipping = [], 0, True
                continue
            if pending:
                first_end = data.find(b"\n") + 1
                if pending_size + first_end > MAX_LINE_BYTES:
                    parser.overlong_line()
                    offset += pending_size + first_end
                    block = data[first_end:cut]
                else:
                    pending.append(data[:cut])
                    block = b"".join(pending)
                pending, pending_size = [], 0
            else:
                block = data if cut == len(data) else data[:cut]
            if block:
                parser.feed_block(block, offset)
                offset += len(block)
            if cut < len(data):
                pending.append(data[cut:])
                pending_size += len(data) - cut
        if pending and not skipping:
            parser.feed_block(b"".join(pending), offset, at_end=True)
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        where = f"after line {parser.lines_read}" if parser.lines_read else "from the start"
        parser.damage(f"compressed data is damaged {where} ({exc}); the rest of the file is "
                      "lost")


# ---------------------------------------------------------------------------
# Typed decoding: only the fields the analysis needs
# ---------------------------------------------------------------------------


# Values the typed path never takes (the generic path reads and reports them) are refused by
# the decoder itself, so the columns can be built without checking them one by one: numbers
# beyond NUMBER_CAP (which the generic path caps and reports, whatever the event's kind), and
# timestamps beyond TIMESTAMP_CAP.
_Int = Annotated[int, msgspec.Meta(ge=-NUMBER_CAP, le=NUMBER_CAP)]
_Float = Annotated[float, msgspec.Meta(ge=-NUMBER_CAP, le=NUMBER_CAP)]
_Timestamp = Annotated[float, msgspec.Meta(ge=-TIMESTAMP_CAP, le=TIMESTAMP_CAP)]
_Iteration = Annotated[int, msgspec.Meta(gt=NO_ITERATION, le=_INT64_MAX)]


class _Meta(Struct, frozen=True, gc=False):
    duration_ms: _Float | None = None
    tool_id: str | None = None


class _Data(Struct, frozen=True, gc=False):
    tokens: _Int | UnsetType = UNSET
    cost: _Float | UnsetType = UNSET
    input_tokens: _Int = 0
    output_tokens: _Int | UnsetType = UNSET
    cache_read_tokens: _Int = 0
    cache_write_tokens: _Int = 0
    model: str | None = None
    duration_ms: _Float | None = None
    metadata: _Meta | None = None
    tool: str | UnsetType = UNSET
    tool_name: str | UnsetType = UNSET
    tool_id: str | None = None
    args: Raw = Raw(b"")
    result: Raw = Raw(b"")
    agent_id: str | UnsetType = UNSET
    error: str | None = None
    skipped: Raw = Raw(b"")
    #: attoswarm's names for a task's spend (the collector's `record_swarm_*` uses tokens/cost).
    tokens_used: int | UnsetType = UNSET
    cost_usd: float | UnsetType = UNSET


_NO_DATA = _Data()


class _Event(Struct, frozen=True, gc=False):
    kind: str
    timestamp: _Timestamp
    event_id: str | None = None
    session_id: str | None = None
    #: NO_ITERATION when absent (None when null).
    iteration: _Iteration | None = NO_ITERATION
    data: _Data = _NO_DATA
    parent_event_id: str | None = None
    duration_ms: _Float = _NAN


#: First bytes of a JSON string and of a JSON object.
_TEXT_OR_OBJECT = frozenset(b'"{')
_EVENTS = msgspec.json.Decoder(_Event)
_ANY = msgspec.json.Decoder()
_SORTED = msgspec.json.Encoder(order="sorted")
_TYPED_ERRORS = (msgspec.DecodeError, msgspec.ValidationError, ValueError, RecursionError)


def _canonical_args(args: Any, row: int) -> Any:
    """A value equal for two `args` exactly when `json.dumps(args, sort_keys=True)` is."""
    if args is None:
        return None
    try:
        json.dumps(args, allow_nan=False)
    except ValueError:  # NaN or Infinity: only the standard library's form tells them apart
        return ("J", json.dumps(args, sort_keys=True))
    except RecursionError:
        return ("R", row)  # Attocode cannot fingerprint it either; never a repeat
    try:
        return _SORTED.encode(args)
    except (UnicodeEncodeError, RecursionError, TypeError, OverflowError):  # lone surrogates
        return ("J", json.dumps(args, sort_keys=True))


def _tool_text(tool: Any) -> str:
    return tool if isinstance(tool, str) else safe_text(tool, NAME_CHARS * 10)


def _args_facts(tool: str, args: Any) -> tuple[int, str | None]:
    """What a call's arguments alone say: test or build command flags, and the file it
    writes if it succeeds (None when `args` is None)."""
    if args is None:
        return 0, None
    bits = 0
    if toolcalls.tool_role(tool) == "command":
        kind = toolcalls.command_kind(toolcalls.main_argument(tool, args))
        if kind == "test":
            bits = FLAG_TEST_COMMAND
        elif kind == "build":
            bits = FLAG_BUILD_COMMAND
    return bits, toolcalls.written_file(tool, args)


# ---------------------------------------------------------------------------
# A block's typed events as columns, built at C speed
# ---------------------------------------------------------------------------

#: Blocks with fewer events are read event by event (building columns would not pay).
FAST_ROWS = 8
_KIND = attrgetter("kind")
_TIMESTAMP = attrgetter("timestamp")
_ITERATION = attrgetter("iteration")
_DATA = attrgetter("data")
_DURATION = attrgetter("duration_ms")
_SESSION_ID = attrgetter("session_id")
_EVENT_ID = attrgetter("event_id")
_PARENT = attrgetter("parent_event_id")
_TOOL = attrgetter("tool")
_TOOL_NAME = attrgetter("tool_name")
_TOOL_ID = attrgetter("tool_id")
_AGENT = attrgetter("agent_id")
_ERROR = attrgetter("error")
_METADATA = attrgetter("metadata")
_MODEL = attrgetter("model")
_TOKENS = attrgetter("tokens")
_OUTPUT = attrgetter("output_tokens")
_INPUT = attrgetter("input_tokens")
_CACHE_READ = attrgetter("cache_read_tokens")
_CACHE_WRITE = attrgetter("cache_write_tokens")
_COST = attrgetter("cost")


def _positions(flags: Iterable[Any]) -> list[int]:
    """Indexes of the true values."""
    return list(compress(count(), flags))


def _new_names(names: list[Any], codes: list[int | None]) -> list[tuple[int, Any]]:
    """(index, name) of the first occurrence of each name without a code yet, in order.

    Only the positions without a code are visited (a block of a run with many subagents
    meets a new agent id every few hundred events; searching the block for each from its
    start took 3% of the load)."""
    first: dict[Any, int] = {}
    for index in _positions(map(is_, codes, repeat(None))):
        first.setdefault(names[index], index)
    return [(index, name) for name, index in first.items()]


def _unset_to(values: list[Any], default: Any) -> list[Any]:
    return [default if v is UNSET else v for v in values] if UNSET in values else values


@dataclass(slots=True)
class _BlockColumns:
    """The values `_ChunkParser._typed` takes from each typed event of a block, computed for
    the whole block with map, attrgetter and array (no Python code per event), so the parser
    can append them segment by segment (`_ChunkParser._fast`).

    `of` returns None for a block that holds what only the event-by-event path reads
    exactly (several sessions interleaved): that block is read event by event.
    Events the typed path does not take at all (session start and end, unknown kinds) have
    kind None and stop a segment; the parser hands them to the generic path.
    """

    events: list[_Event]
    first_line: int
    kinds: list[int | None]
    #: The one non-empty session id of the block's events (None: none has one).
    session_id: str | None
    datas: list[_Data]
    timestamps: array
    iterations: array
    durations: array
    display: array
    ids: array
    #: parent_event_id of every event, or None when no event has one.
    parents: list[str | None] | None
    tools: list[Any]
    agents: list[Any]
    #: Indexes of the events with an error, a tool call, a swarm task result.
    error_at: list[int]
    call_at: list[int]
    task_at: list[int]
    #: (index, is a start, tool-call id) of tool events with a tool-call id.
    paired: list[tuple[int, bool, str]]
    paired_at: list[int]
    #: Indexes of the LLM responses and their figures.
    llm_at: list[int]
    llm_tokens: list[int]
    llm_cost: list[float]
    llm_input: list[int]
    llm_output: list[int]
    llm_cache_read: list[int]
    llm_cache_write: list[int]
    llm_has_keys: array
    llm_models: list[Any]

    @classmethod
    def of(cls, events: list[_Event], first_line: int) -> _BlockColumns | None:  # noqa: C901
        size = len(events)
        session_ids = list(map(_SESSION_ID, events))
        session_id = next(filter(None, session_ids), None)
        if session_id is not None:
            same = session_ids.count(session_id)
            if same != size and same != size - session_ids.count(None) - session_ids.count(""):
                return None  # sessions interleaved
        kinds = list(map(_TYPED_CODES.get, map(_KIND, events)))
        datas = list(map(_DATA, events))
        # Attocode's duration: `event.duration_ms or data.duration_ms`.
        durations = array("d", map(_DURATION, events))
        data_durations = list(map(_DURATION, datas))
        if data_durations.count(None) != size or 0.0 in durations:
            durations = array("d", [t if t and t == t else (_NAN if d is None else d)
                                    for t, d in zip(durations, data_durations, strict=True)])
        metas = list(map(_METADATA, datas))
        display = durations
        if metas.count(None) != size:
            display = array("d", [t if t == t else (_NAN if m is None or m.duration_ms is None
                                                    else m.duration_ms)
                                  for t, m in zip(durations, metas, strict=True)])
            if display.tobytes() == durations.tobytes():
                display = durations  # the same values: no column of its own
        llm_at = _positions(map(eq, kinds, repeat(_LLM_RESPONSE)))
        llm_datas = list(map(datas.__getitem__, llm_at))
        tokens, output = list(map(_TOKENS, llm_datas)), list(map(_OUTPUT, llm_datas))
        if UNSET in tokens or UNSET in output:
            has_keys = array("B", [0 if t is UNSET and o is UNSET else 1
                                   for t, o in zip(tokens, output, strict=True)])
            tokens, output = _unset_to(tokens, 0), _unset_to(output, 0)
        else:
            has_keys = array("B", [1]) * len(llm_at)
        cost = _unset_to(list(map(_COST, llm_datas)), 0.0)
        models = list(map(_MODEL, llm_datas))
        if None in models or "" in models:
            models = [m if m else UNSET for m in models]  # no model: NO_STRING
        iterations = list(map(_ITERATION, events))
        if None in iterations:
            iterations = [NO_ITERATION if i is None else i for i in iterations]
        event_ids = list(map(_EVENT_ID, events))
        if None in event_ids or "" in event_ids or max(map(len, event_ids)) > 64:
            event_ids = [e if e and len(e) <= 64 else _event_id(e, first_line + i)
                         for i, e in enumerate(event_ids)]
        parents: list[str | None] | None = list(map(_PARENT, events))
        if parents is not None and parents.count(None) == size:
            parents = None
        tools = list(map(_TOOL, datas))
        tool_names = list(map(_TOOL_NAME, datas))
        if tool_names.count(UNSET) != size:
            tools = [t if t is not UNSET else n for t, n in zip(tools, tool_names, strict=True)]
        errors = list(map(_ERROR, datas))
        paired: list[tuple[int, bool, str]] = []
        tool_ids = list(map(_TOOL_ID, datas))
        if tool_ids.count(None) != size or metas.count(None) != size:
            for i in _positions(map(_PAIRED_CODES.__contains__, kinds)):
                meta = metas[i]
                call_id = datas[i].tool_id if meta is None else meta.tool_id
                if call_id:
                    paired.append((i, kinds[i] == _TOOL_START, call_id))
        return cls(
            events=events, first_line=first_line, kinds=kinds, session_id=session_id,
            datas=datas, timestamps=array("d", map(_TIMESTAMP, events)),
            iterations=array("q", iterations), durations=durations, display=display,
            ids=array("q", map(hash, event_ids)), parents=parents, tools=tools,
            agents=list(map(_AGENT, datas)),
            error_at=_positions(map(is_not, errors, repeat(None))),
            call_at=_positions(map(_CALL_CODES.__contains__, kinds)),
            task_at=_positions(map(_TASK_CODES.__contains__, kinds))
            if _TASK_COMPLETE in kinds or _TASK_FAILED in kinds else [],
            paired=paired, paired_at=[p[0] for p in paired], llm_at=llm_at, llm_tokens=tokens, llm_cost=cost,
            llm_input=list(map(_INPUT, llm_datas)), llm_output=output,
            llm_cache_read=list(map(_CACHE_READ, llm_datas)),
            llm_cache_write=list(map(_CACHE_WRITE, llm_datas)), llm_has_keys=has_keys,
            llm_models=models)


# ---------------------------------------------------------------------------
# The parser of one file (or one byte range of it)
# ---------------------------------------------------------------------------

_INHERIT = ("inherit",)  # the group current where a byte range starts (known after the merge)


@dataclass(slots=True)
class _HeldKind:
    """An unknown kind a later part of a file met first (see `_ChunkParser.held_kinds`)."""

    name: str
    line: int
    group: int
    message: str
    #: Whether no other problem is on its line in its group's log.
    alone: bool = True
    #: Whether one pass reports it once: a name changed for display (bounded, cleaned) is
    #: reported on every line.
    once: bool = True


@dataclass(slots=True)
class _GroupState:
    """Rows of one `session_id` within a part of a file, with Attocode's bookkeeping."""

    key: Any  # None (no id), a str, or _INHERIT
    log: DiagnosticLog = field(default_factory=DiagnosticLog)
    # (line, value) pairs: the last one in the file wins, as in Attocode's loader.
    start: tuple[int, float] | None = None
    header: tuple[int, Any, Any, dict[str, Any]] | None = None
    end: tuple[int, float] | None = None
    legacy_id: tuple[int, str] | None = None
    status: tuple[int, str | None] | None = None
    kind_lines: int = 0
    legacy_lines: int = 0
    changed_files: dict[str, int] = field(default_factory=dict)
    changed_more: int = 0


@dataclass(slots=True)
class _Chunk:
    """What a parser built: plain columns and tables, cheap to send between processes."""

    lines_read: int
    columns: dict[str, array]
    strings: list[str]
    kind_names: list[str]
    task_spend: dict[int, tuple[int, float]]
    skipped: dict[int, int]
    groups: list[_GroupState]
    row_groups: array | None
    single_group: int
    current: int
    checkpoints: tuple[array, array]
    saw_event_line: bool
    missing_timestamps: int
    first_problem: tuple[int, str] | None
    has_lines: bool
    has_content: bool
    #: Where a worker wrote the columns instead of sending them: (file, [(name, typecode,
    #: count, offset)]). `columns` is then empty until they are read (see `_join`).
    spilled: tuple[str, list[tuple[str, str, int, int]]] | None = None
    #: See `_ChunkParser.held_kinds`.
    held_kinds: list[_HeldKind] = field(default_factory=list)

    @property
    def rows(self) -> int:
        if self.spilled is not None:
            return next(size for name, _, size, _ in self.spilled[1] if name == "kinds")
        return len(self.columns["kinds"])

    def column_names(self) -> list[str]:
        if self.spilled is not None:
            return [name for name, _, _, _ in self.spilled[1]]
        return list(self.columns)

    def spill(self, folder: str) -> None:
        """Write the columns to a file in `folder` and drop them: the parent reads them back
        one at a time (`column`), so neither process holds a pickled copy of them."""
        fd, path = tempfile.mkstemp(dir=folder, suffix=".columns")
        spec: list[tuple[str, str, int, int]] = []
        with os.fdopen(fd, "wb") as fh:
            for name, column in self.columns.items():
                spec.append((name, str(column.typecode), len(column), fh.tell()))
                column.tofile(fh)
        self.columns = {}
        self.spilled = (path, spec)

    def column(self, name: str) -> array:
        """One column, read back from the spill file if the columns were spilled."""
        if self.spilled is None:
            return self.columns[name]
        path, spec = self.spilled
        for found, typecode, size, offset in spec:
            if found == name:
                column = array(typecode)
                with open(path, "rb") as fh:
                    fh.seek(offset)
                    column.fromfile(fh, size)
                return column
        raise KeyError(name)


_COLUMN_TYPES = {
    "kinds": "H", "timestamps": "d", "iterations": "q", "lines": "q", "durations": "d",
    "display": "d", "agents": "i", "tools": "i", "ids": "q", "flags": "B",
    "parent_rows": "q", "parent_keys": "q", "call_rows": "q", "call_keys": "q", "call_starts": "B",
    "llm_rows": "q", "llm_tokens": "q", "llm_cost": "d", "llm_input": "q", "llm_output": "q",
    "llm_cache_read": "q", "llm_cache_write": "q", "llm_has_keys": "B", "llm_models": "i",
    "call_fp_rows": "q", "call_fps": "q",
}
#: Columns holding row numbers (shifted when parts of a file are joined).
_ROW_COLUMNS = ("parent_rows", "call_rows", "llm_rows", "call_fp_rows")
#: Columns holding indexes into `strings`.
_STRING_COLUMNS = ("agents", "tools", "llm_models")


class _ChunkParser:
    """Turns blocks of lines into columns. One per file, or per byte range of a file."""

    def __init__(self, source: str, first_chunk: bool) -> None:
        self.source = source
        self.first_chunk = first_chunk
        self.lines_read = 0
        self.rows = 0
        self.c: dict[str, array[Any]] = {name: array(code) for name, code in _COLUMN_TYPES.items()
                                         if name != "display"}
        self.strings: list[str] = []
        #: Interned names by their text as read (UNSET: no name).
        self.string_codes: dict[Any, int] = {UNSET: NO_STRING}
        self.kind_names: list[str] = list(KIND_ORDER)
        self.kind_codes: dict[str, int] = dict(_KIND_CODES)
        self.task_spend: dict[int, tuple[int, float]] = {}
        self.skipped: dict[int, int] = {}
        self.groups: list[_GroupState] = []
        self.group_index: dict[Any, int] = {}
        self.current = -1
        self.current_sid: Any = _NOTHING  # the raw session_id that selected `current`
        self.row_groups: array | None = None
        #: The group of every row while there is only one (see `_rows_in`).
        self.single_group = -1
        self.ck_lines = array("q")
        self.ck_offsets = array("q")
        self.saw_event_line = False
        self.missing_timestamps = 0
        self.has_lines = False
        #: A line was read as JSON (only then can a file be "not a trace").
        self.has_content = False
        #: Unknown kinds met in a part of a file that is not its first, held back from the
        #: diagnostics: one pass reports a kind where the file first has it, and an earlier
        #: part may have had it (`_join` decides).
        self.held_kinds: list[_HeldKind] = []

    # -- groups -----------------------------------------------------------

    def _group(self, key: Any) -> int:
        index = self.group_index.get(key)
        if index is None:
            index = self.group_index[key] = len(self.groups)
            self.groups.append(_GroupState(key))
        return index

    def _rows_in(self, group: int) -> array | None:
        """Called before rows go to `group`: the group column, made when a second group
        gets rows (None while every row is in one group)."""
        if self.row_groups is None:
            if self.single_group < 0 or not self.rows:
                self.single_group = group
            elif group != self.single_group:
                self.row_groups = array("I", [self.single_group]) * self.rows
        return self.row_groups

    def _unnamed(self) -> int:
        """The group lines without a session id go to: the current one."""
        if self.current < 0:
            self.current = self._group(None if self.first_chunk else _INHERIT)
            self.current_sid = None
        return self.current

    def _select(self, sid: Any) -> int:
        """Attocode-compatible grouping by `session_id` (strings and integers name groups)."""
        if sid is None or sid == "" or not isinstance(sid, (str, int)) or isinstance(sid, bool):
            return self._unnamed()
        self.current = self._group(str(sid))
        self.current_sid = sid
        return self.current

    # -- diagnostics --------------------------------------------------------

    def diagnose(self, code: str, line: int, message: str, action: str = "skipped") -> None:
        self.groups[self._unnamed()].log.add(code, line, message, action)

    def damage(self, message: str) -> None:
        self.diagnose("damage", self.lines_read + 1, message)

    def overlong_line(self) -> None:
        self.lines_read += 1
        self.has_lines = True
        self.diagnose("long", self.lines_read,
                      f"line longer than {MAX_LINE_BYTES // 2**20} MiB; skipped")

    # -- blocks ---------------------------------------------------------------

    def feed_block(self, block: bytes, offset: int, at_end: bool = False,
                   splits: int | None = None) -> None:
        """Whole lines (ending in a newline, except the file's last one when `at_end`).

        A line the typed decoder refuses (a null where a name goes, say), or a run of blank
        lines, costs only itself: it is read line by line, the lines before and after it as
        blocks again. Each split costs a decoding of what follows, so a block splits at most
        `splits` (default BLOCK_SPLITS) times deep; a piece with more is read line by line."""
        if splits is None:
            splits = BLOCK_SPLITS
        self.has_lines = True
        first_line = self.lines_read + 1
        self.ck_lines.append(first_line)
        self.ck_offsets.append(offset)
        if first_line == 1 and self.first_chunk and block.startswith(b"\xef\xbb\xbf"):
            self.lines_read += 1
            self._bom_line(block, offset, at_end)
            return
        if block.startswith(b"\n\n"):  # empty lines before the rest: counted, not read one by one
            rest = block.lstrip(b"\n")
            if rest:
                run = len(block) - len(rest)
                self.diagnose_blank_run(first_line, run)
                self.lines_read += run
                self.feed_block(rest, offset + run, at_end, splits)
                return
        lone_cr = b"\r" in block and block.count(b"\r") != block.count(b"\r\n")
        if not lone_cr:
            line_count = block.count(b"\n") + (0 if block.endswith(b"\n") else 1)
            if block.isspace():  # only blank lines: counted, not looked at one by one
                self.diagnose_blank_run(first_line, line_count)
                self.lines_read += line_count
                return
            try:
                events = _EVENTS.decode_lines(block)
            except _TYPED_ERRORS as exc:
                events = None
                refused = _refused_line(block, exc) if splits > 0 else None
                if refused is not None:
                    self._split(block, offset, at_end, *refused, splits)
                    return
            if events is not None and len(events) == line_count and (
                    not at_end or block.endswith(b"\n")):
                self._checkpoints(block, offset, first_line)
                self._bulk(events, block, first_line)
                return
            if events is not None and splits > 0:
                blank = _BLANK_RUN.search(block)  # the decoder skipped blank lines
                if blank is not None:
                    self._split(block, offset, at_end, blank.start(), blank.end(), splits)
                    return
        self._line_by_line(block, offset, at_end)

    def _split(self, block: bytes, offset: int, at_end: bool, start: int, end: int,
               splits: int) -> None:
        """`block[start:end]` (whole lines) line by line, the lines around it as blocks."""
        if start:
            self.feed_block(block[:start], offset, False, splits - 1)
        self._line_by_line(block[start:end], offset + start, at_end and end == len(block))
        if end < len(block):
            self.feed_block(block[end:], offset + end, at_end, splits - 1)

    def _bulk(self, events: list[_Event], block: bytes, first_line: int) -> None:
        """Typed events of a whole block; the few the typed path leaves (session start and
        end, odd values) are read by the generic path, in their place."""
        count = len(events)
        columns = _BlockColumns.of(events, first_line) if count >= FAST_ROWS else None
        index = position = at = 0  # `position`: byte offset of line `at` in the block
        while index < count:
            if columns is not None:
                index = self._fast(columns, index)
                if index >= count:
                    break
                # The columns stop at this event: one event the slow way (it switches
                # sessions, say), or the generic path's.
                taken = self._typed(events, first_line, index, index + 1)
            else:
                taken = self._typed(events, first_line, index)
            index += taken
            if index >= count:
                break
            if columns is not None and taken:
                continue
            while at < index:
                position = block.index(b"\n", position) + 1
                at += 1
            end = block.find(b"\n", position)
            self.lines_read = first_line - 1 + index
            self._generic_line(block[position:end].strip(), first_line + index, True)
            index += 1
        self.lines_read = first_line - 1 + count

    def _fast(self, block: _BlockColumns, start: int) -> int:
        """Append the block's events from `start` up to the next one the columns cannot take
        (an event for the generic path, or one that changes the session); returns the index
        it stopped at."""
        kinds = block.kinds
        try:
            stop = kinds.index(None, start)
        except ValueError:
            stop = len(kinds)
        current = self.current
        steady = current >= 0 and (block.session_id is None
                                   or block.session_id == self.current_sid) and (
            self.row_groups is not None or current == self.single_group)
        if stop > start and steady:
            self._append_columns(block, start, stop)
            return stop
        return start

    def _append_columns(self, block: _BlockColumns, start: int, stop: int) -> None:  # noqa: C901
        """Events `start` to `stop` of the block (all typed, all in the current group)."""
        c = self.c
        first_row = self.rows
        size = stop - start
        whole = start == 0 and stop == len(block.kinds)

        def part(values: Any) -> Any:
            return values if whole else values[start:stop]

        def at(positions: list[int]) -> tuple[int, int]:
            return bisect_left(positions, start), bisect_left(positions, stop)

        tools, agents = part(block.tools), part(block.agents)
        llm_lo, llm_hi = at(block.llm_at)
        models = block.llm_models[llm_lo:llm_hi]
        code_of = self.string_codes.get
        tool_codes, agent_codes = list(map(code_of, tools)), list(map(code_of, agents))
        model_codes = list(map(code_of, models))
        if None in tool_codes or None in agent_codes or None in model_codes:
            # Each new name where it first occurs (a new parser meets hundreds of
            # occurrences of a few names in its first block).
            self._intern_in_order(
                [(block.llm_at[llm_lo + i] - start, 0, m, MODEL_CHARS)
                 for i, m in _new_names(models, model_codes)]
                + [(i, 1, t, NAME_CHARS) for i, t in _new_names(tools, tool_codes)]
                + [(i, 2, a, NAME_CHARS) for i, a in _new_names(agents, agent_codes)])
            tool_codes, agent_codes = self._codes(tools, NAME_CHARS), self._codes(agents, NAME_CHARS)
            model_codes = self._codes(models, MODEL_CHARS)
        c["kinds"].extend(part(block.kinds))
        c["timestamps"].extend(part(block.timestamps))
        c["iterations"].extend(part(block.iterations))
        c["lines"].extend(range(block.first_line + start, block.first_line + stop))
        if block.display is not block.durations:
            self._display(first_row).extend(part(block.display))
        elif "display" in c:
            c["display"].extend(part(block.durations))
        c["durations"].extend(part(block.durations))
        c["ids"].extend(part(block.ids))
        c["tools"].extend(tool_codes)
        c["agents"].extend(agent_codes)
        if block.parents is not None:
            parents = part(block.parents)
            has_parent = list(map(is_not, parents, repeat(None)))
            c["parent_rows"].extend(compress(range(first_row, first_row + size), has_parent))
            c["parent_keys"].extend(map(hash, compress(parents, has_parent)))
        if llm_hi > llm_lo:
            shift = first_row - start
            c["llm_rows"].extend(map(shift.__add__, block.llm_at[llm_lo:llm_hi]))
            for name, values in (("llm_tokens", block.llm_tokens), ("llm_cost", block.llm_cost),
                                 ("llm_input", block.llm_input),
                                 ("llm_output", block.llm_output),
                                 ("llm_cache_read", block.llm_cache_read),
                                 ("llm_cache_write", block.llm_cache_write),
                                 ("llm_has_keys", block.llm_has_keys)):
                c[name].extend(values[llm_lo:llm_hi])
            c["llm_models"].extend(model_codes)
        group = self.current
        flags = bytearray(size)
        lo, hi = at(block.call_at)
        for i in block.call_at[lo:hi]:
            tool = block.tools[i]
            flags[i - start] = self._tool_call(block.kinds[i],  # type: ignore[arg-type]
                                               "" if tool is UNSET else tool, block.datas[i],
                                               first_row + i - start, group, None)
        lo, hi = at(block.error_at)
        for i in block.error_at[lo:hi]:
            if block.kinds[i] in _CALL_CODES:
                flags[i - start] |= FLAG_ERROR_TEXT
        c["flags"].frombytes(flags)
        if block.paired:
            lo, hi = at(block.paired_at)
            for i, is_start, call_id in block.paired[lo:hi]:
                self._call(first_row + i - start, is_start, call_id)
        lo, hi = at(block.task_at)
        for i in block.task_at[lo:hi]:
            self._task(block.kinds[i], first_row + i - start,  # type: ignore[arg-type]
                       block.datas[i])
        if self.row_groups is not None:
            self.row_groups.extend(array("I", [group]) * size)
        self.groups[group].kind_lines += size
        self.rows = first_row + size
        self.saw_event_line = True

    def _display(self, rows: int) -> array[float]:
        """The display-duration column, made (a copy of the durations of the `rows` rows so
        far) when a row's first differs from its duration: until then the table uses the
        durations for both."""
        column = self.c.get("display")
        if column is None:
            column = self.c["display"] = self.c["durations"][:rows]
        return column

    def _codes(self, names: list[Any], limit: int) -> list[int | None]:
        """The string code of each name, all interned already (a long name is found through
        its shortened text: see `_intern`)."""
        code_of, intern = self.string_codes.get, self._intern
        return [code if code is not None else intern(name, limit)
                for name, code in zip(names, map(code_of, names), strict=True)]

    def _intern_in_order(self, found: list[tuple[int, int, str, int]]) -> None:
        """New names (event index, field rank, text, bound) interned in the order the
        event-by-event path meets them (model, tool, agent of each event in turn), so both
        paths number the strings alike."""
        for _, _, text, limit in sorted(found, key=lambda f: (f[0], f[1])):
            self._intern(text, limit)

    def diagnose_blank_run(self, first: int, count: int) -> None:
        self.groups[self._unnamed()].log.add_many("blank", first, count, "blank line skipped")

    def _checkpoints(self, block: bytes, offset: int, first_line: int) -> None:
        """Index entries every CHECKPOINT_BYTES inside a block without lone CRs."""
        position, line = 0, first_line
        ck_lines, ck_offsets = self.ck_lines, self.ck_offsets
        size = len(block)
        while True:
            target = position + CHECKPOINT_BYTES
            if target >= size:
                return
            newline = block.find(b"\n", target)
            if newline < 0 or newline + 1 >= size:
                return
            line += block.count(b"\n", position, newline + 1)
            position = newline + 1
            ck_lines.append(line)
            ck_offsets.append(offset + position)

    def _bom_line(self, block: bytes, offset: int, at_end: bool) -> None:
        end = block.find(b"\n") + 1 or len(block)
        self.diagnose("bom", 1, "starts with a UTF-8 byte-order mark: ignored, line kept "
                      "(Attocode's loader drops this line)", "repaired")
        self.lines_read -= 1  # the first line (or lines, split by lone CRs) counted as read
        self._line_by_line(block[3:end], offset + 3, at_end and end == len(block))
        if end < len(block):
            self.feed_block(block[end:], offset + end, at_end)

    def _line_by_line(self, block: bytes, offset: int, at_end: bool) -> None:
        since_checkpoint = 0
        blank_start, blank_count = 0, 0
        size = len(block)
        for start, end in _line_spans(block):
            self.lines_read += 1
            line_no = self.lines_read
            if since_checkpoint >= CHECKPOINT_BYTES:
                self.ck_lines.append(line_no)
                self.ck_offsets.append(offset + start)
                since_checkpoint = 0
            since_checkpoint += end - start
            raw = block[start:end] if end - start > 2 else None  # short lines are blank
            if raw is None or not raw.strip():
                if raw is None and block[start:end].strip():
                    raw = block[start:end]
                else:
                    if not blank_count:
                        blank_start = line_no
                    blank_count += 1
                    continue
            if blank_count:
                self.diagnose_blank_run(blank_start, blank_count)
                blank_count = 0
            complete = end < size or not at_end or raw.endswith((b"\n", b"\r"))
            self._line(raw, line_no, complete)
        if blank_count:
            self.diagnose_blank_run(blank_start, blank_count)

    def _line(self, raw: bytes, line_no: int, complete: bool) -> None:
        text = raw.strip()
        if not text:
            self.diagnose("blank", line_no, "blank line skipped")
            return
        if complete:
            try:
                event = _EVENTS.decode(text)
            except _TYPED_ERRORS:
                pass
            else:
                if self._typed([event], line_no, 0) == 1:
                    return
        self._generic_line(text, line_no, complete)

    # -- the typed path ---------------------------------------------------------

    def _typed(self, events: list[_Event], first_line: int, start: int,  # noqa: C901
               stop: int | None = None) -> int:
        """Append typed events from `events[start]` (line `first_line + start` on) to
        `events[stop]`, one by one; returns how many were taken. It stops at the first event
        the generic path must read (odd values, session start or end, unknown kinds)."""
        c = self.c
        kinds, stamps, iterations = c["kinds"].append, c["timestamps"].append, c["iterations"].append
        durations, agents = c["durations"].append, c["agents"].append
        tools, ids, flags = c["tools"].append, c["ids"].append, c["flags"].append
        typed_codes = _TYPED_CODES
        known_string = self.string_codes.get
        intern = self._intern
        row = first_row = self.rows
        row_groups = self.row_groups
        current, current_sid = self.current, self.current_sid
        group_start = row
        single = self.single_group
        first_line += start
        for event in islice(events, start, stop):
            timestamp = event.timestamp  # within TIMESTAMP_CAP (see _Event)
            code = typed_codes.get(event.kind)
            if code is None:
                break
            iteration = event.iteration  # within its bounds (see _Event)
            if iteration is None:
                iteration = NO_ITERATION
            data = event.data
            duration: float = event.duration_ms
            if not duration or duration != duration:
                in_data = data.duration_ms
                duration = _NAN if in_data is None else in_data
            if duration == duration:
                shown = duration
            else:
                meta = data.metadata
                shown = _NAN if meta is None or meta.duration_ms is None else meta.duration_ms
            if code == _LLM_RESPONSE:
                self._llm(data, row)
            sid = event.session_id
            if (sid and sid != current_sid) or current < 0:
                if current >= 0:
                    self.groups[current].kind_lines += row - group_start
                group_start = self.rows = row
                current = self._select(sid) if sid else self._unnamed()
                current_sid = self.current_sid
                row_groups = self._rows_in(current)
                single = self.single_group
            if row_groups is not None:
                row_groups.append(current)
            elif current != single:
                self.rows = row
                row_groups = self._rows_in(current)
                single = self.single_group
                if row_groups is not None:
                    row_groups.append(current)
            event_id = event.event_id
            if event_id is None or not event_id or len(event_id) > 64:
                event_id = _event_id(event_id, first_line + row - first_row)
            ids(hash(event_id))
            parent = event.parent_event_id
            if parent is not None:
                c["parent_rows"].append(row)
                c["parent_keys"].append(hash(parent))
            kinds(code)
            stamps(timestamp)
            iterations(iteration)
            durations(duration)
            if shown is not duration and (shown == shown or duration == duration):
                self._display(row).append(shown)  # differs from the duration
            elif "display" in c:
                c["display"].append(shown)
            tool = data.tool
            if tool is UNSET:
                tool = data.tool_name
            if tool is UNSET:
                tools(NO_STRING)
            else:
                found = known_string(tool)
                tools(intern(tool) if found is None else found)
            agent = data.agent_id
            if agent is UNSET:
                agents(NO_STRING)
            else:
                found = known_string(agent)
                agents(intern(agent) if found is None else found)
            if code in _CALL_CODES:
                bits = self._tool_call(code, "" if tool is UNSET else tool, data, row, current,
                                       None)
                flags(bits | FLAG_ERROR_TEXT if data.error is not None else bits)
            else:
                flags(0)
            if code in _PAIRED_CODES:
                meta = data.metadata
                call_id = data.tool_id if meta is None else meta.tool_id
                if call_id:
                    self._call(row, code == _TOOL_START, call_id)
            elif code in _TASK_CODES:
                self._task(code, row, data)
            row += 1
        taken = row - first_row
        if current >= 0:
            self.groups[current].kind_lines += row - group_start
        self.rows = row
        self.current, self.current_sid = current, current_sid
        if taken:
            self.saw_event_line = True
            self.c["lines"].extend(range(first_line, first_line + taken))
        return taken

    def _llm(self, data: _Data, row: int) -> None:
        """Append an llm_response's figures (within NUMBER_CAP: see _Data)."""
        tokens = 0 if data.tokens is UNSET else data.tokens
        output = 0 if data.output_tokens is UNSET else data.output_tokens
        cost = 0.0 if data.cost is UNSET else data.cost
        c = self.c
        c["llm_rows"].append(row)
        c["llm_tokens"].append(tokens)
        c["llm_cost"].append(cost)
        c["llm_input"].append(data.input_tokens)
        c["llm_output"].append(output)
        c["llm_cache_read"].append(data.cache_read_tokens)
        c["llm_cache_write"].append(data.cache_write_tokens)
        c["llm_has_keys"].append(0 if data.tokens is UNSET and data.output_tokens is UNSET else 1)
        model = data.model
        c["llm_models"].append(self._intern(model, MODEL_CHARS) if model else NO_STRING)

    def _task(self, code: int, row: int, data: _Data) -> None:
        tokens_given = data.tokens if data.tokens is not UNSET else data.tokens_used
        cost_given = data.cost if data.cost is not UNSET else data.cost_usd
        if tokens_given is not UNSET or cost_given is not UNSET:
            tokens = 0 if tokens_given is UNSET else tokens_given
            cost = 0.0 if cost_given is UNSET else cost_given
            self.task_spend[row] = (_cap_int(tokens), _cap_float(cost))
        if code == _TASK_FAILED and data.skipped:
            try:
                skipped = _ANY.decode(data.skipped)
            except _TYPED_ERRORS:
                skipped = None
            if isinstance(skipped, list) and skipped:
                self.skipped[row] = len(skipped)

    def _tool_call(self, code: int, tool: str, data: _Data, row: int, group: int,
                   parsed: tuple[Any, Any] | None) -> int:
        """Fingerprint and flags of a tool call (`parsed`: args and result already read)."""
        if parsed is None:
            fingerprint, args, bits, written = self._typed_args(tool, bytes(data.args))
            raw_result = data.result
            # Only a text or an object result can report a failure (see reported_failure).
            result = (_ANY.decode(raw_result) if code == _TOOL_END and raw_result
                      and memoryview(raw_result)[0] in _TEXT_OR_OBJECT else None)
        else:
            args, result = parsed
            fingerprint = hash((tool, _canonical_args(args, row)))
            bits, written = _args_facts(tool, args)
        self.c["call_fp_rows"].append(row)
        self.c["call_fps"].append(fingerprint)
        if code == _TOOL_END and result is not None and toolcalls.reported_failure(
                tool, result, args):
            bits |= FLAG_REPORTED_FAILURE
        # A write that failed (or says it failed) changed nothing.
        if written and code == _TOOL_END and not bits & FLAG_REPORTED_FAILURE:
            bits |= FLAG_FILE_WRITE
            files = self.groups[group].changed_files
            if written in files or len(files) < CHANGED_FILES:
                files[written] = files.get(written, 0) + 1
            else:
                self.groups[group].changed_more += 1
        return bits

    def _typed_args(self, tool: str, raw_args: bytes) -> tuple[int, Any, int, str | None]:
        """Fingerprint, arguments, command flags and written file of a tool call's raw
        arguments, remembered by their bytes: agents make the same calls again and again."""
        key = (tool, raw_args)
        known = _ARGS_SEEN.get(key)
        if known is not None:
            return known
        args = None if not raw_args or raw_args == b"null" else _ANY.decode(raw_args)
        canonical = None if args is None else _SORTED.encode(args)
        known = (hash((tool, canonical)), args, *_args_facts(tool, args))
        if len(raw_args) + len(tool) <= ARGS_SEEN_BYTES:  # long keys are not kept alive
            _ARGS_SEEN.put(key, known)
        return known

    def _call(self, row: int, start: bool, call_id: str) -> None:
        self.c["call_rows"].append(row)
        self.c["call_keys"].append(hash(call_id[:100]))
        self.c["call_starts"].append(1 if start else 0)

    # Texts as written are keys only while they are short: a long one (a tool name of
    # 10,000 quotes) would stay alive as a key, beside its shortened copy.

    def _intern(self, text: str, limit: int = NAME_CHARS) -> int:
        code = self.string_codes.get(text)
        if code is None:
            shown = without_surrogates(bounded(text, limit))
            code = self.string_codes.get(shown)
            if code is None:
                code = len(self.strings)
                self.strings.append(shown)
                self.string_codes[shown] = code
            if len(text) <= limit:
                self.string_codes[text] = code
        return code

    # -- the generic path: any line, read as Attocode reads it -------------------

    def _generic_line(self, text: bytes, line_no: int, complete: bool) -> None:
        try:
            parsed = _ANY.decode(text)
        except _TYPED_ERRORS:
            parsed = self._stdlib_parse(text, line_no, complete)
        if parsed is _NOTHING:
            return
        self.has_content = True
        if not isinstance(parsed, dict):
            self.diagnose("not-object", line_no,
                          f"not a JSON object but {json_type(parsed)}; line skipped")
            return
        if "kind" in parsed:
            self.saw_event_line = True
            held = len(self.held_kinds)
            self._current_line(parsed, line_no)
            if len(self.held_kinds) > held:  # alone: nothing else on its line in that log
                kind = self.held_kinds[-1]
                kind.alone = self.groups[kind.group].log.last_line != line_no
        else:
            if "type" in parsed:
                self.saw_event_line = True
            self._legacy_line(parsed, line_no)

    def _stdlib_parse(self, text: bytes, line_no: int, complete: bool) -> Any:
        """The standard library's reading, as Attocode's: `json.loads(line.strip())`.

        It also accepts NaN, Infinity, lone surrogates and Unicode whitespace around the
        line. Returns _NOTHING (and reports) otherwise.
        """
        try:
            decoded = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            if not complete:
                self.diagnose("cut", line_no, _CUT_SHORT)
            else:
                self.diagnose("utf8", line_no, f"invalid UTF-8 at byte {exc.start}; line skipped")
            return _NOTHING
        decoded = decoded.strip()
        if not decoded:
            self.diagnose("blank", line_no, "blank line skipped")
            return _NOTHING
        try:
            return json.loads(decoded)
        except (ValueError, RecursionError) as exc:
            if not complete:
                self.diagnose("cut", line_no, _CUT_SHORT)
            elif "\x00" in decoded:
                self.diagnose("nul", line_no, "binary junk (NUL bytes), not JSON; line skipped")
            elif not decoded.startswith(("{", "[")):
                self.diagnose("not-json", line_no,
                              f"not JSON: {safe_repr(decoded, 60)}; line skipped")
            elif isinstance(exc, json.JSONDecodeError):
                reason = _JSON_AT.sub("", exc.msg)
                self.diagnose("bad-json", line_no,
                              f"invalid JSON ({reason} at column {exc.colno}); line skipped")
            elif isinstance(exc, RecursionError):
                self.diagnose("deep", line_no, "invalid JSON (nested too deeply); line skipped")
            else:
                self.diagnose("bad-json", line_no,
                              f"unreadable JSON ({bounded(str(exc), 80)}); line skipped")
            return _NOTHING

    def _current_line(self, raw: dict[str, Any], line: int) -> None:
        kind = raw["kind"]
        if not isinstance(kind, str) or not kind:
            self.diagnose("kind", line, f"'kind' is {json_type(kind)}, not a name; line skipped")
            return
        shown_kind = without_surrogates(bounded(kind, KIND_CHARS))
        if "timestamp" not in raw:
            self.diagnose("no-time", line, f"{safe_text(shown_kind, 80)} event has no timestamp; "
                          "line skipped")
            return
        timestamp = _timestamp(raw["timestamp"])
        if timestamp is None:
            self.diagnose("bad-time", line, f"{safe_text(shown_kind, 80)} event has a timestamp "
                          "that is not a time in epoch seconds; line skipped")
            return
        code = self.kind_codes.get(kind)
        if code is None:
            if kind == AGENT_TOOL_KIND:
                code = _TOOL_END
            else:
                code = self._kind_code(shown_kind)
                message = f"unknown kind {safe_repr(kind, 80)}: kept as a custom event"
                if self.first_chunk:
                    self.diagnose("unknown-kind", line, message, "repaired")
                else:
                    self.held_kinds.append(_HeldKind(shown_kind, line, self._unnamed(), message,
                                                     once=kind == shown_kind))
        group = self._select(raw.get("session_id"))
        self.groups[group].kind_lines += 1
        data = raw.get("data")
        if not isinstance(data, dict):
            if data is not None:
                self.diagnose("data", line, f"'data' is {json_type(data)}, not an object; "
                              "ignored", "repaired")
            data = {}
        iteration = raw.get("iteration")
        if iteration is not None:
            iteration = self._iteration(iteration, line)
        parent = raw.get("parent_event_id")
        if parent is not None and not isinstance(parent, str):
            self.diagnose("parent", line, "parent_event_id is not a string; ignored", "repaired")
            parent = None
        top_duration = raw.get("duration_ms")
        event_id = raw.get("event_id")
        if not isinstance(event_id, str) or not event_id or len(event_id) > 64:
            event_id = _event_id(event_id, line)
        self._check_numbers(data, line, ("timestamp", raw["timestamp"]),
                            ("duration_ms", top_duration))
        self._append(code, timestamp, event_id, iteration, parent, top_duration, data, line,
                     group)
        if code == _SESSION_START:
            goal, goal_problem = json_safe(data.get("goal", ""), GOAL_CHARS)
            model, model_problem = json_safe(data.get("model", ""), GOAL_CHARS)
            meta = {}
            for key, value in data.items():
                if key not in ("goal", "model"):
                    meta[without_surrogates(key)] = json_safe(value, 2000)[0]
            for name, problem in (("goal", goal_problem), ("model", model_problem)):
                if problem:
                    self.diagnose("value", line, f"session_start {name} is {problem}: kept as "
                                  "text", "repaired")
            self.groups[group].header = (line, goal, model, meta)
            self.groups[group].start = (line, timestamp)
        elif code == _SESSION_END:
            status = data.get("status")
            self.groups[group].end = (line, timestamp)
            self.groups[group].status = (line, None if status is None
                                         else safe_text(status, STATUS_CHARS))

    def _kind_code(self, name: str) -> int:
        code = self.kind_codes.get(name)
        if code is None:
            code = self.kind_codes[name] = len(self.kind_names)
            self.kind_names.append(name)
        return code

    def _check_numbers(self, data: dict[str, Any], line: int, *top: tuple[str, Any]) -> None:
        """Report values Attocode reads as numbers that are not plain numbers.

        They are read the way Attocode's analyzers read them (`int()` / `float()`, 0 when
        that fails); the diagnostic says what each became.
        """
        if all(_plain(data[k]) for k in data if k in _NUMBER_KEY_SET) and all(
                _plain(v) for _, v in top):
            return
        odd, keys = [], []
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
            odd.append(f"{key} {safe_repr(value, 40)} {shown}")
            keys.append(key)
        if odd:
            self.diagnose("numbers:" + ",".join(keys), line,
                          "values that are not plain numbers (or too large to be real), read as "
                          "Attocode reads them (values beyond 10^15 capped): " + ", ".join(odd),
                          "repaired")

    def _iteration(self, value: Any, line: int) -> int | None:
        if isinstance(value, bool):
            number = None
        elif isinstance(value, int):
            number = value
        elif isinstance(value, float) and value.is_integer():
            number = int(value)
        else:
            number = None
        if number is not None and NO_ITERATION < number <= _INT64_MAX:
            return number
        reason = ("beyond 64 bits" if number is not None
                  else f"{json_type(value)}, not a whole number")
        self.diagnose("iteration", line, f"iteration is {reason}; ignored", "repaired")
        return None

    def _legacy_line(self, raw: dict[str, Any], line: int) -> None:
        evt_type = raw.get("type")
        if evt_type is None:
            self.diagnose("legacy-type", line, "no 'kind' or 'type': kept as a custom event",
                          "repaired")
            evt_type = "custom"
        elif not isinstance(evt_type, str):
            self.diagnose("legacy-type", line, f"'type' is {json_type(evt_type)}: kept as a "
                          "custom event", "repaired")
            evt_type = "custom"
        has_timestamp = "timestamp" in raw
        timestamp = _timestamp(raw.get("timestamp"))
        if timestamp is None:
            reason = "no timestamp" if not has_timestamp else "a timestamp that is not a number"
            self.diagnose("legacy-time", line, f"{safe_text(evt_type, 80)} line has {reason}: "
                          "kept, placed at the start of the timeline", "repaired")
        group = self._unnamed()  # legacy lines never split a file into sessions
        state = self.groups[group]
        if evt_type == "trace.start":
            sid = raw.get("session_id")
            if sid is not None and sid != "" and not isinstance(sid, (dict, list)):
                state.legacy_id = (line, safe_text(sid, SESSION_ID_CHARS))
            state.start = (line, timestamp or 0.0)
            state.legacy_lines += 1
            return
        state.legacy_lines += 1
        if evt_type == "trace.end":
            state.end = (line, timestamp or 0.0)
            return
        kind = LEGACY_TYPE_KINDS.get(evt_type, "custom")
        data = legacy_data(raw)
        self._check_numbers(data, line)
        if timestamp is None:
            self.missing_timestamps += 1
        self._append(self.kind_codes[kind], _NAN if timestamp is None else timestamp,
                     f"line-{line}", None, None, None, data, line, group)

    def _append(self, code: int, timestamp: float, event_id: str, iteration: int | None,
                parent: str | None, top_duration: Any, data: dict[str, Any], line: int,
                group: int) -> None:
        """One row from a generic (dict) event: the same values the typed path computes."""
        c = self.c
        row = self.rows
        # Attocode: `event.duration_ms or data.get("duration_ms")`.
        duration = _optional_float(top_duration or data.get("duration_ms"))
        shown = duration
        if shown is None:
            meta = data.get("metadata")
            if isinstance(meta, dict):
                shown = _optional_float(meta.get("duration_ms"))
        row_groups = self._rows_in(group)
        if row_groups is not None:
            row_groups.append(group)
        c["kinds"].append(code)
        c["timestamps"].append(timestamp)
        c["iterations"].append(NO_ITERATION if iteration is None else iteration)
        c["lines"].append(line)
        c["durations"].append(_NAN if duration is None else duration)
        if shown is not duration or "display" in c:
            self._display(row).append(_NAN if shown is None else shown)
        c["ids"].append(hash(event_id))
        if parent is not None:
            c["parent_rows"].append(row)
            c["parent_keys"].append(hash(parent))
        if code == _LLM_RESPONSE:
            model = data.get("model")
            c["llm_rows"].append(row)
            c["llm_tokens"].append(safe_int(data.get("tokens")))
            c["llm_cost"].append(safe_float(data.get("cost")))
            c["llm_input"].append(safe_int(data.get("input_tokens")))
            c["llm_output"].append(safe_int(data.get("output_tokens")))
            c["llm_cache_read"].append(safe_int(data.get("cache_read_tokens")))
            c["llm_cache_write"].append(safe_int(data.get("cache_write_tokens")))
            c["llm_has_keys"].append(1 if "output_tokens" in data or "tokens" in data else 0)
            c["llm_models"].append(self._intern(safe_text(model, MODEL_CHARS), MODEL_CHARS)
                                   if model else NO_STRING)
        elif code in _TASK_CODES and any(k in data for k in _TASK_SPEND_KEYS):
            tokens = data["tokens"] if "tokens" in data else data.get("tokens_used")
            cost = data["cost"] if "cost" in data else data.get("cost_usd")
            self.task_spend[row] = (safe_int(tokens), safe_float(cost))
        if code == _TASK_FAILED:
            skipped = data.get("skipped", [])
            if isinstance(skipped, list) and skipped:
                self.skipped[row] = len(skipped)
        tool = None
        if "tool" in data or "tool_name" in data:
            tool = data["tool"] if "tool" in data else data["tool_name"]
            c["tools"].append(self._intern(_tool_text(tool)))
        else:
            c["tools"].append(NO_STRING)
        c["agents"].append(self._intern(_tool_text(data["agent_id"])) if "agent_id" in data
                           else NO_STRING)
        if code in _CALL_CODES:
            fp_tool = data.get("tool", data.get("tool_name", ""))
            bits = self._tool_call(code, _tool_text(fp_tool), _NO_DATA, row, group,
                                   (data.get("args"), data.get("result")))
            c["flags"].append(bits | FLAG_ERROR_TEXT if data.get("error") is not None else bits)
        else:
            c["flags"].append(0)
        if code in _PAIRED_CODES:
            meta = data.get("metadata")
            call_id = meta.get("tool_id") if isinstance(meta, dict) else data.get("tool_id")
            if isinstance(call_id, str) and call_id:
                self._call(row, code == _TOOL_START, call_id)
        self.rows = row + 1

    # -- result -------------------------------------------------------------------

    def result(self) -> _Chunk:
        first = None
        for found in chain((group.log.first() for group in self.groups),
                           ((held.line, held.message) for held in self.held_kinds[:1])):
            if found is not None and (first is None or found < first):
                first = found
        return _Chunk(self.lines_read, self.c, self.strings, self.kind_names, self.task_spend,
                      self.skipped, self.groups, self.row_groups, self.single_group, self.current,
                      (self.ck_lines, self.ck_offsets), self.saw_event_line,
                      self.missing_timestamps, first, self.has_lines, self.has_content,
                      held_kinds=self.held_kinds)


def _event_id(value: Any, line: int) -> str:
    if value is None or value == "":
        return f"line-{line}"
    return bounded(safe_text(value, 200), 64)


_NEWLINES = re.compile(rb"\r\n|\r|\n")


_BLANK_RUN = re.compile(rb"(?:^[ \t\r]*\n)+", re.MULTILINE)
_EVENT_AT = re.compile(r"at `\$\[(\d+)\]")
_BYTE_AT = re.compile(r"\(byte (\d+)\)")


def _refused_line(block: bytes, error: Exception) -> tuple[int, int] | None:
    """(start, end) in `block` of the line the typed decoder refused (end after its newline):
    the first line that does not decode alone, found from where the error says it is. None
    when it cannot be told; the caller then reads the block line by line.

    The decoder skips blank lines, so the event index of a refused value is the count of the
    non-blank lines before it; and a line cut short runs into the next line, so the byte
    offset of malformed JSON can lie a line or two after the line that began the value."""
    message = str(error)
    found = _EVENT_AT.search(message)
    if found is not None:
        nonblank = (a for a, b in _line_spans(block) if block[a:b].strip())
        start = next(islice(nonblank, int(found.group(1)), None), None)
        return None if start is None else _refused_at(block, start)
    found = _BYTE_AT.search(message)
    if found is None:
        return None
    at = int(found.group(1))
    candidates = [block.rfind(b"\n", 0, at) + 1]  # its line, and the two before it
    while len(candidates) < 3 and candidates[-1] > 0:
        candidates.append(block.rfind(b"\n", 0, candidates[-1] - 1) + 1)
    for start in reversed(candidates):  # the earliest that does not decode alone
        span = _refused_at(block, start)
        if span is not None:
            return span
    return None


def _refused_at(block: bytes, start: int) -> tuple[int, int] | None:
    """The span of the line starting at `start` if it is not blank and does not decode."""
    end = block.find(b"\n", start) + 1 or len(block)
    line = block[start:end]
    if not line.strip():
        return None
    try:
        _EVENTS.decode(line)
    except _TYPED_ERRORS:
        return start, end
    return None


def _line_spans(block: bytes) -> Iterator[tuple[int, int]]:
    """(start, end) of each line, its end included; lone CRs end lines too, as in Python's
    text mode (and so in Attocode's loader). Nothing is kept per line."""
    size = len(block)
    position = 0
    if b"\r" not in block:
        find = block.find
        while position < size:
            end = find(b"\n", position) + 1 or size
            yield position, end
            position = end
        return
    for match in _NEWLINES.finditer(block):
        yield position, match.end()
        position = match.end()
    if position < size:
        yield position, size


# ---------------------------------------------------------------------------
# Coercion helpers: the way Attocode's analyzers coerce values.
# ---------------------------------------------------------------------------


def safe_int(value: Any) -> int:
    """`int(value)` as Attocode's `safe_int` (0 when missing or not convertible), capped."""
    if value is None:
        return 0
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return 0
    return _cap_int(number)


def _cap_int(number: int) -> int:
    return number if -NUMBER_CAP <= number <= NUMBER_CAP else (
        NUMBER_CAP if number > 0 else -NUMBER_CAP)


def safe_float(value: Any) -> float:
    """`float(value)` as Attocode's `safe_float` (0.0 when missing or not convertible), but
    also 0.0 when not finite; capped."""
    number = _finite_float(value, bools=True)
    return 0.0 if number is None else _cap_float(number)


def _optional_float(value: Any) -> float | None:
    """A duration: `float(value)` capped, or None when missing, not a number or not finite."""
    number = _finite_float(value, bools=False)
    return None if number is None else _cap_float(number)


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


def _cap_float(number: float) -> float:
    return number if -NUMBER_CAP <= number <= NUMBER_CAP else math.copysign(NUMBER_CAP, number)


def _plain(value: Any) -> bool:
    """None, or an int or float of believable size."""
    if value is None:
        return True
    cls = value.__class__
    return (cls is int or cls is float) and -NUMBER_CAP <= value <= NUMBER_CAP


def _fingerprint(tool: str, args: Any) -> int:
    """Key of Attocode's `tool:json.dumps(args, sort_keys=True)` fingerprint (for tests)."""
    return hash((tool, _canonical_args(args, -1)))


# ---------------------------------------------------------------------------
# Joining parts, splitting sessions
# ---------------------------------------------------------------------------


def _finish(trace: TraceInput, chunks: list[_Chunk], lines: _Lines,
            redactor: Redactor | None) -> list[Session]:
    """Sessions from the parsed parts of one input, in file order."""
    whole = _join(chunks) if len(chunks) > 1 else chunks[0]
    lines.checkpoints = whole.checkpoints
    if not whole.saw_event_line:
        document = _looks_like_one_document(lines)
        if whole.has_content or document:
            raise AttoreportError(_not_a_trace(trace, document))
        if whole.first_problem is None:
            raise AttoreportError(f"{trace.source}: no trace events found (the file is empty)")
        line, message = whole.first_problem
        raise AttoreportError(f"{trace.source}: no trace events found (line {line}: {message})")
    named = [i for i, g in enumerate(whole.groups) if g.key is not None]
    unnamed = next((i for i, g in enumerate(whole.groups) if g.key is None), None)
    rows_of = _rows_by_group(whole)
    shared = _Shared.of(whole, rows_of is not None, redactor)
    if len(named) <= 1:
        parts = ([unnamed] if unnamed is not None else []) + named
        plan = [(parts, False)]
    else:
        # Lines before the first session id belong to the first session.
        first = [unnamed, named[0]] if unnamed is not None else [named[0]]
        plan = [(first, True)] + [([i], True) for i in named[1:]]
    if whole.rows >= NUMPY_ROWS and len(plan) > 1:
        # A file this large pays for numpy's import (about 0.1 s): the analysis then reads
        # each of its sessions through numpy from a few thousand rows on (columns.numpy_for).
        _numpy()
    sessions = []
    for group_indexes, split in plan:
        rows = _merged_rows(group_indexes, rows_of, whole)
        if rows is not None and len(rows) == 0:
            continue
        session = _session(trace, whole, group_indexes, rows, split, lines, redactor, shared)
        sessions.append(session)
    if not sessions:
        detail = ""
        if whole.first_problem is not None:
            line, message = whole.first_problem
            detail = f" (line {line}: {message})"
        raise AttoreportError(f"{trace.source}: no trace events found{detail}")
    return sessions


def _not_a_trace(trace: TraceInput, document: bool) -> str:
    message = (f'{trace.source}: not an Attocode trace: no line has a "kind" or "type"; '
               "expected JSON Lines, one event per line")
    if document:
        message += (" (this looks like a single JSON document spread over several lines; "
                    "an Attocode trace has one JSON object per line)")
    return message


def _looks_like_one_document(lines: _Lines) -> bool:
    """A pretty-printed JSON document: its first line opens an object or array alone."""
    head = lines.head(4096).removeprefix(b"\xef\xbb\xbf").lstrip()
    first = head.split(b"\n", 1)[0].strip()
    return first in (b"{", b"[") or (first.startswith(b"[") and first.endswith(b"]"))


def _rows_by_group(whole: _Chunk) -> dict[int, array] | None:
    """Rows of each group when there are several (None: every row is in the one group)."""
    if whole.row_groups is None or len(whole.groups) < 2:
        return None
    rows: dict[int, array] = {}
    for row, group in enumerate(whole.row_groups):
        found = rows.get(group)
        if found is None:
            found = rows[group] = array("q")
        found.append(row)
    return rows


@dataclass(frozen=True, slots=True)
class _Shared:
    """What the sessions of one part share, made once: the names (redacted once, one list
    for all sessions) and, when the part holds several sessions, where each session's
    entries are in the columns that list only some rows. Splitting a file of many sessions
    so costs time and memory in proportion to its rows, not to rows × sessions."""

    strings: list[str]
    kind_names: list[str]
    #: Row column ("llm_rows", ...) or table ("task_spend", ...) -> group -> its positions
    #: in the column (its rows, for a table), in file order.
    positions: dict[str, dict[int, list[int]]]

    @staticmethod
    def of(whole: _Chunk, several: bool, redactor: Redactor | None) -> _Shared:
        strings, kind_names = whole.strings, whole.kind_names
        if redactor is not None:
            text = redactor.text
            strings = [text(s) for s in strings]
            kind_names = kind_names[:len(KIND_ORDER)] + [
                text(k) for k in kind_names[len(KIND_ORDER):]]
        positions: dict[str, dict[int, list[int]]] = {}
        if several and whole.row_groups is not None:
            groups = whole.row_groups
            for name in _ROW_COLUMNS:
                found = positions[name] = {}
                for i, row in enumerate(whole.columns[name]):
                    found.setdefault(groups[row], []).append(i)
            for name, table in (("task_spend", whole.task_spend), ("skipped", whole.skipped)):
                found = positions[name] = {}
                for row in table:
                    found.setdefault(groups[row], []).append(row)
        return _Shared(strings, kind_names, positions)

    def of_groups(self, name: str, groups: list[int]) -> list[int]:
        """Positions in `name` of the entries of these groups, in file order."""
        table = self.positions[name]
        if len(groups) == 1:
            return table.get(groups[0], [])
        return sorted(i for g in groups for i in table.get(g, ()))


def _merged_rows(groups: list[int], rows_of: dict[int, array] | None,
                 whole: _Chunk) -> array | None:
    """The rows of these groups in file order (None: every row of the part)."""
    if rows_of is None:
        return None if whole.single_group in groups else array("q")
    if len(set(groups)) >= len(whole.groups):  # group indexes are 0..len-1
        return None
    if len(groups) == 1:
        return rows_of.get(groups[0], array("q"))
    return array("q", sorted(row for g in groups for row in rows_of.get(g, ())))


def _session(trace: TraceInput, whole: _Chunk, group_indexes: list[int], rows: array | None,
             split: bool, lines: _Lines, redactor: Redactor | None,
             shared: _Shared) -> Session:
    states = [whole.groups[i] for i in group_indexes]
    merged = _merge_states(states)
    table = _table(whole, rows, group_indexes, shared)
    text = redactor.text if redactor is not None else None
    session_id = trace.stem
    if split and merged.key is not None and isinstance(merged.key, str):
        session_id = without_surrogates(bounded(merged.key, SESSION_ID_CHARS))
    elif merged.legacy_id is not None:
        session_id = merged.legacy_id[1]
    if text is not None:
        session_id = text(session_id)
    session = Session(session_id=session_id, source=trace.source, table=table,
                      diagnostics=merged.log.entries(trace.source, text),
                      damaged_lines=merged.log.damaged_lines, detail_source=lines)
    lines.redactor = redactor
    if merged.header is not None:
        _, goal, model, metadata = merged.header
        if redactor is not None:
            goal, model = redactor.value(goal), redactor.value(model)
            metadata = {k: redactor.value(v) for k, v in metadata.items()}
        session.goal, session.model, session.metadata = goal, model, metadata
    if merged.start is not None:
        session.start_time = merged.start[1]
    if merged.end is not None:
        session.end_time = merged.end[1]
    if merged.status is not None:
        status = merged.status[1]
        session.end_status = text(status) if text is not None and status is not None else status
    if merged.kind_lines and merged.legacy_lines:
        session.line_format = "mixed"
    elif merged.legacy_lines:
        session.line_format = "legacy"
    files = merged.changed_files
    if text is not None:
        files = {text(path): n for path, n in files.items()}
    session.changed_files, session.changed_files_more = files, merged.changed_more
    return session


def _merge_states(states: list[_GroupState]) -> _GroupState:
    """The unnamed group (lines before the first session id, all earlier in the file) and
    the first named group, as one."""
    if len(states) == 1:
        return states[0]
    merged = _GroupState(next((s.key for s in states if s.key is not None), None))
    for state in states:
        merged.log.extend(state.log)
        merged.kind_lines += state.kind_lines
        merged.legacy_lines += state.legacy_lines
        merged.changed_more += state.changed_more
        for path, n in state.changed_files.items():
            if path in merged.changed_files or len(merged.changed_files) < CHANGED_FILES:
                merged.changed_files[path] = merged.changed_files.get(path, 0) + n
            else:
                merged.changed_more += n
        for name in ("start", "header", "end", "legacy_id", "status"):
            mine, theirs = getattr(merged, name), getattr(state, name)
            if theirs is not None and (mine is None or theirs[0] > mine[0]):
                setattr(merged, name, theirs)
    return merged


def _join(chunks: list[_Chunk]) -> _Chunk:
    """Consecutive byte ranges of one file as one part (exactly as one pass would build it).

    First the tables (groups, strings, kinds, diagnostics) are joined, part by part; then
    each column, one at a time, so that at most one column of one part is held beside the
    joined columns."""
    head = chunks[0]
    strings = list(head.strings)
    string_codes = {s: i for i, s in enumerate(strings)}
    kind_names = list(head.kind_names)
    kind_codes = {k: i for i, k in enumerate(kind_names)}
    task_spend, skipped = dict(head.task_spend), dict(head.skipped)
    groups = list(head.groups)
    group_index = {g.key: i for i, g in enumerate(groups)}
    current = head.current
    # Each part's rows as (group of every row) or (one group, number of rows).
    row_parts: list[Any] = [_row_part(head, list(range(len(head.groups))))]
    ck_lines, ck_offsets = array("q", head.checkpoints[0]), array("q", head.checkpoints[1])
    lines_read = head.lines_read
    rows = head.rows
    saw, missing = head.saw_event_line, head.missing_timestamps
    first_problem, has_lines = head.first_problem, head.has_lines
    has_content = head.has_content
    #: How each later part's column values change: (string map, kind map, rows, lines).
    shifts: list[tuple[list[int] | None, list[int] | None, int, int]] = []
    for chunk in chunks[1:]:
        line_shift = lines_read
        # Unknown kinds an earlier part did not have are reported where this part has them.
        known_kinds = set(kind_names)
        for held in chunk.held_kinds:
            if not (held.once and held.name in known_kinds):
                chunk.groups[held.group].log.insert("unknown-kind", held.line, held.message,
                                                    "repaired", held.alone)
        # Groups: the part's first group continues whatever group was current.
        mapping = []
        for state in chunk.groups:
            _shift_state(state, line_shift)
            key = state.key
            if key == _INHERIT:
                if current >= 0:
                    _absorb(groups[current], state)
                    mapping.append(current)
                    continue
                key = state.key = None
            index = group_index.get(key)
            if index is None:
                index = group_index[key] = len(groups)
                groups.append(state)
            else:
                _absorb(groups[index], state)
            mapping.append(index)
        row_parts.append(_row_part(chunk, mapping))
        if chunk.current >= 0:
            current = mapping[chunk.current]
        # Strings and kinds: the part's codes mapped to the joined tables.
        string_map = []
        for s in chunk.strings:
            code = string_codes.get(s)
            if code is None:
                code = string_codes[s] = len(strings)
                strings.append(s)
            string_map.append(code)
        string_map.append(NO_STRING)  # index -1
        kind_map = []
        for k in chunk.kind_names:
            code = kind_codes.get(k)
            if code is None:
                code = kind_codes[k] = len(kind_names)
                kind_names.append(k)
            kind_map.append(code)
        shifts.append((None if string_map == [*range(len(chunk.strings)), NO_STRING]
                       else string_map,
                       None if kind_map == list(range(len(chunk.kind_names))) else kind_map,
                       rows, line_shift))
        task_spend.update((row + rows, v) for row, v in chunk.task_spend.items())
        skipped.update((row + rows, v) for row, v in chunk.skipped.items())
        ck_lines.extend(line + line_shift for line in chunk.checkpoints[0])
        ck_offsets.extend(chunk.checkpoints[1])
        rows += chunk.rows
        lines_read += chunk.lines_read
        saw = saw or chunk.saw_event_line
        missing += chunk.missing_timestamps
        has_lines = has_lines or chunk.has_lines
        has_content = has_content or chunk.has_content
        if first_problem is None and chunk.first_problem is not None:
            first_problem = (chunk.first_problem[0] + line_shift, chunk.first_problem[1])
    np = _numpy() if rows >= NUMPY_ROWS else None
    columns = {name: _joined_column(name, chunks, shifts, np) for name in _joined_names(chunks)}
    for chunk in chunks:
        chunk.columns = {}
        if chunk.spilled is not None:
            os.unlink(chunk.spilled[0])
            chunk.spilled = None
    row_groups, single = _row_groups(row_parts)
    return _Chunk(lines_read, columns, strings, kind_names, task_spend, skipped, groups,
                  row_groups, single, current, (ck_lines, ck_offsets), saw, missing,
                  first_problem, has_lines, has_content)


def _joined_names(chunks: list[_Chunk]) -> list[str]:
    """The columns of the joined part (a display column when any part has one)."""
    names = list(chunks[0].column_names())
    if "display" not in names and any("display" in c.column_names() for c in chunks):
        names.append("display")
    return names


def _joined_column(name: str, chunks: list[_Chunk],
                   shifts: list[tuple[list[int] | None, list[int] | None, int, int]],
                   np: Any = None) -> array:
    """One column of the joined parts: each later part's codes mapped, rows and lines
    shifted (with `np`, numpy, as whole-column operations). A part without a display
    column shows its durations."""

    def part(chunk: _Chunk) -> array:
        if name == "display" and "display" not in chunk.column_names():
            return array("d", chunk.column("durations"))  # a copy: the joined one grows
        return chunk.column(name)

    joined = part(chunks[0])  # a part's own columns are ours: extended in place
    for chunk, (string_map, kind_map, rows, line_shift) in zip(chunks[1:], shifts, strict=True):
        col = part(chunk)
        code_map = (string_map if name in _STRING_COLUMNS else
                    kind_map if name == "kinds" else None)
        shift = rows if name in _ROW_COLUMNS else line_shift if name == "lines" else 0
        if code_map is not None:  # a code of -1 (no string) maps to the map's last entry
            col = (_mapped(np, col, code_map) if np is not None and col
                   else array(col.typecode, map(code_map.__getitem__, col)))
        elif shift:
            col = (_mapped(np, col, None, shift) if np is not None and col
                   else array(col.typecode, map(shift.__add__, col)))
        joined.extend(col)
    return joined


_NUMPY_TYPES = {"q": "int64", "i": "int32", "H": "uint16"}


def _mapped(np: Any, column: array, code_map: list[int] | None, shift: int = 0) -> array:
    """`column`'s values through `code_map` (or plus `shift`), by numpy."""
    values = np.frombuffer(column, dtype=_NUMPY_TYPES[column.typecode])
    values = (values + shift if code_map is None
              else np.asarray(code_map, dtype=values.dtype)[values])
    out = array(column.typecode)
    out.frombytes(values.tobytes())
    return out


def _numpy() -> Any:
    import numpy

    return numpy


def _row_part(chunk: _Chunk, mapping: list[int]) -> Any:
    size = chunk.rows
    if chunk.row_groups is not None:
        return [mapping[g] for g in chunk.row_groups]
    return (mapping[chunk.single_group] if chunk.single_group >= 0 else -1, size)


def _row_groups(parts: list[Any]) -> tuple[array | None, int]:
    """The joined group column (None when every row is in one group), and that group."""
    seen = set()
    for part in parts:
        if isinstance(part, tuple):
            if part[1]:
                seen.add(part[0])
        else:
            seen.update(part)
    if len(seen) <= 1:
        return None, next(iter(seen), -1)
    out = array("I")
    for part in parts:
        if not isinstance(part, tuple):
            out.extend(part)
        elif part[1]:  # a part without rows may have no group (-1)
            out.extend(array("I", [part[0]]) * part[1])
    return out, -1


def _shift_state(state: _GroupState, shift: int) -> None:
    """Line numbers of a later part's group, made absolute."""
    if not shift:
        return
    for name in ("start", "header", "end", "legacy_id", "status"):
        value = getattr(state, name)
        if value is not None:
            setattr(state, name, (value[0] + shift, *value[1:]))
    log = state.log
    for group in log.groups.values():
        group.kept = [(line + shift, m, a) for line, m, a in group.kept]
        if group.more:
            group.first_more += shift
            group.last_more += shift
    if log.damaged_lines:
        log.first_line += shift
        log.last_line += shift


def _absorb(target: _GroupState, later: _GroupState) -> None:
    """A later part's rows of the same group."""
    target.log.extend(later.log)
    target.kind_lines += later.kind_lines
    target.legacy_lines += later.legacy_lines
    target.changed_more += later.changed_more
    for path, n in later.changed_files.items():
        if path in target.changed_files or len(target.changed_files) < CHANGED_FILES:
            target.changed_files[path] = target.changed_files.get(path, 0) + n
        else:
            target.changed_more += n
    for name in ("start", "header", "end", "legacy_id", "status"):
        if getattr(later, name) is not None:
            setattr(target, name, getattr(later, name))


def _table(whole: _Chunk, rows: array | None, groups: list[int],
           shared: _Shared) -> EventTable:
    """The EventTable of a session: all rows of the part, or the given ones (those of
    `groups`). The sessions of a part share its lists of names."""
    c = whole.columns
    if rows is not None:
        return _subtable(whole, rows, groups, shared)
    llm = LlmColumns(c["llm_rows"], c["llm_tokens"], c["llm_cost"], c["llm_input"],
                     c["llm_output"], c["llm_cache_read"], c["llm_cache_write"],
                     c["llm_has_keys"], c["llm_models"])
    parents = _parents(c["ids"], c["parent_rows"], c["parent_keys"], c["call_rows"],
                       c["call_keys"], c["call_starts"], len(c["kinds"]))
    return EventTable(
        kind_names=shared.kind_names, kinds=c["kinds"], timestamps=c["timestamps"],
        iterations=c["iterations"], lines=c["lines"], durations=c["durations"],
        display_durations=c.get("display", c["durations"]), parents=parents, agents=c["agents"],
        tools=c["tools"], strings=shared.strings, llm=llm,
        task_spend=dict(whole.task_spend), flags=c["flags"],
        tool_calls=ToolCallColumns(c["call_fp_rows"], c["call_fps"]),
        skipped_tasks=dict(whole.skipped),
        missing_timestamps=sum(1 for t in c["timestamps"] if t != t)
        if whole.missing_timestamps else 0)


def _subtable(whole: _Chunk, rows: array, groups: list[int], shared: _Shared) -> EventTable:
    """Rows of one session of a file that holds several (renumbered from 0): the rows of
    `groups`."""
    c = whole.columns
    renumber: Callable[[int], int]
    if _consecutive(rows):  # the usual case: a session's lines are not interleaved
        renumber = (rows[0] if rows else 0).__rsub__  # row - first row
    else:
        renumber = {old: new for new, old in enumerate(rows)}.__getitem__

    pick = _picker(rows)

    def take(name: str) -> array:
        return pick(c[name])

    def sparse(row_name: str, *names: str) -> tuple[array, ...]:
        pick_kept = _picker(shared.of_groups(row_name, groups))
        return (array("q", map(renumber, pick_kept(c[row_name]))),
                *(pick_kept(c[n]) for n in names))

    llm_parts = sparse("llm_rows", "llm_tokens", "llm_cost", "llm_input", "llm_output",
                       "llm_cache_read", "llm_cache_write", "llm_has_keys", "llm_models")
    parent_rows, parent_keys = sparse("parent_rows", "parent_keys")
    call_rows, call_keys, call_starts = sparse("call_rows", "call_keys", "call_starts")
    fp_rows, fps = sparse("call_fp_rows", "call_fps")
    ids = take("ids")
    durations = take("durations")
    kinds = take("kinds")
    timestamps = take("timestamps")
    return EventTable(
        kind_names=shared.kind_names, kinds=kinds, timestamps=timestamps,
        iterations=take("iterations"), lines=take("lines"), durations=durations,
        display_durations=take("display") if "display" in c else durations,
        parents=_parents(ids, parent_rows, parent_keys, call_rows, call_keys, call_starts,
                         len(rows)),
        agents=take("agents"), tools=take("tools"), strings=shared.strings,
        llm=LlmColumns(*llm_parts), flags=take("flags"),
        task_spend={renumber(r): whole.task_spend[r]
                    for r in shared.of_groups("task_spend", groups)},
        skipped_tasks={renumber(r): whole.skipped[r]
                       for r in shared.of_groups("skipped", groups)},
        tool_calls=ToolCallColumns(fp_rows, fps),
        missing_timestamps=sum(1 for t in timestamps if t != t))


def _consecutive(positions: Sequence[int]) -> bool:
    """Whether ascending distinct positions have no gap."""
    return not positions or positions[-1] - positions[0] + 1 == len(positions)


def _picker(positions: Sequence[int]) -> Callable[[array], array]:
    """A function giving a column's values at these ascending positions: a slice when they
    have no gap (a file of 80,000 one-event sessions calls it 400,000 times)."""
    if _consecutive(positions):
        return itemgetter(slice(positions[0], positions[-1] + 1) if positions else slice(0, 0))
    return lambda column: array(column.typecode, map(column.__getitem__, positions))


def _parents(ids: array, parent_rows: array, parent_keys: array, call_rows: array,
             call_keys: array, call_starts: array, size: int) -> array:
    """Row of each row's parent: its `parent_event_id` if that event came earlier, else (a
    tool call's end) the open `tool_start` with the same tool-call id."""
    parents = array("q", [NO_ROW]) * size
    if parent_rows and size >= NUMPY_ROWS:
        _named_parents_numpy(ids, parent_rows, parent_keys, parents)
    elif parent_rows:
        wanted = set(parent_keys)
        # Rows whose id some event names as its parent, found at C speed; the first row
        # of each id wins (later writes of a reversed walk).
        named = list(compress(range(len(ids)), map(wanted.__contains__, ids)))
        named.reverse()
        first = dict(zip(map(ids.__getitem__, named), named, strict=True))
        found = list(map(first.get, parent_keys, repeat(size)))  # size: not found
        for row, parent in compress(zip(parent_rows, found, strict=True),
                                    map(lt, found, parent_rows)):
            parents[row] = parent
    if call_rows:
        open_calls: dict[int, int] = {}
        for row, key, start in zip(call_rows, call_keys, call_starts, strict=True):
            if start:
                open_calls[key] = row
            elif parents[row] == NO_ROW:
                parents[row] = open_calls.pop(key, NO_ROW)
    return parents


#: Files with this many rows use numpy in the loader (same results): to find parents, to join
#: the byte ranges of a file; and a file of several sessions imports it for their analysis.
NUMPY_ROWS = 200_000


def _named_parents_numpy(ids: array, parent_rows: array, parent_keys: array,
                         parents: array) -> None:
    """`_parents`'s first step with whole-column operations: each row that names a parent
    gets the first row with that id, when that row came earlier."""
    import numpy as np

    id_view = np.frombuffer(ids, dtype=np.int64)
    keys = np.frombuffer(parent_keys, dtype=np.int64)
    rows = np.frombuffer(parent_rows, dtype=np.int64)
    # Rows whose id is named as a parent: looked up among the sorted names (less memory
    # than np.isin, which sorts the ids and the names together).
    names = np.unique(keys)
    # Most ids are nobody's parent: a table of the names' low bits rules them out first, far
    # cheaper than a binary search among the names for every id (1M events: 0.12 -> 0.03 s).
    mask = (1 << max(16, (8 * len(names)).bit_length())) - 1
    low_bits = np.zeros(mask + 1, dtype=bool)
    low_bits[names & mask] = True
    maybe = np.flatnonzero(low_bits[id_view & mask])
    del low_bits
    candidates = id_view[maybe]
    at = np.searchsorted(names, candidates)
    np.minimum(at, len(names) - 1, out=at)
    named = maybe[names[at] == candidates]
    del at, maybe, candidates
    known, first = np.unique(id_view[named], return_index=True)
    if not len(known):
        return
    at = np.minimum(np.searchsorted(known, keys), len(known) - 1)
    found = np.where(known[at] == keys, named[first[at]], np.iinfo(np.int64).max)
    earlier = found < rows
    out = np.frombuffer(parents, dtype=np.int64)
    out[rows[earlier]] = found[earlier]


# ---------------------------------------------------------------------------
# Reading rows again: `Session.details`
# ---------------------------------------------------------------------------


class _Lines(DetailSource):
    """Where a session's lines can be read again: a file (seek), a gzip file (one pass), or
    the spool of standard input."""

    def __init__(self, path: Path | None = None, spool: IO[bytes] | None = None,
                 gzip: bool = False) -> None:
        self.path, self.spool, self.gzip = path, spool, gzip
        self.checkpoints: tuple[array, array] = (array("q"), array("q"))
        self.redactor: Redactor | None = None
        #: Details already read, per table (the sessions of one file share this source):
        #: the HTML and the JSON ask for some of the same rows.
        #: And the error texts of those rows that have one (the export asks for them).
        self._known: dict[int, tuple[EventTable, dict[int, EventDetail], dict[int, str]]] = {}

    def head(self, size: int) -> bytes:
        try:
            with self._open() as fh:
                return fh.read(size)
        except (OSError, EOFError, zlib.error):
            return b""

    def _open(self) -> Any:
        if self.spool is not None:
            self.spool.seek(0)
            raw: Any = _Unclosed(self.spool)
        else:
            assert self.path is not None
            raw = self.path.open("rb")
        return gzip.GzipFile(fileobj=raw, mode="rb") if self.gzip else raw

    def read_lines(self, wanted: Sequence[int]) -> dict[int, bytes]:
        """The lines with these numbers (sorted), without their ends; long ones left out."""
        found: dict[int, bytes] = {}
        if not wanted:
            return found
        ck_lines, ck_offsets = self.checkpoints
        try:
            with self._open() as fh:
                if self.gzip or not ck_lines:
                    _scan(fh, 1, wanted, found)
                    return found
                index = 0
                while index < len(wanted):
                    at = bisect_right(ck_lines, wanted[index]) - 1
                    fh.seek(ck_offsets[at] if at >= 0 else 0)
                    line = ck_lines[at] if at >= 0 else 1
                    limit = ck_lines[at + 1] if at + 1 < len(ck_lines) else None
                    batch = []
                    while index < len(wanted) and (limit is None or wanted[index] < limit):
                        batch.append(wanted[index])
                        index += 1
                    _scan(fh, line, batch, found)
        except (OSError, EOFError, zlib.error):
            pass
        return found

    def details(self, table: EventTable, rows: Sequence[int]) -> dict[int, EventDetail]:
        entry = self._known.get(id(table))
        if entry is None or entry[0] is not table:
            entry = self._known[id(table)] = (table, {}, {})
        _, known, errors = entry
        missing = [row for row in rows if row not in known]
        if len(known) + len(missing) > DETAIL_CACHE_ROWS:  # all of a large trace: not kept
            known, errors = {row: known[row] for row in rows if row in known}, {}
        if missing:
            line_numbers = sorted({table.lines[row] for row in missing})
            texts = self.read_lines(line_numbers)
            redacted: dict[str, str] = {}
            for row in missing:
                data = _line_data(texts.get(table.lines[row]))
                known[row] = _detail(table, row, data, self.redactor)
                error = _error_text(data)  # kept for `errors`: the export asks for them too
                if error is not None:
                    errors[row] = self._redacted(error, redacted)
        return {row: known[row] for row in rows}

    def errors(self, table: EventTable, rows: Sequence[int]) -> dict[int, str]:
        found: dict[int, str] = {}
        entry = self._known.get(id(table))
        if entry is not None and entry[0] is table:  # rows whose details were read: known
            _, read, known = entry
            found = {row: known[row] for row in rows if row in known}
            rows = [row for row in rows if row not in read]
        redacted: dict[str, str] = {}
        for at in range(0, len(rows), ERROR_BATCH_ROWS):
            batch = rows[at:at + ERROR_BATCH_ROWS]
            lines = self.read_lines(sorted({table.lines[row] for row in batch}))
            for row in batch:
                error = _error_text(_line_data(lines.get(table.lines[row])))
                if error is not None:
                    found[row] = self._redacted(error, redacted)
        return found

    def _redacted(self, error: str, done: dict[str, str]) -> str:
        """`error` redacted (errors repeat: `done` keeps each text redacted once)."""
        if self.redactor is None:
            return error
        if error not in done:
            done[error] = self.redactor.text(error)
        return done[error]


class _Unclosed:
    """A file object whose close() leaves the underlying spool open."""

    def __init__(self, fh: IO[bytes]) -> None:
        self._fh = fh

    def __getattr__(self, name: str) -> Any:
        return getattr(self._fh, name)

    def __enter__(self) -> _Unclosed:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def close(self) -> None:
        pass


def _scan(fh: Any, line: int, wanted: Sequence[int], found: dict[int, bytes]) -> None:
    """Read from line `line` on and keep the wanted lines (universal newlines).

    The lines in between are skipped by finding their ends, not split apart; a piece of
    the file with a carriage return is split as text mode splits it (CR, LF, CRLF)."""
    targets = iter(wanted)
    target = next(targets, None)
    carry = b""
    while target is not None:
        data = fh.read(SCAN_BYTES)
        if not data:
            if carry and line == target:
                found[line] = carry
            return
        data = carry + data
        if data.endswith(b"\r"):
            data += fh.read(1)
        carry = b""
        if b"\r" in data:
            line, target, carry = _scan_pieces(data.splitlines(keepends=True), line, target,
                                              targets, found)
            continue
        position = 0
        find = data.find
        while target is not None:
            end = find(b"\n", position)
            if end < 0:  # the rest of this line is in the next read
                carry = data[position:]
                if len(carry) > DETAIL_LINE_BYTES + 1:
                    carry = carry[: DETAIL_LINE_BYTES + 1] if line == target else b""
                break
            if line == target:
                found[line] = data[position:end]
                target = next(targets, None)
            position = end + 1
            line += 1


def _scan_pieces(pieces: list[bytes], line: int, target: int | None, targets: Iterator[int],
                 found: dict[int, bytes]) -> tuple[int, int | None, bytes]:
    """`_scan` over lines split apart: (next line, next target, unfinished last piece)."""
    carry = b""
    if pieces and not pieces[-1].endswith((b"\n", b"\r")):
        carry = pieces.pop()
        if len(carry) > DETAIL_LINE_BYTES + 1 and line + len(pieces) == target:
            carry = carry[: DETAIL_LINE_BYTES + 1]
    for piece in pieces:
        if line == target:
            found[line] = piece.rstrip(b"\r\n")
            target = next(targets, None)
            if target is None:
                return line + 1, None, b""
        line += 1
    return line, target, carry


def _detail(table: EventTable, row: int, data: dict[str, Any] | None,
            redactor: Redactor | None) -> EventDetail:
    """What the report shows of a row, from the data of its line read again (None: not
    readable, or over DETAIL_LINE_BYTES)."""
    kind = table.kind(row)
    iteration = table.iterations[row]
    number = None if iteration == NO_ITERATION else iteration
    if data is None:
        label = kind.replace("_", " ").capitalize()
        return EventDetail(redactor.text(label) if redactor else label, "")
    redact = redactor.text if redactor is not None else None
    # Labels and previews cut their text; redact first, so no cut can split a secret.
    shown_data = redactor.value(_bounded_copy(data)) if redactor is not None else data
    try:
        label, shown = event_label(kind, shown_data, number), preview(shown_data)
    except (ValueError, RecursionError, TypeError, OverflowError):
        label, shown = kind.replace("_", " ").capitalize(), ""
    subject = excerpt = ""
    if kind == "file_change":
        subject = safe_text(data.get("path", ""), 300)
    elif kind in ("tool_start", "tool_end", "tool_error", "tool_approval"):
        tool = data.get("tool", data.get("tool_name", ""))
        name = tool if isinstance(tool, str) else ""
        subject = toolcalls.main_argument(name, data.get("args"), redact=redact)
        result = data.get("error") if kind == "tool_error" else data.get("result")
        if result is not None:
            if table.flags is not None and table.flags[row] & FLAG_TEST_COMMAND:
                excerpt = (toolcalls.test_result(result, redact=redact)
                           or toolcalls.result_excerpt(result, redact=redact))
            else:
                excerpt = toolcalls.result_excerpt(result, redact=redact)
    label, shown = without_surrogates(label), without_surrogates(shown)
    if redactor is not None:
        label = redactor.text(label)  # kind names and other parts not from `data`
    if redactor is not None and kind == "file_change":
        subject = redactor.text(subject)
    return EventDetail(label, shown, without_surrogates(subject), without_surrogates(excerpt))


def _bounded_copy(value: Any, depth: int = 0) -> Any:
    """`value` with strings cut at DETAIL_STRING_CHARS and nesting at 32 levels: all a label
    or a preview can show, small enough to redact quickly."""
    if isinstance(value, str):
        return value if len(value) <= DETAIL_STRING_CHARS else value[:DETAIL_STRING_CHARS]
    if depth >= 32:
        return "…" if isinstance(value, (dict, list)) else value
    if isinstance(value, dict):
        return {_bounded_copy(k, depth + 1): _bounded_copy(v, depth + 1)
                for k, v in islice(value.items(), 200)}
    if isinstance(value, list):
        return [_bounded_copy(v, depth + 1) for v in value[:200]]
    return value


def _line_data(raw: bytes | None) -> dict[str, Any] | None:
    """The data of a line read again; None when it was not read or is longer than
    DETAIL_LINE_BYTES."""
    return _detail_data(raw) if raw is not None and len(raw) <= DETAIL_LINE_BYTES else None


def _error_text(data: dict[str, Any] | None) -> str | None:
    """`data.error` of a line read again: text (other values as `safe_text` writes them),
    at most ERROR_CHARS, without lone surrogates. None when it has none."""
    error = None if data is None else data.get("error")
    if error is None:
        return None
    text = error if isinstance(error, str) else safe_text(error, ERROR_CHARS)
    return without_surrogates(bounded(text, ERROR_CHARS))


def _detail_data(raw: bytes) -> dict[str, Any] | None:
    text = raw.removeprefix(b"\xef\xbb\xbf").strip()
    try:
        parsed = _ANY.decode(text)
    except _TYPED_ERRORS:
        try:
            parsed = json.loads(text.decode("utf-8").strip())
        except (ValueError, RecursionError):
            return None
    if not isinstance(parsed, dict):
        return None
    if "kind" in parsed:
        data = parsed.get("data")
        return data if isinstance(data, dict) else {}
    return legacy_data(parsed)


# Keep names other modules used before the columns existed.
__all__ = ["load", "load_input", "load_lines", "safe_float", "safe_int"]
_unused = (Iterator,)
