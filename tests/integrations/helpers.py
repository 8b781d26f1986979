"""Request builders and decoders for the integration tests: real JPEGs in, real pixels out."""

from __future__ import annotations

import base64
import io
import json
from dataclasses import dataclass
from typing import Any

from PIL import Image

from tests.factories import b64, data_url

QUESTION = "What animal is this? Describe the scene."


@dataclass(frozen=True)
class SeenImage:
    """One image part found in a request body as an upstream received it."""

    size: tuple[int, int]
    nbytes: int
    detail: str | None = None
    media_resolution: str | None = None


def _decode(b64data: str) -> tuple[tuple[int, int], int]:
    if "-" in b64data or "_" in b64data:  # google-genai sends the URL-safe alphabet
        raw = base64.urlsafe_b64decode(b64data)
    else:
        raw = base64.b64decode(b64data)
    with Image.open(io.BytesIO(raw)) as img:
        return img.size, len(raw)


def images_in(body: Any) -> list[SeenImage]:
    """Every inline image part of an OpenAI/Anthropic/Gemini body, decoded with Pillow."""
    if isinstance(body, (bytes, str)):
        body = json.loads(body)
    found: list[SeenImage] = []

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
            return
        if not isinstance(node, dict):
            return
        kind = node.get("type")
        if kind == "image_url" and isinstance(node.get("image_url"), dict):
            url = node["image_url"]["url"]
            size, n = _decode(url.split(",", 1)[1])
            found.append(SeenImage(size, n, detail=node["image_url"].get("detail")))
            return
        if kind == "input_image" and isinstance(node.get("image_url"), str):
            size, n = _decode(node["image_url"].split(",", 1)[1])
            found.append(SeenImage(size, n, detail=node.get("detail")))
            return
        if kind == "image" and isinstance(node.get("source"), dict):
            size, n = _decode(node["source"]["data"])
            found.append(SeenImage(size, n))
            return
        inline = node.get("inlineData") or node.get("inline_data")
        if isinstance(inline, dict):
            size, n = _decode(inline["data"])
            level = node.get("mediaResolution") or node.get("media_resolution") or {}
            found.append(SeenImage(size, n, media_resolution=level.get("level")))
            return
        for value in node.values():
            walk(value)

    walk(body)
    return found


def is_compressed(seen: SeenImage, original: bytes) -> bool:
    """Smaller pixels, fewer bytes, or a cheaper detail/resolution than the photo we sent."""
    with Image.open(io.BytesIO(original)) as img:
        size = img.size
    return (
        seen.size[0] * seen.size[1] < size[0] * size[1]
        or seen.nbytes < len(original)
        or seen.detail == "low"
        or (seen.media_resolution or "").endswith("LOW")
    )


def openai_chat_body(jpeg: bytes, model: str = "gpt-4o", **extra: Any) -> dict[str, Any]:
    return {
        "model": model,
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": QUESTION},
                    {"type": "image_url", "image_url": {"url": data_url(jpeg)}},
                ],
            }
        ],
        **extra,
    }


def openai_chat_messages(jpeg: bytes) -> list[dict[str, Any]]:
    return openai_chat_body(jpeg)["messages"]


def anthropic_messages(jpeg: bytes) -> list[dict[str, Any]]:
    return [
        {
            "role": "user",
            "content": [
                {
                    "type": "image",
                    "source": {"type": "base64", "media_type": "image/jpeg", "data": b64(jpeg)},
                },
                {"type": "text", "text": QUESTION},
            ],
        }
    ]


def openai_responses_input(jpeg: bytes) -> list[dict[str, Any]]:
    return [
        {
            "role": "user",
            "content": [
                {"type": "input_text", "text": QUESTION},
                {"type": "input_image", "image_url": data_url(jpeg)},
            ],
        }
    ]


def to_bytes(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode("utf-8")


def patched_transport_methods() -> list[Any]:
    """What the outbound hooks replace: httpx's and httpx2's sync and async transport methods,
    as the classes hold them now (compare before and after to prove a hook came off)."""
    import httpx
    import httpx2

    patched = (
        (httpx.HTTPTransport, "handle_request"),
        (httpx.AsyncHTTPTransport, "handle_async_request"),
        (httpx2.HTTPTransport, "handle_request"),
        (httpx2.AsyncHTTPTransport, "handle_async_request"),
    )
    return [cls.__dict__.get(name) for cls, name in patched]


def gemini_contents(jpeg: bytes) -> list[Any]:
    """One user turn for google-genai: the photo, then :data:`QUESTION`."""
    from google.genai import types as gtypes

    return [
        gtypes.Content(
            role="user",
            parts=[
                gtypes.Part.from_bytes(data=jpeg, mime_type="image/jpeg"),
                gtypes.Part.from_text(text=QUESTION),
            ],
        )
    ]

