"""Write the outputs: checked before any work, then written whole or not at all."""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

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


def write_outputs(texts: dict[str, str]) -> None:
    """Write every output whole, or none: temporary files beside the targets, then renames."""
    staged: list[tuple[str, Path]] = []
    try:
        for path, text in texts.items():
            if path == "-" or _is_special(path):
                continue
            staged.append((path, _stage(path, text)))
        for path, text in texts.items():
            if path == "-":
                sys.stdout.write(text)
                sys.stdout.flush()
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


def _write_in_place(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)


def _stage(path: str, text: str) -> Path:
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    try:
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise AttoreportError(f"{path}: cannot write: {exc.strerror}") from exc
    temp = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
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
