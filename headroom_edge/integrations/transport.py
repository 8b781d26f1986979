"""httpx transports that compress LLM request bodies on their way out of the process.

Wrap the transport an SDK's ``httpx.Client`` uses and every chat/messages/generateContent call
is compressed, with no proxy to run. Three properties matter:

* **Retries are stable.** Rewrites are cached by method, path and body (see
  :mod:`headroom_edge.integrations.rewriter`): same bytes in, same bytes out.
* **Streaming is untouched.** Requests whose body is a stream (not yet read into memory) pass
  through, and responses are returned exactly as the wrapped transport produced them, so SSE
  streams arrive incrementally.
* **Fail-open.** Any error while compressing sends the original request.

The transports duck-type their requests (they rebuild with ``type(request)``), so they also wrap
``httpx2`` transports when given one as ``wrapped``.
"""

from __future__ import annotations

from collections.abc import Iterable

import anyio.to_thread
import httpx

from headroom_edge.integrations.compression import BodyCompressor
from headroom_edge.integrations.constants import (
    DEFAULT_MAX_BODY_BYTES,
    REWRITE_CACHE_BYTES,
    REWRITE_CACHE_SIZE,
)
from headroom_edge.integrations.rewriter import RequestRewriter
from headroom_edge.integrations.routes import DEFAULT_ROUTES, Route
from headroom_edge.results import CompressionResult

__all__ = ["AsyncHeadroomTransport", "HeadroomTransport", "RequestRewriter"]


class HeadroomTransport(httpx.BaseTransport):
    """Sync transport: ``httpx.Client(transport=HeadroomTransport())``.

    Compression runs in the calling thread (the SDK call blocks anyway).
    """

    def __init__(
        self,
        wrapped: httpx.BaseTransport | None = None,
        compressor: BodyCompressor | None = None,
        *,
        routes: Iterable[str | Route] = DEFAULT_ROUTES,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        cache_size: int = REWRITE_CACHE_SIZE,
        cache_bytes: int = REWRITE_CACHE_BYTES,
    ) -> None:
        self.wrapped = wrapped if wrapped is not None else httpx.HTTPTransport()
        self.rewriter = RequestRewriter(compressor, routes=routes, max_body_bytes=max_body_bytes,
                                        cache_size=cache_size, cache_bytes=cache_bytes)

    @property
    def last_result(self) -> CompressionResult | None:
        """The result of the most recent compressed request (any thread), or None."""
        return self.rewriter.last_result

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        route = self.rewriter.candidate(request)
        if route is not None:
            request = self.rewriter.rewrite(request, route)
        return self.wrapped.handle_request(request)

    def close(self) -> None:
        self.wrapped.close()


class AsyncHeadroomTransport(httpx.AsyncBaseTransport):
    """Async transport: ``httpx.AsyncClient(transport=AsyncHeadroomTransport())``.

    Compression runs in a worker thread (``anyio.to_thread``) so the event loop keeps serving
    other requests; it works under asyncio and trio alike.
    """

    def __init__(
        self,
        wrapped: httpx.AsyncBaseTransport | None = None,
        compressor: BodyCompressor | None = None,
        *,
        limiter: anyio.CapacityLimiter | None = None,
        routes: Iterable[str | Route] = DEFAULT_ROUTES,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        cache_size: int = REWRITE_CACHE_SIZE,
        cache_bytes: int = REWRITE_CACHE_BYTES,
    ) -> None:
        self.wrapped = wrapped if wrapped is not None else httpx.AsyncHTTPTransport()
        self.rewriter = RequestRewriter(compressor, routes=routes, max_body_bytes=max_body_bytes,
                                        cache_size=cache_size, cache_bytes=cache_bytes)
        self.limiter = limiter

    @property
    def last_result(self) -> CompressionResult | None:
        return self.rewriter.last_result

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        route = self.rewriter.candidate(request)
        if route is not None:
            request = await anyio.to_thread.run_sync(
                self.rewriter.rewrite, request, route, limiter=self.limiter
            )
        return await self.wrapped.handle_async_request(request)

    async def aclose(self) -> None:
        await self.wrapped.aclose()
