"""CTC text-line recogniser on the PP-OCR recognition model, numpy + Pillow only.

Facts taken from the reference (rapidocr ``ch_ppocr_rec``): the input is a BGR line image scaled
to height 48 with its aspect kept, normalised to (x/255 - 0.5) / 0.5 and right-padded with zeros
to the batch width (PaddleOCR never goes below 320 px; see ``RecognizerParams.min_width``). The output
is (batch, time, classes) softmax probabilities; class 0 is the CTC blank, classes 1..N are the
model's character list (stored in the ONNX metadata under ``character``, one per line) and the last
class is a space. The int8 recogniser under ``models/ocr`` (``scripts/export_ocr_int8.py``) ends
before that softmax and says so in its metadata (``OUTPUT_KEY``): the decoder then needs the
softmax only at the few time steps that keep a character, for their confidence.

Cost model, which the batching follows: the network's time is proportional to the columns it is
fed (batch x width at height 48), padding included, so lines are sorted by scaled width and a
batch closes before its padding would exceed ``max_padding`` of its width.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort
from PIL import Image

from headroom_edge.ocr.detector import TextBox
from headroom_edge.ocr.imageprep import as_rgb
from headroom_edge.runtime.cancel import checkpoint

BLANK = 0
OUTPUT_KEY = "headroom_output"
"""ONNX metadata key of a recogniser whose output is ``"logits"`` (no final softmax)."""
WIDTH_SCALE_KEY = "width_scale"
"""ONNX metadata key: the horizontal scale the model was checked at (``RecognizerParams``)."""


@dataclass(frozen=True)
class RecognizerParams:
    """Recogniser knobs; height and minimum width are fixed by how the model was trained."""

    height: int = 48
    """Input height of models whose graph leaves it open; a model that fixes its height (the
    reference 48, the derived int8 model's 32) is fed at its own (``TextRecognizer.height``)."""
    width_scale: float | None = None
    """Horizontal scale of a line after its height is fitted; None: the model's own
    (``WIDTH_SCALE_KEY`` metadata), else 1. Time is proportional to columns, but CTC needs about
    three output steps (8 columns each) per character to keep double letters apart ("ll"):
    the height-32 model reads 'Hello' as 'Helo' unless lines are widened 1.35x."""
    min_width: int = 96
    """Narrowest batch tensor. PaddleOCR pads every batch to 320 px; on 40 rendered snippets
    (1-4 words, 14-28 px) 96 read exactly as well and ran ~20% faster, since a short word no
    longer pays for 320 px of padding."""
    max_width: int = 3200
    """Lines wider than this (aspect > 66) are squeezed rather than growing the tensor."""
    batch_size: int = 8
    """Most lines per forward pass, after sorting by scaled width."""
    max_padding: float = 0.12
    """A batch closes when the next line (in width order) is this much wider than the batch's
    first: every line is padded to the batch's widest, and a padding column costs as much as a
    text column. On a page of many full-width lines batches stay full; the short last lines of
    paragraphs no longer pay for full-width lines (the reference batches by count only)."""
    crop_margin: float = 0.0
    """Extra context around each detector box, as a fraction of its height."""
    trim_margin: float = 0.25
    """Detector crops are trimmed vertically to their ink rows plus this fraction of the ink
    height on each side (negative disables). Boxes found on a downscaled page are loose (DB's
    unclip grows a 2-4 px kernel); 14 px text in a 31 px crop lost letters ("print" -> "prn")
    and read exactly once trimmed."""


@dataclass(frozen=True)
class Recognition:
    """One decoded line; ``confidence`` is the mean top probability of the kept characters."""

    text: str
    confidence: float


def load_charset(session: ort.InferenceSession, dict_file: Path | None = None) -> tuple[str, ...]:
    """The class -> character table: blank, the model's characters, then a space.

    Why the metadata first: PP-OCR ONNX exports embed their dictionary, so the table always
    matches the model; a sidecar file is only a fallback for exports that lack it.
    """
    meta = session.get_modelmeta().custom_metadata_map
    if "character" in meta:
        chars = meta["character"].splitlines()
    elif dict_file is not None:
        chars = dict_file.read_text(encoding="utf-8").splitlines()
    else:
        raise ValueError("recognition model has no 'character' metadata and no dictionary file")
    table = ("",) + tuple(chars) + (" ",)
    classes = session.get_outputs()[0].shape[-1]
    if isinstance(classes, int) and classes != len(table):
        raise ValueError(f"dictionary has {len(table)} classes but the model outputs {classes}")
    return table


def ctc_greedy_decode(
    scores: np.ndarray, charset: Sequence[str], logits: bool = False
) -> list[Recognition]:
    """Best-path CTC decoding of (batch, time, classes) probabilities, or logits.

    Repeated classes collapse and blanks are dropped; confidence is the mean max-probability of
    the kept time steps (0.0 for an empty line), as PaddleOCR reports it. With ``logits`` the
    arg-max is the same, and the max-probability ``1 / sum(exp(l - max l))`` is computed for the
    kept steps only (a few percent of the steps x 18,710 classes).
    """
    best = scores.argmax(axis=2)
    keep = best != BLANK
    keep[:, 1:] &= best[:, 1:] != best[:, :-1]
    rows, steps = np.nonzero(keep)
    kept = scores[rows, steps]  # (kept steps, classes)
    if logits:
        top = 1.0 / np.exp(kept - kept.max(axis=1, keepdims=True)).sum(axis=1)
    else:
        top = kept[np.arange(kept.shape[0]), best[rows, steps]]
    out: list[Recognition] = []
    bounds = np.searchsorted(rows, np.arange(best.shape[0] + 1))
    for row in range(best.shape[0]):
        lo, hi = int(bounds[row]), int(bounds[row + 1])
        idx = best[row, steps[lo:hi]]
        text = "".join(charset[i] for i in idx.tolist())
        conf = float(top[lo:hi].mean()) if hi > lo else 0.0
        out.append(Recognition(text, conf))
    return out


VERTICAL_ASPECT = 2.5
"""A detector box this many times taller than wide holds a line of rotated text (a chart's
y-axis title, a spine label): it is turned upright before recognition (``is_vertical``)."""
MIN_VERTICAL_WIDTH = 8.0
"""Narrower tall boxes are rules or single glyph columns, not a rotated line."""


def is_vertical(box: TextBox) -> bool:
    """Whether ``box`` holds a rotated line (see ``VERTICAL_ASPECT``)."""
    return box.width >= MIN_VERTICAL_WIDTH and box.height >= VERTICAL_ASPECT * box.width


def crop_text_box(img: Image.Image, box: TextBox, margin: float = 0.0) -> Image.Image:
    """The box's pixels from the original image (rounded outwards, clipped to the image)."""
    pad = margin * box.height
    x0 = max(0, math.floor(box.x0 - pad))
    y0 = max(0, math.floor(box.y0 - pad))
    x1 = min(img.width, math.ceil(box.x1 + pad))
    y1 = min(img.height, math.ceil(box.y1 + pad))
    return img.crop((x0, y0, max(x1, x0 + 1), max(y1, y0 + 1)))


def trim_rows(crop: Image.Image, margin: float) -> Image.Image:
    """The crop without blank rows beyond ``margin`` x ink height above and below the ink.

    A row holds ink when its grey range reaches half of the crop's; on textured backgrounds
    every row does, and the crop is returned unchanged.
    """
    if margin < 0 or crop.height < 4:
        return crop
    grey = np.asarray(crop.convert("L"), dtype=np.int16)
    spread = int(grey.max()) - int(grey.min())
    if spread < 32:
        return crop
    ink = np.flatnonzero(grey.max(axis=1) - grey.min(axis=1) >= spread // 2)
    if ink.size == 0:
        return crop
    keep = max(2, math.ceil(margin * (ink[-1] - ink[0] + 1)))
    top = max(0, int(ink[0]) - keep)
    bottom = min(crop.height, int(ink[-1]) + 1 + keep)
    if top == 0 and bottom == crop.height:
        return crop
    return crop.crop((0, top, crop.width, bottom))


class TextRecognizer:
    """Runs the CTC recogniser session over line crops, batching lines of similar aspect."""

    def __init__(
        self,
        session: ort.InferenceSession,
        charset: Sequence[str],
        params: RecognizerParams | None = None,
    ):
        self.session = session
        self.charset = tuple(charset)
        self.params = params or RecognizerParams()
        self._input = session.get_inputs()[0].name
        self._output = session.get_outputs()[0].name
        fixed = session.get_inputs()[0].shape[2]
        self.height = fixed if isinstance(fixed, int) and fixed > 0 else self.params.height
        meta = session.get_modelmeta().custom_metadata_map
        self.logits = meta.get(OUTPUT_KEY) == "logits"
        own = float(meta.get(WIDTH_SCALE_KEY, 1.0))
        self.width_scale = own if self.params.width_scale is None else self.params.width_scale

    def _scaled_width(self, crop: Image.Image) -> int:
        scale = self.height * self.width_scale / max(1, crop.height)
        return max(1, math.ceil(crop.width * scale))

    def _batch_width(self, crops: Sequence[Image.Image]) -> int:
        p = self.params
        width = min(p.max_width, max(p.min_width, max(self._scaled_width(c) for c in crops)))
        return int(math.ceil(width / 8) * 8)

    def columns(self, crops: Sequence[Image.Image]) -> int:
        """Input columns (lines x batch width, padding included) reading ``crops`` will feed the
        network: what its time is proportional to (see ``headroom_edge.ocr.volume``)."""
        return sum(len(chunk) * self._batch_width([crops[i] for i in chunk]) for chunk in self.batches(crops))

    def _batch_tensor(self, crops: Sequence[Image.Image]) -> np.ndarray:
        widths = [self._scaled_width(c) for c in crops]
        width = self._batch_width(crops)
        batch = np.zeros((len(crops), 3, self.height, width), dtype=np.float32)
        for i, (crop, w) in enumerate(zip(crops, widths, strict=True)):
            w = min(w, width)
            line = as_rgb(crop).resize((w, self.height), Image.Resampling.BILINEAR)
            arr = np.asarray(line, dtype=np.float32)[:, :, ::-1]  # RGB -> BGR
            batch[i, :, :, :w] = arr.transpose(2, 0, 1) * (2.0 / 255.0) - 1.0
        return batch

    def batches(self, crops: Sequence[Image.Image]) -> list[list[int]]:
        """Crop indices grouped into forward passes: width order, bounded padding (see
        ``RecognizerParams.max_padding``), at most ``batch_size`` each."""
        p = self.params
        widths = [max(p.min_width, min(p.max_width, self._scaled_width(c))) for c in crops]
        groups: list[list[int]] = []
        for i in sorted(range(len(crops)), key=widths.__getitem__):
            group = groups[-1] if groups else None
            if (group is None or len(group) >= max(1, p.batch_size)
                    or widths[i] > widths[group[0]] * (1.0 + p.max_padding)):
                groups.append([i])
            else:
                group.append(i)
        return groups

    def recognize_crops(self, crops: Sequence[Image.Image]) -> list[Recognition]:
        """Read line images; results keep the input order."""
        results: list[Recognition] = [Recognition("", 0.0)] * len(crops)
        for chunk in self.batches(crops):
            checkpoint()  # between batches: an abandoned job stops (headroom_edge.runtime.cancel)
            tensor = self._batch_tensor([crops[i] for i in chunk])
            scores = self.session.run([self._output], {self._input: tensor})[0]
            decoded = ctc_greedy_decode(scores, self.charset, logits=self.logits)
            for i, rec in zip(chunk, decoded, strict=True):
                results[i] = rec
        return results

    def crops(self, img: Image.Image, boxes: Sequence[TextBox]) -> list[Image.Image]:
        """The line images of ``boxes``, cut from ``img`` (original-resolution pixels).

        A vertical box (``is_vertical``) is turned a quarter clockwise, which sets upright text
        that runs bottom to top (the usual y-axis title); the engine also reads it the other way
        round and keeps the more confident reading.
        """
        rgb = as_rgb(img)
        margin = self.params.trim_margin
        out = []
        for b in boxes:
            crop = crop_text_box(rgb, b, self.params.crop_margin)
            if is_vertical(b):
                crop = crop.transpose(Image.Transpose.ROTATE_270)
            out.append(trim_rows(crop, margin))
        return out

    def recognize(self, img: Image.Image, boxes: Sequence[TextBox]) -> list[Recognition]:
        """Read each detector box of ``img`` (original-resolution pixels)."""
        return self.recognize_crops(self.crops(img, boxes))
