"""Tests for headroom_edge.providers: the documented per-request and per-image limits."""

from __future__ import annotations

from headroom_edge.providers import MB, SMALL_CONTEXT_TOKENS, rules_for


def test_openai_limits() -> None:
    rules = rules_for("openai")
    assert (rules.max_request_bytes, rules.max_images) == (512 * MB, 1500)
    assert rules.image_limit() == rules.image_limit(128_000) == 1500


def test_anthropic_limits() -> None:
    rules = rules_for("anthropic")
    assert (rules.max_side, rules.max_request_bytes, rules.max_image_base64_bytes) == (8000, 32 * MB, 10 * MB)
    assert rules.image_limit() == 600
    assert rules.image_limit(1_000_000) == 600
    assert rules.image_limit(SMALL_CONTEXT_TOKENS) == 100  # 200k-context models


def test_gemini_inline_limit() -> None:
    rules = rules_for("google")
    assert (rules.max_request_bytes, rules.max_images) == (100 * MB, None)


def test_megabytes_are_decimal() -> None:
    assert MB == 1_000_000  # the smaller reading of "MB": a body under it is under either
