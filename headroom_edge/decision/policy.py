"""Policy: how the question's kind and measured image signals change the technique it asked for.

| # | question wants | the image shows / the question is                                   | result    |
|---|----------------|-----------------------------------------------------------------------|-----------|
| 0 | anything       | any image of a request that declares a computer-use tool: the model  | preserve  |
|   |                | answers in the screenshot's pixels (``keep_geometry``)               |           |
| 1 | full_low       | text the low-detail view makes illegible: the smallest text's cap     | fit       |
|   |                | height is below ``LEGIBLE_TEXT_PX`` where the model looks at low      |           |
|   |                | detail (``lowdetail.low_view_size``: Gemini 3 LOW's modelled view,    |           |
|   |                | not the 1024 px sent), and some size on the provider's grid (Gemini 3:|           |
|   |                | a media-resolution level) keeps it legible for fewer tokens           |           |
|   |                | (``fitplan.fit_plan``)                                               |           |
| 1b| full_low       | as row 1, but no size cheaper than the original keeps the text        | preserve  |
|   |                | legible; or - where no text size was measured - a graphic that low    |           |
|   |                | detail blurs by at least ``TEXT_DETAIL_LOSS``                          |           |
| 2 | full_low       | SigLIP (when installed) says page/screenshot/table/receipt/code       | preserve  |
|   |                | with p >= ``SIGLIP_TEXT_P`` and the detector sees text                |           |
| 3 | transcode      | no text at all (no detected text, not a document-like graphic,       | preserve  |
|   |                | SigLIP, if present, does not call it text)                           |           |
| 4 | transcode      | a detail question: a count, an instrument reading, a value on a      | preserve  |
|   |                | chart (``decision.detail``): the transcript lacks what it asks for   |           |
| 6 | preserve       | a page, chart or screenshot whose every measured line stays legible   | fit       |
|   | (router/rules) | (the smallest line at ``LEGIBLE_TEXT_PX``, the low percentile at      |           |
|   |                | ``DETAIL_LEGIBLE_TEXT_PX``) at some size cheaper than the original    |           |
|   |                | (``config.fit_preserve_questions``)                                  |           |
| 7 | crop of a part | the part the question names with no position ("the legend") is       | crop      |
|   | (``part``)     | located in the image (``analysis.parts``): crop it                    |           |
| 7b| crop of a part | not located, or not unambiguously                                     | preserve  |
| 5 | anything else  | -                                                                    | unchanged |

Further rows live where the numbers are known: an image already at or below the low-detail
cost is left alone (``techniques.full_low``: nothing to shrink, no field to set); a crop is
never smaller than ``MIN_CROP_SIDE`` so the region stays legible (``techniques.crop``); a
text-extraction question keeps a thumbnail next to its OCR text so the layout stays usable
(``techniques.transcode``); and any rewrite that would not save tokens is sent untouched
(``pipeline``).
Policy only ever moves towards keeping more pixels: a signal can make an answer safer, never
cheaper than the question allows (FIT costs more than FULL_LOW, less only than the original).
"""

from __future__ import annotations

from dataclasses import replace

from headroom_edge.analysis.parts import LocatedPart
from headroom_edge.analysis.signals import ImageSignals
from headroom_edge.context import Region
from headroom_edge.decision.base import Decision
from headroom_edge.decision.detail import is_detail_question
from headroom_edge.fitplan import (
    LEGIBLE_TEXT_PX,
    FitPlan,
    every_line_bar,
    fit_plan,
    text_in_view,
)
from headroom_edge.formats.tools import ComputerUse
from headroom_edge.lowdetail import low_view_size
from headroom_edge.technique import Technique
from headroom_edge.tokens import ModelFamily

TEXT_DETAIL_LOSS = 0.30
"""detail_loss of rendered pages shrunk to low detail measures 0.40-0.66; photos 0.03-0.16."""
SIGLIP_TEXT_P = 0.5
SIGLIP_TEXT_LABELS = frozenset({"document", "screenshot", "table", "receipt", "code", "handwriting"})

__all__ = ["LEGIBLE_TEXT_PX", "keep_geometry", "review", "review_part", "review_preserve", "review_question"]  # the threshold's home: fitplan


def _siglip_says_text(signals: ImageSignals) -> bool:
    if not signals.siglip:
        return False
    return any(signals.siglip.get(label, 0.0) >= SIGLIP_TEXT_P for label in SIGLIP_TEXT_LABELS)


def review_question(decision: Decision, question: str) -> Decision | None:
    """Row 4, asked before any image analysis (the question alone decides it): a detail question
    the router sent to transcode keeps its pixels. None: no question row applies."""
    if decision.technique is Technique.TRANSCODE and is_detail_question(question):
        return replace(decision, technique=Technique.PRESERVE, decided_by="policy",
                       reason=f"{decision.reason}; but a count, reading or chart value is not in "
                              "the transcript: pixels kept (policy row 4)")
    return None


def review_part(decision: Decision, located: LocatedPart | None) -> Decision:
    """Rows 7 and 7b: a crop of a part with no fixed place goes to where analysis found it; a
    part not found (or found twice) keeps the whole image, as an unreadable region does."""
    part = decision.part or "part"
    if located is None:
        return replace(decision, technique=Technique.PRESERVE, decided_by="policy",
                       reason=f"{decision.reason}; but the {part} was not located in the image: kept whole "
                              "(policy row 7b)")
    found = {"located": {"part": located.name, "box": [round(v, 4) for v in located.box],
                         "entries": located.entries}}
    return replace(decision, region=Region(located.name, located.box), decided_by="policy",
                   signals={**decision.signals, **found},
                   reason=f"{decision.reason}; the {located.name} located in the image ({located.entries} entries, "
                          "policy row 7)")


