"""Raw request bodies: the byte-level "may hold images" check, parsing, and splice rendering.

Why splicing instead of ``json.loads`` + ``json.dumps``: re-serialising a body changes bytes the
client wrote and we never meant to touch. Duplicate keys collapse to the last one, number text
is rewritten (``0.10000000000000000555`` -> ``0.1``, ``-0`` -> ``0``, ``1E400`` cannot even be
written back), escapes and whitespace are normalised, and every byte of a 64 MB body is encoded
again. So :func:`parse_body` parses the body once while recording where every object member and
array element sits in the text, and :func:`render_body` copies the client's text verbatim except
for the spans of the image fields an edit changes (and the few fields it adds or removes there).

Only strict JSON in strict UTF-8 is parsed. Everything else (invalid UTF-8, a byte-order mark,
NaN/Infinity, trailing garbage, nesting beyond the recursion limit, a top level that is not an
object) gives None and the caller passes the body through byte-identical: a body we cannot
reproduce exactly is a body we must not rewrite.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from json.decoder import scanstring
from json.scanner import make_scanner
from typing import Any

from headroom_edge.formats import FORMATS
from headroom_edge.formats.base import ImageEdit, ImageSlot, WireFormat

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_SEPARATOR = re.compile(r"[ \t\n\r]*([,\]])[ \t\n\r]*")
"""What follows an array element: whitespace, the separator (group 1), whitespace."""
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")
_LITERALS: dict[str, Any] = {"true": True, "false": False, "null": None}


def image_markers() -> tuple[bytes, ...]:
    """Every byte string whose absence proves a body holds no image part of any format.

    Each format module declares its own ``markers`` (the key or type names its image parts
    cannot be written without); this is their union, so adding a format needs no edit here.
    """
    seen: dict[bytes, None] = {}
    for fmt in FORMATS:
        for marker in fmt.markers:
            seen.setdefault(marker, None)
    return tuple(seen)


def markers_by_messages_key() -> dict[str, tuple[bytes, ...]]:
    """The markers to look for under each top-level key: every format finds its image parts
    only inside its ``messages_key`` ("messages", "input", "contents"), so under any other key
    (tools, metadata, ...) there is nothing to look for."""
    found: dict[str, dict[bytes, None]] = {}
    for fmt in FORMATS:
        for marker in fmt.markers:
            found.setdefault(fmt.messages_key, {}).setdefault(marker, None)
    return {key: tuple(markers) for key, markers in found.items()}


def may_have_images(raw: bytes | bytearray | memoryview | str) -> bool:
    """Cheap scan: False means the body certainly holds no image part (skip parsing).

    A part written with JSON escapes in its key names (``"\\u0069mage"``) is missed and passes
    through untouched, which is the safe direction.
    """
    if isinstance(raw, str):
        return any(marker.decode("ascii") in raw for marker in image_markers())
    data = raw if isinstance(raw, (bytes, bytearray)) else bytes(raw)
    return any(marker in data for marker in image_markers())


@dataclass(frozen=True)
class Member:
    """One ``"key": value`` of an object: ``start`` is the key's opening quote, the value spans
    ``value_start:value_end`` of the text."""

    key: str
    start: int
    value_start: int
    value_end: int


@dataclass(frozen=True)
class ObjectSpans:
    """Where an object and its members are, in text order (duplicate keys included)."""

    open: int
    members: tuple[Member, ...]


@dataclass(frozen=True)
class ArraySpans:
    """Where an array's elements are: ``items[i]`` is the (start, end) of element ``i``."""

    open: int
    items: tuple[tuple[int, int], ...]


Spans = ObjectSpans | ArraySpans


@dataclass
class ParsedBody:
    """A parsed body that remembers its text, so it can be rendered back by splicing.

    ``spans`` maps ``id()`` of the dicts and lists in ``value`` that may hold or be image parts
    (everything the scanner walked itself) to their positions; it is valid only while ``value``
    is alive and unmutated, which is why edits are rendered from here instead of being applied
    to ``value`` first. An edit of a place without spans is refused (the body then passes
    through unchanged), never guessed.
    """

    text: str
    value: dict[str, Any]
    spans: dict[int, Spans] = field(repr=False)


