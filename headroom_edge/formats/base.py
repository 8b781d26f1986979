"""The shared shape of a wire format: where images live in a body and how one is rewritten.

Every provider format (one module each) turns a parsed JSON body into a list of :class:`ImageSlot`
and renders an :class:`ImageEdit` back into that provider's part shape. Nothing here knows about
pixels, models or tokens: the flow is wire format -> decision -> technique -> wire format.

All image parts of all supported formats live inside JSON lists (message content, tool results,
Gemini parts), so a rewrite is always "replace ``container[position]`` with zero or more parts".
:func:`apply_edits` does that for every format in one place, leaving every other field untouched.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from headroom_edge.providers import Provider

__all__ = ["ImageEdit", "ImageSlot", "ImageSource", "Provider", "SourceKind", "WireFormat", "apply_edits"]

SourceKind = Literal["base64", "url", "file"]


@dataclass(frozen=True)
class ImageSource:
    """Where an image's bytes come from, exactly as the client sent it.

    ``data`` is the base64 text (without any ``data:`` prefix), still encoded: decoding is the
    compressor's job so that a bad payload is recorded per image instead of failing the parse.
    """

    kind: SourceKind
    media_type: str | None = None
    data: str | None = None
    url: str | None = None
    file_id: str | None = None


@dataclass(eq=False)
class ImageSlot:
    """One image part found in a body, with the question that belongs to it.

    ``container``/``position`` point at the part inside the parsed body so it can be replaced
    in place; ``location`` is the same place as a readable JSON path for results and errors.
    """

    index: int
    container: list[Any]
    position: int
    source: ImageSource
    question: str
    location: str
    detail: str | None = None
    """OpenAI ``detail`` as sent ("low", "high", "auto", "original") or None."""
    media_resolution: str | None = None
    """Gemini level in effect for this part (per-part, else the request's global), e.g.
    "MEDIA_RESOLUTION_HIGH"; None when the request sets none."""

    @property
    def part(self) -> Any:
        return self.container[self.position]


@dataclass(frozen=True)
class ImageEdit:
    """How to rewrite one slot; produced by a technique, rendered by the slot's wire format.

    A field left as None keeps what the client sent.
    """

    data: bytes | None = None
    """New encoded image bytes; None keeps the original payload."""
    media_type: str | None = None
    """Media type of ``data`` (required when ``data`` is set)."""
    detail: str | None = None
    """OpenAI detail to set, e.g. "low"."""
    media_resolution: str | None = None
    """Gemini per-part level to set, e.g. "MEDIA_RESOLUTION_LOW"."""
    text: str | None = None
    """Text placed right after the image part (transcode: the OCR text)."""
    keep_image: bool = True
    """False drops the image part, leaving only ``text``."""


class WireFormat(Protocol):
    """One provider request format. Implementations are stateless singletons."""

    name: str
    """Stable name: "openai_chat", "openai_responses", "anthropic_messages", "gemini"."""
    provider: Provider
    messages_key: str
    """The body's top-level list of turns ("messages", "input", "contents")."""
    markers: tuple[bytes, ...]
    """Byte strings that every image part of this format contains in its raw JSON (key or type
    names): a body with none of any format's markers is passed on without parsing."""

    def matches(self, body: dict[str, Any]) -> bool:
        """Whether a body of unknown origin has this format's shape."""

    def find_images(self, body: dict[str, Any]) -> list[ImageSlot]:
        """Every image part in body order, each with its question. Never raises on odd shapes:
        anything that is not a recognisable image part is simply not a slot."""

    def render(self, slot: ImageSlot, edit: ImageEdit) -> list[Any]:
        """The parts that replace ``slot.part``: a copy of it with only the edited fields changed,
        and/or a text part in this format's shape."""

    def model(self, body: dict[str, Any], path: str | None = None) -> str | None:
        """The model the request targets (from the body, or the URL path for Gemini)."""


def apply_edits(fmt: WireFormat, edits: Iterable[tuple[ImageSlot, ImageEdit]]) -> None:
    """Rewrite the slots' parts in place.

    Edits in the same list are applied from the highest position down so that a slot that turns
    into two parts (image + OCR text) does not shift the positions of slots not yet applied.
    """
    ordered: Sequence[tuple[ImageSlot, ImageEdit]] = sorted(
        edits, key=lambda pair: (id(pair[0].container), pair[0].position), reverse=True
    )
    for slot, edit in ordered:
        slot.container[slot.position : slot.position + 1] = fmt.render(slot, edit)
