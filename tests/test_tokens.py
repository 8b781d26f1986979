"""Tests for headroom_edge.tokens: the providers' worked examples, every family's numbers,
model-name resolution edge cases, and properties (positive ints, monotone under scaling,
low <= high)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from headroom_edge.tokens import (
    PATCH_MULTIPLIERS,
    ModelFamily,
    effective_size,
    estimate_image_tokens,
    estimate_text_tokens,
    low_detail_tokens,
    openai_patch_count,
    resolve_family,
)

# --- Worked examples from the providers' docs / provider-facts ---------------------------------


def test_openai_patch_count_worked_examples() -> None:
    assert openai_patch_count(1024, 1024) == 1024
    assert openai_patch_count(1800, 2400) == 1452
    assert openai_patch_count(2400, 1800) == 1452


@pytest.mark.parametrize("model", ["gpt-4o", "gpt-4o-2024-08-06"])
def test_gpt4o_doc_examples(model: str) -> None:
    assert estimate_image_tokens("openai", model, 1024, 1024, "high") == 765
    assert estimate_image_tokens("openai", model, 2048, 4096, "high") == 1105
    for w, h in [(1, 1), (512, 512), (4096, 8192), (20000, 30)]:
        assert estimate_image_tokens("openai", model, w, h, "low") == 85


def test_claude_worked_examples() -> None:
    assert estimate_image_tokens("anthropic", "claude-sonnet-4-5", 1000, 1000) == 1296
    assert estimate_image_tokens("anthropic", "claude-sonnet-4-5", 512, 512) == 361
    assert estimate_image_tokens("anthropic", "claude-sonnet-4-5-20250929", 1000, 1000) == 1296


# --- OpenAI tile families ----------------------------------------------------------------------

TILE_FAMILIES = [
    ("gpt-4o", 85, 170),
    ("gpt-4.1", 85, 170),
    ("gpt-4.5-preview", 85, 170),
    ("gpt-5", 70, 140),
    ("gpt-5-chat-latest", 70, 140),
    ("gpt-4o-mini", 2833, 5667),
    ("o1", 75, 150),
    ("o1-pro", 75, 150),
    ("o3", 75, 150),
    ("computer-use-preview", 65, 129),
]


@pytest.mark.parametrize(("model", "base", "per_tile"), TILE_FAMILIES)
def test_tile_family_numbers(model: str, base: int, per_tile: int) -> None:
    family = resolve_family("openai", model)
    assert family.kind == "openai_tile"
    assert (family.base_tokens, family.tile_tokens) == (base, per_tile)
    # 512x512 is one tile; 1024x1024 shrinks to 768x768 = 4 tiles; 2048x4096 -> 768x1536 = 6 tiles.
    assert estimate_image_tokens("openai", model, 512, 512) == base + per_tile
    assert estimate_image_tokens("openai", model, 1024, 1024) == base + 4 * per_tile
    assert estimate_image_tokens("openai", model, 2048, 4096) == base + 6 * per_tile
    assert estimate_image_tokens("openai", model, 3000, 3000, "low") == base
    assert low_detail_tokens("openai", model) == base


@pytest.mark.parametrize("detail", [None, "auto", "high", "original", "HIGH", "Auto"])
def test_tile_detail_values_that_count_as_high(detail: str | None) -> None:
    assert estimate_image_tokens("openai", "gpt-4o", 1024, 1024, detail) == 765


def test_tile_small_images_are_never_enlarged() -> None:
    assert effective_size("openai", "gpt-4o", 300, 200) == (300, 200)
    assert estimate_image_tokens("openai", "gpt-4o", 300, 200) == 85 + 170
    # 513 px wide needs two tiles: no shrinking happens below the 768 short side.
    assert estimate_image_tokens("openai", "gpt-4o", 513, 400) == 85 + 2 * 170


def test_tile_effective_size() -> None:
    assert effective_size("openai", "gpt-4o", 2048, 4096) == (768, 1536)
    assert effective_size("openai", "gpt-4o", 4096, 2048) == (1536, 768)
    assert effective_size("openai", "gpt-4o", 1024, 1024) == (768, 768)
    # Fit 2048 first (8000x1000 -> 2048x256), short side already <= 768.
    assert effective_size("openai", "gpt-4o", 8000, 1000) == (2048, 256)
    assert estimate_image_tokens("openai", "gpt-4o", 8000, 1000) == 85 + 170 * 4
    # Low detail: fit inside 512x512.
    assert effective_size("openai", "gpt-4o", 4096, 2048, "low") == (512, 256)
    assert effective_size("openai", "gpt-4o", 300, 200, "low") == (300, 200)


# --- OpenAI patch families ---------------------------------------------------------------------

# Documented multipliers, then the documented patch models whose multiplier only community
# billing measurements give (the catalog takes the larger of documented and measured), then the
# documented patch models with neither (1.0).
PATCH_FAMILIES = [
    ("gpt-4.1-mini", 1.62),
    ("gpt-4.1-nano", 2.46),
    ("o4-mini", 1.72),
    ("gpt-5-mini", 1.62),
    ("gpt-5.4-mini", 1.62),
    ("gpt-5-nano", 2.46),
    ("gpt-5.4-nano", 2.46),
    ("gpt-5.2", 1.2),
    ("gpt-5.3-codex", 1.2),
    ("codex-mini", 1.72),
    ("gpt-5-codex-mini", 1.0),
    ("gpt-5.1-codex-mini", 1.0),
]
PATCH_ALIASES = [
    ("gpt-5.2-chat-latest", 1.2),
    ("gpt-5.2-codex", 1.2),
    ("codex-mini-latest", 1.72),
    ("gpt-5.4-mini-2026-03-17", 1.62),
    ("gpt-5.4-nano-2026-03-17", 2.46),
]


@pytest.mark.parametrize(("model", "multiplier"), PATCH_FAMILIES + PATCH_ALIASES)
def test_patch_family_numbers(model: str, multiplier: float) -> None:
    family = resolve_family("openai", model)
    assert family.kind == "openai_patch"
    assert family.multiplier == multiplier
    assert (family.patch_budget, family.max_long_edge) == (1536, 2048)
    assert (family.original_patch_budget, family.auto_detail) == (0, "high")
    expected = math.ceil(1024 * multiplier - 1e-9)
    assert estimate_image_tokens("openai", model, 1024, 1024) == expected
    assert estimate_image_tokens("openai", model, 1800, 2400) == math.ceil(1452 * multiplier - 1e-9)


@pytest.mark.parametrize(("model", "multiplier"), PATCH_FAMILIES)
def test_patch_multiplier_table(model: str, multiplier: float) -> None:
    assert PATCH_MULTIPLIERS[model] == multiplier


@pytest.mark.parametrize("model", ["gpt-5.4-mini", "gpt-5.4-nano"])
def test_gpt54_mini_nano_are_1536_patch_models_not_gpt54(model: str) -> None:
    # Before the catalog these were priced as 2,500-patch gpt-5.4 models at x1.0.
    assert estimate_image_tokens("openai", model, 4000, 3000) < 1536 * 2.46 + 1
    assert estimate_image_tokens("openai", model, 4000, 3000, "original") == estimate_image_tokens(
        "openai", model, 4000, 3000, "high"
    )


@pytest.mark.parametrize("model", ["gpt-5-mini", "gpt-4.1-mini", "gpt-5.2", "o4-mini"])
def test_patch_rule_caps_the_long_side_at_2048(model: str) -> None:
    # 4000x100 is 125x4 = 500 patches raw, inside the 1536 budget; the 2048-px cap makes it
    # 2048x51 = 64x2 = 128 patches. (Before the cap gpt-5-mini was priced 600 = 500 x 1.2.)
    family = resolve_family("openai", model)
    assert effective_size("openai", model, 4000, 100) == (2048, 51)
    expected = math.ceil(128 * family.multiplier - 1e-9)
    assert estimate_image_tokens("openai", model, 4000, 100) == expected
    assert estimate_image_tokens("openai", "gpt-5-mini", 4000, 100) == 208  # 128 x 1.62 = 207.36
    assert estimate_image_tokens("openai", model, 100, 4000) == expected


@pytest.mark.parametrize(("model", "multiplier"), PATCH_FAMILIES)
def test_patch_models_ignore_low_detail(model: str, multiplier: float) -> None:
    for w, h in [(1024, 1024), (1800, 2400), (64, 64)]:
        high = estimate_image_tokens("openai", model, w, h, "high")
        assert estimate_image_tokens("openai", model, w, h, "low") == high
    assert low_detail_tokens("openai", model) is None


def test_patch_tokens_round_up_without_float_noise() -> None:
    # 100 * 1.2 is 120.00000000000001 in floats: must stay 120; 1024 * 1.62 = 1658.88 -> 1659.
    assert estimate_image_tokens("openai", "gpt-5.2", 320, 320) == 120
    assert estimate_image_tokens("openai", "gpt-5-mini", 320, 320) == 162
    assert estimate_image_tokens("openai", "gpt-4.1-mini", 1024, 1024) == 1659


def test_patch_effective_size() -> None:
    assert effective_size("openai", "gpt-4.1-mini", 1800, 2400) == (1056, 1408)
    assert effective_size("openai", "gpt-4.1-mini", 1024, 1024) == (1024, 1024)
    w, h = effective_size("openai", "o4-mini", 5000, 3000)
    assert math.ceil(w / 32) * math.ceil(h / 32) <= 1536


def test_patch_count_for_thin_images_stays_in_budget() -> None:
    # The documented formula degenerates when a side drops below one patch; the budget still holds.
    assert openai_patch_count(100_000, 3) == 1536
    assert openai_patch_count(3, 100_000) == 1536
    assert openai_patch_count(49_152, 20) == 1536
    assert openai_patch_count(1, 1) == 1


def test_patch_count_budget_argument() -> None:
    assert openai_patch_count(4000, 4000, budget=2500) == 2500
    assert openai_patch_count(64, 64, budget=1) == 1
    with pytest.raises(ValueError):
        openai_patch_count(64, 64, budget=0)


@pytest.mark.parametrize(
    ("model", "family_name", "multiplier"),
    [("gpt-5.4", "gpt-5.4", 1.2), ("gpt-5.4-2026-03-05", "gpt-5.4", 1.2), ("gpt-5.4-pro", "gpt-5.4", 1.2),
     ("gpt-5.5", "gpt-5.5", 1.0), ("gpt-5.5-pro", "gpt-5.5", 1.0)],
)
def test_gpt54_and_gpt55_budgets(model: str, family_name: str, multiplier: float) -> None:
    family = resolve_family("openai", model)
    assert (family.kind, family.name) == ("openai_patch", family_name)
    assert (family.multiplier, family.patch_budget, family.max_long_edge) == (multiplier, 2500, 2048)
    assert (family.original_patch_budget, family.original_long_edge) == (10000, 6000)

    def cost(patches: int) -> int:
        return math.ceil(patches * multiplier - 1e-9)

    assert estimate_image_tokens("openai", model, 1024, 1024, "high") == cost(1024)
    # High: 4000 -> 2048 long edge = 64x64 patches > 2500 -> scale 0.78125 -> 50x50.
    assert estimate_image_tokens("openai", model, 4000, 4000, "high") == cost(2500)
    assert effective_size("openai", model, 4000, 4000, "high") == (1600, 1600)
    # Original: 4000x4000 is 125x125 > 10000 patches -> scale 0.8 -> 100x100.
    assert estimate_image_tokens("openai", model, 4000, 4000, "original") == cost(10000)
    assert effective_size("openai", model, 4000, 4000, "original") == (3200, 3200)
    # Original caps the long edge at 6000 px.
    assert effective_size("openai", model, 9000, 32, "original") == (6000, 21)
    assert estimate_image_tokens("openai", model, 9000, 32, "original") == cost(188)


def test_gpt54_auto_means_high() -> None:
    for detail in (None, "auto", "bogus"):
        assert estimate_image_tokens("openai", "gpt-5.4", 4000, 4000, detail) == 3000  # 2500 x 1.2


@pytest.mark.parametrize("model", ["gpt-5.5", "gpt-5.5-pro", "gpt-5.6", "GPT-5.6-mini", "gpt-6"])
@pytest.mark.parametrize("detail", [None, "auto", "AUTO", "unknown-value"])
def test_gpt55_and_later_auto_means_original(model: str, detail: str | None) -> None:
    original = estimate_image_tokens("openai", model, 4000, 3000, "original")
    assert estimate_image_tokens("openai", model, 4000, 3000, detail) == original
    assert effective_size("openai", model, 4000, 3000, detail) == effective_size(
        "openai", model, 4000, 3000, "original"
    )
    assert original > estimate_image_tokens("openai", model, 4000, 3000, "high")


def test_gpt55_4000x3000_without_detail_is_about_10000() -> None:
    # Under "high" this was 2,451; under "original" (10,000-patch budget) it is just under 10,000.
    tokens = estimate_image_tokens("openai", "gpt-5.5", 4000, 3000)
    assert 9_500 <= tokens <= 10_000
    assert estimate_image_tokens("openai", "gpt-5.5", 4000, 3000, "high") == 2451


@pytest.mark.parametrize("model", ["gpt-5.6", "gpt-5.6-2026-11-01", "gpt-5.10", "gpt-6", "GPT-6.1", "gpt-10"])
def test_gpt56_and_later_original_has_no_budget(model: str) -> None:
    family = resolve_family("openai", model)
    assert (family.name, family.original_patch_budget, family.auto_detail) == ("gpt-5.6+", None, "original")
    # 8000x6000 = 250 x 188 patches, no resizing (before: 9,890 under a 10,000 budget).
    assert estimate_image_tokens("openai", model, 8000, 6000, "original") == 47_000
    assert estimate_image_tokens("openai", model, 8000, 6000) == 47_000
    assert effective_size("openai", model, 8000, 6000) == (8000, 6000)
    # High keeps the 2,500-patch / 2048-px caps.
    assert estimate_image_tokens("openai", model, 8000, 6000, "high") <= 2500


@pytest.mark.parametrize(
    ("model", "family_name"),
    [("gpt-5.1", "gpt-5"), ("gpt-5.3", "gpt-5"), ("gpt-5.1-2025-11-13", "gpt-5"),
     ("gpt-5.45", "gpt-5.6+"), ("gpt-5.40", "gpt-5.6+"), ("gpt-5.5x", "gpt-5")],
)
def test_version_boundaries(model: str, family_name: str) -> None:
    # Minor versions compare as numbers (5.45 is after 5.6); undocumented 5.1 / 5.3 keep the
    # gpt-5 tiles; a version must end at a separator ("gpt-5.5x" is not gpt-5.5).
    assert resolve_family("openai", model).name == family_name


# --- OpenAI model-name resolution --------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "name", "kind"),
    [
        ("gpt-4o", "gpt-4o", "openai_tile"),
        ("gpt-4o-2024-08-06", "gpt-4o", "openai_tile"),
        ("chatgpt-4o-latest", "gpt-4o", "openai_tile"),
        ("gpt-4o-mini", "gpt-4o-mini", "openai_tile"),
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini", "openai_tile"),
        ("gpt-4.1", "gpt-4.1", "openai_tile"),
        ("gpt-4.1-2025-04-14", "gpt-4.1", "openai_tile"),
        ("gpt-4.1-mini", "gpt-4.1-mini", "openai_patch"),
        ("gpt-4.1-mini-2025-04-14", "gpt-4.1-mini", "openai_patch"),
        ("gpt-4.1-nano-2025-04-14", "gpt-4.1-nano", "openai_patch"),
        ("gpt-5", "gpt-5", "openai_tile"),
        ("gpt-5-2025-08-07", "gpt-5", "openai_tile"),
        ("gpt-5-mini-2025-08-07", "gpt-5-mini", "openai_patch"),
        ("gpt-5-nano", "gpt-5-nano", "openai_patch"),
        ("gpt-5-chat-latest", "gpt-5-chat", "openai_tile"),
        ("gpt-5.1", "gpt-5", "openai_tile"),
        ("o1-2024-12-17", "o1", "openai_tile"),
        ("o1-pro-2025-03-19", "o1-pro", "openai_tile"),
        ("o3-2025-04-16", "o3", "openai_tile"),
        ("o4-mini-2025-04-16", "o4-mini", "openai_patch"),
        ("computer-use-preview-2025-03-11", "computer-use-preview", "openai_tile"),
        ("GPT-4O-MINI", "gpt-4o-mini", "openai_tile"),
        ("  gpt-4o  ", "gpt-4o", "openai_tile"),
        ("openai/gpt-4.1-mini", "gpt-4.1-mini", "openai_patch"),
        ("ft:gpt-4o-2024-08-06:my-org::abc123", "gpt-4o", "openai_tile"),
    ],
)
def test_openai_resolution(model: str, name: str, kind: str) -> None:
    family = resolve_family("openai", model)
    assert (family.name, family.kind, family.provider) == (name, kind, "openai")


@pytest.mark.parametrize(
    "model", [None, "", "my-azure-deployment", "gpt-4omni", "o10", "codex-minimal", "gpt-5x"]
)
def test_openai_unknown_models_get_the_default_family(model: str | None) -> None:
    family = resolve_family("openai", model)
    assert (family.name, family.kind, family.multiplier) == ("openai-unknown", "openai_patch", 1.2)
    assert (family.patch_budget, family.max_long_edge) == (2500, 2048)
    assert estimate_image_tokens("openai", model, 1024, 1024) == 1229  # 1024 patches x 1.2


def test_unknown_families_see_at_least_what_every_listed_model_sees() -> None:
    # Why they are the conservative choice: a crop shrunk to the unknown family's seen size
    # never drops pixels a listed model of that provider would use at high detail.
    from headroom_edge.catalog import default_catalog
    from headroom_edge.tokens import family_effective_size

    catalog = default_catalog()
    for w, h in [(4000, 3000), (3000, 4000), (1024, 1024), (8000, 500), (300, 200), (2600, 2600)]:
        for family in catalog.families.values():
            seen = family_effective_size(catalog.unknown[family.provider], w, h, "high")
            listed = family_effective_size(family, w, h, "high")
            assert seen[0] >= listed[0] and seen[1] >= listed[1], (family.name, (w, h), seen, listed)


def test_gpt4o_mini_and_gpt4o_differ() -> None:
    assert estimate_image_tokens("openai", "gpt-4o", 1024, 1024) == 765
    assert estimate_image_tokens("openai", "gpt-4o-mini", 1024, 1024) == 2833 + 4 * 5667


# --- Patch multiplier overrides ----------------------------------------------------------------


def test_patch_multiplier_override_mapping_and_pairs() -> None:
    assert (
        estimate_image_tokens(
            "openai", "gpt-4.1-mini", 1024, 1024, patch_multipliers={"gpt-4.1-mini": 2.0}
        )
        == 2048
    )
    assert (
        estimate_image_tokens(
            "openai",
            "gpt-4.1-mini-2025-04-14",
            1024,
            1024,
            patch_multipliers=[("GPT-4.1-MINI", 1.0)],
        )
        == 1024
    )
    # The shared table is not modified by an override.
    assert PATCH_MULTIPLIERS["gpt-4.1-mini"] == 1.62
    assert estimate_image_tokens("openai", "gpt-4.1-mini", 1024, 1024) == 1659


def test_patch_multiplier_override_adds_a_patch_model() -> None:
    family = resolve_family("openai", "codex-mini-latest", patch_multipliers={"codex-mini": 1.72})
    assert (family.kind, family.multiplier, family.patch_budget) == ("openai_patch", 1.72, 1536)
    tokens = estimate_image_tokens(
        "openai", "codex-mini-latest", 1024, 1024, patch_multipliers=(("codex-mini", 1.72),)
    )
    assert tokens == 1762


def test_patch_multiplier_override_keeps_gpt54_budgets() -> None:
    family = resolve_family("openai", "gpt-5.4", patch_multipliers={"gpt-5.4": 1.5})
    assert (family.multiplier, family.patch_budget, family.max_long_edge) == (1.5, 2500, 2048)
    assert (
        estimate_image_tokens("openai", "gpt-5.4", 4000, 4000, patch_multipliers={"gpt-5.4": 1.5})
        == 3750
    )


def test_shorter_override_prefix_does_not_capture_longer_tile_match() -> None:
    assert (
        resolve_family("openai", "gpt-4o", patch_multipliers={"gpt-4": 3.0}).kind == "openai_tile"
    )
    assert (
        resolve_family("openai", "gpt-4", patch_multipliers={"gpt-4": 3.0}).kind == "openai_patch"
    )


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), float("inf")])
def test_patch_multiplier_override_rejects_nonsense(bad: float) -> None:
    with pytest.raises(ValueError, match="multiplier"):
        estimate_image_tokens(
            "openai", "gpt-4.1-mini", 10, 10, patch_multipliers={"gpt-4.1-mini": bad}
        )


# --- Anthropic ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "name"),
    [
        (None, "claude-4.7+"),  # unknown: the conservative family (sees the most pixels)
        ("claude-sonnet-4-5-20250929", "claude"),
        ("claude-3-5-sonnet-latest", "claude"),
        ("claude-opus-4-20250514", "claude"),
        ("claude-opus-4-1-20250805", "claude"),
        ("claude-haiku-4-5", "claude"),
        ("claude-opus-4-7", "claude-4.7+"),
        ("claude-opus-4.7", "claude-4.7+"),
        ("claude-opus-4-7-20260101", "claude-4.7+"),
        ("claude-opus-4-8", "claude-4.7+"),
        ("claude-opus-5", "claude-4.7+"),
        ("Claude-Opus-5-20270101", "claude-4.7+"),
        ("us.anthropic.claude-opus-4-7-v1:0", "claude-4.7+"),
        ("claude-opus-4-7@20260101", "claude-4.7+"),
        ("something-else", "claude-4.7+"),
        # "Claude 4.7 and later" is every tier name, not only Opus.
        ("claude-sonnet-5", "claude-4.7+"),
        ("claude-sonnet-5-20261001", "claude-4.7+"),
        ("claude-fable-5", "claude-4.7+"),
        ("claude-mythos-5", "claude-4.7+"),
        ("claude-sonnet-4-7", "claude-4.7+"),
        ("claude-haiku-5-1", "claude-4.7+"),
        ("claude-sonnet-6", "claude-4.7+"),
        ("claude-opus-4-10", "claude-4.7+"),
        ("anthropic.claude-sonnet-5-v1:0", "claude-4.7+"),
        ("eu.anthropic.claude-fable-5-v2", "claude-4.7+"),
        ("claude-3-7-sonnet-20250219", "claude"),
        ("claude-3-opus-20240229", "claude"),
        ("claude-sonnet-4-20250514", "claude"),
        ("claude-sonnet-4-6", "claude"),
        ("anthropic.claude-3-5-sonnet-20241022-v2:0", "claude"),
    ],
)
def test_anthropic_resolution(model: str | None, name: str) -> None:
    assert resolve_family("anthropic", model).name == name


def test_anthropic_family_parameters() -> None:
    standard = resolve_family("anthropic", "claude-sonnet-4-5")
    hires = resolve_family("anthropic", "claude-opus-4-7")
    assert (standard.kind, standard.max_long_edge, standard.token_budget) == (
        "anthropic",
        1568,
        1568,
    )
    assert (hires.kind, hires.max_long_edge, hires.token_budget) == ("anthropic", 2576, 4784)


def test_anthropic_downscale_to_token_budget() -> None:
    # Square: ceil(L/28)^2 <= 1568 -> at most 39 patches a side -> 1092 px.
    assert effective_size("anthropic", "claude-sonnet-4-5", 4000, 4000) == (1092, 1092)
    assert estimate_image_tokens("anthropic", "claude-sonnet-4-5", 4000, 4000) == 39 * 39
    # Long edge limit: 1568x100 stays (56 x 4 = 224 tokens); 3000x100 shrinks to 1568 px wide.
    assert effective_size("anthropic", "claude-sonnet-4-5", 1568, 100) == (1568, 100)
    assert effective_size("anthropic", "claude-sonnet-4-5", 3000, 100) == (1568, 52)
    assert estimate_image_tokens("anthropic", "claude-sonnet-4-5", 3000, 100) == 56 * 2
    # Opus 4.7+: square fits ceil(L/28)^2 <= 4784 -> 69 patches -> 1932 px.
    assert effective_size("anthropic", "claude-opus-4-7", 4000, 4000) == (1932, 1932)
    assert estimate_image_tokens("anthropic", "claude-opus-4-7", 4000, 4000) == 69 * 69
    assert effective_size("anthropic", "claude-opus-4-7", 5000, 200)[0] == 2576


def test_anthropic_ignores_detail() -> None:
    assert estimate_image_tokens("anthropic", "claude-sonnet-4-5", 1000, 1000, "low") == 1296
    assert low_detail_tokens("anthropic", "claude-sonnet-4-5") is None


# --- Google ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "tokens"),
    [
        (None, 1120),
        ("MEDIA_RESOLUTION_LOW", 280),
        ("media_resolution_low", 280),
        ("LOW", 280),
        ("low", 280),
        ("MEDIA_RESOLUTION_MEDIUM", 560),
        ("medium", 560),
        ("MEDIA_RESOLUTION_HIGH", 1120),
        ("high", 1120),
        ("MEDIA_RESOLUTION_ULTRA_HIGH", 2240),
        ("ultra_high", 2240),
        ("MEDIA_RESOLUTION_UNSPECIFIED", 1120),
    ],
)
def test_gemini3_levels(level: str | None, tokens: int) -> None:
    for model in [None, "gemini-3-pro-preview", "models/gemini-3-flash", "gemini-3.1-pro"]:
        assert estimate_image_tokens("google", model, 3000, 2000, media_resolution=level) == tokens
        assert estimate_image_tokens("google", model, 10, 10, media_resolution=level) == tokens


def test_gemini3_is_default_and_keeps_size() -> None:
    assert resolve_family("google", None).kind == "gemini3"
    assert resolve_family("google", "gemini-flash-latest").kind == "gemini3"
    assert effective_size("google", None, 5000, 3000) == (5000, 3000)
    assert low_detail_tokens("google", "gemini-3-pro") == 280


@pytest.mark.parametrize(
    "model",
    [
        "gemini-2.5-flash",
        "models/gemini-2.5-flash",
        "gemini-2.0-flash-001",
        "gemini-1.5-pro",
        "GEMINI-2.5-PRO",
    ],
)
def test_gemini2_rules(model: str) -> None:
    assert resolve_family("google", model).kind == "gemini2"
    assert estimate_image_tokens("google", model, 384, 384) == 258
    assert estimate_image_tokens("google", model, 100, 50) == 258
    assert estimate_image_tokens("google", model, 385, 100) == 258
    assert estimate_image_tokens("google", model, 1000, 1000) == 258 * 4
    assert estimate_image_tokens("google", model, 1536, 2305) == 258 * 2 * 4
    assert (
        estimate_image_tokens("google", model, 1000, 1000, media_resolution="MEDIA_RESOLUTION_LOW")
        == 64
    )
    assert estimate_image_tokens("google", model, 1000, 1000, media_resolution="medium") == 256
    assert estimate_image_tokens("google", model, 1000, 1000, media_resolution="HIGH") == 258 * 4
    assert effective_size("google", model, 5000, 3000) == (5000, 3000)
    assert low_detail_tokens("google", model) == 64


# --- Text tokens -------------------------------------------------------------------------------


def test_estimate_text_tokens() -> None:
    assert estimate_text_tokens("") == 0
    assert estimate_text_tokens("a") == 1
    assert estimate_text_tokens("abcd") == 1
    assert estimate_text_tokens("abcde") == 2
    assert estimate_text_tokens("x" * 4000) == 1000
    # Non-ASCII counts UTF-8 bytes: 4 CJK characters = 12 bytes = 3 tokens.
    assert estimate_text_tokens("漢字漢字") == 3


# --- Errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", ["azure", "", "gemini", "open ai"])
def test_invalid_provider(provider: str) -> None:
    with pytest.raises(ValueError, match="provider"):
        estimate_image_tokens(provider, None, 10, 10)
    with pytest.raises(ValueError, match="openai, anthropic, google"):
        resolve_family(provider, None)


def test_provider_is_case_insensitive() -> None:
    assert estimate_image_tokens("OpenAI", "gpt-4o", 1024, 1024) == 765


@pytest.mark.parametrize(("w", "h"), [(0, 10), (10, 0), (-5, 10), (10, -1), (0, 0)])
def test_invalid_size(w: int, h: int) -> None:
    for provider in ["openai", "anthropic", "google"]:
        with pytest.raises(ValueError, match="at least 1x1"):
            estimate_image_tokens(provider, None, w, h)
        with pytest.raises(ValueError):
            effective_size(provider, None, w, h)
    with pytest.raises(ValueError):
        openai_patch_count(w, h)


@pytest.mark.parametrize(("w", "h"), [(10.5, 10), (10, "10"), (True, 10)])
def test_non_integer_size(w: object, h: object) -> None:
    with pytest.raises(TypeError):
        estimate_image_tokens("openai", None, w, h)  # type: ignore[arg-type]


def test_whole_float_sizes_are_accepted() -> None:
    size = 1024.0
    assert estimate_image_tokens("openai", "gpt-4o", size, size) == 765  # type: ignore[arg-type]


def test_model_family_is_frozen() -> None:
    family = resolve_family("openai", "gpt-4o")
    assert isinstance(family, ModelFamily)
    with pytest.raises(AttributeError):
        family.base_tokens = 1  # type: ignore[misc]
    assert hash(family) == hash(resolve_family("openai", "gpt-4o-2024-11-20"))


# --- Properties --------------------------------------------------------------------------------

ALL_MODELS = [
    ("openai", "gpt-4o"),
    ("openai", "gpt-4o-mini"),
    ("openai", "gpt-5"),
    ("openai", "o3"),
    ("openai", "computer-use-preview"),
    ("openai", "gpt-4.1-mini"),
    ("openai", "gpt-4.1-nano"),
    ("openai", "o4-mini"),
    ("openai", "gpt-5-mini"),
    ("openai", "gpt-5-nano"),
    ("openai", "gpt-5.4"),
    ("openai", "gpt-5.4-mini"),
    ("openai", "gpt-5.5"),
    ("openai", "gpt-5.6"),
    ("anthropic", "claude-sonnet-4-5"),
    ("anthropic", "claude-opus-4-7"),
    ("anthropic", "claude-sonnet-5"),
    ("google", "gemini-3-pro"),
    ("google", "gemini-2.5-flash"),
]
# The OpenAI patch rule is not monotone in size (just past the budget, the whole-patch adjustment
# can cost fewer patches than a smaller image that still fits raw), so those families get their
# own property below.
MONOTONE_MODELS = [pm for pm in ALL_MODELS if resolve_family(*pm).kind != "openai_patch"]
PATCH_MODELS = [pm for pm in ALL_MODELS if resolve_family(*pm).kind == "openai_patch"]

sides = st.integers(min_value=1, max_value=12_000)
details = st.sampled_from([None, "low", "high", "auto", "original"])
levels = st.sampled_from([None, "LOW", "MEDIUM", "HIGH", "ULTRA_HIGH"])


@settings(max_examples=300, deadline=None)
@given(pm=st.sampled_from(ALL_MODELS), w=sides, h=sides, detail=details, level=levels)
def test_tokens_are_positive_ints(
    pm: tuple[str, str], w: int, h: int, detail: str | None, level: str | None
) -> None:
    tokens = estimate_image_tokens(*pm, w, h, detail, level)
    assert type(tokens) is int
    assert tokens >= 1
    ew, eh = effective_size(*pm, w, h, detail)
    assert 1 <= ew <= w and 1 <= eh <= h


@settings(max_examples=300, deadline=None)
@given(
    pm=st.sampled_from(MONOTONE_MODELS),
    w=st.integers(1, 3000),
    h=st.integers(1, 3000),
    k=st.integers(2, 8),
)
def test_monotone_under_scaling(pm: tuple[str, str], w: int, h: int, k: int) -> None:
    # Growing an image (aspect kept) never makes it cheaper. Growing one side only can: a wider
    # image is shrunk harder to the 768-px short side by OpenAI tile models.
    for detail in [None, "low"]:
        assert estimate_image_tokens(*pm, w, h, detail) <= estimate_image_tokens(
            *pm, w * k, h * k, detail
        )


@settings(max_examples=200, deadline=None)
@given(
    pm=st.sampled_from(MONOTONE_MODELS),
    w=st.integers(1, 3000),
    h=st.integers(1, 3000),
    dw=st.integers(0, 500),
    dh=st.integers(0, 500),
)
def test_gemini_and_claude_at_native_size_are_monotone_per_side(
    pm: tuple[str, str], w: int, h: int, dw: int, dh: int
) -> None:
    family = resolve_family(*pm)
    if family.kind == "openai_tile":
        return
    if family.kind == "anthropic":
        # Below Claude's own downscale the count is ceil(w/28)*ceil(h/28): monotone per side.
        big = effective_size(*pm, w + dw, h + dh)
        if big != (w + dw, h + dh):
            return
    assert estimate_image_tokens(*pm, w, h) <= estimate_image_tokens(*pm, w + dw, h + dh)


@settings(max_examples=300, deadline=None)
@given(
    pm=st.sampled_from(PATCH_MODELS),
    w=sides,
    h=sides,
    dw=st.integers(0, 300),
    dh=st.integers(0, 300),
)
def test_patch_families_bounded_and_monotone_below_budget(
    pm: tuple[str, str], w: int, h: int, dw: int, dh: int
) -> None:
    # "high" explicitly: on gpt-5.5 and later a missing detail means "original" (other budget).
    family = resolve_family(*pm)
    tokens = estimate_image_tokens(*pm, w, h, "high")
    assert tokens <= math.ceil(family.patch_budget * family.multiplier)
    assert openai_patch_count(w, h, family.patch_budget) <= family.patch_budget
    big_w, big_h = w + dw, h + dh
    if (
        family.max_long_edge is None
        and math.ceil(big_w / 32) * math.ceil(big_h / 32) <= family.patch_budget
    ):
        assert tokens <= estimate_image_tokens(*pm, big_w, big_h, "high")


@settings(max_examples=300, deadline=None)
@given(pm=st.sampled_from(ALL_MODELS), w=sides, h=sides)
def test_low_never_costs_more_than_high(pm: tuple[str, str], w: int, h: int) -> None:
    low = estimate_image_tokens(*pm, w, h, "low", "LOW")
    high = estimate_image_tokens(*pm, w, h, "high", "HIGH")
    assert low <= high
    fixed = low_detail_tokens(*pm)
    if fixed is not None:
        assert fixed == low


@settings(max_examples=300, deadline=None)
@given(model=st.sampled_from(["claude-sonnet-4-5", "claude-opus-4-7"]), w=sides, h=sides)
def test_claude_downscale_respects_limits_and_is_largest(model: str | None, w: int, h: int) -> None:
    family = resolve_family("anthropic", model)
    ew, eh = effective_size("anthropic", model, w, h)
    tokens = math.ceil(ew / 28) * math.ceil(eh / 28)
    assert tokens == estimate_image_tokens("anthropic", model, w, h)
    assert tokens <= family.token_budget
    assert max(ew, eh) <= family.max_long_edge
    # Aspect kept to within rounding of the short side (which never drops below 1 px).
    ideal_short = max(1.0, min(w, h) * max(ew, eh) / max(w, h))
    assert abs(min(ew, eh) - ideal_short) <= 0.5 + 1e-9
    long_edge = max(ew, eh)
    if (ew, eh) != (w, h) and long_edge < family.max_long_edge:
        # One pixel more on the long edge would break the token budget.
        bigger = long_edge + 1
        short = max(1, (2 * min(w, h) * bigger + max(w, h)) // (2 * max(w, h)))
        assert math.ceil(bigger / 28) * math.ceil(short / 28) > family.token_budget


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=400))
def test_text_tokens_property(text: str) -> None:
    tokens = estimate_text_tokens(text)
    assert tokens >= 0
    assert (tokens == 0) == (text == "")
    assert tokens >= math.ceil(len(text) / 4)


@settings(max_examples=300, deadline=None)
@given(pm=st.sampled_from(ALL_MODELS), w=sides, h=sides, detail=details)
def test_resizing_to_effective_size_costs_no_more(
    pm: tuple[str, str], w: int, h: int, detail: str | None
) -> None:
    # Callers pre-shrink images to effective_size: that must never raise the price, and for the
    # tile, Claude and Gemini rules (integer geometry) it must not change it at all.
    ew, eh = effective_size(*pm, w, h, detail)
    before = estimate_image_tokens(*pm, w, h, detail)
    after = estimate_image_tokens(*pm, ew, eh, detail)
    assert after <= before
    if resolve_family(*pm).kind != "openai_patch":
        assert after == before


def test_view_size_follows_the_gemini3_level_and_never_grows():
    from headroom_edge.tokens import GEMINI_VIEW_PX_PER_TOKEN, family_view_size, resolve_family

    g3 = resolve_family("google", "gemini-3-pro-preview")
    low = family_view_size(g3, 1240, 1754, media_resolution="MEDIA_RESOLUTION_LOW")
    high = family_view_size(g3, 1240, 1754)
    assert low[0] * low[1] <= 280 * GEMINI_VIEW_PX_PER_TOKEN < high[0] * high[1]
    assert abs(low[0] / low[1] - 1240 / 1754) < 0.01
    assert family_view_size(g3, 300, 200, media_resolution="LOW") == (300, 200)
    g2 = resolve_family("google", "gemini-2.5-flash")
    assert family_view_size(g2, 1240, 1754) == (1240, 1754)
    assert family_view_size(g2, 1240, 1754, media_resolution="LOW")[0] < 300


def test_view_size_is_the_effective_size_where_the_downscale_is_documented():
    from headroom_edge.tokens import family_effective_size, family_view_size, resolve_family

    for provider, model in (("openai", "gpt-4o"), ("openai", "gpt-4.1-mini"), ("anthropic", "claude-sonnet-4-5")):
        fam = resolve_family(provider, model)
        for detail in (None, "low"):
            assert family_view_size(fam, 2560, 1600, detail) == family_effective_size(fam, 2560, 1600, detail)
