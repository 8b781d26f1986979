"""The DB text detector on rendered text and on images without text."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from headroom_edge.ocr import OcrEngine, TextBox
from headroom_edge.ocr.detector import (
    DetectorParams,
    TextDetector,
    boxes_from_map,
    edge_density,
    input_size,
    scaled_size,
)
from tests.ocr.render import iou, render_lines

LINES = [
    "Quarterly report for the northern region",
    "Sales rose 12% while costs fell by 3%",
    "Contact: ops@example.org, +44 20 7946 0000",
    "Next review scheduled for 14 March 2025",
]


@pytest.fixture(scope="module")
def detector(engine: OcrEngine) -> TextDetector:
    return engine.detector


def as_tuple(b: TextBox) -> tuple[float, float, float, float]:
    return (b.x0, b.y0, b.x1, b.y1)


@pytest.mark.parametrize(
    ("w", "h", "max_side", "scaled", "padded"),
    [
        (1024, 1024, 960, (960, 960), (960, 960)),
        (2000, 1000, 640, (640, 320), (640, 320)),
        (1000, 1300, 960, (738, 960), (768, 960)),
        (160, 48, 960, (160, 48), (160, 64)),  # small images are padded, never enlarged
        (10, 5, 960, (10, 5), (32, 32)),
    ],
)
def test_input_geometry(w: int, h: int, max_side: int, scaled: tuple, padded: tuple) -> None:
    assert scaled_size(w, h, max_side) == scaled
    assert input_size(w, h, max_side) == padded


@pytest.mark.parametrize("size", [16, 24, 32])
def test_boxes_cover_each_rendered_line(detector: TextDetector, size: int) -> None:
    page = render_lines(LINES, size, width=1024)
    found = detector.detect(page.image)
    for truth in page.boxes:
        assert max(iou(truth, as_tuple(b)) for b in found.boxes) >= 0.5, truth
    for b in found.boxes:  # no box off the text
        assert max(iou(as_tuple(b), truth) for truth in page.boxes) > 0.1
    assert all(0.6 <= b.score <= 1.0 for b in found.boxes)


def test_boxes_are_in_original_pixels_after_downscaling(detector: TextDetector) -> None:
    page = render_lines(LINES, 56, width=2400, left=120, top=90)
    found = detector.detect(page.image, max_side=640)
    assert found.input_size[0] == 640
    for truth in page.boxes:
        assert max(iou(truth, as_tuple(b)) for b in found.boxes) >= 0.5, truth


def test_text_height_tracks_font_size(detector: TextDetector) -> None:
    small = detector.detect(render_lines(LINES, 12, width=1024).image)
    large = detector.detect(render_lines(LINES, 40, width=1400).image)
    small_h = np.median([b.text_height for b in small.boxes])
    large_h = np.median([b.text_height for b in large.boxes])
    assert 8 <= small_h <= 17, small_h
    assert 30 <= large_h <= 52, large_h


def test_padded_small_image_keeps_geometry(detector: TextDetector) -> None:
    button = render_lines(["Submit"], 30, width=160, height=48, left=20, top=6)
    found = detector.detect(button.image)
    assert found.input_size == (160, 64)
    assert len(found.boxes) == 1
    (box,) = found.boxes
    x0, y0, x1, y1 = button.boxes[0]
    # DB's unclip is generous for a short word; the box must hold the glyphs and stay inside.
    assert box.x0 <= x0 and box.y0 <= y0 and box.x1 >= x1 and box.y1 >= y1
    assert iou(button.boxes[0], as_tuple(box)) >= 0.4
    assert 0 <= box.y0 < box.y1 <= 48
    assert 22 <= box.text_height <= 42


def test_blank_page_has_no_boxes(detector: TextDetector) -> None:
    assert detector.detect(Image.new("RGB", (800, 600), "white")).boxes == ()


def test_smooth_gradient_has_no_boxes(detector: TextDetector) -> None:
    """The raw model fires on a full-image gradient; the plausibility tests must drop it."""
    gradient = Image.linear_gradient("L").resize((800, 600)).convert("RGB")
    for side in (960, 320):
        assert detector.detect(gradient, max_side=side).boxes == ()


def synthetic_map(h: int = 100, w: int = 200) -> np.ndarray:
    prob = np.zeros((h, w), dtype=np.float32)
    prob[40:50, 50:150] = 0.9
    return prob


def test_unclip_grows_the_kernel_like_db() -> None:
    params = DetectorParams(dilate=False)
    (box,) = boxes_from_map(synthetic_map(), params, src_width=400, src_height=200)
    grow = 100 * 10 * params.unclip_ratio / (2 * (100 + 10))  # area * ratio / perimeter
    assert box.x0 == pytest.approx((50 - grow) * 2)
    assert box.x1 == pytest.approx((150 + grow) * 2)
    assert box.y0 == pytest.approx((40 - grow) * 2)
    assert box.y1 == pytest.approx((50 + grow) * 2)
    assert box.score == pytest.approx(0.9)


def test_weak_and_tiny_components_are_dropped() -> None:
    prob = synthetic_map() * (0.5 / 0.9)  # above the pixel threshold, below box_thresh
    assert boxes_from_map(prob, DetectorParams(), 200, 100) == []
    speck = np.zeros((100, 200), dtype=np.float32)
    speck[10, 10] = 0.99
    assert boxes_from_map(speck, DetectorParams(dilate=False), 200, 100) == []


def test_kernel_taller_than_the_image_is_dropped() -> None:
    prob = np.zeros((100, 200), dtype=np.float32)
    prob[5:95, 20:180] = 0.95  # a 'line' whose text would be ~240 px tall in a 100 px image
    assert boxes_from_map(prob, DetectorParams(), 200, 100) == []


def test_edge_density_separates_text_from_flat_regions() -> None:
    prob = synthetic_map()
    flat = np.full((100, 200), 128, dtype=np.uint8)
    flat[:, :100] = 60  # one step, then flat: not text
    stripes = np.full((100, 200), 230, dtype=np.uint8)
    stripes[:, ::3] = 20  # alternating ink and paper, like strokes
    assert boxes_from_map(prob, DetectorParams(), 200, 100, grey=flat) == []
    assert len(boxes_from_map(prob, DetectorParams(), 200, 100, grey=stripes)) == 1
    assert edge_density(np.full((5, 5), 7, dtype=np.uint8)) == 0.0
