"""Ways to put headroom_edge in front of LLM calls without changing the calling code.

* :class:`HeadroomMiddleware`: ASGI middleware for your own Starlette/FastAPI app; it compresses
  the requests the app receives and the LLM calls its handlers make.
* :func:`instrument` / :func:`uninstrument`: the same outbound compression without an app.
* :func:`create_proxy_app`: a reverse proxy in front of OpenAI, Anthropic and Gemini
  (``headroom-edge proxy``).
* :class:`HeadroomTransport` / :class:`AsyncHeadroomTransport`: httpx transports for outbound
  calls; :func:`HeadroomClient` / :func:`AsyncHeadroomClient` wire them into the SDKs.

Names are imported on first access: ``import headroom_edge.integrations.middleware`` must not
pay for httpx (the proxy, transports and clients) or the compression core.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "DEFAULT_ROUTES": "headroom_edge.integrations.routes",
    "Route": "headroom_edge.integrations.routes",
    "route": "headroom_edge.integrations.routes",
    "AsyncHeadroomClient": "headroom_edge.integrations.client",
    "HeadroomClient": "headroom_edge.integrations.client",
    "AsyncHeadroomTransport": "headroom_edge.integrations.transport",
    "HeadroomTransport": "headroom_edge.integrations.transport",
    "HeadroomMiddleware": "headroom_edge.integrations.middleware",
    "Metrics": "headroom_edge.integrations.metrics",
    "OutboundCompressor": "headroom_edge.integrations.outbound",
    "instrument": "headroom_edge.integrations.outbound",
    "uninstrument": "headroom_edge.integrations.outbound",
    "ProxySettings": "headroom_edge.integrations.settings",
    "create_proxy_app": "headroom_edge.integrations.proxy",
    "RequestResults": "headroom_edge.integrations.context",
    "Shed": "headroom_edge.integrations.workers",
    "WorkerPool": "headroom_edge.integrations.workers",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'headroom_edge.integrations' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__all__ = sorted(_LAZY)
