"""Body and per-image limits: 413 ``request_too_large`` in the proxy, pass-through in the library.

The proxy refuses LLM request bodies over ``max_body_bytes`` and requests with an image over
``max_image_bytes`` (both on by default, ``--no-reject-oversize`` forwards them untouched). The
middleware as a library keeps its fail-open pass-through unless ``reject_oversize=True``.
"""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import Iterator

import httpx
import openai
import pytest
from starlette.types import Message, Receive, Scope, Send

from headroom_edge import ImageCompressor
from headroom_edge.config import CompressionConfig, ImageLimits
from headroom_edge.decision.decider import RulesDecider
from headroom_edge.integrations import HeadroomMiddleware, create_proxy_app
from headroom_edge.pipeline import OVER_LIMIT
from headroom_edge.technique import Technique
from tests.integrations.helpers import images_in, openai_chat_body, to_bytes
from tests.integrations.servers import ServerThread
from tests.rawhttp import raw_request
from tests.security.conftest import Provider, proxy_settings

BODY_LIMIT = 300_000
IMAGE_LIMIT = 100_000


def _small_image_compressor() -> ImageCompressor:
    return ImageCompressor(
        config=CompressionConfig(limits=ImageLimits(max_payload_bytes=IMAGE_LIMIT)),
        decider=RulesDecider(), ocr=None,
    )


@pytest.fixture(scope="module")
def strict_proxy(openai_up: Provider, anthropic_up: Provider, google_up: Provider) -> Iterator[ServerThread]:
    """The proxy's defaults (reject on), with small limits; the compressor is the one
    create_proxy_app builds from the settings."""
    settings = proxy_settings(openai_up, anthropic_up, google_up,
                              max_body_bytes=BODY_LIMIT, max_image_bytes=IMAGE_LIMIT)
    assert settings.reject_oversize is True
    with ServerThread(create_proxy_app(settings)) as server:
        yield server


@pytest.fixture(scope="module")
def lenient_proxy(openai_up: Provider, anthropic_up: Provider, google_up: Provider) -> Iterator[ServerThread]:
    settings = proxy_settings(openai_up, anthropic_up, google_up, max_body_bytes=BODY_LIMIT,
                              max_image_bytes=IMAGE_LIMIT, reject_oversize=False)
    with ServerThread(create_proxy_app(settings)) as server:
        yield server


@pytest.fixture
def upstream(openai_up: Provider) -> Provider:
    with openai_up.recorder._lock:
        openai_up.recorder.requests.clear()
    return openai_up


def _padded_chat(size: int) -> bytes:
    """A text-only chat body of about ``size`` bytes."""
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "x" * size}]}
    return json.dumps(body).encode()


def _assert_413(response: httpx.Response, *words: str) -> None:
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/json"
    error = response.json()
    assert error["type"] == "error" and error["error"]["type"] == "request_too_large"
    for word in words:
        assert word in error["error"]["message"]


# -- request body limit ---------------------------------------------------------------------------------


def test_proxy_refuses_a_declared_oversized_body(strict_proxy: ServerThread, upstream: Provider) -> None:
    body = _padded_chat(BODY_LIMIT + 1000)
    r = httpx.post(f"{strict_proxy.url}/v1/chat/completions", content=body,
                   headers={"content-type": "application/json"}, trust_env=False, timeout=30)
    _assert_413(r, str(len(body)), str(BODY_LIMIT), "HEADROOM_MAX_BODY_BYTES")
    assert upstream.recorder.requests == []


def test_proxy_refuses_a_much_larger_body_cleanly(strict_proxy: ServerThread, upstream: Provider) -> None:
    """Far more than the socket buffers hold: the client still gets the 413, not a reset."""
    body = _padded_chat(20 * BODY_LIMIT)
    r = httpx.post(f"{strict_proxy.url}/v1/chat/completions", content=body,
                   headers={"content-type": "application/json"}, trust_env=False, timeout=30)
    _assert_413(r)
    assert upstream.recorder.requests == []


def test_proxy_refuses_a_chunked_body_once_it_passes_the_limit(
    strict_proxy: ServerThread, upstream: Provider
) -> None:
    body = _padded_chat(BODY_LIMIT * 2)

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(body), 16384):
            yield body[i : i + 16384]

    r = httpx.post(f"{strict_proxy.url}/v1/chat/completions", content=chunks(),
                   headers={"content-type": "application/json"}, trust_env=False, timeout=30)
    _assert_413(r, "more bytes")
    assert upstream.recorder.requests == []


