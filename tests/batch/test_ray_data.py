"""The Ray Data recipe on a real local Ray instance: same bytes as ``headroom-edge batch``."""

from __future__ import annotations

from pathlib import Path

import pytest

from headroom_edge.batch.ray_data import compress_with_ray

ray = pytest.importorskip("ray", reason="the ray extra (headroom-edge[ray]) is not installed")


@pytest.fixture(scope="module")
def local_ray():
    ray.init(
        num_cpus=4,  # logical CPUs: 2 actors plus the read tasks that feed them
        include_dashboard=False,
        log_to_driver=False,
        configure_logging=False,
        runtime_env={"env_vars": {"OMP_NUM_THREADS": "1"}},
    )
    yield
    ray.shutdown()


def test_ray_recipe_writes_what_the_local_runner_writes(
    local_ray, batch_file: Path, serial_output, tmp_path: Path
) -> None:
    out = tmp_path / "ray.jsonl"
    summary = compress_with_ray(batch_file, out, actors=2, batch_size=3)
    expected, local = serial_output
    assert out.read_bytes() == expected.read_bytes()
    assert summary.lines == local.lines
    assert (summary.changed, summary.tokens_before, summary.tokens_after) == (
        local.changed, local.tokens_before, local.tokens_after
    )
