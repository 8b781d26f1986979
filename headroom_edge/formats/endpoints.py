"""The one endpoint table: request path -> wire format -> provider.

Format detection (by path), the middleware's and transports' routes, the proxy's metrics names and
its choice of upstream all ask "what is this path?". The answer lives here, once, and everything
else reads it (``integrations/`` included), so the rules cannot drift apart.

Patterns match the *end* of the path (query string and fragment excluded): an app mounted under a
base path (``/api/llm``), an SDK pointed at a gateway prefix and Azure-style deployment paths still
hit them, with or without ``/v1``. Token-counting endpoints speak the same wire format (so a body
sent there is still recognised) but are marked ``compress=False``: they must count what the client
sent, not what compression would make of it.

Which upstream a *proxied* request goes to is a different, stricter question (any path of the
provider's API, not only LLM calls, and never a path under some other prefix):
:func:`provider_for_request` answers it from the API prefixes and the providers' own headers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from headroom_edge.providers import Provider


@dataclass(frozen=True)
class Endpoint:
    """One provider endpoint whose body is a wire format this package reads."""

    name: str
    """Stable name for metrics and logs, e.g. "openai_chat", "gemini_stream"."""
    pattern: re.Pattern[str]
    """Searched in the path without query string."""
    wire_format: str
    """The :class:`~headroom_edge.formats.base.WireFormat` name the body speaks."""
    provider: Provider
    compress: bool = True
    """False for token-counting endpoints: recognised, never rewritten."""

    def matches(self, path: str) -> bool:
        return self.pattern.search(bare_path(path)) is not None


def _endpoint(name: str, pattern: str, wire_format: str, provider: Provider, compress: bool = True) -> Endpoint:
    return Endpoint(name, re.compile(pattern), wire_format, provider, compress)


_GEMINI_MODEL = r"(?:^|/)(?:models|tunedModels)/[^/]+"

ENDPOINTS: tuple[Endpoint, ...] = (
    _endpoint("openai_chat", r"(?:^|/)chat/completions/?$", "openai_chat", "openai"),
    _endpoint("openai_responses", r"(?:^|/)responses/?$", "openai_responses", "openai"),
    _endpoint("openai_responses_input_tokens", r"(?:^|/)responses/input_tokens/?$",
              "openai_responses", "openai", compress=False),
    _endpoint("anthropic_messages", r"(?:^|/)messages/?$", "anthropic_messages", "anthropic"),
    _endpoint("anthropic_count_tokens", r"(?:^|/)messages/count_tokens/?$",
              "anthropic_messages", "anthropic", compress=False),
    _endpoint("gemini_generate", _GEMINI_MODEL + r":generateContent$", "gemini", "google"),
    _endpoint("gemini_stream", _GEMINI_MODEL + r":streamGenerateContent$", "gemini", "google"),
    _endpoint("gemini_count_tokens", _GEMINI_MODEL + r":countTokens$", "gemini", "google",
              compress=False),
    # AWS Bedrock bodies are SigV4-signed: recognised here, rewritten only before signing, inside
    # boto3 (integrations/bedrock.py), never by a proxy or middleware that forwards the signature.
    _endpoint("bedrock_converse", r"/model/[^/]+/converse(?:-stream)?/?$", "bedrock_converse",
              "anthropic", compress=False),
    _endpoint("bedrock_invoke", r"/model/[^/]+/invoke(?:-with-response-stream)?/?$",
              "anthropic_messages", "anthropic", compress=False),
)
"""OpenAI Chat Completions and Responses, Anthropic Messages, Gemini (streaming or not), and the
token-counting endpoint of each (``compress=False``)."""

COMPRESSIBLE: tuple[Endpoint, ...] = tuple(e for e in ENDPOINTS if e.compress)
"""The endpoints whose requests may be rewritten: what the integrations route by default."""


def bare_path(path: str) -> str:
    """``path`` without query string and fragment."""
    return path.split("?", 1)[0].split("#", 1)[0]


def endpoint_for(path: str | None) -> Endpoint | None:
    """The endpoint ``path`` calls (counting endpoints included), or None for any other path."""
    if not isinstance(path, str):
        return None
    for endpoint in ENDPOINTS:
        if endpoint.matches(path):
            return endpoint
    return None


_ANTHROPIC_HEADER = "anthropic-version"
_GOOGLE_HEADER = "x-goog-api-key"
_GOOGLE_PREFIXES = ("/v1beta/", "/v1alpha/", "/upload/")


def provider_for_request(path: str, headers: Mapping[str, str]) -> Provider | None:
    """The provider whose API a proxied request (path from the root, lower-case header names)
    belongs to, or None when it belongs to none and must not be forwarded.

    Anthropic: ``/v1/messages`` and below, or an ``anthropic-version`` header. Google: the
    ``/v1beta/``, ``/v1alpha/`` and ``/upload/`` APIs, a ``/v1/models/<model>:<method>`` call, or
    an ``x-goog-api-key`` header. OpenAI: any other ``/v1/`` path. For every LLM endpoint of
    :data:`ENDPOINTS` called at its documented path this agrees with ``Endpoint.provider``.
    """
    path = bare_path(path)
    if path == "/v1/messages" or path.startswith("/v1/messages/") or _ANTHROPIC_HEADER in headers:
        return "anthropic"
    if (
        path.startswith(_GOOGLE_PREFIXES)
        or (path.startswith("/v1/models/") and ":" in path.rsplit("/", 1)[-1])
        or _GOOGLE_HEADER in headers
    ):
        return "google"
    if path.startswith("/v1/"):
        return "openai"
    return None
