"""Latency of the offline OCR on a rendered 1024x1024 page: detector per input size, recogniser
per line, and a full ``read()``. Prints medians; also says which small-text lines each detector
size still finds, since the analysis step wants text presence within ~15 ms.

Usage: .venv/bin/python scripts/bench_ocr.py [--runs 20] [--read-runs 10] [--threads 0]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

from PIL import Image, ImageDraw, ImageFont

from headroom_edge.ocr import OcrEngine
from headroom_edge.ocr.engine import read_side
from headroom_edge.ocr.recognizer import crop_text_box, trim_rows
from headroom_edge.runtime.onnx import SessionOptions

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--read-runs", type=int, default=10)
    parser.add_argument("--threads", type=int, default=0, help="0 = the session default")
    args = parser.parse_args()

    engine = OcrEngine(session_options=SessionOptions(intra_op_threads=args.threads))
    page, small = render_page()
    print(
        f"cores usable: {len(os.sched_getaffinity(0))}, onnx threads: "
        f"{engine.session_options.threads()}, load average: {os.getloadavg()[0]:.2f}"
    )
    print(f"models: {engine.files.det.name}, {engine.files.rec.name} ({engine.files.source})")

    print("\ndetector on a 1024x1024 page (detect(): preprocessing + network + boxes)")
    print(
        f"{'max_side':>8} {'input':>9} {'median ms':>10} {'boxes':>6} {'lines':>6}"
        f" {'smallest px':>11}  small lines found as their own line"
    )
    for side in SIDES:
        found = engine.detect(page, max_side=side)
        ms = median_ms(lambda s=side: engine.detect(page, max_side=s), args.runs)
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

    found = engine.detect(page, max_side=read_side(*page.size, engine.read_max_side))
    params = engine.recognizer.params
    crops = [
        trim_rows(crop_text_box(page, b, params.crop_margin), params.trim_margin) for b in found.boxes
    ]
    all_ms = median_ms(lambda: engine.recognizer.recognize_crops(crops), max(3, args.runs // 4))
    widest = max(crops, key=lambda c: c.width / c.height)
    one_ms = median_ms(lambda: engine.recognizer.recognize_crops([widest]), args.runs)
    print(
        f"\nrecogniser: {len(crops)} lines in {all_ms:.0f} ms = {all_ms / len(crops):.1f} ms/line "
        f"batched; one full-width line ({widest.width}x{widest.height}) alone {one_ms:.1f} ms"
    )

    read_ms = median_ms(lambda: engine.read(page), args.read_runs)
    result = engine.read(page)
    print(
        f"\nread() of the page (detector side {read_side(*page.size, engine.read_max_side)}): {read_ms:.0f} ms, "
        f"{len(result.lines)} lines, {result.char_count} chars, "
        f"confidence {result.mean_confidence:.3f}"
    )
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
