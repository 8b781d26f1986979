import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from headroom_edge import ImageCompressor
from headroom_edge.config import CompressionConfig
from headroom_edge.context import Region, TechniqueContext
from headroom_edge.decision.regions import parse_region
from headroom_edge.formats.datauri import decode_base64, parse_data_url
from headroom_edge.imaging import crop_pixels, probe_image, resize_to
from headroom_edge.technique import Technique
from headroom_edge.techniques import apply_technique
from headroom_edge.techniques.base import SourceImage
from headroom_edge.techniques.crop import GEMINI3_LEVELS, MIN_CROP_SIDE, at_least, plan_crop
from headroom_edge.tokens import estimate_image_tokens, family_view_size, resolve_family
from tests import factories as f
from tests.techniques.helpers import run_technique

FAMILIES = [
    ("openai", "gpt-4o"),
    ("openai", "gpt-4.1"),
    ("openai", "gpt-4.1-mini"),
    ("anthropic", "claude-sonnet-4-5"),
    ("anthropic", "claude-opus-4-7"),
    ("google", "gemini-3-pro-preview"),
    ("google", "gemini-2.5-flash"),
]
FAMILY_IDS = [model for _, model in FAMILIES]


def _mean_colour(data: bytes) -> tuple[int, ...]:
    arr = np.asarray(f.decode(data).convert("RGB"), dtype=float)
    return tuple(int(v) for v in arr.reshape(-1, 3).mean(axis=0))


@pytest.fixture(scope="module")
def wide_quadrants() -> bytes:
    """2560x1600 PNG, red / green (top-right) / blue / yellow quadrants."""
    return f.encode(f.quadrants(1600).resize((2560, 1600), Image.Resampling.NEAREST), "PNG")


@pytest.fixture(scope="module")
def wide_photo() -> bytes:
    return f.photo_jpeg(2560, 1600)


def _view_scales(provider: str, model: str, outcome_data: bytes, box: list[float],
                 size: tuple[int, int], level: str | None) -> tuple[tuple[float, float], tuple[float, float]]:
    """(whole image's view scale, crop's view scale), recomputed from the bytes that were sent.

    The crop's native span is the box's exact (fractional) share of the image: a crop cut from
    the whole image's view grid covers whole view pixels, which are fractions of native ones.
    """
    family = resolve_family(provider, model)
    sent = f.decode(outcome_data).size
    span = ((box[2] - box[0]) * size[0], (box[3] - box[1]) * size[1])
    full_view = family_view_size(family, *size)
    crop_view = family_view_size(family, *sent, media_resolution=level)
    return ((full_view[0] / size[0] - 1e-6, full_view[1] / size[1] - 1e-6),
            (crop_view[0] / span[0], crop_view[1] / span[1]))


@pytest.mark.parametrize("provider, model", FAMILIES, ids=FAMILY_IDS)
def test_top_right_corner_of_a_2560x1600_image_saves_on_every_family(
        provider: str, model: str, wide_quadrants: bytes) -> None:
    outcome, original = run_technique(Technique.CROP, wide_quadrants, provider, model,
                                      question="what is in the top-right corner?")
    assert outcome.technique is Technique.CROP, outcome.reason
    assert outcome.tokens < original, (outcome.tokens, original)
    img = f.decode(outcome.edit.data)
    assert img.size == outcome.size
    level = outcome.edit.media_resolution
    assert outcome.tokens == estimate_image_tokens(provider, model, *img.size, media_resolution=level)
    r, g, b = _mean_colour(outcome.edit.data)
    assert g > 200 and r < 60 and b < 60  # the green top-right quadrant, little else
    full_scale, crop_scale = _view_scales(provider, model, outcome.edit.data, outcome.signals["box"],
                                          (2560, 1600), level)
    assert crop_scale[0] >= full_scale[0] and crop_scale[1] >= full_scale[1], (crop_scale, full_scale)


