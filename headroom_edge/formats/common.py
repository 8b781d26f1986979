"""Mechanics shared by the format modules: collecting slots and assembling replacement parts.

Each format walks its own body shape; what is left is the same everywhere: number the images in
body order, attach the question of their turn (see :mod:`headroom_edge.formats.questions`), and
turn an :class:`ImageEdit` into "the edited image part and/or a text part".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from headroom_edge.formats.base import ImageEdit, ImageSlot, ImageSource
from headroom_edge.formats.datauri import parse_data_url
from headroom_edge.formats.questions import questions_by_turn


@dataclass
class _Found:
    turn: int
    container: list[Any]
    position: int
    source: ImageSource
    location: str
    detail: str | None
    media_resolution: str | None


@dataclass
class SlotCollector:
    """Gathers turns and image parts during one walk of a body, then builds the slots.

    One instance per :meth:`find_images` call, so formats stay stateless singletons.
    """

    turn_texts: list[str] = field(default_factory=list)
    _found: list[_Found] = field(default_factory=list)

    def add_turn(self, user_text: str = "") -> int:
        """Register the next turn (``user_text`` is "" for non-user turns); returns its index."""
        self.turn_texts.append(user_text)
        return len(self.turn_texts) - 1

    def add_image(
        self,
        turn: int,
        container: list[Any],
        position: int,
        source: ImageSource,
        location: str,
        detail: str | None = None,
        media_resolution: str | None = None,
    ) -> None:
        self._found.append(
            _Found(turn, container, position, source, location, detail, media_resolution)
        )

    def slots(self) -> list[ImageSlot]:
        questions = questions_by_turn(self.turn_texts)
        return [
            ImageSlot(
                index=i,
                container=f.container,
                position=f.position,
                source=f.source,
                question=questions[f.turn],
                location=f.location,
                detail=f.detail,
                media_resolution=f.media_resolution,
            )
            for i, f in enumerate(self._found)
        ]


def source_from_url(url: object) -> ImageSource | None:
    """The source behind an image URL: base64 for a base64 data URL, url kind for other URLs.

    A data URL that is not base64 (or an empty string) gives None: it is not rewritable, and
    reporting it as a "url" would put inline content where callers expect a fetchable address
    (and where results could log it).
    """
    if not isinstance(url, str) or not url.strip():
        return None
    parsed = parse_data_url(url)
    if parsed is not None:
        media_type, data = parsed
        return ImageSource(kind="base64", media_type=media_type or None, data=data)
    if url.lstrip()[:5].lower() == "data:":
        return None
    return ImageSource(kind="url", url=url)


def str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


def check_edit(edit: ImageEdit) -> None:
    """Reject an edit whose new bytes have no media type: the wire needs one for every format."""
    if edit.data is not None and not edit.media_type:
        raise ValueError("ImageEdit.media_type is required when ImageEdit.data is set")


def assemble(
    edited_part: Callable[[], Any], edit: ImageEdit, text_part: Callable[[str], Any]
) -> list[Any]:
    """The replacement list: the edited image part (unless dropped), then the text part if any.

    An empty ``text`` adds no part: providers reject empty text blocks.
    """
    check_edit(edit)
    parts: list[Any] = [edited_part()] if edit.keep_image else []
    if edit.text:
        parts.append(text_part(edit.text))
    return parts
