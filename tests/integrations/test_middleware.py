"""HeadroomMiddleware: in a real FastAPI app served by uvicorn and driven by the real SDKs, and
at the ASGI level for the exact message contract (replay, headers, pass-through, shedding)."""

from __future__ import annotations

import asyncio
import gzip
import json
import threading
from collections.abc import Iterator
from typing import Any

import anthropic
import httpx
import openai
import pytest
from fastapi import FastAPI, Request

from headroom_edge import ImageCompressor
from headroom_edge.integrations import HeadroomMiddleware, Metrics, WorkerPool, route
from tests.integrations.helpers import (
    anthropic_messages,
    images_in,
    openai_chat_body,
    openai_chat_messages,
    to_bytes,
)
from tests.integrations.servers import ServerThread

# -- a FastAPI app with the middleware, behind uvicorn, called by the SDKs -----------------------


def _echo(request: Request, body: bytes) -> dict[str, Any]:
    """What the app saw: body facts, headers and the middleware's result."""
    result = request.scope.get("state", {}).get("headroom")
    return {
        "images": [img.__dict__ for img in images_in(body)],
        "body_len": len(body),
        "content_length": request.headers.get("content-length"),
        "transfer_encoding": request.headers.get("transfer-encoding"),
        "headroom": result.to_dict() if result is not None else None,
        "state_attr": getattr(request.state, "headroom", None) is result,
    }


def _fastapi_app(compressor: ImageCompressor) -> FastAPI:
    app = FastAPI()

    async def chat(request: Request) -> dict[str, Any]:
        seen = _echo(request, await request.body())
        return {
            "id": "chatcmpl-app",
            "object": "chat.completion",
            "created": 1,
            "model": "gpt-4o",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": json.dumps(seen)},
                    "finish_reason": "stop",
                }
            ],
        }

    @app.post("/v1/messages")
    async def messages(request: Request) -> dict[str, Any]:
        seen = _echo(request, await request.body())
        return {
            "id": "msg_app",
            "type": "message",
            "role": "assistant",
            "model": "claude-opus-4-7",
            "content": [{"type": "text", "text": json.dumps(seen)}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": 1, "output_tokens": 1},
        }

    app.add_api_route("/v1/chat/completions", chat, methods=["POST"])
    app.add_api_route("/gateway/chat/completions", chat, methods=["POST"])  # no /v1 segment
    app.add_middleware(HeadroomMiddleware, compressor=compressor, max_workers=2)
    return app


@pytest.fixture(scope="module")
def fastapi_server(compressor: ImageCompressor) -> Iterator[ServerThread]:
    with ServerThread(_fastapi_app(compressor)) as server:
        yield server


def test_fastapi_app_sees_compressed_body_and_result(
    fastapi_server: ServerThread, jpeg: bytes
) -> None:
    client = openai.OpenAI(api_key="sk-app", base_url=f"{fastapi_server.url}/v1", max_retries=0)
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4o", messages=openai_chat_messages(jpeg)
    )
    seen = json.loads(raw.parse().choices[0].message.content)
    assert seen["images"][0]["detail"] == "low"
    assert int(seen["content_length"]) == seen["body_len"]
    assert seen["headroom"]["technique"] == "full_low"
    assert seen["headroom"]["compressed_tokens"] < seen["headroom"]["original_tokens"]
    assert seen["state_attr"] is True  # request.state.headroom is the same object
    assert raw.headers["x-headroom-technique"] == "full_low"
    assert raw.headers["x-headroom-tokens-before"] == str(seen["headroom"]["original_tokens"])


def test_fastapi_app_under_a_base_path_without_v1(
    fastapi_server: ServerThread, jpeg: bytes
) -> None:
    client = openai.OpenAI(api_key="sk-app", base_url=f"{fastapi_server.url}/gateway")
    completion = client.chat.completions.create(model="gpt-4o", messages=openai_chat_messages(jpeg))
    seen = json.loads(completion.choices[0].message.content)
    assert seen["headroom"]["technique"] == "full_low"


