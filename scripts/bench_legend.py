"""How well "the legend" is located, and what its crop saves: charts of real data, judged by
matplotlib's own legend extents.

Run: .venv/bin/python scripts/bench_legend.py [--json OUT.json] [--quick]

Charts are drawn here from data on the machine (dpkg's package database), in five matplotlib
styles (default, ggplot's grey panel, bmh, seaborn, grayscale), three chart kinds (lines, grouped
bars, scatter), legends at nine in-plot places and two outside ones, 2-6 series, at three output
sizes. The ground truth is ``Legend.get_window_extent()``: where matplotlib drew the legend, not
anything the locator computes. For every chart it reports whether the legend was located, the
share of the true legend inside the box the crop uses (``Region.padded``; < 1 would be a crop that
cuts the legend: harm) and the crop's area against the legend's. Images without a legend (charts
without one, pages rendered from /usr/share/doc, Debian's mate-backgrounds photos) must locate
nothing: a located part there would be a wrong crop.

Then the whole request: each located chart through the real pipeline (rules decider + policy,
"What does the legend say?") for one model per provider family, with the tokens before and after.
Worst cases are printed, not only means.
"""

from __future__ import annotations

import argparse
import base64
import io
import itertools
import json
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

if __name__ == "__main__":  # run by path: import from the repository root, not from scripts/
    sys.path[0] = str(Path(__file__).resolve().parents[1])

import matplotlib  # noqa: E402

matplotlib.use("Agg")
from matplotlib import pyplot as plt  # noqa: E402
from PIL import Image  # noqa: E402

from headroom_edge.analysis.signals import ImageAnalyzer  # noqa: E402
from headroom_edge.config import CompressionConfig  # noqa: E402
from headroom_edge.context import Region, SourceImage  # noqa: E402
from headroom_edge.decision.decider import PolicyDecider, RulesDecider  # noqa: E402
from headroom_edge.formats import OPENAI_CHAT  # noqa: E402
from headroom_edge.imaging import probe_image  # noqa: E402
from headroom_edge.ocr import OcrEngine  # noqa: E402
from headroom_edge.pipeline import ImagePipeline  # noqa: E402
from scripts.lib.quality_corpus import dpkg_packages  # noqa: E402
from scripts.lib.stats import median  # noqa: E402

STATUS = Path("/var/lib/dpkg/status")
STYLES = ("default", "ggplot", "bmh", "seaborn-v0_8", "grayscale")
KINDS = ("line", "bar", "scatter")
PLACES = ("upper right", "upper left", "lower left", "lower right", "right", "center left", "center right",
          "lower center", "upper center", "outside right", "below")
SIZES = ((8.0, 5.0, 100), (12.0, 7.5, 100), (10.0, 6.0, 150))
FAMILIES = (("openai", "gpt-4o"), ("openai", "gpt-4.1-mini"), ("anthropic", "claude-sonnet-4-5"),
            ("google", "gemini-3-pro-preview"), ("google", "gemini-2.5-flash"))
QUESTION = "What does the legend say?"
PHOTOS = Path("/usr/share/backgrounds/mate/nature")
DOCS = (Path("/usr/share/doc/apt/README.md.gz"), Path("/usr/share/doc/bash/README.gz"))


@dataclass(frozen=True)
class Row:
    name: str
    size: tuple[int, int]
    located: bool
    coverage: float | None
    """Share of matplotlib's legend box inside the padded crop box (1.0: the whole legend)."""
    area_ratio: float | None
    seconds: float


def series_data(packages: list[dict[str, str]], n: int) -> dict[str, list[float]]:
    """Per Debian section (the ``n`` largest): installed MB of its packages by first letter a-z."""
    by_section: dict[str, Counter[str]] = {}
    for p in packages:
        section = p.get("Section", "unknown").split("/")[-1]
        by_section.setdefault(section, Counter())[p["Package"][0]] += int(p.get("Installed-Size", "0") or 0) / 1024
    top = sorted(by_section, key=lambda s: (-sum(by_section[s].values()), s))[:n]
    letters = "abcdefghijklmnopqrstuvwxyz"
    return {s: [by_section[s][c] for c in letters] for s in top}


