"""Provider facts that are not token rules: accepted media types and hard image limits.

Token formulas live in :mod:`headroom_edge.tokens`; this module holds the rest of what a rewrite
must respect so that a compressed request is never rejected by the provider it goes to.
Source: shared provider facts, collected 2026-11.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProviderImageRules:
    accepted_media_types: frozenset[str]
    max_side: int | None
    """Largest width/height the provider accepts (None: no documented hard limit)."""


PROVIDER_RULES: dict[str, ProviderImageRules] = {
    "openai": ProviderImageRules(
        accepted_media_types=frozenset({"image/png", "image/jpeg", "image/webp", "image/gif"}),
        max_side=None,
    ),
    "anthropic": ProviderImageRules(
        accepted_media_types=frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"}),
        max_side=8000,
    ),
    "google": ProviderImageRules(
        accepted_media_types=frozenset(
            {"image/png", "image/jpeg", "image/webp", "image/heic", "image/heif"}
        ),
        max_side=None,
    ),
}


def rules_for(provider: str) -> ProviderImageRules:
    try:
        return PROVIDER_RULES[provider]
    except KeyError:
        raise ValueError(f"unknown provider {provider!r}: use 'openai', 'anthropic' or 'google'") from None
