"""Reading order: grouping detector boxes into text lines.

Why vertical overlap and not a fixed pixel tolerance (rapidocr sorts with a 10 px threshold): the
same tolerance is too loose for 10 px text and too tight for 60 px headings. Two boxes share a line
when their vertical extents overlap by at least half of the shorter one; lines are then read
top-to-bottom and boxes left-to-right within a line, which keeps label/value pairs of receipts and
forms together.
"""

from __future__ import annotations

from collections.abc import Sequence

from headroom_edge.ocr.detector import TextBox

MIN_OVERLAP = 0.5
"""Fraction of the shorter box's height two boxes must share vertically to be on one line."""


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def group_lines(boxes: Sequence[TextBox], min_overlap: float = MIN_OVERLAP) -> list[list[int]]:
    """Indices of ``boxes`` grouped into lines, in reading order.

    Boxes are visited by vertical centre; each joins the open line it overlaps most (when the
    overlap is at least ``min_overlap`` of the shorter height), else starts a new line. A line's
    extent is the running mean of its members' extents rather than their union, so one tall box
    does not make the line swallow the next one.
    """
    order = sorted(range(len(boxes)), key=lambda i: (boxes[i].y0 + boxes[i].y1) / 2)
    lines: list[list[int]] = []
    extents: list[tuple[float, float]] = []
    for i in order:
        b = boxes[i]
        best, best_share = -1, 0.0
        # Only the last few lines can overlap a box visited in centre order.
        for j in range(max(0, len(lines) - 3), len(lines)):
            y0, y1 = extents[j]
            shorter = min(b.height, y1 - y0)
            if shorter <= 0:
                continue
            share = _overlap(b.y0, b.y1, y0, y1) / shorter
            if share >= min_overlap and share > best_share:
                best, best_share = j, share
        if best < 0:
            lines.append([i])
            extents.append((b.y0, b.y1))
        else:
            lines[best].append(i)
            y0, y1 = extents[best]
            n = len(lines[best])
            extents[best] = (y0 + (b.y0 - y0) / n, y1 + (b.y1 - y1) / n)
    for line in lines:
        line.sort(key=lambda i: boxes[i].x0)
    lines.sort(key=lambda line: min(boxes[i].y0 for i in line) + max(boxes[i].y1 for i in line))
    return lines
