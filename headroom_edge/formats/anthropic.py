"""Anthropic Messages: image blocks in ``messages[].content`` and inside ``tool_result`` blocks.

Shape: ``{"type": "image", "source": {"type": "base64", "media_type": ..., "data": ...}}``, or a
source of type ``url`` (``url``) or ``file`` (``file_id``). Screenshots from tools arrive as image
blocks nested in ``tool_result.content`` lists (that content may also be a plain string). The
top-level ``system`` prompt is never the question, and text inside a ``tool_result`` is tool
output, not the user's question: only top-level text blocks of user messages count.
"""

from __future__ import annotations

import copy
from typing import Any

from headroom_edge.formats.base import ImageEdit, ImageSlot, ImageSource, Provider
from headroom_edge.formats.common import SlotCollector, assemble, source_from_url, str_or_none
from headroom_edge.formats.datauri import encode_base64
from headroom_edge.formats.questions import join_text

_ANTHROPIC_BLOCKS = frozenset(
    {"tool_result", "tool_use", "thinking", "redacted_thinking", "document"}
)


def _user_text(content: Any) -> str:
    if isinstance(content, str):
        return join_text([content])
    if isinstance(content, list):
        return join_text(
            b.get("text") for b in content if isinstance(b, dict) and b.get("type") == "text"
        )
    return ""


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


class AnthropicMessagesFormat:
    """The Messages wire format (stateless; use :data:`ANTHROPIC_MESSAGES`)."""

    name: str = "anthropic_messages"
    provider: Provider = "anthropic"
    list_key: str = "messages"
    markers: tuple[bytes, ...] = (b'"image"',)

    def __repr__(self) -> str:
        return f"<WireFormat {self.name}>"

    def matches(self, body: dict[str, Any]) -> bool:
        return looks_anthropic(body)

    def find_images(self, body: dict[str, Any]) -> list[ImageSlot]:
        messages = body.get("messages") if isinstance(body, dict) else None
        if not isinstance(messages, list):
            return []
        collector = SlotCollector()
        for mi, message in enumerate(messages):
            if not isinstance(message, dict):
                collector.add_turn()
                continue
            content = message.get("content")
            is_user = message.get("role") == "user"
            turn = collector.add_turn(_user_text(content) if is_user else "")
            if not isinstance(content, list):
                continue
            for bi, block in enumerate(content):
                source = _image(block)
                if source is not None:
                    collector.add_image(turn, content, bi, source, f"messages[{mi}].content[{bi}]")
                    continue
                if not isinstance(block, dict) or block.get("type") != "tool_result":
                    continue
                nested = block.get("content")
                if not isinstance(nested, list):
                    continue
                for ni, inner in enumerate(nested):
                    source = _image(inner)
                    if source is not None:
                        location = f"messages[{mi}].content[{bi}].content[{ni}]"
                        collector.add_image(turn, nested, ni, source, location)
        return collector.slots()

    def render(self, slot: ImageSlot, edit: ImageEdit) -> list[Any]:
        """The block with a base64 source carrying the new bytes (other keys such as
        ``cache_control`` kept), then a text block. ``detail``/``media_resolution`` do not
        exist in this format and are ignored."""

        def edited() -> Any:
            block = copy.deepcopy(slot.part)
            if not isinstance(block, dict) or edit.data is None:
                return block
            data = encode_base64(edit.data)
            source = block.get("source")
            if isinstance(source, dict) and source.get("type") == "base64":
                source["media_type"] = edit.media_type
                source["data"] = data
            else:  # url/file source: the new bytes replace the reference
                block["source"] = {"type": "base64", "media_type": edit.media_type, "data": data}
            return block

        return assemble(edited, edit, lambda text: {"type": "text", "text": text})

    def model(self, body: dict[str, Any], path: str | None = None) -> str | None:
        return str_or_none(body.get("model")) if isinstance(body, dict) else None


ANTHROPIC_MESSAGES = AnthropicMessagesFormat()
