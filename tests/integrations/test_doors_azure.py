"""Azure OpenAI: bodies the real ``openai.AzureOpenAI`` / ``OpenAI`` clients send to deployment and
v1 paths are found and rewritten like OpenAI's (compress_body with the recorded path, no proxy)."""

from __future__ import annotations

import openai
import pytest

from headroom_edge import ImageCompressor
from headroom_edge.formats import endpoint_for
from tests import factories as f
from tests.integrations.doors import DoorRecorder, create_door, rewritten
from tests.integrations.servers import ServerThread

QUESTION = "What is in this photo?"


@pytest.fixture(scope="module")
def door() -> tuple[DoorRecorder, str]:
    recorder = DoorRecorder()
    with ServerThread(create_door(recorder)) as server:
        yield recorder, server.url


def test_deployment_chat_completions(door: tuple[DoorRecorder, str], compressor: ImageCompressor) -> None:
    recorder, url = door
    client = openai.AzureOpenAI(azure_endpoint=url, api_key="test-key", api_version="2024-10-21",
                                azure_deployment="prod-4o", max_retries=0)
    client.chat.completions.create(model="gpt-4o", temperature=0, messages=[{"role": "user", "content": [
        {"type": "text", "text": QUESTION},
        {"type": "image_url", "image_url": {"url": f.data_url(f.photo_jpeg()), "detail": "high"}}]}])
    seen = recorder.last()
    assert seen.path == "/openai/deployments/prod-4o/chat/completions" and "api-version=2024-10-21" in seen.query
    assert endpoint_for(seen.path).name == "azure_openai_chat"  # type: ignore[union-attr]
    body = rewritten(compressor, seen, "openai_chat", 1)
    assert body["messages"][0]["content"][1]["image_url"]["detail"] == "low"


def test_deployment_responses(door: tuple[DoorRecorder, str], compressor: ImageCompressor) -> None:
    recorder, url = door
    client = openai.AzureOpenAI(azure_endpoint=url, api_key="test-key", api_version="2025-04-01-preview",
                                azure_deployment="prod-4o", max_retries=0)
    client.responses.create(model="gpt-4o", input=[{"role": "user", "content": [
        {"type": "input_text", "text": QUESTION},
        {"type": "input_image", "image_url": f.data_url(f.photo_jpeg()), "detail": "auto"}]}])
    seen = recorder.last()
    assert seen.path == "/openai/responses" and "api-version=2025-04-01-preview" in seen.query
    assert endpoint_for(seen.path).name == "azure_openai_responses"  # type: ignore[union-attr]
    rewritten(compressor, seen, "openai_responses", 1)


def test_v1_paths_and_input_tokens(door: tuple[DoorRecorder, str], compressor: ImageCompressor) -> None:
    """The v1 style: a plain OpenAI client with base_url .../openai/v1/ (model in the body)."""
    recorder, url = door
    client = openai.OpenAI(base_url=f"{url}/openai/v1/", api_key="test-key", max_retries=0)
    items = [{"role": "user", "content": [
        {"type": "input_text", "text": QUESTION},
        {"type": "input_image", "image_url": f.data_url(f.photo_jpeg()), "detail": "auto"}]}]
    client.responses.create(model="gpt-4o", input=items)
    call = recorder.last()
    client.responses.input_tokens.count(model="gpt-4o", input=items)
    count = recorder.last()
    assert (call.path, count.path) == ("/openai/v1/responses", "/openai/v1/responses/input_tokens")
    assert [endpoint_for(s.path).name for s in (call, count)] == [  # type: ignore[union-attr]
        "azure_openai_responses", "azure_openai_responses_input_tokens"]
    sent, counted = rewritten(compressor, call, "openai_responses", 1), rewritten(compressor, count, "openai_responses", 1)
    assert sent["input"] == counted["input"]  # the count sees exactly what the call sends
