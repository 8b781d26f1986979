"""ASGI middleware that compresses the images of LLM requests before the app sees them.

Pure ASGI (not ``BaseHTTPMiddleware``) so that it costs nothing on requests it does not touch:
those go straight to the app with the original ``receive`` and ``send``, and responses, including
long SSE streams, are never buffered or wrapped in extra tasks.

A request is compressed only when all of these hold, checked cheapest first:
enabled, POST, the path matches a route, a JSON content type, no ``x-headroom-bypass: true``,
an encoding we can read (identity or gzip), a declared size under ``max_body_bytes``, and (for
identity bodies) ``body_may_have_images``. Only then is the body buffered and handed to the
worker pool. Every failure path sends the client's exact bytes and headers on (fail-open).

Size limits: by default a body over ``max_body_bytes`` is streamed to the app untouched, and an
image over the compressor's ``ImageLimits.max_payload_bytes`` is left as it came (the library's
fail-open promise). With ``reject_oversize=True`` (what the proxy uses) both are answered with a
413 ``{"type": "error", "error": {"type": "request_too_large", ...}}`` instead and the app never
sees the request. This applies to the requests the middleware would buffer (JSON POSTs on LLM
routes, not bypassed, readable encoding); a gzip body that only inflates past the limit is still
passed through, since what goes upstream is the client's own (small) bytes.

Outbound (``outbound=True``, the default): between lifespan startup and shutdown the middleware
also compresses the LLM calls the app's handlers make through httpx-based SDKs (see
:mod:`headroom_edge.integrations.outbound`). Each request runs inside a
:class:`~headroom_edge.integrations.context.RequestContext`, so its bypass header and time
budget apply to the calls it triggers, and their results join ``request.state.headroom`` and
the summed ``x-headroom-tokens-*`` response headers. Servers that skip the lifespan protocol get
no outbound compression (there is no startup to install on and no shutdown to remove it).

Nothing heavy is imported or built here: the default compressor is created on the worker thread
that first needs it, so importing this module and building the app stay cheap.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from headroom_edge.integrations.compression import (
    BodyCompressor,
    BodyRewrite,
    LazyCompressor,
    fail_open_reason,
    may_have_images,
    must_propagate,
    rewrite_body,
)
from headroom_edge.integrations.constants import (
    BYPASS_HEADER,
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_QUEUE_LIMIT,
    DEFAULT_TIME_BUDGET_S,
)
from headroom_edge.integrations.context import (
    STATE_KEY,
    RequestContext,
    RequestResults,
    activated,
    wants_bypass,
)
from headroom_edge.integrations.encoding import (
    IDENTITY,
    body_encoding,
    is_json,
)
from headroom_edge.integrations.errors import send_json_error
from headroom_edge.integrations.metrics import Metrics
from headroom_edge.integrations.outbound import HOOKS, OutboundCompressor
from headroom_edge.integrations.routes import DEFAULT_ROUTES, Route, as_routes, match_route
from headroom_edge.integrations.workers import Shed, WorkerPool
from headroom_edge.results import CompressionResult

__all__ = ["BYPASS_HEADER", "DEFAULT_MAX_BODY_BYTES", "STATE_KEY", "HeadroomMiddleware", "LimitHints"]

logger = logging.getLogger("headroom_edge.middleware")

TOO_LARGE_TYPE = "request_too_large"
"""``error.type`` of the 413 answer (the name Anthropic's API uses for the same condition)."""
_BYPASS_NAME = BYPASS_HEADER.encode("ascii")
_DROP_WHEN_REWRITTEN = {b"content-length", b"transfer-encoding"}


@dataclass(frozen=True)
class LimitHints:
    """How the host application names its limits, appended to the 413 messages (the proxy
    passes its flags and env variables; the library itself knows no CLI)."""

    body: str = ""
    """Where the body limit (``max_body_bytes``) is configured, e.g. a flag name."""
    image: str = ""
    """Where the per-image limit is configured."""


@dataclass
class _Body:
    """What was read from ``receive``: the bytes, and whether that was the whole body."""

    data: bytes
    complete: bool
    disconnected: bool = False


class HeadroomMiddleware:
    """Compress images in LLM requests: those the app receives, and those it sends.

    Mount with ``app.add_middleware(HeadroomMiddleware, compressor=..., ...)``. An app that is
    an LLM gateway sees the rewritten body with a correct ``Content-Length``. An app whose
    handlers call OpenAI, Anthropic or Gemini through their SDKs has those calls compressed
    (``outbound=True``, the default; ``outbound_hosts`` narrows it to some hosts). Either way
    the results are in ``request.state.headroom`` (a live
    :class:`~headroom_edge.integrations.context.RequestResults`: the inbound body first, then
    each outbound call) once one exists, and the response carries ``x-headroom-tokens-before``,
    ``x-headroom-tokens-after`` and ``x-headroom-technique`` summed over the request when it had
    images (outbound calls made while the response streams are not in its headers).

    ``compressor`` defaults to a :class:`headroom_edge.ImageCompressor` built on first use
    (never, when ``enabled`` is False). ``pool`` may be shared between apps; otherwise one is
    built from ``max_workers``/``queue_limit``/``time_budget_s`` and closed at lifespan shutdown.
    """

    def __init__(
        self,
        app: ASGIApp,
        compressor: BodyCompressor | None = None,
        *,
        routes: Iterable[str | Route] = DEFAULT_ROUTES,
        enabled: bool = True,
        max_workers: int | None = None,
        queue_limit: int = DEFAULT_QUEUE_LIMIT,
        time_budget_s: float | None = DEFAULT_TIME_BUDGET_S,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        add_headers: bool = True,
        metrics: Metrics | None = None,
        pool: WorkerPool | None = None,
        reject_oversize: bool = False,
        limit_hints: LimitHints | None = None,
        outbound: bool = True,
        outbound_hosts: Iterable[str] | None = None,
    ) -> None:
        self.app = app
        self.enabled = enabled
        self.routes = as_routes(routes)
        self.max_body_bytes = max_body_bytes
        self.reject_oversize = reject_oversize
        self.limit_hints = limit_hints if limit_hints is not None else LimitHints()
        self.add_headers = add_headers
        self.metrics = metrics if metrics is not None else Metrics()
        self.compressor: BodyCompressor | None = compressor
        if enabled and compressor is None:
            self.compressor = LazyCompressor()
        self._owns_pool = pool is None
        self.pool = pool or WorkerPool(max_workers, queue_limit, time_budget_s)
        self.outbound_compressor: OutboundCompressor | None = None
        if enabled and outbound and self.compressor is not None:
            self.outbound_compressor = OutboundCompressor(
                self.compressor,
                outbound_hosts=outbound_hosts,
                pool=self.pool,
                max_body_bytes=max_body_bytes,
                metrics=self.metrics,
            )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(scope, receive, send)
            return
        route = self._route_for(scope)
        outbound = self.outbound_compressor
        if outbound is None or scope["type"] != "http" or not HOOKS.holds(outbound):
            if route is None:
                await self.app(scope, receive, send)
                return
            await self._handle(scope, receive, send, route, self._context(scope, None))
            return
        context = self._context(scope, outbound)
        with activated(context):
            if route is None:
                await self.app(scope, receive, self._send_with_results(send, context))
            else:
                await self._handle(scope, receive, send, route, context)

    def _context(self, scope: Scope, outbound: OutboundCompressor | None) -> RequestContext:
        """The request as its outbound calls see it: its bypass header, the pool's time budget
        (per call), and the loop that sync SDK calls hand their compression to."""
        bypass = False
        for name, value in scope.get("headers", ()):
            if name.lower() == _BYPASS_NAME:
                bypass = wants_bypass(value.decode("latin-1"))
                break
        loop = asyncio.get_running_loop() if outbound is not None else None
        return RequestContext(
            owner=outbound, scope=scope, bypass=bypass, budget_s=self.pool.time_budget_s, loop=loop
        )

    def _route_for(self, scope: Scope) -> Route | None:
        """The route to compress for, or None to pass the request straight through."""
        if scope["type"] != "http" or not self.enabled or self.compressor is None:
            return None
        if scope.get("method") != "POST":
            return None
        return match_route(self.routes, scope.get("path", ""))

    async def _handle(
        self, scope: Scope, receive: Receive, send: Send, route: Route, context: RequestContext
    ) -> None:
        results_send = self._send_with_results(send, context)
        if context.owner is not None:  # outbound calls of a passed-through request count too
            send = results_send
        headers = Headers(scope=scope)
        if not is_json(headers.get("content-type")):
            await self.app(scope, receive, send)
            return
        if context.bypass:
            self.metrics.count_bypass()
            await self.app(scope, receive, send)
            return
        encoding = body_encoding(headers.getlist("content-encoding"))
        if encoding is None:
            self.metrics.count_fail_open("unsupported_encoding")
            await self.app(scope, receive, send)
            return
        declared = _int_or_none(headers.get("content-length"))
        if declared is not None and declared > self.max_body_bytes:
            if self.reject_oversize:
                drain = None if _expects_continue(headers) else receive
                await self._too_large(send, route, self._body_message(declared), drain=drain)
                return
            self.metrics.count_fail_open("too_large")
            await self.app(scope, receive, send)
            return

        body = await self._read_body(receive)
        if self.reject_oversize and not body.disconnected and len(body.data) > self.max_body_bytes:
            drain = None if body.complete else receive
            await self._too_large(send, route, self._body_message(None), drain=drain)
            return
        if not body.complete:
            # Over the limit mid-stream, or the client left: replay what we read, then the rest.
            if not body.disconnected:
                self.metrics.count_fail_open("too_large")
            replay: list[Message] = [{"type": "http.request", "body": body.data, "more_body": True}]
            if body.disconnected:
                replay.append({"type": "http.disconnect"})
            await self.app(scope, _replaying(replay, receive), send)
            return

        rewrite = await self._rewrite(body.data, encoding, scope.get("path", ""), route)
        if self.reject_oversize and rewrite.result is not None:
            oversized = _oversized_image(rewrite.result, self.limit_hints)
            if oversized is not None:
                await self._too_large(send, route, oversized)
                return
        scope = self._scope_for(scope, rewrite)
        context.scope = scope
        context.inbound_bodies.extend((body.data, rewrite.body))
        if rewrite.result is not None:
            context.add_result(rewrite.result)
        message = {"type": "http.request", "body": rewrite.body, "more_body": False}
        await self.app(scope, _replaying([message], receive), results_send)

    def _send_with_results(self, send: Send, context: RequestContext) -> Send:
        """``send`` adding the summed ``x-headroom-*`` headers when the request had images."""
        if not self.add_headers:
            return send

        async def send_with_results(message: Message) -> None:
            if message["type"] == "http.response.start":
                results = context.results
                if results is not None and results.images:
                    extra = _result_headers(results)
                    message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        return send_with_results

    async def _read_body(self, receive: Receive) -> _Body:
        """Buffer the request body, stopping early once it exceeds ``max_body_bytes``."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return _Body(b"".join(chunks), complete=False, disconnected=True)
            chunk = message.get("body", b"")
            chunks.append(chunk)
            size += len(chunk)
            if not message.get("more_body", False):
                return _Body(b"".join(chunks), complete=True)
            if size > self.max_body_bytes:
                return _Body(b"".join(chunks), complete=False)

    async def _rewrite(self, raw: bytes, encoding: str, path: str, route: Route) -> BodyRewrite:
        """Run the compressor in the pool; any failure yields the original bytes (fail-open).

        "Any" includes ``BaseException`` subclasses (see
        :func:`~headroom_edge.integrations.compression.must_propagate`): only the cancellation
        of this request's own task leaves here.
        """
        unchanged = BodyRewrite(body=raw, result=None)
        compressor = self.compressor
        assert compressor is not None  # _route_for() checked it
        try:
            if encoding == IDENTITY and not may_have_images(compressor, raw):
                return unchanged
            job = partial(
                rewrite_body,
                compressor,
                raw,
                encoding=encoding,
                path=path,
                wire_format=route.wire_format,
                max_body_bytes=self.max_body_bytes,
            )
            rewrite = await self.pool.run(job)
        except Shed as shed:
            self.metrics.count_shed(shed.reason)
            logger.warning("compression shed (%s); request sent uncompressed", shed.reason)
            return unchanged
        except BaseException as exc:  # fail-open: a compressor bug must never break the request
            if must_propagate(exc, inline=False):
                raise
            reason = fail_open_reason(exc)
            self.metrics.count_fail_open(reason)
            if reason == "error":
                logger.warning(
                    "compression failed (%s); request sent uncompressed", type(exc).__name__
                )
            return unchanged
        if rewrite.result is not None:
            self.metrics.record_compression(
                rewrite.result, len(raw), len(rewrite.body), rewrite.seconds
            )
        return rewrite

    def _body_message(self, declared: int | None) -> str:
        size = f"{declared} bytes" if declared is not None else "more bytes"
        return f"Request body of {size} is over this server's limit of {self.max_body_bytes} bytes" + (
            f" ({self.limit_hints.body})." if self.limit_hints.body else "."
        )

    async def _too_large(
        self, send: Send, route: Route, message: str, *, drain: Receive | None = None
    ) -> None:
        """Answer 413 in the error shape the OpenAI and Anthropic SDKs surface.

        With ``drain`` (the body is still arriving), the whole response is written first, then
        the rest of the body is read and dropped (for at most :data:`DRAIN_SECONDS`) before the
        response is marked complete: closing a socket with unread input makes the kernel send a
        reset, which can destroy the 413 before the client reads it.
        """
        self.metrics.count_request(route.name, "-", 413)
        logger.info("413 for %s: %s", route.name, message)
        await send_json_error(send, 413, TOO_LARGE_TYPE, message, drain=drain)

    def _scope_for(self, scope: Scope, rewrite: BodyRewrite) -> Scope:
        """``scope``, or a copy with length headers that match the rewritten body."""
        if not rewrite.changed:
            return scope
        scope = dict(scope)
        drop = set(_DROP_WHEN_REWRITTEN)
        if rewrite.decoded:
            drop.add(b"content-encoding")
        kept = [(k, v) for k, v in scope["headers"] if k.lower() not in drop]
        kept.append((b"content-length", str(len(rewrite.body)).encode("ascii")))
        scope["headers"] = kept
        return scope

    async def _lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Install the outbound hooks at startup, remove them (and close a pool we own) when
        the app reports shutdown or failure, or its lifespan handler ends in any way."""
        outbound = self.outbound_compressor

        async def lifespan_receive() -> Message:
            message = await receive()
            if message["type"] == "lifespan.startup" and outbound is not None:
                try:
                    HOOKS.add(outbound)
                except Exception as exc:  # fail-open: the app starts, its calls go as they are
                    logger.warning("outbound hooks not installed (%s)", type(exc).__name__)
            return message

        async def lifespan_send(message: Message) -> None:
            kind = message["type"]
            if kind in ("lifespan.startup.failed", "lifespan.shutdown.complete",
                        "lifespan.shutdown.failed") and outbound is not None:
                HOOKS.remove(outbound)
            if kind == "lifespan.shutdown.complete" and self._owns_pool:
                self.pool.close(wait=False)
            await send(message)

        try:
            await self.app(scope, lifespan_receive, lifespan_send)
        finally:
            if outbound is not None:
                HOOKS.remove(outbound)


def _replaying(messages: list[Message], receive: Receive) -> Receive:
    """A ``receive`` that yields ``messages`` first, then defers to the real one."""
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay


def _result_headers(result: RequestResults) -> list[tuple[bytes, bytes]]:
    return [
        (b"x-headroom-tokens-before", str(result.original_tokens).encode("ascii")),
        (b"x-headroom-tokens-after", str(result.compressed_tokens).encode("ascii")),
        (b"x-headroom-technique", result.technique.value.encode("ascii")),
    ]


def _expects_continue(headers: Headers) -> bool:
    """A client sending ``Expect: 100-continue`` waits for our answer before sending the
    body, so there is nothing to drain (reading would only invite the body we refuse)."""
    return headers.get("expect", "").strip().lower() == "100-continue"


def _oversized_image(result: CompressionResult, hints: LimitHints) -> str | None:
    """The 413 message for the first image over the per-image limit, or None."""
    from headroom_edge.pipeline import OVER_LIMIT  # loaded already: a compression just ran

    for image in result.images:
        if image.decided_by == OVER_LIMIT:
            limit = image.signals.get("limit_bytes", "?")
            return (
                f"Image {image.index} is {image.original_bytes} bytes, over this server's per-image "
                f"limit of {limit} bytes" + (f" ({hints.image})." if hints.image else ".")
            )
    return None


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
