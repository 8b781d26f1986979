"""CROP: send only the region the question names, at the scale the model saw it in the whole image.

Why that scale: the provider shrinks a large image before its model looks at it, so inside the
original request the region reached the model at ``view of the full image / full image`` of its
native pixels. Sending the region at exactly that scale loses nothing the original request gave
the model, and the cost then follows the region's area instead of the whole picture's (a crop
sent at native pixels is shrunk by the provider to the same short side as the whole image and
costs the same: 1105 -> 1105 tokens for a corner of a 2560x1600 photo on gpt-4.1).

| family                      | scale ``s`` of the whole image      | what the crop sends                   |
|-----------------------------|-------------------------------------|---------------------------------------|
| OpenAI tile / patch, Claude | their documented downscale          | the region's native px x ``s``        |
|                             | (``tokens.family_effective_size``)  | (rounded up, never above native)      |
| Gemini 2, tile rule         | 1 (every pixel is billed)           | the region's native px                |
| Gemini 3                    | the modelled view at the request's  | the region's native px, and the lowest|
|                             | level (``tokens.family_view_size``) | per-part ``mediaResolution`` level    |
|                             |                                     | whose view keeps ``s``                |

Gemini's pixels are never shrunk by the view model: that model only judges what a level
resolves (see :func:`~headroom_edge.tokens.family_view_size`), and Gemini bills per level, not
per pixel, so native pixels cost nothing extra and keep whatever the real encoder can use.

``CompressionConfig.crop_zoom`` (default 1.0) asks for more detail than the whole image gave: the
scale becomes ``s x zoom``, capped at the region's native pixels (a crop is never upsampled) and
lowered until the crop costs no more than the original request. A crop never costs more than the
original; if one would, the image is sent untouched with the reason. Without a readable region
the image is preserved.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from headroom_edge.context import Box
from headroom_edge.formats.base import ImageEdit
from headroom_edge.imaging import crop_box, crop_pixels, resize_to
from headroom_edge.technique import Technique
from headroom_edge.techniques.base import Outcome, SourceImage, TechniqueContext, untouched
from headroom_edge.tokens import ModelFamily, family_effective_size, family_tokens, family_view_size

MIN_CROP_SIDE = 224
"""A crop spans at least this many pixels of the model's view on each side (or the whole image's
view, when that is smaller): Anthropic notes that images under ~200 px on an edge hurt answers,
and a sliver of a small image keeps nothing legible. Measured in the view, not in native pixels,
so on a large image the floor widens the box by what the model sees (224 px of it), never by
hundreds of native pixels that the downscale would throw away anyway."""

GEMINI3_LEVELS = (
    "MEDIA_RESOLUTION_LOW",
    "MEDIA_RESOLUTION_MEDIUM",
    "MEDIA_RESOLUTION_HIGH",
    "MEDIA_RESOLUTION_ULTRA_HIGH",
)
"""Gemini 3's per-part levels, cheapest first (their prices are ``tokens.family_tokens``)."""

_ZOOM_STEPS = 24
"""Bisection steps when a zoomed crop must be brought back under the original's cost."""
_SLACK = 1e-9


@dataclass(frozen=True)
class CropPlan:
    """What a crop of one image sends, worked out from sizes alone (no pixels)."""

    box: Box
    """Fractional box cut from the image: the padded region, widened to ``MIN_CROP_SIDE``."""
    native: tuple[int, int]
    """The box's size in the source's pixels."""
    size: tuple[int, int]
    """Pixels sent."""
    level: str | None
    """Gemini 3 per-part level to set; None keeps the request's."""
    tokens: int
    original_tokens: int
    full_scale: tuple[float, float]
    """(x, y) view / full of the whole image at the request's settings: the floor the crop keeps."""
    crop_scale: tuple[float, float]
    """(x, y) view / native of the crop as sent: what the model gets of the region."""
    view_box: tuple[int, int, int, int] | None = None
    """The crop in pixels of the whole image's view, when it is cut from that grid: the sent
    pixels are then the very pixels the model saw of the region inside the original request
    (the resampling of the region alone, on the view's sample grid), not a second resampling of
    a slightly different frame. None when the crop is sent at native pixels or zoomed."""


