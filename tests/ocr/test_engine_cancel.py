"""OCR stops at its checkpoints once the job's deadline passed (issue 11: abandoned work stops)."""

from __future__ import annotations

import threading

import pytest

from headroom_edge.ocr import OcrEngine
from headroom_edge.ocr.recognizer import RecognizerParams
from headroom_edge.runtime.cancel import Cancelled, Deadline, deadline_scope
from tests.factories import document


def test_read_under_an_expired_deadline_raises_cancelled(engine: OcrEngine) -> None:
    page = document()
    with deadline_scope(Deadline.after(0.0)), pytest.raises(Cancelled):
        engine.read(page)
    with deadline_scope(Deadline.after(0.0)), pytest.raises(Cancelled):
        engine.detect(page)


def test_cancel_mid_recognition_stops_between_batches() -> None:
    """Cancel from another thread while the recogniser runs its batches: read() ends with
    Cancelled instead of finishing the page."""
    engine = OcrEngine(recognizer_params=RecognizerParams(batch_size=2))
    page = document()
    full = engine.read(page)
    assert len(full.lines) >= 6  # at least three recognition batches
    deadline = Deadline.after(None)
    recognizer = engine.recognizer
    original = recognizer.session.run
    calls = 0

    def counting_run(*args: object, **kwargs: object) -> object:
        nonlocal calls
        calls += 1
        if calls == 2:
            threading.Thread(target=deadline.cancel).start()
            threading.Event().wait(0.05)
        return original(*args, **kwargs)

    recognizer.session = _SessionProxy(recognizer.session, counting_run)
    try:
        with deadline_scope(deadline), pytest.raises(Cancelled):
            engine.read(page)
    finally:
        recognizer.session = recognizer.session._inner  # type: ignore[attr-defined]
    assert calls == 2 < -(-len(full.lines) // recognizer.params.batch_size)


def test_no_deadline_means_no_cancellation(engine: OcrEngine) -> None:
    assert engine.read(document()).text


class _SessionProxy:
    """The real onnxruntime session with ``run`` observed (to cancel at a known batch)."""

    def __init__(self, inner: object, run: object) -> None:
        self._inner = inner
        self.run = run

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)


def test_a_detector_run_already_under_way_is_ended_at_the_deadline(engine: OcrEngine) -> None:
    """The detector's one ONNX run on a big page has no checkpoint inside: onnxruntime's
    RunOptions.terminate ends it when the deadline passes (compared in the same run with the
    uninterrupted detection of the same page)."""
    import time

    page = document(2000, 2600, size=30)
    start = time.perf_counter()
    engine.detect(page, max_side=2600)
    full = time.perf_counter() - start
    start = time.perf_counter()
    with deadline_scope(Deadline.after(full / 10)), pytest.raises(Cancelled):
        engine.detect(page, max_side=2600)
    assert time.perf_counter() - start < full / 2
    assert engine.detect(document()).boxes  # the session is fine afterwards
