"""The one percentile rule of the benchmark tools (scripts/lib/stats.py)."""

from __future__ import annotations

import pytest

from scripts.lib.stats import median, percentile


def test_nearest_rank_percentiles_are_real_samples() -> None:
    runs = [float(v) for v in range(1, 51)]  # 1..50
    assert percentile(runs, 99) == 50.0  # p99 of 50 runs is the largest run
    assert percentile(runs, 50) == 25.0
    assert percentile(reversed(runs), 90) == 45.0  # order of the input does not matter
    assert percentile([3.0], 0) == 3.0
    assert percentile([], 99) == 0.0 and median([]) == 0.0
    assert median([1.0, 2.0, 10.0, 20.0]) == 6.0


def test_percentile_out_of_range_is_an_error() -> None:
    with pytest.raises(ValueError):
        percentile([1.0], 150)
