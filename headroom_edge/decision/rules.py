"""The explicit rule set that maps a question to a technique: the harm-averse fallback.

This is not the trained router: it is the documented fallback used when the router's model files
are missing (and the baseline the router is measured against). A fallback must be *safe* before it
is clever: rules can only recognise phrasings someone wrote down, so anything they do not clearly
recognise keeps every pixel. Rules are checked in order, the first match wins:

1. no question at all                        -> PRESERVE  (intent unknown)
2. a named region (see ``regions``)          -> CROP      ("what is in the top-left corner?")
3. fine detail or an action on the screen    -> PRESERVE  (counting, readings, small scene text such
                                                 as serial/plate/price, small lights, defects,
                                                 chess, "click Save", coordinates)
4. the text itself is the answer             -> TRANSCODE ("read", "transcribe", "translate",
                                                 "what does the letter say", "extract as JSON")
5. a *clear* gist question                   -> FULL_LOW  (what is this, describe the scene, mood,
                                                 caption, day or night, which app is open)
6. anything else                             -> PRESERVE  (unclear: keeping the image only costs
                                                 tokens; sending it lossy can cost the answer)

Each rule knows English and the router's other languages (es, de, fr, pt, it, ru, zh, ja, ko, hi).
Detail comes before text because "read the serial number" needs the pixels of a few characters in
a scene, which OCR of the whole image would not single out; a region wins over both because a crop
keeps the named area at full resolution.
"""

from __future__ import annotations

import re

from headroom_edge.decision.base import Decision
from headroom_edge.decision.regions import parse_part, parse_region
from headroom_edge.technique import Technique


def _rx(*alternatives: str) -> re.Pattern[str]:
    """Alternatives matched anywhere, case-insensitive; Latin-script words start at a word edge."""
    return re.compile("|".join(f"(?:{a})" for a in alternatives), re.IGNORECASE)


