"""FULL_LOW per provider and model family, checked on the bytes that would really be sent."""

import numpy as np
import pytest
from PIL import Image
from skimage import data as skdata

from headroom_edge.config import CompressionConfig
from headroom_edge.lowdetail import patch_budget_size
from headroom_edge.technique import Technique
from headroom_edge.tokens import estimate_image_tokens
from scripts.bench import pillow_floor
from scripts.lib.measure import fidelity, lanczos_reference
from tests import factories as f
from tests.techniques.helpers import run_technique


def test_openai_tile_sets_low_detail_and_shrinks_to_512() -> None:
    outcome, original = run_technique(Technique.FULL_LOW, f.photo_jpeg(), "openai", "gpt-4o")
    assert original == 765
    assert outcome.technique is Technique.FULL_LOW
    assert outcome.tokens == 85
    assert outcome.edit.detail == "low"
    img = f.decode(outcome.edit.data)
    assert img.size == (512, 512)
    assert outcome.edit.media_type == "image/jpeg"


def test_openai_patch_model_downscales_pixels_only() -> None:
    outcome, original = run_technique(Technique.FULL_LOW, f.photo_jpeg(), "openai", "gpt-4.1-mini")
    assert outcome.edit.detail is None  # low detail does nothing for patch models
    img = f.decode(outcome.edit.data)
    assert (img.width // 32) * (img.height // 32) <= 256
    assert outcome.tokens < original


def test_claude_downscales_to_about_512() -> None:
    outcome, original = run_technique(Technique.FULL_LOW, f.photo_jpeg(), "anthropic", "claude-sonnet-4-5")
    assert original == 1369
    img = f.decode(outcome.edit.data)
    assert img.size == (504, 504)
    assert outcome.tokens == 18 * 18


def test_gemini3_sets_media_resolution_low() -> None:
    outcome, original = run_technique(Technique.FULL_LOW, f.photo_jpeg(), "google", "gemini-3-pro-preview")
    assert original == 1120
    assert outcome.tokens == 280
    assert outcome.edit.media_resolution == "MEDIA_RESOLUTION_LOW"
    assert outcome.edit.data is None  # 1024 px already fits the bandwidth box


def test_gemini2_fits_one_tile() -> None:
    outcome, original = run_technique(Technique.FULL_LOW, f.photo_jpeg(1600, 1200), "google", "gemini-2.5-flash")
    assert original == 258 * 6  # 3 x 2 tiles of 768
    img = f.decode(outcome.edit.data)
    assert max(img.size) == 768
    assert outcome.tokens == 258


def test_small_image_only_gets_the_detail_field() -> None:
    outcome, _ = run_technique(Technique.FULL_LOW, f.photo_jpeg(400, 300), "openai", "gpt-4o")
    assert outcome.edit.data is None and outcome.edit.detail == "low"


def test_already_small_claude_image_is_untouched() -> None:
    outcome, _ = run_technique(Technique.FULL_LOW, f.photo_jpeg(300, 200), "anthropic", None)
    assert outcome.technique is Technique.PRESERVE and outcome.edit is None


@pytest.mark.parametrize("content, media_type", [("document", "image/png"), ("photo", "image/jpeg")])
def test_output_format_follows_content(content: str, media_type: str) -> None:
    data = f.document_png() if content == "document" else f.encode(f.photo(1200, 1200), "PNG")
    outcome, _ = run_technique(Technique.FULL_LOW, data, "anthropic", None)
    assert outcome.edit.media_type == media_type


# Planning and pricing must use the same billing family. A multiplier override for a tile model's
# prefix turns it into a 32-px patch model (tokens.py); before the family was resolved once per
# request, the plan ignored the override: it shrank to 512x512 and set detail "low", which patch
# models ignore, while the price already counted patches.
_OVERRIDE = CompressionConfig(patch_multipliers=(("gpt-4o", 1.0),))


def test_full_low_plans_with_the_configured_multipliers() -> None:
    data = f.photo_jpeg(2000, 1000)
    outcome, original = run_technique(Technique.FULL_LOW, data, "openai", "gpt-4o", config=_OVERRIDE)
    assert outcome.edit.detail is None
    assert f.decode(outcome.edit.data).size == outcome.size == patch_budget_size((2000, 1000))
    expected = estimate_image_tokens("openai", "gpt-4o", *outcome.size, patch_multipliers={"gpt-4o": 1.0})
    assert outcome.tokens == expected <= 256
    assert original == estimate_image_tokens("openai", "gpt-4o", 2000, 1000, patch_multipliers={"gpt-4o": 1.0})


# -- fidelity: the rewrite is as good as the bare Pillow floor's --------------------------------


def _centre(arr: np.ndarray, side: int) -> np.ndarray:
    top, left = (arr.shape[0] - side) // 2, (arr.shape[1] - side) // 2
    return arr[top:top + side, left:left + side]


FIDELITY_CASES = {
    # name: (image, PSNR margin dB, SSIM margin) against the floor's own distance to the reference
    "retina photo 1024 (fine vessels)": (lambda: Image.fromarray(_centre(skdata.retina(), 1024)), 0.25, 0.002),
    "hubble deep field 1000x872": (lambda: Image.fromarray(skdata.hubble_deep_field()), 0.25, 0.002),
    "astronaut 1024": (lambda: f.photo(1024, 1024), 0.25, 0.002),
    "rocket 640x427 (no draft scale fits)": (lambda: Image.fromarray(skdata.rocket()), 0.25, 0.002),
    # Worst case kept on purpose: pure fine texture, where the JPEG draft's DCT-domain halving
    # and a LANCZOS pass from the full decode differ most (scripts/bench.py prints such cases).
    "gravel texture 1024": (lambda: Image.fromarray(np.tile(skdata.gravel(), (2, 2))), 2.0, 0.01),
}


@pytest.mark.parametrize("name", list(FIDELITY_CASES))
def test_the_rewrite_stays_as_close_to_a_lanczos_reference_as_the_bare_floor(name: str) -> None:
    """The sent image vs a full-decode LANCZOS resize (no encode), next to the same distance for
    the bare floor (full decode + LANCZOS + JPEG at the same quality): decoding at the target
    scale (JPEG draft) must cost at most the stated margin."""
    make, margin_db, margin_ssim = FIDELITY_CASES[name]
    data = f.encode(make(), "JPEG", quality=90)
    config = CompressionConfig()
    outcome, _ = run_technique(Technique.FULL_LOW, data, "openai", "gpt-4o", config=config)
    assert outcome.technique is Technique.FULL_LOW and outcome.edit.media_type == "image/jpeg"
    reference = lanczos_reference(data, outcome.size)
    ours = fidelity(outcome.edit.data, reference)
    floor = fidelity(pillow_floor(data, outcome.size, "image/jpeg", config.jpeg_quality), reference)
    assert ours.psnr_db >= floor.psnr_db - margin_db, (ours, floor)
    assert ours.ssim >= floor.ssim - margin_ssim, (ours, floor)
