"""A deadline between request-body chunks, so a stalled upload cannot hold the proxy forever.

A client that sends headers and then stops (or trickles its body) would otherwise keep a server
task, a buffered half body and, once forwarding began, a connection to the provider open for as
long as it likes. :class:`BodyReadTimeout` wraps ``receive``: while the body is incomplete,
each ``receive()`` must return within ``timeout_s`` or the request ends with a 408 (when no
response was started yet) and the connection is closed. Once the body is complete ``receive``
is passed through untouched: from then on it only reports disconnects, which may take as long
as a streamed answer does.

It sits inside Starlette's error middleware and outside everything that reads the body (the
compressing middleware, the forwarder), so every reader gets the same deadline.
"""

from __future__ import annotations

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from headroom_edge.integrations.errors import send_json_error

TIMEOUT_TYPE = "headroom_request_timeout"


class BodyStalled(Exception):
    """The client sent no body bytes for ``timeout_s``; raised out of ``receive()``."""


class BodyReadTimeout:
    """Pure-ASGI middleware: 408 when the request body stalls for ``timeout_s`` seconds."""

    def __init__(self, app: ASGIApp, timeout_s: float = 30.0) -> None:
        if timeout_s <= 0:
            raise ValueError("timeout_s must be > 0")
        self.app = app
        self.timeout_s = timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body_done = False
        started = finished = False

        async def guarded_receive() -> Message:
            nonlocal body_done
            if body_done:
                return await receive()
            try:
                with anyio.fail_after(self.timeout_s):
                    message = await receive()
            except TimeoutError:
                raise BodyStalled() from None
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_done = True
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started, finished
            if message["type"] == "http.response.start":
                started = True
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                finished = True
            await send(message)

        try:
            await self.app(scope, guarded_receive, tracking_send)
        except BodyStalled:
            if not started:
                await send_json_error(
                    send,
                    408,
                    TIMEOUT_TYPE,
                    f"No request body bytes received for {self.timeout_s:g} s.",
                    close=True,
                )
            elif not finished:
                # A response already went out (a 413 draining the refused body): end it cleanly.
                await send({"type": "http.response.body", "body": b"", "more_body": False})
