"""The object the compressor asks "which technique for this image?".

A decider sees the question and the source image (header info, pixels on demand) and returns a
:class:`Decision`. Three layers, each replaceable:

* :class:`RulesDecider`: the documented question rules (fallback without router files);
* :class:`RouterDecider`: the trained int8 MiniLM query router;
* :class:`PolicyDecider`: wraps either and lets the question's kind and measured image signals
  change the technique (see :mod:`headroom_edge.decision.policy`), FIT included.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from headroom_edge.context import SourceImage, TechniqueContext
from headroom_edge.decision.base import Decision
from headroom_edge.decision.policy import review, review_part, review_preserve, review_question
from headroom_edge.decision.regions import parse_part, parse_region
from headroom_edge.decision.rules import RuleSelector
from headroom_edge.lowdetail import low_view_size
from headroom_edge.technique import Technique
from headroom_edge.tokens import family_view_size

if TYPE_CHECKING:
    from headroom_edge.analysis.signals import ImageAnalyzer, ImageSignals
    from headroom_edge.router import QueryRouter


class Decider(Protocol):
    name: str

    def decide(self, question: str, source: SourceImage, ctx: TechniqueContext) -> Decision: ...


@runtime_checkable
class AsksFirst(Protocol):
    """A decider whose first step reads the question alone, so it can run before the image is
    decoded, on another thread (the pipeline's helper: :mod:`headroom_edge.overlap`).

    ``ask(question)`` is that step (None: this decider needs the image from the start);
    ``decide(..., asked=d)`` finishes a decision from it exactly as ``decide`` would have.
    ``slow_to_ask`` says whether the step costs enough (a model run) to be worth a thread hop.
    """

    name: str
    slow_to_ask: bool

    def ask(self, question: str) -> Decision | None: ...

    def decide(self, question: str, source: SourceImage, ctx: TechniqueContext,
               asked: Decision | None = None) -> Decision: ...


class _QuestionOnly:
    """A decider that reads the question alone: ``decide`` is its ``ask`` (or the answer the
    pipeline's helper already got from it)."""

    def ask(self, question: str) -> Decision:
        raise NotImplementedError

    def decide(self, question: str, source: SourceImage, ctx: TechniqueContext,
               asked: Decision | None = None) -> Decision:
        return asked if asked is not None else self.ask(question)


class RulesDecider(_QuestionOnly):
    """Question rules only (the documented fallback when no router model is installed)."""

    name = "rules"
    slow_to_ask = False  # regular expressions: microseconds, never worth a thread hop

    def __init__(self, rules: RuleSelector | None = None) -> None:
        self.rules = rules or RuleSelector()

    def ask(self, question: str) -> Decision:
        return self.rules.select(question)


class RouterDecider(_QuestionOnly):
    """The trained query router; the region of a CROP comes from the question's words."""

    name = "router"
    slow_to_ask = True  # a model run: milliseconds, which another core can hide

    def __init__(self, router: QueryRouter) -> None:
        self.router = router

    def ask(self, question: str) -> Decision:
        route = self.router.classify(question)
        probabilities = {k: round(v, 4) for k, v in route.probabilities.items()}
        if route.fallback:
            reason = f"router unsure ({route.confidence:.2f}): safe choice {route.technique.value}"
        else:
            reason = f"router: {route.technique.value} ({route.confidence:.2f})"
        region = parse_region(question) if route.technique is Technique.CROP else None
        part = parse_part(question) if route.technique is Technique.CROP and region is None else None
        return Decision(route.technique, route.confidence, reason, self.name, region,
                        {"router_probabilities": probabilities}, part=part)


class PolicyDecider:
    """Lets the question's kind and image analysis overrule the question's technique where the
    image demands it (see :mod:`headroom_edge.decision.policy`).

    Analysis runs only for decisions it can change (FULL_LOW, TRANSCODE, and PRESERVE while
    ``config.fit_preserve_questions`` is on: row 6), so crop questions pay nothing for it; a
    detail question routed to transcode is kept before any image analysis (policy row 4), and
    then reviewed as any preserve question. The legibility measurement is told what the model sees of the
    untouched image (``family_view_size``), so the detector reads the image at the resolution
    that matters, and the policy judges the low-detail view, not the pixels sent.
    """

    def __init__(self, inner: Decider, analyzer: ImageAnalyzer) -> None:
        self.inner = inner
        self.analyzer = analyzer
        self.name = f"{inner.name}+policy"
        self.slow_to_ask: bool = isinstance(inner, AsksFirst) and inner.slow_to_ask

    def ask(self, question: str) -> Decision | None:
        """The inner decider's question-only step (None when it needs the image)."""
        return self.inner.ask(question) if isinstance(self.inner, AsksFirst) else None

    def decide(self, question: str, source: SourceImage, ctx: TechniqueContext,
               asked: Decision | None = None) -> Decision:
        decision = asked if asked is not None else self.inner.decide(question, source, ctx)
        kept = review_question(decision, question)
        if kept is not None:
            decision = kept
        if decision.technique is Technique.CROP and decision.region is None and decision.part is not None:
            return review_part(decision, self.analyzer.locate(source, decision.part))
        if decision.technique is Technique.PRESERVE and ctx.config.fit_preserve_questions \
                and Technique.FIT in ctx.config.techniques:
            signals = self._legibility(source, ctx)
            return review_preserve(decision, signals, family=ctx.family, original_size=source.size,
                                   detail=ctx.detail, media_resolution=ctx.media_resolution)
        if decision.technique not in (Technique.FULL_LOW, Technique.TRANSCODE):
            return decision
        if decision.technique is Technique.TRANSCODE:
            signals = self.analyzer.analyze(source, low_view_size(ctx.family, source.size), "presence")
        else:
            signals = self._legibility(source, ctx)
        return review(decision, signals, family=ctx.family, original_size=source.size, detail=ctx.detail,
                      media_resolution=ctx.media_resolution)

    def _legibility(self, source: SourceImage, ctx: TechniqueContext) -> ImageSignals:
        """The legibility analysis rows 1 and 6 judge: the detector reads the image at what the
        model resolves of it untouched (``family_view_size``), and the blur measure compares at
        what it resolves of the low-detail plan (on Gemini 3 LOW far less than the 1024 px sent:
        ``lowdetail.low_view_size``)."""
        view = family_view_size(ctx.family, *source.size, ctx.detail, ctx.media_resolution)
        return self.analyzer.analyze(source, low_view_size(ctx.family, source.size), "legibility", view_size=view)
