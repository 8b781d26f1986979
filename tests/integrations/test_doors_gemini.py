"""Gemini API doors through google-genai itself: the Interactions API (``client.interactions``)
and a tool screenshot in ``functionResponse.parts``, whose transcode must stay valid for the SDK's
own pydantic types (compress_body with the recorded path, no proxy)."""

from __future__ import annotations

import base64
import json

import pytest
from google import genai
from google.genai import types

from headroom_edge import ImageCompressor, Technique
from headroom_edge.formats import endpoint_for
from headroom_edge.formats.gemini import OCR_TEXT_KEY
from tests import factories as f
from tests.integrations.doors import DoorRecorder, create_door, rewritten
from tests.integrations.servers import ServerThread


@pytest.fixture(scope="module")
def door() -> tuple[DoorRecorder, str]:
    recorder = DoorRecorder()
    with ServerThread(create_door(recorder)) as server:
        yield recorder, server.url


def _client(url: str) -> genai.Client:
    return genai.Client(api_key="test-key", http_options=types.HttpOptions(base_url=url))


def test_interactions_input(door: tuple[DoorRecorder, str], compressor: ImageCompressor) -> None:
    recorder, url = door
    client = _client(url)  # held: a collected client closes its connection pool
    client.interactions.create(model="gemini-3-flash-preview", input=[
        {"type": "text", "text": "What is in this photo?"},
        {"type": "image", "data": base64.b64encode(f.photo_jpeg()).decode(), "mime_type": "image/jpeg",
         "resolution": "high"}])
    seen = recorder.last()
    assert endpoint_for(seen.path).name == "gemini_interactions"  # type: ignore[union-attr]
    body = rewritten(compressor, seen, "gemini_interactions", 1)
    image = body["input"][0]["content"][1]
    assert image["resolution"] == "low"  # Gemini 3's low level, in this API's spelling


def test_function_response_transcode_stays_valid(door: tuple[DoorRecorder, str], compressor: ImageCompressor) -> None:
    recorder, url = door
    shot = types.FunctionResponsePart.from_bytes(data=f.document_png(), mime_type="image/png")
    contents = [
        types.Content(role="user", parts=[types.Part.from_text(text="Transcribe the document on screen")]),
        types.Content(role="model", parts=[types.Part.from_function_call(name="screenshot", args={})]),
        types.Content(role="user", parts=[types.Part.from_function_response(
            name="screenshot", response={"ok": True}, parts=[shot])]),
    ]
    client = _client(url)
    client.models.generate_content(model="gemini-3-pro-preview", contents=contents)
    seen = recorder.last()
    out = compressor.compress_body(seen.body, path=seen.path)
    assert out.changed and out.result.technique is Technique.TRANSCODE
    body = json.loads(out.body)
    part = body["contents"][2]["parts"]
    assert len(part) == 1  # no text part was added beside the function response
    response = part[0]["functionResponse"]
    assert "Northwind" in response["response"][OCR_TEXT_KEY] and response["response"]["ok"] is True
    assert all("text" not in p for p in response.get("parts", []))
    for content in body["contents"]:
        types.Content.model_validate(content)  # the SDK's own types accept every rewritten turn