@pytest.mark.parametrize("provider, model", FAMILIES, ids=FAMILY_IDS)
def test_a_photo_crop_follows_the_regions_area(provider: str, model: str, wide_photo: bytes) -> None:
    outcome, original = run_technique(Technique.CROP, wide_photo, provider, model,
                                      question="what's in the bottom-left corner?")
    assert outcome.technique is Technique.CROP and outcome.tokens < original
    assert outcome.edit.media_type == "image/jpeg"
    full_scale, crop_scale = _view_scales(provider, model, outcome.edit.data, outcome.signals["box"],
                                          (2560, 1600), outcome.edit.media_resolution)
    assert min(crop_scale) >= min(full_scale)


@pytest.mark.parametrize("provider, model", [("openai", "gpt-4o"), ("anthropic", "claude-sonnet-4-5")])
def test_crop_pixels_are_the_pixels_the_model_saw_of_the_region(provider: str, model: str) -> None:
    # A screenshot (sharp text edges, where a second resampling of a shifted frame shows most):
    # the crop must be the whole image's view cut to the crop box, not a near copy of it.
    shot = f.screenshot(2560, 1440)
    outcome, _ = run_technique(Technique.CROP, f.encode(shot, "PNG"), provider, model,
                               question="what does the bottom-right corner say?")
    assert outcome.technique is Technique.CROP, outcome.reason
    sent = np.asarray(f.decode(outcome.edit.data).convert("RGB"), dtype=int)
    view = family_view_size(resolve_family(provider, model), *shot.size)
    seen = resize_to(shot.convert("RGB"), *view)
    expected = np.asarray(seen.crop(crop_pixels(view, outcome.signals["box"])), dtype=int)
    assert sent.shape == expected.shape
    if outcome.media_type == "image/png":
        assert np.abs(sent - expected).max() <= 1
    else:  # re-encoded lossy: the same picture up to the codec
        assert np.abs(sent - expected).mean() < 2.0


def test_the_issue_case_gpt_4_1_numbers() -> None:
    # Today's report: 1229x768, 1105 -> 1105. At the whole image's 0.48 scale the padded corner is
    # 689x431 px of that view (1436x898 native px, rounded outwards): two 512-px tiles.
    crop = plan_crop(resolve_family("openai", "gpt-4.1"), (2560, 1600), Region("c", (0.5, 0, 1, 0.5)).padded())
    assert crop.native == (1436, 898) and crop.size == (689, 431)
    assert (crop.original_tokens, crop.tokens) == (1105, 425)


def test_gemini_3_picks_the_lowest_level_that_keeps_the_scale(wide_photo: bytes) -> None:
    outcome, original = run_technique(Technique.CROP, wide_photo, "google", "gemini-3-pro-preview",
                                      question="what is in the top-right corner?")
    # HIGH (the default, 1120) resolves the whole 2560x1600 at ~0.53; MEDIUM resolves the
    # 1434x896 corner at ~0.67, LOW at ~0.47: MEDIUM is the cheapest that loses nothing.
    assert outcome.edit.media_resolution == "MEDIA_RESOLUTION_MEDIUM"
    assert (original, outcome.tokens) == (1120, 560)
    assert f.decode(outcome.edit.data).size == (1434, 896)  # native pixels: Gemini bills the level


def test_gemini_3_small_image_crop_goes_to_low() -> None:
    data = f.encode(f.quadrants(800), "PNG")
    outcome, original = run_technique(Technique.CROP, data, "google", "gemini-3-pro-preview",
                                      question="what is in the bottom-right corner?")
    assert outcome.edit.media_resolution == "MEDIA_RESOLUTION_LOW" and outcome.tokens == 280 < original


def _ctx(provider: str, model: str, question: str, *, media_resolution: str | None = None,
         config: CompressionConfig | None = None) -> TechniqueContext:
    return TechniqueContext(provider, model, None, media_resolution, config or CompressionConfig(),
                            region=parse_region(question))


def _source(data: bytes) -> SourceImage:
    config = CompressionConfig()
    return SourceImage(data=data, info=probe_image(data, config.limits), config=config)


