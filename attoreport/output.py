"""Write the outputs: checked before any work, then written whole or not at all.

An output's text is a string or an iterable of strings written one after the other (a
streamed export never has to be held whole). Paths in `append` (GitHub's
$GITHUB_STEP_SUMMARY) are appended to instead of replaced; an append cannot be undone, so it
happens after every other output is staged and before any of them is renamed into place.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import IO

from attoreport.errors import AttoreportError
from attoreport.inputs import TraceInput


def check_outputs(targets: dict[str, str | None], inputs: Sequence[TraceInput]) -> None:
    """Refuse outputs that would clash, overwrite a trace, or land nowhere, before any work."""
    paths = [p for p in targets.values() if p is not None]
    if paths.count("-") > 1:
        raise AttoreportError("only one output can go to standard output ('-')")
    seen: dict[Path, str] = {}
    readable = {t.path.resolve() for t in inputs if t.path is not None}
    for path in paths:
        if path == "-":
            continue
        if not path.strip():
            raise AttoreportError("an output path is empty")
        target = Path(path)
        resolved = target.resolve()
        if resolved in seen:
            raise AttoreportError(f"{path}: given for two outputs ({seen[resolved]} and this one)")
        seen[resolved] = path
        if resolved in readable:
            raise AttoreportError(f"{path}: is one of the input traces; refusing to overwrite it")
        if target.is_dir():
            raise AttoreportError(f"{path}: is a directory")
        folder = target.parent if str(target.parent) else Path(".")
        if not folder.is_dir():
            raise AttoreportError(f"{path}: folder {folder} does not exist")


Text = str | Iterable[str]


def write_outputs(texts: dict[str, Text], append: Collection[str] = ()) -> None:
    """Write every output whole, or none: temporary files beside the targets, then renames.

    Paths in `append` are appended to (GitHub's step summary), not replaced."""
    staged: list[tuple[str, Path]] = []
    try:
        for path, text in texts.items():
            if path == "-" or _is_special(path) or path in append:
                continue
            staged.append((path, _stage(path, text)))
        for path, text in texts.items():
            if path == "-":
                _write_all(sys.stdout, text)
                sys.stdout.flush()
            elif path in append:
                _write_in_place(path, text, mode="a")
            elif _is_special(path):
                _write_in_place(path, text)
        for path, temp in staged:
            os.replace(temp, path)
    except OSError as exc:
        raise AttoreportError(f"cannot write: {exc.strerror or exc}") from exc
    finally:
        for _, temp in staged:
            temp.unlink(missing_ok=True)


def _is_special(path: str) -> bool:
    """A device or pipe (/dev/null, a FIFO): written in place, never replaced."""
    target = Path(path)
    return target.exists() and not target.is_file()


def _write_all(fh: IO[str], text: Text) -> None:
    if isinstance(text, str):
        fh.write(text)
    else:
        fh.writelines(text)


def _write_in_place(path: str, text: Text, mode: str = "w") -> None:
    with open(path, mode, encoding="utf-8", newline="\n") as fh:
        _write_all(fh, text)


def _stage(path: str, text: Text) -> Path:
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    try:
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise AttoreportError(f"{path}: cannot write: {exc.strerror}") from exc
    temp = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            _write_all(fh, text)
        os.chmod(temp, _mode_for(target))
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp


def _mode_for(target: Path) -> int:
    """The mode the file has, or what a new file gets under the user's umask."""
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
