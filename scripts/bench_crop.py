"""Tokens a crop costs, before and after crops follow the region's area: region x family x size.

Run: .venv/bin/python scripts/bench_crop.py [--zoom 2.0] [--json OUT.json]

For every (region question, model family, image size) it prints the original image's tokens,
what main's crop rule sent (the region at native pixels, shrunk only to the provider's own
effective size; on Gemini 3 the request's level) and what ``techniques.crop.plan_crop`` sends
now (the region at the scale the model saw it inside the whole image; Gemini 3 at the lowest
level that keeps it), then per family the median and worst saving against the original and how
often a crop saved nothing. Sizes only: token counts are exact functions of the sizes, so the
grid needs no pixels. ``--pixels`` also runs the real technique on one JPEG per size and checks
that the bytes it sends decode to the planned size.

``--quality`` checks what the scale buys with an independent judge: pages rendered from real text
files under /usr/share/doc, read by Tesseract (Debian's ``tesseract-ocr``, not the PP-OCR the
product uses) in what the model sees of the region inside the whole image (the full image
resized to its view, the region cut out) and in what it sees of the crop (the sent crop resized
to its view). It prints the word recall of each against the region at native pixels, their
ratio (crop / whole; < 0.9 would be harm), the median and the worst cases.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

if __name__ == "__main__":  # run by path: import from the repository root, not from scripts/
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from headroom_edge.decision.regions import parse_region  # noqa: E402
from headroom_edge.imaging import crop_pixels  # noqa: E402
from headroom_edge.techniques.crop import at_least, plan_crop  # noqa: E402
from headroom_edge.tokens import (  # noqa: E402
    ModelFamily,
    family_effective_size,
    family_tokens,
    resolve_family,
)
from scripts.lib.stats import median  # noqa: E402

FAMILIES = (
    ("openai", "gpt-4o"), ("openai", "gpt-4.1"), ("openai", "gpt-4.1-mini"), ("openai", "gpt-5.4"),
    ("anthropic", "claude-sonnet-4-5"), ("anthropic", "claude-opus-4-7"),
    ("google", "gemini-3-pro-preview"), ("google", "gemini-2.5-flash"),
)
QUESTIONS = (
    "what is in the top-right corner?", "who is on the left side?", "what does the footer say?",
    "what is in the center of the image?", "what are the values in the first column?",
    "what does the header row say?", "what's in the left third?", "read the status bar",
    "which links are in the sidebar?", "what's in the bottom panel?",
)
SIZES = ((800, 600), (1280, 800), (1920, 1080), (2560, 1600), (1240, 1754), (4032, 3024), (6000, 4000))
MAIN_MIN_SIDE = 224
"""main's floor, in native pixels."""


@dataclass(frozen=True)
class Cell:
    model: str
    region: str
    size: tuple[int, int]
    original: int
    before: int
    after: int
    sent: tuple[int, int]
    level: str | None
    scale_ok: bool

    @property
    def saving(self) -> float:
        return 1.0 - self.after / self.original

    @property
    def saving_before(self) -> float:
        return 1.0 - self.before / self.original


def main_rule_tokens(family: ModelFamily, size: tuple[int, int], box: tuple[float, float, float, float]) -> int:
    """What main's crop cost: native region (floor 224 native px), shrunk to the effective size."""
    x0, y0, x1, y1 = crop_pixels(size, at_least(box, size, MAIN_MIN_SIDE))
    seen = family_effective_size(family, x1 - x0, y1 - y0)
    return family_tokens(family, *seen)


def grid(zoom: float) -> list[Cell]:
    cells = []
    for provider, model in FAMILIES:
        family = resolve_family(provider, model)
        for question in QUESTIONS:
            region = parse_region(question)
            assert region is not None, question
            for size in SIZES:
                crop = plan_crop(family, size, region.padded(), zoom=zoom)
                ok = all(c >= f - 1e-9 for c, f in zip(crop.crop_scale, crop.full_scale, strict=True))
                cells.append(Cell(model, region.name, size, crop.original_tokens,
                                  main_rule_tokens(family, size, region.padded()), crop.tokens,
                                  crop.size, crop.level, ok))
    return cells


