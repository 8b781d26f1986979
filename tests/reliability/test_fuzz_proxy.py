"""Hostile requests through the real proxy (uvicorn on 127.0.0.1) to an upstream that echoes.

For every request the client must get the upstream's 200 (marked ``x-echo-upstream``), never an
error the proxy made up for the client's own bad input, and the body the upstream received (the
echo) must be the client's bytes exactly or a valid rewrite of them. The proxy must stay up.
"""

from __future__ import annotations

import gzip
import socket
import zlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from headroom_edge import ImageCompressor
from headroom_edge.integrations import create_proxy_app
from headroom_edge.integrations.routes import DEFAULT_ROUTES, match_route
from tests.integrations.servers import ServerThread
from tests.reliability.conftest import (
    BODIES,
    FORMATS,
    FUZZ,
    GIST,
    PATHS,
    QUESTIONS,
    assert_valid_rewrite,
    b64,
    base_images,
    corrupt_base64,
    corrupt_image,
    proxy_settings,
    special_images,
    to_bytes,
    wire_body,
)

JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(trust_env=False, timeout=30) as c:
        yield c


@pytest.fixture(scope="module")
def small_proxy(echo_upstream: ServerThread, compressor: ImageCompressor) -> Iterator[ServerThread]:
    """A proxy that buffers at most 100 kB of body (larger ones: 413 or passed through)."""
    settings = proxy_settings(echo_upstream.url, max_body_bytes=100_000)
    with ServerThread(create_proxy_app(settings, compressor=compressor)) as server:
        yield server


def _format_of(path: str) -> str | None:
    route = match_route(DEFAULT_ROUTES, path.split("?", 1)[0])
    return route.wire_format if route is not None else None


def assert_forwarded(r: httpx.Response, sent: bytes, path: str, *, may_rewrite: bool = True) -> None:
    """The upstream answered (not the proxy), and it saw ``sent`` or a valid rewrite of it."""
    assert r.status_code == 200, f"{r.status_code}: {r.text[:300]}"
    assert r.headers.get("x-echo-upstream") == "1", "the response did not come from the upstream"
    if r.content == sent:
        return
    wire_format = _format_of(path)
    assert may_rewrite and wire_format is not None, "body changed where it must pass through"
    assert_valid_rewrite(sent, r.content, wire_format)
    assert r.headers["x-headroom-technique"]


def assert_alive(client: httpx.Client, proxy: ServerThread) -> None:
    assert proxy.thread.is_alive(), "the proxy's server thread died"
    assert client.get(f"{proxy.url}/healthz").status_code == 200


# -- request bodies ------------------------------------------------------------------------------


@st.composite
def request_bodies(draw: st.DrawFn) -> tuple[str, bytes]:
    """(path, body): random JSON, raw noise, and bodies of every format carrying damaged base64,
    damaged images or awkward images, sent to their own endpoint or (sometimes) another one."""
    wire_format = draw(st.sampled_from(FORMATS))
    path = draw(st.sampled_from([PATHS[wire_format]] * 4 + list(PATHS.values())
                                + ["/v1/embeddings", "/v1/chat/completions/", "/v1/messages?beta=true"]))
    kind = draw(st.sampled_from(["json", "noise", "base64", "image", "special", "truncated"]))
    question = draw(st.sampled_from(QUESTIONS[:3]))
    if kind == "json":
        return path, to_bytes(draw(BODIES))
    if kind == "noise":
        return path, draw(st.sampled_from([b'{"image_url"', b'"inlineData"', b""])) + draw(st.binary(max_size=200))
    if kind == "base64":
        text, media_type = draw(corrupt_base64())
        return path, to_bytes(wire_body(wire_format, text, media_type, question))
    if kind == "image":
        data, media_type = draw(corrupt_image())
    else:
        sample = special_images()[draw(st.sampled_from(sorted(special_images())))]
        data, media_type = sample.data, sample.media_type
    raw = to_bytes(wire_body(wire_format, b64(data), media_type, question,
                             variant=draw(st.integers(0, 1))))
    if kind == "truncated":
        raw = raw[: draw(st.integers(0, len(raw) - 1))]
    return path, raw


