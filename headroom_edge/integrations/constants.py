"""The integrations' shared constants, in one place.

The middleware, the transports, the outbound hooks, the worker pool, the forwarder and the
proxy's settings all need the same few facts (the bypass header, which strings mean "true", the
body limit, the default budgets and timeouts). Each is written here once and imported, so a
default cannot differ between the library and the proxy. Nothing here imports anything.
"""

from __future__ import annotations

BYPASS_HEADER = "x-headroom-bypass"
"""A request header that asks to skip compression (value one of :data:`TRUE_VALUES`)."""

TRUE_VALUES = frozenset({"1", "true", "yes", "on"})
"""Strings (lower-cased, stripped) read as true: the bypass header and boolean env variables."""
FALSE_VALUES = frozenset({"0", "false", "no", "off"})

DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024
"""LLM request bodies larger than this are never buffered to be compressed (413 or passed on)."""

DEFAULT_QUEUE_LIMIT = 32
"""Compressions allowed to wait for a worker; beyond that requests go out uncompressed."""
DEFAULT_TIME_BUDGET_S = 10.0
"""Longest a request waits for its compression before it is sent uncompressed."""
MAX_DEFAULT_WORKERS = 4
"""Default worker count cap: each compression already uses the models' intra-op threads."""
QUEUE_RECHECK_S = 0.1
"""How often a queued job asks whether it can still finish in time."""

REWRITE_CACHE_SIZE = 64
"""Rewritten bodies the transports remember (SDK retries resend the same bytes)."""
REWRITE_CACHE_BYTES = 64 * 1024 * 1024
"""Bound on the bytes of rewritten bodies held by that cache."""

CONNECT_TIMEOUT_S = 10.0
"""Upstream connect timeout of the proxy (502/504 after)."""
HEADER_TIMEOUT_S = 600.0
"""Wait for the upstream's response headers: non-streaming completions send them only when the
whole answer is ready, so this is long; streams have no read timeout."""
WRITE_TIMEOUT_S = 60.0
POOL_TIMEOUT_S = 30.0

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "host",
    }
)
"""Headers that describe one connection, not the message (RFC 9110 §7.6.1), plus ``host``,
which httpx sets from the upstream URL: never forwarded by the proxy."""
