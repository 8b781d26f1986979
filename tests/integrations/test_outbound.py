"""HeadroomMiddleware(outbound=True): a FastAPI app whose handlers call the real SDKs.

The SDK clients are built with their defaults apart from ``base_url`` (pointing at the loopback
fake provider); nothing in the handlers knows about headroom. The fake provider records what
it received, so the tests see exactly what left the app.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import anthropic
import httpx
import openai
import pytest
from fastapi import FastAPI, Request
from google import genai
from google.genai import types as gtypes

from headroom_edge import ImageCompressor
from headroom_edge.integrations import HeadroomMiddleware, Metrics, WorkerPool
from headroom_edge.integrations.outbound import HOOKS
from tests.factories import b64
from tests.integrations.fake_provider import ANSWER, Recorder
from tests.integrations.helpers import (
    anthropic_messages,
    gemini_contents,
    images_in,
    is_compressed,
    openai_chat_messages,
    patched_transport_methods,
)
from tests.integrations.servers import ServerThread


def _state(request: Request, **extra: Any) -> dict[str, Any]:
    results = getattr(request.state, "headroom", None)
    return {"headroom": results.to_dict() if results is not None else None, **extra}


class Recording:
    """The session's real compressor, noting the thread each compression ran on."""

    def __init__(self, inner: ImageCompressor) -> None:
        self.inner = inner
        self.threads: list[str] = []

    def body_may_have_images(self, body: bytes) -> bool:
        return self.inner.body_may_have_images(body)

    def compress_body(self, body: Any, **options: Any) -> Any:
        self.threads.append(threading.current_thread().name)
        return self.inner.compress_body(body, **options)


def _caller_app(upstream: str, jpeg: bytes, compressor: Recording, metrics: Metrics) -> FastAPI:
    """An ordinary app: SDK calls in handlers, one client built before the middleware exists."""
    app = FastAPI()
    early = openai.OpenAI(api_key="sk-early", base_url=f"{upstream}/v1", max_retries=0)

    @app.post("/openai/sync")
    def openai_sync(request: Request) -> dict[str, Any]:
        early.chat.completions.create(model="gpt-4o", messages=openai_chat_messages(jpeg))
        return _state(request)

    @app.post("/openai/async")
    async def openai_async(request: Request) -> dict[str, Any]:
        client = openai.AsyncOpenAI(api_key="sk-late", base_url=f"{upstream}/v1", max_retries=0)
        completion = await client.chat.completions.create(
            model="gpt-4o", messages=openai_chat_messages(jpeg)
        )
        await client.close()
        return _state(request, answer=completion.choices[0].message.content)

    @app.post("/openai/twice")
    async def openai_twice(request: Request) -> dict[str, Any]:
        client = openai.AsyncOpenAI(api_key="sk-late", base_url=f"{upstream}/v1", max_retries=0)
        for question in ("What animal is this?", "Describe the scene in one line."):
            messages = openai_chat_messages(jpeg)
            messages[0]["content"][0]["text"] = question
            await client.chat.completions.create(model="gpt-4o", messages=messages)
        await client.close()
        return _state(request)

    @app.post("/anthropic/sync")
    def anthropic_sync(request: Request) -> dict[str, Any]:
        client = anthropic.Anthropic(api_key="sk-ant", base_url=upstream, max_retries=0)
        client.messages.create(
            model="claude-opus-4-7", max_tokens=50, messages=anthropic_messages(jpeg)
        )
        return _state(request)

    @app.post("/anthropic/stream")
    async def anthropic_stream(request: Request) -> dict[str, Any]:
        client = anthropic.AsyncAnthropic(api_key="sk-ant", base_url=upstream, max_retries=0)
        text, first_at = "", 0.0
        async with client.messages.stream(
            model="claude-opus-4-7",
            max_tokens=50,
            messages=anthropic_messages(jpeg),
            extra_headers={"x-test-stream-id": "outbound-claude"},
        ) as stream:
            async for piece in stream.text_stream:
                first_at = first_at or time.monotonic()
                text += piece
        return _state(request, text=text, first_at=first_at)

    @app.post("/openai/sync-stream")
    def openai_sync_stream(request: Request) -> dict[str, Any]:
        text, first_at = "", 0.0
        stream = early.chat.completions.create(
            model="gpt-4o",
            messages=openai_chat_messages(jpeg),
            stream=True,
            extra_headers={"x-test-stream-id": "outbound-openai-sync"},
        )
        for chunk in stream:
            piece = chunk.choices[0].delta.content if chunk.choices else None
            if piece:
                first_at = first_at or time.monotonic()
                text += piece
        return _state(request, text=text, first_at=first_at)

    @app.post("/gemini/sync")
    def gemini_sync(request: Request) -> dict[str, Any]:
        client = genai.Client(api_key="g-key", http_options=gtypes.HttpOptions(base_url=upstream))
        response = client.models.generate_content(
            model="gemini-2.5-flash", contents=gemini_contents(jpeg)
        )
        return _state(request, answer=response.text)

    @app.post("/gemini/async")
    async def gemini_async(request: Request) -> dict[str, Any]:
        client = genai.Client(api_key="g-key", http_options=gtypes.HttpOptions(base_url=upstream))
        response = await client.aio.models.generate_content(
            model="gemini-2.5-flash", contents=gemini_contents(jpeg)
        )
        return _state(request, answer=response.text)

    @app.post("/plain")
    async def plain(request: Request) -> dict[str, Any]:
        """A non-LLM call carrying an image-shaped JSON body: must leave byte-identical."""
        body = await request.body()
        async with httpx.AsyncClient() as client:
            echoed = await client.post(
                f"{upstream}/v1/echo", content=body, headers={"content-type": "application/json"}
            )
        return _state(request, echoed_identical=echoed.content == body)

    app.add_middleware(HeadroomMiddleware, compressor=compressor, max_workers=2, metrics=metrics)
    return app


