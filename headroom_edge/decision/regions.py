"""Reading a named image region out of a question ("top-right corner", "the left half", ...).

English phrasings are parsed with the patterns below (corners, halves, thirds, bands); the other
languages the router supports (es, de, fr, pt, it, ru, zh, ja, ko, hi) are read from a table of
fixed phrases (``_LOCALISED``) that map straight to the same named boxes. A question naming no
region we can read returns None, and the caller keeps the whole image: a crop of the wrong part
would lose the answer.

A region is a fractional box (left, top, right, bottom) in 0..1 of the oriented image (the
:class:`~headroom_edge.context.Region` type lives in the shared vocabulary, re-exported here). Boxes are a
little larger than the literal region (``MARGIN``) so that an object straddling the border is
still inside the crop: cutting the thing the user asks about in half is worse than a few extra
pixels.
"""

from __future__ import annotations

import re

from headroom_edge.context import MARGIN, Box, Region

__all__ = ["MARGIN", "Box", "Region", "parse_region"]

_THIRD = 1.0 / 3.0


_V = r"(?P<v>top|upper|bottom|lower)"
_H = r"(?P<h>left|right)"
_SEP = r"[\s-]*(?:hand[\s-]*)?"

# Order matters: the most specific phrasings first.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), kind)
    for pattern, kind in (
        (rf"\b{_V}{_SEP}{_H}\b", "corner"),
        (rf"\b{_H}{_SEP}{_V}\b", "corner"),
        (r"\b(?P<n>first|second|middle|center|centre|third|last|left|right|top|bottom|upper|lower)\s+third\b", "third"),
        (r"\b(?P<n>left|right|top|bottom|upper|lower)\s*(?:-\s*)?(?:half|side|edge|part|portion|column|margin|border)\b", "half"),
        (r"\b(?:on|at|to|in)\s+the\s+(?:far\s+|very\s+)?(?P<n>left|right|top|bottom)\b", "half"),
        (r"\b(?P<n>left|right|top|bottom|upper|lower)[\s-]*most\b", "half"),
        (r"\b(?:the\s+)?(?P<n>left|right)\s+(?:one|person|man|woman|car|object|item|image|picture|panel|figure|sign|building|animal|guy|girl|side)\b", "half"),
        (r"\b(?P<n>header|heading|title bar|top bar|menu bar|navbar|toolbar)\b", "top-band"),
        (r"\b(?P<n>footer|status bar|bottom bar|taskbar)\b", "bottom-band"),
        (r"\b(?P<n>sidebar|side bar)\b", "left-band"),
        (r"\b(?P<n>background|far away|in the distance|horizon)\b", "background"),
        (r"\b(?P<n>foreground|in the front|closest|nearest)\b", "foreground"),
        (r"\b(?:in\s+the\s+|at\s+the\s+|the\s+)(?P<n>cent(?:er|re)|middle)\b", "center"),
        (r"\b(?P<n>cent(?:er|re)|middle)\s+(?:of\s+the\s+(?:image|picture|photo|frame|screen|page)|part|area|region|section)\b", "center"),
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
    "top-band": ("top band", (0.0, 0.0, 1.0, 0.25)),
    "bottom-band": ("bottom band", (0.0, 0.75, 1.0, 1.0)),
    "left-band": ("left band", (0.0, 0.0, 0.3, 1.0)),
    # Background/foreground are heuristics for ordinary photos: far things sit high in the frame,
    # near things low. They are still crops of more than half the image, so little is lost.
    "background": ("background", (0.0, 0.0, 1.0, 0.6)),
    "foreground": ("foreground", (0.0, 0.4, 1.0, 1.0)),
    "center": ("center", (0.25, 0.25, 0.75, 0.75)),
}


_NAMED: dict[str, Box] = {
    "top-left corner": (0.0, 0.0, 0.5, 0.5),
    "top-right corner": (0.5, 0.0, 1.0, 0.5),
    "bottom-left corner": (0.0, 0.5, 0.5, 1.0),
    "bottom-right corner": (0.5, 0.5, 1.0, 1.0),
    "left half": _HALVES["left"],
    "right half": _HALVES["right"],
    "top half": _HALVES["top"],
    "bottom half": _HALVES["bottom"],
}

