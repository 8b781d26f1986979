"""The batch rewrite on a Ray cluster: the same per-line function, Ray Data's actors and streaming.

For files or volumes past one machine, a home-made cluster would be the wrong tool: Ray Data
already streams a dataset through a pool of long-lived actors with backpressure and spreads
them over whatever cluster ``ray.init`` connects to. Each actor holds one
:class:`~headroom_edge.compressor.ImageCompressor` (models load once per actor) and runs
:func:`headroom_edge.batch.lines.compress_line`, exactly what ``headroom-edge batch`` runs, so
both engines write the same bytes for the same line.

Install with ``pip install "headroom-edge[ray]"``; then, on a laptop or a cluster head::

    import ray
    from headroom_edge.batch.ray_data import compress_with_ray

    ray.init()                      # or ray.init(address="auto") on a cluster
    summary = compress_with_ray("batch.jsonl", "batch.out.jsonl", actors=8)
    print(summary.render())

Each actor reserves one CPU and Ray Data's read tasks need CPUs too, so ask for fewer actors
than the cluster has CPUs (on one machine: ``ray.init(num_cpus=...)`` above ``actors``).
The input is read as UTF-8 text lines (JSONL is UTF-8 by definition); lines are written back
in input order with ``\\n`` endings. The driver writes the output file as rows stream back, so
its memory stays bounded by Ray's streaming window, not by the file.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from headroom_edge.batch.lines import BatchKind, LineStats, compress_line
from headroom_edge.batch.runner import BatchOptions, BatchSummary, make_compressor

_STAT_COLUMNS = ("kind", "changed", "failed", "images", "tokens_before", "tokens_after")


class CompressLines:
    """A Ray Data actor: one compressor, many batches of ``{"text": [line, ...]}``."""

    def __init__(self, options: BatchOptions) -> None:
        self._compressor = make_compressor(options)

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        out: dict[str, list[Any]] = {"text": [], **{c: [] for c in _STAT_COLUMNS}}
        for text in batch["text"]:
            outcome = compress_line(str(text).encode("utf-8"), self._compressor)
            out["text"].append(outcome.line.decode("utf-8"))
            stats = outcome.stats
            out["kind"].append(stats.kind.value)
            for column in _STAT_COLUMNS[1:]:
                out[column].append(getattr(stats, column))
        return out


def compress_with_ray(
    input_path: str | Path,
    output_path: str | Path,
    *,
    actors: int = 2,
    batch_size: int = 16,
    options: BatchOptions | None = None,
) -> BatchSummary:
    """Rewrites a batch file with Ray Data (``ray.init`` first); returns the file's summary."""
    import ray.data

    options = options or BatchOptions()
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True  # output order is the input's
    started = time.perf_counter()
    dataset = ray.data.read_text(str(input_path), drop_empty_lines=False).map_batches(
        CompressLines,
        fn_constructor_kwargs={"options": options},
        batch_size=batch_size,
        batch_format="numpy",
        concurrency=actors,
    )
    summary = BatchSummary(str(input_path), str(output_path), processes=actors)
    with Path(output_path).open("wb") as dst:
        for row in dataset.iter_rows():
            dst.write(str(row["text"]).encode("utf-8") + b"\n")
            summary.add(
                LineStats(
                    BatchKind(str(row["kind"])),
                    changed=bool(row["changed"]),
                    failed=bool(row["failed"]),
                    images=int(row["images"]),
                    tokens_before=int(row["tokens_before"]),
                    tokens_after=int(row["tokens_after"]),
                )
            )
    summary.seconds = time.perf_counter() - started
    return summary
