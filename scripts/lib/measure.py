"""Timing and fidelity primitives: nanosecond samples, median/p90/p99 in microseconds, GC kept
out of timed loops; PSNR/SSIM of an encoded output against a LANCZOS reference."""

from __future__ import annotations

import gc
import io
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from scripts.lib.stats import percentile


@dataclass(frozen=True)
class Stats:
    """Microseconds over ``n`` timed runs."""

    n: int
    median_us: float
    p90_us: float
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
            p90_us=percentile(ordered, 90) / 1000,
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


@dataclass(frozen=True)
class Fidelity:
    """How close an output is to the reference: PSNR (dB, higher is closer) and SSIM (0..1)."""

    psnr_db: float
    ssim: float


def lanczos_reference(data: bytes, size: tuple[int, int]) -> np.ndarray:
    """The best plain resize of ``data`` to ``size``: full decode, one LANCZOS pass, RGB, no encode."""
    with Image.open(io.BytesIO(data)) as im:
        im.load()
        return np.asarray(im.convert("RGB").resize(size, Image.Resampling.LANCZOS))


def fidelity(encoded: bytes, reference: np.ndarray) -> Fidelity:
    """PSNR and SSIM (scikit-image, 8-bit RGB) of the decoded ``encoded`` bytes against ``reference``.
    Identical pixels report 99 dB rather than infinity, so worst cases and medians stay numbers."""
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    with Image.open(io.BytesIO(encoded)) as im:
        out = np.asarray(im.convert("RGB"))
    if out.shape != reference.shape:
        raise ValueError(f"output is {out.shape[1]}x{out.shape[0]}, reference {reference.shape[1]}x{reference.shape[0]}")
    identical = np.array_equal(out, reference)
    psnr = 99.0 if identical else float(peak_signal_noise_ratio(reference, out, data_range=255))
    return Fidelity(psnr, float(structural_similarity(reference, out, channel_axis=2, data_range=255)))
