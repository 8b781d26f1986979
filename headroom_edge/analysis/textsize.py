"""The size of text, measured in its pixels: the cap height of each line the detector found.

What is measured, and why that one: **cap height in px** -- from the baseline to the top of the
capitals (and the ascenders, 3-5% taller in common fonts) of one text line. It does not depend
on whether a line happens to hold descenders (g, p, y) the way a box height does, digits and
capitals have it too (chart tick labels, table numbers), and it is the size the policy's
legibility threshold (``LEGIBLE_TEXT_PX``) is stated in. For Latin fonts the cap height is
0.66-0.73 of the font size (DejaVu Sans 0.73: 12 px text has 8.7 px capitals); for CJK, whose
ideographs have no baseline core, it reads the ideograph's height (~0.85 of the font size).

Why not the detector's box or kernel: PP-OCR's boxes are grown by a fixed unclip margin and its
kernels are 2-4 map pixels tall for small text, so both overstate small text (12 px table text
read as 22 px); and a box around a table row takes in the cell's rules. Here the detector only
says *where* the lines are; the height is read from the ink of each line at (up to)
``MEASURE_SIDE`` resolution: binarise, drop ruling lines, take the band of ink rows around the
line's centre, find its baseline (the last row still dense with ink) and its top.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CORE_SHARE = 0.4
"""A row belongs to the line's core (x-height band, or the whole of a digit) when it holds at
least this share of the densest row's ink; descender rows hold a fraction of that."""
GAP_SHARE = 0.12
"""Ink below this share of the densest row between two dense bands is the gap between lines."""
RULE_SHARE = 0.85
"""A row (column) inked over this share of its width (height) is a ruling line, not text."""
TOP_ROW_SHARE = 0.5
"""How much of the band's top row counts: on rendered DejaVu, Noto and Chromium text the band is
on average half a row taller than the capitals (ascenders overshoot them by ~4%, and
antialiasing inks a partial row above), so its top row counts half."""
MIN_CONTRAST = 48
"""Grey-level spread below which a crop holds no text to measure (blank or a smooth photo)."""
MIN_CAP_PX = 3.0
"""Bands shorter than this are rules, underlines or specks; no script has 2-px capitals."""
SMALLEST_PERCENTILE = 10.0
"""The smallest text of the image is this low percentile of its lines' cap heights: the small
text that matters (footnotes, tick labels, table cells), without one misread speck deciding."""


@dataclass(frozen=True)
class TextSize:
    """Cap heights measured on one image, in the pixels of the image they were measured on."""

    smallest: float
    """``SMALLEST_PERCENTILE`` of the line cap heights."""
    median: float
    lines: int
    """How many detected lines gave a measurement."""
    least: float
    """The smallest measured line's cap height: the bar a question that reads *every* line
    (policy row 6: an exact figure may sit in the one small line) is planned against. A speck
    read as a line only makes that plan safer (larger)."""

    def scaled(self, factor: float) -> TextSize:
        """The same measurement in other pixels (``factor`` = target px per measured px)."""
        return TextSize(self.smallest * factor, self.median * factor, self.lines, self.least * factor)


def line_cap_height(grey: np.ndarray, centre_row: int | None = None) -> float | None:
    """Cap height (px) of the text line in ``grey`` (2-D uint8, one line plus some margin), or
    None when the crop shows no measurable line. ``centre_row`` is where the detector put the
    line (default: the crop's middle row); the band is followed from there to blank rows."""
    if grey.ndim != 2 or grey.shape[0] < 3 or grey.shape[1] < 3:
        return None
    low, high = np.percentile(grey, (5, 95))
    if high - low < MIN_CONTRAST:
        return None
    dark = grey < (low + high) / 2.0
    ink = dark if np.count_nonzero(dark) * 2 <= dark.size else ~dark  # text is the minority
    ink = ink[:, ink.mean(axis=0) <= RULE_SHARE]  # vertical rules (table borders, frames)
    if ink.shape[1] < 2:
        return None
    rows = ink.sum(axis=1).astype(np.float64)
    rows[rows > RULE_SHARE * ink.shape[1]] = 0.0  # horizontal rules
    top, bottom = _band(rows, rows.shape[0] // 2 if centre_row is None else centre_row)
    if top is None or bottom is None:
        return None
    band = rows[top : bottom + 1]
    core = np.nonzero(band >= CORE_SHARE * band.max())[0]
    baseline = top + int(core[-1])
    cap = float(baseline - top) + TOP_ROW_SHARE
    return cap if cap >= MIN_CAP_PX else None


def _band(rows: np.ndarray, centre: int) -> tuple[int | None, int | None]:
    """The rows of the one line around ``centre``: start at the densest row near it, extend up
    and down to a blank row, or to the thin gap before the next line's dense band."""
    n = rows.shape[0]
    reach = max(1, n // 4)
    lo, hi = max(0, centre - reach), min(n, centre + reach + 1)
    if rows[lo:hi].max() <= 0:
        return None, None
    start = lo + int(np.argmax(rows[lo:hi]))
    peak = rows[start]
    return _edge(rows, start, -1, peak), _edge(rows, start, 1, peak)


def _edge(rows: np.ndarray, start: int, step: int, peak: float) -> int:
    """Last inked row of the band walking from ``start`` by ``step``."""
    last, gap_at = start, None
    i = start + step
    while 0 <= i < rows.shape[0]:
        value = rows[i]
        if value <= 0:
            break
        if value < GAP_SHARE * peak:
            if gap_at is None or value < rows[gap_at]:
                gap_at = i
        elif gap_at is not None and value >= CORE_SHARE * peak:
            return gap_at - step  # another line's core: the band ended at the thinnest row
        last = i
        i += step
    return last


def summarise(caps: list[float]) -> TextSize | None:
    """The image's :class:`TextSize` from its lines' cap heights (None without any)."""
    if not caps:
        return None
    values = np.asarray(caps, dtype=np.float64)
    return TextSize(
        smallest=float(np.percentile(values, SMALLEST_PERCENTILE)),
        median=float(np.median(values)),
        lines=len(caps),
        least=float(values.min()),
    )
