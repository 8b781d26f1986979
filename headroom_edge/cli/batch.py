"""``headroom-edge batch IN.jsonl -o OUT.jsonl``: rewrite an OpenAI or Anthropic batch file."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "batch",
        help="compress the images of a batch file (OpenAI Batch input or Anthropic Message Batches)",
        description="Rewrite every request of a JSONL batch file, streaming, in order, across "
        "processes. Lines that cannot be compressed are written unchanged. An interrupted run "
        "resumes when started again with the same arguments.",
    )
    parser.add_argument("input", type=Path, help="batch file (JSONL)")
    parser.add_argument("-o", "--output", type=Path, required=True, help="where to write it")
    parser.add_argument(
        "-p", "--processes", type=int, default=None,
        help="worker processes (default: the cores this process may use)",
    )
    parser.add_argument(
        "--chunk-lines", type=int, default=64, help="lines per unit of work (default: 64)"
    )
    parser.add_argument(
        "--restart", action="store_true",
        help="ignore an interrupted run's progress and overwrite the output",
    )
    bar = parser.add_mutually_exclusive_group()
    bar.add_argument("--progress", dest="progress", action="store_true", default=None,
                     help="show a progress bar even when stderr is not a terminal")
    bar.add_argument("--no-progress", dest="progress", action="store_false")
    parser.add_argument("--summary-json", type=Path, help="also write the summary here as JSON")
    parser.add_argument("--device", choices=["cpu", "cuda"], help="execution provider for the models")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from headroom_edge.batch.runner import BatchError, BatchOptions, run_batch
    from headroom_edge.runtime.cores import usable_cores

    if not args.input.is_file():
        print(f"headroom-edge batch: {args.input}: no such file", file=sys.stderr)
        return 2
    processes = args.processes if args.processes is not None else usable_cores()
    options = BatchOptions(
        processes=max(1, processes),
        chunk_lines=max(1, args.chunk_lines),
        progress=args.progress,
        restart=args.restart,
        device=args.device,
    )
    try:
        summary = run_batch(args.input, args.output, options)
    except BatchError as exc:
        print(f"headroom-edge batch: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            "headroom-edge batch: interrupted; run the same command again to resume",
            file=sys.stderr,
        )
        return 130
    print(summary.render(), file=sys.stderr)
    if args.summary_json:
        args.summary_json.write_text(json.dumps(summary.as_dict(), indent=2) + "\n")
    return 0
