"""The raw-body codec: strict parsing with spans, and splice rendering that keeps client bytes."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headroom_edge.formats import ANTHROPIC_MESSAGES, FORMATS, GEMINI, OPENAI_CHAT, OPENAI_RESPONSES
from headroom_edge.formats.base import ImageEdit, WireFormat, apply_edits
from headroom_edge.formats.body import (
    ArraySpans,
    _needles,
    image_markers,
    may_have_images,
    parse_body,
    render_body,
)

from .helpers import make_image

NEW_PNG = make_image((8, 6), "PNG", (1, 2, 3))
B64 = "aGVsbG8="  # the parser never decodes it; only the formats' slot finding looks at it


def chat(extra: str = "") -> str:
    return (
        '{"model": "gpt-4o", "messages": [{"role": "user", "content": [{"type": "text", '
        '"text": "What is this?"}, {"type": "image_url", "image_url": {"url": '
        f'"data:image/jpeg;base64,{B64}"}}}}]}}]{extra}}}'
    )


def render_with(fmt: WireFormat, text: str, edit: ImageEdit) -> str:
    parsed = parse_body(text)
    assert parsed is not None
    slots = fmt.find_images(parsed.value)
    assert slots
    return render_body(parsed, fmt, [(slot, edit) for slot in slots])


# -- parsing -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a": "\xed\xa0\x80"}',  # an encoded lone surrogate: not UTF-8
        b'{"a": "\xff"}',
        b"\xef\xbb\xbf{}",  # byte-order mark
        b'\xff\xfe{\x00}\x00',  # UTF-16
        b'{"a": NaN}',
        b'{"a": Infinity}',
        b'{"a": 1} x',
        b'{"a": 01}',
        b'{"a": "tab\there"}',  # a raw control character inside a string
        b"[1, 2]",
        b'"text"',
        b"",
        b'{"a": [' * 3000 + b"]" * 3000 + b"}",
    ],
)
def test_anything_but_strict_utf8_json_objects_is_refused(raw: bytes) -> None:
    assert parse_body(raw) is None


def test_a_str_with_a_lone_surrogate_is_refused() -> None:
    assert parse_body('{"a": "\ud800"}') is None
    parsed = parse_body('{"a": "\\ud800"}')  # the escape is valid JSON text
    assert parsed is not None and parsed.value == {"a": "\ud800"}


def test_values_equal_json_loads_and_spans_point_at_the_text() -> None:
    text = '{ "a" : [ 1 , -0, 0.10000000000000000555, 1E400, "x\\u00e9" ] ,"b":{},"a":[true,null,false] }'
    parsed = parse_body(text.encode())
    assert parsed is not None
    assert parsed.value == json.loads(text)
    outer = parsed.spans[id(parsed.value)]
    assert [m.key for m in outer.members] == ["a", "b", "a"]  # duplicates are all recorded
    first = outer.members[0]
    assert text[first.value_start : first.value_end].startswith("[ 1 ,")
    inner = parsed.spans[id(parsed.value["a"])]
    assert isinstance(inner, ArraySpans)
    assert [text[s:e] for s, e in inner.items] == ["true", "null", "false"]


def test_history_far_from_images_is_read_by_the_c_scanner_with_the_same_result() -> None:
    """Elements far before an image marker, and all elements after the last one, are read whole
    (no spans); the rewrite is still exact, and NaN is refused there too."""
    history = ", ".join(
        '{"role": "user", "content": "' + "x" * 300 + f'", "n": [{i}, -0, 1.5e3], "d": 1, "d": 2}}'
        for i in range(40)
    )
    image = '{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,' + B64 + '"}}]}'
    text = f'{{"messages": [{history}, {image}, {history}]}}'
    parsed = parse_body(text)
    assert parsed is not None and parsed.value == json.loads(text)
    messages = parsed.value["messages"]
    assert id(messages[0]) not in parsed.spans and id(messages[-1]) not in parsed.spans
    assert id(messages[40]) in parsed.spans
    out = render_with(OPENAI_CHAT, text, ImageEdit(detail="low"))
    assert out.replace(',"detail":"low"', "", 1) == text
    assert parse_body(text.replace('"d": 1', '"d": NaN', 1)) is None
    assert parse_body(text.replace('"d": 1', '"d": NaN').replace('"x', '"y', 1)) is None


def test_a_marker_beyond_the_search_window_is_still_found() -> None:
    """An Anthropic block whose ``type`` comes after megabytes of data: the element is read by
    the C scanner first, but the marker inside it is found and it is walked again for spans."""
    data = "A" * (1 << 21)
    block = '{"source": {"type": "base64", "media_type": "image/png", "data": "' + data + '"}, "type": "image"}'
    text = '{"max_tokens": 5, "system": "s", "messages": [{"role": "user", "content": [' + block + "]}]}"
    parsed = parse_body(text)
    assert parsed is not None
    slots = ANTHROPIC_MESSAGES.find_images(parsed.value)
    assert len(slots) == 1 and id(slots[0].part) in parsed.spans
    out = render_body(parsed, ANTHROPIC_MESSAGES, [(slots[0], ImageEdit(data=NEW_PNG, media_type="image/png"))])
    assert data not in out and out.endswith('"}, "type": "image"}]}]}')


def test_markers_come_from_the_formats() -> None:
    markers = image_markers()
    for fmt in FORMATS:
        assert set(fmt.markers) <= set(markers)
    assert may_have_images(chat().encode()) and may_have_images(chat())
    assert not may_have_images(b'{"messages": [{"role": "user", "content": "hi"}]}')


# -- splicing ----------------------------------------------------------------------------------------


def test_only_the_image_fields_change_and_odd_client_bytes_survive() -> None:
    extra = ', "n": 0.10000000000000000555, "z": -0, "big": 1E400, "d": 1, "d": 2,\n  "s": "\\u00e9\\/"'
    text = chat(extra)
    out = render_with(OPENAI_CHAT, text, ImageEdit(data=NEW_PNG, media_type="image/png", detail="low"))
    head = text[: text.index('"url": "data:') + len('"url": ')]
    tail = text[text.index(f'{B64}"') + len(B64) + 1 :]
    assert out.startswith(head)
    assert out.endswith(tail[tail.index("}") :])
    assert extra in out  # number text, duplicate keys, escapes and whitespace: the client's
    part = json.loads(out)["messages"][0]["content"][1]
    assert part["image_url"]["detail"] == "low"
    assert part["image_url"]["url"].startswith("data:image/png;base64,")


def test_a_rewrite_equals_applying_the_edits_to_the_parsed_body() -> None:
    edit = ImageEdit(data=NEW_PNG, media_type="image/png", detail="low", text="ocr text é")
    for fmt, text in BODIES.items():
        out = render_with(fmt, text, edit)
        expected = json.loads(text)
        apply_edits(fmt, [(slot, edit) for slot in fmt.find_images(expected)])
        assert json.loads(out) == expected, fmt.name


def test_dropping_the_image_keeps_the_neighbours_and_commas() -> None:
    text = chat()
    out = render_with(OPENAI_CHAT, text, ImageEdit(keep_image=False, text="the text"))
    assert json.loads(out)["messages"][0]["content"][1] == {"type": "text", "text": "the text"}
    out = render_with(OPENAI_CHAT, text, ImageEdit(keep_image=False))
    assert json.loads(out)["messages"][0]["content"] == [{"type": "text", "text": "What is this?"}]


def test_adjacent_removed_parts_leave_valid_json() -> None:
    images = ",".join(
        '{"type": "image_url", "image_url": {"url": "data:image/png;base64,' + B64 + '"}}'
        for _ in range(3)
    )
    for content in (f"[{images}]", f'[{images}, {{"type": "text", "text": "q"}}]'):
        text = '{"messages": [{"role": "user", "content": ' + content + "}]}"
        out = render_with(OPENAI_CHAT, text, ImageEdit(keep_image=False))
        assert json.loads(out)["messages"][0]["content"] == json.loads(content)[3:]


def test_a_renamed_key_keeps_its_place_and_a_removed_key_takes_its_comma() -> None:
    gemini = '{"contents": [{"parts": [{"a": 1, "fileData": {"mimeType": "image/png", "fileUri": "u"}, "b": 2}]}]}'
    out = render_with(GEMINI, gemini, ImageEdit(data=NEW_PNG, media_type="image/png"))
    assert list(json.loads(out)["contents"][0]["parts"][0]) == ["a", "inlineData", "b"]
    assert out.startswith('{"contents": [{"parts": [{"a": 1,') and out.endswith(', "b": 2}]}]}')
    responses = (
        '{"input": [{"role": "user", "content": [{"file_id": "f1", "type": "input_image"}]}]}'
    )
    out = render_with(OPENAI_RESPONSES, responses, ImageEdit(data=NEW_PNG, media_type="image/png"))
    part = json.loads(out)["input"][0]["content"][0]
    assert "file_id" not in part and part["type"] == "input_image"
    assert out.startswith('{"input": [{"role": "user", "content": [{"type": "input_image"')


BODIES: dict[WireFormat, str] = {
    OPENAI_CHAT: chat(', "d": 1, "d": 2'),
    OPENAI_RESPONSES: (
        '{"model":"gpt-5","input":[{"role":"user","content":[{"type":"input_text","text":"q"},'
        '{"type":"input_image","image_url":"data:image/jpeg;base64,' + B64 + '","detail":"high"},'
        '{"type":"input_image","file_id":"file-1"}]}]}'
    ),
    ANTHROPIC_MESSAGES: (
        '{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":['
        '{"type":"image","source":{"type":"base64","media_type":"image/jpeg","data":"' + B64 + '"},'
        '"cache_control":{"type":"ephemeral"}},{"type":"tool_result","tool_use_id":"t","content":'
        '[{"type":"image","source":{"type":"url","url":"https://x.test/a.png"}}]},'
        '{"type":"text","text":"q"}]}]}'
    ),
    GEMINI: (
        '{"contents":[{"parts":[{"text":"q"},{"inline_data":{"mime_type":"image/jpeg","data":"'
        + B64 + '"}},{"inlineData":{"mimeType":"image/png","data":"' + B64 + '"},'
        '"mediaResolution":{"level":"MEDIA_RESOLUTION_HIGH"}}]}]}'
    ),
}


# -- fuzz: random valid bodies around image parts ----------------------------------------------------------

_SCALARS = (
    st.none() | st.booleans() | st.integers() | st.text(max_size=12)
    | st.floats(allow_nan=False, allow_infinity=False)
)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
_STYLES = st.sampled_from([(None, (",", ":")), (None, (", ", ": ")), (2, (",", ": ")), ("\t", (" ,", " : "))])


def _gaps(text: str, spans: list[tuple[int, int]]) -> list[str]:
    """The text between (and around) the given spans."""
    gaps, cursor = [], 0
    for start, end in sorted(spans):
        gaps.append(text[cursor:start])
        cursor = end
    gaps.append(text[cursor:])
    return gaps


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    fmt_index=st.integers(0, len(BODIES) - 1),
    extra=st.dictionaries(st.text(min_size=1, max_size=6), _JSON, max_size=4),
    style=_STYLES,
    ascii_only=st.booleans(),
    edit=st.sampled_from([
        ImageEdit(data=NEW_PNG, media_type="image/png", detail="low"),
        ImageEdit(media_resolution="MEDIA_RESOLUTION_LOW", detail="low"),
        ImageEdit(data=NEW_PNG, media_type="image/png", text="t"),
        ImageEdit(keep_image=False, text="only text"),
        ImageEdit(keep_image=False),
    ]),
)
def test_fuzz_bytes_outside_the_image_parts_are_the_clients(
    fmt_index: int, extra: dict[str, Any], style: tuple[Any, tuple[str, str]], ascii_only: bool,
    edit: ImageEdit,
) -> None:
    fmt, template = list(BODIES.items())[fmt_index]
    body = json.loads(template)
    body.update({f"x{k}": v for k, v in extra.items()})
    indent, separators = style
    text = json.dumps(body, indent=indent, separators=separators, ensure_ascii=ascii_only)
    raw = text.encode("utf-8", "surrogatepass")
    parsed = parse_body(raw)
    if parsed is None:  # hypothesis text may hold lone surrogates: then it must not be UTF-8
        with pytest.raises(UnicodeError):
            raw.decode("utf-8")
        return
    assert parsed.value == json.loads(text)
    slots = fmt.find_images(parsed.value)
    element_spans = [parsed.spans[id(s.container)].items[s.position] for s in slots]  # type: ignore[union-attr]
    out = render_body(parsed, fmt, [(slot, edit) for slot in slots])
    # every byte outside the edited image parts is there, in order, unchanged
    gaps = _gaps(text, element_spans)
    if edit.keep_image is False and not edit.text:  # a removed part takes one comma with it
        gaps = [gap.strip(" \t\n\r,") for gap in gaps]
    position = 0
    for gap in gaps:
        found = out.find(gap, position)
        assert found >= position, gap
        position = found + len(gap)
    assert out.startswith(gaps[0]) and out.endswith(gaps[-1])
    expected = copy.deepcopy(json.loads(text))
    apply_edits(fmt, [(slot, edit) for slot in fmt.find_images(expected)])
    assert json.loads(out) == expected


def test_a_new_value_is_written_exactly_as_json_would_write_it() -> None:
    """``_dump`` quotes plain ASCII strings itself (the fast path for data URLs): the text must be
    the json module's, for every character class a string can hold."""
    import base64
    import json

    from headroom_edge.formats.body import _dump

    samples = [
        "data:image/jpeg;base64," + base64.b64encode(bytes(range(256)) * 40).decode(),
        "", "plain", "a/b", "tab\there", "new\nline", 'quote"d', "back\\slash", "\x00\x1f", "del\x7f",
        "héllo", "日本語", "\ud800 lone", ["list", 1], {"k": "v\n"}, 3.5, None,
    ]
    for value in samples:
        expected = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        if isinstance(value, str) and "\ud800" in value:
            expected = json.dumps(value, separators=(",", ":"))
        assert _dump(value) == expected, repr(value)
        assert json.loads(_dump(value)) == value