_NEAR_MARKER = 4096
"""An array element that starts at most this many characters before the next image marker is
walked in Python at once; one further away is first read whole by json's C scanner, which is
kept when the element ends before that marker (it then cannot hold an image part) and thrown
away otherwise (one extra C pass over that element)."""


_MARKER_WINDOW = 1 << 20
"""How far ahead (characters) one marker search looks."""


@dataclass(frozen=True)
class _Needle:
    """Markers that share a prefix, found in one pass over the text instead of one per marker.

    Why: each search runs over every base64 payload after the last image part (a 236 KB data
    URL costs ~0.07 ms per pass), and the chat formats' three markers (``"image_url"``,
    ``"image"``, ``"images"``) all start with ``"image``.
    """

    prefix: str
    words: tuple[str, ...]

    def find(self, text: str, start: int, limit: int) -> int:
        """First position in ``[start, limit)`` where one of the words starts, or -1 (a word
        may run past ``limit``, as ``str.find(word, start, limit + len(word) - 1)`` allows)."""
        while True:
            at = text.find(self.prefix, start, limit + len(self.prefix) - 1)
            if at == -1:
                return -1
            if any(text.startswith(word, at) for word in self.words):
                return at
            start = at + 1

    def inside(self, text: str, start: int, end: int) -> bool:
        """Whether one of the words lies wholly within ``text[start:end]``."""
        at = text.find(self.prefix, start, end)
        while at != -1:
            if any(text.startswith(word, at, end) for word in self.words):
                return True
            at = text.find(self.prefix, at + 1, end)
        return False


def _needles(markers: Iterable[str]) -> tuple[_Needle, ...]:
    """Markers grouped by their first four characters, each group searched by its longest
    common prefix (a group of one: the marker itself)."""
    groups: dict[str, list[str]] = {}
    for marker in markers:
        groups.setdefault(marker[:4], []).append(marker)
    needles = []
    for words in groups.values():
        prefix = words[0]
        for word in words[1:]:
            while not word.startswith(prefix):
                prefix = prefix[:-1]
        needles.append(_Needle(prefix, tuple(words)))
    return tuple(needles)


@functools.cache
def _needles_by_key() -> dict[str, tuple[_Needle, ...]]:
    """:func:`markers_by_messages_key` as searches, built once: the formats' markers are fixed at
    import, and rebuilding them cost ~11 us on every parsed body."""
    return {key: _needles(m.decode("ascii") for m in markers) for key, markers in markers_by_messages_key().items()}


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # NaN/Infinity: json.loads would accept them


