"""The five provider families the quality benchmark sends to, and one request body for each.

Each body is what that provider's own SDK puts on the wire for "question + one inline image"
(OpenAI Chat Completions with a data URL, Anthropic Messages with a base64 source, Gemini
``generateContent`` with ``inlineData``), with no ``detail`` / ``mediaResolution`` set: the
client's default, which is what most applications send.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Target:
    """One provider family, named by the model the benchmark prices it with."""

    model: str
    family: str
    """Short label of the billing rule (what the report groups by)."""
    path: str
    """The API path the body is posted to (Gemini names its model there)."""


TARGETS: tuple[Target, ...] = (
    Target("gpt-4o", "openai tile", "/v1/chat/completions"),
    Target("gpt-4.1-mini", "openai patch", "/v1/chat/completions"),
    Target("claude-sonnet-4-5", "anthropic", "/v1/messages"),
    Target("gemini-3-pro-preview", "gemini3", "/v1beta/models/gemini-3-pro-preview:generateContent"),
    Target("gemini-2.5-flash", "gemini2", "/v1beta/models/gemini-2.5-flash:generateContent"),
)


def request_body(target: Target, question: str, data: bytes, media_type: str) -> dict[str, Any]:
    """The wire body ``target``'s SDK sends for ``question`` about one inline image."""
    b64 = base64.b64encode(data).decode("ascii")
    if target.path.startswith("/v1/chat/"):
        return {
            "model": target.model,
            "messages": [{"role": "user", "content": [
                {"type": "text", "text": question},
                {"type": "image_url", "image_url": {"url": f"data:{media_type};base64,{b64}"}},
            ]}],
            "max_tokens": 512,
        }
    if target.path == "/v1/messages":
        return {
            "model": target.model,
            "max_tokens": 512,
            "messages": [{"role": "user", "content": [
                {"type": "image", "source": {"type": "base64", "media_type": media_type, "data": b64}},
                {"type": "text", "text": question},
            ]}],
        }
    return {
        "contents": [{"role": "user", "parts": [
            {"text": question},
            {"inlineData": {"mimeType": media_type, "data": b64}},
        ]}],
    }
