"""Find the trace inputs named on the command line, and open them.

An argument is a trace file, a pipe (`<(zcat t.jsonl.gz)`), `-` for standard input, or a
folder; with no argument the newest trace in `./.attocode/traces/` (or `./.traces/`) is
picked. Folders are walked recursively in sorted order (see `walk`). What cannot be read
inside a folder (an empty file, a link leading out of the folder, a device) becomes a
note, not a failure of the folder; the same file reached twice is read once, with a note.

Everything here treats paths as untrusted: a path that cannot be followed is a clear
`AttoreportError` naming it, and a name that is not valid UTF-8 is shown with U+FFFD
(`display_path`) wherever it is displayed, while the real name is kept for opening.
"""

from __future__ import annotations

import errno
import gzip
import io
import os
import re
import stat
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, BinaryIO, Generic, TypeVar, cast

from attoreport.errors import AttoreportError
from attoreport.model import Diagnostic

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

#: Folders searched, in this order, when no trace is named: where Attocode writes.
DISCOVERY_DIRS = (Path(".attocode") / "traces", Path(".traces"))
#: What a trace file is called; the content decides whether it is gzip (see `open_input`).
TRACE_SUFFIXES = (".jsonl", ".jsonl.gz")
#: Folders never entered when walking: version control and tooling, which hold no traces
#: but can hold very many files. Other hidden folders are read: Attocode writes
#: `.attocode/traces/`, attoswarm writes `.agent/hybrid-swarm/`. A folder named
#: explicitly is always read, whatever its name.
SKIPPED_DIRS = frozenset({
    ".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", ".tox",
    ".mypy_cache", ".pytest_cache", ".ruff_cache",
})
#: The first two bytes of every gzip stream.
GZIP_MAGIC = b"\x1f\x8b"
#: What is shown in place of a file's name for standard input.
STDIN_SOURCE = "-"

#: What a run-folder recogniser returns for a folder it claims (see `walk`).
Claimed = TypeVar("Claimed")

_SURROGATES = re.compile("[\ud800-\udfff]")
_OS_ERRORS = {
    errno.ENOENT: "no such file or directory",
    errno.ELOOP: "too many levels of symbolic links (a symlink loop?)",
    errno.ENAMETOOLONG: "the path, or a name in it, is too long",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.ENOTDIR: "a part of the path is not a folder",
    errno.EISDIR: "is a folder",
}
_ACCEPTED = "attoreport reads regular files, pipes and - (standard input)"


def display_path(path: str | os.PathLike[str]) -> str:
    """A path as text that is safe to show anywhere: bytes that are not UTF-8 (which
    Python carries as lone surrogates) become U+FFFD."""
    return _SURROGATES.sub("\ufffd", os.fsdecode(path))


def describe_os_error(exc: OSError) -> str:
    """What went wrong with a path, in words, without repeating the path itself."""
    if exc.errno in _OS_ERRORS:
        return _OS_ERRORS[exc.errno]
    return exc.strerror or exc.__class__.__name__


@dataclass(frozen=True, slots=True)
class TraceInput:
    """One trace to read: a file or pipe, or standard input (`path` is None)."""

    #: How the trace is named to the user (as given, or folder/relative path); safe to
    #: show (see `display_path`). Diagnostics and the report name the trace by it.
    source: str
    #: What is opened: the real path, possibly with undecodable bytes.
    path: Path | None
    #: The file name without its suffixes, safe to show: the session id of a trace
    #: that names no session.
    stem: str
    #: True when no trace was named and this one was picked as the newest.
    discovered: bool = False
    #: The folder argument (as shown) this trace was found in by walking, or None when
    #: it was named itself. A trace found in a folder that cannot be read is a note,
    #: not an error.
    folder: str | None = None


@dataclass(frozen=True)
class FolderWalk(Generic[Claimed]):
    """What walking one folder found, in sorted order of relative path."""

    traces: list[TraceInput] = field(default_factory=list)
    #: What the run-folder recogniser returned for the folders it claimed.
    claimed: list[Claimed] = field(default_factory=list)
    #: What was skipped, and why: one Diagnostic per file or folder (line 0).
    notes: list[Diagnostic] = field(default_factory=list)


@dataclass(frozen=True)
class Inputs(Generic[Claimed]):
    """Everything the arguments name: the traces to read, in order, and notes about
    what was skipped (each a Diagnostic with line 0, shown with the report's)."""

    traces: list[TraceInput] = field(default_factory=list)
    notes: list[Diagnostic] = field(default_factory=list)
    #: Folders a run-folder recogniser claimed (see `walk`).
    claimed: list[Claimed] = field(default_factory=list)


