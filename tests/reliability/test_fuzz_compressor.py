"""``ImageCompressor.compress_body`` never raises, and every body comes back either byte-identical
or as a correct rewrite (see :func:`tests.reliability.conftest.assert_valid_rewrite`)."""

from __future__ import annotations

import base64
import copy
import io
import json
import resource
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from PIL import Image

from headroom_edge import ImageCompressor
from tests.reliability.conftest import (
    BODIES,
    FORMATS,
    FUZZ,
    GIST,
    JSON_VALUES,
    PATHS,
    QUESTIONS,
    _payload,
    b64,
    base_images,
    check_compress_body,
    corrupt_base64,
    corrupt_image,
    special_images,
    to_bytes,
    wire_body,
)

MARKERS = [b'"image_url"', b'"input_image"', b'"image"', b"inlineData", b"inline_data"]


# -- random and malformed JSON ------------------------------------------------------------------------


@FUZZ
@given(prefix=st.sampled_from(MARKERS), noise=st.binary(max_size=300), path=st.sampled_from(
    [None, *PATHS.values(), "/v1/unknown"]))
@example(prefix=b"{", noise=b'"messages": [' * 5000, path=None)
@example(prefix=b'{"image_url": ', noise=b"\xff\xfe\x00", path="/v1/chat/completions")
@example(prefix=b"", noise=b"\xef\xbb\xbf{\"messages\": []}", path=None)  # UTF-8 BOM
def test_random_bytes_pass_through(compressor: ImageCompressor, prefix: bytes, noise: bytes,
                                   path: str | None) -> None:
    raw = prefix + noise
    out = check_compress_body(compressor, raw, path=path)
    assert not out.changed


@FUZZ
@given(body=BODIES, path=st.sampled_from([None, *PATHS.values()]))
def test_random_bodies_keep_the_invariant(compressor: ImageCompressor, body: dict[str, Any],
                                          path: str | None) -> None:
    check_compress_body(compressor, to_bytes(body), path=path)
    check_compress_body(compressor, body, path=path)


@FUZZ
@given(value=JSON_VALUES, wire_format=st.sampled_from(FORMATS), data=st.data())
def test_any_json_value_anywhere(compressor: ImageCompressor, value: Any, wire_format: str,
                                 data: st.DataObject) -> None:
    """Non-object top levels, and odd values at any top-level key of every format."""
    check_compress_body(compressor, to_bytes(value))
    body = wire_body(wire_format, b64(base_images()["jpeg"]), "image/jpeg")
    key = data.draw(st.sampled_from(sorted(body)))
    check_compress_body(compressor, to_bytes({**body, key: value}), path=PATHS[wire_format])


@FUZZ
@given(wire_format=st.sampled_from(FORMATS), cut=st.integers(min_value=0))
def test_truncated_json_passes_through(compressor: ImageCompressor, wire_format: str,
                                       cut: int) -> None:
    raw = to_bytes(wire_body(wire_format, b64(base_images()["jpeg"]), "image/jpeg"))
    cut %= len(raw)
    out = check_compress_body(compressor, raw[:cut], path=PATHS[wire_format])
    assert not out.changed


# -- wrong types in every field of each wire format -------------------------------------------------