@given(st.text())
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_any_string_is_dumped_as_json_dumps_would(value: str) -> None:
    from headroom_edge.formats.body import _dump

    try:
        expected = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        expected.encode("utf-8")
    except UnicodeEncodeError:
        expected = json.dumps(value, separators=(",", ":"))
    assert _dump(value) == expected


# ----------------------------------------------------------------------------- marker groups

_CHAT_MARKERS = ('"image_url"', '"image"', '"images"')


def test_chat_markers_share_one_search() -> None:
    """The chat formats' markers are searched in one pass (one needle), the others alone."""
    needles = _needles(['"image_url"', '"image"', '"images"', "inlineData", "inline_data", "fileData"])
    assert [(n.prefix, n.words) for n in needles] == [
        ('"image', _CHAT_MARKERS), ("inline", ("inlineData", "inline_data")), ("fileData", ("fileData",)),
    ]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(['"image_url"', '"image"', '"images"', '"imag', "x", '"', "AAAA", " "]), max_size=30),
    st.integers(0, 80), st.integers(0, 80),
)
def test_needle_finds_what_each_marker_search_finds(pieces: list[str], start: int, limit: int) -> None:
    """A group's search answers exactly what the per-marker ``str.find`` calls it replaces did."""
    text = "".join(pieces)
    (needle,) = _needles(_CHAT_MARKERS)
    hits = [text.find(m, start, limit + len(m) - 1) for m in _CHAT_MARKERS]
    expected = min((h for h in hits if h != -1), default=-1)
    assert needle.find(text, start, limit) == expected
    assert needle.inside(text, start, limit) == any(text.find(m, start, limit) != -1 for m in _CHAT_MARKERS)
