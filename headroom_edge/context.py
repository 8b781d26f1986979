"""The words the decision and the techniques share: the source image, the request, a region.

Deciders (``decision/``), image analysis (``analysis/``) and techniques (``techniques/``) all talk
about the same three things. They live here, below all three, so that none of them has to import
another's package to name them: the decision never imports technique code and vice versa, and
the pipeline is the one place that joins the two.

The request's billing family is resolved once, here (:attr:`TechniqueContext.family`, with
the configured model catalog and ``config.patch_multipliers`` applied), and both planning (:mod:`headroom_edge.lowdetail`) and
pricing (:meth:`TechniqueContext.tokens`) read that one answer, so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from headroom_edge.config import CompressionConfig
from headroom_edge.imaging import ContentKind, ImageInfo, decode_image, encode_image
from headroom_edge.providers import rules_for
from headroom_edge.tokens import ModelFamily, family_effective_size, family_tokens, resolve_family

if TYPE_CHECKING:
    from PIL import Image

    from headroom_edge.ocr import OcrEngine

T = TypeVar("T")

Box = tuple[float, float, float, float]
"""A fractional (left, top, right, bottom) box in 0..1 of the oriented image."""

MARGIN = 0.06
"""How much a region's box is widened on every inner side (see :meth:`Region.padded`)."""


@dataclass(frozen=True)
class Region:
    """A named part of the image, read from the question ("top-right corner", "the footer").

    Boxes are a little larger than the literal region (``MARGIN``) when cropped, so an object
    straddling the border is still inside: cutting the thing the user asks about in half is worse
    than a few extra pixels.
    """

    name: str
    box: Box

    def padded(self, margin: float = MARGIN) -> Box:
        left, top, right, bottom = self.box
        return (
            max(0.0, left - margin if left > 0 else 0.0),
            max(0.0, top - margin if top > 0 else 0.0),
            min(1.0, right + margin if right < 1 else 1.0),
            min(1.0, bottom + margin if bottom < 1 else 1.0),
        )

    @property
    def area(self) -> float:
        left, top, right, bottom = self.box
        return (right - left) * (bottom - top)


@dataclass(eq=False)
class SourceImage:
    """The client's image: its bytes, what the header says, and decoded pixels on demand.

    Decoding is lazy and remembered per requested minimum size, so a technique that only edits
    request fields (OpenAI ``detail``, Gemini ``mediaResolution``) never pays for a decode, and a
    shrinking technique gets JPEG draft decoding.
    """

    data: bytes
    info: ImageInfo
    config: CompressionConfig
    _decoded: dict[tuple[int, int] | None, Image.Image] = field(default_factory=dict)
    text_cap_px: float | None = None
    """Cap height (px, original pixels) of the image's smallest text, once image analysis has
    measured it (``analysis.signals.measure_text``); None before that or where no line was
    measured. Kept here, like the decoded pixels, so the FIT technique plans with the very
    measurement the policy judged instead of measuring a second time."""
    text_least_px: float | None = None
    """Cap height (px, original pixels) of the smallest measured line (no percentile), beside
    ``text_cap_px``: what FIT plans with when every line must stay legible
    (``TechniqueContext.every_line``)."""
    text_measured: bool = False
    """Whether ``text_cap_px`` is a measurement (True) or merely not measured yet (False)."""
    _remembered: dict[str, Any] = field(default_factory=dict)

    @property
    def size(self) -> tuple[int, int]:
        return (self.info.width, self.info.height)

    def pixels(self, min_size: tuple[int, int] | None = None) -> Image.Image:
        """Oriented, mode-normalised pixels, at least ``min_size`` when given (JPEG draft)."""
        if None in self._decoded:
            return self._decoded[None]
        if min_size in self._decoded:
            return self._decoded[min_size]
        if min_size is not None:
            # Reuse an earlier (e.g. the analysis') decode that is already large enough: a
            # shrinking technique then never decodes the same bytes twice.
            big_enough = [img for img in self._decoded.values()
                          if img.width >= min_size[0] and img.height >= min_size[1]]
            if big_enough:
                return min(big_enough, key=lambda img: img.width * img.height)
        self._decoded[min_size] = decode_image(self.data, self.config.limits, min_size=min_size).image
        return self._decoded[min_size]

    def remember(self, key: str, compute: Callable[[], T]) -> T:
        """``compute()``, once per ``key`` for this source: a measurement of its pixels that two
        readers need (the analysis, and the pipeline's helper thread taking the same look while
        the router runs). Two threads racing both compute the same value; the first one stored wins."""
        if key not in self._remembered:
            self._remembered.setdefault(key, compute())
        return self._remembered[key]  # type: ignore[no-any-return]


@dataclass(frozen=True)
class TechniqueContext:
    """Everything about the request a decision or technique needs besides the image."""

    provider: str
    model: str | None
    detail: str | None
    media_resolution: str | None
    config: CompressionConfig
    region: Region | None = None
    ocr: OcrEngine | None = None
    legible_px: float | None = None
    """The cap height a FIT must keep, when the decision asked for more than the default
    (policy row 6: ``fitplan.every_line_bar`` for a question that wanted the untouched image)."""
    every_line: bool = False
    """FIT keeps every measured line legible (``fitplan.every_line_bar`` of this source's
    measurement) instead of the percentile at ``legible_px``: set where the bar can only be
    known after FIT measures (a transcode that fell back to FIT)."""
    content: ContentKind = "auto"
    """What the image is, when analysis already measured it ("photo" / "graphic"), so encoding
    need not classify the pixels a second time; "auto" lets the encoder look."""

    @cached_property
    def family(self) -> ModelFamily:
        """The billing rule of this request, resolved once with the configured catalog."""
        return resolve_family(self.provider, self.model, catalog=self.config.catalog)

    def tokens(self, size: tuple[int, int], *, detail: str | None = None, media_resolution: str | None = None) -> int:
        """Provider token cost of an image of ``size`` under this request's settings."""
        return family_tokens(
            self.family,
            size[0],
            size[1],
            detail=detail or self.detail,
            media_resolution=media_resolution or self.media_resolution,
        )

    def seen_size(self, size: tuple[int, int]) -> tuple[int, int]:
        """The size the provider looks at after its own downscale, at this request's detail."""
        return family_effective_size(self.family, size[0], size[1], self.detail)

    def encode(self, img: Image.Image, *, source_media_type: str | None = None) -> tuple[bytes, str]:
        """Encode rewritten pixels in a format this provider accepts, chosen for the content."""
        accepted = rules_for(self.provider).accepted_media_types
        encoded = encode_image(img, accepted=accepted, content=self.content, quality=self.config.jpeg_quality)
        return encoded.data, encoded.media_type