DETAIL_RX = _rx(
    # English
    r"\bhow\s+many\b", r"\bcount(?:ing)?\b", r"\bnumber\s+of\b", r"\bserial\b", r"\bmodel\s+(?:number|no)\b",
    r"\bpart\s+number\b", r"\b(?:license|licence|number)\s+plate\b", r"\bplate\s+number\b", r"\bprice\b",
    r"\bbrand\b", r"\blogo\b", r"\bbarcode\b", r"\bqr\s+code\b",
    r"\bclock\b", r"\bgauge\b", r"\bmeter\b", r"\bdial\b", r"\bthermometer\b", r"\bspeedometer\b", r"\bodometer\b",
    r"\bwhat\s+time\b", r"\bfine\s+print\b", r"\bsmall\s+print\b", r"\btiny\b", r"\blittle\s+(?:light|led|icon)\b",
    r"\bsmallest\b", r"\bexact(?:ly)?\b", r"\bprecise(?:ly)?\b", r"\bstatus\s+light\b", r"\bled\b", r"\bindicator\b",
    r"\bwarning\s+lights?\b", r"\bdefects?\b", r"\bscratch", r"\bcracks?\b", r"\bhairline\b", r"\bdents?\b",
    r"\bdamage", r"\bflaws?\b", r"\brust\b", r"\bchips?\b", r"\bstain", r"\bchess\b", r"\bbest\s+move\b",
    r"\bvalue\s+(?:of|at|for)\b", r"\bdata\s+points?\b", r"\b[xy]-axis\b", r"\bmeasure", r"\bzoom\b", r"\bpixel",
    r"\bcoordinates?\b", r"\bx\s*,\s*y\b", r"\bbounding\s+box\b", r"\bclick", r"\bdouble-click", r"\bright-click",
    r"\btap\b", r"\bpress\b", r"\btick\b", r"\bcheckbox", r"\bdrag\b", r"\bhover\b", r"\bscroll\b", r"\bselect\b",
    r"\btoggle\b", r"\btype\s+(?:my|the|in|into|\")", r"\bmove\s+the\s+(?:mouse|cursor)\b", r"\bwhere\s+(?:exactly\s+)?is\s+the\b.*\b(?:button|field|icon|link|menu|checkbox)",
    r"\bamperage\b", r"\bscoreboard\b", r"\bjersey\b",
    # Spanish / Portuguese / Italian / French
    r"\bcu[aá]nt[oa]s\b", r"\bquant[oa]s\b", r"\bquant[ei]\b", r"\bcombien\b", r"\bcuenta\b", r"\bconta\b",
    r"\bcompte\b", r"\bexact", r"\bexat", r"\besatt", r"\bn[uú]mero\s+de\s+s[eé]rie\b", r"\bnum[eé]ro\s+de\s+s[eé]rie\b",
    r"\bnumero\s+di\s+serie\b", r"\bmatr[ií]cula\b", r"\bplaca\s+do\s+carro\b", r"\btarga\b", r"\bplaque\b",
    r"\bprecio\b", r"\bpre[cç]o\b", r"\bprezzo\b", r"\bprix\b", r"\breloj\b", r"\brel[oó]gio\b", r"\borologio\b",
    r"\bhorloge\b", r"\bqu[eé]\s+hora\b", r"\bque\s+horas\b", r"\bche\s+or[ae]\b", r"\bquelle\s+heure\b",
    r"\bara[ñn]azo", r"\bgrieta", r"\bgolpe", r"\babolladura", r"\brisco\b", r"\btrinca\b", r"\barranh", r"\bamassad",
    r"\bgraffi", r"\bammaccatur", r"\brayure", r"\bfissure", r"\bbosse", r"\bajedrez\b", r"\bxadrez\b",
    r"\bscacchi\b", r"\b[ée]checs\b", r"\bmejor\s+jugada\b", r"\bmelhor\s+jogada\b", r"\bmossa\s+migliore\b",
    r"\bmeilleur\s+coup\b", r"\blucecita\b", r"\bluzinha\b", r"\bpiloto\b", r"\bspia\b", r"\bvoyant\b", r"\bdiode\b",
    r"\bclic\b", r"\bclique", r"\bclicca", r"\bpulsa\b", r"\baperta\b", r"\bpremi\b", r"\bappuie\b", r"\bmarca\s+la\s+casilla\b",
    r"\bcoordenadas\b", r"\bcoordinate\b", r"\bcoordonn[ée]es\b",
    # German
    r"\bwie\s+viele\b", r"\bz[äa]hl", r"\bgenau\b", r"\bseriennummer\b", r"\bkennzeichen\b", r"\bpreis", r"\buhr\b",
    r"\bwie\s+sp[äa]t\b", r"\bkratzer\b", r"\briss\b", r"\bdelle", r"\bschach\b", r"\bbeste[rn]?\s+zug\b",
    r"\bled\b", r"\bstatusanzeige\b", r"\bklick", r"\bkoordinaten\b", r"\bkontrollk[äa]stchen\b", r"\bdruckmesser\b",
    # Russian
    r"сколько", r"посчитай", r"точн", r"серийн", r"номер\s+(?:у\s+)?машин", r"какой\s+номер", r"цен[аеуы]", r"ценник",
    r"час[ыа]", r"царапин", r"трещин", r"вмятин", r"шахмат", r"лучший\s+ход", r"индикатор", r"лампочк",
    r"нажми", r"кликни", r"координат", r"флажок", r"флажка", r"галочк",
    # Chinese / Japanese / Korean / Hindi
    r"几个", r"几点", r"多少", r"数一下", r"准确", r"具体", r"序列号", r"车牌", r"价签", r"划痕", r"裂", r"凹陷",
    r"指示灯", r"小灯", r"棋", r"点击", r"点一下", r"坐标", r"勾选",
    r"何人", r"何本", r"何時", r"何個", r"数えて", r"正確", r"シリアル", r"値札", r"傷", r"へこみ", r"ランプ",
    r"最善手", r"クリック", r"押して", r"座標", r"チェックを",
    r"몇\s*(?:명|개|시)", r"세어", r"정확", r"일련번호", r"번호판", r"가격", r"흠집", r"긁힌", r"긁힘", r"찌그러",
    r"표시등", r"불빛", r"최선의\s*수", r"클릭", r"눌러", r"좌표", r"체크해",
    r"कितन[ेी]", r"गिनो", r"ठीक-ठीक", r"सीरियल", r"नंबर\s*प्लेट", r"कीमत", r"खरोंच", r"डेंट", r"बत्ती", r"लाइट",
    r"चाल", r"क्लिक", r"दबाओ", r"निर्देशांक", r"टिक\s+करो", r"बजे",
)

