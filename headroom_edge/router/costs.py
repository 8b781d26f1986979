"""Choosing a technique from calibrated probabilities under an explicit cost matrix.

Why not argmax: the four mistakes are not equally bad. Sending a "read the serial number" image
at low detail (``full_low``) is a wrong answer the user never sees coming; keeping a "what animal
is this?" image untouched (``preserve``) only costs tokens. With calibrated probabilities ``p`` and
a matrix ``cost[true][chosen]``, the technique with the lowest expected cost
``sum_t p[t] * cost[t][chosen]`` is the right bet, and the matrix states the trade-off in one
readable place instead of hiding it in thresholds.

The default matrix (``DEFAULT_COSTS``) and its ``harm_weight`` (the factor on every lossy
mistake) were chosen from the operating curve published in ``models/router/metadata.json``
(savings vs harmful-downgrade rate on the calibration split); ``CostMatrix.scaled`` gives the
other points of that curve.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

LABEL_ORDER = ("full_low", "preserve", "crop", "transcode")

DEFAULT_COSTS: dict[str, dict[str, float]] = {
    # true label -> chosen technique -> cost. 0 on the diagonal.
    "full_low": {"full_low": 0.0, "preserve": 1.0, "crop": 3.0, "transcode": 0.8},
    "preserve": {"full_low": 10.0, "preserve": 0.0, "crop": 6.0, "transcode": 4.0},
    "crop": {"full_low": 6.0, "preserve": 0.4, "crop": 0.0, "transcode": 3.0},
    "transcode": {"full_low": 10.0, "preserve": 0.4, "crop": 5.0, "transcode": 0.0},
}
"""Costs in units of "one missed saving on a gist question". Lossy mistakes on questions that need
the pixels (preserve/transcode sent ``full_low``, a region's detail lost) are the expensive ones;
keeping the image when a cheaper technique would do is cheap. Off-diagonal entries above 1 are
scaled by ``harm_weight``."""

RELATIVE_TOKENS: dict[str, float] = {"full_low": 0.12, "preserve": 1.0, "crop": 0.35, "transcode": 0.3}
"""Typical image tokens of each technique relative to the untouched image (a 1024x1024 photo on a
tile model; crop and transcode vary with the image). Used only to draw the operating curve."""


@dataclass(frozen=True)
class CostMatrix:
    """``costs[true][chosen]``; ``harm_weight`` multiplies every entry above 1 (the lossy ones)."""

    costs: Mapping[str, Mapping[str, float]] = field(default_factory=lambda: DEFAULT_COSTS)
    harm_weight: float = 1.0

    def __post_init__(self) -> None:
        for true in LABEL_ORDER:
            row = self.costs.get(true)
            if row is None or any(c not in row for c in LABEL_ORDER):
                raise ValueError(f"cost matrix needs a full row for {true!r} with columns {LABEL_ORDER}")
            if any(row[c] < 0 for c in LABEL_ORDER) or row[true] != 0:
                raise ValueError(f"cost matrix row {true!r}: costs must be >= 0 and 0 on the diagonal")
        if self.harm_weight <= 0:
            raise ValueError("harm_weight must be > 0")

    def cost(self, true: str, chosen: str) -> float:
        c = float(self.costs[true][chosen])
        return c * self.harm_weight if c > 1.0 else c

    def scaled(self, harm_weight: float) -> CostMatrix:
        return CostMatrix(self.costs, harm_weight)

    def expected(self, probabilities: Mapping[str, float]) -> dict[str, float]:
        """Expected cost of choosing each technique, given per-technique probabilities."""
        return {
            chosen: sum(float(probabilities.get(t, 0.0)) * self.cost(t, chosen) for t in LABEL_ORDER)
            for chosen in LABEL_ORDER
        }

    def choose(self, probabilities: Mapping[str, float]) -> str:
        """The technique with the lowest expected cost; ties go to the safer (keeps more pixels)."""
        expected = self.expected(probabilities)
        safety = {"preserve": 0, "transcode": 1, "crop": 2, "full_low": 3}
        return min(LABEL_ORDER, key=lambda c: (round(expected[c], 12), safety[c]))

    def to_json(self) -> dict[str, object]:
        return {"costs": {t: dict(self.costs[t]) for t in LABEL_ORDER}, "harm_weight": self.harm_weight}

    @classmethod
    def from_json(cls, raw: Mapping[str, object] | None) -> CostMatrix:
        if not raw:
            return cls()
        costs = raw.get("costs") or DEFAULT_COSTS
        return cls({t: {c: float(v) for c, v in row.items()} for t, row in costs.items()},  # type: ignore[union-attr]
                   float(raw.get("harm_weight", 1.0)))  # type: ignore[arg-type]
