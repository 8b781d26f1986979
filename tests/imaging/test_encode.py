"""encode_image: format choice per content, accepted-type fallbacks, and decodable output."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from headroom_edge.config import ImageLimits
from headroom_edge.imaging import (
    ENCODABLE,
    EncodedImage,
    ImageError,
    choose_media_type,
    decode_image,
    encode_image,
    normalise_accepted,
    probe_image,
)
from tests.imaging import images
from tests.imaging.images import RED, close, open_bytes, pixel

GEMINI = frozenset({"image/png", "image/jpeg", "image/webp", "image/heic", "image/heif"})
OPENAI = frozenset({"image/png", "image/jpeg", "image/webp", "image/gif"})
ANTHROPIC = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})


def transparent_logo() -> Image.Image:
    """A red disc-ish square on a fully transparent background, with soft alpha edges."""
    img = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    img.paste((255, 0, 0, 255), (16, 16, 48, 48))
    img.paste((255, 0, 0, 128), (12, 16, 16, 48))
    return img


def roundtrip(encoded: EncodedImage) -> Image.Image:
    """Decode what was encoded, through our own decoder, and check the declared facts."""
    info = probe_image(encoded.data, ImageLimits())
    assert info.media_type == encoded.media_type
    assert info.size == (encoded.width, encoded.height)
    decoded = decode_image(encoded.data, ImageLimits())
    assert decoded.image.size == (encoded.width, encoded.height)
    return decoded.image


# ----------------------------------------------------------------------------- content choice


@pytest.mark.parametrize("name", ["astronaut", "coffee", "chelsea"])
def test_photos_become_jpeg(name: str) -> None:
    photo = images.natural_photo(name)
    encoded = encode_image(photo)
    assert encoded.media_type == "image/jpeg"
    out = roundtrip(encoded)
    assert out.mode == "RGB"
    diff = np.abs(np.asarray(out, dtype=np.int16) - np.asarray(photo, dtype=np.int16))
    assert diff.mean() < 6  # quality 85 stays close to the original


def test_rendered_text_becomes_lossless_png(document: Image.Image) -> None:
    encoded = encode_image(document)
    assert encoded.media_type == "image/png"
    out = roundtrip(encoded)
    assert np.array_equal(np.asarray(out.convert("RGB")), np.asarray(document))


def test_screenshot_becomes_png(screenshot: Image.Image) -> None:
    encoded = encode_image(screenshot)
    assert encoded.media_type == "image/png"
    assert np.array_equal(np.asarray(roundtrip(encoded).convert("RGB")), np.asarray(screenshot))


def test_few_colour_graphic_uses_exact_palette(document: Image.Image) -> None:
    """<= 256 colours: written as a palette PNG, pixel-exact and much smaller than RGB PNG."""
    assert document.getcolors(256) is not None
    encoded = encode_image(document, content="graphic")
    raw = open_bytes(encoded.data)
    assert raw.mode == "P"
    rgb_png = images.encode(document, "PNG", compress_level=3)
    assert encoded.byte_size < len(rgb_png) / 2
    assert np.array_equal(np.asarray(raw.convert("RGB")), np.asarray(document))


def test_many_colour_graphic_stays_rgb_png(screenshot: Image.Image) -> None:
    img = screenshot.copy()
    img.paste(images.synthetic_photo(200, 150), (300, 300))  # a photo inside the UI
    encoded = encode_image(img, content="graphic")
    assert encoded.media_type == "image/png"
    assert open_bytes(encoded.data).mode == "RGB"
    assert np.array_equal(np.asarray(roundtrip(encoded)), np.asarray(img))


def test_content_can_be_forced(photo: Image.Image, document: Image.Image) -> None:
    assert encode_image(photo, content="graphic").media_type == "image/png"
    assert encode_image(document, content="photo").media_type == "image/jpeg"


def test_grayscale_stays_single_channel() -> None:
    gray_photo = images.natural_photo("astronaut").convert("L")
    as_jpeg = encode_image(gray_photo, content="photo")
    assert open_bytes(as_jpeg.data).mode == "L"
    as_png = encode_image(images.small_text(200, 100), content="graphic")
    assert as_png.media_type == "image/png" and open_bytes(as_png.data).mode == "L"


def test_quality_changes_jpeg_size(photo: Image.Image) -> None:
    low = encode_image(photo, content="photo", quality=40)
    high = encode_image(photo, content="photo", quality=92)
    assert low.byte_size < high.byte_size


def test_jpeg_photo_uses_420_and_graphic_fallback_uses_444(
    photo: Image.Image, document: Image.Image
) -> None:
    from PIL import JpegImagePlugin

    photo_jpeg = open_bytes(encode_image(photo, content="photo").data)
    assert JpegImagePlugin.get_sampling(photo_jpeg) == 2  # 4:2:0
    text_jpeg = open_bytes(encode_image(document, accepted=frozenset({"image/jpeg"})).data)
    assert JpegImagePlugin.get_sampling(text_jpeg) == 0  # 4:4:4 keeps coloured text edges


# ----------------------------------------------------------------------------- alpha


def test_alpha_becomes_png_and_survives() -> None:
    logo = transparent_logo()
    encoded = encode_image(logo)
    assert encoded.media_type == "image/png"
    out = roundtrip(encoded)
    assert out.mode == "RGBA"
    assert np.array_equal(np.asarray(out), np.asarray(logo))


def test_opaque_rgba_is_encoded_as_rgb(photo: Image.Image) -> None:
    encoded = encode_image(photo.convert("RGBA"))
    assert encoded.media_type == "image/jpeg"


def test_alpha_without_png_uses_webp() -> None:
    encoded = encode_image(transparent_logo(), accepted=frozenset({"image/webp", "image/jpeg"}))
    assert encoded.media_type == "image/webp"
    out = roundtrip(encoded)
    assert out.mode == "RGBA" and pixel(out, (2, 2))[3] == 0 and pixel(out, (30, 30))[3] == 255


def test_alpha_photo_with_webp_only_is_lossy_webp() -> None:
    img = images.natural_photo("coffee").convert("RGBA")
    img.putalpha(Image.linear_gradient("L").resize(img.size))
    encoded = encode_image(img, accepted=frozenset({"image/webp"}), content="photo")
    assert encoded.media_type == "image/webp"
    assert roundtrip(encoded).mode == "RGBA"


def test_alpha_flattened_on_white_for_jpeg_only() -> None:
    encoded = encode_image(transparent_logo(), accepted=frozenset({"image/jpeg"}))
    assert encoded.media_type == "image/jpeg"
    out = roundtrip(encoded)
    assert out.mode == "RGB"
    assert close(pixel(out, (2, 2)), (255, 255, 255), tol=6)
    assert close(pixel(out, (32, 32)), RED, tol=12)
    assert close(pixel(out, (13, 30)), (255, 128, 128), tol=16)  # half alpha over white


# ----------------------------------------------------------------------------- accepted types


@pytest.mark.parametrize("accepted", [GEMINI, OPENAI, ANTHROPIC, None])
def test_provider_sets_get_the_preferred_formats(
    accepted: frozenset[str] | None, photo: Image.Image, document: Image.Image
) -> None:
    assert encode_image(photo, accepted=accepted).media_type == "image/jpeg"
    assert encode_image(document, accepted=accepted).media_type == "image/png"
    assert encode_image(transparent_logo(), accepted=accepted).media_type == "image/png"


@pytest.mark.parametrize(
    ("accepted", "photo_type", "graphic_type"),
    [
        ({"image/png"}, "image/png", "image/png"),
        ({"image/jpeg"}, "image/jpeg", "image/jpeg"),
        ({"image/webp"}, "image/webp", "image/webp"),
        ({"image/gif"}, "image/gif", "image/gif"),
        ({"image/webp", "image/png"}, "image/webp", "image/png"),
        ({"image/jpg"}, "image/jpeg", "image/jpeg"),
        ({"image/heic", "PNG"}, "image/png", "image/png"),
    ],
)
def test_restricted_accepted_sets_fall_back(
    accepted: set[str],
    photo_type: str,
    graphic_type: str,
    photo: Image.Image,
    document: Image.Image,
) -> None:
    allowed = frozenset(accepted)
    as_photo = encode_image(photo, accepted=allowed)
    as_graphic = encode_image(document, accepted=allowed)
    assert (as_photo.media_type, as_graphic.media_type) == (photo_type, graphic_type)
    roundtrip(as_photo)
    roundtrip(as_graphic)


def test_nothing_writable_is_an_error(photo: Image.Image) -> None:
    with pytest.raises(ImageError, match="none of the accepted media types"):
        encode_image(photo, accepted=frozenset({"image/heic", "image/heif"}))
    with pytest.raises(ImageError):
        encode_image(photo, accepted=frozenset())


def test_gif_last_resort_quantises_photos(photo: Image.Image) -> None:
    encoded = encode_image(photo, accepted=frozenset({"image/gif"}))
    out = roundtrip(encoded)
    diff = np.abs(np.asarray(out, dtype=np.int16) - np.asarray(photo, dtype=np.int16))
    assert diff.mean() < 20


def test_gif_is_exact_for_few_colours(document: Image.Image) -> None:
    encoded = encode_image(document, accepted=frozenset({"image/gif"}))
    assert np.array_equal(np.asarray(roundtrip(encoded).convert("RGB")), np.asarray(document))


def test_choose_media_type_table() -> None:
    assert choose_media_type(alpha=False, graphic=False) == "image/jpeg"
    assert choose_media_type(alpha=False, graphic=True) == "image/png"
    assert choose_media_type(alpha=True, graphic=False) == "image/png"
    only_jpeg = frozenset({"image/jpeg"})
    assert choose_media_type(alpha=True, graphic=True, accepted=only_jpeg) == "image/jpeg"
    assert normalise_accepted(None) == ENCODABLE
    assert normalise_accepted({"image/PNG; q=1", "jpg", "image/avif"}) == {
        "image/png",
        "image/jpeg",
    }


# ----------------------------------------------------------------------------- odd inputs


@pytest.mark.parametrize("mode", ["P", "1", "LA", "CMYK", "I;16", "PA"])
def test_any_mode_is_encodable(mode: str) -> None:
    base = images.left_red_right_blue(40, 20)
    if mode == "I;16":
        img = Image.fromarray(np.full((20, 40), 40000, dtype=np.uint16))
    elif mode == "PA":
        img = base.convert("RGBA").convert("PA")
    else:
        img = base.convert(mode)
    assert img.mode.startswith(mode[:3])
    encoded = encode_image(img)
    out = roundtrip(encoded)
    assert out.size == (40, 20)


def test_tiny_and_extreme_images() -> None:
    one = encode_image(Image.new("RGB", (1, 1), RED))
    assert (one.width, one.height) == (1, 1)
    assert pixel(roundtrip(one), (0, 0)) == RED
    strip = encode_image(Image.new("L", (20000, 20), 77))
    assert roundtrip(strip).size == (20000, 20)


def test_metadata_is_not_written(photo: Image.Image) -> None:
    img = photo.copy()
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "SecretCam"
    img.info["exif"] = exif.tobytes()
    img.info["comment"] = b"private note"
    for content in ("photo", "graphic"):
        data = encode_image(img, content=content).data  # type: ignore[arg-type]
        assert b"SecretCam" not in data and b"private note" not in data
        assert 0x0112 not in open_bytes(data).getexif()


def test_icc_profile_is_kept(photo: Image.Image) -> None:
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    img = photo.copy()
    img.info["icc_profile"] = icc
    for accepted in ({"image/jpeg"}, {"image/png"}, {"image/webp"}):
        data = encode_image(img, accepted=frozenset(accepted)).data
        assert open_bytes(data).info.get("icc_profile") == icc


def test_mismatched_icc_profile_is_dropped(photo: Image.Image) -> None:
    from PIL import ImageCms

    rgb_icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    gray = photo.convert("L")
    gray.info["icc_profile"] = rgb_icc  # what convert() leaves behind
    assert "icc_profile" not in open_bytes(encode_image(gray).data).info
    garbage = photo.copy()
    garbage.info["icc_profile"] = b"short"
    assert "icc_profile" not in open_bytes(encode_image(garbage).data).info


def test_repr_never_shows_bytes(photo: Image.Image) -> None:
    encoded = encode_image(photo)
    text = repr(encoded)
    assert "data=" not in text and "image/jpeg" in text and "\\x" not in text


def test_bad_arguments() -> None:
    img = Image.new("RGB", (4, 4))
    with pytest.raises(ImageError, match="content"):
        encode_image(img, content="drawing")  # type: ignore[arg-type]
    with pytest.raises(ImageError, match="quality"):
        encode_image(img, quality=0)


def test_input_image_is_not_modified(photo: Image.Image) -> None:
    img = transparent_logo()
    before = img.tobytes()
    encode_image(img, accepted=frozenset({"image/jpeg"}))
    assert img.mode == "RGBA" and img.tobytes() == before
