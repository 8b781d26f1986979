"""Reading a named image region out of a question ("top-right corner", "the left half", ...).

English phrasings are parsed with the patterns below (corners, halves, thirds, bands, panels,
strips, first/last columns and rows, bars); the other languages the router supports (es, de,
fr, pt, it, ru, zh, ja, ko, hi) are read from a table of phrases (``_LOCALISED``) that map
straight to the same named boxes (``_BOXES``). A question naming no region we can read returns
None, and the caller keeps the whole image: a crop of the wrong part would lose the answer.

A region is a fractional box (left, top, right, bottom) in 0..1 of the oriented image (the
:class:`~headroom_edge.context.Region` type lives in the shared vocabulary, re-exported here). Boxes are a
little larger than the literal region (``MARGIN``) so that an object straddling the border is
still inside the crop: cutting the thing the user asks about in half is worse than a few extra
pixels.

Words for parts whose place is not fixed get generous default boxes where the usual place is
near certain, and stay unreadable where it is not:

* panels and panes ("the bottom panel", "left pane") are the matching half: a two-panel figure
  splits in halves, and a narrower UI pane lies inside its half;
* strips and bars ("bottom strip", "title bar", "status bar", "footer") are bands of a quarter
  (top/bottom) or 30 % (left/right) of the image, as the header/footer bands always were;
* "first column" / "last column" are the outer 40 % of the width, "first row" / "header row" /
  "last row" the outer third of the height, full length the other way: they assume the image
  is the table (a screenshot or photo of it), where the outer column or row sits there. In
  English "first/last row" needs a table word in the question (the first row of a group photo
  is its front, at the bottom), as the rows of other languages name the table;
  "second column" and numbered rows depend on how many there are, so they are not read;
* "the legend" (and "the chart's key", and the other languages' words for it) has no fixed
  place: a chart's legend can sit in any corner or beside the plot. :func:`parse_part` names it,
  and image analysis locates it (:mod:`headroom_edge.analysis.parts`, policy row 7); with a
  position ("the legend in the top right") the position is read instead. "The caption" and "the
  inset" are not read and the image is kept.

Spatial words that name no part of the image are masked before parsing (``_NOT_REGIONS``):
"left-aligned", "from the last row of the hall", "sitting in the front row".
"""

from __future__ import annotations

import re

from headroom_edge.context import MARGIN, Box, Region

__all__ = ["MARGIN", "Box", "Region", "parse_part", "parse_region"]

_THIRD = 1.0 / 3.0
_BAND = 0.25
"""Top and bottom bands (header, footer, title/status bars, strips): a quarter of the height."""
_SIDE_BAND = 0.3
"""Left and right bands (sidebars, side strips): 30 % of the width."""
_OUTER_COLUMN = 0.4
"""First/last column: the outer 40 % of the width (a table's outer column, with room to spare)."""


_V = r"(?P<v>top|upper|bottom|lower)"
_H = r"(?P<h>left|right)"
_SEP = r"[\s-]*(?:hand[\s-]*)?"
_DIRECTION = r"(?P<n>left|right|top|bottom|upper|lower)"
_TABLE = r"\b(?:table|grid|spreadsheet|sheet|matrix|cells?|columns?|csv|excel)\b"
"""Words that make "first row" / "last row" a table's: the first row of a group photo is its front."""

