"""The three deciders on real images: rules, the trained router (when its files are installed),
and the policy wrapper, which must measure exactly the low-detail size FULL_LOW would send."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from headroom_edge.analysis.signals import ImageAnalyzer
from headroom_edge.config import CompressionConfig
from headroom_edge.context import SourceImage, TechniqueContext
from headroom_edge.decision.decider import PolicyDecider, RouterDecider, RulesDecider
from headroom_edge.imaging import probe_image
from headroom_edge.lowdetail import low_plan, patch_budget_size
from headroom_edge.technique import Technique
from tests import factories as f


def _inputs(data: bytes, provider: str = "openai", model: str | None = "gpt-4o",
            config: CompressionConfig | None = None) -> tuple[SourceImage, TechniqueContext]:
    config = config or CompressionConfig()
    source = SourceImage(data=data, info=probe_image(data, config.limits), config=config)
    return source, TechniqueContext(provider, model, None, None, config)


@dataclass
class Recording:
    """The real analyzer, with its arguments recorded."""

    inner: ImageAnalyzer = field(default_factory=lambda: ImageAnalyzer(None))
    calls: list[tuple[Any, ...]] = field(default_factory=list)
    views: list[tuple[int, int] | None] = field(default_factory=list)

    def analyze(self, source: SourceImage, low_size: tuple[int, int], purpose: str = "legibility",
                view_size: tuple[int, int] | None = None) -> Any:
        self.calls.append((low_size, purpose))
        self.views.append(view_size)
        return self.inner.analyze(source, low_size, purpose, view_size)

    def locate(self, source: SourceImage, part: str) -> Any:
        self.calls.append(("locate", part))
        return self.inner.locate(source, part)


def test_rules_decider_names_itself() -> None:
    source, ctx = _inputs(f.photo_jpeg())
    decision = RulesDecider().decide("what is in the top-left corner?", source, ctx)
    assert decision.technique is Technique.CROP and decision.decided_by == "rules"
    assert decision.region is not None and decision.region.name == "top-left corner"


@pytest.mark.parametrize(("question", "technique", "purpose"), [
    ("What animal is this?", Technique.FULL_LOW, "legibility"),
    ("Transcribe the text in this image.", Technique.TRANSCODE, "presence"),
])
def test_policy_analyses_at_the_low_detail_size_of_the_family(question: str, technique: Technique,
                                                             purpose: str) -> None:
    analyzer = Recording()
    source, ctx = _inputs(f.photo_jpeg(2000, 1000))
    decision = PolicyDecider(RulesDecider(), analyzer).decide(question, source, ctx)  # type: ignore[arg-type]
    assert analyzer.calls == [((512, 256), purpose)]
    assert decision.technique in (technique, Technique.PRESERVE)
    assert "graphic" in decision.signals


def test_policy_measures_what_a_multiplier_override_would_send() -> None:
    analyzer = Recording()
    config = CompressionConfig(patch_multipliers=(("gpt-4o", 1.0),))
    source, ctx = _inputs(f.photo_jpeg(2000, 1000), config=config)
    PolicyDecider(RulesDecider(), analyzer).decide("What animal is this?", source, ctx)  # type: ignore[arg-type]
    assert analyzer.calls == [(patch_budget_size((2000, 1000)), "legibility")]
    assert analyzer.calls[0][0] == low_plan(ctx.family, source.size)[0]


@pytest.mark.parametrize("question", ["How many buttons are on the suit?", "what is in the top-left corner?", ""])
def test_policy_does_not_analyse_decisions_it_cannot_change(question: str) -> None:
    """Crop never; preserve only for row 6 (``fit_preserve_questions``), switched off here."""
    analyzer = Recording()
    source, ctx = _inputs(f.photo_jpeg(), config=CompressionConfig(fit_preserve_questions=False))
    decision = PolicyDecider(RulesDecider(), analyzer).decide(question, source, ctx)  # type: ignore[arg-type]
    assert decision.technique in (Technique.PRESERVE, Technique.CROP)
    assert analyzer.calls == [] and decision.decided_by == "rules"


def test_policy_decider_is_named_after_what_it_wraps() -> None:
    assert PolicyDecider(RulesDecider(), Recording()).name == "rules+policy"  # type: ignore[arg-type]


def test_router_decider_reads_the_region_of_a_crop() -> None:
    from headroom_edge.router import QueryRouter, RouterUnavailableError

    try:
        router = QueryRouter()
    except RouterUnavailableError as exc:  # the router's files are optional
        pytest.skip(f"no router model installed: {exc}")
    source, ctx = _inputs(f.photo_jpeg())
    decision = RouterDecider(router).decide("what is in the top-left corner?", source, ctx)
    assert decision.decided_by == "router"
    assert set(decision.signals["router_probabilities"]) == {t.value for t in Technique if t is not Technique.FIT}
    if decision.technique is Technique.CROP:
        assert decision.region is not None and decision.region.name == "top-left corner"
    else:
        assert decision.region is None


def test_policy_reviews_a_preserve_question_for_row6() -> None:
    analyzer = Recording()
    source, ctx = _inputs(f.photo_jpeg(), config=CompressionConfig(fit_preserve_questions=True))
    PolicyDecider(RulesDecider(), analyzer).decide("How many buttons are on the suit?", source, ctx)  # type: ignore[arg-type]
    assert [call[1] for call in analyzer.calls] == ["legibility"]


@pytest.mark.parametrize("question", ["What animal is this?", "Read the serial number.", "What is in the top-left corner?",
                                      "How many buttons are on the suit?"])
def test_a_decision_finished_from_its_question_step_equals_the_whole_one(question: str) -> None:
    """The pipeline may ask the question on its helper thread first (``ask``) and finish the
    decision from that answer later; the outcome must be the one ``decide`` reaches alone."""
    source_a, ctx = _inputs(f.photo_jpeg())
    source_b, _ = _inputs(f.photo_jpeg())
    policy = PolicyDecider(RulesDecider(), Recording())  # type: ignore[arg-type]
    asked = policy.ask(question)
    assert asked is not None
    finished = policy.decide(question, source_b, ctx, asked=asked)
    whole = policy.decide(question, source_a, ctx)
    untimed = {k: v for k, v in whole.signals.items() if k != "seconds"}
    assert replace(finished, signals={k: v for k, v in finished.signals.items() if k != "seconds"}) == \
        replace(whole, signals=untimed)


def test_only_a_model_run_is_worth_asking_on_another_thread() -> None:
    assert RulesDecider.slow_to_ask is False and RouterDecider.slow_to_ask is True
    assert PolicyDecider(RulesDecider(), Recording()).slow_to_ask is False  # type: ignore[arg-type]

    class ImageFirst:
        """A decider that needs the image from the start (no question step)."""

        name = "custom"

        def decide(self, question: str, source: SourceImage, ctx: TechniqueContext) -> Any:
            raise AssertionError("not called")

    policy = PolicyDecider(ImageFirst(), Recording())  # type: ignore[arg-type]
    assert policy.ask("What is this?") is None and policy.slow_to_ask is False


def _legend_chart() -> bytes:
    import io

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5), dpi=128)
    for name, values in (("Norway", [3, 4, 6, 7]), ("Sweden", [5, 5, 4, 6]), ("Denmark", [2, 3, 3, 5])):
        ax.plot([2020, 2021, 2022, 2023], values, label=name)
    ax.legend(loc="lower right")
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def test_policy_crops_the_legend_where_analysis_finds_it(ocr_engine: Any) -> None:
    source, ctx = _inputs(_legend_chart(), "anthropic", "claude-sonnet-4-5")
    analyzer = Recording(ImageAnalyzer(ocr_engine))
    decision = PolicyDecider(RulesDecider(), analyzer).decide("What does the legend say?", source, ctx)  # type: ignore[arg-type]
    assert analyzer.calls == [("locate", "legend")]
    assert decision.technique is Technique.CROP and decision.decided_by == "policy"
    assert decision.region is not None and decision.region.name == "legend"
    left, top, right, bottom = decision.region.box
    assert left > 0.5 and top > 0.5 and right <= 1.0 and bottom <= 1.0  # matplotlib's lower right
    assert "row 7" in decision.reason and decision.signals["located"]["part"] == "legend"


def test_policy_keeps_an_image_whose_legend_is_not_found(ocr_engine: Any) -> None:
    source, ctx = _inputs(f.photo_jpeg())
    decision = PolicyDecider(RulesDecider(), ImageAnalyzer(ocr_engine)).decide("What does the legend say?", source, ctx)
    assert decision.technique is Technique.PRESERVE and decision.region is None
    assert "row 7b" in decision.reason
