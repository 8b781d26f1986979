"""What the provider's model will see of each image, before and after compression.

A compression is only as good as what survives at the resolution the provider's model actually
resolves, which is rarely the size that was sent: OpenAI and Anthropic shrink large images
before their encoder, Gemini resolves a media-resolution level's worth of pixels. This module
pairs every image of a request with its rewrite and renders both at that resolution
(:func:`headroom_edge.tokens.family_view_size`, the one home of those rules), so a person (the
``headroom-edge compress --preview`` page, :mod:`headroom_edge.cli.preview_page`) and the quality
benchmark (``scripts/bench_quality.py``) judge the same pictures.

Nothing here logs or returns base64: images come back as decoded Pillow images.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from PIL import Image

from headroom_edge.config import ImageLimits
from headroom_edge.formats import get_format
from headroom_edge.formats.base import ImageSlot
from headroom_edge.formats.datauri import decode_base64
from headroom_edge.imaging import ImageError, decode_image, resize_to
from headroom_edge.results import CompressionResult, ImageResult
from headroom_edge.technique import Technique
from headroom_edge.techniques.transcode import TEXT_HEADER
from headroom_edge.tokens import ModelFamily, family_view_size, resolve_family

__all__ = ["ImageView", "SeenImage", "model_views", "ocr_texts", "seen_image"]


@dataclass(frozen=True)
class SeenImage:
    """One image part as the provider's model resolves it."""

    image: Image.Image
    """The part's pixels resized to ``view_size`` (decoded, upright, RGB or L)."""
    sent_size: tuple[int, int]
    """Pixel size of the payload in the request."""
    view_size: tuple[int, int]
    detail: str | None
    media_resolution: str | None


@dataclass(frozen=True)
class ImageView:
    """One image of a request: what the model saw of the original and of the rewrite.

    ``compressed`` is None when the rewrite dropped the pixels (a transcode without thumbnail)
    or the part could not be decoded (a URL, a file id); ``ocr_text`` is the text a transcode
    added, which the model reads instead of (or beside) the pixels.
    """

    result: ImageResult
    original: SeenImage | None
    compressed: SeenImage | None
    ocr_text: str | None


def seen_image(
    data: bytes, family: ModelFamily, detail: str | None, media_resolution: str | None,
    limits: ImageLimits | None = None,
) -> SeenImage:
    """Decode ``data`` and resize it to what ``family`` resolves at that detail / level.

    Raises :class:`~headroom_edge.imaging.ImageError` for a payload that cannot be decoded.
    """
    decoded = decode_image(data, limits or ImageLimits())
    img = decoded.image
    if img.mode not in ("RGB", "L"):
        img = img.convert("RGB")
    view = family_view_size(family, img.width, img.height, detail, media_resolution)
    if view != img.size:
        img = resize_to(img, *view)
    return SeenImage(img, decoded.image.size, view, detail, media_resolution)


def model_views(
    original_body: dict[str, Any],
    compressed_body: dict[str, Any],
    result: CompressionResult,
    *,
    family: ModelFamily | None = None,
    limits: ImageLimits | None = None,
) -> list[ImageView]:
    """Pair every image of ``original_body`` with its part in ``compressed_body``.

    ``result`` is the compression that turned one into the other (its wire format, provider and
    model; ``family`` overrides the billing family resolved from them, e.g. for a custom
    catalog). Images are matched in body order; a transcode that dropped its image consumes no
    part of the rewritten body.
    """
    if result.wire_format is None or result.provider is None:
        return []
    fmt = get_format(result.wire_format)
    family = family or resolve_family(result.provider, result.model)
    before = fmt.find_images(original_body)
    after = iter(fmt.find_images(compressed_body))
    texts = iter(ocr_texts(compressed_body))
    views = []
    for image in result.images:
        slot = before[image.index] if image.index < len(before) else None
        kept_pixels = not (image.technique is Technique.TRANSCODE and image.compressed_size is None)
        new_slot = next(after, None) if kept_pixels else None
        text = next(texts, None) if image.technique is Technique.TRANSCODE else None
        views.append(ImageView(
            result=image,
            original=_seen(slot, family, limits),
            compressed=_seen(new_slot, family, limits),
            ocr_text=text,
        ))
    return views


def ocr_texts(body: Any) -> list[str]:
    """Every OCR text a transcode placed in ``body``, in body order (header included).

    Found by the header the transcode writes, wherever the wire format put it (a text part,
    an appended prompt, a Gemini function response), so this needs no per-format code.
    """
    found: list[str] = []
    for text in _strings(body):
        if TEXT_HEADER not in text:
            continue
        pieces = text.split(TEXT_HEADER)[1:]
        found.extend((TEXT_HEADER + piece).strip() for piece in pieces)
    return found


def _strings(value: Any) -> Iterator[str]:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))


def _seen(slot: ImageSlot | None, family: ModelFamily, limits: ImageLimits | None) -> SeenImage | None:
    if slot is None or slot.source.kind != "base64" or not slot.source.data:
        return None
    try:
        data = decode_base64(slot.source.data)
        return seen_image(data, family, slot.detail, slot.media_resolution, limits)
    except (ImageError, ValueError):
        return None
