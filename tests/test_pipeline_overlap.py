"""ImagePipeline with a helper thread: the overlapped decision equals the inline one, and a busy
helper is never waited for. Timing claims are in scripts/bench.py and docs/benchmarks.md."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from headroom_edge import CompressionConfig, ImageCompressor, Technique
from headroom_edge.formats import get_format
from headroom_edge.formats.base import apply_edits
from headroom_edge.imaging import ImageError, probe_image
from headroom_edge.pipeline import ImagePipeline, _SharedSource
from headroom_edge.results import ImageResult
from tests import factories as f

CASES = [
    (f.photo_jpeg(1024, 1024), "image/jpeg", "What is in this photo?", Technique.FULL_LOW),
    (f.encode(f.screenshot(1280, 800), "PNG"), "image/png", "What app is this?", Technique.FIT),  # policy row 1: its UI text fits 1024x640
    (f.photo_jpeg(1024, 1024), "image/jpeg", "How many buttons are on the suit?", Technique.PRESERVE),
    (f.encode(f.quadrants(800), "PNG"), "image/png", "What is in the top-left corner?", Technique.CROP),
    (f.photo_jpeg(1024, 1024)[:20000], "image/jpeg", "What is in this photo?", None),  # header fine, pixels cut
]


@pytest.fixture(scope="module")
def compressor() -> ImageCompressor:
    return ImageCompressor()


@pytest.fixture
def helper() -> Iterator[ThreadPoolExecutor]:
    pool = ThreadPoolExecutor(1, "test-helper")
    yield pool
    pool.shutdown(wait=True)


def _run(pipeline: ImagePipeline, body: dict) -> tuple[list[ImageResult], dict]:
    fmt = get_format("openai_chat")
    slots = fmt.find_images(body)
    done = [pipeline.process(slot, fmt.provider, fmt.model(body)) for slot in slots]
    apply_edits(fmt, [(s, p.edit) for s, p in zip(slots, done, strict=True) if p.edit is not None])
    return [p.result for p in done], body


def _comparable(result: ImageResult) -> dict:
    return {k: v for k, v in vars(result).items() if k != "seconds"} | {
        "signals": {k: v for k, v in result.signals.items() if k != "seconds"}}


@pytest.mark.parametrize(("data", "media_type", "question", "expected"), CASES,
                         ids=["photo-low", "screenshot", "photo-preserve", "crop", "broken"])
def test_overlapped_decision_equals_the_inline_one(
    compressor: ImageCompressor, helper: ThreadPoolExecutor,
    data: bytes, media_type: str, question: str, expected: Technique | None,
) -> None:
    inline = ImagePipeline(compressor.config, compressor.decider, compressor.ocr)
    overlapped = ImagePipeline(compressor.config, compressor.decider, compressor.ocr, overlap=helper)
    (a,), body_a = _run(inline, f.openai_chat_body(data, question, media_type=media_type))
    (b,), body_b = _run(overlapped, f.openai_chat_body(data, question, media_type=media_type))
    assert _comparable(a) == _comparable(b)
    assert body_a == body_b
    if expected is not None:
        assert a.technique is expected, a.reason
    else:
        assert a.error is not None and b.error is not None  # fails open the same way


def test_a_busy_helper_is_not_waited_for(compressor: ImageCompressor, helper: ThreadPoolExecutor) -> None:
    """The helper is stuck on other work: the decision and decode run here, the queued early
    decode is cancelled, and the result is the same as inline."""
    release = threading.Event()
    blocker = helper.submit(release.wait, 30)
    try:
        pipeline = ImagePipeline(compressor.config, compressor.decider, compressor.ocr, overlap=helper)
        (result,), _ = _run(pipeline, f.openai_chat_body(f.photo_jpeg(), "What is in this photo?"))
        assert result.technique is Technique.FULL_LOW and result.compressed_size == (512, 512)
        assert not blocker.done()
    finally:
        release.set()
    assert blocker.result() is True


def test_compressor_overlaps_only_with_a_second_core() -> None:
    from headroom_edge.runtime.cores import usable_cores

    comp = ImageCompressor()
    assert (comp.pipeline.overlap is not None) == (usable_cores() >= 2)


def _shared(data: bytes) -> _SharedSource:
    config = CompressionConfig()
    return _SharedSource(data=data, info=probe_image(data, config.limits), config=config)


def test_the_early_decode_is_the_one_the_analysis_gets() -> None:
    image = _shared(f.photo_jpeg(1024, 1024))
    image.decode_early((512, 512))
    first = image.pixels(min_size=(512, 512))
    assert first.size == (512, 512)  # JPEG draft: decoded at the target scale
    assert image.pixels(min_size=(504, 504)) is first  # reused, not decoded again


def test_only_requests_the_early_decode_satisfies_wait_for_it() -> None:
    image = _shared(f.photo_jpeg(1024, 1024))
    pending = threading.Event()
    image._early = ((512, 512), pending)  # an early decode that has not finished
    assert image.pixels().size == (1024, 1024)  # full size (crop, transcode): does not wait
    got: list[tuple[int, int]] = []
    waiter = threading.Thread(target=lambda: got.append(image.pixels(min_size=(256, 256)).size))
    waiter.start()
    waiter.join(0.2)
    assert waiter.is_alive() and not got  # covered by the pending decode: waits for it
    image._early = None
    pending.set()
    waiter.join(5)
    assert got == [(1024, 1024)]  # then reuses what is there


def test_a_failed_early_decode_leaves_the_error_to_whoever_needs_the_pixels() -> None:
    image = _shared(f.photo_jpeg(1024, 1024)[:20000])
    image.decode_early((512, 512))  # does not raise
    assert image._early is None and not image._decoded
    with pytest.raises(ImageError):
        image.pixels(min_size=(512, 512))
