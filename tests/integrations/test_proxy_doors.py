"""The proxy's optional doors (Azure OpenAI, Vertex AI, Ollama), end to end on loopback: real
SDK clients -> proxy (uvicorn) -> a fake door that records what arrives. Each door forwards with
images compressed and credentials, query and path as they came once its host is configured, and
is refused (JSON 404, nothing forwarded) while it is not."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import anthropic
import httpx
import openai
import pytest

from headroom_edge import ImageCompressor
from headroom_edge.integrations import ProxySettings, create_proxy_app
from tests import factories as f
from tests.integrations.doors import DoorRecorder, create_door
from tests.integrations.helpers import QUESTION, images_in, is_compressed
from tests.integrations.servers import ServerThread

ollama = pytest.importorskip("ollama")


@pytest.fixture(scope="module")
def door() -> Iterator[tuple[DoorRecorder, ServerThread]]:
    recorder = DoorRecorder()
    with ServerThread(create_door(recorder)) as server:
        yield recorder, server


def _settings(public_url: str, **doors: str) -> ProxySettings:
    return ProxySettings(openai_base_url=public_url, anthropic_base_url=public_url,
                         google_base_url=public_url, trust_env=False, workers=2, **doors)


@pytest.fixture(scope="module")
def open_proxy(door: tuple[DoorRecorder, ServerThread], compressor: ImageCompressor) -> Iterator[ServerThread]:
    """Every door configured, all pointing at the recording fake."""
    _, server = door
    settings = _settings(server.url, azure_openai_base_url=server.url, vertex_ai_base_url=server.url,
                         ollama_base_url=server.url)
    with ServerThread(create_proxy_app(settings, compressor=compressor)) as proxy:
        yield proxy


@pytest.fixture(scope="module")
def closed_proxy(door: tuple[DoorRecorder, ServerThread], compressor: ImageCompressor) -> Iterator[ServerThread]:
    """No door configured: the public APIs point at the fake, so a leak would be recorded."""
    _, server = door
    with ServerThread(create_proxy_app(_settings(server.url), compressor=compressor)) as proxy:
        yield proxy


def _photo_block() -> dict:
    return {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg",
                                        "data": base64.b64encode(f.photo_jpeg()).decode()}}


def _azure(url: str) -> openai.AzureOpenAI:
    return openai.AzureOpenAI(azure_endpoint=url, api_key="k", api_version="2024-10-21",
                              azure_deployment="prod-4o", max_retries=0)


def _azure_chat(client: openai.AzureOpenAI) -> None:
    client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": [
        {"type": "text", "text": QUESTION},
        {"type": "image_url", "image_url": {"url": f.data_url(f.photo_jpeg()), "detail": "high"}}]}])


def _vertex(url: str) -> anthropic.AnthropicVertex:
    return anthropic.AnthropicVertex(region="us-east5", project_id="proj-1", access_token="fake-token",
                                     base_url=f"{url}/v1", max_retries=0)


def _vertex_call(client: anthropic.AnthropicVertex) -> None:
    client.messages.create(model="claude-sonnet-4-5@20250929", max_tokens=64, messages=[
        {"role": "user", "content": [_photo_block(), {"type": "text", "text": QUESTION}]}])


def _ollama_chat(url: str) -> None:
    ollama.Client(host=url).chat(model="qwen2.5vl:7b", messages=[
        {"role": "user", "content": QUESTION, "images": [f.photo_jpeg()]}])


def test_azure_openai_forwards_compressed_with_key_and_query(
    door: tuple[DoorRecorder, ServerThread], open_proxy: ServerThread
) -> None:
    recorder, _ = door
    _azure_chat(_azure(open_proxy.url))
    seen = recorder.last()
    assert seen.path == "/openai/deployments/prod-4o/chat/completions"
    assert seen.query == "api-version=2024-10-21"
    assert seen.headers["api-key"] == "k"
    [image] = images_in(seen.body)
    assert is_compressed(image, f.photo_jpeg())


def test_vertex_claude_forwards_compressed_with_its_token(
    door: tuple[DoorRecorder, ServerThread], open_proxy: ServerThread
) -> None:
    recorder, _ = door
    _vertex_call(_vertex(open_proxy.url))
    seen = recorder.last()
    assert seen.path == ("/v1/projects/proj-1/locations/us-east5/publishers/anthropic/models/"
                         "claude-sonnet-4-5@20250929:rawPredict")
    assert seen.headers["authorization"] == "Bearer fake-token"
    [image] = images_in(seen.body)
    assert is_compressed(image, f.photo_jpeg())


def test_ollama_chat_forwards_compressed(door: tuple[DoorRecorder, ServerThread], open_proxy: ServerThread) -> None:
    recorder, _ = door
    _ollama_chat(open_proxy.url)
    seen = recorder.last()
    assert seen.path == "/api/chat"
    image = f.decode(base64.b64decode(seen.json()["messages"][0]["images"][0]))
    assert max(image.size) < 1024


@pytest.mark.parametrize(
    ("name", "call", "error"),
    [
        ("Azure OpenAI", lambda url: _azure_chat(_azure(url)), openai.NotFoundError),
        ("Vertex AI", lambda url: _vertex_call(_vertex(url)), anthropic.NotFoundError),
        ("Ollama", _ollama_chat, ollama.ResponseError),
    ],
)
def test_each_door_is_refused_until_configured(
    door: tuple[DoorRecorder, ServerThread], closed_proxy: ServerThread, name: str, call, error: type
) -> None:
    recorder, _ = door
    before = len(recorder.seen)
    with pytest.raises(error) as raised:
        call(closed_proxy.url)
    assert name in str(raised.value)
    assert len(recorder.seen) == before  # nothing reached any upstream


def test_refusal_is_clear_json(closed_proxy: ServerThread) -> None:
    r = httpx.post(f"{closed_proxy.url}/api/generate", json={"model": "m", "prompt": "hi"}, trust_env=False)
    assert r.status_code == 404
    error = r.json()["error"]
    assert error["type"] == "headroom_not_found" and "--ollama-base-url" in error["message"]


def test_azure_openai_through_the_transport(
    door: tuple[DoorRecorder, ServerThread], compressor: ImageCompressor
) -> None:
    """The same Azure call without a proxy: HeadroomTransport on the client's httpx client
    routes Azure's deployment paths from the one endpoint table."""
    from headroom_edge import HeadroomTransport

    recorder, server = door
    client = openai.AzureOpenAI(
        azure_endpoint=server.url, api_key="k", api_version="2024-10-21",
        azure_deployment="prod-4o", max_retries=0,
        http_client=httpx.Client(transport=HeadroomTransport(compressor=compressor)),
    )
    _azure_chat(client)
    seen = recorder.last()
    assert seen.path == "/openai/deployments/prod-4o/chat/completions"
    assert seen.query == "api-version=2024-10-21" and seen.headers["api-key"] == "k"
    [image] = images_in(seen.body)
    assert is_compressed(image, f.photo_jpeg())
