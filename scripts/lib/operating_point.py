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
    rate is at most ``max_harm``. When none is, the one with the lowest mean cost under the
    project's cost matrix at harm weight 1 (``mean_cost``, the figure models are compared by):
    trading one more avoided harmful case for many cost misses only while that is cheaper.
    Measured on this round's candidate: the fewest-harmful rule took harm_weight 2.5 for 1.29%
    harmful against 1.39% at 1.5 and 2.0 (one calib question in 1,007), and preserved "What is
    this?" (p 0.950) with it; the mean cost was lowest at 1.5. Curves without ``mean_cost`` keep
    the fewest-harmful rule (then the most savings).
    """
    best = max(c["strict"] for c in curve)
    near = [c for c in curve if c["strict"] >= best - max_strict_drop - 1e-12]
    ok = [c for c in near if c["harmful"] <= max_harm]
    if ok:
        return max(ok, key=lambda c: (c["savings"], -c["harm_weight"]))["harm_weight"]
    if all("mean_cost" in c for c in near):
        return min(near, key=lambda c: (c["mean_cost"], c["harmful"], c["harm_weight"]))["harm_weight"]
    return min(near, key=lambda c: (c["harmful"], -c["savings"], c["harm_weight"]))["harm_weight"]
