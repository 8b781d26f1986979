"""The providers, their names, and the facts that are not token rules (accepted media types).

This is the one home of the provider list and of the aliases callers may use for them ("gemini"
for "google"): token rules (:mod:`headroom_edge.tokens`), wire formats and endpoint tables
(:mod:`headroom_edge.formats`) and the integrations all read them from here. Token formulas live
in :mod:`headroom_edge.tokens`; this module holds the rest of what a rewrite must respect so that
a compressed request is never rejected by the provider it goes to.
Source: shared provider facts, collected 2026-11, re-checked 2026-12.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

Provider = Literal["openai", "anthropic", "google"]

PROVIDERS: tuple[Provider, ...] = ("openai", "anthropic", "google")

PROVIDER_ALIASES: Mapping[str, Provider] = MappingProxyType({"gemini": "google"})
"""Other names callers use for a provider (the Gemini API is Google's)."""


def canonical_provider(name: str) -> Provider | None:
    """The provider ``name`` means (case and surrounding space ignored), or None if none."""
    if not isinstance(name, str):
        return None
    key = name.strip().lower()
    if key in PROVIDERS:
        return key  # type: ignore[return-value]
    return PROVIDER_ALIASES.get(key)


MB = 1_000_000
"""Limits are read as decimal megabytes: the smaller reading, so a body under it is under either."""
SMALL_CONTEXT_TOKENS = 200_000
"""Anthropic: models with a context window of at most this many tokens take fewer images."""


@dataclass(frozen=True)
class ProviderImageRules:
    accepted_media_types: frozenset[str]
    max_side: int | None
    """Largest width/height the provider accepts (None: no documented hard limit).

    Nothing needs to enforce it on the way out: no technique enlarges an image, so a rewrite is
    never over a limit its original was under (tests/reliability checks every rewrite against
    it); an original over it is the client's request, and goes through as sent."""
    max_request_bytes: int | None = None
    """Largest request body the provider accepts (OpenAI 512 MB, Anthropic 32 MB, Gemini inline
    100 MB). Like ``max_side``: a rewrite only shrinks, so this is for reporting and checks."""
    max_images: int | None = None
    """Most images in one request (OpenAI 1500, Anthropic 600); None: no documented limit."""
    max_images_small_context: int | None = None
    """Most images on models with a context of <= ``SMALL_CONTEXT_TOKENS`` (Anthropic: 100)."""
    max_image_base64_bytes: int | None = None
    """Largest base64 payload of one image (Anthropic's direct API: 10 MB; ~5 MB on Bedrock
    and Vertex)."""

    def image_limit(self, context_tokens: int | None = None) -> int | None:
        """Most images per request for a model with ``context_tokens`` of context (None: the
        large-context limit; pass the window to get the stricter one where it applies)."""
        if (context_tokens is not None and context_tokens <= SMALL_CONTEXT_TOKENS
                and self.max_images_small_context is not None):
            return self.max_images_small_context
        return self.max_images


PROVIDER_RULES: dict[str, ProviderImageRules] = {
    "openai": ProviderImageRules(
        accepted_media_types=frozenset({"image/png", "image/jpeg", "image/webp", "image/gif"}),
        max_side=None,
        max_request_bytes=512 * MB,
        max_images=1500,
    ),
    "anthropic": ProviderImageRules(
        accepted_media_types=frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"}),
        max_side=8000,
        max_request_bytes=32 * MB,
        max_images=600,
        max_images_small_context=100,
        max_image_base64_bytes=10 * MB,
    ),
    "google": ProviderImageRules(
        accepted_media_types=frozenset(
            {"image/png", "image/jpeg", "image/webp", "image/heic", "image/heif"}
        ),
        max_side=None,
        max_request_bytes=100 * MB,
    ),
}


def rules_for(provider: str) -> ProviderImageRules:
    try:
        return PROVIDER_RULES[provider]
    except KeyError:
        raise ValueError(f"unknown provider {provider!r}: use 'openai', 'anthropic' or 'google'") from None
