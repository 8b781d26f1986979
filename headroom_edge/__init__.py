"""headroom_edge: cut the image tokens of LLM requests without changing the answers.

Public API::

    from headroom_edge import ImageCompressor, Technique

    compressor = ImageCompressor()
    if compressor.has_images(messages):
        messages = compressor.compress(messages, provider="openai")
        print(compressor.last_result.technique, f"{compressor.last_savings:.0f}% saved")

Integrations (ASGI middleware, outbound instrumentation, reverse proxy, httpx transports, SDK
clients) live in :mod:`headroom_edge.integrations`. They and ``ImageCompressor`` are re-exported
here lazily: importing the package (or the middleware) loads neither onnxruntime, numpy, PIL nor
httpx until they are used.
"""

from __future__ import annotations

import importlib
from typing import Any

from headroom_edge._version import __version__
from headroom_edge.config import CompressionConfig, ImageLimits
from headroom_edge.results import CompressionResult, ImageResult
from headroom_edge.technique import Technique
from headroom_edge.tokens import estimate_image_tokens

_LAZY = {
    # The compression core pulls in onnxruntime, numpy and PIL: loaded on first access, so an
    # app that only mounts the middleware starts without them (cold start on small machines).
    "BodyCompression": "headroom_edge.compressor",
    "ImageCompressor": "headroom_edge.compressor",
    "HeadroomMiddleware": "headroom_edge.integrations.middleware",
    "HeadroomTransport": "headroom_edge.integrations.transport",
    "AsyncHeadroomTransport": "headroom_edge.integrations.transport",
    "HeadroomClient": "headroom_edge.integrations.client",
    "AsyncHeadroomClient": "headroom_edge.integrations.client",
    "create_proxy_app": "headroom_edge.integrations.proxy",
    "ProxySettings": "headroom_edge.integrations.settings",
    "instrument": "headroom_edge.integrations.outbound",
    "uninstrument": "headroom_edge.integrations.outbound",
    "QueryRouter": "headroom_edge.router",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'headroom_edge' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__all__ = [
    "__version__",
    "AsyncHeadroomClient",
    "AsyncHeadroomTransport",
    "BodyCompression",
    "CompressionConfig",
    "CompressionResult",
    "HeadroomClient",
    "HeadroomMiddleware",
    "HeadroomTransport",
    "ImageCompressor",
    "ImageLimits",
    "ImageResult",
    "QueryRouter",
    "ProxySettings",
    "Technique",
    "create_proxy_app",
    "estimate_image_tokens",
    "instrument",
    "uninstrument",
]