def test_gemini_3_request_levels_bound_the_crop(wide_photo: bytes) -> None:
    source = _source(wide_photo)
    # Already at LOW: a crop cannot cost less, so it keeps the request's level (no field edit).
    low = apply_technique(Technique.CROP, source, _ctx("google", "gemini-3-pro-preview", "top-left corner",
                                                       media_resolution="MEDIA_RESOLUTION_LOW"))
    assert low.technique is Technique.CROP and low.tokens == 280 and low.edit.media_resolution is None
    # ULTRA_HIGH resolves the whole image at ~0.75: the corner needs HIGH, not ULTRA_HIGH.
    ultra = apply_technique(Technique.CROP, source, _ctx("google", "gemini-3-pro-preview", "top-left corner",
                                                         media_resolution="MEDIA_RESOLUTION_ULTRA_HIGH"))
    assert ultra.edit.media_resolution == "MEDIA_RESOLUTION_HIGH" and ultra.tokens == 1120


def test_crop_sends_only_the_named_corner() -> None:
    data = f.encode(f.quadrants(800), "PNG")
    outcome, original = run_technique(Technique.CROP, data, "openai", "gpt-4o", question="what is in the top-right corner?")
    assert outcome.technique is Technique.CROP
    img = f.decode(outcome.edit.data)
    # the padded corner: ~ 0.44..1.0 x 0..0.56 of 800 px, at gpt-4o's 768/800 scale
    assert 400 < img.width < 480 and 400 < img.height < 480
    r, g, b = _mean_colour(outcome.edit.data)
    assert g > 200 and r < 60  # mostly the green top-right quadrant
    assert outcome.tokens < original


def test_crop_of_bottom_half_on_claude() -> None:
    data = f.photo_jpeg(1600, 1200)
    outcome, original = run_technique(Technique.CROP, data, "anthropic", "claude-sonnet-4-5",
                                      question="what's at the bottom?")
    img = f.decode(outcome.edit.data)
    assert img.width <= 1568 and img.height < 1200
    assert outcome.tokens < original


def test_crop_without_region_preserves() -> None:
    outcome, _ = run_technique(Technique.CROP, f.photo_jpeg(), "openai", "gpt-4o", question="what is this?")
    assert outcome.technique is Technique.PRESERVE and outcome.edit is None


def test_crop_of_a_small_image_keeps_a_legible_minimum() -> None:
    data = f.encode(f.quadrants(300), "PNG")
    outcome, _ = run_technique(Technique.CROP, data, "anthropic", None, question="top-left corner")
    img = f.decode(outcome.edit.data)
    assert img.size == (224, 224)


def test_the_minimum_side_is_measured_in_the_view_so_large_images_still_save() -> None:
    # A thin bottom strip of a 6000x4000 photo on Claude, which sees it at 1344x896: the floor
    # widens it to 224 px of that view (1000 native rows), not to 224 native rows that the
    # downscale would shrink to ~50 px, and it still costs a quarter of the image (384 of 1536).
    family = resolve_family("anthropic", "claude-sonnet-4-5")
    crop = plan_crop(family, (6000, 4000), (0.0, 0.97, 1.0, 1.0))
    assert crop.size[1] >= MIN_CROP_SIDE
    assert crop.size[1] <= MIN_CROP_SIDE + 2
    assert crop.tokens * 3 < crop.original_tokens


def test_at_least_grows_around_the_centre_and_stays_inside() -> None:
    assert at_least((0.9, 0.0, 1.0, 0.1), (1000, 1000), 224) == pytest.approx((0.776, 0.0, 1.0, 0.224))
    assert at_least((0.0, 0.0, 0.5, 0.5), (1000, 1000), 224) == (0.0, 0.0, 0.5, 0.5)
    assert at_least((0.2, 0.2, 0.3, 0.3), (100, 100), 224) == (0.0, 0.0, 1.0, 1.0)


