"""Every row of the policy table (headroom_edge/decision/policy.py), on real images.

Rows 1 and 3 run the real PP-OCR detector on rendered pages and screenshots and on
scikit-image's photographs; row 2 (SigLIP) is checked on the pure review function because no real
SigLIP model ships (its scorer is tested in tests/analysis/test_siglip.py)."""

from __future__ import annotations

from PIL import ImageDraw

from headroom_edge import ImageCompressor, Technique
from headroom_edge.analysis.signals import ImageSignals
from headroom_edge.decision.base import Decision
from headroom_edge.decision.decider import PolicyDecider, RulesDecider
from headroom_edge.decision.policy import review
from tests import factories as f


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


def test_row1_general_question_on_a_page_of_small_text_keeps_it_legible(compressor: ImageCompressor) -> None:
    page = f.encode(f.document(1000, 1300, size=14), "PNG")
    result = _one(compressor, page, "What is this?", "image/png")
    assert result.technique is Technique.PRESERVE
    assert result.decided_by == "policy" and "policy row 1" in result.reason
    assert result.signals["graphic"] is True


def test_row1_large_text_page_may_go_low(compressor: ImageCompressor) -> None:
    page = f.encode(f.document(1000, 1300, size=48, text="Big Title Here. Short words only."), "PNG")
    result = _one(compressor, page, "What is this?", "image/png")
    assert result.technique is Technique.FULL_LOW, result.reason


def test_row1_screenshot_with_small_ui_text_keeps_it_legible(compressor: ImageCompressor) -> None:
    shot = f.encode(f.screenshot(1920, 1080), "PNG")
    result = _one(compressor, shot, "What app is this?", "image/png")
    assert result.technique is Technique.PRESERVE and "policy row 1" in result.reason


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
    out = review(decision, signals, original_size=(1000, 1000), low_size=(512, 512))
    assert out.technique is Technique.PRESERVE and "policy row 2" in out.reason


def test_row2_siglip_alone_without_text_does_not_escalate() -> None:
    decision = Decision(Technique.FULL_LOW, 0.9, "router", "router")
    out = review(decision, _signals(siglip={"document": 0.9}), original_size=(1000, 1000), low_size=(512, 512))
    assert out.technique is Technique.FULL_LOW


def test_row4_other_decisions_are_unchanged_but_carry_signals() -> None:
    for technique in (Technique.PRESERVE, Technique.CROP):
        decision = Decision(technique, 0.9, "router", "router")
        out = review(decision, _signals(), original_size=(1000, 1000), low_size=(512, 512))
        assert out.technique is technique and "graphic" in out.signals


def test_policy_never_makes_a_decision_cheaper() -> None:
    for technique in Technique:
        for signals in (_signals(), _signals(text_boxes=5, smallest_text_px=4.0, graphic=True, low_detail_loss=0.6)):
            out = review(Decision(technique, 0.9, "x", "rules"), signals, original_size=(1000, 1000), low_size=(512, 512))
            assert out.technique in (technique, Technique.PRESERVE)


def test_policy_decider_skips_analysis_for_preserve() -> None:
    # A raising stub would prove nothing: the pipeline fails open and reports PRESERVE anyway.
    # So the stub records calls, and the result must come from the rules, without an error.
    class Recorder:
        calls: list[object] = []

        def analyze(self, *a: object, **k: object) -> None:
            self.calls.append(a)

    recorder = Recorder()
    comp = ImageCompressor(decider=PolicyDecider(RulesDecider(), recorder))  # type: ignore[arg-type]
    out = comp.compress_body(f.openai_chat_body(f.photo_jpeg(), "How many buttons are on the suit?"))
    result = out.result.images[0]
    assert result.technique is Technique.PRESERVE
    assert result.decided_by == "rules" and result.error is None
    assert recorder.calls == []
