"""The legend locator against charts whose legend matplotlib itself places: the ground truth is
the legend's window extent as matplotlib drew it, not anything the locator computes."""

from __future__ import annotations

import io

import matplotlib
import numpy as np
import pytest
from PIL import Image, ImageDraw

from headroom_edge.analysis.parts import LocatedPart, locate_legend
from headroom_edge.analysis.signals import ImageAnalyzer
from headroom_edge.config import CompressionConfig
from headroom_edge.context import Box, SourceImage
from headroom_edge.imaging import probe_image
from headroom_edge.ocr import OcrEngine
from tests.analysis import pages

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

SERIES = ["Norway", "Sweden", "Denmark", "Finland", "Iceland"]


def _chart(kind: str, loc: str | None, n: int = 3, ncol: int = 1, legend: bool = True,
           panels: int = 1) -> tuple[Image.Image, list[Box]]:
    """A rendered chart and the fractional boxes of its legends (matplotlib's own extents)."""
    rng = np.random.default_rng(7)
    fig, axes = plt.subplots(1, panels, figsize=(8 * panels, 5), dpi=128, squeeze=False)
    legends = []
    for ax in axes[0]:
        for i, name in enumerate(SERIES[:n]):
            if kind == "line":
                ax.plot(np.arange(2000, 2024), rng.random(24).cumsum(), label=name)
            elif kind == "bar":
                ax.bar(np.arange(6) + i * 0.2, rng.random(6) * 10, width=0.2, label=name)
            else:
                ax.scatter(rng.random(30), rng.random(30), label=name)
        ax.set_title("Exports by year")
        ax.set_xlabel("year")
        ax.set_ylabel("bn EUR")
        if legend and loc is None:
            legends.append(ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=ncol))
            fig.tight_layout()
        elif legend:
            legends.append(ax.legend(loc=loc, ncol=ncol))
    fig.canvas.draw()
    width, height = fig.canvas.get_width_height()
    boxes = []
    for leg in legends:
        bb = leg.get_window_extent()
        boxes.append((bb.x0 / width, 1 - bb.y1 / height, bb.x1 / width, 1 - bb.y0 / height))
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB"), boxes


def _coverage(found: Box, truth: Box) -> float:
    """Share of ``truth`` inside ``found``."""
    w = max(0.0, min(found[2], truth[2]) - max(found[0], truth[0]))
    h = max(0.0, min(found[3], truth[3]) - max(found[1], truth[1]))
    return w * h / ((truth[2] - truth[0]) * (truth[3] - truth[1]))


def _area(box: Box) -> float:
    return (box[2] - box[0]) * (box[3] - box[1])


def _locate(img: Image.Image, ocr: OcrEngine) -> LocatedPart | None:
    return locate_legend(img, ocr.detect(img, max_side=max(img.size)).boxes)


@pytest.mark.parametrize("kind", ["line", "bar", "scatter"])
@pytest.mark.parametrize("loc", ["upper right", "lower left", "center right", "upper left"])
def test_a_legend_is_found_whole_wherever_matplotlib_puts_it(ocr_engine: OcrEngine, kind: str, loc: str) -> None:
    img, (truth,) = _chart(kind, loc, n=5)
    found = _locate(img, ocr_engine)
    assert found is not None and found.name == "legend"
    # The crop adds Region.padded's margin on top; the located box alone holds (nearly) all of it.
    assert _coverage(found.box, truth) >= 0.97, (found, truth)
    assert _area(found.box) <= 2.5 * _area(truth), (found, truth)
    assert found.entries >= 2


def test_a_legend_in_two_rows_under_the_plot(ocr_engine: OcrEngine) -> None:
    img, (truth,) = _chart("line", None, n=5, ncol=3)
    found = _locate(img, ocr_engine)
    assert found is not None and _coverage(found.box, truth) >= 0.97
    assert _area(found.box) <= 2.5 * _area(truth)


def test_a_legend_of_one_row_is_kept_whole(ocr_engine: OcrEngine) -> None:
    """One row under the plot looks like tick labels: not taken, so the image is kept."""
    img, _ = _chart("line", None, n=4, ncol=4)
    assert _locate(img, ocr_engine) is None


@pytest.mark.parametrize("kind", ["line", "bar"])
def test_a_chart_without_a_legend_has_none(ocr_engine: OcrEngine, kind: str) -> None:
    img, _ = _chart(kind, "upper right", legend=False)
    assert _locate(img, ocr_engine) is None


def test_two_legends_are_ambiguous(ocr_engine: OcrEngine) -> None:
    """Two panels, two legends: "the legend" names neither, so none is picked."""
    img, truths = _chart("line", "upper right", panels=2)
    assert len(truths) == 2
    assert _locate(img, ocr_engine) is None


def test_a_bulleted_list_is_not_a_legend(ocr_engine: OcrEngine) -> None:
    """Identical bullets before stacked lines: the samples are one colour, so not series."""
    img = Image.new("RGB", (900, 500), "white")
    draw = ImageDraw.Draw(img)
    font = pages.font(22)
    for i, text in enumerate(["Install the package", "Run the proxy", "Point the SDK at it", "Watch the savings"]):
        y = 60 + i * 40
        draw.ellipse((60, y + 6, 72, y + 18), fill="black")
        draw.text((90, y), text, fill="black", font=font)
    assert _locate(img, ocr_engine) is None


@pytest.mark.parametrize("image", [lambda: pages.text_page(14).image, lambda: pages.chart(11).image,
                                   lambda: pages.table(12).image], ids=["page", "one-series-chart", "table"])
def test_pages_tables_and_unlabelled_charts_have_no_legend(ocr_engine: OcrEngine, image) -> None:  # noqa: ANN001
    assert _locate(image(), ocr_engine) is None


def test_the_analyzer_locates_on_the_source(ocr_engine: OcrEngine) -> None:
    img, (truth,) = _chart("bar", "lower left", n=4)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    data = buf.getvalue()
    config = CompressionConfig()
    source = SourceImage(data, probe_image(data, config.limits), config)
    found = ImageAnalyzer(ocr_engine).locate(source, "legend")
    assert found is not None and _coverage(found.box, truth) >= 0.97
    assert ImageAnalyzer(None).locate(source, "legend") is None
    assert ImageAnalyzer(ocr_engine).locate(source, "caption") is None
