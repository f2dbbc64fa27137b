"""Writing outputs (attoreport.output): refusals before any work, whole-or-none writes under
injected faults, symlinks written through, streams written in place, appends, and signals.

Faults are injected by wrapping `os.write` / `os.replace`; signals are sent to real
subprocesses, each waited for by the state it must reach (never by time).
"""

from __future__ import annotations

import errno
import json
import os
import select
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import attoreport
from attoreport.cli import main
from attoreport.errors import AttoreportError
from attoreport.inputs import TraceInput
from attoreport.output import Terminated, check_outputs, termination_raises, write_outputs
from tests.conftest import FIXTURES

CLEAN = FIXTURES / "collector" / "collector-clean-feature.jsonl"
STDIN = TraceInput("-", None, "stdin")
#: How long a subprocess test waits for a state before giving up (a hang guard, not an assertion).
PATIENCE_S = 60.0


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def names(folder: Path) -> list[str]:
    """Every entry, hidden ones included: temporary files and backups would show here."""
    return sorted(p.name for p in folder.iterdir())


def traced(path: Path) -> TraceInput:
    return TraceInput(str(path), path, path.stem)


# --- fault injection ---------------------------------------------------------------------------


def fail_write_call(monkeypatch: pytest.MonkeyPatch, n: int, code: int = errno.ENOSPC) -> None:
    """The n-th os.write call fails (each small output is one call)."""
    real, calls = os.write, []

    def write(fd: int, data: bytes) -> int:
        calls.append(fd)
        if len(calls) == n:
            raise OSError(code, os.strerror(code))
        return real(fd, data)

    monkeypatch.setattr(os, "write", write)


def fail_rename(monkeypatch: pytest.MonkeyPatch, n: int, *, restore_fails: bool = False) -> list[str]:
    """The n-th rename of a temporary file onto its output fails (and, if asked, every rename
    of a backup back into place). Returns the folders the temporary files were in."""
    real, folders = os.replace, []

    def replace(src: str, dst: str) -> None:
        if str(src).endswith(".tmp"):
            folders.append(os.path.dirname(src))
            if len(folders) == n:
                raise OSError(errno.EIO, "injected rename failure", dst)
        if restore_fails and str(src).endswith(".bak"):
            raise OSError(errno.EIO, "injected restore failure", dst)
        real(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    return folders


# --- writing files -----------------------------------------------------------------------------


def test_outputs_are_written_whole(tmp_path: Path) -> None:
    a, b = tmp_path / "a.html", tmp_path / "b.json"
    a.write_text("old")
    write_outputs({str(a): "<html>ü</html>", str(b): "{}"})
    assert a.read_text(encoding="utf-8") == "<html>ü</html>" and b.read_text() == "{}"
    assert names(tmp_path) == ["a.html", "b.json"]


def test_new_files_follow_the_umask_and_existing_files_keep_their_mode(tmp_path: Path) -> None:
    kept = {tmp_path / "private.json": 0o600, tmp_path / "group.json": 0o640,
            tmp_path / "readonly.json": 0o444}
    for path, mode in kept.items():
        path.write_text("old")
        path.chmod(mode)
    old = os.umask(0o027)
    try:
        write_outputs({str(tmp_path / "new.json"): "{}", **{str(p): "new" for p in kept}})
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.json").stat().st_mode) == 0o640
    for path, mode in kept.items():
        assert stat.S_IMODE(path.stat().st_mode) == mode and path.read_text() == "new"


@pytest.mark.skipif(os.geteuid() != 0, reason="only root may give a file to another user")
def test_root_keeps_the_owner_of_a_file_it_rewrites(tmp_path: Path) -> None:
    theirs = tmp_path / "theirs.html"
    theirs.write_text("old")
    os.chown(theirs, 65534, 65534)
    write_outputs({str(theirs): "new"})
    assert (theirs.stat().st_uid, theirs.stat().st_gid) == (65534, 65534) and theirs.read_text() == "new"


def test_a_failing_write_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = tmp_path / "a.html", tmp_path / "b.json"
    a.write_text("old a")
    fail_write_call(monkeypatch, 2)
    with pytest.raises(AttoreportError, match=r"b\.json: cannot write: No space left on device; "
                                              "nothing written"):
        write_outputs({str(a): "new a", str(b): "new b"})
    assert names(tmp_path) == ["a.html"] and a.read_text() == "old a"


def test_a_failing_first_rename_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = tmp_path / "a.html", tmp_path / "b.json"
    a.write_text("old a")
    fail_rename(monkeypatch, 1)
    with pytest.raises(AttoreportError, match=r"a\.html: cannot write: injected rename failure"):
        write_outputs({str(a): "new a", str(b): "new b"})
    assert names(tmp_path) == ["a.html"] and a.read_text() == "old a"


@pytest.mark.parametrize("first_existed", [True, False])
def test_a_failing_second_rename_puts_the_first_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     first_existed: bool) -> None:
    a, b = tmp_path / "a.html", tmp_path / "b.json"
    if first_existed:
        a.write_text("old a")
        a.chmod(0o640)
        inode = a.stat().st_ino
    b.write_text("old b")
    fail_rename(monkeypatch, 2)
    with pytest.raises(AttoreportError, match=r"b\.json: cannot write: .*; nothing written"):
        write_outputs({str(a): "new a", str(b): "new b"})
    assert b.read_text() == "old b"
    if first_existed:
        assert a.read_text() == "old a" and a.stat().st_ino == inode
        assert stat.S_IMODE(a.stat().st_mode) == 0o640
        assert names(tmp_path) == ["a.html", "b.json"]
    else:
        assert names(tmp_path) == ["b.json"]


