"""What every technique takes and returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from headroom_edge.config import CompressionConfig
from headroom_edge.decision.regions import Region
from headroom_edge.formats.base import ImageEdit
from headroom_edge.imaging import ContentKind, ImageInfo, decode_image, encode_image
from headroom_edge.providers import rules_for
from headroom_edge.technique import Technique
from headroom_edge.tokens import estimate_image_tokens

if TYPE_CHECKING:
    from PIL import Image

    from headroom_edge.ocr import OcrEngine


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


@dataclass(frozen=True)
class TechniqueContext:
    """Everything about the request a technique needs besides the image."""

    provider: str
    model: str | None
    detail: str | None
    media_resolution: str | None
    config: CompressionConfig
    region: Region | None = None
    ocr: OcrEngine | None = None
    content: ContentKind = "auto"
    """What the image is, when analysis already measured it ("photo" / "graphic"), so encoding
    need not classify the pixels a second time; "auto" lets the encoder look."""

    def tokens(self, size: tuple[int, int], *, detail: str | None = None, media_resolution: str | None = None) -> int:
        """Provider token cost of an image of ``size`` under this request's settings."""
        return estimate_image_tokens(
            self.provider,
            self.model,
            size[0],
            size[1],
            detail=detail or self.detail,
            media_resolution=media_resolution or self.media_resolution,
            patch_multipliers=self.config.patch_multipliers or None,
        )

    def encode(self, img: Image.Image, *, source_media_type: str | None = None) -> tuple[bytes, str]:
        """Encode rewritten pixels in a format this provider accepts, chosen for the content."""
        accepted = rules_for(self.provider).accepted_media_types
        encoded = encode_image(img, accepted=accepted, content=self.content, quality=self.config.jpeg_quality)
        return encoded.data, encoded.media_type


@dataclass(frozen=True)
class Outcome:
    """What a technique produced for one image."""

    technique: Technique
    edit: ImageEdit | None
    """None: the part is sent exactly as the client sent it."""
    tokens: int
    size: tuple[int, int] | None
    nbytes: int
    media_type: str | None
    reason: str
    signals: dict[str, Any] = field(default_factory=dict)


def untouched(source: SourceImage, ctx: TechniqueContext, reason: str, **signals: Any) -> Outcome:
    """The PRESERVE outcome: the client's bytes, priced as sent."""
    return Outcome(
        technique=Technique.PRESERVE,
        edit=None,
        tokens=ctx.tokens(source.size),
        size=source.size,
        nbytes=len(source.data),
        media_type=source.info.media_type,
        reason=reason,
        signals=dict(signals),
    )
