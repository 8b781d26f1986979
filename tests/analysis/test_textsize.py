"""The measured text size agrees with the rendered one (issue 12 item 3).

The quantity is the cap height in px (``analysis.textsize``); the truth is the cap height of the
font at the size it was drawn with (``getbbox("H")``). Tolerance: +-20% of that truth, on pages of
real prose (Debian READMEs) at 8-40 px in DejaVu Sans, Serif and Mono, a ruled table of 12 px
text under a 32 px title, a matplotlib chart with 11 px tick labels under a 29 px title, and
real headless-Chromium screenshots. The real PP-OCR detector finds the lines every time.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from headroom_edge.analysis.signals import measure_text
from headroom_edge.analysis.textsize import TextSize, line_cap_height, summarise
from headroom_edge.config import CompressionConfig
from headroom_edge.context import SourceImage
from headroom_edge.imaging import probe_image
from headroom_edge.ocr import OcrEngine
from tests import factories as f
from tests.analysis import pages

TOLERANCE = 0.20


def _measure(img: Image.Image, ocr: OcrEngine) -> float:
    data = f.encode(img, "PNG")
    config = CompressionConfig()
    source = SourceImage(data=data, info=probe_image(data, config.limits), config=config)
    lines, _, size = measure_text(source, ocr)
    assert size is not None and lines > 0
    return size.smallest


def _page_width(size: int) -> int:
    """Pages scale with their text so the detector reads every size at about one resolution."""
    return min(1240, 70 * size)


@pytest.mark.parametrize("size", pages.FONT_SIZES)
def test_prose_at_known_sizes_measures_its_cap_height(size: int, ocr_engine: OcrEngine) -> None:
    width = _page_width(size)
    page = pages.text_page(size, width=width, height=round(width * 1.414))
    assert _measure(page.image, ocr_engine) == pytest.approx(page.cap_px, rel=TOLERANCE)


@pytest.mark.parametrize(("size", "font"), [(10, pages.DEJAVU_SERIF), (16, pages.DEJAVU_SERIF),
                                            (12, pages.DEJAVU_MONO), (24, pages.DEJAVU_MONO)])
def test_serif_and_monospace_measure_the_same_way(size: int, font: Path, ocr_engine: OcrEngine) -> None:
    width = _page_width(size)
    page = pages.text_page(size, path=font, width=width, height=round(width * 1.414), text=1)
    assert _measure(page.image, ocr_engine) == pytest.approx(page.cap_px, rel=TOLERANCE)


def test_a_table_of_small_text_under_a_large_title_measures_the_small_text(ocr_engine: OcrEngine) -> None:
    """Issue 12: this 12 px table text was measured as 22 px (the rules and the title counted)."""
    table = pages.table(cell_px=12, title_px=32)
    assert _measure(table.image, ocr_engine) == pytest.approx(table.cap_px, rel=TOLERANCE)


def test_a_chart_measures_its_tick_labels_not_its_title(ocr_engine: OcrEngine) -> None:
    """Issue 12: a chart's labels were measured as 164 px."""
    chart = pages.chart(tick_px=11)
    assert _measure(chart.image, ocr_engine) == pytest.approx(chart.cap_px, rel=TOLERANCE)


@pytest.mark.skipif(pages.CHROMIUM is None, reason="headless Chromium (Debian's chromium) is not installed")
@pytest.mark.parametrize("size", [10, 13, 16, 24])
def test_browser_screenshots_at_set_css_sizes(size: int, ocr_engine: OcrEngine, tmp_path: Path) -> None:
    shot = pages.html_page(size, tmp_path)
    assert _measure(shot.image, ocr_engine) == pytest.approx(shot.cap_px, rel=TOLERANCE)


@pytest.mark.skipif(pages.CHROMIUM is None or not pages.DEBIAN_REFERENCE.exists(),
                    reason="headless Chromium or debian-reference-en is not installed")
def test_a_real_manual_screenshot_measures_its_body_text(ocr_engine: OcrEngine, tmp_path: Path) -> None:
    """The Debian Reference's index (16 px body, 14.4 px code, larger headings; its fonts fall
    back to DejaVu here): the smallest text is the body or code text, not a heading."""
    shot = pages.screenshot_html(pages.DEBIAN_REFERENCE.as_uri(), tmp_path / "ref.png")
    smallest = _measure(shot, ocr_engine)
    assert pages.cap_height(14) * (1 - TOLERANCE) <= smallest <= pages.cap_height(16) * (1 + TOLERANCE)


def test_cjk_measures_the_ideograph_height(ocr_engine: OcrEngine) -> None:
    page = pages.cjk_page(16)
    assert _measure(page.image, ocr_engine) == pytest.approx(page.cap_px, rel=TOLERANCE)


def _line(text: str, size: int, *, rules: bool = False) -> np.ndarray:
    img = Image.new("L", (20 * size, 3 * size), 255)
    draw = ImageDraw.Draw(img)
    draw.text((size, size), text, fill=0, font=pages.font(size))
    if rules:
        draw.line((0, 2, img.width, 2), fill=0, width=1)
        draw.line((0, img.height - 3, img.width, img.height - 3), fill=0, width=1)
        draw.line((3, 0, 3, img.height), fill=0, width=1)
    return np.asarray(img)


def test_descenders_do_not_change_the_cap_height() -> None:
    with_desc = line_cap_height(_line("Typography: quietly jumping", 20))
    without = line_cap_height(_line("THE LATEST RELEASE 2024", 20))
    assert with_desc == pytest.approx(pages.cap_height(20), rel=TOLERANCE)
    assert without == pytest.approx(pages.cap_height(20), rel=TOLERANCE)


def test_table_rules_around_a_cell_are_not_text() -> None:
    assert line_cap_height(_line("Total 4471", 12, rules=True)) == pytest.approx(pages.cap_height(12), rel=TOLERANCE)


def test_blank_and_flat_crops_measure_nothing() -> None:
    assert line_cap_height(np.full((30, 200), 255, dtype=np.uint8)) is None
    assert line_cap_height(np.tile(np.linspace(90, 130, 200).astype(np.uint8), (30, 1))) is None
    assert line_cap_height(np.zeros((2, 2), dtype=np.uint8)) is None
    assert summarise([]) is None


def test_the_smallest_text_is_a_low_percentile_not_one_speck() -> None:
    size = summarise([3.0] + [12.0] * 40 + [30.0] * 5)
    assert size is not None and size.smallest == 12.0 and size.lines == 46


def test_the_least_line_is_kept_beside_the_percentile() -> None:
    """A question that reads every line plans against the smallest one (policy row 6)."""
    size = summarise([7.0] + [12.0] * 40)
    assert size is not None and size.smallest == 12.0 and size.least == 7.0
    assert size.scaled(2.0) == TextSize(24.0, 24.0, 41, 14.0)