def test_without_hard_links_the_previous_file_is_moved_aside_and_comes_back(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """protected_hardlinks refuses links to other users' files (EPERM): the undo still works."""
    def no_links(*args: object, **kwargs: object) -> None:
        raise PermissionError(errno.EPERM, "injected: no hard links")

    a, b = tmp_path / "a.html", tmp_path / "b.json"
    a.write_text("old a")
    monkeypatch.setattr(os, "link", no_links)
    fail_rename(monkeypatch, 2)
    with pytest.raises(AttoreportError, match=r"b\.json: cannot write"):
        write_outputs({str(a): "new a", str(b): "new b"})
    assert a.read_text() == "old a" and names(tmp_path) == ["a.html"]
    write_outputs({str(a): "newer a"})
    assert a.read_text() == "newer a" and names(tmp_path) == ["a.html"]


def test_a_failed_undo_says_where_the_previous_file_is(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = tmp_path / "a.html", tmp_path / "b.json"
    a.write_text("old a")
    fail_rename(monkeypatch, 2, restore_fails=True)
    with pytest.raises(AttoreportError, match="could not put back .*a.html.*previous content is in"):
        write_outputs({str(a): "new a", str(b): "new b"})
    [backup] = [p for p in tmp_path.iterdir() if p.name.endswith(".bak")]
    assert backup.read_text() == "old a" and not list(tmp_path.glob(".*.tmp"))


def test_temporary_files_are_made_beside_the_final_file(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    real_folder, link_folder = tmp_path / "real", tmp_path / "links"
    real_folder.mkdir()
    link_folder.mkdir()
    (link_folder / "r.json").symlink_to(Path("..") / "real" / "r.json")
    folders = fail_rename(monkeypatch, 99)
    write_outputs({str(link_folder / "r.json"): "{}"})
    assert [os.path.realpath(f) for f in folders] == [str(real_folder.resolve())]


def test_the_writer_refuses_clashes_itself(tmp_path: Path) -> None:
    (tmp_path / "link.json").symlink_to("r.json")
    with pytest.raises(AttoreportError, match="given for two outputs"):
        write_outputs({str(tmp_path / "r.json"): "a", str(tmp_path / "link.json"): "b"})
    with pytest.raises(AttoreportError, match="only one output can go to standard output"):
        write_outputs({"-": "a", "/dev/stdout": "b"})
    assert names(tmp_path) == ["link.json"]


def test_new_outputs_are_checked_against_inputs_without_a_null_device(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "devnull", str(tmp_path / "no-null-device-here"))
    link = tmp_path / "new.json"
    link.symlink_to("t.jsonl")
    with pytest.raises(AttoreportError, match="is one of the input traces"):
        check_outputs({"json": str(link)}, [traced(tmp_path / "t.jsonl")])


def test_lone_surrogates_are_written_as_replacement_characters(tmp_path: Path) -> None:
    out = tmp_path / "r.md"
    write_outputs({str(out): "bad \udc80 text"})
    assert out.read_text(encoding="utf-8") == "bad \ufffd text"


# --- symlinks, streams, devices ----------------------------------------------------------------


def test_a_symlinked_output_is_written_through(tmp_path: Path) -> None:
    real_folder, link_folder = tmp_path / "real", tmp_path / "links"
    real_folder.mkdir()
    link_folder.mkdir()
    target = real_folder / "r.html"
    target.write_text("old")
    target.chmod(0o640)
    (link_folder / "second").symlink_to(Path("..") / "real" / "r.html")
    link = link_folder / "r.html"
    link.symlink_to("second")  # a chain: r.html -> second -> ../real/r.html
    write_outputs({str(link): "new"})
    assert link.is_symlink() and os.readlink(link) == "second"
    assert (link_folder / "second").is_symlink()
    assert target.read_text() == "new" and stat.S_IMODE(target.stat().st_mode) == 0o640
    assert names(real_folder) == ["r.html"] and names(link_folder) == ["r.html", "second"]


def test_a_dangling_symlink_gets_its_target_created(tmp_path: Path) -> None:
    link = tmp_path / "r.json"
    link.symlink_to("made.json")
    write_outputs({str(link): "{}"})
    assert link.is_symlink() and (tmp_path / "made.json").read_text() == "{}"


def test_a_dangling_symlink_into_a_missing_folder_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "r.json"
    link.symlink_to(tmp_path / "gone" / "r.json")
    with pytest.raises(AttoreportError, match="gone does not exist .where its symlink points."):
        check_outputs({"json": str(link)}, [])


def test_a_fifo_is_written_in_place(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader is there, so the writer never waits
    try:
        write_outputs({str(fifo): "through the pipe"})
        assert os.read(reader, 100) == b"through the pipe"
    finally:
        os.close(reader)
    assert stat.S_ISFIFO(fifo.lstat().st_mode) and names(tmp_path) == ["pipe"]


def test_a_terminal_is_written_in_place() -> None:
    leader, follower = os.openpty()
    try:
        terminal = os.ttyname(follower)
        write_outputs({terminal: "to the terminal"})
        readable, _, _ = select.select([leader], [], [], PATIENCE_S)
        assert readable and os.read(leader, 100) == b"to the terminal"
        assert stat.S_ISCHR(os.stat(terminal).st_mode)
    finally:
        os.close(leader)
        os.close(follower)


def test_dev_null_stays_a_device() -> None:
    write_outputs({os.devnull: "nothing"})
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)
    assert run(str(CLEAN), "-o", os.devnull, "--json", os.devnull).exit_code == 0
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


@pytest.mark.parametrize("name", ["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"])
def test_stdout_names_go_to_standard_output_and_the_link_stays(name: str) -> None:
    was_link = os.path.islink("/dev/stdout")
    result = run(str(CLEAN), "--json", name)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["sessions"][0]["session_id"]
    assert os.path.islink("/dev/stdout") == was_link


@pytest.mark.parametrize("args", [
    ["-o", "/dev/stdout", "--json", "-"],
    ["--json", "/dev/fd/1", "--markdown", "-"],
    ["-o", "/proc/self/fd/1", "--markdown", "/dev/stdout"],
])
def test_two_outputs_to_standard_output_are_refused(args: list[str]) -> None:
    result = run(str(CLEAN), *args)
    assert result.exit_code == 2
    assert "only one output can go to standard output" in result.stderr and result.stdout == ""


def test_stdout_names_count_as_standard_output_whatever_fd_1_is(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)
    os.close(write_end)
    with pytest.raises(AttoreportError, match="only one output can go to standard output"):
        check_outputs({"html": "/dev/stdout", "json": "-"}, [], stdout_fd=read_end)


def test_a_file_that_is_standard_output_counts_as_standard_output(tmp_path: Path) -> None:
    out = tmp_path / "out.html"
    with out.open("w") as stdout:
        with pytest.raises(AttoreportError, match="only one output can go to standard output"):
            check_outputs({"html": str(out), "json": "-"}, [], stdout_fd=stdout.fileno())
        check_outputs({"html": str(out)}, [], stdout_fd=stdout.fileno())


def test_a_socket_is_refused() -> None:
    with tempfile.TemporaryDirectory() as folder:  # short: socket paths have a length limit
        path = os.path.join(folder, "s")
        server = socket.socket(socket.AF_UNIX)
        try:
            server.bind(path)
            with pytest.raises(AttoreportError, match="is a socket"):
                check_outputs({"json": path}, [])
        finally:
            server.close()


def test_a_block_device_is_refused() -> None:
    devices = [p for p in Path("/dev").iterdir()
               if stat.S_ISBLK(p.lstat().st_mode)] if Path("/dev").is_dir() else []
    if not devices:
        pytest.skip("no block device here")
    with pytest.raises(AttoreportError, match="is a block device"):
        check_outputs({"json": str(devices[0])}, [])


# --- append mode -------------------------------------------------------------------------------


def test_append_adds_to_the_file_and_keeps_it(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    summary.chmod(0o604)
    inode = summary.stat().st_ino
    check_outputs({"markdown": str(summary)}, [], append_to={str(summary)})
    write_outputs({str(summary): "## report\n"}, append_to={str(summary)})
    assert summary.read_text() == "earlier step\n## report\n"
    assert summary.stat().st_ino == inode and stat.S_IMODE(summary.stat().st_mode) == 0o604


def test_append_creates_a_missing_file_and_writes_through_a_link(tmp_path: Path) -> None:
    link = tmp_path / "summary.md"
    link.symlink_to("real.md")
    write_outputs({str(link): "## report\n"}, append_to={str(link)})
    assert link.is_symlink() and (tmp_path / "real.md").read_text() == "## report\n"


@pytest.mark.parametrize("existed", [True, False])
def test_a_failure_after_an_append_takes_it_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 existed: bool) -> None:
    summary, other = tmp_path / "summary.md", tmp_path / "other.md"
    if existed:
        summary.write_text("earlier step\n")
    other.write_text("other\n")
    fail_write_call(monkeypatch, 2)
    with pytest.raises(AttoreportError, match=r"other\.md: cannot write"):
        write_outputs({str(summary): "## report\n", str(other): "more\n"},
                      append_to={str(summary), str(other)})
    assert other.read_text() == "other\n"
    if existed:
        assert summary.read_text() == "earlier step\n"
    else:
        assert not summary.exists()


# --- refusals before any work ------------------------------------------------------------------


def test_a_hard_link_clash_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text("{}")
    os.link(tmp_path / "a.json", tmp_path / "b.md")
    result = run(str(CLEAN), "--json", str(tmp_path / "a.json"), "--markdown", str(tmp_path / "b.md"))
    assert result.exit_code == 2
    assert "b.md: given for two outputs (the json and the markdown)" in result.stderr
    assert (tmp_path / "a.json").read_text() == "{}"


@pytest.mark.parametrize("make", [
    lambda folder: (folder / "link.html").symlink_to("r.html"),  # r.html does not exist yet
    lambda folder: (folder / "link.html").symlink_to(folder / "r.html"),
])
def test_a_symlink_clash_is_refused(tmp_path: Path, make: Callable[[Path], None]) -> None:
    make(tmp_path)
    with pytest.raises(AttoreportError, match="given for two outputs"):
        check_outputs({"html": str(tmp_path / "r.html"), "json": str(tmp_path / "link.html")}, [])


def test_two_spellings_of_one_new_file_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    with pytest.raises(AttoreportError, match="given for two outputs"):
        check_outputs({"html": "r.html", "json": "./sub/../r.html"}, [])


@pytest.mark.parametrize("link", ["symlink", "hardlink"])
def test_an_input_reached_through_a_link_is_refused(tmp_path: Path, link: str) -> None:
    trace = tmp_path / "t.jsonl"
    trace.write_bytes(CLEAN.read_bytes())
    alias = tmp_path / "alias.json"
    (alias.symlink_to if link == "symlink" else alias.hardlink_to)(trace)
    result = run(str(trace), "--json", str(alias))
    assert result.exit_code == 2 and "is one of the input traces" in result.stderr
    assert trace.read_bytes() == CLEAN.read_bytes()


def test_the_file_read_as_stdin_is_refused(tmp_path: Path) -> None:
    trace = tmp_path / "t.jsonl"
    trace.write_bytes(CLEAN.read_bytes())
    with trace.open("rb") as stdin:
        with pytest.raises(AttoreportError, match="is the file being read from standard input"):
            check_outputs({"json": str(trace)}, [STDIN], stdin_fd=stdin.fileno())
        check_outputs({"json": str(trace)}, [traced(CLEAN)], stdin_fd=stdin.fileno())  # not read


def test_the_file_read_as_stdin_is_refused_on_the_command_line(tmp_path: Path) -> None:
    trace = tmp_path / "t.jsonl"
    trace.write_bytes(CLEAN.read_bytes())
    with trace.open("rb") as stdin:
        result = subprocess.run([sys.executable, "-m", "attoreport", "-", "-o", "t.jsonl"], cwd=tmp_path,
                                stdin=stdin, capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert "t.jsonl: is the file being read from standard input" in result.stderr
    assert trace.read_bytes() == CLEAN.read_bytes() and names(tmp_path) == ["t.jsonl"]


def test_a_file_that_is_stdout_and_dash_are_refused_on_the_command_line(tmp_path: Path) -> None:
    out = tmp_path / "out.html"
    with out.open("wb") as stdout:
        result = subprocess.run([sys.executable, "-m", "attoreport", str(CLEAN), "-o", str(out),
                                 "--json", "-"], stdout=stdout, stderr=subprocess.PIPE, text=True,
                                check=False)
    assert result.returncode == 2 and "only one output can go to standard output" in result.stderr


def test_a_folder_as_output_is_refused(tmp_path: Path) -> None:
    for path, message in [(tmp_path, "is a directory"), (f"{tmp_path}/new/", "names a folder"),
                          (tmp_path / "no" / "r.html", "does not exist")]:
        result = run(str(CLEAN), "-o", str(path))
        assert result.exit_code == 2 and message in result.stderr, (path, result.stderr)


def self_loop(folder: Path) -> str:
    (folder / "loop.html").symlink_to("loop.html")
    return str(folder / "loop.html")


def loop_in_a_folder(folder: Path) -> str:
    (folder / "d").symlink_to("d")
    return str(folder / "d" / "r.html")


def two_link_loop(folder: Path) -> str:
    (folder / "a.html").symlink_to("b.html")
    (folder / "b.html").symlink_to("a.html")
    return str(folder / "a.html")


def file_as_folder(folder: Path) -> str:
    (folder / "file").write_text("")
    return str(folder / "file" / "r.html")


@pytest.mark.parametrize(("make", "message"), [
    (self_loop, "too many levels of symbolic links"),
    (two_link_loop, "too many levels of symbolic links"),
    (loop_in_a_folder, "too many levels of symbolic links"),
    (lambda folder: str(folder / ("x" * 300)), "too long"),
    (lambda folder: str(folder / "/".join(["y" * 200] * 30) / "r.html"), "too long"),
    (file_as_folder, "a part of the path is not a folder"),
])
def test_path_problems_exit_2(tmp_path: Path, make: Callable[[Path], str], message: str) -> None:
    result = run(str(CLEAN), "-o", make(tmp_path))
    assert result.exit_code == 2, result.output
    assert message in result.stderr and len(result.stderr) < 600


def test_a_path_without_permission_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = str(tmp_path / "r.html")
    real = os.stat

    def stat_(path: object, *args: object, **kwargs: object) -> os.stat_result:
        if os.fspath(path) == out:  # type: ignore[call-overload]
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), out)
        return real(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "stat", stat_)
    result = run(str(CLEAN), "-o", out)
    assert result.exit_code == 2 and f"{out}: permission denied" in result.stderr


def test_a_folder_without_write_permission_exits_2(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "access", lambda path, mode: os.fspath(path) != str(tmp_path))
    result = run(str(CLEAN), "-o", str(tmp_path / "r.html"))
    assert result.exit_code == 2 and "permission denied (cannot create files in" in result.stderr


def test_a_nul_in_a_path_is_refused() -> None:
    with pytest.raises(AttoreportError, match="is not a usable path"):
        check_outputs({"json": "a\0b.json"}, [])


def test_a_long_undecodable_path_is_shown_bounded_and_decodable(tmp_path: Path) -> None:
    bad = str(tmp_path / "missing") + "/" + "\udcff" * 5000
    with pytest.raises(AttoreportError) as raised:
        check_outputs({"json": bad}, [])
    message = str(raised.value)
    assert len(message) < 600 and "\ufffd" in message and "5," in message
    message.encode("utf-8")


# --- interruption ------------------------------------------------------------------------------


@pytest.fixture
def default_sigterm() -> Iterator[None]:
    previous = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    yield
    signal.signal(signal.SIGTERM, previous)


@pytest.mark.usefixtures("default_sigterm")
def test_sigterm_raises_terminated_inside_the_block_only() -> None:
    with pytest.raises(Terminated, match="SIGTERM"), termination_raises():
        assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL  # else the kill ends pytest
        os.kill(os.getpid(), signal.SIGTERM)  # the handler runs before the next line
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


@pytest.mark.usefixtures("default_sigterm")
def test_a_handler_someone_installed_is_left_alone() -> None:
    def theirs(signum: int, frame: object) -> None:
        return None

    signal.signal(signal.SIGTERM, theirs)
    with termination_raises():
        assert signal.getsignal(signal.SIGTERM) is theirs


@pytest.fixture
def other_thread() -> Iterator[threading.Thread]:
    """A second thread of the process that does not block any signal."""
    done = threading.Event()
    thread = threading.Thread(target=done.wait, daemon=True)
    thread.start()
    yield thread
    done.set()
    thread.join()


@pytest.mark.usefixtures("default_sigterm")
@pytest.mark.parametrize("receiver", ["this thread", "another thread"])
@pytest.mark.parametrize(("step", "suffix"), [("open", ".tmp"), ("link", ".bak"), ("replace", ".tmp")])
def test_a_signal_just_after_a_step_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          other_thread: threading.Thread, receiver: str,
                                                          step: str, suffix: str) -> None:
    """SIGTERM right after a temporary file, a backup or a rename is made: the name is recorded
    before the signal is handled, so it is cleaned up and the previous file comes back. Also when
    the kernel hands the signal to another thread of the process (Python then runs the handler
    in the main thread at once: the CI run that had a browser thread left a temporary file)."""
    out = tmp_path / "r.html"
    out.write_text("previous")
    real = getattr(os, step)
    target = threading.main_thread() if receiver == "this thread" else other_thread

    def then_signal(*args: object, **kwargs: object) -> object:
        result = real(*args, **kwargs)
        if str(args[0 if step != "link" else 1]).endswith(suffix):
            assert target.ident is not None
            signal.pthread_kill(target.ident, signal.SIGTERM)
            time.sleep(0.05)  # lets the other thread take the lock: Python then looks at signals
        return result

    monkeypatch.setattr(os, step, then_signal)
    with pytest.raises(Terminated):
        write_outputs({str(out): "new", str(tmp_path / "r.json"): "{}"})
    assert names(tmp_path) == ["r.html"] and out.read_text() == "previous"


@pytest.mark.parametrize("interruption", [KeyboardInterrupt(), Terminated(signal.SIGTERM)])
def test_the_cli_exits_130_when_interrupted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            interruption: BaseException) -> None:
    out = tmp_path / "r.html"
    out.write_text("previous")

    def interrupted(*args: object, **kwargs: object) -> str:
        raise interruption

    monkeypatch.setattr(attoreport, "render_html", interrupted)
    result = run(str(CLEAN), "-o", str(out))
    assert result.exit_code == 130
    assert result.stderr == "attoreport: interrupted; nothing written\n"
    assert out.read_text() == "previous" and names(tmp_path) == ["r.html"]


