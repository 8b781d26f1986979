"""Batch files: OpenAI Batch input and Anthropic Message Batches request files, line by line.

``lines`` holds the per-line function (what any engine runs), ``runner`` the local streaming
runner (processes, order, resume, progress), ``ray_data`` the recipe for a Ray cluster.
"""

from headroom_edge.batch.lines import BatchKind, LineOutcome, LineStats, compress_line
from headroom_edge.batch.runner import BatchOptions, BatchSummary, run_batch

__all__ = [
    "BatchKind",
    "BatchOptions",
    "BatchSummary",
    "LineOutcome",
    "LineStats",
    "compress_line",
    "run_batch",
]
