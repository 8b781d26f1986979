"""TRANSCODE with the real PP-OCR models on rendered pages."""

import io

import pytest
from PIL import Image, ImageDraw

from headroom_edge.config import CompressionConfig
from headroom_edge.context import SourceImage, TechniqueContext
from headroom_edge.imaging import probe_image
from headroom_edge.lowdetail import low_plan
from headroom_edge.ocr import OcrEngine
from headroom_edge.technique import Technique
from headroom_edge.techniques import transcode
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
    page = f.document(900, 6000, size=20, text=f.LOREM * 3)
    outcome, _ = run_technique(Technique.TRANSCODE, f.encode(page, "PNG"), "anthropic", None, ocr=ocr)
    assert outcome.technique is Technique.TRANSCODE
    assert "Harbour Road" in outcome.edit.text


def page_with_heading(heading: int, body: int = 14, lines: int = 24) -> bytes:
    """An A4-like page (1240 x 1754): one heading of ``heading`` px over ``lines`` of body text."""
    img = Image.new("RGB", (1240, 1754), "white")
    draw = ImageDraw.Draw(img)
    draw.text((90, 90), "Quarterly Harbour Report", font=f.font(heading), fill="black")
    words = (f.LOREM + " ") * 3
    for i in range(lines):
        start = (i * 37) % 200
        draw.text((90, 90 + heading * 2 + i * int(body * 1.6)), words[start : start + 90], font=f.font(body), fill="black")
    return f.encode(img, "PNG")


def test_dense_page_skips_ocr_before_recognition(ocr: OcrEngine) -> None:
    """A page whose text costs more tokens than its pixels never reaches the recogniser."""
    dense = f.document(1240, 1754, size=12, text=f.LOREM * 12)
    before = ocr.cost.reads
    outcome, original = run_technique(Technique.TRANSCODE, f.encode(dense, "PNG"), "openai", "gpt-4o", ocr=ocr)
    assert outcome.technique is Technique.PRESERVE and outcome.edit is None
    assert "OCR skipped before recognition" in outcome.reason and "tokens" in outcome.reason
    assert outcome.signals["ocr_estimated_chars"] * 0.25 > original  # clearly more text than image
    assert ocr.cost.reads == before


def test_page_estimated_over_the_budget_keeps_its_image_at_once(ocr: OcrEngine) -> None:
    config = CompressionConfig(ocr_budget_s=1e-4)
    before = ocr.cost.reads
    outcome, _ = run_technique(Technique.TRANSCODE, f.document_png(), "openai", "gpt-4o", ocr=ocr, config=config)
    assert outcome.technique is Technique.PRESERVE
    assert "estimated recognition" in outcome.reason and outcome.signals["ocr_estimated_s"] > 0
    assert ocr.cost.reads == before


def test_the_jobs_deadline_bounds_ocr_too(ocr: OcrEngine) -> None:
    from headroom_edge.runtime.cancel import Deadline, deadline_scope

    slow = OcrEngine()  # its own measured rate, set to a machine far slower than any
    slow.cost.observe(1, 10.0)
    with deadline_scope(Deadline.after(30.0)):
        outcome, _ = run_technique(Technique.TRANSCODE, f.document_png(), "openai", "gpt-4o", ocr=slow)
    assert outcome.technique is Technique.PRESERVE and "s left" in outcome.reason
    with deadline_scope(Deadline.after(30.0)):
        ctx_left = transcode.ocr_time_left(ctx_for(CompressionConfig(ocr_budget_s=5.0)))
    assert ctx_left == 5.0
    with deadline_scope(Deadline.after(2.0)):
        assert transcode.ocr_time_left(ctx_for(CompressionConfig(ocr_budget_s=5.0))) <= 2.0
    assert transcode.ocr_time_left(ctx_for(CompressionConfig())) is None


def ctx_for(config: CompressionConfig, provider: str = "openai", model: str | None = "gpt-4o") -> TechniqueContext:
    return TechniqueContext(provider, model, None, None, config)


def test_small_headings_get_a_layout_thumbnail(ocr: OcrEngine) -> None:
    """At low detail (362 x 512) a 28 px heading of an A4 page shows at ~8 px: too small to find
    the page's structure, so the thumbnail grows until headings keep LAYOUT_HEADING_PX."""
    outcome, original = run_technique(Technique.TRANSCODE, page_with_heading(28), "openai", "gpt-4o", ocr=ocr)
    assert outcome.technique is Technique.TRANSCODE
    heading = outcome.signals["heading_px"]
    assert 24 <= heading <= 40
    w, h = outcome.size
    assert heading * h / 1754 >= transcode.LAYOUT_HEADING_PX
    assert outcome.edit.detail is None  # the request's own detail, not "low"
    thumb = Image.open(io.BytesIO(outcome.edit.data))
    assert thumb.size == (w, h) and h > 512
    ctx = ctx_for(CompressionConfig())
    assert ctx.tokens((w, h)) <= transcode.LAYOUT_MAX_SHARE * original
    assert outcome.tokens < original


def test_large_headings_keep_the_low_detail_thumbnail(ocr: OcrEngine) -> None:
    outcome, _ = run_technique(Technique.TRANSCODE, page_with_heading(44), "openai", "gpt-4o", ocr=ocr)
    assert outcome.technique is Technique.TRANSCODE
    assert outcome.edit.detail == "low" and max(outcome.size) == 512


def test_layout_plan_rules() -> None:
    data = page_with_heading(28)
    source = SourceImage(data=data, info=probe_image(data, CompressionConfig().limits), config=CompressionConfig())
    gpt = ctx_for(CompressionConfig())
    assert transcode.layout_plan(source, gpt, None) == low_plan(gpt.family, source.size)  # nothing measured
    size, detail, _ = transcode.layout_plan(source, gpt, 24.0)  # 465 x 658: two 512-tiles, 425 tokens
    assert detail is None and size[1] >= 1754 * transcode.LAYOUT_HEADING_PX / 24
    # 20 px headings would need 558 x 790 (four tiles, 765 of 1105 tokens): the low plan stays
    assert transcode.layout_plan(source, gpt, 20.0) == low_plan(gpt.family, source.size)
    claude = ctx_for(CompressionConfig(), "anthropic", "claude-sonnet-4-5")
    (cw, ch), _, _ = transcode.layout_plan(source, claude, 20.0)
    assert cw % 28 == 0 and ch % 28 == 0  # on Claude's 28 px grid
    gemini = ctx_for(CompressionConfig(), "google", "gemini-3-pro-preview")
    _, _, level = transcode.layout_plan(source, gemini, 20.0)  # LOW resolves ~637 px, MEDIUM ~901
    assert level == "MEDIA_RESOLUTION_MEDIUM"


def test_a_300_dpi_page_is_read_at_full_size() -> None:
    """The recogniser reads each line at its own height, so a 2480x3508 page is not shrunk first
    (that turned its 12 px text to 8 px and lost words)."""
    from headroom_edge.techniques.transcode import OCR_MAX_PIXELS

    assert 2480 * 3508 <= OCR_MAX_PIXELS
