"""OpenAI Chat Completions: ``messages[].content`` image parts.

Shape: ``{"type": "image_url", "image_url": {"url": <data or https URL>, "detail": ...}}``.
OpenAI-compatible servers widen it: Mistral takes ``image_url`` as a plain URL string, and vLLM
also takes a part with no ``type`` at all, ``{"image_url": "<url>"}``; both are images here and
keep their shape when rewritten (a typeless part never gains ``detail``, which vLLM's plain form
does not have). Text
parts are ``{"type": "text", "text": ...}``. Images are looked for in every message (the API
only allows them in user messages, but a body we pass through should be reported completely);
only ``role: "user"`` text counts towards questions.
"""

from __future__ import annotations

import copy
from typing import Any

from headroom_edge.formats.base import ImageEdit, ImageSlot, Provider
from headroom_edge.formats.common import (
    FoundImage,
    Turn,
    TurnListFormat,
    assemble,
    message_turn,
    source_from_url,
    str_or_none,
)


def _is_bare(part: dict[str, Any]) -> bool:
    """vLLM's typeless ``{"image_url": "<url>"}`` part."""
    return "type" not in part and isinstance(part.get("image_url"), str)


class OpenAIChatFormat(TurnListFormat):
    """The Chat Completions wire format (stateless; use :data:`OPENAI_CHAT`)."""

    name: str = "openai_chat"
    provider: Provider = "openai"
    messages_key: str = "messages"
    markers: tuple[bytes, ...] = (b'"image_url"',)

    def matches(self, body: dict[str, Any]) -> bool:
        """A ``messages`` list. Anthropic bodies share this shape; detection checks them first."""
        return isinstance(body, dict) and isinstance(body.get("messages"), list)

    def turn(self, entry: Any) -> Turn:
        return message_turn(entry)

    def image(self, part: Any) -> FoundImage | None:
        """The source and detail of an ``image_url`` part, or None when ``part`` is not one."""
        if not isinstance(part, dict) or not (part.get("type") == "image_url" or _is_bare(part)):
            return None
        inner = part.get("image_url")
        if isinstance(inner, dict):
            source = source_from_url(inner.get("url"))
            detail = str_or_none(inner.get("detail"))
        else:
            source = source_from_url(inner)
            detail = None
        return FoundImage(source, detail) if source is not None else None

    def render(self, slot: ImageSlot, edit: ImageEdit) -> list[Any]:
        """The image part with only ``url`` and/or ``detail`` changed, then the text part."""

        def edited() -> Any:
            part = copy.deepcopy(slot.part)
            if not isinstance(part, dict):
                return part
            new_url = (
                edit.data_url
                if edit.data is not None
                else None
            )
            inner = part.get("image_url")
            if isinstance(inner, dict):
                if new_url is not None:
                    inner["url"] = new_url
                if edit.detail is not None:
                    inner["detail"] = edit.detail
            elif "type" not in part:
                if new_url is not None:
                    part["image_url"] = new_url
            elif new_url is not None or edit.detail is not None:
                url = new_url if new_url is not None else inner
                # A bare-string image_url has nowhere to put detail: use the documented object.
                part["image_url"] = {"url": url, "detail": edit.detail} if edit.detail else url
            return part

        return assemble(edited, edit, lambda text: {"type": "text", "text": text})


OPENAI_CHAT = OpenAIChatFormat()