@pytest.fixture(scope="module")
def originals() -> list[Any]:
    return patched_transport_methods()


@pytest.fixture(scope="module")
def recording(compressor: ImageCompressor) -> Recording:
    return Recording(compressor)


@pytest.fixture(scope="module")
def metrics() -> Metrics:
    return Metrics()


@pytest.fixture(scope="module")
def caller(
    upstream: ServerThread, jpeg: bytes, recording: Recording, metrics: Metrics,
    originals: list[Any],
) -> Iterator[ServerThread]:
    with ServerThread(_caller_app(upstream.url, jpeg, recording, metrics)) as server:
        yield server
    assert patched_transport_methods() == originals  # shutdown took every hook off
    assert not HOOKS.installed


def _post(server: ServerThread, path: str, **kwargs: Any) -> httpx.Response:
    with httpx.Client(trust_env=False, timeout=60) as client:
        response = client.post(f"{server.url}{path}", **kwargs)
    assert response.status_code == 200, response.text
    return response


def test_hooks_are_installed_while_the_app_runs(caller: ServerThread, originals: list[Any]) -> None:
    assert HOOKS.installed
    current = patched_transport_methods()
    assert all(now is not before for now, before in zip(current, originals, strict=True))
    assert all(getattr(now, "__wrapped__", None) is before for now, before in zip(current, originals, strict=True))


def test_sync_openai_client_built_before_mounting(
    caller: ServerThread, recorder: Recorder, jpeg: bytes, recording: Recording, metrics: Metrics
) -> None:
    response = _post(caller, "/openai/sync")
    assert recording.threads[-1].startswith("headroom")  # the middleware's pool, not the caller
    assert metrics.value("headroom_requests_total", route="/openai/sync",
                         upstream="outbound:openai_chat", status="200") == 1
    got = recorder.last("/v1/chat/completions")
    assert got.header("authorization") == "Bearer sk-early"
    (image,) = images_in(got.body)
    assert image.detail == "low" and is_compressed(image, jpeg)
    state = response.json()["headroom"]
    assert state["technique"] == "full_low" and len(state["calls"]) == 1
    assert response.headers["x-headroom-technique"] == "full_low"
    assert int(response.headers["x-headroom-tokens-after"]) < int(
        response.headers["x-headroom-tokens-before"]
    )


