"""Pixel operations the techniques need: resize, crop, content classification, detail loss.

All functions take and return ``PIL.Image.Image`` and never mutate their input. They expect the
modes :func:`~headroom_edge.imaging.decode.decode_image` produces ("L", "RGB", "RGBA") and convert
anything else first, because resampling palette or bilevel images would silently fall back to
nearest-neighbour.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
from PIL import Image, ImageChops

from headroom_edge.imaging.decode import normalise_mode
from headroom_edge.imaging.errors import ImageError
from headroom_edge.tokens import fit_box

RESAMPLE: Final = Image.Resampling.LANCZOS
"""Downscaling filter. LANCZOS keeps thin text strokes crisper than BICUBIC at ~30% more cost;
on pillow-simd both are fast, and legibility is what the shrunken image is for."""

REDUCING_GAP: Final = 3.0
"""``Image.resize(reducing_gap=...)``: first shrink by the largest integer factor that leaves at
least 3x the target size with ``Image.reduce`` (a fast box filter), then LANCZOS the rest.
Pillow documents 3.0 as indistinguishable from a full LANCZOS pass in most cases."""

GRAPHIC_SAMPLE_SIDE: Final = 256
"""Long side of the nearest-neighbour sample the content classifier looks at."""

GRAPHIC_MIN_FLAT_SHARE: Final = 0.6
"""Share of exactly-equal neighbour pairs from which an image counts as a graphic. Measured on
the sample: rendered pages 0.63-0.70 and UI screenshots 0.90 as PNG, UIs >= 0.74 after JPEG q50;
natural photos 0.00-0.46 (scikit-image astronaut, coffee, chelsea, rocket, camera, page, text,
hubble_deep_field, also after JPEG q75/q50). Dense text loses exact flatness to JPEG ringing;
:data:`GRAPHIC_MIN_DOMINANT_SHARE` catches those."""

GRAPHIC_MIN_DOMINANT_SHARE: Final = 0.3
"""Share of sample pixels with exactly the most common colour (the background) from which an
image counts as a graphic. Rendered pages and UIs 0.41-0.81 even after JPEG q50 (flat 8x8
blocks survive JPEG exactly); natural photos 0.00-0.11, including a mostly black deep-sky
image whose "black" is noise. A photo with a large clipped white/black area can pass this
bar; it is then written as PNG, which is lossless, just larger."""

GRAPHIC_MAX_COLOURS: Final = 32
"""Colour images with at most this many distinct colours in the sample are graphics whatever
their flatness (dithered or patterned charts, icons)."""

_EPS: Final = 1e-9


@dataclass(frozen=True)
class GraphicStats:
    """The measurements behind :func:`looks_like_graphic`, for logging as decision signals."""

    flat_share: float
    """Share of horizontally/vertically adjacent sample pixels with exactly the same value."""
    dominant_share: float
    """Share of sample pixels with exactly the most common colour (found among flat pairs)."""
    colours: int | None
    """Distinct colours in the sample, or None when more than 256."""
    grayscale: bool

    @property
    def is_graphic(self) -> bool:
        if self.flat_share >= GRAPHIC_MIN_FLAT_SHARE:
            return True
        if self.dominant_share >= GRAPHIC_MIN_DOMINANT_SHARE:
            return True
        return (
            not self.grayscale and self.colours is not None and self.colours <= GRAPHIC_MAX_COLOURS
        )


def fit_size(width: int, height: int, max_width: int, max_height: int) -> tuple[int, int]:
    """Size that fits in ``max_width`` x ``max_height`` with the aspect kept, never enlarged.

    Each side is at least 1 px, so extreme aspect ratios (20000x20 into 512x512) stay valid.
    The arithmetic is :func:`headroom_edge.tokens.fit_box` (exact integers), the same rule the
    token estimates use for the providers' own downscales; this wrapper adds the pixel errors.
    """
    if width < 1 or height < 1:
        raise ImageError(f"cannot fit an empty image {width}x{height}")
    if max_width < 1 or max_height < 1:
        raise ImageError(f"cannot fit into an empty box {max_width}x{max_height}")
    return fit_box(int(width), int(height), int(max_width), int(max_height))


def fit_within(img: Image.Image, max_width: int, max_height: int) -> Image.Image:
    """Shrink to fit the box with the aspect kept; an image that already fits is returned as is.

    Returning the same object (not a copy) when nothing changes saves a full copy on the
    common "already small enough" path; callers treat images as immutable.
    """
    target = fit_size(img.width, img.height, max_width, max_height)
    if target == img.size:
        return img
    return resize_to(img, *target)


def resize_to(
    img: Image.Image, width: int, height: int, box: Sequence[float] | None = None,
) -> Image.Image:
    """Resample to exactly ``width`` x ``height`` (up or down).

    RGBA/LA are resampled premultiplied (Pillow converts to "RGBa"/"La" internally in both
    ``reduce`` and ``resize``), so transparent pixels do not bleed dark fringes into edges.

    ``box`` (fractional pixel coordinates left, top, right, bottom, clamped to the image)
    resamples only that region, with the sample positions and filter weights a resize of the
    whole image at the same scale would use: the result equals that resize cut to the box
    (within 1 level of rounding), at the cost of the region alone.
    """
    if width < 1 or height < 1:
        raise ImageError(f"cannot resize to an empty size {width}x{height}")
    img = _resamplable(img)
    region = None
    if box is not None:
        if len(box) != 4 or not all(math.isfinite(float(v)) for v in box):
            raise ImageError("a resize box needs 4 finite numbers (left, top, right, bottom)")
        left, top = (min(max(float(v), 0.0), float(lim)) for v, lim in zip(box[:2], img.size, strict=True))
        right, bottom = (min(max(float(v), 0.0), float(lim)) for v, lim in zip(box[2:], img.size, strict=True))
        if right <= left or bottom <= top:
            raise ImageError(f"resize box {tuple(box)} leaves nothing of a {img.width}x{img.height} image")
        region = (left, top, right, bottom)
        if region == (0.0, 0.0, float(img.width), float(img.height)):
            region = None
    span = (region[2] - region[0], region[3] - region[1]) if region else img.size
    if (width, height) == img.size and region is None:
        return img.copy()
    shrinking = width < span[0] and height < span[1]
    return img.resize((width, height), RESAMPLE, box=region, reducing_gap=REDUCING_GAP if shrinking else None)


def crop_pixels(size: tuple[int, int], box: Sequence[float]) -> tuple[int, int, int, int]:
    """Turn a fractional (left, top, right, bottom) box into a pixel box inside ``size``.

    Coordinates are clamped to 0..1 and reordered if swapped. Left/top are floored and
    right/bottom ceiled (with a tiny tolerance for float noise), so a region never loses a
    partially covered pixel; an empty or degenerate box grows to at least 1x1 inside the image.
    """
    if len(box) != 4:
        raise ImageError(f"crop box needs 4 numbers (left, top, right, bottom), got {len(box)}")
    values = [float(v) for v in box]
    if not all(math.isfinite(v) for v in values):
        raise ImageError("crop box coordinates must be finite numbers")
    left, top, right, bottom = (min(1.0, max(0.0, v)) for v in values)
    if right < left:
        left, right = right, left
    if bottom < top:
        top, bottom = bottom, top
    width, height = size
    x0, x1 = _span(left, right, width)
    y0, y1 = _span(top, bottom, height)
    return (x0, y0, x1, y1)


def crop_box(img: Image.Image, box: Sequence[float]) -> Image.Image:
    """Crop a fractional (left, top, right, bottom) region; see :func:`crop_pixels` for rounding."""
    return crop(img, crop_pixels(img.size, box))


def clamp_box(size: tuple[int, int], box: Sequence[float]) -> tuple[int, int, int, int]:
    """The pixel box (left, top, right, bottom) limited to an image of ``size``.

    Every box handed to Pillow's crop/paste goes through here. Why: before Pillow 12.3.0 (and
    so in pillow-simd 12.1.1) those functions compute box widths in C ``int``, and boxes near
    +-2**31 overflow into out-of-bounds writes (CVE-2026-59199); boxes derived from requests
    (named regions, OCR lines) must never reach them unclamped. Coordinates are rounded
    outwards, clamped into the image and must leave a non-empty box with left <= right and
    top <= bottom; anything else (non-finite numbers, a box wholly outside) is an ImageError.
    """
    if len(box) != 4:
        raise ImageError(f"a box needs 4 numbers (left, top, right, bottom), got {len(box)}")
    values = [float(v) for v in box]
    if not all(math.isfinite(v) for v in values):
        raise ImageError("box coordinates must be finite numbers")
    left, top, right, bottom = values
    if right < left or bottom < top:
        raise ImageError("box has right < left or bottom < top")
    width, height = size
    x0 = min(max(math.floor(left), 0), width)
    y0 = min(max(math.floor(top), 0), height)
    x1 = min(max(math.ceil(right), 0), width)
    y1 = min(max(math.ceil(bottom), 0), height)
    if x1 <= x0 or y1 <= y0:
        raise ImageError(f"box {tuple(box)} leaves nothing of a {width}x{height} image")
    return (x0, y0, x1, y1)


def crop(img: Image.Image, box: Sequence[float]) -> Image.Image:
    """``img.crop`` with the pixel box clamped to the image first (see :func:`clamp_box`)."""
    return img.crop(clamp_box(img.size, box))


def flatten_alpha(
    img: Image.Image, background: tuple[int, int, int] = (255, 255, 255)
) -> Image.Image:
    """Composite an image with alpha onto a solid background (for formats without alpha).

    White is the default because transparent images sent to models are mostly logos, diagrams
    and documents drawn for light backgrounds; black would swallow dark text. The one place the
    package composites: OCR input (``ocr.imageprep``) and SigLIP input (``analysis.siglip``) call
    it too; on white its pixels equal ``Image.alpha_composite`` (what transformers does).
    """
    if img.mode not in ("RGBA", "LA", "PA", "RGBa", "La") and "transparency" not in img.info:
        return img if img.mode in ("L", "RGB") else img.convert("RGB")
    rgba = img.convert("RGBA")
    base = Image.new("RGB", rgba.size, background)
    base.paste(rgba, clamp_box(base.size, (0, 0, *rgba.size)), mask=rgba.getchannel("A"))
    return base


def graphic_stats(img: Image.Image) -> GraphicStats:
    """Measure flatness and colour count on a small nearest-neighbour sample (about 1 ms).

    Nearest-neighbour (not an averaging filter) keeps the exact pixel values, so the solid
    backgrounds of documents and UIs stay exactly flat and photo noise stays noisy; averaging
    would invent blend colours at every edge.
    """
    grayscale = img.mode in ("1", "L", "LA", "I", "I;16", "F")
    sample = img.convert("L" if grayscale else "RGB") if img.mode not in ("L", "RGB") else img
    scale = min(1.0, GRAPHIC_SAMPLE_SIDE / max(sample.width, sample.height))
    if scale < 1.0:
        size = (max(1, round(sample.width * scale)), max(1, round(sample.height * scale)))
        sample = sample.resize(size, Image.Resampling.NEAREST)
    key = _colour_key(sample)
    equal_h = key[:, 1:] == key[:, :-1]
    equal_v = key[1:, :] == key[:-1, :]
    pairs = equal_h.size + equal_v.size
    flat_share = (
        1.0 if pairs == 0 else (np.count_nonzero(equal_h) + np.count_nonzero(equal_v)) / pairs
    )
    colours = sample.getcolors(256)
    return GraphicStats(
        flat_share=float(flat_share),
        dominant_share=_dominant_share(key, key[:, 1:][equal_h]),
        colours=None if colours is None else len(colours),
        grayscale=grayscale,
    )


def looks_like_graphic(img: Image.Image) -> bool:
    """True for rendered text, documents, screenshots, charts; False for natural photos.

    Graphics are drawn: many exactly equal neighbours, or one exact background colour covering
    a large share (this survives JPEG, whose flat 8x8 blocks decode exactly), or very few
    colours. Photos carry sensor noise, so exact equality is rare even in smooth areas. The choice decides PNG (lossless, crisp text) versus JPEG (small for photos).
    """
    return graphic_stats(img).is_graphic


def detail_loss(img: Image.Image, width: int, height: int) -> float:
    """How much of the image's contrast is finer than one pixel of a ``width`` x ``height`` copy.

    ``img`` should be the image at the size the provider would see if it were sent as is; the
    measurement is taken at that size, so it answers "what does shrinking to (width, height)
    destroy compared with sending it". Method, on a grayscale copy:

    1. box-downscale to the target (every target pixel becomes the mean of its cell),
    2. blow back up with nearest-neighbour (each cell becomes flat),
    3. mean absolute difference to the original = the contrast that lived inside cells,
    4. divided by the image's mean absolute deviation (its total contrast).

    0 means nothing is lost (flat images, smooth gradients), values near 1 mean nearly all
    contrast was finer than a target pixel (small text). Being relative, it does not depend on
    how much of a page is covered by text. Grayscale misses pure-chroma detail (red on green of
    equal luminance), a rare case for documents. About 2-4 ms for 1024x1024 on stock Pillow:
    box and nearest are the cheapest resamplers and the differences are read from histograms.
    """
    target_w, target_h = min(width, img.width), min(height, img.height)
    if target_w < 1 or target_h < 1:
        raise ImageError(f"cannot measure detail loss for an empty size {width}x{height}")
    if (target_w, target_h) == img.size:
        return 0.0
    gray = img.convert("L") if img.mode != "L" else img
    spread = _mean_abs_deviation(gray.histogram())
    if spread < 0.5:  # (nearly) uniform image: nothing to lose
        return 0.0
    down = gray.resize((target_w, target_h), Image.Resampling.BOX, reducing_gap=1.0)
    up = down.resize(gray.size, Image.Resampling.NEAREST)
    residual = _histogram_mean(ImageChops.difference(gray, up).histogram())
    return float(min(1.0, residual / spread))


# ----------------------------------------------------------------------------- internals


def _span(lo: float, hi: float, length: int) -> tuple[int, int]:
    start = math.floor(lo * length + _EPS)
    end = math.ceil(hi * length - _EPS)
    start = min(max(start, 0), length - 1)
    end = min(max(end, start + 1), length)
    return start, end


def _resamplable(img: Image.Image) -> Image.Image:
    """Convert modes that Pillow would resample badly (palette, bilevel, 16-bit) to L/RGB/RGBA."""
    if img.mode in ("L", "RGB", "RGBA", "LA"):
        return img
    converted, _ = normalise_mode(img)
    return converted


def _dominant_share(key: np.ndarray, flat_values: np.ndarray) -> float:
    """Share of pixels equal to the most common colour, in well under a millisecond.

    A background big enough to matter shows up in many flat pairs, so the mode of (a bounded
    subsample of) the flat-pair values is the candidate; only its exact count is taken over the
    whole sample. Sorting all 65k sample keys instead would cost several milliseconds.
    """
    if key.size == 0:
        return 0.0
    candidates = flat_values if flat_values.size else key.ravel()
    step = max(1, candidates.size // 8192)
    values, counts = np.unique(candidates[::step], return_counts=True)
    mode = values[np.argmax(counts)]
    return float(np.count_nonzero(key == mode) / key.size)


def _colour_key(sample: Image.Image) -> np.ndarray:
    """One integer per pixel so whole colours can be compared at once: "L" as it is, "RGB" as
    ``R << 16 | G << 8 | B``. Pillow's raw packer writes that integer directly (BGRX bytes read
    as little-endian uint32, the X byte zero), a third of the time of shifting numpy channels."""
    if sample.mode == "L":
        return np.asarray(sample)
    packed = sample.tobytes("raw", "BGRX")
    return np.frombuffer(packed, dtype="<u4").reshape(sample.height, sample.width)


def _histogram_mean(hist: list[int]) -> float:
    counts = np.asarray(hist, dtype=np.float64)
    total = counts.sum()
    return float((counts * np.arange(counts.size)).sum() / total) if total else 0.0


def _mean_abs_deviation(hist: list[int]) -> float:
    counts = np.asarray(hist, dtype=np.float64)
    total = counts.sum()
    if not total:
        return 0.0
    levels = np.arange(counts.size)
    mean = (counts * levels).sum() / total
    return float((counts * np.abs(levels - mean)).sum() / total)
