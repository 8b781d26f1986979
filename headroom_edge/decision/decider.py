"""The object the compressor asks "which technique for this image?".

A decider sees the question and the source image (header info, pixels on demand) and returns a
:class:`Decision`. ``RulesDecider`` uses only the question rules; the trained router and image
analysis plug in behind the same method.
"""

from __future__ import annotations

from typing import Protocol

from headroom_edge.decision.base import Decision
from headroom_edge.decision.rules import RuleSelector
from headroom_edge.techniques.base import SourceImage, TechniqueContext


class Decider(Protocol):
    name: str

    def decide(self, question: str, source: SourceImage, ctx: TechniqueContext) -> Decision: ...


class RulesDecider:
    """Question rules only (the documented fallback when no router model is installed)."""

    name = "rules"

    def __init__(self, rules: RuleSelector | None = None) -> None:
        self.rules = rules or RuleSelector()

    def decide(self, question: str, source: SourceImage, ctx: TechniqueContext) -> Decision:
        return self.rules.select(question)