def draw(style: str, kind: str, place: str, n: int, size: tuple[float, float, int],
         data: dict[str, list[float]], legend: bool = True) -> tuple[bytes, tuple[float, float, float, float] | None]:
    """A PNG chart and its legend's fractional box as matplotlib drew it."""
    with plt.style.context(style):
        fig, ax = plt.subplots(figsize=size[:2], dpi=size[2])
        for i, (name, values) in enumerate(itertools.islice(data.items(), n)):
            if kind == "line":
                ax.plot(range(26), values, label=name)
            elif kind == "bar":
                ax.bar([x + i / (n + 1) for x in range(8)], values[:8], width=1 / (n + 1), label=name)
            else:
                ax.scatter(range(26), values, label=name, s=18)
        ax.set_title("Installed size by first letter and section")
        ax.set_xlabel("first letter of the package name")
        ax.set_ylabel("MB")
        leg = None
        if legend and place == "outside right":
            leg = ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5))
        elif legend and place == "below":
            leg = ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=min(n, 4))
        elif legend:
            leg = ax.legend(loc=place)
        fig.tight_layout()
        fig.canvas.draw()
        width, height = fig.canvas.get_width_height()
        truth = None
        if leg is not None:
            bb = leg.get_window_extent()
            truth = (bb.x0 / width, 1 - bb.y1 / height, bb.x1 / width, 1 - bb.y0 / height)
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        plt.close(fig)
    return buf.getvalue(), truth


def coverage(box: tuple[float, float, float, float], truth: tuple[float, float, float, float]) -> float:
    w = max(0.0, min(box[2], truth[2]) - max(box[0], truth[0]))
    h = max(0.0, min(box[3], truth[3]) - max(box[1], truth[1]))
    return w * h / ((truth[2] - truth[0]) * (truth[3] - truth[1]))


def area(box: tuple[float, float, float, float]) -> float:
    return (box[2] - box[0]) * (box[3] - box[1])


def source_of(data: bytes) -> SourceImage:
    config = CompressionConfig()
    return SourceImage(data, probe_image(data, config.limits), config)


def locate(analyzer: ImageAnalyzer, name: str, data: bytes,
           truth: tuple[float, float, float, float] | None) -> Row:
    source = source_of(data)
    started = time.perf_counter()
    found = analyzer.locate(source, "legend")
    seconds = time.perf_counter() - started
    if found is None or truth is None:
        return Row(name, source.size, found is not None, None, None, seconds)
    padded = Region(found.name, found.box).padded()
    return Row(name, source.size, True, round(coverage(padded, truth), 4), round(area(padded) / area(truth), 2), seconds)