def test_async_openai_client_built_in_the_handler(
    caller: ServerThread, recorder: Recorder, jpeg: bytes, recording: Recording
) -> None:
    response = _post(caller, "/openai/async")
    assert recording.threads[-1].startswith("headroom")
    assert response.json()["answer"]
    got = recorder.last("/v1/chat/completions")
    assert got.header("authorization") == "Bearer sk-late"
    (image,) = images_in(got.body)
    assert is_compressed(image, jpeg)
    assert int(got.header("content-length")) == len(got.body)


def test_headers_sum_every_call_of_the_request(caller: ServerThread) -> None:
    response = _post(caller, "/openai/twice")
    state = response.json()["headroom"]
    assert len(state["calls"]) == 2
    before = sum(call["original_tokens"] for call in state["calls"])
    after = sum(call["compressed_tokens"] for call in state["calls"])
    assert response.headers["x-headroom-tokens-before"] == str(before) == str(state["original_tokens"])
    assert response.headers["x-headroom-tokens-after"] == str(after)


def test_inbound_bypass_applies_to_outbound_calls(
    caller: ServerThread, recorder: Recorder, jpeg: bytes
) -> None:
    response = _post(caller, "/openai/async", headers={"x-headroom-bypass": "true"})
    (image,) = images_in(recorder.last("/v1/chat/completions").body)
    assert image.nbytes == len(jpeg) and image.detail is None
    assert response.json()["headroom"] is None
    assert "x-headroom-technique" not in response.headers


def test_sync_anthropic_client(caller: ServerThread, recorder: Recorder, jpeg: bytes) -> None:
    response = _post(caller, "/anthropic/sync")
    (image,) = images_in(recorder.last("/v1/messages").body)
    assert image.nbytes < len(jpeg) and image.size[0] * image.size[1] < 1024 * 1024
    assert response.json()["headroom"]["technique"] == "full_low"


def test_anthropic_stream_arrives_incrementally(
    caller: ServerThread, recorder: Recorder, jpeg: bytes
) -> None:
    response = _post(caller, "/anthropic/stream")
    seen = response.json()
    assert seen["text"] == ANSWER
    (image,) = images_in(recorder.last("/v1/messages").body)
    assert image.nbytes < len(jpeg)
    log = recorder.stream_log("outbound-claude")
    assert log.finished and seen["first_at"] < log.sent[-1]  # first chunk before the last left


def test_sync_openai_stream_arrives_incrementally(
    caller: ServerThread, recorder: Recorder, jpeg: bytes
) -> None:
    seen = _post(caller, "/openai/sync-stream").json()
    assert seen["text"] == ANSWER
    assert is_compressed(images_in(recorder.last("/v1/chat/completions").body)[0], jpeg)
    log = recorder.stream_log("outbound-openai-sync")
    assert log.finished and seen["first_at"] < log.sent[-1]


@pytest.mark.parametrize("path", ["/gemini/sync", "/gemini/async"])
def test_gemini_client(caller: ServerThread, recorder: Recorder, jpeg: bytes, path: str) -> None:
    response = _post(caller, path)
    assert response.json()["answer"] == ANSWER
    got = recorder.last(":generateContent")
    (image,) = images_in(got.body)
    level = (got.json().get("generationConfig") or {}).get("mediaResolution") or ""
    assert is_compressed(image, jpeg) or level.endswith("LOW")
    assert response.json()["headroom"]["calls"][0]["wire_format"] == "gemini"


def test_non_llm_call_is_byte_identical(
    caller: ServerThread, recorder: Recorder, jpeg: bytes
) -> None:
    body = json.dumps(
        {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {
            "url": f"data:image/jpeg;base64,{b64(jpeg)}"}}]}]}
    ).encode()
    response = _post(caller, "/plain", content=body, headers={"content-type": "application/json"})
    assert recorder.last("/v1/echo").body == body
    assert response.json()["echoed_identical"] is True
    assert response.json()["headroom"] is None


