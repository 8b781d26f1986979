"""OpenAI Chat Completions: ``messages[].content`` image parts.

Shape: ``{"type": "image_url", "image_url": {"url": <data or https URL>, "detail": ...}}``;
``image_url`` given as a bare URL string is tolerated (some SDKs and proxies send it). Text
parts are ``{"type": "text", "text": ...}``. Images are looked for in every message (the API
only allows them in user messages, but a body we pass through should be reported completely);
only ``role: "user"`` text counts towards questions.
"""

from __future__ import annotations

import copy
from typing import Any

from headroom_edge.formats.base import ImageEdit, ImageSlot, ImageSource, Provider
from headroom_edge.formats.common import SlotCollector, assemble, source_from_url, str_or_none
from headroom_edge.formats.datauri import build_data_url
from headroom_edge.formats.questions import join_text


def _user_text(content: Any) -> str:
    if isinstance(content, str):
        return join_text([content])
    if isinstance(content, list):
        return join_text(
            p.get("text") for p in content if isinstance(p, dict) and p.get("type") == "text"
        )
    return ""


def _image(part: Any) -> tuple[ImageSource, str | None] | None:
    """The source and detail of an ``image_url`` part, or None when ``part`` is not one."""
    if not isinstance(part, dict) or part.get("type") != "image_url":
        return None
    inner = part.get("image_url")
    if isinstance(inner, dict):
        source = source_from_url(inner.get("url"))
        detail = str_or_none(inner.get("detail"))
    else:
        source = source_from_url(inner)
        detail = None
    return (source, detail) if source is not None else None


class OpenAIChatFormat:
    """The Chat Completions wire format (stateless; use :data:`OPENAI_CHAT`)."""

    name: str = "openai_chat"
    provider: Provider = "openai"
    list_key: str = "messages"
    markers: tuple[bytes, ...] = (b'"image_url"',)

    def __repr__(self) -> str:
        return f"<WireFormat {self.name}>"

    def matches(self, body: dict[str, Any]) -> bool:
        """A ``messages`` list. Anthropic bodies share this shape; detection checks them first."""
        return isinstance(body, dict) and isinstance(body.get("messages"), list)

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
            for pi, part in enumerate(content):
                found = _image(part)
                if found is not None:
                    source, detail = found
                    location = f"messages[{mi}].content[{pi}]"
                    collector.add_image(turn, content, pi, source, location, detail=detail)
        return collector.slots()

    def render(self, slot: ImageSlot, edit: ImageEdit) -> list[Any]:
        """The image part with only ``url`` and/or ``detail`` changed, then the text part."""

        def edited() -> Any:
            part = copy.deepcopy(slot.part)
            if not isinstance(part, dict):
                return part
            new_url = (
                build_data_url(edit.media_type, edit.data)  # type: ignore[arg-type]
                if edit.data is not None
                else None
            )
            inner = part.get("image_url")
            if isinstance(inner, dict):
                if new_url is not None:
                    inner["url"] = new_url
                if edit.detail is not None:
                    inner["detail"] = edit.detail
            elif new_url is not None or edit.detail is not None:
                url = new_url if new_url is not None else inner
                # A bare-string image_url has nowhere to put detail: use the documented object.
                part["image_url"] = {"url": url, "detail": edit.detail} if edit.detail else url
            return part

        return assemble(edited, edit, lambda text: {"type": "text", "text": text})

    def model(self, body: dict[str, Any], path: str | None = None) -> str | None:
        return str_or_none(body.get("model")) if isinstance(body, dict) else None


OPENAI_CHAT = OpenAIChatFormat()
