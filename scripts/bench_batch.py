#!/usr/bin/env python
"""Throughput of ``headroom-edge batch`` with 1 and 2 processes, measured in the same run.

    python scripts/bench_batch.py [--lines 120] [--repeats 3]

Builds one mixed batch file (OpenAI chat, OpenAI responses and Anthropic lines, each with its own
1200x900 window of a real photograph from scikit-image, so no line is a cache hit, and a general,
detail or region question), then times
``run_batch`` with 1 and 2 processes, alternating, ``--repeats`` times each (pool start-up
included: that is what a user waits for). Reports the median lines/s, the 2-vs-1 ratio, peak RSS
of the parent and the file's savings. Writes reports/bench_batch.json and .md.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import resource
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if __name__ == "__main__":  # run by path: import from the repository root (scripts/__init__.py)
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from headroom_edge.batch.runner import BatchOptions, run_batch  # noqa: E402

QUESTIONS = (
    "What is happening in this picture?",
    "Read the small text on the sign exactly.",
    "What is in the top-left corner?",
    "Describe the colours.",
)


def photo(i: int) -> bytes:
    """A different 1200x900 JPEG for every line (a window of one of four real photographs), so
    no line is a cache hit of an earlier one."""
    from PIL import Image
    from skimage import data

    arrays = (data.astronaut, data.coffee, data.chelsea, data.rocket)
    base = Image.fromarray(arrays[i % len(arrays)]()).convert("RGB").resize((1400, 1050))
    dx, dy = (i * 7) % 200, (i * 13) % 150
    buf = io.BytesIO()
    base.crop((dx, dy, dx + 1200, dy + 900)).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def make_file(path: Path, lines: int) -> None:
    with path.open("wb") as f:
        for i in range(lines):
            b64 = base64.b64encode(photo(i)).decode()
            question = QUESTIONS[i % len(QUESTIONS)]
            if i % 3 == 0:
                record = {"custom_id": f"r{i}", "method": "POST", "url": "/v1/chat/completions",
                          "body": {"model": "gpt-4o", "messages": [{"role": "user", "content": [
                              {"type": "text", "text": question},
                              {"type": "image_url",
                               "image_url": {"url": f"data:image/jpeg;base64,{b64}"}}]}]}}
            elif i % 3 == 1:
                record = {"custom_id": f"r{i}", "method": "POST", "url": "/v1/responses",
                          "body": {"model": "gpt-4.1", "input": [{"role": "user", "content": [
                              {"type": "input_text", "text": question},
                              {"type": "input_image",
                               "image_url": f"data:image/jpeg;base64,{b64}"}]}]}}
            else:
                record = {"custom_id": f"r{i}", "params": {
                    "model": "claude-sonnet-4-5", "max_tokens": 256, "messages": [
                        {"role": "user", "content": [
                            {"type": "image", "source": {"type": "base64",
                                                         "media_type": "image/jpeg", "data": b64}},
                            {"type": "text", "text": question}]}]}}
            f.write(json.dumps(record).encode() + b"\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=120)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "reports")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    runs: dict[int, list[float]] = {1: [], 2: []}
    summary = None
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.jsonl"
        make_file(src, args.lines)
        size_mb = src.stat().st_size / 1e6
        for _ in range(args.repeats):
            for processes in (1, 2):
                out = Path(tmp) / f"out{processes}.jsonl"
                summary = run_batch(
                    src, out, BatchOptions(processes=processes, progress=False, restart=True)
                )
                runs[processes].append(summary.lines / summary.seconds)
                print(f"processes={processes}: {summary.lines / summary.seconds:.2f} lines/s "
                      f"({summary.seconds:.1f}s)", flush=True)
    med = {p: statistics.median(v) for p, v in runs.items()}
    report = {
        "lines": args.lines,
        "file_mb": round(size_mb, 1),
        "repeats": args.repeats,
        "lines_per_second_median": {str(p): round(v, 2) for p, v in med.items()},
        "lines_per_second_all": {str(p): [round(x, 2) for x in v] for p, v in runs.items()},
        "speedup_2_vs_1": round(med[2] / med[1], 2),
        "parent_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "savings_percent": round(summary.savings_percent, 1) if summary else None,
    }
    (args.out / "bench_batch.json").write_text(json.dumps(report, indent=2) + "\n")
    md = (
        f"| processes | lines/s (median of {args.repeats}) |\n|---|---|\n"
        + "".join(f"| {p} | {v:.2f} |\n" for p, v in med.items())
        + f"\n2 vs 1: {report['speedup_2_vs_1']}x; {args.lines} lines, {report['file_mb']} MB; "
        f"parent peak RSS {report['parent_peak_rss_mb']} MB; savings {report['savings_percent']}%\n"
    )
    (args.out / "bench_batch.md").write_text(md)
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
