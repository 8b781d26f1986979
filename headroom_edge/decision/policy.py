"""Policy: how measured image signals change the technique the question asked for.

| # | question wants | the image shows                                                  | result    |
|---|----------------|------------------------------------------------------------------|-----------|
| 0 | anything       | any image of a request that declares a computer-use tool: the    | preserve  |
|   |                | model answers in the screenshot's pixels (``keep_geometry``)     |           |
| 1 | full_low       | text that the low-detail size makes illegible: the smallest       | preserve  |
|   |                | detected text is below ``LEGIBLE_TEXT_PX`` after the shrink, or -  |           |
|   |                | where the detector measured no text size - a graphic that loses   |           |
|   |                | at least ``TEXT_DETAIL_LOSS`` of its detail                       |           |
| 2 | full_low       | SigLIP (when installed) says page/screenshot/table/receipt/code   | preserve  |
|   |                | with p >= ``SIGLIP_TEXT_P`` and the detector sees text            |           |
| 3 | transcode      | no text at all (no detected text, not a document-like graphic,    | preserve  |
|   |                | SigLIP, if present, does not call it text)                       |           |
| 4 | anything else  | -                                                                | unchanged |

Two further rows live where the numbers are known: an image already at or below the low-detail
cost is left alone (``techniques.full_low``: nothing to shrink, no field to set), and a crop is
never smaller than ``MIN_CROP_SIDE`` so the region stays legible (``techniques.crop``).
Policy only ever moves towards keeping more pixels: a signal can make an answer safer, never cheaper
than the question allows.
"""

from __future__ import annotations

from dataclasses import replace

from headroom_edge.analysis.signals import ImageSignals
from headroom_edge.decision.base import Decision
from headroom_edge.formats.tools import ComputerUse
from headroom_edge.technique import Technique

LEGIBLE_TEXT_PX = 8.0
"""Below ~8 px cap height, Latin text stops being reliably legible to vision models and to OCR."""
TEXT_DETAIL_LOSS = 0.30
"""detail_loss of rendered pages shrunk to low detail measures 0.40-0.66; photos 0.03-0.16."""
SIGLIP_TEXT_P = 0.5
SIGLIP_TEXT_LABELS = frozenset({"document", "screenshot", "table", "receipt", "code", "handwriting"})


def _siglip_says_text(signals: ImageSignals) -> bool:
    if not signals.siglip:
        return False
    return any(signals.siglip.get(label, 0.0) >= SIGLIP_TEXT_P for label in SIGLIP_TEXT_LABELS)


def review(decision: Decision, signals: ImageSignals, *, original_size: tuple[int, int], low_size: tuple[int, int]) -> Decision:
    """The decision after the policy table above; ``signals`` are attached in every case."""
    attached = {**decision.signals, **signals.to_dict()}
    if decision.technique is Technique.FULL_LOW:
        shrink = low_size[0] / original_size[0]
        smallest = signals.smallest_text_px
        if smallest is not None and signals.text_boxes > 0:
            if smallest * shrink < LEGIBLE_TEXT_PX:
                return _escalate(decision, attached, f"general question, but its {smallest:.0f}px text would be "
                                 f"{smallest * shrink:.1f}px at low detail: kept legible (policy row 1)")
        elif signals.graphic and (signals.low_detail_loss or 0.0) >= TEXT_DETAIL_LOSS:
            return _escalate(decision, attached, f"general question on a graphic that low detail would blur "
                             f"(detail loss {signals.low_detail_loss:.2f}): kept legible (policy row 1)")
        if signals.text_boxes > 0 and _siglip_says_text(signals):
            return _escalate(decision, attached, "general question, but SigLIP sees a page/screenshot "
                             "with text: kept legible (policy row 2)")
    if decision.technique is Technique.TRANSCODE and signals.text_boxes == 0 and not signals.graphic \
            and not _siglip_says_text(signals):
        return replace(decision, technique=Technique.PRESERVE, decided_by="policy", signals=attached,
                       reason=f"{decision.reason}; but the image shows no text to transcribe: kept (policy row 3)")
    return replace(decision, signals=attached)


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
