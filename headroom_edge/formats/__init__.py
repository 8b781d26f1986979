"""Wire formats: find image parts in provider request bodies and rewrite them.

One module per format, each exposing a stateless singleton that implements
:class:`~headroom_edge.formats.base.WireFormat`. This package picks the right one for a body,
either from the proxy's request path or, for library callers, from the body's shape.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from headroom_edge.formats.anthropic import ANTHROPIC_MESSAGES
from headroom_edge.formats.base import (
    ImageEdit,
    ImageSlot,
    ImageSource,
    WireFormat,
    apply_edits,
)
from headroom_edge.formats.bedrock_converse import BEDROCK_CONVERSE
from headroom_edge.formats.gemini import GEMINI
from headroom_edge.formats.openai_chat import OPENAI_CHAT
from headroom_edge.formats.openai_responses import OPENAI_RESPONSES, looks_like_responses_input

__all__ = [
    "ANTHROPIC_MESSAGES",
    "BEDROCK_CONVERSE",
    "FORMATS",
    "GEMINI",
    "ImageEdit",
    "ImageSlot",
    "ImageSource",
    "OPENAI_CHAT",
    "OPENAI_RESPONSES",
    "WireFormat",
    "apply_edits",
    "detect_format",
    "format_for_messages",
    "get_format",
]

FORMATS: tuple[WireFormat, ...] = (
    OPENAI_CHAT, OPENAI_RESPONSES, ANTHROPIC_MESSAGES, GEMINI, BEDROCK_CONVERSE
)

# Shape detection order matters: Anthropic bodies also have OpenAI Chat's shape (a messages list),
# so the more specific format is asked first.
_SHAPE_ORDER: tuple[WireFormat, ...] = (GEMINI, OPENAI_RESPONSES, ANTHROPIC_MESSAGES, OPENAI_CHAT)

_PATHS: tuple[tuple[re.Pattern[str], WireFormat], ...] = (
    (re.compile(r":(?:generateContent|streamGenerateContent|countTokens)$"), GEMINI),
    (re.compile(r"/model/[^/]+/converse(?:-stream)?$"), BEDROCK_CONVERSE),
    (re.compile(r"/model/[^/]+/invoke(?:-with-response-stream)?$"), ANTHROPIC_MESSAGES),
    (re.compile(r"(?:^|/)chat/completions$"), OPENAI_CHAT),
    (re.compile(r"(?:^|/)responses(?:/[^/]+)?$"), OPENAI_RESPONSES),
    (re.compile(r"(?:^|/)messages(?:/count_tokens)?$"), ANTHROPIC_MESSAGES),
)


def get_format(name: str) -> WireFormat:
    """The format with this stable name ("openai_chat", "openai_responses",
    "anthropic_messages", "gemini"); ValueError for any other name."""
    for fmt in FORMATS:
        if fmt.name == name:
            return fmt
    known = ", ".join(f.name for f in FORMATS)
    raise ValueError(f"unknown wire format {name!r}; known: {known}")


def format_for_path(path: str | None) -> WireFormat | None:
    """The format a provider endpoint path speaks (query string ignored), or None."""
    if not isinstance(path, str):
        return None
    bare = path.split("?", 1)[0].split("#", 1)[0].rstrip("/")
    for pattern, fmt in _PATHS:
        if pattern.search(bare):
            return fmt
    return None


def detect_format(body: Any, path: str | None = None) -> WireFormat | None:
    """The body's format: by URL path when it names a known endpoint, else by shape
    (``contents`` -> Gemini, ``input`` -> Responses, ``messages`` -> Anthropic when it has an
    Anthropic-only block or ``system`` + ``max_tokens``, else OpenAI Chat). None if nothing fits."""
    by_path = format_for_path(path)
    if by_path is not None:
        return by_path
    if not isinstance(body, dict):
        return None
    for fmt in _SHAPE_ORDER:
        if fmt.matches(body):
            return fmt
    return None


def _openai(messages: Any) -> tuple[WireFormat, dict[str, Any]]:
    if isinstance(messages, list) and looks_like_responses_input(messages):
        return OPENAI_RESPONSES, {"input": messages}
    return OPENAI_CHAT, {"messages": messages}


_BY_PROVIDER: dict[str, Callable[[Any], tuple[WireFormat, dict[str, Any]]]] = {
    "openai": _openai,
    "openai_chat": lambda m: (OPENAI_CHAT, {"messages": m}),
    "openai_responses": lambda m: (OPENAI_RESPONSES, {"input": m}),
    "anthropic": lambda m: (ANTHROPIC_MESSAGES, {"messages": m}),
    "anthropic_messages": lambda m: (ANTHROPIC_MESSAGES, {"messages": m}),
    "google": lambda m: (GEMINI, {"contents": m}),
    "gemini": lambda m: (GEMINI, {"contents": m}),
}


def format_for_messages(provider: str, messages: Any) -> tuple[WireFormat, dict[str, Any]]:
    """Wrap a bare message list (the ``compress(messages, provider=...)`` API) as a body.

    ``provider`` is "openai" (Chat, or Responses when the items use Responses types such as
    ``input_image``/``input_text``), "anthropic", "google"/"gemini", or a format name. The body
    holds the caller's list object itself, so :func:`apply_edits` rewrites that list in place.
    """
    key = provider.strip().lower() if isinstance(provider, str) else provider
    wrap = _BY_PROVIDER.get(key) if isinstance(key, str) else None
    if wrap is None:
        raise ValueError(
            f"unknown provider {provider!r}; expected 'openai', 'anthropic', 'google' or 'gemini'"
        )
    return wrap(messages)