def find_inputs(
    args: Sequence[str],
    cwd: Path | None = None,
    claim: Callable[[Path], Claimed | None] | None = None,
) -> Inputs[Claimed]:
    """Resolve CLI-style arguments: files, pipes, folders, `-` (stdin) or, with none, the
    newest trace in DISCOVERY_DIRS. Raises AttoreportError for a path that cannot be
    used (missing, a device, a symlink loop, ...) or a folder that holds no trace.
    """
    base = cwd or Path.cwd()
    if not args:
        return Inputs([_discover(base)])
    finder: _Finder[Claimed] = _Finder(claim)
    for arg in args:
        if arg == STDIN_SOURCE:
            finder.add_stdin()
            continue
        if not arg:
            raise AttoreportError("an empty path was given as a trace")
        named = Path(arg)
        full = named if named.is_absolute() else base / named
        shown = display_path(arg)
        status = _stat_argument(full, shown)
        if stat.S_ISDIR(status.st_mode):
            finder.add_folder(full, named, status)
        elif stat.S_ISREG(status.st_mode) or stat.S_ISFIFO(status.st_mode):
            finder.add_file(TraceInput(shown, full, display_path(_stem(full.name))), status)
        else:
            raise AttoreportError(f"{shown}: is {_file_kind(status.st_mode)}, not a trace; "
                                  f"{_ACCEPTED}")
    return Inputs(finder.traces, finder.notes, finder.claimed)


def walk(
    root: Path,
    claim: Callable[[Path], Claimed | None] | None = None,
    *,
    shown_as: Path | None = None,
) -> FolderWalk[Claimed]:
    """Every trace in `root` and its subfolders, sorted by relative path.

    `claim` is asked about every folder (the root too) before it is entered; when it
    returns something, that folder is recorded as claimed and not entered (this is how
    a run-folder recogniser takes a whole attoswarm run). Folders in SKIPPED_DIRS are not
    entered. Symbolic links are followed only when they lead to a place inside `root`;
    the same file or folder reached twice is read once. Empty files, files that are not
    regular (devices, FIFOs, sockets) and folders that cannot be listed are skipped with
    a note. `shown_as` is how `root` is named in sources and notes (default: `root`).
    Raises AttoreportError only when `root` itself cannot be read.
    """
    named = shown_as if shown_as is not None else root
    status = _stat_argument(root, display_path(named))
    if not stat.S_ISDIR(status.st_mode):
        raise AttoreportError(f"{display_path(named)}: is {_file_kind(status.st_mode)}, not a "
                              "folder")
    finder: _Finder[Claimed] = _Finder(claim)
    finder.add_folder(root, named, status, required=False)
    return FolderWalk(finder.traces, finder.claimed, finder.notes)


class _Finder(Generic[Claimed]):
    """Collects traces across all arguments, reading each file or folder once."""

    def __init__(self, claim: Callable[[Path], Claimed | None] | None) -> None:
        self.claim = claim
        self.traces: list[TraceInput] = []
        self.notes: list[Diagnostic] = []
        self.claimed: list[Claimed] = []
        #: (st_dev, st_ino) of every file and folder taken, and how it was shown.
        self.seen: dict[tuple[int, int], str] = {}
        self.stdin_given = False

    def note(self, shown: str, message: str) -> None:
        self.notes.append(Diagnostic(shown, 0, message, "skipped"))

    def first_time(self, status: os.stat_result, shown: str, what: str) -> bool:
        """Record a file or folder; False (with a note) when it was already taken."""
        key = (status.st_dev, status.st_ino)
        earlier = self.seen.get(key)
        if earlier is None:
            self.seen[key] = shown
            return True
        self.note(shown, f"the same {what} as {earlier}; read once")
        return False

    def add_stdin(self) -> None:
        if self.stdin_given:
            self.note(STDIN_SOURCE, "standard input was given twice; read once")
            return
        self.stdin_given = True
        self.traces.append(TraceInput(STDIN_SOURCE, None, "stdin"))

    def add_file(self, trace: TraceInput, status: os.stat_result) -> None:
        """Take a trace file, unless it was taken already (then a note)."""
        if self.first_time(status, trace.source, "file"):
            self.traces.append(trace)

    def add_folder(self, full: Path, named: Path, status: os.stat_result,
                   required: bool = True) -> None:
        """Walk one folder argument; `required`: raise when it holds no trace."""
        shown = display_path(named)
        if not self.first_time(status, shown, "folder"):
            return
        notes_before = len(self.notes)
        walker = _FolderWalker(self, full, named, shown)
        walker.run()
        if required and not walker.found:  # traces already taken through another path count
            skipped = self.notes[notes_before:]
            detail = ""
            if skipped:
                detail = (f" ({len(skipped)} skipped; first {skipped[0].file}: "
                          f"{skipped[0].message})")
            raise AttoreportError(f"{shown}: no *.jsonl or *.jsonl.gz trace in this folder or "
                                  f"its subfolders{detail}")


