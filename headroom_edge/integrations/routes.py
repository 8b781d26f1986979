"""Which request paths are LLM calls whose bodies may carry images.

The middleware, the proxy's metrics and the outbound transports all ask the same question
("is this path a chat/messages/generateContent endpoint?"), so the answer lives in one place.
Patterns match the *end* of the path: an app mounted under a base path (``/api/llm``) or an
SDK pointed at a gateway prefix still hits them, with or without the ``/v1`` segment.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass


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
        return self.pattern.search(path) is not None


def route(pattern: str, name: str | None = None, wire_format: str | None = None) -> Route:
    """Build a :class:`Route` from a regular expression searched in the request path."""
    return Route(name=name or pattern, pattern=re.compile(pattern), wire_format=wire_format)


DEFAULT_ROUTES: tuple[Route, ...] = (
    route(r"(?:^|/)chat/completions/?$", "openai_chat", "openai_chat"),
    route(r"(?:^|/)responses/?$", "openai_responses", "openai_responses"),
    route(r"(?:^|/)messages/?$", "anthropic_messages", "anthropic_messages"),
    route(r"/models/[^/]+:generateContent$", "gemini_generate", "gemini"),
    route(r"/models/[^/]+:streamGenerateContent$", "gemini_stream", "gemini"),
)
"""OpenAI Chat Completions and Responses, Anthropic Messages, Gemini (streaming or not).

Token-counting endpoints are left out on purpose: they must count what the client sent."""


def as_routes(items: Iterable[str | Route]) -> tuple[Route, ...]:
    """Accept routes as :class:`Route` objects or bare regex strings (configuration-friendly)."""
    return tuple(item if isinstance(item, Route) else route(item) for item in items)


def match_route(routes: Iterable[Route], path: str) -> Route | None:
    """The first route whose pattern matches ``path`` (query string excluded), or None."""
    for candidate in routes:
        if candidate.matches(path):
            return candidate
    return None
