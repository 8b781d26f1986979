"""AWS Bedrock Converse: image blocks in ``messages[].content`` and inside ``toolResult`` blocks.

Shape (``POST /model/{modelId}/converse`` and ``/converse-stream``)::

    {"messages": [{"role": "user", "content": [
        {"text": "What is this?"},
        {"image": {"format": "png", "source": {"bytes": "<base64>"}}},
        {"toolResult": {"toolUseId": "t1", "content": [{"image": {...}}, {"text": "..."}]}}]}],
     "system": [{"text": "..."}], "inferenceConfig": {...}}

Blocks carry no ``type`` key: the key itself names the block. ``source`` may instead be an
``s3Location`` (left untouched: fetching it needs AWS credentials). The model is in the path,
not the body; Claude models there follow Anthropic's image rules, so the provider is Anthropic.
Bedrock requests are SigV4-signed over the body, so this format is rewritten before signing
(``headroom_edge.integrations.bedrock``), never by a proxy.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote

from headroom_edge.formats.base import ImageEdit, ImageSlot, ImageSource
from headroom_edge.formats.common import (
    FoundImage,
    Nested,
    Turn,
    TurnListFormat,
    assemble,
    message_turn,
    str_or_none,
)
from headroom_edge.providers import Provider

# Converse's image "format" names <-> media types (the four it accepts).
_MEDIA_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp"}
_FORMAT_NAMES = {media: name for name, media in _MEDIA_TYPES.items()}
_MODEL_IN_PATH = re.compile(r"/model/([^/]+)/(?:converse|converse-stream|invoke|invoke-with-response-stream)$")


def model_from_path(path: str | None) -> str | None:
    """The (URL-decoded) model id of a Bedrock runtime path, or None."""
    if not isinstance(path, str):
        return None
    found = _MODEL_IN_PATH.search(path.split("?", 1)[0].rstrip("/"))
    return unquote(found.group(1)) if found else None


def _is_text(part: dict[str, Any]) -> bool:
    return "text" in part  # Converse blocks are named by their key, not a "type"


def _image(block: Any) -> ImageSource | None:
    if not isinstance(block, dict) or not isinstance(block.get("image"), dict):
        return None
    image = block["image"]
    source = image.get("source")
    data = source.get("bytes") if isinstance(source, dict) else None
    if not isinstance(data, str) or not data:
        return None  # s3Location, or raw bytes that are not JSON base64
    media = _MEDIA_TYPES.get(str_or_none(image.get("format")) or "")
    return ImageSource(kind="base64", media_type=media, data=data)


class BedrockConverseFormat(TurnListFormat):
    """The Converse wire format (stateless; use :data:`BEDROCK_CONVERSE`)."""

    name: str = "bedrock_converse"
    provider: Provider = "anthropic"
    messages_key: str = "messages"
    markers: tuple[bytes, ...] = (b'"image"',)

    def matches(self, body: dict[str, Any]) -> bool:
        """Only by an explicit choice or a Bedrock path: a Converse body by shape alone is too
        close to other ``messages`` bodies to be guessed."""
        return False

    def turn(self, entry: Any) -> Turn:
        return message_turn(entry, _is_text)

    def image(self, part: Any) -> FoundImage | None:
        source = _image(part)
        return FoundImage(source) if source is not None else None

    def nested_parts(self, part: Any) -> Iterable[Nested]:
        """A ``toolResult`` block's ``content`` list (tool screenshots)."""
        result = part.get("toolResult") if isinstance(part, dict) else None
        nested = result.get("content") if isinstance(result, dict) else None
        if isinstance(nested, list):
            yield Nested("toolResult.content", nested)

    def render(self, slot: ImageSlot, edit: ImageEdit) -> list[Any]:
        """The block with the new bytes and matching ``format``, then a ``{"text"}`` block (valid
        both in a message and in a toolResult's content)."""

        def edited() -> Any:
            block = copy.deepcopy(slot.part)
            if edit.data is None or not isinstance(block, dict):
                return block
            image = block.setdefault("image", {})
            image["format"] = _FORMAT_NAMES.get(edit.media_type or "", "png")
            source = image.get("source")
            if not isinstance(source, dict):
                source = image["source"] = {}
            source["bytes"] = edit.base64
            return block

        return assemble(edited, edit, lambda text: {"text": text})

    def model(self, body: dict[str, Any], path: str | None = None) -> str | None:
        return model_from_path(path)


BEDROCK_CONVERSE = BedrockConverseFormat()
