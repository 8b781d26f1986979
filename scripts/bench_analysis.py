"""Median latency of the image analysis (signals that can change a decision) on 1024x1024 images.

Run: .venv/bin/python scripts/bench_analysis.py [--runs 30]
Prints the p50/p90 of ImageAnalyzer.analyze for a photo, a text page and a screenshot, for both
purposes (legibility: a full_low question; presence: a transcode question), plus the signals found.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

if __name__ == "__main__":  # run by path: import from the repository root, not from scripts/
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from headroom_edge.analysis.signals import QUICK_SIDE, ImageAnalyzer  # noqa: E402
from headroom_edge.config import CompressionConfig  # noqa: E402
from headroom_edge.context import SourceImage  # noqa: E402
from headroom_edge.imaging import engine, fit_size, probe_image  # noqa: E402
from headroom_edge.ocr import OcrEngine  # noqa: E402
from tests import factories as f  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    config = CompressionConfig()
    images = {
        "photo 1024 jpeg": f.photo_jpeg(1024, 1024),
        "page 1024 png": f.encode(f.document(1024, 1024, size=18), "PNG"),
        "screenshot 1024 png": f.encode(f.screenshot(1024, 1024), "PNG"),
    }
    ocr = OcrEngine()
    print(f"imaging engine: {engine.detect_engine().name}")
    analyzer = ImageAnalyzer(ocr, None)
    print("'analysis' excludes the image decode (the pipeline's own decode stage, shared with the "
          "rewrite); 'with decode' starts from the encoded bytes.")
    for purpose in ("legibility", "presence"):
        for name, data in images.items():
            info = probe_image(data, config.limits)
            quick = fit_size(info.width, info.height, QUICK_SIDE, QUICK_SIDE)
            alone, with_decode = [], []
            signals = None
            for _ in range(args.runs + 3):
                source = SourceImage(data=data, info=info, config=config)
                start = time.perf_counter()
                signals = analyzer.analyze(source, (512, 512), purpose)
                with_decode.append(time.perf_counter() - start)
                source = SourceImage(data=data, info=info, config=config)
                source.pixels(min_size=quick)  # what the pipeline's decode stage leaves behind
                start = time.perf_counter()
                analyzer.analyze(source, (512, 512), purpose)
                alone.append(time.perf_counter() - start)
            print(f"{purpose:10s}  {name:22s} analysis p50 {_ms(alone, 0.5):6.2f} ms "
                  f"p90 {_ms(alone, 0.9):6.2f} ms | with decode p50 {_ms(with_decode, 0.5):6.2f} ms  "
                  f"text_boxes={signals.text_boxes} smallest={signals.smallest_text_px} "
                  f"graphic={signals.graphic} loss={signals.low_detail_loss}")


def _ms(samples: list[float], q: float) -> float:
    ordered = sorted(samples[3:])
    if q == 0.5:
        return statistics.median(ordered) * 1000
    return ordered[max(0, int(len(ordered) * q) - 1)] * 1000

if __name__ == "__main__":
    main()
