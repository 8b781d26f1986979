"""The four ways headroom_edge can treat one image."""

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
