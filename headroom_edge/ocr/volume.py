"""How much text a page holds and how long reading it will take, known before reading it.

Why: a transcode is only worth its OCR when the page's text costs fewer tokens than its pixels,
and only possible when recognition finishes inside the request's time budget. Both follow from
the detector's boxes alone, which cost a tenth of the recognition they can save:

* characters ~ box width / (``CHAR_ADVANCE_EM`` x text height) per box: Latin text advances
  a little over half of the detector's text height per character, spaces included (measured
  0.49-0.64 on the nine pages of scripts/bench_ocr.py, median 0.57);
* recognition seconds ~ the columns the recogniser will be fed (each line scaled to height 48,
  padding of its batch included) x seconds per column, a rate the engine measures on its own
  reads (:class:`RecognitionCost`), starting from ``PRIOR_SECONDS_PER_COLUMN``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from headroom_edge.ocr.detector import TextBox

CHAR_ADVANCE_EM = 0.56
"""Mean advance per character (spaces included) over the detector's text height, fitted on the
benchmark's rendered pages (DejaVu/Noto faces, 10-28 px, columns, a table, a UI page): the
estimate lands within -13%..+14% of the drawn characters there."""
ESTIMATE_SPREAD = 0.15
"""``ReadLimits.max_text_tokens`` is enforced with this much slack, the spread of the estimate:
skipping a transcode that would have saved costs savings, so only a clear excess skips."""
PRIOR_SECONDS_PER_COLUMN = 70e-6
"""Recognition seconds per input column before the engine has measured its own. The int8
recogniser took 138 us of CPU per column on a 2-core VM (an A4 page of 16 px serif text: 67
lines, 125,728 columns, 17.4 s CPU), i.e. ~70 us of wall time with both cores to itself; under
load the engine measures more (scripts/bench_ocr.py prints the rate it ended with). Only the
first page of a process is judged with the prior."""
SMOOTHING = 0.3
"""Weight of the newest read in the running rate: a few reads follow a change of load."""


def estimate_chars(boxes: Sequence[TextBox]) -> int:
    """Characters the boxes hold, spaces included, plus one separator per box."""
    total = 0
    for box in boxes:
        height = max(1.0, box.text_height or box.height)
        total += max(1, round(box.width / (CHAR_ADVANCE_EM * height))) + 1
    return total


@dataclass
class RecognitionCost:
    """The measured recognition rate of one engine (seconds per input column), thread-safe.

    Owned by an :class:`~headroom_edge.ocr.engine.OcrEngine`, so the rate follows the machine,
    the execution provider and the load it actually runs under.
    """

    seconds_per_column: float = PRIOR_SECONDS_PER_COLUMN
    reads: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def estimate(self, columns: int) -> float:
        return columns * self.seconds_per_column

    def observe(self, columns: int, seconds: float) -> None:
        if columns <= 0 or seconds <= 0:
            return
        rate = seconds / columns
        with self._lock:
            weight = 1.0 if self.reads == 0 else SMOOTHING
            self.seconds_per_column += weight * (rate - self.seconds_per_column)
            self.reads += 1


@dataclass(frozen=True)
class ReadLimits:
    """When ``OcrEngine.read`` should not recognise at all (None: no limit).

    Checked after detection, before recognition; a read that is skipped returns no text and
    says why (``OcrResult.skipped``).
    """

    max_text_tokens: int | None = None
    """Skip when the estimated text (``estimate_chars`` -> tokens) exceeds this by more than
    ``ESTIMATE_SPREAD``."""
    max_seconds: float | None = None
    """Skip when the estimated recognition time exceeds this."""
