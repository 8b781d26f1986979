"""probe_image / decode_image on real encoded images, hostile inputs and limits."""

from __future__ import annotations

import time
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFile

from headroom_edge.config import ImageLimits
from headroom_edge.imaging import (
    ImageError,
    decode_image,
    normalise_mode,
    probe_image,
    sniff_format,
)
from tests.imaging import images
from tests.imaging.images import BLUE, RED, close, encode, pixel

# ----------------------------------------------------------------------------- probe basics


@pytest.mark.parametrize(
    ("fmt", "media_type", "mode"),
    [
        ("JPEG", "image/jpeg", "RGB"),
        ("PNG", "image/png", "RGB"),
        ("WEBP", "image/webp", "RGB"),
        ("GIF", "image/gif", "P"),
    ],
)
def test_probe_reads_header_facts(
    fmt: str, media_type: str, mode: str, limits: ImageLimits
) -> None:
    data = encode(images.synthetic_photo(320, 200), fmt)
    info = probe_image(data, limits)
    assert info.format == fmt
    assert info.media_type == media_type
    assert (info.width, info.height) == (320, 200)
    assert info.size == (320, 200) and info.pixels == 64_000
    assert info.mode == mode
    assert info.animated is False
    assert info.has_alpha is False
    assert info.byte_size == len(data)
    assert info.orientation == 1


def test_probe_grayscale_and_cmyk_modes(limits: ImageLimits) -> None:
    gray = encode(images.gradient(64, 64), "JPEG")
    cmyk = encode(Image.new("CMYK", (16, 8), (0, 255, 255, 0)), "JPEG")
    assert probe_image(gray, limits).mode == "L"
    assert probe_image(cmyk, limits).mode == "CMYK"


def test_probe_accepts_bytes_like(limits: ImageLimits, photo_jpeg: bytes) -> None:
    assert probe_image(bytearray(photo_jpeg), limits).format == "JPEG"  # type: ignore[arg-type]
    assert probe_image(memoryview(photo_jpeg), limits).format == "JPEG"  # type: ignore[arg-type]


def test_probe_is_fast(limits: ImageLimits) -> None:
    """Header only: a 1024x1024 JPEG probes in well under a millisecond (target < 0.3 ms)."""
    data = encode(images.synthetic_photo(1024, 1024), "JPEG", quality=85)
    probe_image(data, limits)
    runs = 200
    start = time.perf_counter()
    for _ in range(runs):
        probe_image(data, limits)
    per_call = (time.perf_counter() - start) / runs
    assert per_call < 0.002  # generous bound for a shared CI CPU; typically ~0.03 ms


# ----------------------------------------------------------------------------- orientation


@pytest.mark.parametrize(
    ("orientation", "top_left", "bottom_right", "size"),
    [
        (1, RED, BLUE, (64, 32)),
        (3, BLUE, RED, (64, 32)),  # 180 degrees: red half ends up on the right
        (6, RED, BLUE, (32, 64)),  # 90 clockwise: stored left (red) becomes the top
        (8, BLUE, RED, (32, 64)),  # 90 counter-clockwise: stored left becomes the bottom
    ],
)
@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_exif_orientation_is_applied(
    fmt: str,
    orientation: int,
    top_left: tuple[int, int, int],
    bottom_right: tuple[int, int, int],
    size: tuple[int, int],
    limits: ImageLimits,
) -> None:
    data = images.with_orientation(images.left_red_right_blue(64, 32), orientation, fmt)
    info = probe_image(data, limits)
    assert info.orientation == orientation
    assert info.size == size
    assert info.stored_size == (64, 32)

    decoded = decode_image(data, limits)
    img = decoded.image
    assert img.size == size
    assert decoded.info.size == size
    assert close(pixel(img, (2, 2)), top_left, tol=40)
    assert close(pixel(img, (img.width - 3, img.height - 3)), bottom_right, tol=40)
    assert "exif" not in img.info  # orientation applied once; metadata never carried on


def test_orientation_5_and_7_swap_size(limits: ImageLimits) -> None:
    for orientation in (5, 7):
        data = images.with_orientation(images.left_red_right_blue(40, 10), orientation)
        assert probe_image(data, limits).size == (10, 40)
        assert decode_image(data, limits).image.size == (10, 40)


