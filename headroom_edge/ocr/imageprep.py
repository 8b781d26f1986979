"""Bringing any PIL image to the 8-bit RGB both OCR models expect.

Why composite on white: screenshots and rendered documents often arrive as RGBA PNGs with dark
text on a transparent background; dropping the alpha channel would turn that background black and
the text invisible.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from headroom_edge.imaging.ops import flatten_alpha

_ALPHA_MODES = ("RGBA", "LA", "PA", "RGBa", "La")


def as_rgb(img: Image.Image) -> Image.Image:
    """The image as mode "RGB"; transparent pixels become white."""
    if img.mode == "RGB":
        return img
    if img.mode in _ALPHA_MODES or (img.mode == "P" and "transparency" in img.info):
        return flatten_alpha(img)
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        # Wide grey levels: rescale to 0..255 instead of clipping (16-bit scans are mostly > 255).
        values = np.asarray(img.convert("F"), dtype=np.float32)
        lo, hi = float(values.min()), float(values.max())
        scaled = (values - lo) * (255.0 / ((hi - lo) or 1.0))
        return Image.fromarray(scaled.astype(np.uint8)).convert("RGB")
    return img.convert("RGB")
