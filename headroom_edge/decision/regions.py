"""Reading a named image region out of a question ("top-right corner", "the left half", ...).

A region is a fractional box (left, top, right, bottom) in 0..1 of the oriented image; the
:class:`~headroom_edge.context.Region` type itself lives in the shared vocabulary (the crop
technique needs it too) and is re-exported here.
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
    return None