# Order matters: the most specific phrasings first.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), kind)
    for pattern, kind in (
        (rf"\b{_V}{_SEP}{_H}\b", "corner"),
        (rf"\b{_H}{_SEP}{_V}\b", "corner"),
        (r"\b(?P<n>first|second|middle|center|centre|third|last|left|right|top|bottom|upper|lower)\s+third\b", "third"),
        (r"\b(?P<n>top|header|heading|bottom)\s+row\b", "row"),
        (rf"\b(?P<n>first|last|final)\s+row\b(?=.*{_TABLE})", "row"),
        (rf"{_TABLE}.*\b(?P<n>first|last|final)\s+row\b", "row"),
        (r"\b(?P<n>first|last|final)\s+column\b", "column"),
        (r"\b(?P<n>left|right)(?:[\s-]*hand)?\s+side[\s-]*bar\b", "sidebar"),
        (rf"\b{_DIRECTION}(?:[\s-]*hand)?[\s-]*(?:strip|band|stripe)\b", "band"),
        (rf"\b{_DIRECTION}(?:[\s-]*hand)?\s*(?:-\s*)?(?:half|side|edge|part|portion|column|margin|border|panel|pane|section)\b", "half"),
        (r"\b(?:on|at|to|in)\s+the\s+(?:far\s+|very\s+)?(?P<n>left|right|top|bottom)\b", "half"),
        (r"\b(?P<n>left|right|top|bottom|upper|lower)[\s-]*most\b", "half"),
        (r"\b(?:the\s+)?(?P<n>left|right)\s+(?:one|person|man|woman|car|object|item|image|picture|panel|figure|sign|building|animal|guy|girl|side)\b", "half"),
        (r"\b(?P<n>header|heading|title\s*bar|top\s*bar|menu\s*bar|navbar|nav\s+bar|toolbar|tool\s+bar|tab\s+bar)\b", "top-band"),
        (r"\b(?P<n>footer|status\s*bar|bottom\s*bar|taskbar|task\s+bar)\b", "bottom-band"),
        (r"\b(?P<n>sidebar|side bar)\b", "left-band"),
        (r"\b(?P<n>background|far away|in the distance|horizon)\b", "background"),
        (r"\b(?P<n>foreground|in the front|closest|nearest)\b", "foreground"),
        (r"\b(?:in\s+the\s+|at\s+the\s+|the\s+)(?P<n>cent(?:er|re)|middle)\b", "center"),
        (r"\b(?P<n>cent(?:er|re)|middle)\s+(?:of\s+the\s+(?:image|picture|photo|frame|screen|page)|part|area|region|section)\b", "center"),
    )
)

_VENUES = (r"hall|room|theat(?:er|re)|cinema|auditorium|stadium|arena|class(?:room)?|lecture|bus|plane|train|"
           r"church|stands|audience|seats?|bleachers|concert|parade|queue|line|soldiers|troops|army|cars|trees|houses")

_NOT_REGIONS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        # Alignment is about how text sits, not where to look.
        r"\b(?:left|right|center|centre|top|bottom)[\s-]+(?:aligned|justified|align(?:ment)?)\b",
        # Rows and columns of a place or a crowd, and where someone watches from.
        rf"\b(?:first|front|back|top|header|heading|last|bottom|final)\s+(?:row|column)s?\s+of\s+(?:the\s+|a\s+|this\s+)?(?:{_VENUES})\b",
        r"\b(?:from|sit|sits|sitting|sat|seated|stand|standing)\s+(?:in\s+|on\s+|at\s+)?the\s+(?:first|front|back|last)\s+row\b",
        r"\b(?:desde|dalla|depuis|von)\s+(?:la\s+|der\s+)?(?:última|ultima|dernière|letzten)\s+(?:fila|riga|rang|reihe)\b",
    )
)

_HALVES: dict[str, Box] = {
    "left": (0.0, 0.0, 0.5, 1.0),
    "right": (0.5, 0.0, 1.0, 1.0),
    "top": (0.0, 0.0, 1.0, 0.5),
    "upper": (0.0, 0.0, 1.0, 0.5),
    "bottom": (0.0, 0.5, 1.0, 1.0),
    "lower": (0.0, 0.5, 1.0, 1.0),
}

_THIRDS: dict[str, Box] = {
    "first": (0.0, 0.0, _THIRD, 1.0),
    "left": (0.0, 0.0, _THIRD, 1.0),
    "second": (_THIRD, 0.0, 2 * _THIRD, 1.0),
    "middle": (_THIRD, 0.0, 2 * _THIRD, 1.0),
    "center": (_THIRD, 0.0, 2 * _THIRD, 1.0),
    "centre": (_THIRD, 0.0, 2 * _THIRD, 1.0),
    "third": (2 * _THIRD, 0.0, 1.0, 1.0),
    "last": (2 * _THIRD, 0.0, 1.0, 1.0),
    "right": (2 * _THIRD, 0.0, 1.0, 1.0),
    "top": (0.0, 0.0, 1.0, _THIRD),
    "upper": (0.0, 0.0, 1.0, _THIRD),
    "bottom": (0.0, 2 * _THIRD, 1.0, 1.0),
    "lower": (0.0, 2 * _THIRD, 1.0, 1.0),
}

