"""What a decision is, independent of who makes it (rules, router, policy)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from headroom_edge.context import Region
from headroom_edge.results import DecidedBy
from headroom_edge.technique import Technique


@dataclass(frozen=True)
class Decision:
    """The technique chosen for one image, and why."""

    technique: Technique
    confidence: float
    reason: str
    decided_by: DecidedBy
    """"rules", "router" or "policy" (router/rules choice changed by image analysis)."""
    region: Region | None = None
    """Set for CROP: the region the question names."""
    signals: dict[str, Any] = field(default_factory=dict)
    legible_px: float | None = None
    """Set for FIT: the cap height the plan keeps (None: ``fitplan.LEGIBLE_TEXT_PX``)."""
    part: str | None = None
    """Set for CROP when the question names a part with no fixed place ("legend",
    :func:`~headroom_edge.decision.regions.parse_part`) instead of a region: image analysis
    locates it and sets ``region`` (policy row 7), or the image is kept."""