def review(decision: Decision, signals: ImageSignals, *, family: ModelFamily, original_size: tuple[int, int],
           detail: str | None = None, media_resolution: str | None = None) -> Decision:
    """The decision after the image rows of the table above; ``signals`` are attached in every
    case. ``family``, ``detail`` and ``media_resolution`` are the request's (they price the plans)."""
    attached = {**decision.signals, **signals.to_dict()}
    if decision.technique is Technique.FULL_LOW:
        smallest = signals.smallest_text_px
        if smallest is not None and signals.text_boxes > 0:
            at_low = text_in_view(smallest, original_size, low_view_size(family, original_size))
            if at_low < LEGIBLE_TEXT_PX:
                return _legible(decision, attached, family, original_size, smallest, at_low, detail, media_resolution)
        elif signals.graphic and (signals.low_detail_loss or 0.0) >= TEXT_DETAIL_LOSS:
            return _escalate(decision, attached, f"general question on a graphic that low detail would blur "
                             f"(detail loss {signals.low_detail_loss:.2f}): kept legible (policy row 1b)")
        if signals.text_boxes > 0 and _siglip_says_text(signals):
            return _escalate(decision, attached, "general question, but SigLIP sees a page/screenshot "
                             "with text: kept legible (policy row 2)")
    if decision.technique is Technique.TRANSCODE and signals.text_boxes == 0 and not signals.graphic \
            and not _siglip_says_text(signals):
        return replace(decision, technique=Technique.PRESERVE, decided_by="policy", signals=attached,
                       reason=f"{decision.reason}; but the image shows no text to transcribe: kept (policy row 3)")
    return replace(decision, signals=attached)


def review_preserve(decision: Decision, signals: ImageSignals, *, family: ModelFamily,
                    original_size: tuple[int, int], detail: str | None = None,
                    media_resolution: str | None = None) -> Decision:
    """Row 6: a question that wanted the untouched image, on a graphic whose text analysis
    measured, gets the cheapest size that keeps every measured line legible: the smallest line
    at ``LEGIBLE_TEXT_PX`` and the low percentile at ``DETAIL_LEGIBLE_TEXT_PX``. What such a
    question reads (figures, versions, labels) is text, and the figure asked for may sit in the
    one small line (a screenshot's status bar, a footnote), so the percentile alone is not the
    bar. Without a measured text size (photos, blank graphics), or without a saving, the
    original stays."""
    attached = {**decision.signals, **signals.to_dict()}
    smallest = signals.smallest_text_px
    if decision.technique is not Technique.PRESERVE or not signals.graphic or smallest is None \
            or signals.text_boxes == 0:
        return replace(decision, signals=attached)
    bar = every_line_bar(smallest, signals.least_text_px)
    plan = fit_plan(family, original_size, smallest, bar, detail=detail, media_resolution=media_resolution)
    if plan is None:
        return replace(decision, signals=attached)
    least = signals.least_text_px or smallest
    return _fit(decision, attached, f"its smallest line ({least:.1f}px) stays "
                f"{plan.text_px * least / smallest:.1f}px at fit {_shown(plan)} for {plan.tokens} tokens "
                "(policy row 6)", bar)


def _legible(decision: Decision, signals: dict[str, object], family: ModelFamily, size: tuple[int, int],
             smallest: float, at_low: float, detail: str | None, media_resolution: str | None) -> Decision:
    """Rows 1 and 1b: the smallest sufficient resolution, or the original where none saves."""
    why = f"general question, but its {smallest:.1f}px text would be {at_low:.1f}px at low detail"
    plan = fit_plan(family, size, smallest, LEGIBLE_TEXT_PX, detail=detail, media_resolution=media_resolution)
    if plan is None:
        return _escalate(decision, signals, f"{why}, and no cheaper size keeps it legible: kept (policy row 1b)")
    return _fit(decision, signals, f"{why}: fit {_shown(plan)} keeps it {plan.text_px:.1f}px "
                f"for {plan.tokens} tokens (policy row 1)")


def _shown(plan: FitPlan) -> str:
    """A FIT plan as its reason names it: the Gemini level it sets, else the size it sends."""
    return plan.media_resolution or f"{plan.size[0]}x{plan.size[1]}"


def _fit(decision: Decision, signals: dict[str, object], why: str, legible_px: float | None = None) -> Decision:
    """The decision turned into FIT by a policy row (1 or 6), with that row's reason appended."""
    return replace(decision, technique=Technique.FIT, decided_by="policy", signals=signals,
                   legible_px=legible_px, reason=f"{decision.reason}; {why}")


def keep_geometry(computer_use: ComputerUse) -> Decision:
    """Row 0, asked before the question is routed: a computer-use model's clicks, drags and
    scrolls are coordinates in the screenshot it was shown, so any resize or crop moves every one
    of them. Only the untouched image keeps them right; the question does not matter."""
    signals: dict[str, object] = {"computer_use": computer_use.declared_by}
    if computer_use.display is not None:
        signals["display"] = list(computer_use.display)
    return Decision(Technique.PRESERVE, 1.0, f"{computer_use.describe()}: geometry kept (policy row 0)",
                    "policy", signals=signals)


def _escalate(decision: Decision, signals: dict[str, object], why: str) -> Decision:
    return replace(decision, technique=Technique.PRESERVE, decided_by="policy", signals=signals,
                   reason=f"{decision.reason}; {why}")