_FIXED: dict[str, tuple[str, Box]] = {
    "top-band": ("top band", (0.0, 0.0, 1.0, _BAND)),
    "bottom-band": ("bottom band", (0.0, 1.0 - _BAND, 1.0, 1.0)),
    "left-band": ("left band", (0.0, 0.0, _SIDE_BAND, 1.0)),
    "right-band": ("right band", (1.0 - _SIDE_BAND, 0.0, 1.0, 1.0)),
    "first-column": ("first column", (0.0, 0.0, _OUTER_COLUMN, 1.0)),
    "last-column": ("last column", (1.0 - _OUTER_COLUMN, 0.0, 1.0, 1.0)),
    "first-row": ("first row", (0.0, 0.0, 1.0, _THIRD)),
    "last-row": ("last row", (0.0, 2 * _THIRD, 1.0, 1.0)),
    # Background/foreground are heuristics for ordinary photos: far things sit high in the frame,
    # near things low. They are still crops of more than half the image, so little is lost.
    "background": ("background", (0.0, 0.0, 1.0, 0.6)),
    "foreground": ("foreground", (0.0, 0.4, 1.0, 1.0)),
    "center": ("center", (0.25, 0.25, 0.75, 0.75)),
}

_BAND_OF = {"left": "left-band", "right": "right-band", "top": "top-band", "upper": "top-band",
            "bottom": "bottom-band", "lower": "bottom-band"}
_ROW_OF = {"first": "first-row", "top": "first-row", "header": "first-row", "heading": "first-row",
           "last": "last-row", "bottom": "last-row", "final": "last-row"}
_COLUMN_OF = {"first": "first-column", "last": "last-column", "final": "last-column"}

_BOXES: dict[str, Box] = {
    "top-left corner": (0.0, 0.0, 0.5, 0.5),
    "top-right corner": (0.5, 0.0, 1.0, 0.5),
    "bottom-left corner": (0.0, 0.5, 0.5, 1.0),
    "bottom-right corner": (0.5, 0.5, 1.0, 1.0),
    "left half": _HALVES["left"],
    "right half": _HALVES["right"],
    "top half": _HALVES["top"],
    "bottom half": _HALVES["bottom"],
    "left third": _THIRDS["left"],
    "middle third": _THIRDS["middle"],
    "right third": _THIRDS["right"],
    "top third": _THIRDS["top"],
    "bottom third": _THIRDS["bottom"],
    **{label: box for label, box in _FIXED.values()},
}
"""Every named box, by the region name the parser returns."""

def _compiled(table: tuple[tuple[str, str], ...]) -> tuple[tuple[re.Pattern[str], str], ...]:
    """(pattern, name) rows with their patterns compiled, case-insensitive."""
    return tuple((re.compile(pattern, re.IGNORECASE), name) for pattern, name in table)


# Phrase fragments shared by the localised table.
_ES_L, _ES_R = r"(?:izquierd[oa]|de\s+la\s+izquierda)", r"(?:derech[oa]|de\s+la\s+derecha)"
_PT_L, _PT_R = r"(?:esquerd[oa]|da\s+esquerda)", r"(?:direit[oa]|da\s+direita)"
_IT_L, _IT_R = r"(?:sinistr[oa]|di\s+sinistra|a\s+sinistra)", r"(?:destr[oa]|di\s+destra|a\s+destra)"
_FR_L, _FR_R = r"(?:gauche|de\s+gauche)", r"(?:droite?|de\s+droite)"
_DE_CORNER = r"(?:ecke|quadrant\w*|viertel)"
_RU_CORNER = r"(?:угл|квадрант|четверт)"