# (pattern, region name). Checked after the English patterns, most specific first; one list for
# all languages because a phrase of one never means something else in another.
_LOCALISED: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), name)
    for pattern, name in (
        # Spanish / Portuguese / Italian / French corners
        (r"esquina\s+(?:superior|de\s+arriba)\s+(?:a\s+la\s+)?izquierda|arriba\s+a\s+la\s+izquierda", "top-left corner"),
        (r"esquina\s+(?:superior|de\s+arriba)\s+(?:a\s+la\s+)?derecha|arriba\s+a\s+la\s+derecha", "top-right corner"),
        (r"esquina\s+(?:inferior|de\s+abajo)\s+(?:a\s+la\s+)?izquierda|abajo\s+a\s+la\s+izquierda", "bottom-left corner"),
        (r"esquina\s+(?:inferior|de\s+abajo)\s+(?:a\s+la\s+)?derecha|abajo\s+a\s+la\s+derecha", "bottom-right corner"),
        (r"canto\s+(?:superior|de\s+cima)\s+(?:à\s+)?esquerd[oa]|em\s+cima\s+à\s+esquerda", "top-left corner"),
        (r"canto\s+(?:superior|de\s+cima)\s+(?:à\s+)?direit[oa]|em\s+cima\s+à\s+direita", "top-right corner"),
        (r"canto\s+(?:inferior|de\s+baixo)\s+(?:à\s+)?esquerd[oa]|em\s+baixo\s+à\s+esquerda", "bottom-left corner"),
        (r"canto\s+(?:inferior|de\s+baixo)\s+(?:à\s+)?direit[oa]|em\s+baixo\s+à\s+direita", "bottom-right corner"),
        (r"in\s+alto\s+a\s+sinistra", "top-left corner"),
        (r"in\s+alto\s+a\s+destra", "top-right corner"),
        (r"in\s+basso\s+a\s+sinistra", "bottom-left corner"),
        (r"in\s+basso\s+a\s+destra", "bottom-right corner"),
        (r"coin\s+supérieur\s+gauche|en\s+haut\s+à\s+gauche", "top-left corner"),
        (r"coin\s+supérieur\s+droit|en\s+haut\s+à\s+droite", "top-right corner"),
        (r"coin\s+inférieur\s+gauche|en\s+bas\s+à\s+gauche", "bottom-left corner"),
        (r"coin\s+inférieur\s+droit|en\s+bas\s+à\s+droite", "bottom-right corner"),
        # German
        (r"oberen?\s+linken?\s+ecke|linken?\s+oberen?\s+ecke|oben\s+links", "top-left corner"),
        (r"oberen?\s+rechten?\s+ecke|rechten?\s+oberen?\s+ecke|oben\s+rechts", "top-right corner"),
        (r"unteren?\s+linken?\s+ecke|linken?\s+unteren?\s+ecke|unten\s+links", "bottom-left corner"),
        (r"unteren?\s+rechten?\s+ecke|rechten?\s+unteren?\s+ecke|unten\s+rechts", "bottom-right corner"),
        # Russian
        (r"(?:левом|левый)\s+верхн\w*\s+угл|верхн\w*\s+(?:левом|левый)\s+угл", "top-left corner"),
        (r"(?:правом|правый)\s+верхн\w*\s+угл|верхн\w*\s+(?:правом|правый)\s+угл", "top-right corner"),
        (r"(?:левом|левый)\s+нижн\w*\s+угл|нижн\w*\s+(?:левом|левый)\s+угл", "bottom-left corner"),
        (r"(?:правом|правый)\s+нижн\w*\s+угл|нижн\w*\s+(?:правом|правый)\s+угл", "bottom-right corner"),
        # Chinese / Japanese / Korean / Hindi
        (r"左上(?:角|方|の|隅)?", "top-left corner"),
        (r"右上(?:角|方|の|隅)?", "top-right corner"),
        (r"左下(?:角|方|の|隅)?", "bottom-left corner"),
        (r"右下(?:角|方|の|隅)?", "bottom-right corner"),
        (r"왼쪽\s*위", "top-left corner"),
        (r"오른쪽\s*위", "top-right corner"),
        (r"왼쪽\s*아래", "bottom-left corner"),
        (r"오른쪽\s*아래", "bottom-right corner"),
        (r"ऊपर(?:ी)?\s+बा(?:ए|एँ|यें|ईं)\s+कोने", "top-left corner"),
        (r"ऊपर(?:ी)?\s+दा(?:ए|एँ|यें|ईं)\s+कोने", "top-right corner"),
        (r"नीचे\s+बा(?:ए|एँ|यें|ईं)\s+कोने", "bottom-left corner"),
        (r"नीचे\s+दा(?:ए|एँ|यें|ईं)\s+कोने", "bottom-right corner"),
        # Halves and sides
        (r"mitad\s+izquierda|metade\s+esquerda|metà\s+sinistra|moitié\s+gauche|linken?\s+(?:bild)?hälfte|"
         r"левой\s+половин|左半|왼쪽\s*절반|बाएँ\s+आधे", "left half"),
        (r"mitad\s+derecha|metade\s+direita|metà\s+destra|moitié\s+droite|rechten?\s+(?:bild)?hälfte|"
         r"правой\s+половин|右半|오른쪽\s*절반|दाएँ\s+आधे", "right half"),
        (r"mitad\s+superior|parte\s+(?:superior|de\s+arriba)|metade\s+de\s+cima|parte\s+de\s+cima|"
         r"metà\s+superiore|parte\s+alta|moitié\s+supérieure|partie\s+(?:haute|supérieure)|obere[nr]?\s+hälfte|"
         r"верхн\w*\s+(?:половин|част)|上半|위쪽\s*(?:절반)?만?|ऊपरी\s+(?:आधे\s+)?हिस्से", "top half"),
        (r"mitad\s+inferior|parte\s+(?:inferior|de\s+abajo)|metade\s+de\s+baixo|parte\s+de\s+baixo|"
         r"metà\s+inferiore|parte\s+bassa|moitié\s+inférieure|partie\s+(?:basse|inférieure)|untere[nr]?\s+hälfte|"
         r"нижн\w*\s+(?:половин|част)|下半|아래쪽\s*절반|निचले\s+(?:आधे\s+)?हिस्से", "bottom half"),
        (r"(?:de|a)\s+la\s+izquierda|(?:da|à)\s+esquerda|a\s+sinistra|à\s+gauche|ganz\s+links|links\s+im\s+bild|"
         r"linken\s+seite|слева|左边|左側|왼쪽에|बाईं\s+(?:ओर|तरफ़)", "left half"),
        (r"(?:de|a)\s+la\s+derecha|(?:da|à)\s+direita|a\s+destra|à\s+droite|ganz\s+rechts|rechts\s+im\s+bild|"
         r"rechten\s+seite|справа|右边|右側|오른쪽|दाईं\s+(?:ओर|तरफ़)", "right half"),
    )
)

_LOCALISED_FIXED: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), kind)
    for pattern, kind in (
        (r"al\s+fondo|no\s+fundo|sullo\s+sfondo|arrière-plan|im\s+hintergrund|на\s+заднем\s+плане|背景|배경|"
         r"बैकग्राउंड", "background"),
        (r"barra\s+lateral|barre\s+latérale|seitenleiste|боковую\s+панель|боковой\s+панели|侧边栏|サイドバー|"
         r"사이드바|साइडबार", "left-band"),
    )
)


def _localised(question: str) -> Region | None:
    for pattern, name in _LOCALISED:
        if pattern.search(question):
            return Region(name, _NAMED[name])
    for pattern, kind in _LOCALISED_FIXED:
        if pattern.search(question):
            label, box = _FIXED[kind]
            return Region(label, box)
    return None


def _vertical(word: str) -> str:
    return "top" if word.lower() in ("top", "upper") else "bottom"


def parse_region(question: str) -> Region | None:
    """The first region named in ``question``, or None when it names none."""
    if not question:
        return None
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
        label, box = _FIXED[kind]
        return Region(label, box)
    return _localised(question)
