"""Gemini's Interactions API (``POST /v1beta/interactions``): typed content items in ``input``.

Shape: ``{"model", "input": ...}`` where ``input`` is a string (no images), a list of content
items (one user turn), or a list of steps: ``{"type": "user_input" | "model_output", "content":
[items]}`` (what google-genai 3.6 sends, even for a bare content list), ``{"type":
"function_result", "result": str | [items]}`` (tool output, images included), or the older turn
form ``{"role", "content"}``. Items are typed: ``{"type": "text", "text"}`` and ``{"type":
"image", "data": "<b64>" | "uri": ..., "mime_type", "resolution"}``. A single content object as
the whole ``input`` is not looked into (a lone item, no question to decide by). ``resolution`` (low, medium, high, ultra_high) is this API's media-resolution
knob, the per-part ``mediaResolution`` of generateContent in other words; slots report it as the
same ``MEDIA_RESOLUTION_*`` level so pricing is shared, and edits write it back in lower case.
Turns behind ``previous_interaction_id`` live server-side and are out of reach.
"""

from __future__ import annotations

import copy
from typing import Any

from headroom_edge.formats.base import ImageEdit, ImageSlot, ImageSource, Provider
from headroom_edge.formats.common import (
    FoundImage,
    Turn,
    TurnListFormat,
    assemble,
    is_text_block,
    str_or_none,
    user_text,
)
from headroom_edge.formats.gemini import normalise_level, strip_models_prefix

_LEVEL_PREFIX = "MEDIA_RESOLUTION_"


_CONTENT_TYPES = frozenset({"text", "image", "audio", "document", "video"})
_USER_STEPS = frozenset({"user_input"})


def _is_turn_list(items: list[Any]) -> bool:
    """Steps (or role turns) rather than content items: any entry that is not a content item."""
    return any(
        isinstance(item, dict) and ("role" in item or str_or_none(item.get("type")) not in _CONTENT_TYPES) for item in items
    )


def _image_type(value: Any) -> str | None:
    return value if isinstance(value, str) and value.lower().startswith("image/") else None


class GeminiInteractionsFormat(TurnListFormat):
    """The Interactions wire format (stateless; use :data:`GEMINI_INTERACTIONS`)."""

    name: str = "gemini_interactions"
    markers: tuple[bytes, ...] = (b'"image"',)
    provider: Provider = "google"
    messages_key: str = "input"

    def matches(self, body: dict[str, Any]) -> bool:
        """An ``input`` list holding typed ``image`` items (directly or in turns): Responses
        bodies also have ``input``, but their images are ``input_image``."""
        entries = self.entries(body) if isinstance(body, dict) else None
        if not isinstance(entries, list):
            return False
        for entry in entries:
            parts = self.turn(entry).parts
            if isinstance(parts, list) and any(self.image(p) is not None for p in parts):
                return True
        return False

    def entries(self, body: dict[str, Any]) -> Any:
        """Turns as sent, or the content-item list as one user turn."""
        items = body.get("input")
        if not isinstance(items, list):
            return None
        return items if _is_turn_list(items) else [{"type": "user_input", "content": items}]

    def location(self, entry_index: int, key: str) -> str:
        return f"input[{entry_index}].{key}"

    def find_images(self, body: dict[str, Any]) -> list[ImageSlot]:
        slots = super().find_images(body)
        items = body.get("input") if isinstance(body, dict) else None
        if isinstance(items, list) and not _is_turn_list(items):
            for slot in slots:  # one virtual turn: report the real path, input[i]
                slot.location = f"input[{slot.position}]"
        return slots

    def turn(self, entry: Any) -> Turn:
        """A step or role turn; user text only from ``user_input`` steps and ``user`` turns;
        a ``function_result``'s ``result`` list holds tool images."""
        if not isinstance(entry, dict):
            return Turn()
        if entry.get("type") == "function_result":
            return Turn("", "result", entry.get("result"))
        content = entry.get("content")
        is_user = entry.get("role") == "user" if "role" in entry else str_or_none(entry.get("type")) in _USER_STEPS
        return Turn(user_text(content, is_text_block) if is_user else "", "content", content)

    def image(self, part: Any) -> FoundImage | None:
        if not isinstance(part, dict) or part.get("type") != "image":
            return None
        media_type = _image_type(part.get("mime_type"))
        data, uri = part.get("data"), part.get("uri")
        if isinstance(data, str) and data:
            source = ImageSource(kind="base64", media_type=media_type, data=data)
        elif isinstance(uri, str) and uri:
            source = ImageSource(kind="url", media_type=media_type, url=uri)
        else:
            return None
        return FoundImage(source, media_resolution=normalise_level(part.get("resolution")))

    def render(self, slot: ImageSlot, edit: ImageEdit) -> list[Any]:
        """The item with new ``data``/``mime_type`` (replacing a ``uri``) and/or ``resolution``,
        then a text item. ``detail`` does not exist here."""

        def edited() -> Any:
            part = copy.deepcopy(slot.part)
            if not isinstance(part, dict):
                return part
            if edit.data is not None:
                part.pop("uri", None)
                part["data"] = edit.base64
                part["mime_type"] = edit.media_type
            if edit.media_resolution is not None:
                part["resolution"] = edit.media_resolution.removeprefix(_LEVEL_PREFIX).lower()
            return part

        return assemble(edited, edit, lambda text: {"type": "text", "text": text})

    def body_model(self, body: dict[str, Any]) -> str | None:
        return strip_models_prefix(str_or_none(body.get("model")))


GEMINI_INTERACTIONS = GeminiInteractionsFormat()
