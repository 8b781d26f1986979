"""Forwarding proxy requests to the real providers over one shared ``httpx.AsyncClient``.

Design constraints, and how they are met:

* **Never an open proxy.** The target URL is always one of the configured base URLs plus the
  request's own path; absolute-form request targets, ``//host`` paths and paths with dot
  segments (``/v1/../x``) are refused (400), and paths that belong to no provider are refused
  (404).
* **Credentials untouched and unlogged.** Request headers are copied as they came, minus the
  hop-by-hop set; the access line holds method, path (never the query: Gemini accepts
  ``?key=``), status, upstream, duration and byte counts only.
* **Streaming.** Request bodies stream up, responses stream down chunk by chunk with
  ``aiter_raw`` (SSE included), with the upstream's ``content-encoding`` kept since the bytes
  are passed on still encoded. Streams have no read timeout; the wait for response headers is
  bounded (504), connecting is bounded (502/504). A client that disconnects closes the upstream
  response, so the provider stops generating.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

import anyio
import httpx
from starlette.datastructures import Headers
from starlette.types import Message, Receive, Scope, Send

from headroom_edge.formats.endpoints import bare_path, endpoint_for, provider_for_request
from headroom_edge.integrations.constants import (
    CONNECT_TIMEOUT_S,
    HEADER_TIMEOUT_S,
    HOP_BY_HOP,
    POOL_TIMEOUT_S,
    WRITE_TIMEOUT_S,
)
from headroom_edge.integrations.errors import send_json_error
from headroom_edge.integrations.metrics import Metrics
from headroom_edge.integrations.timeouts import BodyStalled
from headroom_edge.providers import PROVIDERS, Provider

logger = logging.getLogger("headroom_edge.proxy")



@dataclass(frozen=True)
class Upstream:
    name: str
    base_url: str

    def url_for(self, raw_path: str, query: str) -> str:
        """The base URL's path plus ``raw_path``; a query on the base URL (a gateway key) is
        kept in front of the client's own."""
        base = urlsplit(self.base_url)
        joined = "&".join(part for part in (base.query, query) if part)
        return urlunsplit((base.scheme, base.netloc, base.path.rstrip("/") + raw_path, joined, ""))

    @property
    def public_url(self) -> str:
        """The base URL as clients and logs may see it: scheme, host, port and path, without
        userinfo (``user:pass@``) or query (``?key=...``), which can hold credentials."""
        return public_url(self.base_url)


def public_url(url: str) -> str:
    """``url`` without userinfo, query and fragment (the one place that decides what of an
    upstream URL may be shown)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = f"{host}:{port}" if port is not None else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


ProxiedDoor = Literal["azure_openai", "vertex_ai", "ollama"]
"""The doors the proxy serves only once their host is configured (Bedrock is never proxied:
its bodies are SigV4-signed, so a rewrite would break the signature)."""

_DOOR_PREFIXES: tuple[tuple[ProxiedDoor, tuple[str, ...]], ...] = (
    ("vertex_ai", ("/v1/projects/", "/v1beta1/projects/")),
    ("azure_openai", ("/openai/",)),
    ("ollama", ("/api/",)),
)
"""Each door's API, by path prefix from the root: Vertex AI's projects API (Google OAuth
tokens), an Azure OpenAI resource's ``/openai/...`` (``?api-version`` kept), Ollama's ``/api/``."""

_DOOR_TITLES: dict[ProxiedDoor, str] = {
    "azure_openai": "Azure OpenAI",
    "vertex_ai": "Vertex AI",
    "ollama": "Ollama",
}
"""Names for refusals; the proxy's setting is ``<door>_base_url`` (flag ``--<door>-base-url``)."""


def door_for_request(path: str) -> ProxiedDoor | None:
    """The configurable door whose API ``path`` (from the root, no query) belongs to, or None."""
    path = bare_path(path)
    for door, prefixes in _DOOR_PREFIXES:
        if path.startswith(prefixes):
            return door
    return None