class _FolderWalker(Generic[Claimed]):
    """One folder argument walked depth-first, each folder's entries in name order."""

    def __init__(self, finder: _Finder[Claimed], full: Path, named: Path, shown: str) -> None:
        self.finder = finder
        self.root = full
        self.named = named
        self.shown = shown
        self.real_root = os.path.realpath(full)
        #: Trace files and claimed folders met, including those already taken.
        self.found = 0

    def run(self) -> None:
        if self._claimed(self.root):
            return
        entries = self._entries(self.root, self.shown, required=True)
        # (entries of a folder not yet visited, how that folder is shown); depth-first.
        stack: list[tuple[Iterator[os.DirEntry[str]], str]] = [(iter(entries), self.shown)]
        while stack:
            pending, shown_folder = stack[-1]
            entry = next(pending, None)
            if entry is None:
                stack.pop()
                continue
            shown = _joined(shown_folder, display_path(entry.name))
            folder = self._visit(entry, shown)
            if folder is not None and not self._claimed(folder):
                stack.append((iter(self._entries(folder, shown, required=False)), shown))

    def _entries(self, folder: Path, shown: str, required: bool) -> list[os.DirEntry[str]]:
        try:
            with os.scandir(folder) as listing:
                return sorted(listing, key=lambda e: e.name)
        except OSError as exc:
            if required:
                raise AttoreportError(f"{shown}: cannot read the folder: "
                                      f"{describe_os_error(exc)}") from exc
            self.finder.note(shown, f"cannot read the folder ({describe_os_error(exc)}); "
                             "skipped")
            return []

    def _claimed(self, folder: Path) -> bool:
        if self.finder.claim is None:
            return False
        claimed = self.finder.claim(folder)
        if claimed is None:
            return False
        self.finder.claimed.append(claimed)
        self.found += 1
        return True

    def _visit(self, entry: os.DirEntry[str], shown: str) -> Path | None:
        """Take a trace file; return a folder to enter; skip the rest (noting why)."""
        is_trace_name = entry.name.endswith(TRACE_SUFFIXES)
        is_link = _is_link(entry)
        try:
            status = entry.stat()  # follows links
        except OSError as exc:
            if is_trace_name:
                what = "cannot follow the link" if is_link else "cannot read"
                self.finder.note(shown, f"{what} ({describe_os_error(exc)}); skipped")
            return None
        is_folder = stat.S_ISDIR(status.st_mode)
        if not is_folder and not is_trace_name:
            return None
        if is_folder and entry.name in SKIPPED_DIRS:
            return None
        if is_link and not self._inside(entry.path):
            self.finder.note(shown, f"a symbolic link to a place outside {self.shown}; "
                             "not followed")
            return None
        if is_folder:
            return Path(entry.path) if self.finder.first_time(status, shown, "folder") else None
        if not stat.S_ISREG(status.st_mode):
            self.finder.note(shown, f"is {_file_kind(status.st_mode)}, not a regular file; "
                             "skipped")
        elif status.st_size == 0:
            self.finder.note(shown, "empty file; skipped")
        else:
            self.found += 1
            self.finder.add_file(TraceInput(shown, Path(entry.path),
                                            display_path(_stem(entry.name)), folder=self.shown),
                                 status)
        return None

    def _inside(self, path: str) -> bool:
        real = os.path.realpath(path)
        return real == self.real_root or real.startswith(self.real_root.rstrip(os.sep) + os.sep)


