"""Request-body encodings the integrations understand: JSON content types and gzip.

Clients may gzip large JSON bodies (``Content-Encoding: gzip``). To look at the images we must
inflate them, and a few KiB of gzip can inflate to gigabytes, so inflation is always bounded.
Only gzip (and its ``x-gzip`` alias) is handled; any other coding is passed through untouched,
because guessing (``deflate`` is ambiguous between zlib and raw streams) risks corrupting a body.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable

IDENTITY = "identity"
GZIP = "gzip"


class BodyTooLarge(ValueError):
    """The (inflated) body is bigger than the configured limit; it is passed through as-is."""


class BadEncoding(ValueError):
    """The body claims an encoding it does not have (truncated or corrupt gzip)."""


def is_json(content_type: str | None) -> bool:
    """True for ``application/json`` and ``application/*+json`` (charset parameters allowed)."""
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def body_encoding(values: Iterable[str]) -> str | None:
    """The single coding of a body from its Content-Encoding header values.

    Returns :data:`IDENTITY` (no header), :data:`GZIP`, or None for anything we will not touch
    (other codings, or several stacked codings).
    """
    codings = [c.strip().lower() for v in values for c in v.split(",") if c.strip()]
    codings = [c for c in codings if c != IDENTITY]
    if not codings:
        return IDENTITY
    if len(codings) == 1 and codings[0] in (GZIP, "x-gzip"):
        return GZIP
    return None


def gunzip_bounded(data: bytes, limit: int) -> bytes:
    """Inflate a gzip body, refusing to produce more than ``limit`` bytes (zip-bomb guard).

    Concatenated gzip members are legal (RFC 1952) and are all inflated.
    """
    out = bytearray()
    rest = data
    while True:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            out += inflater.decompress(rest, limit + 1 - len(out))
            if len(out) > limit:
                raise BodyTooLarge(f"inflated body exceeds {limit} bytes")
            if inflater.unconsumed_tail:
                raise BodyTooLarge(f"inflated body exceeds {limit} bytes")
            out += inflater.flush(limit + 1 - len(out))
        except zlib.error as exc:
            raise BadEncoding(f"invalid gzip body: {exc}") from None
        if len(out) > limit:
            raise BodyTooLarge(f"inflated body exceeds {limit} bytes")
        if not inflater.eof:
            raise BadEncoding("truncated gzip body")
        rest = inflater.unused_data
        if not rest.strip(b"\x00"):
            return bytes(out)
