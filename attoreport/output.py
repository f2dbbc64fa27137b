"""Write the outputs: checked before any work, then written whole or not at all.

This is the library's output writer (as coverage.py's `html_report` writes its files); the CLI
only calls it. Every output path is first *located*:

- standard output: `-`, `/dev/stdout`, `/dev/fd/1`, `/proc/self/fd/1`, or a `/dev/fd/N`-style
  link that is fd 1. Written to `sys.stdout`, never opened by name, so `/dev/stdout` is never
  replaced by a file (not even as root).
- a stream: a pipe, terminal or character device (`/dev/null`), or another file descriptor link
  (`/dev/stderr`). Written in place, never replaced (nor truncated: a log file behind
  `/dev/stderr` gets the output appended, as a write to that descriptor would).
- a file: a regular file, or a name where one will be created. A symlink is written *through*:
  the chain of links is followed to the file it ends at (created when the link dangles), that
  file is replaced atomically, and the link stays a link.

`check_outputs` refuses, before any work, what cannot end well: two outputs to the same file
(same resolved path, or the same device and inode, so symlinks and hard links count), more than
one output to standard output, an output that is an input trace or the file being read from
standard input, a folder, a missing folder, a block device or socket, and broken paths (a
symlink loop, a name too long, no permission, a file used as a folder).

`write_outputs` writes every output whole or none: it writes EVERY temporary file first (beside
its final file, so the rename cannot cross file systems), then renames them one by one, keeping
a hard link to each previous file. If a later step fails, the earlier renames are undone (the
previous files come back) and the temporary files are removed; on success the backups are
removed. Streams are written last, since they cannot be taken back. Existing files keep their
permission bits (and, when run as root, their owner); new files follow the umask. Outputs in
"append" mode (GitHub's `$GITHUB_STEP_SUMMARY`) are appended to in place and truncated back to
their previous size on failure.

SIGTERM and SIGHUP are turned into `Terminated` (a KeyboardInterrupt, as Ctrl-C is) while
writing, so the cleanup in `finally` runs; the short steps that must not be cut in half (create
and record a temporary file, rename and record, undo) hold signals until they are done.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import signal
import stat
import sys
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from enum import Enum
from types import FrameType
from typing import TypeVar

from attoreport.errors import AttoreportError
from attoreport.inputs import TraceInput

#: Paths that mean "standard output" whatever file fd 1 is (checked by name, before any lookup).
STDOUT_NAMES = frozenset({"-", "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"})
#: Longer symlink chains are treated as a loop (Linux allows 40 links in one lookup).
MAX_SYMLINKS = 40
#: Bytes handed to one write(2) call, so a slow target can be interrupted between chunks.
WRITE_CHUNK = 1 << 20
#: How many characters of a path an error message shows (paths come from users and traces).
SHOWN_PATH_CHARS = 200

#: A folder whose entries are the process's open file descriptors.
_DESCRIPTOR_FOLDER = re.compile(r"/proc/(?:self|thread-self|\d+)(?:/task/\d+)?/fd|/dev/fd")
_SURROGATE = re.compile("[\ud800-\udfff]")
_REASONS = {
    errno.ELOOP: "too many levels of symbolic links (a symlink loop?)",
    errno.ENAMETOOLONG: "the path, or a name in it, is too long",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.ENOTDIR: "a part of the path is not a folder",
}
_TERMINATING = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))
_HELD_SIGNALS = frozenset({signal.SIGINT, *_TERMINATING})

_Identity = tuple[int, int]
T = TypeVar("T")


class Terminated(KeyboardInterrupt):
    """SIGTERM (or SIGHUP) arrived. Raised as Ctrl-C raises KeyboardInterrupt, so cleanup runs."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class _Kind(Enum):
    STDOUT = "standard output"
    STREAM = "stream"  # pipe, terminal, character device, descriptor link: written in place
    FILE = "file"  # regular file, or one to create: replaced atomically, or appended to


@dataclass(frozen=True, slots=True)
class _Destination:
    """Where one output goes, as found on disk."""

    path: str  # as given
    kind: _Kind
    file: str  # what is opened or replaced: the path (STREAM) or the end of its links (FILE)
    identity: _Identity | None  # (st_dev, st_ino) of what is written to, when it exists
    real: str  # resolved path, to spot two spellings of one file that does not exist yet

    @property
    def folder(self) -> str:
        return os.path.dirname(self.file) or "."