WRONG = [None, True, -7, 1.5, "", "x", [], {}, [None], {"type": None}]
_DELETE = object()


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key/index path in a JSON tree, parents before children."""
    found: list[tuple[Any, ...]] = []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in items:
        found.append((*prefix, key))
        found.extend(_paths(child, (*prefix, key)))
    return found


def _replaced(body: Any, path: tuple[Any, ...], value: Any) -> Any:
    out = copy.deepcopy(body)
    node = out
    for key in path[:-1]:
        node = node[key]
    if value is _DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return out


@pytest.mark.parametrize("wire_format", FORMATS)
def test_wrong_type_in_every_field(compressor: ImageCompressor, wire_format: str) -> None:
    """Exhaustive: every field of a realistic body (image parts included) replaced by every
    wrong type, and deleted. The image is a 1024x768 photo the gist question compresses."""
    body = wire_body(wire_format, b64(base_images()["jpeg"]), "image/jpeg")
    assert check_compress_body(compressor, to_bytes(body), path=PATHS[wire_format]).changed
    paths = _paths(body)
    assert len(paths) > 20
    for path in paths:
        for value in [*WRONG, _DELETE]:
            mutated = _replaced(body, path, value)
            check_compress_body(compressor, to_bytes(mutated), path=PATHS[wire_format])
    # The format named explicitly but the body of another one: nothing to find, nothing broken.
    for other in FORMATS:
        if other != wire_format:
            check_compress_body(compressor, to_bytes(body), wire_format=other)


# -- base64 and data URLs ----------------------------------------------------------------------------


@FUZZ
@given(damaged=corrupt_base64(), wire_format=st.sampled_from(FORMATS),
       variant=st.integers(0, 1))
def test_invalid_or_truncated_base64(compressor: ImageCompressor, damaged: tuple[str, str],
                                     wire_format: str, variant: int) -> None:
    text, media_type = damaged
    body = wire_body(wire_format, text, media_type, variant=variant)
    check_compress_body(compressor, to_bytes(body), path=PATHS[wire_format])


@pytest.mark.parametrize("url", [
    "data:image/jpeg;base64",  # no comma
    "data:image/jpeg,rawbytes",  # not base64
    "data:;base64,",  # empty everything
    "DATA:IMAGE/JPEG;BASE64,{b}",
    "data:image/jpeg;name=a.jpg;charset=x;base64,{b}",
    " data:image/jpeg;base64,{b}",
    "data:image/jpeg;base64,{b}#fragment",
    "data:image/jpeg;base64,{b}?q=1",
    "data:image/jpeg;base64,%2F9j%2F4AAQ",
    "data:image/jpeg;base64,{b}" + "A" * 1,
    "https://example.com/image.jpg",
    "file:///etc/passwd",
    "",
])
@pytest.mark.parametrize("wire_format", ["openai_chat", "openai_responses"])
def test_odd_data_urls(compressor: ImageCompressor, url: str, wire_format: str) -> None:
    body = wire_body(wire_format, "", "image/jpeg")
    part = body["messages"][2]["content"][1] if wire_format == "openai_chat" else body["input"][0]["content"][1]
    url = url.replace("{b}", b64(base_images()["jpeg"]))
    if wire_format == "openai_chat":
        part["image_url"]["url"] = url
    else:
        part["image_url"] = url
    check_compress_body(compressor, to_bytes(body), path=PATHS[wire_format])


# -- corrupt and truncated images of every format ----------------------------------------------------


@FUZZ
@given(damaged=corrupt_image(), wire_format=st.sampled_from(FORMATS),
       question=st.sampled_from(QUESTIONS[:3]))
def test_corrupt_images(compressor: ImageCompressor, damaged: tuple[bytes, str],
                        wire_format: str, question: str) -> None:
    data, media_type = damaged
    body = wire_body(wire_format, b64(data), media_type, question)
    check_compress_body(compressor, to_bytes(body), path=PATHS[wire_format])


# -- awkward but valid images, bombs, animations ---------------------------------------------------


def _new_image(out_body: bytes, wire_format: str, original: bytes) -> Image.Image | None:
    """The first inline image of a rewritten body whose bytes differ from ``original``."""
    for part in _walk(json.loads(out_body)):
        _, data = _payload(wire_format, part)
        if data and data != b64(original):
            img = Image.open(io.BytesIO(base64.b64decode(data)))
            img.load()
            return img
    return None


def _walk(node: Any) -> Iterator[Any]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


@pytest.mark.parametrize("wire_format", FORMATS)
@pytest.mark.parametrize("name", sorted(special_images()))
def test_special_images(compressor: ImageCompressor, name: str, wire_format: str) -> None:
    """Each awkward image under the gist question (the one that rewrites most) and one more
    question (rotating through transcode, crop, preserve) in every wire format."""
    sample = special_images()[name]
    other = QUESTIONS[1 + (sorted(special_images()).index(name) + FORMATS.index(wire_format)) % 3]
    for question in (GIST, other):
        raw = to_bytes(wire_body(wire_format, b64(sample.data), sample.media_type, question))
        out = check_compress_body(compressor, raw, path=PATHS[wire_format])
        image = out.result.images[0]  # (OpenAI Chat bodies also hold a URL image)
        if sample.expect == "unchanged":
            assert not out.changed and out.body is raw
            assert image.compressed_tokens == image.original_tokens
        if name.startswith("bomb_"):
            assert image.error and ("limit" in image.error or "bomb" in image.error), image.error
        if question == GIST:  # the same body as str, and as a dict with the format named
            check_compress_body(compressor, raw.decode("utf-8"), path=PATHS[wire_format])
            check_compress_body(compressor, json.loads(raw), wire_format=wire_format)
        if sample.expect == "upright_portrait" and out.changed and question == GIST:
            img = _new_image(out.body, wire_format, sample.data)
            assert img is None or img.height > img.width, f"EXIF rotation lost: {img.size}"


def test_bomb_is_rejected_before_decoding(compressor: ImageCompressor) -> None:
    """A 10-gigapixel PNG header costs microseconds, not memory."""
    bodies = []
    for name in ("bomb_png_100k", "bomb_png_9k", "bomb_gif", "bomb_jpeg", "bomb_webp"):
        sample = special_images()[name]  # (built before measuring)
        bodies.append(to_bytes(wire_body("anthropic_messages", b64(sample.data),
                                         sample.media_type, "Transcribe it")))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    for raw in bodies:
        out = check_compress_body(compressor, raw, path="/v1/messages")
        assert not out.changed
    assert time.perf_counter() - start < 2.0
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50_000  # KiB


# -- text that JSON allows but UTF-8 does not, and absurd nesting (regressions) -------------------------


@pytest.mark.parametrize("wire_format", FORMATS)
def test_lone_surrogate_escape_elsewhere_in_body(compressor: ImageCompressor, wire_format: str) -> None:
    """``"\\ud800"`` is valid JSON (a lone surrogate once parsed); a rewrite must still be valid
    UTF-8 JSON carrying the same value. Used to raise UnicodeEncodeError from compress_body."""
    body = wire_body(wire_format, b64(base_images()["jpeg"]), "image/jpeg")
    raw = to_bytes(body).replace(b'"Be brief."', b'"Be \\ud800 brief \\udfff \\ud83d\\ude00."', 1)
    assert b"\\ud800" in raw
    for sent in (raw, raw.decode("utf-8")):
        out = check_compress_body(compressor, sent, path=PATHS[wire_format])
        assert out.changed
        text = out.body if isinstance(out.body, str) else out.body.decode("utf-8")
        parsed = json.loads(text.encode("utf-8"))  # str output is encodable too
        assert "\ud800" in json.dumps(parsed, ensure_ascii=False)
    # A Python str that itself holds a lone surrogate: no crash, and a rewrite is sendable.
    out = check_compress_body(compressor, raw.decode("utf-8").replace("\\ud800", "\ud800"))
    if out.changed:
        out.body.encode("utf-8")


@pytest.mark.parametrize("depth", [200, 2000])
@pytest.mark.parametrize("where", ["top", "image_part"])
def test_deep_nesting(compressor: ImageCompressor, depth: int, where: str) -> None:
    """Nesting beyond Python's recursion limit anywhere (even inside the image part that gets
    rewritten, or in a dict passed in) passes through instead of raising RecursionError."""
    body = wire_body("anthropic_messages", b64(base_images()["jpeg"]), "image/jpeg")
    nested: Any = "bottom"
    for _ in range(depth):
        nested = [nested]
    if where == "top":
        body["metadata"]["deep"] = nested
    else:
        body["messages"][0]["content"][0]["cache_control"]["deep"] = nested
    check_compress_body(compressor, body, path="/v1/messages")
    raw = json.dumps(body).encode() if depth < 900 else None
    if raw is not None:
        assert check_compress_body(compressor, raw, path="/v1/messages").changed


@FUZZ
@given(extra=st.dictionaries(st.text(max_size=8), st.text(max_size=20) | st.floats(
    allow_nan=False, allow_infinity=False) | st.integers(), max_size=4))
@example(extra={"big": 10**400, "tiny": 1e-320, "neg0": -0.0, "x": "\u0000\u2028\u00ff"})
def test_unusual_scalars_round_trip(compressor: ImageCompressor, extra: dict[str, Any]) -> None:
    body = wire_body("openai_chat", b64(base_images()["jpeg"]), "image/jpeg")
    body["metadata"].update(extra)
    out = check_compress_body(compressor, to_bytes(body), path=PATHS["openai_chat"])
    assert out.changed


@pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity"])
def test_non_finite_numbers_pass_through(compressor: ImageCompressor, constant: bytes) -> None:
    """Python parses NaN leniently; a rewrite could not write it back as JSON, so nothing changes."""
    raw = to_bytes(wire_body("openai_chat", b64(base_images()["jpeg"]), "image/jpeg"))
    raw = raw.replace(b'"temperature":0.25', b'"temperature":' + constant).replace(
        b'"temperature": 0.25', b'"temperature": ' + constant)
    assert constant in raw
    out = compressor.compress_body(raw, path=PATHS["openai_chat"])
    assert not out.changed and out.body is raw


def test_unsupported_body_type_is_a_clear_error(compressor: ImageCompressor) -> None:
    with pytest.raises(TypeError):
        compressor.compress_body(["not", "a", "body"])  # type: ignore[arg-type]
