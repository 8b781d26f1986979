"""Anthropic Messages: image blocks in ``messages[].content`` and inside ``tool_result`` blocks.

Shape: ``{"type": "image", "source": {"type": "base64", "media_type": ..., "data": ...}}``, or a
source of type ``url`` (``url``) or ``file`` (``file_id``). Screenshots from tools arrive as image
blocks nested in ``tool_result.content`` lists (that content may also be a plain string), and a
``document`` block whose source is ``{"type": "content", "content": [...]}`` (a custom document
made of text and image blocks) holds image blocks too. The
top-level ``system`` prompt is never the question, and text inside a ``tool_result`` is tool
output, not the user's question: only top-level text blocks of user messages count.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from headroom_edge.formats.base import ImageEdit, ImageSlot, ImageSource, Provider
from headroom_edge.formats.common import (
    FoundImage,
    Nested,
    Turn,
    TurnListFormat,
    assemble,
    message_turn,
    source_from_url,
    str_or_none,
)

_ANTHROPIC_BLOCKS = frozenset(
    {"tool_result", "tool_use", "thinking", "redacted_thinking", "document"}
)


def _image(block: Any) -> ImageSource | None:
    """The source of an image block, or None when ``block`` is not a usable image block."""
    if not isinstance(block, dict) or block.get("type") != "image":
        return None
    source = block.get("source")
    if not isinstance(source, dict):
        return None
    kind = source.get("type")
    if kind == "base64":
        data = source.get("data")
        if not isinstance(data, str):
            return None
        return ImageSource(
            kind="base64", media_type=str_or_none(source.get("media_type")), data=data
        )
    if kind == "url":
        found = source_from_url(source.get("url"))
        # The API takes only fetchable URLs here; a data URL is not something we can rewrite.
        return found if found is not None and found.kind == "url" else None
    if kind == "file":
        file_id = source.get("file_id")
        return (
            ImageSource(kind="file", file_id=file_id)
            if isinstance(file_id, str) and file_id
            else None
        )
    return None


def looks_anthropic(body: Any) -> bool:
    """Whether a ``messages`` body is Anthropic rather than OpenAI Chat: an Anthropic-only block
    (image with ``source``, tool_use/tool_result, thinking, document) or ``system`` next to the
    required ``max_tokens``."""
    if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
        return False
    if "system" in body and "max_tokens" in body:
        return True
    for message in body["messages"]:
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, list):
            continue
        for block in content:
            if not isinstance(block, dict):
                continue
            kind = str_or_none(block.get("type"))
            if kind in _ANTHROPIC_BLOCKS or (kind == "image" and "source" in block):
                return True
    return False


class AnthropicMessagesFormat(TurnListFormat):
    """The Messages wire format (stateless; use :data:`ANTHROPIC_MESSAGES`)."""

    name: str = "anthropic_messages"
    provider: Provider = "anthropic"
    messages_key: str = "messages"
    markers: tuple[bytes, ...] = (b'"image"',)

    def matches(self, body: dict[str, Any]) -> bool:
        return looks_anthropic(body)

    def turn(self, entry: Any) -> Turn:
        return message_turn(entry)

    def image(self, part: Any) -> FoundImage | None:
        source = _image(part)
        return FoundImage(source) if source is not None else None

    def nested_parts(self, part: Any) -> Iterable[Nested]:
        """A ``tool_result`` block's ``content`` list (tool screenshots) and a content-sourced
        ``document`` block's ``source.content`` list; both take text blocks too."""
        if not isinstance(part, dict):
            return
        kind = part.get("type")
        if kind == "tool_result":
            nested = part.get("content")
            if isinstance(nested, list):
                yield Nested("content", nested)
        elif kind == "document":
            source = part.get("source")
            if isinstance(source, dict) and source.get("type") == "content":
                nested = source.get("content")
                if isinstance(nested, list):
                    yield Nested("source.content", nested)

    def render(self, slot: ImageSlot, edit: ImageEdit) -> list[Any]:
        """The block with a base64 source carrying the new bytes (other keys such as
        ``cache_control`` kept), then a text block. ``detail``/``media_resolution`` do not
        exist in this format and are ignored."""

        def edited() -> Any:
            block = copy.deepcopy(slot.part)
            if not isinstance(block, dict) or edit.data is None:
                return block
            data = edit.base64
            source = block.get("source")
            if isinstance(source, dict) and source.get("type") == "base64":
                source["media_type"] = edit.media_type
                source["data"] = data
            else:  # url/file source: the new bytes replace the reference
                block["source"] = {"type": "base64", "media_type": edit.media_type, "data": data}
            return block

        return assemble(edited, edit, lambda text: {"type": "text", "text": text})


ANTHROPIC_MESSAGES = AnthropicMessagesFormat()
