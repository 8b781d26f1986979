"""CROP: send only the region the question names, at the resolution that region deserves.

The region keeps its native pixels (never enlarged); when it is larger than what the provider would
process at the request's detail anyway, it is shrunk to exactly that, which costs no information
and saves bytes. Without a readable region the image is preserved.
"""

from __future__ import annotations

from headroom_edge.formats.base import ImageEdit
from headroom_edge.imaging import crop_box, resize_to
from headroom_edge.techniques.base import Outcome, SourceImage, TechniqueContext, untouched
from headroom_edge.technique import Technique
from headroom_edge.tokens import effective_size


def apply_crop(source: SourceImage, ctx: TechniqueContext) -> Outcome:
    region = ctx.region
    if region is None:
        return untouched(source, ctx, "no region could be read from the question")
    img = crop_box(source.pixels(), region.padded())
    size = img.size
    seen = effective_size(ctx.provider, ctx.model, size[0], size[1], ctx.detail)
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
        {"region": region.name, "box": [round(v, 4) for v in region.padded()]},
    )
