"""A loopback stand-in for the other doors (Azure, Vertex AI, Ollama): it records each request's
path and body and answers with the smallest response the SDKs parse. The tests then hand the
recorded body, with its real path, to ``ImageCompressor.compress_body`` (no proxy involved)."""

from __future__ import annotations

import copy
import json
import threading
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from headroom_edge import ImageCompressor
from headroom_edge.formats import detect_format

_CHAT = {"id": "c1", "object": "chat.completion", "created": 1, "model": "m", "choices": [
    {"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
_RESPONSE = {"id": "r1", "object": "response", "created_at": 1, "status": "completed", "model": "m",
             "output": [], "parallel_tool_calls": False, "tool_choice": "auto", "tools": []}
_MESSAGE = {"id": "m1", "type": "message", "role": "assistant", "model": "claude", "stop_reason": "end_turn",
            "content": [{"type": "text", "text": "ok"}], "usage": {"input_tokens": 1, "output_tokens": 1}}
_GEMINI = {"candidates": [{"content": {"role": "model", "parts": [{"text": "ok"}]}, "finishReason": "STOP"}]}
_OLLAMA = {"model": "m", "created_at": "2026-01-01T00:00:00Z", "done": True}

# (path suffix, answer); the first suffix the path ends with wins.
_ANSWERS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("/chat/completions", _CHAT),
    ("/responses/input_tokens", {"object": "response.input_tokens", "input_tokens": 5}),
    ("/responses", _RESPONSE),
    ("/messages/count_tokens", {"input_tokens": 5}),
    ("count-tokens:rawPredict", {"input_tokens": 5}),
    (":rawPredict", _MESSAGE),
    ("/messages", _MESSAGE),
    (":countTokens", {"totalTokens": 5}),
    (":generateContent", _GEMINI),
    ("/interactions", {"id": "i1", "object": "interaction", "status": "completed", "model": "m",
                       "created": "2026-01-01T00:00:00Z", "updated": "2026-01-01T00:00:00Z", "steps": []}),
    ("/api/chat", {**_OLLAMA, "message": {"role": "assistant", "content": "ok"}}),
    ("/api/generate", {**_OLLAMA, "response": "ok"}),
)


@dataclass
class Seen:
    path: str
    query: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class DoorRecorder:
    seen: list[Seen] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def last(self) -> Seen:
        with self._lock:
            assert self.seen, "the fake door received nothing"
            return self.seen[-1]


def create_door(recorder: DoorRecorder) -> Starlette:
    async def anything(request: Request) -> JSONResponse:
        seen = Seen(request.url.path, request.url.query, await request.body(), dict(request.headers))
        with recorder._lock:
            recorder.seen.append(seen)
        for suffix, answer in _ANSWERS:
            if seen.path.endswith(suffix):
                return JSONResponse(answer)
        return JSONResponse({"error": "unknown door path"}, status_code=404)

    return Starlette(routes=[Route("/{path:path}", anything, methods=["POST"])])


def without_images(body: dict[str, Any], path: str) -> dict[str, Any]:
    """``body`` with each image slot's part replaced by a marker: what must survive a rewrite."""
    out = copy.deepcopy(body)
    fmt = detect_format(out, path)
    assert fmt is not None
    for slot in fmt.find_images(out):
        slot.container[slot.position] = "<image>"
    return out


def rewritten(compressor: ImageCompressor, seen: Seen, expected_format: str, images: int) -> dict[str, Any]:
    """Compress a recorded body at its real path; check it found ``images`` images in
    ``expected_format``, rewrote them and kept every other field."""
    out = compressor.compress_body(seen.body, path=seen.path)
    assert out.wire_format == expected_format
    assert len(out.result.images) == images
    assert out.changed, [r.reason for r in out.result.images]
    body = json.loads(out.body)
    assert without_images(body, seen.path) == without_images(seen.json(), seen.path)
    assert body != seen.json()
    return body
