"""One home for the integrations' constants: the defaults agree everywhere, the core count is
affinity-aware, the transports' options are visible, and the library's 413 names no CLI."""

from __future__ import annotations

import inspect
import os

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from headroom_edge import ImageCompressor
from headroom_edge.integrations import constants as c
from headroom_edge.integrations.middleware import HeadroomMiddleware
from headroom_edge.integrations.settings import ProxySettings
from headroom_edge.integrations.transport import AsyncHeadroomTransport, HeadroomTransport
from headroom_edge.integrations.upstream import Timeouts
from headroom_edge.integrations.workers import default_workers
from headroom_edge.runtime.cores import usable_cores
from tests.integrations.servers import ServerThread


def test_proxy_defaults_are_the_library_defaults() -> None:
    s = ProxySettings()
    assert (s.max_body_bytes, s.queue_limit, s.time_budget_s) == (
        c.DEFAULT_MAX_BODY_BYTES, c.DEFAULT_QUEUE_LIMIT, c.DEFAULT_TIME_BUDGET_S)
    assert (s.connect_timeout_s, s.header_timeout_s) == (Timeouts().connect_s, Timeouts().header_s)


def test_default_workers_follow_cpu_affinity() -> None:
    assert default_workers() == max(1, min(c.MAX_DEFAULT_WORKERS, usable_cores() // 2))
    if hasattr(os, "sched_getaffinity"):
        assert usable_cores() == len(os.sched_getaffinity(0))


@pytest.mark.parametrize("transport", [HeadroomTransport, AsyncHeadroomTransport])
def test_transport_options_are_explicit_keywords(transport: type) -> None:
    params = inspect.signature(transport.__init__).parameters
    assert not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    for name in ("routes", "max_body_bytes", "cache_size", "cache_bytes"):
        assert params[name].kind is inspect.Parameter.KEYWORD_ONLY
    assert params["max_body_bytes"].default == c.DEFAULT_MAX_BODY_BYTES


def test_library_413_names_no_proxy_flag(compressor: ImageCompressor) -> None:
    async def ok(request: Request) -> JSONResponse:
        return JSONResponse({"ok": True})

    app = Starlette(routes=[Route("/v1/chat/completions", ok, methods=["POST"])])
    app.add_middleware(HeadroomMiddleware, compressor=compressor, max_body_bytes=100, reject_oversize=True,
                       outbound=False)
    with ServerThread(app) as server:
        r = httpx.post(f"{server.url}/v1/chat/completions", json={"model": "m", "messages": ["x" * 500]},
                       trust_env=False)
    message = r.json()["error"]["message"]
    assert r.status_code == 413 and "100 bytes" in message
    assert "--" not in message and "HEADROOM_" not in message
