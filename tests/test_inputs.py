"""Finding and opening trace inputs: folders, links, duplicates, devices, pipes, gzip,
undecodable names and the no-argument run. Real fixture traces, real files and links."""

from __future__ import annotations

import builtins
import gzip
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import attoreport
from attoreport import AttoreportError, analyse, load
from attoreport.cli import main
from attoreport.inputs import (
    SKIPPED_DIRS,
    TraceInput,
    describe_os_error,
    display_path,
    find_inputs,
    open_input,
    walk,
)
from tests.conftest import FIXTURES

CLEAN = FIXTURES / "collector" / "collector-clean-feature.jsonl"  # 69 events
OPEN = FIXTURES / "collector" / "collector-crashed-open-session.jsonl"  # 20 events
LEGACY = FIXTURES / "legacy" / "legacy-basic-session.jsonl"
AS_ROOT = os.geteuid() == 0
#: What a credentials file outside a trace folder holds; it must never be read.
SECRET = "ghp_attoreportTestSecret0123456789abcdefXYZ"


def run(*args: str, stdin: bytes | None = None) -> Any:
    return CliRunner().invoke(main, list(args), input=stdin)


def copy(source: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, target)
    return target


def sources(args: list[str], cwd: Path | None = None) -> list[str]:
    return [t.source for t in find_inputs(args, cwd).traces]


def notes_of(args: list[str], cwd: Path | None = None) -> list[tuple[str, str]]:
    return [(n.file, n.message) for n in find_inputs(args, cwd).notes]


