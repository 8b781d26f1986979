"""HeadroomClient / AsyncHeadroomClient: the real SDK classes, wired to the transport."""

from __future__ import annotations

import asyncio
import sys

import anthropic
import openai
import pytest

from headroom_edge import ImageCompressor
from headroom_edge.integrations import (
    AsyncHeadroomClient,
    AsyncHeadroomTransport,
    HeadroomClient,
    HeadroomTransport,
)
from tests.integrations.fake_provider import ANSWER, Recorder
from tests.integrations.helpers import anthropic_messages, images_in, openai_chat_messages
from tests.integrations.servers import ServerThread


def test_openai_client(
    upstream: ServerThread, recorder: Recorder, compressor: ImageCompressor, jpeg: bytes
) -> None:
    client = HeadroomClient(
        "openai", compressor=compressor, api_key="sk-c", base_url=f"{upstream.url}/v1"
    )
    assert isinstance(client, openai.OpenAI)
    assert client.last_result is None and client.last_savings is None
    completion = client.chat.completions.create(model="gpt-4o", messages=openai_chat_messages(jpeg))
    assert completion.choices[0].message.content == ANSWER
    assert images_in(recorder.last("/v1/chat/completions").body)[0].detail == "low"
    assert client.last_result.technique.value == "full_low"
    assert (
        client.last_savings == pytest.approx(client.last_result.savings_percent)
        and client.last_savings > 50
    )
    assert isinstance(client.headroom_transport, HeadroomTransport)
    # Copies share the http client, hence the transport and its results.
    assert client.with_options(timeout=5).last_result is client.last_result


def test_anthropic_client(
    upstream: ServerThread, recorder: Recorder, compressor: ImageCompressor, jpeg: bytes
) -> None:
    client = HeadroomClient(
        "anthropic", compressor=compressor, api_key="sk-ant-c", base_url=upstream.url
    )
    assert isinstance(client, anthropic.Anthropic)
    message = client.messages.create(
        model="claude-opus-4-7", max_tokens=50, messages=anthropic_messages(jpeg)
    )
    assert message.content[0].text == ANSWER
    assert images_in(recorder.last("/v1/messages").body)[0].nbytes < len(jpeg)
    assert client.last_result.technique.value == "full_low"


def test_async_clients(upstream: ServerThread, compressor: ImageCompressor, jpeg: bytes) -> None:
    async def main() -> None:
        client = AsyncHeadroomClient(
            "anthropic", compressor=compressor, api_key="sk-ant-c", base_url=upstream.url
        )
        assert isinstance(client, anthropic.AsyncAnthropic)
        assert isinstance(client.headroom_transport, AsyncHeadroomTransport)
        message = await client.messages.create(
            model="claude-opus-4-7", max_tokens=50, messages=anthropic_messages(jpeg)
        )
        assert message.content[0].text == ANSWER
        assert client.last_result.technique.value == "full_low"
        await client.close()
        oai = AsyncHeadroomClient(
            "openai", compressor=compressor, api_key="k", base_url=upstream.url
        )
        assert isinstance(oai, openai.AsyncOpenAI)
        await oai.close()

    asyncio.run(main())


def test_bad_arguments(compressor: ImageCompressor) -> None:
    with pytest.raises(ValueError, match="unknown provider"):
        HeadroomClient("mistral", compressor=compressor)
    with pytest.raises(TypeError, match="HeadroomTransport"):
        HeadroomClient("openai", compressor=compressor, api_key="k", http_client=object())


def test_missing_sdk_names_the_extra(
    compressor: ImageCompressor, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The SDK is installed here; hide it the way Python reports an absent package.
    monkeypatch.setitem(sys.modules, "anthropic", None)
    with pytest.raises(ImportError, match=r"pip install headroom-edge\[sdk\]"):
        HeadroomClient("anthropic", compressor=compressor)
