"""The shared compression step: which exceptions may leave it, and the lazily built compressor."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from headroom_edge.integrations.compression import LazyCompressor, may_have_images, must_propagate


@pytest.mark.parametrize(
    ("exc", "inline", "expected"),
    [
        (RuntimeError("bug"), False, False),
        (SystemExit(1), False, False),
        (SystemExit(1), True, False),
        (KeyboardInterrupt(), False, False),  # came back from a worker thread: the job's own
        (KeyboardInterrupt(), True, True),  # raised in the caller's thread: Ctrl-C
        (GeneratorExit(), True, False),
        (GeneratorExit(), False, True),  # no running task here: a coroutine being discarded
        (asyncio.CancelledError(), False, False),  # no task of ours is being cancelled
    ],
)
def test_must_propagate_outside_a_task(exc: BaseException, inline: bool, expected: bool) -> None:
    assert must_propagate(exc, inline=inline) is expected


def test_cancellation_propagates_only_when_our_task_is_cancelled() -> None:
    seen: dict[str, bool] = {}

    async def job_cancelled() -> None:  # e.g. the pool was closed under a waiting request
        seen["job"] = must_propagate(asyncio.CancelledError(), inline=False)
        seen["generator_exit_in_task"] = must_propagate(GeneratorExit(), inline=False)

    async def we_are_cancelled() -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError as exc:
            seen["ours"] = must_propagate(exc, inline=False)
            raise

    async def main() -> None:
        await job_cancelled()
        task = asyncio.create_task(we_are_cancelled())
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert seen == {"job": False, "generator_exit_in_task": False, "ours": True}


class _Counting:
    def __init__(self) -> None:
        self.built = 0

    def __call__(self) -> Any:
        self.built += 1
        return self

    def body_may_have_images(self, body: bytes) -> bool:
        return b"image" in body

    def compress_body(self, body: Any, **options: Any) -> Any:
        return ("compressed", body, options)


def test_lazy_compressor_builds_once_on_first_use_from_any_thread() -> None:
    factory = _Counting()
    lazy = LazyCompressor(factory)
    assert not lazy.loaded and factory.built == 0
    assert may_have_images(lazy, b"{}") is True  # not built yet: let the worker decide
    assert factory.built == 0
    threads = [threading.Thread(target=lambda: lazy.compress_body(b"{}", path="/x")) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert factory.built == 1 and lazy.loaded
    assert may_have_images(lazy, b"{}") is False and may_have_images(lazy, b'"image"') is True
    assert lazy.compress_body(b"{}", path="/y") == ("compressed", b"{}", {"path": "/y"})
