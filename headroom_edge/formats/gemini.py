"""Google Gemini generateContent / streamGenerateContent: ``contents[].parts[]``.

Shape: ``{"inlineData": {"mimeType": ..., "data": ...}}`` (REST also accepts snake_case
``inline_data``/``mime_type``), ``{"fileData": {"mimeType": ..., "fileUri": ...}}`` (reported as a
url source), ``{"text": ...}``. Inline/file data is a generic blob container (audio, PDF, video),
so only parts whose mime type is ``image/*`` are images. Images returned by tools inside
``functionResponse.parts`` are images too (their text is tool output, not the question). A
``FunctionResponsePart`` may hold only media, so text made from such an image (a transcode's OCR
text) goes into the function response's ``response`` object under :data:`OCR_TEXT_KEY`, where the
model reads it as part of the tool's answer and every validator accepts it (a JSON object).
A ``contents`` entry without ``role`` is the user's; ``systemInstruction`` is never the question.

Rendering keeps each part's naming style (camelCase or snake_case), because clients and
gateways that build one style may not accept a mix.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from headroom_edge.formats.base import ImageEdit, ImageSlot, ImageSource, Provider, TextHome
from headroom_edge.formats.common import (
    FoundImage,
    ImageReader,
    Nested,
    Turn,
    TurnListFormat,
    assemble,
    user_text,
)

_LEVEL_PREFIX = "MEDIA_RESOLUTION_"

OCR_TEXT_KEY = "headroom_ocr_text"
"""Key in ``functionResponse.response`` that holds text read from the response's own images."""


def _get(mapping: dict[str, Any], camel: str, snake: str) -> Any:
    """``mapping[camel]``, else ``mapping[snake]`` (REST accepts both spellings)."""
    return mapping[camel] if camel in mapping else mapping.get(snake)


def normalise_level(value: Any) -> str | None:
    """The upper-case ``MEDIA_RESOLUTION_*`` level of ``{"level": ...}`` or of a bare string
    ("low", "media_resolution_low", "MEDIA_RESOLUTION_LOW").

    None for anything else and for UNSPECIFIED, which means "the model's default"."""
    if isinstance(value, dict):
        value = value.get("level")
    if not isinstance(value, str) or not value.strip():
        return None
    level = value.strip().upper()
    if not level.startswith(_LEVEL_PREFIX):
        level = _LEVEL_PREFIX + level
    return None if level == _LEVEL_PREFIX + "UNSPECIFIED" else level


def _global_level(body: dict[str, Any]) -> str | None:
    config = _get(body, "generationConfig", "generation_config")
    if not isinstance(config, dict):
        return None
    return normalise_level(_get(config, "mediaResolution", "media_resolution"))


def _image_type(value: Any) -> str | None:
    return value if isinstance(value, str) and value.lower().startswith("image/") else None


def _image(part: Any) -> ImageSource | None:
    """The source of an image part (inline or file data with an ``image/*`` type), or None."""
    if not isinstance(part, dict):
        return None
    inline = _get(part, "inlineData", "inline_data")
    if isinstance(inline, dict):
        media_type = _image_type(_get(inline, "mimeType", "mime_type"))
        data = inline.get("data")
        if media_type is None or not isinstance(data, str):
            return None
        return ImageSource(kind="base64", media_type=media_type, data=data)
    file_data = _get(part, "fileData", "file_data")
    if isinstance(file_data, dict):
        media_type = _image_type(_get(file_data, "mimeType", "mime_type"))
        uri = _get(file_data, "fileUri", "file_uri")
        if media_type is None or not isinstance(uri, str) or not uri:
            return None
        return ImageSource(kind="url", media_type=media_type, url=uri)
    return None


def _is_text(part: dict[str, Any]) -> bool:
    return part.get("thought") is not True


def _is_snake(part: dict[str, Any]) -> bool:
    return "inline_data" in part or "file_data" in part


