"""Clients that send slowly, or not at all, cannot hold the proxy's connections (slowloris).

A real proxy on 127.0.0.1 with short limits, raw sockets for the clients: a connection that
sends nothing is closed, one that trickles its headers gets 408 when the header deadline passes
(trickling does not extend it), one whose body stalls gets 408 when the gap between chunks is
too long, and past ``max_connections`` new requests get 503 at once.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import pytest

from headroom_edge import ImageCompressor
from headroom_edge.integrations import create_proxy_app
from headroom_edge.integrations.serving import server_options
from tests.integrations.servers import ServerThread
from tests.rawhttp import parse_response, read_message
from tests.security.conftest import Provider, proxy_settings

HEADER_S = 0.6
BODY_S = 0.6
SLACK_S = 1.0
CHAT = json.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}).encode()


@pytest.fixture(scope="module")
def proxy(
    openai_up: Provider, anthropic_up: Provider, google_up: Provider, compressor: ImageCompressor
) -> Iterator[ServerThread]:
    settings = proxy_settings(
        openai_up, anthropic_up, google_up,
        client_header_timeout_s=HEADER_S, client_body_timeout_s=BODY_S,
    )
    with ServerThread(create_proxy_app(settings, compressor=compressor), **server_options(settings)) as server:
        yield server


def _connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=HEADER_S + BODY_S + 5 * SLACK_S)
    return sock


def _read_until_closed(sock: socket.socket) -> bytes:
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return data
        if not chunk:
            return data
        data += chunk


def test_silent_connection_is_closed_after_the_header_timeout(proxy: ServerThread) -> None:
    with _connect(proxy.port) as sock:
        start = time.monotonic()
        data = _read_until_closed(sock)
        elapsed = time.monotonic() - start
    assert data == b""
    assert HEADER_S * 0.8 <= elapsed <= HEADER_S + SLACK_S


def test_trickled_headers_get_408_at_the_deadline(proxy: ServerThread) -> None:
    head = f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:{proxy.port}\r\n".encode()
    with _connect(proxy.port) as sock:
        start = time.monotonic()
        closed = False
        for i in range(0, len(head)):
            try:
                sock.sendall(head[i : i + 1])
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            time.sleep(0.05)
            if time.monotonic() - start > HEADER_S + 2 * SLACK_S:
                break
        data = _read_until_closed(sock)
        elapsed = time.monotonic() - start
    r = parse_response(data)
    assert r.status == 408 or closed, data
    assert elapsed <= HEADER_S + 2 * SLACK_S
    if r.status == 408:
        assert json.loads(r.body)["error"]["type"] == "headroom_request_timeout"


@pytest.mark.parametrize("path", ["/v1/chat/completions", "/v1/files"])
def test_stalled_body_gets_408_and_nothing_reaches_upstream(
    proxy: ServerThread, openai_up: Provider, path: str
) -> None:
    """Both readers of a body time out: the compressing middleware (LLM route, buffered) and the
    forwarder (any other path, streamed to the upstream as it arrives)."""
    with openai_up.recorder._lock:
        openai_up.recorder.requests.clear()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{proxy.port}\r\n"
        "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
    ).encode()
    with _connect(proxy.port) as sock:
        sock.sendall(head + b'{"model": "gpt')
        start = time.monotonic()
        data = _read_until_closed(sock)
        elapsed = time.monotonic() - start
    r = parse_response(data)
    assert r.status == 408, data
    assert r.headers.get("connection") == "close"
    assert BODY_S * 0.8 <= elapsed <= BODY_S + SLACK_S
    assert openai_up.recorder.requests == []


def test_a_steady_slow_body_is_not_cut(proxy: ServerThread, openai_up: Provider) -> None:
    """The body deadline is per gap, not per body: chunks that keep coming are fine."""
    head = (
        f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:{proxy.port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(CHAT)}\r\nConnection: close\r\n\r\n"
    ).encode()
    with _connect(proxy.port) as sock:
        sock.sendall(head)
        pieces = [CHAT[i : i + 8] for i in range(0, len(CHAT), 8)]
        for piece in pieces:
            sock.sendall(piece)
            time.sleep(BODY_S / 3)
        r = parse_response(_read_until_closed(sock))
    assert len(pieces) * BODY_S / 3 > BODY_S  # the whole upload took longer than one gap
    assert r.status == 200, r


def test_partial_second_request_on_a_kept_alive_connection_gets_408(proxy: ServerThread) -> None:
    with _connect(proxy.port) as sock:
        sock.sendall(f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{proxy.port}\r\n\r\n".encode())
        assert parse_response(read_message(sock)).status == 200
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHos")
        start = time.monotonic()
        data = _read_until_closed(sock)
        elapsed = time.monotonic() - start
    assert parse_response(data).status == 408
    assert elapsed <= HEADER_S + SLACK_S


def test_connections_over_the_cap_get_503_at_once(
    openai_up: Provider, anthropic_up: Provider, google_up: Provider
) -> None:
    settings = proxy_settings(openai_up, anthropic_up, google_up, image_optimize=False,
                              max_connections=3, client_header_timeout_s=30.0)
    with ServerThread(create_proxy_app(settings), **server_options(settings)) as proxy:
        idle = [_connect(proxy.port) for _ in range(3)]
        try:
            time.sleep(0.2)
            with _connect(proxy.port) as sock:
                start = time.monotonic()
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                r = parse_response(_read_until_closed(sock))
                assert r.status == 503 and time.monotonic() - start < 1.0
        finally:
            for sock in idle:
                sock.close()
        time.sleep(0.3)
        with _connect(proxy.port) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            assert parse_response(_read_until_closed(sock)).status == 200
