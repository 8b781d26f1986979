"""detect_engine() on the PIL that is really installed: no fakes, real encode/decode round trips."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from importlib import metadata

import PIL
import pytest
from PIL import Image

from headroom_edge.imaging.engine import (
    REQUIRED_BACKPORTS,
    EngineFeatures,
    ImagingEngine,
    _is_simd,
    detect_engine,
    main,
)


def _roundtrips(fmt: str) -> bool:
    """Encode a small gradient in `fmt` and decode it again; False if the codec is missing."""
    img = Image.linear_gradient("L").convert("RGB").resize((64, 48))
    buf = io.BytesIO()
    try:
        img.save(buf, format=fmt)
        buf.seek(0)
        with Image.open(buf) as back:
            back.load()
            return back.size == (64, 48) and back.format == fmt
    except (OSError, KeyError):
        return False


def _simd_dist_version() -> str | None:
    try:
        return metadata.version("pillow-simd")
    except metadata.PackageNotFoundError:
        return None


def test_detects_a_valid_engine_with_jpeg_and_png() -> None:
    engine = detect_engine()
    assert engine.name in ("pillow-simd", "pillow")
    assert engine.version == PIL.__version__
    assert engine.simd == (engine.name == "pillow-simd")
    assert engine.features.jpeg
    assert engine.features.png
    assert engine.features.gif


@pytest.mark.parametrize(
    ("fmt", "attr"), [("JPEG", "jpeg"), ("PNG", "png"), ("WEBP", "webp"), ("GIF", "gif")]
)
def test_reported_features_match_real_round_trips(fmt: str, attr: str) -> None:
    assert getattr(detect_engine().features, attr) == _roundtrips(fmt)


def test_installed_pillow_simd_is_the_active_one() -> None:
    """If pillow-simd is installed, nothing (a dependency pulling Pillow) replaced its files."""
    simd_version = _simd_dist_version()
    engine = detect_engine()
    if simd_version is None:
        assert engine.name == "pillow"
    else:
        assert engine.name == "pillow-simd", (
            f"pillow-simd {simd_version} is installed but PIL {PIL.__version__} is loaded: "
            "stock Pillow was installed over it; re-run scripts/install.sh"
        )


def test_simd_decision_compares_loaded_version_with_distribution() -> None:
    simd_version = _simd_dist_version()
    if simd_version is None:
        assert _is_simd("12.1.1.post0")
        assert not _is_simd("13.0.0")
    else:
        assert _is_simd(simd_version)
        assert not _is_simd(simd_version + ".other")


def test_simd_requirement_needs_every_codec() -> None:
    full = EngineFeatures(jpeg=True, png=True, webp=True, gif=True, lcms=True)
    no_webp = EngineFeatures(jpeg=True, png=True, webp=False, gif=True, lcms=True)
    no_lcms = EngineFeatures(jpeg=True, png=True, webp=True, gif=True, lcms=False)
    patched = REQUIRED_BACKPORTS
    simd_full = ImagingEngine("pillow-simd", "12.1.1.post0", full, simd=True, backports=patched)
    simd_unpatched = ImagingEngine("pillow-simd", "12.1.1.post0", full, simd=True)
    simd_no_webp = ImagingEngine("pillow-simd", "12.1.1.post0", no_webp, simd=True, backports=patched)
    simd_no_lcms = ImagingEngine("pillow-simd", "12.1.1.post0", no_lcms, simd=True, backports=patched)
    stock = ImagingEngine("pillow", "13.0.0", full, simd=False)
    assert simd_full.satisfies_simd_requirement()
    assert not simd_no_webp.satisfies_simd_requirement()
    assert not simd_no_lcms.satisfies_simd_requirement()
    assert not simd_unpatched.satisfies_simd_requirement()  # without the security backports
    assert not stock.satisfies_simd_requirement()


def test_main_prints_json_and_enforces_require_simd(capsys: pytest.CaptureFixture[str]) -> None:
    engine = detect_engine()
    assert main([]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["name"] == engine.name
    assert printed["features"]["jpeg"] is True
    assert main(["--require-simd"]) == (0 if engine.satisfies_simd_requirement() else 1)


def test_runs_as_module() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "headroom_edge.imaging.engine"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(proc.stdout)["version"] == PIL.__version__
