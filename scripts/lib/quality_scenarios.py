"""The quality benchmark's questions: written per image kind, each with what its answer needs.

Four categories, as the issue names them:

* ``general``: the gist ("what is this chart about?"); nothing in particular must stay legible;
* ``detail``: exact small facts (numbers, versions, values on a chart); the words that matter are
  the ground-truth words that contain a digit (all words where a page has fewer than three);
* ``region``: a named part of the image; carries a ground-truth box, written here from what the
  phrase means to a person (a corner is a quarter, a half is a half, a footer is the bottom tenth),
  not from the product's region parser, and the words that matter are those inside it;
* ``text``: transcription; every ground-truth word matters.

The questions are fixed strings (no randomness), several phrasings per kind and category, cycled
over the images, so every image gets one question per category and a re-run asks the same ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from scripts.lib.quality_corpus import CorpusImage, Kind

Category = Literal["general", "detail", "region", "text"]
CATEGORIES: tuple[Category, ...] = ("general", "detail", "region", "text")
Box = tuple[float, float, float, float]

FOOTER_BOX: Box = (0.0, 0.9, 1.0, 1.0)
HEADER_BOX: Box = (0.0, 0.0, 1.0, 0.12)
REGION_BOXES: dict[str, Box] = {
    "top-right corner": (0.5, 0.0, 1.0, 0.5),
    "top-left corner": (0.0, 0.0, 0.5, 0.5),
    "bottom-left corner": (0.0, 0.5, 0.5, 1.0),
    "bottom-right corner": (0.5, 0.5, 1.0, 1.0),
    "left half": (0.0, 0.0, 0.5, 1.0),
    "right half": (0.5, 0.0, 1.0, 1.0),
    "top half": (0.0, 0.0, 1.0, 0.5),
    "bottom half": (0.0, 0.5, 1.0, 1.0),
    "footer": FOOTER_BOX,
    "header": HEADER_BOX,
}

# kind -> category -> [(question, region name or None)]
QUESTIONS: dict[Kind, dict[Category, list[tuple[str, str | None]]]] = {
    "photo": {
        "general": [("What is shown in this photo?", None),
                    ("Describe the colours and the mood of this picture.", None),
                    ("What is the main subject of this image?", None)],
        "region": [("What is in the top-right corner of this photo?", "top-right corner"),
                   ("What can you see in the bottom-left corner of the picture?", "bottom-left corner"),
                   ("Describe the left half of the image.", "left half"),
                   ("What is in the top half of the photo?", "top half")],
    },
    "document": {
        "general": [("What kind of document is this?", None),
                    ("What is this page about, in one sentence?", None)],
        "detail": [("What exact version numbers, dates or figures appear on this page?", None),
                   ("List the exact numbers mentioned in this document.", None)],
        "region": [("What does the footer of this page say?", "footer"),
                   ("What is written in the top half of the page?", "top half"),
                   ("Summarise the bottom half of the page.", "bottom half")],
        "text": [("Transcribe all the text on this page.", None),
                 ("Extract the full text of this document.", None)],
    },
    "screenshot": {
        "general": [("What is this screenshot of?", None),
                    ("What website or application is shown here?", None)],
        "detail": [("What are the exact section numbers shown on this screen?", None),
                   ("What exact numbers appear in this screenshot?", None)],
        "region": [("What is in the header of this page?", "header"),
                   ("What is written in the top-left corner of the screen?", "top-left corner"),
                   ("What does the bottom half of the screenshot show?", "bottom half")],
        "text": [("Extract all the text from this screenshot.", None),
                 ("Transcribe the text shown on this screen.", None)],
    },
    "chart": {
        "general": [("What is this chart about?", None),
                    ("What kind of chart is this?", None)],
        "detail": [("What is the exact value of the largest bar or slice?", None),
                   ("What exact numbers are written on this chart?", None)],
        "region": [("What is shown in the top half of the chart?", "top half"),
                   ("What labels are on the bottom half of the chart?", "bottom half"),
                   ("What does the right half of the chart show?", "right half")],
        "text": [("Read out every label on this chart.", None),
                 ("Transcribe all the text in this chart.", None)],
    },
}


@dataclass(frozen=True)
class Scenario:
    id: str
    image: str
    """Corpus image name."""
    kind: Kind
    category: Category
    question: str
    region: str | None = None
    region_box: Box | None = None


def scenarios(images: Sequence[CorpusImage]) -> list[Scenario]:
    """One scenario per (image, category its kind has), the phrasing cycled per kind."""
    out = []
    seen: dict[tuple[Kind, Category], int] = {}
    for img in images:
        for category, phrasings in QUESTIONS[img.kind].items():
            n = seen.get((img.kind, category), 0)
            seen[(img.kind, category)] = n + 1
            question, region = phrasings[n % len(phrasings)]
            out.append(Scenario(
                id=f"{img.name}:{category}", image=img.name, kind=img.kind, category=category,
                question=question, region=region, region_box=REGION_BOXES[region] if region else None,
            ))
    return out


@dataclass(frozen=True)
class Truth:
    """A ground-truth word with its box (fractions of the image)."""

    text: str
    box: Box
    role: str = "body"


def words_that_matter(scenario: Scenario, truth: Iterable[Truth]) -> set[str]:
    """The normalised words a correct answer to ``scenario`` needs to be able to read."""
    words = list(truth)
    if scenario.category == "general":
        return set()
    if scenario.category == "text":
        return {w.text for w in words}
    if scenario.category == "detail":
        digits = {w.text for w in words if any(ch.isdigit() for ch in w.text)}
        return digits if len(digits) >= 3 else {w.text for w in words}
    assert scenario.region_box is not None
    if scenario.region == "footer" and any(w.role == "footer" for w in words):
        return {w.text for w in words if w.role == "footer"}
    return {w.text for w in words if _inside(w.box, scenario.region_box)}


def _inside(box: Box, region: Box) -> bool:
    """A word belongs to a region when its whole box lies inside it."""
    return box[0] >= region[0] and box[1] >= region[1] and box[2] <= region[2] and box[3] <= region[3]


def coverage(crop: Sequence[float], region: Box) -> float:
    """Share of ``region``'s area that ``crop`` (same fractional coordinates) contains."""
    w = max(0.0, min(crop[2], region[2]) - max(crop[0], region[0]))
    h = max(0.0, min(crop[3], region[3]) - max(crop[1], region[1]))
    area = (region[2] - region[0]) * (region[3] - region[1])
    return (w * h) / area if area > 0 else 0.0
