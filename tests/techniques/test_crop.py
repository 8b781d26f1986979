import numpy as np
import pytest

from headroom_edge.config import CompressionConfig
from headroom_edge.technique import Technique
from headroom_edge.tokens import estimate_image_tokens
from tests import factories as f
from tests.techniques.helpers import run_technique


def _mean_colour(data: bytes) -> tuple[int, ...]:
    arr = np.asarray(f.decode(data).convert("RGB"), dtype=float)
    return tuple(int(v) for v in arr.reshape(-1, 3).mean(axis=0))


def test_crop_sends_only_the_named_corner() -> None:
    data = f.encode(f.quadrants(800), "PNG")
    outcome, original = run_technique(Technique.CROP, data, "openai", "gpt-4o", question="what is in the top-right corner?")
    assert outcome.technique is Technique.CROP
    img = f.decode(outcome.edit.data)
    # the padded corner: ~ 0.44..1.0 x 0..0.56 of 800 px, native resolution (never enlarged)
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


def test_at_least_grows_around_the_centre_and_stays_inside() -> None:
    from headroom_edge.techniques.crop import at_least

    assert at_least((0.9, 0.0, 1.0, 0.1), (1000, 1000), 224) == pytest.approx((0.776, 0.0, 1.0, 0.224))
    assert at_least((0.0, 0.0, 0.5, 0.5), (1000, 1000), 224) == (0.0, 0.0, 0.5, 0.5)
    assert at_least((0.2, 0.2, 0.3, 0.3), (100, 100), 224) == (0.0, 0.0, 1.0, 1.0)


def test_crop_shrinks_to_what_the_configured_family_sees() -> None:
    # A multiplier override makes gpt-4o a 1536-patch model, which looks at a ~1250 px square;
    # shrinking the crop to the tile rule's 768 px would throw away pixels the price includes.
    config = CompressionConfig(patch_multipliers=(("gpt-4o", 1.0),))
    data = f.photo_jpeg(3200, 3200)
    outcome, _ = run_technique(Technique.CROP, data, "openai", "gpt-4o", question="what is in the top-left corner?",
                               config=config)
    assert min(f.decode(outcome.edit.data).size) > 768
    assert outcome.tokens == estimate_image_tokens("openai", "gpt-4o", *outcome.size, patch_multipliers=config.patch_multipliers)
    assert outcome.tokens <= 1536
