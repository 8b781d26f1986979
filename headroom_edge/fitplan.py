"""The smallest sufficient resolution: the cheapest size at which an image's smallest text stays
legible to the provider's model, on that provider's own grid. What FIT sends and the policy plans.

| family             | what is chosen                                                          |
|--------------------|-------------------------------------------------------------------------|
| OpenAI tile        | whole 512-px tiles, counted after OpenAI's own short-side-768 rule       |
| OpenAI 32-px patch | whole 32-px patches (after the model's patch budget)                      |
| Anthropic Claude   | whole 28-px grid cells (after Claude's own downscale)                     |
| Gemini 3           | the lowest ``mediaResolution`` (LOW, MEDIUM, HIGH) whose view keeps it    |
| Gemini 2.x         | whole 768-px tiles                                                       |

Legibility is judged where the model looks: the text's cap height times the scale of
:func:`~headroom_edge.tokens.family_view_size` (for Gemini, the level's modelled view, not the
pixels sent), against ``LEGIBLE_TEXT_PX``.

Why beside :mod:`headroom_edge.lowdetail`: the decision (which prices the plan to choose it) and
the FIT technique (which sends it) must compute the same plan from the same resolved family.
Sizes come from :func:`~headroom_edge.tokens.fit_box` on the grid (integer arithmetic, never
enlarging), prices and views from the token rules; nothing here knows a number of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from headroom_edge.lowdetail import GEMINI_LOW_LEVEL
from headroom_edge.tokens import (
    CLAUDE_PATCH,
    GEMINI2_TILE,
    OPENAI_PATCH,
    OPENAI_TILE,
    ModelFamily,
    family_effective_size,
    family_tokens,
    family_view_size,
    fit_box,
)

LEGIBLE_TEXT_PX = 8.0
"""Cap height (px, in the model's view) below which Latin text stops being reliably legible to
vision models and to OCR: ~11 px font in DejaVu/Arial. The quantity image analysis measures
(``analysis.textsize``: baseline to the top of the capitals). One home for the threshold: the
policy judges FULL_LOW with it and FIT plans with it."""
DETAIL_LEGIBLE_TEXT_PX = 10.0
"""The cap height FIT keeps when the question asked for the untouched image (policy row 6): a
detail question reads exact characters (a version, a figure), and the measured size is a low
percentile, so some lines are smaller still. Tesseract's recall relative to its best is >= 0.93
at 8 px and 0.84 at 7 px (``scripts/bench_fit.py``); 25% above the threshold keeps the lines
below the percentile above 8 px too."""
GEMINI3_LEVELS = (GEMINI_LOW_LEVEL, "MEDIA_RESOLUTION_MEDIUM", "MEDIA_RESOLUTION_HIGH")
"""The per-part levels FIT may choose on Gemini 3, cheapest first (ULTRA_HIGH is never a saving
over the default HIGH, so it is never chosen)."""
GRID = {"openai_tile": OPENAI_TILE, "openai_patch": OPENAI_PATCH, "anthropic": CLAUDE_PATCH,
        "gemini2": GEMINI2_TILE}
"""The unit each pixel-billed family counts in: a size between two multiples costs the same
as the larger one, so FIT only ever stops on a multiple (one side fills its cells)."""


def every_line_bar(smallest: float, least: float | None) -> float:
    """The bar that keeps *every* measured line legible, stated for the ``smallest``
    (percentile) measure FIT plans with (``SourceImage.text_cap_px``): the ``least`` line at
    ``LEGIBLE_TEXT_PX`` and the percentile at ``DETAIL_LEGIBLE_TEXT_PX``. A view scales every
    line alike, so the least line is legible exactly when the percentile reaches
    ``LEGIBLE_TEXT_PX x smallest / least``. For questions that read every line: policy row 6,
    and a transcode that falls back to FIT."""
    if least is None or least <= 0:
        return DETAIL_LEGIBLE_TEXT_PX
    return max(DETAIL_LEGIBLE_TEXT_PX, LEGIBLE_TEXT_PX * smallest / least)


@dataclass(frozen=True)
class FitPlan:
    """What FIT sends: pixels, the Gemini level to set, and what that costs and shows."""

    size: tuple[int, int]
    media_resolution: str | None
    """Gemini 3 level to set (None: leave the request's field alone)."""
    tokens: int
    view: tuple[int, int]
    """The resolution the model resolves ``size`` at (``family_view_size``)."""
    text_px: float
    """The smallest text's cap height as the model sees it under this plan."""


def text_in_view(cap_px: float, original: tuple[int, int], view: tuple[int, int]) -> float:
    """Cap height ``cap_px`` (original pixels) at the model's ``view`` of an image of ``original``."""
    return cap_px * min(view[0] / original[0], view[1] / original[1])


def fit_plan(family: ModelFamily, size: tuple[int, int], cap_px: float, legible: float = LEGIBLE_TEXT_PX, *,
             detail: str | None = None, media_resolution: str | None = None) -> FitPlan | None:
    """The cheapest plan under which text of ``cap_px`` (original px) is at least ``legible`` px
    in the model's view, when it costs fewer tokens than the image as requested; else None.

    ``detail`` / ``media_resolution`` are the request's own settings (they price the original,
    and every pixel plan keeps them). Ties in tokens go to the smaller size (fewer bytes).
    """
    original = family_tokens(family, size[0], size[1], detail, media_resolution)
    best: FitPlan | None = None
    for plan in _candidates(family, size, cap_px, detail, media_resolution):
        if plan.tokens >= original or plan.text_px < legible:
            continue
        if best is None or (plan.tokens, plan.size[0] * plan.size[1]) < (best.tokens, best.size[0] * best.size[1]):
            best = plan
    return best


def _candidates(family: ModelFamily, size: tuple[int, int], cap_px: float, detail: str | None,
                media_resolution: str | None) -> list[FitPlan]:
    w, h = size
    if family.kind == "gemini3":
        plans = []
        for level in GEMINI3_LEVELS:
            view = family_view_size(family, w, h, detail, level)
            plans.append(FitPlan(size, level, family_tokens(family, w, h, detail, level), view,
                                 text_in_view(cap_px, size, view)))
        return plans
    grid = GRID[family.kind]
    sizes = set()
    for k in range(1, max(w, h) // grid + 1):
        side = k * grid
        for box in ((side, max(h, side)), (max(w, side), side)):  # one side fills k cells
            fitted = fit_box(w, h, *box)
            sizes.add(family_effective_size(family, *fitted, detail))  # never more than it sees
    plans = []
    for sw, sh in sorted(sizes):
        view = family_view_size(family, sw, sh, detail, media_resolution)
        plans.append(FitPlan((sw, sh), None, family_tokens(family, sw, sh, detail, media_resolution), view,
                             text_in_view(cap_px, size, view)))
    return plans
