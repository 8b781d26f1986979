"""What every technique returns; what it takes (:class:`SourceImage`, :class:`TechniqueContext`)
is the shared vocabulary of :mod:`headroom_edge.context`, re-exported here for technique code."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from headroom_edge.context import SourceImage, TechniqueContext
from headroom_edge.formats.base import ImageEdit
from headroom_edge.technique import Technique

__all__ = ["Outcome", "SourceImage", "TechniqueContext", "untouched"]


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
