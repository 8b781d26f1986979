"""Questions whose answer lies in the pixels, not in the words: counts, readings, chart values.

Why a list of its own next to the question rules' ``DETAIL_RX``: that one decides what a question
*asks for* (it also holds clicks, defects, "exactly", "select"), and it runs before the text rule,
so the rules never send these to transcode. The router can. This narrower list is what the
policy (row 4) holds against a transcode: OCR text answers "what does it say", never "how many
bars", "what does the gauge read" or "what is the value at March" -- a count, a needle's
position and a point on a curve are not in the transcript, even a perfect one. Each entry is a
phrase of the router's languages (en, es, de, fr, pt, it, ru, zh, ja, ko, hi).
"""

from __future__ import annotations

import re

DETAIL_QUESTION_RX = re.compile(
    "|".join(f"(?:{a})" for a in (
        # English: counting, instrument readings, values read off a chart
        r"\bhow\s+many\b", r"\bcount\b", r"\bnumber\s+of\b", r"\bhow\s+much\b",
        r"\b(?:gauge|meter|dial|thermometer|speedometer|odometer|clock|scale|needle)\b",
        r"\bwhat\s+does\s+the\s+[\w-]+\s+read\b", r"\breading\b",
        r"\bvalue\s+(?:of|at|for|in)\b", r"\bdata\s+points?\b", r"\b(?:[xy]-axis|axis)\b",
        r"\b(?:highest|lowest|tallest|shortest|largest|smallest|peak)\s+(?:value|bar|point|line|column)\b",
        r"\bwhich\s+(?:bar|line|column|slice|point)\b", r"\b(?:bar|line|pie)\s+(?:chart|graph)\b",
        # Spanish / Portuguese / Italian / French
        r"\bcu[aá]nt[oa]s\b", r"\bquant[oa]s\b", r"\bquant[ei]\b", r"\bcombien\b",
        r"\bman[oó]metro\b", r"\bmedidor\b", r"\bindicador\b", r"\bterm[oó]metro\b", r"\bmanometre\b",
        r"\bjauge\b", r"\bcadran\b", r"\bvalor\s+(?:de|en|em|no|na)\b", r"\bvalore\s+(?:di|a|in)\b",
        r"\bvaleur\s+(?:de|du|en|à)\b", r"\bgr[aá]fic[oa]\b", r"\bgraphique\b", r"\beje\b", r"\beixo\b", r"\bl'asse\b",
        r"\bl'axe\b",
        # German
        r"\bwie\s+viele\b", r"\bwie\s+viel\b", r"\banzahl\b", r"\bz[äa]hl", r"\bmessger[äa]t\b", r"\banzeige\b",
        r"\bwert\s+(?:von|bei|im|für)\b", r"\bdiagramm\b", r"\bachse\b",
        # Russian
        r"сколько", r"посчитай", r"сч[её]тчик", r"манометр", r"термометр", r"показани", r"значени", r"график",
        r"диаграмм", r"\bос[иь]\b",
        # Chinese / Japanese / Korean / Hindi
        r"几个", r"多少", r"数一下", r"仪表", r"读数", r"刻度", r"数值", r"图表", r"坐标轴",
        r"何人", r"何本", r"何個", r"いくつ", r"数えて", r"メーター", r"目盛", r"値", r"グラフ",
        r"몇\s*(?:명|개|시)", r"세어", r"계기", r"눈금", r"수치", r"그래프",
        r"कितन[ेी]", r"गिनो", r"मीटर", r"रीडिंग", r"ग्राफ",
    )),
    re.IGNORECASE,
)


def is_detail_question(question: str) -> bool:
    """Whether answering ``question`` needs the image's pixels even with its text transcribed."""
    return bool(question) and DETAIL_QUESTION_RX.search(question) is not None