# (pattern, region name). Checked after the English patterns, most specific first (rows and
# columns before bars, bars and strips before halves, thirds before the bare sides); one list for
# all languages because a phrase of one never means something else in another.
_LOCALISED: tuple[tuple[re.Pattern[str], str], ...] = _compiled(
    (
        # Table rows (only with the table named where "line" and "row" are one word) and columns
        (r"primera\s+fila\s+de\s+la\s+tabla|fila\s+de\s+(?:encabezados?|cabecera)|primeira\s+linha\s+da\s+tabela|"
         r"linha\s+de\s+cabeçalho|prima\s+riga\s+della\s+tabella|riga\s+di\s+intestazione|"
         r"première\s+ligne\s+du\s+tableau|ligne\s+d['’]en-tête|erste[nr]?\s+zeile\s+der\s+tabelle|tabellenkopf|"
         r"перв\w+\s+строк\w*\s+таблиц|шапк\w*\s+таблиц|表格?的?第一行|表头|表の(?:1|一)行目|表の最初の行|ヘッダー行|見出し行|"
         r"표의\s*첫\s*(?:번째\s*)?행|머리글\s*행|헤더\s*행|तालिका\s+की\s+पहली\s+पंक्ति|हेडर\s+पंक्ति", "first row"),
        (r"última\s+fila\s+de\s+la\s+tabla|última\s+linha\s+da\s+tabela|ultima\s+riga\s+della\s+tabella|dernière\s+ligne\s+du\s+tableau|"
         r"letzte[nr]?\s+zeile\s+der\s+tabelle|последн\w+\s+строк\w*\s+таблиц|表格?的?最后一行|表の最後の行|"
         r"표의\s*마지막\s*행|तालिका\s+की\s+(?:आखिरी|अंतिम)\s+पंक्ति", "last row"),
        (r"primera\s+columna|primeira\s+coluna|prima\s+colonna|première\s+colonne|erste[nr]?\s+spalte|"
         r"перв\w+\s+(?:столб\w*|колонк\w*)|第一列|最初の列|(?:1|一)列目|첫\s*(?:번째\s*)?열|पहल[ाे]\s+कॉलम", "first column"),
        (r"última\s+columna|última\s+coluna|ultima\s+colonna|dernière\s+colonne|letzte[nr]?\s+spalte|"
         r"последн\w+\s+(?:столб\w*|колонк\w*)|最后一列|最後の列|마지막\s*열|(?:आखिरी|अंतिम)\s+कॉलम", "last column"),
        # Side bars: right ones named, any other one on the left (the usual place)
        (r"barra\s+lateral\s+(?:derecha|direita|de\s+la\s+derecha|da\s+direita)|barra\s+laterale\s+destra|"
         r"barre\s+latérale\s+droite|rechten?\s+seitenleiste|прав\w+\s+боков\w+\s+панел|右侧边栏|右(?:側)?の?サイドバー|"
         r"오른쪽\s*사이드바|दा(?:ईं|एँ|यें)\s+साइडबार", "right band"),
        (r"barra\s+lateral|barre\s+latérale|seitenleiste|боков\w+\s+панел|侧边栏|サイドバー|사이드바|साइडबार",
         "left band"),
        # Bars, headers and footers of pages and windows
        (r"barra\s+de\s+(?:estado|status|tareas|tarefas)|pie\s+de\s+página|rodapé|barra\s+di\s+stato|"
         r"pi[eè]\s+di\s+pagina|barra\s+delle\s+applicazioni|barre\s+d['’](?:é|e)tat|barre\s+de\s+statut|"
         r"pied\s+de\s+page|barre\s+des\s+tâches|statusleiste|statuszeile|fu(?:ß|ss)zeile|taskleiste|"
         r"строк\w*\s+состояния|нижн\w*\s+колонтитул|футер|панел\w*\s+задач|状态栏|页脚|任务栏|ステータスバー|フッター|"
         r"タスクバー|상태\s*표시줄|바닥글|푸터|작업\s*표시줄|स्टेटस\s+बार|फ़ुटर|फुटर|टास्कबार", "bottom band"),
        (r"barra\s+de\s+(?:título|titulo|menús?|menus?|herramientas|ferramentas)|encabezado|cabeçalho|"
         r"barra\s+del\s+titolo|barra\s+dei\s+menu|barra\s+degli\s+strumenti|intestazione|barre\s+de\s+titre|"
         r"barre\s+de\s+menus?|barre\s+d['’]outils|en-tête|titelleiste|menüleiste|symbolleiste|kopfzeile|"
         r"kopfbereich|заголов\w*\s+окна|строк\w*\s+меню|панел\w*\s+инструментов|верхн\w*\s+колонтитул|шапк\w*\s+(?:сайта|страниц\w*)|"
         r"标题栏|菜单栏|工具栏|页眉|タイトルバー|メニューバー|ツールバー|ヘッダー|제목\s*표시줄|메뉴\s*(?:바|표시줄)|"
         r"도구\s*모음|머리글|헤더|टाइटल\s+बार|मेनू\s+बार|टूलबार|हेडर", "top band"),
        # Strips
        (r"franja\s+(?:inferior|de\s+abajo)|faixa\s+(?:inferior|de\s+baixo)|striscia\s+(?:in\s+basso|inferiore)|"
         r"fascia\s+inferiore|bande\s+(?:du\s+bas|inférieure)|bandeau\s+inférieur|untere[nr]?\s+streifen|"
         r"нижн\w*\s+полос|底部(?:的)?(?:条|横条|条带)|下(?:部)?の帯|(?:하단|아래쪽)\s*띠|(?:नीचे\s+की|निचली)\s+पट्टी",
         "bottom band"),
        (r"franja\s+(?:superior|de\s+arriba)|faixa\s+(?:superior|de\s+cima)|striscia\s+(?:in\s+alto|superiore)|"
         r"fascia\s+superiore|bande\s+(?:du\s+haut|supérieure)|bandeau\s+supérieur|obere[nr]?\s+streifen|"
         r"верхн\w*\s+полос|顶部(?:的)?(?:条|横条|条带)|上(?:部)?の帯|(?:상단|위쪽)\s*띠|(?:ऊपर\s+की|ऊपरी)\s+पट्टी",
         "top band"),
        # Thirds
        (r"tercio\s+izquierdo|terço\s+esquerdo|terzo\s+sinistro|tiers\s+gauche|linke[ns]?\s+drittel|"
         r"лев\w*\s+трет(?:ь|и|ью)\b|左(?:侧|边)?三分之一|左(?:側)?の?(?:3分の1|三分の一)|왼쪽\s*3분의\s*1|बाएँ\s+तिहाई", "left third"),
        (r"tercio\s+derecho|terço\s+direito|terzo\s+destro|tiers\s+droit|rechte[ns]?\s+drittel|"
         r"прав\w*\s+трет(?:ь|и|ью)\b|右(?:侧|边)?三分之一|右(?:側)?の?(?:3分の1|三分の一)|오른쪽\s*3분의\s*1|दाएँ\s+तिहाई", "right third"),
        (r"tercio\s+superior|terço\s+superior|terzo\s+superiore|tiers\s+supérieur|obere[ns]?\s+drittel|"
         r"верхн\w*\s+трет(?:ь|и|ью)\b|上(?:方|部)?三分之一|上(?:部)?の?(?:3分の1|三分の一)|위쪽\s*3분의\s*1|ऊपरी\s+तिहाई", "top third"),
        (r"tercio\s+inferior|terço\s+inferior|terzo\s+inferiore|tiers\s+inférieur|untere[ns]?\s+drittel|"
         r"нижн\w*\s+трет(?:ь|и|ью)\b|下(?:方|部)?三分之一|下(?:部)?の?(?:3分の1|三分の一)|아래쪽\s*3분의\s*1|"
         r"निचले?\s+तिहाई", "bottom third"),
        (r"tercio\s+(?:central|del\s+medio)|terço\s+(?:central|do\s+meio)|terzo\s+centrale|tiers\s+central|"
         r"mittlere[ns]?\s+drittel|средн\w*\s+трет(?:ь|и|ью)\b|中间三分之一|中央の?(?:3分の1|三分の一)|가운데\s*3분의\s*1|"
         r"बीच\s+(?:के|का)\s+तिहाई", "middle third"),
        # Spanish / Portuguese / Italian / French corners and quadrants
        (r"esquina\s+(?:superior|de\s+arriba)\s+(?:a\s+la\s+)?izquierda|arriba\s+a\s+la\s+izquierda|"
         r"cuadrante\s+superior\s+izquierdo", "top-left corner"),
        (r"esquina\s+(?:superior|de\s+arriba)\s+(?:a\s+la\s+)?derecha|arriba\s+a\s+la\s+derecha|"
         r"cuadrante\s+superior\s+derecho", "top-right corner"),
        (r"esquina\s+(?:inferior|de\s+abajo)\s+(?:a\s+la\s+)?izquierda|abajo\s+a\s+la\s+izquierda|"
         r"cuadrante\s+inferior\s+izquierdo", "bottom-left corner"),
        (r"esquina\s+(?:inferior|de\s+abajo)\s+(?:a\s+la\s+)?derecha|abajo\s+a\s+la\s+derecha|"
         r"cuadrante\s+inferior\s+derecho", "bottom-right corner"),
        (r"canto\s+(?:superior|de\s+cima)\s+(?:à\s+)?esquerd[oa]|em\s+cima\s+à\s+esquerda|quadrante\s+superior\s+esquerdo",
         "top-left corner"),
        (r"canto\s+(?:superior|de\s+cima)\s+(?:à\s+)?direit[oa]|em\s+cima\s+à\s+direita|quadrante\s+superior\s+direito",
         "top-right corner"),
        (r"canto\s+(?:inferior|de\s+baixo)\s+(?:à\s+)?esquerd[oa]|em\s+baixo\s+à\s+esquerda|quadrante\s+inferior\s+esquerdo",
         "bottom-left corner"),
        (r"canto\s+(?:inferior|de\s+baixo)\s+(?:à\s+)?direit[oa]|em\s+baixo\s+à\s+direita|quadrante\s+inferior\s+direito",
         "bottom-right corner"),
        (r"in\s+alto\s+a\s+sinistra|quadrante\s+superiore\s+sinistro", "top-left corner"),
        (r"in\s+alto\s+a\s+destra|quadrante\s+superiore\s+destro", "top-right corner"),
        (r"in\s+basso\s+a\s+sinistra|quadrante\s+inferiore\s+sinistro", "bottom-left corner"),
        (r"in\s+basso\s+a\s+destra|quadrante\s+inferiore\s+destro", "bottom-right corner"),
        (r"coin\s+supérieur\s+gauche|en\s+haut\s+à\s+gauche|quadrant\s+supérieur\s+gauche", "top-left corner"),
        (r"coin\s+supérieur\s+droit|en\s+haut\s+à\s+droite|quadrant\s+supérieur\s+droit", "top-right corner"),
        (r"coin\s+inférieur\s+gauche|en\s+bas\s+à\s+gauche|quadrant\s+inférieur\s+gauche", "bottom-left corner"),
        (r"coin\s+inférieur\s+droit|en\s+bas\s+à\s+droite|quadrant\s+inférieur\s+droit", "bottom-right corner"),
        # German
        (rf"oberen?\s+linken?\s+{_DE_CORNER}|linken?\s+oberen?\s+{_DE_CORNER}|oben\s+links", "top-left corner"),
        (rf"oberen?\s+rechten?\s+{_DE_CORNER}|rechten?\s+oberen?\s+{_DE_CORNER}|oben\s+rechts", "top-right corner"),
        (rf"unteren?\s+linken?\s+{_DE_CORNER}|linken?\s+unteren?\s+{_DE_CORNER}|unten\s+links", "bottom-left corner"),
        (rf"unteren?\s+rechten?\s+{_DE_CORNER}|rechten?\s+unteren?\s+{_DE_CORNER}|unten\s+rechts", "bottom-right corner"),
        # Russian
        (rf"(?:левом|левый|левая|левую)\s+верхн\w*\s+{_RU_CORNER}|верхн\w*\s+(?:левом|левый|левая|левую)\s+{_RU_CORNER}",
         "top-left corner"),
        (rf"(?:правом|правый|правая|правую)\s+верхн\w*\s+{_RU_CORNER}|верхн\w*\s+(?:правом|правый|правая|правую)\s+{_RU_CORNER}",
         "top-right corner"),
        (rf"(?:левом|левый|левая|левую)\s+нижн\w*\s+{_RU_CORNER}|нижн\w*\s+(?:левом|левый|левая|левую)\s+{_RU_CORNER}",
         "bottom-left corner"),
        (rf"(?:правом|правый|правая|правую)\s+нижн\w*\s+{_RU_CORNER}|нижн\w*\s+(?:правом|правый|правая|правую)\s+{_RU_CORNER}",
         "bottom-right corner"),
        # Chinese / Japanese / Korean / Hindi
        (r"左上(?:角|方|の|隅)?", "top-left corner"),
        (r"右上(?:角|方|の|隅)?", "top-right corner"),
        (r"左下(?:角|方|の|隅)?", "bottom-left corner"),
        (r"右下(?:角|方|の|隅)?", "bottom-right corner"),
        (r"왼쪽\s*위", "top-left corner"),
        (r"오른쪽\s*위", "top-right corner"),
        (r"왼쪽\s*아래", "bottom-left corner"),
        (r"오른쪽\s*아래", "bottom-right corner"),
        (r"ऊपर(?:ी)?\s+बा(?:ए|एँ|यें|ईं)\s+(?:कोने|चतुर्थांश)", "top-left corner"),
        (r"ऊपर(?:ी)?\s+दा(?:ए|एँ|यें|ईं)\s+(?:कोने|चतुर्थांश)", "top-right corner"),
        (r"नीचे\s+बा(?:ए|एँ|यें|ईं)\s+(?:कोने|चतुर्थांश)", "bottom-left corner"),
        (r"नीचे\s+दा(?:ए|एँ|यें|ईं)\s+(?:कोने|चतुर्थांश)", "bottom-right corner"),
        # Panels and panes: the matching half
        (rf"panel\s+{_ES_L}|painel\s+{_PT_L}|pannello\s+{_IT_L}|riquadro\s+{_IT_L}|(?:panneau|volet)\s+{_FR_L}|"
         r"linke[nrs]?\s+(?:bereich|panel|fensterbereich|teilfenster|spalte)|лев\w*\s+панел|左(?:侧|边)?(?:的)?(?:面板|窗格)|"
         r"左(?:側)?の?(?:パネル|ペイン)|왼쪽\s*(?:패널|창)|बा(?:ए|एँ|याँ|यें|ईं)\s+पैनल", "left half"),
        (rf"panel\s+{_ES_R}|painel\s+{_PT_R}|pannello\s+{_IT_R}|riquadro\s+{_IT_R}|(?:panneau|volet)\s+{_FR_R}|"
         r"rechte[nrs]?\s+(?:bereich|panel|fensterbereich|teilfenster|spalte)|прав\w*\s+панел|右(?:侧|边)?(?:的)?(?:面板|窗格)|"
         r"右(?:側)?の?(?:パネル|ペイン)|오른쪽\s*(?:패널|창)|दा(?:ए|एँ|याँ|यें|ईं)\s+पैनल", "right half"),
        (r"panel\s+(?:superior|de\s+arriba)|painel\s+(?:superior|de\s+cima)|pannello\s+(?:superiore|in\s+alto)|"
         r"panneau\s+(?:supérieur|du\s+haut)|obere[nrs]?\s+(?:bereich|panel|fensterbereich|teilfenster)|верхн\w*\s+панел|"
         r"(?:顶部|上方)(?:的)?面板|上部?の?パネル|(?:위쪽|상단)\s*패널|ऊपरी\s+पैनल", "top half"),
        (r"panel\s+(?:inferior|de\s+abajo)|painel\s+(?:inferior|de\s+baixo)|pannello\s+(?:inferiore|in\s+basso)|"
         r"panneau\s+(?:inférieur|du\s+bas)|untere[nrs]?\s+(?:bereich|panel|fensterbereich|teilfenster)|нижн\w*\s+панел|"
         r"(?:底部|下方)(?:的)?面板|下部?の?パネル|(?:아래쪽|하단)\s*패널|निचल[ाे]\s+पैनल", "bottom half"),
        # Halves and sides
        (r"mitad\s+izquierda|metade\s+esquerda|metà\s+(?:di\s+)?sinistra|moitié\s+(?:de\s+)?gauche|linken?\s+(?:bild)?hälfte|"
         r"parte\s+izquierda|parte\s+esquerda|parte\s+sinistra|partie\s+gauche|"
         r"левой\s+половин|左半|왼쪽\s*절반|बाएँ\s+आधे", "left half"),
        (r"mitad\s+derecha|metade\s+direita|metà\s+(?:di\s+)?destra|moitié\s+(?:de\s+)?droite|rechten?\s+(?:bild)?hälfte|"
         r"parte\s+derecha|parte\s+direita|parte\s+destra|partie\s+droite|"
         r"правой\s+половин|右半|오른쪽\s*절반|दाएँ\s+आधे", "right half"),
        (r"mitad\s+superior|parte\s+(?:superior|de\s+arriba)|metade\s+de\s+cima|parte\s+de\s+cima|"
         r"metà\s+superiore|parte\s+alta|moitié\s+supérieure|partie\s+(?:haute|supérieure)|obere[nr]?\s+hälfte|"
         r"верхн\w*\s+(?:половин|част)|上半|위쪽\s*(?:절반)?만?|ऊपरी\s+(?:आधे\s+)?हिस्से|顶部|上部(?=[にのでは])|상단", "top half"),
        (r"mitad\s+inferior|parte\s+(?:inferior|de\s+abajo)|metade\s+de\s+baixo|parte\s+de\s+baixo|"
         r"metà\s+inferiore|parte\s+bassa|moitié\s+inférieure|partie\s+(?:basse|inférieure)|untere[nr]?\s+hälfte|"
         r"нижн\w*\s+(?:половин|част)|下半|아래쪽\s*절반|निचले\s+(?:आधे\s+)?हिस्से|底部|下部(?=[にのでは])|하단", "bottom half"),
        (r"(?:de|a)\s+la\s+izquierda|(?:da|à)\s+esquerda|a\s+sinistra|à\s+gauche|ganz\s+links|links\s+im\s+bild|"
         r"linken\s+seite|слева|左边|左侧|左側|左の|왼쪽에|बाईं\s+(?:ओर|तरफ़)", "left half"),
        (r"(?:de|a)\s+la\s+derecha|(?:da|à)\s+direita|a\s+destra|à\s+droite|ganz\s+rechts|rechts\s+im\s+bild|"
         r"rechten\s+seite|справа|右边|右侧|右側|右の|오른쪽|दाईं\s+(?:ओर|तरफ़)", "right half"),
        (r"al\s+fondo|no\s+fundo|sullo\s+sfondo|arrière-plan|im\s+hintergrund|на\s+заднем\s+плане|背景|배경|"
         r"बैकग्राउंड", "background"),
    )
)