def test_proxy_forwards_bodies_under_the_limit(strict_proxy: ServerThread, upstream: Provider) -> None:
    r = httpx.post(f"{strict_proxy.url}/v1/chat/completions", content=_padded_chat(BODY_LIMIT - 1000),
                   headers={"content-type": "application/json"}, trust_env=False, timeout=30)
    assert r.status_code == 200 and len(upstream.recorder.requests) == 1


def test_no_reject_oversize_forwards_the_body_untouched(lenient_proxy: ServerThread, upstream: Provider) -> None:
    body = _padded_chat(BODY_LIMIT + 1000)
    r = httpx.post(f"{lenient_proxy.url}/v1/chat/completions", content=body,
                   headers={"content-type": "application/json"}, trust_env=False, timeout=30)
    assert r.status_code == 200 and upstream.recorder.last().body == body


def test_a_gzip_body_that_only_inflates_past_the_limit_is_forwarded(
    strict_proxy: ServerThread, upstream: Provider, jpeg: bytes
) -> None:
    """Documented: the limit is on what the client sends; the compressed bytes go on as sent."""
    plain = to_bytes({**openai_chat_body(jpeg), "metadata": {"pad": "x" * (BODY_LIMIT * 2)}})
    packed = gzip.compress(plain)
    assert len(packed) < BODY_LIMIT < len(plain)
    r = httpx.post(f"{strict_proxy.url}/v1/chat/completions", content=packed, trust_env=False,
                   headers={"content-type": "application/json", "content-encoding": "gzip"}, timeout=30)
    # (the fake provider itself cannot read gzip bodies and answers 500: what matters is that
    # the proxy forwarded the client's bytes instead of refusing them)
    assert r.status_code != 413 and upstream.recorder.last().body == packed


def test_non_llm_paths_are_streamed_not_limited(strict_proxy: ServerThread, upstream: Provider) -> None:
    """Uploads and other non-LLM endpoints are never buffered, so no limit applies to them."""
    body = b"\x00" * (BODY_LIMIT * 2)
    r = httpx.post(f"{strict_proxy.url}/v1/echo", content=body, trust_env=False, timeout=30,
                   headers={"content-type": "application/octet-stream"})
    assert r.status_code == 200 and upstream.recorder.last().body == body


# -- per-image limit ---------------------------------------------------------------------------------------


def test_proxy_refuses_an_oversized_image(strict_proxy: ServerThread, upstream: Provider, jpeg: bytes) -> None:
    assert len(jpeg) > IMAGE_LIMIT
    r = httpx.post(f"{strict_proxy.url}/v1/chat/completions", content=to_bytes(openai_chat_body(jpeg)),
                   headers={"content-type": "application/json"}, trust_env=False, timeout=60)
    _assert_413(r, "Image 0", str(len(jpeg)), str(IMAGE_LIMIT), "HEADROOM_MAX_IMAGE_BYTES")
    assert upstream.recorder.requests == []


def test_the_sdk_surfaces_the_413(strict_proxy: ServerThread, upstream: Provider, jpeg: bytes) -> None:
    client = openai.OpenAI(api_key="sk-test", base_url=f"{strict_proxy.url}/v1", max_retries=0)
    body = openai_chat_body(jpeg)
    with pytest.raises(openai.APIStatusError) as info:
        client.chat.completions.create(model=body["model"], messages=body["messages"])
    client.close()
    assert info.value.status_code == 413 and "per-image limit" in str(info.value)


def test_no_reject_oversize_passes_the_image_untouched(
    lenient_proxy: ServerThread, upstream: Provider, jpeg: bytes
) -> None:
    body = to_bytes(openai_chat_body(jpeg))
    r = httpx.post(f"{lenient_proxy.url}/v1/chat/completions", content=body,
                   headers={"content-type": "application/json"}, trust_env=False, timeout=60)
    assert r.status_code == 200 and upstream.recorder.last().body == body


def test_the_library_passes_an_oversized_image_untouched(jpeg: bytes) -> None:
    raw = to_bytes(openai_chat_body(jpeg))
    out = _small_image_compressor().compress_body(raw)
    assert out.body is raw and not out.changed
    (image,) = out.result.images
    assert image.technique is Technique.PRESERVE and image.decided_by == OVER_LIMIT
    assert image.original_bytes == len(jpeg) and image.signals["limit_bytes"] == IMAGE_LIMIT
    assert "per-image limit" in image.reason


