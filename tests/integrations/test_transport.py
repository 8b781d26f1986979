"""HeadroomTransport / AsyncHeadroomTransport under the real SDKs, against the fake provider."""

from __future__ import annotations

import asyncio
import json
import time

import anthropic
import httpx
import httpx2
import openai

from headroom_edge import ImageCompressor
from headroom_edge.integrations import AsyncHeadroomTransport, HeadroomTransport
from tests.integrations.fake_provider import ANSWER, Recorder
from tests.integrations.helpers import (
    anthropic_messages,
    images_in,
    openai_chat_body,
    openai_chat_messages,
    to_bytes,
)
from tests.integrations.servers import ServerThread


def test_openai_sdk_retry_sends_the_same_compressed_bytes(
    upstream: ServerThread, recorder: Recorder, compressor: ImageCompressor, jpeg: bytes
) -> None:
    transport = HeadroomTransport(compressor=compressor)
    client = openai.OpenAI(
        api_key="sk-t",
        base_url=f"{upstream.url}/v1",
        max_retries=2,
        http_client=httpx.Client(transport=transport),
    )
    completion = client.chat.completions.create(
        model="gpt-4o",
        messages=openai_chat_messages(jpeg),
        extra_headers={"x-test-fail-once": "oai-retry", "x-test-id": "oai-retry"},
    )
    assert completion.choices[0].message.content == ANSWER
    attempts = [
        r for r in recorder.matching("/v1/chat/completions") if r.header("x-test-id") == "oai-retry"
    ]
    assert len(attempts) == 2, "expected one 500 then one retry"
    assert attempts[0].body == attempts[1].body
    assert images_in(attempts[0].body)[0].detail == "low"
    assert transport.last_result is not None and transport.last_result.technique.value == "full_low"


def test_anthropic_sdk_retry_sends_the_same_compressed_bytes(
    upstream: ServerThread, recorder: Recorder, compressor: ImageCompressor, jpeg: bytes
) -> None:
    # This anthropic release only accepts clients of the httpx2 fork: wrap its transport.
    transport = HeadroomTransport(httpx2.HTTPTransport(), compressor)
    client = anthropic.Anthropic(
        api_key="sk-ant-t",
        base_url=upstream.url,
        max_retries=2,
        http_client=httpx2.Client(transport=transport),
    )
    message = client.messages.create(
        model="claude-opus-4-7",
        max_tokens=50,
        messages=anthropic_messages(jpeg),
        extra_headers={"x-test-fail-once": "ant-retry", "x-test-id": "ant-retry"},
    )
    assert message.content[0].text == ANSWER
    attempts = [
        r for r in recorder.matching("/v1/messages") if r.header("x-test-id") == "ant-retry"
    ]
    assert len(attempts) == 2 and attempts[0].body == attempts[1].body
    (image,) = images_in(attempts[0].body)
    assert image.nbytes < len(jpeg)
    assert int(attempts[1].header("content-length")) == len(attempts[1].body)


def test_async_transport_streams_through(
    upstream: ServerThread, recorder: Recorder, compressor: ImageCompressor, jpeg: bytes
) -> None:
    async def main() -> tuple[str, float]:
        transport = AsyncHeadroomTransport(compressor=compressor)
        client = openai.AsyncOpenAI(
            api_key="sk-t",
            base_url=f"{upstream.url}/v1",
            max_retries=0,
            http_client=httpx.AsyncClient(transport=transport),
        )
        stream = await client.chat.completions.create(
            model="gpt-4o",
            messages=openai_chat_messages(jpeg),
            stream=True,
            extra_headers={"x-test-stream-id": "async-transport"},
        )
        text, first_at = "", 0.0
        async for chunk in stream:
            piece = chunk.choices[0].delta.content or "" if chunk.choices else ""
            if piece and not first_at:
                first_at = time.monotonic()
            text += piece
        assert transport.last_result is not None
        await client.close()
        return text, first_at

    text, first_at = asyncio.run(main())
    assert text == ANSWER
    log = recorder.stream_log("async-transport")
    assert log.finished and first_at < log.sent[-1]
    assert images_in(recorder.last("/v1/chat/completions").body)[0].detail == "low"


def test_streamed_request_bodies_and_other_paths_pass_through(
    upstream: ServerThread, recorder: Recorder, compressor: ImageCompressor, jpeg: bytes
) -> None:
    body = to_bytes(openai_chat_body(jpeg))
    transport = HeadroomTransport(compressor=compressor)
    with httpx.Client(transport=transport) as client:
        # A generator body is never read into memory by the transport.
        r = client.post(
            f"{upstream.url}/v1/chat/completions",
            content=iter([body[:5000], body[5000:]]),
            headers={"content-type": "application/json", "x-test-id": "streamed-body"},
        )
        assert r.status_code == 200
        assert recorder.last("/v1/chat/completions").body == body
        # Not an LLM route: untouched even though the body has an image.
        r = client.post(
            f"{upstream.url}/v1/echo", content=body, headers={"content-type": "application/json"}
        )
        assert r.content == body
    assert transport.last_result is None


def test_bypass_header_is_honoured(
    upstream: ServerThread, recorder: Recorder, compressor: ImageCompressor, jpeg: bytes
) -> None:
    body = to_bytes(openai_chat_body(jpeg))
    with httpx.Client(transport=HeadroomTransport(compressor=compressor)) as client:
        client.post(
            f"{upstream.url}/v1/chat/completions",
            content=body,
            headers={"content-type": "application/json", "x-headroom-bypass": "1"},
        )
    assert recorder.last("/v1/chat/completions").body == body
    assert json.loads(body)["model"] == "gpt-4o"
