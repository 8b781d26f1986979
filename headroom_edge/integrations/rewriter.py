"""Rewriting one outgoing httpx request: decide, compress, cache, rebuild.

Shared by the explicit transports (:mod:`headroom_edge.integrations.transport`) and the
instrumentation (:mod:`headroom_edge.integrations.outbound`). It never imports httpx: requests
are duck-typed and rebuilt with ``type(request)``, so the same code serves ``httpx`` and the
``httpx2`` fork, and importing it costs nothing until a request exists.

**Retries are stable.** SDKs retry with the same request body; compressing again could pick a
different rewrite (and break the provider's prompt cache), so rewrites are cached by a hash of
method, path and body: same bytes in, same bytes out.

A rewritten request carries :data:`COMPRESSED_EXTENSION` in its extensions, so a transport
below (an instrumented one under a :class:`HeadroomTransport`) never compresses it again.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from headroom_edge.integrations.compression import (
    BodyCompressor,
    BodyRewrite,
    LazyCompressor,
    may_have_images,
    must_propagate,
    rewrite_body,
)
from headroom_edge.integrations.constants import (
    BYPASS_HEADER,
    DEFAULT_MAX_BODY_BYTES,
    REWRITE_CACHE_BYTES,
    REWRITE_CACHE_SIZE,
)
from headroom_edge.integrations.context import wants_bypass
from headroom_edge.integrations.encoding import IDENTITY, body_encoding, is_json
from headroom_edge.integrations.routes import DEFAULT_ROUTES, Route, as_routes, match_route
from headroom_edge.results import CompressionResult

logger = logging.getLogger("headroom_edge.transport")

"""Above every provider's request limit (OpenAI 50 MB, Anthropic 32 MB; Gemini's 100 MB inline
bodies pass through uncompressed rather than being held in memory)."""
COMPRESSED_EXTENSION = "headroom_edge.compressed"
"""httpx request extension marking a body this library already rewrote."""


@dataclass(frozen=True)
class Plan:
    """A request worth compressing: its body, coding and cache key (or the cached rewrite)."""

    raw: bytes
    encoding: str
    path: str
    route: Route
    key: bytes
    cached: BodyRewrite | None = None


class RequestRewriter:
    """The transport-independent part, in three steps so callers choose where the CPU work runs:
    :meth:`plan` (cheap, any thread), :meth:`compress` (CPU: a worker thread), :meth:`apply`.

    Thread-safe: sync transports are used from whatever threads the app calls the SDK from.
    """

    def __init__(
        self,
        compressor: BodyCompressor | None = None,
        *,
        routes: Iterable[str | Route] = DEFAULT_ROUTES,
        cache_size: int = REWRITE_CACHE_SIZE,
        cache_bytes: int = REWRITE_CACHE_BYTES,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    ) -> None:
        self.compressor: BodyCompressor = compressor if compressor is not None else LazyCompressor()
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
        if wants_bypass(request.headers.get(BYPASS_HEADER)):
            return None
        if request.extensions.get(COMPRESSED_EXTENSION):
            return None
        return match_route(self.routes, request.url.path)

    def plan(self, request: Any, route: Route) -> Plan | None:
        """What to compress, or None to send ``request`` as it is (streamed, too big, other
        coding, or an identity body without image markers)."""
        try:
            raw = request.content  # raises when the body is a stream not read into memory
        except Exception:
            return None
        if not isinstance(raw, bytes) or len(raw) > self.max_body_bytes:
            return None
        encoding = body_encoding(request.headers.get_list("content-encoding"))
        if encoding is None:
            return None
        if encoding == IDENTITY and not may_have_images(self.compressor, raw):
            return None  # checked before hashing: most LLM calls carry no image at all
        path = request.url.path
        key = _cache_key(request.method, path, raw)
        cached = self._cached(key)
        return Plan(raw=raw, encoding=encoding, path=path, route=route, key=key, cached=cached)

    def compress(self, plan: Plan) -> BodyRewrite:
        """The CPU work (call it off the event loop); exceptions are the caller's to fail open."""
        if plan.cached is not None:
            return plan.cached
        rewrite = rewrite_body(
            self.compressor,
            plan.raw,
            encoding=plan.encoding,
            path=plan.path,
            wire_format=plan.route.wire_format,
            max_body_bytes=self.max_body_bytes,
        )
        self._store(plan.key, rewrite)
        return rewrite

    def apply(self, request: Any, rewrite: BodyRewrite) -> Any:
        """The request to send: a rebuilt one with the compressed body, or ``request`` itself."""
        if rewrite.result is not None:
            self.last_result = rewrite.result
        if not rewrite.changed:
            return request
        return _rebuild(request, rewrite)

    def rewrite(self, request: Any, route: Route) -> Any:
        """All three steps in the calling thread, failing open (the sync transport's path)."""
        plan = self.plan(request, route)
        if plan is None:
            return request
        try:
            rewrite = self.compress(plan)
        except BaseException as exc:  # fail-open, whatever the compressor raised
            if must_propagate(exc, inline=True):
                raise
            logger.warning("compression failed (%s); request sent as-is", type(exc).__name__)
            return request
        return self.apply(request, rewrite)

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
        extensions={**request.extensions, COMPRESSED_EXTENSION: True},
    )
