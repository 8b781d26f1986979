"""The smallest sufficient resolution per billing family (pure arithmetic; the pixels FIT sends
are checked in tests/techniques/test_fit.py)."""

from __future__ import annotations

import pytest

from headroom_edge.fitplan import GEMINI3_LEVELS, LEGIBLE_TEXT_PX, fit_plan, text_in_view
from headroom_edge.tokens import (
    CLAUDE_PATCH,
    GEMINI2_TILE,
    OPENAI_PATCH,
    OPENAI_TILE,
    family_effective_size,
    family_tokens,
    family_view_size,
    resolve_family,
)

PAGE = (1240, 1754)
FAMILIES = {
    "gpt-4o": resolve_family("openai", "gpt-4o"),
    "gpt-4.1-mini": resolve_family("openai", "gpt-4.1-mini"),
    "claude-sonnet-4-5": resolve_family("anthropic", "claude-sonnet-4-5"),
    "gemini-3-pro": resolve_family("google", "gemini-3-pro"),
    "gemini-2.5-flash": resolve_family("google", "gemini-2.5-flash"),
}


def test_text_in_view_scales_by_the_tighter_side() -> None:
    assert text_in_view(20.0, (1000, 500), (500, 250)) == 10.0
    assert text_in_view(20.0, (1000, 500), (500, 200)) == 8.0


def test_openai_tile_fills_whole_tiles() -> None:
    """15 px capitals: 2x2 tiles (724x1024) keep 8.8 px; the original's 6 tiles cost 1105."""
    plan = fit_plan(FAMILIES["gpt-4o"], PAGE, 15.0)
    assert plan is not None and plan.size == (724, 1024) and plan.media_resolution is None
    assert plan.tokens == family_tokens(FAMILIES["gpt-4o"], 724, 1024) == 765
    assert plan.size[1] % OPENAI_TILE == 0 and plan.text_px >= LEGIBLE_TEXT_PX


@pytest.mark.parametrize(("model", "grid"), [("gpt-4.1-mini", OPENAI_PATCH), ("claude-sonnet-4-5", CLAUDE_PATCH),
                                             ("gemini-2.5-flash", GEMINI2_TILE)])
def test_pixel_billed_families_stop_on_their_grid(model: str, grid: int) -> None:
    family = FAMILIES[model]
    plan = fit_plan(family, PAGE, 15.0)
    assert plan is not None
    assert plan.size[0] % grid == 0 or plan.size[1] % grid == 0
    assert plan.tokens < family_tokens(family, *PAGE)
    assert plan.text_px >= LEGIBLE_TEXT_PX
    assert family_effective_size(family, *plan.size) == plan.size  # never more than the model sees


@pytest.mark.parametrize("model", FAMILIES)
def test_the_plan_is_the_cheapest_legible_size(model: str) -> None:
    """No other size of the image is legible for fewer tokens (checked against every width)."""
    family = FAMILIES[model]
    plan = fit_plan(family, PAGE, 15.0)
    if family.kind == "gemini3":
        assert plan is None  # MEDIUM shows 7.7 px, HIGH is the original
        return
    assert plan is not None
    for width in range(64, PAGE[0] + 1, 8):
        size = (width, round(PAGE[1] * width / PAGE[0]))
        view = family_view_size(family, *size)
        if text_in_view(15.0, PAGE, view) >= LEGIBLE_TEXT_PX:
            assert family_tokens(family, *size) >= plan.tokens, size


def test_gemini3_picks_the_lowest_legible_level() -> None:
    family = FAMILIES["gemini-3-pro"]
    assert fit_plan(family, PAGE, 40.0).media_resolution == GEMINI3_LEVELS[0]  # type: ignore[union-attr]
    plan = fit_plan(family, PAGE, 18.0)
    assert plan is not None and plan.media_resolution == "MEDIA_RESOLUTION_MEDIUM" and plan.tokens == 560
    assert plan.size == PAGE  # the level changes, the pixels do not
    assert plan.view == family_view_size(family, *PAGE, media_resolution="MEDIUM")


def test_no_plan_when_nothing_cheaper_keeps_the_text() -> None:
    assert fit_plan(FAMILIES["gpt-4o"], PAGE, 9.0) is None  # 5.6 px even untouched
    assert fit_plan(FAMILIES["gpt-4o"], PAGE, 15.0, detail="low") is None  # 85 tokens: nothing is cheaper
    assert fit_plan(FAMILIES["gemini-3-pro"], PAGE, 40.0, media_resolution="LOW") is None
    # Gemini 2's request-global LOW prices every size alike
    assert fit_plan(FAMILIES["gemini-2.5-flash"], PAGE, 15.0, media_resolution="MEDIA_RESOLUTION_LOW") is None


def test_plans_never_enlarge() -> None:
    for family in FAMILIES.values():
        plan = fit_plan(family, (600, 400), 30.0)
        assert plan is None or (plan.size[0] <= 600 and plan.size[1] <= 400)


def test_every_line_bar_keeps_the_least_line_legible() -> None:
    from headroom_edge.fitplan import DETAIL_LEGIBLE_TEXT_PX, every_line_bar

    assert every_line_bar(12.0, None) == DETAIL_LEGIBLE_TEXT_PX
    assert every_line_bar(12.0, 12.0) == DETAIL_LEGIBLE_TEXT_PX
    assert every_line_bar(12.0, 11.0) == DETAIL_LEGIBLE_TEXT_PX  # the percentile's margin is stricter
    assert every_line_bar(12.0, 6.0) == pytest.approx(2 * LEGIBLE_TEXT_PX)  # 6 px lines: twice the bar
    family = FAMILIES["gpt-4o"]
    plan = fit_plan(family, PAGE, 36.0, every_line_bar(36.0, 16.0))  # 36 px percentile, one 16 px line
    assert plan is not None and plan.text_px * 16.0 / 36.0 >= LEGIBLE_TEXT_PX - 1e-9
    percentile_only = fit_plan(family, PAGE, 36.0, DETAIL_LEGIBLE_TEXT_PX)
    assert percentile_only is not None and percentile_only.tokens < plan.tokens
