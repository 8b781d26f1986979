"""The one endpoint table: request path -> wire format -> provider, and which door it came through.

Format detection (by path), the middleware's and transports' routes, the proxy's metrics names and
its choice of upstream all ask "what is this path?". The answer lives here, once, and everything
else reads it (``integrations/`` included), so the rules cannot drift apart.

Patterns match the *end* of the path (query string and fragment excluded): an app mounted under a
base path (``/api/llm``) or an SDK pointed at a gateway prefix still hits them, with or without
``/v1``. The same body reaches a model through several *doors* (OpenAI's API, an Azure OpenAI
deployment, Vertex AI, Bedrock, a local Ollama): each door is its own row, so metrics and the
proxy's upstream choice can tell them apart, while the wire format is shared. Rows are tried in
order and the first match wins, so the more specific door comes before the generic pattern it
would also match.

Token-counting endpoints speak the same wire format as the call they count and are rewritten the
same way (``counts_tokens`` only names them): a client budgeting its context (Claude Code, agents)
must count what will actually be sent, not the uncompressed request.

Which upstream a *proxied* request goes to is a different, stricter question (any path of the
provider's API, not only LLM calls, and never a path under some other prefix):
:func:`provider_for_request` answers it for the three public APIs from their prefixes and
headers; the other doors are only reachable once the proxy is configured with their host.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote

from headroom_edge.providers import Provider

Door = Literal["openai", "anthropic", "google", "azure_openai", "vertex_ai", "bedrock", "ollama"]
"""Whose server answers: the three public APIs, or a host that serves the same models."""


@dataclass(frozen=True)
class Endpoint:
    """One provider endpoint whose body is a wire format this package reads."""

    name: str
    """Stable name for metrics and logs, e.g. "openai_chat", "vertex_gemini_stream"."""
    pattern: re.Pattern[str]
    """Searched in the path without query string. A ``model`` group names the model the call
    targets (authoritative: the body has none, or Vertex/Bedrock ignore it); a ``deployment``
    group names an Azure deployment, used as the model only when the body names none."""
    wire_format: str
    """The :class:`~headroom_edge.formats.base.WireFormat` name the body speaks."""
    provider: Provider
    """Whose token and media rules price and constrain the images (the wire format's)."""
    door: Door
    counts_tokens: bool = False
    """A token-counting endpoint: rewritten exactly like the call it counts."""
    compress: bool = True
    """Whether a proxy or middleware may rewrite requests here (False for signed bodies: Bedrock)."""

    def matches(self, path: str) -> bool:
        return self.pattern.search(bare_path(path)) is not None

    def path_model(self, path: str) -> PathModel:
        """The model and deployment ``path`` names (percent-decoded; Bedrock ids carry ``:``)."""
        found = self.pattern.search(bare_path(path))
        if found is None:
            return PathModel()
        groups = found.groupdict()
        return PathModel(_decoded(groups.get("model")), _decoded(groups.get("deployment")))


@dataclass(frozen=True)
class PathModel:
    """What a path says about the model: ``model`` wins over the body's, ``deployment`` does not."""

    model: str | None = None
    deployment: str | None = None


def _decoded(value: str | None) -> str | None:
    return unquote(value) if value else None


def _endpoint(name: str, pattern: str, wire_format: str, provider: Provider, door: Door,
              counts_tokens: bool = False, compress: bool = True) -> Endpoint:
    return Endpoint(name, re.compile(pattern), wire_format, provider, door, counts_tokens, compress)


_GEMINI_MODEL = r"(?:^|/)(?:models|tunedModels)/(?P<model>[^/:]+)"
_VERTEX = r"(?:^|/)projects/[^/]+/locations/[^/]+/publishers/"
_AZURE = r"(?:^|/)openai/"
_AZURE_RESPONSES = r"(?:deployments/(?P<deployment>[^/]+)/|v1/)?"
_BEDROCK_MODEL = r"(?:^|/)model/(?P<model>[^/]+)/"

ENDPOINTS: tuple[Endpoint, ...] = (
    # Azure OpenAI: deployment paths (?api-version=...), the v1 paths (model in the body), and
    # /openai/responses, where the openai SDK's AzureOpenAI sends Responses calls of a deployment.
    _endpoint("azure_openai_chat", _AZURE + r"(?:deployments/(?P<deployment>[^/]+)|v1)/chat/completions/?$",
              "openai_chat", "openai", "azure_openai"),
    _endpoint("azure_openai_responses", _AZURE + _AZURE_RESPONSES + r"responses/?$",
              "openai_responses", "openai", "azure_openai"),
    _endpoint("azure_openai_responses_input_tokens", _AZURE + _AZURE_RESPONSES + r"responses/input_tokens/?$",
              "openai_responses", "openai", "azure_openai", counts_tokens=True),
    # OpenAI (and every OpenAI-compatible server: vLLM, OpenRouter, Mistral, Ollama's /v1).
    _endpoint("openai_chat", r"(?:^|/)chat/completions/?$", "openai_chat", "openai", "openai"),
    _endpoint("openai_responses", r"(?:^|/)responses/?$", "openai_responses", "openai", "openai"),
    _endpoint("openai_responses_input_tokens", r"(?:^|/)responses/input_tokens/?$",
              "openai_responses", "openai", "openai", counts_tokens=True),
    # Vertex AI: Claude (model from the path, anthropic_version in the body) and Gemini.
    _endpoint("vertex_anthropic_count_tokens", _VERTEX + r"anthropic/models/count-tokens:rawPredict$",
              "anthropic_messages", "anthropic", "vertex_ai", counts_tokens=True),
    _endpoint("vertex_anthropic_messages", _VERTEX + r"anthropic/models/(?P<model>[^/:]+):rawPredict$",
              "anthropic_messages", "anthropic", "vertex_ai"),
    _endpoint("vertex_anthropic_stream", _VERTEX + r"anthropic/models/(?P<model>[^/:]+):streamRawPredict$",
              "anthropic_messages", "anthropic", "vertex_ai"),
    _endpoint("vertex_gemini_generate", _VERTEX + r"google/models/(?P<model>[^/:]+):generateContent$",
              "gemini", "google", "vertex_ai"),
    _endpoint("vertex_gemini_stream", _VERTEX + r"google/models/(?P<model>[^/:]+):streamGenerateContent$",
              "gemini", "google", "vertex_ai"),
    _endpoint("vertex_gemini_count_tokens", _VERTEX + r"google/models/(?P<model>[^/:]+):countTokens$",
              "gemini", "google", "vertex_ai", counts_tokens=True),
    # AWS Bedrock: InvokeModel with Anthropic Messages bodies (anthropic_version in the body) and
    # Converse. Their bodies are SigV4-signed, so they are recognised here but never rewritten by
    # a proxy or middleware that forwards the signature (compress=False): the rewrite happens
    # before signing, inside boto3 (integrations/bedrock.py).
    _endpoint("bedrock_invoke", _BEDROCK_MODEL + r"invoke/?$", "anthropic_messages", "anthropic",
              "bedrock", compress=False),
    _endpoint("bedrock_invoke_stream", _BEDROCK_MODEL + r"invoke-with-response-stream/?$",
              "anthropic_messages", "anthropic", "bedrock", compress=False),
    _endpoint("bedrock_converse", _BEDROCK_MODEL + r"converse/?$", "bedrock_converse",
              "anthropic", "bedrock", compress=False),
    _endpoint("bedrock_converse_stream", _BEDROCK_MODEL + r"converse-stream/?$",
              "bedrock_converse", "anthropic", "bedrock", compress=False),
    # Anthropic.
    _endpoint("anthropic_messages", r"(?:^|/)messages/?$", "anthropic_messages", "anthropic", "anthropic"),
    _endpoint("anthropic_count_tokens", r"(?:^|/)messages/count_tokens/?$",
              "anthropic_messages", "anthropic", "anthropic", counts_tokens=True),
    # Gemini API: generateContent and the Interactions API.
    _endpoint("gemini_generate", _GEMINI_MODEL + r":generateContent$", "gemini", "google", "google"),
    _endpoint("gemini_stream", _GEMINI_MODEL + r":streamGenerateContent$", "gemini", "google", "google"),
    _endpoint("gemini_count_tokens", _GEMINI_MODEL + r":countTokens$", "gemini", "google", "google",
              counts_tokens=True),
    _endpoint("gemini_interactions", r"(?:^|/)interactions/?$", "gemini_interactions", "google", "google"),
    # Ollama's native API (its OpenAI-compatible /v1/chat/completions is the openai_chat row).
    _endpoint("ollama_chat", r"(?:^|/)api/chat/?$", "ollama_chat", "anthropic", "ollama"),
    _endpoint("ollama_generate", r"(?:^|/)api/generate/?$", "ollama_generate", "anthropic", "ollama"),
)
"""Every endpoint whose body this package reads, token-counting endpoints included, by door."""

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


def model_in_path(path: str | None) -> PathModel:
    """What the endpoint ``path`` calls says about the model (nothing for unknown paths)."""
    endpoint = endpoint_for(path)
    return endpoint.path_model(path) if endpoint is not None and path is not None else PathModel()


_ANTHROPIC_HEADER = "anthropic-version"
_GOOGLE_HEADER = "x-goog-api-key"
_GOOGLE_PREFIXES = ("/v1beta/", "/v1alpha/", "/upload/")
_VERTEX_PREFIX = ("/v1/projects/", "/v1beta1/projects/")


def provider_for_request(path: str, headers: Mapping[str, str]) -> Provider | None:
    """The provider whose API a proxied request (path from the root, lower-case header names)
    belongs to, or None when it belongs to none and must not be forwarded.

    Google: the ``/v1beta/``, ``/v1alpha/`` and ``/upload/`` APIs or a
    ``/v1/models/<model>:<method>`` call, whatever the headers. Within ``/v1/``: Anthropic for
    ``/v1/messages`` and below or an ``anthropic-version`` header, Google for an
    ``x-goog-api-key`` header; headers never make a path outside these APIs forwardable.
    OpenAI: any other ``/v1/`` path except Vertex AI's
    ``/v1/projects/...``, which is no public API's (None, whatever the headers). For every LLM endpoint of
    :data:`ENDPOINTS` whose door is one of the three public APIs, called at its documented path,
    this agrees with ``Endpoint.provider``; the other doors need a configured upstream.
    """
    path = bare_path(path)
    if path.startswith(_VERTEX_PREFIX):
        return None  # Vertex AI's API (Google OAuth tokens): never to a public API's upstream
    if path.startswith(_GOOGLE_PREFIXES) or (
        path.startswith("/v1/models/") and ":" in path.rsplit("/", 1)[-1]
    ):
        return "google"
    if not path.startswith("/v1/"):
        return None  # headers choose between providers of an API path, never open another path
    if path == "/v1/messages" or path.startswith("/v1/messages/") or _ANTHROPIC_HEADER in headers:
        return "anthropic"
    if _GOOGLE_HEADER in headers:
        return "google"
    return "openai"
