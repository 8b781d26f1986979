"""The rule that picks the router's default harm weight from the calibration curve."""

from __future__ import annotations

from scripts.lib.operating_point import pick_harm_weight


def _pt(w: float, strict: float, harmful: float, savings: float) -> dict[str, float]:
    return {"harm_weight": w, "strict": strict, "harmful": harmful, "cost_miss": 1 - strict - harmful,
            "savings": savings}


# The shape measured for this round's candidate: harm only reaches 0 once the router preserves everything.
CURVE = [
    _pt(0.3, 0.963, 0.018, 0.52), _pt(1.0, 0.955, 0.017, 0.51), _pt(2.0, 0.941, 0.0157, 0.50),
    _pt(2.5, 0.932, 0.0157, 0.49), _pt(3.0, 0.900, 0.0115, 0.46), _pt(5.0, 0.497, 0.0, 0.13),
]


def test_a_collapsed_point_is_never_the_default() -> None:
    assert pick_harm_weight(CURVE, max_harm=0.01, max_strict_drop=0.05) == 2.0


def test_the_cheapest_point_under_the_harm_bound_wins() -> None:
    assert pick_harm_weight(CURVE, max_harm=0.0175, max_strict_drop=0.05) == 1.0


def test_a_wider_accuracy_window_buys_less_harm() -> None:
    assert pick_harm_weight(CURVE, max_harm=0.01, max_strict_drop=0.1) == 3.0
    assert pick_harm_weight(CURVE, max_harm=0.01, max_strict_drop=1.0) == 5.0


def test_without_a_point_under_the_harm_bound_the_lowest_mean_cost_wins() -> None:
    """One calib question fewer harmful at 2.5 is not worth the cost misses it buys there."""
    costs = {0.3: 0.208, 1.0: 0.203, 2.0: 0.1897, 2.5: 0.1913, 3.0: 0.213, 5.0: 0.362}
    curve = [dict(p, mean_cost=costs[p["harm_weight"]]) for p in CURVE]
    curve[3]["harmful"] = 0.0129  # 2.5 has the fewest harmful of the near points
    assert pick_harm_weight(curve, max_harm=0.01, max_strict_drop=0.05) == 2.0
    without_costs = [{k: v for k, v in p.items() if k != "mean_cost"} for p in curve]
    assert pick_harm_weight(without_costs, max_harm=0.01, max_strict_drop=0.05) == 2.5  # older curves