def test_fastapi_app_with_anthropic_sdk(fastapi_server: ServerThread, jpeg: bytes) -> None:
    client = anthropic.Anthropic(api_key="sk-ant-app", base_url=fastapi_server.url, max_retries=0)
    message = client.messages.create(
        model="claude-opus-4-7", max_tokens=50, messages=anthropic_messages(jpeg)
    )
    seen = json.loads(message.content[0].text)
    assert seen["headroom"]["technique"] == "full_low"
    assert seen["images"][0]["nbytes"] < len(jpeg)


def test_bypass_header_reaches_app_unchanged(fastapi_server: ServerThread, jpeg: bytes) -> None:
    client = openai.OpenAI(api_key="sk-app", base_url=f"{fastapi_server.url}/v1", max_retries=0)
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4o",
        messages=openai_chat_messages(jpeg),
        extra_headers={"x-headroom-bypass": "true"},
    )
    seen = json.loads(raw.parse().choices[0].message.content)
    assert seen["headroom"] is None and seen["images"][0]["detail"] is None
    assert "x-headroom-technique" not in raw.headers


# -- the ASGI contract, message by message ---------------------------------------------------------


class Capture:
    """An ASGI app that records the scope and every message ``receive`` gives it."""

    def __init__(self, reads: int = 1) -> None:
        self.reads = reads
        self.scope: dict[str, Any] = {}
        self.messages: list[dict[str, Any]] = []
        self.receive: Any = None
        self.send: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.scope, self.receive, self.send = scope, receive, send
        for _ in range(self.reads):
            self.messages.append(await receive())
        await send({"type": "http.response.start", "status": 200, "headers": [(b"x-app", b"1")]})
        await send({"type": "http.response.body", "body": b"ok", "more_body": False})

    @property
    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.messages if m["type"] == "http.request")

    def header(self, name: bytes) -> bytes | None:
        return dict(self.scope["headers"]).get(name)


def _scope(path: str = "/v1/chat/completions", method: str = "POST", **headers: str) -> dict:
    raw = [(k.replace("_", "-").encode(), v.encode()) for k, v in headers.items()]
    return {"type": "http", "method": method, "path": path, "headers": raw, "state": {}}


def _call(
    mw: HeadroomMiddleware, scope: dict, chunks: list[bytes], *, end: bool = True
) -> tuple[list[dict], Any, Any]:
    """Run one request through ``mw``; returns the sent messages and the real receive/send."""
    incoming: list[dict] = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1 or not end}
        for i, c in enumerate(chunks)
    ]
    incoming.append({"type": "http.disconnect"})
    sent: list[dict] = []

    async def receive() -> dict:
        return incoming.pop(0)

    async def send(message: dict) -> None:
        sent.append(message)

    asyncio.run(mw(scope, receive, send))
    return sent, receive, send


def _mw(app: Capture, compressor: ImageCompressor, **options: Any) -> HeadroomMiddleware:
    return HeadroomMiddleware(app, compressor, **options)


def test_untouched_requests_get_the_original_receive_and_send(compressor: ImageCompressor) -> None:
    for scope in (
        _scope("/v1/models", method="GET"),
        _scope("/v1/embeddings", content_type="application/json"),
        _scope("/v1/chat/completions", content_type="multipart/form-data"),
    ):
        app = Capture()
        _, receive, send = _call(_mw(app, compressor), scope, [b"{}"])
        assert app.receive is receive and app.send is send and app.scope is scope


def test_body_replayed_once_then_real_messages(compressor: ImageCompressor, jpeg: bytes) -> None:
    body = to_bytes(openai_chat_body(jpeg))
    chunks = [body[:1000], body[1000:50000], body[50000:]]
    app = Capture(reads=2)
    scope = _scope(content_type="application/json", transfer_encoding="chunked")
    sent, _, _ = _call(_mw(app, compressor), scope, chunks)
    first, second = app.messages
    assert first["type"] == "http.request" and first["more_body"] is False
    assert second == {"type": "http.disconnect"}
    assert images_in(first["body"])[0].detail == "low"
    assert app.header(b"content-length") == str(len(first["body"])).encode()
    assert app.header(b"transfer-encoding") is None
    assert app.scope["state"]["headroom"].technique.value == "full_low"
    assert scope["headers"] != app.scope["headers"]  # the caller's scope was not mutated
    headers = dict(sent[0]["headers"])
    assert headers[b"x-app"] == b"1" and headers[b"x-headroom-technique"] == b"full_low"


