"""Deadlines travel with the job's context; checkpoint() is a no-op without one."""

from __future__ import annotations

import time

import pytest

from headroom_edge.runtime.cancel import (
    Cancelled,
    Deadline,
    checkpoint,
    current_deadline,
    deadline_scope,
)


def test_no_deadline_is_a_no_op() -> None:
    assert current_deadline() is None
    checkpoint()


def test_expiry_cancel_and_restore() -> None:
    outer = Deadline.after(60)
    with deadline_scope(outer):
        checkpoint()
        assert 0 < (outer.remaining() or 0) <= 60
        with deadline_scope(Deadline.after(0.01)):
            time.sleep(0.02)
            with pytest.raises(Cancelled):
                checkpoint()
        assert current_deadline() is outer
        outer.cancel()
        assert outer.cancelled and outer.remaining() == 0
        with pytest.raises(Cancelled):
            checkpoint()
    assert current_deadline() is None


def test_cancelled_is_not_swallowed_by_except_exception() -> None:
    with pytest.raises(Cancelled), deadline_scope(Deadline.after(0)):
        try:
            checkpoint()
        except Exception:  # what the pipeline's fail-open handlers catch
            pytest.fail("Cancelled must pass through except Exception")


def test_on_expiry_fires_at_the_deadline_or_on_cancel_and_not_after_the_block() -> None:
    import threading

    fired = threading.Event()
    deadline = Deadline.after(0.05)
    with deadline.on_expiry(fired.set):
        assert fired.wait(2.0)
    late = threading.Event()
    never = Deadline.after(None)
    with never.on_expiry(late.set):
        never.cancel()
    assert late.is_set()
    after = threading.Event()
    ok = Deadline.after(0.05)
    with ok.on_expiry(after.set):
        pass
    time.sleep(0.1)
    assert not after.is_set()
