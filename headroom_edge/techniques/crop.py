"""CROP: send only the region the question names, at the resolution that region deserves.

The region keeps its native pixels (never enlarged); when it is larger than what the provider would
process at the request's detail anyway, it is shrunk to exactly that, which costs no information
and saves bytes. A region of a small image is widened to ``MIN_CROP_SIDE`` so it stays legible.
Without a readable region the image is preserved.
"""

from __future__ import annotations

from headroom_edge.formats.base import ImageEdit
from headroom_edge.imaging import crop_box, resize_to
from headroom_edge.technique import Technique
from headroom_edge.techniques.base import Outcome, SourceImage, TechniqueContext, untouched

MIN_CROP_SIDE = 224
"""A crop is never narrower or shorter than this (or the image): Anthropic notes that images
under ~200 px on an edge hurt answers, and a sliver of a small image keeps nothing legible."""


def at_least(box: tuple[float, float, float, float], size: tuple[int, int], side: int) -> tuple[float, float, float, float]:
    """``box`` grown around its centre so each side spans at least ``side`` pixels."""
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


def apply_crop(source: SourceImage, ctx: TechniqueContext) -> Outcome:
    region = ctx.region
    if region is None:
        return untouched(source, ctx, "no region could be read from the question")
    box = at_least(region.padded(), source.size, MIN_CROP_SIDE)
    img = crop_box(source.pixels(), box)
    size = img.size
    seen = ctx.seen_size(size)
    if seen[0] < size[0] or seen[1] < size[1]:
        img = resize_to(img, *seen)
        size = seen
    data, media_type = ctx.encode(img)
    return Outcome(
        Technique.CROP,
        ImageEdit(data=data, media_type=media_type),
        ctx.tokens(size),
        size,
        len(data),
        media_type,
        f"region: {region.name} ({size[0]}x{size[1]})",
        {"region": region.name, "box": [round(v, 4) for v in box]},
    )
