"""Upstream faults through the real proxy (uvicorn on 127.0.0.1) against real loopback upstreams.

Already covered in tests/integrations/test_proxy.py, and not repeated here: refused connection ->
502 JSON (``test_refused_upstream_gives_502_json``), slow response headers -> 504
(``test_slow_upstream_headers_give_504``), client disconnect mid-stream closes the upstream stream
(``test_client_disconnect_closes_upstream_stream``, plain text request).

Added here: a stream cut by the upstream (reset, FIN, short Content-Length) after some SSE chunks,
with the proxy staying healthy; an upstream that hangs up or answers garbage before any response
(502); 429/500/503/529 passed back unchanged (status, body bytes, ``retry-after``); a client that
disconnects mid-stream on a request whose image was compressed (the middleware's replayed
``receive`` path), and one that disconnects before the upstream has answered.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from headroom_edge import ImageCompressor
from headroom_edge.integrations import create_proxy_app
from tests.integrations.fake_provider import Recorder
from tests.integrations.helpers import images_in, openai_chat_body, to_bytes
from tests.integrations.servers import ServerThread
from tests.rawhttp import read_message
from tests.reliability.conftest import (
    RawServer,
    base_images,
    proxy_settings,
    reset,
    wait_for,
)

EVENTS = [b'data: {"choices":[{"delta":{"content":"Hel"}}]}\n\n',
          b'data: {"choices":[{"delta":{"content":"lo"}}]}\n\n']


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def _faulty(conn: socket.socket) -> None:
    """What the raw upstream does is chosen by the request's ``x-fault`` header."""
    request = read_message(conn)
    head = request.split(b"\r\n\r\n", 1)[0].lower()
    fault = next((line.split(b":", 1)[1].strip().decode() for line in head.split(b"\r\n")
                  if line.startswith(b"x-fault:")), "ok")
    if fault == "hangup":  # read the request, then reset without a byte of response
        reset(conn)
        return
    if fault == "garbage":
        conn.sendall(b"SMTP ready\r\n\r\n")
        conn.close()
        return
    if fault == "ok":
        body = b'{"ok": true}'
        conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n"
                     b"content-length: %d\r\n\r\n%s" % (len(body), body))
        return
    if fault == "short":  # Content-Length promises more than is sent
        conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                     b"content-length: 5000\r\n\r\n" + b"".join(EVENTS))
    else:
        conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                     b"transfer-encoding: chunked\r\n\r\n")
        for event in EVENTS:
            conn.sendall(_chunk(event))
            time.sleep(0.05)
    time.sleep(0.5)  # let the proxy relay what it got before the connection goes
    if fault == "reset":
        reset(conn)
    else:  # "fin" / "short": a clean close, but before the body is complete
        conn.shutdown(socket.SHUT_WR)
        conn.close()


@pytest.fixture(scope="module")
def raw_upstream() -> Iterator[RawServer]:
    with RawServer(_faulty) as server:
        yield server


@pytest.fixture(scope="module")
def raw_proxy(raw_upstream: RawServer) -> Iterator[ServerThread]:
    """Compression off: these faults are about the forwarder, and it keeps the tests fast."""
    settings = proxy_settings(raw_upstream.url, image_optimize=False, header_timeout_s=5.0)
    with ServerThread(create_proxy_app(settings)) as server:
        yield server


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(trust_env=False, timeout=10) as c:
        yield c


def _stream_body() -> dict:
    return {"model": "gpt-4o", "stream": True, "messages": [{"role": "user", "content": "hi"}]}


def _assert_healthy(client: httpx.Client, proxy: ServerThread) -> None:
    assert proxy.thread.is_alive()
    assert client.get(f"{proxy.url}/healthz").json()["status"] == "ok"
    r = client.post(f"{proxy.url}/v1/chat/completions", json=_stream_body(),
                    headers={"x-fault": "ok"})
    assert r.status_code == 200 and r.json() == {"ok": True}


@pytest.mark.parametrize("fault", ["reset", "fin", "short"])
def test_stream_cut_mid_way(raw_proxy: ServerThread, client: httpx.Client, fault: str) -> None:
    """The client gets the chunks that were sent, then an error (never a clean, silently
    truncated end), and the next request through the same proxy succeeds."""
    got = b""
    with pytest.raises(httpx.TransportError):
        with client.stream("POST", f"{raw_proxy.url}/v1/chat/completions", json=_stream_body(),
                           headers={"x-fault": fault}) as r:
            assert r.status_code == 200
            assert r.headers["content-type"].startswith("text/event-stream")
            for chunk in r.iter_raw():
                got += chunk
    assert got == b"".join(EVENTS)
    metrics = client.get(f"{raw_proxy.url}/metrics").text
    assert 'headroom_upstream_errors_total{kind="broken_stream",upstream="openai"}' in metrics
    _assert_healthy(client, raw_proxy)


def test_many_broken_streams_leave_the_proxy_healthy(raw_proxy: ServerThread) -> None:
    """Twenty concurrent resets: no stuck requests, no crash, the pool recovers."""

    async def one(client: httpx.AsyncClient, i: int) -> bytes:
        got = b""
        try:
            async with client.stream("POST", f"{raw_proxy.url}/v1/chat/completions",
                                     json=_stream_body(),
                                     headers={"x-fault": ("reset", "fin", "short")[i % 3]}) as r:
                async for chunk in r.aiter_raw():
                    got += chunk
        except httpx.TransportError:
            return got
        raise AssertionError("a cut stream ended cleanly")

    async def run() -> list[bytes]:
        async with httpx.AsyncClient(trust_env=False, timeout=10) as client:
            return await asyncio.gather(*(one(client, i) for i in range(20)))

    assert all(got == b"".join(EVENTS) for got in asyncio.run(run()))
    with httpx.Client(trust_env=False, timeout=10) as client:
        _assert_healthy(client, raw_proxy)


