"""Computer use end to end: an agent loop that clicks a known target through the proxy.

Real anthropic and openai SDKs talk to the proxy (uvicorn, 127.0.0.1), which forwards to a fake
provider on another loopback port. Each turn the client renders a 1280x800 screen (a photo
wallpaper with one magenta button at a new, known place); the fake provider finds the button in
the screenshot *it received* by pixel search and answers with a computer-use click in that
image's coordinates, the way a real model does; the client checks the click lands inside the
button on its own screen. Streamed (SSE) and not.

With the tool declared the proxy keeps every screenshot's geometry and every click lands. The
broken variant (no declaration, a general question that routes to full_low) shows why it must:
the shrunk screenshot moves the click off the button.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import anthropic
import numpy as np
import openai
import pytest
from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from headroom_edge import ImageCompressor
from headroom_edge.integrations import ProxySettings, create_proxy_app
from tests.factories import b64, data_url, encode, photo
from tests.integrations.servers import ServerThread

SCREEN = (1280, 800)
BUTTON = (48, 32)
BUTTON_RGB = (255, 0, 255)
TARGETS = [(1150, 700), (130, 90), (640, 380), (1190, 40)]
"""Top-left corners of the button, one per turn: far from the origin, so a click computed on a
shrunk copy (all coordinates scaled down) misses every one of them."""
QUESTION = "Describe this picture in one sentence."
"""A general question: without a computer-use tool it routes to full_low (asserted below)."""
ANTHROPIC_TOOL = {"type": "computer_20251124", "name": "computer",
                  "display_width_px": SCREEN[0], "display_height_px": SCREEN[1], "display_number": 1}
OPENAI_TOOL = {"type": "computer_use_preview", "display_width": SCREEN[0], "display_height": SCREEN[1],
               "environment": "browser"}


# ----------------------------------------------------------------------------- the screen


def render_screen(corner: tuple[int, int]) -> bytes:
    """The screen as a PNG screenshot: a photo wallpaper with the button at ``corner``."""
    img = photo(*SCREEN)
    img.paste(Image.new("RGB", BUTTON, BUTTON_RGB), corner)
    return encode(img, "PNG")


def on_button(click: tuple[int, int], corner: tuple[int, int]) -> bool:
    return corner[0] <= click[0] < corner[0] + BUTTON[0] and corner[1] <= click[1] < corner[1] + BUTTON[1]


def locate_button(data: bytes) -> tuple[int, int]:
    """Centre of the magenta pixels, in the coordinates of this image (what a model sees)."""
    with Image.open(io.BytesIO(data)) as im:
        rgb = np.asarray(im.convert("RGB"), dtype=np.int16)
    mask = (rgb[..., 0] > 180) & (rgb[..., 1] < 100) & (rgb[..., 2] > 180)
    ys, xs = np.nonzero(mask)
    assert len(xs), "no button in the received screenshot"
    return round(float(xs.mean())), round(float(ys.mean()))


# ----------------------------------------------------------------------------- the fake provider


@dataclass
class Seen:
    """What the fake provider received: the size of the last screenshot of each request."""

    sizes: list[tuple[int, int]] = field(default_factory=list)


def _last_screenshot(body: Any) -> bytes:
    """Bytes of the last image in a Messages or Responses body (inline base64 / data URL)."""
    found: list[bytes] = []

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            source = node.get("source")
            if node.get("type") == "image" and isinstance(source, dict):
                found.append(base64.b64decode(source["data"]))
            elif node.get("type") in ("input_image", "computer_screenshot"):
                found.append(base64.b64decode(node["image_url"].split(",", 1)[1]))
            else:
                for value in node.values():
                    walk(value)

    walk(body)
    assert found, "request without a screenshot"
    return found[-1]


def _sse(events: list[tuple[str, dict[str, Any]]]) -> StreamingResponse:
    async def gen() -> Iterator[bytes]:  # type: ignore[misc]
        for name, data in events:
            yield f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()

    return StreamingResponse(gen(), media_type="text/event-stream")


def _anthropic_answer(body: dict[str, Any], click: tuple[int, int], turn: int) -> Response:
    tool_use = {"type": "tool_use", "id": f"toolu_{turn}", "name": "computer",
                "input": {"action": "left_click", "coordinate": list(click)}}
    message = {"id": f"msg_{turn}", "type": "message", "role": "assistant", "model": body["model"],
               "content": [tool_use], "stop_reason": "tool_use", "stop_sequence": None,
               "usage": {"input_tokens": 1500, "output_tokens": 20}}
    if not body.get("stream"):
        return JSONResponse(message)
    partial = json.dumps(tool_use["input"])
    half = len(partial) // 2
    start = {**message, "content": [], "stop_reason": None, "usage": {"input_tokens": 1500, "output_tokens": 1}}
    return _sse([
        ("message_start", {"type": "message_start", "message": start}),
        ("content_block_start", {"type": "content_block_start", "index": 0,
                                 "content_block": {**tool_use, "input": {}}}),
        *[("content_block_delta", {"type": "content_block_delta", "index": 0,
                                   "delta": {"type": "input_json_delta", "partial_json": piece}})
          for piece in (partial[:half], partial[half:])],
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": None},
                           "usage": {"output_tokens": 20}}),
        ("message_stop", {"type": "message_stop"}),
    ])


def _openai_answer(body: dict[str, Any], click: tuple[int, int], turn: int) -> Response:
    def call(status: str) -> dict[str, Any]:
        return {"type": "computer_call", "id": f"cu_{turn}", "call_id": f"call_{turn}", "status": status,
                "action": {"type": "click", "button": "left", "x": click[0], "y": click[1]},
                "pending_safety_checks": []}

    def response(status: str, output: list[dict[str, Any]]) -> dict[str, Any]:
        return {"id": f"resp_{turn}", "object": "response", "created_at": 1, "status": status,
                "model": body["model"], "output": output, "parallel_tool_calls": True, "tool_choice": "auto",
                "tools": body.get("tools", []), "truncation": "auto",
                "usage": {"input_tokens": 1500, "output_tokens": 20, "total_tokens": 1520,
                          "input_tokens_details": {"cached_tokens": 0},
                          "output_tokens_details": {"reasoning_tokens": 0}}}

    if not body.get("stream"):
        return JSONResponse(response("completed", [call("completed")]))
    events = [
        ("response.created", {"type": "response.created", "response": response("in_progress", [])}),
        ("response.output_item.added", {"type": "response.output_item.added", "output_index": 0,
                                        "item": call("in_progress")}),
        ("response.output_item.done", {"type": "response.output_item.done", "output_index": 0,
                                       "item": call("completed")}),
        ("response.completed", {"type": "response.completed", "response": response("completed", [call("completed")])}),
    ]
    return _sse([(name, {**data, "sequence_number": i}) for i, (name, data) in enumerate(events)])


def create_clicking_provider(seen: Seen) -> Starlette:
    """Answers every request with a click on the button it finds in the last screenshot."""

    async def answer(request: Request) -> Response:
        body = json.loads(await request.body())
        shot = _last_screenshot(body)
        with Image.open(io.BytesIO(shot)) as im:
            seen.sizes.append(im.size)
        click, turn = locate_button(shot), len(seen.sizes)
        if request.url.path.endswith("/messages"):
            return _anthropic_answer(body, click, turn)
        return _openai_answer(body, click, turn)

    return Starlette(routes=[Route("/v1/messages", answer, methods=["POST"]),
                             Route("/v1/responses", answer, methods=["POST"])])


# ----------------------------------------------------------------------------- servers


@pytest.fixture(scope="module")
def seen() -> Seen:
    return Seen()


@pytest.fixture(scope="module")
def proxy(seen: Seen, compressor: ImageCompressor) -> Iterator[ServerThread]:
    with ServerThread(create_clicking_provider(seen)) as provider:
        settings = ProxySettings(openai_base_url=provider.url, anthropic_base_url=provider.url,
                                 trust_env=False, workers=2)
        with ServerThread(create_proxy_app(settings, compressor=compressor)) as server:
            yield server


@pytest.fixture
def claude(proxy: ServerThread) -> Iterator[anthropic.Anthropic]:
    client = anthropic.Anthropic(api_key="sk-ant-test", base_url=proxy.url, max_retries=0)
    yield client
    client.close()


@pytest.fixture
def oai(proxy: ServerThread) -> Iterator[openai.OpenAI]:
    client = openai.OpenAI(api_key="sk-test-openai", base_url=f"{proxy.url}/v1", max_retries=0)
    yield client
    client.close()


# ----------------------------------------------------------------------------- the loops


def anthropic_loop(client: anthropic.Anthropic, *, stream: bool, declare_tool: bool) -> list[tuple[int, int]]:
    """One task of len(TARGETS) turns: screenshot, click, screenshot of the result, ... Returns
    the clicks; the screenshots after the first come back in tool_result blocks."""
    tools = [ANTHROPIC_TOOL] if declare_tool else []
    first = render_screen(TARGETS[0])
    messages: list[dict[str, Any]] = [{"role": "user", "content": [
        {"type": "text", "text": QUESTION},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": b64(first)}},
    ]}]
    clicks = []
    for turn in range(len(TARGETS)):
        kwargs: dict[str, Any] = {"model": "claude-opus-4-7", "max_tokens": 1024, "messages": messages,
                                  "betas": ["computer-use-2025-11-24"]}
        if tools:
            kwargs["tools"] = tools
        if stream:
            with client.beta.messages.stream(**kwargs) as events:
                reply = events.get_final_message()
        else:
            reply = client.beta.messages.create(**kwargs)
        (tool_use,) = [block for block in reply.content if block.type == "tool_use"]
        assert tool_use.input["action"] == "left_click"
        clicks.append(tuple(tool_use.input["coordinate"]))
        if turn + 1 < len(TARGETS):
            shot = render_screen(TARGETS[turn + 1])
            messages += [
                {"role": "assistant", "content": [tool_use.model_dump(exclude_none=True)]},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool_use.id, "content": [
                    {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": b64(shot)}},
                ]}]},
            ]
    return clicks


def openai_loop(client: openai.OpenAI, *, stream: bool, declare_tool: bool) -> list[tuple[int, int]]:
    """The Responses flavour: the first screenshot is an ``input_image`` of the user's message
    (rewritable), the later ones ``computer_call_output`` screenshots."""
    items: list[dict[str, Any]] = [{"role": "user", "content": [
        {"type": "input_text", "text": QUESTION},
        {"type": "input_image", "image_url": data_url(render_screen(TARGETS[0]), "image/png")},
    ]}]
    clicks = []
    for turn in range(len(TARGETS)):
        kwargs: dict[str, Any] = {"model": "computer-use-preview", "input": items, "truncation": "auto"}
        if declare_tool:
            kwargs["tools"] = [OPENAI_TOOL]
        if stream:
            with client.responses.stream(**kwargs) as events:
                reply = events.get_final_response()
        else:
            reply = client.responses.create(**kwargs)
        (call,) = [item for item in reply.output if item.type == "computer_call"]
        assert call.action.type == "click"
        clicks.append((call.action.x, call.action.y))
        if turn + 1 < len(TARGETS):
            shot = data_url(render_screen(TARGETS[turn + 1]), "image/png")
            items += [call.model_dump(exclude_none=True),
                      {"type": "computer_call_output", "call_id": call.call_id,
                       "output": {"type": "computer_screenshot", "image_url": shot}}]
    return clicks


# ----------------------------------------------------------------------------- tests


def test_the_locator_finds_the_button_on_the_screen_itself() -> None:
    for corner in TARGETS:
        assert on_button(locate_button(render_screen(corner)), corner)


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_anthropic_clicks_land_with_the_tool_declared(claude: anthropic.Anthropic, seen: Seen, stream: bool) -> None:
    before = len(seen.sizes)
    clicks = anthropic_loop(claude, stream=stream, declare_tool=True)
    assert seen.sizes[before:] == [SCREEN] * len(TARGETS)
    for click, corner in zip(clicks, TARGETS, strict=True):
        assert on_button(click, corner), (click, corner)


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_openai_clicks_land_with_the_tool_declared(oai: openai.OpenAI, seen: Seen, stream: bool) -> None:
    before = len(seen.sizes)
    clicks = openai_loop(oai, stream=stream, declare_tool=True)
    assert seen.sizes[before:] == [SCREEN] * len(TARGETS)
    for click, corner in zip(clicks, TARGETS, strict=True):
        assert on_button(click, corner), (click, corner)


def test_the_declaration_is_what_keeps_the_geometry(compressor: ImageCompressor) -> None:
    """The first screenshot and question alone go to full_low; with the tool they stay untouched."""
    body = {"model": "claude-opus-4-7", "max_tokens": 1024, "messages": [{"role": "user", "content": [
        {"type": "text", "text": QUESTION},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": b64(render_screen(TARGETS[0]))}},
    ]}]}
    bare = compressor.compress_body(body).result.images[0]
    assert bare.technique.value == "full_low" and bare.compressed_size != SCREEN
    kept = compressor.compress_body({**body, "tools": [ANTHROPIC_TOOL]})
    assert not kept.changed
    assert "computer-use tool declared (computer_20251124, display 1280x800): geometry kept" in \
        kept.result.images[0].reason


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_broken_variant_anthropic_without_the_declaration_misses(
    claude: anthropic.Anthropic, seen: Seen, stream: bool,
) -> None:
    """No tool list: the first screenshot is shrunk and its click misses. From the second turn on
    the history holds a ``computer`` tool_use, which also keeps the geometry: those clicks land."""
    before = len(seen.sizes)
    clicks = anthropic_loop(claude, stream=stream, declare_tool=False)
    assert seen.sizes[before] != SCREEN and seen.sizes[before + 1:] == [SCREEN] * (len(TARGETS) - 1)
    assert not on_button(clicks[0], TARGETS[0]), clicks[0]
    for click, corner in zip(clicks[1:], TARGETS[1:], strict=True):
        assert on_button(click, corner), (click, corner)


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_broken_variant_openai_without_the_declaration_misses(oai: openai.OpenAI, seen: Seen, stream: bool) -> None:
    before = len(seen.sizes)
    clicks = openai_loop(oai, stream=stream, declare_tool=False)
    assert seen.sizes[before] != SCREEN
    assert not on_button(clicks[0], TARGETS[0]), clicks[0]