@dataclass(frozen=True)
class Upstreams:
    """The configured upstreams and the rule that picks one for a request.

    The three public APIs always have a host; the other doors have one only when configured
    (None: their requests are refused, never sent to a public API's host with, say, a Google
    OAuth token meant for Vertex AI).
    """

    openai: Upstream
    anthropic: Upstream
    google: Upstream
    azure_openai: Upstream | None = None
    vertex_ai: Upstream | None = None
    ollama: Upstream | None = None

    @classmethod
    def from_urls(
        cls,
        openai: str,
        anthropic: str,
        google: str,
        *,
        azure_openai: str | None = None,
        vertex_ai: str | None = None,
        ollama: str | None = None,
    ) -> Upstreams:
        """Upstreams from base URLs; an empty or None door URL leaves that door closed."""

        def door(name: ProxiedDoor, url: str | None) -> Upstream | None:
            return Upstream(name, url) if url else None

        return cls(
            Upstream("openai", openai),
            Upstream("anthropic", anthropic),
            Upstream("google", google),
            azure_openai=door("azure_openai", azure_openai),
            vertex_ai=door("vertex_ai", vertex_ai),
            ollama=door("ollama", ollama),
        )

    def pick(self, path: str, headers: Mapping[str, str]) -> Upstream | None:
        """The upstream for a request, or None when none may serve it.

        A configurable door's path goes to that door's host or nowhere; any other path goes to
        the public API :func:`~headroom_edge.formats.endpoints.provider_for_request` names.
        Headers only choose *between* providers for an API path: a path outside every API
        (``/admin/secret``) has no upstream whatever the client sends.
        """
        door = door_for_request(path)
        if door is not None:
            return self.door(door)
        provider = provider_for_request(path, headers)
        return None if provider is None else self.provider(provider)

    def provider(self, provider: Provider) -> Upstream:
        """The upstream of one public API (a name from :data:`~headroom_edge.providers.PROVIDERS`)."""
        if provider not in PROVIDERS:
            raise ValueError(f"unknown provider {provider!r}")
        upstream: Upstream = getattr(self, provider)
        return upstream

    def door(self, door: ProxiedDoor) -> Upstream | None:
        upstream: Upstream | None = getattr(self, door)
        return upstream


def refusal(path: str) -> str:
    """Why no upstream serves ``path``: a door that is not configured, or no API at all."""
    door = door_for_request(path)
    if door is not None:
        flag = "--" + door.replace("_", "-") + "-base-url"
        return (
            f"{_DOOR_TITLES[door]} requests are refused: no {_DOOR_TITLES[door]} upstream is "
            f"configured (proxy flag {flag}, env HEADROOM_{door.upper()}_BASE_URL)."
        )
    return f"No provider serves {path}."


@dataclass(frozen=True)
class Timeouts:
    connect_s: float = CONNECT_TIMEOUT_S
    header_s: float = HEADER_TIMEOUT_S
    write_s: float = WRITE_TIMEOUT_S
    pool_s: float = POOL_TIMEOUT_S


@dataclass
class _Exchange:
    """Per-request bookkeeping for the access log and metrics."""

    method: str
    path: str
    route: str
    upstream: str = "-"
    status: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    body_done: bool = False
    body_read: anyio.Event = field(default_factory=anyio.Event)
    """Set once the request body is fully read: from then on receive() only reports disconnects."""
    started: float = field(default_factory=time.perf_counter)

    def mark_body_done(self) -> None:
        self.body_done = True
        self.body_read.set()


class _ClientGone(Exception):
    """The client disconnected before the upstream's response headers arrived."""


