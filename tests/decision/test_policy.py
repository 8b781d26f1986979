"""Every row of the policy table (headroom_edge/decision/policy.py), on real images.

Rows 1, 1b and 3 run the real PP-OCR detector on rendered pages and screenshots and on
scikit-image's photographs; row 4 runs the real compressor on detail questions in the router's
languages; row 2 (SigLIP) is checked on the pure review function because no real SigLIP model
ships (its scorer is tested in tests/analysis/test_siglip.py)."""

from __future__ import annotations

import pytest
from PIL import ImageDraw

from headroom_edge import CompressionConfig, ImageCompressor, Technique
from headroom_edge.analysis.signals import ImageSignals
from headroom_edge.decision.base import Decision
from headroom_edge.decision.decider import PolicyDecider, RulesDecider
from headroom_edge.decision.policy import LEGIBLE_TEXT_PX, review, review_preserve, review_question
from headroom_edge.fitplan import DETAIL_LEGIBLE_TEXT_PX, fit_plan, text_in_view
from headroom_edge.formats.datauri import decode_base64, parse_data_url
from headroom_edge.lowdetail import low_view_size
from headroom_edge.tokens import resolve_family
from tests import factories as f
from tests.analysis import pages

GPT4O = resolve_family("openai", "gpt-4o")


def test_the_default_compressor_reviews_with_the_policy(compressor: ImageCompressor) -> None:
    assert isinstance(compressor.decider, PolicyDecider)


def _one(compressor: ImageCompressor, data: bytes, question: str, media_type: str, **kw: object):
    out = compressor.compress_body(f.openai_chat_body(data, question, media_type=media_type, **kw))
    return out.result.images[0]


def test_row0_computer_use_request_keeps_every_screenshot_geometry(compressor: ImageCompressor) -> None:
    """The same photo and general question that go low without the tool stay untouched with it."""
    body = f.anthropic_body(f.photo_jpeg(1280, 800), "Describe this picture in one sentence.")
    assert compressor.compress_body(body).result.images[0].technique is Technique.FULL_LOW
    body["tools"] = [{"type": "computer_20250124", "name": "computer",
                      "display_width_px": 1280, "display_height_px": 800}]
    out = compressor.compress_body(body)
    result = out.result.images[0]
    assert not out.changed and result.technique is Technique.PRESERVE
    assert result.decided_by == "policy" and "policy row 0" in result.reason
    assert "computer-use tool declared (computer_20250124, display 1280x800): geometry kept" in result.reason
    assert result.signals == {"computer_use": "computer_20250124", "display": [1280, 800]}
    assert result.compressed_size == result.original_size == (1280, 800)


def test_row1_general_question_on_a_page_of_small_text_fits_it(compressor: ImageCompressor) -> None:
    """20 px prose (15 px capitals) on a 1240x1754 page: 4.3 px at gpt-4o's low detail, so not
    full_low; the 2x2 tiles of 724x1024 keep it legible, cheaper than the 6 tiles of the original."""
    page = f.encode(pages.text_page(20).image, "PNG")
    out = compressor.compress_body(f.openai_chat_body(page, "What is this?", media_type="image/png"))
    result = out.result.images[0]
    assert result.technique is Technique.FIT, result.reason
    assert result.decided_by == "policy" and "policy row 1" in result.reason
    assert result.signals["graphic"] is True
    part = out.body["messages"][1]["content"][1]["image_url"]
    assert "detail" not in part  # high detail: the text needs the tiles
    assert f.decode(decode_base64(parse_data_url(part["url"])[1])).size == result.compressed_size == (724, 1024)
    assert result.compressed_tokens == 765 < result.original_tokens == 1105
    assert result.signals["fit_text_px"] >= LEGIBLE_TEXT_PX


def test_row1b_small_text_that_no_cheaper_size_keeps_legible_is_preserved(compressor: ImageCompressor) -> None:
    """12 px table text (9 px capitals): 5.6 px even in gpt-4o's view of the untouched image, so
    no cheaper size can keep it legible: the original goes (row 1b), not a fit."""
    result = _one(compressor, f.encode(pages.table().image, "PNG"), "What is this?", "image/png")
    assert result.technique is Technique.PRESERVE
    assert "policy row 1b" in result.reason and "no cheaper size" in result.reason


