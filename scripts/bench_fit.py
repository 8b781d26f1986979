"""What FIT and the cap-height measurement do on rendered pages and real screenshots x 5 families.

Run: .venv/bin/python scripts/bench_fit.py [--runs 3] [--json OUT.json]

For every image (prose at known font sizes, a table of 12 px text under a 32 px title, a chart
with 11 px tick labels, headless-Chromium screenshots of README prose at set CSS sizes and of
the Debian Reference) it prints the measured vs the rendered cap height, then, per family
(gpt-4o tile, gpt-4.1-mini patch, claude-sonnet-4-5, gemini-3-pro, gemini-2.5-flash), the
technique a general question gets, tokens before/after and the median compression time (full
ImageCompressor.compress_body, analysis included, decision cache off). Before FIT, every image
that low detail would make illegible was sent untouched, so "before" is also what the previous
policy sent for those. Medians and ratios are from this run, with the load average it ran at.

Last, the evidence for ``LEGIBLE_TEXT_PX`` (8 px cap height): Tesseract (Debian's, an independent
reader, not the PP-OCR the product uses) reads prose rendered at 24 px and downscaled (Lanczos,
as providers resize) to cap heights of 4-12 px; word recall per cap height and font, worst first.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __name__ == "__main__":  # run by path: import from the repository root, not from scripts/
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from collections import Counter  # noqa: E402

from PIL import Image  # noqa: E402

from headroom_edge import CompressionConfig, ImageCompressor  # noqa: E402
from headroom_edge.analysis.signals import measure_text  # noqa: E402
from headroom_edge.context import SourceImage  # noqa: E402
from headroom_edge.fitplan import LEGIBLE_TEXT_PX  # noqa: E402
from headroom_edge.imaging import probe_image  # noqa: E402
from scripts.lib.measure import loadavg  # noqa: E402
from scripts.lib.stats import median  # noqa: E402
from tests import factories as f  # noqa: E402
from tests.analysis import pages  # noqa: E402

FAMILIES = (("openai", "gpt-4o"), ("openai", "gpt-4.1-mini"), ("anthropic", "claude-sonnet-4-5"),
            ("google", "gemini-3-pro"), ("google", "gemini-2.5-flash"))
QUESTION = "What is this?"


def images(folder: Path) -> list[tuple[str, pages.Rendered]]:
    out = [(f"prose {size}px 1240x1754", pages.text_page(size)) for size in pages.FONT_SIZES]
    out += [("table 12px + 32px title", pages.table()), ("chart 11px ticks", pages.chart())]
    if pages.CHROMIUM is not None:
        out += [(f"chromium prose {size}px", pages.html_page(size, folder)) for size in (13, 16)]
        if pages.DEBIAN_REFERENCE.exists():
            shot = pages.screenshot_html(pages.DEBIAN_REFERENCE.as_uri(), folder / "ref.png")
            out.append(("chromium debian-reference (16px body)", pages.Rendered(shot, pages.cap_height(16), 16)))
    return out


def body(provider: str, model: str, data: bytes) -> tuple[dict, str | None]:
    if provider == "openai":
        return f.openai_chat_body(data, QUESTION, media_type="image/png", model=model), None
    if provider == "anthropic":
        return f.anthropic_body(data, QUESTION, media_type="image/png", model=model), None
    return f.gemini_body(data, QUESTION, media_type="image/png"), f"/v1beta/models/{model}:generateContent"


def _tesseract_words(img: Image.Image, folder: Path) -> list[str]:
    path = folder / "judge.png"
    img.save(path)
    out = subprocess.run(["tesseract", str(path), "-", "--psm", "6"], capture_output=True, text=True, check=True,
                         env={**os.environ, "OMP_THREAD_LIMIT": "1"}).stdout
    return re.findall(r"[a-z]{3,}", out.lower())


def legibility_evidence(folder: Path) -> dict[str, dict[int, float]]:
    """Tesseract word recall of downscaled prose, per font and cap height (px)."""
    table: dict[str, dict[int, float]] = {}
    for label, font in (("DejaVu Sans", pages.DEJAVU), ("DejaVu Serif", pages.DEJAVU_SERIF)):
        base = pages.text_page(24, path=font, width=1240, height=600, text=2)
        truth = _tesseract_words(base.image, folder)  # what the judge reads at full size
        table[label] = {}
        for cap in (4, 5, 6, 7, 8, 9, 10, 12):
            scale = cap / base.cap_px
            small = base.image.resize((round(base.image.width * scale), round(base.image.height * scale)),
                                      Image.Resampling.LANCZOS)
            seen = Counter(_tesseract_words(small, folder))
            hits = 0
            for word in truth:
                if seen[word] > 0:
                    seen[word] -= 1
                    hits += 1
            table[label][cap] = round(hits / max(1, len(truth)), 3)
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    compressor = ImageCompressor(config=CompressionConfig(cache_size=0))
    config = CompressionConfig()
    report: dict = {"load_before": loadavg(), "images": []}
    with tempfile.TemporaryDirectory() as tmp:
        cases = images(Path(tmp))
    print(f"load average before: {report['load_before']}")
    ratios = []
    totals = {model: [0, 0] for _, model in FAMILIES}
    for name, rendered in cases:
        data = f.encode(rendered.image, "PNG")
        source = SourceImage(data=data, info=probe_image(data, config.limits), config=config)
        size = measure_text(source, compressor.ocr)[2]
        measured = None if size is None else round(size.smallest, 1)
        ratio = None if measured is None else measured / rendered.cap_px
        if ratio is not None:
            ratios.append((ratio, name))
        row = {"image": name, "size": list(rendered.image.size), "rendered_cap_px": rendered.cap_px,
               "measured_cap_px": measured, "families": []}
        print(f"\n{name} {rendered.image.size[0]}x{rendered.image.size[1]}: cap height rendered "
              f"{rendered.cap_px:.1f} px, measured {measured} px"
              + ("" if ratio is None else f" (x{ratio:.2f})"))
        for provider, model in FAMILIES:
            req, path = body(provider, model, data)
            seconds, result = [], None
            for _ in range(args.runs):
                start = time.perf_counter()
                result = compressor.compress_body(req, path=path).result.images[0]
                seconds.append(time.perf_counter() - start)
            assert result is not None
            totals[model][0] += result.original_tokens
            totals[model][1] += result.compressed_tokens
            row["families"].append({"model": model, "technique": result.technique.value,
                                    "tokens_before": result.original_tokens, "tokens_after": result.compressed_tokens,
                                    "sent": list(result.compressed_size or ()), "median_s": round(median(seconds), 3)})
            print(f"  {model:18s} {result.technique.value:9s} {result.original_tokens:5d} -> "
                  f"{result.compressed_tokens:5d} tokens  sent {result.compressed_size}  "
                  f"median {median(seconds) * 1000:6.0f} ms")
        report["images"].append(row)
    print("\nper family, all images (general question): tokens before -> after")
    for model, (before, after) in totals.items():
        print(f"  {model:18s} {before:6d} -> {after:6d}  ({100 * (before - after) / before:.1f}% saved)")
    values = sorted(r for r, _ in ratios)
    worst = max(ratios, key=lambda item: abs(item[0] - 1.0))
    print(f"\nmeasured / rendered cap height over {len(values)} images: median x{median(values):.2f}, "
          f"range x{values[0]:.2f}-x{values[-1]:.2f}, worst x{worst[0]:.2f} ({worst[1]})")
    report["totals"] = totals
    report["cap_ratio"] = {"median": median(values), "min": values[0], "max": values[-1], "worst": list(worst)}
    if shutil.which("tesseract"):
        with tempfile.TemporaryDirectory() as tmp:
            evidence = legibility_evidence(Path(tmp))
        report["tesseract_recall_by_cap_px"] = evidence
        print(f"\nTesseract word recall of prose downscaled to a cap height (LEGIBLE_TEXT_PX = {LEGIBLE_TEXT_PX}):")
        for label, row in evidence.items():
            print(f"  {label:13s} " + "  ".join(f"{cap}px {recall:.2f}" for cap, recall in row.items()))
        # relative to the largest cap height: the judge's own misses on clean text cancel out
        ratios = {label: row[int(LEGIBLE_TEXT_PX)] / max(row.values()) for label, row in evidence.items()}
        below = {label: row[int(LEGIBLE_TEXT_PX) - 1] / max(row.values()) for label, row in evidence.items()}
        print(f"  recall at the threshold / best recall: worst {min(ratios.values()):.2f} "
              f"({min(ratios, key=ratios.get)}); one px below it: worst {min(below.values()):.2f}")
    report["load_after"] = loadavg()
    print(f"load average after: {report['load_after']}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