@FUZZ
@given(request=request_bodies(), content_type=st.sampled_from([
    "application/json", "application/json; charset=utf-8", "application/vnd.api+json",
    "APPLICATION/JSON", "text/plain", None]))
def test_fuzzed_bodies(echo_proxy: ServerThread, client: httpx.Client,
                       request: tuple[str, bytes], content_type: str | None) -> None:
    path, body = request
    headers = {"content-type": content_type} if content_type else {}
    r = client.post(f"{echo_proxy.url}{path}", content=body, headers=headers)
    assert_forwarded(r, body, path)


@pytest.mark.parametrize("wire_format", FORMATS)
def test_every_special_image(echo_proxy: ServerThread, client: httpx.Client,
                             wire_format: str) -> None:
    """Bombs, animations, CMYK, 16-bit, alpha, EXIF-rotated, 1x1, 20000x20 ... in every format."""
    for _name, sample in sorted(special_images().items()):
        body = to_bytes(wire_body(wire_format, b64(sample.data), sample.media_type, GIST))
        r = client.post(f"{echo_proxy.url}{PATHS[wire_format]}", content=body, headers=JSON)
        assert_forwarded(r, body, PATHS[wire_format], may_rewrite=sample.expect != "unchanged")
    assert_alive(client, echo_proxy)


# -- encodings, sizes, framing -----------------------------------------------------------------------


def _image_body() -> bytes:
    return to_bytes(wire_body("openai_chat", b64(base_images()["jpeg"]), "image/jpeg"))


_ENCODED: dict[str, tuple[str, Any]] = {
    # case: (Content-Encoding sent, body from the plain JSON body)
    "valid": ("gzip", gzip.compress),
    "x-gzip": ("x-gzip", gzip.compress),
    "concatenated": ("gzip", lambda p: gzip.compress(p[:1000]) + gzip.compress(p[1000:])),
    "corrupt": ("gzip", lambda p: (z := gzip.compress(p))[:20] + bytes(b ^ 0x55 for b in z[20:60]) + z[60:]),
    "truncated": ("gzip", lambda p: (z := gzip.compress(p))[: len(z) // 2]),
    "not_gzip": ("gzip", lambda p: p),
    "trailing_garbage": ("gzip", lambda p: gzip.compress(p) + b"garbage"),
    "br": ("br", zlib.compress),
    "stacked": ("gzip, gzip", lambda p: gzip.compress(gzip.compress(p))),
}


@pytest.mark.parametrize("case", sorted(_ENCODED))
def test_request_content_encodings(echo_proxy: ServerThread, client: httpx.Client,
                                   case: str) -> None:
    """gzip bodies are inflated, compressed and sent plain; anything the proxy cannot or will not
    inflate (corrupt, truncated, another or a stacked coding) goes upstream byte-identical with
    its Content-Encoding."""
    plain = _image_body()
    encoding, encode = _ENCODED[case]
    body = encode(plain)
    r = client.post(f"{echo_proxy.url}/v1/chat/completions", content=body,
                    headers={**JSON, "content-encoding": encoding})
    assert r.status_code == 200 and r.headers.get("x-echo-upstream") == "1"
    if case in ("valid", "concatenated", "x-gzip"):
        assert r.headers["x-echo-encoding"] == "-", "a rewritten body must be sent plain"
        assert_valid_rewrite(plain, r.content, "openai_chat")
    else:
        assert r.content == body and r.headers["x-echo-encoding"] == encoding
    assert_alive(client, echo_proxy)


def test_gzip_bomb_passes_through(small_proxy: ServerThread, client: httpx.Client) -> None:
    """2 kB that would inflate to 20 MB, against a 100 kB limit: inflation stops at the limit."""
    body = gzip.compress(b'{"messages": [{"content": [{"type": "image_url", "image_url": "'
                         + b"A" * 20_000_000)
    assert len(body) < 30_000
    r = client.post(f"{small_proxy.url}/v1/chat/completions", content=body,
                    headers={**JSON, "content-encoding": "gzip"})
    assert r.status_code == 200 and r.content == body
    assert_alive(client, small_proxy)


def _chunks(data: bytes, size: int = 7000) -> Iterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_bodies_over_the_buffer_limit(small_proxy: ServerThread, client: httpx.Client,
                                      framing: str) -> None:
    """Over ``max_body_bytes`` (declared, or found while reading a chunked body) the proxy either
    refuses with its 413 JSON error (``reject_oversize``) or streams the body through untouched;
    never a 5xx, never a half-forwarded body. Under the limit, chunked bodies are compressed."""
    big = _image_body()
    assert len(big) > 100_000
    content: Any = big if framing == "content-length" else _chunks(big)
    r = client.post(f"{small_proxy.url}/v1/chat/completions", content=content, headers=JSON)
    if r.status_code == 413:
        assert r.json()["error"]["type"] == "request_too_large"
        assert "x-echo-upstream" not in r.headers
    else:
        assert_forwarded(r, big, "/v1/chat/completions", may_rewrite=False)
    small = to_bytes(wire_body("anthropic_messages",
                               b64(special_images()["webp_photo"].data), "image/webp"))
    assert len(small) < 100_000
    r = client.post(f"{small_proxy.url}/v1/messages", content=_chunks(small), headers=JSON)
    assert_forwarded(r, small, "/v1/messages")
    assert r.content != small  # chunked, under the limit: compressed
    assert_alive(client, small_proxy)


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "OPTIONS"])
def test_other_methods_pass_through(echo_proxy: ServerThread, client: httpx.Client,
                                    method: str) -> None:
    body = _image_body()
    r = client.request(method, f"{echo_proxy.url}/v1/chat/completions", content=body, headers=JSON)
    assert_forwarded(r, body, "/v1/chat/completions", may_rewrite=False)