def test_row1_large_text_page_may_go_low(compressor: ImageCompressor) -> None:
    page = f.encode(f.document(1000, 1300, size=48, text="Big Title Here. Short words only."), "PNG")
    result = _one(compressor, page, "What is this?", "image/png")
    assert result.technique is Technique.FULL_LOW, result.reason


def test_row1_screenshot_with_small_ui_text_keeps_it_legible(compressor: ImageCompressor) -> None:
    shot = f.encode(f.screenshot(1920, 1080), "PNG")
    result = _one(compressor, shot, "What app is this?", "image/png")
    assert result.technique in (Technique.FIT, Technique.PRESERVE) and "policy row 1" in result.reason
    assert result.compressed_tokens <= result.original_tokens


def test_row1_photo_general_question_still_goes_low(compressor: ImageCompressor) -> None:
    result = _one(compressor, f.photo_jpeg(), "What is this person wearing?", "image/jpeg")
    assert result.technique is Technique.FULL_LOW
    assert result.signals["graphic"] is False


def test_row3_read_request_on_a_photo_without_text_does_not_transcode(compressor: ImageCompressor) -> None:
    result = _one(compressor, f.photo_jpeg(), "Read the text in this image", "image/jpeg")
    assert result.technique is Technique.PRESERVE
    assert "policy row 3" in result.reason
    assert "ocr_chars" not in result.signals  # decided before any OCR ran


def test_row3_detector_false_alarm_still_ends_in_preserve(compressor: ImageCompressor) -> None:
    from skimage import data

    coffee = f.encode(f.Image.fromarray(data.coffee()), "JPEG")
    result = _one(compressor, coffee, "Read the text in this image", "image/jpeg")
    assert result.technique is Technique.PRESERVE  # row 3, or OCR finding no confident text


def test_row3_read_request_on_a_photo_with_a_sign_transcodes(compressor: ImageCompressor) -> None:
    img = f.photo(1024, 1024)
    draw = ImageDraw.Draw(img)
    draw.rectangle((150, 380, 880, 640), fill="white")
    draw.text((190, 430), "EXIT 24", fill="black", font=f.font(120))
    result = _one(compressor, f.encode(img, "JPEG", quality=92), "Read the text on the sign", "image/jpeg")
    assert result.technique is Technique.TRANSCODE, result.reason
    assert result.signals["text_boxes"] > 0


def test_image_already_at_low_cost_is_left_alone(compressor: ImageCompressor) -> None:
    out = compressor.compress_body(f.anthropic_body(f.photo_jpeg(300, 200), "What is this?"))
    result = out.result.images[0]
    assert result.technique is Technique.PRESERVE and "already" in result.reason


def test_image_already_at_low_cost_is_left_alone_on_openai(compressor: ImageCompressor) -> None:
    result = _one(compressor, f.photo_jpeg(1024, 1024), "What is this?", "image/jpeg", detail="low")
    assert result.technique is Technique.PRESERVE
    assert result.original_tokens == result.compressed_tokens == 85


def test_crop_keeps_the_region_legible(compressor: ImageCompressor) -> None:
    # The padded corner of a 320 px image is 179 px: widened to the 224 px floor. On gpt-4o that
    # costs what the whole image costs (one tile), which a crop may (see pipeline._worth_it).
    result = _one(compressor, f.encode(f.quadrants(320), "PNG"), "what is in the top-left corner?", "image/png")
    assert result.technique is Technique.CROP, result.reason
    assert result.compressed_size == (224, 224) and "top-left corner" in result.reason
    assert result.compressed_tokens == result.original_tokens


def _signals(**kw: object) -> ImageSignals:
    base = dict(text_boxes=0, text_area=0.0, smallest_text_px=None, graphic=False, flat_share=0.1,
                low_detail_loss=0.05, siglip=None, seconds=0.001)
    base.update(kw)
    return ImageSignals(**base)  # type: ignore[arg-type]


def test_row2_siglip_text_page_with_detected_text_keeps_it() -> None:
    decision = Decision(Technique.FULL_LOW, 0.9, "router", "router")
    signals = _signals(text_boxes=3, text_area=0.1, smallest_text_px=40.0, siglip={"document": 0.8, "photo": 0.1})
    out = review(decision, signals, family=GPT4O, original_size=(1000, 1000))
    assert out.technique is Technique.PRESERVE and "policy row 2" in out.reason


