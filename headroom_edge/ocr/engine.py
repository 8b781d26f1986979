"""Offline OCR: PP-OCR detection + CTC recognition behind one small object.

Why lazy sessions: a compressor builds its engine up front, but most requests never transcode;
opening the 30 MB of models costs ~0.3 s and ~150 MB, paid only by the first image that needs it.
Locating the files is cheap and happens at construction, so a missing install fails early with
``OcrUnavailableError`` (the compressor catches it and disables transcode).

The angle classifier is not used: the images we see are screenshots and scans of upright pages, the
classifier only decides 0 vs 180 degrees per line, and it would add a third model and ~10 ms per
batch for a case that practically does not occur.
"""

from __future__ import annotations

import math
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort
from PIL import Image

from headroom_edge.ocr.detector import DetectorParams, TextBox, TextDetector
from headroom_edge.ocr.imageprep import as_rgb
from headroom_edge.ocr.layout import group_lines
from headroom_edge.ocr.models import OcrModelFiles, OcrUnavailableError, locate_models
from headroom_edge.ocr.recognizer import (
    Recognition,
    RecognizerParams,
    TextRecognizer,
    is_vertical,
    load_charset,
)
from headroom_edge.ocr.volume import ESTIMATE_SPREAD, ReadLimits, RecognitionCost, estimate_chars
from headroom_edge.runtime.cancel import CancellableSession, checkpoint
from headroom_edge.runtime.onnx import DeviceUnavailableError, SessionOptions, create_session
from headroom_edge.tokens import text_bytes_tokens

READ_MAX_SIDE = 1280
"""Detector pixel budget for ``read``: at most READ_MAX_SIDE**2 pixels (see ``read_side``). The
detector finds text down to ~4 px in its input, so a 2048 px page keeps 7 px text; recognition
always reads crops of the original pixels."""
MIN_DETECT_LINE_PX = 16.0
"""A read whose median box is shorter than this in the detector's input is read again larger
(``finer_side``). Why: below it the gaps between tightly set lines are 1-3 px, and the detector's
map joins two lines into one box, which recognition then squeezes into garbage (a 2480x3508 page
of 12 px monospace text: boxes two lines tall, 41% of the words lost)."""
TARGET_DETECT_LINE_PX = 26.0
"""The second detection aims for median boxes this tall (a joined box shrinks to one line, about
half of it, which stays above ``MIN_DETECT_LINE_PX``)."""
MAX_DETECT_PIXELS = 6_000_000
"""Largest detector input of that second pass: 3.7x the ``READ_MAX_SIDE`` budget (the detector's
time grows with its pixels), spent only on pages of small text that would otherwise come back
garbled."""
MIN_LINE_CONFIDENCE = 0.5
"""Recognised lines below this confidence are dropped (rapidocr's ``text_score``): at that level
the 'text' is the recogniser hallucinating characters into a photo or a logo."""
HEIGHT_PERCENTILE = 10.0
"""``smallest_text_height`` is this percentile of per-box text heights: the small text that
matters, without one speck of noise deciding it."""


@dataclass(frozen=True)
class OcrLine:
    """One recognised text segment (a detector box) in reading order."""

    text: str
    confidence: float
    box: TextBox


@dataclass(frozen=True)
class OcrResult:
    """What ``OcrEngine.read`` found."""

    lines: tuple[OcrLine, ...]
    text: str
    """Lines top to bottom, segments of one line left to right joined by a space."""
    mean_confidence: float
    """Mean line confidence weighted by characters; 0.0 when nothing was read."""
    rejected_lines: int
    """Detected segments dropped as empty or below ``min_confidence`` (not in ``text``)."""
    seconds: float
    skipped: str | None = None
    """Why recognition did not run (a ``ReadLimits`` bound), None when it did."""
    skipped_for: str | None = None
    """Which bound ``skipped`` names: "tokens" (the text would cost too much) or "time"."""
    estimated_chars: int = 0
    """Characters the detector's boxes were estimated to hold (``volume.estimate_chars``)."""
    estimated_seconds: float = 0.0
    """Recognition time estimated before it ran (``RecognitionCost``)."""

    @property
    def char_count(self) -> int:
        return sum(len(line.text) for line in self.lines)


@dataclass(frozen=True)
class DetectionResult:
    """Text-presence signals from the detector alone (no recognition)."""

    boxes: tuple[TextBox, ...]
    text_area_fraction: float
    """Share of the image covered by the union of text boxes, 0..1."""
    smallest_text_height: float | None
    """Low percentile of estimated text heights in original pixels; None without text."""
    line_count: int
    """Boxes grouped into lines by vertical overlap."""
    seconds: float
    input_size: tuple[int, int]
    """(width, height) the detector network saw."""

    @property
    def has_text(self) -> bool:
        return bool(self.boxes)