def test_png_exif_after_pixel_data_is_found_at_decode(limits: ImageLimits) -> None:
    """A PNG may put eXIf after IDAT; the probe cannot see it without decoding, decode can."""
    data = images.with_orientation(images.left_red_right_blue(64, 32), 6, "PNG")
    exif_at = data.index(b"eXIf") - 4
    chunk_len = int.from_bytes(data[exif_at : exif_at + 4], "big") + 12
    exif_chunk = data[exif_at : exif_at + chunk_len]
    without = data[:exif_at] + data[exif_at + chunk_len :]
    iend = without.rindex(b"IEND") - 4
    moved = without[:iend] + exif_chunk + without[iend:]
    assert moved.index(b"eXIf") > moved.index(b"IDAT")

    assert probe_image(moved, limits).size == (64, 32)  # header-only view
    decoded = decode_image(moved, limits)
    assert decoded.image.size == (32, 64)
    assert decoded.info.size == (32, 64) and decoded.info.orientation == 6
    assert close(pixel(decoded.image, (2, 2)), RED)


def test_decoded_image_carries_no_metadata(limits: ImageLimits) -> None:
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x0112] = 1
    exif.get_ifd(0x8825)[1] = "N"  # GPSLatitudeRef
    data = encode(images.synthetic_photo(64, 48), "JPEG", exif=exif.tobytes(), comment=b"note")
    assert images.open_bytes(data).getexif().get_ifd(0x8825)
    for min_size in (None, (32, 24)):
        decoded = decode_image(data, limits, min_size=min_size)
        assert decoded.image.info == {}
        assert dict(decoded.image.getexif()) == {}
        assert not decoded.image.getexif().get_ifd(0x8825)
    xmp = b'<x:xmpmeta><rdf:Description tiff:Orientation="6"/></x:xmpmeta>'
    rotated = decode_image(encode(images.left_red_right_blue(), "JPEG", xmp=xmp), limits)
    assert rotated.info.orientation == 6 and rotated.image.size == (32, 64)


@pytest.mark.parametrize("mode", ["YCbCr", "HSV", "RGBX", "I;16B", "La", "RGBa"])
def test_other_modes_normalise(mode: str) -> None:
    img = Image.new(mode, (4, 4))
    out, _ = normalise_mode(img)
    assert out.mode in ("L", "RGB", "RGBA")


