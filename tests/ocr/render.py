"""Rendering text with a real TrueType font, and scoring OCR against it.

Pillow >= 10.1 ships a TrueType font reachable as ``ImageFont.load_default(size=...)`` (Aileron),
so these tests need no system fonts. Older Pillow / pillow-simd builds lack it; then the DejaVu
fonts of the ``fonts-dejavu-core`` Debian package are used, and without either the tests skip
with a message saying what to install.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from scripts.lib.stats import edit_distance

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")

Font = ImageFont.FreeTypeFont


def font(size: int) -> Font:
    try:
        loaded = ImageFont.load_default(size=size)
        if isinstance(loaded, ImageFont.FreeTypeFont):
            return loaded
    except (TypeError, OSError):  # Pillow < 10.1 or built without FreeType
        pass
    if DEJAVU.is_file():
        return ImageFont.truetype(str(DEJAVU), size)
    pytest.skip("no TrueType font: use Pillow >= 10.1 or install fonts-dejavu-core")


@dataclass(frozen=True)
class Rendered:
    """An image and where each piece of text was drawn (x0, y0, x1, y1, exclusive ends)."""

    image: Image.Image
    texts: tuple[str, ...]
    boxes: tuple[tuple[int, int, int, int], ...]


def render_lines(
    lines: list[str],
    size: int,
    width: int = 1024,
    height: int | None = None,
    left: int = 40,
    top: int = 40,
    spacing: float = 1.7,
) -> Rendered:
    """Black text lines on a white page, one below the other."""
    fnt = font(size)
    step = int(size * spacing)
    height = height or top * 2 + step * len(lines)
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    boxes = []
    for i, text in enumerate(lines):
        xy = (left, top + i * step)
        draw.text(xy, text, font=fnt, fill="black")
        boxes.append(tuple(int(v) for v in draw.textbbox(xy, text, font=fnt)))
    return Rendered(img, tuple(lines), tuple(boxes))  # type: ignore[arg-type]


def render_pieces(
    pieces: list[tuple[int, int, str]], size: int, width: int, height: int
) -> Rendered:
    """Text drawn at given (x, y) positions, for layouts such as receipts and forms."""
    fnt = font(size)
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    boxes = []
    for x, y, text in pieces:
        draw.text((x, y), text, font=fnt, fill="black")
        boxes.append(tuple(int(v) for v in draw.textbbox((x, y), text, font=fnt)))
    return Rendered(img, tuple(p[2] for p in pieces), tuple(boxes))  # type: ignore[arg-type]


def normalise(text: str) -> str:
    return " ".join(text.split())


def char_error_rate(expected: str, got: str) -> float:
    """Edit distance over the expected length, after collapsing whitespace."""
    want, have = normalise(expected), normalise(got)
    return edit_distance(want, have) / max(1, len(want))


def iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0
