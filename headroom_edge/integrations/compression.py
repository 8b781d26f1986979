"""One compression run on a raw HTTP request body, shared by the middleware and the transports.

Both integrations receive bytes as they came off (or go onto) the wire, possibly gzipped, and
both must fail open: whatever goes wrong, the original bytes are sent. This module turns
"raw body in" into a :class:`BodyRewrite` that says exactly which bytes and headers to send.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Protocol

from headroom_edge.integrations.encoding import GZIP, IDENTITY, gunzip_bounded
from headroom_edge.results import CompressionResult


class BodyCompressor(Protocol):
    """What the integrations need from :class:`headroom_edge.ImageCompressor`."""

    def body_may_have_images(self, body: bytes) -> bool: ...

    def compress_body(
        self,
        body: Any,
        *,
        path: str | None = None,
        provider: str | None = None,
        wire_format: str | None = None,
        model: str | None = None,
    ) -> Any: ...


def default_compressor() -> BodyCompressor:
    """The library's default compressor, imported lazily.

    Importing it pulls in onnxruntime and friends; a proxy started with ``--no-image-optimize``
    or an app that only mounts the middleware disabled should not pay for that.
    """
    from headroom_edge.compressor import ImageCompressor

    return ImageCompressor()


@dataclass(frozen=True)
class BodyRewrite:
    """The bytes to send and what changed.

    ``body`` is the original object when nothing changed. ``decoded`` is True when ``body`` is
    plain JSON replacing a gzip body: the sender must drop ``Content-Encoding``. We do not re-gzip:
    the rewritten body is usually a fraction of the original, re-compressing costs CPU on the
    request path, and every provider accepts identity bodies.
    """

    body: bytes
    result: CompressionResult | None
    changed: bool = False
    decoded: bool = False
    seconds: float = 0.0


def rewrite_body(
    compressor: BodyCompressor,
    raw: bytes,
    *,
    encoding: str,
    path: str,
    wire_format: str | None,
    max_body_bytes: int,
) -> BodyRewrite:
    """Compress the images in ``raw`` (synchronous CPU work: call it from a worker thread).

    Raises :class:`~headroom_edge.integrations.encoding.BodyTooLarge` /
    :class:`~headroom_edge.integrations.encoding.BadEncoding` for bodies we refuse to inflate,
    and lets compressor exceptions through; callers turn all of them into fail-open.
    """
    start = time.perf_counter()
    if encoding == IDENTITY:
        plain = raw
    elif encoding == GZIP:
        plain = gunzip_bounded(raw, max_body_bytes)
        if not compressor.body_may_have_images(plain):
            return BodyRewrite(body=raw, result=None, seconds=time.perf_counter() - start)
    else:  # pragma: no cover - callers only pass encodings body_encoding() accepted
        raise ValueError(f"unsupported encoding {encoding!r}")
    out = compressor.compress_body(plain, path=path, wire_format=wire_format)
    result: CompressionResult = out.result
    seconds = time.perf_counter() - start
    if not out.changed:
        return BodyRewrite(body=raw, result=result, seconds=seconds)
    body = out.body if isinstance(out.body, bytes) else bytes(out.body, "utf-8")
    return BodyRewrite(
        body=body, result=result, changed=True, decoded=encoding != IDENTITY, seconds=seconds
    )
