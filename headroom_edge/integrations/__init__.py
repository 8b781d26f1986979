"""Ways to put headroom_edge in front of LLM calls without changing the calling code.

* :class:`HeadroomMiddleware`: ASGI middleware for your own Starlette/FastAPI app.
* :func:`create_proxy_app`: a reverse proxy in front of OpenAI, Anthropic and Gemini
  (``headroom-edge proxy``).
* :class:`HeadroomTransport` / :class:`AsyncHeadroomTransport`: httpx transports for outbound
  calls; :func:`HeadroomClient` / :func:`AsyncHeadroomClient` wire them into the SDKs.
"""

from headroom_edge.integrations.client import AsyncHeadroomClient, HeadroomClient
from headroom_edge.integrations.metrics import Metrics
from headroom_edge.integrations.middleware import HeadroomMiddleware
from headroom_edge.integrations.proxy import create_proxy_app
from headroom_edge.integrations.routes import DEFAULT_ROUTES, Route, route
from headroom_edge.integrations.settings import ProxySettings
from headroom_edge.integrations.transport import AsyncHeadroomTransport, HeadroomTransport
from headroom_edge.integrations.workers import Shed, WorkerPool

__all__ = [
    "DEFAULT_ROUTES",
    "AsyncHeadroomClient",
    "AsyncHeadroomTransport",
    "HeadroomClient",
    "HeadroomMiddleware",
    "HeadroomTransport",
    "Metrics",
    "ProxySettings",
    "Route",
    "Shed",
    "WorkerPool",
    "create_proxy_app",
    "route",
]
