"""A bounded pool of compression threads that sheds load instead of queueing forever.

Compression is CPU work (decode, ONNX models, OCR) that must never run on the event loop, and
it must never make an LLM call slower than sending it uncompressed would. So the pool:

* runs at most ``max_workers`` jobs at once on its own threads (not AnyIO's shared pool, which
  other libraries also use), and lets at most ``queue_limit`` more wait;
* refuses a job at once when that is full (:class:`Shed` with reason ``"queue_full"``);
* gives each job a time budget covering queueing plus running; when it runs out the caller gets
  :class:`Shed` (``"time_budget"``) and goes on uncompressed. A job still queued is cancelled; a
  job already running cannot be interrupted, finishes in the background and keeps its slot until
  then, so a slow compressor cannot make the pool spawn unbounded threads.

It is asyncio-based (uvicorn, hypercorn-asyncio, Starlette's TestClient).
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

QUEUE_FULL = "queue_full"
TIME_BUDGET = "time_budget"


class Shed(Exception):
    """The job was not run, or not waited for, because of load; the caller fails open."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def default_workers() -> int:
    """Half the cores, at least 1, at most 4: the models use intra-op threads of their own."""
    return max(1, min(4, (os.cpu_count() or 2) // 2))


class WorkerPool:
    """Bounded, load-shedding thread pool for synchronous compression jobs."""

    def __init__(
        self,
        max_workers: int | None = None,
        queue_limit: int = 32,
        time_budget_s: float | None = 10.0,
        *,
        name: str = "headroom",
    ) -> None:
        workers = default_workers() if max_workers is None else max_workers
        if workers < 1:
            raise ValueError("max_workers must be >= 1")
        if queue_limit < 0:
            raise ValueError("queue_limit must be >= 0")
        if time_budget_s is not None and time_budget_s <= 0:
            raise ValueError("time_budget_s must be > 0 (or None for no budget)")
        self.max_workers = workers
        self.queue_limit = queue_limit
        self.time_budget_s = time_budget_s
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
        self._lock = threading.Lock()
        self._in_flight = 0

    @property
    def in_flight(self) -> int:
        """Jobs queued or running, including abandoned ones still running."""
        return self._in_flight

    @property
    def capacity(self) -> int:
        return self.max_workers + self.queue_limit

    async def run(self, fn: Callable[..., T], *args: object, budget_s: float | None = None) -> T:
        """Run ``fn(*args)`` on a pool thread; raise :class:`Shed` when over capacity or budget.

        ``budget_s`` overrides the pool's default time budget for this call.
        """
        with self._lock:
            if self._in_flight >= self.capacity:
                raise Shed(QUEUE_FULL)
            self._in_flight += 1
        try:
            future: Future[T] = self._executor.submit(fn, *args)
        except BaseException:
            self._release(None)
            raise
        future.add_done_callback(self._release)
        budget = self.time_budget_s if budget_s is None else budget_s
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), timeout=budget)
        except asyncio.TimeoutError:
            raise Shed(TIME_BUDGET) from None

    def _release(self, _future: Future | None) -> None:
        with self._lock:
            self._in_flight -= 1

    def close(self, wait: bool = False) -> None:
        """Stop accepting work; queued jobs are cancelled, running ones finish."""
        self._executor.shutdown(wait=wait, cancel_futures=True)