# --- checking ----------------------------------------------------------------------------------


def check_outputs(targets: Mapping[str, str | None], inputs: Sequence[TraceInput], *,
                  append_to: Collection[str] = (), stdin_fd: int = 0, stdout_fd: int = 1) -> None:
    """Refuse, with AttoreportError naming the path, outputs that cannot be written safely.

    `targets` maps an output's name ("html", "json", ...) to its path (None: not asked for);
    `append_to` holds the paths appended to rather than replaced. `stdin_fd` is the file read
    when an input is `-`; `stdout_fd` is standard output. Call it before any work.
    """
    stdout = _fd_identity(stdout_fd)
    located = [(name, _locate(path, stdout)) for name, path in targets.items() if path is not None]
    null = _null_identity()
    for _, destination in located:
        _check_writable(destination, appending=destination.path in append_to)
    _refuse_clashes(located, stdout, null)
    _refuse_overwriting_inputs([d for _, d in located], inputs, _fd_identity(stdin_fd), null)


def _refuse_clashes(located: Sequence[tuple[str, _Destination]], stdout: _Identity | None,
                    null: _Identity | None) -> None:
    """Two outputs to standard output, or to one file, would garble or overwrite each other."""
    _refuse_two_to_stdout(located, stdout, null)
    _refuse_shared_files(located, null)


def _refuse_two_to_stdout(located: Sequence[tuple[str, _Destination]], stdout: _Identity | None,
                          null: _Identity | None) -> None:
    to_stdout = [(name, d) for name, d in located if d.kind is _Kind.STDOUT
                 or (d.identity is not None and d.identity == stdout and not _is_null(d, null))]
    if len(to_stdout) > 1:
        (first, a), (second, b) = to_stdout[:2]
        raise AttoreportError(
            f"only one output can go to standard output: the {first} ({_shown(a.path)}) and "
            f"the {second} ({_shown(b.path)}) both would")


def _refuse_shared_files(located: Sequence[tuple[str, _Destination]], null: _Identity | None) -> None:
    for i, (name, destination) in enumerate(located):
        if destination.kind is _Kind.STDOUT or _is_null(destination, null):
            continue
        for earlier_name, earlier in located[:i]:
            if _same_file(destination, earlier):
                raise AttoreportError(f"{_shown(destination.path)}: given for two outputs "
                                      f"(the {earlier_name} and the {name}); they would overwrite "
                                      "each other")


def _same_file(a: _Destination, b: _Destination) -> bool:
    if a.kind is _Kind.STDOUT or b.kind is _Kind.STDOUT:
        return False
    return a.real == b.real or (a.identity is not None and a.identity == b.identity)


def _refuse_overwriting_inputs(destinations: Sequence[_Destination], inputs: Sequence[TraceInput],
                               stdin: _Identity | None, null: _Identity | None) -> None:
    read = [(_path_identity(str(trace.path)), os.path.realpath(trace.path))
            for trace in inputs if trace.path is not None]
    reads_stdin = any(trace.path is None for trace in inputs)
    for destination in destinations:
        if destination.kind is _Kind.STDOUT or _is_null(destination, null):
            continue
        for identity, real in read:
            if destination.real == real or (identity is not None and identity == destination.identity):
                raise AttoreportError(f"{_shown(destination.path)}: is one of the input traces; "
                                      "refusing to overwrite it")
        if reads_stdin and stdin is not None and destination.identity == stdin:
            raise AttoreportError(f"{_shown(destination.path)}: is the file being read from standard "
                                  "input; refusing to overwrite it")


def _check_writable(destination: _Destination, appending: bool) -> None:
    """Refuse early what the write would fail on (root passes every check, as it should)."""
    if destination.kind is _Kind.STDOUT:
        return
    if destination.kind is _Kind.STREAM or (appending and destination.identity is not None):
        if not os.access(destination.file, os.W_OK):
            raise AttoreportError(f"{_shown(destination.path)}: permission denied (cannot write to it)")
    elif not os.access(destination.folder, os.W_OK | os.X_OK):
        raise AttoreportError(f"{_shown(destination.path)}: permission denied (cannot create files "
                              f"in {_shown(destination.folder)})")


