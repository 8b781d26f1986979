"""FULL_LOW: the provider's low-detail path, per model family.

What "low detail" means per family is :func:`headroom_edge.lowdetail.low_plan`, planned with the
request's one resolved family (the one it is priced with). Sizes never grow: an image already
inside the target is only re-labelled, never re-encoded.
"""

from __future__ import annotations

from headroom_edge.formats.base import ImageEdit
from headroom_edge.imaging import resize_to
from headroom_edge.lowdetail import low_plan
from headroom_edge.technique import Technique
from headroom_edge.techniques.base import Outcome, SourceImage, TechniqueContext, untouched


def apply_full_low(source: SourceImage, ctx: TechniqueContext) -> Outcome:
    target, detail, level = low_plan(ctx.family, source.size)
    detail = None if detail == ctx.detail else detail
    level = None if level == ctx.media_resolution else level
    tokens = ctx.tokens(target, detail=detail, media_resolution=level)
    if target == source.size:
        if detail is None and level is None:
            return untouched(source, ctx, "already at or below the low-detail size")
        edit = ImageEdit(detail=detail, media_resolution=level)
        return Outcome(
            Technique.FULL_LOW, edit, tokens, source.size, len(source.data), source.info.media_type,
            "low-detail request field set; pixels already small enough",
        )
    decoded = source.pixels(min_size=target)  # a JPEG draft decode often lands on the target
    img = decoded if decoded.size == target else resize_to(decoded, *target)  # encoding only reads it
    data, media_type = ctx.encode(img)
    edit = ImageEdit(data=data, media_type=media_type, detail=detail, media_resolution=level)
    return Outcome(
        Technique.FULL_LOW, edit, tokens, target, len(data), media_type,
        f"general question: low-detail {target[0]}x{target[1]}",
    )