class GeminiFormat(TurnListFormat):
    """The Gemini generateContent wire format (stateless; use :data:`GEMINI`)."""

    name: str = "gemini"
    provider: Provider = "google"
    messages_key: str = "contents"
    markers: tuple[bytes, ...] = (b"inlineData", b"inline_data", b"fileData", b"file_data")

    def matches(self, body: dict[str, Any]) -> bool:
        return isinstance(body, dict) and isinstance(_request(body).get("contents"), list)

    def entries(self, body: dict[str, Any]) -> Any:
        """``contents``, or those of a countTokens ``generateContentRequest``."""
        return _request(body).get("contents")

    def find_images(self, body: dict[str, Any]) -> list[ImageSlot]:
        slots = super().find_images(body)
        if isinstance(body, dict) and _request(body) is not body:  # report the real JSON path
            wrapper = "generateContentRequest" if "generateContentRequest" in body else "generate_content_request"
            for slot in slots:
                slot.location = f"{wrapper}.{slot.location}"
        return slots

    def turn(self, entry: Any) -> Turn:
        if not isinstance(entry, dict):
            return Turn()
        parts = entry.get("parts")
        is_user = entry.get("role") in (None, "", "user")
        text = user_text(parts, _is_text) if is_user and isinstance(parts, list) else ""
        return Turn(text, "parts", parts)

    def image(self, part: Any) -> FoundImage | None:
        """The image of a part with its own ``mediaResolution`` level (None if it sets none)."""
        source = _image(part)
        if source is None:
            return None
        return FoundImage(source, media_resolution=normalise_level(_get(part, "mediaResolution", "media_resolution")))

    def image_reader(self, body: dict[str, Any]) -> ImageReader:
        """:meth:`image`, with the request's global level for parts that set none."""
        global_level = _global_level(_request(body))
        if global_level is None:
            return self.image

        def read(part: Any) -> FoundImage | None:
            found = self.image(part)
            if found is None or found.media_resolution is not None:
                return found
            return FoundImage(found.source, media_resolution=global_level)

        return read

    def nested_parts(self, part: Any) -> Iterable[Nested]:
        """Parts of a ``functionResponse`` (images returned by tools); their text goes into the
        response object (see :data:`OCR_TEXT_KEY`)."""
        if not isinstance(part, dict):
            return
        key = "functionResponse" if "functionResponse" in part else "function_response"
        response = part.get(key)
        nested = response.get("parts") if isinstance(response, dict) else None
        if isinstance(nested, list):
            assert isinstance(response, dict)
            yield Nested(f"{key}.parts", nested, TextHome(response, "response", OCR_TEXT_KEY))

    def render(self, slot: ImageSlot, edit: ImageEdit) -> list[Any]:
        """The part with new inline data and/or a per-part ``{"level": ...}``, in the part's own
        naming style, then a ``{"text": ...}`` part. New bytes turn a ``fileData`` part into an
        ``inlineData`` part at the same key position. ``detail`` does not exist here."""

        def edited() -> Any:
            part = copy.deepcopy(slot.part)
            if not isinstance(part, dict):
                return part
            snake = _is_snake(part)
            if edit.data is not None:
                part = _with_inline_data(part, edit.media_type or "", edit.base64)
            if edit.media_resolution is not None:
                if "mediaResolution" in part:
                    key = "mediaResolution"
                elif "media_resolution" in part:
                    key = "media_resolution"
                else:
                    key = "media_resolution" if snake else "mediaResolution"
                current = part.get(key)
                if isinstance(current, dict):
                    current["level"] = edit.media_resolution
                else:
                    part[key] = {"level": edit.media_resolution}
            return part

        return assemble(edited, edit, lambda text: {"text": text})

    def body_model(self, body: dict[str, Any]) -> str | None:
        """The body's ``model`` without its ``models/`` prefix (the path's model wins; see
        :meth:`TurnListFormat.model`)."""
        return strip_models_prefix(_request(body).get("model"))


def _request(body: dict[str, Any]) -> dict[str, Any]:
    """The generateContent request a body is: itself, or the ``generateContentRequest`` a
    countTokens body may wrap it in (REST: camelCase or snake_case) when it has no ``contents``."""
    if not isinstance(body, dict) or "contents" in body:
        return body
    inner = _get(body, "generateContentRequest", "generate_content_request")
    return inner if isinstance(inner, dict) else body


def strip_models_prefix(model: Any) -> str | None:
    """``"models/gemini-3-flash"`` -> ``"gemini-3-flash"``; None for non-strings and ""."""
    if not isinstance(model, str):
        return None
    return model[len("models/") :] if model.startswith("models/") else model or None


def _with_inline_data(part: dict[str, Any], media_type: str, data: str) -> dict[str, Any]:
    for inline_key in ("inlineData", "inline_data"):
        inline = part.get(inline_key)
        if isinstance(inline, dict):
            if "mimeType" in inline:
                mime_key = "mimeType"
            elif "mime_type" in inline:
                mime_key = "mime_type"
            else:
                mime_key = "mime_type" if inline_key == "inline_data" else "mimeType"
            inline[mime_key] = media_type
            inline["data"] = data
            return part
    file_key = "fileData" if "fileData" in part else "file_data"
    snake = file_key == "file_data"
    new_key = "inline_data" if snake else "inlineData"
    new_value = {"mime_type" if snake else "mimeType": media_type, "data": data}
    if file_key not in part:
        return {**part, new_key: new_value}
    return {
        (new_key if k == file_key else k): (new_value if k == file_key else v)
        for k, v in part.items()
    }


GEMINI = GeminiFormat()
