"""FIT per provider family, checked on the bytes that would really be sent: the size the plan
promised, text still legible in what the model sees, fewer tokens than the original."""

from __future__ import annotations

import pytest

from headroom_edge.config import CompressionConfig
from headroom_edge.fitplan import LEGIBLE_TEXT_PX, fit_plan
from headroom_edge.imaging import probe_image
from headroom_edge.ocr import OcrEngine
from headroom_edge.results import CompressionResult, ImageResult
from headroom_edge.technique import Technique
from headroom_edge.techniques import apply_technique
from headroom_edge.techniques.base import SourceImage, TechniqueContext
from tests import factories as f
from tests.analysis import pages

PAGE20 = f.encode(pages.text_page(20).image, "PNG")  # 1240x1754, 15 px capitals


def _run(data: bytes, provider: str, model: str, *, cap: float | None = None, ocr: object | None = None,
         media_resolution: str | None = None):
    config = CompressionConfig()
    source = SourceImage(data=data, info=probe_image(data, config.limits), config=config)
    if cap is not None:  # what the policy's analysis leaves on the source
        source.text_cap_px, source.text_measured = cap, True
    ctx = TechniqueContext(provider, model, None, media_resolution, config, ocr=ocr)  # type: ignore[arg-type]
    return apply_technique(Technique.FIT, source, ctx), ctx


@pytest.mark.parametrize(("provider", "model"), [("openai", "gpt-4o"), ("openai", "gpt-4.1-mini"),
                                                 ("anthropic", "claude-sonnet-4-5"), ("google", "gemini-2.5-flash")])
def test_fit_sends_the_planned_size(provider: str, model: str) -> None:
    outcome, ctx = _run(PAGE20, provider, model, cap=15.0)
    plan = fit_plan(ctx.family, (1240, 1754), 15.0)
    assert plan is not None and outcome.technique is Technique.FIT
    sent = f.decode(outcome.edit.data)
    assert sent.size == outcome.size == plan.size
    assert outcome.tokens == ctx.tokens(sent.size) == plan.tokens < ctx.tokens((1240, 1754))
    assert outcome.edit.detail is None and outcome.edit.media_resolution is None
    assert outcome.signals["fit_text_px"] >= LEGIBLE_TEXT_PX


def test_fit_on_gemini3_sets_only_the_level() -> None:
    outcome, ctx = _run(f.encode(pages.text_page(24).image, "PNG"), "google", "gemini-3-pro", cap=18.0)
    assert outcome.technique is Technique.FIT
    assert outcome.edit.data is None and outcome.edit.media_resolution == "MEDIA_RESOLUTION_MEDIUM"
    assert outcome.tokens == 560 and outcome.size == (1240, 1754)


def test_fit_measures_when_no_analysis_ran(ocr_engine: OcrEngine) -> None:
    """Applied on its own (a custom decider chose it), FIT measures the text first."""
    outcome, _ = _run(PAGE20, "openai", "gpt-4o", ocr=ocr_engine)
    assert outcome.technique is Technique.FIT, outcome.reason
    assert f.decode(outcome.edit.data).size == (724, 1024)


def test_fit_without_a_text_size_or_a_saving_sends_the_original() -> None:
    outcome, _ = _run(PAGE20, "openai", "gpt-4o")  # no measurement, no detector
    assert outcome.technique is Technique.PRESERVE and outcome.edit is None and "none was measured" in outcome.reason
    outcome, _ = _run(PAGE20, "openai", "gpt-4o", cap=9.0)  # illegible even untouched
    assert outcome.technique is Technique.PRESERVE and outcome.edit is None and "no size cheaper" in outcome.reason
    outcome, _ = _run(PAGE20, "google", "gemini-3-pro", cap=40.0, media_resolution="MEDIA_RESOLUTION_LOW")
    assert outcome.technique is Technique.PRESERVE and outcome.edit is None


def test_results_carry_the_new_wire_name() -> None:
    image = ImageResult(index=0, technique=Technique.FIT, original_tokens=1105, compressed_tokens=765,
                        confidence=0.9, reason="fit")
    assert image.changed and image.to_dict()["technique"] == "fit"
    assert CompressionResult(images=(image,)).to_dict()["technique"] == "fit"
    assert Technique("fit") is Technique.FIT and str(Technique.FIT) == "fit"
    assert [t.value for t in Technique][:4] == ["full_low", "preserve", "crop", "transcode"]


def test_metrics_count_fit_images() -> None:
    from headroom_edge.integrations.metrics import Metrics

    metrics = Metrics()
    image = ImageResult(index=0, technique=Technique.FIT, original_tokens=1105, compressed_tokens=765,
                        confidence=0.9, reason="fit")
    metrics.record_compression(CompressionResult(images=(image,)), 1000, 600, 0.2)
    assert 'headroom_images_total{technique="fit"} 1' in metrics.render()
