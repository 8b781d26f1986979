"""Latency of the committed query router on this machine.

Usage::

    .venv/bin/python scripts/bench_router.py [--n 500] [--threads 0] [--batch 32]

Prints p50/p99 of single-question ``classify`` calls (whole-turn preparation + tokenizer + ONNX +
temperature softmax + cost matrix, i.e. what the compressor pays per image) and the throughput of
``classify_batch``, plus the size budget of the model folder (total <= 130 MB, no file over 95 MB,
p50 <= 5 ms). Questions are the held-out split and the hard set, so lengths are realistic (terse
to multi-sentence, eleven languages). Run it on an idle machine: on a shared 2-core VM other
processes inflate p99 more than p50.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if __name__ == "__main__":  # run by path: import from the repository root (scripts/__init__.py)
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from scripts.lib.stats import percentile  # noqa: E402

TOTAL_BUDGET_MB = 130
FILE_BUDGET_MB = 95
P50_BUDGET_MS = 5.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=500, help="single-question calls to time")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--threads", type=int, default=0, help="onnxruntime intra-op threads (0 = default)")
    parser.add_argument("--model-dir", type=Path, default=None)
    args = parser.parse_args()

    from headroom_edge.router import QueryRouter
    from headroom_edge.runtime.onnx import SessionOptions
    from scripts import router_data

    t0 = time.perf_counter()
    router = QueryRouter(args.model_dir, session_options=SessionOptions(device="cpu", intra_op_threads=args.threads))
    load_ms = (time.perf_counter() - t0) * 1000
    data = router_data.build()
    questions = [e.text for e in data.heldout] + [e.text for e in data.hard]
    for q in questions[:50]:  # warm-up: first runs allocate arenas
        router.classify(q)

    single: list[float] = []
    for i in range(args.n):
        q = questions[i % len(questions)]
        t = time.perf_counter()
        router.classify(q)
        single.append((time.perf_counter() - t) * 1000)

    batches = [questions[i : i + args.batch] for i in range(0, len(questions), args.batch)]
    t = time.perf_counter()
    for b in batches:
        router.classify_batch(b)
    elapsed = time.perf_counter() - t

    print(f"model {router.model_dir / 'model.onnx'} ({(router.model_dir / 'model.onnx').stat().st_size / 1e6:.1f} MB), "
          f"load {load_ms:.0f} ms, threads {SessionOptions(intra_op_threads=args.threads).threads()}")
    print(f"single: n={len(single)} p50 {statistics.median(single):.2f} ms  p90 {percentile(single, 90):.2f} ms  "
          f"p99 {percentile(single, 99):.2f} ms  mean {statistics.fmean(single):.2f} ms")
    print(f"batch {args.batch}: {len(questions) / elapsed:.0f} questions/s "
          f"({elapsed / len(batches) * 1000:.1f} ms per batch, {len(questions)} questions)")
    files = {p.name: p.stat().st_size for p in router.model_dir.iterdir() if p.is_file()}
    total, largest = sum(files.values()), max(files, key=files.__getitem__)
    p50 = statistics.median(single)
    print(f"folder {total / 1e6:.1f} MB in {len(files)} files, largest {largest} {files[largest] / 1e6:.1f} MB")
    print(f"budgets: total <= {TOTAL_BUDGET_MB} MB {'ok' if total <= TOTAL_BUDGET_MB * 1e6 else 'OVER'}, "
          f"file <= {FILE_BUDGET_MB} MB {'ok' if files[largest] <= FILE_BUDGET_MB * 1e6 else 'OVER'}, "
          f"p50 <= {P50_BUDGET_MS} ms {'ok' if p50 <= P50_BUDGET_MS else 'OVER'}")


if __name__ == "__main__":
    main()
