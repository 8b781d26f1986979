"""Real test images for the imaging tests: rendered with Pillow/numpy or taken from scikit-image.

Every helper builds pixels; :func:`encode` turns them into the bytes a client would send, so the
tests exercise the real decoders and encoders end to end.
"""

from __future__ import annotations

import io
import struct
import zlib
from functools import cache, lru_cache
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

LOREM = (
    "Invoice 2291 from Northwind Traders. Item one: copper wire, 12 rolls at 4.50 each. "
    "Payment due within thirty days of the invoice date. Thank you for your business."
)

RED = (255, 0, 0)
BLUE = (0, 0, 255)


def encode(img: Image.Image, fmt: str = "JPEG", **params: Any) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **params)
    return buf.getvalue()


def open_bytes(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    """Pillow's scalable default font (FreeType builds), else its fixed bitmap font."""
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError, ImportError):  # old Pillow or no FreeType
        return ImageFont.load_default()


def document(width: int = 800, height: int = 1000, size: int = 14) -> Image.Image:
    """A page of dark text on white, like a rendered PDF page or a text screenshot."""
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    f = font(size)
    for row, y in enumerate(range(20, height - size, size + 6)):
        draw.text((30, y), f"{row:03d} {LOREM}", fill=(20, 20, 20), font=f)
    return img


def screenshot(width: int = 1024, height: int = 640) -> Image.Image:
    """A UI: flat toolbar and sidebar, cards with borders, labels, a coloured button."""
    img = Image.new("RGB", (width, height), (245, 245, 247))
    draw = ImageDraw.Draw(img)
    f = font(13)
    draw.rectangle((0, 0, width, 44), fill=(40, 44, 52))
    draw.rectangle((0, 44, 200, height), fill=(230, 232, 236))
    for i in range(24):
        draw.text((16, 60 + i * 22), f"Menu item {i}", fill=(30, 30, 30), font=f)
    for i in range(10):
        top = 64 + i * 56
        draw.rectangle((230, top, width - 30, top + 44), fill="white", outline=(200, 200, 210))
        draw.text((246, top + 14), f"Row {i}  status: OK  value 12.{i}", fill=(10, 10, 10), font=f)
    draw.rectangle((width - 170, 8, width - 20, 36), fill=(0, 120, 215))
    draw.text((width - 150, 14), "Sign in", fill="white", font=f)
    return img


def small_text(width: int = 1024, height: int = 1024, size: int = 10) -> Image.Image:
    """Dense small black text: the kind of detail that shrinking destroys."""
    img = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(img)
    f = font(size)
    for y in range(0, height - size, size + 4):
        draw.text((4, y), LOREM, fill=0, font=f)
    return img


def gradient(width: int = 1024, height: int = 1024) -> Image.Image:
    """A smooth diagonal grayscale gradient: nothing fine to lose."""
    y, x = np.mgrid[0:height, 0:width]
    values = (x + y) / max(1, width + height - 2) * 255
    return Image.fromarray(values.astype(np.uint8), "L")


def synthetic_photo(width: int = 640, height: int = 480, seed: int = 0) -> Image.Image:
    """Colour gradients plus sensor-like noise: a photo stand-in without any download."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack(
        [x / width * 200 + 20, y / height * 180 + 30, (x + y) / (width + height) * 150 + 50], -1
    )
    base = base + 40 * np.sin(x / 37.0)[..., None] * np.cos(y / 23.0)[..., None]
    base = base + rng.normal(0, 6, base.shape)
    return Image.fromarray(np.clip(base, 0, 255).astype(np.uint8), "RGB")


@lru_cache(maxsize=8)
def photo_jpeg(width: int, height: int, orientation: int = 1) -> bytes:
    """A cached JPEG of :func:`synthetic_photo` (big ones take a while to generate)."""
    # Pixels are generated at a quarter of the size and upscaled: the noise generation is what
    # is slow, and the tests using these only care about sizes and decoder behaviour.
    img = synthetic_photo(max(1, width // 4), max(1, height // 4)).resize(
        (width, height), Image.Resampling.BILINEAR
    )
    if orientation != 1:
        return with_orientation(img, orientation)
    return encode(img, "JPEG", quality=80)


@cache
def _skimage_array(name: str) -> np.ndarray | None:
    try:
        from skimage import data
    except ImportError:
        return None
    return np.asarray(getattr(data, name)())


def natural_photo(name: str) -> Image.Image:
    """scikit-image's sample photo (astronaut, coffee, chelsea), or a synthetic stand-in."""
    arr = _skimage_array(name)
    if arr is None:
        return synthetic_photo(seed=hash(name) % 1000)
    return Image.fromarray(arr.copy())


def left_red_right_blue(width: int = 64, height: int = 32) -> Image.Image:
    img = Image.new("RGB", (width, height), BLUE)
    img.paste(RED, (0, 0, width // 2, height))
    return img


def with_orientation(img: Image.Image, orientation: int, fmt: str = "JPEG") -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    params: dict[str, Any] = {"exif": exif.tobytes()}
    if fmt == "JPEG":
        params["quality"] = 95
    return encode(img, fmt, **params)


def png_with_declared_size(width: int, height: int) -> bytes:
    """A tiny, valid-looking PNG whose IHDR declares ``width`` x ``height`` (a bomb's header)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def animated(
    fmt: str, colours: tuple[tuple[int, int, int], ...] = (RED, (0, 255, 0), BLUE)
) -> bytes:
    frames = [Image.new("RGB", (48, 32), c) for c in colours]
    params: dict[str, Any] = {"save_all": True, "append_images": frames[1:], "duration": 100}
    if fmt == "GIF":
        params["loop"] = 0
    if fmt == "WEBP":
        params["lossless"] = True
    return encode(frames[0], fmt, **params)


def pixel(img: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    value = img.getpixel(xy)
    return value if isinstance(value, tuple) else (value,)  # type: ignore[return-value]


def close(a: tuple[int, ...], b: tuple[int, ...], tol: int = 12) -> bool:
    return len(a) == len(b) and all(abs(x - y) <= tol for x, y in zip(a, b, strict=True))
