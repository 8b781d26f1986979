"""Provider SDK clients with image compression built in.

``HeadroomClient("openai", api_key=...)`` returns a real ``openai.OpenAI`` (``anthropic.Anthropic``
for ``"anthropic"``) whose ``http_client`` sends through :class:`HeadroomTransport`.
``AsyncHeadroomClient`` does the same for ``AsyncOpenAI`` / ``AsyncAnthropic``. The HTTP client
is built with the library the SDK itself uses (``httpx``, or the ``httpx2`` fork that current
SDK releases require).

We return the SDK's own class (a per-call subclass adding three read-only properties) rather than
a wrapper object: ``isinstance(client, openai.OpenAI)`` stays true, type checkers and IDEs see
the SDK's API, and nothing is proxied through ``__getattr__``. The additions:

* ``last_result``: the :class:`CompressionResult` of the most recent compressed request (from
  any thread using this client; copies made with ``with_options`` share it), or None;
* ``last_savings``: its ``savings_percent`` (0-100), or None;
* ``headroom_transport``: the transport itself.

The SDKs are optional dependencies (``pip install headroom-edge[sdk]``).

This is the explicit, one-client way. To compress every client of an app or process without
changing how they are built, mount :class:`~headroom_edge.HeadroomMiddleware` or call
:func:`headroom_edge.instrument`; a request already compressed here is marked, so those hooks
leave it alone.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

import httpx

from headroom_edge.integrations.compression import BodyCompressor
from headroom_edge.integrations.transport import AsyncHeadroomTransport, HeadroomTransport
from headroom_edge.results import CompressionResult

_SDKS: dict[str, tuple[str, str, str]] = {
    # provider: (module, sync class, async class)
    "openai": ("openai", "OpenAI", "AsyncOpenAI"),
    "anthropic": ("anthropic", "Anthropic", "AsyncAnthropic"),
}


def HeadroomClient(  # noqa: N802 - reads like the class it returns
    provider: str = "openai",
    *,
    compressor: BodyCompressor | None = None,
    **sdk_kwargs: Any,
) -> Any:
    """A sync SDK client for ``provider`` ("openai" or "anthropic") that compresses images.

    ``sdk_kwargs`` go to the SDK constructor unchanged (``api_key``, ``base_url``,
    ``max_retries``, ...), except ``http_client``: wrap your own client's transport with
    :class:`HeadroomTransport` instead.
    """
    return _build(provider, False, compressor, sdk_kwargs)


def AsyncHeadroomClient(  # noqa: N802
    provider: str = "openai",
    *,
    compressor: BodyCompressor | None = None,
    **sdk_kwargs: Any,
) -> Any:
    """The async twin of :func:`HeadroomClient` (``AsyncOpenAI`` / ``AsyncAnthropic``)."""
    return _build(provider, True, compressor, sdk_kwargs)


def _build(
    provider: str, is_async: bool, compressor: BodyCompressor | None, sdk_kwargs: dict[str, Any]
) -> Any:
    if "http_client" in sdk_kwargs:
        raise TypeError(
            "HeadroomClient builds its own http_client; to use yours, pass "
            "httpx.Client(transport=HeadroomTransport(wrapped=<your transport>)) to the SDK"
        )
    module_name, sync_name, async_name = _sdk_names(provider)
    sdk = _import_sdk(provider, module_name)
    base: type = getattr(sdk, async_name if is_async else sync_name)
    http = _http_library(sdk)
    transport: HeadroomTransport | AsyncHeadroomTransport
    if is_async:
        transport = AsyncHeadroomTransport(http.AsyncHTTPTransport(), compressor)
        http_client = http.AsyncClient(transport=transport, follow_redirects=True)
    else:
        transport = HeadroomTransport(http.HTTPTransport(), compressor)
        http_client = http.Client(transport=transport, follow_redirects=True)
    client = _with_results(base)(http_client=http_client, **sdk_kwargs)
    client._headroom_transport = transport
    return client


def _sdk_names(provider: str) -> tuple[str, str, str]:
    key = provider.strip().lower() if isinstance(provider, str) else provider
    if key not in _SDKS:
        raise ValueError(f"unknown provider {provider!r}; expected 'openai' or 'anthropic'")
    return _SDKS[key]


def _http_library(sdk: ModuleType) -> ModuleType:
    """``httpx`` or ``httpx2``: whichever the SDK's own default client is built on.

    Recent SDKs moved to the ``httpx2`` fork and some reject ``httpx`` clients outright; older
    ones only accept ``httpx``. ``DefaultHttpxClient`` is public in both generations, and its
    base classes say which library the SDK speaks.
    """
    default = getattr(sdk, "DefaultHttpxClient", None)
    for cls in getattr(default, "__mro__", ()):
        root = str(getattr(cls, "__module__", "")).partition(".")[0]
        if root in ("httpx", "httpx2"):
            return importlib.import_module(root)
    return httpx


def _import_sdk(provider: str, module_name: str) -> ModuleType:
    try:
        return importlib.import_module(module_name)
    except ImportError as exc:
        raise ImportError(
            f"HeadroomClient({provider!r}) needs the {module_name!r} package: "
            "pip install headroom-edge[sdk]"
        ) from exc


def _transport_of(client: Any) -> Any:
    transport = client.__dict__.get("_headroom_transport")
    if transport is None:  # a copy from with_options()/copy(): same http_client, same transport
        transport = getattr(getattr(client, "_client", None), "_transport", None)
    if isinstance(transport, (HeadroomTransport, AsyncHeadroomTransport)):
        return transport
    return None


def _last_result(self: Any) -> CompressionResult | None:
    transport = _transport_of(self)
    return transport.last_result if transport is not None else None


def _last_savings(self: Any) -> float | None:
    result = _last_result(self)
    return result.savings_percent if result is not None else None


def _with_results(base: type) -> type:
    """A subclass of the SDK class with the read-only result properties."""
    return type(
        f"Headroom{base.__name__}",
        (base,),
        {
            "__module__": __name__,
            "__doc__": f"{base.__module__}.{base.__name__} sending through a Headroom transport.",
            "last_result": property(_last_result),
            "last_savings": property(_last_savings),
            "headroom_transport": property(_transport_of),
        },
    )