def check_pixels() -> None:
    """Run the real technique for the 2560x1600 corner per family: sent bytes == planned size."""
    from headroom_edge.config import CompressionConfig
    from headroom_edge.context import SourceImage, TechniqueContext
    from headroom_edge.imaging import probe_image
    from headroom_edge.techniques.crop import apply_crop
    from tests import factories as f

    data = f.photo_jpeg(2560, 1600)
    config = CompressionConfig()
    for provider, model in FAMILIES:
        source = SourceImage(data=data, info=probe_image(data, config.limits), config=config)
        ctx = TechniqueContext(provider, model, None, None, config, region=parse_region("top-right corner"))
        outcome = apply_crop(source, ctx)
        sent = f.decode(outcome.edit.data).size
        assert sent == outcome.size, (model, sent, outcome.size)
        print(f"  pixels {model:22s} sent {sent[0]}x{sent[1]} ({outcome.tokens} tokens, {outcome.nbytes} B)")


QUALITY_PAGES = (
    ("/usr/share/doc/bash/README.gz", (2560, 1600), 24),
    ("/usr/share/doc/base-files/README.FHS", (1240, 1754), 16),
)
QUALITY_QUESTIONS = ("what is in the top-right corner?", "what does the footer say?",
                     "what are the values in the first column?")
_WORD = re.compile(r"[a-z0-9]{3,}")


def _text(path: str) -> str:
    raw = gzip.open(path, "rb").read() if path.endswith(".gz") else Path(path).read_bytes()
    return " ".join(raw.decode("utf-8", "replace").split())


def _words(img: object, tmp: Path) -> Counter[str]:
    """Tesseract's words (lower-case, >= 3 letters or digits) in ``img``."""
    png = tmp / "judge.png"
    img.save(png)  # type: ignore[attr-defined]
    # One thread: the judge runs beside other work, and Tesseract's OpenMP threads only contend.
    out = subprocess.run(["tesseract", str(png), "-", "--psm", "6"], capture_output=True, text=True, check=False,
                         env={**os.environ, "OMP_THREAD_LIMIT": "1"})
    return Counter(_WORD.findall(out.stdout.lower()))


def _recall(found: Counter[str], reference: Counter[str]) -> float:
    total = sum(reference.values())
    return sum(min(n, found[w]) for w, n in reference.items()) / total if total else 1.0