# -- the middleware as a library: pass-through by default, 413 as an option ------------------------------


class App:
    """An ASGI app that records the body it was given and answers 200."""

    def __init__(self) -> None:
        self.body: bytes | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        self.body = b"".join(chunks)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def _call(mw: HeadroomMiddleware, body: bytes, *, declare: bool = True) -> list[Message]:
    headers = [(b"content-type", b"application/json")]
    if declare:
        headers.append((b"content-length", str(len(body)).encode()))
    scope = {"type": "http", "method": "POST", "path": "/v1/chat/completions", "headers": headers,
             "query_string": b""}
    parts = [body[i : i + 65536] for i in range(0, len(body), 65536)] or [b""]
    messages = [{"type": "http.request", "body": p, "more_body": i < len(parts) - 1}
                for i, p in enumerate(parts)]
    sent: list[Message] = []

    async def receive() -> Message:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(mw(scope, receive, send))
    return sent


def _status(sent: list[Message]) -> int:
    return next(m["status"] for m in sent if m["type"] == "http.response.start")


def _json_body(sent: list[Message]) -> dict:
    return json.loads(b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body"))


@pytest.mark.parametrize("declare", [True, False])
def test_middleware_default_passes_large_bodies_through(declare: bool) -> None:
    app = App()
    mw = HeadroomMiddleware(app, _small_image_compressor(), max_body_bytes=BODY_LIMIT)
    body = _padded_chat(BODY_LIMIT + 1000)
    assert _status(_call(mw, body, declare=declare)) == 200 and app.body == body


@pytest.mark.parametrize("declare", [True, False])
def test_middleware_reject_oversize_answers_413_for_bodies(declare: bool) -> None:
    app = App()
    mw = HeadroomMiddleware(app, _small_image_compressor(), max_body_bytes=BODY_LIMIT, reject_oversize=True)
    sent = _call(mw, _padded_chat(BODY_LIMIT + 1000), declare=declare)
    assert _status(sent) == 413 and app.body is None
    assert _json_body(sent)["error"]["type"] == "request_too_large"
    assert mw.metrics.value("headroom_requests_total", route="openai_chat", upstream="-", status="413") == 1


def test_middleware_images_pass_by_default_and_413_when_asked(jpeg: bytes) -> None:
    body = to_bytes(openai_chat_body(jpeg))
    app = App()
    mw = HeadroomMiddleware(app, _small_image_compressor())
    assert _status(_call(mw, body)) == 200 and app.body == body
    app = App()
    mw = HeadroomMiddleware(app, _small_image_compressor(), reject_oversize=True)
    sent = _call(mw, body)
    assert _status(sent) == 413 and app.body is None
    assert "Image 0" in _json_body(sent)["error"]["message"]


def test_images_under_the_limit_are_still_compressed(strict_proxy: ServerThread, upstream: Provider) -> None:
    from tests.factories import photo_jpeg

    small = photo_jpeg(600, 600, quality=60)
    assert len(small) < IMAGE_LIMIT
    r = httpx.post(f"{strict_proxy.url}/v1/chat/completions", content=to_bytes(openai_chat_body(small)),
                   headers={"content-type": "application/json"}, trust_env=False, timeout=60)
    assert r.status_code == 200
    (seen,) = images_in(upstream.recorder.last().body)
    assert seen.detail == "low"


def test_raw_oversized_body_gets_413_over_a_plain_socket(strict_proxy: ServerThread) -> None:
    body = _padded_chat(BODY_LIMIT + 10)
    r = raw_request(strict_proxy.port, "POST /v1/messages HTTP/1.1",
                    {"Content-Type": "application/json", "anthropic-version": "2023-06-01"}, body=body)
    assert r.status == 413 and json.loads(r.body)["error"]["type"] == "request_too_large"


def test_expect_continue_gets_413_without_sending_the_body(strict_proxy: ServerThread) -> None:
    """curl sends ``Expect: 100-continue`` for big uploads: the 413 comes at once, the body is
    never invited (no 100 Continue) and nothing waits for it."""
    import time

    start = time.monotonic()
    r = raw_request(strict_proxy.port, "POST /v1/chat/completions HTTP/1.1",
                    {"Content-Type": "application/json", "Content-Length": str(10 * 1024**3),
                     "Expect": "100-continue"})
    assert r.status == 413 and time.monotonic() - start < 3
    assert json.loads(r.body)["error"]["type"] == "request_too_large"