def input_notes(sessions: list[attoreport.Session]) -> list[tuple[str, str, str]]:
    return [(d.file, d.message, d.action) for s in sessions for d in s.diagnostics
            if d.line == 0]


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder `runs` of traces in nested, hidden and tooling folders; cwd is its parent."""
    runs = tmp_path / "runs"
    copy(CLEAN, runs / "b.jsonl")
    copy(OPEN, runs / "a" / "z.jsonl")
    (runs / "a" / "y.jsonl.gz").write_bytes(gzip.compress(LEGACY.read_bytes()))
    copy(CLEAN, runs / "a.jsonl")
    copy(OPEN, runs / ".attocode" / "traces" / "hidden.jsonl")
    for tooling in (".git", "node_modules", ".venv", "__pycache__"):
        copy(CLEAN, runs / "deep" / tooling / "ignored.jsonl")
    copy(CLEAN, runs / "deep" / "er" / "est.jsonl")
    (runs / "notes.txt").write_text("not a trace")
    (runs / "data.json").write_text("{}")
    monkeypatch.chdir(tmp_path)
    return runs


# -- folders: recursive, sorted, tooling skipped --------------------------------------------


def test_folders_are_read_recursively_in_relative_path_order(tree: Path) -> None:
    assert sources(["runs"]) == [
        "runs/.attocode/traces/hidden.jsonl",  # hidden folders are read
        "runs/a/y.jsonl.gz",
        "runs/a/z.jsonl",
        "runs/a.jsonl",
        "runs/b.jsonl",
        "runs/deep/er/est.jsonl",  # .git, node_modules, .venv, __pycache__ are not entered
    ]
    sessions = load(["runs"])
    assert [s.session_id for s in sessions] == ["hidden", "legacy-7f3a9c", "z", "a", "b", "est"]
    assert input_notes(sessions) == []


def test_sources_keep_the_folder_as_it_was_named(tree: Path) -> None:
    assert sources(["./runs/a/"]) == ["runs/a/y.jsonl.gz", "runs/a/z.jsonl"]
    assert sources([str(tree / "a")]) == [str(tree / "a" / "y.jsonl.gz"),
                                          str(tree / "a" / "z.jsonl")]


def test_the_current_folder_names_its_traces_plainly(tree: Path) -> None:
    assert sources(["."], tree / "a") == ["y.jsonl.gz", "z.jsonl"]
    assert sources(["runs/deep"]) == ["runs/deep/er/est.jsonl"]


def test_skipped_tooling_folders_are_a_documented_constant() -> None:
    assert {".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", ".tox",
            ".mypy_cache", ".pytest_cache", ".ruff_cache"} == SKIPPED_DIRS
    assert ".attocode" not in SKIPPED_DIRS and ".agent" not in SKIPPED_DIRS


def test_a_tooling_folder_named_explicitly_is_read(tree: Path) -> None:
    assert sources(["runs/deep/.git"]) == ["runs/deep/.git/ignored.jsonl"]


def test_folder_tree_through_the_cli(tree: Path) -> None:
    result = run("runs", "--json", "-")
    assert result.exit_code == 0, result.stderr
    assert [s["source"] for s in json.loads(result.stdout)["sessions"]][:2] == [
        "runs/.attocode/traces/hidden.jsonl", "runs/a/y.jsonl.gz"]


# -- empty and unreadable files inside a folder: notes, not failures ------------------------


def test_empty_file_in_a_folder_is_a_note(tree: Path) -> None:
    (tree / "a" / "empty.jsonl").write_bytes(b"")
    sessions = load(["runs"])
    assert len(sessions) == 6
    assert input_notes(sessions) == [("runs/a/empty.jsonl", "empty file; skipped", "skipped")]
    # Listed first among the first session's diagnostics, with line 0.
    assert sessions[0].diagnostics[0].line == 0


@pytest.fixture
def locked(tree: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """runs/a/locked.jsonl, a good trace that cannot be opened (permission denied)."""
    path = copy(CLEAN, tree / "a" / "locked.jsonl")
    real_open = builtins.open

    def refusing_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(file, (str, Path)) and Path(file).name == "locked.jsonl":
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", refusing_open)  # root can read any file
    return path


def test_unreadable_file_in_a_folder_is_a_note(locked: Path) -> None:
    sessions = load(["runs"])
    assert len(sessions) == 6
    assert input_notes(sessions) == [("runs/a/locked.jsonl",
                                      "cannot read: permission denied; file skipped", "skipped")]


def test_unreadable_file_named_itself_is_an_error(locked: Path) -> None:
    with pytest.raises(AttoreportError, match="^runs/a/locked.jsonl: cannot read: "
                       "permission denied$"):
        load(["runs/a/locked.jsonl"])


@pytest.mark.skipif(AS_ROOT, reason="root reads files whatever their mode")
def test_file_without_read_permission_in_a_folder_is_a_note(tree: Path) -> None:
    locked = copy(CLEAN, tree / "a" / "locked.jsonl")
    locked.chmod(0)
    sessions = load(["runs"])
    assert ("runs/a/locked.jsonl", "cannot read: permission denied; file skipped",
            "skipped") in input_notes(sessions)


def test_folder_tree_with_empty_and_unreadable_files_through_the_cli(locked: Path,
                                                                     tree: Path) -> None:
    (tree / "empty.jsonl").write_bytes(b"")
    result = run("runs", "-o", "r.html", "--json", "r.json")
    assert result.exit_code == 0, result.stderr
    assert "runs/a/locked.jsonl: cannot read: permission denied; file skipped" in result.stderr
    assert "runs/empty.jsonl: empty file; skipped\n" in result.stderr
    assert "attoreport: 6 sessions; 2 inputs skipped -> r.html, r.json" in result.stderr
    diagnostics = json.loads(Path("r.json").read_text())["sessions"][0]["diagnostics"]
    # Notes found while walking come first, then those from reading.
    assert [(d["file"], d["line"]) for d in diagnostics] == [("runs/empty.jsonl", 0),
                                                             ("runs/a/locked.jsonl", 0)]
    assert "runs/empty.jsonl" in Path("r.html").read_text()


def test_unreadable_subfolder_is_a_note(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_scandir = os.scandir

    def refusing_scandir(path: Any = ".") -> Any:
        if Path(path).name == "a":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", refusing_scandir)
    found = find_inputs(["runs"])
    assert "runs/a/z.jsonl" not in [t.source for t in found.traces]
    assert [(n.file, n.message) for n in found.notes] == [
        ("runs/a", "cannot read the folder (permission denied); skipped")]
    with pytest.raises(AttoreportError, match="^runs/a: cannot read the folder: permission"):
        find_inputs(["runs/a"])


def test_junk_file_in_a_folder_is_a_note_but_a_folder_of_junk_is_an_error(
        tmp_path: Path) -> None:
    copy(CLEAN, tmp_path / "good.jsonl")
    (tmp_path / "junk.jsonl").write_text("hello\n")
    [session] = load([str(tmp_path)])
    [(file, message, _)] = input_notes([session])
    assert file.endswith("junk.jsonl") and message.startswith("no trace events found")
    (tmp_path / "good.jsonl").unlink()
    with pytest.raises(AttoreportError, match="no trace in this folder could be read "
                       r"\(first: .*junk.jsonl: no trace events found"):
        load([str(tmp_path)])


def test_folder_with_only_empty_files_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "t" / "sub").mkdir(parents=True)
    (tmp_path / "t" / "sub" / "empty.jsonl").write_bytes(b"")
    result = run(str(tmp_path / "t"), "--json", "-")
    assert result.exit_code == 2
    assert "no *.jsonl or *.jsonl.gz trace in this folder or its subfolders (1 skipped; first " \
        f"{tmp_path / 't' / 'sub' / 'empty.jsonl'}: empty file; skipped)" in result.stderr


def test_folder_without_traces_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(AttoreportError, match=r"no \*.jsonl or \*.jsonl.gz trace"):
        load([str(tmp_path)])


def test_empty_file_named_itself_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "empty.jsonl").write_bytes(b"")
    result = run(str(tmp_path / "empty.jsonl"), "--json", "-")
    assert result.exit_code == 2 and "empty.jsonl: no trace events found" in result.stderr


# -- the same file twice, or through two paths: read once -----------------------------------


def test_same_file_given_twice_is_read_once(tmp_path: Path) -> None:
    copy(CLEAN, tmp_path / "a.jsonl")
    found = find_inputs(["a.jsonl", "./a.jsonl", "a.jsonl"], cwd=tmp_path)
    assert [t.source for t in found.traces] == ["a.jsonl"]
    assert [(n.file, n.message, n.line, n.action) for n in found.notes] == [
        ("./a.jsonl", "the same file as a.jsonl; read once", 0, "skipped"),
        ("a.jsonl", "the same file as a.jsonl; read once", 0, "skipped")]


def test_symlink_and_hard_link_are_the_same_file(tmp_path: Path) -> None:
    copy(CLEAN, tmp_path / "a.jsonl")
    os.symlink("a.jsonl", tmp_path / "soft.jsonl")
    os.link(tmp_path / "a.jsonl", tmp_path / "hard.jsonl")
    sessions = load(["hard.jsonl", "soft.jsonl", "a.jsonl"], cwd=tmp_path)
    assert [s.session_id for s in sessions] == ["hard"]
    assert input_notes(sessions) == [
        ("soft.jsonl", "the same file as hard.jsonl; read once", "skipped"),
        ("a.jsonl", "the same file as hard.jsonl; read once", "skipped")]


def test_hard_links_inside_a_folder_are_read_once(tmp_path: Path) -> None:
    copy(CLEAN, tmp_path / "t" / "a.jsonl")
    os.link(tmp_path / "t" / "a.jsonl", tmp_path / "t" / "b.jsonl")
    assert sources(["t"], tmp_path) == ["t/a.jsonl"]
    assert notes_of(["t"], tmp_path) == [("t/b.jsonl", "the same file as t/a.jsonl; read once")]


def test_file_and_the_folder_holding_it(tree: Path) -> None:
    found = find_inputs(["runs/b.jsonl", "runs", "./runs"])
    assert [t.source for t in found.traces][0] == "runs/b.jsonl"
    assert [t.source for t in found.traces].count("runs/b.jsonl") == 1
    assert [(n.file, n.message) for n in found.notes] == [
        ("runs/b.jsonl", "the same file as runs/b.jsonl; read once"),
        ("runs", "the same folder as runs; read once")]


def test_same_file_twice_through_the_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy(CLEAN, tmp_path / "a.jsonl")
    monkeypatch.chdir(tmp_path)
    result = run("a.jsonl", "./a.jsonl", "-o", "r.html")
    assert result.exit_code == 0
    assert "./a.jsonl: the same file as a.jsonl; read once" in result.stderr
    assert "attoreport: 1 session; 1 input skipped -> r.html" in result.stderr


def test_stdin_given_twice_is_read_once() -> None:
    found = find_inputs(["-", "-"])
    assert [t.source for t in found.traces] == ["-"]
    sessions = load(["-", "-"], stdin=io.BytesIO(CLEAN.read_bytes()))
    assert len(sessions) == 1
    assert input_notes(sessions) == [("-", "standard input was given twice; read once",
                                      "skipped")]


# -- symlinks inside a folder: followed only within it --------------------------------------


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the trace folder with a trace-shaped credentials file."""
    secrets = tmp_path / "outside"
    secrets.mkdir()
    line = {"kind": "session_start", "timestamp": 1.0, "data": {"goal": SECRET}}
    (secrets / "credentials.jsonl").write_text(json.dumps(line) + "\n")
    copy(CLEAN, secrets / "more" / "x.jsonl")
    return secrets


