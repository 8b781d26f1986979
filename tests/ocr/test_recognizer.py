"""The CTC recogniser on rendered line images, and its decoding rules on known tensors."""

from __future__ import annotations

import string

import numpy as np
import pytest
from PIL import Image

from headroom_edge.ocr import OcrEngine, RecognizerParams, TextBox
from headroom_edge.ocr.engine import MIN_LINE_CONFIDENCE
from headroom_edge.ocr.recognizer import TextRecognizer, crop_text_box, ctc_greedy_decode, trim_rows
from tests.ocr.render import char_error_rate, render_lines


@pytest.fixture(scope="module")
def recognizer(engine: OcrEngine) -> TextRecognizer:
    return engine.recognizer


def line_image(text: str, size: int) -> Image.Image:
    """One line rendered with a margin like a detector crop has (about a third of its height)."""
    pad = size // 3
    probe = render_lines([text], size, width=4000, left=pad, top=pad)
    x0, y0, x1, y1 = probe.boxes[0]
    return probe.image.crop((0, 0, x1 + pad, y1 + pad))


def test_charset_matches_the_model(recognizer: TextRecognizer) -> None:
    charset = recognizer.charset
    classes = recognizer.session.get_outputs()[0].shape[-1]
    assert len(charset) == classes
    assert charset[0] == "" and charset[-1] == " "  # CTC blank first, space appended last
    assert set(string.ascii_letters + string.digits) <= set(charset)


def test_greedy_decode_collapses_repeats_and_drops_blanks() -> None:
    charset = ("", "a", "b", " ")
    steps = [1, 1, 0, 1, 2, 2, 3, 0, 0]  # a a _ a b b ' ' _ _  ->  "aab "
    probs = np.full((1, len(steps), 4), 0.01, dtype=np.float32)
    for t, c in enumerate(steps):
        probs[0, t, c] = 0.9 if c != 2 else 0.6
    (result,) = ctc_greedy_decode(probs, charset)
    assert result.text == "aab "
    assert result.confidence == pytest.approx((0.9 + 0.9 + 0.6 + 0.9) / 4)


def test_greedy_decode_of_only_blanks_is_empty() -> None:
    probs = np.zeros((2, 5, 4), dtype=np.float32)
    probs[:, :, 0] = 1.0
    assert [(r.text, r.confidence) for r in ctc_greedy_decode(probs, ("", "a", "b", " "))] == [
        ("", 0.0),
        ("", 0.0),
    ]


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("Hello, World!", 24),
        ("Invoice #2024-0173 due 05/03/2025", 20),
        ("Total: $1,234.56 (incl. 20% VAT)", 28),
        ("lowercase words without capitals", 16),
    ],
)
def test_reads_rendered_lines(recognizer: TextRecognizer, text: str, size: int) -> None:
    (result,) = recognizer.recognize_crops([line_image(text, size)])
    assert char_error_rate(text, result.text) <= 0.05, result.text
    assert result.confidence >= 0.9


def test_short_snippets_read_with_narrow_batches(recognizer: TextRecognizer) -> None:
    snippets = ["OK", "7", "Q3", "No."]
    results = recognizer.recognize_crops([line_image(t, 24) for t in snippets])
    assert [r.text for r in results] == snippets


def test_batches_keep_input_order(recognizer: TextRecognizer) -> None:
    texts = [
        "a much longer line of text to read",
        "id",
        "Medium length",
        "x7",
        "Seven words in this line right here",
    ]
    small_batches = TextRecognizer(
        recognizer.session, recognizer.charset, RecognizerParams(batch_size=2)
    )
    results = small_batches.recognize_crops([line_image(t, 22) for t in texts])
    assert [r.text for r in results] == texts


def test_degenerate_crops_do_not_fail(recognizer: TextRecognizer) -> None:
    crops = [
        Image.new("RGB", (1, 1), "white"),
        Image.new("RGB", (400, 3), "black"),
        Image.new("RGB", (60, 48), "white"),
    ]
    results = recognizer.recognize_crops(crops)
    assert len(results) == 3
    # Blank paper reads as nothing the engine keeps (the int8 model may emit one unsure glyph).
    assert results[2].text == "" or results[2].confidence < MIN_LINE_CONFIDENCE


def test_crop_text_box_is_clipped_to_the_image() -> None:
    img = Image.new("RGB", (100, 50), "white")
    assert crop_text_box(img, TextBox(-10.0, -5.0, 40.2, 20.7, 0.9)).size == (41, 21)
    assert crop_text_box(img, TextBox(99.5, 49.5, 130.0, 80.0, 0.9)).size == (1, 1)


def test_reads_small_text_from_original_pixels(engine: OcrEngine) -> None:
    """Boxes found on a downscaled page still crop the full-resolution text for reading."""
    text = "Small print keeps every character"
    page = render_lines([text], 14, width=2400, left=200, top=300, height=700)
    found = engine.detector.detect(page.image, max_side=960)
    results = engine.recognizer.recognize(page.image, found.boxes)
    got = " ".join(
        r.text for _, r in sorted(zip(found.boxes, results, strict=True), key=lambda p: p[0].x0)
    )
    assert char_error_rate(text, got) <= 0.05, got


def test_trim_rows_keeps_ink_and_a_margin() -> None:
    loose = Image.new("L", (200, 60), 255)
    loose.paste(0, (10, 25, 190, 35))  # ten ink rows in the middle of a 60 px crop
    trimmed = trim_rows(loose, 0.25)
    assert trimmed.size == (200, 10 + 2 * 3)
    textured = Image.fromarray(np.random.default_rng(0).integers(0, 256, (40, 80), dtype=np.uint8))
    assert trim_rows(textured, 0.25).size == (80, 40)
    assert trim_rows(loose, -1).size == (200, 60)


def test_batches_bound_their_padding(recognizer: TextRecognizer) -> None:
    p = recognizer.params
    crops = [Image.new("RGB", (w, 48), "white") for w in (1000, 200, 1040, 210, 205, 3000)]
    batches = recognizer.batches(crops)
    assert sorted(i for b in batches for i in b) == list(range(len(crops)))
    for batch in batches:
        widths = [crops[i].width for i in batch]
        assert len(batch) <= p.batch_size
        assert max(widths) <= min(widths) * (1 + p.max_padding)
    assert recognizer.columns(crops) == sum(
        len(b) * recognizer._batch_tensor([crops[i] for i in b]).shape[-1] for b in batches
    )


def test_logits_decode_like_probabilities() -> None:
    rng = np.random.default_rng(3)
    logits = rng.normal(0, 3, (2, 30, 12)).astype(np.float32)
    logits[:, ::3, 0] += 6  # blanks between characters, as real output has
    exp = np.exp(logits - logits.max(axis=2, keepdims=True))
    probs = exp / exp.sum(axis=2, keepdims=True)
    charset = ("", *"abcdefghij", " ")
    from_probs = ctc_greedy_decode(probs, charset)
    from_logits = ctc_greedy_decode(logits, charset, logits=True)
    assert [r.text for r in from_logits] == [r.text for r in from_probs]
    for a, b in zip(from_logits, from_probs, strict=True):
        assert a.confidence == pytest.approx(b.confidence, rel=1e-5)