TRANSCODE_RX = _rx(
    # English
    r"\bread\s+(?:out\s+|me\s+|aloud\s+)?(?:the|this|all|every|what|it\b|everything)", r"\btranscri(?:be|ption)",
    r"\bocr\b", r"\bextract\b", r"\b(?:copy|type|write)\s+(?:out\s+|down\s+|up\s+)?(?:the\s+|all\s+|everything)",
    r"\bwhat\s+(?:does|do)\s+(?:it|this|the\s+[\w-]+(?:\s+[\w-]+)?)\s+say", r"\bwhat(?:'s|\s+is)\s+written",
    r"\btranslate", r"\bsummari[sz]e\s+(?:this|the|that)\s+(?:document|page|article|letter|pdf|paper|text|"
    r"contract|report|email|receipt|invoice|memo|form|slide)", r"\b(?:json|csv|markdown)\b", r"\bverbatim\b",
    r"\bword\s+for\s+word\b", r"\bline\s+items\b", r"\bwhat\s+does\s+the\s+\w+\s+say\b", r"\bthe\s+full\s+text\b",
    r"\bwhat(?:'s|\s+is)\s+on\s+the\s+(?:label|slide|sign|whiteboard|note|poster|screen\s+text)\b",
    # Spanish / Portuguese / Italian / French
    r"\btranscrib", r"\btranscrev", r"\btrascriv", r"\bretranscri", r"\brecopie", r"\btradu[czcisz]", r"\btraduz",
    r"\bqu[eé]\s+dice\b", r"\bqu[eé]\s+pone\b", r"\bo\s+que\s+diz\b", r"\bo\s+que\s+est[aá]\s+escrito\b", r"\bcosa\s+dice\b",
    r"\bcosa\s+c'[eè]\s+scritto\b", r"\bque\s+dit\b", r"\bqu'est-ce\s+qui\s+est\s+[ée]crit\b", r"\bextra[eií]",
    r"\bextrais\b", r"\bestra[ei]", r"\blee\b", r"\bleia\b", r"\bl[eê]\b", r"\bleggi\b", r"\blis\b", r"\bresum",
    r"\briassum", r"\br[ée]sume", r"\bp[áa]sa(?:me|r)?\s+a\s+texto\b", r"\bpassa\s+para\s+texto\b", r"\bcopia\b",
    r"\bcopie\b",
    # German
    r"\babschreib", r"\bschreib\s+den\s+text\b", r"\btipp\s+den\s+text\b", r"\bwas\s+steht\b", r"\b[üu]bersetz",
    r"\blies\b", r"\bfass\w*\s+.*zusammen\b", r"\bkopier", r"\bextrahier",
    # Russian
    r"перепиши", r"перепечатай", r"что\s+написано", r"переведи", r"прочитай", r"прочти", r"вытащи", r"извлеки",
    r"скопируй", r"перескажи",
    # Chinese / Japanese / Korean / Hindi
    r"抄下来", r"写了什么", r"写着什么", r"翻译", r"读一下", r"提取", r"打出来", r"复制", r"概括",
    r"書き起こ", r"何と書いて", r"翻訳", r"訳して", r"読んで", r"抽出", r"抜き出", r"テキストに", r"要約", r"コピーして",
    r"옮겨\s*적", r"쓰여\s*있", r"적혀\s*있", r"번역", r"읽어", r"뽑아", r"요약", r"복사해", r"텍스트로",
    r"लिखा\s+(?:हुआ|है)", r"अनुवाद", r"पढ़ो", r"निकालो", r"टाइप\s+कर", r"कॉपी\s+करो", r"सार\s+बताओ",
)

