"""JSON error responses, in the one shape both the OpenAI and Anthropic SDKs surface.

``{"type": "error", "error": {"type": ..., "message": ...}}``: the middleware's 413 and the
proxy's 400/404/408/502/504 all go through :func:`send_json_error`.
"""

from __future__ import annotations

import json

import anyio
from starlette.types import Receive, Send

DRAIN_SECONDS = 10.0
"""Longest a 413 keeps reading (and dropping) the refused body so the client sees the answer."""


async def send_json_error(
    send: Send,
    status: int,
    kind: str,
    message: str,
    *,
    drain: Receive | None = None,
    close: bool = False,
) -> int:
    """A JSON error response: ``{"type": "error", "error": {"type", "message"}}``.

    ``drain``: read and drop the rest of the request body after the response bytes went out
    and before the response is marked complete (see ``HeadroomMiddleware._too_large``).
    ``close``: add ``Connection: close`` (the server then closes the connection after the
    response), for answers given before the request body was read to its end.
    Returns the number of body bytes sent.
    """
    body = json.dumps({"type": "error", "error": {"type": kind, "message": message}}).encode("utf-8")
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode("ascii")),
    ]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    if drain is None:
        await send({"type": "http.response.body", "body": body, "more_body": False})
        return len(body)
    await send({"type": "http.response.body", "body": body, "more_body": True})
    with anyio.move_on_after(DRAIN_SECONDS):
        while True:
            incoming = await drain()
            if incoming["type"] != "http.request" or not incoming.get("more_body", False):
                break
    await send({"type": "http.response.body", "body": b"", "more_body": False})
    return len(body)
