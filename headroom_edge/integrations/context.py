"""What one inbound request asks of compression, carried to the outbound LLM calls it triggers.

A handler that calls an SDK does not know it runs behind :class:`HeadroomMiddleware`, so the
middleware puts a :class:`RequestContext` in a :mod:`contextvars` variable for the duration of
the request. Context variables follow the request into ``await``-ed code, into tasks it starts,
and into the threads Starlette runs sync handlers on (AnyIO copies the context), and never leak
into other requests. The outbound hooks read it to apply the request's bypass and time budget,
and write every result back into it; the middleware turns those into ``request.state.headroom``
and the ``x-headroom-*`` response headers.

Also here, because the middleware and every outbound path ask it: whether a header value says
"bypass".
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from headroom_edge.integrations.constants import TRUE_VALUES
from headroom_edge.results import CompressionResult, ImageResult
from headroom_edge.technique import Technique

STATE_KEY = "headroom"
"""``request.state.headroom`` / ``scope["state"]["headroom"]``."""


def wants_bypass(value: str | None) -> bool:
    """True for the header values that ask to skip compression ("1", "true", "yes", "on")."""
    return value is not None and value.strip().lower() in TRUE_VALUES


class RequestResults:
    """Every compression of one inbound request: its own body first, then each outbound call.

    Live: the middleware puts this one object in ``request.state.headroom`` when the first
    result arrives, and later outbound calls add to it, so a handler reading it after its SDK
    calls sees them all. It answers the same questions as a :class:`CompressionResult`
    (``technique``, ``original_tokens``, ``compressed_tokens``, ``savings_percent``, ``images``,
    ``to_dict()``), summed over the calls, so code written for the inbound-only middleware keeps
    working. Thread-safe: sync handlers call SDKs from worker threads.
    """

    def __init__(self) -> None:
        self._calls: list[CompressionResult] = []
        self._lock = threading.Lock()

    def add(self, result: CompressionResult) -> None:
        with self._lock:
            self._calls.append(result)

    @property
    def calls(self) -> tuple[CompressionResult, ...]:
        """One :class:`CompressionResult` per compressed body, in the order they finished."""
        with self._lock:
            return tuple(self._calls)

    @property
    def images(self) -> tuple[ImageResult, ...]:
        return tuple(image for call in self.calls for image in call.images)

    @property
    def technique(self) -> Technique:
        """The technique applied to most images over all calls (PRESERVE with none)."""
        return CompressionResult(images=self.images).technique

    @property
    def original_tokens(self) -> int:
        return sum(call.original_tokens for call in self.calls)

    @property
    def compressed_tokens(self) -> int:
        return sum(call.compressed_tokens for call in self.calls)

    @property
    def savings_percent(self) -> float:
        return CompressionResult(images=self.images).savings_percent

    @property
    def confidence(self) -> float:
        return CompressionResult(images=self.images).confidence

    @property
    def changed(self) -> bool:
        return any(call.changed for call in self.calls)

    def to_dict(self) -> dict[str, Any]:
        calls = self.calls
        first = calls[0] if calls else CompressionResult()
        total = CompressionResult(images=self.images)
        return {
            "provider": first.provider,
            "model": first.model,
            "wire_format": first.wire_format,
            "technique": total.technique.value,
            "original_tokens": total.original_tokens,
            "compressed_tokens": total.compressed_tokens,
            "confidence": total.confidence,
            "savings_percent": round(total.savings_percent, 2),
            "images": [image.to_dict() for image in total.images],
            "calls": [call.to_dict() for call in calls],
        }


@dataclass
class RequestContext:
    """The inbound request as the outbound hooks see it.

    ``owner`` is the outbound compressor of the middleware serving the request (hooks use it
    only while it is installed). ``scope`` is the ASGI scope handed to the app: the results go
    into its ``state`` and the metrics label is read from its matched route.
    ``inbound_bodies`` are the bodies the middleware itself read and produced: a gateway that
    forwards them must not have them compressed a second time. ``loop`` is the event loop
    serving the request: a sync SDK call from a worker thread hands its compression to the
    middleware's pool through it.
    """

    owner: Any
    scope: dict[str, Any]
    bypass: bool = False
    budget_s: float | None = None
    loop: asyncio.AbstractEventLoop | None = None
    inbound_bodies: list[bytes] = field(default_factory=list)
    results: RequestResults | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add_result(self, result: CompressionResult) -> RequestResults:
        """Record one result; the first one creates ``request.state.headroom``."""
        with self._lock:  # a handler may call SDKs from several threads at once
            if self.results is None:
                self.results = RequestResults()
                self.scope.setdefault("state", {})[STATE_KEY] = self.results
            results = self.results
        results.add(result)
        return results

    def is_inbound_body(self, body: bytes) -> bool:
        return any(len(seen) == len(body) and seen == body for seen in self.inbound_bodies)

    @property
    def route_label(self) -> str:
        """The inbound route for metrics: the matched route's template, never the raw path
        (raw paths carry ids and would explode the label set)."""
        matched = self.scope.get("route")
        path = getattr(matched, "path", None)
        return path if isinstance(path, str) else "unmatched"


_CURRENT: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "headroom_edge_request", default=None
)
"""The one process-wide handle a context variable needs; its value is per request."""


def current() -> RequestContext | None:
    """The context of the inbound request being served here, or None."""
    return _CURRENT.get()


@contextmanager
def activated(context: RequestContext) -> Iterator[RequestContext]:
    """Make ``context`` current for the block (and for the threads and tasks it starts)."""
    token = _CURRENT.set(context)
    try:
        yield context
    finally:
        _CURRENT.reset(token)
