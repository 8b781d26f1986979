"""What an image costs in input tokens, per provider and model family.

Every compression decision compares "tokens if we send the image as is" with "tokens after we shrink
it / replace it by OCR text", so the estimate has to follow each provider's own billing rule,
including the downscale the provider applies before counting (shrinking an image that the provider
would shrink anyway saves nothing).

Source of every number below: the project's shared provider facts (``provider-facts.md``),
collected 2026-11 from the providers' docs (and, where marked, community billing measurements). Exact counts are only available from the
providers' count-tokens endpoints; these functions are estimates meant for budgeting, so where a
rule is ambiguous they round *up*.

Everything here is pure arithmetic on (width, height): no Pillow, no I/O, no caches, so a call costs
a few microseconds and can run for every image of every request.

Families (``ModelFamily.kind``):

* ``openai_tile``   gpt-4o / 4.1 / 4.5 / gpt-5 / o1 / o3 / 4o-mini / computer-use-preview:
  base + per_tile x 512-px tiles after fitting 2048x2048 and short side <= 768; ``low`` = base.
* ``openai_patch``  gpt-4.1-mini/nano, o4-mini, gpt-5-mini/nano (1536 x 32-px patches x multiplier)
  and gpt-5.4 and later (2500 patches / 2048 px; ``original``: 10000 patches / 6000 px).
* ``anthropic``     ceil(w/28) x ceil(h/28) after Claude's downscale (1568 px / 1568 tokens;
  Opus 4.7 and later 2576 px / 4784 tokens).
* ``gemini3``       flat per image by media resolution: 280 / 560 / 1120 / 2240 (HIGH default).
* ``gemini2``       global LOW 64, MEDIUM 256; otherwise 258 per 768x768 tile (258 if <= 384x384).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Literal

from headroom_edge.providers import PROVIDERS, Provider

__all__ = [
    "PATCH_MULTIPLIERS",
    "FamilyKind",
    "ModelFamily",
    "PatchMultipliers",
    "Provider",
    "effective_size",
    "estimate_image_tokens",
    "estimate_text_tokens",
    "family_effective_size",
    "family_tokens",
    "fit_box",
    "low_detail_tokens",
    "openai_patch_count",
    "resolve_family",
]

FamilyKind = Literal["openai_tile", "openai_patch", "anthropic", "gemini3", "gemini2"]
PatchMultipliers = Mapping[str, float] | Iterable[tuple[str, float]]


@dataclass(frozen=True)
class ModelFamily:
    """One billing rule and its parameters; fields that do not apply to ``kind`` keep defaults.

    Frozen (hashable) so it can be part of cache keys and compared in tests.
    """

    name: str
    provider: Provider
    kind: FamilyKind
    base_tokens: int = 0
    """openai_tile: flat tokens per image, and the whole cost at ``detail: "low"``."""
    tile_tokens: int = 0
    """openai_tile: tokens per 512x512 tile."""
    multiplier: float = 1.0
    """openai_patch: billed tokens per 32-px patch."""
    patch_budget: int = 0
    """openai_patch: most patches per image (the image is shrunk to fit)."""
    original_patch_budget: int = 0
    """openai_patch with ``detail: "original"``; 0 means the same as ``patch_budget``."""
    original_long_edge: int | None = None
    """openai_patch with ``detail: "original"``: long-edge cap in px; None means as ``high``."""
    max_long_edge: int | None = None
    """openai_patch (gpt-5.4+) and anthropic: long-edge cap in px applied before counting."""
    token_budget: int = 0
    """anthropic: most 28-px visual tokens per image (the image is shrunk to fit)."""


# --- OpenAI ------------------------------------------------------------------------------------

_OPENAI_TILE = 512
_OPENAI_TILE_BOX = 2048
_OPENAI_TILE_SHORT_SIDE = 768
OPENAI_LOW_BOX = 512
OPENAI_PATCH = 32
_OPENAI_PATCH_BUDGET = 1536


def _tile(name: str, base: int, per_tile: int) -> ModelFamily:
    return ModelFamily(name, "openai", "openai_tile", base_tokens=base, tile_tokens=per_tile)


_GPT_4O = _tile("gpt-4o", 85, 170)
_GPT_41 = _tile("gpt-4.1", 85, 170)
_GPT_45 = _tile("gpt-4.5", 85, 170)
_GPT_5 = _tile("gpt-5", 70, 140)
_GPT_5_CHAT = _tile("gpt-5-chat", 70, 140)
_GPT_4O_MINI = _tile("gpt-4o-mini", 2833, 5667)
_O1 = _tile("o1", 75, 150)
_O1_PRO = _tile("o1-pro", 75, 150)
_O3 = _tile("o3", 75, 150)
_COMPUTER_USE = _tile("computer-use-preview", 65, 129)

_OPENAI_TILE_PREFIXES: Mapping[str, ModelFamily] = MappingProxyType(
    {
        "gpt-4o": _GPT_4O,
        "chatgpt-4o": _GPT_4O,  # "chatgpt-4o-latest" is the ChatGPT snapshot of gpt-4o.
        "gpt-4.1": _GPT_41,
        "gpt-4.5": _GPT_45,
        "gpt-5": _GPT_5,
        "gpt-5-chat": _GPT_5_CHAT,
        "gpt-4o-mini": _GPT_4O_MINI,
        "o1": _O1,
        "o1-pro": _O1_PRO,
        "o3": _O3,
        "computer-use-preview": _COMPUTER_USE,
    }
)

PATCH_MULTIPLIERS: Mapping[str, float] = MappingProxyType(
    {
        # Documented by OpenAI (provider-facts.md).
        "gpt-4.1-mini": 1.62,
        "gpt-4.1-nano": 2.46,
        "o4-mini": 1.72,
        # Not documented; community measurements of billing (provider-facts.md) suggest these.
        "gpt-5-mini": 1.2,
        "gpt-5-nano": 1.5,
        # codex-mini is listed as a patch model in provider-facts but without a multiplier, so it is
        # left out rather than guessed; pass it through ``patch_multipliers`` to price it.
    }
)
"""Model prefix -> billed tokens per 32-px patch, for the 1536-patch OpenAI models.

