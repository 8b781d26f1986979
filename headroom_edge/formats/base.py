"""The shared shape of a wire format: where images live in a body and how one is rewritten.

Every provider format (one module each) turns a parsed JSON body into a list of :class:`ImageSlot`
and renders an :class:`ImageEdit` back into that provider's part shape. Nothing here knows about
pixels, models or tokens: the flow is wire format -> decision -> technique -> wire format.

Almost every image part lives inside a JSON list (message content, tool results, Gemini parts,
Ollama's ``images``), so a rewrite is "replace ``container[position]`` with zero or more parts".
Two shapes differ, and :func:`apply_edits` handles both for every format in one place, leaving
every other field untouched:

* a list that cannot hold text (Ollama's ``images`` holds only base64; a Gemini
  ``FunctionResponsePart`` only media): the slot names a :class:`TextHome`, where OCR text goes;
* a single image held by an object key (a Responses ``computer_call_output.output`` screenshot):
  ``container`` is that object and ``position`` the key. There is room for exactly one image and
  no text, so only edits that keep the image and add no text are applied there.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any, Literal, Protocol

from headroom_edge.formats.datauri import data_url_of_base64, encode_base64
from headroom_edge.providers import Provider

__all__ = [
    "ImageEdit", "ImageSlot", "ImageSource", "Provider", "SourceKind", "TextHome", "WireFormat", "apply_edits",
]

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


@dataclass(frozen=True, eq=False)
class TextHome:
    """Where a slot's text (a transcode's OCR text) goes when its part list cannot hold text.

    With ``field`` None, ``owner[key]`` is a string (Ollama's ``content``/``prompt``) and the text
    is appended to it. With ``field`` set, ``owner[key]`` is a JSON object (Gemini's
    ``functionResponse.response``, created when missing) and the text is appended to its string
    member ``field``. Texts of several images are appended in body order, one paragraph each.
    """

    owner: dict[str, Any]
    key: str
    field: str | None = None

    def usable(self) -> bool:
        """Whether the text can be placed without overwriting anything that is not text."""
        current = self.owner.get(self.key)
        if self.field is None:
            return current is None or isinstance(current, str)
        if current is None:
            return True
        return isinstance(current, dict) and (current.get(self.field) is None or isinstance(current[self.field], str))

    def place(self, text: str) -> None:
        if self.field is None:
            self.owner[self.key] = _appended(self.owner.get(self.key), text)
            return
        target = self.owner.get(self.key)
        if not isinstance(target, dict):
            target = self.owner[self.key] = {}
        target[self.field] = _appended(target.get(self.field), text)


def _appended(current: Any, text: str) -> str:
    return f"{current}\n\n{text}" if isinstance(current, str) and current.strip() else text


@dataclass(eq=False)
class ImageSlot:
    """One image part found in a body, with the question that belongs to it.

    ``container``/``position`` point at the part inside the parsed body so it can be replaced
    in place; ``location`` is the same place as a readable JSON path for results and errors.
    """

    index: int
    container: Any
    """The list holding the part, or (single-image slots) the object holding it."""
    position: Any
    """Index into ``container``, or the key for an object container."""
    source: ImageSource
    question: str
    location: str
    detail: str | None = None
    """OpenAI ``detail`` as sent ("low", "high", "auto", "original") or None."""
    media_resolution: str | None = None
    """Gemini level in effect for this part (per-part, else the request's global), e.g.
    "MEDIA_RESOLUTION_HIGH"; None when the request sets none."""
    text_home: TextHome | None = None
    """Where this slot's text goes when its container cannot hold text parts."""

    @property
    def holds_one(self) -> bool:
        """A single image under an object key: no room for a second part or for text."""
        return isinstance(self.container, dict)

    @property
    def takes_text(self) -> bool:
        """Whether an edit may add text here or drop the image (a transcode). False for a
        single-image slot and for a text home that holds something other than text: a decision
        that needs text should not be made for such a slot, as :func:`apply_edits` skips it."""
        if self.holds_one:
            return False
        return self.text_home is None or self.text_home.usable()

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
    """Text placed right after the image part, or in the slot's :class:`TextHome` (transcode:
    the OCR text)."""
    keep_image: bool = True
    """False drops the image part, leaving only ``text``."""

    @cached_property
    def base64(self) -> str:
        """``data`` as base64 text, encoded once per edit: a cached edit is rendered again for
        every request that repeats its image (conversation history), and the encode is a tenth
        of a millisecond for a 512 px JPEG."""
        if self.data is None:
            raise ValueError("this edit keeps the client's image: it has no new data to encode")
        return encode_base64(self.data)

    @cached_property
    def data_url(self) -> str:
        """``data`` as a ``data:`` URL of ``media_type`` (OpenAI's shapes), built once per edit."""
        if self.data is None or not self.media_type:
            raise ValueError("a data URL needs new data and its media type")
        return data_url_of_base64(self.media_type, self.base64)


class WireFormat(Protocol):
    """One provider request format. Implementations are stateless singletons."""

    name: str
    """Stable name: "openai_chat", "openai_responses", "anthropic_messages", "gemini",
    "gemini_interactions", "ollama_chat", "ollama_generate"."""
    provider: Provider
    """Whose token and media rules price this format's images."""
    messages_key: str
    """The body's top-level list of turns ("messages", "input", "contents"); also the key a bare
    list is wrapped under."""
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
        and/or a text part in this format's shape (never for a slot with a text home: see
        :func:`apply_edits`)."""

    def model(self, body: dict[str, Any], path: str | None = None) -> str | None:
        """The model the request targets (from the path where the endpoint names one, else the
        body)."""


def apply_edits(fmt: WireFormat, edits: Iterable[tuple[ImageSlot, ImageEdit]]) -> list[ImageSlot]:
    """Rewrite the slots' parts in place.

    Edits in the same list are applied from the highest position down so that a slot that turns
    into two parts (image + OCR text) does not shift the positions of slots not yet applied. Text
    bound for a :class:`TextHome` is placed afterwards, in body order; an edit whose text has no
    valid home (or, for a single-image slot, that drops the image or adds text) is not applied:
    the image then goes as sent rather than losing what the text would have carried. Returns
    the slots whose edits were skipped (so results can say so).
    """
    in_lists: list[tuple[ImageSlot, ImageEdit]] = []
    for_homes: list[tuple[ImageSlot, str]] = []
    skipped: list[ImageSlot] = []
    for slot, edit in edits:
        needs_text = bool(edit.text) or not edit.keep_image
        if needs_text and not slot.takes_text:
            skipped.append(slot)
            continue
        if slot.holds_one:
            rendered = fmt.render(slot, edit)
            if len(rendered) == 1:
                slot.container[slot.position] = rendered[0]
            continue
        if slot.text_home is not None and edit.text:
            for_homes.append((slot, edit.text))
            edit = replace(edit, text=None)
        in_lists.append((slot, edit))
    ordered: Sequence[tuple[ImageSlot, ImageEdit]] = sorted(
        in_lists, key=lambda pair: (id(pair[0].container), pair[0].position), reverse=True
    )
    for slot, edit in ordered:
        slot.container[slot.position : slot.position + 1] = fmt.render(slot, edit)
    for slot, text in sorted(for_homes, key=lambda pair: pair[0].index):
        assert slot.text_home is not None
        slot.text_home.place(text)
    return skipped
