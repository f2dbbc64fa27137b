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