def test_disabled_or_bypassed_passes_bytes_through(
    compressor: ImageCompressor, jpeg: bytes
) -> None:
    body = to_bytes(openai_chat_body(jpeg))
    metrics = Metrics()
    cases = [
        (_mw(Capture(), None, enabled=False), _scope(content_type="application/json")),
        (
            _mw(Capture(), compressor, metrics=metrics),
            _scope(content_type="application/json", x_headroom_bypass="true"),
        ),
    ]
    for mw, scope in cases:
        _call(mw, scope, [body])
        app: Capture = mw.app  # type: ignore[assignment]
        assert app.body == body and "headroom" not in app.scope["state"]
    assert cases[0][0].compressor is None  # disabled: the default compressor is never built
    assert metrics.value("headroom_bypass_total") == 1


def test_imageless_json_is_not_sent_to_the_pool(compressor: ImageCompressor) -> None:
    body = json.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}).encode()
    app = Capture()
    mw = _mw(app, compressor)
    _call(mw, _scope(content_type="application/json"), [body])
    assert app.body == body and "headroom" not in app.scope["state"]
    assert mw.metrics.value("headroom_compressions_total", outcome="unchanged") == 0


def test_gzip_body_is_inflated_and_sent_plain(compressor: ImageCompressor, jpeg: bytes) -> None:
    body = to_bytes(openai_chat_body(jpeg))
    app = Capture()
    _call(
        _mw(app, compressor),
        _scope(content_type="application/json", content_encoding="gzip"),
        [gzip.compress(body)],
    )
    assert app.header(b"content-encoding") is None
    assert images_in(app.body)[0].detail == "low"
    assert app.header(b"content-length") == str(len(app.body)).encode()


def test_gzip_without_images_keeps_the_original_gzip_bytes(compressor: ImageCompressor) -> None:
    zipped = gzip.compress(b'{"model":"gpt-4o","messages":[]}')
    app = Capture()
    _call(
        _mw(app, compressor),
        _scope(content_type="application/json", content_encoding="gzip"),
        [zipped],
    )
    assert app.body == zipped and app.header(b"content-encoding") == b"gzip"


def test_gzip_bomb_and_corrupt_gzip_fail_open(compressor: ImageCompressor, jpeg: bytes) -> None:
    bomb = gzip.compress(b'{"image_url": "' + b" " * 3_000_000 + b'"}')
    corrupt = gzip.compress(to_bytes(openai_chat_body(jpeg)))[:-100]
    metrics = Metrics()
    for payload in (bomb, corrupt):
        app = Capture()
        mw = _mw(app, compressor, max_body_bytes=1_000_000, metrics=metrics)
        _call(mw, _scope(content_type="application/json", content_encoding="gzip"), [payload])
        assert app.body == payload and app.header(b"content-encoding") == b"gzip"
    assert metrics.value("headroom_fail_open_total", reason="too_large") == 1
    assert metrics.value("headroom_fail_open_total", reason="bad_encoding") == 1


def test_body_over_the_limit_is_streamed_through_exactly(
    compressor: ImageCompressor, jpeg: bytes
) -> None:
    body = to_bytes(openai_chat_body(jpeg))
    chunks = [body[i : i + 20000] for i in range(0, len(body), 20000)]
    app = Capture(reads=len(chunks) - 2)  # the middleware replays what it read as one message
    mw = _mw(app, compressor, max_body_bytes=50_000)
    _call(mw, _scope(content_type="application/json"), chunks)
    assert app.body == body
    assert mw.metrics.value("headroom_fail_open_total", reason="too_large") == 1


