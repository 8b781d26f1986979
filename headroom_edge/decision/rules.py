"""The explicit rule set that maps a question to a technique.

This is not the trained router: it is the documented fallback used when the router's model files
are missing (and the baseline the router is measured against). Rules are checked in order, the
first match wins:

1. no question at all                      -> PRESERVE  (intent unknown: keep every pixel)
2. a named region (see ``regions``)        -> CROP      ("what is in the top-left corner?")
3. small text or a reading inside a scene -> PRESERVE (serial number, plate, price tag, brand, clock,
                                               gauge: OCR of a scene would lose which text is meant)
4. the text itself is the answer           -> TRANSCODE ("read", "transcribe", "OCR", "extract the
                                               text", "translate", "summarise this document",
                                               "convert this receipt to JSON")
5. fine detail is needed                   -> PRESERVE  (counting, exact readings, small text in a
                                               scene such as brand/serial/plate/price, defects,
                                               exact chart values)
6. anything else                           -> FULL_LOW  (gist, scene, category, colours, captions)

Region wins over transcode because a crop keeps the pixels of the named area at full resolution,
which serves "read the label in the top-right corner" as well as OCR would, without OCR's risk.
"""

from __future__ import annotations

import re

from headroom_edge.decision.base import Decision
from headroom_edge.decision.regions import parse_region
from headroom_edge.technique import Technique


def _rx(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")", re.IGNORECASE)


TRANSCODE_RX = _rx(
    r"read (?:out |me |aloud )?(?:the |this |all |every |what|it\b|everything)",
    r"transcri(?:be|ption)",
    r"\bocr\b",
    r"extract (?:the |all |any )?(?:text|words|content|data|fields|table|line items)",
    r"(?:copy|type|write) (?:out |down )?(?:the |all )?(?:text|words)",
    r"what (?:does|do) (?:it|this|the \w+(?: \w+)?) say",
    r"what(?:'s| is) written",
    r"translate",
    r"summari[sz]e (?:this|the|that) (?:document|page|article|letter|pdf|paper|text|contract|report|email|receipt|invoice|memo|form|slide)",
    r"convert (?:this|the|that|it)\b.*\bto (?:json|csv|markdown|a table|text|excel|yaml)",
    r"(?:turn|put) (?:this|the|it)\b.*\binto (?:json|csv|markdown|a table|text)",
    r"(?:as|in|into) (?:json|csv|markdown)\b",
    r"text (?:in|on|of) (?:this|the) (?:image|picture|document|page|screenshot|scan)",
    r"verbatim",
    r"word for word",
)

SCENE_TEXT_RX = _rx(
    r"serial",
    r"model (?:number|no)",
    r"part number",
    r"license plate|licence plate|number plate|plate number",
    r"price",
    r"brand",
    r"logo",
    r"barcode|qr code",
    r"clock|gauge|meter\b|dial|thermometer|speedometer|odometer|scale reading",
)

PRESERVE_RX = _rx(
    r"how many",
    r"count(?:ing)?\b",
    r"number of",
    r"fine print|small print|tiny|smallest|small text",
    r"exact(?:ly)?\b|precise(?:ly)?",
    r"what time",
    r"defect|scratch|crack|dent|damage|flaw|rust|stain|blemish",
    r"value (?:of|at|for)|data point|y-axis|x-axis|axis label|legend",
    r"measure(?:ment)?",
    r"detail(?:ed|s)? (?:of|on|in)",
    r"zoom",
    r"label (?:on|of)",
    r"ingredients|nutrition",
    r"spell(?:ing|ed)?\b",
    r"pixel",
)


class RuleSelector:
    """Maps a question to a :class:`Decision` with the ordered rules in the module docstring."""

    name = "rules"

    def select(self, question: str) -> Decision:
        text = (question or "").strip()
        if not text:
            return Decision(Technique.PRESERVE, 0.5, "no question to route on", self.name)
        region = parse_region(text)
        if region is not None:
            return Decision(Technique.CROP, 0.8, f"question names a region ({region.name})", self.name, region)
        match = SCENE_TEXT_RX.search(text)
        if match:
            return Decision(Technique.PRESERVE, 0.8, f"small text or reading inside a scene ({match.group(0)!r})", self.name)
        match = TRANSCODE_RX.search(text)
        if match:
            return Decision(Technique.TRANSCODE, 0.8, f"asks for the text itself ({match.group(0)!r})", self.name)
        match = PRESERVE_RX.search(text)
        if match:
            return Decision(Technique.PRESERVE, 0.8, f"needs fine detail ({match.group(0)!r})", self.name)
        return Decision(Technique.FULL_LOW, 0.6, "general question", self.name)