class _Scanner:
    """Recursive-descent JSON reader that builds the same values as ``json.loads`` (last
    duplicate key wins) and records spans wherever an image part may be.

    Cost model: strings go through json's C ``scanstring``, so the big base64 payloads cost C
    speed, and array elements that cannot hold an image part (no image marker inside: the
    messages of a long chat history, tool lists) are read whole by json's C scanner. Python
    walks only the structure around image parts, which is where spans are needed.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.spans: dict[int, Spans] = {}
        self._by_key = _needles_by_key()
        # For each marker group that matters under the current top-level key: (position of its next
        # occurrence, or -1 when there is none before ``until``; ``until``). Searches look at most
        # _MARKER_WINDOW ahead, so a marker that is absent does not cost a pass over a 64 MB
        # payload on every lookup; scan positions only grow, which keeps these answers valid.
        self._state: dict[_Needle, tuple[int, int]] = {}
        self._last = (-1, len(text))  # the previous answer of markers_near (none: C-scan all)
        self._c_scan = make_scanner(json.JSONDecoder(parse_constant=_reject_constant))

    def enter(self, key: str) -> None:
        """Start the value of top-level member ``key``: look for its formats' markers only."""
        self._state = dict.fromkeys(self._by_key.get(key, ()), (-1, -1))
        self._last = (-1, -1)

    def skip(self, pos: int) -> int:
        return _WHITESPACE.match(self.text, pos).end()  # type: ignore[union-attr]

    def markers_near(self, pos: int) -> tuple[int, int]:
        """(first marker at or after ``pos`` or -1, horizon): no marker starts in
        ``[pos, horizon)`` other than the first one returned."""
        nearest, horizon = self._last
        if pos <= horizon - _NEAR_MARKER and (nearest == -1 or nearest >= pos):
            return self._last  # still true, and the element decision would not change
        text = self.text
        nearest, horizon = -1, len(text)
        for needle, (at, until) in list(self._state.items()):
            if not (at >= pos or (at == -1 and until - pos > _NEAR_MARKER)):
                # Search only text not searched yet: every character is looked at once.
                start = max(pos, until) if at == -1 else pos
                limit = min(pos + _MARKER_WINDOW, len(text))
                at = needle.find(text, start, limit)
                until = limit
                if at == -1 and limit == len(text):
                    del self._state[needle]  # none left anywhere
                    continue
                self._state[needle] = (at, until)
            if at != -1:
                nearest = at if nearest == -1 else min(nearest, at)
            else:
                horizon = min(horizon, until)
        if nearest != -1:
            horizon = min(horizon, nearest)
        self._last = (nearest, horizon)
        return self._last

    def holds_marker(self, start: int, end: int) -> bool:
        return any(needle.inside(self.text, start, end) for needle in self._state)

    def element(self, pos: int) -> tuple[Any, int]:
        """One array element: whole by the C scanner when it provably holds no marker."""
        nearest, horizon = self.markers_near(pos)
        if nearest == -1 or nearest - pos > _NEAR_MARKER:
            try:
                value, end = self._c_scan(self.text, pos)
            except StopIteration:
                raise ValueError(f"expected a value at offset {pos}") from None
            if end <= horizon or (nearest == -1 and not self.holds_marker(horizon, end)):
                return value, end
        return self.value(pos)

    def value(self, pos: int) -> tuple[Any, int]:
        text = self.text
        char = text[pos : pos + 1]
        if char == '"':
            return scanstring(text, pos + 1, True)
        if char == "{":
            return self.object(pos)
        if char == "[":
            return self.array(pos)
        number = _NUMBER.match(text, pos)
        if number is not None:
            frac, exp = number.groups()
            literal = number.group()
            return (float(literal) if frac or exp else int(literal)), number.end()
        for word, constant in _LITERALS.items():
            if text.startswith(word, pos):
                return constant, pos + len(word)
        raise ValueError(f"unexpected character at offset {pos}")

    def object(self, open_pos: int, top: bool = False) -> tuple[dict[str, Any], int]:
        text = self.text
        result: dict[str, Any] = {}
        members: list[Member] = []
        pos = self.skip(open_pos + 1)
        if text[pos : pos + 1] == "}":
            self.spans[id(result)] = ObjectSpans(open_pos, ())
            return result, pos + 1
        while True:
            if text[pos : pos + 1] != '"':
                raise ValueError(f"expected a key at offset {pos}")
            key, after_key = scanstring(text, pos + 1, True)
            colon = self.skip(after_key)
            if text[colon : colon + 1] != ":":
                raise ValueError(f"expected ':' at offset {colon}")
            value_start = self.skip(colon + 1)
            if top:
                self.enter(key)
            value, value_end = self.value(value_start)
            result[key] = value
            members.append(Member(key, pos, value_start, value_end))
            pos = self.skip(value_end)
            char = text[pos : pos + 1]
            if char == "}":
                self.spans[id(result)] = ObjectSpans(open_pos, tuple(members))
                return result, pos + 1
            if char != ",":
                raise ValueError(f"expected ',' or '}}' at offset {pos}")
            pos = self.skip(pos + 1)

    def array(self, open_pos: int) -> tuple[list[Any], int]:
        text = self.text
        result: list[Any] = []
        items: list[tuple[int, int]] = []
        pos = self.skip(open_pos + 1)
        if text[pos : pos + 1] == "]":
            self.spans[id(result)] = ArraySpans(open_pos, ())
            return result, pos + 1
        while True:
            value, end = self.element(pos)
            result.append(value)
            items.append((pos, end))
            separator = _SEPARATOR.match(text, end)
            if separator is None:
                raise ValueError(f"expected ',' or ']' at offset {end}")
            if separator.group(1) == "]":
                self.spans[id(result)] = ArraySpans(open_pos, tuple(items))
                return result, separator.end(1)
            pos = separator.end()


