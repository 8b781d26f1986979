"""Measured image signals that can change a question's technique.

All signals come from models that ship (the PP-OCR text detector from the ``rapidocr`` package)
and from plain measurements, so the default install needs nothing else:

* text presence, covered area and the cap height of the smallest text (the PP-OCR detector finds
  the lines, run only where its answer matters; :mod:`~headroom_edge.analysis.textsize` reads each
  line's height from its pixels: see :class:`ImageAnalyzer`);
* document/screenshot-ness (flat colours and sharp edges, :func:`~headroom_edge.imaging.graphic_stats`);
* how much the low-detail size would destroy: downscale to it, upscale back, compare
  (:func:`~headroom_edge.imaging.detail_loss`);
* optionally SigLIP prompt scores ("a page of text", "a screenshot", ...) when that model is installed.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

from headroom_edge.analysis.parts import PARTS, LocatedPart, locate_legend
from headroom_edge.analysis.textsize import TextSize, line_cap_height, summarise
from headroom_edge.imaging import GraphicStats, detail_loss, fit_size, fit_within, graphic_stats

if TYPE_CHECKING:
    from headroom_edge.analysis.siglip import SiglipScorer
    from headroom_edge.context import SourceImage

logger = logging.getLogger("headroom_edge.analysis")

QUICK_SIDE = 512
"""Long side of the copy every analysis starts from: enough to tell a photo from a document
(graphic statistics sample 256 px) and, for JPEGs, about what the low-detail rewrite decodes."""
ANALYSIS_SIDE = 1024
"""Long side of the working copy the blur measure compares at (when no text size was measured).
Produced with JPEG draft decoding and integer reduction, so it is cheap."""
MEASURE_SIDE = 2048
"""Long side of the copy whose pixels the line heights are read from: the original for every
image up to 2048 px, so small text is measured in the pixels it was drawn in."""
DETECT_SHARE_OF_VIEW = 0.5
"""The detector reads the image at half the size the provider's model sees it (its view of the
original). It finds lines down to ~4 px font in its input, so every line the model could read
at all (>= ``LEGIBLE_TEXT_PX`` cap height, ~11 px font, in its view) is found; text it misses
is illegible to the model even untouched, and no technique can change that."""
MIN_DETECT_SIDE = 384
MAX_DETECT_SIDE = 768
"""The detector's cost grows with the square of its side (scripts/bench_fit.py times whole
requests): 768 covers half of every provider's view of a page but Gemini 2's full-pixel tiles
and Claude's 1568 px, where it is 0.44-0.49 of the view instead of 0.5."""
LOCATE_SIDE = 1280
"""Long side of the copy a part ("the legend") is located on: legend entries are set in the
chart's smallest font, which must stay a line of its own in the detector's input."""
PRESENCE_SIDE = 224
"""Long side of the whole-image copy the detector reads to answer 'is there any text?'."""


def detect_side(view_size: tuple[int, int] | None) -> int:
    """Detector ``max_side`` for a legibility measurement, from the model's view of the image."""
    if view_size is None:
        return MAX_DETECT_SIDE
    side = math.ceil(DETECT_SHARE_OF_VIEW * max(view_size))
    return max(MIN_DETECT_SIDE, min(MAX_DETECT_SIDE, side))


@dataclass(frozen=True)
class ImageSignals:
    text_boxes: int
    text_area: float
    """Share of the image covered by detected text, 0..1."""
    smallest_text_px: float | None
    """Cap height of the smallest text in original pixels (the ``SMALLEST_PERCENTILE`` of the
    measured lines, :mod:`~headroom_edge.analysis.textsize`); None when no line was measured."""
    graphic: bool
    """Flat colours and sharp edges: a document, screenshot, chart or diagram rather than a photo."""
    flat_share: float
    low_detail_loss: float | None
    """0..1: what the low-detail view destroys (0 = nothing, ~0.5 = small text turned to mush;
    measured at ``low_size``, which the policy passes as what the model resolves of the low plan);
    None when not measured (photos, or graphics whose text size the detector measured: no policy
    row depends on it then)."""
    siglip: dict[str, float] | None
    seconds: float
    text_lines: int = 0
    """Detected lines whose cap height was measured (what ``smallest_text_px`` summarises)."""
    least_text_px: float | None = None
    """Cap height of the smallest measured line in original pixels (no percentile): what a
    question that reads every line is planned against (policy row 6). None when no line was
    measured."""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["text_area"] = round(self.text_area, 4)
        data["flat_share"] = round(self.flat_share, 4)
        if self.low_detail_loss is not None:
            data["low_detail_loss"] = round(self.low_detail_loss, 4)
        data["seconds"] = round(self.seconds, 5)
        if self.smallest_text_px is not None:
            data["smallest_text_px"] = round(self.smallest_text_px, 1)
        if self.least_text_px is not None:
            data["least_text_px"] = round(self.least_text_px, 1)
        return data


