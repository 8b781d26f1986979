"""FULL_LOW: the provider's low-detail path, per model family.

| family            | what is sent                                                              |
|-------------------|---------------------------------------------------------------------------|
| OpenAI tile       | ``detail: "low"`` and pixels shrunk to fit 512x512 (all that low detail sees) |
| OpenAI 32-px patch| pixels shrunk to <= ``PATCH_LOW_BUDGET`` patches (these models ignore low) |
| Anthropic Claude  | long edge ``CLAUDE_LOW_LONG_EDGE`` px, short edge snapped to the 28-px grid |
| Gemini 3          | per-part ``mediaResolution`` LOW; pixels fit 1024x1024 (bandwidth only)   |
| Gemini 2.x        | pixels fit one 768x768 tile                                                |

Sizes never grow: an image already inside the target is only re-labelled, never re-encoded.
"""

from __future__ import annotations

import math

from headroom_edge.formats.base import ImageEdit
from headroom_edge.imaging import fit_size, resize_to
from headroom_edge.technique import Technique
from headroom_edge.techniques.base import Outcome, SourceImage, TechniqueContext, untouched
from headroom_edge.tokens import resolve_family

PATCH = 32
PATCH_LOW_BUDGET = 256
"""32-px patches kept for OpenAI patch models: 512x512-equivalent, about a sixth of their 1536 cap."""
CLAUDE_GRID = 28
CLAUDE_LOW_LONG_EDGE = 18 * CLAUDE_GRID  # 504 px, "about 512" on Claude's 28-px grid
CLAUDE_SNAP_SLACK = 6
"""Trim up to this many px from the short edge when that saves a whole 28-px row of tokens."""
OPENAI_LOW_BOX = 512
GEMINI3_LOW_BOX = 1024
GEMINI2_TILE = 768
GEMINI_LOW_LEVEL = "MEDIA_RESOLUTION_LOW"


def patch_budget_size(size: tuple[int, int], budget: int = PATCH_LOW_BUDGET) -> tuple[int, int]:
    """Largest size (multiples of 32 px when shrinking) whose 32-px patch count is <= budget."""
    w, h = size
    if math.ceil(w / PATCH) * math.ceil(h / PATCH) <= budget:
        return size
    scale = math.sqrt(budget * PATCH * PATCH / (w * h))
    tw = max(PATCH, math.floor(w * scale / PATCH) * PATCH)
    th = max(PATCH, math.floor(h * scale / PATCH) * PATCH)
    while (tw // PATCH) * (th // PATCH) > budget:  # only reachable when one side hit the 32 floor
        if tw >= th:
            tw -= PATCH
        else:
            th -= PATCH
    return tw, th


def claude_low_size(size: tuple[int, int]) -> tuple[int, int]:
    """Long edge 504 px; the short edge trimmed onto the 28-px grid when that is nearly free."""
    w, h = fit_size(*size, CLAUDE_LOW_LONG_EDGE, CLAUDE_LOW_LONG_EDGE)
    if (w, h) == size:
        return size

    def snap(d: int) -> int:
        rest = d % CLAUDE_GRID
        return d - rest if 0 < rest <= CLAUDE_SNAP_SLACK and d - rest >= CLAUDE_GRID else d

    return (w, snap(h)) if w >= h else (snap(w), h)


def low_plan(ctx: TechniqueContext, size: tuple[int, int]) -> tuple[tuple[int, int], str | None, str | None]:
    """(target size, detail to set, Gemini level to set) for this request's model family."""
    kind = resolve_family(ctx.provider, ctx.model).kind
    if kind == "openai_tile":
        return fit_size(*size, OPENAI_LOW_BOX, OPENAI_LOW_BOX), "low", None
    if kind == "openai_patch":
        return patch_budget_size(size), None, None
    if kind == "anthropic":
        return claude_low_size(size), None, None
    if kind == "gemini3":
        return fit_size(*size, GEMINI3_LOW_BOX, GEMINI3_LOW_BOX), None, GEMINI_LOW_LEVEL
    if kind == "gemini2":
        return fit_size(*size, GEMINI2_TILE, GEMINI2_TILE), None, None
    raise ValueError(f"no low-detail plan for model family kind {kind!r}")


def apply_full_low(source: SourceImage, ctx: TechniqueContext) -> Outcome:
    target, detail, level = low_plan(ctx, source.size)
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
    img = resize_to(source.pixels(min_size=target), *target)
    data, media_type = ctx.encode(img)
    edit = ImageEdit(data=data, media_type=media_type, detail=detail, media_resolution=level)
    return Outcome(
        Technique.FULL_LOW, edit, tokens, target, len(data), media_type,
        f"general question: low-detail {target[0]}x{target[1]}",
    )
