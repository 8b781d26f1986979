"""Wire formats: find image parts in provider request bodies and rewrite them.

One module per format, each exposing a stateless singleton that implements
:class:`~headroom_edge.formats.base.WireFormat`. This package picks the right one for a body,
either from the request path (the endpoint table, :mod:`headroom_edge.formats.endpoints`) or,
for library callers, from the body's shape.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from headroom_edge.formats.anthropic import ANTHROPIC_MESSAGES
from headroom_edge.formats.base import (
    ImageEdit,
    ImageSlot,
    ImageSource,
    TextHome,
    WireFormat,
    apply_edits,
)
from headroom_edge.formats.bedrock_converse import BEDROCK_CONVERSE
from headroom_edge.formats.endpoints import (
    COMPRESSIBLE,
    ENDPOINTS,
    Door,
    Endpoint,
    PathModel,
    endpoint_for,
    model_in_path,
    provider_for_request,
)
from headroom_edge.formats.gemini import GEMINI
from headroom_edge.formats.gemini_interactions import GEMINI_INTERACTIONS
from headroom_edge.formats.ollama import OLLAMA_CHAT, OLLAMA_GENERATE
from headroom_edge.formats.openai_chat import OPENAI_CHAT
from headroom_edge.formats.openai_responses import OPENAI_RESPONSES, looks_like_responses_input
from headroom_edge.providers import PROVIDER_ALIASES, PROVIDERS, Provider, canonical_provider

__all__ = [
    "ANTHROPIC_MESSAGES",
    "BEDROCK_CONVERSE",
    "COMPRESSIBLE",
    "Door",
    "ENDPOINTS",
    "Endpoint",
    "FORMATS",
    "GEMINI",
    "GEMINI_INTERACTIONS",
    "ImageEdit",
    "ImageSlot",
    "ImageSource",
    "OLLAMA_CHAT",
    "OLLAMA_GENERATE",
    "OPENAI_CHAT",
    "OPENAI_RESPONSES",
    "PROVIDERS",
    "PROVIDER_ALIASES",
    "PathModel",
    "Provider",
    "TextHome",
    "WireFormat",
    "apply_edits",
    "canonical_provider",
    "detect_format",
    "endpoint_for",
    "format_for_messages",
    "format_for_path",
    "get_format",
    "model_in_path",
    "provider_for_request",
]

FORMATS: tuple[WireFormat, ...] = (
    OPENAI_CHAT, OPENAI_RESPONSES, ANTHROPIC_MESSAGES, GEMINI, GEMINI_INTERACTIONS, OLLAMA_CHAT,
    OLLAMA_GENERATE, BEDROCK_CONVERSE,
)

# Shape detection order matters: the more specific format is asked first. Anthropic and Ollama
# chat bodies also have OpenAI Chat's shape (a messages list); Interactions bodies have Responses'
# (an input list).
_SHAPE_ORDER: tuple[WireFormat, ...] = (
    GEMINI, GEMINI_INTERACTIONS, OPENAI_RESPONSES, OLLAMA_CHAT, OLLAMA_GENERATE, ANTHROPIC_MESSAGES, OPENAI_CHAT,
)


def get_format(name: str) -> WireFormat:
    """The format with this stable name ("openai_chat", "openai_responses",
    "anthropic_messages", "gemini", "gemini_interactions", "ollama_chat", "ollama_generate");
    ValueError for any other name."""
    for fmt in FORMATS:
        if fmt.name == name:
            return fmt
    known = ", ".join(f.name for f in FORMATS)
    raise ValueError(f"unknown wire format {name!r}; known: {known}")


def format_for_path(path: str | None) -> WireFormat | None:
    """The format a provider endpoint path speaks (query string ignored), or None."""
    endpoint = endpoint_for(path)
    return get_format(endpoint.wire_format) if endpoint is not None else None


def detect_format(body: Any, path: str | None = None) -> WireFormat | None:
    """The body's format: by URL path when it names a known endpoint, else by shape
    (``contents`` -> Gemini, ``input`` with ``image`` items -> Interactions, other ``input`` ->
    Responses, ``messages`` with ``images`` lists -> Ollama chat, ``images`` -> Ollama generate,
    ``messages`` -> Anthropic when it has an Anthropic-only block or ``system`` + ``max_tokens``,
    else OpenAI Chat). None if nothing fits."""
    by_path = format_for_path(path)
    if by_path is not None:
        return by_path
    if not isinstance(body, dict):
        return None
    for fmt in _SHAPE_ORDER:
        if fmt.matches(body):
            return fmt
    return None


def _openai(messages: Any) -> WireFormat:
    return OPENAI_RESPONSES if isinstance(messages, list) and looks_like_responses_input(messages) else OPENAI_CHAT


_BY_PROVIDER: dict[str, Callable[[Any], WireFormat]] = {
    "openai": _openai,
    "anthropic": lambda m: ANTHROPIC_MESSAGES,
    "google": lambda m: GEMINI,
}


def format_for_messages(provider: str, messages: Any) -> tuple[WireFormat, dict[str, Any]]:
    """Wrap a bare message list (the ``compress(messages, provider=...)`` API) as a body.

    ``provider`` is "openai" (Chat, or Responses when the items use Responses types such as
    ``input_image``/``input_text``), "anthropic", "google" or an alias of one
    (:data:`~headroom_edge.providers.PROVIDER_ALIASES`: "gemini"), or a format name. The body
    holds the caller's list object itself (under the format's ``messages_key``), so
    :func:`apply_edits` rewrites that list in place.
    """
    canonical = canonical_provider(provider)
    if canonical is not None:
        fmt = _BY_PROVIDER[canonical](messages)
    else:
        try:
            fmt = get_format(provider.strip().lower())
        except (AttributeError, ValueError):
            names = ", ".join(repr(p) for p in (*PROVIDERS, *PROVIDER_ALIASES))
            raise ValueError(f"unknown provider {provider!r}; expected {names} or a format name") from None
    return fmt, {fmt.messages_key: messages}
