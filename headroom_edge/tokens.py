"""What an image costs in input tokens, per provider and model family.

Every compression decision compares "tokens if we send the image as is" with "tokens after we shrink
it / replace it by OCR text", so the estimate has to follow each provider's own billing rule,
including the downscale the provider applies before counting (shrinking an image that the provider
would shrink anyway saves nothing).

Source of every rule below: the project's shared provider facts (``provider-facts.md``),
re-checked 2026-12 against the providers' docs (and, where marked, community billing measurements).
Which model gets which rule, with which parameters, is data: the model catalog
(:mod:`headroom_edge.catalog`, ``headroom_edge/data/models.json``), which users can extend. Exact
counts are only available from the providers' count-tokens endpoints; these functions are
estimates meant for budgeting, so where a rule is ambiguous they round *up*.

The arithmetic is pure on (width, height): no Pillow, no I/O, so a call costs a few microseconds
and can run for every image of every request (resolving a model name reads the catalog, which is
parsed once per process).

Families (``ModelFamily.kind``):

* ``openai_tile``   gpt-4o / 4.1 / 4.5 / gpt-5 / o1 / o3 / 4o-mini / computer-use-preview:
  base + per_tile x 512-px tiles after fitting 2048x2048 and short side <= 768; ``low`` = base.
* ``openai_patch``  32-px patches x multiplier, after a long-edge cap and a patch budget:
  gpt-4.1-mini/nano, o4-mini, gpt-5-mini/nano, gpt-5.2, gpt-5.3-codex, the codex minis,
  gpt-5.4-mini/nano (1536 patches / 2048 px); gpt-5.4 and gpt-5.5 (2500 / 2048 px; ``original``
  10000 / 6000 px); GPT-5.6 and later (``original``: no resizing). On gpt-5.5 and later a missing
  or ``auto`` detail means ``original``. ``low`` does not reduce these models.
* ``anthropic``     ceil(w/28) x ceil(h/28) after Claude's downscale (1568 px / 1568 tokens;
  Claude 4.7 and later, any tier name: 2576 px / 4784 tokens).
* ``gemini3``       per image by media resolution, at most 280 / 560 / 1120 / 2240 (HIGH default).
* ``gemini2``       global LOW 64, MEDIUM 256; otherwise 258 per 768x768 tile (258 if <= 384x384).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from headroom_edge.catalog import (
    FamilyKind,
    ModelCatalog,
    ModelFamily,
    PatchMultipliers,
    default_catalog,
    load_catalog,
)
from headroom_edge.providers import PROVIDERS, Provider

__all__ = [
    "PATCH_MULTIPLIERS",  # noqa: F822 -- provided by the module __getattr__ below
    "FamilyKind",
    "ModelCatalog",
    "ModelFamily",
    "PatchMultipliers",
    "Provider",
    "effective_size",
    "estimate_image_tokens",
    "estimate_text_tokens",
    "family_effective_size",
    "family_view_size",
    "family_tokens",
    "fit_box",
    "low_detail_tokens",
    "openai_patch_count",
    "resolve_family",
]

# --- OpenAI ------------------------------------------------------------------------------------

_OPENAI_TILE = 512
OPENAI_TILE = _OPENAI_TILE
"""Public name of the 512-px tile side, for planners that step on the tile grid (fitplan)."""
_OPENAI_TILE_BOX = 2048
_OPENAI_TILE_SHORT_SIDE = 768
OPENAI_LOW_BOX = 512
OPENAI_PATCH = 32
_OPENAI_PATCH_BUDGET = 1536
"""Default budget of :func:`openai_patch_count` (the documented example rule)."""

# --- Anthropic ---------------------------------------------------------------------------------

CLAUDE_PATCH = 28

# --- Google ------------------------------------------------------------------------------------

_GEMINI3_LEVEL_TOKENS: Mapping[str, int] = MappingProxyType(
    {"LOW": 280, "MEDIUM": 560, "HIGH": 1120, "ULTRA_HIGH": 2240}
)
"""Gemini 3 per-image counts by media resolution. The docs call them maxima (a flat 1089 was
measured on a flash-lite), so as an estimate for budgeting they are the right, upper, value."""
_GEMINI3_DEFAULT_LEVEL = "HIGH"
_GEMINI2_LEVEL_TOKENS: Mapping[str, int] = MappingProxyType({"LOW": 64, "MEDIUM": 256})
_GEMINI2_TOKENS = 258
_GEMINI2_SMALL_SIDE = 384
GEMINI2_TILE = 768

GEMINI_VIEW_PX_PER_TOKEN = 32 * 32
"""Pixels one Gemini image token resolves, for judging legibility only: Google publishes token
counts per media-resolution level but not the size its encoder looks at. 32 x 32 px a token is
the conservative reading (Gemini 2's documented tile, 768 x 768 px for 258 tokens, is ~48 x 48):
LOW (280) then sees ~535 x 535 px, HIGH (1120) ~1070 x 1070. Never used to shrink what is sent,
since Gemini bills a flat count per level whatever the pixels."""

_TEXT_BYTES_PER_TOKEN = 4
_FLOAT_SLACK = 1e-9


def __getattr__(name: str) -> Any:
    # PATCH_MULTIPLIERS is a view of the packaged catalog, built when first asked for (the one
    # source of the numbers is headroom_edge/data/models.json).
    if name == "PATCH_MULTIPLIERS":
        return default_catalog().patch_multipliers()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --- Public API --------------------------------------------------------------------------------


def resolve_family(
    provider: str,
    model: str | None,
    *,
    patch_multipliers: PatchMultipliers | None = None,
    catalog: ModelCatalog | None = None,
) -> ModelFamily:
    """Map a request's (provider, model) to the billing rule that applies.

    The mapping is the model catalog (:mod:`headroom_edge.catalog`: the packaged table, or
    ``catalog`` / the file named by ``HEADROOM_MODEL_CATALOG``): case-insensitive, routing
    prefixes dropped, first matching row wins, so dated names ("gpt-4o-2024-08-06") resolve to
    their family and "gpt-4o-mini" never falls into "gpt-4o". Unknown or missing models get the
    provider's unknown-model family (the gpt-5.4 patch rule,
    Claude 4.7+, Gemini 3: the rules that see the most pixels) and the catalog
    logs one warning per unknown name: an estimate must never fail on a new model name.
    """
    prov = _check_provider(provider)
    table = load_catalog(catalog).with_patch_multipliers(patch_multipliers)
    return table.resolve(prov, model)


def estimate_image_tokens(
    provider: str,
    model: str | None,
    width: int,
    height: int,
    detail: str | None = None,
    media_resolution: str | None = None,
    *,
    patch_multipliers: PatchMultipliers | None = None,
    catalog: ModelCatalog | None = None,
) -> int:
    """Input tokens one image of ``width`` x ``height`` px costs at ``provider``/``model``.

    ``detail`` is OpenAI's per-image setting ("low" / "high" / "auto" / "original"; missing,
    "auto" and unknown values mean the family's ``auto_detail``: "high" on most models, "original"
    on gpt-5.5 and later, never the cheaper reading). ``media_resolution`` is
    Gemini's level ("LOW", "media_resolution_low", ...); other providers ignore the one that does
    not apply to them. The result is always a positive int.
    """
    family = resolve_family(provider, model, patch_multipliers=patch_multipliers, catalog=catalog)
    return family_tokens(family, width, height, detail, media_resolution)


def family_tokens(
    family: ModelFamily,
    width: int,
    height: int,
    detail: str | None = None,
    media_resolution: str | None = None,
) -> int:
    """:func:`estimate_image_tokens` for an already resolved family.

    A request resolves its family once (with its multiplier overrides) and prices every size with
    it, so the plan and the price of one rewrite can never use two different billing rules.
    """
    w, h = _check_size(width, height)
    level = _normalize_detail(detail, family)
    kind = family.kind
    if kind == "openai_tile":
        if level == "low":
            return family.base_tokens
        ew, eh = _openai_tile_size(w, h)
        tiles = ceil_div(ew, _OPENAI_TILE) * ceil_div(eh, _OPENAI_TILE)
        return family.base_tokens + family.tile_tokens * tiles
    if kind == "openai_patch":
        patches = _openai_patch_tokens_raw(family, w, h, level)
        # ceil, not round: an estimate used for budgeting must not come in under the bill. The
        # slack keeps float noise (100 * 1.2 = 120.00000000000001) from adding a phantom token.
        return max(1, math.ceil(patches * family.multiplier - _FLOAT_SLACK))
    if kind == "anthropic":
        ew, eh = _anthropic_size(w, h, family)
        return ceil_div(ew, CLAUDE_PATCH) * ceil_div(eh, CLAUDE_PATCH)
    res = _normalize_media_resolution(media_resolution)
    if kind == "gemini3":
        return _GEMINI3_LEVEL_TOKENS[res or _GEMINI3_DEFAULT_LEVEL]
    # gemini2: only the request-global LOW / MEDIUM levels are flat; HIGH / unset use the tile rule.
    if res in _GEMINI2_LEVEL_TOKENS:
        return _GEMINI2_LEVEL_TOKENS[res]
    if w <= _GEMINI2_SMALL_SIDE and h <= _GEMINI2_SMALL_SIDE:
        return _GEMINI2_TOKENS
    return _GEMINI2_TOKENS * ceil_div(w, GEMINI2_TILE) * ceil_div(h, GEMINI2_TILE)


def effective_size(
    provider: str,
    model: str | None,
    width: int,
    height: int,
    detail: str | None = None,
    *,
    patch_multipliers: PatchMultipliers | None = None,
    catalog: ModelCatalog | None = None,
) -> tuple[int, int]:
    """The size at which the provider actually looks at the image, after its own downscale.

    Sending more pixels than this buys nothing, so resizing to it is free quality-wise. OpenAI
    tile: fit 2048x2048 then short side <= 768 (``low``: fit 512x512); OpenAI patch: the scaled
    size of the patch rule (rounded to whole px, so recounting it never exceeds the estimate);
    Claude: its long-edge / token-budget downscale; Gemini: unchanged (it does not report one).
    Never larger than the input.
    """
    family = resolve_family(provider, model, patch_multipliers=patch_multipliers, catalog=catalog)
    return family_effective_size(family, width, height, detail)


def family_effective_size(
    family: ModelFamily, width: int, height: int, detail: str | None = None
) -> tuple[int, int]:
    """:func:`effective_size` for an already resolved family (see :func:`family_tokens`)."""
    w, h = _check_size(width, height)
    level = _normalize_detail(detail, family)
    if family.kind == "openai_tile":
        if level == "low":
            return fit_box(w, h, OPENAI_LOW_BOX, OPENAI_LOW_BOX)
        return _openai_tile_size(w, h)
    if family.kind == "openai_patch":
        cw, ch, budget = _openai_patch_input(family, w, h, level)
        scale = _openai_patch_scale(cw, ch, budget)
        if scale >= 1.0:
            return cw, ch
        return max(1, math.floor(cw * scale + 0.5)), max(1, math.floor(ch * scale + 0.5))
    if family.kind == "anthropic":
        return _anthropic_size(w, h, family)
    return w, h


def family_view_size(
    family: ModelFamily,
    width: int,
    height: int,
    detail: str | None = None,
    media_resolution: str | None = None,
) -> tuple[int, int]:
    """The resolution the provider's model resolves the image at: what legibility is judged on.

    OpenAI and Anthropic: exactly :func:`family_effective_size` (their documented downscale).
    Gemini 3: the image fit into the level's token count x ``GEMINI_VIEW_PX_PER_TOKEN`` pixels
    (aspect kept); Gemini 2: the global LOW / MEDIUM levels the same way, the tile rule sees
    every pixel. Never larger than the input. Unlike the effective size, this is a model of
    the encoder, not a documented resize, so it judges but never decides what is sent.
    """
    w, h = _check_size(width, height)
    if family.kind not in ("gemini3", "gemini2"):
        return family_effective_size(family, w, h, detail)
    res = _normalize_media_resolution(media_resolution)
    if family.kind == "gemini3":
        tokens = _GEMINI3_LEVEL_TOKENS[res or _GEMINI3_DEFAULT_LEVEL]
    elif res in _GEMINI2_LEVEL_TOKENS:
        tokens = _GEMINI2_LEVEL_TOKENS[res]
    else:
        return w, h
    budget = tokens * GEMINI_VIEW_PX_PER_TOKEN
    if w * h <= budget:
        return w, h
    scale = math.sqrt(budget / (w * h))
    return max(1, math.floor(w * scale)), max(1, math.floor(h * scale))


def low_detail_tokens(
    provider: str,
    model: str | None,
    *,
    patch_multipliers: PatchMultipliers | None = None,
    catalog: ModelCatalog | None = None,
) -> int | None:
    """Size-independent price of a "low detail" image, or None where the family has none.

    Used to price the thumbnail kept next to OCR text. OpenAI tile models: ``base`` tokens.
    OpenAI patch models and Claude: None (only fewer pixels reduce their cost, so price the
    thumbnail with :func:`estimate_image_tokens` at its real size). Gemini 3: the per-part LOW
    level (280). Gemini 2: the global LOW level (64) -- note that one applies to every image of
    the request.
    """
    family = resolve_family(provider, model, patch_multipliers=patch_multipliers, catalog=catalog)
    if family.kind == "openai_tile":
        return family.base_tokens
    if family.kind == "gemini3":
        return _GEMINI3_LEVEL_TOKENS["LOW"]
    if family.kind == "gemini2":
        return _GEMINI2_LEVEL_TOKENS["LOW"]
    return None


def openai_patch_count(width: int, height: int, budget: int = _OPENAI_PATCH_BUDGET) -> int:
    """32-px patches OpenAI counts for an image, before the model's multiplier (documented rule).

    patches = ceil(w/32) * ceil(h/32); above ``budget`` the image is scaled by
    sqrt(32*32*budget / (w*h)), then shrunk further so one side spans a whole number of patches
    (the smaller of floor(x)/x over both sides, x = scaled side / 32), and counted again.
    Examples: 1024x1024 -> 1024, 1800x2400 -> 1452.

    Note the rule is not monotone in size: just past the budget the whole-patch adjustment can
    cost fewer patches than a slightly smaller image that still fits raw.
    """
    w, h = _check_size(width, height)
    if budget < 1:
        raise ValueError(f"patch budget must be >= 1, got {budget}")
    scale = _openai_patch_scale(w, h, budget)
    return _patch_grid(w * scale) * _patch_grid(h * scale)


def estimate_text_tokens(text: str) -> int:
    """Rough token count of text that replaces an image (OCR output): ~4 bytes of UTF-8 per token.

    Four characters per token is the usual English ratio; counting UTF-8 bytes instead of
    characters gives the same number for ASCII and a less optimistic one for CJK and other
    scripts that tokenizers split finely. Rounded up; 0 for the empty string.
    """
    if not text:
        return 0
    return text_bytes_tokens(len(text.encode("utf-8", "surrogatepass")))


def text_bytes_tokens(n_bytes: int) -> int:
    """The rule of :func:`estimate_text_tokens` for ``n_bytes`` of text not read yet (the OCR
    volume estimate judges a transcode before recognition: ``headroom_edge.ocr.volume``)."""
    return ceil_div(max(0, n_bytes), _TEXT_BYTES_PER_TOKEN)


# --- Resolution helpers ------------------------------------------------------------------------


def _check_provider(provider: str) -> str:
    prov = provider.strip().lower() if isinstance(provider, str) else provider
    if prov not in PROVIDERS:
        raise ValueError(f"unknown provider {provider!r}; expected one of {', '.join(PROVIDERS)}")
    return prov


def _normalize_detail(detail: str | None, family: ModelFamily) -> str:
    """ "low", "high" or "original"; missing, "auto" and unknown values mean what the family
    says auto means ("high" on most models, "original" on gpt-5.5 and later: never less)."""
    level = str(detail).strip().lower() if detail else ""
    return level if level in ("low", "high", "original") else family.auto_detail


def _normalize_media_resolution(level: str | None) -> str | None:
    """ "LOW" / "MEDIUM" / "HIGH" / "ULTRA_HIGH", or None for unset / unspecified / unknown."""
    if not level:
        return None
    name = str(level).strip().upper().replace("-", "_")
    if name.startswith("MEDIA_RESOLUTION_"):
        name = name[len("MEDIA_RESOLUTION_") :]
    return name if name in _GEMINI3_LEVEL_TOKENS else None


def _check_size(width: int, height: int) -> tuple[int, int]:
    if isinstance(width, bool) or isinstance(height, bool):
        raise TypeError("width and height must be integers, not bool")
    try:
        w, h = int(width), int(height)
    except (TypeError, ValueError, OverflowError) as exc:
        raise TypeError(f"width and height must be integers, got {width!r} x {height!r}") from exc
    if w != width or h != height:
        raise TypeError(f"width and height must be whole pixels, got {width!r} x {height!r}")
    if w < 1 or h < 1:
        raise ValueError(f"image size must be at least 1x1 px, got {w}x{h}")
    return w, h


# --- Geometry helpers (exact integer rounding, so results are stable and monotone) ----------------


def ceil_div(num: int, den: int) -> int:
    """Integer ceil(num / den), without floats."""
    return -(-num // den)


def _round_ratio(num: int, den: int) -> int:
    """num/den rounded half up, at least 1 px."""
    return max(1, (2 * num + den) // (2 * den))


def fit_box(w: int, h: int, box_w: int, box_h: int) -> tuple[int, int]:
    """Largest size with w's aspect inside box_w x box_h; never enlarges; sides at least 1 px.

    The one fit rule of the package (``imaging.fit_size`` checks its arguments and calls this):
    exact integer rounding (half up), so the size a technique produces is the size priced here.
    """
    if w <= box_w and h <= box_h:
        return w, h
    if w * box_h >= h * box_w:  # width is the binding side
        return box_w, _round_ratio(h * box_w, w)
    return _round_ratio(w * box_h, h), box_h


def _openai_tile_size(w: int, h: int) -> tuple[int, int]:
    w, h = fit_box(w, h, _OPENAI_TILE_BOX, _OPENAI_TILE_BOX)
    short = min(w, h)
    if short <= _OPENAI_TILE_SHORT_SIDE:
        return w, h
    if w <= h:
        return _OPENAI_TILE_SHORT_SIDE, _round_ratio(h * _OPENAI_TILE_SHORT_SIDE, w)
    return _round_ratio(w * _OPENAI_TILE_SHORT_SIDE, h), _OPENAI_TILE_SHORT_SIDE


def _patch_grid(side: float) -> int:
    """Patches across one side; the slack absorbs float noise on sides that are whole patches."""
    return max(1, math.ceil(side / OPENAI_PATCH - _FLOAT_SLACK))


def _openai_patch_scale(w: int, h: int, budget: int) -> float:
    """Scale OpenAI applies before counting patches (1.0 when the image fits the budget)."""
    if ceil_div(w, OPENAI_PATCH) * ceil_div(h, OPENAI_PATCH) <= budget:
        return 1.0
    r = math.sqrt(OPENAI_PATCH * OPENAI_PATCH * budget / (w * h))
    xw, xh = w * r / OPENAI_PATCH, h * r / OPENAI_PATCH
    fw, fh = math.floor(xw + _FLOAT_SLACK), math.floor(xh + _FLOAT_SLACK)
    if fw >= 1 and fh >= 1:
        r *= min(fw / xw, fh / xh)
        if _patch_grid(w * r) * _patch_grid(h * r) <= budget:
            return min(r, 1.0)
    # Very thin images (a side under one patch after scaling): the documented formula degenerates,
    # so find the largest scale whose count fits. The count only grows with the scale.
    lo, hi = 0.0, 1.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if _patch_grid(w * mid) * _patch_grid(h * mid) <= budget:
            lo = mid
        else:
            hi = mid
    return lo


def _openai_patch_input(family: ModelFamily, w: int, h: int, level: str) -> tuple[int, int, int]:
    """Size entering the patch rule (after the family's long-edge cap) and the patch budget.

    ``original`` without a budget (GPT-5.6) does no resizing: the budget returned is the image's
    own patch count, so the scale is 1.
    """
    budget, long_edge = family.patch_budget, family.max_long_edge
    if level == "original" and family.original_patch_budget is None:
        return w, h, ceil_div(w, OPENAI_PATCH) * ceil_div(h, OPENAI_PATCH)
    if level == "original" and family.original_patch_budget:
        budget = family.original_patch_budget
        long_edge = family.original_long_edge or long_edge
    if long_edge is not None:
        w, h = fit_box(w, h, long_edge, long_edge)
    return w, h, budget


def _openai_patch_tokens_raw(family: ModelFamily, w: int, h: int, level: str) -> int:
    # detail "low" does not reduce patch models (provider-facts); it prices like "high".
    cw, ch, budget = _openai_patch_input(family, w, h, level)
    scale = _openai_patch_scale(cw, ch, budget)
    return _patch_grid(cw * scale) * _patch_grid(ch * scale)


def _anthropic_size(w: int, h: int, family: ModelFamily) -> tuple[int, int]:
    """Claude's downscale: the largest long edge (aspect kept, never enlarging) that respects both
    the long-edge limit and the token budget. Binary search: ~12 steps, a few microseconds."""
    long_side, short_side = max(w, h), min(w, h)
    budget = family.token_budget

    def tokens(edge: int) -> int:
        short = _round_ratio(short_side * edge, long_side)
        return ceil_div(edge, CLAUDE_PATCH) * ceil_div(short, CLAUDE_PATCH)

    top = min(long_side, family.max_long_edge or long_side)
    if tokens(top) <= budget:
        edge = top
    else:
        lo, hi = 1, top  # tokens(1) == 1 fits, tokens(top) does not
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if tokens(mid) <= budget:
                lo = mid
            else:
                hi = mid
        edge = lo
    if edge == long_side:
        return w, h
    short = _round_ratio(short_side * edge, long_side)
    return (edge, short) if w >= h else (short, edge)
