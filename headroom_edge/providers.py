"""The providers, their names, and the facts that are not token rules (accepted media types).

This is the one home of the provider list and of the aliases callers may use for them ("gemini"
for "google"): token rules (:mod:`headroom_edge.tokens`), wire formats and endpoint tables
(:mod:`headroom_edge.formats`) and the integrations all read them from here. Token formulas live
in :mod:`headroom_edge.tokens`; this module holds the rest of what a rewrite must respect so that
a compressed request is never rejected by the provider it goes to.
Source: shared provider facts, collected 2026-11.
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


@dataclass(frozen=True)
class ProviderImageRules:
    accepted_media_types: frozenset[str]
    max_side: int | None
    """Largest width/height the provider accepts (None: no documented hard limit).

    Nothing needs to enforce it on the way out: no technique enlarges an image, so a rewrite is
    never over a limit its original was under (tests/reliability checks every rewrite against
    it); an original over it is the client's request, and goes through as sent."""


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
