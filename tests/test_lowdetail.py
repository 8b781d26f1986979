"""The low-detail plan per billing family (pure arithmetic; the pixels are checked in
tests/techniques/test_full_low.py)."""

from headroom_edge.imaging import fit_size
from headroom_edge.lowdetail import claude_low_size, low_plan, patch_budget_size
from headroom_edge.tokens import resolve_family


def test_fit_size_never_enlarges() -> None:
    assert fit_size(300, 200, 512, 512) == (300, 200)
    assert fit_size(2048, 1024, 512, 512) == (512, 256)


def test_patch_budget_size() -> None:
    w, h = patch_budget_size((1800, 2400))
    assert w % 32 == 0 and h % 32 == 0
    assert (w // 32) * (h // 32) <= 256
    assert patch_budget_size((256, 256)) == (256, 256)


def test_claude_low_size_uses_the_28px_grid() -> None:
    w, h = claude_low_size((1024, 1024))
    assert (w, h) == (504, 504)
    w, h = claude_low_size((4000, 3000))
    assert w == 504 and h <= 378
    assert claude_low_size((400, 300)) == (400, 300)


def test_low_plan_per_family() -> None:
    def plan(provider: str, model: str | None, size: tuple[int, int]):
        return low_plan(resolve_family(provider, model), size)

    assert plan("openai", "gpt-4o", (2048, 1024)) == ((512, 256), "low", None)
    assert plan("openai", "gpt-4.1-mini", (2000, 1000)) == (patch_budget_size((2000, 1000)), None, None)
    assert plan("anthropic", None, (1024, 1024)) == ((504, 504), None, None)
    assert plan("google", "gemini-3-pro", (2048, 2048)) == ((1024, 1024), None, "MEDIA_RESOLUTION_LOW")
    assert plan("google", "gemini-2.5-flash", (1600, 1200)) == ((768, 576), None, None)


def test_low_plan_follows_a_multiplier_override() -> None:
    family = resolve_family("openai", "gpt-4o", patch_multipliers={"gpt-4o": 1.0})
    assert low_plan(family, (2000, 1000)) == (patch_budget_size((2000, 1000)), None, None)


def test_fit_size_is_the_token_rules_fit() -> None:
    # One fit rule: exact integer rounding, half up, as the token estimates always did (the old
    # float round() of imaging rounded 128.5 to even: 128).
    assert fit_size(1024, 257, 512, 512) == (512, 129)


def test_low_view_is_what_the_model_resolves_of_the_low_plan() -> None:
    from headroom_edge.lowdetail import low_view_size
    from headroom_edge.tokens import family_view_size

    g3 = resolve_family("google", "gemini-3-pro")
    sent = low_plan(g3, (1240, 1754))[0]
    assert sent == (724, 1024)
    assert low_view_size(g3, (1240, 1754)) == family_view_size(g3, 1240, 1754, media_resolution="LOW")
    assert low_view_size(g3, (1240, 1754))[0] < sent[0]  # LOW sees far fewer px than it is sent
    assert low_view_size(resolve_family("openai", "gpt-4o"), (2048, 1024)) == (512, 256)
    assert low_view_size(resolve_family("anthropic", None), (1024, 1024)) == (504, 504)