# --- locating ----------------------------------------------------------------------------------


def _locate(path: str, stdout: _Identity | None) -> _Destination:
    """Find what writing to `path` would touch; AttoreportError if it cannot be written."""
    if path in STDOUT_NAMES:
        return _Destination(path, _Kind.STDOUT, "", stdout, "")
    if not path.strip():
        raise AttoreportError("an output path is empty")
    if path.endswith(os.sep):
        raise AttoreportError(f"{_shown(path)}: names a folder; give a file name")
    try:
        return _locate_on_disk(path, stdout)
    except OSError as exc:
        raise AttoreportError(f"{_shown(path)}: {_reason(exc)}") from exc
    except ValueError as exc:  # a NUL character, which no path can hold
        raise AttoreportError(f"{_shown(path)}: is not a usable path ({exc})") from exc


def _locate_on_disk(path: str, stdout: _Identity | None) -> _Destination:
    found = _stat_or_none(path)
    if found is not None and stat.S_ISDIR(found.st_mode):
        raise AttoreportError(f"{_shown(path)}: is a directory")
    final, through_descriptor = _follow_links(path)
    identity = (found.st_dev, found.st_ino) if found is not None else None
    if through_descriptor and identity is not None and identity == stdout:
        return _Destination(path, _Kind.STDOUT, "", stdout, "")
    if found is not None and (stat.S_ISFIFO(found.st_mode) or stat.S_ISCHR(found.st_mode)
                              or (through_descriptor and stat.S_ISREG(found.st_mode))):
        return _Destination(path, _Kind.STREAM, path, identity, os.path.realpath(path))
    if found is not None and not stat.S_ISREG(found.st_mode):
        raise AttoreportError(f"{_shown(path)}: is a {_file_type(found.st_mode)}; outputs go to "
                              "regular files, pipes or terminals")
    if through_descriptor:
        raise AttoreportError(f"{_shown(path)}: is a file descriptor that is not open")
    if found is None:
        _require_folder(path, final)
    elif _path_identity(final) != identity:
        raise AttoreportError(f"{_shown(path)}: cannot tell which file its links lead to")
    return _Destination(path, _Kind.FILE, final, identity, os.path.realpath(final))


def _follow_links(path: str) -> tuple[str, bool]:
    """The file a chain of symlinks ends at (the folders above it may stay links), and whether
    the chain passes through a file descriptor link (`/dev/fd/N`, `/proc/self/fd/N`)."""
    current = path
    for _ in range(MAX_SYMLINKS):
        folder = os.path.dirname(os.path.abspath(current))
        if _DESCRIPTOR_FOLDER.fullmatch(os.path.realpath(folder)):
            return current, True
        try:
            target = os.readlink(current)
        except OSError as exc:
            if exc.errno in (errno.EINVAL, errno.ENOENT):  # not a link; or nothing there yet
                return current, False
            raise
        current = os.path.join(os.path.dirname(current), target)
    raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), path)


def _require_folder(path: str, final: str) -> None:
    folder = os.path.dirname(final) or "."
    where = "" if final == path else " (where its symlink points)"
    found = _stat_or_none(folder)
    if found is None:
        raise AttoreportError(f"{_shown(path)}: folder {_shown(folder)} does not exist{where}")
    if not stat.S_ISDIR(found.st_mode):
        raise AttoreportError(f"{_shown(path)}: {_shown(folder)} is not a folder{where}")


def _stat_or_none(path: str) -> os.stat_result | None:
    """The file's status, following links; None when nothing is there (or a link dangles)."""
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None


def _path_identity(path: str) -> _Identity | None:
    try:
        found = os.stat(path)
    except (OSError, ValueError):
        return None
    return found.st_dev, found.st_ino


def _fd_identity(fd: int) -> _Identity | None:
    try:
        found = os.fstat(fd)
    except OSError:
        return None
    return found.st_dev, found.st_ino


def _null_identity() -> _Identity | None:
    return _path_identity(os.devnull)


def _is_null(destination: _Destination, null: _Identity | None) -> bool:
    """The null device swallows any number of outputs, so it never clashes with anything."""
    return null is not None and destination.identity == null


def _file_type(mode: int) -> str:
    if stat.S_ISBLK(mode):
        return "block device"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "special file"