class ImageAnalyzer:
    """Computes :class:`ImageSignals` for one image; owned by a compressor, thread-safe.

    The detector (the expensive part) runs only where its answer can change the decision:

    * ``purpose="legibility"`` (a FULL_LOW question): on a document-like graphic, the detector
      finds the lines on the whole image at :func:`detect_side` of the model's view (``view_size``)
      and each line's cap height is read from a ``MEASURE_SIDE`` copy
      (:func:`measure_text`); only when no line is measured does the blur measure run. Photos
      skip both: a general question about a photo does not depend on the size of text in it.
    * ``purpose="presence"`` (a TRANSCODE question): on a photo, the detector reads a
      ``PRESENCE_SIDE`` copy to tell whether there is any text at all.

    The text size measured is also kept on the source (``SourceImage.text_cap_px``), so the FIT
    technique plans with the very measurement the policy judged.
    """

    def __init__(self, ocr: Any | None, siglip: SiglipScorer | None = None) -> None:
        self.ocr = ocr
        self.siglip = siglip

    def analyze(self, source: SourceImage, low_size: tuple[int, int], purpose: str = "legibility",
                view_size: tuple[int, int] | None = None) -> ImageSignals:
        started = time.perf_counter()
        # A quick copy first: for a JPEG it is a draft decode at about the low-detail size, which
        # the full_low technique then reuses, so a photo is decoded once for analysis and rewrite.
        quick, stats = quick_look(source)
        loss: float | None = None
        boxes, area, size = 0, 0.0, None
        if purpose == "legibility" and stats.is_graphic:
            if self.ocr is not None:
                boxes, area, size = measure_text(source, self.ocr, view_size)
            if size is None:
                # No text size measured (no text found, or no detector): fall back to how much
                # the low-detail size would blur this graphic (policy row 1's second test).
                img = working_copy(source, ANALYSIS_SIDE)
                scale = img.width / source.size[0]
                loss_size = (max(1, round(low_size[0] * scale)), max(1, round(low_size[1] * scale)))
                loss = detail_loss(img, *loss_size) if loss_size[0] < img.width else 0.0
        elif purpose == "presence" and not stats.is_graphic and self.ocr is not None:
            detect_on = fit_within(quick, PRESENCE_SIDE, PRESENCE_SIDE)
            found = _detect(self.ocr, detect_on, max(detect_on.size))
            if found is not None:
                boxes, area = len(found.boxes), found.text_area_fraction
        scores = None
        if self.siglip is not None:
            scores = dict(self.siglip.score(quick).probabilities)
        return ImageSignals(
            text_boxes=boxes,
            text_area=area,
            smallest_text_px=None if size is None else size.smallest,
            graphic=stats.is_graphic,
            flat_share=stats.flat_share,
            low_detail_loss=loss,
            siglip=scores,
            seconds=time.perf_counter() - started,
            text_lines=0 if size is None else size.lines,
            least_text_px=None if size is None else size.least,
        )


    def locate(self, source: SourceImage, part: str) -> LocatedPart | None:
        """Where ``part`` (one of :data:`~headroom_edge.analysis.parts.PARTS`) is in the image,
        or None when it is not found unambiguously or no detector is installed. The detector
        reads a ``LOCATE_SIDE`` copy: legend text is small, and a part it misses is kept whole."""
        if self.ocr is None or part not in PARTS:
            return None
        img = working_copy(source, LOCATE_SIDE)
        found = _detect(self.ocr, img, max(img.size))
        return None if found is None else locate_legend(img, found.boxes)


def measure_text(source: SourceImage, ocr: Any, view_size: tuple[int, int] | None = None,
                 ) -> tuple[int, float, TextSize | None]:
    """(detected lines, text area share, cap heights in original px) of ``source``.

    The detector reads the image at :func:`detect_side` (it shrinks the copy itself); each box's
    cap height is read from the ``MEASURE_SIDE`` copy's pixels. The result is remembered on the
    source (``text_cap_px``), where the FIT technique reads it.
    """
    img = working_copy(source, MEASURE_SIDE)
    found = _detect(ocr, img, detect_side(view_size))
    if found is None:
        return 0, 0.0, None
    grey = np.asarray(img.convert("L"))
    caps = []
    for box in found.boxes:
        y0, y1 = max(0, int(box.y0)), min(grey.shape[0], math.ceil(box.y1))
        x0, x1 = max(0, int(box.x0)), min(grey.shape[1], math.ceil(box.x1))
        cap = line_cap_height(grey[y0:y1, x0:x1])
        if cap is not None:
            caps.append(cap)
    measured = summarise(caps)
    size = None if measured is None else measured.scaled(source.size[0] / img.width)
    source.text_cap_px = None if size is None else size.smallest
    source.text_least_px = None if size is None else size.least
    source.text_measured = True
    return len(found.boxes), found.text_area_fraction, size


def _detect(ocr: Any, img: Image.Image, side: int) -> Any | None:
    try:
        return ocr.detect(img, max_side=side)
    except Exception as exc:  # analysis is advisory: without it the question decides alone
        logger.warning("text detection failed: %s", type(exc).__name__)
        return None

def quick_look(source: SourceImage) -> tuple[Image.Image, GraphicStats]:
    """The quick copy every analysis starts from and its graphic statistics, measured once per
    source (:meth:`SourceImage.remember`): the pipeline's helper thread takes this look while
    the router runs, and the analysis then finds it done (headroom_edge.overlap)."""

    def look() -> tuple[Image.Image, GraphicStats]:
        quick = working_copy(source, QUICK_SIDE)
        return quick, graphic_stats(quick)

    return source.remember("quick_look", look)


def working_copy(source: SourceImage, side: int) -> Image.Image:
    """The image with its long side at most ``side``: JPEG draft, then integer reduction, then
    one bilinear step. Quality is secondary here; speed and keeping small text visible are not."""
    target = fit_size(*source.size, side, side)
    img = source.pixels(min_size=target)
    factor = min(img.width // target[0], img.height // target[1])
    if factor >= 2:
        img = img.reduce(factor)
    if img.size != target and (img.width > target[0] or img.height > target[1]):
        img = img.resize(target, Image.Resampling.BILINEAR)
    return img