def test_calls_outside_a_request_are_untouched(
    caller: ServerThread, recorder: Recorder, jpeg: bytes, upstream: ServerThread
) -> None:
    """The hooks are process-wide, but the middleware owns only the requests it serves."""
    client = openai.OpenAI(api_key="sk-test", base_url=f"{upstream.url}/v1", max_retries=0)
    client.chat.completions.create(model="gpt-4o", messages=openai_chat_messages(jpeg))
    (image,) = images_in(recorder.last("/v1/chat/completions").body)
    assert image.nbytes == len(jpeg)


def test_outbound_false_installs_nothing(
    upstream: ServerThread, jpeg: bytes, compressor: ImageCompressor, recorder: Recorder
) -> None:
    app = FastAPI()

    @app.post("/ask")
    async def ask(request: Request) -> dict[str, Any]:
        client = openai.AsyncOpenAI(api_key="sk-off", base_url=f"{upstream.url}/v1", max_retries=0)
        await client.chat.completions.create(model="gpt-4o", messages=openai_chat_messages(jpeg))
        return _state(request)

    app.add_middleware(HeadroomMiddleware, compressor=compressor, outbound=False)
    before = patched_transport_methods()
    with ServerThread(app) as server:
        assert patched_transport_methods() == before
        response = _post(server, "/ask")
    (image,) = images_in(recorder.last("/v1/chat/completions").body)
    assert image.nbytes == len(jpeg) and response.json()["headroom"] is None


def test_outbound_hosts_allowlist(
    upstream: ServerThread, jpeg: bytes, compressor: ImageCompressor, recorder: Recorder
) -> None:
    """Only the listed hosts are compressed: 127.0.0.1 is, "localhost" (same server) is not."""
    app = FastAPI()

    @app.post("/ask/{host}")
    async def ask(host: str, request: Request) -> dict[str, Any]:
        base = f"http://{host}:{upstream.port}/v1"
        client = openai.AsyncOpenAI(api_key="sk-hosts", base_url=base, max_retries=0)
        await client.chat.completions.create(model="gpt-4o", messages=openai_chat_messages(jpeg))
        return _state(request)

    app.add_middleware(HeadroomMiddleware, compressor=compressor, outbound_hosts=["127.0.0.1"])
    with ServerThread(app) as server:
        _post(server, "/ask/127.0.0.1")
        (listed,) = images_in(recorder.last("/v1/chat/completions").body)
        _post(server, "/ask/localhost")
        (other,) = images_in(recorder.last("/v1/chat/completions").body)
    assert is_compressed(listed, jpeg)
    assert other.nbytes == len(jpeg)


def test_gateway_that_forwards_its_body_compresses_once(
    upstream: ServerThread, jpeg: bytes, compressor: ImageCompressor, recorder: Recorder
) -> None:
    """An app that is both gateway and caller: the middleware compresses the inbound body, the
    handler forwards it with httpx to an LLM path, and the hooks leave it alone."""
    app = FastAPI()
    forwarded: dict[str, bytes] = {}

    @app.post("/v1/chat/completions")
    async def gateway(request: Request) -> dict[str, Any]:
        body = forwarded["body"] = await request.body()
        async with httpx.AsyncClient() as client:
            await client.post(
                f"{upstream.url}/v1/chat/completions",
                content=body,
                headers={"content-type": "application/json"},
            )
        return _state(request)

    app.add_middleware(HeadroomMiddleware, compressor=compressor)
    client_body = {"model": "gpt-4o", "messages": openai_chat_messages(jpeg)}
    with ServerThread(app) as server:
        response = _post(server, "/v1/chat/completions", json=client_body)
    got = recorder.last("/v1/chat/completions")
    assert got.body == forwarded["body"]  # sent on exactly as the middleware produced it
    assert is_compressed(images_in(got.body)[0], jpeg)
    assert len(response.json()["headroom"]["calls"]) == 1


