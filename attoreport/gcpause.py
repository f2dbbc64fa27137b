"""Pause Python's cyclic garbage collector while building many small objects.

Loading a trace and building its tree make one object per event; none of them form
reference cycles, so reference counting frees everything. With the cyclic collector
running, each of its passes rescans every object built so far: on a trace of 200,000
events that is a third of the loading time. Pausing it is the standard remedy.

Switching it back on must not cost a pass either. Everything built while it was off still
counts as young, and the young count is far over its threshold, so the next allocation
would scan all of it (70 ms at the end of a folder of 1,000 traces, on every library call
in a test run). `gc.freeze()` then `gc.unfreeze()` hands those objects to the oldest
generation unscanned and resets the count: they are collected, if ever they need to be,
by the collector's next full pass, as any long-lived object is.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def paused() -> Iterator[None]:
    """No cyclic collection inside the block; the previous state is restored after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()
            gc.unfreeze()
            gc.enable()


def pausing(function: Callable[P, R]) -> Callable[P, R]:
    """Decorator form of `paused`."""

    @wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with paused():
            return function(*args, **kwargs)

    return wrapper
