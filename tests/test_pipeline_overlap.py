"""ImagePipeline with a helper thread: the overlapped decision equals the inline one, a busy
helper is never waited for, the speculative FULL_LOW rewrite is sent only when the decision
is FULL_LOW for exactly the context it was made for, and a JPEG's question asked on the helper
gives the answer it gives inline. Timing claims are in scripts/bench.py and
docs/benchmarks.md."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace

import pytest

from headroom_edge import CompressionConfig, ImageCompressor, Technique
from headroom_edge.context import Region, SourceImage, TechniqueContext
from headroom_edge.decision.base import Decision
from headroom_edge.formats import get_format
from headroom_edge.formats.base import apply_edits
from headroom_edge.formats.tools import ComputerUse
from headroom_edge.imaging import ImageError, probe_image
from headroom_edge.overlap import AskedAhead, EarlyWork, SharedSource, looks_like_jpeg
from headroom_edge.pipeline import ImagePipeline
from headroom_edge.results import ImageResult
from headroom_edge.techniques.full_low import apply_full_low
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


TIMING_SIGNALS = frozenset({"seconds", "ocr_estimated_s"})
"""Signals that are measurements of time (the OCR's estimate learns from the reads before it)."""


def _comparable(result: ImageResult) -> dict:
    return {k: v for k, v in vars(result).items() if k != "seconds"} | {
        "signals": {k: v for k, v in result.signals.items() if k not in TIMING_SIGNALS}}


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


def _shared(data: bytes) -> SharedSource:
    config = CompressionConfig()
    return SharedSource(data=data, info=probe_image(data, config.limits), config=config)


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


# -- the speculative FULL_LOW rewrite ------------------------------------------------------------


@dataclass
class AfterHelper:
    """Decides ``technique`` only once the helper has finished this image's job (a no-op queued
    behind it has run), so the speculative rewrite certainly exists when the decision is made."""

    helper: ThreadPoolExecutor
    technique: Technique
    region: Region | None = None
    name: str = "rules"

    def decide(self, question: str, source: SourceImage, ctx: TechniqueContext) -> Decision:
        self.helper.submit(lambda: None).result(timeout=30)
        return Decision(self.technique, 0.9, f"always {self.technique.value}", "rules", self.region,
                        {"graphic": False})


def _ctx(config: CompressionConfig | None = None) -> TechniqueContext:
    return TechniqueContext("openai", "gpt-4o", None, None, config or CompressionConfig())


def test_the_speculative_rewrite_is_the_one_the_technique_computes(helper: ThreadPoolExecutor) -> None:
    image = _shared(f.photo_jpeg(1024, 1024))
    early = EarlyWork.start(helper, image, _ctx())
    photo = replace(_ctx(), content="photo")
    prepared = early.full_low_for(photo)
    assert prepared is not None and prepared.edit is not None
    inline = apply_full_low(_shared(f.photo_jpeg(1024, 1024)), photo)
    assert prepared == inline  # same size, tokens, reason and the very same bytes
    assert early.full_low_for(replace(photo, content="graphic")) is None  # made for another context: not used


@pytest.mark.parametrize("technique", [Technique.PRESERVE, Technique.TRANSCODE, Technique.CROP])
def test_a_decision_other_than_full_low_never_sends_the_speculative_rewrite(
    compressor: ImageCompressor, helper: ThreadPoolExecutor, technique: Technique,
) -> None:
    decider = AfterHelper(helper, technique, Region("the top-left corner", (0.0, 0.0, 0.5, 0.5)))
    overlapped = ImagePipeline(compressor.config, decider, compressor.ocr, overlap=helper)
    inline = ImagePipeline(compressor.config, decider, compressor.ocr)
    data = f.photo_jpeg(1024, 1024)
    (a,), body_a = _run(inline, f.openai_chat_body(data, "What is in this photo?"))
    (b,), body_b = _run(overlapped, f.openai_chat_body(data, "What is in this photo?"))
    assert b.technique is not Technique.FULL_LOW and a.technique is b.technique
    assert _comparable(a) == _comparable(b) and body_a == body_b
    if technique is Technique.PRESERVE:
        assert body_b == f.openai_chat_body(data, "What is in this photo?")  # the client's bytes, untouched


def test_full_low_for_another_context_is_computed_not_taken(
    compressor: ImageCompressor, helper: ThreadPoolExecutor,
) -> None:
    """A FULL_LOW decision that carries a region (a custom decider may) makes a context the
    speculation was not made for: the technique runs here, with the same result as inline."""
    decider = AfterHelper(helper, Technique.FULL_LOW, Region("the left half", (0.0, 0.0, 0.5, 1.0)))
    (a,), body_a = _run(ImagePipeline(compressor.config, decider, compressor.ocr), f.openai_chat_body(f.photo_jpeg(), "x"))
    (b,), body_b = _run(ImagePipeline(compressor.config, decider, compressor.ocr, overlap=helper),
                        f.openai_chat_body(f.photo_jpeg(), "x"))
    assert a.technique is b.technique is Technique.FULL_LOW
    assert _comparable(a) == _comparable(b) and body_a == body_b


@dataclass
class Broken:
    """A decider that fails after the helper has started (a bug, a model that cannot run)."""

    helper: ThreadPoolExecutor
    name: str = "rules"

    def decide(self, question: str, source: SourceImage, ctx: TechniqueContext) -> Decision:
        self.helper.submit(lambda: None).result(timeout=30)
        raise RuntimeError("decider exploded")


def test_a_failing_decision_fails_open_and_the_helper_moves_on(helper: ThreadPoolExecutor) -> None:
    pipeline = ImagePipeline(CompressionConfig(), Broken(helper), None, overlap=helper)
    body = f.openai_chat_body(f.photo_jpeg(), "What is in this photo?")
    (result,), out = _run(pipeline, body)
    assert result.decided_by == "error" and result.error == "RuntimeError: decider exploded"
    assert out == f.openai_chat_body(f.photo_jpeg(), "What is in this photo?")
    assert helper.submit(lambda: 42).result(timeout=30) == 42  # the helper is free for the next image


def test_a_failing_speculation_leaves_the_error_to_the_request(helper: ThreadPoolExecutor) -> None:
    """The encoder refuses (an impossible JPEG quality): the helper's rewrite fails quietly, the
    request's own rewrite meets the same error, and the image goes through untouched, as inline."""
    config = CompressionConfig(jpeg_quality=0)
    decider = AfterHelper(helper, Technique.FULL_LOW)
    (a,), body_a = _run(ImagePipeline(config, decider, None), f.openai_chat_body(f.photo_jpeg(), "x"))
    (b,), body_b = _run(ImagePipeline(config, decider, None, overlap=helper), f.openai_chat_body(f.photo_jpeg(), "x"))
    assert a.error is not None and a.error == b.error and b.technique is Technique.PRESERVE
    assert body_a == body_b == f.openai_chat_body(f.photo_jpeg(), "x")


def test_the_decision_cache_still_answers_repeats(helper: ThreadPoolExecutor) -> None:
    decider = AfterHelper(helper, Technique.FULL_LOW)
    pipeline = ImagePipeline(CompressionConfig(), decider, None, overlap=helper)
    (first,), body_first = _run(pipeline, f.openai_chat_body(f.photo_jpeg(), "What is in this photo?"))
    (again,), body_again = _run(pipeline, f.openai_chat_body(f.photo_jpeg(), "What is in this photo?"))
    assert first.technique is Technique.FULL_LOW and not first.cached
    assert again.cached and body_again == body_first


def test_a_graphic_png_is_not_speculated_on(helper: ThreadPoolExecutor) -> None:
    """Its statistics say graphic: no rewrite is prepared (its lossless encode is the costly one)."""
    image = _shared(f.encode(f.screenshot(1280, 800), "PNG"))
    early = EarlyWork.start(helper, image, _ctx())
    assert early.future.result(timeout=30) is None
    assert image.pixels(min_size=(512, 320)).size == (1280, 800)  # the decode itself was kept for the analysis


def test_concurrent_requests_sharing_one_helper_get_their_own_results(
    compressor: ImageCompressor, helper: ThreadPoolExecutor,
) -> None:
    """Four request threads, one helper: each image's speculation belongs to that image alone
    (jobs queue, the late ones are cancelled or find the pixels decoded), and every result and
    body equals the inline one (the second round may be answered by the decision cache)."""
    images = [f.photo_jpeg(1024, 1024, quality=q) for q in (70, 80, 90)] + [f.photo_jpeg(800, 600)]
    inline = ImagePipeline(compressor.config, compressor.decider, compressor.ocr)
    overlapped = ImagePipeline(compressor.config, compressor.decider, compressor.ocr, overlap=helper)
    expected = [_run(inline, f.openai_chat_body(data, "What is in this photo?")) for data in images]
    with ThreadPoolExecutor(4, "test-request") as requests:
        got = list(requests.map(lambda d: _run(overlapped, f.openai_chat_body(d, "What is in this photo?")),
                                images * 2))
    for (results, body), ((want,), want_body) in zip(got, expected * 2, strict=True):
        assert [_comparable(replace(r, cached=False)) for r in results] == [_comparable(want)]
        assert body == want_body


# -- a JPEG's question asked on the helper ---------------------------------------------------------


@dataclass
class Asking:
    """A question-first decider that records the thread each question was asked on; ``fail``
    makes the question step raise (a model that cannot run)."""

    technique: Technique = Technique.FULL_LOW
    fail: bool = False
    name: str = "rules"
    slow_to_ask: bool = True

    def __post_init__(self) -> None:
        self.threads: list[str] = []

    def ask(self, question: str) -> Decision:
        self.threads.append(threading.current_thread().name)
        if self.fail:
            raise RuntimeError("router exploded")
        return Decision(self.technique, 0.9, f"always {self.technique.value}", "rules")

    def decide(self, question: str, source: SourceImage, ctx: TechniqueContext,
               asked: Decision | None = None) -> Decision:
        return asked if asked is not None else self.ask(question)


def test_a_jpeg_question_is_asked_on_the_helper_with_the_inline_result(helper: ThreadPoolExecutor) -> None:
    data = f.photo_jpeg(1024, 1024)
    on_helper, inline = Asking(), Asking()
    (b,), body_b = _run(ImagePipeline(CompressionConfig(), on_helper, None, overlap=helper), f.openai_chat_body(data, "x"))
    (a,), body_a = _run(ImagePipeline(CompressionConfig(), inline, None), f.openai_chat_body(data, "x"))
    assert on_helper.threads == ["test-helper_0"] and inline.threads == [threading.current_thread().name]
    assert b.technique is Technique.FULL_LOW and b.compressed_size == (512, 512)
    assert _comparable(a) == _comparable(b) and body_a == body_b


def test_other_formats_and_computer_use_are_not_asked_ahead(helper: ThreadPoolExecutor) -> None:
    """A PNG's decode is the long part: its image goes to the helper and the question is asked
    here; computer use decides without the question at all."""
    decider = Asking(Technique.PRESERVE)
    pipeline = ImagePipeline(CompressionConfig(), decider, None, overlap=helper)
    _run(pipeline, f.openai_chat_body(f.encode(f.photo(640, 480), "PNG"), "x", media_type="image/png"))
    assert decider.threads == [threading.current_thread().name]
    fmt = get_format("openai_chat")
    (slot,) = fmt.find_images(f.openai_chat_body(f.photo_jpeg(), "x"))
    done = pipeline.process(slot, fmt.provider, "gpt-4o", computer_use=ComputerUse("computer_use_preview", (1024, 1024)))
    assert decider.threads == [threading.current_thread().name]  # not asked at all
    assert done.result.technique is Technique.PRESERVE and "computer-use" in done.result.reason


def test_a_busy_helper_means_the_question_is_asked_here(helper: ThreadPoolExecutor) -> None:
    release = threading.Event()
    blocker = helper.submit(release.wait, 30)
    try:
        decider = Asking()
        (result,), _ = _run(ImagePipeline(CompressionConfig(), decider, None, overlap=helper),
                            f.openai_chat_body(f.photo_jpeg(), "x"))
        assert decider.threads == [threading.current_thread().name]  # the queued ask was cancelled
        assert result.technique is Technique.FULL_LOW and not blocker.done()
    finally:
        release.set()
    assert blocker.result() is True


def test_a_question_that_fails_on_the_helper_fails_open_here(helper: ThreadPoolExecutor) -> None:
    """The helper's failure is dropped; asked again here, the error reaches the result and the
    image goes through as the client sent it."""
    decider = Asking(fail=True)
    body = f.openai_chat_body(f.photo_jpeg(), "x")
    (result,), out = _run(ImagePipeline(CompressionConfig(), decider, None, overlap=helper), body)
    assert decider.threads == ["test-helper_0", threading.current_thread().name]
    assert result.decided_by == "error" and result.error == "RuntimeError: router exploded"
    assert out == f.openai_chat_body(f.photo_jpeg(), "x")


@pytest.mark.parametrize(("known", "looked"), [(None, True), (Technique.FULL_LOW, True), (Technique.PRESERVE, False)])
def test_the_quick_look_is_taken_meanwhile_unless_the_answer_needs_none(known: Technique | None, looked: bool) -> None:
    """While the question is out, the request thread decodes the quick copy (a JPEG draft at the
    low-detail size); an answer already in that needs no look (PRESERVE) skips it."""
    future: Future[Decision | None] = Future()
    if known is not None:
        future.set_running_or_notify_cancel()
        future.set_result(Decision(known, 0.9, "known", "rules"))
    image = _shared(f.photo_jpeg(1024, 1024))
    ImagePipeline._look_meanwhile(image, _ctx(), AskedAhead(future))
    assert bool(image._decoded) is looked
    if looked:
        assert [img.size for img in image._decoded.values()] == [(512, 512)]


def test_a_broken_jpeg_quick_look_leaves_the_error_to_the_decision() -> None:
    image = _shared(f.photo_jpeg(1024, 1024)[:20000])
    ImagePipeline._look_meanwhile(image, _ctx(), AskedAhead(Future()))  # does not raise
    with pytest.raises(ImageError):
        image.pixels(min_size=(512, 512))


def test_jpeg_payloads_are_recognised_by_their_first_bytes() -> None:
    data = f.photo_jpeg(64, 64)
    assert looks_like_jpeg(data) and looks_like_jpeg(base64.b64encode(data).decode("ascii"))
    png = f.encode(f.photo(64, 64), "PNG")
    assert not looks_like_jpeg(png) and not looks_like_jpeg(base64.b64encode(png).decode("ascii"))
    assert not looks_like_jpeg("") and not looks_like_jpeg(b"")


# -- a JPEG photo encoded while its question is still out -----------------------------------------


def test_a_photo_is_encoded_meanwhile_while_the_router_is_still_out() -> None:
    """The router not done after the quick look: the request thread encodes the low-detail
    rewrite instead of waiting, the very outcome the technique computes for a photo."""
    image = _shared(f.photo_jpeg(1024, 1024))
    spec = ImagePipeline._look_meanwhile(image, _ctx(), AskedAhead(Future()))
    assert spec is not None and spec.ctx == replace(_ctx(), content="photo")
    expected = apply_full_low(_shared(f.photo_jpeg(1024, 1024)), replace(_ctx(), content="photo"))
    assert spec.outcome == expected and spec.outcome.size == (512, 512)  # the very same bytes
    assert spec.outcome_for(spec.ctx) is spec.outcome and spec.outcome_for(_ctx()) is None


def _answered(technique: Technique) -> AskedAhead:
    future: Future[Decision | None] = Future()
    future.set_running_or_notify_cancel()
    future.set_result(Decision(technique, 0.9, "known", "rules"))
    return AskedAhead(future)


@pytest.mark.parametrize("why", ["answer in", "graphic", "small", "full_low off"])
def test_nothing_is_encoded_meanwhile_when_it_could_not_hide_work(why: str) -> None:
    """An answer already in (nothing left to hide), a graphic (its analysis may keep or fit
    it), an image already at the low-detail size (only re-labelled) or FULL_LOW switched off."""
    data = {"graphic": f.encode(f.screenshot(1280, 800), "JPEG"), "small": f.photo_jpeg(400, 300)}.get(
        why, f.photo_jpeg(1024, 1024))
    config = CompressionConfig(techniques=frozenset(set(Technique) - {Technique.FULL_LOW})) \
        if why == "full_low off" else CompressionConfig()
    asked = _answered(Technique.FULL_LOW) if why == "answer in" else AskedAhead(Future())
    image = SharedSource(data=data, info=probe_image(data, config.limits), config=config)
    assert ImagePipeline._look_meanwhile(image, _ctx(config), asked) is None


@dataclass
class SlowAsking(Asking):
    """Answers only once the request thread has taken its quick look (the router still out)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.go = threading.Event()

    def ask(self, question: str) -> Decision:
        self.go.wait(30)
        return super().ask(question)


@pytest.mark.parametrize("technique", [Technique.FULL_LOW, Technique.PRESERVE, Technique.CROP])
def test_the_rewrite_encoded_meanwhile_is_sent_only_for_full_low(
    technique: Technique, helper: ThreadPoolExecutor, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """End to end with the router late: FULL_LOW sends the rewrite made meanwhile (encoded once,
    identical to the inline result); any other answer sends what it would have sent inline."""
    import headroom_edge.pipeline as pipeline_module

    slow = SlowAsking(technique)
    made: list[object] = []
    real = pipeline_module.speculate_full_low

    def speculate(image: SourceImage, ctx: TechniqueContext) -> object:
        spec = real(image, ctx)
        made.append(spec)
        slow.go.set()
        return spec

    monkeypatch.setattr(pipeline_module, "speculate_full_low", speculate)
    data = f.photo_jpeg(1024, 1024)
    (late,), body_late = _run(ImagePipeline(CompressionConfig(), slow, None, overlap=helper),
                              f.openai_chat_body(data, "x"))
    (inline,), body_inline = _run(ImagePipeline(CompressionConfig(), Asking(technique), None),
                                  f.openai_chat_body(data, "x"))
    assert len(made) == 1 and slow.threads == ["test-helper_0"]
    assert late.technique is inline.technique and _comparable(late) == _comparable(inline)
    assert body_late == body_inline
