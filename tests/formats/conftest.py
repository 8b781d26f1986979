"""Shared fixtures for the wire-format tests: real images made with Pillow, hostile bodies."""

from __future__ import annotations

import base64
import copy
import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

# Until the project has packaging/pytest config, make the repo root importable when pytest is
# started as `.venv/bin/pytest` (its sys.path[0] is the venv's bin, not the checkout).
_ROOT = Path(__file__).resolve().parents[2]
if importlib.util.find_spec("headroom_edge") is None:
    sys.path.insert(0, str(_ROOT))

from .helpers import make_image  # noqa: E402


@pytest.fixture(scope="session")
def png_bytes() -> bytes:
    return make_image((24, 16), "PNG", (200, 30, 30))


@pytest.fixture(scope="session")
def jpeg_bytes() -> bytes:
    return make_image((20, 12), "JPEG", (10, 120, 220))


@pytest.fixture(scope="session")
def new_jpeg() -> bytes:
    """The "compressed" replacement image: different size and format from the originals."""
    return make_image((8, 6), "JPEG", (90, 90, 90))


@pytest.fixture(scope="session")
def png_b64(png_bytes: bytes) -> str:
    return base64.b64encode(png_bytes).decode("ascii")


@pytest.fixture(scope="session")
def jpeg_b64(jpeg_bytes: bytes) -> str:
    return base64.b64encode(jpeg_bytes).decode("ascii")


# Bodies every format must survive without raising (and mostly find nothing in).
HOSTILE_BODIES: list[Any] = [
    {},
    None,
    [],
    "a string",
    42,
    {"messages": None},
    {"messages": "hi"},
    {"messages": 5},
    {"messages": [None, 1, "x", [], {}]},
    {"messages": [{"role": "user", "content": None}]},
    {"messages": [{"role": "user", "content": 7}]},
    {"messages": [{"role": "user", "content": [None, 1, "s", [], {}]}]},
    {"messages": [{"role": "user", "content": [{"type": "image_url"}]}]},
    {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": None}]}]},
    {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": 3}]}]},
    {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": 5}}]}]},
    {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]},
    {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": ""}}]}]},
    {"messages": [{"role": "user", "content": [{"type": "image", "source": None}]}]},
    {"messages": [{"role": "user", "content": [{"type": "image", "source": {"type": "base64"}}]}]},
    {
        "messages": [
            {"role": "user", "content": [{"type": "image", "source": {"type": "url", "url": 1}}]}
        ]
    },
    {"messages": [{"role": "user", "content": [{"type": "image", "source": {"type": "file"}}]}]},
    {"messages": [{"role": "user", "content": [{"type": "image", "source": {"type": "weird"}}]}]},
    {"messages": [{"role": "user", "content": [{"type": "tool_result", "content": None}]}]},
    {
        "messages": [
            {
                "role": "user",
                "content": [{"type": "tool_result", "content": [None, 3, {"type": "image"}]}],
            }
        ]
    },
    {"messages": [{"role": 5, "content": [{"type": "text", "text": None}]}]},
    {"messages": [{"role": "user", "content": [{"type": "text", "text": 5}]}]},
    {"input": None},
    {"input": 3},
    {"input": [None, 1, "s", {}]},
    {"input": [{"role": "user", "content": None}]},
    {"input": [{"role": "user", "content": [{"type": "input_image"}]}]},
    {
        "input": [
            {
                "role": "user",
                "content": [{"type": "input_image", "image_url": None, "file_id": None}],
            }
        ]
    },
    {
        "input": [
            {"role": "user", "content": [{"type": "input_image", "image_url": 4, "file_id": 5}]}
        ]
    },
    {"input": [{"type": "function_call_output", "output": None}]},
    {"input": [{"type": "function_call_output", "output": [None, {"type": "input_image"}]}]},
    {"input": [{"type": "computer_call_output", "output": {"type": "computer_screenshot"}}]},
    {"input": [{"type": 7, "content": [{"type": "input_image", "image_url": []}]}]},
    {"contents": None},
    {"contents": "x"},
    {"contents": [None, 1, "s", {}]},
    {"contents": [{"parts": None}]},
    {"contents": [{"parts": [None, 2, "s", {}, []]}]},
    {"contents": [{"parts": [{"inlineData": None}]}]},
    {"contents": [{"parts": [{"inlineData": {"mimeType": None, "data": None}}]}]},
    {"contents": [{"parts": [{"inline_data": {"mime_type": 3, "data": 4}}]}]},
    {"contents": [{"parts": [{"fileData": {"fileUri": None, "mimeType": "image/png"}}]}]},
    {"contents": [{"parts": [{"functionResponse": {"parts": None}}]}]},
    {"contents": [{"parts": [{"functionResponse": {"parts": [None, {"inlineData": 3}]}}]}]},
    {"contents": [{"role": ["user"], "parts": [{"text": ["x"]}]}]},
    {"contents": [{"parts": [{"functionResponse": {"response": 5, "parts": [
        {"inlineData": {"mimeType": "image/png", "data": "AAAA"}}]}}]}]},
    {"input": [{"type": "computer_call_output", "output": None}]},
    {"input": [{"type": "computer_call_output", "output": {"type": "computer_screenshot", "image_url": 3}}]},
    {"input": [{"type": "custom_tool_call_output", "output": 5}]},
    {"input": [{"type": "image", "data": None}, {"type": "image", "uri": 3}, {"type": "image"}]},
    {"input": [{"type": "function_result", "result": None}, {"type": "user_input", "content": "x"}]},
    {"input": [{"type": "user_input", "content": [None, {"type": "image", "data": ""}]}]},
    {"messages": [{"role": "user", "content": None, "images": [None, 3, "", {}]}]},
    {"messages": [{"role": "user", "content": 5, "images": "AAAA"}]},
    {"images": None, "prompt": 5},
    {"images": [None, 4, ""], "prompt": ["x"]},
    {"messages": [{"role": "user", "content": [{"type": "document", "source": {"type": "content", "content": 5}}]}]},
    {"messages": [{"role": "user", "content": [{"image_url": {"url": 3}}, {"image_url": None}]}]},
    {"contents": [], "generationConfig": {"mediaResolution": 5}},
    {
        "contents": [
            {
                "parts": [
                    {"inlineData": {"mimeType": "image/png", "data": "AAAA"}, "mediaResolution": 5}
                ]
            }
        ],
        "generationConfig": "low",
    },
    {
        "contents": [
            {
                "parts": [
                    {
                        "inlineData": {"mimeType": "image/png", "data": "AAAA"},
                        "mediaResolution": {"level": None},
                    }
                ]
            }
        ],
        "generation_config": {"media_resolution": {"level": 3}},
    },
]


@pytest.fixture(params=range(len(HOSTILE_BODIES)), ids=lambda i: f"hostile{i}")
def hostile_body(request: pytest.FixtureRequest) -> Any:
    return copy.deepcopy(HOSTILE_BODIES[request.param])
