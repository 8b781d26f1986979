"""Timing primitives: nanosecond samples, median/p99 in microseconds, GC kept out of timed loops."""

from __future__ import annotations

import gc
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from scripts.lib.stats import percentile


@dataclass(frozen=True)
class Stats:
    """Microseconds over ``n`` timed runs."""

    n: int
    median_us: float
    p99_us: float
    min_us: float

    @classmethod
    def of(cls, samples_ns: list[int]) -> Stats:
        if not samples_ns:
            raise ValueError("no samples")
        ordered = sorted(samples_ns)
        return cls(
            n=len(ordered),
            median_us=statistics.median(ordered) / 1000,
            p99_us=percentile(ordered, 99) / 1000,
            min_us=ordered[0] / 1000,
        )


class Quiet:
    """Garbage collection off inside timed loops (a collection mid-run is noise, not our cost)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._was = gc.isenabled()

    def __enter__(self) -> Quiet:
        if self.enabled:
            gc.collect()
            gc.disable()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.enabled and self._was:
            gc.enable()


def timed(fn: Callable[[Any], Any], setup: Callable[[], Any], runs: int, warmup: int, quiet: bool) -> list[int]:
    """``fn(setup())`` timed ``runs`` times after ``warmup`` untimed calls; setup is not timed."""
    for _ in range(warmup):
        fn(setup())
    samples: list[int] = []
    with Quiet(quiet):
        for _ in range(runs):
            arg = setup()
            start = time.perf_counter_ns()
            fn(arg)
            samples.append(time.perf_counter_ns() - start)
    return samples



def loadavg() -> str:
    """The 1, 5 and 15 minute load averages: how busy the shared machine was."""
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "n/a"


