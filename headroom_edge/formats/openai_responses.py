"""OpenAI Responses API: ``input`` items with flat ``input_image`` parts.

Shape: ``input`` is a string (no images) or a list of items. Message items (``"type":
"message"`` or no type, any role) hold a string or a list of ``input_text``/``input_image``
parts; ``input_image`` is flat: ``{"type": "input_image", "image_url": <data or https URL>,
"file_id": ..., "detail": ...}``. Tool outputs (``function_call_output``,
``custom_tool_call_output``) may carry ``input_image`` parts in an ``output`` list (or a plain
string, which holds none); they are turns without user text. A ``computer_call_output`` holds one
screenshot as an ``output`` *object* ``{"type": "computer_screenshot", "image_url" | "file_id"}``:
a single-image slot (see :mod:`headroom_edge.formats.base`) that can take new pixels or a new
``detail`` but never text or removal, since the computer-use loop needs exactly one screenshot
there. Turns referenced through ``previous_response_id`` live server-side and are out of reach.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from headroom_edge.formats.base import ImageEdit, ImageSlot, ImageSource, Provider
from headroom_edge.formats.common import (
    FoundImage,
    Turn,
    TurnListFormat,
    assemble,
    message_turn,
    source_from_url,
    str_or_none,
)

_TOOL_OUTPUTS = frozenset({"function_call_output", "custom_tool_call_output"})
_IMAGE_PARTS = frozenset({"input_image", "computer_screenshot"})
_TEXT_PARTS = frozenset({"input_text", "text"})
_RESPONSES_ITEM_TYPES = frozenset(
    {
        "message",
        "function_call",
        "function_call_output",
        "custom_tool_call",
        "custom_tool_call_output",
        "computer_call",
        "computer_call_output",
        "reasoning",
        "item_reference",
    }
)
_RESPONSES_PART_TYPES = frozenset({"input_text", "input_image", "input_file", "output_text"})


def _is_text(part: dict[str, Any]) -> bool:
    return str_or_none(part.get("type")) in _TEXT_PARTS


def looks_like_responses_input(items: Iterable[Any]) -> bool:
    """Whether a bare item list is Responses input rather than Chat Completions messages:
    any Responses item type, or any ``input_*``/``output_text`` part."""
    for item in items:
        if not isinstance(item, dict):
            continue
        if str_or_none(item.get("type")) in _RESPONSES_ITEM_TYPES:
            return True
        for key in ("content", "output"):
            parts = item.get(key)
            if isinstance(parts, list) and any(
                isinstance(p, dict) and str_or_none(p.get("type")) in _RESPONSES_PART_TYPES
                for p in parts
            ):
                return True
    return False


class OpenAIResponsesFormat(TurnListFormat):
    """The Responses wire format (stateless; use :data:`OPENAI_RESPONSES`)."""

    name: str = "openai_responses"
    provider: Provider = "openai"
    messages_key: str = "input"
    markers: tuple[bytes, ...] = (b'"input_image"',)

    def matches(self, body: dict[str, Any]) -> bool:
        return isinstance(body, dict) and isinstance(body.get("input"), (str, list))

    def turn(self, entry: Any) -> Turn:
        """Message items (any role; user text only for ``user``); tool outputs are turns
        without text whose ``output`` list may hold images; other items hold none."""
        if not isinstance(entry, dict):
            return Turn()
        kind = entry.get("type")
        if kind is None or kind == "message":
            return message_turn(entry, _is_text)
        if str_or_none(kind) in _TOOL_OUTPUTS:
            return Turn("", "output", entry.get("output"))
        if kind == "computer_call_output":
            return Turn("", "output", entry.get("output"), holder=entry)
        return Turn()

    def image(self, part: Any) -> FoundImage | None:
        """Source and detail of an ``input_image`` or ``computer_screenshot`` part (URL first,
        else file id), or None."""
        if not isinstance(part, dict) or str_or_none(part.get("type")) not in _IMAGE_PARTS:
            return None
        source = source_from_url(part.get("image_url"))
        if source is None:
            file_id = part.get("file_id")
            if isinstance(file_id, str) and file_id:
                source = ImageSource(kind="file", file_id=file_id)
        if source is None:
            return None
        return FoundImage(source, str_or_none(part.get("detail")))

    def render(self, slot: ImageSlot, edit: ImageEdit) -> list[Any]:
        """The part with ``image_url`` and/or ``detail`` changed, then an ``input_text`` part.

        New bytes replace a ``file_id`` reference: the part then carries the data URL only, as
        the API takes one source per image.
        """

        def edited() -> Any:
            part = copy.deepcopy(slot.part)
            if not isinstance(part, dict):
                return part
            if edit.data is not None:
                part["image_url"] = edit.data_url
                if part.get("file_id"):
                    del part["file_id"]
            # A computer_screenshot has no detail field: the API would reject one.
            if edit.detail is not None and part.get("type") == "input_image":
                part["detail"] = edit.detail
            return part

        return assemble(edited, edit, lambda text: {"type": "input_text", "text": text})


OPENAI_RESPONSES = OpenAIResponsesFormat()
