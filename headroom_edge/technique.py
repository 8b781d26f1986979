"""The five ways headroom_edge can treat one image.

Why this is not ``techniques/__init__``: the name of a technique is vocabulary that the config,
results, the question rules, the router's label map and the decision all use, while
``techniques/`` holds the code that applies one. Keeping the enum in this low module lets all of
them name a technique without importing technique code (scripts/import_graph.py checks it).
"""

from __future__ import annotations

from enum import Enum


class Technique(str, Enum):
    """What happens to one image part.

    The values are the wire names used in results, headers, metrics and the router's label map,
    so they never change once released. The router chooses among the first four; FIT is chosen
    by the policy only, where image analysis measured the text a general question's low-detail
    view would lose.
    """

    FULL_LOW = "full_low"
    """General question: send the provider's low-detail version of the image."""
    PRESERVE = "preserve"
    """Fine detail needed: send the client's bytes untouched."""
    CROP = "crop"
    """Question about one region: send only that region."""
    TRANSCODE = "transcode"
    """The text is the answer: send OCR text (plus, by default, a low-detail thumbnail)."""
    FIT = "fit"
    """The smallest size at which the image's smallest text stays legible: a general question on
    a page whose text low detail would blur, sent on the provider's grid (Gemini 3: the lowest
    media-resolution level) at fewer tokens than the original (see ``headroom_edge.fitplan``)."""

    def __str__(self) -> str:  # so f-strings and logs show "full_low", not "Technique.FULL_LOW"
        return self.value
