"""The four ways headroom_edge can treat one image.

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
    so they never change once released.
    """

    FULL_LOW = "full_low"
    """General question: send the provider's low-detail version of the image."""
    PRESERVE = "preserve"
    """Fine detail needed: send the client's bytes untouched."""
    CROP = "crop"
    """Question about one region: send only that region."""
    TRANSCODE = "transcode"
    """The text is the answer: send OCR text (plus, by default, a low-detail thumbnail)."""

    def __str__(self) -> str:  # so f-strings and logs show "full_low", not "Technique.FULL_LOW"
        return self.value
