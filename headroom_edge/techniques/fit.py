"""FIT: the smallest size at which the image's smallest text stays legible.

A general question on a page, a table or a screenshot whose text the low-detail view would blur
(policy row 1): rather than the untouched original, send the cheapest size on the provider's grid
at which the smallest measured text keeps ``LEGIBLE_TEXT_PX`` in the model's view (Gemini 3: only
the part's ``mediaResolution`` level changes). The plan is :func:`headroom_edge.fitplan.fit_plan`
on the text size image analysis measured on this very source (``SourceImage.text_cap_px``), so
what is sent is what the policy priced. Applied without a measurement (a custom decider, or a
transcode that fell back to FIT), it measures first; without any text size, or without a
saving, the image is sent untouched. ``TechniqueContext.every_line`` plans so that the smallest
measured line, not only the low percentile, stays legible (``fitplan.every_line_bar``).
"""

from __future__ import annotations

from headroom_edge.analysis.signals import measure_text
from headroom_edge.fitplan import LEGIBLE_TEXT_PX, every_line_bar, fit_plan
from headroom_edge.formats.base import ImageEdit
from headroom_edge.imaging import resize_to
from headroom_edge.technique import Technique
from headroom_edge.techniques.base import Outcome, SourceImage, TechniqueContext, untouched
from headroom_edge.tokens import family_view_size


def apply_fit(source: SourceImage, ctx: TechniqueContext) -> Outcome:
    if not source.text_measured and ctx.ocr is not None:
        view = family_view_size(ctx.family, *source.size, ctx.detail, ctx.media_resolution)
        measure_text(source, ctx.ocr, view)
    cap = source.text_cap_px
    if cap is None:
        return untouched(source, ctx, "fit needs the size of the image's text, and none was measured")
    if ctx.every_line:
        legible = every_line_bar(cap, source.text_least_px)
    else:
        legible = ctx.legible_px or LEGIBLE_TEXT_PX
    plan = fit_plan(ctx.family, source.size, cap, legible, detail=ctx.detail, media_resolution=ctx.media_resolution)
    if plan is None:
        return untouched(source, ctx, f"no size cheaper than the original keeps its {cap:.1f}px text legible")
    signals = {"fit_text_px": round(plan.text_px, 1), "fit_view": list(plan.view)}
    level = None if plan.media_resolution == ctx.media_resolution else plan.media_resolution
    if plan.size == source.size:
        if level is None:
            return untouched(source, ctx, "already the smallest size that keeps its text legible", **signals)
        return Outcome(
            Technique.FIT, ImageEdit(media_resolution=level), plan.tokens, source.size, len(source.data),
            source.info.media_type, f"smallest legible level {level} (text {plan.text_px:.1f}px)", signals,
        )
    img = resize_to(source.pixels(min_size=plan.size), *plan.size)
    data, media_type = ctx.encode(img)
    return Outcome(
        Technique.FIT, ImageEdit(data=data, media_type=media_type, media_resolution=level), plan.tokens,
        plan.size, len(data), media_type,
        f"smallest legible size {plan.size[0]}x{plan.size[1]} (text {plan.text_px:.1f}px)", signals,
    )