def _reason(exc: OSError) -> str:
    return _REASONS.get(exc.errno or 0, exc.strerror or str(exc))


def _shown(path: str) -> str:
    """A path fit for a message: undecodable bytes as U+FFFD, and bounded in length."""
    text = _SURROGATE.sub("\ufffd", path)
    if len(text) <= SHOWN_PATH_CHARS:
        return text
    return f"{text[:SHOWN_PATH_CHARS]}… ({len(text):,} characters)"


# --- writing -----------------------------------------------------------------------------------


#: An output's text: a string (or UTF-8 bytes), or pieces of it written one after the other (a
#: streamed export is never held whole; it is consumed once, when its output is written).
Text = str | bytes | Iterable[str | bytes]


def write_outputs(texts: Mapping[str, Text], *, append_to: Collection[str] = ()) -> None:
    """Write every output whole, or none (see the module docstring for how).

    `texts` maps each output path to its text or its pieces (`-` is standard output); the paths in
    `append_to` are appended to instead of replaced. Raises AttoreportError naming the path when
    a write fails, after putting every file back as it was; an interruption (KeyboardInterrupt,
    `Terminated`) is re-raised after the same cleanup.
    """
    stdout = _fd_identity(1)
    located = [(path, _locate(path, stdout)) for path in texts]
    _refuse_clashes(located, stdout, _null_identity())  # again: files may have moved since
    plan = [_Planned(destination, texts[path], path in append_to) for path, destination in located]
    with termination_raises():
        _Transaction().run(plan)


@dataclass(slots=True)
class _Planned:
    destination: _Destination
    text: Text  # encoded only when written, so one output (or one piece) at a time is held twice
    append: bool

    @property
    def replaces_a_file(self) -> bool:
        return self.destination.kind is _Kind.FILE and not self.append

    @property
    def appends_to_a_file(self) -> bool:
        return self.destination.kind is _Kind.FILE and self.append


@dataclass(slots=True)
class _Undo:
    """How to take back one committed step."""

    path: str  # the output, for messages
    file: str
    backup: str | None = None  # the previous file, kept under this name (None: there was none)
    append_fd: int | None = None  # an appended file, still open, and its size before
    size_before: int = 0
    created: bool = False  # the appended file did not exist before


@dataclass
class _Transaction:
    """The temporary files and committed steps of one `write_outputs` call."""

    temps: list[str] = field(default_factory=list)
    done: list[_Undo] = field(default_factory=list)
    current: str = ""  # the output being worked on, for the message if a step fails
    streams_written: int = 0

    def run(self, plan: Sequence[_Planned]) -> None:
        """Stage every file, commit them, write the streams; on any failure, undo it all."""
        try:
            staged = [(item, self._stage(item)) for item in plan if item.replaces_a_file]
            with _signals_held():
                for item, temp in staged:
                    self._replace(item, temp)
                for item in plan:
                    if item.appends_to_a_file:
                        self._append(item)
            for item in plan:
                if item.destination.kind is not _Kind.FILE:
                    self.current = item.destination.path
                    _write_stream(item)
                    self.streams_written += 1
            with _signals_held():
                self._discard_backups()
        except OSError as exc:
            with _signals_held():
                kept = self._undo()
            raise AttoreportError(f"{_shown(self.current)}: cannot write: {_reason(exc)}; "
                                  f"{self._outcome(kept)}") from exc
        except BaseException as exc:  # Ctrl-C, Terminated, a bug: undo, then let it go on
            with _signals_held():
                kept = self._undo()
            if kept:
                raise AttoreportError(f"interrupted; {self._outcome(kept)}") from exc
            raise
        finally:
            with _signals_held():
                self._remove_temps()

    def _outcome(self, kept: Sequence[str]) -> str:
        """What the user's files look like after an undo."""
        if kept:
            return f"could not put back {'; '.join(kept)}"
        return "the files were left as they were" if self.streams_written else "nothing written"

    def _stage(self, item: _Planned) -> str:
        destination = self._start(item)
        previous = _stat_or_none(destination.file)
        with _signals_held():
            fd, temp = _create_temp(destination, previous)
            self.temps.append(temp)
        try:
            if previous is not None:
                _keep_owner_and_mode(fd, previous)
            _write_text(fd, item.text)
            _fsync(fd)
        finally:
            os.close(fd)
        return temp

    def _replace(self, item: _Planned, temp: str) -> None:
        destination = self._start(item)
        undo = _Undo(destination.path, destination.file, backup=_back_up(destination))
        self.done.append(undo)
        os.replace(temp, destination.file)
        self.temps.remove(temp)

    def _append(self, item: _Planned) -> None:
        destination = self._start(item)
        fd, created = _open_for_append(destination.file)
        undo = _Undo(destination.path, destination.file, append_fd=fd,
                     size_before=os.fstat(fd).st_size, created=created)
        self.done.append(undo)
        _write_text(fd, item.text)

    def _start(self, item: _Planned) -> _Destination:
        self.current = item.destination.path
        return item.destination

    def _discard_backups(self) -> None:
        """Everything is in place: the backups go, the appended files are closed."""
        done, self.done = self.done, []
        for undo in done:
            with suppress(OSError):  # only a stray hidden file could be left
                if undo.backup is not None:
                    _remove(undo.backup)
                if undo.append_fd is not None:
                    os.close(undo.append_fd)

    def _undo(self) -> list[str]:
        """Take back every committed step, newest first; say which could not be put back."""
        kept: list[str] = []
        for undo in reversed(self.done):
            try:
                _take_back(undo)
            except OSError as exc:
                where = f" (its previous content is in {_shown(undo.backup)})" if undo.backup else ""
                kept.append(f"{_shown(undo.path)}: {_reason(exc)}{where}")
        self.done.clear()
        return kept

    def _remove_temps(self) -> None:
        for temp in self.temps:
            _remove(temp)
        self.temps.clear()