def decode_text(raw: bytes | bytearray | str) -> str | None:
    """The body as text when it is strict UTF-8 (a str: encodable as UTF-8), else None.

    Strict means no lone surrogates (Python's UTF-8 codec refuses encoded surrogates) and no
    byte-order mark, which RFC 8259 forbids senders to add.
    """
    if isinstance(raw, str):
        try:
            raw.encode("utf-8")
        except UnicodeEncodeError:
            return None
        text = raw
    else:
        try:
            text = bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            return None
    return None if text.startswith("\ufeff") else text


def parse_body(raw: bytes | bytearray | str) -> ParsedBody | None:
    """Parse a raw body that is a strict-JSON object in UTF-8; None means "pass it through"."""
    text = decode_text(raw)
    if text is None:
        return None
    scanner = _Scanner(text)
    try:
        start = scanner.skip(0)
        if text[start : start + 1] != "{":
            return None
        value, end = scanner.object(start, top=True)
    except (ValueError, RecursionError):  # json's JSONDecodeError is a ValueError
        return None
    if scanner.skip(end) != len(text):
        return None
    return ParsedBody(text=text, value=value, spans=scanner.spans)


# ----------------------------------------------------------------------------- rendering


@dataclass(frozen=True)
class _Patch:
    """Replace ``text[start:end]`` with ``new`` (an insertion when start == end)."""

    start: int
    end: int
    new: str


def can_splice(edits: Iterable[tuple[ImageSlot, ImageEdit]]) -> bool:
    """Whether every edit only replaces list elements, which is what splicing does.

    Edits that place text elsewhere (a :class:`~headroom_edge.formats.base.TextHome`), rewrite a
    single image held by an object key, or are skipped because their slot takes no text need
    :func:`~headroom_edge.formats.base.apply_edits` on the parsed body instead; the caller then
    re-serialises (rare bodies: Gemini function responses with OCR text, computer screenshots).
    """
    for slot, edit in edits:
        needs_text = bool(edit.text) or not edit.keep_image
        if slot.holds_one or (needs_text and not slot.takes_text):
            return False
        if slot.text_home is not None and edit.text:
            return False
    return True


def render_body(
    parsed: ParsedBody, fmt: WireFormat, edits: Iterable[tuple[ImageSlot, ImageEdit]]
) -> str:
    """The body text with the edits applied by splicing: every character outside the changed
    image fields is the client's.

    Raises ValueError when an edit cannot be placed (a slot outside the parsed body); the
    caller then keeps the body as it was.
    """
    patches: list[_Patch] = []
    dropped: dict[int, tuple[ArraySpans, set[int]]] = {}  # parts removed without a replacement
    for slot, edit in edits:
        spans = parsed.spans.get(id(slot.container))
        if not isinstance(spans, ArraySpans) or not 0 <= slot.position < len(spans.items):
            raise ValueError(f"slot {slot.location} is not in the parsed body")
        parts = fmt.render(slot, edit)
        if parts:
            patches.extend(_slot_patches(parsed, slot, spans, parts, edit.keep_image))
        else:
            dropped.setdefault(id(slot.container), (spans, set()))[1].add(slot.position)
    for spans, positions in dropped.values():  # together: adjacent removals share commas
        patches.extend(_Patch(a, b, "") for a, b in _deletions(spans.items, positions))
    return _splice(parsed.text, patches)


def _slot_patches(
    parsed: ParsedBody, slot: ImageSlot, spans: ArraySpans, parts: Sequence[Any], keep_image: bool
) -> list[_Patch]:
    """Patches replacing one array element by ``parts``: the edited image part diffed against
    the original (``keep_image``), and any further parts inserted right after it."""
    start, end = spans.items[slot.position]
    if not keep_image:
        return [_Patch(start, end, ",".join(_dump(p) for p in parts))]
    patches = _value_patches(parsed, slot.part, parts[0], start, end)
    if len(parts) > 1:
        patches.append(_Patch(end, end, "," + ",".join(_dump(p) for p in parts[1:])))
    return patches


def _value_patches(parsed: ParsedBody, old: Any, new: Any, start: int, end: int) -> list[_Patch]:
    """Patches turning the value at ``text[start:end]`` (parsed as ``old``) into ``new``,
    descending into objects so that unchanged members keep the client's bytes."""
    if type(old) is type(new) and old == new:
        return []
    spans = parsed.spans.get(id(old))
    if isinstance(old, dict) and isinstance(new, dict) and isinstance(spans, ObjectSpans):
        return _object_patches(parsed, old, new, spans)
    return [_Patch(start, end, _dump(new))]


