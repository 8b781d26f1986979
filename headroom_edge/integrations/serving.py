"""Serving the proxy with uvicorn, with the connection limits a public-facing server needs.

uvicorn bounds idle keep-alive connections (``timeout_keep_alive``) and the number of
connections plus requests (``limit_concurrency``, 503 beyond), but nothing bounds how long a
client may take to *send* its request headers: a connection that trickles one header byte at a
time, or sends nothing, stays open forever (slowloris). :class:`HeaderTimeoutH11Protocol` adds
that one missing deadline at the protocol level, where the bytes arrive; the body-side deadline
is an ASGI concern (``integrations.timeouts.BodyReadTimeout``).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from headroom_edge.integrations.settings import ProxySettings

TIMEOUT_408_TYPE = "headroom_request_timeout"


class HeaderTimeoutH11Protocol(H11Protocol):
    """uvicorn's h11 protocol plus a deadline for receiving each request's headers.

    The clock starts when the connection opens and, on a kept-alive connection, when the first
    byte of the next request arrives (the keep-alive timer covers the idle time before that);
    it stops once h11 has parsed the request line and headers. It is a deadline, not an idle
    timer: trickling bytes does not extend it. On expiry a connection that sent part of a
    request gets a 408 and is closed; one that sent nothing is just closed.
    """

    header_timeout_s: float = 10.0
    """Class attribute, set per server by :func:`protocol_with_header_timeout` (uvicorn builds
    protocol instances itself, from a class)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None
        self._partial = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE and data:
            self._partial = True
            if self._header_timer is None:
                self._arm()
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._disarm()
            self._partial = False

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.conn.their_state is h11.IDLE and not self._partial:
            self._disarm()  # idle keep-alive: uvicorn's own keep-alive timer is in charge

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(self.header_timeout_s, self._headers_too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        if self._partial:
            self.transport.write(_raw_408(self.header_timeout_s))
        self.transport.close()


def _raw_408(seconds: float) -> bytes:
    """A complete 408 written straight to the socket: h11 cannot frame a response to a request
    whose headers it never finished parsing."""
    body = json.dumps(
        {
            "type": "error",
            "error": {
                "type": TIMEOUT_408_TYPE,
                "message": f"Request headers not received within {seconds:g} s.",
            },
        }
    ).encode("utf-8")
    head = (
        "HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


def protocol_with_header_timeout(seconds: float) -> type[HeaderTimeoutH11Protocol]:
    """A :class:`HeaderTimeoutH11Protocol` subclass bound to ``seconds`` (one per server, so two
    servers in one process can have different deadlines)."""
    if seconds <= 0:
        raise ValueError("header timeout must be > 0")
    return type("BoundHeaderTimeoutH11Protocol", (HeaderTimeoutH11Protocol,), {"header_timeout_s": seconds})


def server_options(settings: ProxySettings) -> dict[str, Any]:
    """The ``uvicorn.Config`` keyword arguments that enforce ``settings``' connection limits."""
    return {
        "http": protocol_with_header_timeout(settings.client_header_timeout_s),
        "limit_concurrency": settings.max_connections,
        "timeout_keep_alive": settings.keep_alive_timeout_s,
    }


def uvicorn_config(app: Any, settings: ProxySettings, **overrides: Any) -> uvicorn.Config:
    """The proxy's ``uvicorn.Config``: host, port and log level from ``settings``, its limits
    from :func:`server_options`, uvicorn's access log off (it prints query strings, and Gemini
    accepts ``?key=<API key>``; the proxy writes its own access line without the query)."""
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "log_level": settings.log_level,
        "access_log": False,
        "lifespan": "on",
        **server_options(settings),
    }
    options.update(overrides)
    return uvicorn.Config(app, **options)
