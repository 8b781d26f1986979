"""Mechanics shared by the format modules: one walk over a body, and assembling replacement parts.

All four formats have the same skeleton: a top-level list of turns (``messages``, ``input``,
``contents``), each with the user's text and a list of parts, some parts holding a nested list of
parts (tool results). :class:`TurnListFormat` walks that skeleton once for all of them; a format
only says how to read one turn, one image part and where nested lists live. What is left is the
same everywhere too: number the images in body order, attach the question of their turn (see
:mod:`headroom_edge.formats.questions`), and turn an :class:`ImageEdit` into "the edited image
part and/or a text part".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from headroom_edge.formats.base import ImageEdit, ImageSlot, ImageSource, TextHome
from headroom_edge.formats.datauri import parse_data_url
from headroom_edge.formats.endpoints import model_in_path
from headroom_edge.formats.questions import join_text, questions_by_turn
from headroom_edge.providers import Provider


@dataclass(frozen=True)
class FoundImage:
    """What a format reads from one image part."""

    source: ImageSource
    detail: str | None = None
    media_resolution: str | None = None


@dataclass(frozen=True)
class Turn:
    """One entry of the body's top-level list, as the walk needs it."""

    user_text: str = ""
    """The user's question text of this turn; "" for other roles, tool outputs and odd entries."""
    key: str = ""
    """Name of the entry's part list ("content", "parts", "output") for result locations."""
    parts: Any = None
    """The part list itself (anything that is not a list holds no images), or with ``holder``
    the one image part itself."""
    text_home: TextHome | None = None
    """Where text for this turn's images goes when ``parts`` cannot hold text (Ollama)."""
    holder: dict[str, Any] | None = None
    """Set when the entry holds a single image object under ``key`` instead of a part list
    (a Responses ``computer_call_output``): the slot is ``holder[key]``."""


@dataclass(frozen=True)
class Nested:
    """A part list nested inside a part (tool results, documents)."""

    key: str
    """Location key, e.g. "content", "functionResponse.parts"."""
    parts: list[Any]
    text_home: TextHome | None = None
    """Where text goes when ``parts`` cannot hold text (Gemini's FunctionResponseParts)."""


ImageReader = Callable[[Any], "FoundImage | None"]


@dataclass
class _Found:
    turn: int
    container: Any
    position: Any
    source: ImageSource
    location: str
    detail: str | None
    media_resolution: str | None
    text_home: TextHome | None


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

    def add_image(self, turn: int, container: Any, position: Any, found: FoundImage, location: str,
                  text_home: TextHome | None = None) -> None:
        self._found.append(
            _Found(turn, container, position, found.source, location, found.detail, found.media_resolution,
                   text_home)
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
                text_home=f.text_home,
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


def user_text(content: Any, is_text: Callable[[dict[str, Any]], bool]) -> str:
    """The text of a turn's content: a plain string, or the ``text`` of the parts ``is_text``
    accepts (joined as :func:`~headroom_edge.formats.questions.join_text` does)."""
    if isinstance(content, str):
        return join_text([content])
    if isinstance(content, list):
        return join_text(p.get("text") for p in content if isinstance(p, dict) and is_text(p))
    return ""


def is_text_block(part: dict[str, Any]) -> bool:
    """A ``{"type": "text", "text": ...}`` part (Chat Completions and Anthropic)."""
    return part.get("type") == "text"


def message_turn(message: Any, is_text: Callable[[dict[str, Any]], bool] = is_text_block) -> Turn:
    """A ``{"role": ..., "content": str | [parts]}`` message; its text counts only for "user"."""
    if not isinstance(message, dict):
        return Turn()
    content = message.get("content")
    text = user_text(content, is_text) if message.get("role") == "user" else ""
    return Turn(text, "content", content)


class TurnListFormat:
    """The walk and the small members all four wire formats share.

    Subclasses set ``name``, ``provider`` and ``messages_key`` and implement :meth:`turn`,
    :meth:`image` and, where tool results nest parts, :meth:`nested_parts`; they add
    ``matches`` and ``render``. Instances are stateless singletons.
    """

    name: str
    provider: Provider
    messages_key: str
    """The body's top-level list of turns; also the key a bare message list is wrapped under."""

    def __repr__(self) -> str:
        return f"<WireFormat {self.name}>"

    def turn(self, entry: Any) -> Turn:
        """How one top-level entry reads (``Turn()`` for an entry that is not a turn)."""
        raise NotImplementedError

    def image(self, part: Any) -> FoundImage | None:
        """The image a part holds, or None when the part is not a usable image part."""
        raise NotImplementedError

    def image_reader(self, body: dict[str, Any]) -> ImageReader:
        """:meth:`image`, or a reader that also knows request-wide settings (Gemini's level)."""
        return self.image

    def nested_parts(self, part: Any) -> Iterable[Nested]:
        """The part lists nested inside ``part`` (tool results, documents)."""
        return ()

    def entries(self, body: dict[str, Any]) -> Any:
        """The body's turns: the list under :attr:`messages_key` (a format whose body is a single
        turn returns ``[body]``)."""
        return body.get(self.messages_key)

    def location(self, entry_index: int, key: str) -> str:
        """Readable JSON path of an entry's part list (or single image), for results."""
        return f"{self.messages_key}[{entry_index}].{key}"

    def find_images(self, body: dict[str, Any]) -> list[ImageSlot]:
        entries = self.entries(body) if isinstance(body, dict) else None
        if not isinstance(entries, list):
            return []
        read = self.image_reader(body)
        collector = SlotCollector()
        for ei, entry in enumerate(entries):
            turn = self.turn(entry)
            index = collector.add_turn(turn.user_text)
            where = self.location(ei, turn.key)
            if turn.holder is not None:
                found = read(turn.parts)
                if found is not None:
                    collector.add_image(index, turn.holder, turn.key, found, where)
                continue
            if not isinstance(turn.parts, list):
                continue
            for pi, part in enumerate(turn.parts):
                found = read(part)
                if found is not None:
                    collector.add_image(index, turn.parts, pi, found, f"{where}[{pi}]", turn.text_home)
                for nested in self.nested_parts(part):
                    for ni, inner in enumerate(nested.parts):
                        found = read(inner)
                        if found is not None:
                            collector.add_image(index, nested.parts, ni, found, f"{where}[{pi}].{nested.key}[{ni}]",
                                                nested.text_home)
        return collector.slots()

    def body_model(self, body: dict[str, Any]) -> str | None:
        """The model the body names (Gemini strips its ``models/`` prefix)."""
        return str_or_none(body.get("model")) or None

    def model(self, body: dict[str, Any], path: str | None = None) -> str | None:
        """The model the path names (Gemini, Vertex AI, Bedrock), else the body's ``model``, else
        the Azure deployment the path names (deployment names are often, not always, model names:
        only a fallback)."""
        named = model_in_path(path)
        if named.model:
            return named.model
        return (self.body_model(body) if isinstance(body, dict) else None) or named.deployment