def test_row2_siglip_alone_without_text_does_not_escalate() -> None:
    decision = Decision(Technique.FULL_LOW, 0.9, "router", "router")
    out = review(decision, _signals(siglip={"document": 0.9}), family=GPT4O, original_size=(1000, 1000))
    assert out.technique is Technique.FULL_LOW


def test_row5_other_decisions_are_unchanged_but_carry_signals() -> None:
    for technique in (Technique.PRESERVE, Technique.CROP):
        decision = Decision(technique, 0.9, "router", "router")
        out = review(decision, _signals(), family=GPT4O, original_size=(1000, 1000))
        assert out.technique is technique and "graphic" in out.signals


def test_policy_never_makes_a_decision_cheaper() -> None:
    """Only FULL_LOW may become FIT (which costs more than low detail); all else stays or keeps."""
    for technique in Technique:
        for signals in (_signals(), _signals(text_boxes=5, smallest_text_px=4.0, graphic=True, low_detail_loss=0.6),
                        _signals(text_boxes=5, smallest_text_px=16.0, graphic=True)):
            out = review(Decision(technique, 0.9, "x", "rules"), signals, family=GPT4O, original_size=(1600, 1600))
            allowed = {technique, Technique.PRESERVE} | ({Technique.FIT} if technique is Technique.FULL_LOW else set())
            assert out.technique in allowed


def test_policy_decider_skips_analysis_for_preserve() -> None:
    # A raising stub would prove nothing: the pipeline fails open and reports PRESERVE anyway.
    # So the stub records calls, and the result must come from the rules, without an error.
    class Recorder:
        calls: list[object] = []

        def analyze(self, *a: object, **k: object) -> None:
            self.calls.append(a)

    recorder = Recorder()
    comp = ImageCompressor(decider=PolicyDecider(RulesDecider(), recorder),  # type: ignore[arg-type]
                           config=CompressionConfig(fit_preserve_questions=False))
    out = comp.compress_body(f.openai_chat_body(f.photo_jpeg(), "How many buttons are on the suit?"))
    result = out.result.images[0]
    assert result.technique is Technique.PRESERVE
    assert result.decided_by == "rules" and result.error is None
    assert recorder.calls == []


def test_row1_gemini3_low_is_judged_at_what_low_shows_the_model(compressor: ImageCompressor) -> None:
    """Item 2 of issue 12: 24 px prose (18 px capitals) on a 1240x1754 page would be 10.5 px in
    the 724x1024 px sent at LOW, yet only 6.5 px in the ~450x636 px LOW shows Gemini 3: not low.
    MEDIUM (~636x900 seen) keeps it at 9.2 px for 560 tokens instead of HIGH's 1120."""
    g3 = resolve_family("google", "gemini-3-pro")
    size = (1240, 1754)
    assert text_in_view(18.0, size, low_view_size(g3, size)) < LEGIBLE_TEXT_PX <= text_in_view(18.0, size, (724, 1024))
    body = f.gemini_body(f.encode(pages.text_page(24).image, "PNG"), "What is this?", media_type="image/png")
    out = compressor.compress_body(body, path="/v1beta/models/gemini-3-pro:generateContent")
    result = out.result.images[0]
    assert result.technique is Technique.FIT, result.reason
    assert (result.original_tokens, result.compressed_tokens) == (1120, 560)
    part = next(p for p in out.body["contents"][0]["parts"] if "inlineData" in p or "inline_data" in p)
    assert part["mediaResolution"] == {"level": "MEDIA_RESOLUTION_MEDIUM"}


def test_row1_a_large_text_page_on_gemini3_goes_low(compressor: ImageCompressor) -> None:
    """40 px prose (29 px capitals): still 10.5 px in LOW's modelled view, so LOW it is."""
    body = f.gemini_body(f.encode(pages.text_page(40).image, "PNG"), "What is this?", media_type="image/png")
    out = compressor.compress_body(body, path="/v1beta/models/gemini-3-pro:generateContent")
    result = out.result.images[0]
    assert result.technique is Technique.FULL_LOW, result.reason
    assert result.compressed_tokens == 280