# -- broken clients ---------------------------------------------------------------------------------


def _raw_exchange(port: int, payload: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(payload)
        sock.shutdown(socket.SHUT_WR)
        data = b""
        try:
            while chunk := sock.recv(65536):
                data += chunk
        except (TimeoutError, ConnectionResetError):
            pass
    return data


@pytest.mark.parametrize("declared", [100_000, 10_000_000])
def test_client_aborts_mid_upload(echo_proxy: ServerThread, client: httpx.Client,
                                  declared: int) -> None:
    """A body cut short by a client that hangs up: nothing is answered to no one, nothing breaks."""
    head = (b"POST /v1/chat/completions HTTP/1.1\r\nHost: t\r\ncontent-type: application/json\r\n"
            b"content-length: %d\r\n\r\n" % declared)
    _raw_exchange(echo_proxy.port, head + _image_body()[:5000])
    assert_alive(client, echo_proxy)
    body = _image_body()
    assert_forwarded(client.post(f"{echo_proxy.url}/v1/chat/completions", content=body,
                                 headers=JSON), body, "/v1/chat/completions")


@settings(FUZZ, max_examples=30)
@given(line=st.binary(max_size=120), headers=st.lists(
    st.tuples(st.sampled_from([b"content-type", b"content-length", b"content-encoding",
                               b"transfer-encoding", b"x-headroom-bypass", b"connection",
                               b"anthropic-version", b"expect"]),
              st.binary(max_size=30)), max_size=4), body=st.binary(max_size=200))
def test_garbage_on_the_socket(echo_proxy: ServerThread, client: httpx.Client, line: bytes,
                               headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    """Random request lines, header values and framing: the proxy answers (4xx, or the echo's
    200) or hangs up, but never with a 500 (the echo upstream never sends one)."""
    payload = (b"POST /v1/chat/completions" + line + b" HTTP/1.1\r\nHost: t\r\n"
               + b"".join(k + b": " + v + b"\r\n" for k, v in headers) + b"\r\n" + body)
    answer = _raw_exchange(echo_proxy.port, payload)
    status_line = answer.split(b"\r\n", 1)[0]
    assert b" 500 " not in status_line + b" ", status_line
    assert_alive(client, echo_proxy)