@pytest.mark.parametrize("fault", ["hangup", "garbage"])
def test_upstream_fails_before_answering(raw_proxy: ServerThread, client: httpx.Client,
                                         fault: str) -> None:
    r = client.post(f"{raw_proxy.url}/v1/chat/completions", json=_stream_body(),
                    headers={"x-fault": fault})
    assert r.status_code == 502
    assert r.json()["error"]["type"] == "headroom_upstream_unreachable"
    _assert_healthy(client, raw_proxy)


# -- provider errors are the provider's to report --------------------------------------------------

ERROR_BODY = b'{"type":"error","error":{"type":"rate_limit_error","message":"Slow down \xe2\x9c\x8b"}}'


def _erroring_app() -> Starlette:
    async def fail(request: Request) -> Response:
        await request.body()
        status = int(request.headers["x-status"])
        return Response(ERROR_BODY, status_code=status, media_type="application/json",
                        headers={"retry-after": "17", "x-request-id": "req_42",
                                 "anthropic-ratelimit-requests-remaining": "0"})

    return Starlette(routes=[Route("/{path:path}", fail, methods=["POST"])])


@pytest.fixture(scope="module")
def error_proxy(compressor: ImageCompressor) -> Iterator[ServerThread]:
    with ServerThread(_erroring_app()) as up:
        with ServerThread(create_proxy_app(proxy_settings(up.url), compressor=compressor)) as p:
            yield p


@pytest.mark.parametrize("status", [429, 500, 503, 529])
@pytest.mark.parametrize("stream", [False, True])
def test_provider_errors_pass_back_unchanged(error_proxy: ServerThread, client: httpx.Client,
                                             status: int, stream: bool) -> None:
    """Status, body bytes and rate-limit headers reach the client as the provider sent them, also
    for a request whose image the proxy compressed (so SDK retry logic keeps working)."""
    body = openai_chat_body(base_images()["jpeg"], stream=stream)
    r = client.post(f"{error_proxy.url}/v1/chat/completions", content=to_bytes(body),
                    headers={"content-type": "application/json", "x-status": str(status)})
    assert r.status_code == status
    assert r.content == ERROR_BODY
    assert r.headers["retry-after"] == "17"
    assert r.headers["x-request-id"] == "req_42"
    assert r.headers["anthropic-ratelimit-requests-remaining"] == "0"
    assert r.headers["content-type"] == "application/json"
    assert r.headers["x-headroom-technique"] == "full_low"  # the compressed path was taken


# -- client disconnects ------------------------------------------------------------------------------


def test_client_disconnect_mid_stream_after_compression(
    upstream: ServerThread, recorder: Recorder, compressor: ImageCompressor, client: httpx.Client
) -> None:
    """The integration suite covers a plain request; here the body went through the middleware,
    whose replayed ``receive`` must still report the disconnect to the forwarder, which must then
    close the upstream stream (the fake provider's generator runs its ``finally``)."""
    with ServerThread(create_proxy_app(proxy_settings(upstream.url), compressor=compressor)) as proxy:
        body = openai_chat_body(base_images()["jpeg"], stream=True)
        headers = {"content-type": "application/json", "x-test-stream-id": "rel-disconnect",
                   "x-test-chunks": "40"}
        with client.stream("POST", f"{proxy.url}/v1/chat/completions", content=to_bytes(body),
                           headers=headers) as r:
            assert r.headers["x-headroom-technique"] == "full_low"
            next(r.iter_raw())
        log = recorder.stream_log("rel-disconnect")
        assert wait_for(lambda: log.closed_early, timeout=5), "upstream stream was not closed"
        assert not log.finished
        assert images_in(recorder.last("/v1/chat/completions").body)[0].detail == "low"
        assert client.get(f"{proxy.url}/healthz").status_code == 200


def test_client_disconnect_before_upstream_answers_cancels_upstream(client: httpx.Client) -> None:
    state = {"cancelled": threading.Event(), "finished": threading.Event()}

    async def slow(request: Request) -> Response:
        await request.body()
        for _ in range(30):  # a 1.5 s "generation" that stops when the proxy hangs up
            if await request.is_disconnected():
                state["cancelled"].set()
                return Response(status_code=499)
            await asyncio.sleep(0.05)
        state["finished"].set()
        return JSONResponse({"ok": True})

    up_app = Starlette(routes=[Route("/v1/chat/completions", slow, methods=["POST"])])
    with ServerThread(up_app) as up:
        settings = proxy_settings(up.url, image_optimize=False)
        with ServerThread(create_proxy_app(settings)) as proxy:
            body = json.dumps(_stream_body() | {"stream": False}).encode()
            with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as sock:
                sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: t\r\n"
                             b"content-type: application/json\r\ncontent-length: %d\r\n\r\n%s"
                             % (len(body), body))
                time.sleep(0.3)  # the proxy is now waiting for the upstream's headers
            assert wait_for(lambda: state["cancelled"].is_set() or state["finished"].is_set(), 5)
            assert state["cancelled"].is_set(), "upstream request kept running after the client left"
