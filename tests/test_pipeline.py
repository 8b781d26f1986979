"""ImagePipeline on real slots (found by the real wire formats) and real images: each way an image
is left alone, the cache, and the result it reports. Deciders here are small real implementations
of the Decider protocol that always choose one technique, so each test controls the choice."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image

from headroom_edge.config import CompressionConfig, ImageLimits
from headroom_edge.context import SourceImage, TechniqueContext
from headroom_edge.decision.base import Decision
from headroom_edge.decision.decider import RulesDecider
from headroom_edge.formats import ANTHROPIC_MESSAGES, OPENAI_CHAT
from headroom_edge.formats.base import ImageSlot
from headroom_edge.pipeline import ImagePipeline
from headroom_edge.results import OVER_LIMIT
from headroom_edge.technique import Technique
from tests import factories as f


@dataclass
class Always:
    """Decides ``technique`` for every image and counts its calls."""

    technique: Technique
    name: str = "rules"
    calls: int = 0

    def decide(self, question: str, source: SourceImage, ctx: TechniqueContext) -> Decision:
        self.calls += 1
        return Decision(self.technique, 0.9, f"always {self.technique.value}", "rules")


def _slot(data: bytes, question: str = "What is this?", media_type: str = "image/jpeg") -> ImageSlot:
    (slot,) = OPENAI_CHAT.find_images(f.openai_chat_body(data, question, media_type=media_type))
    return slot


def _pipeline(decider: object, config: CompressionConfig | None = None) -> ImagePipeline:
    return ImagePipeline(config or CompressionConfig(), decider, None)  # type: ignore[arg-type]


def test_full_low_result_reports_tokens_sizes_and_both_reasons(jpeg: bytes) -> None:
    processed = _pipeline(Always(Technique.FULL_LOW)).process(_slot(jpeg), "openai", "gpt-4o")
    result = processed.result
    assert result.technique is Technique.FULL_LOW and result.decided_by == "rules"
    assert (result.original_tokens, result.compressed_tokens) == (765, 85)
    assert result.original_size == (1024, 1024) and result.compressed_size == (512, 512)
    assert result.reason.startswith("always full_low; ")
    assert processed.edit is not None and f.decode(processed.edit.data).size == (512, 512)
    assert result.error is None and result.seconds > 0


def test_a_repeat_is_a_cache_hit_with_the_new_slot_index(jpeg: bytes) -> None:
    decider = Always(Technique.FULL_LOW)
    pipeline = _pipeline(decider)
    first = pipeline.process(_slot(jpeg), "openai", "gpt-4o")
    again = pipeline.process(_slot(jpeg), "openai", "gpt-4o")
    assert decider.calls == 1 and again.result.cached and again.edit == first.edit
    # The same bytes and question as the second image of a request: the hit reports index 1.
    body = f.openai_chat_body(jpeg, "What is this?")
    body["messages"][1]["content"].insert(0, {"type": "image_url", "image_url": {"url": "https://x/y.png"}})
    second = pipeline.process(OPENAI_CHAT.find_images(body)[1], "openai", "gpt-4o")
    assert decider.calls == 1 and second.result.cached and second.result.index == 1
    # Another provider is another decision.
    other = pipeline.process(_slot(jpeg), "anthropic", None)
    assert decider.calls == 2 and not other.result.cached


def test_url_and_file_images_are_skipped_without_fetching() -> None:
    body = {"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": [
        {"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}},
        {"type": "image", "source": {"type": "file", "file_id": "file_1"}},
        {"type": "text", "text": "what is this?"},
    ]}]}
    decider = Always(Technique.FULL_LOW)
    for slot, what in zip(ANTHROPIC_MESSAGES.find_images(body), ("URL", "file id"), strict=True):
        processed = _pipeline(decider).process(slot, "anthropic", None)
        assert processed.edit is None
        assert processed.result.decided_by == "skip" and what in processed.result.reason
    assert decider.calls == 0


def test_a_payload_over_the_limit_passes_untouched(jpeg: bytes) -> None:
    config = CompressionConfig(limits=ImageLimits(max_payload_bytes=len(jpeg) - 1))
    processed = _pipeline(Always(Technique.FULL_LOW), config).process(_slot(jpeg), "openai", "gpt-4o")
    assert processed.edit is None
    assert processed.result.decided_by == OVER_LIMIT and processed.result.original_bytes == len(jpeg)
    assert processed.result.error is not None and "ImageTooLarge" in processed.result.error


def test_a_broken_image_fails_open_and_is_not_cached() -> None:
    pipeline = _pipeline(Always(Technique.FULL_LOW))
    broken = _slot(b"\xff\xd8\xff\xe0 not really a jpeg")
    for _ in range(2):
        processed = pipeline.process(broken, "openai", "gpt-4o")
        assert processed.edit is None
        assert processed.result.decided_by == "error" and processed.result.technique is Technique.PRESERVE
        assert processed.result.error and "not really" not in processed.result.error
    assert len(pipeline.cache) == 0


def test_an_animated_gif_is_never_rewritten() -> None:
    frames = [Image.new("RGB", (600, 600), c) for c in ("red", "blue")]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=100)
    decider = Always(Technique.FULL_LOW)
    processed = _pipeline(decider).process(_slot(buf.getvalue(), media_type="image/gif"), "openai", "gpt-4o")
    assert processed.edit is None and processed.result.decided_by == "skip"
    assert "animated" in processed.result.reason and decider.calls == 0


def test_a_disabled_technique_falls_back_to_preserve(jpeg: bytes) -> None:
    config = CompressionConfig(techniques=frozenset({Technique.PRESERVE, Technique.CROP}))
    processed = _pipeline(Always(Technique.FULL_LOW), config).process(_slot(jpeg), "openai", "gpt-4o")
    assert processed.edit is None and processed.result.technique is Technique.PRESERVE
    assert "disabled by configuration" in processed.result.reason
    assert processed.result.original_tokens == processed.result.compressed_tokens == 765


def test_transcode_without_ocr_keeps_the_image(jpeg: bytes) -> None:
    processed = _pipeline(Always(Technique.TRANSCODE)).process(_slot(jpeg), "openai", "gpt-4o")
    assert processed.edit is None and processed.result.technique is Technique.PRESERVE
    assert "OCR" in processed.result.reason


def test_the_rules_decide_a_region_question_into_a_crop() -> None:
    data = f.encode(f.quadrants(800), "PNG")
    processed = _pipeline(RulesDecider()).process(
        _slot(data, "what is in the top-right corner?", "image/png"), "openai", "gpt-4o")
    assert processed.result.technique is Technique.CROP and processed.result.decided_by == "rules"
    assert processed.result.signals["region"] == "top-right corner"


def _dense_page() -> bytes:
    """A 1240x1754 page of 28 px prose (~20 px capitals) that fills it to the bottom."""
    return f.encode(f.document(1240, 1754, size=28, text=f.LOREM * 12), "PNG")


def test_a_transcode_whose_text_costs_too_much_falls_back_to_fit(ocr_engine: object) -> None:
    """OCR is skipped after detection (the page's text would cost more than its pixels at this
    price), so the question that reads the text gets the smallest size that keeps every measured
    line legible, not the untouched original."""
    config = CompressionConfig(patch_multipliers=(("gpt-4.1-mini", 0.3),))
    pipeline = ImagePipeline(config, Always(Technique.TRANSCODE), ocr_engine)  # type: ignore[arg-type]
    slot = _slot(_dense_page(), "Transcribe this page.", "image/png")
    result = pipeline.process(slot, "openai", "gpt-4.1-mini").result
    assert result.technique is Technique.FIT, result.reason
    assert "OCR skipped before recognition" in result.reason and "every line kept legible" in result.reason
    assert result.signals["ocr_skipped"] == "tokens"
    assert result.compressed_tokens < result.original_tokens
    assert result.signals["fit_text_px"] >= 10.0  # the percentile at DETAIL_LEGIBLE_TEXT_PX at least


def test_the_fit_fallback_is_a_config_choice_and_never_follows_a_skip_for_time(ocr_engine: object) -> None:
    slot = _slot(_dense_page(), "Transcribe this page.", "image/png")
    off = CompressionConfig(patch_multipliers=(("gpt-4.1-mini", 0.3),), transcode_falls_back_to_fit=False)
    kept = ImagePipeline(off, Always(Technique.TRANSCODE), ocr_engine).process(slot, "openai", "gpt-4.1-mini")  # type: ignore[arg-type]
    assert kept.result.technique is Technique.PRESERVE and kept.edit is None
    hurried = CompressionConfig(ocr_budget_s=1e-4)
    out = ImagePipeline(hurried, Always(Technique.TRANSCODE), ocr_engine).process(slot, "openai", "gpt-4.1-mini")  # type: ignore[arg-type]
    assert out.result.technique is Technique.PRESERVE and "estimated recognition" in out.result.reason
    assert out.result.signals["ocr_skipped"] == "time"


def _legend_chart() -> bytes:
    """A 1600x1000 chart of three series with matplotlib's legend in its upper left."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    fig, ax = plt.subplots(figsize=(16, 10), dpi=100)
    for name, values in (("Norway", [3, 4, 6, 7, 9]), ("Sweden", [5, 5, 4, 6, 6]), ("Denmark", [2, 3, 3, 5, 4])):
        ax.plot([2019, 2020, 2021, 2022, 2023], values, label=name, linewidth=2)
    ax.set_title("Exports", fontsize=22)
    ax.legend(loc="upper left", fontsize=16)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def test_a_legend_question_sends_only_the_legend_and_tesseract_still_reads_it(ocr_engine: object) -> None:
    """End to end on the rules decider: the legend is located, cropped at the scale the model
    saw it inside the whole chart, costs fewer tokens, and an independent OCR (Tesseract, not
    our PP-OCR) reads every series name from what is sent."""
    import shutil
    import subprocess
    import tempfile

    import pytest

    from headroom_edge.analysis.signals import ImageAnalyzer
    from headroom_edge.decision.decider import PolicyDecider

    if shutil.which("tesseract") is None:
        pytest.skip("tesseract-ocr is not installed")  # scripts/install.sh --dev installs it
    decider = PolicyDecider(RulesDecider(), ImageAnalyzer(ocr_engine))
    pipeline = ImagePipeline(CompressionConfig(), decider, ocr_engine)  # type: ignore[arg-type]
    processed = pipeline.process(_slot(_legend_chart(), "What does the legend say?", "image/png"),
                                 "anthropic", "claude-sonnet-4-5")
    result = processed.result
    assert result.technique is Technique.CROP and result.signals["region"] == "legend"
    assert result.compressed_tokens < result.original_tokens / 4
    assert processed.edit is not None
    with tempfile.NamedTemporaryFile(suffix=".png") as out:
        f.decode(processed.edit.data).save(out.name)
        read = subprocess.run(["tesseract", out.name, "-", "--psm", "6"], capture_output=True, text=True,
                              check=True, timeout=60).stdout
    for name in ("Norway", "Sweden", "Denmark"):
        assert name in read, read