def test_broken_exif_means_no_rotation(limits: ImageLimits) -> None:
    img = images.left_red_right_blue(64, 32)
    data = encode(img, "JPEG", exif=b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\xff\xff garbage")
    assert probe_image(data, limits).size == (64, 32)
    assert decode_image(data, limits).image.size == (64, 32)


# ----------------------------------------------------------------------------- modes


def test_rgba_with_real_transparency_stays_rgba(limits: ImageLimits) -> None:
    img = Image.new("RGBA", (20, 10), (255, 0, 0, 255))
    img.paste((0, 0, 0, 0), (0, 0, 10, 10))
    data = encode(img, "PNG")
    assert probe_image(data, limits).has_alpha is True
    out = decode_image(data, limits).image
    assert out.mode == "RGBA"
    assert pixel(out, (2, 2))[3] == 0 and pixel(out, (15, 5)) == (255, 0, 0, 255)


def test_opaque_rgba_is_dropped_to_rgb(limits: ImageLimits) -> None:
    data = encode(Image.new("RGBA", (20, 10), (10, 200, 30, 255)), "PNG")
    assert probe_image(data, limits).has_alpha is True  # the file can carry alpha...
    out = decode_image(data, limits).image
    assert out.mode == "RGB"  # ...but no pixel uses it
    assert pixel(out, (3, 3)) == (10, 200, 30)


def test_la_modes(limits: ImageLimits) -> None:
    opaque = Image.new("LA", (8, 8), (90, 255))
    seethrough = Image.new("LA", (8, 8), (90, 255))
    seethrough.putpixel((0, 0), (90, 10))
    assert decode_image(encode(opaque, "PNG"), limits).image.mode == "L"
    out = decode_image(encode(seethrough, "PNG"), limits).image
    assert out.mode == "RGBA"
    assert pixel(out, (0, 0)) == (90, 90, 90, 10) and pixel(out, (5, 5)) == (90, 90, 90, 255)


def test_palette_png_with_transparency_becomes_rgba(limits: ImageLimits) -> None:
    img = Image.new("P", (16, 16), 1)
    img.putpalette([0, 0, 0, 255, 0, 0, 0, 0, 255])
    img.paste(2, (0, 0, 8, 16))
    data = encode(img, "PNG", transparency=2)  # index 2 (blue) is transparent
    info = probe_image(data, limits)
    assert info.mode == "P" and info.has_alpha is True
    out = decode_image(data, limits).image
    assert out.mode == "RGBA"
    assert pixel(out, (2, 2))[3] == 0
    assert pixel(out, (12, 2)) == (255, 0, 0, 255)


def test_palette_png_without_transparency_becomes_rgb(limits: ImageLimits) -> None:
    img = Image.new("P", (16, 16), 1)
    img.putpalette([0, 0, 0, 255, 0, 0, 0, 0, 255])
    img.paste(2, (0, 0, 8, 16))
    out = decode_image(encode(img, "PNG"), limits).image
    assert out.mode == "RGB"
    assert pixel(out, (2, 2)) == BLUE and pixel(out, (12, 2)) == RED


def test_rgb_png_with_transparency_key(limits: ImageLimits) -> None:
    img = Image.new("RGB", (10, 10), RED)
    img.paste(BLUE, (0, 0, 5, 10))
    out = decode_image(encode(img, "PNG", transparency=BLUE), limits).image
    assert out.mode == "RGBA"
    assert pixel(out, (1, 1))[3] == 0 and pixel(out, (8, 1)) == (255, 0, 0, 255)


def test_unused_transparency_key_is_dropped(limits: ImageLimits) -> None:
    img = Image.new("RGB", (10, 10), RED)
    out = decode_image(encode(img, "PNG", transparency=BLUE), limits).image
    assert out.mode == "RGB"
    assert "transparency" not in out.info


def test_grayscale_stays_l(limits: ImageLimits) -> None:
    for fmt in ("JPEG", "PNG"):
        assert decode_image(encode(images.gradient(32, 32), fmt), limits).image.mode == "L"
    bilevel = Image.new("1", (9, 9), 1)
    assert decode_image(encode(bilevel, "PNG"), limits).image.mode == "L"


@pytest.mark.parametrize(
    ("cmyk", "rgb"),
    [
        ((0, 255, 255, 0), (255, 0, 0)),  # magenta + yellow = red
        ((255, 0, 0, 0), (0, 255, 255)),  # cyan
        ((0, 0, 0, 255), (0, 0, 0)),  # black
        ((0, 0, 0, 0), (255, 255, 255)),  # paper white
    ],
)
def test_cmyk_jpeg_decodes_to_correct_rgb(
    cmyk: tuple[int, int, int, int], rgb: tuple[int, int, int], limits: ImageLimits
) -> None:
    """Pillow writes CMYK JPEGs Adobe-style (inverted); decoding must undo that."""
    data = encode(Image.new("CMYK", (16, 16), cmyk), "JPEG", quality=95)
    assert b"Adobe" in data
    out = decode_image(data, limits).image
    assert out.mode == "RGB"
    assert close(pixel(out, (8, 8)), rgb, tol=8)


def test_cmyk_with_broken_icc_profile_falls_back(limits: ImageLimits) -> None:
    data = encode(Image.new("CMYK", (16, 16), (0, 255, 255, 0)), "JPEG", icc_profile=b"x" * 200)
    out = decode_image(data, limits)
    assert out.image.mode == "RGB"
    assert close(pixel(out.image, (8, 8)), RED, tol=8)
    assert "icc_profile" not in out.image.info  # a CMYK profile does not describe RGB pixels


def test_rgb_icc_profile_is_kept(limits: ImageLimits) -> None:
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = encode(images.synthetic_photo(32, 32), "JPEG", icc_profile=icc)
    assert decode_image(data, limits).image.info.get("icc_profile") == icc


def test_16bit_png_is_scaled_not_clipped(limits: ImageLimits) -> None:
    ramp = np.tile(np.linspace(0, 65535, 256).astype(np.uint16), (8, 1))
    img = Image.fromarray(ramp)
    assert img.mode.startswith("I;16")
    data = encode(img, "PNG")
    assert probe_image(data, limits).mode.startswith("I")
    out = decode_image(data, limits).image
    assert out.mode == "L"
    row = np.asarray(out)[0].astype(int)
    assert row[0] == 0 and row[-1] == 255
    assert abs(row[128] - 128) <= 1
    assert np.all(np.diff(row) >= 0)
    assert len(set(row.tolist())) > 200  # the full range is used, not a clipped sliver


@pytest.mark.parametrize(
    ("mode", "values", "expected"),
    [
        ("I", [0, 1000, 65535], [0, 4, 255]),  # old Pillow's 16-bit PNG mode
        ("I", [0, 100, 255], [0, 100, 255]),  # already 8-bit range
        ("I", [-500, 0, 500], [0, 128, 255]),  # out of any standard range: stretched
        ("F", [0.0, 0.5, 1.0], [0, 128, 255]),
    ],
)
def test_wide_grayscale_modes(mode: str, values: list[float], expected: list[int]) -> None:
    dtype = np.float32 if mode == "F" else np.int32
    img = Image.fromarray(np.array([values], dtype=dtype))
    assert img.mode == mode
    out, _ = normalise_mode(img)
    assert out.mode == "L"
    assert np.asarray(out)[0].tolist() == expected


# ----------------------------------------------------------------------------- animation


@pytest.mark.parametrize("fmt", ["GIF", "PNG", "WEBP"])
def test_animated_first_frame(fmt: str, limits: ImageLimits) -> None:
    data = images.animated(fmt)
    info = probe_image(data, limits)
    assert info.animated is True
    decoded = decode_image(data, limits)
    assert decoded.animated is True
    assert decoded.image.size == (48, 32)
    assert decoded.image.mode == "RGB"
    assert close(pixel(decoded.image, (10, 10)), RED, tol=4)


def test_single_frame_gif(limits: ImageLimits) -> None:
    data = encode(images.left_red_right_blue(), "GIF")
    assert probe_image(data, limits).animated is False
    out = decode_image(data, limits).image
    assert out.mode == "RGB" and pixel(out, (1, 1)) == RED


def test_gif_with_transparency(limits: ImageLimits) -> None:
    img = Image.new("P", (10, 10), 0)
    img.putpalette([255, 0, 0, 0, 255, 0])
    img.paste(1, (0, 0, 5, 10))
    data = encode(img, "GIF", transparency=1)
    assert probe_image(data, limits).has_alpha is True
    out = decode_image(data, limits).image
    assert out.mode == "RGBA" and pixel(out, (1, 1))[3] == 0 and pixel(out, (8, 1))[3] == 255


def test_multi_picture_jpeg_is_a_still_jpeg(limits: ImageLimits) -> None:
    first = images.left_red_right_blue()
    data = encode(first, "MPO", save_all=True, append_images=[Image.new("RGB", (64, 32))])
    info = probe_image(data, limits)
    assert info.format == "JPEG" and info.media_type == "image/jpeg"
    assert info.animated is False
    assert close(pixel(decode_image(data, limits).image, (2, 2)), RED, tol=40)


def test_webp_with_alpha(limits: ImageLimits) -> None:
    img = Image.new("RGBA", (16, 16), (0, 0, 255, 255))
    img.paste((0, 0, 0, 0), (0, 0, 8, 16))
    data = encode(img, "WEBP", lossless=True)
    info = probe_image(data, limits)
    assert info.has_alpha is True
    out = decode_image(data, limits).image
    assert out.mode == "RGBA" and pixel(out, (2, 2))[3] == 0


# ----------------------------------------------------------------------------- sizes and draft


def test_tiny_and_extreme_aspect(limits: ImageLimits) -> None:
    one = encode(Image.new("RGB", (1, 1), RED), "PNG")
    assert probe_image(one, limits).size == (1, 1)
    assert decode_image(one, limits).image.size == (1, 1)
    strip = encode(Image.new("L", (20000, 20), 128), "PNG")
    assert probe_image(strip, limits).size == (20000, 20)
    assert decode_image(strip, limits).image.size == (20000, 20)


def test_draft_decodes_big_jpeg_smaller(limits: ImageLimits) -> None:
    data = images.photo_jpeg(4000, 3000)
    decoded = decode_image(data, limits, min_size=(1000, 750))
    assert decoded.drafted is True
    assert decoded.image.size == (1000, 750)  # 1/4 scale is exactly enough
    assert decoded.info.size == (4000, 3000)  # info describes the original

    finer = decode_image(data, limits, min_size=(1001, 750))
    assert finer.drafted is True
    assert finer.image.size == (2000, 1500)  # 1/4 would be too small: 1/2


def test_draft_respects_orientation(limits: ImageLimits) -> None:
    """Stored 3000x4000 shown as 4000x3000: min_size is upright, draft works on stored pixels."""
    data = images.photo_jpeg(3000, 4000, orientation=6)
    decoded = decode_image(data, limits, min_size=(1000, 750))
    assert decoded.info.size == (4000, 3000)
    assert decoded.drafted is True
    assert decoded.image.size == (1000, 750)


@pytest.mark.parametrize("min_size", [(3000, 2000), (4000, 3000), (0, 0), (5000, 5000)])
def test_draft_never_goes_below_min_size(min_size: tuple[int, int], limits: ImageLimits) -> None:
    data = images.photo_jpeg(4000, 3000)
    decoded = decode_image(data, limits, min_size=min_size)
    assert decoded.drafted is False
    assert decoded.image.size == (4000, 3000)


def test_draft_is_jpeg_only(limits: ImageLimits) -> None:
    data = encode(Image.new("RGB", (800, 600), RED), "PNG")
    decoded = decode_image(data, limits, min_size=(100, 75))
    assert decoded.drafted is False and decoded.image.size == (800, 600)


def test_draft_grayscale_and_cmyk(limits: ImageLimits) -> None:
    gray = decode_image(encode(images.gradient(800, 800), "JPEG"), limits, min_size=(200, 200))
    assert gray.drafted and gray.image.size == (200, 200) and gray.image.mode == "L"
    cmyk_data = encode(Image.new("CMYK", (800, 800), (0, 255, 255, 0)), "JPEG")
    cmyk = decode_image(cmyk_data, limits, min_size=(200, 200))
    assert cmyk.drafted and cmyk.image.size == (200, 200)
    assert close(pixel(cmyk.image, (100, 100)), RED, tol=8)


# ----------------------------------------------------------------------------- limits and bombs


def test_bomb_header_is_rejected_before_decoding(limits: ImageLimits) -> None:
    bomb = images.png_with_declared_size(100_000, 100_000)
    assert len(bomb) < 200
    for call in (probe_image, decode_image):
        start = time.perf_counter()
        with pytest.raises(ImageError, match="pixels|decompression"):
            call(bomb, limits)
        assert time.perf_counter() - start < 0.5


def test_our_pixel_limit_applies_below_pillows(limits: ImageLimits) -> None:
    small = ImageLimits(max_pixels=10_000)
    data = encode(Image.new("RGB", (101, 100), RED), "PNG")
    with pytest.raises(ImageError, match="decompression-bomb guard"):
        probe_image(data, small)
    with pytest.raises(ImageError):
        decode_image(data, small)
    assert probe_image(data, limits).size == (101, 100)


@pytest.mark.parametrize(("width", "height"), [(10_000, 10_000), (20_000, 20_000)])
def test_pillow_bomb_guard_cannot_be_bypassed(width: int, height: int) -> None:
    """Even with our limits opened wide, Pillow's warning (>89 MP) and error (>179 MP) reject."""
    wide = ImageLimits(max_pixels=10**12, max_side=10**6)
    bomb = images.png_with_declared_size(width, height)
    before = list(warnings.filters)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with pytest.raises(ImageError, match="decompression-bomb"):
            probe_image(bomb, wide)
        with pytest.raises(ImageError, match="decompression-bomb"):
            decode_image(bomb, wide)
    assert not [w for w in seen if issubclass(w.category, Image.DecompressionBombWarning)]
    assert list(warnings.filters) == before


def test_no_global_pillow_state_changes(limits: ImageLimits, photo_jpeg: bytes) -> None:
    max_pixels, truncated = Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES
    filters = list(warnings.filters)
    probe_image(photo_jpeg, limits)
    decode_image(photo_jpeg, limits, min_size=(100, 100))
    with pytest.raises(ImageError):
        decode_image(photo_jpeg[:-500], limits)
    assert Image.MAX_IMAGE_PIXELS == max_pixels
    assert ImageFile.LOAD_TRUNCATED_IMAGES == truncated
    assert list(warnings.filters) == filters


def test_side_and_payload_limits() -> None:
    data = encode(images.synthetic_photo(2000, 10), "PNG")
    with pytest.raises(ImageError, match="side 2000"):
        probe_image(data, ImageLimits(max_side=1999))
    with pytest.raises(ImageError, match="over the limit of 100 bytes"):
        probe_image(data, ImageLimits(max_payload_bytes=100))
    with pytest.raises(ImageError, match="over the limit"):
        decode_image(data, ImageLimits(max_payload_bytes=100))


# ----------------------------------------------------------------------------- broken input


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF"])
def test_truncated_images_raise(fmt: str, limits: ImageLimits) -> None:
    data = encode(images.synthetic_photo(256, 256), fmt)
    for cut in (len(data) // 2, len(data) * 9 // 10):
        with pytest.raises(ImageError):
            decode_image(data[:cut], limits)


def test_corrupt_png_header_raises_without_payload_bytes(limits: ImageLimits) -> None:
    data = bytearray(encode(images.synthetic_photo(64, 64), "PNG"))
    data[20] ^= 0xFF  # inside IHDR: its CRC no longer matches
    for call in (probe_image, decode_image):
        with pytest.raises(ImageError) as caught:
            call(bytes(data), limits)
        message = str(caught.value)
        assert "b'IHDR'" not in message and "\\x" not in message
        assert caught.value.__cause__ is None  # the original exception is not chained


def test_describe_exception_redacts_and_caps() -> None:
    from headroom_edge.imaging.errors import describe_exception

    text = describe_exception(SyntaxError("broken PNG file (chunk b'SECRET\\x00')"))
    assert "SECRET" not in text and text.startswith("SyntaxError: broken PNG file")
    assert len(describe_exception(OSError("x" * 1000))) < 200
    assert describe_exception(EOFError()) == "EOFError"


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b"", "empty"),
        (b"hello world, definitely not an image", "unrecognised"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "HEIC"),
        (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1", "AVIF"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3", "PDF"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "SVG"),
    ],
)
def test_garbage_and_unsupported_payloads(data: bytes, needle: str, limits: ImageLimits) -> None:
    for call in (probe_image, decode_image):
        with pytest.raises(ImageError, match=needle):
            call(data, limits)


