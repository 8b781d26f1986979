"""Ollama's native API through the real ``ollama`` client (0.6.3) against a loopback fake: the
bodies it sends to ``/api/chat`` and ``/api/generate`` are rewritten by compress_body (no proxy)."""

from __future__ import annotations

import base64
import json

import pytest

from headroom_edge import ImageCompressor, Technique
from tests import factories as f
from tests.integrations.doors import DoorRecorder, create_door, rewritten
from tests.integrations.servers import ServerThread

ollama = pytest.importorskip("ollama")


@pytest.fixture(scope="module")
def door() -> tuple[DoorRecorder, str]:
    recorder = DoorRecorder()
    with ServerThread(create_door(recorder)) as server:
        yield recorder, server.url


def test_chat_images_shrink(door: tuple[DoorRecorder, str], compressor: ImageCompressor) -> None:
    recorder, url = door
    ollama.Client(host=url).chat(model="qwen2.5vl:7b", options={"temperature": 0}, messages=[
        {"role": "user", "content": "What is in this photo?", "images": [f.photo_jpeg()]}])
    seen = recorder.last()
    assert seen.path == "/api/chat"
    body = rewritten(compressor, seen, "ollama_chat", 1)
    image = f.decode(base64.b64decode(body["messages"][0]["images"][0]))
    assert max(image.size) < 1024


def test_generate_transcode_puts_text_into_the_prompt(door: tuple[DoorRecorder, str],
                                                      compressor: ImageCompressor) -> None:
    recorder, url = door
    ollama.Client(host=url).generate(model="gemma3", prompt="Transcribe this document", images=[f.document_png()])
    seen = recorder.last()
    assert seen.path == "/api/generate"
    out = compressor.compress_body(seen.body, path=seen.path)
    assert out.changed and out.result.technique is Technique.TRANSCODE
    body = json.loads(out.body)
    assert body["prompt"].startswith("Transcribe this document\n\n") and "Northwind" in body["prompt"]
    assert all(isinstance(i, str) for i in body.get("images", []))  # images holds only base64
    assert {k: v for k, v in body.items() if k not in ("prompt", "images")} == {
        k: v for k, v in seen.json().items() if k not in ("prompt", "images")}