Override or extend per call with ``patch_multipliers``; a prefix that is not a known patch model
turns the matching models into 1536-patch models with that multiplier.
"""

_GPT_54 = ModelFamily(
    "gpt-5.4+",
    "openai",
    "openai_patch",
    multiplier=1.0,
    patch_budget=2500,
    max_long_edge=2048,
    original_patch_budget=10000,
    original_long_edge=6000,
)
"""gpt-5.4 and later: 32-px patches, high caps at 2500 patches / 2048 px, original at 10000 / 6000.

provider-facts gives no multiplier for these models, so patches are billed 1:1.
"""

_GPT_VERSION = re.compile(r"gpt-(\d+)(?:\.(\d+))?(?!\d)")

# --- Anthropic ---------------------------------------------------------------------------------

CLAUDE_PATCH = 28
_CLAUDE = ModelFamily("claude", "anthropic", "anthropic", max_long_edge=1568, token_budget=1568)
_CLAUDE_HIRES = ModelFamily(
    "claude-opus-4.7+", "anthropic", "anthropic", max_long_edge=2576, token_budget=4784
)
# "claude-opus-4-7", "claude-opus-4.7", "claude-opus-5-...". The minor version is 1-2 digits not
# followed by another digit, so the date in "claude-opus-4-20250514" is not read as minor "20".
_CLAUDE_OPUS_VERSION = re.compile(r"claude-opus-(\d+)(?:[-.](\d{1,2})(?!\d))?")
_CLAUDE_HIRES_SINCE = (4, 7)

# --- Google ------------------------------------------------------------------------------------

_GEMINI3 = ModelFamily("gemini-3", "google", "gemini3")
_GEMINI2 = ModelFamily("gemini-2", "google", "gemini2")
_GOOGLE_PREFIXES: Mapping[str, ModelFamily] = MappingProxyType(
    {
        "gemini-3": _GEMINI3,
        "gemini-2": _GEMINI2,
        "gemini-1": _GEMINI2,  # 1.0 / 1.5 bill images like 2.x (258-token tiles).
    }
)
_GEMINI3_LEVEL_TOKENS: Mapping[str, int] = MappingProxyType(
    {"LOW": 280, "MEDIUM": 560, "HIGH": 1120, "ULTRA_HIGH": 2240}
)
_GEMINI3_DEFAULT_LEVEL = "HIGH"
_GEMINI2_LEVEL_TOKENS: Mapping[str, int] = MappingProxyType({"LOW": 64, "MEDIUM": 256})
_GEMINI2_TOKENS = 258
_GEMINI2_SMALL_SIDE = 384
GEMINI2_TILE = 768

_DEFAULT_FAMILY: Mapping[str, ModelFamily] = MappingProxyType(
    {"openai": _GPT_5, "anthropic": _CLAUDE, "google": _GEMINI3}
)

# Characters that may follow a prefix for it to count as matched: "gpt-4o" matches
# "gpt-4o-2024-08-06" and "gpt-4o@x" but not "gpt-4omni"; "o1" must not match "o10".
_PREFIX_BOUNDARY = frozenset("-.@:_/ ")

_TEXT_BYTES_PER_TOKEN = 4
_FLOAT_SLACK = 1e-9


# --- Public API --------------------------------------------------------------------------------


def resolve_family(
    provider: str, model: str | None, *, patch_multipliers: PatchMultipliers | None = None
) -> ModelFamily:
    """Map a request's (provider, model) to the billing rule that applies.

    Matching is case-insensitive on the model string after dropping path-like prefixes
    ("models/gemini-2.5-flash", "openai/gpt-4o", "ft:gpt-4o-..."); the longest known prefix wins
    and must end at a separator, so dated names ("gpt-4o-2024-08-06") resolve to their family and
    "gpt-4o-mini" never falls into "gpt-4o". Unknown or missing models get the provider's current
    default family (gpt-5 tiles, current Claude, Gemini 3): an estimate must never fail on a new
    model name.
    """
    prov = _check_provider(provider)
    name = _normalize_model(model)
    if prov == "openai":
        return _resolve_openai(name, _merge_multipliers(patch_multipliers))
    if prov == "anthropic":
        return _resolve_anthropic(name)
    found = _longest_prefix(name, _GOOGLE_PREFIXES)
    return found[1] if found else _DEFAULT_FAMILY["google"]


def estimate_image_tokens(
    provider: str,
    model: str | None,
    width: int,
    height: int,
    detail: str | None = None,
    media_resolution: str | None = None,
    *,
    patch_multipliers: PatchMultipliers | None = None,
) -> int:
    """Input tokens one image of ``width`` x ``height`` px costs at ``provider``/``model``.

    ``detail`` is OpenAI's per-image setting ("low" / "high" / "auto" / "original"; missing,
    "auto" and unknown values count as "high", the conservative reading). ``media_resolution`` is
    Gemini's level ("LOW", "media_resolution_low", ...); other providers ignore the one that does
    not apply to them. The result is always a positive int.
    """
    family = resolve_family(provider, model, patch_multipliers=patch_multipliers)
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
    level = _normalize_detail(detail)
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
) -> tuple[int, int]:
    """The size at which the provider actually looks at the image, after its own downscale.

    Sending more pixels than this buys nothing, so resizing to it is free quality-wise. OpenAI
    tile: fit 2048x2048 then short side <= 768 (``low``: fit 512x512); OpenAI patch: the scaled
    size of the patch rule (rounded to whole px, so recounting it never exceeds the estimate);
    Claude: its long-edge / token-budget downscale; Gemini: unchanged (it does not report one).
    Never larger than the input.
    """
    family = resolve_family(provider, model, patch_multipliers=patch_multipliers)
    return family_effective_size(family, width, height, detail)


def family_effective_size(
    family: ModelFamily, width: int, height: int, detail: str | None = None
) -> tuple[int, int]:
    """:func:`effective_size` for an already resolved family (see :func:`family_tokens`)."""
    w, h = _check_size(width, height)
    level = _normalize_detail(detail)
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


def low_detail_tokens(
    provider: str, model: str | None, *, patch_multipliers: PatchMultipliers | None = None
) -> int | None:
    """Size-independent price of a "low detail" image, or None where the family has none.

    Used to price the thumbnail kept next to OCR text. OpenAI tile models: ``base`` tokens.
    OpenAI patch models and Claude: None (only fewer pixels reduce their cost, so price the
    thumbnail with :func:`estimate_image_tokens` at its real size). Gemini 3: the per-part LOW
    level (280). Gemini 2: the global LOW level (64) -- note that one applies to every image of
    the request.
    """
    family = resolve_family(provider, model, patch_multipliers=patch_multipliers)
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
    n_bytes = len(text.encode("utf-8", "surrogatepass"))
    return ceil_div(n_bytes, _TEXT_BYTES_PER_TOKEN)


# --- Resolution helpers ------------------------------------------------------------------------


def _check_provider(provider: str) -> str:
    prov = provider.strip().lower() if isinstance(provider, str) else provider
    if prov not in PROVIDERS:
        raise ValueError(f"unknown provider {provider!r}; expected one of {', '.join(PROVIDERS)}")
    return prov


def _normalize_model(model: str | None) -> str:
    """Lower-case model id without routing prefixes ("models/", "openai/", "ft:", Bedrock's
    "us.anthropic.")."""
    if not model:
        return ""
    name = model.strip().lower()
    if name.startswith("ft:"):
        name = name[3:]
    name = name.rsplit("/", 1)[-1]
    claude_at = name.find("claude-")
    if claude_at > 0:
        name = name[claude_at:]
    return name


def _prefix_matches(name: str, prefix: str) -> bool:
    return name.startswith(prefix) and (
        len(name) == len(prefix) or name[len(prefix)] in _PREFIX_BOUNDARY
    )


def _longest_prefix(name: str, table: Mapping[str, ModelFamily]) -> tuple[int, ModelFamily] | None:
    best: tuple[int, ModelFamily] | None = None
    for prefix, family in table.items():
        if _prefix_matches(name, prefix) and (best is None or len(prefix) > best[0]):
            best = (len(prefix), family)
    return best


def _merge_multipliers(overrides: PatchMultipliers | None) -> Mapping[str, float]:
    if overrides is None:
        return PATCH_MULTIPLIERS
    pairs = overrides.items() if isinstance(overrides, Mapping) else overrides
    merged = dict(PATCH_MULTIPLIERS)
    for prefix, value in pairs:
        mult = float(value)
        if not mult > 0 or math.isinf(mult):
            raise ValueError(
                f"patch multiplier for {prefix!r} must be a positive number, got {value!r}"
            )
        merged[str(prefix).strip().lower()] = mult
    return merged


def _resolve_openai(name: str, multipliers: Mapping[str, float]) -> ModelFamily:
    """Built-in tile and patch prefixes, the gpt-5.4+ version rule, then per-call overrides.

    All candidates compete on prefix length so "gpt-4.1-mini" (patch) beats "gpt-4.1" (tile).
    A multiplier whose prefix is at least as long as the built-in match wins: on a patch family it
    replaces the multiplier (budgets kept), otherwise it makes a 1536-patch family.
    """
    best = _longest_prefix(name, _OPENAI_TILE_PREFIXES)
    version = _GPT_VERSION.match(name)
    if version and (version.end() == len(name) or name[version.end()] in _PREFIX_BOUNDARY):
        major, minor = int(version.group(1)), int(version.group(2) or 0)
        if (major, minor) >= (5, 4) and (best is None or version.end() >= best[0]):
            best = (version.end(), _GPT_54)
    override: tuple[int, str, float] | None = None
    for prefix, mult in multipliers.items():
        if _prefix_matches(name, prefix) and (override is None or len(prefix) > override[0]):
            override = (len(prefix), prefix, mult)
    if override is not None and (best is None or override[0] >= best[0]):
        _, prefix, mult = override
        if best is not None and best[1].kind == "openai_patch":
            return replace(best[1], multiplier=mult)
        return ModelFamily(
            prefix, "openai", "openai_patch", multiplier=mult, patch_budget=_OPENAI_PATCH_BUDGET
        )
    return best[1] if best else _DEFAULT_FAMILY["openai"]


def _resolve_anthropic(name: str) -> ModelFamily:
    match = _CLAUDE_OPUS_VERSION.search(name)
    if match:
        version = (int(match.group(1)), int(match.group(2) or 0))
        if version >= _CLAUDE_HIRES_SINCE:
            return _CLAUDE_HIRES
    return _DEFAULT_FAMILY["anthropic"]


def _normalize_detail(detail: str | None) -> str:
    """ "low", "original" or "high" (missing, "auto" and unknown values: conservative "high")."""
    if not detail:
        return "high"
    level = str(detail).strip().lower()
    return level if level in ("low", "original") else "high"


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
    """Size entering the patch rule (after the family's long-edge cap) and the patch budget."""
    budget, long_edge = family.patch_budget, family.max_long_edge
    if level == "original" and family.original_patch_budget:
        budget, long_edge = family.original_patch_budget, family.original_long_edge
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