def _create_temp(destination: _Destination, previous: os.stat_result | None) -> tuple[int, str]:
    """A new, empty file beside the final one. When the final file exists it is private while
    it is filled (then gets that file's mode); else it is made as any new file (umask applies)."""
    mode = 0o600 if previous is not None else 0o666
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    return _with_fresh_name(destination, ".tmp", lambda name: os.open(name, flags, mode))


def _fsync(fd: int) -> None:
    """Make the data durable before the rename, where the file system can."""
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.ENOSYS):
            raise


def _keep_owner_and_mode(fd: int, previous: os.stat_result) -> None:
    """The new file keeps the old one's owner (when we may set it: as root) and permissions."""
    if (previous.st_uid, previous.st_gid) != (os.geteuid(), os.getegid()):
        with suppress(PermissionError):  # not root: the file becomes ours, as a rewrite would
            os.fchown(fd, previous.st_uid, previous.st_gid)
    os.fchmod(fd, stat.S_IMODE(previous.st_mode))


#: link(2) errors that mean "no hard link here" rather than "cannot write here".
_NO_HARD_LINKS = frozenset({errno.EPERM, errno.EMLINK, errno.EXDEV, errno.ENOSYS, errno.ENOTSUP,
                            errno.EOPNOTSUPP})


def _back_up(destination: _Destination) -> str | None:
    """Keep the previous file under a hidden name, for an undo; None when there is none.

    A hard link leaves the file in place until the rename replaces it; where hard links are not
    allowed (some file systems, protected_hardlinks), the file is moved aside instead.
    """
    if _stat_or_none(destination.file) is None:
        return None
    try:
        return _with_fresh_name(destination, ".bak", lambda name: os.link(destination.file, name))[1]
    except OSError as exc:
        if exc.errno not in _NO_HARD_LINKS:
            raise
    return _with_fresh_name(destination, ".bak", lambda name: _rename_to_new(destination.file, name))[1]


def _rename_to_new(source: str, name: str) -> None:
    if os.path.lexists(name):
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), name)
    os.rename(source, name)


def _with_fresh_name(destination: _Destination, suffix: str, create: Callable[[str], T]) -> tuple[T, str]:
    """Call `create` with a new hidden name beside the final file (another name if that one
    is taken); return its result and the name."""
    base = os.path.basename(destination.file)[:40]  # room for the rest within NAME_MAX bytes
    for _ in range(100):
        name = os.path.join(destination.folder, f".{base}.attoreport-{secrets.token_hex(4)}{suffix}")
        try:
            return create(name), name
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", destination.folder)


