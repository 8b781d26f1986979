"""Vertex AI: Claude through ``anthropic.AnthropicVertex`` (fake access token) and Gemini through
google-genai with ``vertexai=True`` (fake credentials), both pointed at a loopback fake; the
recorded bodies are rewritten by compress_body at their real Vertex paths (no proxy)."""

from __future__ import annotations

import base64

import anthropic
import pytest
from google import genai
from google.genai import types
from google.oauth2.credentials import Credentials

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


def _claude(url: str) -> anthropic.AnthropicVertex:
    return anthropic.AnthropicVertex(region="us-east5", project_id="proj-1", access_token="fake-token",
                                     base_url=f"{url}/v1", max_retries=0)


def _photo_block() -> dict:
    return {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg",
                                        "data": base64.b64encode(f.photo_jpeg()).decode()}}


def test_claude_raw_predict_and_count_tokens(door: tuple[DoorRecorder, str], compressor: ImageCompressor) -> None:
    recorder, url = door
    client = _claude(url)
    messages = [{"role": "user", "content": [_photo_block(), {"type": "text", "text": QUESTION}]}]
    client.messages.create(model="claude-sonnet-4-5@20250929", max_tokens=64, messages=messages)
    call = recorder.last()
    client.messages.count_tokens(model="claude-sonnet-4-5@20250929", messages=messages)
    count = recorder.last()
    assert call.path.endswith("/publishers/anthropic/models/claude-sonnet-4-5@20250929:rawPredict")
    assert "anthropic_version" in call.json() and "model" not in call.json()  # the model is in the path
    assert [endpoint_for(s.path).name for s in (call, count)] == [  # type: ignore[union-attr]
        "vertex_anthropic_messages", "vertex_anthropic_count_tokens"]
    sent = rewritten(compressor, call, "anthropic_messages", 1)
    counted = rewritten(compressor, count, "anthropic_messages", 1)
    assert compressor.compress_body(call.body, path=call.path).result.model == "claude-sonnet-4-5@20250929"
    assert sent["messages"] == counted["messages"]


def _gemini(url: str) -> genai.Client:
    return genai.Client(vertexai=True, project="proj-1", location="us-central1",
                        credentials=Credentials(token="fake-token"),
                        http_options=types.HttpOptions(base_url=url, api_version="v1"))


def test_gemini_generate_and_count_tokens(door: tuple[DoorRecorder, str], compressor: ImageCompressor) -> None:
    recorder, url = door
    client = _gemini(url)
    contents = [types.Content(role="user", parts=[
        types.Part.from_bytes(data=f.photo_jpeg(), mime_type="image/jpeg"), types.Part.from_text(text=QUESTION)])]
    client.models.generate_content(model="gemini-3-pro-preview", contents=contents,
                                   config=types.GenerateContentConfig(temperature=0))
    call = recorder.last()
    client.models.count_tokens(model="gemini-3-pro-preview", contents=contents)
    count = recorder.last()
    assert call.path.endswith("/publishers/google/models/gemini-3-pro-preview:generateContent")
    assert [endpoint_for(s.path).name for s in (call, count)] == [  # type: ignore[union-attr]
        "vertex_gemini_generate", "vertex_gemini_count_tokens"]
    sent = rewritten(compressor, call, "gemini", 1)
    counted = rewritten(compressor, count, "gemini", 1)
    assert sent["contents"] == counted["contents"]
    types.Content.model_validate(sent["contents"][0])
