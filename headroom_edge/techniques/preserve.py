"""PRESERVE: the bytes the client sent, untouched."""

from __future__ import annotations

from headroom_edge.techniques.base import Outcome, SourceImage, TechniqueContext, untouched


def apply_preserve(source: SourceImage, ctx: TechniqueContext) -> Outcome:
    return untouched(source, ctx, "image sent as is")
