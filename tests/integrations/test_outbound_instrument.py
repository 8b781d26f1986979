"""headroom_edge.instrument() / uninstrument(): outbound compression for code without an app."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import anthropic
import httpx
import openai
import pytest
from fastapi import FastAPI

import headroom_edge
from headroom_edge import ImageCompressor
from headroom_edge.integrations import HeadroomMiddleware
from headroom_edge.integrations.outbound import HOOKS
from headroom_edge.results import CompressionResult
from tests.factories import b64
from tests.integrations.fake_provider import Recorder
from tests.integrations.helpers import (
    anthropic_messages,
    images_in,
    is_compressed,
    openai_chat_messages,
    patched_transport_methods,
)
from tests.integrations.servers import ServerThread


@pytest.fixture
def instrumented(compressor: ImageCompressor) -> Iterator[Any]:
    before = patched_transport_methods()
    owner = headroom_edge.instrument(compressor, max_workers=1)
    try:
        yield owner
    finally:
        headroom_edge.uninstrument()
    assert patched_transport_methods() == before


def test_sync_openai_script(
    instrumented: Any, upstream: ServerThread, recorder: Recorder, jpeg: bytes
) -> None:
    client = openai.OpenAI(api_key="sk-script", base_url=f"{upstream.url}/v1", max_retries=0)
    client.chat.completions.create(model="gpt-4o", messages=openai_chat_messages(jpeg))
    (image,) = images_in(recorder.last("/v1/chat/completions").body)
    assert is_compressed(image, jpeg)
    assert isinstance(instrumented.last_result, CompressionResult)
    assert instrumented.metrics.value("headroom_requests_total", route="-",
                                      upstream="outbound:openai_chat", status="200") >= 1


def test_async_anthropic_worker(
    instrumented: Any, upstream: ServerThread, recorder: Recorder, jpeg: bytes
) -> None:
    async def work() -> None:
        client = anthropic.AsyncAnthropic(api_key="sk-w", base_url=upstream.url, max_retries=0)
        await client.messages.create(
            model="claude-opus-4-7", max_tokens=20, messages=anthropic_messages(jpeg)
        )
        await client.close()

    asyncio.run(work())
    (image,) = images_in(recorder.last("/v1/messages").body)
    assert image.nbytes < len(jpeg)


def test_non_llm_calls_pass_byte_identical(
    instrumented: Any, upstream: ServerThread, recorder: Recorder, jpeg: bytes
) -> None:
    body = json.dumps({"image_url": {"url": f"data:image/jpeg;base64,{b64(jpeg)}"}}).encode()
    with httpx.Client(trust_env=False) as client:
        echoed = client.post(
            f"{upstream.url}/v1/echo", content=body, headers={"content-type": "application/json"}
        )
    assert echoed.content == body and recorder.last("/v1/echo").body == body


def test_instrument_is_idempotent_and_uninstrument_restores_exactly(
    compressor: ImageCompressor,
) -> None:
    before = patched_transport_methods()
    first = headroom_edge.instrument(compressor)
    patched = patched_transport_methods()
    assert headroom_edge.instrument() is first and patched_transport_methods() == patched  # second call: no-op
    headroom_edge.uninstrument()
    assert patched_transport_methods() == before and not HOOKS.installed
    headroom_edge.uninstrument()  # twice is fine
    assert patched_transport_methods() == before


def test_an_app_shutting_down_keeps_the_process_instrumentation(
    compressor: ImageCompressor, upstream: ServerThread, recorder: Recorder, jpeg: bytes
) -> None:
    before = patched_transport_methods()
    headroom_edge.instrument(compressor)
    try:
        app = FastAPI()
        app.add_middleware(HeadroomMiddleware, compressor=compressor)
        with ServerThread(app):
            pass
        client = openai.OpenAI(api_key="sk-after", base_url=f"{upstream.url}/v1", max_retries=0)
        client.chat.completions.create(model="gpt-4o", messages=openai_chat_messages(jpeg))
        assert is_compressed(images_in(recorder.last("/v1/chat/completions").body)[0], jpeg)
    finally:
        headroom_edge.uninstrument()
    assert patched_transport_methods() == before


def test_bypass_header_on_the_call(
    instrumented: Any, upstream: ServerThread, recorder: Recorder, jpeg: bytes
) -> None:
    client = openai.OpenAI(api_key="sk-b", base_url=f"{upstream.url}/v1", max_retries=0)
    client.chat.completions.create(
        model="gpt-4o",
        messages=openai_chat_messages(jpeg),
        extra_headers={"x-headroom-bypass": "1"},
    )
    (image,) = images_in(recorder.last("/v1/chat/completions").body)
    assert image.nbytes == len(jpeg)


class _Exploding:
    """A compressor that fails in every way a buggy one can (BaseException included)."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    def body_may_have_images(self, body: bytes) -> bool:
        return True

    def compress_body(self, body: Any, **options: Any) -> Any:
        raise self.exc


@pytest.mark.parametrize("exc", [RuntimeError("bug"), SystemExit(3), GeneratorExit()])
def test_failing_compressor_sends_the_call_as_is(
    exc: BaseException, upstream: ServerThread, recorder: Recorder, jpeg: bytes
) -> None:
    owner = headroom_edge.instrument(_Exploding(exc))
    try:
        client = openai.OpenAI(api_key="sk-x", base_url=f"{upstream.url}/v1", max_retries=0)
        client.chat.completions.create(model="gpt-4o", messages=openai_chat_messages(jpeg))
    finally:
        headroom_edge.uninstrument()
    (image,) = images_in(recorder.last("/v1/chat/completions").body)
    assert image.nbytes == len(jpeg)
    assert owner.metrics.value("headroom_fail_open_total", reason="error") == 1


def test_keyboard_interrupt_in_the_calling_thread_propagates(
    upstream: ServerThread, jpeg: bytes
) -> None:
    """Inline (a script's own thread), Ctrl-C means stop: it is not swallowed as a failure."""
    headroom_edge.instrument(_Exploding(KeyboardInterrupt()))
    try:
        client = openai.OpenAI(api_key="sk-k", base_url=f"{upstream.url}/v1", max_retries=0)
        with pytest.raises(KeyboardInterrupt):
            client.chat.completions.create(model="gpt-4o", messages=openai_chat_messages(jpeg))
    finally:
        headroom_edge.uninstrument()
