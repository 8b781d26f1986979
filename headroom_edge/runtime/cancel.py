"""Cooperative cancellation for CPU work that a caller has stopped waiting for.

A compression runs on a worker thread; when its time budget runs out the request goes on
uncompressed, but a thread cannot be interrupted from outside, so without help the abandoned job
keeps the worker busy (a full OCR page: seconds) and the requests behind it are shed too. The
worker that starts a job sets a :class:`Deadline` for it (:func:`deadline_scope`); long-running
stages call :func:`checkpoint` between their steps (OCR between recognition batches), which
raises :class:`Cancelled` once the deadline passed or the job was cancelled.

The deadline travels in a :class:`contextvars.ContextVar`, so it follows the job into whatever
code runs on that thread and needs no extra parameter through the pipeline's layers. With no
deadline set (library use), :func:`checkpoint` does nothing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any


class Cancelled(BaseException):
    """The job's deadline passed or it was cancelled.

    A ``BaseException`` (like ``asyncio.CancelledError``) on purpose: the pipeline's per-image
    ``except Exception`` fail-open handlers must not swallow it and carry on with the next image.
    """


@dataclass
class Deadline:
    """When a job must stop (``time.monotonic()`` seconds, or None for never), plus a flag to
    stop it earlier."""

    at: float | None = None
    _cancelled: threading.Event = field(default_factory=threading.Event, repr=False)
    _callbacks: list[Callable[[], None]] = field(default_factory=list, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def after(cls, seconds: float | None) -> Deadline:
        return cls(None if seconds is None else time.monotonic() + seconds)

    def cancel(self) -> None:
        self._cancelled.set()
        with self._lock:
            callbacks = list(self._callbacks)
        for callback in callbacks:
            callback()

    @contextmanager
    def on_expiry(self, callback: Callable[[], None]) -> Iterator[None]:
        """Call ``callback`` (from another thread) if the deadline passes or the job is
        cancelled while the block runs: for work that cannot reach a checkpoint on its own, such
        as one long ONNX run (see :class:`CancellableSession`)."""
        if self.expired():
            callback()
        with self._lock:
            self._callbacks.append(callback)
        timer = None
        left = self.remaining()
        if left is not None:
            timer = threading.Timer(max(0.0, left), callback)
            timer.daemon = True
            timer.start()
        try:
            yield
        finally:
            if timer is not None:
                timer.cancel()
            with self._lock:
                self._callbacks.remove(callback)

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def remaining(self) -> float | None:
        """Seconds left (<= 0 once passed, 0 when cancelled), None without a deadline."""
        if self._cancelled.is_set():
            return 0.0
        return None if self.at is None else self.at - time.monotonic()

    def expired(self) -> bool:
        left = self.remaining()
        return left is not None and left <= 0


_CURRENT: ContextVar[Deadline | None] = ContextVar("headroom_deadline", default=None)


def current_deadline() -> Deadline | None:
    """The deadline of the job running in this context, if any."""
    return _CURRENT.get()


@contextmanager
def deadline_scope(deadline: Deadline | None) -> Iterator[Deadline | None]:
    """Run the block under ``deadline`` (restoring the previous one after)."""
    token = _CURRENT.set(deadline)
    try:
        yield deadline
    finally:
        _CURRENT.reset(token)


def checkpoint() -> None:
    """Raise :class:`Cancelled` if the current job's deadline passed; cheap enough to call
    between any two steps that take milliseconds."""
    deadline = _CURRENT.get()
    if deadline is not None and deadline.expired():
        raise Cancelled()


class CancellableSession:
    """An onnxruntime session whose ``run`` stops when the current job's deadline passes.

    One detector run on a full page takes seconds and has no checkpoint inside; onnxruntime
    can end a run from another thread through ``RunOptions.terminate``, which this sets when the
    deadline expires (raising :class:`Cancelled` instead of the runtime's error). Without a
    deadline it is the plain session. Everything else is the wrapped session's.
    """

    def __init__(self, session: Any) -> None:
        self._session = session

    def run(self, output_names: Any, input_feed: Any, run_options: Any = None) -> Any:
        deadline = _CURRENT.get()
        if deadline is None:
            return self._session.run(output_names, input_feed, run_options)
        checkpoint()
        if run_options is None:
            import onnxruntime as ort

            run_options = ort.RunOptions()

        def stop() -> None:
            run_options.terminate = True

        with deadline.on_expiry(stop):
            try:
                return self._session.run(output_names, input_feed, run_options)
            except Exception:
                if deadline.expired():
                    raise Cancelled() from None
                raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)
