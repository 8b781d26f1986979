"""Knowing before recognition how much text a page holds and how long reading it takes."""

from __future__ import annotations

import pytest

from headroom_edge.ocr import OcrEngine, ReadLimits, RecognitionCost, estimate_chars
from headroom_edge.ocr.volume import PRIOR_SECONDS_PER_COLUMN, SMOOTHING
from tests.ocr.render import render_lines

SENTENCES = [
    "Packages are installed from the archive with apt and kept up to date by the",
    "unattended upgrades service, which downloads security fixes every night and",
    "installs them when the machine is idle; see the manual page for the options.",
    "Configuration lives in /etc/apt/apt.conf.d/50unattended-upgrades (edit it).",
]


@pytest.mark.parametrize("size", [12, 18, 26])
def test_estimate_is_near_the_drawn_characters(engine: OcrEngine, size: int) -> None:
    page = render_lines(SENTENCES * 3, size, width=max(1200, size * 48))
    found = engine.detect(page.image, max_side=max(page.image.size))
    truth = sum(len(t) + 1 for t in page.texts)
    assert abs(estimate_chars(found.boxes) - truth) <= 0.25 * truth


def test_cost_learns_the_measured_rate() -> None:
    cost = RecognitionCost()
    assert cost.estimate(1000) == pytest.approx(1000 * PRIOR_SECONDS_PER_COLUMN)
    cost.observe(1000, 0.5)  # the first read replaces the prior
    assert cost.seconds_per_column == pytest.approx(0.5e-3)
    cost.observe(1000, 1.5)  # later reads move it by SMOOTHING of the difference
    assert cost.seconds_per_column == pytest.approx(0.5e-3 + SMOOTHING * 1e-3)
    cost.observe(0, 1.0)  # nothing read: nothing learnt
    assert cost.reads == 2


def test_read_records_its_estimates_and_learns(engine: OcrEngine) -> None:
    page = render_lines(SENTENCES, 20)
    before = engine.cost.reads
    result = engine.read(page.image)
    assert result.skipped is None and "unattended" in result.text
    assert result.estimated_chars > 0 and result.estimated_seconds > 0
    assert engine.cost.reads == before + 1


def test_too_much_text_skips_recognition(engine: OcrEngine) -> None:
    page = render_lines(SENTENCES * 2, 16)
    before = engine.cost.reads
    result = engine.read(page.image, limits=ReadLimits(max_text_tokens=20))
    assert result.skipped is not None and "tokens" in result.skipped and result.skipped_for == "tokens"
    assert result.text == "" and result.lines == ()
    assert result.estimated_chars > 300
    assert engine.cost.reads == before  # the recogniser never ran


def test_too_slow_skips_recognition(engine: OcrEngine) -> None:
    page = render_lines(SENTENCES, 16)
    result = engine.read(page.image, limits=ReadLimits(max_seconds=1e-6))
    assert result.skipped is not None and "recognition" in result.skipped and result.skipped_for == "time"
    assert result.text == ""


def test_generous_limits_read_as_usual(engine: OcrEngine) -> None:
    page = render_lines(SENTENCES[:2], 18)
    result = engine.read(page.image, limits=ReadLimits(max_text_tokens=10_000, max_seconds=3600))
    assert result.skipped is None and "archive" in result.text