DETAIL_QUESTIONS = [
    "How many rows does this table have?",
    "What does the gauge read?",
    "What is the value of the line at sentence 12 in the chart?",
    "¿Cuántas filas tiene la tabla?",
    "Wie viele Balken zeigt das Diagramm?",
    "Combien de lignes y a-t-il ?",
    "Quantas colunas tem a tabela?",
    "Quanti punti ci sono nel grafico?",
    "Сколько строк в таблице?",
    "表格里有多少行？",
    "メーターの目盛はいくつですか",
    "표에 몇 개의 행이 있나요?",
    "तालिका में कितनी पंक्तियाँ हैं?",
]


def test_row4_a_detail_question_routed_to_transcode_keeps_its_pixels() -> None:
    for question in DETAIL_QUESTIONS:
        decision = Decision(Technique.TRANSCODE, 0.8, "router: transcode (0.80)", "router")
        out = review_question(decision, question)
        assert out is not None and out.technique is Technique.PRESERVE, question
        assert out.decided_by == "policy" and "policy row 4" in out.reason


def test_row4_text_questions_still_transcode() -> None:
    decision = Decision(Technique.TRANSCODE, 0.8, "router", "router")
    for question in ("Transcribe the text in this image.", "Read the whole page, word for word.",
                     "Traduce el texto al inglés.", "Extract the invoice as JSON."):
        assert review_question(decision, question) is None, question
    assert review_question(Decision(Technique.FULL_LOW, 0.8, "router", "router"), "How many cats?") is None


def test_row4_end_to_end_no_ocr_runs_for_a_detail_question(compressor: ImageCompressor) -> None:
    """Through the real compressor with a decider that routes to transcode (as the router does
    for 5-9 such questions per model in issue 12): kept, and no OCR ran (the text-size
    measurement of row 6 may: the 9 px table text leaves no cheaper legible size)."""
    from headroom_edge.decision.decider import PolicyDecider

    class ToTranscode:
        name = "router"

        def decide(self, question: str, source: object, ctx: object) -> Decision:
            return Decision(Technique.TRANSCODE, 0.8, "router: transcode (0.80)", "router")

    comp = ImageCompressor(decider=PolicyDecider(ToTranscode(), compressor.decider.analyzer))  # type: ignore[arg-type, attr-defined]
    page = f.encode(pages.table().image, "PNG")
    result = comp.compress_body(f.openai_chat_body(page, "How many rows does the table have?",
                                                   media_type="image/png")).result.images[0]
    assert result.technique is Technique.PRESERVE and "policy row 4" in result.reason
    assert "ocr_chars" not in result.signals


def test_row6_a_detail_question_on_a_page_of_large_text_fits_it(compressor: ImageCompressor) -> None:
    """28 px prose (~20 px capitals) on a 1240x1754 page, asked for exact figures: the router keeps
    the original, but 2x2 tiles still show every line at >= DETAIL_LEGIBLE_TEXT_PX for gpt-4o."""
    class ToPreserve:
        name = "router"

        def decide(self, question: str, source: object, ctx: object) -> Decision:
            return Decision(Technique.PRESERVE, 0.9, "router: preserve (0.90)", "router")

    comp = ImageCompressor(decider=PolicyDecider(ToPreserve(), compressor.decider.analyzer),  # type: ignore[arg-type, attr-defined]
                           config=CompressionConfig(fit_preserve_questions=True))
    page = f.encode(pages.text_page(28).image, "PNG")
    question = "What exact version numbers and dates appear on this page?"
    out = comp.compress_body(f.openai_chat_body(page, question, media_type="image/png"))
    result = out.result.images[0]
    assert result.technique is Technique.FIT and "policy row 6" in result.reason, result.reason
    assert result.compressed_tokens < result.original_tokens
    assert result.signals["fit_text_px"] >= DETAIL_LEGIBLE_TEXT_PX
    part = out.body["messages"][1]["content"][1]["image_url"]
    assert f.decode(decode_base64(parse_data_url(part["url"])[1])).size == result.compressed_size


