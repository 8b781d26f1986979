"""``headroom-edge compress --preview``: the page a person opens, checked the way a person sees it.

The CLI runs as a subprocess on a real two-image request; the page is opened in headless Chromium
and its screenshot decoded: the two frames of each image sit where :class:`PageLayout` puts
them and show that image's colour, the gap between them is page background, and Tesseract reads
the page's words. No mocks: the compressor, the browser and the OCR are the real ones.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from headroom_edge.cli.preview_page import PageLayout, render_page
from headroom_edge.preview import ImageView, model_views, ocr_texts
from headroom_edge.results import CompressionResult, ImageResult
from headroom_edge.technique import Technique
from headroom_edge.techniques.transcode import TEXT_HEADER
from tests import factories as f

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
TESSERACT = shutil.which("tesseract")


def solid(colour: tuple[int, int, int], size: tuple[int, int] = (1600, 1200)) -> bytes:
    """A photo-sized picture of one colour with a little noise (so JPEG treats it as a photo)."""
    rng = np.random.default_rng(sum(colour))
    pixels = np.clip(np.array(colour, dtype=np.int16) + rng.integers(-6, 7, (size[1], size[0], 3)), 0, 255)
    return f.encode(Image.fromarray(pixels.astype(np.uint8), "RGB"), "JPEG")


def two_image_request() -> dict:
    return {
        "model": "gpt-4o",
        "messages": [{"role": "user", "content": [
            {"type": "text", "text": "What colours are in these pictures?"},
            {"type": "image_url", "image_url": {"url": f.data_url(solid((220, 30, 30)), "image/jpeg")}},
            {"type": "image_url", "image_url": {"url": f.data_url(solid((30, 40, 210)), "image/jpeg")}},
        ]}],
    }


def screenshot(page: Path, out: Path, size: tuple[int, int]) -> Image.Image:
    assert CHROMIUM, "chromium is needed (scripts/install.sh --dev installs it)"
    subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
         "--force-device-scale-factor=1", f"--user-data-dir={out.parent / 'profile'}",
         f"--window-size={size[0]},{size[1]}", f"--screenshot={out}", page.as_uri()],
        capture_output=True, timeout=120, check=False,
    )
    assert out.exists(), "chromium wrote no screenshot"
    img = Image.open(out)
    img.load()
    return img.convert("RGB")


def test_preview_page_shows_each_image_beside_what_the_model_sees(tmp_path: Path) -> None:
    request = tmp_path / "req.json"
    request.write_text(json.dumps(two_image_request()))
    page = tmp_path / "preview.html"
    proc = subprocess.run(
        [sys.executable, "-m", "headroom_edge", "compress", str(request), "-o", str(tmp_path / "out.json"),
         "--preview", str(page)], cwd=ROOT, capture_output=True, timeout=240,
    )
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    assert "preview written" in proc.stderr.decode()
    assert "base64," not in proc.stderr.decode()  # the page holds data URIs; the log never does
    text = page.read_text()
    # Self-contained: every image is a data URI, nothing can be fetched.
    assert "default-src 'none'" in text
    assert not re.search(r"""(src|href)=["'](?!data:)""", text)
    assert text.count('src="data:image/') == 4

    lay = PageLayout()
    shot = screenshot(page, tmp_path / "shot.png", (lay.page_w, lay.pad * 2 + lay.header_h + 2 * lay.section_h))
    px = np.asarray(shot).astype(int)
    assert px.std() > 20, "the screenshot is blank"
    for index, colour in ((0, (220, 30, 30)), (1, (30, 40, 210))):
        for pane in (0, 1):
            left, top, right, bottom = lay.frame_box(index, pane)
            centre = px[(top + bottom) // 2, (left + right) // 2]
            assert np.abs(centre - np.array(colour)).max() < 40, (index, pane, centre)
        gap_x = lay.frame_box(index, 0)[2] + lay.gap // 2
        assert px[(lay.frame_box(index, 0)[1] + lay.frame_box(index, 0)[3]) // 2, gap_x].min() > 240
    if TESSERACT:
        read = subprocess.run([TESSERACT, str(tmp_path / "shot.png"), "stdout"], capture_output=True,
                              text=True, timeout=120).stdout.lower()
        assert "model" in read and "tokens" in read, read[:500]


def test_model_views_follow_the_providers_resize_rules() -> None:
    """gpt-4o low detail resolves at most 512 px; the original at its tile-rule size."""
    from headroom_edge import ImageCompressor

    body = two_image_request()
    out = ImageCompressor(use_siglip=False).compress_body(body)
    views = model_views(body, out.body, out.result)
    assert len(views) == 2
    for view in views:
        assert view.original is not None and view.compressed is not None
        assert view.original.sent_size == (1600, 1200)
        assert view.original.view_size == (1024, 768)  # gpt-4o: short side 768
        if view.result.technique is Technique.FULL_LOW:
            assert view.compressed.detail == "low" and max(view.compressed.view_size) <= 512
        assert view.compressed.image.size == view.compressed.view_size


def test_page_escapes_text_and_shows_ocr_text() -> None:
    result = ImageResult(index=0, technique=Technique.TRANSCODE, original_tokens=1000, compressed_tokens=200,
                         confidence=0.9, reason="<script>alert(1)</script> & more")
    view = ImageView(result=result, original=None, compressed=None, ocr_text=f"{TEXT_HEADER}\n<b>Total</b> 42")
    text = render_page([view], CompressionResult(images=(result,), provider="openai", model="gpt-4o",
                                                 wire_format="openai_chat"))
    assert "<script>" not in text and html.escape("<script>alert(1)</script> & more") in text
    assert "&lt;b&gt;Total&lt;/b&gt; 42" in text
    assert "1000 \u2192 200" in text and "80.0% saved" in text


def test_ocr_texts_found_wherever_the_format_puts_them() -> None:
    body = {"a": [{"text": "hello"}, {"text": f"{TEXT_HEADER}\nfirst"}],
            "b": {"response": {"headroom_ocr_text": f"{TEXT_HEADER}\nsecond\n\n{TEXT_HEADER}\nthird"}}}
    assert ocr_texts(body) == [f"{TEXT_HEADER}\nfirst", f"{TEXT_HEADER}\nsecond", f"{TEXT_HEADER}\nthird"]


def test_model_views_of_a_body_without_a_format_is_empty() -> None:
    assert model_views({"x": 1}, {"x": 1}, CompressionResult()) == []


@pytest.mark.parametrize("raw", [b"not json", b'{"hello": "world"}'])
def test_preview_of_a_body_that_is_not_a_request(tmp_path: Path, raw: bytes) -> None:
    page = tmp_path / "p.html"
    proc = subprocess.run([sys.executable, "-m", "headroom_edge", "compress", "-", "--preview", str(page)],
                          cwd=ROOT, input=raw, capture_output=True, timeout=240)
    assert proc.returncode == 0, proc.stderr.decode()[-1000:]
    assert proc.stdout.rstrip(b"\n") == raw  # passed through untouched
    assert "No images in this request." in page.read_text()