def negatives(quick: bool) -> list[tuple[str, bytes]]:
    """Images without a legend: pages of real text, photos, and the charts drawn without one."""
    out = []
    from scripts.lib.quality_corpus import render_page, source_text

    font = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    for path in DOCS:
        if path.exists():
            img, _ = render_page(source_text("readme", path), font, 16, (1240, 1754), "")
            buf = io.BytesIO()
            img.save(buf, format="PNG")
            out.append((f"page:{path.parent.name}", buf.getvalue()))
    photos = sorted(PHOTOS.glob("*.jpg"))[: 3 if quick else 12] if PHOTOS.exists() else []
    for photo in photos:
        with Image.open(photo) as img:
            img = img.convert("RGB")
            img.thumbnail((2048, 2048))
            buf = io.BytesIO()
            img.save(buf, format="JPEG", quality=90)
        out.append((f"photo:{photo.name}", buf.getvalue()))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write every row here")
    parser.add_argument("--quick", action="store_true", help="one style and size (a smoke run)")
    parser.add_argument("--styles", nargs="+", default=list(STYLES),
                        help="matplotlib styles to draw in (held-out runs name styles the locator was not tuned on)")
    args = parser.parse_args()

    ocr = OcrEngine()
    analyzer = ImageAnalyzer(ocr)
    data = series_data(dpkg_packages(STATUS), 6)
    styles, sizes = (args.styles[:1], SIZES[:1]) if args.quick else (tuple(args.styles), SIZES)
    rows: list[Row] = []
    charts: dict[str, bytes] = {}
    for style, kind, place, size in itertools.product(styles, KINDS, PLACES, sizes):
        n = 2 + (len(rows) % 5)  # 2..6 series, cycling
        png, truth = draw(style, kind, place, n, size, data)
        name = f"{style}/{kind}/{place}/{n}/{size[0]:g}x{size[1]:g}@{size[2]}"
        rows.append(locate(analyzer, name, png, truth))
        charts[name] = png
    negative_rows = [locate(analyzer, name, png, None) for name, png in negatives(args.quick)]
    for style, kind in itertools.product(styles, KINDS):
        png, _ = draw(style, kind, "upper right", 3, SIZES[0], data, legend=False)
        negative_rows.append(locate(analyzer, f"nolegend:{style}/{kind}", png, None))

    found = [r for r in rows if r.located]
    covers = [r.coverage for r in found if r.coverage is not None]
    print(f"charts with a legend: {len(rows)}; located {len(found)} ({len(found) / len(rows):.0%}); "
          f"padded crop holds the whole legend in {sum(c >= 0.999 for c in covers)} of {len(covers)}; "
          f"median area ratio {median([r.area_ratio for r in found if r.area_ratio]):.2f}; "
          f"median locate time {median([r.seconds for r in rows]) * 1000:.0f} ms")
    by_place = Counter(r.name.split("/")[2] for r in found)
    total_place = Counter(r.name.split("/")[2] for r in rows)
    print("located by place: " + ", ".join(f"{p} {by_place[p]}/{total_place[p]}" for p in PLACES))
    by_style = Counter(r.name.split("/")[0] for r in found)
    total_style = Counter(r.name.split("/")[0] for r in rows)
    print("located by style: " + ", ".join(f"{s} {by_style[s]}/{total_style[s]}" for s in styles))
    print("worst coverage (a crop that cuts the legend is harm):")
    for r in sorted(found, key=lambda r: r.coverage or 0)[:8]:
        print(f"  {r.coverage:.3f}  area x{r.area_ratio}  {r.name}")
    false = [r for r in negative_rows if r.located]
    print(f"images without a legend: {len(negative_rows)}; located a legend in {len(false)}"
          + "".join(f"\n  FALSE: {r.name}" for r in false))

    pipeline = ImagePipeline(CompressionConfig(), PolicyDecider(RulesDecider(), analyzer), ocr)  # type: ignore[arg-type]
    savings: dict[str, list[float]] = {}
    sample = found[:: 1 if args.quick else 4]
    for provider, model in FAMILIES:
        for r in sample:
            body = {"model": model, "messages": [{"role": "user", "content": [
                {"type": "text", "text": QUESTION},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,"
                                                    + base64.b64encode(charts[r.name]).decode()}}]}]}
            (slot,) = OPENAI_CHAT.find_images(body)
            result = pipeline.process(slot, provider, model).result
            savings.setdefault(model, []).append(1 - result.compressed_tokens / result.original_tokens)
    print(f"token saving of the legend crop ({len(sample)} located charts per model, median / worst):")
    for model, values in savings.items():
        print(f"  {model:22s} {median(values):6.1%} / {min(values):6.1%}")
    if args.json:
        args.json.write_text(json.dumps({"rows": [asdict(r) for r in rows], "negatives": [asdict(r) for r in negative_rows],
                                         "savings": savings}, indent=1))


if __name__ == "__main__":
    main()
