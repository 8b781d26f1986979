"""Imaging layer: probe, decode, transform and encode untrusted images with Pillow + numpy.

Flow used by the techniques: :func:`probe_image` (header only, microseconds) to decide, then
:func:`decode_image` (normalised, upright, optionally JPEG-drafted) only for images that will
change, the operations in :mod:`.ops`, and :func:`encode_image` to produce accepted bytes.
Every failure is an :class:`ImageError`, so callers can fail open with one ``except``.
"""

from __future__ import annotations

from headroom_edge.imaging.decode import (
    MEDIA_TYPES,
    SUPPORTED_FORMATS,
    DecodedImage,
    ImageInfo,
    decode_image,
    normalise_mode,
    probe_image,
    sniff_format,
)
from headroom_edge.imaging.encode import (
    ENCODABLE,
    ContentKind,
    EncodedImage,
    choose_media_type,
    encode_image,
    normalise_accepted,
)
from headroom_edge.imaging.errors import ImageError
from headroom_edge.imaging.ops import (
    GraphicStats,
    clamp_box,
    crop,
    crop_box,
    crop_pixels,
    detail_loss,
    fit_size,
    fit_within,
    flatten_alpha,
    graphic_stats,
    looks_like_graphic,
    resize_to,
)

__all__ = [
    "ENCODABLE",
    "MEDIA_TYPES",
    "SUPPORTED_FORMATS",
    "ContentKind",
    "DecodedImage",
    "EncodedImage",
    "GraphicStats",
    "ImageError",
    "ImageInfo",
    "choose_media_type",
    "clamp_box",
    "crop",
    "crop_box",
    "crop_pixels",
    "decode_image",
    "detail_loss",
    "encode_image",
    "fit_size",
    "fit_within",
    "flatten_alpha",
    "graphic_stats",
    "looks_like_graphic",
    "normalise_accepted",
    "normalise_mode",
    "probe_image",
    "resize_to",
    "sniff_format",
]
