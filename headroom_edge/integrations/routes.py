"""Which request paths are LLM calls whose bodies the integrations may rewrite.

The middleware, the outbound transports and the proxy's metrics all ask "is this a path whose
body carries images we may compress?". The answer is the endpoint table
(:data:`headroom_edge.formats.endpoints.COMPRESSIBLE`): the default routes are built from it, so
a door added there (Azure, Vertex AI, Ollama, a token-counting endpoint) is routed here without a
second list to keep in step. Token-counting endpoints are routed on purpose: they get exactly the
rewrite of the call they count, so a client budgeting its context counts what will be sent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from headroom_edge.formats.endpoints import COMPRESSIBLE, Endpoint, bare_path


@dataclass(frozen=True)
class Route:
    """One LLM endpoint: a name for metrics, a path pattern, and the wire format it speaks.

    ``wire_format`` is the compressor's format name ("openai_chat", ...) or None to let the
    compressor pick by path and body shape (custom routes usually leave it None).
    """

    name: str
    pattern: re.Pattern[str]
    wire_format: str | None = None

    def matches(self, path: str) -> bool:
        """Searched in ``path`` without query string or fragment, like the endpoint table."""
        return self.pattern.search(bare_path(path)) is not None


def route(pattern: str, name: str | None = None, wire_format: str | None = None) -> Route:
    """Build a :class:`Route` from a regular expression searched in the request path."""
    return Route(name=name or pattern, pattern=re.compile(pattern), wire_format=wire_format)


def route_for(endpoint: Endpoint) -> Route:
    """The route of one endpoint-table row (its name is the metrics name)."""
    return Route(name=endpoint.name, pattern=endpoint.pattern, wire_format=endpoint.wire_format)


DEFAULT_ROUTES: tuple[Route, ...] = tuple(route_for(endpoint) for endpoint in COMPRESSIBLE)
"""Every rewritable endpoint of the table, in its order (the more specific door first):
OpenAI, Azure OpenAI, Anthropic, Gemini, Vertex AI and Ollama, token counting included.
Bedrock is absent (signed bodies, ``compress=False``)."""


def as_routes(items: Iterable[str | Route]) -> tuple[Route, ...]:
    """Accept routes as :class:`Route` objects or bare regex strings (configuration-friendly)."""
    return tuple(item if isinstance(item, Route) else route(item) for item in items)


def match_route(routes: Iterable[Route], path: str) -> Route | None:
    """The first route whose pattern matches ``path`` (query string excluded), or None."""
    for candidate in routes:
        if candidate.matches(path):
            return candidate
    return None
