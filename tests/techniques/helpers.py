from __future__ import annotations

from headroom_edge.config import CompressionConfig
from headroom_edge.decision.regions import parse_region
from headroom_edge.imaging import probe_image
from headroom_edge.technique import Technique
from headroom_edge.techniques import apply_technique
from headroom_edge.techniques.base import Outcome, SourceImage, TechniqueContext


def run_technique(
    technique: Technique, data: bytes, provider: str, model: str | None, *,
    question: str = "", detail: str | None = None, ocr: object | None = None,
    config: CompressionConfig | None = None,
) -> tuple[Outcome, int]:
    config = config or CompressionConfig()
    source = SourceImage(data=data, info=probe_image(data, config.limits), config=config)
    ctx = TechniqueContext(provider, model, detail, None, config, region=parse_region(question), ocr=ocr)
    return apply_technique(technique, source, ctx), ctx.tokens(source.size)