@pytest.mark.parametrize(("fmt", "name"), [("BMP", "BMP"), ("TIFF", "TIFF")])
def test_formats_providers_reject_are_not_opened(fmt: str, name: str, limits: ImageLimits) -> None:
    data = encode(Image.new("RGB", (8, 8), RED), fmt)
    assert sniff_format(data) == name
    with pytest.raises(ImageError, match=f"unsupported image format {name}"):
        probe_image(data, limits)


def test_image_error_is_a_value_error() -> None:
    assert issubclass(ImageError, ValueError)


_SEEDS = {
    fmt: encode(images.synthetic_photo(48, 40), fmt) for fmt in ("JPEG", "PNG", "GIF", "WEBP")
}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    fmt=st.sampled_from(sorted(_SEEDS)),
    edits=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=6),
    cut=st.one_of(st.none(), st.integers(0, 10_000)),
)
def test_mutated_images_only_ever_raise_image_error(
    fmt: str, edits: list[tuple[int, int]], cut: int | None
) -> None:
    """Fuzz: flipped bytes and truncation either decode or raise ImageError, nothing else."""
    data = bytearray(_SEEDS[fmt])
    for position, value in edits:
        data[position % len(data)] = value
    if cut is not None:
        data = data[: cut % len(data)]
    limits = ImageLimits(max_pixels=4_000_000)
    for call in (probe_image, decode_image):
        try:
            result = call(bytes(data), limits)
        except ImageError:
            continue
        if call is decode_image:
            assert result.image.mode in ("L", "RGB", "RGBA")  # type: ignore[union-attr]


