"""The five techniques, each a pure function from (source image, context) to an :class:`Outcome`."""

from __future__ import annotations

from headroom_edge.technique import Technique
from headroom_edge.techniques.base import Outcome, SourceImage, TechniqueContext
from headroom_edge.techniques.crop import apply_crop
from headroom_edge.techniques.fit import apply_fit
from headroom_edge.techniques.full_low import apply_full_low
from headroom_edge.techniques.preserve import apply_preserve
from headroom_edge.techniques.transcode import apply_transcode

APPLY = {
    Technique.FULL_LOW: apply_full_low,
    Technique.PRESERVE: apply_preserve,
    Technique.CROP: apply_crop,
    Technique.TRANSCODE: apply_transcode,
    Technique.FIT: apply_fit,
}


def apply_technique(technique: Technique, source: SourceImage, ctx: TechniqueContext) -> Outcome:
    return APPLY[technique](source, ctx)


__all__ = ["Outcome", "SourceImage", "TechniqueContext", "apply_technique", "APPLY"]
