"""Finding a part of the image that has no fixed place: a chart's legend.

A question about "the legend" names a part that can sit in any corner, beside the plot or under
it, so the question's words alone cannot say where to crop (:mod:`headroom_edge.decision.regions`
leaves it unread). The image can: a legend is a stack (or a row) of short text lines, each with
a coloured sample of its series just to the left of its text: the line, patch or marker.

The locator reads that from the text detector's boxes and the pixels beside them, and answers
only when the evidence is unambiguous; otherwise it returns None and the image is kept whole (a
crop of the wrong part would lose the answer, and keeping costs only the saving):

* an entry is a detected line whose left neighbourhood (up to ``SWATCH_REACH`` line heights)
  holds ink that no other detected text box covers: the sample, not a word of another line;
* entries join into a legend when they are stacked with aligned left edges or sit in one row
  (``ncol`` legends), at the gaps legends use; a legend of a single row is not taken (under the
  plot it looks like the tick labels above it);
* a sample differs in colour from the entry's own letters (ink in the text colour beside a
  line is a tick mark, a spine or a bullet), and a legend needs at least ``MIN_ENTRIES`` entries
  whose samples differ from each other (a grey-scale legend of dash styles is not told from a
  list and is kept); exactly one candidate may qualify, and one whose rows show another entry out
  of reach, or that had to guess more lines than it saw, is not taken.

The box returned is the entries with their samples and a frame's worth of margin, as fractions
of the image; :meth:`headroom_edge.context.Region.padded` adds the usual crop margin on top.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from headroom_edge.context import Box

PARTS = ("legend",)
"""Parts this module can find (:meth:`headroom_edge.analysis.signals.ImageAnalyzer.locate`)."""

SWATCH_REACH = 3.5
"""How far left of a line's text its sample may start, in line heights (matplotlib's handle is
2 font sizes long plus a 0.8 font-size gap, about 2.2 box heights; spreadsheet and plotly
legends are shorter)."""
MIN_SWATCH = 0.3
"""Shortest sample, in line heights: a marker-only handle is about half a box height wide."""
INK_DIFF = 48
"""A pixel is ink when one channel differs from the entry's background by more than this."""
DISTINCT_COLOUR = 60.0
"""Two samples are different series when their mean ink colours are this far apart (RGB)."""
ROW_GAP = 4.0
"""Largest gap between two entries of one legend row, in line heights (matplotlib's column
spacing is 2 font sizes, plus the next entry's sample)."""
MIN_ENTRIES = 2
"""Fewer entries are not told from a labelled line in the plot."""
MAX_SHARE = 0.5
"""A 'legend' covering more than this share of the image is a list or a table, not a legend."""


@dataclass(frozen=True)
class LocatedPart:
    """Where a named part is, and how much evidence placed it."""

    name: str
    box: Box
    """Fractional (left, top, right, bottom), unpadded."""
    entries: int


@dataclass(frozen=True)
class _Entry:
    x0: float
    y0: float
    x1: float
    y1: float
    swatch_x0: float
    colour: tuple[float, float, float]

    @property
    def height(self) -> float:
        return self.y1 - self.y0


