"""Encoding a processed image into bytes a provider accepts, in the format that suits the content.

Format policy (first acceptable wins; ``accepted`` is the provider's list of media types):

- real alpha: PNG, else lossless WebP; else the alpha is flattened onto white and the image is
  treated as opaque;
- graphics (text, documents, screenshots, charts): PNG, else lossless WebP, else JPEG at
  quality >= 90 with no chroma subsampling (keeps coloured text edges), else GIF;
- photos: JPEG (4:2:0), else lossy WebP, else PNG, else GIF.

Speed over the last bytes: JPEG is written with ``optimize=False`` (Huffman optimisation costs
~30% more time for ~5% fewer bytes) and PNG with zlib level 3. PNG graphics with at most 256
colours are written as exact palette images, which is both smaller (often 5-7x) and faster
than RGB PNG. No metadata is written except the ICC profile of the decoded image, so EXIF (GPS,
orientation already applied) never leaves the process.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from io import BytesIO
from typing import Any, Final, Literal

import numpy as np
from PIL import Image

from headroom_edge.imaging.decode import normalise_mode
from headroom_edge.imaging.errors import ImageError, describe_exception
from headroom_edge.imaging.ops import flatten_alpha, looks_like_graphic

ContentKind = Literal["auto", "photo", "graphic"]

JPEG: Final = "image/jpeg"
PNG: Final = "image/png"
WEBP: Final = "image/webp"
GIF: Final = "image/gif"
ENCODABLE: Final[frozenset[str]] = frozenset({JPEG, PNG, WEBP, GIF})
"""Media types this module can write (HEIC/HEIF are accepted by Gemini but not writable)."""

_ALIASES: Final[dict[str, str]] = {
    "image/jpg": JPEG,
    "image/pjpeg": JPEG,
    "image/x-png": PNG,
    "jpeg": JPEG,
    "jpg": JPEG,
    "png": PNG,
    "webp": WEBP,
    "gif": GIF,
}

PNG_COMPRESS_LEVEL: Final = 3
"""zlib level 3: about 3x faster than the default 6 for ~5-10% more bytes on screenshots."""
GRAPHIC_JPEG_MIN_QUALITY: Final = 90
"""Floor for JPEG used as a fallback for graphics: lower qualities smear text edges."""
WEBP_METHOD: Final = 2
"""WebP effort 0-6; 2 is several times faster than the default 4 at a small size cost."""

_PREFERENCE: Final[dict[str, tuple[str, ...]]] = {
    "alpha": (PNG, WEBP),
    "graphic": (PNG, WEBP, JPEG, GIF),
    "photo": (JPEG, WEBP, PNG, GIF),
}


@dataclass(frozen=True)
class EncodedImage:
    """Encoded bytes ready to be base64-encoded into a request. The repr never shows the bytes."""

    data: bytes = field(repr=False)
    media_type: str
    width: int
    height: int

    @property
    def byte_size(self) -> int:
        return len(self.data)


def normalise_accepted(accepted: frozenset[str] | set[str] | None) -> frozenset[str]:
    """Map a provider's accepted list onto the media types we can write.

    ``None`` means "anything we can write". Aliases ("image/jpg", "png") and parameters
    ("image/png; q=1") are tolerated; types we cannot write (HEIC, AVIF) are ignored.
    """
    if accepted is None:
        return ENCODABLE
    result: set[str] = set()
    for item in accepted:
        name = item.split(";", 1)[0].strip().lower()
        name = _ALIASES.get(name, name)
        if name in ENCODABLE:
            result.add(name)
    return frozenset(result)


def choose_media_type(*, alpha: bool, graphic: bool, accepted: frozenset[str] | None = None) -> str:
    """The media type :func:`encode_image` will write for this kind of content.

    Raises :class:`ImageError` when ``accepted`` contains nothing we can write.
    """
    allowed = normalise_accepted(accepted)
    orders = []
    if alpha:
        orders.append(_PREFERENCE["alpha"])
    orders.append(_PREFERENCE["graphic" if graphic else "photo"])
    for order in orders:
        for media_type in order:
            if media_type in allowed:
                return media_type
    raise ImageError(
        "none of the accepted media types can be written "
        f"(accepted: {', '.join(sorted(accepted or ())) or 'none'}; "
        f"writable: {', '.join(sorted(ENCODABLE))})"
    )


def encode_image(
    img: Image.Image,
    *,
    accepted: frozenset[str] | None = None,
    content: ContentKind = "auto",
    quality: int = 85,
) -> EncodedImage:
    """Encode ``img`` in the best accepted format for its content (see the module docstring).

    ``content="auto"`` asks :func:`~headroom_edge.imaging.ops.looks_like_graphic`; pass
    "photo" or "graphic" when the caller already knows. ``quality`` (1-100; above 95 mostly
    adds bytes) applies to lossy formats. Grayscale stays single-channel in every format that
    supports it. The image's ICC profile is embedded when it matches the pixels' colour space.
    """
    if content not in ("auto", "photo", "graphic"):
        raise ImageError(f"unknown content kind {content!r}")
    if not 1 <= quality <= 100:
        raise ImageError(f"quality must be within 1..100, got {quality}")
    icc = img.info.get("icc_profile") or None
    if img.mode not in ("L", "RGB", "RGBA"):
        img, icc = normalise_mode(img, icc)
    media_type = "image"
    try:
        alpha = img.mode == "RGBA" and _alpha_used(img)
        if img.mode == "RGBA" and not alpha:
            img = img.convert("RGB")
        graphic = looks_like_graphic(img) if content == "auto" else content == "graphic"
        media_type = choose_media_type(alpha=alpha, graphic=graphic, accepted=accepted)
        if alpha and media_type not in (PNG, WEBP):
            img = flatten_alpha(img)
        icc = icc if _icc_matches(icc, img.mode) else None
        data = _WRITERS[media_type](img, graphic=graphic, quality=quality, icc=icc)
    except ImageError:
        raise
    except Exception as exc:  # noqa: BLE001 - encoder failures are image errors
        raise ImageError(f"encoding {media_type} failed: {describe_exception(exc)}") from None
    return EncodedImage(data=data, media_type=media_type, width=img.width, height=img.height)


# ----------------------------------------------------------------------------- writers


def _save(img: Image.Image, fmt: str, **params: Any) -> bytes:
    out = BytesIO()
    img.save(out, fmt, **params)
    return out.getvalue()


def _write_jpeg(img: Image.Image, *, graphic: bool, quality: int, icc: bytes | None) -> bytes:
    if graphic:
        quality, subsampling = max(quality, GRAPHIC_JPEG_MIN_QUALITY), 0  # 4:4:4
    else:
        subsampling = 2  # 4:2:0
    params: dict[str, Any] = {
        "quality": quality,
        "optimize": False,
        "progressive": False,
        "comment": b"",
    }
    if img.mode == "RGB":
        params["subsampling"] = subsampling
    if icc:
        params["icc_profile"] = icc
    return _save(img, "JPEG", **params)


def _write_png(img: Image.Image, *, graphic: bool, quality: int, icc: bytes | None) -> bytes:
    del graphic, quality  # lossless: same bytes for any content
    params: dict[str, Any] = {"compress_level": PNG_COMPRESS_LEVEL, "icc_profile": icc}
    if img.mode == "RGB":
        paletted = _exact_palette(img)
        if paletted is not None:
            img = paletted  # Pillow writes 1/2/4-bit PNGs by itself for small palettes
    return _save(img, "PNG", **params)


def _write_webp(img: Image.Image, *, graphic: bool, quality: int, icc: bytes | None) -> bytes:
    if img.mode == "L":  # WebP has no grayscale mode
        img = img.convert("RGB")
    params: dict[str, Any] = {"method": WEBP_METHOD, "exif": b"", "xmp": b""}
    if graphic:
        params.update(lossless=True, quality=50)  # quality = effort for lossless
    else:
        params.update(quality=quality, alpha_quality=100)
    if icc:
        params["icc_profile"] = icc
    return _save(img, "WEBP", **params)


def _write_gif(img: Image.Image, *, graphic: bool, quality: int, icc: bytes | None) -> bytes:
    """Last resort only (every provider that takes GIF also takes PNG or JPEG).

    Exact for images with at most 256 colours; others are quantised (lossy), since GIF has no
    other way to hold them.
    """
    del graphic, quality, icc
    if img.mode == "L":
        return _save(img, "GIF")
    paletted = _exact_palette(img) if img.mode == "RGB" else None
    if paletted is not None:
        return _save(paletted, "GIF")
    rgb = img.convert("RGB") if img.mode != "RGB" else img
    quantised = rgb.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    return _save(quantised, "GIF")


_WRITERS: Final = {JPEG: _write_jpeg, PNG: _write_png, WEBP: _write_webp, GIF: _write_gif}


# ----------------------------------------------------------------------------- helpers


def _icc_matches(icc: bytes | None, mode: str) -> bool:
    """True when the profile's colour space (ICC header bytes 16-20) fits the pixel mode.

    An RGB profile left on an image converted to grayscale (``convert`` copies ``info``) would
    make viewers misread the pixels, so such a mismatched profile is dropped.
    """
    if not icc or len(icc) < 20:
        return False
    space = icc[16:20]
    return space == b"GRAY" if mode == "L" else space == b"RGB "


def _alpha_used(img: Image.Image) -> bool:
    low = img.getchannel("A").getextrema()[0]
    assert isinstance(low, (int, float))
    return low < 255


def _exact_palette(img: Image.Image) -> Image.Image | None:
    """An exact "P" copy of an RGB image with at most 256 colours, else None.

    Pillow's own quantisers are either lossy for few colours (FASTOCTREE, and ``quantize``
    with a given palette, which maps through a 5-6-5 bit cache) or slow (MEDIANCUT ~100 ms for
    a page). A direct table lookup on the 24-bit colour is exact and takes a few milliseconds:
    the 16 MiB table is allocated zeroed (lazily by the OS) and only a few pages are touched.
    """
    colours = img.getcolors(256)  # bails out early on photos
    if colours is None:
        return None
    palette = np.array([c for _, c in colours], dtype=np.uint32).reshape(-1, 3)
    keys = (palette[:, 0] << 16) | (palette[:, 1] << 8) | palette[:, 2]
    table = np.zeros(1 << 24, dtype=np.uint8)
    table[keys] = np.arange(keys.size, dtype=np.uint8)
    rgb = np.asarray(img).astype(np.uint32)
    indices = table[(rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]]
    paletted = Image.frombytes("P", img.size, indices.tobytes())
    paletted.putpalette(palette.astype(np.uint8).tobytes(), "RGB")
    return paletted