def at_least(box: Box, size: tuple[int, int], side: int) -> Box:
    """``box`` grown around its centre so each side spans at least ``side`` of ``size`` pixels.

    ``size`` is the image as the model sees it (its view), so the floor is in seen pixels.
    """
    out = list(box)
    for lo, hi, extent in ((0, 2, size[0]), (1, 3, size[1])):
        need = min(1.0, side / extent)
        span = out[hi] - out[lo]
        if span >= need:
            continue
        centre = (out[lo] + out[hi]) / 2
        start = min(max(0.0, centre - need / 2), 1.0 - need)
        out[lo], out[hi] = start, start + need
    return (out[0], out[1], out[2], out[3])


@dataclass(frozen=True)
class _Frame:
    """The fixed facts of one crop: the request's rule and the region's native size."""

    family: ModelFamily
    detail: str | None
    media_resolution: str | None
    box: Box
    native: tuple[int, int]
    original_tokens: int
    full_scale: tuple[float, float]

    def plan(self, sent: tuple[int, int], level: str | None = None,
             span: tuple[float, float] | None = None) -> CropPlan:
        """``sent`` px (at Gemini 3 ``level``, None: the request's), priced and judged.

        ``span`` is the native extent the sent pixels cover, when it is not the whole-pixel
        ``native`` box (a view-grid crop covers fractions of native pixels)."""
        in_effect = level or self.media_resolution
        view = family_view_size(self.family, sent[0], sent[1], self.detail, in_effect)
        extent = span or self.native
        return CropPlan(
            box=self.box, native=self.native, size=sent, level=level,
            tokens=family_tokens(self.family, sent[0], sent[1], self.detail, in_effect),
            original_tokens=self.original_tokens, full_scale=self.full_scale,
            crop_scale=(view[0] / extent[0], view[1] / extent[1]),
        )

    def keeps(self, plan: CropPlan, zoom: float = 1.0) -> bool:
        """Whether the crop's view scale reaches the whole image's x ``zoom`` (at most native)."""
        return all(c >= min(1.0, f * zoom) - _SLACK for c, f in zip(plan.crop_scale, self.full_scale, strict=True))


def plan_crop(
    family: ModelFamily,
    size: tuple[int, int],
    box: Box,
    detail: str | None = None,
    media_resolution: str | None = None,
    zoom: float = 1.0,
) -> CropPlan:
    """The crop of ``box`` (fractional, already padded) from an image of ``size`` px."""
    full_view = family_view_size(family, size[0], size[1], detail, media_resolution)
    grown = at_least(box, full_view, MIN_CROP_SIDE)
    x0, y0, x1, y1 = crop_pixels(size, grown)
    frame = _Frame(
        family, detail, media_resolution, grown, (x1 - x0, y1 - y0),
        family_tokens(family, size[0], size[1], detail, media_resolution),
        (full_view[0] / size[0], full_view[1] / size[1]),
    )
    zoom = max(1.0, zoom)
    if family.kind == "gemini3":
        return _gemini3_plan(frame, zoom)
    if family.kind == "gemini2":
        return frame.plan(frame.native)
    base = _on_view_grid(frame, size, full_view, grown)
    if zoom == 1.0 or base.size == frame.native:
        return base

    def zoomed(k: float) -> CropPlan:
        sent = _scaled(frame.native, frame.full_scale, k)
        # Pixels past the provider's own downscale buy nothing: send what it keeps.
        return frame.plan(family_effective_size(family, sent[0], sent[1], detail))

    best = zoomed(zoom)
    if best.tokens > frame.original_tokens:
        lo, hi = 1.0, zoom
        for _ in range(_ZOOM_STEPS):
            mid = (lo + hi) / 2
            if zoomed(mid).tokens <= frame.original_tokens:
                lo = mid
            else:
                hi = mid
        best = zoomed(lo)
    return best if best.tokens <= frame.original_tokens and frame.keeps(best) else base


