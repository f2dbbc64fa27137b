"""The cyclic collector is paused while building, and its state restored after."""

from __future__ import annotations

import gc

import pytest

from attoreport import gcpause


def test_paused_restores_the_previous_state() -> None:
    assert gc.isenabled()
    with gcpause.paused():
        assert not gc.isenabled()
        with gcpause.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner block must not re-enable it early
    assert gc.isenabled()


def test_pausing_restores_it_after_an_error() -> None:
    @gcpause.pausing
    def fails() -> None:
        assert not gc.isenabled()
        raise ValueError("boom")

    with pytest.raises(ValueError):
        fails()
    assert gc.isenabled()


def test_what_was_built_while_paused_is_not_scanned_when_it_resumes() -> None:
    """Re-enabled with 100,000 young objects pending, the collector scanned them all at the
    next allocation (and kept them young); they go to the oldest generation unscanned."""
    with gcpause.paused():
        built = [[i] for i in range(100_000)]
    _ = [[] for _ in range(10)]  # with the count left high, a young pass ran here
    young = {id(o) for generation in (0, 1) for o in gc.get_objects(generation=generation)}
    assert id(built[0]) not in young and id(built[-1]) not in young
    assert gc.isenabled() and built[-1] == [99_999]
