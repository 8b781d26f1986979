"""The router's default operating point, picked from its calibration curve (no torch here, so
tests can check the rule without the training stack)."""

from __future__ import annotations

HARM_WEIGHTS = (0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 8.0, 12.0)
"""The operating curve's points (``CostMatrix.harm_weight``)."""


def pick_harm_weight(curve: list[dict[str, float]], max_harm: float, max_strict_drop: float) -> float:
    """The default operating point, chosen on the calibration curve alone.

    Only points whose strict accuracy is within ``max_strict_drop`` of the curve's best are
    candidates: past that the router buys its last harmful cases by preserving nearly everything
    (measured: harm_weight 5 reached 0 harmful on calib at 50% strict accuracy and 13% savings,
    which is no router at all). Among the candidates, the cheapest (most savings) whose harmful
    rate is at most ``max_harm``; when none is, the one with the fewest harmful, then the most
    savings.
    """
    best = max(c["strict"] for c in curve)
    near = [c for c in curve if c["strict"] >= best - max_strict_drop - 1e-12]
    ok = [c for c in near if c["harmful"] <= max_harm]
    if ok:
        return max(ok, key=lambda c: (c["savings"], -c["harm_weight"]))["harm_weight"]
    return min(near, key=lambda c: (c["harmful"], -c["savings"], c["harm_weight"]))["harm_weight"]
