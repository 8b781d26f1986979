"""TRANSCODE: send the image's text (offline OCR) instead of, or beside, its pixels.

By default a thumbnail stays next to the text (``transcode_keep_thumbnail``): OCR text alone loses
layout (tables, columns, forms). When OCR finds no confident text the image is preserved: a wrong
transcript is worse than tokens.

OCR is not started when it cannot pay off (issue 12: 70 of 710 benchmark runs spent ~10 s on OCR
of a dense page and then sent the image unchanged). After the detector, before recognition
(``OcrEngine.read`` with ``ReadLimits``), the image is kept untouched when

* the estimated text (``headroom_edge.ocr.volume.estimate_chars`` -> tokens) plus the thumbnail
  would cost as much as the image itself, or
* the estimated recognition time (the engine's measured seconds per input column x the columns
  of this page) exceeds the time left: ``CompressionConfig.ocr_budget_s``, and the job's deadline
  (``headroom_edge.runtime.cancel``) when it has one. Such a request takes the non-OCR path at
  once instead of waiting for its budget to expire.

The layout thumbnail rule (``layout_plan``): the thumbnail is the low-detail image unless the
page's largest text (its headings, measured by OCR) would fall below ``LAYOUT_HEADING_PX`` in
what the provider's model resolves at that size (``tokens.family_view_size``); then it is the
smallest step up (a larger size on the provider's grid with the request's own detail, or the next
Gemini 3 media resolution) that keeps headings at that size, provided it costs at most
``LAYOUT_MAX_SHARE`` of the original image. Headings legible means the structure (columns,
table grid, section order) can be matched with the text; body text need not be legible, the
transcript carries it.
"""

from __future__ import annotations

import math

from headroom_edge.formats.base import ImageEdit
from headroom_edge.imaging import resize_to
from headroom_edge.lowdetail import low_plan
from headroom_edge.runtime.cancel import current_deadline
from headroom_edge.runtime.memory import release_free_memory
from headroom_edge.technique import Technique
from headroom_edge.techniques.base import Outcome, SourceImage, TechniqueContext, untouched
from headroom_edge.tokens import OPENAI_PATCH, estimate_text_tokens, family_view_size

OCR_MAX_PIXELS = 4096 * 4096
"""Pages are OCRed at most at this many pixels (a bound on memory, by area, so a long screenshot
keeps its size). Generous on purpose: the detector reads its own smaller copy (``read_side``) and
every line is scaled to the recogniser's height, so a larger page costs almost no OCR time, while
shrinking it first made a 300-dpi page's 12 px text 8 px and lost a third of its words (issue 12's
quality benchmark, Tesseract judging). A 300-dpi A4 page (2480 x 3508) is read at full size."""
TEXT_HEADER = "[Text extracted from the image by OCR]"
LAYOUT_HEADING_PX = 9
"""Pixels a heading keeps in the model's view of the thumbnail: about the smallest text vision
models still read as words (the low-detail size of an A4 page shows 28 px headings at ~8 px)."""
LAYOUT_MAX_SHARE = 0.5
"""A layout thumbnail larger than the low-detail one may cost at most this share of the original
image, so a transcode still saves at least half of the image's price before its text."""
HEADING_MIN_CHARS = 3
"""OCR lines shorter than this do not count as headings (a large page number, a bullet)."""
GEMINI3_STEPS = ("MEDIA_RESOLUTION_MEDIUM", "MEDIA_RESOLUTION_HIGH")
"""Gemini 3 media resolutions above LOW, in price order: its layout steps."""

Plan = tuple[tuple[int, int], str | None, str | None]
"""(pixel size, OpenAI ``detail`` to set, Gemini media resolution to set)."""


def ocr_time_left(ctx: TechniqueContext) -> float | None:
    """Seconds OCR may take: the configured budget and the job's deadline, whichever is sooner."""
    left = ctx.config.ocr_budget_s
    deadline = current_deadline()
    remaining = deadline.remaining() if deadline is not None else None
    if remaining is not None:
        left = remaining if left is None else min(left, remaining)
    return left


def _view_long_side(ctx: TechniqueContext, plan: Plan) -> int:
    (w, h), detail, level = plan
    return max(family_view_size(ctx.family, w, h, detail or ctx.detail, level or ctx.media_resolution))


def _plan_tokens(ctx: TechniqueContext, plan: Plan) -> int:
    size, detail, level = plan
    return ctx.tokens(size, detail=detail, media_resolution=level)


def _grid_size(ctx: TechniqueContext, size: tuple[int, int], scale: float) -> tuple[int, int]:
    """``size`` x ``scale``, rounded up to the provider's pixel grid, never above ``size``."""
    step = {"anthropic": 28, "openai_patch": OPENAI_PATCH}.get(ctx.family.kind, 1)
    return tuple(min(side, math.ceil(side * scale / step) * step) for side in size)  # type: ignore[return-value]