class Forwarder:
    """The proxy's catch-all ASGI endpoint. Use as ``async with forwarder:`` around serving."""

    def __init__(
        self,
        upstreams: Upstreams,
        *,
        timeouts: Timeouts | None = None,
        metrics: Metrics | None = None,
        trust_env: bool = True,
    ) -> None:
        self.upstreams = upstreams
        self.timeouts = timeouts or Timeouts()
        self.metrics = metrics if metrics is not None else Metrics()
        self.trust_env = trust_env
        self._client: httpx.AsyncClient | None = None

    async def __aenter__(self) -> Forwarder:
        t = self.timeouts
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(connect=t.connect_s, read=None, write=t.write_s, pool=t.pool_s),
            follow_redirects=False,
            trust_env=self.trust_env,
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=64),
        )
        # httpx adds Accept, Accept-Encoding and User-Agent defaults to every request. Forwarded
        # requests must carry only the client's headers: an Accept-Encoding the client never
        # sent would get it raw gzip it did not ask for.
        for name in ("accept", "accept-encoding", "user-agent"):
            self._client.headers.pop(name, None)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        endpoint = endpoint_for(path)
        ex = _Exchange(scope.get("method", "GET"), path, endpoint.name if endpoint else "other")
        try:
            await self._forward(scope, receive, send, ex)
        finally:
            self.metrics.count_request(ex.route, ex.upstream, ex.status)
            logger.info(
                "%s %s -> %s %s %.1fms in=%d out=%d",
                ex.method,
                ex.path if ex.path.startswith("/") else "<invalid>",
                ex.upstream,
                ex.status,
                (time.perf_counter() - ex.started) * 1000,
                ex.bytes_in,
                ex.bytes_out,
            )

    async def _forward(self, scope: Scope, receive: Receive, send: Send, ex: _Exchange) -> None:
        raw_path = scope.get("raw_path") or ex.path.encode("utf-8")
        if not raw_path.startswith(b"/") or raw_path.startswith(b"//"):
            await _error(
                send, ex, 400, "bad_request", "Only origin-form request targets are served."
            )
            return
        if _has_dot_segment(raw_path):
            # httpx resolves "/v1/../x" to "/x": it would escape the API prefixes (and the path
            # of a base URL such as https://gateway/openai) that picking the upstream relied on.
            await _error(send, ex, 400, "bad_request", "Paths with dot segments are not served.")
            return
        headers = Headers(scope=scope)
        upstream = self.upstreams.pick(ex.path, headers)
        if upstream is None:
            await _error(send, ex, 404, "not_found", refusal(ex.path))
            return
        ex.upstream = upstream.name
        if self._client is None:
            raise RuntimeError("Forwarder used outside 'async with' (app lifespan not running?)")

        query = scope.get("query_string", b"").decode("latin-1")
        url = upstream.url_for(raw_path.decode("latin-1"), query)
        has_body = "content-length" in headers or "transfer-encoding" in headers
        request = self._client.build_request(
            ex.method,
            url,
            headers=_forward_headers(scope["headers"]),
            content=self._request_body(receive, ex) if has_body else None,
        )
        if not has_body:
            ex.mark_body_done()
        try:
            with anyio.fail_after(self.timeouts.header_s):
                response = await self._send_watching(request, receive, ex)
        except (TimeoutError, httpx.TimeoutException) as exc:
            self.metrics.count_upstream_error(upstream.name, "timeout")
            await _error(send, ex, 504, "upstream_timeout", _describe(upstream, exc, "timed out"))
            return
        except _ClientGone:
            ex.status = 499
            return
        except BodyStalled:
            ex.status = 408  # answered by BodyReadTimeout, outside; recorded here for the log
            raise
        except httpx.TransportError as exc:
            self.metrics.count_upstream_error(upstream.name, "unreachable")
            await _error(send, ex, 502, "upstream_unreachable", _describe(upstream, exc, "failed"))
            return
        try:
            await self._relay(response, receive, send, ex)
        finally:
            await response.aclose()

    async def _request_body(self, receive: Receive, ex: _Exchange) -> AsyncIterator[bytes]:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _ClientGone()
            chunk = message.get("body", b"")
            ex.bytes_in += len(chunk)
            if chunk:
                yield chunk
            if not message.get("more_body", False):
                ex.mark_body_done()
                return

    async def _send_watching(self, request: httpx.Request, receive: Receive, ex: _Exchange) -> httpx.Response:
        """Send upstream, but give up (closing the upstream connection) if the client leaves
        while we wait for the response headers: a slow non-streaming call must not keep running
        for a client that is gone."""
        gone = False
        response: httpx.Response | None = None

        async def watch(scope: anyio.CancelScope) -> None:
            nonlocal gone
            await ex.body_read.wait()
            while (await receive())["type"] != "http.disconnect":
                pass
            gone = True
            scope.cancel()

        failure: BaseException | None = None
        async with anyio.create_task_group() as tg:
            tg.start_soon(watch, tg.cancel_scope)
            try:
                response = await self._client.send(request, stream=True)  # type: ignore[union-attr]
            except Exception as exc:  # re-raised below, unwrapped by the task group
                failure = exc
            tg.cancel_scope.cancel()
        if failure is not None:
            raise failure
        if gone or response is None:
            if response is not None:
                await response.aclose()
            raise _ClientGone()
        return response

    async def _relay(
        self, response: httpx.Response, receive: Receive, send: Send, ex: _Exchange
    ) -> None:
        """Stream the upstream response down; stop (and close upstream) if the client leaves."""
        ex.status = response.status_code
        headers = [
            (k.lower(), v)
            for k, v in response.headers.raw
            if k.lower().decode("latin-1") not in HOP_BY_HOP
        ]
        async with anyio.create_task_group() as tg:
            if ex.body_done:
                # receive() is ours again only once the body was read; then it yields only
                # http.disconnect (uvicorn), which is when we stop pulling from upstream.
                tg.start_soon(_cancel_on_disconnect, receive, tg.cancel_scope)
            await send(
                {"type": "http.response.start", "status": response.status_code, "headers": headers}
            )
            try:
                async for chunk in response.aiter_raw():
                    ex.bytes_out += len(chunk)
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
            except httpx.TransportError as exc:
                # Headers are gone already: all we can do is cut the stream so the client sees
                # an incomplete response rather than a silently truncated one.
                logger.warning(
                    "upstream %s broke mid-response (%s)", ex.upstream, type(exc).__name__
                )
                self.metrics.count_upstream_error(ex.upstream, "broken_stream")
                tg.cancel_scope.cancel()
                return
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            tg.cancel_scope.cancel()