def _object_patches(
    parsed: ParsedBody, old: dict[str, Any], new: dict[str, Any], spans: ObjectSpans
) -> list[_Patch]:
    members = spans.members
    last = {m.key: m for m in members}  # the occurrence whose value ``old`` holds
    patches: list[_Patch] = []
    for key, member in last.items():
        if key in new:
            patches.extend(
                _value_patches(parsed, old[key], new[key], member.value_start, member.value_end)
            )
    deleted = {i for i, m in enumerate(members) if m.key not in new}
    patches.extend(
        _Patch(a, b, "")
        for a, b in _deletions([(m.start, m.value_end) for m in members], deleted)
    )
    patches.extend(_insertions(spans, last, new, deleted))
    return patches


def _insertions(
    spans: ObjectSpans, last: dict[str, Member], new: dict[str, Any], deleted: set[int]
) -> list[_Patch]:
    """New members go right after the kept member that precedes them in ``new`` (a renamed key
    stays where it was), or before the first kept member, or into the emptied braces."""
    kept = [m for i, m in enumerate(spans.members) if i not in deleted]
    groups: dict[str | None, list[str]] = {}
    anchor: str | None = None
    for key, value in new.items():
        if key in last:
            anchor = key
        else:
            groups.setdefault(anchor, []).append(_dump(key) + ":" + _dump(value))
    patches = []
    for anchor_key, texts in groups.items():
        joined = ",".join(texts)
        if anchor_key is not None:
            at = last[anchor_key].value_end
            patches.append(_Patch(at, at, "," + joined))
        elif kept:
            patches.append(_Patch(kept[0].start, kept[0].start, joined + ","))
        else:
            patches.append(_Patch(spans.open + 1, spans.open + 1, joined))
    return patches


def _deletions(items: Sequence[tuple[int, int]], deleted: set[int]) -> list[tuple[int, int]]:
    """Text ranges that remove the ``deleted`` entries of a member/element list with their
    commas: each run of deleted entries takes the comma before it (after a kept entry), or the
    comma after it when it starts the list."""
    ranges = []
    i = 0
    while i < len(items):
        if i not in deleted:
            i += 1
            continue
        j = i
        while j + 1 < len(items) and j + 1 in deleted:
            j += 1
        if i > 0:
            ranges.append((items[i - 1][1], items[j][1]))
        elif j + 1 < len(items):
            ranges.append((items[i][0], items[j + 1][0]))
        else:
            ranges.append((items[i][0], items[j][1]))
        i = j + 1
    return ranges


def _splice(text: str, patches: list[_Patch]) -> str:
    pieces = []
    cursor = 0
    for patch in sorted(patches, key=lambda p: (p.start, p.end)):
        if patch.start < cursor:
            raise ValueError("overlapping edits")  # two edits of one place: keep the body as is
        pieces.append(text[cursor : patch.start])
        pieces.append(patch.new)
        cursor = patch.end
    pieces.append(text[cursor:])
    return "".join(pieces)


_JSON_ESCAPED = bytes(range(0x20)) + b'"\\'
"""The ASCII bytes a JSON string cannot hold as they are: control characters, quote, backslash."""


def _dump(value: Any) -> str:
    """One new JSON value, compact. Non-ASCII text (OCR output) stays as UTF-8; a value holding
    a lone surrogate (copied from the client's ``\\ud800`` escape) is written escaped, since
    UTF-8 cannot carry it.

    An ASCII string with nothing to escape (every rewritten data URL: base64 and a media type)
    is quoted as it is: json's encoder inspects each character in Python-object terms (0.4 ms for
    the 68 KB data URL of a 512 px JPEG), while ``bytes.translate`` proves there is nothing to
    escape in a quarter of that, and the result is the same text."""
    if type(value) is str and value.isascii():
        raw = value.encode("ascii")
        if len(raw.translate(None, _JSON_ESCAPED)) == len(raw):
            return f'"{value}"'
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(value, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
    return text
