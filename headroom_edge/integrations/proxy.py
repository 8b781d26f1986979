"""The reverse-proxy app: middleware + forwarder + health and metrics endpoints.

``create_proxy_app(settings)`` returns a plain Starlette app, so it can be served by the CLI,
embedded in tests, or mounted in a larger ASGI app. Point SDKs at it unchanged:
``OPENAI_BASE_URL=http://localhost:8787/v1``, ``ANTHROPIC_BASE_URL=http://localhost:8787``,
google-genai ``http_options={"base_url": "http://localhost:8787"}``. The other doors open once
their host is set: ``openai.AzureOpenAI(azure_endpoint="http://localhost:8787")``,
``anthropic.AnthropicVertex(base_url="http://localhost:8787/v1")`` or google-genai with
``vertexai=True``, ``ollama.Client(host="http://localhost:8787")``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from headroom_edge._version import __version__
from headroom_edge.integrations.compression import BodyCompressor
from headroom_edge.integrations.metrics import Metrics
from headroom_edge.integrations.middleware import HeadroomMiddleware, LimitHints
from headroom_edge.integrations.procpool import ProcessCompressor
from headroom_edge.integrations.settings import ProxySettings
from headroom_edge.integrations.timeouts import BodyReadTimeout
from headroom_edge.integrations.upstream import Forwarder, Timeouts, Upstreams, public_url
from headroom_edge.integrations.workers import WorkerPool

PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def create_proxy_app(
    settings: ProxySettings | None = None,
    *,
    compressor: BodyCompressor | None = None,
    metrics: Metrics | None = None,
) -> Starlette:
    """Build the proxy. ``compressor`` defaults, when ``settings.image_optimize`` is on, to a
    :class:`ProcessCompressor` (``settings.isolate_workers``: children start with the app's
    lifespan and stop with it) or else a new ``ImageCompressor``; ``metrics`` to a fresh :class:`Metrics` (exposed on
    ``app.state.metrics``)."""
    settings = settings or ProxySettings()
    metrics = metrics if metrics is not None else Metrics()
    children: ProcessCompressor | None = None
    if compressor is None and settings.image_optimize:
        if settings.isolate_workers:
            compressor = children = ProcessCompressor(
                settings.compression_config(), processes=settings.workers, metrics=metrics
            )
        else:
            from headroom_edge.compressor import ImageCompressor

            compressor = ImageCompressor(config=settings.compression_config())
    _redact_httpx_urls()
    forwarder = Forwarder(
        Upstreams.from_urls(
            settings.openai_base_url,
            settings.anthropic_base_url,
            settings.google_base_url,
            azure_openai=settings.azure_openai_base_url,
            vertex_ai=settings.vertex_ai_base_url,
            ollama=settings.ollama_base_url,
        ),
        timeouts=Timeouts(connect_s=settings.connect_timeout_s, header_s=settings.header_timeout_s),
        metrics=metrics,
        trust_env=settings.trust_env,
    )
    pool = WorkerPool(settings.workers, settings.queue_limit, settings.time_budget_s)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if children is not None:
            children.start()
        async with forwarder:
            try:
                yield
            finally:
                pool.close(wait=False)
                if children is not None:
                    children.close()

    async def healthz(request: Request) -> Response:
        return JSONResponse(
            {"status": "ok", "version": __version__, "image_optimize": settings.image_optimize}
        )

    async def metrics_endpoint(request: Request) -> Response:
        return PlainTextResponse(metrics.render(), media_type=PROMETHEUS_CONTENT_TYPE)

    app = Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/metrics", metrics_endpoint, methods=["GET"]),
            Route("/{path:path}", forwarder, methods=ALL_METHODS),
        ],
        middleware=[
            Middleware(BodyReadTimeout, timeout_s=settings.client_body_timeout_s),
            Middleware(
                HeadroomMiddleware,
                compressor=compressor,
                enabled=settings.image_optimize,
                max_body_bytes=settings.max_body_bytes,
                metrics=metrics,
                pool=pool,
                reject_oversize=settings.reject_oversize,
                limit_hints=LimitHints(
                    body="--max-body-bytes / HEADROOM_MAX_BODY_BYTES",
                    image="--max-image-bytes / HEADROOM_MAX_IMAGE_BYTES",
                ),
                # The proxy's own upstream calls carry bodies the middleware already compressed
                # (streamed, so the outbound hooks would only pass them through): no hooks here.
                outbound=False,
            )
        ],
        lifespan=lifespan,
    )
    app.state.metrics = metrics
    app.state.settings = settings
    return app


class RedactQueryFilter(logging.Filter):
    """Drops userinfo and the query string from URLs that httpx logs ("HTTP Request: POST <url>").

    httpx logs every request URL at INFO. Gemini clients may put the API key in the query
    (``?key=...``) and a configured upstream may carry ``user:pass@`` or a gateway key: the
    proxy's forwarded requests would otherwise write credentials to the log at the default level.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(a, httpx.URL) for a in record.args):
            record.args = tuple(_redacted(a) for a in record.args)
        return True


def _redacted(arg: object) -> object:
    if isinstance(arg, httpx.URL) and (arg.query or arg.userinfo):
        return public_url(str(arg)) + ("?<redacted>" if arg.query else "")
    return arg


def _redact_httpx_urls() -> None:
    """Install :class:`RedactQueryFilter` on the ``httpx`` logger once per process (idempotent;
    a filter on a third-party logger is process-wide by nature, and only ever removes data)."""
    httpx_logger = logging.getLogger("httpx")
    if not any(isinstance(f, RedactQueryFilter) for f in httpx_logger.filters):
        httpx_logger.addFilter(RedactQueryFilter())
