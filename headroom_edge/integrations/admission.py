"""Deadline-aware admission: will this compression finish inside its budget, given the queue?

Waiting for a compression that cannot finish in time is pure loss: the request then goes out
uncompressed anyway, only later (under an OCR-heavy burst, a whole budget later). So the worker
pool asks :class:`Admission` before queueing a job and sheds it *at once* when the predicted
finish time (the work already queued ahead of it, spread over the workers, plus its own cost)
is past the budget.

The cost of a job is learned, not configured, as seconds per body byte (a body that reaches the
pool is almost all image data; the technique the decision picks is what makes pages of text
cost more per byte, and that shows up in the observed rate):

* finished jobs feed an exponentially weighted average (``smoothing``), used to judge the
  queue; a job that would start on an idle worker is judged only by the two bounds below (a
  finished photo's rate, scaled up to a big page, is no evidence that the page cannot fit);
* jobs stopped at their deadline cost *at least* their time: that lower bound becomes a floor
  under the estimate which halves every ``floor_half_life_s`` (a burst whose jobs all run out of
  budget must raise the estimate, or every later job waits its whole budget too; and it must
  wear off, or nothing would ever be tried again);
* when the estimate says no but a worker is idle and no other probe runs, the job is admitted
  as a *probe* with a short deadline (``probe_s``): that is how the estimate learns that work got
  cheaper again, and a wrong guess costs ``probe_s``, not a budget. A probe that finishes clears
  the floor.

Running jobs' elapsed time is a live lower bound on the rate, and a queued job re-checks itself
while it waits (:meth:`Admission.is_hopeless`), so the jobs admitted in the first moment of a
burst, before anything was known, are shed as soon as the first page shows what pages cost.

Limitation: one rate for all work. Cheap and expensive jobs of the same size are estimated by
what finished last; the deadlines keep the cost of a wrong estimate inside the budget.
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
    probe: bool = False
    started: float | None = None


@dataclass(frozen=True)
class Ticket:
    """An admitted job: its id in the book and the seconds it may take (its deadline)."""

    job_id: int
    budget_s: float | None
    probe: bool = False


@dataclass
class Admission:
    """Cost model plus the book of queued and running jobs, for one :class:`WorkerPool`.

    Thread-safe: jobs start and finish on worker threads while the event loop admits new ones.
    """

    workers: int
    smoothing: float = 0.3
    """Weight of the newest finished job in the seconds-per-byte average."""
    probe_s: float = 1.0
    """Deadline of a probe (a job admitted against the estimate because a worker is idle)."""
    floor_half_life_s: float = 2.0
    """How fast the lower bound learned from jobs stopped at their deadline wears off."""
    _rate: float | None = None
    _floor: float | None = None
    _floor_at: float = 0.0
    _jobs: dict[int, _Job] = field(default_factory=dict)
    _next_id: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def estimate(self, size: int) -> float | None:
        """Predicted seconds to run a job of ``size`` bytes, or None when nothing is known."""
        with self._lock:
            return self._estimate(size, time.monotonic())

    def estimate_alone(self, job_id: int) -> float | None:
        """Running time of a registered job as judged when it reaches a worker: only by the
        evidence of jobs that ran out of time (see :meth:`admit`), None without any."""
        with self._lock:
            job = self._jobs.get(job_id)
            rate = self._alone_rate(time.monotonic())
            if job is None or rate is None or job.probe:
                return None
            return rate * max(MIN_BYTES, job.size)

    def predict_finish(self, size: int) -> float | None:
        """Predicted seconds from now until a job of ``size`` submitted now would finish."""
        with self._lock:
            now = time.monotonic()
            own = self._estimate(size, now)
            if own is None:
                return None
            return self._wait(now) + own

    def admit(self, size: int, budget_s: float | None) -> Ticket | None:
        """Register the job, or return None when it cannot finish in ``budget_s``."""
        with self._lock:
            now = time.monotonic()
            own = self._estimate(size, now)
            idle = len(self._jobs) < self.workers
            if idle:
                # Alone on a free worker, only evidence of jobs that did NOT finish in time
                # counts: the finished-job average extrapolated by size (a small photo's rate
                # applied to a big page) must not refuse work that would fit.
                alone = self._alone_rate(now)
                own = None if alone is None else alone * max(MIN_BYTES, size)
            fits = budget_s is None or own is None or self._wait(now) + own <= budget_s
            probe = False
            if not fits:
                if not idle or any(j.probe for j in self._jobs.values()):
                    return None
                probe = True
                budget_s = min(budget_s, self.probe_s) if budget_s is not None else self.probe_s
            job_id = self._next_id
            self._next_id += 1
            deadline = None if budget_s is None else now + budget_s
            self._jobs[job_id] = _Job(size, own or 0.0, deadline, probe)
            return Ticket(job_id, budget_s, probe)

    def hopeless(self) -> list[int]:
        """Queued jobs that can no longer finish by their deadline, in queue order.

        Called when a job finishes (the cost model just learned something): the jobs admitted
        before anything was known, during the first seconds of a burst, are shed then instead
        of each waiting for its turn only to be dropped.
        """
        with self._lock:
            now = time.monotonic()
            rate = self._effective_rate(now)
            if rate is None:
                return []
            ahead = 0.0
            idle = self.workers
            queued: list[tuple[int, _Job, float]] = []
            for job_id, job in self._jobs.items():
                cost = rate * max(MIN_BYTES, job.size)
                if job.started is None:
                    queued.append((job_id, job, cost))
                else:
                    idle -= 1
                    ahead += max(0.0, cost - (now - job.started))
            out: list[int] = []
            for job_id, job, cost in queued:
                wait = 0.0 if idle > 0 else ahead / self.workers
                if not job.probe and job.deadline is not None and now + wait + cost > job.deadline:
                    out.append(job_id)
                    continue
                idle -= 1
                ahead += cost
            return out

    def is_hopeless(self, job_id: int) -> bool:
        """Whether this queued job can no longer make its deadline (False once it runs)."""
        return job_id in self.hopeless()

    def started(self, job_id: int) -> None:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is not None:
                job.started = time.monotonic()

    def finished(self, job_id: int, *, completed: bool) -> None:
        """Drop the job from the book and learn from it (see the module docstring)."""
        with self._lock:
            job = self._jobs.pop(job_id, None)
            if job is None or job.started is None:
                return
            now = time.monotonic()
            rate = (now - job.started) / max(MIN_BYTES, job.size)
            if completed:
                self._rate = rate if self._rate is None else self._rate + self.smoothing * (rate - self._rate)
                if job.probe:
                    self._floor = None
                return
            current = self._effective_rate(now)
            if current is None or rate > current:
                self._floor, self._floor_at = rate, now

    def _effective_rate(self, now: float) -> float | None:
        """The learned rate, raised by the decaying floor and by what running jobs have spent
        so far (a job that has run 3 s on 200 kB proves the rate is at least that, long before
        it finishes: the queue behind it is judged by that, not by yesterday's photos)."""
        alone = self._alone_rate(now)
        if self._rate is None:
            return alone
        return self._rate if alone is None else max(self._rate, alone)

    def _alone_rate(self, now: float) -> float | None:
        """The decaying floor and running jobs' elapsed time, without the finished-job average."""
        candidates = []
        if self._floor is not None:
            candidates.append(self._floor * 0.5 ** ((now - self._floor_at) / self.floor_half_life_s))
        candidates.extend(
            (now - j.started) / max(MIN_BYTES, j.size)
            for j in self._jobs.values()
            if j.started is not None and not j.probe
        )
        return max(candidates) if candidates else None

    def _estimate(self, size: int, now: float) -> float | None:
        rate = self._effective_rate(now)
        return None if rate is None else rate * max(MIN_BYTES, size)

    def _wait(self, now: float) -> float:
        """Time until a worker is free for a new job: zero while one is idle, else the work
        left in the book spread over the workers."""
        if len(self._jobs) < self.workers:
            return 0.0
        rate = self._effective_rate(now)
        left = 0.0
        for job in self._jobs.values():
            cost = rate * max(MIN_BYTES, job.size) if rate is not None else job.estimate
            if job.started is not None:
                cost = max(0.0, cost - (now - job.started))
            left += cost
        return left / self.workers
