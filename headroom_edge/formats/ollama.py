"""Ollama's native API: ``/api/chat`` messages and ``/api/generate`` prompts with an ``images`` list.

Shape: ``/api/chat`` takes ``{"model", "messages": [{"role", "content": "<text>", "images":
["<raw base64>", ...]}]}``; ``/api/generate`` takes ``{"model", "prompt": "<text>", "images": [...]}``.
``images`` holds bare base64 strings (no data URL, no media type: Ollama sniffs the bytes), so it
cannot hold text: text made from an image (a transcode's OCR text) is appended to the message's
``content`` (or the ``prompt``) through a :class:`~headroom_edge.formats.base.TextHome`. A message
whose ``content`` is not a string has nowhere valid for that text; such an edit is not applied.

Pricing family, chosen deliberately: the models behind Ollama are open vision models (Qwen2.5-VL,
Gemma 3, Llama 3.2 Vision, LLaVA), none billed by a provider, and their only image knob on this
wire is the pixels. These formats are priced with Anthropic's rule (``provider`` "anthropic"):
tokens proportional to area on a 28-px grid, which is Qwen2.5-VL's own count (14-px patches merged
2x2), low detail by shrinking pixels only (no ``detail`` field, no Gemini level), and PNG, JPEG,
GIF, WEBP out, which Ollama decodes. For fixed-budget models (Gemma 3's 256 tokens) the estimate
overstates savings; it never makes a rewrite the server would reject.
"""

from __future__ import annotations

import copy
from typing import Any

from headroom_edge.formats.base import ImageEdit, ImageSlot, ImageSource, Provider, TextHome
from headroom_edge.formats.common import FoundImage, Turn, TurnListFormat
from headroom_edge.formats.questions import join_text


def _images_turn(owner: dict[str, Any], text_key: str, is_user: bool) -> Turn:
    text = owner.get(text_key)
    user_text = join_text([text]) if is_user else ""
    return Turn(user_text, "images", owner.get("images"), text_home=TextHome(owner, text_key))


class _OllamaFormat(TurnListFormat):
    """What both native endpoints share: bare base64 images, text through the owner's string."""

    provider: Provider = "anthropic"

    def image(self, part: Any) -> FoundImage | None:
        """A non-empty string of ``images`` (base64, validated only when decoded)."""
        if not isinstance(part, str) or not part.strip():
            return None
        return FoundImage(ImageSource(kind="base64", data=part))

    def render(self, slot: ImageSlot, edit: ImageEdit) -> list[Any]:
        """The new base64 (or the old string), or nothing when the image is dropped. Text never
        goes into ``images``: :func:`~headroom_edge.formats.base.apply_edits` places it in the
        slot's text home."""
        if not edit.keep_image:
            return []
        if edit.data is None:
            return [copy.copy(slot.part)]
        if not edit.media_type:
            raise ValueError("ImageEdit.media_type is required when ImageEdit.data is set")
        return [edit.base64]


class OllamaChatFormat(_OllamaFormat):
    """``/api/chat`` (stateless; use :data:`OLLAMA_CHAT`)."""

    name: str = "ollama_chat"
    messages_key: str = "messages"
    markers: tuple[bytes, ...] = (b'"images"',)

    def matches(self, body: dict[str, Any]) -> bool:
        """A ``messages`` list where some message carries an ``images`` list."""
        messages = body.get("messages") if isinstance(body, dict) else None
        return isinstance(messages, list) and any(
            isinstance(m, dict) and isinstance(m.get("images"), list) for m in messages
        )

    def turn(self, entry: Any) -> Turn:
        if not isinstance(entry, dict):
            return Turn()
        return _images_turn(entry, "content", entry.get("role") == "user")


class OllamaGenerateFormat(_OllamaFormat):
    """``/api/generate``: the body is one user turn (stateless; use :data:`OLLAMA_GENERATE`)."""

    name: str = "ollama_generate"
    messages_key: str = "images"
    markers: tuple[bytes, ...] = (b'"images"',)
    """A bare image list (the ``compress(messages, provider=...)`` API) wraps as ``images``."""

    def matches(self, body: dict[str, Any]) -> bool:
        return isinstance(body, dict) and isinstance(body.get("images"), list) and "messages" not in body

    def entries(self, body: dict[str, Any]) -> Any:
        return [body]

    def location(self, entry_index: int, key: str) -> str:
        return key

    def turn(self, entry: Any) -> Turn:
        return _images_turn(entry, "prompt", True) if isinstance(entry, dict) else Turn()


OLLAMA_CHAT = OllamaChatFormat()
OLLAMA_GENERATE = OllamaGenerateFormat()
