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
        assert late.value.reason == "time_budget"
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