def _is_link(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_symlink()
    except OSError:
        return False


def _stat_argument(path: Path, shown: str) -> os.stat_result:
    """`os.stat` (following links) of a named path, or a clear AttoreportError."""
    try:
        return os.stat(path)
    except OSError as exc:
        raise AttoreportError(f"{shown}: {describe_os_error(exc)}") from exc
    except ValueError as exc:  # an embedded NUL
        raise AttoreportError(f"{shown}: not a usable path ({exc})") from exc


def _file_kind(mode: int) -> str:
    if stat.S_ISREG(mode):
        return "a file"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISFIFO(mode):
        return "a pipe (FIFO)"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


def _stem(name: str) -> str:
    """A file name without its trace suffixes: the session id of a trace naming none."""
    for suffix in (".jsonl.gz", ".gz", ".jsonl"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return Path(name).stem


def _joined(folder: str, name: str) -> str:
    """`folder/name` as `str(Path(folder) / name)` writes it, without pathlib's cost."""
    if folder in ("", "."):
        return name
    return folder + name if folder.endswith(os.sep) else folder + os.sep + name


# ---------------------------------------------------------------------------
# Discovery: the no-argument run
# ---------------------------------------------------------------------------


def _discover(base: Path) -> TraceInput:
    """The newest non-empty trace file directly in the first DISCOVERY_DIRS folder that
    has one. Links are not followed here: only what Attocode wrote itself is picked."""
    for folder in DISCOVERY_DIRS:
        candidates = _plain_traces(base / folder)
        if candidates:
            _, name, path = max(candidates)
            return TraceInput(display_path(folder / name), path, display_path(_stem(name)),
                              discovered=True)
    raise AttoreportError(
        "no trace given and none found in ./.attocode/traces/ or ./.traces/ "
        "(pass a trace file, a directory, or - for standard input)"
    )


def _plain_traces(folder: Path) -> list[tuple[float, str, Path]]:
    """(mtime, name, path) of the non-empty regular trace files directly in `folder`."""
    found = []
    try:
        with os.scandir(folder) as listing:
            for entry in listing:
                if not entry.name.endswith(TRACE_SUFFIXES):
                    continue
                if entry.is_file(follow_symlinks=False):
                    status = entry.stat(follow_symlinks=False)
                    if status.st_size > 0:
                        found.append((status.st_mtime, entry.name, Path(entry.path)))
    except OSError:
        return []
    return found


# ---------------------------------------------------------------------------
# Opening: type checks and gzip by content
# ---------------------------------------------------------------------------


@contextmanager
def open_input(trace: TraceInput, stdin: IO[bytes] | None = None) -> Iterator[BinaryIO]:
    """The bytes of one trace, decompressed when they start with the gzip magic bytes,
    whatever the file's name (and on standard input too).

    Only regular files and pipes are opened; anything else raises AttoreportError. For
    standard input (`trace.path` is None) `stdin` is read (default `sys.stdin.buffer`) and
    left open; a device there (other than a terminal) is refused too. OSError from
    opening or reading reaches the caller.
    """
    with ExitStack() as stack:
        if trace.path is None:
            raw: IO[bytes] = stdin if stdin is not None else sys.stdin.buffer
            _check_stdin(raw)
        else:
            raw = stack.enter_context(_open_file(trace))
        head, stream = _peek(raw, len(GZIP_MAGIC))
        if stream is not raw:
            stack.callback(stream.close)  # the wrapper only; `raw` is closed above if ours
        if head == GZIP_MAGIC:
            unpacked = gzip.GzipFile(fileobj=stream, mode="rb")
            stack.callback(unpacked.close)  # never closes `stream` itself
            stream = cast(IO[bytes], unpacked)
        yield cast(BinaryIO, stream)


def _open_file(trace: TraceInput) -> IO[bytes]:
    assert trace.path is not None
    _check_readable_kind(trace.source, os.stat(trace.path).st_mode)  # devices are never opened
    handle = open(trace.path, "rb")  # noqa: SIM115 (closed by open_input's ExitStack)
    try:
        _check_readable_kind(trace.source, os.fstat(handle.fileno()).st_mode)  # swapped since?
    except BaseException:
        handle.close()
        raise
    return handle


def _check_stdin(stream: IO[bytes]) -> None:
    """Refuse a device on standard input (`- < /dev/zero` would never end); a terminal,
    a pipe, a socket or a redirected file is fine."""
    try:
        descriptor = stream.fileno()
        mode = os.fstat(descriptor).st_mode
    except (OSError, ValueError):  # not backed by a file descriptor (io.BytesIO)
        return
    if (stat.S_ISCHR(mode) or stat.S_ISBLK(mode)) and not os.isatty(descriptor):
        raise AttoreportError(f"{STDIN_SOURCE}: standard input is {_file_kind(mode)}, not a "
                              f"trace; {_ACCEPTED}")


def _check_readable_kind(shown: str, mode: int) -> None:
    if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
        raise AttoreportError(f"{shown}: is {_file_kind(mode)}, not a trace; {_ACCEPTED}")


def _peek(stream: IO[bytes], size: int) -> tuple[bytes, IO[bytes]]:
    """The first `size` bytes of a stream (fewer at its end), and a stream that still
    yields them: the same one when it can peek or seek, a wrapper otherwise (pipes)."""
    peek = getattr(stream, "peek", None)
    if peek is not None:
        ahead = peek(size)
        if len(ahead) >= size:
            return bytes(ahead[:size]), stream
    head = b""
    while len(head) < size:
        more = stream.read(size - len(head))
        if not more:
            break
        head += more
    if stream.seekable():
        stream.seek(-len(head), io.SEEK_CUR)
        return head, stream
    return head, io.BufferedReader(_Prepended(head, stream))


class _Prepended(io.RawIOBase):
    """A raw stream that yields `head`, then the rest of `rest` (which it never closes)."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        super().__init__()
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        if self._head:
            count = min(len(view), len(self._head))
            view[:count] = self._head[:count]
            self._head = self._head[count:]
            return count
        read1 = getattr(self._rest, "read1", None)
        data = read1(len(view)) if read1 is not None else self._rest.read(len(view))
        view[: len(data)] = data
        return len(data)
