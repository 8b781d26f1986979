"""Rewrites a batch file on this machine: streaming, in order, across processes, resumable.

Why this shape:

- **Bounded memory.** Lines are read, sent to the workers in chunks and written back as they
  finish, with at most ``2 x processes`` chunks in flight, so a multi-GB file needs a few chunks
  of memory, never the file.
- **Processes, not threads.** Image work is CPU-bound Python around native calls; one
  :class:`~headroom_edge.compressor.ImageCompressor` per worker process uses every core and
  keeps a crash in one worker from taking the file's progress with it.
- **Order and ids kept.** Chunks are written in the order they were read, every line is either
  its compressed version or its own bytes, so ``custom_id`` order is the input's.
- **Resumable.** After each written chunk, ``OUT.progress.json`` records how far input and output
  are durable (the output is fsynced first). An interrupted run started again with the same
  arguments truncates the output to that point and continues from the matching input offset.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import IO, Any

from headroom_edge.batch.lines import BatchKind, LineStats, compress_line

PROGRESS_SUFFIX = ".progress.json"
_HEAD_BYTES = 1 << 20  # the input's identity for resuming: its size and the hash of this head


class BatchError(Exception):
    """A batch run that cannot start as asked (output exists, input changed since a resume)."""


@dataclass(frozen=True)
class BatchOptions:
    processes: int = 1
    chunk_lines: int = 64  # lines per unit of work sent to a worker ...
    chunk_bytes: int = 8 << 20  # ... or fewer, once they add up to this many bytes
    progress: bool | None = None  # None: a progress bar when stderr is a terminal
    restart: bool = False  # ignore a previous run's progress and overwrite the output
    model_id: str | None = None  # ImageCompressor arguments, for every worker
    use_siglip: bool = True
    device: str | None = None


@dataclass
class BatchSummary:
    """What a run did to one file; ``as_dict`` is what ``--summary-json`` writes."""

    input: str
    output: str
    lines: int = 0
    changed: int = 0
    unchanged: int = 0
    failed: int = 0  # the compressor raised; the line was written unchanged
    not_requests: int = 0  # blank lines, non-JSON, other shapes: written unchanged
    images: int = 0
    tokens_before: int = 0
    tokens_after: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    resumed_at_line: int = 0
    seconds: float = 0.0
    processes: int = 1

    @property
    def savings_percent(self) -> float:
        if not self.tokens_before:
            return 0.0
        return 100.0 * (self.tokens_before - self.tokens_after) / self.tokens_before

    @property
    def lines_per_second(self) -> float:
        done = self.lines - self.resumed_at_line
        return done / self.seconds if self.seconds > 0 else 0.0

    def add(self, stats: LineStats) -> None:
        self.lines += 1
        self.by_kind[stats.kind.value] = self.by_kind.get(stats.kind.value, 0) + 1
        if stats.kind is BatchKind.UNKNOWN:
            self.not_requests += 1
        elif stats.failed:
            self.failed += 1
        elif stats.changed:
            self.changed += 1
        else:
            self.unchanged += 1
        self.images += stats.images
        self.tokens_before += stats.tokens_before
        self.tokens_after += stats.tokens_after

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["savings_percent"] = round(self.savings_percent, 2)
        data["lines_per_second"] = round(self.lines_per_second, 2)
        return data

    def render(self) -> str:
        return (
            f"{self.output}: {self.lines} lines ({self.changed} compressed, {self.unchanged} "
            f"unchanged, {self.failed} failed and kept, {self.not_requests} not requests), "
            f"{self.images} images, image tokens {self.tokens_before} -> {self.tokens_after} "
            f"({self.savings_percent:.1f}% saved), {self.seconds:.1f}s, "
            f"{self.lines_per_second:.1f} lines/s on {self.processes} process(es)"
            + (f", resumed at line {self.resumed_at_line}" if self.resumed_at_line else "")
        )


# ------------------------------------------------------------------------------ progress file


def _fingerprint(path: Path) -> dict[str, Any]:
    with path.open("rb") as f:
        head = hashlib.sha256(f.read(_HEAD_BYTES)).hexdigest()
    return {"size": path.stat().st_size, "head_sha256": head}


@dataclass(frozen=True)
class _Checkpoint:
    input_offset: int
    output_offset: int
    summary: dict[str, Any]


def _progress_path(output: Path) -> Path:
    return output.with_name(output.name + PROGRESS_SUFFIX)


def _save_checkpoint(path: Path, fingerprint: dict[str, Any], cp: _Checkpoint) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(
        json.dumps({"input": fingerprint, **asdict(cp)}, sort_keys=True), encoding="utf-8"
    )
    os.replace(tmp, path)


def _load_checkpoint(path: Path, fingerprint: dict[str, Any]) -> _Checkpoint:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        cp = _Checkpoint(
            int(data["input_offset"]), int(data["output_offset"]), dict(data["summary"])
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BatchError(f"{path} is unreadable ({exc}); use --restart to start over") from exc
    if data.get("input") != fingerprint:
        raise BatchError(
            f"the input changed since the interrupted run recorded in {path}; "
            "use --restart to start over"
        )
    return cp


# ------------------------------------------------------------------------------ workers

# One compressor per worker process, made by the pool's initializer: the pool's own per-process
# state, the documented pattern for ProcessPoolExecutor (it never leaks into the parent).
_WORKER: Any = None


def make_compressor(options: BatchOptions) -> Any:
    from headroom_edge.compressor import ImageCompressor

    return ImageCompressor(
        model_id=options.model_id, use_siglip=options.use_siglip, device=options.device
    )


def _worker_init(options: BatchOptions) -> None:
    global _WORKER
    _WORKER = make_compressor(options)


def _worker_chunk(lines: list[bytes]) -> list[tuple[bytes, LineStats]]:
    outcomes = [compress_line(line, _WORKER) for line in lines]
    return [(o.line, o.stats) for o in outcomes]


def _chunks(stream: IO[bytes], options: BatchOptions) -> Iterator[tuple[list[bytes], int]]:
    """(lines, their byte count) in chunks, in file order."""
    lines: list[bytes] = []
    size = 0
    for line in stream:
        lines.append(line)
        size += len(line)
        if len(lines) >= options.chunk_lines or size >= options.chunk_bytes:
            yield lines, size
            lines, size = [], 0
    if lines:
        yield lines, size


class _InProcess:
    """A one-process "pool": no IPC, same interface as the executor for the loop below."""

    def __init__(self, options: BatchOptions) -> None:
        self._compressor = make_compressor(options)

    def submit(self, _fn: Callable[..., Any], lines: list[bytes]) -> Future:
        future: Future = Future()
        outcomes = [compress_line(line, self._compressor) for line in lines]
        future.set_result([(o.line, o.stats) for o in outcomes])
        return future

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        return None


# ------------------------------------------------------------------------------ the run


def _progress_bar(options: BatchOptions, total: int, initial: int, label: str) -> Any:
    show = options.progress if options.progress is not None else sys.stderr.isatty()
    if not show:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        print("headroom-edge batch: pip install tqdm for a progress bar", file=sys.stderr)
        return None
    return tqdm(
        total=total, initial=initial, unit="B", unit_scale=True, unit_divisor=1024,
        desc=label, dynamic_ncols=True, smoothing=0.1,
    )


def run_batch(input_path: Path, output_path: Path, options: BatchOptions) -> BatchSummary:
    """Rewrites ``input_path`` into ``output_path``; see the module docstring for guarantees."""
    input_path, output_path = Path(input_path), Path(output_path)
    if input_path.resolve() == output_path.resolve():
        raise BatchError("the output must be another file than the input")
    progress_path = _progress_path(output_path)
    fingerprint = _fingerprint(input_path)
    summary = BatchSummary(str(input_path), str(output_path), processes=options.processes)
    start = _Checkpoint(0, 0, {})
    if progress_path.exists() and not options.restart:
        start = _load_checkpoint(progress_path, fingerprint)
        known = {k: v for k, v in start.summary.items() if k in BatchSummary.__dataclass_fields__}
        summary = replace(BatchSummary(**known), processes=options.processes, seconds=0.0)
        summary.resumed_at_line = summary.lines
        if start.output_offset and not output_path.exists():
            raise BatchError(f"{output_path} is gone; use --restart to start over")
    elif output_path.exists() and not options.restart:
        raise BatchError(f"{output_path} exists; use --restart to overwrite it")

    started = time.perf_counter()
    pool: Any = (
        _InProcess(options)
        if options.processes <= 1
        else ProcessPoolExecutor(
            max_workers=options.processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_worker_init,
            initargs=(options,),
        )
    )
    bar = _progress_bar(options, fingerprint["size"], start.input_offset, input_path.name)
    in_flight: deque[tuple[Future, int]] = deque()
    input_offset, output_offset = start.input_offset, start.output_offset
    mode = "r+b" if start.output_offset else "wb"
    try:
        with input_path.open("rb") as src, output_path.open(mode) as dst:
            src.seek(start.input_offset)
            dst.seek(start.output_offset)
            dst.truncate()

            def write_oldest() -> None:
                nonlocal input_offset, output_offset
                future, consumed = in_flight.popleft()
                for line, stats in future.result():
                    dst.write(line)
                    output_offset += len(line)
                    summary.add(stats)
                input_offset += consumed
                dst.flush()
                os.fsync(dst.fileno())  # durable before the checkpoint says so
                summary.seconds = time.perf_counter() - started
                _save_checkpoint(
                    progress_path,
                    fingerprint,
                    _Checkpoint(input_offset, output_offset, summary.as_dict()),
                )
                if bar is not None:
                    bar.update(consumed)
                    bar.set_postfix(lines=summary.lines, saved=f"{summary.savings_percent:.0f}%")

            for lines, size in _chunks(src, options):
                in_flight.append((pool.submit(_worker_chunk, lines), size))
                if len(in_flight) >= 2 * max(1, options.processes):
                    write_oldest()
            while in_flight:
                write_oldest()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        if bar is not None:
            bar.close()
    summary.seconds = time.perf_counter() - started
    progress_path.unlink(missing_ok=True)
    return summary