GIST_RX = _rx(
    # English
    r"^\s*(?:what(?:'s|\s+is)\s+(?:this|that|it|in\s+(?:this|the)\s+(?:photo|picture|image|pic))|"
    r"what\s+(?:is|are)\s+(?:shown|happening|going\s+on))\b",
    r"\bdescribe\s+(?:this|the)\s+(?:photo|picture|image|scene|pic)\b", r"\broughly\s+what\b", r"\bcaption\b",
    r"\balt[\s-]text\b", r"\bindoors\b", r"\boutdoors\b", r"\bday\s+or\s+night\b", r"\bmood\b", r"\bvibe\b",
    r"\batmosphere\b", r"\bwhat\s+(?:kind|type|sort)\s+of\b", r"\bwhat\s+(?:animal|breed|flower|bird|plant)\b",
    r"\bwhat\s+colou?r\s+is\s+the\b",
    r"\bwhich\s+app(?:lication)?\s+is\s+(?:open|in\s+the\s+foreground)\b", r"\bdid\s+the\s+(?:page|screen)\s+change\b",
    r"\bis\s+it\s+raining\b", r"\bwhat\s+season\b",
    # Spanish / Portuguese / Italian / French
    r"\bqu[eé]\s+(?:se\s+ve|hay)\s+en\s+(?:esta|la)\s+(?:foto|imagen)\b", r"\bdescr[ií]be(?:me)?\s+la\s+(?:escena|foto|imagen)\b",
    r"\bde\s+d[ií]a\s+o\s+de\s+noche\b", r"\bo\s+que\s+(?:aparece|tem)\s+n(?:esta|a)\s+(?:foto|imagem)\b",
    r"\bdescreva\s+a\s+cena\b", r"\bde\s+dia\s+ou\s+de\s+noite\b", r"\bcosa\s+si\s+vede\b", r"\bdescrivi\s+la\s+scena\b",
    r"\bgiorno\s+o\s+notte\b", r"\bqu'est-ce\s+qu'on\s+voit\b", r"\bd[ée]cris\s+la\s+sc[èe]ne\b", r"\bl'ambiance\b",
    r"\bambiente\b", r"\batmosfera\b", r"\bqu[eé]\s+aplicaci[oó]n\s+est[aá]\s+abierta\b", r"\bqual\s+aplicativo\b",
    r"\bquale\s+applicazione\b", r"\bquelle\s+application\b", r"\bpie\s+de\s+foto\b", r"\blegenda\b", r"\bdidascalia\b",
    r"\bl[ée]gende\b",
    # German
    r"\bwas\s+ist\s+(?:ungef[äa]hr\s+)?auf\s+dem\s+(?:bild|foto)\b", r"\bbeschreib\w*\s+(?:die\s+szene|das\s+bild)\b",
    r"\bdrinnen\s+oder\s+drau[ßs]en\b", r"\bstimmung\b", r"\bwelches\s+programm\b", r"\bbildunterschrift\b",
    # Russian
    r"что\s+(?:примерно\s+)?изображено", r"опиши\s+(?:сцену|фото)", r"днём\s+или\s+ночью", r"настроение",
    r"какое\s+приложение", r"подпись\s+для",
    # Chinese / Japanese / Korean / Hindi
    r"大概是什么", r"描述一下", r"白天还是晚上", r"氛围", r"哪个应用", r"什么内容",
    r"大体何が", r"説明して", r"昼ですか", r"雰囲気", r"どのアプリ",
    r"대충\s*뭐", r"설명해", r"낮에\s*찍은", r"분위기", r"열려\s*있는\s*앱",
    r"मोटे\s+तौर\s+पर", r"दृश्य\s+को", r"दिन\s+की\s+है\s+या\s+रात", r"माहौल", r"कौन\s+सा\s+ऐप",
)


class RuleSelector:
    """Maps a question to a :class:`Decision` with the ordered rules in the module docstring."""

    name = "rules"

    def select(self, question: str) -> Decision:
        text = (question or "").strip()
        if not text:
            return Decision(Technique.PRESERVE, 0.5, "no question to route on", self.name)
        region = parse_region(text)
        part = parse_part(text) if region is None else None
        if region is not None or part is not None:
            named = f"a region ({region.name})" if region is not None else f"the {part}"
            other = self._demanding_elsewhere(text)
            if other:
                return Decision(Technique.PRESERVE, 0.7, f"{named} and another demanding ask ({other!r}): "
                                "a crop would lose the other", self.name)
            reason = (f"question names a region ({region.name})" if region is not None
                      else f"question names the {part} (located in the image)")
            return Decision(Technique.CROP, 0.8, reason, self.name, region, part=part)
        match = DETAIL_RX.search(text)
        if match:
            return Decision(Technique.PRESERVE, 0.8, f"needs fine detail or an exact position ({match.group(0)!r})",
                            self.name)
        match = TRANSCODE_RX.search(text)
        if match:
            return Decision(Technique.TRANSCODE, 0.8, f"asks for the text itself ({match.group(0)!r})", self.name)
        match = GIST_RX.search(text)
        if match:
            return Decision(Technique.FULL_LOW, 0.7, f"clear gist question ({match.group(0)!r})", self.name)
        return Decision(Technique.PRESERVE, 0.5, "no rule recognises the question: keeping every pixel", self.name)

    @staticmethod
    def _demanding_elsewhere(text: str) -> str:
        """A detail or text cue in a clause that names no region ("What's top left? Also read the meter.")."""
        for clause in _CLAUSES.split(text):
            if not clause.strip() or parse_region(clause) is not None or parse_part(clause) is not None:
                continue
            match = DETAIL_RX.search(clause) or TRANSCODE_RX.search(clause)
            if match:
                return match.group(0)
        return ""


_CLAUSES = re.compile(r"[.!?。！？।\n;]+|\b(?:also|and\s+one\s+more\s+thing|second|then)\b", re.IGNORECASE)
"""Where one ask ends and the next may begin (sentence ends and the usual English joiners)."""
