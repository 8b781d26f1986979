import pytest

from headroom_edge.decision.rules import RuleSelector
from headroom_edge.technique import Technique

CASES = [
    ("What animal is this?", Technique.FULL_LOW),
    ("describe the scene in one sentence", Technique.FULL_LOW),
    ("Is this photo taken indoors?", Technique.FULL_LOW),
    ("what colour is the car", Technique.FULL_LOW),
    ("Please transcribe this receipt", Technique.TRANSCODE),
    ("read the text", Technique.TRANSCODE),
    ("OCR this", Technique.TRANSCODE),
    ("convert this table to CSV", Technique.TRANSCODE),
    ("what does the sign say?", Technique.TRANSCODE),
    ("Translate the menu into English", Technique.TRANSCODE),
    ("summarize this document", Technique.TRANSCODE),
    ("read the serial number", Technique.PRESERVE),
    ("What time does the clock show?", Technique.PRESERVE),
    ("how many birds are on the wire", Technique.PRESERVE),
    ("what's the price on the tag", Technique.PRESERVE),
    ("Any scratches or defects on the screen?", Technique.PRESERVE),
    ("what is in the top-left corner", Technique.CROP),
    ("read the label in the bottom right corner", Technique.CROP),
    ("", Technique.PRESERVE),
]


@pytest.mark.parametrize("question, technique", CASES)
def test_rules(question: str, technique: Technique) -> None:
    decision = RuleSelector().select(question)
    assert decision.technique is technique
    assert decision.decided_by == "rules"
    assert 0.0 < decision.confidence <= 1.0
    assert decision.reason


def test_crop_carries_the_region() -> None:
    decision = RuleSelector().select("what is in the top-left corner")
    assert decision.region is not None and decision.region.name == "top-left corner"
