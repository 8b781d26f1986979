"""A bounded pool of compression threads that sheds load instead of queueing forever.

Compression is CPU work (decode, ONNX models, OCR) that must never run on the event loop, and
it must never make an LLM call slower than sending it uncompressed would. So the pool:

* runs at most ``max_workers`` jobs at once on its own threads (not AnyIO's shared pool, which
  other libraries also use), and lets at most ``queue_limit`` more wait;
* refuses a job at once when that is full (:class:`Shed` with reason ``"queue_full"``), and at
  once when :class:`~headroom_edge.integrations.admission.Admission` predicts it would not
  finish inside its budget behind the work already queued (``"over_budget"``): waiting a whole
  budget only to send the request uncompressed anyway is the worst of both (an idle worker
  still takes such a job now and then as a short-deadline *probe*, to notice when work got
  cheap again);
* gives each job a time budget covering queueing plus running; when it runs out the caller gets
  :class:`Shed` (``"time_budget"``) and goes on uncompressed. A job still queued is cancelled; a
  job that reaches a worker too late to finish is dropped there (``"over_budget"``, the caller
  hears at once); a running job gets its deadline through
  :mod:`headroom_edge.runtime.cancel` and stops at its next checkpoint (OCR checks between
  recognition batches). It keeps its slot until it has stopped, so a slow compressor cannot
  make the pool spawn unbounded threads.

It is asyncio-based (uvicorn, hypercorn-asyncio, Starlette's TestClient).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from typing import TypeVar

from headroom_edge.integrations.admission import Admission
from headroom_edge.integrations.constants import (
    DEFAULT_QUEUE_LIMIT,
    DEFAULT_TIME_BUDGET_S,
    MAX_DEFAULT_WORKERS,
    QUEUE_RECHECK_S,
)
from headroom_edge.runtime.cancel import Cancelled, Deadline, deadline_scope
from headroom_edge.runtime.cores import usable_cores

T = TypeVar("T")

QUEUE_FULL = "queue_full"
TIME_BUDGET = "time_budget"
OVER_BUDGET = "over_budget"


class Shed(Exception):
    """The job was not run, or not waited for, because of load; the caller fails open."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def default_workers() -> int:
    """Half the usable cores (CPU affinity respected: a container or ``taskset`` limit counts,
    not the host's), at least 1, at most :data:`MAX_DEFAULT_WORKERS`: the models use intra-op
    threads of their own."""
    return max(1, min(MAX_DEFAULT_WORKERS, usable_cores() // 2))


class WorkerPool:
    """Bounded, load-shedding thread pool for synchronous compression jobs."""

    def __init__(
        self,
        max_workers: int | None = None,
        queue_limit: int = DEFAULT_QUEUE_LIMIT,
        time_budget_s: float | None = DEFAULT_TIME_BUDGET_S,
        *,
        name: str = "headroom",
        admission: Admission | None = None,
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
        self.admission = admission or Admission(workers)
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
        self._lock = threading.Lock()
        self._in_flight = 0
        self._waiting: dict[int, Future] = {}
        self._shed_early: set[int] = set()

    @property
    def in_flight(self) -> int:
        """Jobs queued or running, including abandoned ones still running."""
        return self._in_flight

    @property
    def capacity(self) -> int:
        return self.max_workers + self.queue_limit

    async def run(
        self,
        fn: Callable[..., T],
        *args: object,
        budget_s: float | None = None,
        size_hint: int | None = None,
    ) -> T:
        """Run ``fn(*args)`` on a pool thread; raise :class:`Shed` when over capacity or budget.

        ``budget_s`` overrides the pool's default time budget for this call. ``size_hint`` is
        the job's size in bytes for the cost estimate; by default the ``bytes`` among ``args``
        (and a ``functools.partial``'s arguments) are counted, which is the request body for
        the middleware's ``partial(rewrite_body, compressor, raw, ...)`` jobs.
        """
        budget = self.time_budget_s if budget_s is None else budget_s
        size = payload_size(fn, args) if size_hint is None else size_hint
        with self._lock:
            if self._in_flight >= self.capacity:
                raise Shed(QUEUE_FULL)
            ticket = self.admission.admit(size, budget)
            if ticket is None:
                raise Shed(OVER_BUDGET)
            self._in_flight += 1
        job_id, budget = ticket.job_id, ticket.budget_s  # a probe runs on a shorter deadline
        deadline = Deadline.after(budget)
        try:
            future: Future[T] = self._executor.submit(self._execute, job_id, deadline, fn, args)
        except BaseException:
            self.admission.finished(job_id, completed=False)
            self._release(None)
            raise
        with self._lock:
            self._waiting[job_id] = future
        future.add_done_callback(partial(self._done, job_id))
        try:
            return await self._await(job_id, future, budget)
        except asyncio.TimeoutError:
            deadline.cancel()
            with self._lock:
                self._shed_early.discard(job_id)
            raise Shed(TIME_BUDGET) from None
        except asyncio.CancelledError:
            with self._lock:
                shed_early = job_id in self._shed_early
                self._shed_early.discard(job_id)
            if shed_early and future.cancelled():
                raise Shed(OVER_BUDGET) from None  # dropped from the queue by _shed_hopeless
            future.cancel()  # the request itself went away: so does its compression,
            deadline.cancel()  # queued or running
            raise

    async def _await(self, job_id: int, future: Future[T], budget: float | None) -> T:
        """Wait for the job up to ``budget``; while it is still queued, re-check every
        :data:`~headroom_edge.integrations.constants.QUEUE_RECHECK_S` whether it can still make its deadline (shed it at once if not)."""
        waiting = asyncio.wrap_future(future)
        end = None if budget is None else time.monotonic() + budget
        while True:
            step = QUEUE_RECHECK_S if end is None else min(QUEUE_RECHECK_S, max(0.0, end - time.monotonic()))
            done, _ = await asyncio.wait({waiting}, timeout=step)
            if done:
                return waiting.result()
            if end is not None and time.monotonic() >= end:
                waiting.cancel()
                raise asyncio.TimeoutError()
            with self._lock:
                queued = job_id in self._waiting
            if queued and self.admission.is_hopeless(job_id) and future.cancel():
                waiting.cancel()
                raise Shed(OVER_BUDGET)

    def _execute(self, job_id: int, deadline: Deadline, fn: Callable[..., T], args: tuple) -> T:
        """The job on its worker thread, under its deadline."""
        completed = False
        try:
            left = deadline.remaining()
            if left is not None:
                expected = self.admission.estimate_alone(job_id)
                if left <= 0 or (expected is not None and expected > left):
                    raise Shed(OVER_BUDGET)
            with self._lock:
                self._waiting.pop(job_id, None)
            self.admission.started(job_id)
            with deadline_scope(deadline):
                try:
                    result = fn(*args)
                except Cancelled:
                    raise Shed(TIME_BUDGET) from None
            completed = True
            return result
        finally:
            self.admission.finished(job_id, completed=completed)
            self._shed_hopeless()

    def _shed_hopeless(self) -> None:
        """Drop queued jobs that the updated cost model says cannot make their deadline; their
        callers hear ``over_budget`` now instead of at the end of their wait."""
        for job_id in self.admission.hopeless():
            with self._lock:
                future = self._waiting.pop(job_id, None)
                if future is None:
                    continue
                self._shed_early.add(job_id)
            if not future.cancel():
                with self._lock:
                    self._shed_early.discard(job_id)

    def _done(self, job_id: int, future: Future) -> None:
        # A job cancelled while queued never reached _execute: take it off the book here too.
        self.admission.finished(job_id, completed=False)
        with self._lock:
            self._waiting.pop(job_id, None)
        self._release(future)

    def _release(self, _future: Future | None) -> None:
        with self._lock:
            self._in_flight -= 1

    def close(self, wait: bool = False) -> None:
        """Stop accepting work; queued jobs are cancelled, running ones finish."""
        self._executor.shutdown(wait=wait, cancel_futures=True)


def payload_size(fn: Callable[..., object], args: tuple) -> int:
    """Bytes of ``bytes``-like arguments of ``fn(*args)``, looking inside a ``partial``."""
    parts = list(args)
    while isinstance(fn, partial):
        parts.extend(fn.args)
        parts.extend(fn.keywords.values())
        fn = fn.func
    return sum(len(p) for p in parts if isinstance(p, (bytes, bytearray, memoryview)))
