"""A stand-in for the real provider APIs (the one thing tests cannot reach).

It records every request exactly as received (method, path, query, raw headers, body bytes) and
answers in each provider's real response shape, streaming SSE the way the providers do, so the
unchanged SDKs parse the answers. Test knobs travel as request headers:

* ``x-test-delay: <seconds>``   sleep before sending response headers (504 tests);
* ``x-test-fail-once: <key>``   answer 500 the first time a key is seen (retry tests);
* ``x-test-chunks: <n>``        number of streamed text chunks (default 4).

Streamed chunks are separated by :data:`CHUNK_GAP` seconds and each send time is recorded, so a
test can prove the first chunk reached the client before the last one left the upstream.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

ANSWER = "An astronaut in a white spacesuit stands in front of an American flag."
CHUNK_GAP = 0.15


@dataclass
class Received:
    method: str
    path: str
    query: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key == name.lower():
                return value
        return None

    def has_header(self, name: str) -> bool:
        return any(key == name.lower() for key, _ in self.headers)

    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class StreamLog:
    """Send times (time.monotonic) of one streamed response's chunks, and how it ended."""

    sent: list[float] = field(default_factory=list)
    finished: bool = False
    closed_early: bool = False


class Recorder:
    """Everything the fake upstream saw; shared between its server thread and the tests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: list[Received] = []
        self.streams: dict[str, StreamLog] = {}
        self._failed: set[str] = set()

    def add(self, item: Received) -> None:
        with self._lock:
            self.requests.append(item)

    def last(self, path_part: str = "") -> Received:
        with self._lock:
            for item in reversed(self.requests):
                if path_part in item.path:
                    return item
        raise AssertionError(f"upstream received no request matching {path_part!r}")

    def matching(self, path_part: str) -> list[Received]:
        with self._lock:
            return [r for r in self.requests if path_part in r.path]

    def first_failure(self, key: str) -> bool:
        with self._lock:
            if key in self._failed:
                return False
            self._failed.add(key)
            return True

    def stream_log(self, key: str) -> StreamLog:
        with self._lock:
            return self.streams.setdefault(key, StreamLog())


def _pieces(request: Request) -> list[str]:
    n = int(request.headers.get("x-test-chunks", "4"))
    words = ANSWER.split(" ")
    size = max(1, -(-len(words) // n))
    chunks = [" ".join(words[i : i + size]) for i in range(0, len(words), size)]
    return [c if i == 0 else " " + c for i, c in enumerate(chunks)]


def create_fake_provider(recorder: Recorder) -> Starlette:
    async def record(request: Request) -> tuple[Received, Response | None]:
        received = Received(
            method=request.method,
            path=request.url.path,
            query=request.url.query,
            headers=[
                (k.decode("latin-1"), v.decode("latin-1")) for k, v in request.scope["headers"]
            ],
            body=await request.body(),
        )
        recorder.add(received)
        delay = float(request.headers.get("x-test-delay", "0"))
        if delay:
            await asyncio.sleep(delay)
        key = request.headers.get("x-test-fail-once")
        if key and recorder.first_failure(key):
            return received, JSONResponse(
                {"type": "error", "error": {"type": "api_error", "message": "try again"}},
                status_code=500,
                headers={"retry-after-ms": "10", "x-should-retry": "true"},
            )
        return received, None

    def sse(events: list[str], request: Request) -> StreamingResponse:
        log = recorder.stream_log(request.headers.get("x-test-stream-id", "default"))

        async def gen() -> AsyncIterator[bytes]:
            # Logged before each yield: a client can hold a chunk before the server resumes this
            # generator, and a test that read the log after the last chunk arrived found the
            # stream unfinished on a loaded box.
            try:
                for i, event in enumerate(events):
                    if i:
                        await asyncio.sleep(CHUNK_GAP)
                    log.sent.append(time.monotonic())
                    if i == len(events) - 1:
                        log.finished = True
                    yield event.encode("utf-8")
            finally:
                if not log.finished:
                    log.closed_early = True

        return StreamingResponse(gen(), media_type="text/event-stream")

    async def openai_chat(request: Request) -> Response:
        received, early = await record(request)
        if early is not None:
            return early
        body = received.json()
        model = body.get("model", "gpt-4o")
        if body.get("stream"):

            def chunk(delta: dict, finish: str | None) -> str:
                data = {
                    "id": "chatcmpl-1",
                    "object": "chat.completion.chunk",
                    "created": 1,
                    "model": model,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                }
                return f"data: {json.dumps(data)}\n\n"

            events = [chunk({"role": "assistant", "content": ""}, None)]
            events += [chunk({"content": p}, None) for p in _pieces(request)]
            events += [chunk({}, "stop"), "data: [DONE]\n\n"]
            return sse(events, request)
        return JSONResponse(
            {
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "created": 1,
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": ANSWER},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 100, "completion_tokens": 12, "total_tokens": 112},
            }
        )

    async def openai_responses(request: Request) -> Response:
        received, early = await record(request)
        if early is not None:
            return early
        model = received.json().get("model", "gpt-4o")
        return JSONResponse(
            {
                "id": "resp_1",
                "object": "response",
                "created_at": 1,
                "status": "completed",
                "model": model,
                "output": [
                    {
                        "type": "message",
                        "id": "msg_1",
                        "status": "completed",
                        "role": "assistant",
                        "content": [{"type": "output_text", "text": ANSWER, "annotations": []}],
                    }
                ],
                "parallel_tool_calls": True,
                "tool_choice": "auto",
                "tools": [],
                "usage": {"input_tokens": 100, "output_tokens": 12, "total_tokens": 112},
            }
        )

    async def anthropic_messages(request: Request) -> Response:
        received, early = await record(request)
        if early is not None:
            return early
        body = received.json()
        model = body.get("model", "claude-sonnet-4-5")
        message = {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": ANSWER}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": 100, "output_tokens": 12},
        }
        if not body.get("stream"):
            return JSONResponse(message)

        def event(name: str, data: dict) -> str:
            return f"event: {name}\ndata: {json.dumps(data)}\n\n"

        start = {**message, "content": [], "stop_reason": None}
        start["usage"] = {"input_tokens": 100, "output_tokens": 1}
        events = [
            event("message_start", {"type": "message_start", "message": start}),
            event(
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "text", "text": ""},
                },
            ),
        ]
        events += [
            event(
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": p},
                },
            )
            for p in _pieces(request)
        ]
        events += [
            event("content_block_stop", {"type": "content_block_stop", "index": 0}),
            event(
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                    "usage": {"output_tokens": 12},
                },
            ),
            event("message_stop", {"type": "message_stop"}),
        ]
        return sse(events, request)

    async def gemini(request: Request) -> Response:
        _, early = await record(request)
        if early is not None:
            return early
        model_action = request.path_params["model_action"]
        model, _, action = model_action.partition(":")

        def candidate(text: str, final: bool) -> dict:
            data: dict = {
                "candidates": [
                    {
                        "content": {"role": "model", "parts": [{"text": text}]},
                        "index": 0,
                        **({"finishReason": "STOP"} if final else {}),
                    }
                ],
                "modelVersion": model,
            }
            if final:
                data["usageMetadata"] = {
                    "promptTokenCount": 100,
                    "candidatesTokenCount": 12,
                    "totalTokenCount": 112,
                }
            return data

        if action == "generateContent":
            return JSONResponse(candidate(ANSWER, True))
        if action == "streamGenerateContent":
            pieces = _pieces(request)
            events = [
                f"data: {json.dumps(candidate(p, i == len(pieces) - 1))}\r\n\r\n"
                for i, p in enumerate(pieces)
            ]
            return sse(events, request)
        return JSONResponse({"error": {"code": 404, "message": "unknown action"}}, status_code=404)

    async def models(request: Request) -> Response:
        await record(request)
        return JSONResponse({"object": "list", "data": [{"id": "gpt-4o", "object": "model"}]})

    async def echo(request: Request) -> Response:
        received, _ = await record(request)
        return Response(received.body, media_type="application/octet-stream")

    return Starlette(
        routes=[
            Route("/v1/chat/completions", openai_chat, methods=["POST"]),
            Route("/v1/responses", openai_responses, methods=["POST"]),
            Route("/v1/messages", anthropic_messages, methods=["POST"]),
            Route("/v1beta/models/{model_action}", gemini, methods=["POST"]),
            Route("/v1/models/{model_action}", gemini, methods=["POST"]),
            Route("/v1/models", models, methods=["GET"]),
            Route("/v1/echo", echo, methods=["POST", "PUT"]),
        ]
    )
