"""httpx transports that compress LLM request bodies on their way out of the process.

Wrap the transport an SDK's ``httpx.Client`` uses and every chat/messages/generateContent call
is compressed, with no proxy to run. Three properties matter:

* **Retries are stable.** SDKs retry with the same request body; compressing again could pick a
  different rewrite (and break the provider's prompt cache), so rewrites are cached by a hash of
  method, path and body: same bytes in, same bytes out.
* **Streaming is untouched.** Requests whose body is a stream (not yet read into memory) pass
  through, and responses are returned exactly as the wrapped transport produced them, so SSE
  streams arrive incrementally.
* **Fail-open.** Any error while compressing sends the original request.

The transports duck-type their requests (they rebuild with ``type(request)``), so they also wrap
``httpx2`` transports when given one as ``wrapped``.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

import anyio.to_thread
import httpx

from headroom_edge.integrations.compression import (
    BodyCompressor,
    BodyRewrite,
    default_compressor,
    rewrite_body,
)
from headroom_edge.integrations.encoding import body_encoding, is_json
from headroom_edge.integrations.middleware import BYPASS_HEADER, DEFAULT_MAX_BODY_BYTES
from headroom_edge.integrations.routes import DEFAULT_ROUTES, Route, as_routes, match_route
from headroom_edge.results import CompressionResult

logger = logging.getLogger("headroom_edge.transport")

_TRUE = {"1", "true", "yes", "on"}


class RequestRewriter:
    """The transport-independent part: decide, compress, cache, rebuild the request.

    Shared by the sync and async transports; thread-safe (the sync transport is used from
    whatever threads the app calls the SDK from).
    """

    def __init__(
        self,
        compressor: BodyCompressor | None = None,
        *,
        routes: Iterable[str | Route] = DEFAULT_ROUTES,
        cache_size: int = 64,
        cache_bytes: int = 64 * 1024 * 1024,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    ) -> None:
        self.compressor = compressor if compressor is not None else default_compressor()
        self.routes = as_routes(routes)
        self.cache_size = cache_size
        self.cache_bytes = cache_bytes
        """Bound on the rewritten bodies held by the cache (unchanged bodies cost nothing)."""
        self.max_body_bytes = max_body_bytes
        self.last_result: CompressionResult | None = None
        self._cache: OrderedDict[bytes, BodyRewrite] = OrderedDict()
        self._cached_bytes = 0
        self._lock = threading.Lock()

    def candidate(self, request: Any) -> Route | None:
        """Cheap header-only check: the route to compress for, or None to pass through."""
        if request.method != "POST":
            return None
        if not is_json(request.headers.get("content-type")):
            return None
        if request.headers.get(BYPASS_HEADER, "").strip().lower() in _TRUE:
            return None
        return match_route(self.routes, request.url.path)

    def rewrite(self, request: Any, route: Route) -> Any:
        """The request to send: a rebuilt one with the compressed body, or ``request`` itself."""
        try:
            raw = request.content  # raises when the body is a stream not read into memory
        except Exception:
            return request
        if not isinstance(raw, bytes) or len(raw) > self.max_body_bytes:
            return request
        encoding = body_encoding(request.headers.get_list("content-encoding"))
        if encoding is None:
            return request
        key = _cache_key(request.method, request.url.path, raw)
        rewrite = self._cached(key)
        if rewrite is None:
            try:
                if encoding == "identity" and not self.compressor.body_may_have_images(raw):
                    return request
                rewrite = rewrite_body(
                    self.compressor,
                    raw,
                    encoding=encoding,
                    path=request.url.path,
                    wire_format=route.wire_format,
                    max_body_bytes=self.max_body_bytes,
                )
            except Exception as exc:  # fail-open
                logger.warning("compression failed (%s); request sent as-is", type(exc).__name__)
                return request
            self._store(key, rewrite)
        if rewrite.result is not None:
            self.last_result = rewrite.result
        if not rewrite.changed:
            return request
        return _rebuild(request, rewrite)

    def _cached(self, key: bytes) -> BodyRewrite | None:
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
            return hit

    def _store(self, key: bytes, rewrite: BodyRewrite) -> None:
        if not rewrite.changed:
            # Keep the verdict, not the caller's (possibly huge) original bytes.
            rewrite = BodyRewrite(body=b"", result=rewrite.result)
        size = len(rewrite.body)
        if self.cache_size <= 0 or size > self.cache_bytes:
            return
        with self._lock:
            old = self._cache.pop(key, None)
            self._cached_bytes -= len(old.body) if old is not None else 0
            self._cache[key] = rewrite
            self._cached_bytes += size
            while len(self._cache) > self.cache_size or self._cached_bytes > self.cache_bytes:
                _, evicted = self._cache.popitem(last=False)
                self._cached_bytes -= len(evicted.body)


class HeadroomTransport(httpx.BaseTransport):
    """Sync transport: ``httpx.Client(transport=HeadroomTransport())``.

    Compression runs in the calling thread (the SDK call blocks anyway).
    """

    def __init__(
        self,
        wrapped: httpx.BaseTransport | None = None,
        compressor: BodyCompressor | None = None,
        **options: Any,
    ) -> None:
        self.wrapped = wrapped if wrapped is not None else httpx.HTTPTransport()
        self.rewriter = RequestRewriter(compressor, **options)

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
        **options: Any,
    ) -> None:
        self.wrapped = wrapped if wrapped is not None else httpx.AsyncHTTPTransport()
        self.rewriter = RequestRewriter(compressor, **options)
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


def _cache_key(method: str, path: str, body: bytes) -> bytes:
    digest = hashlib.sha256()
    digest.update(method.encode("ascii", "replace") + b" " + path.encode("utf-8") + b"\n")
    digest.update(body)
    return digest.digest()


def _rebuild(request: Any, rewrite: BodyRewrite) -> Any:
    drop = {b"content-length", b"transfer-encoding"}
    if rewrite.decoded:
        drop.add(b"content-encoding")
    headers = [(k, v) for k, v in request.headers.raw if k.lower() not in drop]
    return type(request)(
        request.method,
        request.url,
        headers=headers,
        content=rewrite.body,
        extensions=request.extensions,
    )