def test_compressor_error_fails_open(compressor: ImageCompressor, jpeg: bytes) -> None:
    body = to_bytes(openai_chat_body(jpeg))
    app = Capture()
    # An unknown wire format makes the real compressor raise: the request must still go through.
    mw = _mw(app, compressor, routes=[route(r"/chat/completions$", "broken", "no_such_format")])
    _call(mw, _scope(content_type="application/json"), [body])
    assert app.body == body
    assert mw.metrics.value("headroom_fail_open_total", reason="error") == 1


def _occupy(pool: WorkerPool) -> threading.Event:
    """Fill the pool's only worker with a job that blocks until the returned event is set."""
    release = threading.Event()
    started = threading.Event()

    def block() -> None:
        started.set()
        release.wait(10)

    threading.Thread(target=lambda: asyncio.run(pool.run(block, budget_s=30)), daemon=True).start()
    assert started.wait(5)
    return release


@pytest.mark.parametrize(("queue_limit", "reason"), [(0, "queue_full"), (1, "time_budget")])
def test_saturated_pool_sheds_to_uncompressed(
    compressor: ImageCompressor, jpeg: bytes, queue_limit: int, reason: str
) -> None:
    body = to_bytes(openai_chat_body(jpeg, model="gpt-4.1"))
    pool = WorkerPool(max_workers=1, queue_limit=queue_limit, time_budget_s=0.3)
    release = _occupy(pool)
    try:
        app = Capture()
        mw = _mw(app, compressor, pool=pool)
        sent, _, _ = _call(mw, _scope(content_type="application/json"), [body])
        assert app.body == body and "headroom" not in app.scope["state"]
        # a queued job may be shed before its budget ends once it cannot fit (issue 11)
        reasons = (reason, "over_budget") if reason == "time_budget" else (reason,)
        assert sum(mw.metrics.value("headroom_shed_total", reason=r) for r in reasons) == 1
        assert b"x-headroom-technique" not in dict(sent[0]["headers"])
    finally:
        release.set()
        pool.close(wait=True)
    assert pool.in_flight == 0  # the queued job was cancelled, the blocker finished


# -- nothing the compression side raises fails the request (issue 11, defect 6) ------------------


class _Broken:
    """A compressor failing where the middleware calls it: the pre-check or the compression."""

    def __init__(self, *, precheck: BaseException | None = None, compress: BaseException | None = None):
        self.precheck, self.compress = precheck, compress

    def body_may_have_images(self, body: bytes) -> bool:
        if self.precheck is not None:
            raise self.precheck
        return True

    def compress_body(self, body: Any, **options: Any) -> Any:
        raise self.compress or RuntimeError("unreachable")


def _echo_app(compressor: Any) -> FastAPI:
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> dict[str, Any]:
        body = await request.body()
        return {"body_len": len(body), "images": [img.__dict__ for img in images_in(body)]}

    app.add_middleware(HeadroomMiddleware, compressor=compressor, max_workers=1)
    return app


@pytest.mark.parametrize(
    "broken",
    [
        _Broken(precheck=RuntimeError("pre-check bug")),
        _Broken(precheck=SystemExit(2)),
        _Broken(compress=SystemExit(1)),
        _Broken(compress=KeyboardInterrupt()),  # raised in a worker thread: the job's own doing
        _Broken(compress=GeneratorExit()),
        _Broken(compress=asyncio.CancelledError()),  # the job's, not this request's, cancellation
    ],
    ids=["precheck-error", "precheck-exit", "exit", "interrupt", "generator-exit", "cancelled"],
)
def test_compression_side_exceptions_never_fail_the_request(broken: _Broken, jpeg: bytes) -> None:
    """Failed before the fix: a raising pre-check or a SystemExit from compress_body gave 500."""
    body = to_bytes(openai_chat_body(jpeg))
    with ServerThread(_echo_app(broken)) as server, httpx.Client(trust_env=False) as client:
        first = client.post(f"{server.url}/v1/chat/completions", content=body,
                            headers={"content-type": "application/json"})
        again = client.post(f"{server.url}/v1/chat/completions", content=body,
                            headers={"content-type": "application/json"})
    for response in (first, again):  # and the server keeps serving
        assert response.status_code == 200
        assert response.json()["body_len"] == len(body)
        assert response.json()["images"][0]["nbytes"] == len(jpeg)
