"""Helpers for the wire-format tests: real images in, real images out (Pillow)."""

from __future__ import annotations

import base64
import io

from PIL import Image


def make_image(size: tuple[int, int], fmt: str, colour: tuple[int, int, int]) -> bytes:
    """A small real image with a gradient, so decoders have actual pixel data to chew on."""
    img = Image.new("RGB", size, colour)
    px = img.load()
    for x in range(size[0]):
        for y in range(size[1]):
            px[x, y] = ((colour[0] + 7 * x) % 256, (colour[1] + 11 * y) % 256, colour[2])
    buf = io.BytesIO()
    img.save(buf, format=fmt)
    return buf.getvalue()


def decode_size(b64: str) -> tuple[tuple[int, int], str]:
    """(size, Pillow format) of base64 image text, proving it decodes to a real image."""
    with Image.open(io.BytesIO(base64.b64decode(b64, validate=True))) as img:
        img.load()
        return img.size, img.format