def test_headroom_client_inside_an_instrumented_app_compresses_once(
    upstream: ServerThread, jpeg: bytes, compressor: ImageCompressor, recorder: Recorder
) -> None:
    from headroom_edge import HeadroomClient

    app = FastAPI()

    @app.post("/ask")
    def ask(request: Request) -> dict[str, Any]:
        client = HeadroomClient(
            "openai", compressor=compressor, api_key="sk-hc", base_url=f"{upstream.url}/v1"
        )
        client.chat.completions.create(model="gpt-4o", messages=openai_chat_messages(jpeg))
        return _state(request, explicit=client.last_result is not None)

    app.add_middleware(HeadroomMiddleware, compressor=compressor)
    with ServerThread(app) as server:
        response = _post(server, "/ask")
    assert response.json()["explicit"] is True  # the explicit transport did the work ...
    assert response.json()["headroom"] is None  # ... and the hooks saw it marked as done
    assert is_compressed(images_in(recorder.last("/v1/chat/completions").body)[0], jpeg)


def test_full_pool_sheds_outbound_calls_to_uncompressed(
    upstream: ServerThread, jpeg: bytes, compressor: ImageCompressor, recorder: Recorder
) -> None:
    pool = WorkerPool(max_workers=1, queue_limit=0, time_budget_s=5)
    release, started = threading.Event(), threading.Event()

    def block() -> None:
        started.set()
        release.wait(10)

    threading.Thread(target=lambda: asyncio.run(pool.run(block, budget_s=30)), daemon=True).start()
    assert started.wait(5)
    metrics = Metrics()
    app = FastAPI()

    @app.post("/ask")
    async def ask(request: Request) -> dict[str, Any]:
        client = openai.AsyncOpenAI(api_key="sk-shed", base_url=f"{upstream.url}/v1", max_retries=0)
        await client.chat.completions.create(model="gpt-4o", messages=openai_chat_messages(jpeg))
        return _state(request)

    app.add_middleware(HeadroomMiddleware, compressor=compressor, pool=pool, metrics=metrics)
    try:
        with ServerThread(app) as server:
            response = _post(server, "/ask")
    finally:
        release.set()
        pool.close(wait=True)
    (image,) = images_in(recorder.last("/v1/chat/completions").body)
    assert image.nbytes == len(jpeg) and response.json()["headroom"] is None
    assert metrics.value("headroom_shed_total", reason="queue_full") == 1


@pytest.mark.parametrize("ending", ["lifespan.startup.failed", "raise"])
def test_a_failed_startup_takes_the_hooks_off(compressor: ImageCompressor, ending: str) -> None:
    before = patched_transport_methods()
    held: list[bool] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()  # lifespan.startup: the middleware installed the hooks on reading it
        held.append(HOOKS.installed)
        if ending == "raise":
            raise RuntimeError("startup bug")
        await send({"type": ending, "message": "boom"})

    mw = HeadroomMiddleware(app, compressor)
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "lifespan.startup"}

    async def send(message: dict) -> None:
        sent.append(message)

    async def run() -> None:
        try:
            await mw({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)
        except RuntimeError:
            assert ending == "raise"

    asyncio.run(run())
    assert held == [True]
    assert patched_transport_methods() == before and not HOOKS.holds(mw.outbound_compressor)


def test_default_lazy_compressor_text_then_image(
    upstream: ServerThread, jpeg: bytes, recorder: Recorder
) -> None:
    """With no compressor given, the first LLM call builds one on a pool thread; a call without
    images leaves no result behind, the next one with an image is compressed."""
    app = FastAPI()

    @app.post("/ask")
    async def ask(request: Request, image: bool = False) -> dict[str, Any]:
        client = openai.AsyncOpenAI(api_key="sk-lazy", base_url=f"{upstream.url}/v1", max_retries=0)
        msgs = openai_chat_messages(jpeg) if image else [{"role": "user", "content": "Hello"}]
        await client.chat.completions.create(model="gpt-4o", messages=msgs)
        return _state(request)

    app.add_middleware(HeadroomMiddleware, max_workers=1)
    with ServerThread(app) as server:
        text = _post(server, "/ask")
        assert recorder.last("/v1/chat/completions").json()["messages"][0]["content"] == "Hello"
        with_image = _post(server, "/ask", params={"image": "true"})
    assert text.json()["headroom"] is None and "x-headroom-technique" not in text.headers
    assert is_compressed(images_in(recorder.last("/v1/chat/completions").body)[0], jpeg)
    assert with_image.headers["x-headroom-technique"] == "full_low"
