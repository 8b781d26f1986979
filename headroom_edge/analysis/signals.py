"""Measured image signals that can change a question's technique.

All signals come from models that ship (the PP-OCR text detector from the ``rapidocr`` package)
and from plain measurements, so the default install needs nothing else:

* text presence, covered area and the height of the smallest text (the PP-OCR detector, run only
  where its answer matters, on a small tile or copy: see :class:`ImageAnalyzer`);
* document/screenshot-ness (flat colours and sharp edges, :func:`~headroom_edge.imaging.graphic_stats`);
* how much the low-detail size would destroy: downscale to it, upscale back, compare
  (:func:`~headroom_edge.imaging.detail_loss`);
* optionally SigLIP prompt scores ("a page of text", "a screenshot", ...) when that model is installed.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

from headroom_edge.imaging import GraphicStats, detail_loss, fit_size, fit_within, graphic_stats

if TYPE_CHECKING:
    from headroom_edge.analysis.siglip import SiglipScorer
    from headroom_edge.context import SourceImage

logger = logging.getLogger("headroom_edge.analysis")

QUICK_SIDE = 512
"""Long side of the copy every analysis starts from: enough to tell a photo from a document
(graphic statistics sample 256 px) and, for JPEGs, about what the low-detail rewrite decodes."""
ANALYSIS_SIDE = 1024
"""Long side of the working copy. Large enough that shrinking it to a low-detail size still
shows what is lost; produced with JPEG draft decoding and integer reduction, so it is cheap."""
TILE = 128
"""Side of the native-resolution tile the text detector reads to measure the smallest text:
big enough for ~30 px text, small enough for ~6 ms of detector time (scripts/bench_analysis.py)."""
PRESENCE_SIDE = 224
"""Long side of the whole-image copy the detector reads to answer 'is there any text?'."""


@dataclass(frozen=True)
class ImageSignals:
    text_boxes: int
    text_area: float
    """Share of the image covered by detected text, 0..1."""
    smallest_text_px: float | None
    """Height of the smallest text (low percentile) in original pixels; None without text."""
    graphic: bool
    """Flat colours and sharp edges: a document, screenshot, chart or diagram rather than a photo."""
    flat_share: float
    low_detail_loss: float | None
    """0..1: what the low-detail size destroys (0 = nothing, ~0.5 = small text turned to mush);
    None when not measured (photos, or graphics whose text size the detector measured: no policy
    row depends on it then)."""
    siglip: dict[str, float] | None
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["text_area"] = round(self.text_area, 4)
        data["flat_share"] = round(self.flat_share, 4)
        if self.low_detail_loss is not None:
            data["low_detail_loss"] = round(self.low_detail_loss, 4)
        data["seconds"] = round(self.seconds, 5)
        if self.smallest_text_px is not None:
            data["smallest_text_px"] = round(self.smallest_text_px, 1)
        return data


class ImageAnalyzer:
    """Computes :class:`ImageSignals` for one image; owned by a compressor, thread-safe.

    The detector (the expensive part) runs only where its answer can change the decision:

    * ``purpose="legibility"`` (a FULL_LOW question): on a document-like graphic, the detector
      reads the densest ``TILE`` x ``TILE`` tile of an ``ANALYSIS_SIDE`` working copy at that
      resolution to find the smallest text; only when it measures none does the blur measure
      run. Photos skip both: a general question about a photo does not depend on the size of
      text in it.
    * ``purpose="presence"`` (a TRANSCODE question): on a photo, the detector reads a
      ``PRESENCE_SIDE`` copy to tell whether there is any text at all.
    """

    def __init__(self, ocr: Any | None, siglip: SiglipScorer | None = None) -> None:
        self.ocr = ocr
        self.siglip = siglip

    def analyze(self, source: SourceImage, low_size: tuple[int, int], purpose: str = "legibility") -> ImageSignals:
        started = time.perf_counter()
        # A quick copy first: for a JPEG it is a draft decode at about the low-detail size, which
        # the full_low technique then reuses, so a photo is decoded once for analysis and rewrite.
        quick, stats = quick_look(source)
        loss: float | None = None
        boxes, area, smallest = 0, 0.0, None
        detect_on = None
        scale = 1.0  # detect_on pixels per original pixel
        img = None
        if purpose == "legibility" and stats.is_graphic:
            img = working_copy(source, ANALYSIS_SIDE)
            scale = img.width / source.size[0]
            detect_on = densest_tile(img, TILE)
        elif purpose == "presence" and not stats.is_graphic:
            detect_on = fit_within(quick, PRESENCE_SIDE, PRESENCE_SIDE)
            scale = detect_on.width / source.size[0]
        if detect_on is not None and self.ocr is not None:
            try:
                found = self.ocr.detect(detect_on, max_side=max(detect_on.size))
            except Exception as exc:  # analysis is advisory: without it the question decides alone
                logger.warning("text detection failed: %s", type(exc).__name__)
            else:
                boxes, area = len(found.boxes), found.text_area_fraction
                if found.smallest_text_height is not None:
                    smallest = found.smallest_text_height / scale
        if img is not None and smallest is None:
            # No text size measured (no text found, or no detector): fall back to how much the
            # low-detail size would blur this graphic (policy row 1's second test).
            loss_size = (max(1, round(low_size[0] * scale)), max(1, round(low_size[1] * scale)))
            loss = detail_loss(img, *loss_size) if loss_size[0] < img.width else 0.0
        scores = None
        if self.siglip is not None:
            scores = dict(self.siglip.score(quick).probabilities)
        return ImageSignals(
            text_boxes=boxes,
            text_area=area,
            smallest_text_px=smallest,
            graphic=stats.is_graphic,
            flat_share=stats.flat_share,
            low_detail_loss=loss,
            siglip=scores,
            seconds=time.perf_counter() - started,
        )


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


def densest_tile(img: Image.Image, tile: int) -> Image.Image:
    """The ``tile`` x ``tile`` crop with the most horizontal grey-level edges (text, if any)."""
    if img.width <= tile and img.height <= tile:
        return img
    grey = np.asarray(img.convert("L"), dtype=np.int16)
    edges = np.abs(np.diff(grey, axis=1))
    half = tile // 2  # score tiles on a half-tile grid so text straddling a border is found
    rows, cols = max(1, (edges.shape[0]) // half), max(1, edges.shape[1] // half)
    cells = edges[: rows * half, : cols * half].reshape(rows, half, cols, half).sum(axis=(1, 3))
    span = 2 if rows >= 2 and cols >= 2 else 1
    if span == 2:
        cells = cells[:-1, :-1] + cells[1:, :-1] + cells[:-1, 1:] + cells[1:, 1:]
    r, c = np.unravel_index(int(np.argmax(cells)), cells.shape)
    x0 = min(int(c) * half, max(0, img.width - tile))
    y0 = min(int(r) * half, max(0, img.height - tile))
    return img.crop((x0, y0, min(img.width, x0 + tile), min(img.height, y0 + tile)))