def _on_view_grid(frame: _Frame, size: tuple[int, int], full_view: tuple[int, int], grown: Box) -> CropPlan:
    """The zoom-1 crop cut from the whole image's view grid.

    The box is rounded outwards in view pixels (never losing a partly covered pixel of the
    region), and the plan's fractional box becomes exactly that view box, so whoever cuts the
    whole image's view with it (the preview, the quality benchmark) gets the same frame.
    """
    if frame.full_scale == (1.0, 1.0):
        return frame.plan(frame.native)  # the view is the image: native pixels are the view's
    vx0, vy0, vx1, vy1 = crop_pixels(full_view, grown)
    sent = (vx1 - vx0, vy1 - vy0)
    exact = (vx0 / full_view[0], vy0 / full_view[1], vx1 / full_view[0], vy1 / full_view[1])
    x0, y0, x1, y1 = crop_pixels(size, exact)
    # The scale the model gets is the view's own: each sent pixel is a view pixel, over the box's
    # exact native extent (over the outward-rounded native box it would read a hair lower).
    span = ((exact[2] - exact[0]) * size[0], (exact[3] - exact[1]) * size[1])
    plan = replace(frame, box=exact, native=(x1 - x0, y1 - y0)).plan(sent, span=span)
    return replace(plan, view_box=(vx0, vy0, vx1, vy1))


def _scaled(native: tuple[int, int], scale: tuple[float, float], zoom: float) -> tuple[int, int]:
    """``native`` x ``scale`` x ``zoom`` per axis, rounded up (never below the scale), capped at native."""
    return (
        min(native[0], max(1, math.ceil(native[0] * scale[0] * zoom - _SLACK))),
        min(native[1], max(1, math.ceil(native[1] * scale[1] * zoom - _SLACK))),
    )


def _gemini3_plan(frame: _Frame, zoom: float) -> CropPlan:
    """Native pixels at the cheapest level whose modelled view keeps the whole image's scale x
    ``zoom``; when none does under the original's cost, the best view that is not dearer."""
    unchanged = frame.plan(frame.native)
    options = [frame.plan(frame.native, level) for level in GEMINI3_LEVELS]
    affordable = sorted((p for p in options if p.tokens <= frame.original_tokens), key=lambda p: p.tokens)
    chosen = next((p for p in affordable if frame.keeps(p, zoom)), affordable[-1] if affordable else unchanged)
    # A level that costs what the request's own level costs is the request's level: no edit.
    return unchanged if chosen.tokens == unchanged.tokens else chosen


def apply_crop(source: SourceImage, ctx: TechniqueContext) -> Outcome:
    region = ctx.region
    if region is None:
        return untouched(source, ctx, "no region could be read from the question")
    crop = plan_crop(ctx.family, source.size, region.padded(), ctx.detail, ctx.media_resolution,
                     ctx.config.crop_zoom)
    if crop.tokens > crop.original_tokens:
        return untouched(source, ctx, f"a crop of the {region.name} would cost {crop.tokens} tokens, more than the "
                         f"whole image's {crop.original_tokens}", region=region.name)
    # Decode only as large as the crop needs (JPEG draft), then cut and resample to the plan.
    need = (min(source.size[0], math.ceil(source.size[0] * crop.size[0] / crop.native[0])),
            min(source.size[1], math.ceil(source.size[1] * crop.size[1] / crop.native[1])))
    img = source.pixels(min_size=need)
    if crop.view_box is not None:
        # Resample only the region, on the whole view's sample grid: the model's pixels of it.
        left, top, right, bottom = crop.box
        img = resize_to(img, *crop.size, box=(left * img.width, top * img.height,
                                              right * img.width, bottom * img.height))
    else:
        img = crop_box(img, crop.box)
        if img.size != crop.size:
            img = resize_to(img, *crop.size)
    data, media_type = ctx.encode(img)
    level = f", {crop.level.removeprefix('MEDIA_RESOLUTION_')}" if crop.level else ""
    return Outcome(
        Technique.CROP,
        ImageEdit(data=data, media_type=media_type, media_resolution=crop.level),
        crop.tokens,
        crop.size,
        len(data),
        media_type,
        f"region: {region.name} ({crop.native[0]}x{crop.native[1]} px sent as {crop.size[0]}x{crop.size[1]}{level})",
        {
            "region": region.name,
            # Unrounded: cutting the whole image's view with it gives back the crop's frame.
            "box": [float(v) for v in crop.box],
            **({"view_box": list(crop.view_box)} if crop.view_box else {}),
            "view_scale": round(min(crop.full_scale), 4),
            "crop_view_scale": round(min(crop.crop_scale), 4),
        },
    )