def check_quality() -> None:
    from headroom_edge.config import CompressionConfig
    from headroom_edge.context import SourceImage, TechniqueContext
    from headroom_edge.imaging import crop_box, probe_image, resize_to
    from headroom_edge.techniques.crop import apply_crop
    from headroom_edge.tokens import family_view_size
    from tests import factories as f

    config = CompressionConfig()
    rows = []
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        for path, size, px in QUALITY_PAGES:
            page = f.document(size[0], size[1], size=px, text=_text(path))
            data = f.encode(page, "PNG")
            for question in QUALITY_QUESTIONS:
                region = parse_region(question)
                assert region is not None
                references: dict[tuple[float, ...], Counter[str]] = {}
                for provider, model in FAMILIES:
                    source = SourceImage(data=data, info=probe_image(data, config.limits), config=config)
                    ctx = TechniqueContext(provider, model, None, None, config, region=region)
                    outcome = apply_crop(source, ctx)
                    box = tuple(outcome.signals["box"])
                    if box not in references:
                        references[box] = _words(crop_box(page, box), tmp)
                    family = ctx.family
                    whole_view = resize_to(page, *family_view_size(family, *size))
                    seen_whole = _words(crop_box(whole_view, box), tmp)
                    sent = f.decode(outcome.edit.data)
                    seen_crop = _words(resize_to(sent, *family_view_size(
                        family, *sent.size, media_resolution=outcome.edit.media_resolution)), tmp)
                    whole, crop = _recall(seen_whole, references[box]), _recall(seen_crop, references[box])
                    rows.append((model, Path(path).name, region.name, whole, crop, outcome.tokens,
                                 outcome.signals.get("view_scale")))
                    print(f"  judged {len(rows)}: {model} {Path(path).name} {region.name}", file=sys.stderr, flush=True)
    ratios = [crop / whole if whole else 1.0 for *_, whole, crop, _, _ in rows]
    print(f"quality: {len(rows)} crops of {len(QUALITY_PAGES)} rendered pages, Tesseract word recall vs native region")
    print(f"  median recall whole-image view {median(r[3] for r in rows):.2f}, crop view {median(r[4] for r in rows):.2f}; "
          f"ratio crop/whole median {median(ratios):.3f}, worst {min(ratios):.3f}, "
          f"below 0.9: {sum(r < 0.9 for r in ratios)}/{len(ratios)}")
    print("  worst ratios:")
    for ratio, row in sorted(zip(ratios, rows, strict=True))[:8]:
        model, page, region_name, whole, crop, tokens, scale = row
        print(f"    {model:22s} {page:14s} {region_name:16s} whole {whole:.2f} crop {crop:.2f} "
              f"ratio {ratio:.3f} (scale {scale}, {tokens} tokens)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--zoom", type=float, default=1.0)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--pixels", action="store_true")
    parser.add_argument("--quality", action="store_true", help="judge text retention with Tesseract (~1-3 min)")
    parser.add_argument("--all", action="store_true", help="print every cell, not only the summaries")
    args = parser.parse_args()
    cells = grid(args.zoom)
    assert all(c.after <= c.original for c in cells), "a crop cost more than the original"
    assert all(c.scale_ok for c in cells), "a crop resolved its region at less than the whole image's scale"

    if args.all:
        for c in cells:
            print(f"{c.model:22s} {c.region:18s} {c.size[0]:>4}x{c.size[1]:<4} {c.original:>5} "
                  f"main {c.before:>5} now {c.after:>5} sent {c.sent[0]}x{c.sent[1]} {c.level or ''}")
    print(f"zoom {args.zoom}: {len(QUESTIONS)} regions x {len(SIZES)} sizes per family")
    print(f"{'family':22s} {'saving main':>12} {'saving now':>11} {'worst now':>10} {'no saving main':>15} "
          f"{'no saving now':>14}")
    summary = {}
    for _, model in FAMILIES:
        mine = [c for c in cells if c.model == model]
        row = {
            "median_saving_main": median(c.saving_before for c in mine),
            "median_saving_now": median(c.saving for c in mine),
            "worst_saving_now": min(c.saving for c in mine),
            "no_saving_main": sum(c.before >= c.original for c in mine),
            "no_saving_now": sum(c.after >= c.original for c in mine),
            "cells": len(mine),
        }
        summary[model] = row
        print(f"{model:22s} {row['median_saving_main']:>11.0%} {row['median_saving_now']:>10.0%} "
              f"{row['worst_saving_now']:>9.0%} {row['no_saving_main']:>9}/{row['cells']} "
              f"{row['no_saving_now']:>8}/{row['cells']}")
    print("worst cells now (lowest saving):")
    for c in sorted(cells, key=lambda c: c.saving)[:10]:
        print(f"  {c.model:22s} {c.region:18s} {c.size[0]}x{c.size[1]}: {c.original} -> {c.after} "
              f"(main {c.before}) sent {c.sent[0]}x{c.sent[1]} {c.level or ''}")
    issue = next(c for c in cells if c.model == "gpt-4.1" and c.region == "top-right corner" and c.size == (2560, 1600))
    print(f"issue case gpt-4.1 top-right corner 2560x1600: {issue.original} -> main {issue.before}, now {issue.after}")
    if args.pixels:
        check_pixels()
    if args.quality:
        check_quality()
    if args.json:
        args.json.write_text(json.dumps({"zoom": args.zoom, "summary": summary,
                                         "cells": [c.__dict__ for c in cells]}, indent=1))


if __name__ == "__main__":
    main()