def test_links_leading_out_of_the_folder_are_not_followed(tmp_path: Path, outside: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "t"
    copy(CLEAN, folder / "good.jsonl")
    os.symlink(outside / "credentials.jsonl", folder / "abs.jsonl")
    os.symlink("../outside/credentials.jsonl", folder / "rel.jsonl")
    os.symlink("../outside/more", folder / "dir")
    monkeypatch.chdir(tmp_path)
    found = find_inputs(["t"])
    assert [t.source for t in found.traces] == ["t/good.jsonl"]
    assert [(n.file, n.message) for n in found.notes] == [
        ("t/abs.jsonl", "a symbolic link to a place outside t; not followed"),
        ("t/dir", "a symbolic link to a place outside t; not followed"),
        ("t/rel.jsonl", "a symbolic link to a place outside t; not followed")]
    result = run("t", "-o", "r.html", "--json", "r.json", "--markdown", "r.md")
    assert result.exit_code == 0
    outputs = [result.stderr, *(Path(p).read_text() for p in ("r.html", "r.json", "r.md"))]
    assert "t/abs.jsonl" in outputs[0] and "t/abs.jsonl" in outputs[2]  # the notes are shown
    for text in outputs:
        assert SECRET not in text
        assert "credentials" not in text  # where a link leads out is not shown either


def test_a_sibling_folder_sharing_the_name_prefix_is_outside(tmp_path: Path) -> None:
    copy(CLEAN, tmp_path / "t" / "good.jsonl")
    copy(CLEAN, tmp_path / "t-private" / "secret.jsonl")
    os.symlink("../t-private/secret.jsonl", tmp_path / "t" / "secret.jsonl")
    assert sources(["t"], tmp_path) == ["t/good.jsonl"]
    assert notes_of(["t"], tmp_path) == [
        ("t/secret.jsonl", "a symbolic link to a place outside t; not followed")]


def test_links_within_the_folder_are_followed(tmp_path: Path) -> None:
    folder = tmp_path / "t"
    copy(CLEAN, folder / "raw" / "trace.data")  # not a trace name: read through the link
    os.symlink("raw/trace.data", folder / "linked.jsonl")
    copy(OPEN, folder / "runs" / "r1" / "x.jsonl")
    os.symlink("runs/r1", folder / "current")  # a link to a folder inside
    assert sources(["t"], tmp_path) == ["t/current/x.jsonl", "t/linked.jsonl"]
    assert notes_of(["t"], tmp_path) == [("t/runs/r1", "the same folder as t/current; read once")]


def test_a_folder_named_through_a_link_is_walked(tmp_path: Path) -> None:
    copy(CLEAN, tmp_path / "real" / "a.jsonl")
    os.symlink("real", tmp_path / "alias")
    os.symlink("a.jsonl", tmp_path / "real" / "b.jsonl")  # inside the folder the link names
    assert sources(["alias"], tmp_path) == ["alias/a.jsonl"]
    assert notes_of(["alias"], tmp_path) == [("alias/b.jsonl",
                                              "the same file as alias/a.jsonl; read once")]


def test_symlink_loops_never_hang(tmp_path: Path) -> None:
    folder = tmp_path / "t"
    copy(CLEAN, folder / "sub" / "a.jsonl")
    os.symlink("..", folder / "sub" / "up")  # a folder loop, inside the folder
    os.symlink("self.jsonl", folder / "self.jsonl")
    os.symlink("pong.jsonl", folder / "ping.jsonl")
    os.symlink("ping.jsonl", folder / "pong.jsonl")
    os.symlink("missing.jsonl", folder / "dangling.jsonl")
    assert sources(["t"], tmp_path) == ["t/sub/a.jsonl"]
    loop = "cannot follow the link (too many levels of symbolic links (a symlink loop?)); skipped"
    assert notes_of(["t"], tmp_path) == [
        ("t/dangling.jsonl", "cannot follow the link (no such file or directory); skipped"),
        ("t/ping.jsonl", loop), ("t/pong.jsonl", loop), ("t/self.jsonl", loop),
        ("t/sub/up", "the same folder as t; read once")]


def test_symlink_loop_named_itself_exits_2(tmp_path: Path) -> None:
    os.symlink("loop.jsonl", tmp_path / "loop.jsonl")
    result = run(str(tmp_path / "loop.jsonl"), "--json", "-")
    assert result.exit_code == 2
    assert result.stderr == (f"attoreport: {tmp_path / 'loop.jsonl'}: too many levels of "
                             "symbolic links (a symlink loop?)\n")


# -- only regular files, pipes and stdin ----------------------------------------------------


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null", "link"])
def test_devices_are_refused(tmp_path: Path, device: str) -> None:
    if device == "link":
        os.symlink("/dev/zero", tmp_path / "zero.jsonl")
        device = str(tmp_path / "zero.jsonl")
    result = run(device, "--json", "-")
    assert result.exit_code == 2
    assert result.stderr == (f"attoreport: {device}: is a character device, not a trace; "
                             "attoreport reads regular files, pipes and - (standard input)\n")


def test_a_device_is_never_opened_even_past_find_inputs(monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[Any] = []
    real_open = builtins.open
    monkeypatch.setattr(builtins, "open", lambda f, *a, **k: opened.append(f) or real_open(f, *a, **k))
    with pytest.raises(AttoreportError, match="is a character device"), \
            open_input(TraceInput("/dev/zero", Path("/dev/zero"), "zero")):
        pass
    assert opened == []


def test_a_device_on_stdin_is_refused() -> None:
    with open("/dev/null", "rb") as null, pytest.raises(
            AttoreportError, match="^-: standard input is a character device, not a trace"):
        load(["-"], stdin=null)


def test_a_device_on_stdin_exits_2() -> None:
    with open("/dev/zero", "rb") as zero:
        done = subprocess.run([sys.executable, "-m", "attoreport", "-", "--json", "-"],
                              stdin=zero, capture_output=True, timeout=60)
    assert done.returncode == 2 and b"standard input is a character device" in done.stderr


def test_a_file_or_pipe_on_stdin_is_read(tmp_path: Path) -> None:
    with CLEAN.open("rb") as redirected:
        [session] = load(["-"], stdin=redirected)
    assert len(session.events) == 69
    with _real_pipe(CLEAN.read_bytes()) as pipe:
        [session] = load(["-"], stdin=pipe)
    assert len(session.events) == 69


def test_sockets_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        with pytest.raises(AttoreportError, match="s.jsonl: is a socket, not a trace"):
            find_inputs([str(path)])
        copy(CLEAN, tmp_path / "good.jsonl")
        assert notes_of([str(tmp_path)]) == [
            (str(path), "is a socket, not a regular file; skipped")]


def _fifo_fed_with(path: Path, data: bytes) -> threading.Thread:
    os.mkfifo(path)
    writer = threading.Thread(target=lambda: path.write_bytes(data))
    writer.start()
    return writer


def test_a_pipe_is_read_like_a_file(tmp_path: Path) -> None:
    writer = _fifo_fed_with(tmp_path / "trace.jsonl", CLEAN.read_bytes())
    [session] = load([str(tmp_path / "trace.jsonl")])
    writer.join()
    assert len(session.events) == 69 and session.session_id == "trace"


def test_a_gzip_stream_through_a_pipe_is_read(tmp_path: Path) -> None:
    writer = _fifo_fed_with(tmp_path / "fd", gzip.compress(CLEAN.read_bytes()))
    [session] = load([str(tmp_path / "fd")])  # like <(cat t.jsonl.gz): no name, no seeking
    writer.join()
    assert len(session.events) == 69


def test_a_pipe_inside_a_folder_is_skipped_not_waited_for(tmp_path: Path) -> None:
    copy(CLEAN, tmp_path / "good.jsonl")
    os.mkfifo(tmp_path / "live.jsonl")
    assert notes_of([str(tmp_path)]) == [
        (str(tmp_path / "live.jsonl"), "is a pipe (FIFO), not a regular file; skipped")]
    assert len(load([str(tmp_path)])) == 1


# -- gzip by its magic bytes --------------------------------------------------------------


def test_gzip_reads_like_plain(tmp_path: Path) -> None:
    packed = copy(CLEAN, tmp_path / "x").with_name("collector-clean-feature.jsonl.gz")
    packed.write_bytes(gzip.compress(CLEAN.read_bytes()))
    [plain] = load([str(CLEAN)])
    [unpacked] = load([str(packed)])
    assert unpacked.session_id == plain.session_id
    assert analyse(unpacked).summary == analyse(plain).summary


def test_gzip_file_without_gz_suffix_and_plain_file_with_one(tmp_path: Path) -> None:
    (tmp_path / "packed.jsonl").write_bytes(gzip.compress(CLEAN.read_bytes()))
    (tmp_path / "plain.jsonl.gz").write_bytes(CLEAN.read_bytes())
    for name in ("packed.jsonl", "plain.jsonl.gz"):
        [session] = load([str(tmp_path / name)])
        assert len(session.events) == 69 and session.diagnostics == [], name


class _PipeLike(io.RawIOBase):
    """A stream that can neither seek nor peek and returns a few bytes per read."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        count = min(len(buffer), 3, len(self._data))
        buffer[:count] = self._data[:count]
        self._data = self._data[count:]
        return count


@pytest.mark.parametrize("stream", ["seekable", "pipe", "trickle"])
def test_gzip_on_stdin_is_read_decompressed(stream: str) -> None:
    data = gzip.compress(CLEAN.read_bytes())
    stdin: Any = {"seekable": lambda: io.BytesIO(data),
                  "pipe": lambda: _real_pipe(data),
                  "trickle": lambda: _PipeLike(data)}[stream]()
    [session] = load(["-"], stdin=stdin)
    assert len(session.events) == 69 and session.source == "-"
    assert not stdin.closed  # standard input belongs to the caller


def _real_pipe(data: bytes) -> io.BufferedReader:
    read_end, write_end = os.pipe()
    threading.Thread(target=lambda: (os.write(write_end, data), os.close(write_end))).start()
    return open(read_end, "rb")  # noqa: SIM115


@pytest.mark.parametrize("stream", ["seekable", "trickle"])
def test_plain_stdin_is_read_whole(stream: str) -> None:
    data = CLEAN.read_bytes()
    stdin: Any = io.BytesIO(data) if stream == "seekable" else _PipeLike(data)
    [session] = load(["-"], stdin=stdin)
    assert session.source == "-" and session.session_id == "stdin"
    assert len(session.events) == 69 and session.diagnostics == []


def test_gzip_on_stdin_through_the_cli() -> None:
    result = run("-", "--json", "-", stdin=gzip.compress(CLEAN.read_bytes()))
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["sessions"][0]["summary"]["llm_calls"] == 9


def test_open_input_closes_only_what_it_opened(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_bytes(gzip.compress(b"line one\nline two\n"))
    with open_input(TraceInput("t", path, "t")) as stream:
        assert stream.readline() == b"line one\n"
    assert stream.closed
    tiny = io.BytesIO(b"{")  # shorter than the magic bytes
    with open_input(TraceInput("-", None, "stdin"), tiny) as stream:
        assert stream.read() == b"{"
    assert not tiny.closed


# -- paths that cannot be used, and names that are not UTF-8 --------------------------------


def test_path_problems_exit_2_naming_the_path(tmp_path: Path) -> None:
    copy(CLEAN, tmp_path / "a.jsonl")
    long_name = "x" * 300 + ".jsonl"
    cases = {
        str(tmp_path / "a.jsonl" / "b.jsonl"): "a part of the path is not a folder",
        long_name: "the path, or a name in it, is too long",
        "missing.jsonl": "no such file or directory",
    }
    for path, reason in cases.items():
        result = run(path, "--json", "-")
        assert (result.exit_code, result.stderr) == (2, f"attoreport: {path}: {reason}\n")
    result = run("", "--json", "-")
    assert result.exit_code == 2 and "an empty path was given" in result.stderr


@pytest.mark.skipif(AS_ROOT, reason="root searches any folder")
def test_folder_that_cannot_be_searched_exits_2(tmp_path: Path) -> None:
    copy(CLEAN, tmp_path / "shut" / "a.jsonl")
    (tmp_path / "shut").chmod(0)
    try:
        result = run(str(tmp_path / "shut" / "a.jsonl"), "--json", "-")
    finally:
        (tmp_path / "shut").chmod(0o755)
    assert result.exit_code == 2 and "a.jsonl: permission denied" in result.stderr


def test_describe_os_error_says_what_went_wrong() -> None:
    assert describe_os_error(PermissionError(13, "Permission denied")) == "permission denied"
    assert describe_os_error(OSError(5, "Input/output error")) == "Input/output error"
    assert describe_os_error(OSError("no errno")) == "OSError"


def test_display_path_replaces_undecodable_bytes() -> None:
    name = os.fsdecode(b"caf\xe9-\xff.jsonl")
    assert display_path(name) == "caf\ufffd-\ufffd.jsonl"
    assert display_path(Path(name)) == "caf\ufffd-\ufffd.jsonl"
    assert display_path("plain/caf\u00e9.jsonl") == "plain/caf\u00e9.jsonl"


@pytest.fixture
def undecodable(tmp_path: Path) -> Path:
    folder = tmp_path / os.fsdecode(b"f\xfcr")
    return copy(CLEAN, folder / os.fsdecode(b"caf\xe9.jsonl"))


def test_undecodable_names_are_read_and_shown_safely(undecodable: Path, tmp_path: Path) -> None:
    for arg in (str(undecodable), str(undecodable.parent)):
        [session] = load([arg])
        assert session.session_id == "caf\ufffd"
        assert session.source == display_path(undecodable)
        assert "\ufffd" in session.source
        analysis = analyse(session)
        for text in (attoreport.render_json([analysis]), attoreport.render_html([analysis]),
                     attoreport.render_markdown([analysis])):
            text.encode("utf-8")  # no lone surrogate anywhere


def test_undecodable_names_through_the_cli(undecodable: Path, tmp_path: Path) -> None:
    (undecodable.parent / os.fsdecode(b"vide\xe9.jsonl")).write_bytes(b"")
    result = run(str(undecodable.parent), "--json", str(tmp_path / "r.json"))
    assert result.exit_code == 0, result.stderr
    assert "vide\ufffd.jsonl: empty file; skipped" in result.stderr
    missing = run(os.fsdecode(b"nope\xff.jsonl"), "--json", "-")
    assert (missing.exit_code, missing.stderr) == (
        2, "attoreport: nope\ufffd.jsonl: no such file or directory\n")


# -- the no-argument run -----------------------------------------------------------------


def _discoverable(base: Path) -> Path:
    folder = base / ".attocode" / "traces"
    old, new = copy(CLEAN, folder / "old.jsonl"), copy(CLEAN, folder / "new.jsonl")
    os.utime(old, (1_000, 1_000))
    os.utime(new, (2_000, 2_000))
    return folder


def test_no_argument_finds_the_newest_trace(tmp_path: Path) -> None:
    folder = _discoverable(tmp_path)
    (folder / "newer-but-empty.jsonl").write_bytes(b"")  # a run that wrote nothing yet
    [trace] = find_inputs([], cwd=tmp_path).traces
    assert (trace.source, trace.stem, trace.discovered) == (".attocode/traces/new.jsonl", "new",
                                                            True)
    [session] = load([], cwd=tmp_path)
    assert session.session_id == "new"


def test_named_traces_are_not_discovered(tmp_path: Path) -> None:
    copy(CLEAN, tmp_path / "t.jsonl")
    assert [t.discovered for t in find_inputs(["t.jsonl", str(tmp_path)], tmp_path).traces] == [
        False]


def test_no_argument_falls_back_to_dot_traces(tmp_path: Path) -> None:
    copy(CLEAN, tmp_path / ".traces" / "only.jsonl")
    [trace] = find_inputs([], cwd=tmp_path).traces
    assert trace.source == ".traces/only.jsonl" and trace.discovered


def test_no_argument_and_no_traces_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(AttoreportError, match="none found"):
        find_inputs([], cwd=tmp_path)


def test_no_argument_run_names_the_trace_it_picked(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    _discoverable(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = run("--json", "-")
    assert result.exit_code == 0
    assert result.stderr.startswith("attoreport: no TRACE given; reading the newest trace, "
                                    ".attocode/traces/new.jsonl\n")
    assert json.loads(result.stdout)["sessions"][0]["session_id"] == "new"
    quiet = run("-q", "--json", "-")
    assert quiet.exit_code == 0 and quiet.stderr == ""
    named = run(".attocode/traces/new.jsonl", "--json", "-")
    assert "no TRACE given" not in named.stderr


# -- the walk, for run-folder recognisers -------------------------------------------------


def test_walk_lets_a_recogniser_claim_folders(tree: Path) -> None:
    (tree / "a" / "run.json").write_text("{}")

    def claim(folder: Path) -> str | None:
        return f"run at {folder.name}" if (folder / "run.json").is_file() else None

    found = walk(Path("runs"), claim)
    assert found.claimed == ["run at a"]
    assert "runs/a/z.jsonl" not in [t.source for t in found.traces]  # a claimed folder is
    assert "runs/b.jsonl" in [t.source for t in found.traces]        # not entered
    whole = walk(Path("runs") / "a", claim)
    assert (whole.claimed, whole.traces) == (["run at a"], [])
    assert find_inputs(["runs/a"], claim=claim).claimed == ["run at a"]  # claimed: no error


def test_walk_names_sources_as_asked(tree: Path) -> None:
    found = walk(tree / "a", shown_as=Path("somewhere"))
    assert [t.source for t in found.traces] == ["somewhere/y.jsonl.gz", "somewhere/z.jsonl"]
    assert {t.folder for t in found.traces} == {"somewhere"}
    assert walk(tree / "deep" / "er").notes == []


def test_walk_of_something_else_than_a_folder_is_an_error(tree: Path) -> None:
    with pytest.raises(AttoreportError, match="^runs/b.jsonl: is a file, not a folder$"):
        walk(Path("runs/b.jsonl"))
    with pytest.raises(AttoreportError, match="^runs/none: no such file or directory$"):
        walk(Path("runs/none"))