def locate_legend(img: Image.Image, boxes: Sequence[Any]) -> LocatedPart | None:
    """The chart legend among ``boxes`` (detector boxes in ``img`` pixels), or None when there
    is none or more than one candidate."""
    rgb = np.asarray(img.convert("RGB")).astype(np.int16)
    page = np.median(np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]]), axis=0)
    entries = [e for i, box in enumerate(boxes) if (e := _entry(rgb, box, boxes, i, page)) is not None]
    groups = [g for g in _groups(entries) if len(g) >= MIN_ENTRIES and _distinct(g)]
    if len(groups) != 1:
        return None
    group = groups[0]
    centres = [(e.y0 + e.y1) / 2 for e in group]
    if max(centres) - min(centres) < 0.5 * min(e.height for e in group):
        # A single row: a legend under the plot looks like the tick labels above it, and held-out
        # charts had such rows mistaken or cut short (scripts/bench_legend.py): kept whole instead.
        return None
    line = float(np.median([e.height for e in group]))
    left, top = min(e.swatch_x0 for e in group), min(e.y0 for e in group)
    right, bottom = max(e.x1 for e in group), max(e.y1 for e in group)
    text_x0 = min(e.x0 for e in group)
    # Lines stacked on the legend's text edge, or continuing one of its rows, belong to it even
    # where their sample was not seen (a marker hidden by a data point, a patch the detector
    # took for a letter): a crop that cuts the legend short is the harm to avoid.
    # Only a legend laid out in rows continues sideways (a column's neighbours are tick labels).
    rows = any(abs((a.y0 + a.y1) - (b.y0 + b.y1)) <= 0.8 * line for a, b in itertools.combinations(group, 2))
    grown, added = True, 0
    while grown:
        grown = False
        for box in boxes:
            height = box.y1 - box.y0
            inside = box.x0 >= left and box.x1 <= right and box.y0 >= top and box.y1 <= bottom
            if inside or not 0 < height <= 1.6 * line or height * 1.6 < line:
                continue
            stacked = abs(box.x0 - text_x0) <= line and max(box.y0, top) - min(box.y1, bottom) <= 1.2 * line
            centre = (box.y0 + box.y1) / 2
            in_row = rows and top <= centre <= bottom and max(box.x0, left) - min(box.x1, right) <= ROW_GAP * line
            if stacked or in_row:
                top, bottom = min(top, box.y0), max(bottom, box.y1)
                left, right = min(left, box.x0), max(right, box.x1)
                grown, added = True, added + 1
    if added > len(group):
        return None  # more of it guessed than seen: it ran into axis labels, not a legend
    if any(top <= (e.y0 + e.y1) / 2 <= bottom and not left <= e.x0 <= right for e in entries if e not in group):
        return None  # another entry on the legend's rows, out of reach: the row is wider than seen
    title = [box for box in boxes if box.y1 <= top + 0.2 * line and top - box.y1 <= 1.2 * line
             and box.x0 < right and box.x1 > left and 0 < box.y1 - box.y0 <= 1.6 * line]
    column = bottom - top > 1.8 * line
    if column and len(title) == 1:  # a centred title over a column of entries (over a row: the axis label)
        top, left, right = title[0].y0, min(left, title[0].x0), max(right, title[0].x1)
    pad = 0.6 * line
    left, top, right, bottom = left - pad, top - pad, right + pad, bottom + pad
    width, height = img.size
    box = (max(0.0, left / width), max(0.0, top / height), min(1.0, right / width), min(1.0, bottom / height))
    if (box[2] - box[0]) * (box[3] - box[1]) > MAX_SHARE:
        return None
    return LocatedPart("legend", box, len(group))


