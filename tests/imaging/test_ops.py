"""ops: fitting, resizing, cropping, content classification and detail loss on real pixels."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from headroom_edge.config import ImageLimits
from headroom_edge.imaging import (
    ImageError,
    clamp_box,
    crop,
    crop_box,
    crop_pixels,
    decode_image,
    detail_loss,
    fit_size,
    fit_within,
    flatten_alpha,
    graphic_stats,
    looks_like_graphic,
    resize_to,
)
from tests.imaging import images
from tests.imaging.images import RED, close, encode, pixel

# ----------------------------------------------------------------------------- fit / resize


@pytest.mark.parametrize(
    ("size", "box", "expected"),
    [
        ((4000, 3000), (1000, 1000), (1000, 750)),
        ((3000, 4000), (2048, 2048), (1536, 2048)),
        ((100, 50), (1000, 1000), (100, 50)),  # never enlarged
        ((1000, 1000), (1000, 1000), (1000, 1000)),
        ((20000, 20), (512, 512), (512, 1)),  # a side never reaches 0
        ((20, 20000), (768, 2048), (2, 2048)),
        ((1, 1), (1, 1), (1, 1)),
        ((1569, 1000), (1568, 1568), (1568, 999)),
    ],
)
def test_fit_size(size: tuple[int, int], box: tuple[int, int], expected: tuple[int, int]) -> None:
    assert fit_size(*size, *box) == expected


@settings(max_examples=300, deadline=None)
@given(
    w=st.integers(1, 50_000),
    h=st.integers(1, 50_000),
    bw=st.integers(1, 5_000),
    bh=st.integers(1, 5_000),
)
def test_fit_size_properties(w: int, h: int, bw: int, bh: int) -> None:
    nw, nh = fit_size(w, h, bw, bh)
    assert 1 <= nw <= w and 1 <= nh <= h  # never enlarges, never empty
    assert nw <= max(bw, 1) and nh <= max(bh, 1)  # fits the box
    if (nw, nh) != (w, h):
        assert nw == bw or nh == bh or nw == 1 or nh == 1  # uses the box fully
    if (nw, nh) != (w, h) and min(nw, nh) > 1:
        assert abs(nw / nh - w / h) <= (w / h) * (1 / nh + 1 / nw) + 1e-9  # aspect within rounding


def test_fit_size_rejects_empty() -> None:
    with pytest.raises(ImageError):
        fit_size(0, 10, 10, 10)
    with pytest.raises(ImageError):
        fit_size(10, 10, 0, 10)


def test_fit_within_shrinks_and_never_enlarges(photo: Image.Image) -> None:
    small = fit_within(photo, 256, 100)
    assert small.size == (100, 100) and small.mode == photo.mode
    assert fit_within(photo, 4096, 4096) is photo  # already fits: no copy, no enlargement
    assert photo.size == (512, 512) or photo.width <= 4096  # input untouched


def test_resized_photo_resembles_original(photo: Image.Image) -> None:
    small = fit_within(photo, photo.width // 4, photo.height // 4)
    reference = photo.reduce(4)  # plain box average
    diff = np.abs(np.asarray(small, dtype=np.int16) - np.asarray(reference, dtype=np.int16))
    assert diff.mean() < 6


def test_rgba_resize_has_no_dark_fringes() -> None:
    """Transparent black next to opaque red: premultiplied resampling keeps edge pixels red."""
    img = Image.new("RGBA", (400, 400), (0, 0, 0, 0))
    img.paste((255, 0, 0, 255), (0, 0, 201, 400))
    for out in (fit_within(img, 37, 37), fit_within(img, 100, 100), resize_to(img, 133, 97)):
        arr = np.asarray(out).astype(int)
        visible = arr[..., 3] > 8
        assert visible.any() and (arr[..., 3][visible] < 255).any()  # there is a soft edge
        assert arr[..., 0][visible].min() >= 240, "colour of partly transparent pixels darkened"
        assert arr[..., 1][visible].max() <= 10


def test_resize_to_exact_sizes_and_modes() -> None:
    for mode in ("L", "RGB", "RGBA"):
        img = images.left_red_right_blue(50, 30).convert(mode)
        out = resize_to(img, 17, 90)
        assert out.size == (17, 90) and out.mode == mode
    assert resize_to(images.left_red_right_blue(50, 30), 200, 120).size == (200, 120)  # enlarges
    with pytest.raises(ImageError):
        resize_to(images.left_red_right_blue(), 0, 5)


def test_palette_images_are_resampled_properly() -> None:
    """A palette image would be resized with nearest-neighbour; it is converted first."""
    img = Image.new("P", (100, 100), 0)
    img.putpalette([0, 0, 0, 255, 255, 255])
    for x in range(0, 100, 2):
        img.paste(1, (x, 0, x + 1, 100))  # 1-px stripes
    out = fit_within(img, 50, 50)
    assert out.mode == "RGB"
    assert 100 < np.asarray(out).mean() < 155  # stripes average to grey, not black or white


def test_decoded_then_fit(photo_jpeg: bytes) -> None:
    decoded = decode_image(photo_jpeg, ImageLimits(), min_size=(128, 128))
    out = fit_within(decoded.image, 128, 128)
    assert out.size == (128, 128)


# ----------------------------------------------------------------------------- crop


@pytest.mark.parametrize(
    ("box", "expected"),
    [
        ((0.25, 0.25, 0.75, 0.75), (25, 20, 75, 60)),
        ((0.0, 0.0, 1.0, 1.0), (0, 0, 100, 80)),
        ((-1.0, -5.0, 2.0, 9.0), (0, 0, 100, 80)),  # clamped
        ((0.75, 0.75, 0.25, 0.25), (25, 20, 75, 60)),  # swapped corners
        ((0.5, 0.5, 0.5, 0.5), (50, 40, 51, 41)),  # empty grows to 1x1
        ((1.0, 1.0, 1.0, 1.0), (99, 79, 100, 80)),  # at the far edge, still inside
        ((0.0, 0.0, 0.0, 0.0), (0, 0, 1, 1)),
        ((0.101, 0.0, 0.109, 1.0), (10, 0, 11, 80)),  # partial pixels are kept whole
        ((0.3, 0.3, 0.7, 0.7), (30, 24, 70, 56)),  # float noise (0.3*100=30.000000000000004)
    ],
)
def test_crop_pixels(box: tuple[float, ...], expected: tuple[int, int, int, int]) -> None:
    assert crop_pixels((100, 80), box) == expected


def test_crop_box_returns_the_region() -> None:
    img = images.left_red_right_blue(100, 80)
    left = crop_box(img, (0.0, 0.0, 0.5, 1.0))
    assert left.size == (50, 80)
    assert (np.asarray(left) == RED).all()
    assert crop_box(img, [0.2, 0.2, 0.2, 0.2]).size == (1, 1)


@pytest.mark.parametrize(
    "box", [(0.0, 0.0, float("nan"), 1.0), (0.0, float("inf"), 1.0, 1.0), (0.1, 0.2, 0.3)]
)
def test_crop_rejects_bad_boxes(box: tuple[float, ...]) -> None:
    with pytest.raises(ImageError):
        crop_pixels((10, 10), box)


@settings(max_examples=300, deadline=None)
@given(
    size=st.tuples(st.integers(1, 5000), st.integers(1, 5000)),
    box=st.tuples(*[st.floats(-2, 3, allow_nan=False) for _ in range(4)]),
)
def test_crop_pixels_always_valid(size: tuple[int, int], box: tuple[float, ...]) -> None:
    x0, y0, x1, y1 = crop_pixels(size, box)
    assert 0 <= x0 < x1 <= size[0]
    assert 0 <= y0 < y1 <= size[1]


# ----------------------------------------------------------------------------- classification


@pytest.mark.parametrize("name", ["astronaut", "coffee", "chelsea"])
def test_natural_photos_are_not_graphics(name: str) -> None:
    photo = images.natural_photo(name)
    assert looks_like_graphic(photo) is False
    recompressed = images.open_bytes(encode(photo, "JPEG", quality=75))
    assert looks_like_graphic(recompressed) is False
    assert looks_like_graphic(photo.convert("L")) is False


def test_synthetic_photo_is_not_a_graphic() -> None:
    assert looks_like_graphic(images.synthetic_photo()) is False


def test_documents_and_screenshots_are_graphics(
    document: Image.Image, screenshot: Image.Image
) -> None:
    for img in (document, screenshot, images.small_text(400, 300)):
        assert looks_like_graphic(img) is True
        jpeg = images.open_bytes(encode(img, "JPEG", quality=75))
        assert looks_like_graphic(jpeg) is True, "JPEG artefacts must not hide a screenshot"
        assert looks_like_graphic(img.convert("RGBA")) is True


def test_few_colour_chart_is_a_graphic() -> None:
    """Dithered/patterned areas are not flat, but a handful of colours still means 'drawn'."""
    rng = np.random.default_rng(1)
    palette = np.array([[255, 255, 255], [31, 119, 180], [255, 127, 14], [44, 160, 44]])
    arr = palette[rng.integers(0, 4, size=(300, 400))].astype(np.uint8)
    stats = graphic_stats(Image.fromarray(arr))
    assert stats.flat_share < 0.5 and stats.colours == 4
    assert stats.is_graphic


def test_tiny_images_classify_without_error() -> None:
    assert looks_like_graphic(Image.new("RGB", (1, 1), RED)) is True
    assert isinstance(looks_like_graphic(images.synthetic_photo(3, 2)), bool)


def test_the_colour_key_is_the_24_bit_colour() -> None:
    """Pillow's BGRX packing, read as little-endian uint32, is exactly R << 16 | G << 8 | B, so
    equal keys are equal colours and the dominant colour keeps its order among ties."""
    from headroom_edge.imaging.ops import _colour_key

    arr = np.random.default_rng(7).integers(0, 256, size=(37, 53, 3), dtype=np.uint8)
    rgb = arr.astype(np.uint32)
    expected = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
    assert np.array_equal(_colour_key(Image.fromarray(arr)), expected)
    gray = Image.fromarray(arr[..., 0])
    assert np.array_equal(_colour_key(gray), arr[..., 0])


def test_graphic_stats_are_reported(document: Image.Image) -> None:
    stats = graphic_stats(document)
    assert 0.5 <= stats.flat_share <= 1.0
    assert stats.grayscale is False
    assert graphic_stats(document.convert("L")).grayscale is True


# ----------------------------------------------------------------------------- detail loss


def test_small_text_loses_more_than_gradient() -> None:
    text_loss = detail_loss(images.small_text(), 256, 256)
    gradient_loss = detail_loss(images.gradient(), 256, 256)
    assert text_loss > 0.4
    assert gradient_loss < 0.02
    assert text_loss > 10 * gradient_loss


def test_detail_loss_orders_content(document: Image.Image, photo: Image.Image) -> None:
    page = document.resize((1024, 1280))
    assert detail_loss(page, 256, 320) > detail_loss(photo.resize((1024, 1024)), 256, 256)


def test_detail_loss_grows_as_target_shrinks() -> None:
    text = images.small_text(512, 512)
    losses = [detail_loss(text, side, side) for side in (384, 256, 128, 64)]
    assert losses == sorted(losses)
    assert all(0.0 <= value <= 1.0 for value in losses)


def test_detail_loss_edge_cases(photo: Image.Image) -> None:
    assert detail_loss(photo, *photo.size) == 0.0
    assert detail_loss(photo, photo.width * 2, photo.height * 2) == 0.0  # no shrink, no loss
    assert detail_loss(Image.new("RGB", (300, 300), RED), 10, 10) == 0.0  # uniform
    assert 0.0 < detail_loss(photo, 1, 1) <= 1.0
    with pytest.raises(ImageError):
        detail_loss(photo, 0, 10)


def test_detail_loss_accepts_all_modes() -> None:
    base = images.small_text(128, 128)
    for img in (base, base.convert("RGB"), base.convert("RGBA"), base.convert("P")):
        assert 0.2 < detail_loss(img, 32, 32) <= 1.0


# ----------------------------------------------------------------------------- alpha flatten


def test_flatten_alpha_composites_on_white() -> None:
    img = Image.new("RGBA", (4, 1), (0, 0, 0, 0))
    img.putpixel((1, 0), (255, 0, 0, 255))
    img.putpixel((2, 0), (0, 0, 0, 128))
    out = flatten_alpha(img)
    assert out.mode == "RGB"
    assert pixel(out, (0, 0)) == (255, 255, 255)
    assert pixel(out, (1, 0)) == RED
    assert close(pixel(out, (2, 0)), (127, 127, 127), tol=2)
    opaque = Image.new("RGB", (2, 2))
    assert flatten_alpha(opaque) is opaque
    assert pixel(flatten_alpha(img, (0, 0, 0)), (0, 0)) == (0, 0, 0)


# ----------------------------------------------------------------------------- box clamping


@pytest.mark.parametrize(
    ("box", "expected"),
    [
        ((-2**31, 0, 2**31, 10), (0, 0, 10, 10)),
        ((-2**63, -2**63, 2**63, 2**63), (0, 0, 10, 10)),
        ((2.2, 3.7, 5.1, 9.99), (2, 3, 6, 10)),
        ((0, 0, 10, 10), (0, 0, 10, 10)),
    ],
)
def test_clamp_box_limits_extreme_boxes_to_the_image(box: tuple[float, ...], expected: tuple[int, ...]) -> None:
    assert clamp_box((10, 10), box) == expected
    assert crop(Image.new("RGB", (10, 10)), box).size == (expected[2] - expected[0], expected[3] - expected[1])


@pytest.mark.parametrize(
    "box",
    [
        (2**31 - 1, 0, -2**31 + 3, 4),  # the CVE-2026-59199 box: right < left
        (11, 0, 20, 10),  # wholly outside
        (-5, -5, 0, 0),
        (0, 0, float("inf"), 10),
        (0, 0, float("nan"), 10),
        (0, 0, 10),
    ],
)
def test_clamp_box_refuses_boxes_that_leave_nothing(box: tuple[float, ...]) -> None:
    with pytest.raises(ImageError):
        clamp_box((10, 10), box)
    with pytest.raises(ValueError):
        crop(Image.new("RGB", (10, 10)), box)
