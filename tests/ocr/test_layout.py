"""Reading order of detector boxes: lines by vertical overlap, left to right within a line."""

from __future__ import annotations

from headroom_edge.ocr.detector import TextBox
from headroom_edge.ocr.layout import group_lines


def box(x0: float, y0: float, x1: float, y1: float) -> TextBox:
    return TextBox(x0, y0, x1, y1, 0.9)


def test_two_columns_pair_up_by_row() -> None:
    boxes = [
        box(400, 102, 460, 126),
        box(40, 100, 200, 124),
        box(40, 140, 180, 164),
        box(400, 141, 470, 165),
        box(40, 20, 300, 50),
    ]
    assert group_lines(boxes) == [[4], [1, 0], [2, 3]]


def test_slight_baseline_drift_stays_one_line() -> None:
    boxes = [box(10, 100, 100, 120), box(110, 104, 200, 124), box(210, 108, 300, 128)]
    assert group_lines(boxes) == [[0, 1, 2]]


def test_close_lines_of_small_text_are_separate() -> None:
    boxes = [box(10, 10, 300, 24), box(10, 22, 300, 36), box(10, 34, 300, 48)]
    assert group_lines(boxes) == [[0], [1], [2]]


def test_tall_heading_does_not_swallow_the_next_line() -> None:
    boxes = [box(10, 0, 400, 60), box(420, 20, 500, 40), box(10, 58, 300, 78)]
    lines = group_lines(boxes)
    assert lines[0] == [0, 1]
    assert lines[1] == [2]


def test_empty() -> None:
    assert group_lines([]) == []
