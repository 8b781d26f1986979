"""Reading untrusted image bytes: a cheap header probe and a full, normalised decode.

Why two steps: most decisions (token cost, whether to touch the image at all) need only the
format and the size, which Pillow reads from the header in microseconds. The full decode is paid
only for images that will actually be changed, and only after the declared size passed the
limits, so a decompression bomb is rejected before a single pixel is allocated.

Safety rules kept here:
- Only the formats LLM providers accept are opened (JPEG, PNG, WebP, GIF), through Pillow's
  ``formats=`` argument, so exotic plugins (EPS, TIFF, ...) never parse hostile bytes.
- Limits are checked on the declared size before decoding; Pillow's own decompression-bomb
  warning/error (and its checks on GIF frames) are turned into :class:`ImageError` locally with
  ``warnings.catch_warnings`` instead of changing ``Image.MAX_IMAGE_PIXELS`` or
  ``ImageFile.LOAD_TRUNCATED_IMAGES`` for the whole process.
- Every decoder failure becomes an :class:`ImageError` whose message holds no payload bytes.

Caveat: ``warnings.catch_warnings`` swaps the interpreter-wide filter list while it is active.
Our windows are kept to header parsing (microseconds) and serialised by one lock so concurrent
decodes cannot leave our temporary filters installed; a warning raised by another thread inside
such a window may still be filtered by our rules, which is harmless.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from io import BytesIO
from typing import Final, Protocol

import numpy as np
from PIL import Image, UnidentifiedImageError

from headroom_edge.config import ImageLimits
from headroom_edge.imaging.errors import ImageError, describe_exception

SUPPORTED_FORMATS: Final[tuple[str, ...]] = ("JPEG", "PNG", "WEBP", "GIF")
"""Formats we open: the ones every supported provider accepts (Gemini's HEIC/HEIF cannot be
decoded by Pillow and passes through untouched)."""

MEDIA_TYPES: Final[dict[str, str]] = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "GIF": "image/gif",
}
"""Pillow format name -> IANA media type, for the formats we can both read and write."""

_SWAPPING_ORIENTATIONS: Final = frozenset({5, 6, 7, 8})
"""EXIF orientations that rotate by 90 degrees, so displayed width/height are the stored ones
swapped."""

_TRANSPOSE: Final[dict[int, Image.Transpose]] = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
"""The same mapping ``ImageOps.exif_transpose`` uses (EXIF orientation -> transpose)."""

_ALPHA_MODES: Final = frozenset({"RGBA", "LA", "PA", "RGBa", "La"})
_EXIF_ORIENTATION_TAG: Final = 0x0112

# Magic numbers of formats we refuse, only to make the error message say what the payload is.
_SNIFF: Final[tuple[tuple[int, bytes, str], ...]] = (
    (0, b"II*\x00", "TIFF"),
    (0, b"MM\x00*", "TIFF"),
    (0, b"BM", "BMP"),
    (0, b"%PDF", "PDF"),
    (0, b"<svg", "SVG"),
    (0, b"<?xml", "XML/SVG"),
    (0, b"\x00\x00\x00\x0cjP  ", "JPEG 2000"),
)
_FTYP_BRANDS: Final[dict[bytes, str]] = {
    b"heic": "HEIC",
    b"heix": "HEIC",
    b"hevc": "HEIC",
    b"heim": "HEIC",
    b"heis": "HEIC",
    b"mif1": "HEIF",
    b"msf1": "HEIF",
    b"avif": "AVIF",
    b"avis": "AVIF",
}


class ImageCmsTransformLike(Protocol):
    """What :func:`apply_transform` needs of ``PIL.ImageCms.ImageCmsTransform`` (the module is
    imported lazily: it loads LittleCMS)."""

    input_mode: str
    output_mode: str

    def apply(self, im: Image.Image, imOut: Image.Image | None = None) -> Image.Image: ...


@dataclass(frozen=True)
class ImageInfo:
    """What the header says about an image, as a viewer would display it.

    ``width``/``height`` are after EXIF orientation (what the provider's model sees, since
    providers honour the orientation tag), ``stored_size`` is the size in the file.
    """

    format: str
    """Pillow format name: "JPEG" (also for multi-picture MPO files), "PNG", "WEBP", "GIF"."""
    media_type: str
    width: int
    height: int
    mode: str
    """Pillow mode as stored ("RGB", "L", "P", "RGBA", "CMYK", "I;16", ...)."""
    animated: bool
    """More than one frame (GIF, APNG, animated WebP). Multi-picture JPEGs count as still."""
    has_alpha: bool
    """The file can carry transparency (alpha channel or a transparency key); whether any pixel
    is actually transparent is only known after decoding."""
    byte_size: int
    orientation: int = 1
    """EXIF orientation 1..8 (1 = as stored)."""

    @property
    def size(self) -> tuple[int, int]:
        return (self.width, self.height)

    @property
    def pixels(self) -> int:
        return self.width * self.height

    @property
    def stored_size(self) -> tuple[int, int]:
        if self.orientation in _SWAPPING_ORIENTATIONS:
            return (self.height, self.width)
        return (self.width, self.height)


@dataclass
class DecodedImage:
    """A fully decoded image, normalised for processing.

    ``image`` is upright (EXIF orientation applied) and in one of the modes "L", "RGB" or "RGBA"
    (RGBA only when some pixel is actually transparent); its ``info`` keeps only the ICC profile,
    so no EXIF/GPS/XMP metadata can leak into a re-encoded image.
    """

    image: Image.Image
    info: ImageInfo
    """Header facts of the original payload (size before any draft reduction)."""
    drafted: bool = False
    """True when JPEG draft mode made the decoder produce a reduced size (1/2, 1/4, 1/8)."""

    @property
    def animated(self) -> bool:
        """The original had several frames; ``image`` is the first one."""
        return self.info.animated


def probe_image(data: bytes, limits: ImageLimits) -> ImageInfo:
    """Read format, size and mode from the header without decoding pixels.

    Raises :class:`ImageError` for empty, oversized, unrecognised, unsupported or
    over-limit images. Costs tens of microseconds for a JPEG.
    """
    _check_payload(data, limits)
    with _pillow_guard("probe", data), _bomb_guard():
        with Image.open(BytesIO(data), formats=_open_formats()) as img:
            return _info_from_open(img, len(data), limits)


def decode_image(
    data: bytes, limits: ImageLimits, *, min_size: tuple[int, int] | None = None
) -> DecodedImage:
    """Decode the first frame fully and normalise it (orientation, mode, metadata).

    ``min_size`` (upright width, height) is a promise from the caller that it will shrink the
    image to at least that size anyway. For JPEGs the decoder then uses draft mode (DCT scaling
    by 1/2, 1/4 or 1/8), producing an image that is still >= ``min_size`` on both sides; that
    makes shrinking a 12-megapixel photo several times faster and uses a fraction of the memory.
    """
    _check_payload(data, limits)
    with _pillow_guard("decode", data):
        with _bomb_guard():  # header parsing: the only place Pillow's bomb checks run
            img: Image.Image = Image.open(BytesIO(data), formats=_open_formats())
            info = _info_from_open(img, len(data), limits)
        drafted = False
        if min_size is not None and info.format == "JPEG":
            drafted = _draft(img, min_size, info.orientation)
        img.load()
        if info.format == "PNG":
            # A PNG may place its eXIf chunk after the pixel data, visible only after load().
            with _bomb_guard():  # quiets EXIF-parsing warnings
                orientation = _read_orientation(img)
            if orientation != info.orientation:
                upright = _upright_size(img.size, orientation)
                info = replace(info, orientation=orientation, width=upright[0], height=upright[1])
        icc = img.info.get("icc_profile")
        method = _TRANSPOSE.get(info.orientation)
        if method is not None:
            img = img.transpose(method)
        img, icc = normalise_mode(img, icc)
        img.info = {"icc_profile": icc} if icc else {}
        _forget_exif(img)
    return DecodedImage(image=img, info=info, drafted=drafted)


def normalise_mode(
    img: Image.Image, icc_profile: bytes | None = None
) -> tuple[Image.Image, bytes | None]:
    """Bring any Pillow mode to "L", "RGB" or "RGBA", returning the ICC profile that still applies.

    Why each rule:
    - palette/transparency-key images become RGBA so transparency survives resampling (resizing
      a palette image would use nearest-neighbour); without transparency they become RGB;
    - CMYK is converted through its embedded ICC profile to sRGB when LittleCMS is available
      (naive CMYK->RGB is visibly off), else with Pillow's formula; Adobe's inverted CMYK JPEGs
      are already un-inverted by Pillow's JPEG reader;
    - 16/32-bit grayscale is scaled (not clipped) to 8 bits, since clipping turns most
      16-bit images white;
    - an alpha channel that is fully opaque everywhere is dropped: it carries nothing and
      would force PNG instead of JPEG;
    - grayscale stays "L", which encodes to a third of the bytes of RGB.
    """
    try:
        return _normalise_mode(img, icc_profile)
    except ImageError:
        raise
    except (ValueError, OSError) as exc:  # a mode this Pillow build cannot convert
        raise ImageError(
            f"cannot convert image mode {img.mode}: {describe_exception(exc)}"
        ) from None


def _normalise_mode(
    img: Image.Image, icc_profile: bytes | None
) -> tuple[Image.Image, bytes | None]:
    mode = img.mode
    has_key = "transparency" in img.info
    if mode == "1":
        img, mode = img.convert("L"), "L"
    elif mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        img, mode = _to_8bit_gray(img), "L"
        icc_profile = None
    elif mode in ("P", "PA"):
        target = "RGBA" if mode == "PA" or has_key or _palette_has_alpha(img) else "RGB"
        img, mode = img.convert(target), target
        has_key = False
    elif mode == "CMYK":
        img, icc_profile = _cmyk_to_rgb(img, icc_profile)
        mode = "RGB"
    elif mode == "La":
        img, mode = img.convert("LA"), "LA"
    elif mode == "RGBa":
        img, mode = img.convert("RGBA"), "RGBA"
    elif mode not in ("L", "LA", "RGB", "RGBA"):  # YCbCr, LAB, HSV, RGBX, ...
        img, mode = img.convert("RGB"), "RGB"
    if has_key and mode in ("L", "RGB"):
        img = img.convert("RGBA")
        mode = "RGBA"
    if mode in ("LA", "RGBA"):
        alpha_min = img.getchannel("A").getextrema()[0]
        assert isinstance(alpha_min, (int, float))
        if alpha_min >= 255:
            img = img.convert("L" if mode == "LA" else "RGB")
        elif mode == "LA":
            img = img.convert("RGBA")
    return img, icc_profile


def sniff_format(data: bytes) -> str | None:
    """Name the format of a payload we cannot open, for a useful error message (no decoding)."""
    head = bytes(data[:32])
    if head[4:8] == b"ftyp":
        return _FTYP_BRANDS.get(head[8:12], "ISO media (ftyp)")
    for offset, magic, name in _SNIFF:
        if head[offset : offset + len(magic)] == magic:
            return name
    return None


# ----------------------------------------------------------------------------- internals


def _check_payload(data: bytes, limits: ImageLimits) -> None:
    size = len(data)
    if size == 0:
        raise ImageError("empty image payload")
    if size > limits.max_payload_bytes:
        raise ImageError(
            f"image payload is {size} bytes, over the limit of {limits.max_payload_bytes} bytes"
        )


def _check_dimensions(width: int, height: int, limits: ImageLimits) -> None:
    if width < 1 or height < 1:
        raise ImageError(f"image declares an empty size {width}x{height}")
    if max(width, height) > limits.max_side:
        raise ImageError(
            f"image side {max(width, height)} px exceeds the limit of {limits.max_side} px"
        )
    if width * height > limits.max_pixels:
        raise ImageError(
            f"image declares {width}x{height} = {width * height} pixels, over the limit of "
            f"{limits.max_pixels} (decompression-bomb guard; not decoded)"
        )


def _info_from_open(img: Image.Image, byte_size: int, limits: ImageLimits) -> ImageInfo:
    fmt = "JPEG" if img.format == "MPO" else (img.format or "")
    if fmt not in MEDIA_TYPES:
        raise ImageError(f"unsupported image format {fmt or 'unknown'}")
    width, height = img.size
    _check_dimensions(width, height, limits)
    orientation = _read_orientation(img)
    # MPO (camera multi-picture JPEG) is a still image whose extra pictures are previews/depth.
    animated = fmt != "JPEG" and bool(getattr(img, "is_animated", False))
    has_alpha = img.mode in _ALPHA_MODES or "transparency" in img.info
    upright = _upright_size((width, height), orientation)
    return ImageInfo(
        format=fmt,
        media_type=MEDIA_TYPES[fmt],
        width=upright[0],
        height=upright[1],
        mode=img.mode,
        animated=animated,
        has_alpha=has_alpha,
        byte_size=byte_size,
        orientation=orientation,
    )


def _upright_size(stored: tuple[int, int], orientation: int) -> tuple[int, int]:
    if orientation in _SWAPPING_ORIENTATIONS:
        return (stored[1], stored[0])
    return stored


def _read_orientation(img: Image.Image) -> int:
    """EXIF orientation (1..8) from the metadata parsed so far, as ``exif_transpose`` reads it.

    The lookup runs on a 1x1 stand-in that shares only ``info``: Pillow's generic getexif()
    then reads EXIF (or PNG's "Raw profile type exif" text, or an XMP tiff:Orientation) exactly
    as it would for the real image, but PNG's override cannot trigger a full decode to look for
    a late eXIf chunk, and the real image never caches the original EXIF (which holds GPS and
    camera data we must not pass on). A malformed EXIF block means "as stored", like viewers.
    """
    stand_in = Image.new("1", (1, 1))
    stand_in.info = img.info
    try:
        value = stand_in.getexif().get(_EXIF_ORIENTATION_TAG, 1)
    except Exception:  # noqa: BLE001 - any EXIF parsing failure means "no orientation"
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _forget_exif(img: Image.Image) -> None:
    """Empty the EXIF that ``getexif()`` may have cached on the parser object.

    When nothing needed converting, the decoded image is still the object Pillow parsed, and
    Pillow's JPEG reader fills its EXIF cache while opening (to look for a DPI), so resetting
    ``info`` alone would leave GPS and camera tags reachable. Clearing the cached mapping is
    public API and free; a defensive copy would cost about as much as the decode itself.
    """
    try:
        img.getexif().clear()
    except Exception:  # noqa: BLE001 - unparsable EXIF: nothing usable to leak
        pass


def _draft(img: Image.Image, min_size: tuple[int, int], orientation: int) -> bool:
    """Ask the JPEG decoder for a DCT-scaled image no smaller than ``min_size`` (upright)."""
    want_w, want_h = int(min_size[0]), int(min_size[1])
    if orientation in _SWAPPING_ORIENTATIONS:  # draft works on the stored (unrotated) image
        want_w, want_h = want_h, want_w
    if want_w < 1 or want_h < 1:
        return False
    before = img.size
    if want_w * 2 > before[0] or want_h * 2 > before[1]:
        return False  # no power-of-two reduction fits
    img.draft(img.mode, (want_w, want_h))
    return img.size != before


def _palette_has_alpha(img: Image.Image) -> bool:
    palette = img.palette
    return palette is not None and palette.mode == "RGBA"


def _to_8bit_gray(img: Image.Image) -> Image.Image:
    """Scale 16-bit (or 32-bit int / float) grayscale to 8 bits.

    16-bit modes map 0..65535 onto 0..255 (divide by 257, exact for 0 and 65535). Mode "I" is
    what older Pillow versions give for 16-bit PNGs: values within 0..65535 are treated as
    16-bit unless they all fit in 8 bits; any other range (and float images) is stretched
    min..max, which is the only scaling that cannot clip.
    """
    arr = np.asarray(img)
    if img.mode.startswith("I;16"):
        return Image.fromarray(((arr.astype(np.uint32) + 128) // 257).astype(np.uint8))
    lo, hi = float(arr.min()), float(arr.max())
    if img.mode == "I" and lo >= 0 and hi <= 65535:
        if hi <= 255:
            return Image.fromarray(arr.astype(np.uint8))
        return Image.fromarray(((arr.astype(np.uint32) + 128) // 257).astype(np.uint8))
    if hi <= lo or not np.isfinite(hi - lo):
        return Image.new("L", img.size, 0)
    stretched = (arr.astype(np.float64) - lo) * (255.0 / (hi - lo))
    return Image.fromarray(np.clip(np.rint(stretched), 0, 255).astype(np.uint8))


def _cmyk_to_rgb(img: Image.Image, icc_profile: bytes | None) -> tuple[Image.Image, None]:
    """CMYK -> sRGB through the embedded profile when possible, else Pillow's formula.

    The result is sRGB either way, so the CMYK profile is dropped. Only a CMYK image gets here;
    anything else is refused before a CMYK transform could touch its pixels.
    """
    if img.mode != "CMYK":
        raise ImageError(f"a CMYK conversion was asked for an image of mode {img.mode}")
    if icc_profile:
        try:
            return icc_to_srgb(img, icc_profile), None
        except Exception:  # noqa: BLE001 - no LittleCMS or a broken/mismatched profile: formula
            pass
    return img.convert("RGB"), None


_PROFILE_SPACES: Final[dict[str, str]] = {"CMYK": "CMYK", "RGB": "RGB", "L": "GRAY"}
"""Image mode -> the ICC colour space (header field, blanks stripped) a profile for it names."""


def icc_to_srgb(img: Image.Image, icc_profile: bytes) -> Image.Image:
    """Convert through the image's embedded ICC profile to sRGB ("RGB" mode).

    Why so strict: the profile comes from the client, and a LittleCMS transform applied to
    pixels of another layout than it was built for reads and writes out of bounds (the bug
    behind CVE-2026-59205). So the transform is built from ``img.mode`` itself, the profile must
    describe that colour space, and :func:`apply_transform` checks the mode again when applying.
    Raises ImageError on any mismatch; ImageCms errors (a broken profile) propagate.
    """
    from PIL import ImageCms

    space = _PROFILE_SPACES.get(img.mode)
    source = ImageCms.ImageCmsProfile(BytesIO(icc_profile))
    declared = str(source.profile.xcolor_space).strip()
    if space is None or declared != space:
        raise ImageError(f"embedded ICC profile is for {declared or 'unknown'}, image is {img.mode}")
    transform = ImageCms.buildTransform(
        source,
        ImageCms.createProfile("sRGB"),
        img.mode,
        "RGB",
        renderingIntent=ImageCms.Intent.PERCEPTUAL,
    )
    return apply_transform(transform, img)


def apply_transform(transform: ImageCmsTransformLike, img: Image.Image) -> Image.Image:
    """Apply a colour transform only to an image of the mode it was built for.

    Pillow checks this itself only from 12.3.0 on (and in our backported pillow-simd); checking
    here as well keeps an unpatched build from running a transform over the wrong buffer.
    """
    if img.mode != transform.input_mode:
        raise ImageError(
            f"colour transform for {transform.input_mode} images refused for a {img.mode} image"
        )
    out = transform.apply(img)
    if out.mode != transform.output_mode:
        raise ImageError(f"colour transform returned mode {out.mode}, not {transform.output_mode}")
    return out


def _open_formats() -> tuple[str, ...]:
    """The supported formats this Pillow build can open.

    A build without WebP has no "WEBP" opener, and naming a missing format in ``Image.open``
    raises KeyError for every later format in the list. ``Image.init()`` only registers Pillow's
    plugins (what Pillow itself does on first open) and returns at once after the first call.
    """
    Image.init()
    return tuple(name for name in SUPPORTED_FORMATS if name in Image.OPEN)


_WARNINGS_LOCK: Final = threading.RLock()
"""Serialises our ``warnings.catch_warnings`` windows.

catch_warnings swaps the interpreter-wide filter list on enter and restores the saved one on
exit; two threads interleaving enter/enter/exit/exit leave one thread's temporary filters
installed for good (observed: 8 threads decoding concurrently left "ignore all warnings" in the
process). The windows are only header parses (tens of microseconds), so the lock costs nothing
measurable while pixel decoding, which releases the GIL, stays parallel. This lock is the one
piece of module state here, and it exists only because the warnings filter is itself global."""


@contextmanager
def _bomb_guard() -> Iterator[None]:
    """Turn Pillow's DecompressionBombWarning into an exception and silence its other warnings.

    Pillow warns above ``Image.MAX_IMAGE_PIXELS`` (about 89 MP by default) and raises
    DecompressionBombError at twice that, while parsing headers (``Image.open``, GIF frame
    headers); :func:`_pillow_guard` turns both into ImageError, so neither Pillow's limit nor
    ours can be bypassed (the effective limit is the smaller of the two). Other warnings raised
    there (corrupt EXIF, malformed MPO) concern inputs we handle or reject, so they are silenced
    instead of reaching the application's logs.
    """
    with _WARNINGS_LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        yield


@contextmanager
def _pillow_guard(action: str, data: bytes) -> Iterator[None]:
    """Turn every failure inside Pillow into an :class:`ImageError` with a log-safe message."""
    try:
        yield
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError(
            f"{action}: image too large, rejected by the decompression-bomb guard "
            f"({describe_exception(exc)})"
        ) from None
    except UnidentifiedImageError:
        raise ImageError(_unidentified_message(data)) from None
    except Exception as exc:  # noqa: BLE001 - every decoder failure is an image error
        raise ImageError(f"{action} failed: {describe_exception(exc)}") from None


def _unidentified_message(data: bytes) -> str:
    supported = ", ".join(SUPPORTED_FORMATS)
    name = sniff_format(data)
    if name is not None:
        return f"unsupported image format {name} (supported: {supported})"
    return f"unrecognised image data (supported: {supported})"
