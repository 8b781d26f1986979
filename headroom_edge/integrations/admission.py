"""Deadline-aware admission: will this compression finish inside its budget, given the queue?

Waiting for a compression that cannot finish in time is pure loss: the request then goes out
uncompressed anyway, only later (under an OCR-heavy burst, a whole budget later). So the worker
pool asks :class:`Admission` before queueing a job and sheds it *at once* when the predicted
finish time (the work already queued ahead of it, spread over the workers, plus its own cost)
is past the budget.

The cost of a job is learned, not configured: an exponentially weighted average of seconds per
body byte over finished jobs (bytes stand for image size: a body that reaches the pool is almost
all image data; the technique the decision picks is what makes pages of text cost more per byte,
and that shows up in the observed rate). Before anything finished there is no estimate and jobs
are admitted, except that running jobs' elapsed time is a lower bound on what a job costs.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

MIN_BYTES = 1024
"""Floor on a job's size for the per-byte rate, so tiny bodies do not estimate to zero."""


@dataclass
class _Job:
    size: int
    estimate: float
    deadline: float | None = None
    started: float | None = None


@dataclass
class Admission:
    """Cost model plus the book of queued and running jobs, for one :class:`WorkerPool`.

    Thread-safe: jobs start and finish on worker threads while the event loop admits new ones.
    """

    workers: int
    smoothing: float = 0.3
    """Weight of the newest observation in the seconds-per-byte average."""
    _rate: float | None = None
    _jobs: dict[int, _Job] = field(default_factory=dict)
    _next_id: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def estimate(self, size: int) -> float | None:
        """Predicted seconds to run a job of ``size`` bytes, or None when nothing is known."""
        with self._lock:
            return self._estimate(size, time.monotonic())

    def estimate_alone(self, job_id: int) -> float | None:
        """Predicted running time of a registered job (checked when it reaches a worker)."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or self._rate is None:
                return None
            return self._rate * max(MIN_BYTES, job.size)

    def predict_finish(self, size: int) -> float | None:
        """Predicted seconds from now until a job of ``size`` submitted now would finish."""
        with self._lock:
            now = time.monotonic()
            own = self._estimate(size, now)
            if own is None:
                return None
            return self._wait(now) + own

    def admit(self, size: int, budget_s: float | None) -> int | None:
        """Register the job and return its id, or None when it cannot finish in ``budget_s``."""
        with self._lock:
            now = time.monotonic()
            own = self._estimate(size, now)
            if budget_s is not None and own is not None and self._wait(now) + own > budget_s:
                return None
            job_id = self._next_id
            self._next_id += 1
            self._jobs[job_id] = _Job(size, own or 0.0, None if budget_s is None else now + budget_s)
            return job_id

    def hopeless(self) -> list[int]:
        """Queued jobs that can no longer finish by their deadline, in queue order.

        Called when a job finishes (the cost model just learned something): the jobs admitted
        before anything was known, during the first seconds of a burst, are shed then instead
        of each waiting for its turn only to be dropped.
        """
        with self._lock:
            if self._rate is None:
                return []
            now = time.monotonic()
            ahead = 0.0
            idle = self.workers
            queued: list[tuple[int, _Job, float]] = []
            for job_id, job in self._jobs.items():
                cost = self._rate * max(MIN_BYTES, job.size)
                if job.started is None:
                    queued.append((job_id, job, cost))
                else:
                    idle -= 1
                    ahead += max(0.0, cost - (now - job.started))
            out: list[int] = []
            for job_id, job, cost in queued:
                wait = 0.0 if idle > 0 else ahead / self.workers
                if job.deadline is not None and now + wait + cost > job.deadline:
                    out.append(job_id)
                    continue
                idle -= 1
                ahead += cost
            return out

    def started(self, job_id: int) -> None:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is not None:
                job.started = time.monotonic()

    def finished(self, job_id: int, *, completed: bool) -> None:
        """Drop the job from the book and learn from it: a ``completed`` job's time is its
        cost; a job stopped early (deadline, error) cost *at least* its time, so it can only
        raise the rate. Without that, a burst whose jobs all run out of budget would never
        teach the model anything and every later job would wait its full budget too."""
        with self._lock:
            job = self._jobs.pop(job_id, None)
            if job is None or job.started is None:
                return
            rate = (time.monotonic() - job.started) / max(MIN_BYTES, job.size)
            if self._rate is None:
                self._rate = rate
            elif completed:
                self._rate += self.smoothing * (rate - self._rate)
            else:
                self._rate = max(self._rate, rate)

    def _estimate(self, size: int, now: float) -> float | None:
        longest_running = max(
            (now - j.started for j in self._jobs.values() if j.started is not None), default=None
        )
        if self._rate is None:
            return longest_running
        return self._rate * max(MIN_BYTES, size)

    def _wait(self, now: float) -> float:
        """Time until a worker is free for a new job: zero while one is idle, else the work
        left in the book spread over the workers."""
        if len(self._jobs) < self.workers:
            return 0.0
        left = 0.0
        for job in self._jobs.values():
            cost = self._rate * max(MIN_BYTES, job.size) if self._rate is not None else job.estimate
            if job.started is not None:
                cost = max(0.0, cost - (now - job.started))
            left += cost
        return left / self.workers
