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
    # harm-averse: what no rule clearly recognises keeps every pixel
    ("What's the best move for white here?", Technique.PRESERVE),
    ("Is the little status light amber or blue?", Technique.PRESERVE),
    ("hmm", Technique.PRESERVE),
    ("Is it worth fixing?", Technique.PRESERVE),
    # agent asks: acting on a screen needs its exact pixels; reading a dialog is text
    ("Click Save.", Technique.PRESERVE),
    ("Give the x,y of the checkbox", Technique.PRESERVE),
    ("Read the error dialog.", Technique.TRANSCODE),
    ("Which app is open?", Technique.FULL_LOW),
    # other languages
    ("¿Cuántas personas hay en la foto?", Technique.PRESERVE),
    ("Transcribe el texto de esta nota.", Technique.TRANSCODE),
    ("Descríbeme la escena en una frase.", Technique.FULL_LOW),
    ("Wie viele Schrauben halten die Abdeckung?", Technique.PRESERVE),
    ("Übersetze das Schild ins Englische.", Technique.TRANSCODE),
    ("Combien de vis tiennent le panneau ?", Technique.PRESERVE),
    ("Сколько человек на фотографии?", Technique.PRESERVE),
    ("Прочитай сообщение об ошибке.", Technique.TRANSCODE),
    ("照片里有几个人？", Technique.PRESERVE),
    ("把这个菜单翻译成英文。", Technique.TRANSCODE),
    ("この写真には大体何が写っていますか？", Technique.FULL_LOW),
    ("이 메뉴를 영어로 번역해 줘.", Technique.TRANSCODE),
    ("फ़ोटो में कितने लोग हैं?", Technique.PRESERVE),
    ("右上角是什么？", Technique.CROP),
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


def test_region_plus_another_demanding_ask_keeps_the_image() -> None:
    decision = RuleSelector().select("What's in the top left corner? Also, read the meter for me.")
    assert decision.technique is Technique.PRESERVE
    assert "region" in decision.reason


def test_gist_with_a_detail_clause_is_not_sent_low() -> None:
    decision = RuleSelector().select("Describe this photo, then tell me how many people are in it.")
    assert decision.technique is Technique.PRESERVE


def test_a_legend_question_crops_the_part_analysis_locates() -> None:
    decision = RuleSelector().select("What does the legend say?")
    assert decision.technique is Technique.CROP
    assert decision.region is None and decision.part == "legend"


def test_the_legend_plus_another_demanding_ask_keeps_the_image() -> None:
    decision = RuleSelector().select("What does the legend say? Also, read the meter for me.")
    assert decision.technique is Technique.PRESERVE and decision.part is None
