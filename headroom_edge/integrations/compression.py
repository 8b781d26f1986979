"""One compression run on a raw HTTP request body, shared by the middleware and the transports.

Both integrations receive bytes as they came off (or go onto) the wire, possibly gzipped, and
both must fail open: whatever goes wrong, the original bytes are sent. This module turns
"raw body in" into a :class:`BodyRewrite` that says exactly which bytes and headers to send.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from headroom_edge.integrations.encoding import (
    GZIP,
    IDENTITY,
    BadEncoding,
    BodyTooLarge,
    gunzip_bounded,
)
from headroom_edge.results import CompressionResult


class BodyCompressor(Protocol):
    """What the integrations need from :class:`headroom_edge.ImageCompressor`."""

    def body_may_have_images(self, body: bytes) -> bool: ...

    def compress_body(
        self,
        body: Any,
        *,
        path: str | None = None,
        provider: str | None = None,
        wire_format: str | None = None,
        model: str | None = None,
    ) -> Any: ...


def default_compressor() -> BodyCompressor:
    """The library's default compressor, imported lazily.

    Importing it pulls in onnxruntime and friends; a proxy started with ``--no-image-optimize``
    or an app that only mounts the middleware disabled should not pay for that.
    """
    from headroom_edge.compressor import ImageCompressor

    return ImageCompressor()


class LazyCompressor:
    """A :class:`BodyCompressor` built on first use, from whichever thread needs it first.

    The integrations are constructed at import or app-build time (``app.add_middleware``), which
    on serverless and small VMs is cold-start time: building ``ImageCompressor`` there imports
    onnxruntime, numpy and PIL for apps that may never see an image. Wrapping the factory defers
    all of that to the first body worth compressing, which runs on a worker thread.
    """

    def __init__(self, factory: Callable[[], BodyCompressor] = default_compressor) -> None:
        self._factory = factory
        self._built: BodyCompressor | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        """Whether the real compressor exists yet (callers on the event loop check this before
        calling anything that would build it there)."""
        return self._built is not None

    @property
    def target(self) -> BodyCompressor:
        """The real compressor, built now if needed."""
        if self._built is None:
            with self._lock:
                if self._built is None:
                    self._built = self._factory()
        return self._built

    def body_may_have_images(self, body: bytes) -> bool:
        return self.target.body_may_have_images(body)

    def compress_body(self, body: Any, **options: Any) -> Any:
        return self.target.compress_body(body, **options)


def may_have_images(compressor: BodyCompressor, body: bytes) -> bool:
    """The cheap pre-check, answered True (ask the worker) for a compressor not built yet."""
    if isinstance(compressor, LazyCompressor) and not compressor.loaded:
        return True
    return compressor.body_may_have_images(body)


def must_propagate(exc: BaseException, *, inline: bool) -> bool:
    """Whether an exception from the compression side may leave the integration.

    Compression is an optimisation, so almost nothing it raises may fail the request, including
    ``BaseException`` subclasses: a library calling ``sys.exit()`` or raising ``GeneratorExit``
    inside a worker is a compressor bug, not a reason to answer 500. Two exceptions keep their
    meaning, and a third is told apart by where it is raised:

    * ``CancelledError`` while *our* task is being cancelled (client gone, server shutting
      down): cancellation must propagate. One that comes from a pool future being cancelled
      (the pool was closed) is a failed job and fails open.
    * ``KeyboardInterrupt`` raised in the thread that runs the caller (``inline``): Ctrl-C is
      delivered to the main thread only, so one coming back from a worker thread is the job's
      own doing, while one raised inline is the user stopping the process.
    * ``GeneratorExit`` thrown into an awaiting coroutine (not ``inline``) outside a running
      task: that is ``coroutine.close()`` discarding it (garbage collection, a loop gone), and a
      coroutine that swallows it is a ``RuntimeError``. Inside a running task, it came from the
      job.
    """
    if isinstance(exc, asyncio.CancelledError):
        task = _running_task()
        return task is not None and task.cancelling() > 0
    if isinstance(exc, KeyboardInterrupt):
        return inline
    if isinstance(exc, GeneratorExit):
        return not inline and _running_task() is None
    return False


def _running_task() -> asyncio.Task[Any] | None:
    try:
        return asyncio.current_task()
    except RuntimeError:  # no event loop in this thread
        return None


def fail_open_reason(exc: BaseException) -> str:
    """The ``headroom_fail_open_total`` reason for a compression that raised ``exc``."""
    if isinstance(exc, BodyTooLarge):
        return "too_large"
    if isinstance(exc, BadEncoding):
        return "bad_encoding"
    return "error"


@dataclass(frozen=True)
class BodyRewrite:
    """The bytes to send and what changed.

    ``body`` is the original object when nothing changed. ``decoded`` is True when ``body`` is
    plain JSON replacing a gzip body: the sender must drop ``Content-Encoding``. We do not re-gzip:
    the rewritten body is usually a fraction of the original, re-compressing costs CPU on the
    request path, and every provider accepts identity bodies.
    """

    body: bytes
    result: CompressionResult | None
    changed: bool = False
    decoded: bool = False
    seconds: float = 0.0


def rewrite_body(
    compressor: BodyCompressor,
    raw: bytes,
    *,
    encoding: str,
    path: str,
    wire_format: str | None,
    max_body_bytes: int,
) -> BodyRewrite:
    """Compress the images in ``raw`` (synchronous CPU work: call it from a worker thread).

    Raises :class:`~headroom_edge.integrations.encoding.BodyTooLarge` /
    :class:`~headroom_edge.integrations.encoding.BadEncoding` for bodies we refuse to inflate,
    and lets compressor exceptions through; callers turn all of them into fail-open.
    """
    start = time.perf_counter()
    if encoding == IDENTITY:
        plain = raw
    elif encoding == GZIP:
        plain = gunzip_bounded(raw, max_body_bytes)
    else:  # pragma: no cover - callers only pass encodings body_encoding() accepted
        raise ValueError(f"unsupported encoding {encoding!r}")
    # Callers on the event loop may skip this check (a compressor not built yet); here, on a
    # worker thread, it always runs, so "no image markers" always means "no result".
    if not compressor.body_may_have_images(plain):
        return BodyRewrite(body=raw, result=None, seconds=time.perf_counter() - start)
    out = compressor.compress_body(plain, path=path, wire_format=wire_format)
    result: CompressionResult = out.result
    seconds = time.perf_counter() - start
    if not out.changed:
        return BodyRewrite(body=raw, result=result, seconds=seconds)
    body = out.body if isinstance(out.body, bytes) else bytes(out.body, "utf-8")
    return BodyRewrite(
        body=body, result=result, changed=True, decoded=encoding != IDENTITY, seconds=seconds
    )
