"""Lazy parts: built once on first use, also when threads race and when the build says None."""

from __future__ import annotations

import threading
import time

from headroom_edge.lazy import Lazy


def test_built_once_on_first_use_even_under_a_race() -> None:
    calls = []

    def build() -> object:
        calls.append(1)
        time.sleep(0.02)  # widen the window in which other threads arrive
        return object()

    lazy = Lazy(build)
    assert not lazy.loaded and calls == []
    seen: list[object] = []
    threads = [threading.Thread(target=lambda: seen.append(lazy.get())) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and lazy.loaded
    assert all(v is seen[0] for v in seen)


def test_none_is_an_answer_and_is_not_rebuilt() -> None:
    calls = []
    lazy: Lazy[None] = Lazy(lambda: calls.append(1))
    assert lazy.get() is None and lazy.get() is None
    assert calls == [1]


def test_a_failed_build_is_retried() -> None:
    attempts = []

    def build() -> int:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("not yet")
        return 7

    lazy = Lazy(build)
    try:
        lazy.get()
    except RuntimeError:
        pass
    assert not lazy.loaded and lazy.get() == 7


def test_of_is_loaded_from_the_start() -> None:
    lazy = Lazy.of("ready")
    assert lazy.loaded and lazy.get() == "ready"
