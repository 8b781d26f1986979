"""TRANSCODE with the real PP-OCR models on rendered pages."""

import pytest

from headroom_edge.config import CompressionConfig
from headroom_edge.ocr import OcrEngine
from headroom_edge.technique import Technique
from tests import factories as f
from tests.techniques.helpers import run_technique


@pytest.fixture(scope="module")
def ocr() -> OcrEngine:
    return OcrEngine()


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
