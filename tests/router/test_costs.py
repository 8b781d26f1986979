"""The cost matrix: expected costs, harm-averse choices, validation and JSON round trips."""

from __future__ import annotations

import pytest

from headroom_edge.router.costs import DEFAULT_COSTS, LABEL_ORDER, CostMatrix


def probs(**kw: float) -> dict[str, float]:
    out = {label: 0.0 for label in LABEL_ORDER}
    out.update(kw)
    return out


def test_confident_gist_goes_low() -> None:
    assert CostMatrix().choose(probs(full_low=0.98, preserve=0.02)) == "full_low"


def test_a_little_doubt_about_detail_keeps_the_pixels() -> None:
    # argmax says full_low, but a 30% chance the answer needs the pixels is not worth the saving
    assert CostMatrix().choose(probs(full_low=0.7, preserve=0.3)) == "preserve"


def test_transcode_vs_gist_doubt_prefers_safe() -> None:
    assert CostMatrix().choose(probs(full_low=0.55, transcode=0.45)) in ("transcode", "preserve")


def test_crop_or_transcode_doubt_keeps_the_image() -> None:
    assert CostMatrix().choose(probs(crop=0.5, transcode=0.5)) == "preserve"


def test_harm_weight_moves_the_operating_point() -> None:
    p = probs(full_low=0.9, preserve=0.1)
    assert CostMatrix().scaled(0.1).choose(p) == "full_low"
    assert CostMatrix().scaled(10.0).choose(p) == "preserve"


def test_expected_costs_are_the_weighted_sum() -> None:
    m = CostMatrix()
    p = probs(full_low=0.5, preserve=0.5)
    e = m.expected(p)
    assert e["full_low"] == pytest.approx(0.5 * DEFAULT_COSTS["preserve"]["full_low"])
    assert e["preserve"] == pytest.approx(0.5 * DEFAULT_COSTS["full_low"]["preserve"])


def test_ties_go_to_the_safer_technique() -> None:
    zero = {t: {c: 0.0 for c in LABEL_ORDER} for t in LABEL_ORDER}
    assert CostMatrix(zero).choose(probs(full_low=1.0)) == "preserve"


@pytest.mark.parametrize("bad", [
    {"full_low": {"full_low": 0.0}},
    {t: {c: (1.0 if t == c else 0.0) for c in LABEL_ORDER} for t in LABEL_ORDER},
    {t: {c: -1.0 if t != c else 0.0 for c in LABEL_ORDER} for t in LABEL_ORDER},
])
def test_invalid_matrices_are_refused(bad: dict) -> None:
    with pytest.raises(ValueError):
        CostMatrix(bad)


def test_harm_weight_must_be_positive() -> None:
    with pytest.raises(ValueError):
        CostMatrix(harm_weight=0)


def test_json_round_trip() -> None:
    m = CostMatrix().scaled(2.5)
    again = CostMatrix.from_json(m.to_json())
    assert again.to_json() == m.to_json()
    assert CostMatrix.from_json(None).to_json() == CostMatrix().to_json()
