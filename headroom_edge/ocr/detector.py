"""DB (differentiable binarisation) text detector on the PP-OCR detection model, numpy only.

Why no cv2/shapely/pyclipper: we ship only numpy, Pillow and onnxruntime. PP-OCR's reference
post-processing finds contours, fits rotated rectangles and offsets polygons; for upright documents
and screenshots axis-aligned boxes carry the same information, so this module labels connected
components of the binarised probability map (run-length encoding + vectorised union-find), takes
each component's bounding box and grows it by DB's unclip distance ``area * ratio / perimeter``.

Pre-processing follows the reference pipeline: the longer side is limited to ``max_side``, both
sides are padded to multiples of 32 (the network downsamples 32x), pixels are fed in BGR order
(the reference loads images with cv2) and normalised with ImageNet mean/std (see
``DetectorParams.mean``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import onnxruntime as ort
from PIL import Image

from headroom_edge.ocr.components import connected_components, dilate_2x2
from headroom_edge.ocr.imageprep import as_rgb


@dataclass(frozen=True)
class TextBox:
    """An axis-aligned text region in original image pixels (x1/y1 exclusive)."""

    x0: float
    y0: float
    x1: float
    y1: float
    score: float
    """Mean text probability inside the region, 0..1."""
    text_height: float = 0.0
    """Estimated text size (font pixels, original coordinates) from the thickness of the DB
    kernel; finer than ``height`` at small detector inputs, where the box is dominated by the
    fixed growth of a 2-4 pixel kernel (see ``text_height_from_kernel``)."""

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def area(self) -> float:
        return max(0.0, self.width) * max(0.0, self.height)


@dataclass(frozen=True)
class DetectorParams:
    """Detector knobs; defaults are PP-OCR's reference values except ``max_side``.

    ``max_side`` 960 is PaddleOCR's classic ``limit_side_len`` with ``limit_type=max``: large
    enough that 8 px text on a 1024 px page survives, ~0.22 s on 2 cores (scripts/bench_ocr.py).
    Text needs ~4 px in the detector input to be found as a line of its own.
    """

    max_side: int = 960
    thresh: float = 0.3
    """Probability above which a map pixel counts as text (reference 0.3)."""
    box_thresh: float = 0.6
    """Minimum box score (PaddleOCR's 0.6). The score is the mean probability over the
    component's own above-threshold pixels, not over its whole rectangle: PP-OCRv6 kernels of
    small text are 2-4 map pixels tall, and a rectangle mean is dominated by their soft edges
    (12 px text scored 0.39-0.49 that way and was dropped)."""
    unclip_ratio: float = 1.6
    """DB grows the shrunk text kernel by ``area * ratio / perimeter`` (rapidocr 1.6)."""
    min_size: float = 2.0
    """Components whose short side (after dilation) is below this many map pixels are noise;
    2 rather than the reference 3 keeps 12 px text at small ``max_side``."""
    dilate: bool = True
    """2x2 dilation of the binary map before labelling, as the reference ``use_dilation``."""
    max_candidates: int = 1000
    mean: tuple[float, float, float] = (0.485, 0.456, 0.406)
    std: tuple[float, float, float] = (0.229, 0.224, 0.225)
    """ImageNet statistics in RGB order (applied to the matching BGR channels). rapidocr's
    config.yaml says 0.5/0.5, but on rendered pages ImageNet statistics give clearly higher box
    scores at 640 px and below (0.5/0.5 fragments 12-16 px lines there); PaddleOCR's own
    detector configs use ImageNet statistics."""
    max_text_height_ratio: float = 1.0
    """Drop a component whose kernel implies text taller than this share of the input height.
    The model also fires on large smooth objects (a cup, a horse, a logo, a full-image gradient);
    their 'kernels' imply text taller than the image itself, which no real line is."""
    min_edge_density: float = 0.01
    """Drop a box whose mean horizontal grey-level step is below this share of its grey range:
    text alternates ink and paper, a gradient or a smooth surface does not (gradients measure
    <= 0.005, the flattest real text seen, 160 px letters, 0.016)."""


def scaled_size(width: int, height: int, max_side: int) -> tuple[int, int]:
    """The image size the network sees before padding: longer side at most ``max_side``.

    Small images are not enlarged: upscaling adds no information and costs time.
    """
    ratio = min(1.0, max_side / max(width, height))
    return max(1, round(width * ratio)), max(1, round(height * ratio))


def _pad32(side: int) -> int:
    return max(32, -(-side // 32) * 32)


def input_size(width: int, height: int, max_side: int) -> tuple[int, int]:
    """Network input (w, h): the scaled size padded up to multiples of 32 (at least 32)."""
    w, h = scaled_size(width, height, max_side)
    return _pad32(w), _pad32(h)


@dataclass(frozen=True)
class Prepared:
    """The network input, its grey levels (for the plausibility test) and the image's part of it.

    Why pad instead of PP-OCR's stretch to a multiple of 32: stretching a 48 px tall button to
    64 px distorts text heights by a third; padding with the border pixels keeps geometry exact.
    """

    tensor: np.ndarray
    grey: np.ndarray
    content: tuple[int, int]
    """(w, h) of the scaled image inside the padded input."""


def prepare(img: Image.Image, max_side: int, params: DetectorParams) -> Prepared:
    """PIL image -> float32 NCHW BGR tensor normalised as the detector was trained.

    Written for the ~15 ms text-presence budget: a box filter for downscales of 2x or more
    (40% cheaper than bilinear, same detections), grey levels from Pillow, and normalisation
    straight into the output planes (10x cheaper than the float HWC round trip).
    """
    rgb = as_rgb(img)
    content = scaled_size(rgb.width, rgb.height, max_side)
    if content != rgb.size:
        shrink = content[0] * 2 <= rgb.width
        resample = Image.Resampling.BOX if shrink else Image.Resampling.BILINEAR
        rgb = rgb.resize(content, resample)
    pixels = np.asarray(rgb)
    grey = np.asarray(rgb.convert("L"))
    pad_w, pad_h = _pad32(content[0]) - content[0], _pad32(content[1]) - content[1]
    if pad_w or pad_h:
        pixels = np.pad(pixels, ((0, pad_h), (0, pad_w), (0, 0)), mode="edge")
        grey = np.pad(grey, ((0, pad_h), (0, pad_w)), mode="edge")
    tensor = np.empty((1, 3, *pixels.shape[:2]), dtype=np.float32)
    for plane, channel in enumerate((2, 1, 0)):  # BGR planes from RGB pixels
        scale = 1.0 / (255.0 * params.std[channel])
        np.multiply(
            pixels[:, :, channel], np.float32(scale), out=tensor[0, plane], casting="unsafe"
        )
        tensor[0, plane] -= np.float32(params.mean[channel] / params.std[channel])
    return Prepared(tensor, grey, content)


KERNEL_TO_TEXT = (2.7, -4.15)
"""``text_px_in_map = a * kernel_thickness + b``: a least-squares fit over rendered pages (font
sizes 8-50 px, detector sides 320-1024). The kernel of this model is ~0.37 x the font size plus a
~1.5 px floor from the probability blur, so a plain ratio overstates small text."""


def text_height_from_kernel(thickness: float) -> float:
    """Font size in map pixels for a kernel of mean column ``thickness`` (map pixels)."""
    a, b = KERNEL_TO_TEXT
    return max(a * thickness + b, thickness)


def edge_density(grey: np.ndarray) -> float:
    """Mean absolute horizontal grey step over the grey range of a region (0 when flat)."""
    if grey.shape[1] < 2:
        return 0.0
    spread = int(grey.max()) - int(grey.min())
    if spread == 0:
        return 0.0
    steps = np.abs(np.diff(grey.astype(np.int16), axis=1))
    return float(steps.mean()) / spread


def boxes_from_map(
    prob: np.ndarray,
    params: DetectorParams,
    src_width: int,
    src_height: int,
    grey: np.ndarray | None = None,
    content: tuple[int, int] | None = None,
) -> list[TextBox]:
    """Text boxes in source pixels from one (H, W) probability map.

    ``grey`` is the detector input as grey levels (same size as ``prob``); without it the
    edge-density test is skipped. ``content`` is the (w, h) of the map that holds the image
    (the rest is padding); None means all of it.
    """
    kernel = prob > params.thresh
    mask = dilate_2x2(kernel) if params.dilate else kernel
    comps = connected_components(mask)
    if len(comps) == 0:
        return []
    order = np.argsort(-comps.pixels, kind="stable")[: params.max_candidates]
    map_h, map_w = prob.shape
    content_w, content_h = content or (map_w, map_h)
    sx = src_width / content_w
    sy = src_height / content_h
    boxes: list[TextBox] = []
    for i in order.tolist():
        x0, y0 = int(comps.x0[i]), int(comps.y0[i])
        x1, y1 = int(comps.x1[i]), int(comps.y1[i])
        bw, bh = x1 - x0, y1 - y0
        if min(bw, bh) < params.min_size:
            continue
        inside = kernel[y0:y1, x0:x1]
        if not inside.any():
            continue
        score = float(prob[y0:y1, x0:x1][inside].mean())
        if score < params.box_thresh:
            continue
        columns = int(np.count_nonzero(inside.any(axis=0)))
        thickness = float(np.count_nonzero(inside)) / max(1, columns)
        text_height = text_height_from_kernel(thickness)
        if text_height > params.max_text_height_ratio * content_h:
            continue
        grow = bw * bh * params.unclip_ratio / (2.0 * (bw + bh))
        if min(bw, bh) + 2.0 * grow < params.min_size + 2.0:
            continue
        if grey is not None and params.min_edge_density > 0:
            gx0, gy0 = max(0, int(x0 - grow)), max(0, int(y0 - grow))
            gx1, gy1 = min(map_w, int(x1 + grow) + 1), min(map_h, int(y1 + grow) + 1)
            if edge_density(grey[gy0:gy1, gx0:gx1]) < params.min_edge_density:
                continue
        boxes.append(
            TextBox(
                x0=float(np.clip((x0 - grow) * sx, 0, src_width)),
                y0=float(np.clip((y0 - grow) * sy, 0, src_height)),
                x1=float(np.clip((x1 + grow) * sx, 0, src_width)),
                y1=float(np.clip((y1 + grow) * sy, 0, src_height)),
                score=score,
                text_height=text_height * sy,
            )
        )
    return boxes


@dataclass(frozen=True)
class Detection:
    """Raw detector output: boxes plus what the network saw and how long it took."""

    boxes: tuple[TextBox, ...]
    input_size: tuple[int, int]
    seconds: float


class TextDetector:
    """Runs the DB detector session on PIL images; the session is created by the caller."""

    def __init__(self, session: ort.InferenceSession, params: DetectorParams | None = None):
        self.session = session
        self.params = params or DetectorParams()
        self._input = session.get_inputs()[0].name
        self._output = session.get_outputs()[0].name

    def _run(self, img: Image.Image, max_side: int | None) -> tuple[np.ndarray, Prepared]:
        prepared = prepare(img, max_side or self.params.max_side, self.params)
        out = self.session.run([self._output], {self._input: prepared.tensor})[0]
        return np.asarray(out[0, 0], dtype=np.float32), prepared

    def detect(self, img: Image.Image, max_side: int | None = None) -> Detection:
        start = time.perf_counter()
        prob, prepared = self._run(img, max_side)
        boxes = boxes_from_map(
            prob, self.params, img.width, img.height, prepared.grey, prepared.content
        )
        map_h, map_w = prob.shape
        return Detection(tuple(boxes), (map_w, map_h), time.perf_counter() - start)