def test_crop_follows_the_configured_familys_scale() -> None:
    # A multiplier override makes gpt-4o a 1536-patch model, which looks at a ~1250 px square of a
    # 3200 px image: the crop keeps that model's ~0.39 scale, not the tile rule's 768/3200 = 0.24.
    config = CompressionConfig(patch_multipliers=(("gpt-4o", 1.0),))
    data = f.photo_jpeg(3200, 3200)
    outcome, original = run_technique(Technique.CROP, data, "openai", "gpt-4o",
                                      question="what is in the top-left corner?", config=config)
    native = crop_pixels((3200, 3200), outcome.signals["box"])[2]
    assert outcome.size[0] / native > 0.38
    assert outcome.tokens == estimate_image_tokens("openai", "gpt-4o", *outcome.size,
                                                   patch_multipliers=config.patch_multipliers)
    assert outcome.tokens < original <= 1536


@pytest.mark.parametrize("provider, model", FAMILIES, ids=FAMILY_IDS)
def test_zoom_buys_detail_up_to_the_original_cost(provider: str, model: str) -> None:
    family = resolve_family(provider, model)
    box = Region("c", (0.5, 0.0, 1.0, 0.5)).padded()
    base = plan_crop(family, (2560, 1600), box)
    zoomed = plan_crop(family, (2560, 1600), box, zoom=2.0)
    assert base.tokens <= zoomed.tokens <= base.original_tokens
    assert min(zoomed.crop_scale) >= min(base.crop_scale)
    assert zoomed.size[0] <= zoomed.native[0] and zoomed.size[1] <= zoomed.native[1]
    if family.kind not in ("gemini2",):  # Gemini 2 bills every pixel: native already, nothing to buy
        assert min(zoomed.crop_scale) > min(base.crop_scale) or min(base.crop_scale) == 1.0


def test_zoom_through_the_config_on_claude(wide_photo: bytes) -> None:
    config = CompressionConfig(crop_zoom=1.5)
    outcome, original = run_technique(Technique.CROP, wide_photo, "anthropic", "claude-sonnet-4-5",
                                      question="top-right corner", config=config)
    plain, _ = run_technique(Technique.CROP, wide_photo, "anthropic", "claude-sonnet-4-5", question="top-right corner")
    assert plain.tokens < outcome.tokens <= original
    assert outcome.signals["crop_view_scale"] == pytest.approx(1.5 * plain.signals["view_scale"], rel=0.01)


@pytest.mark.parametrize("zoom", [0.5, 0.0, -1.0, float("nan"), float("inf"), True])
def test_crop_zoom_must_be_at_least_one(zoom: float) -> None:
    with pytest.raises(ValueError, match="crop_zoom"):
        CompressionConfig(crop_zoom=zoom)


# --- the invariants, over sizes, regions, families and request settings ------------------------

_PROPERTY_FAMILIES = FAMILIES + [("openai", "gpt-5.4"), ("openai", "gpt-5.5"), ("openai", "gpt-4o-mini")]
_NAMED_BOXES = [Region("r", box).padded() for box in (
    (0.5, 0.0, 1.0, 0.5), (0.0, 0.5, 0.5, 1.0), (0.0, 0.0, 1.0, 0.25), (0.0, 0.75, 1.0, 1.0),
    (0.0, 0.0, 0.3, 1.0), (0.25, 0.25, 0.75, 0.75), (0.0, 0.0, 1.0, 0.5), (2 / 3, 0.0, 1.0, 1.0),
)]


@st.composite
def _boxes(draw: st.DrawFn) -> tuple[float, float, float, float]:
    if draw(st.booleans()):
        return draw(st.sampled_from(_NAMED_BOXES))
    x0, x1 = sorted((draw(st.floats(0, 1)), draw(st.floats(0, 1))))
    y0, y1 = sorted((draw(st.floats(0, 1)), draw(st.floats(0, 1))))
    return (x0, y0, x1, y1)


