"""Metrics: counting and the Prometheus text format."""

from __future__ import annotations

from headroom_edge.integrations import Metrics
from headroom_edge.results import CompressionResult, ImageResult
from headroom_edge.technique import Technique


def _result() -> CompressionResult:
    image = ImageResult(
        index=0,
        technique=Technique.FULL_LOW,
        original_tokens=765,
        compressed_tokens=85,
        confidence=0.9,
        reason="test",
    )
    return CompressionResult(images=(image, image))


def test_render_counts_and_histogram() -> None:
    m = Metrics(latency_buckets=(0.1, 1.0))
    m.record_compression(_result(), 1000, 400, 0.05)
    m.record_compression(_result(), 1000, 400, 0.5)
    m.count_request("openai_chat", "openai", 200)
    m.count_shed("queue_full")
    m.count_fail_open("error")
    text = m.render()
    assert 'headroom_images_total{technique="full_low"} 4' in text
    assert "headroom_tokens_before_total 3060" in text
    assert "headroom_tokens_after_total 340" in text
    assert "headroom_body_bytes_after_total 800" in text
    assert 'headroom_compression_seconds_bucket{le="0.1"} 1' in text
    assert 'headroom_compression_seconds_bucket{le="1"} 2' in text
    assert 'headroom_compression_seconds_bucket{le="+Inf"} 2' in text
    assert "headroom_compression_seconds_count 2" in text
    assert 'headroom_requests_total{route="openai_chat",status="200",upstream="openai"} 1' in text
    assert 'headroom_shed_total{reason="queue_full"} 1' in text
    assert "headroom_bypass_total 0" in text
    assert text.endswith("\n")
    for line in text.splitlines():  # every metric is introduced by HELP and TYPE
        if line.startswith("# TYPE"):
            assert line.split()[3] in ("counter", "histogram")


def test_label_values_are_escaped() -> None:
    m = Metrics()
    m.count_request('we"ird\\route\n', "openai", 200)
    assert 'route="we\\"ird\\\\route\\n"' in m.render()


def test_separate_instances_do_not_share_state() -> None:
    a, b = Metrics(), Metrics()
    a.count_bypass()
    assert a.value("headroom_bypass_total") == 1 and b.value("headroom_bypass_total") == 0
