"""A one-line progress indicator on standard error, for runs that take more than a second.

    with Progress.for_stream(sys.stderr, quiet=quiet) as progress:
        progress.stage("reading traces")
        ...
        progress.clear()   # before printing anything else to the stream

It draws only when the stream is a terminal, never with `quiet`, and only once `delay`
seconds have passed, so quick runs and CI logs stay clean. The line names the stage (our own
words, never text from a trace) and the seconds so far; a background thread keeps the
seconds moving during a long stage. `clear()` erases the line and keeps it hidden until the
next stage, so other messages are never mixed into it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import TextIO

#: Seconds before the indicator appears.
DELAY = 1.0
#: Seconds between redraws during a stage.
INTERVAL = 0.25
_ERASE = "\r\x1b[K"


class Progress:
    """The indicator for one run (see the module docstring)."""

    def __init__(self, stream: TextIO, *, enabled: bool, delay: float = DELAY,
                 interval: float = INTERVAL, clock: Callable[[], float] = time.monotonic) -> None:
        self._stream = stream
        self.enabled = enabled
        self._delay = delay
        self._interval = interval
        self._clock = clock
        self._started = clock()
        self._text = ""
        self._shown = False
        self._hidden = True
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def for_stream(cls, stream: TextIO, *, quiet: bool) -> Progress:
        """Enabled only for a terminal and without `quiet`."""
        return cls(stream, enabled=not quiet and _is_terminal(stream))

    def stage(self, text: str) -> None:
        """Say what the run is doing now (drawn at once when the delay has passed)."""
        with self._lock:
            self._text = text
            self._hidden = False
        self.tick()

    def tick(self) -> None:
        """Redraw the line, if enabled, shown and due."""
        if not self.enabled:
            return
        with self._lock:
            elapsed = self._clock() - self._started
            if self._hidden or not self._text or elapsed < self._delay:
                return
            self._stream.write(f"{_ERASE}attoreport: {self._text}… {elapsed:.0f} s")
            self._stream.flush()
            self._shown = True

    def clear(self) -> None:
        """Erase the line; it stays hidden until the next stage."""
        with self._lock:
            self._hidden = True
            if self._shown:
                self._stream.write(_ERASE)
                self._stream.flush()
                self._shown = False

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.tick()

    def __enter__(self) -> Progress:
        if self.enabled:
            self._thread = threading.Thread(target=self._run, name="attoreport-progress",
                                            daemon=True)
            self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.clear()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False