def read_side(width: int, height: int, budget_side: int = READ_MAX_SIDE) -> int:
    """Detector ``max_side`` for reading: a pixel budget of ``budget_side**2``, not a side limit.

    Why: a long screenshot (1000 x 8000) limited to 1280 on its long side shrinks 6x and its text
    vanishes; limited by area it keeps 45% of its size at the cost of a 1280 x 1280 page.
    """
    long_side, short_side = max(width, height), max(1, min(width, height))
    return min(long_side, max(budget_side, budget_side * budget_side // short_side))


def finer_side(
    boxes: tuple[TextBox, ...], size: tuple[int, int], input_size: tuple[int, int], side: int,
) -> int | None:
    """A larger detector ``max_side`` for a page whose lines came out too small to keep apart,
    or None when the first detection stands (see ``MIN_DETECT_LINE_PX``).

    ``size`` is the image's, ``input_size`` what the detector read at ``side``. The retry never
    exceeds the image's own pixels or ``MAX_DETECT_PIXELS``.
    """
    if not boxes or input_size[0] >= size[0]:
        return None
    scale = input_size[0] / size[0]
    median = float(np.median([b.height for b in boxes])) * scale
    if median >= MIN_DETECT_LINE_PX:
        return None
    long_side = max(size)
    wanted = min(1.0, scale * TARGET_DETECT_LINE_PX / max(median, 1.0),
                 math.sqrt(MAX_DETECT_PIXELS / (size[0] * size[1])))
    finer = min(long_side, math.ceil(long_side * wanted))
    return finer if finer > side * 1.1 else None


def union_area_fraction(boxes: tuple[TextBox, ...], width: int, height: int) -> float:
    """Fraction of a width x height image covered by the boxes, counted once where they overlap.

    Rasterised on a grid of at most 512 cells per side: exact enough for a fraction, and cheap.
    """
    if not boxes or width <= 0 or height <= 0:
        return 0.0
    cell = max(1.0, max(width, height) / 512.0)
    gw, gh = int(np.ceil(width / cell)), int(np.ceil(height / cell))
    grid = np.zeros((gh, gw), dtype=bool)
    for b in boxes:
        x0, x1 = int(b.x0 / cell), int(np.ceil(b.x1 / cell))
        y0, y1 = int(b.y0 / cell), int(np.ceil(b.y1 / cell))
        grid[y0:y1, x0:x1] = True
    return float(np.count_nonzero(grid)) / float(gw * gh)


class OcrEngine:
    """PP-OCR text detection and recognition on PIL images.

    Thread-safe: sessions are created once under a lock owned by the instance, and onnxruntime
    sessions may run concurrently.
    """

    def __init__(
        self,
        model_dir: str | os.PathLike[str] | None = None,
        session_options: SessionOptions | None = None,
        detector_params: DetectorParams | None = None,
        recognizer_params: RecognizerParams | None = None,
        min_confidence: float = MIN_LINE_CONFIDENCE,
        read_max_side: int = READ_MAX_SIDE,
    ):
        self.files: OcrModelFiles = locate_models(model_dir)
        self.session_options = session_options or SessionOptions()
        self.detector_params = detector_params or DetectorParams()
        self.recognizer_params = recognizer_params or RecognizerParams()
        self.min_confidence = min_confidence
        self.read_max_side = read_max_side
        self._lock = threading.Lock()
        self._detector: TextDetector | None = None
        self._recognizer: TextRecognizer | None = None
        self.cost = RecognitionCost()
        """This engine's measured recognition rate, for ``ReadLimits.max_seconds``."""

    def _session(self, path: Path) -> ort.InferenceSession:
        try:
            # Cancellable: a caller that gave up also ends a detector run already under way.
            return CancellableSession(create_session(path, self.session_options))  # type: ignore[return-value]
        except DeviceUnavailableError:
            raise
        except Exception as exc:  # onnxruntime raises its own types for bad files
            raise OcrUnavailableError(f"cannot load OCR model {path}: {exc}") from exc

    @property
    def detector(self) -> TextDetector:
        if self._detector is None:
            with self._lock:
                if self._detector is None:
                    self._detector = TextDetector(
                        self._session(self.files.det), self.detector_params
                    )
        return self._detector

    @property
    def recognizer(self) -> TextRecognizer:
        if self._recognizer is None:
            with self._lock:
                if self._recognizer is None:
                    session = self._session(self.files.rec)
                    try:
                        charset = load_charset(session, self.files.dict_file)
                    except (ValueError, OSError) as exc:
                        raise OcrUnavailableError(f"OCR dictionary unusable: {exc}") from exc
                    self._recognizer = TextRecognizer(session, charset, self.recognizer_params)
        return self._recognizer

    def detect(self, img: Image.Image, max_side: int | None = None) -> DetectionResult:
        """Where text is, how much and how small, without reading it.

        ``max_side`` trades recall of small text for time (see scripts/bench_ocr.py); None uses
        ``DetectorParams.max_side``.
        """
        start = time.perf_counter()
        checkpoint()
        found = self.detector.detect(img, max_side)
        boxes = found.boxes
        heights = [b.text_height for b in boxes]
        smallest = float(np.percentile(heights, HEIGHT_PERCENTILE)) if heights else None
        return DetectionResult(
            boxes=boxes,
            text_area_fraction=union_area_fraction(boxes, img.width, img.height),
            smallest_text_height=smallest,
            line_count=len(group_lines(boxes)),
            seconds=time.perf_counter() - start,
            input_size=found.input_size,
        )

    def _other_way_round(
        self, crops: list[Image.Image], boxes: tuple[TextBox, ...], recognized: list[Recognition],
    ) -> list[Recognition]:
        """Vertical lines read again turned the other way (top to bottom); the more confident
        reading stays. Both ways, always: a line upside down still reads as confident garbage
        (0.75 on 'release number' turned the wrong way), and vertical lines are few."""
        retry = [i for i, box in enumerate(boxes) if is_vertical(box)]
        if not retry:
            return recognized
        again = self.recognizer.recognize_crops([crops[i].transpose(Image.Transpose.ROTATE_180) for i in retry])
        out = list(recognized)
        for i, rec in zip(retry, again, strict=True):
            out[i] = _pick(out[i], rec)
        return out

    def read(
        self, img: Image.Image, max_side: int | None = None, limits: ReadLimits | None = None
    ) -> OcrResult:
        """The image's text in reading order.

        ``max_side`` limits the detector input's longer side; None spends a pixel budget of
        ``read_max_side**2`` instead (see ``read_side``). ``limits`` skip recognition, after
        detection, when the text would be too long or its reading too slow (``skipped`` says
        which): the detector's tenth of the work tells whether the rest is worth doing.
        """
        start = time.perf_counter()
        rgb = as_rgb(img)
        side = max_side or read_side(rgb.width, rgb.height, self.read_max_side)
        checkpoint()  # a caller that gave up on this job stops it here, or between line batches
        found = self.detector.detect(rgb, side)
        checkpoint()
        finer = finer_side(found.boxes, rgb.size, found.input_size, side)
        if finer is not None:
            found = self.detector.detect(rgb, finer)
            checkpoint()
        recognizer = self.recognizer
        crops = recognizer.crops(rgb, found.boxes)
        columns = recognizer.columns(crops) if crops else 0
        chars = estimate_chars(found.boxes)
        expected = self.cost.estimate(columns)
        over = _over_limits(limits, chars, expected)
        if over is not None:
            return OcrResult((), "", 0.0, 0, time.perf_counter() - start, over[1], over[0], chars, expected)
        began = time.perf_counter()
        recognized = recognizer.recognize_crops(crops) if crops else []
        self.cost.observe(columns, time.perf_counter() - began)
        recognized = self._other_way_round(crops, found.boxes, recognized)
        kept: list[OcrLine] = []
        for box, rec in zip(found.boxes, recognized, strict=True):
            text = rec.text.strip()
            if text and rec.confidence >= self.min_confidence:
                kept.append(OcrLine(text, rec.confidence, box))
        groups = group_lines([line.box for line in kept])
        ordered = tuple(kept[i] for group in groups for i in group)
        text = "\n".join(" ".join(kept[i].text for i in group) for group in groups)
        chars_read = sum(len(line.text) for line in ordered)
        mean = sum(line.confidence * len(line.text) for line in ordered) / chars_read if chars_read else 0.0
        return OcrResult(
            lines=ordered,
            text=text,
            mean_confidence=mean,
            rejected_lines=len(found.boxes) - len(kept),
            seconds=time.perf_counter() - start,
            estimated_chars=chars,
            estimated_seconds=expected,
        )


def _pick(first: Recognition, second: Recognition) -> Recognition:
    return second if second.confidence > first.confidence else first


def _over_limits(limits: ReadLimits | None, chars: int, seconds: float) -> tuple[str, str] | None:
    """Which bound of ``limits`` the estimates break ("tokens" or "time", and in words); None
    when none does."""
    if limits is None:
        return None
    if limits.max_text_tokens is not None:
        tokens = text_bytes_tokens(chars)
        if tokens > limits.max_text_tokens * (1.0 + ESTIMATE_SPREAD):
            return "tokens", f"estimated text of ~{tokens} tokens exceeds {limits.max_text_tokens}"
    if limits.max_seconds is not None and seconds > limits.max_seconds:
        return "time", f"estimated recognition of {seconds:.2f} s exceeds the {limits.max_seconds:.2f} s left"
    return None