def _open_for_append(file: str) -> tuple[int, bool]:
    """Open the file to append to; create it (umask applies) when it does not exist yet."""
    flags = os.O_WRONLY | os.O_APPEND | getattr(os, "O_CLOEXEC", 0)
    try:
        return os.open(file, flags), False
    except FileNotFoundError:
        return os.open(file, flags | os.O_CREAT | os.O_EXCL, 0o666), True


def _take_back(undo: _Undo) -> None:
    if undo.append_fd is not None:
        fd, undo.append_fd = undo.append_fd, None
        try:
            if undo.created:
                _remove(undo.file)
            else:
                os.ftruncate(fd, undo.size_before)
        finally:
            os.close(fd)
    elif undo.backup is not None:
        os.replace(undo.backup, undo.file)
        _remove(undo.backup)  # still there if the two were links to one file (rename did nothing)
    else:
        _remove(undo.file)


def _write_stream(item: _Planned) -> None:
    """Write to standard output, a pipe, a terminal or a device, in place."""
    if item.destination.kind is _Kind.STDOUT:
        for piece in _pieces(item.text):
            _write_stdout(_encoded(piece))
        return
    # O_APPEND: a file reached through a descriptor link (/dev/stderr redirected to a log) gets
    # the output after what is there, as a write to that descriptor would; never truncated.
    flags = os.O_WRONLY | os.O_APPEND | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(item.destination.file, flags)  # a pipe nobody reads waits here (interruptible)
    try:
        _write_text(fd, item.text)
    finally:
        os.close(fd)


def _write_stdout(data: bytes) -> None:
    """Standard output as bytes (UTF-8 whatever the locale), after any text already written."""
    stream = sys.stdout
    stream.flush()
    buffer = getattr(stream, "buffer", None)
    if buffer is None:  # a text-only stream put in place by the caller
        stream.write(data.decode("utf-8"))
        stream.flush()
    else:
        buffer.write(data)
        buffer.flush()


def _pieces(text: Text) -> Iterable[str | bytes]:
    return (text,) if isinstance(text, (str, bytes)) else text


def _write_text(fd: int, text: Text) -> None:
    """A text, or its pieces one after the other, as UTF-8."""
    for piece in _pieces(text):
        _write_fd(fd, _encoded(piece))


def _write_fd(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view[:WRITE_CHUNK])
        view = view[written:]


def _remove(path: str) -> None:
    with suppress(FileNotFoundError):
        os.unlink(path)


def _encoded(text: str | bytes) -> bytes:
    """UTF-8, with any lone surrogate that slipped through shown as U+FFFD rather than failing
    (bytes are UTF-8 already: written as they are, without a copy)."""
    if isinstance(text, bytes):
        return text
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text).encode("utf-8")


# --- signals -----------------------------------------------------------------------------------


@contextmanager
def termination_raises() -> Iterator[None]:
    """While active, SIGTERM and SIGHUP raise `Terminated` (as Ctrl-C raises KeyboardInterrupt),
    so `finally` blocks clean up instead of the process dying mid-write.

    Only signals left at their default action are taken over (a handler someone else installed,
    or an ignored signal, stays as it is), and only in the main thread, where Python runs
    handlers. The previous handlers come back on exit.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}
    for signum in _TERMINATING:
        if signal.getsignal(signum) is signal.SIG_DFL:
            previous[signum] = signal.signal(signum, _raise_terminated)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated(signum)


_holding: list[int] | None = None  # the signals held by the active `_signals_held` block


@contextmanager
def _signals_held() -> Iterator[None]:
    """Hold Ctrl-C and termination signals until the block is done: for steps that must not be
    cut in half (create and record a temporary file, rename and record, undo). A held signal
    is delivered, and raises, as the block ends.

    The Python-level handlers are swapped for one that only records the signal: masking the
    signal would not do, as the kernel hands a signal masked here to any other thread of the
    process, and Python then runs its handler in this thread at once. Signals can only be
    handled in the main thread, so elsewhere there is nothing to hold.
    """
    global _holding
    if _holding is not None or threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    previous = {}
    for signum in _HELD_SIGNALS:
        if signal.getsignal(signum) not in (signal.SIG_IGN, None):
            previous[signum] = signal.signal(signum, lambda signum, frame: held.append(signum))
    _holding = held
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _holding = None
        for signum in dict.fromkeys(held):
            signal.raise_signal(signum)
