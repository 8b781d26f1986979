"""OcrEngine end to end: rendered pages in, text in reading order and detection signals out."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from headroom_edge.ocr import OcrEngine, OcrResult
from headroom_edge.ocr.detector import TextBox
from headroom_edge.ocr.engine import MAX_DETECT_PIXELS, finer_side, read_side
from tests.ocr.render import char_error_rate, font, render_lines, render_pieces

REPO = Path(__file__).resolve().parents[2]

PARAGRAPH = [
    "Offline OCR lets the proxy replace a page image by its text.",
    "Tokens drop sharply, and the model still sees every word.",
    "Numbers such as 3.14159, 2024-11-05 and $19.99 survive too.",
    'Mixed Case, punctuation; quotes "like these" and (brackets).',
    "The detector runs first, then each line is recognised.",
]

RECEIPT_ITEMS = [
    ("Espresso", "2.80"),
    ("Cappuccino large", "4.20"),
    ("Blueberry muffin", "3.10"),
    ("Sparkling water", "1.90"),
    ("Subtotal", "12.00"),
    ("VAT 20%", "2.40"),
    ("TOTAL", "14.40"),
]


def receipt() -> Image.Image:
    pieces = [(40, 30, "CORNER CAFE"), (40, 70, "Receipt 000417")]
    for i, (item, price) in enumerate(RECEIPT_ITEMS):
        pieces += [(40, 130 + i * 42, item), (420, 130 + i * 42, price)]
    return render_pieces(pieces, 22, 520, 460).image


def no_confident_text(result: OcrResult) -> bool:
    return not [line for line in result.lines if line.confidence >= 0.8 and len(line.text) >= 3]


@pytest.mark.parametrize("size", [20, 24, 28])
def test_paragraph_reads_back(engine: OcrEngine, size: int) -> None:
    page = render_lines(PARAGRAPH, size, width=1000)
    result = engine.read(page.image)
    assert char_error_rate("\n".join(PARAGRAPH), result.text) <= 0.05, result.text
    assert result.text.count("\n") == len(PARAGRAPH) - 1  # one output line per rendered line
    assert result.mean_confidence >= 0.9
    assert result.rejected_lines == 0 and result.seconds > 0


def test_receipt_columns_stay_paired_in_reading_order(engine: OcrEngine) -> None:
    result = engine.read(receipt())
    # Pairing and order are under test, not letter case: the int8 recogniser (models/ocr) now and
    # then reads a capital S/O/C as small ("subtotal"), which its CER in scripts/bench_ocr.py counts.
    text = result.text.casefold()
    lines = text.splitlines()
    for word in ["CORNER", "CAFE", "000417"] + [w for pair in RECEIPT_ITEMS for w in pair]:
        assert word.casefold() in text, word
    # Each item shares its output line with its price, and lines run top to bottom.
    positions = []
    for item, price in RECEIPT_ITEMS:
        (row,) = [i for i, line in enumerate(lines) if line.startswith(item.casefold())]
        assert lines[row].endswith(price), lines[row]
        positions.append(row)
    assert positions == sorted(positions)
    assert lines[0] == "corner cafe"


def test_lines_are_in_reading_order(engine: OcrEngine) -> None:
    result = engine.read(receipt())
    texts = [line.text for line in result.lines]
    assert texts[:4] == ["CORNER CAFE", "Receipt 000417", "Espresso", "2.80"]
    assert len(texts) == len(RECEIPT_ITEMS) * 2 + 2
    tops = [line.box.y0 for line in result.lines]
    assert all(later >= earlier - 10 for earlier, later in zip(tops[:-1], tops[1:], strict=True))


def test_mean_confidence_is_weighted_by_characters(engine: OcrEngine) -> None:
    result = engine.read(receipt())
    chars = sum(len(line.text) for line in result.lines)
    expected = sum(line.confidence * len(line.text) for line in result.lines) / chars
    assert result.mean_confidence == pytest.approx(expected)
    assert result.char_count == chars


def test_smooth_gradient_reads_as_nothing(engine: OcrEngine) -> None:
    gradient = Image.linear_gradient("L").resize((800, 600)).convert("RGB")
    result = engine.read(gradient)
    assert result.lines == () and result.text == "" and result.mean_confidence == 0.0


@pytest.mark.parametrize("name", ["chelsea", "astronaut", "coffee"])
def test_natural_photos_have_no_confident_text(engine: OcrEngine, name: str) -> None:
    data = pytest.importorskip("skimage.data")
    photo = Image.fromarray(getattr(data, name)())
    assert no_confident_text(engine.read(photo))
    detected = engine.detect(photo)
    assert detected.text_area_fraction < 0.05


def test_transparent_png_text_is_read(engine: OcrEngine) -> None:
    """Black text on a transparent background must not turn into black on black."""
    img = Image.new("RGBA", (700, 120), (0, 0, 0, 0))
    ImageDraw.Draw(img).text(
        (20, 40), "Transparent background text", font=font(28), fill=(0, 0, 0, 255)
    )
    assert engine.read(img).text == "Transparent background text"


def test_greyscale_and_palette_images_are_read(engine: OcrEngine) -> None:
    page = render_lines(["Grey levels only 123"], 26, width=500).image
    assert engine.read(page.convert("L")).text == "Grey levels only 123"
    assert engine.read(page.convert("P")).text == "Grey levels only 123"


def test_light_text_on_dark_banner(engine: OcrEngine) -> None:
    img = Image.new("RGB", (800, 120), (25, 35, 60))
    ImageDraw.Draw(img).text((30, 40), "White text on a dark banner", font=font(30), fill="white")
    result = engine.read(img)
    assert char_error_rate("White text on a dark banner", result.text) <= 0.05, result.text


def test_detect_reports_text_presence_signals(engine: OcrEngine) -> None:
    page = render_lines(PARAGRAPH, 24, width=1024, height=1024)
    found = engine.detect(page.image, max_side=640)
    assert found.has_text and found.line_count == len(PARAGRAPH)
    assert found.input_size == (640, 640)
    assert 0.1 < found.text_area_fraction < 0.5
    assert found.smallest_text_height is not None and 16 <= found.smallest_text_height <= 34
    assert 0 < found.seconds < 10


def test_smallest_text_height_tracks_font_size(engine: OcrEngine) -> None:
    def smallest(size: int) -> float:
        found = engine.detect(render_lines(PARAGRAPH, size, width=1400).image)
        assert found.smallest_text_height is not None
        return found.smallest_text_height

    small, large = smallest(12), smallest(40)
    assert 7 <= small <= 18, small
    assert 28 <= large <= 55, large
    assert large > 2.2 * small


def test_mixed_sizes_report_the_small_text(engine: OcrEngine) -> None:
    """A page of large text with a few small lines: the low percentile sees the small ones."""
    pieces = [(40, 40 + 70 * i, f"Heading line number {i}") for i in range(8)]
    big = render_pieces(pieces, 44, 1200, 700)
    draw = ImageDraw.Draw(big.image)
    draw.text((40, 620), "footnote in eleven pixel type", font=font(11), fill="black")
    draw.text((600, 620), "another small footnote", font=font(11), fill="black")
    found = engine.detect(big.image)
    assert found.smallest_text_height is not None and found.smallest_text_height < 25
    heights = sorted(b.text_height for b in found.boxes)
    assert heights[-1] > 35


def test_blank_image_detects_nothing(engine: OcrEngine) -> None:
    found = engine.detect(Image.new("RGB", (640, 480), "white"))
    assert found.boxes == () and not found.has_text
    assert found.text_area_fraction == 0.0 and found.smallest_text_height is None
    assert found.line_count == 0
    result = engine.read(Image.new("RGB", (640, 480), "white"))
    assert result.text == "" and result.lines == ()


def test_tiny_images_are_handled(engine: OcrEngine) -> None:
    for size in [(1, 1), (5, 300), (300, 5)]:
        assert engine.read(Image.new("RGB", size, "white")).text == ""


def test_concurrent_reads_agree(engine: OcrEngine) -> None:
    page = render_lines(PARAGRAPH[:2], 22, width=900).image
    with ThreadPoolExecutor(max_workers=3) as pool:
        texts = list(pool.map(lambda _: engine.read(page).text, range(3)))
    assert texts[0] == texts[1] == texts[2] and "offline ocr" in texts[0].casefold()


def test_runtime_imports_stay_within_our_dependencies() -> None:
    """Reading must not pull rapidocr, cv2, shapely, pyclipper, scipy or torch."""
    code = (
        "import sys\n"
        "from PIL import Image, ImageDraw\n"
        "from tests.ocr.render import font\n"
        "from headroom_edge.ocr import OcrEngine\n"
        "img = Image.new('RGB', (400, 80), 'white')\n"
        "ImageDraw.Draw(img).text((10, 20), 'Dependency check', fill='black',\n"
        "                         font=font(24))\n"
        "assert 'Dependency' in OcrEngine().read(img).text\n"
        "bad = sorted({'rapidocr', 'cv2', 'shapely', 'pyclipper', 'scipy', 'torch'}\n"
        "             & {m.split('.')[0] for m in sys.modules})\n"
        "assert not bad, bad\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


def test_read_boxes_lie_inside_the_image(engine: OcrEngine) -> None:
    page = render_lines(PARAGRAPH, 22, width=1000)
    w, h = page.image.size
    for line in engine.read(page.image).lines:
        b = line.box
        assert 0 <= b.x0 < b.x1 <= w and 0 <= b.y0 < b.y1 <= h
        assert np.isfinite([b.score, b.text_height]).all()


@pytest.mark.parametrize(
    ("size", "side"),
    [((1024, 1024), 1024), ((2048, 1536), 1280), ((2048, 2048), 1280), ((600, 4000), 2730)],
)
def test_read_side_spends_a_pixel_budget(size: tuple[int, int], side: int) -> None:
    assert read_side(*size, budget_side=1280) == side


def _boxes(height: float, n: int = 20) -> tuple[TextBox, ...]:
    return tuple(TextBox(40.0, 40.0 + i * 2 * height, 900.0, 40.0 + i * 2 * height + height, 0.9) for i in range(n))


def test_finer_side_only_for_lines_too_small_in_the_detector() -> None:
    page = (2480, 3508)
    # Read at 1280 (scale 0.365): 35 px boxes are 12.8 px in the detector's input -> read again larger.
    finer = finer_side(_boxes(35.0), page, (905, 1280), 1280)
    assert finer is not None and 1280 * 1.1 < finer <= 3508
    assert finer * finer * page[0] / page[1] <= MAX_DETECT_PIXELS * 1.01
    # Boxes that are already large in the input, a read at full size, or no text at all: keep it.
    assert finer_side(_boxes(60.0), page, (905, 1280), 1280) is None
    assert finer_side(_boxes(12.0), (1000, 1400), (1000, 1400), 1400) is None
    assert finer_side((), page, (905, 1280), 1280) is None


def test_a_large_page_of_small_tight_text_keeps_its_lines_apart(engine: OcrEngine) -> None:
    """A 2480 px wide page of 12 px text set 16 px apart (issue 12's benchmark: a changelog whose
    lines the detector joined in pairs at its default budget, and 41% of whose words were lost)."""
    lines = [f"Entry {i:02d}: rebuilt against the new toolchain, no changes required" for i in range(40)]
    page = render_lines(lines, 12, width=2480, height=1800, spacing=16 / 12)
    result = engine.read(page.image)
    assert len(result.text.splitlines()) == len(lines), result.text
    assert char_error_rate("\n".join(lines), result.text) <= 0.05, result.text


@pytest.mark.parametrize("turn", [Image.Transpose.ROTATE_90, Image.Transpose.ROTATE_270])
def test_a_rotated_axis_title_is_read(engine: OcrEngine, turn: Image.Transpose) -> None:
    """A chart's y-axis title runs bottom to top (ROTATE_90), a spine label top to bottom:
    both are read, next to the horizontal text (issue 12's benchmark lost 'release number')."""
    label = render_lines(["release number"], 18, width=240, height=60, left=20, top=16).image.transpose(turn)
    page = Image.new("RGB", (700, 500), "white")
    page.paste(label, (20, 120))
    draw = ImageDraw.Draw(page)
    draw.text((160, 240), "Debian releases per year", font=font(18), fill="black")
    result = engine.read(page)
    assert "release number" in result.text, result.text
    assert "Debian releases per year" in result.text, result.text


def test_long_screenshot_keeps_its_small_text(engine: OcrEngine) -> None:
    """700 x 5000 with 14 px lines: a 1280 side limit would shrink it 4x and lose the text."""
    lines = [f"Log entry {i:02d} finished without errors" for i in range(24)]
    page = render_lines(lines, 14, width=700, height=5000, spacing=14.0)
    result = engine.read(page.image)
    assert char_error_rate("\n".join(lines), result.text) <= 0.05, result.text
    assert len(result.text.splitlines()) == len(lines)


def test_cuda_runs_both_models_when_present_else_says_so() -> None:
    """device="cuda" puts detector and recogniser on the GPU where onnxruntime has CUDA; on a
    CPU-only build the first use raises the runtime's clear error instead of falling back."""
    import onnxruntime as ort

    from headroom_edge.runtime.onnx import DeviceUnavailableError, SessionOptions

    engine = OcrEngine(session_options=SessionOptions(device="cuda"))
    page = render_lines(["Graphics card reads"], 24, width=400).image
    if "CUDAExecutionProvider" not in ort.get_available_providers():
        with pytest.raises(DeviceUnavailableError):
            engine.read(page)
        return
    assert engine.read(page).text.casefold() == "graphics card reads"
    assert engine.recognizer.session.get_providers()[0] == "CUDAExecutionProvider"
