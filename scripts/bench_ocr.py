"""Full-page OCR against Tesseract: time and accuracy on rendered pages with known text.

Usage::

    .venv/bin/python scripts/bench_ocr.py [--runs 3] [--pages NAME,...] [--out reports]
    .venv/bin/python scripts/bench_ocr.py --detector-sizes      # the old detector-size sweep

For every page of :func:`scripts.ocr_pages.default_pages` (1240 x 1754, real Debian text, 10-28 px,
columns, a table, a UI page) it times ``OcrEngine.read`` and the ``tesseract`` CLI (``--oem 1``,
TSV output, the same PNG) interleaved, run after run, and alternating which goes first, so both
meet the same load; medians over ``--runs``. Tesseract runs twice per round, with its default
OpenMP threads and with ``OMP_THREAD_LIMIT=1``, and the faster median is the reference: on a
shared 2-core VM its OpenMP workers were seen spinning (72 s wall for a page it reads in 14.8 s
single-threaded), and a judge slowed by that would flatter us. Accuracy is the character and
word error rate of each against the drawn text (geometry-matched, see ``scripts.ocr_pages``).
Wall time is the claim; CPU time (ours: this process, Tesseract: the child's rusage) is printed
beside it because on a shared machine it is the steadier of the two.

PASS needs the median per-page time ratio (ours / Tesseract) <= ``RATIO_TARGET`` and, pooled over
all pages, our CER and WER at most Tesseract's plus ``ERROR_MARGIN``. Writes
``reports/bench_ocr.json`` and ``reports/bench_ocr.md`` and prints the worst pages.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if __name__ == "__main__":  # run by path: import from the repository root (scripts/__init__.py)
    sys.path[0] = str(ROOT)

from PIL import Image, ImageDraw, ImageFont  # noqa: E402

from headroom_edge.ocr import OcrEngine, RecognizerParams  # noqa: E402
from headroom_edge.ocr.engine import READ_MAX_SIDE  # noqa: E402
from headroom_edge.runtime.onnx import SessionOptions  # noqa: E402
from scripts.lib.measure import loadavg  # noqa: E402
from scripts.lib.stats import median  # noqa: E402
from scripts.ocr_pages import Page, Piece, Score, default_pages, score  # noqa: E402

RATIO_TARGET = 0.25
"""Issue 12 item 5: a full page in at most a quarter of Tesseract's time on the same page."""
ERROR_MARGIN = 0.005
"""How far (absolute, pooled CER and WER) our error may exceed Tesseract's and still pass: half a
percentage point, about the run-to-run spread of one misread word per page on the small pages."""


@dataclass(frozen=True)
class Timing:
    wall: float
    cpu: float


# --- the detector-size sweep (--detector-sizes) ---------------------------------------------

BODY = (
    "Compression of images in LLM requests saves tokens when the page is mostly text. "
    "The detector finds the lines first and the recogniser reads each of them in turn. "
    "Numbers like 2024-11-05, $19.99 and 3.14159 must survive the round trip intact. "
)
SIDES = (960, 640, 480, 320, 256, 224, 192)
SMALL_SIZES = (8, 10, 12, 14)


def render_page() -> tuple[Image.Image, dict[int, tuple[int, int, int, int]]]:
    """A 1024x1024 page: heading, 18 px body text, and one line each of 8-14 px text."""
    img = Image.new("RGB", (1024, 1024), "white")
    draw = ImageDraw.Draw(img)
    draw.text(
        (48, 40), "Quarterly Operations Report", font=ImageFont.load_default(size=40), fill="black"
    )
    body = ImageFont.load_default(size=18)
    words, line, y = (BODY * 4).split(), "", 120
    for word in words:
        trial = f"{line} {word}".strip()
        if draw.textlength(trial, font=body) > 920 and line:
            draw.text((48, y), line, font=body, fill="black")
            line, y = word, y + 30
        else:
            line = trial
    draw.text((48, y), line, font=body, fill="black")
    small: dict[int, tuple[int, int, int, int]] = {}
    y += 60
    for size in SMALL_SIZES:
        text = f"Footnote set in {size} pixel type for the small text check"
        fnt = ImageFont.load_default(size=size)
        draw.text((48, y), text, font=fnt, fill="black")
        small[size] = tuple(int(v) for v in draw.textbbox((48, y), text, font=fnt))  # type: ignore[assignment]
        y += size * 2 + 10
    return img, small