def _entry(rgb: np.ndarray, box: Any, boxes: Sequence[Any], index: int, page: np.ndarray) -> _Entry | None:
    """``box`` as a legend entry when a sample of ink sits just left of it, else None."""
    h = box.y1 - box.y0
    if h <= 0 or box.x1 - box.x0 < h:
        return None  # a tall, narrow box: rotated text (an axis label), not an entry
    y0, y1 = int(box.y0 + 0.15 * h), int(np.ceil(box.y1 - 0.15 * h))
    x1 = int(box.x0)
    x0 = max(0, int(box.x0 - SWATCH_REACH * h))
    if y1 <= y0 or y0 < 0 or y1 > rgb.shape[0]:
        return None
    for j, other in enumerate(boxes):
        if j != index and other.x1 > x0 and other.x0 < x1 and other.y1 > y0 and other.y0 < y1:
            if other.x1 >= x1 - MIN_SWATCH * h:
                return None  # another line's text runs up to this one: no room for a sample
            x0 = int(np.ceil(other.x1))  # look only right of the other line's text
    if x1 - x0 < MIN_SWATCH * h:
        return None
    strip = rgb[y0:y1, x0:x1]
    background = _background(rgb, box)
    ink = (np.abs(strip - background).max(axis=2) > INK_DIFF)
    columns = np.flatnonzero(ink.any(axis=0))
    if columns.size == 0:
        return None
    # The sample is the run of inked columns nearest the text (small gaps allowed: dashes).
    gap_allowed = max(2, int(0.25 * h))
    run_end = columns[-1]
    run_start = run_end
    for col in columns[::-1][1:]:
        if run_start - col > gap_allowed:
            break
        run_start = col
    if run_end - run_start + 1 < MIN_SWATCH * h or (x1 - x0) - run_end > 1.5 * h:
        return None
    pixels = strip[:, run_start:run_end + 1][ink[:, run_start:run_end + 1]]
    colour = tuple(float(v) for v in pixels.mean(axis=0))
    if np.abs(np.array(colour) - page).max() <= INK_DIFF:
        return None  # the page's own colour seen against a darker band (a tick label under a panel)
    text = _text_colour(rgb, box, background)
    if text is not None and np.sqrt(((np.array(colour) - text) ** 2).sum()) < DISTINCT_COLOUR:
        # Ink in the text's own colour beside it is a tick mark, a spine or another word, not a
        # series' sample (a grey-scale legend, drawn in the text colour, is not told from those).
        return None
    return _Entry(box.x0, box.y0, box.x1, box.y1, float(x0 + run_start), colour)  # type: ignore[arg-type]


def _text_colour(rgb: np.ndarray, box: Any, background: np.ndarray) -> np.ndarray | None:
    """The mean colour of the line's own ink (its letters), or None when it shows none."""
    y0, y1 = max(0, int(box.y0)), min(rgb.shape[0], int(np.ceil(box.y1)))
    x0, x1 = max(0, int(box.x0)), min(rgb.shape[1], int(np.ceil(box.x1)))
    inside = rgb[y0:y1, x0:x1].reshape(-1, 3)
    ink = inside[np.abs(inside - background).max(axis=1) > INK_DIFF]
    return ink.mean(axis=0) if len(ink) else None


def _background(rgb: np.ndarray, box: Any) -> np.ndarray:
    """The colour the entry is printed on: the median of the rows just above and below it."""
    h = box.y1 - box.y0
    x0, x1 = max(0, int(box.x0)), min(rgb.shape[1], int(np.ceil(box.x1)))
    rows = [int(box.y0 - 0.1 * h), int(np.ceil(box.y1 + 0.1 * h))]
    samples = [rgb[r, x0:x1] for r in rows if 0 <= r < rgb.shape[0] and x1 > x0]
    if not samples:
        return np.median(rgb.reshape(-1, 3), axis=0)
    return np.median(np.concatenate(samples), axis=0)


def _groups(entries: list[_Entry]) -> list[list[_Entry]]:
    """Entries joined where they are stacked with aligned left edges or share a row."""
    parent = list(range(len(entries)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, a in enumerate(entries):
        for j in range(i + 1, len(entries)):
            b = entries[j]
            h = max(a.height, b.height)
            if h > 1.6 * min(a.height, b.height):
                continue
            stacked = abs(a.x0 - b.x0) <= h and max(a.y0, b.y0) - min(a.y1, b.y1) <= 1.2 * h
            centre_gap = abs((a.y0 + a.y1) - (b.y0 + b.y1)) / 2
            in_row = centre_gap <= 0.4 * h and max(a.swatch_x0, b.swatch_x0) - min(a.x1, b.x1) <= ROW_GAP * h
            if stacked or in_row:
                parent[find(i)] = find(j)
    groups: dict[int, list[_Entry]] = {}
    for i, entry in enumerate(entries):
        groups.setdefault(find(i), []).append(entry)
    return list(groups.values())


def _distinct(group: list[_Entry]) -> bool:
    """Whether at least two of the group's samples are different colours (different series)."""
    colours = np.array([e.colour for e in group])
    spread = np.sqrt(((colours[:, None, :] - colours[None, :, :]) ** 2).sum(axis=2))
    return bool(spread.max() >= DISTINCT_COLOUR)