def test_an_interruption_after_the_write_does_not_claim_nothing_was_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("attoreport.cli._say_done", interrupted)
    result = run(str(CLEAN), "--json", str(tmp_path / "r.json"))
    assert result.exit_code == 130 and result.stderr == "attoreport: interrupted\n"


def start(args: list[str], cwd: Path, script: str | None = None) -> subprocess.Popen[str]:
    """attoreport in a subprocess, with Ctrl-C and SIGTERM at their defaults (a test runner
    started in the background inherits an ignored SIGINT, which Python would keep)."""
    def default_signals() -> None:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)

    command = [sys.executable, "-c", script, *args] if script else [sys.executable, "-m", "attoreport",
                                                                     *args]
    return subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=default_signals)


def wait_for(condition: Callable[[], bool], process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + PATIENCE_S
    while not condition():
        if process.poll() is not None:
            pytest.fail(f"attoreport ended early ({process.returncode}): {process.communicate()}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("attoreport never reached the state the test waits for")
        time.sleep(0.01)


def wait_until_blocked(process: subprocess.Popen[str]) -> None:
    """Wait until the process sleeps in a system call (state S), so a signal interrupts it.

    A signal that arrives while CPython is in C code just before a blocking call is only noted,
    and handled when that call returns: a real delay in CPython, but not what these tests
    are about. Called once the process is past everything that could sleep before the call.
    """
    stat_file = Path(f"/proc/{process.pid}/stat")
    if not stat_file.exists():
        return  # no /proc here: signal at once

    def sleeping() -> bool:
        text = stat_file.read_text()
        return text[text.rindex(")") + 1:].split()[0] == "S"

    wait_for(sleeping, process)


def stop(process: subprocess.Popen[str], signum: int) -> tuple[int, str]:
    wait_until_blocked(process)
    process.send_signal(signum)
    try:
        _, stderr = process.communicate(timeout=PATIENCE_S)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail("attoreport did not stop")
    return process.returncode, stderr


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_while_a_pipe_waits_for_a_reader_undoes_the_files(tmp_path: Path, signum: int) -> None:
    out = tmp_path / "r.html"
    out.write_text("previous")
    os.mkfifo(tmp_path / "nobody-reads")
    process = start([str(CLEAN), "-o", "r.html", "--json", "nobody-reads"], tmp_path)
    wait_for(lambda: out.read_text() != "previous", process)  # renamed; now waiting on the pipe
    code, stderr = stop(process, signum)
    assert code == 130 and stderr.endswith("attoreport: interrupted; nothing written\n"), stderr
    assert out.read_text() == "previous" and names(tmp_path) == ["nobody-reads", "r.html"]


SLOW_WRITE = """
import sys, time
import attoreport.output as output
real_write = output._write_fd
def slow_write(fd, data):
    real_write(fd, data[:10])
    open(sys.argv[1], "w").close()
    time.sleep(600)
output._write_fd = slow_write
from attoreport.cli import main
main(sys.argv[2:])
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_during_a_slow_write_leaves_no_temporary_file(tmp_path: Path, signum: int) -> None:
    folder, marker = tmp_path / "out", tmp_path / "writing"
    folder.mkdir()
    (folder / "r.html").write_text("previous")
    process = start([str(marker), str(CLEAN), "-o", "out/r.html", "--json", "out/r.json"], tmp_path,
                    script=SLOW_WRITE)
    wait_for(marker.exists, process)
    assert any(name.endswith(".tmp") for name in names(folder))  # the state the cleanup must undo
    code, stderr = stop(process, signum)
    assert code == 130 and stderr.endswith("attoreport: interrupted; nothing written\n"), stderr
    assert names(folder) == ["r.html"] and (folder / "r.html").read_text() == "previous"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_while_reading_exits_130_and_writes_nothing(tmp_path: Path, signum: int) -> None:
    fifo = tmp_path / "trace.jsonl"
    os.mkfifo(fifo)
    process = start([str(fifo), "-o", "r.html"], tmp_path)
    writer = os.open(fifo, os.O_WRONLY)  # returns once attoreport opened it for reading
    try:
        os.write(writer, CLEAN.read_bytes()[:100])  # a line cut short: the reader waits for more
        code, stderr = stop(process, signum)
    finally:
        os.close(writer)
    assert code == 130 and stderr.endswith("attoreport: interrupted; nothing written\n"), stderr
    assert names(tmp_path) == ["trace.jsonl"]


def test_a_descriptor_link_to_a_log_file_is_written_in_place(tmp_path: Path) -> None:
    log = tmp_path / "log"
    log.write_text("earlier\n")
    inode = log.stat().st_ino
    with log.open("ab") as stderr:
        result = subprocess.run([sys.executable, "-m", "attoreport", str(CLEAN), "--json", "/dev/stderr"],
                                stderr=stderr, check=False)
    assert result.returncode == 0
    assert log.stat().st_ino == inode and names(tmp_path) == ["log"]
    earlier, said = "earlier\n", "attoreport: 1 session -> /dev/stderr\n"
    text = log.read_text()
    assert text.startswith(earlier) and text.endswith(said)
    assert json.loads(text[len(earlier):-len(said)])["sessions"]


def test_a_closed_standard_output_is_exit_2_and_undoes_the_files(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    out.write_text("previous")
    reader, writer = os.pipe()
    os.close(reader)
    try:
        result = subprocess.run([sys.executable, "-m", "attoreport", str(CLEAN), "-o", str(out),
                                 "--json", "-"], stdout=writer, stderr=subprocess.PIPE, text=True,
                                check=False)
    finally:
        os.close(writer)
    assert result.returncode == 2, result.stderr
    assert "-: cannot write: Broken pipe; nothing written" in result.stderr
    assert "Traceback" not in result.stderr and "Exception ignored" not in result.stderr
    assert out.read_text() == "previous" and names(tmp_path) == ["r.html"]
