"""Image signals on real images with the real PP-OCR detector: what each purpose measures, where
the detector looks, and that the measurements are cheap copies of the right size."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw

from headroom_edge.analysis.signals import (
    ANALYSIS_SIDE,
    MAX_DETECT_SIDE,
    MIN_DETECT_SIDE,
    PRESENCE_SIDE,
    QUICK_SIDE,
    ImageAnalyzer,
    detect_side,
    measure_text,
    working_copy,
)
from headroom_edge.config import CompressionConfig
from headroom_edge.context import SourceImage
from headroom_edge.imaging import probe_image
from headroom_edge.ocr import OcrEngine
from tests import factories as f
from tests.analysis import pages


def _source(data: bytes) -> SourceImage:
    config = CompressionConfig()
    return SourceImage(data=data, info=probe_image(data, config.limits), config=config)


@pytest.mark.parametrize(("size", "side"), [((3000, 2000), QUICK_SIDE), ((3000, 2000), ANALYSIS_SIDE), ((300, 200), QUICK_SIDE)])
def test_working_copy_is_at_most_the_side_and_keeps_the_aspect(size: tuple[int, int], side: int) -> None:
    img = working_copy(_source(f.photo_jpeg(*size)), side)
    assert max(img.size) == min(side, max(size))
    assert abs(img.width / img.height - size[0] / size[1]) < 0.02


def test_the_detector_reads_at_half_the_models_view() -> None:
    assert detect_side((768, 1086)) == 543
    assert detect_side((200, 100)) == MIN_DETECT_SIDE
    assert detect_side((4000, 3000)) == MAX_DETECT_SIDE
    assert detect_side(None) == MAX_DETECT_SIDE


def test_legibility_of_a_small_text_page_measures_the_text_size(ocr_engine: OcrEngine) -> None:
    page = _source(f.encode(pages.text_page(14, width=1000, height=1300).image, "PNG"))
    signals = ImageAnalyzer(ocr_engine).analyze(page, (394, 512), "legibility", view_size=(768, 998))
    assert signals.graphic is True and signals.text_boxes > 0 and signals.text_lines > 10
    assert signals.smallest_text_px == pytest.approx(pages.cap_height(14), rel=0.2)
    assert signals.low_detail_loss is None  # the text size answered; no blur measure needed
    # kept on the source, where FIT reads it
    assert page.text_measured and page.text_cap_px == signals.smallest_text_px


def test_measuring_a_page_without_text_remembers_that_too(ocr_engine: OcrEngine) -> None:
    blank = _source(f.encode(Image.new("RGB", (800, 600), "white"), "PNG"))
    assert measure_text(blank, ocr_engine)[2] is None
    assert blank.text_measured and blank.text_cap_px is None


def test_legibility_without_a_detector_falls_back_to_the_blur_measure() -> None:
    page = _source(f.encode(f.document(1000, 1300, size=14), "PNG"))
    signals = ImageAnalyzer(None).analyze(page, (394, 512), "legibility")
    assert signals.graphic is True and signals.text_boxes == 0
    assert signals.low_detail_loss is not None and signals.low_detail_loss > 0.05


def test_legibility_of_a_photo_runs_nothing_expensive(ocr_engine: OcrEngine) -> None:
    signals = ImageAnalyzer(ocr_engine).analyze(_source(f.photo_jpeg()), (512, 512), "legibility")
    assert signals.graphic is False
    assert signals.text_boxes == 0 and signals.low_detail_loss is None and signals.smallest_text_px is None


def test_presence_finds_text_on_a_photo(ocr_engine: OcrEngine) -> None:
    img = f.photo(1024, 1024)
    draw = ImageDraw.Draw(img)
    draw.rectangle((100, 380, 924, 640), fill="white")
    draw.text((130, 430), "OPEN 24 HOURS", fill="black", font=f.font(110))
    signals = ImageAnalyzer(ocr_engine).analyze(_source(f.encode(img, "JPEG", quality=90)), (512, 512), "presence")
    assert signals.graphic is False and signals.text_boxes > 0 and signals.text_area > 0.02


def test_presence_on_a_graphic_skips_the_detector(ocr_engine: OcrEngine) -> None:
    page = _source(f.encode(f.screenshot(1280, 800), "PNG"))
    signals = ImageAnalyzer(ocr_engine).analyze(page, (512, 320), "presence")
    assert signals.graphic is True and signals.text_boxes == 0


def test_a_failing_detector_leaves_the_question_to_decide() -> None:
    class Broken:
        def detect(self, *a: object, **k: object) -> None:
            raise RuntimeError("session died")

    photo = _source(f.photo_jpeg())
    signals = ImageAnalyzer(Broken()).analyze(photo, (512, 512), "presence")
    assert signals.text_boxes == 0 and signals.graphic is False


def test_signals_round_for_logging() -> None:
    page = _source(f.encode(f.document(1000, 1300, size=14), "PNG"))
    data = ImageAnalyzer(None).analyze(page, (394, 512), "legibility").to_dict()
    assert set(data) >= {"text_boxes", "text_area", "graphic", "low_detail_loss", "seconds"}
    assert data["low_detail_loss"] == round(data["low_detail_loss"], 4)
    assert PRESENCE_SIDE < QUICK_SIDE < ANALYSIS_SIDE