def _localised(question: str) -> Region | None:
    for pattern, name in _LOCALISED:
        if pattern.search(question):
            return Region(name, _BOXES[name])
    return None


def _vertical(word: str) -> str:
    return "top" if word.lower() in ("top", "upper") else "bottom"


def _masked(question: str) -> str:
    """``question`` with the spatial phrases that name no region blanked out."""
    for pattern in _NOT_REGIONS:
        question = pattern.sub(lambda m: " " * len(m.group(0)), question)
    return question


def parse_region(question: str) -> Region | None:
    """The first region named in ``question``, or None when it names none."""
    if not question:
        return None
    question = _masked(question)
    for pattern, kind in _PATTERNS:
        match = pattern.search(question)
        if match is None:
            continue
        groups = match.groupdict()
        if kind == "corner":
            v, h = _vertical(groups["v"]), groups["h"].lower()
            left = 0.0 if h == "left" else 0.5
            top = 0.0 if v == "top" else 0.5
            return Region(f"{v}-{h} corner", (left, top, left + 0.5, top + 0.5))
        name = groups.get("n", "").lower()
        if kind == "third":
            return Region(f"{name} third", _THIRDS[name])
        if kind == "half":
            return Region(f"{name} half", _HALVES[name])
        if kind in ("band", "sidebar", "row", "column"):
            table = {"band": _BAND_OF, "sidebar": _BAND_OF, "row": _ROW_OF, "column": _COLUMN_OF}[kind]
            label, box = _FIXED[table[name]]
            return Region(label, box)
        label, box = _FIXED[kind]
        return Region(label, box)
    return _localised(question)


