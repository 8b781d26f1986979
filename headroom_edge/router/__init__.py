"""The trained query router: which technique a user's turn needs for its image.

``QueryRouter(...).classify(question)`` returns a :class:`RouteDecision`; a missing model raises
:class:`RouterUnavailableError` so the caller can use the question rules instead. Decisions come
from calibrated probabilities and an explicit :class:`CostMatrix`.
"""

from headroom_edge.router.combine import most_demanding
from headroom_edge.router.costs import DEFAULT_COSTS, CostMatrix
from headroom_edge.router.model import (
    SAFE_TECHNIQUE,
    QueryRouter,
    RouteDecision,
    RouterUnavailableError,
)
from headroom_edge.router.query import extract_ask, prepare

__all__ = [
    "DEFAULT_COSTS",
    "SAFE_TECHNIQUE",
    "CostMatrix",
    "QueryRouter",
    "RouteDecision",
    "RouterUnavailableError",
    "extract_ask",
    "most_demanding",
    "prepare",
]
