"""WorkerPool with real threads: bounded concurrency, shedding, budgets, cancellation."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from headroom_edge.integrations import Shed, WorkerPool


def test_runs_off_the_event_loop_and_returns() -> None:
    pool = WorkerPool(max_workers=2, queue_limit=0, time_budget_s=5)

    async def main() -> str:
        return await pool.run(threading.current_thread)

    try:
        thread = asyncio.run(main())
        assert thread is not threading.main_thread() and thread.name.startswith("headroom")
        assert pool.in_flight == 0
    finally:
        pool.close(wait=True)


def test_sheds_beyond_workers_plus_queue_and_cancels_queued_on_budget() -> None:
    pool = WorkerPool(max_workers=1, queue_limit=1, time_budget_s=0.2)
    release = threading.Event()
    ran: list[str] = []

    def job(name: str) -> str:
        ran.append(name)
        release.wait(5)
        return name

    async def main() -> list[object]:
        running = asyncio.ensure_future(pool.run(job, "running", budget_s=10))
        await asyncio.sleep(0.05)
        queued = asyncio.ensure_future(pool.run(job, "queued"))  # waits, then runs out of budget
        await asyncio.sleep(0.05)
        with pytest.raises(Shed) as full:
            await pool.run(job, "third")  # 1 running + 1 queued = capacity
        assert full.value.reason == "queue_full"
        with pytest.raises(Shed) as late:
            await queued
        # shed once the running job's time shows it cannot fit, or at the latest at its budget
        assert late.value.reason in ("over_budget", "time_budget")
        release.set()
        return [await running]

    try:
        assert asyncio.run(main()) == ["running"]
        time.sleep(0.05)
        assert ran == ["running"], "the queued job must have been cancelled, not run"
        assert pool.in_flight == 0
    finally:
        pool.close(wait=True)


def test_abandoned_running_job_keeps_its_slot() -> None:
    pool = WorkerPool(max_workers=1, queue_limit=0, time_budget_s=0.1)
    release = threading.Event()

    async def main() -> None:
        with pytest.raises(Shed):
            await pool.run(release.wait, 5)
        assert pool.in_flight == 1  # still running in its thread: no new thread may start
        with pytest.raises(Shed) as info:
            await pool.run(time.sleep, 0)
        assert info.value.reason == "queue_full"

    try:
        asyncio.run(main())
    finally:
        release.set()
        pool.close(wait=True)
    assert pool.in_flight == 0


def test_invalid_sizes() -> None:
    with pytest.raises(ValueError):
        WorkerPool(max_workers=0)
    with pytest.raises(ValueError):
        WorkerPool(queue_limit=-1)
    with pytest.raises(ValueError):
        WorkerPool(time_budget_s=0)


# -- deadline-aware admission and cooperative cancellation (issue 11) --------------------------------


def _spin(seconds: float) -> float:
    """CPU-ish work that checks for cancellation between steps, like OCR between batches."""
    from headroom_edge.runtime.cancel import checkpoint

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        checkpoint()
        time.sleep(0.005)
    return seconds


def test_a_job_that_cannot_finish_in_budget_is_shed_at_once() -> None:
    """Once the pool has seen what a job of this size costs, a job that would only finish after
    its budget (behind the queue, or alone) is refused immediately instead of waiting for it."""
    pool = WorkerPool(max_workers=1, queue_limit=8, time_budget_s=0.8)
    body = b"x" * 100_000

    async def main() -> None:
        assert await pool.run(_spin, 0.3, size_hint=len(body)) == 0.3  # learns ~0.3 s per 100 kB
        running = asyncio.ensure_future(pool.run(_spin, 0.3, size_hint=len(body)))
        await asyncio.sleep(0.02)
        second = asyncio.ensure_future(pool.run(_spin, 0.3, size_hint=len(body)))  # ~0.6 s: fits
        await asyncio.sleep(0.02)
        start = time.monotonic()
        with pytest.raises(Shed) as info:
            await pool.run(_spin, 0.3, size_hint=len(body))  # ~0.85 s: past the budget
        assert info.value.reason == "over_budget"
        assert time.monotonic() - start < 0.2  # at once: not after waiting for the queue
        with pytest.raises(Shed) as too_big:  # alone, 40x the size: cannot fit either
            await pool.run(_spin, 0.3, size_hint=40 * len(body), budget_s=5.0)
        assert too_big.value.reason == "over_budget"
        assert await running == 0.3 and await second == 0.3

    try:
        asyncio.run(main())
        assert pool.in_flight == 0
    finally:
        pool.close(wait=True)


def test_abandoned_job_stops_at_its_next_checkpoint_and_frees_the_worker() -> None:
    pool = WorkerPool(max_workers=1, queue_limit=0, time_budget_s=0.2)

    async def main() -> float:
        start = time.monotonic()
        with pytest.raises(Shed) as info:
            await pool.run(_spin, 30.0)
        waited = time.monotonic() - start
        assert info.value.reason == "time_budget"
        assert waited < 0.2 + 0.3  # the budget, not the 30 s job (slack for a busy CI core)
        for _ in range(100):  # the job notices within one checkpoint step
            if pool.in_flight == 0:
                break
            await asyncio.sleep(0.01)
        assert pool.in_flight == 0
        return await pool.run(_spin, 0.01, budget_s=5)

    try:
        assert asyncio.run(main()) == 0.01
    finally:
        pool.close(wait=True)


def test_job_size_defaults_to_the_bytes_among_its_arguments() -> None:
    from functools import partial

    from headroom_edge.integrations.workers import payload_size

    job = partial(lambda compressor, raw, **kw: None, object(), b"a" * 10, path="/v1/x")
    assert payload_size(job, ()) == 10
    assert payload_size(len, (b"abc", bytearray(2), "not bytes")) == 5


def test_jobs_queued_before_the_cost_was_known_are_shed_when_it_is() -> None:
    """The first jobs of a burst are admitted blind; when the first one finishes, the queued
    ones that cannot make their deadline behind it are dropped then, not at their turn."""
    pool = WorkerPool(max_workers=1, queue_limit=8, time_budget_s=0.8)

    async def timed(i: int) -> tuple[str, float]:
        start = time.monotonic()
        try:
            await pool.run(_spin, 0.3, size_hint=100_000)
            return "done", time.monotonic() - start
        except Shed as shed:
            return shed.reason, time.monotonic() - start

    async def main() -> list[tuple[str, float]]:
        return list(await asyncio.gather(*(timed(i) for i in range(5))))

    try:
        results = asyncio.run(main())
    finally:
        pool.close(wait=True)
    assert [r for r, _ in results] == ["done", "done", "over_budget", "over_budget", "over_budget"]
    first_done = results[0][1]
    for _, waited in results[2:]:
        assert waited < first_done + 0.2  # shed when the first finished, not when the second did
    assert pool.in_flight == 0


def test_after_overload_an_idle_worker_probes_with_a_short_deadline_and_recovers() -> None:
    """Jobs stopped at their deadline raise the estimate; an idle worker still takes one job
    as a probe with ``probe_s`` as its deadline: expensive work is cut after ``probe_s`` (not
    a whole budget), cheap work finishes and clears the raised estimate."""
    from headroom_edge.integrations.admission import Admission

    pool = WorkerPool(max_workers=1, queue_limit=4, time_budget_s=0.5,
                      admission=Admission(1, probe_s=0.2, floor_half_life_s=60.0))
    size = 200_000

    async def timed(seconds: float, size: int = size) -> tuple[str, float]:
        for _ in range(200):  # let a job that was cut finish stopping
            if pool.in_flight == 0:
                break
            await asyncio.sleep(0.005)
        start = time.monotonic()
        try:
            await pool.run(_spin, seconds, size_hint=size)
            return "done", time.monotonic() - start
        except Shed as shed:
            return shed.reason, time.monotonic() - start

    async def main() -> list[tuple[str, float]]:
        # the first, half the size, teaches >= 0.5 s per 100 kB: the second estimates to >= 1 s
        return [await timed(30.0, size // 2), await timed(30.0), await timed(0.02), await timed(0.02)]

    try:
        (first, first_s), (probe, probe_s), (cheap, _), (after, _) = asyncio.run(main())
    finally:
        pool.close(wait=True)
    assert first == "time_budget" and first_s >= 0.5  # blind: ran its whole budget, then stopped
    assert probe == "time_budget" and probe_s < 0.5  # estimated over budget: a 0.2 s probe
    assert cheap == "done" and after == "done"  # the cheap probe finished: admitted normally again


def test_a_blind_first_wave_is_shed_while_the_first_job_runs() -> None:
    """Nothing known yet, five expensive jobs at once: all are admitted, but as the running
    one's elapsed time shows what such a job costs, the queued ones re-check and are shed
    well before their budget (instead of all waiting for it, as before issue 11)."""
    pool = WorkerPool(max_workers=1, queue_limit=8, time_budget_s=1.0)

    async def timed() -> tuple[str, float]:
        start = time.monotonic()
        try:
            await pool.run(_spin, 30.0, size_hint=100_000)
            return "done", time.monotonic() - start
        except Shed as shed:
            return shed.reason, time.monotonic() - start

    async def main() -> list[tuple[str, float]]:
        return list(await asyncio.gather(*(timed() for _ in range(5))))

    try:
        results = asyncio.run(main())
    finally:
        pool.close(wait=True)
    assert results[0][0] == "time_budget"  # the one that ran: stopped at its budget
    for reason, waited in results[1:]:
        assert reason == "over_budget" and waited < 0.8, results