def layout_plan(source: SourceImage, ctx: TechniqueContext, heading_px: float | None) -> Plan:
    """The thumbnail that keeps headings of ``heading_px`` (source pixels) legible (module
    docstring); the low-detail plan when it already does, when nothing is measured, or when no
    step up is cheap enough."""
    low: Plan = low_plan(ctx.family, source.size)
    if not heading_px:
        return low
    long_side = max(source.size)

    def legible(plan: Plan) -> bool:
        return heading_px * _view_long_side(ctx, plan) / long_side >= LAYOUT_HEADING_PX

    if legible(low):
        return low
    cap = LAYOUT_MAX_SHARE * ctx.tokens(source.size)
    if ctx.family.kind == "gemini3":
        steps: list[Plan] = [(low[0], None, level) for level in GEMINI3_STEPS]
    else:
        scale = min(1.0, LAYOUT_HEADING_PX / heading_px)
        steps = [(_grid_size(ctx, source.size, scale), None, None)]
    for step in steps:
        if legible(step) and _plan_tokens(ctx, step) <= cap:
            return step
    return low


def _thumbnail(source: SourceImage, ctx: TechniqueContext, plan: Plan) -> tuple[ImageEdit, int, tuple[int, int], int, str | None]:
    """The edit, tokens, size, bytes and media type of the thumbnail ``plan`` describes."""
    target, detail, level = plan
    detail = None if detail == ctx.detail else detail
    level = None if level == ctx.media_resolution else level
    tokens = ctx.tokens(target, detail=detail, media_resolution=level)
    if target == source.size:
        edit = ImageEdit(detail=detail, media_resolution=level)
        return edit, tokens, target, len(source.data), source.info.media_type
    img = resize_to(source.pixels(min_size=target), *target)
    data, media_type = ctx.encode(img)
    return ImageEdit(data=data, media_type=media_type, detail=detail, media_resolution=level), tokens, target, len(data), media_type


def apply_transcode(source: SourceImage, ctx: TechniqueContext) -> Outcome:
    if ctx.ocr is None:
        return untouched(source, ctx, "transcode needs OCR, which is not available")
    from headroom_edge.ocr import OcrUnavailableError, ReadLimits

    original = ctx.tokens(source.size)
    keep = ctx.config.transcode_keep_thumbnail
    low_tokens = _plan_tokens(ctx, low_plan(ctx.family, source.size)) if keep else 0
    header_tokens = estimate_text_tokens(f"{TEXT_HEADER}\n")
    limits = ReadLimits(max_text_tokens=max(0, original - low_tokens - header_tokens), max_seconds=ocr_time_left(ctx))

    img = source.pixels()
    if img.width * img.height > OCR_MAX_PIXELS:
        scale = math.sqrt(OCR_MAX_PIXELS / (img.width * img.height))
        img = resize_to(img, max(1, int(img.width * scale)), max(1, int(img.height * scale)))
    try:
        ocr = ctx.ocr.read(img, limits=limits)
    except OcrUnavailableError as exc:
        return untouched(source, ctx, f"transcode needs OCR, which is not available ({exc})")
    finally:
        release_free_memory()  # OCR's page-sized buffers would otherwise stay resident
    signals = {"ocr_estimated_chars": ocr.estimated_chars, "ocr_estimated_s": round(ocr.estimated_seconds, 3)}
    if ocr.skipped is not None:
        return untouched(source, ctx, f"OCR skipped before recognition: {ocr.skipped}; image kept",
                         ocr_skipped=ocr.skipped_for, **signals)
    text = ocr.text.strip()
    signals.update(ocr_chars=len(text), ocr_confidence=round(ocr.mean_confidence, 4), ocr_lines=len(ocr.lines))
    if len(text) < ctx.config.min_ocr_chars or ocr.mean_confidence < ctx.config.min_ocr_confidence:
        return untouched(source, ctx, "OCR found no confident text: image kept", **signals)
    body = f"{TEXT_HEADER}\n{text}"
    text_tokens = estimate_text_tokens(body)
    if not keep:
        edit = ImageEdit(text=body, keep_image=False)
        return Outcome(Technique.TRANSCODE, edit, text_tokens, None, len(body.encode()), None,
                       "image replaced by its OCR text", signals)
    heading = _heading_px(ocr.lines, source.size[0] / img.width)
    plan = layout_plan(source, ctx, heading)
    thumb, thumb_tokens, size, nbytes, media_type = _thumbnail(source, ctx, plan)
    edit = ImageEdit(data=thumb.data, media_type=thumb.media_type, detail=thumb.detail,
                     media_resolution=thumb.media_resolution, text=body, keep_image=True)
    if heading:
        signals["heading_px"] = round(heading, 1)
    return Outcome(
        Technique.TRANSCODE, edit, text_tokens + thumb_tokens, size, nbytes + len(body.encode()), media_type,
        f"OCR text plus a {size[0]}x{size[1]} thumbnail for layout", signals,
    )


def _heading_px(lines: tuple[object, ...], scale: float) -> float | None:
    """The largest text height among OCR lines of a few characters, in source pixels."""
    heights = [line.box.text_height for line in lines if len(line.text) >= HEADING_MIN_CHARS]  # type: ignore[attr-defined]
    return max(heights) * scale if heights else None
