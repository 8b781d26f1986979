"""TRANSCODE with the real PP-OCR models on rendered pages."""

import pytest

from headroom_edge.config import CompressionConfig
from headroom_edge.ocr import OcrEngine
from headroom_edge.technique import Technique
from tests import factories as f
from tests.techniques.helpers import run_technique


@pytest.fixture(scope="module")
def ocr(ocr_engine: OcrEngine) -> OcrEngine:
    return ocr_engine


def test_page_becomes_text_plus_thumbnail(ocr: OcrEngine) -> None:
    outcome, original = run_technique(Technique.TRANSCODE, f.document_png(), "openai", "gpt-4o", ocr=ocr)
    assert outcome.technique is Technique.TRANSCODE
    assert "Northwind" in outcome.edit.text and "Harbour" in outcome.edit.text
    assert outcome.edit.keep_image and outcome.edit.detail == "low"
    assert outcome.tokens < original


def test_text_only_when_thumbnail_disabled(ocr: OcrEngine) -> None:
    config = CompressionConfig(transcode_keep_thumbnail=False)
    outcome, _ = run_technique(Technique.TRANSCODE, f.document_png(), "anthropic", None, ocr=ocr, config=config)
    assert outcome.edit.keep_image is False and outcome.edit.data is None
    assert outcome.size is None


def test_no_text_falls_back_to_preserve(ocr: OcrEngine) -> None:
    outcome, _ = run_technique(Technique.TRANSCODE, f.photo_jpeg(), "openai", "gpt-4o", ocr=ocr)
    assert outcome.technique is Technique.PRESERVE and outcome.edit is None
    assert "OCR" in outcome.reason


def test_no_ocr_engine_preserves() -> None:
    outcome, _ = run_technique(Technique.TRANSCODE, f.document_png(), "openai", "gpt-4o", ocr=None)
    assert outcome.technique is Technique.PRESERVE


def test_long_screenshot_keeps_its_text_legible_for_ocr(ocr: OcrEngine) -> None:
    # 900 x 6000: a side limit of 2048 would shrink its 20 px text to ~7 px; the area budget keeps it
    page = f.document(900, 6000, size=20, text=f.LOREM * 6)
    outcome, _ = run_technique(Technique.TRANSCODE, f.encode(page, "PNG"), "anthropic", None, ocr=ocr)
    assert outcome.technique is Technique.TRANSCODE
    assert "Harbour Road" in outcome.edit.text