def test_decode_result_is_independent_of_input_buffer(limits: ImageLimits) -> None:
    buffer = bytearray(encode(Image.new("RGB", (8, 8), RED), "PNG"))
    decoded = decode_image(bytes(buffer), limits)
    buffer[:] = b"\x00" * len(buffer)
    assert pixel(decoded.image, (4, 4)) == RED
    assert isinstance(decoded.image.tobytes(), bytes)


def test_concurrent_decodes_leave_warning_filters_alone(limits: ImageLimits) -> None:
    """catch_warnings is process-wide: unserialised, interleaved threads leak our filters."""
    from concurrent.futures import ThreadPoolExecutor

    data = encode(images.synthetic_photo(64, 64), "PNG")
    before = list(warnings.filters)

    def work(_: int) -> None:
        for _ in range(100):
            probe_image(data, limits)
            decode_image(data, limits)

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(work, range(6)))
    assert list(warnings.filters) == before


# ----------------------------------------------------------------------------- ICC guards


def _cms_transform(profile: str, mode: str):  # noqa: ANN202 - ImageCms is imported lazily
    from PIL import ImageCms

    source = ImageCms.ImageCmsProfile(ImageCms.createProfile(profile))
    return ImageCms.ImageCmsTransform(source, ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")), mode, "RGB")


def test_cmyk_conversion_refuses_an_rgb_image() -> None:
    """Our own guard, whatever the Pillow build: a CMYK transform never runs on RGB pixels."""
    from headroom_edge.imaging.decode import _cmyk_to_rgb

    srgb = _cms_transform("sRGB", "RGB").output_profile.tobytes()
    with pytest.raises(ValueError, match="CMYK"):
        _cmyk_to_rgb(Image.new("RGB", (8, 8)), srgb)


@pytest.mark.parametrize(("profile", "built_for", "image_mode"), [("LAB", "LAB", "RGB"), ("sRGB", "RGBA", "L")])
def test_apply_transform_checks_the_mode_itself(profile: str, built_for: str, image_mode: str) -> None:
    from headroom_edge.imaging.decode import apply_transform

    with pytest.raises(ImageError, match="refused"):
        apply_transform(_cms_transform(profile, built_for), Image.new(image_mode, (8, 8)))
    converted = apply_transform(_cms_transform(profile, built_for), Image.new(built_for, (8, 8)))
    assert converted.mode == "RGB"


def test_icc_transform_is_built_from_the_image_mode_and_matching_profile() -> None:
    from headroom_edge.imaging.decode import icc_to_srgb

    srgb = _cms_transform("sRGB", "RGB").output_profile.tobytes()
    assert icc_to_srgb(Image.new("RGB", (4, 4), (10, 200, 30)), srgb).mode == "RGB"
    with pytest.raises(ImageError, match="profile is for RGB"):
        icc_to_srgb(Image.new("CMYK", (4, 4)), srgb)


def test_cmyk_jpeg_with_an_rgb_profile_uses_the_formula(limits: ImageLimits) -> None:
    """A client's CMYK JPEG carrying an sRGB profile: the profile does not describe the pixels,
    so no transform is built from it; the image still decodes to the right colour."""
    srgb = _cms_transform("sRGB", "RGB").output_profile.tobytes()
    data = encode(Image.new("CMYK", (16, 16), (0, 255, 255, 0)), "JPEG", icc_profile=srgb)
    out = decode_image(data, limits)
    assert out.image.mode == "RGB" and close(pixel(out.image, (8, 8)), RED, tol=8)
