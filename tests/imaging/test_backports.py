"""The Pillow security fixes the active build must carry, each proven on the real build.

Each reproducer runs in a child interpreter: on a build without the fix it corrupts memory (the
paste case aborts with "double free or corruption"), which must fail this test, not kill the
test run. On a fixed build (pillow-simd through scripts/pillow_backports.py, or stock Pillow
>= 12.3.0) each one ends in a clean ValueError.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from headroom_edge.imaging.engine import REQUIRED_BACKPORTS, detect_engine

_ROOT = Path(__file__).resolve().parents[2]


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=120)


def _raises_value_error(code: str) -> None:
    """``code`` must raise ValueError and the interpreter must then exit normally."""
    proc = _run(f"""
        try:
{textwrap.indent(textwrap.dedent(code), " " * 12)}
        except ValueError as exc:
            print("ValueError:", exc)
        else:
            print("no error")
        """)
    assert proc.returncode == 0, f"the build crashed (rc {proc.returncode}): {proc.stderr[-300:]}"
    assert proc.stdout.startswith("ValueError:"), proc.stdout


@pytest.mark.parametrize(("built_for", "image_mode"), [("LAB", "RGB"), ("RGBA", "L"), ("RGB", "L")])
def test_cve_2026_59205_transform_refuses_an_image_of_another_mode(built_for: str, image_mode: str) -> None:
    """An ImageCms transform applied to pixels of another layout must raise (it used to read and
    write past the buffer of a 1-byte-per-pixel image)."""
    profile = "LAB" if built_for == "LAB" else "sRGB"
    _raises_value_error(f"""
        from PIL import Image, ImageCms
        source = ImageCms.ImageCmsProfile(ImageCms.createProfile({profile!r}))
        target = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
        transform = ImageCms.ImageCmsTransform(source, target, {built_for!r}, "RGB")
        transform.apply(Image.new({image_mode!r}, (2000, 2000)))
        """)


def test_cve_2026_59199_paste_with_an_overflowing_box_is_refused() -> None:
    """A box whose width wraps around in 32-bit arithmetic to the pasted image's width: the
    unfixed build writes at x = 2**31 - 1 and aborts."""
    _raises_value_error("""
        from PIL import Image
        canvas = Image.new("RGB", (10, 10))
        canvas.paste(Image.new("RGB", (4, 4), (255, 0, 0)), (2**31 - 1, 0, -2**31 + 3, 4))
        """)


def test_9656_a_decoder_takes_one_image_only() -> None:
    _raises_value_error("""
        from PIL import Image
        decoder = Image._getdecoder("RGB", "raw", ("RGB",))
        image = Image.new("RGB", (2, 2))
        decoder.setimage(image.im)
        decoder.setimage(image.im)
        """)


def test_engine_reports_the_backports_of_the_active_build() -> None:
    engine = detect_engine()
    if engine.simd:
        assert set(REQUIRED_BACKPORTS) <= set(engine.backports), engine.backports
    proc = subprocess.run([sys.executable, "-m", "headroom_edge.imaging.engine"],
                          capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(proc.stdout)["backports"] == list(engine.backports)
    assert f"backports: {', '.join(engine.backports) or 'none'}" in proc.stderr


def test_the_build_script_applies_every_required_fix() -> None:
    spec = importlib.util.spec_from_file_location("pillow_backports", _ROOT / "scripts" / "pillow_backports.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    ids = [b.id for b in module.BACKPORTS]
    assert set(REQUIRED_BACKPORTS) <= set(ids)
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("build_file", ["Dockerfile", "scripts/install.sh", "scripts/container_replay.sh"])
def test_every_pillow_simd_build_runs_the_backports(build_file: str) -> None:
    """No build path compiles pillow-simd straight from its sdist (the unpatched way)."""
    text = (_ROOT / build_file).read_text(encoding="utf-8")
    assert "pillow_backports.py" in text and "--simd-version" in text
    assert "--no-binary pillow-simd" not in text
    if build_file == "Dockerfile":  # the build context is an allowlist
        assert "!scripts/pillow_backports.py" in (_ROOT / ".dockerignore").read_text(encoding="utf-8")