_PARTS: tuple[tuple[re.Pattern[str], str], ...] = _compiled(
    (
        # English: "the legend", "chart legend", "legend entries"; "key" only as a chart's or
        # map's key ("the key" alone is a keyboard's or a door's).
        (r"\b(?:the|this|its|that|chart|graph|plot|map|figure)(?:['’]s)?\s+(?:\w+\s+)?legend\b|"
         r"\blegend\s+(?:entries|entry|items?|labels?|box|colou?rs?|symbols?)\b|"
         r"\b(?:chart|graph|plot|map)['’]?s?\s+key\b|\bkey\s+(?:of|on|in|to)\s+(?:the|this)\s+(?:chart|graph|plot|map)\b|"
         # es/pt/it/fr/de with the definite article: "une légende" / "uma legenda" is a caption
         # to write (a gist request), and a photo's caption has no samples to be located by.
         r"\b(?:la|de\s+la|en\s+la|a|da|na|nella|della|sulla|dans\s+la|die|der|in\s+der)\s+"
         r"(?:leyenda|legenda|légende|legende)\b|"
         r"легенд\w*|图例|圖例|凡例|범례|लेजेंड|लीजेंड", "legend"),
    )
)


def parse_part(question: str) -> str | None:
    """The part with no fixed place that ``question`` names ("legend"), or None.

    Only asked when :func:`parse_region` reads no position: "the legend in the top right" is
    the top-right corner.
    """
    if not question:
        return None
    for pattern, name in _PARTS:
        if pattern.search(question):
            return name
    return None
