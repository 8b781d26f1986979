"""What one compression did, per image and per request.

Results are plain dataclasses so apps can log them, put them in response headers or metrics, and
compare them in tests. They never hold image bytes or base64: only sizes, counts and reasons.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any, Final, Literal

from headroom_edge.technique import Technique

DecidedBy = Literal["rules", "router", "policy", "skip", "error", "limit"]
"""Who chose an image's technique: the question rules, the trained router, the image-analysis
policy (which overruled either), or no decision at all: "skip" (URL/file images, animations),
"error" (processing failed; the image passed untouched) and :data:`OVER_LIMIT`."""

OVER_LIMIT: Final = "limit"
"""``decided_by`` of an image whose decoded payload is over ``ImageLimits.max_payload_bytes``:
passed through untouched (integrations may refuse the request instead, e.g. the proxy's 413)."""


@dataclass(frozen=True)
class ImageResult:
    """The outcome for one image part of a request.

    ``technique`` is what was actually applied (``PRESERVE`` when the image was left alone for any
    reason, including errors); ``reason`` says why in words a person can act on.
    """

    index: int
    """Position of the image among the request's image parts, in body order."""
    technique: Technique
    original_tokens: int
    compressed_tokens: int
    confidence: float
    reason: str
    original_bytes: int = 0
    compressed_bytes: int = 0
    original_size: tuple[int, int] | None = None
    compressed_size: tuple[int, int] | None = None
    media_type: str | None = None
    """Media type sent upstream after the rewrite (the original one when untouched)."""
    decided_by: DecidedBy = "rules"
    """Which component chose the technique (see :data:`DecidedBy`); a decision cache hit keeps
    the original chooser and sets ``cached``."""
    signals: dict[str, Any] = field(default_factory=dict)
    """Measured image signals and scores behind the decision (text area, blur loss, ...)."""
    error: str | None = None
    """Set when processing failed and the image was passed through untouched (fail-open)."""
    cached: bool = False
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return self.technique is not Technique.PRESERVE or self.compressed_bytes != self.original_bytes

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["technique"] = self.technique.value
        return data


@dataclass(frozen=True)
class CompressionResult:
    """Totals over every image of one request, plus the per-image entries."""

    images: tuple[ImageResult, ...] = ()
    provider: str | None = None
    model: str | None = None
    wire_format: str | None = None

    @property
    def technique(self) -> Technique:
        """The technique applied to most images (first one wins ties); PRESERVE with no images."""
        if not self.images:
            return Technique.PRESERVE
        counts = Counter(r.technique for r in self.images)
        best = max(counts.values())
        return next(r.technique for r in self.images if counts[r.technique] == best)

    @property
    def original_tokens(self) -> int:
        return sum(r.original_tokens for r in self.images)

    @property
    def compressed_tokens(self) -> int:
        return sum(r.compressed_tokens for r in self.images)

    @property
    def confidence(self) -> float:
        """The weakest per-image confidence: a request is only as sure as its least sure decision."""
        return min((r.confidence for r in self.images), default=1.0)

    @property
    def savings_percent(self) -> float:
        before = self.original_tokens
        if before <= 0:
            return 0.0
        return 100.0 * (before - self.compressed_tokens) / before

    @property
    def original_bytes(self) -> int:
        return sum(r.original_bytes for r in self.images)

    @property
    def compressed_bytes(self) -> int:
        return sum(r.compressed_bytes for r in self.images)

    @property
    def changed(self) -> bool:
        return any(r.changed for r in self.images)

    def to_dict(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "model": self.model,
            "wire_format": self.wire_format,
            "technique": self.technique.value,
            "original_tokens": self.original_tokens,
            "compressed_tokens": self.compressed_tokens,
            "confidence": self.confidence,
            "savings_percent": round(self.savings_percent, 2),
            "images": [r.to_dict() for r in self.images],
        }