def test_row6_keeps_a_detail_question_on_small_text_or_a_photo_untouched() -> None:
    compressor = ImageCompressor(config=CompressionConfig(fit_preserve_questions=True))
    question = "What exact numbers appear here?"
    table = _one(compressor, f.encode(pages.table().image, "PNG"), question, "image/png")
    assert table.technique is Technique.PRESERVE
    photo = _one(compressor, f.photo_jpeg(), "How many buttons are on the suit?", "image/jpeg")
    assert photo.technique is Technique.PRESERVE


def test_row6_is_a_config_choice() -> None:
    text = _signals(text_boxes=9, smallest_text_px=40.0, graphic=True)
    photo = _signals(text_boxes=9, smallest_text_px=40.0, graphic=False)
    decision = Decision(Technique.PRESERVE, 0.9, "x", "router")
    assert review_preserve(decision, photo, family=GPT4O, original_size=(1600, 1600)).technique is Technique.PRESERVE
    assert review_preserve(decision, text, family=GPT4O, original_size=(1600, 1600)).technique is Technique.FIT


def test_row6_review_only_turns_preserve_into_fit() -> None:
    text = _signals(text_boxes=9, smallest_text_px=40.0, graphic=True)
    for technique in Technique:
        out = review_preserve(Decision(technique, 0.9, "x", "router"), text, family=GPT4O, original_size=(1600, 1600))
        assert out.technique in ({technique, Technique.FIT} if technique is Technique.PRESERVE else {technique})
    fitted = review_preserve(Decision(Technique.PRESERVE, 0.9, "x", "router"), text, family=GPT4O,
                             original_size=(1600, 1600))
    assert fitted.technique is Technique.FIT and fitted.legible_px == DETAIL_LEGIBLE_TEXT_PX


def test_row6_plans_against_the_smallest_line_not_only_the_percentile() -> None:
    """Screenshots put the figure asked for in the one small line (a status bar): a low
    percentile of 40 px with 20 px least lines needs twice the scale of 20 px lines' bar."""
    decision = Decision(Technique.PRESERVE, 0.9, "x", "router")
    even = _signals(text_boxes=9, smallest_text_px=40.0, graphic=True, least_text_px=40.0)
    small_line = _signals(text_boxes=9, smallest_text_px=40.0, graphic=True, least_text_px=20.0)
    tiny_line = _signals(text_boxes=9, smallest_text_px=40.0, graphic=True, least_text_px=8.0)
    size = (1240, 1754)
    a = review_preserve(decision, even, family=GPT4O, original_size=size)
    b = review_preserve(decision, small_line, family=GPT4O, original_size=size)
    c = review_preserve(decision, tiny_line, family=GPT4O, original_size=size)
    assert a.technique is Technique.FIT and a.legible_px == DETAIL_LEGIBLE_TEXT_PX
    assert b.technique is Technique.FIT and b.legible_px == pytest.approx(2 * LEGIBLE_TEXT_PX)
    assert "smallest line (20.0px)" in b.reason
    plan_a = fit_plan(GPT4O, size, 40.0, a.legible_px)
    plan_b = fit_plan(GPT4O, size, 40.0, b.legible_px)
    assert plan_a is not None and plan_b is not None and plan_b.tokens > plan_a.tokens
    assert plan_b.text_px * 20.0 / 40.0 >= LEGIBLE_TEXT_PX
    assert c.technique is Technique.PRESERVE  # 8 px lines: the original view is all they get


def test_row6_is_off_by_default() -> None:
    assert CompressionConfig().fit_preserve_questions is False


def test_review_part_crops_a_located_part_and_keeps_the_rest() -> None:
    from headroom_edge.analysis.parts import LocatedPart
    from headroom_edge.decision.policy import review_part

    asked = Decision(Technique.CROP, 0.9, "router: crop (0.90)", "router", part="legend")
    found = review_part(asked, LocatedPart("legend", (0.7, 0.1, 0.9, 0.3), 3))
    assert found.technique is Technique.CROP and found.region is not None
    assert found.region.box == (0.7, 0.1, 0.9, 0.3) and found.decided_by == "policy"
    assert found.signals["located"] == {"part": "legend", "box": [0.7, 0.1, 0.9, 0.3], "entries": 3}
    kept = review_part(asked, None)
    assert kept.technique is Technique.PRESERVE and kept.region is None and "row 7b" in kept.reason
