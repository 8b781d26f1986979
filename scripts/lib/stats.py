"""Order statistics for benchmark reports: one percentile rule for every tool.

Nearest rank (the smallest sample with at least q% of the samples at or below it) rather than
interpolation: a reported p99 is then a latency that really happened, and p99 of 50 runs is the
largest run, which is the honest reading of so few samples.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence


def percentile(values: Iterable[float], q: float) -> float:
    """Nearest-rank ``q``-th percentile (``q`` in 0..100) of ``values``; 0.0 when there are none."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    if not 0 <= q <= 100:
        raise ValueError(f"percentile must be within 0..100, got {q}")
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return float(ordered[min(len(ordered), rank) - 1])


def median(values: Iterable[float]) -> float:
    """The median (mean of the middle two for an even count); 0.0 when there are none."""
    ordered = list(values)
    return float(statistics.median(ordered)) if ordered else 0.0


def edit_distance(a: Sequence[object], b: Sequence[object]) -> int:
    """Levenshtein distance over any two sequences (characters or words)."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]
