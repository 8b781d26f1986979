"""The low-detail size of an image, per billing family: what FULL_LOW sends and analysis measures.

| family            | low-detail plan                                                             |
|-------------------|-----------------------------------------------------------------------------|
| OpenAI tile       | ``detail: "low"`` and pixels shrunk to fit 512x512 (all that low detail sees) |
| OpenAI 32-px patch| pixels shrunk to <= ``PATCH_LOW_BUDGET`` patches (these models ignore low)  |
| Anthropic Claude  | long edge ``CLAUDE_LOW_LONG_EDGE`` px, short edge snapped to the 28-px grid |
| Gemini 3          | per-part ``mediaResolution`` LOW; pixels fit 1024x1024 (bandwidth only)     |
| Gemini 2.x        | pixels fit one 768x768 tile                                                 |

Why it sits beside :mod:`headroom_edge.tokens` and not in ``techniques/``: the decision (image
analysis measures what this size would destroy) and the FULL_LOW technique both need it, and both
must plan with the *same* family the request is priced with. So the plan takes a resolved
:class:`~headroom_edge.tokens.ModelFamily` and reuses the grid and box sizes of the token rules.
Pure integer arithmetic; sizes never grow.
"""

from __future__ import annotations

import math

from headroom_edge.tokens import (
    CLAUDE_PATCH,
    GEMINI2_TILE,
    OPENAI_LOW_BOX,
    OPENAI_PATCH,
    ModelFamily,
    ceil_div,
    family_view_size,
    fit_box,
)

PATCH_LOW_BUDGET = 256
"""32-px patches kept for OpenAI patch models: 512x512-equivalent, about a sixth of their 1536 cap."""
CLAUDE_LOW_LONG_EDGE = 18 * CLAUDE_PATCH  # 504 px, "about 512" on Claude's 28-px grid
CLAUDE_SNAP_SLACK = 6
"""Trim up to this many px from the short edge when that saves a whole 28-px row of tokens."""
GEMINI3_LOW_BOX = 1024
"""Gemini 3 bills LOW per part whatever the size; this box only bounds the bytes sent."""
GEMINI_LOW_LEVEL = "MEDIA_RESOLUTION_LOW"

LowPlan = tuple[tuple[int, int], str | None, str | None]
"""(target size, OpenAI ``detail`` to set, Gemini level to set)."""


def patch_budget_size(size: tuple[int, int], budget: int = PATCH_LOW_BUDGET) -> tuple[int, int]:
    """Largest size (multiples of 32 px when shrinking) whose 32-px patch count is <= budget."""
    w, h = size
    if ceil_div(w, OPENAI_PATCH) * ceil_div(h, OPENAI_PATCH) <= budget:
        return size
    scale = math.sqrt(budget * OPENAI_PATCH * OPENAI_PATCH / (w * h))
    tw = max(OPENAI_PATCH, math.floor(w * scale / OPENAI_PATCH) * OPENAI_PATCH)
    th = max(OPENAI_PATCH, math.floor(h * scale / OPENAI_PATCH) * OPENAI_PATCH)
    while (tw // OPENAI_PATCH) * (th // OPENAI_PATCH) > budget:  # only when one side hit the floor
        if tw >= th:
            tw -= OPENAI_PATCH
        else:
            th -= OPENAI_PATCH
    return tw, th


def claude_low_size(size: tuple[int, int]) -> tuple[int, int]:
    """Long edge 504 px; the short edge trimmed onto the 28-px grid when that is nearly free."""
    w, h = fit_box(*size, CLAUDE_LOW_LONG_EDGE, CLAUDE_LOW_LONG_EDGE)
    if (w, h) == size:
        return size

    def snap(d: int) -> int:
        rest = d % CLAUDE_PATCH
        return d - rest if 0 < rest <= CLAUDE_SNAP_SLACK and d - rest >= CLAUDE_PATCH else d

    return (w, snap(h)) if w >= h else (snap(w), h)


def low_plan(family: ModelFamily, size: tuple[int, int]) -> LowPlan:
    """The low-detail plan for an image of ``size`` under ``family``'s billing rule."""
    kind = family.kind
    if kind == "openai_tile":
        return fit_box(*size, OPENAI_LOW_BOX, OPENAI_LOW_BOX), "low", None
    if kind == "openai_patch":
        return patch_budget_size(size), None, None
    if kind == "anthropic":
        return claude_low_size(size), None, None
    if kind == "gemini3":
        return fit_box(*size, GEMINI3_LOW_BOX, GEMINI3_LOW_BOX), None, GEMINI_LOW_LEVEL
    if kind == "gemini2":
        return fit_box(*size, GEMINI2_TILE, GEMINI2_TILE), None, None
    raise ValueError(f"no low-detail plan for model family kind {kind!r}")


def low_view_size(family: ModelFamily, size: tuple[int, int]) -> tuple[int, int]:
    """What the model resolves of the low-detail plan: where FULL_LOW's legibility is judged.

    Not the pixels sent: OpenAI tile models look at ``detail: "low"`` through a 512-px box, and
    Gemini 3 LOW resolves far fewer pixels than the 1024 px box bounds (``family_view_size``).
    """
    target, detail, level = low_plan(family, size)
    return family_view_size(family, target[0], target[1], detail, level)