async def _cancel_on_disconnect(receive: Receive, scope: anyio.CancelScope) -> None:
    while True:
        message: Message = await receive()
        if message["type"] == "http.disconnect":
            scope.cancel()
            return


def _has_dot_segment(raw_path: bytes) -> bool:
    """Whether the path has a ``.`` or ``..`` segment, plain or percent-encoded."""
    path = raw_path.split(b"?", 1)[0]
    return any(
        segment.lower().replace(b"%2e", b".") in (b".", b"..") for segment in path.split(b"/")
    )


def _forward_headers(raw: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """Client headers minus hop-by-hop ones, any named in ``Connection``, and a
    ``Content-Length`` that came next to ``Transfer-Encoding``."""
    named: set[str] = set()
    for key, value in raw:
        if key.lower() == b"connection":
            named.update(t.strip().lower() for t in value.decode("latin-1").split(","))
    drop = HOP_BY_HOP | named
    if any(k.lower() == b"transfer-encoding" for k, _ in raw):
        # RFC 9112 §6.3: Transfer-Encoding overrides Content-Length, and an intermediary must
        # drop the latter. httpx would otherwise frame the streamed body by a length it lacks.
        drop = drop | {"content-length"}
    return [(k, v) for k, v in raw if k.decode("latin-1").lower() not in drop]


def _describe(upstream: Upstream, exc: BaseException, what: str) -> str:
    kind = type(exc).__name__
    return f"Upstream {upstream.name} ({upstream.public_url}) {what}: {kind}."


async def _error(send: Send, ex: _Exchange, status: int, kind: str, message: str) -> None:
    """A proxy error, recorded for the access log and metrics, typed ``headroom_<kind>``."""
    ex.status = status
    ex.bytes_out += await send_json_error(send, status, f"headroom_{kind}", message)