def median_ms(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm-up: first runs allocate arenas
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000.0


def detector_sweep(engine: OcrEngine, runs: int = 20) -> None:
    """The detector per input size on a 1024x1024 page, and which small-text lines each size still
    finds as lines of their own (the analysis step wants text presence within ~15 ms)."""
    page, small = render_page()
    print(f"cores usable: {len(os.sched_getaffinity(0))}, onnx threads: {engine.session_options.threads()}, "
          f"load average: {loadavg()}")
    print(
        f"{'max_side':>8} {'input':>9} {'median ms':>10} {'boxes':>6} {'lines':>6}"
        f" {'smallest px':>11}  small lines found as their own line"
    )
    for side in SIDES:
        found = engine.detect(page, max_side=side)
        ms = median_ms(lambda s=side: engine.detect(page, max_side=s), runs)
        hits = []
        for size, (x0, y0, x1, y1) in small.items():
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            own_line = [  # a box around this line only, not a block of merged lines
                b
                for b in found.boxes
                if b.x0 <= cx <= b.x1 and b.y0 <= cy <= b.y1 and b.height <= 3 * (y1 - y0)
            ]
            if own_line:
                hits.append(f"{size}px")
        smallest = found.smallest_text_height
        print(
            f"{side:>8} {found.input_size[0]}x{found.input_size[1]:<4} {ms:>10.1f} "
            f"{len(found.boxes):>6} {found.line_count:>6} "
            f"{(f'{smallest:.1f}' if smallest else '-'):>11}  {', '.join(hits) or 'none'}"
        )


# --- the full-page benchmark ---------------------------------------------------------------


def run_ours(engine: OcrEngine, page: Page) -> tuple[Timing, list[Piece]]:
    cpu, start = time.process_time(), time.perf_counter()
    result = engine.read(page.image)
    timing = Timing(time.perf_counter() - start, time.process_time() - cpu)
    pieces = [Piece(line.text, (line.box.x0, line.box.y0, line.box.x1, line.box.y1)) for line in result.lines]
    return timing, pieces


def run_tesseract(png: Path, single_thread: bool = False) -> tuple[Timing, list[Piece]]:
    """One ``tesseract PNG - --oem 1 tsv`` run (``single_thread``: ``OMP_THREAD_LIMIT=1``): its
    wall and CPU time and its words with boxes."""
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"} if single_thread else None
    before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    done = subprocess.run(["tesseract", str(png), "-", "--oem", "1", "tsv"], capture_output=True,
                          text=True, check=True, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    pieces = []
    for row in csv.DictReader(io.StringIO(done.stdout), delimiter="\t", quoting=csv.QUOTE_NONE):
        text = (row.get("text") or "").strip()
        if row.get("level") == "5" and text:
            x, y, w, h = (float(row[k]) for k in ("left", "top", "width", "height"))
            pieces.append(Piece(text, (x, y, x + w, y + h)))
    return Timing(wall, cpu), pieces


def bench_pages(
    engine: OcrEngine, pages: list[Page], runs: int,
    after_run: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Interleaved timings and scores of both engines on every page.

    ``after_run`` gets the summary so far after every page (pages not reached yet left out): on
    a shared machine a long benchmark then leaves a report even when it is cut short.
    """
    tmp = Path(tempfile.mkdtemp(prefix="bench_ocr_"))
    ours: dict[str, list[Timing]] = {p.name: [] for p in pages}
    tess: dict[str, list[Timing]] = {p.name: [] for p in pages}
    tess1: dict[str, list[Timing]] = {p.name: [] for p in pages}
    scores: dict[str, tuple[Score, Score]] = {}
    try:
        pngs = {}
        for page in pages:
            pngs[page.name] = tmp / f"{page.name}.png"
            page.image.save(pngs[page.name])
        engine.read(pages[0].image)  # warm-up: opens both sessions
        for run in range(runs):
            for page in pages:
                order = ("ours", "tess", "tess1") if run % 2 == 0 else ("tess1", "tess", "ours")
                for who in order:
                    if who == "ours":
                        timing, our_pieces = run_ours(engine, page)
                        ours[page.name].append(timing)
                    elif who == "tess":
                        timing, tess_pieces = run_tesseract(pngs[page.name])
                        tess[page.name].append(timing)
                    else:
                        timing, _ = run_tesseract(pngs[page.name], single_thread=True)
                        tess1[page.name].append(timing)
                if page.name not in scores:
                    scores[page.name] = (score(page, our_pieces), score(page, tess_pieces))
                print(f"  run {run + 1}/{runs} {page.name}: ours {ours[page.name][-1].wall:.2f} s, "
                      f"tesseract {tess[page.name][-1].wall:.2f} s, single-threaded "
                      f"{tess1[page.name][-1].wall:.2f} s (load {loadavg()})", flush=True)
                if after_run is not None:
                    done = [p for p in pages if ours[p.name]]
                    after_run(summarise(_rows(done, ours, _faster(done, tess, tess1), scores, tess, tess1), run + 1))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return summarise(_rows(pages, ours, _faster(pages, tess, tess1), scores, tess, tess1), runs)


def _faster(pages: list[Page], tess: dict[str, list[Timing]],
            tess1: dict[str, list[Timing]]) -> dict[str, list[Timing]]:
    """Per page, the Tesseract variant (default OpenMP or single thread) with the lower median
    wall time: the reference we are timed against is the fastest Tesseract this machine ran."""
    return {p.name: min((tess[p.name], tess1[p.name]), key=lambda t: median(x.wall for x in t)) for p in pages}


def _rows(pages: list[Page], ours: dict[str, list[Timing]], tess: dict[str, list[Timing]],
          scores: dict[str, tuple[Score, Score]], default: dict[str, list[Timing]] | None = None,
          single: dict[str, list[Timing]] | None = None) -> list[dict[str, Any]]:
    rows = []
    for page in pages:
        o, t = ours[page.name], tess[page.name]
        ow, tw = median(x.wall for x in o), median(x.wall for x in t)
        oc, tc = median(x.cpu for x in o), median(x.cpu for x in t)
        variants = {}
        if default is not None and single is not None:
            variants = {"tesseract_default_s": round(median(x.wall for x in default[page.name]), 3),
                        "tesseract_single_thread_s": round(median(x.wall for x in single[page.name]), 3)}
        so, st = scores[page.name]
        rows.append({
            "page": page.name, "lines": len(page.lines), "chars": so.chars, "runs": len(o),
            "ours_s": round(ow, 3), "tesseract_s": round(tw, 3), "ratio": round(ow / tw, 3),
            "ours_cpu_s": round(oc, 3), "tesseract_cpu_s": round(tc, 3), "cpu_ratio": round(oc / tc, 3),
            "ratio_per_run": [round(a.wall / b.wall, 3) for a, b in zip(o, t, strict=True)],
            "ours": so.to_dict(), "tesseract": st.to_dict(), **variants,
        })
    return rows


def pooled(rows: list[dict[str, Any]], who: str, key: str, weight: str) -> float:
    total = sum(r[who][weight] for r in rows)
    return sum(r[who][key] * r[who][weight] for r in rows) / max(1, total)


def summarise(rows: list[dict[str, Any]], runs_done: int) -> dict[str, Any]:
    ratio = median(r["ratio"] for r in rows)
    errors = {
        who: {"cer": round(pooled(rows, who, "cer", "chars"), 5), "wer": round(pooled(rows, who, "wer", "words"), 5)}
        for who in ("ours", "tesseract")
    }
    accurate = all(errors["ours"][k] <= errors["tesseract"][k] + ERROR_MARGIN for k in ("cer", "wer"))
    return {
        "pages": rows,
        "runs_done": runs_done,
        "median_ratio": round(ratio, 3),
        "median_cpu_ratio": round(median(r["cpu_ratio"] for r in rows), 3),
        "total_ratio": round(sum(r["ours_s"] for r in rows) / sum(r["tesseract_s"] for r in rows), 3),
        "errors": errors,
        "ratio_target": RATIO_TARGET,
        "error_margin": ERROR_MARGIN,
        "pass_speed": ratio <= RATIO_TARGET,
        "pass_accuracy": accurate,
        "pass": ratio <= RATIO_TARGET and accurate,
    }


def render_markdown(report: dict[str, Any]) -> str:
    s = report["summary"]
    lines = [
        "# OCR benchmark: headroom-edge PP-OCR vs Tesseract",
        "",
        f"Measured {report['when']} with `{report['command']}`: up to {report['runs']} interleaved runs per "
        f"page (column n; pass {s['runs_done']} reached), "
        f"medians; load average before {report['load_before']}, after {report['load_after']}; "
        f"{report['cores']} usable cores, onnxruntime threads {report['threads']}; {report['tesseract']}.",
        f"Models: detector {report['models']['det']}, recogniser {report['models']['rec']} "
        f"({report['models']['source']}); detector budget {report['read_max_side']}^2 px, width scale "
        f"{report['width_scale']}; measured recognition rate {report['seconds_per_column'] * 1e6:.1f} us/column.",
        "",
        f"**{'PASS' if s['pass'] else 'FAIL'}**: median time ratio {s['median_ratio']:.3f} "
        f"(target <= {s['ratio_target']}, {'met' if s['pass_speed'] else 'missed'}); "
        f"pooled CER ours {s['errors']['ours']['cer']:.4f} vs Tesseract {s['errors']['tesseract']['cer']:.4f}, "
        f"WER {s['errors']['ours']['wer']:.4f} vs {s['errors']['tesseract']['wer']:.4f} "
        f"(margin {s['error_margin']}, {'met' if s['pass_accuracy'] else 'missed'}). "
        f"CPU-time ratio {s['median_cpu_ratio']:.3f}; sum-of-times ratio {s['total_ratio']:.3f}.",
        "",
        "Tesseract s is the faster of its two variants (default OpenMP / `OMP_THREAD_LIMIT=1`, both shown).",
        "",
        "| page | lines | n | ours s | Tesseract s (default / 1 thread) | ratio | CPU ratio | CER ours | CER Tess | WER ours | WER Tess |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in s["pages"]:
        both = (f" ({r['tesseract_default_s']:.2f} / {r['tesseract_single_thread_s']:.2f})"
                if "tesseract_default_s" in r else "")
        lines.append(
            f"| {r['page']} | {r['lines']} | {r['runs']} | {r['ours_s']:.2f} | {r['tesseract_s']:.2f}{both} | {r['ratio']:.3f} | "
            f"{r['cpu_ratio']:.3f} | {r['ours']['cer']:.4f} | {r['tesseract']['cer']:.4f} | "
            f"{r['ours']['wer']:.4f} | {r['tesseract']['wer']:.4f} |"
        )
    lines += ["", "Worst pages:", ""] + [f"- {w}" for w in worst_lines(s["pages"])]
    return "\n".join(lines) + "\n"


def worst_lines(rows: list[dict[str, Any]]) -> list[str]:
    slow = max(rows, key=lambda r: r["ratio"])
    cer = max(rows, key=lambda r: r["ours"]["cer"] - r["tesseract"]["cer"])
    wer = max(rows, key=lambda r: r["ours"]["wer"])
    return [
        f"slowest relative to Tesseract: {slow['page']} (ratio {slow['ratio']:.3f}, {slow['ours_s']:.2f} s vs "
        f"{slow['tesseract_s']:.2f} s)",
        f"largest CER gap: {cer['page']} (ours {cer['ours']['cer']:.4f}, Tesseract {cer['tesseract']['cer']:.4f})",
        f"highest WER of ours: {wer['page']} ({wer['ours']['wer']:.4f}; Tesseract {wer['tesseract']['wer']:.4f})",
    ]


def tesseract_version() -> str:
    try:
        out = subprocess.run(["tesseract", "--version"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        raise SystemExit(f"tesseract CLI not usable ({exc}): apt-get install tesseract-ocr") from exc
    return (out.stdout or out.stderr).splitlines()[0].strip()


def write_reports(report: dict[str, Any], out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "bench_ocr.json", "md": out / "bench_ocr.md"}
    paths["json"].write_text(json.dumps(report, indent=2) + "\n")
    paths["md"].write_text(render_markdown(report))
    return paths


def run(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="interleaved timed runs per page (medians)")
    parser.add_argument("--pages", default="", help="comma-separated page names (default: all)")
    parser.add_argument("--threads", type=int, default=0, help="onnxruntime intra-op threads (0 = default)")
    parser.add_argument("--model-dir", type=Path, default=None, help="OCR models folder (default: as shipped)")
    parser.add_argument("--read-max-side", type=int, default=READ_MAX_SIDE, help="detector pixel budget side")
    parser.add_argument("--width-scale", type=float, default=None,
                        help="recogniser horizontal scale (default: the model's own)")
    parser.add_argument("--out", type=Path, default=ROOT / "reports")
    parser.add_argument("--detector-sizes", action="store_true", help="the detector-size sweep instead")
    args = parser.parse_args(argv)
    engine = OcrEngine(args.model_dir, session_options=SessionOptions(intra_op_threads=args.threads),
                       recognizer_params=RecognizerParams(width_scale=args.width_scale),
                       read_max_side=args.read_max_side)
    if args.detector_sizes:
        detector_sweep(engine)
        return {}
    pages = default_pages()
    if args.pages:
        wanted = set(args.pages.split(","))
        pages = [p for p in pages if p.name in wanted]
        if not pages:
            raise SystemExit(f"no page named {args.pages}; pages: {', '.join(p.name for p in default_pages())}")
    report: dict[str, Any] = {
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "command": "scripts/bench_ocr.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "runs": args.runs, "tesseract": tesseract_version(), "load_before": loadavg(),
        "cores": len(os.sched_getaffinity(0)), "threads": engine.session_options.threads(),
        "models": {"det": engine.files.det.name, "rec": engine.files.rec.name, "source": engine.files.source},
        "read_max_side": engine.read_max_side, "width_scale": engine.recognizer.width_scale,
    }
    def write(summary: dict[str, Any]) -> dict[str, Path]:
        report.update(summary=summary, load_after=loadavg(), seconds_per_column=engine.cost.seconds_per_column)
        return write_reports(report, args.out)

    paths = write(bench_pages(engine, pages, args.runs, after_run=write))
    print(render_markdown(report))
    print(f"wrote {paths['json']} and {paths['md']}")
    return report


if __name__ == "__main__":
    run()