@settings(max_examples=400, deadline=None)
@given(
    pm=st.sampled_from(_PROPERTY_FAMILIES),
    w=st.integers(1, 9000), h=st.integers(1, 9000),
    box=_boxes(),
    detail=st.sampled_from([None, "low", "high", "auto", "original"]),
    level=st.sampled_from([None, *GEMINI3_LEVELS]),
    zoom=st.sampled_from([1.0, 1.3, 2.0, 4.0]),
)
def test_a_crop_never_costs_more_and_never_sees_less(
        pm: tuple[str, str], w: int, h: int, box: tuple[float, float, float, float],
        detail: str | None, level: str | None, zoom: float) -> None:
    family = resolve_family(*pm)
    crop = plan_crop(family, (w, h), box, detail, level, zoom)
    assert crop.tokens <= crop.original_tokens
    assert crop.original_tokens == estimate_image_tokens(pm[0], pm[1], w, h, detail, level)
    assert crop.tokens == estimate_image_tokens(pm[0], pm[1], *crop.size, detail, crop.level or level)
    assert 1 <= crop.size[0] <= crop.native[0] <= w and 1 <= crop.size[1] <= crop.native[1] <= h
    # What the model resolves of the region is never less than it resolved inside the whole image.
    assert crop.crop_scale[0] >= crop.full_scale[0] - 1e-9 and crop.crop_scale[1] >= crop.full_scale[1] - 1e-9
    view = family_view_size(family, *crop.size, detail, crop.level or level)
    # Over the box's exact share of the image (a view-grid crop covers fractions of native pixels).
    span = ((crop.box[2] - crop.box[0]) * w, (crop.box[3] - crop.box[1]) * h)
    exact = (view[0] / span[0], view[1] / span[1])
    native = (view[0] / crop.native[0], view[1] / crop.native[1])
    assert crop.crop_scale in (exact, native)
    if family.kind in ("openai_tile", "openai_patch", "anthropic") and zoom == 1.0:
        assert view == crop.size  # the provider keeps every pixel sent: nothing is wasted
    if crop.level is not None:
        assert family.kind == "gemini3" and crop.tokens < crop.original_tokens


def test_region_box_is_a_superset_of_the_named_region() -> None:
    region = Region("top-right corner", (0.5, 0.0, 1.0, 0.5))
    crop = plan_crop(resolve_family("openai", "gpt-4o"), (2560, 1600), region.padded())
    left, top, right, bottom = crop.box
    assert left <= 0.5 and top == 0.0 and right == 1.0 and bottom >= 0.5
    assert math.isclose(crop.full_scale[1], 768 / 1600)


# --- end to end: the wire body a client sends, through the default compressor ------------------


def test_gemini_3_body_gets_the_cropped_part_at_medium(compressor: ImageCompressor, wide_photo: bytes) -> None:
    body = f.gemini_body(wide_photo, "What is in the top-right corner?")
    out = compressor.compress_body(body, path="/v1beta/models/gemini-3-pro-preview:generateContent")
    result = out.result.images[0]
    assert result.technique is Technique.CROP, result.reason
    part = out.body["contents"][0]["parts"][1]
    assert part["mediaResolution"] == {"level": "MEDIA_RESOLUTION_MEDIUM"}
    assert f.decode(decode_base64(part["inlineData"]["data"])).size == (1434, 896)
    assert (result.original_tokens, result.compressed_tokens) == (1120, 560)


def test_openai_body_issue_case_saves(compressor: ImageCompressor, wide_photo: bytes) -> None:
    body = f.openai_chat_body(wide_photo, "What is in the top-right corner?", model="gpt-4.1")
    out = compressor.compress_body(body, path="/v1/chat/completions")
    result = out.result.images[0]
    assert result.technique is Technique.CROP, result.reason
    _, data = parse_data_url(out.body["messages"][1]["content"][1]["image_url"]["url"])
    assert f.decode(decode_base64(data)).size == (689, 431)
    assert (result.original_tokens, result.compressed_tokens) == (1105, 425)
