"""The trained query router: which technique a user's question needs for its image.

``QueryRouter(...).classify(question)`` returns a :class:`RouteDecision`; a missing model raises
:class:`RouterUnavailableError` so the caller can use the question rules instead.
"""

from headroom_edge.router.model import (
    SAFE_TECHNIQUE,
    QueryRouter,
    RouteDecision,
    RouterUnavailableError,
)
from headroom_edge.router.query import extract_ask

__all__ = ["QueryRouter", "RouteDecision", "RouterUnavailableError", "SAFE_TECHNIQUE", "extract_ask"]
