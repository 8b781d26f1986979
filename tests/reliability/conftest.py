"""Shared parts of the reliability suite: hostile images, odd bodies, and the one invariant.

The invariant every fuzz test checks (through the library and through the proxy): a request body
is either passed through BYTE-IDENTICAL, or rewritten into valid JSON of the same wire format in
which every non-image field is equal and every rewritten image decodes with Pillow, has the media
type it is labelled with, and is one the provider accepts. :func:`assert_valid_rewrite` is that
check; :func:`check_compress_body` applies it to one ``compress_body`` call.

Servers are the integration suite's (``ServerThread``, the fake provider and its ``Recorder``,
imported, not copied); added here are what that suite has no use for: an upstream that echoes any
request body back (so a fuzz test sees exactly what was forwarded) and a raw TCP upstream that can
break a response mid-stream.
"""

from __future__ import annotations

import base64
import io
import json
import math
import socket
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from types import TracebackType
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from headroom_edge import ImageCompressor
from headroom_edge.compressor import BodyCompression
from headroom_edge.formats import get_format
from headroom_edge.formats.base import ImageSlot
from headroom_edge.formats.datauri import parse_data_url
from headroom_edge.imaging.decode import MEDIA_TYPES
from headroom_edge.integrations import ProxySettings, create_proxy_app
from headroom_edge.providers import rules_for
from tests import factories as f
from tests.integrations.conftest import compressor, recorder, upstream  # noqa: F401  (fixtures)
from tests.integrations.servers import ServerThread
from tests.security.conftest import anthropic_up, google_up, openai_up  # noqa: F401  (fixtures)

FUZZ = settings(
    deadline=None,
    max_examples=60,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.function_scoped_fixture],
)
"""Hypothesis settings for this folder: modest example counts keep it fast on 2 cores."""

FORMATS = ("openai_chat", "openai_responses", "anthropic_messages", "gemini")
PATHS = {
    "openai_chat": "/v1/chat/completions",
    "openai_responses": "/v1/responses",
    "anthropic_messages": "/v1/messages",
    "gemini": "/v1beta/models/gemini-2.5-flash:generateContent",
}
MODELS = {
    "openai_chat": "gpt-4o",
    "openai_responses": "gpt-4.1",
    "anthropic_messages": "claude-sonnet-4-5",
    "gemini": "gemini-2.5-flash",
}
GIST = "What is shown in this picture? Give me a short description."
QUESTIONS = (
    GIST,
    "Transcribe all the text in this image.",
    "What is in the top-left corner?",
    "How many small dots are there? Count them exactly.",
    "",
)


# ----------------------------------------------------------------------------- test images


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def raw_png(width: int, height: int, bit_depth: int, color_type: int, rows: bytes) -> bytes:
    """A PNG from already filtered scanlines: for bit depths and headers Pillow will not write."""
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr)
            + png_chunk(b"IDAT", zlib.compress(rows)) + png_chunk(b"IEND", b""))


def png_bomb(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares ``width`` x ``height`` RGB pixels (one real row)."""
    return raw_png(width, height, 8, 2, b"\x00" * (1 + 3 * min(width, 64)))


def gif_bomb() -> bytes:
    """A 1x1 GIF whose logical screen claims 65535x65535 (what Pillow reports as its size)."""
    data = bytearray(f.encode(Image.new("P", (1, 1)), "GIF"))
    data[6:10] = struct.pack("<HH", 65535, 65535)
    return bytes(data)


def jpeg_bomb() -> bytes:
    """A 16x16 baseline JPEG whose SOF0 header is patched to declare 65000x65000."""
    data = bytearray(f.encode(Image.new("RGB", (16, 16), "gray"), "JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", 65000, 65000)
    return bytes(data)


def webp_bomb() -> bytes:
    """A lossy 16x16 WebP whose VP8 frame header is patched to declare 16383x16383."""
    data = bytearray(f.encode(Image.new("RGB", (16, 16), "gray"), "WEBP", quality=50))
    start = data.index(b"\x9d\x01\x2a")  # VP8 key-frame start code, then 14-bit w, h
    data[start + 3 : start + 7] = struct.pack("<HH", 16383, 16383)
    return bytes(data)


def exif_rotated_jpeg(orientation: int) -> bytes:
    """A 600x300 stored photo tagged with EXIF ``orientation`` (6/8: upright is 300x600)."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    return f.encode(f.photo(600, 300), "JPEG", quality=85, exif=exif.tobytes())


def _frames(n: int, size: tuple[int, int]) -> list[Image.Image]:
    return [Image.new("RGB", size, colour) for colour in ("red", "green", "blue", "white")[:n]]


def _alpha_photo(width: int, height: int) -> Image.Image:
    img = f.photo(width, height).convert("RGBA")
    alpha = np.tile(np.linspace(0, 255, width, dtype=np.uint8), (height, 1))
    img.putalpha(Image.fromarray(alpha))
    return img


@dataclass(frozen=True)
class Sample:
    """One test image: bytes, the media type a client would label it with, and what must happen."""

    data: bytes
    media_type: str
    expect: str = "any"
    """"any": compressed or not; "unchanged": must pass through byte-identical (bombs,
    animations); "upright_portrait": if rewritten, the pixels must be upright 1:2 portrait."""


@cache
def special_images() -> dict[str, Sample]:
    """Every awkward image kind the compressor must survive (built once per session)."""
    gray16 = np.linspace(0, 65535, 320 * 240, dtype=np.uint16).reshape(240, 320)
    rgb48_rows = b"".join(b"\x00" + np.full((96, 3), (i * 600) % 65535, ">u2").tobytes()
                          for i in range(64))
    rgba64_rows = b"".join(b"\x00" + np.tile(np.array([i * 900, 30000, 2000, i * 1000], ">u2"),
                                             96).tobytes() for i in range(64))
    palette = f.photo(300, 300).convert("P", palette=Image.Palette.ADAPTIVE)
    keyed = Image.new("P", (300, 200))
    keyed.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    keyed.paste(1, (50, 50, 250, 150))
    frames = _frames(3, (300, 200))
    samples = {
        "jpeg_photo": Sample(f.photo_jpeg(640, 480), "image/jpeg"),
        "jpeg_progressive": Sample(f.encode(f.photo(800, 600), "JPEG", progressive=True), "image/jpeg"),
        "jpeg_gray": Sample(f.encode(f.photo(700, 500).convert("L"), "JPEG"), "image/jpeg"),
        "jpeg_cmyk": Sample(f.encode(f.photo(640, 480).convert("CMYK"), "JPEG"), "image/jpeg"),
        "jpeg_exif_6": Sample(exif_rotated_jpeg(6), "image/jpeg", "upright_portrait"),
        "jpeg_exif_8": Sample(exif_rotated_jpeg(8), "image/jpeg", "upright_portrait"),
        "jpeg_1x1": Sample(f.encode(Image.new("RGB", (1, 1), "red"), "JPEG"), "image/jpeg"),
        "jpeg_20x20000": Sample(f.encode(f.photo(20, 20000), "JPEG"), "image/jpeg"),
        "png_document": Sample(f.document_png(width=600, height=780, size=18), "image/png"),
        "png_1x1": Sample(f.encode(Image.new("RGBA", (1, 1), (0, 0, 0, 0)), "PNG"), "image/png"),
        "png_20000x20": Sample(f.encode(f.photo(20000, 20), "PNG"), "image/png"),
        "png_alpha": Sample(f.encode(_alpha_photo(640, 480), "PNG"), "image/png"),
        "png_la": Sample(f.encode(_alpha_photo(400, 300).convert("LA"), "PNG"), "image/png"),
        "png_16bit_gray": Sample(f.encode(Image.fromarray(gray16), "PNG"), "image/png"),
        "png_16bit_rgb": Sample(raw_png(96, 64, 16, 2, rgb48_rows), "image/png"),
        "png_16bit_rgba": Sample(raw_png(96, 64, 16, 6, rgba64_rows), "image/png"),
        "png_palette": Sample(f.encode(palette, "PNG"), "image/png"),
        "png_palette_key": Sample(f.encode(keyed, "PNG", transparency=0), "image/png"),
        "png_1bit": Sample(f.encode(f.photo(500, 400).convert("1"), "PNG"), "image/png"),
        "png_animated": Sample(f.encode(frames[0], "PNG", save_all=True, append_images=frames[1:]),
                               "image/png", "unchanged"),
        "webp_photo": Sample(f.encode(f.photo(640, 480), "WEBP", quality=80), "image/webp"),
        "webp_alpha": Sample(f.encode(_alpha_photo(640, 480), "WEBP", quality=80), "image/webp"),
        "webp_lossless": Sample(f.encode(f.photo(400, 300), "WEBP", lossless=True), "image/webp"),
        "webp_1x1": Sample(f.encode(Image.new("RGB", (1, 1)), "WEBP"), "image/webp"),
        "webp_animated": Sample(f.encode(frames[0], "WEBP", save_all=True, append_images=frames[1:]),
                                "image/webp", "unchanged"),
        "gif_still": Sample(f.encode(palette, "GIF"), "image/gif"),
        "gif_1x1": Sample(f.encode(Image.new("P", (1, 1)), "GIF"), "image/gif"),
        "gif_animated": Sample(f.encode(frames[0], "GIF", save_all=True, append_images=frames[1:],
                                        duration=100, loop=0), "image/gif", "unchanged"),
        "bomb_png_100k": Sample(png_bomb(100_000, 100_000), "image/png", "unchanged"),
        "bomb_png_9k": Sample(png_bomb(9_000, 9_000), "image/png", "unchanged"),
        "bomb_png_wide": Sample(png_bomb(2**31 - 1, 1), "image/png", "unchanged"),
        "bomb_gif": Sample(gif_bomb(), "image/gif", "unchanged"),
        "bomb_jpeg": Sample(jpeg_bomb(), "image/jpeg", "unchanged"),
        "bomb_webp": Sample(webp_bomb(), "image/webp", "unchanged"),
        "mislabelled_png_as_jpeg": Sample(f.encode(f.photo(640, 480), "PNG"), "image/jpeg"),
        "not_an_image_pdf": Sample(b"%PDF-1.4\n" + b"0" * 2000, "image/png", "unchanged"),
        "not_an_image_svg": Sample(b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/png",
                                   "unchanged"),
    }
    return samples


@cache
def base_images() -> dict[str, bytes]:
    """One mid-sized, valid image per format: the raw material for byte-level corruption."""
    photo = f.photo(1024, 768)  # big enough that every format's gist rewrite sends new bytes
    small = photo.resize((800, 600))
    return {
        "jpeg": f.encode(photo, "JPEG", quality=80),
        "png": f.encode(small, "PNG"),
        "webp": f.encode(photo, "WEBP", quality=70),
        "gif": f.encode(small.convert("P", palette=Image.Palette.ADAPTIVE), "GIF"),
    }


MEDIA_OF = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp", "gif": "image/gif"}


# ----------------------------------------------------------------------------- bodies


def image_part(wire_format: str, data: str, media_type: str, *, variant: int = 0) -> Any:
    """An image part carrying base64 text ``data`` as given (valid or not), in each shape the
    format allows (``variant`` picks one: object/bare-string image_url, camel/snake Gemini)."""
    if wire_format == "openai_chat":
        url = f"data:{media_type};base64,{data}"
        if variant % 2:
            return {"type": "image_url", "image_url": url}
        return {"type": "image_url", "image_url": {"url": url, "detail": "auto"}, "x_extra": [1]}
    if wire_format == "openai_responses":
        return {"type": "input_image", "image_url": f"data:{media_type};base64,{data}",
                "detail": "auto" if variant % 2 else "high"}
    if wire_format == "anthropic_messages":
        return {"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data},
                "cache_control": {"type": "ephemeral"}}
    if variant % 2:
        return {"inline_data": {"mime_type": media_type, "data": data}}
    return {"inlineData": {"mimeType": media_type, "data": data}, "x_meta": {"k": "v"}}


def wire_body(wire_format: str, data: str, media_type: str, question: str = GIST, *,
              variant: int = 0) -> dict[str, Any]:
    """A realistic body of ``wire_format`` around one image, with non-image fields all over
    (system prompts, tools, metadata, other turns, a URL image) that must survive untouched."""
    part = image_part(wire_format, data, media_type, variant=variant)
    if wire_format == "openai_chat":
        return {
            "model": MODELS[wire_format], "temperature": 0.25, "max_tokens": 300, "stream": False,
            "metadata": {"trace": "t-1", "nested": [1, 2.5, None, True, "é ✓ 中文"]},
            "tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}],
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "assistant", "content": "Earlier answer."},
                {"role": "user", "content": [
                    {"type": "text", "text": question},
                    part,
                    {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
                    {"type": "text", "text": "(end)"},
                ], "name": "u1"},
            ],
        }
    if wire_format == "openai_responses":
        return {
            "model": MODELS[wire_format], "instructions": "Be brief.", "store": False,
            "reasoning": {"effort": "low"}, "text": {"format": {"type": "text"}},
            "input": [
                {"role": "user", "content": [{"type": "input_text", "text": question}, part]},
                {"type": "function_call_output", "call_id": "c1",
                 "output": [{"type": "input_text", "text": "tool said hi"}]},
            ],
        }
    if wire_format == "anthropic_messages":
        return {
            "model": MODELS[wire_format], "max_tokens": 300, "system": "Be brief.",
            "metadata": {"user_id": "u-1"}, "stop_sequences": ["\n\nHuman:"],
            "messages": [
                {"role": "user", "content": [part, {"type": "text", "text": question}]},
                {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "n",
                                                   "input": {"q": 1}}]},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1",
                                              "content": "ok", "is_error": False}]},
            ],
        }
    return {
        "systemInstruction": {"parts": [{"text": "Be brief."}]},
        "generationConfig": {"temperature": 0.1, "maxOutputTokens": 300},
        "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}],
        "contents": [
            {"role": "user", "parts": [{"text": question}, part,
                                       {"fileData": {"mimeType": "application/pdf",
                                                     "fileUri": "gs://b/doc.pdf"}}]},
            {"role": "model", "parts": [{"text": "Earlier answer."}]},
        ],
    }


def b64(data: bytes) -> str:
    return f.b64(data)


def to_bytes(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


# ----------------------------------------------------------------------------- strategies


@cache
def _leaf_images() -> tuple[str, ...]:
    """Small base64 payloads (valid, truncated, not images) for generated bodies."""
    small = f.encode(f.photo(96, 64), "JPEG", quality=70)
    mid = f.encode(f.photo(600, 400), "JPEG", quality=70)
    png = f.encode(Image.new("RGBA", (40, 30), (10, 20, 30, 128)), "PNG")
    return (b64(small), b64(mid), b64(png), b64(mid)[:-100], b64(small)[:10], "", "!!!", "QQ")


_KEYS = st.sampled_from([
    "messages", "content", "type", "image_url", "url", "detail", "input", "file_id", "source",
    "data", "media_type", "contents", "parts", "inlineData", "inline_data", "mimeType",
    "mime_type", "fileData", "fileUri", "role", "text", "model", "functionResponse", "output",
    "generationConfig", "mediaResolution", "level", "system", "max_tokens", "cache_control",
]) | st.text(max_size=6)
_WORDS = st.sampled_from([
    "image_url", "input_image", "image", "text", "input_text", "tool_result", "message",
    "function_call_output", "base64", "url", "file", "user", "assistant", "model", "image/jpeg",
    "image/png", "image/gif", "image/webp", "low", "high", "auto", "MEDIA_RESOLUTION_LOW", GIST,
    "read the text", "gpt-4o", "claude-opus-4-7", "gpt-4.1-mini",
])
_SCALARS = (st.none() | st.booleans() | st.integers(-(2**70), 2**70)
            | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12) | _WORDS)


@st.composite
def _image_payload(draw: st.DrawFn) -> str:
    data = draw(st.sampled_from(_leaf_images()))
    media = draw(st.sampled_from(["image/jpeg", "image/png", "image/gif", "", "text/plain"]))
    return f"data:{media};base64,{data}" if draw(st.booleans()) else data


def _templates(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Near-valid image parts and turns of every format, with random values mixed in."""
    payload = _image_payload() | children
    media = st.sampled_from(["image/jpeg", "image/png", "image/webp"]) | children
    part = st.one_of(
        st.builds(lambda u, d: {"type": "image_url", "image_url": {"url": u, "detail": d}},
                  payload, st.sampled_from(["auto", "low", "high"]) | children),
        st.builds(lambda u: {"type": "image_url", "image_url": u}, payload),
        st.builds(lambda u: {"type": "input_image", "image_url": u}, payload),
        st.builds(lambda m, d: {"type": "image", "source": {"type": "base64", "media_type": m,
                                                            "data": d}}, media, payload),
        st.builds(lambda m, d: {"inlineData": {"mimeType": m, "data": d}}, media, payload),
        st.builds(lambda t: {"type": "text", "text": t}, _WORDS | children),
        st.builds(lambda c: {"type": "tool_result", "tool_use_id": "t", "content": c},
                  st.lists(children, max_size=3)),
    )
    turn = st.builds(lambda r, c: {"role": r, "content": c},
                     st.sampled_from(["user", "assistant", "system"]) | children,
                     st.lists(part | children, max_size=4) | children)
    gemini_turn = st.builds(lambda r, p: {"role": r, "parts": p},
                            st.sampled_from(["user", "model", ""]) | children,
                            st.lists(part | children, max_size=4))
    return part | turn | gemini_turn


JSON_VALUES = st.recursive(
    _SCALARS,
    lambda children: (st.lists(children, max_size=4)
                      | st.dictionaries(_KEYS, children, max_size=5)
                      | _templates(children)),
    max_leaves=30,
)
"""Arbitrary JSON, biased towards the keys, values and shapes of the four wire formats."""

BODIES = st.dictionaries(
    st.sampled_from(["messages", "input", "contents", "model", "system", "max_tokens",
                     "generationConfig", "stream"]) | st.text(max_size=5),
    JSON_VALUES,
    min_size=1,
    max_size=5,
)
"""Arbitrary JSON objects shaped like request bodies (format keys at the top level)."""


@st.composite
def corrupt_base64(draw: st.DrawFn) -> tuple[str, str]:
    """``(base64 text, media type)``: a valid image's base64, damaged in one of many ways."""
    kind = draw(st.sampled_from(sorted(base_images())))
    text = b64(base_images()[kind])
    op = draw(st.sampled_from(["truncate", "insert", "replace", "urlsafe_mix", "pad_middle",
                               "whitespace", "non_ascii", "empty", "extra_pad", "strip_pad",
                               "urlsafe", "percent", "only_header"]))
    at = draw(st.integers(0, len(text)))
    junk = draw(st.sampled_from(["=", "-", "_", "%2B", " ", "\n", "é", "\x00", "!", "\\", "\u2028",
                                 "==", "A", "=A"]))
    if op == "truncate":
        text = text[:at]
    elif op == "insert":
        text = text[:at] + junk + text[at:]
    elif op == "replace":
        text = text[:at] + junk + text[at + len(junk):]
    elif op == "urlsafe_mix":
        text = text.replace("+", "-", 1)  # one URL-safe char in standard base64
    elif op == "pad_middle":
        text = text[:at] + "=" + text[at:]
    elif op == "whitespace":  # valid: wrapped like MIME
        text = "\n".join(text[i : i + 76] for i in range(0, len(text), 76))
    elif op == "non_ascii":
        text = text[:at] + "ÿ" + text[at:]
    elif op == "empty":
        text = ""
    elif op == "extra_pad":
        text += "==="
    elif op == "strip_pad":  # valid: padding is optional
        text = text.rstrip("=")
    elif op == "urlsafe":  # valid: the google-genai SDK's alphabet
        text = text.translate(str.maketrans("+/", "-_"))
    elif op == "percent":
        text = text.replace("+", "%2B").replace("/", "%2F")
    else:
        text = text[:4]
    media = draw(st.sampled_from([MEDIA_OF[kind], "image/png", "", "IMAGE/JPEG", "image/svg+xml"]))
    return text, media


@st.composite
def corrupt_image(draw: st.DrawFn) -> tuple[bytes, str]:
    """``(bytes, media type)``: a valid JPEG/PNG/WebP/GIF, truncated or damaged 1-3 times.

    About half still decode (to damaged pixels) and get rewritten; the rest fail to decode at
    some stage (header, frame, pixel data) and must pass through."""
    kind = draw(st.sampled_from(sorted(base_images())))
    data = bytearray(base_images()[kind])
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["truncate", "flip", "zero_run", "insert", "splice", "header"]))
        # Past the first 64 bytes (the "header" op covers those): hypothesis favours small
        # integers, which would otherwise mostly produce unrecognisable or empty payloads.
        at = draw(st.integers(min(64, len(data) // 2), max(0, len(data) - 1)))
        if op == "truncate":
            del data[at:]
        elif op == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "zero_run":
            data[at : at + draw(st.integers(1, 64))] = bytes(draw(st.integers(1, 64)))
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif op == "splice":  # a copy of another region: duplicated markers and chunks
            size = draw(st.integers(1, 512))
            src = draw(st.integers(0, max(0, len(data) - 1)))
            data[at:at] = data[src : src + size]
        else:  # damage the first 40 bytes, where formats keep their headers
            pos = draw(st.integers(0, min(39, max(0, len(data) - 1))))
            if data:
                data[pos] = draw(st.integers(0, 255))
    return bytes(data), MEDIA_OF[kind]


# ----------------------------------------------------------------------------- the invariant


def _strict_json(raw: bytes | str) -> Any:
    def reject(token: str) -> Any:
        raise AssertionError(f"rewritten body holds the non-JSON constant {token}")

    text = raw.decode("utf-8") if isinstance(raw, (bytes, bytearray)) else raw
    return json.loads(text, parse_constant=reject)


def _lenient_json(raw: Any) -> Any:
    return raw if isinstance(raw, dict) else json.loads(raw)


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) < 200 else text[:200] + "..."


def _text_shape(wire_format: str, part: Any) -> bool:
    """Whether ``part`` is the text part this format's rewrite inserts (transcode)."""
    if not isinstance(part, dict) or not isinstance(part.get("text"), str) or not part["text"]:
        return False
    if wire_format == "gemini":
        return set(part) == {"text"}
    kind = "input_text" if wire_format == "openai_responses" else "text"
    return part == {"type": kind, "text": part["text"]}


def _payload(wire_format: str, part: Any) -> tuple[str | None, str | None]:
    """(media type, base64 text) an image part carries inline, or (None, None)."""
    if not isinstance(part, dict):
        return None, None
    if wire_format in ("openai_chat", "openai_responses"):
        url = part.get("image_url")
        if isinstance(url, dict):
            url = url.get("url")
        parsed = parse_data_url(url)
        return parsed if parsed is not None else (None, None)
    if wire_format == "anthropic_messages":
        source = part.get("source")
        if isinstance(source, dict) and source.get("type") == "base64":
            return source.get("media_type"), source.get("data")
        return None, None
    inline = part.get("inlineData", part.get("inline_data"))
    if isinstance(inline, dict):
        return inline.get("mimeType", inline.get("mime_type")), inline.get("data")
    return None, None


_CHANGEABLE = {
    "openai_chat": {"image_url"},
    "openai_responses": {"image_url", "detail", "file_id"},
    "anthropic_messages": {"source"},
    "gemini": {"inlineData", "inline_data", "fileData", "file_data", "mediaResolution",
               "media_resolution"},
}
_INNER_CHANGEABLE = {"url", "detail", "media_type", "data", "mimeType", "mime_type", "level"}


def _upright_pixels(raw: bytes) -> int:
    with Image.open(io.BytesIO(raw)) as img:
        return img.width * img.height


def _check_image_part(wire_format: str, provider: str, before: Any, after: Any, where: str) -> None:
    """``after`` is ``before`` with only image-carrying fields changed; new bytes are valid."""
    assert isinstance(after, dict), f"{where}: image part became {_short(after)}"
    if after == before:
        return
    assert isinstance(before, dict)
    for key in set(before) | set(after):
        if key in _CHANGEABLE[wire_format]:
            old, new = before.get(key), after.get(key)
            if isinstance(old, dict) and isinstance(new, dict):
                for inner in set(old) | set(new):
                    if inner not in _INNER_CHANGEABLE:
                        assert old.get(inner) == new.get(inner), f"{where}.{key}.{inner} changed"
            continue
        assert before.get(key) == after.get(key), f"{where}.{key} changed: {_short(after.get(key))}"
    if wire_format == "openai_responses" and "file_id" in before and after.get("file_id") != before["file_id"]:
        assert "file_id" not in after, f"{where}: file_id rewritten instead of dropped"
    detail = after.get("detail") if wire_format == "openai_responses" else (
        after["image_url"].get("detail") if isinstance(after.get("image_url"), dict) else None)
    old_detail = before.get("detail") if wire_format == "openai_responses" else (
        before["image_url"].get("detail") if isinstance(before.get("image_url"), dict) else None)
    if detail != old_detail:
        assert detail in ("low", "high", "auto", "original"), f"{where}: detail {detail!r}"
    level = after.get("mediaResolution", after.get("media_resolution"))
    if level is not None and level != before.get("mediaResolution", before.get("media_resolution")):
        assert isinstance(level, dict) and str(level.get("level", "")).startswith("MEDIA_RESOLUTION_")

    media_type, data = _payload(wire_format, after)
    old_media, old_data = _payload(wire_format, before)
    if data is None or (data == old_data and media_type == old_media):
        return
    assert isinstance(data, str) and data, f"{where}: rewritten image has no data"
    raw = base64.b64decode(data, validate=True)  # standard, padded base64 only
    with Image.open(io.BytesIO(raw)) as img:
        img.load()
        fmt, size, frames = img.format, img.size, getattr(img, "n_frames", 1)
        orientation = img.getexif().get(0x0112, 1)
    assert fmt in MEDIA_TYPES and MEDIA_TYPES[fmt] == media_type, (
        f"{where}: labelled {media_type!r} but the bytes are {fmt}")
    assert media_type in rules_for(provider).accepted_media_types, f"{where}: {media_type} refused"
    assert frames == 1, f"{where}: rewritten image has {frames} frames"
    assert orientation == 1, f"{where}: rewritten pixels still carry EXIF orientation {orientation}"
    max_side = rules_for(provider).max_side
    assert max_side is None or max(size) <= max_side, f"{where}: {size} over {max_side}px"
    if old_data is not None:
        try:
            original = base64.b64decode(old_data + "=" * (-len(old_data) % 4),
                                        altchars=b"-_" if "-" in old_data or "_" in old_data else None)
            before_pixels = _upright_pixels(original)
        except Exception:  # noqa: BLE001 - an original we cannot size: nothing to compare
            before_pixels = None
        if before_pixels is not None:
            assert size[0] * size[1] <= before_pixels, f"{where}: rewrite upscaled to {size}"


def assert_valid_rewrite(before_raw: Any, after_raw: Any, wire_format: str) -> None:
    """``after_raw`` is a correct rewrite of ``before_raw``: valid JSON of the same format, all
    non-image fields equal (key order included), every changed image valid (see module doc)."""
    fmt = get_format(wire_format)
    before = _lenient_json(before_raw)
    after = after_raw if isinstance(after_raw, dict) else _strict_json(after_raw)
    assert isinstance(after, dict) and fmt.matches(after), "rewrite is not the same wire format"
    slots: dict[tuple[int, int], ImageSlot] = {
        (id(s.container), s.position): s for s in fmt.find_images(before)
    }
    containers = {key[0] for key in slots}

    def same(b: Any, a: Any, where: str) -> None:
        if isinstance(b, dict):
            assert isinstance(a, dict) and list(a) == list(b), f"{where}: keys {list(b)} -> {_short(a)}"
            for key in b:
                same(b[key], a[key], f"{where}.{key}")
        elif isinstance(b, list):
            assert isinstance(a, list), f"{where}: list became {_short(a)}"
            if id(b) in containers:
                align(b, a, where)
            else:
                assert len(a) == len(b), f"{where}: length {len(b)} -> {len(a)}"
                for i, (x, y) in enumerate(zip(b, a, strict=True)):
                    same(x, y, f"{where}[{i}]")
        elif isinstance(b, float) and math.isnan(b):
            raise AssertionError(f"{where}: NaN cannot be in a rewritten body")
        else:
            assert type(a) is type(b) and a == b, f"{where}: {_short(b)} -> {_short(a)}"

    def equal(b: Any, a: Any) -> bool:
        try:
            same(b, a, "")
        except AssertionError:
            return False
        return True

    def align(b: list[Any], a: list[Any], where: str) -> None:
        j = 0
        for i, item in enumerate(b):
            here = f"{where}[{i}]"
            if (id(b), i) not in slots:
                assert j < len(a), f"{here}: missing from the rewrite"
                same(item, a[j], here)
                j += 1
                continue
            assert j < len(a), f"{here}: image part missing from the rewrite"
            if _text_shape(fmt.name, a[j]) and not _text_shape(fmt.name, item):
                j += 1  # the image was replaced by its text (transcode without thumbnail)
                continue
            _check_image_part(fmt.name, fmt.provider, item, a[j], here)
            j += 1
            nxt = b[i + 1] if i + 1 < len(b) else None
            if j < len(a) and _text_shape(fmt.name, a[j]) and (nxt is None or not equal(nxt, a[j])):
                j += 1  # text inserted after the image (transcode)
        assert j == len(a), f"{where}: {len(a) - j} unexpected extra parts"

    same(before, after, "$")


def _snapshot(body: Any) -> str | None:
    if not isinstance(body, dict):
        return None
    try:
        return json.dumps(body, sort_keys=True, default=repr)
    except RecursionError:  # too deep to serialise: the mutation check is skipped
        return None


def check_compress_body(compressor: ImageCompressor, body: Any, **kwargs: Any) -> BodyCompression:  # noqa: F811
    """One ``compress_body`` call that must not raise and must keep the invariant."""
    snapshot = _snapshot(body)
    out = compressor.compress_body(body, **kwargs)
    if currently_in_test_context():  # shows in --hypothesis-show-statistics
        event(f"compress_body: {'rewritten' if out.changed else 'unchanged'}")
    if snapshot is not None:
        assert _snapshot(body) == snapshot, "input dict mutated"
    if not out.changed:
        assert out.body is body, "unchanged body must be the very object passed in"
        return out
    assert type(out.body) is type(body)
    assert out.wire_format in FORMATS and out.result.images
    assert_valid_rewrite(body, out.body, out.wire_format)
    return out


# ----------------------------------------------------------------------------- servers


def create_echo_upstream() -> Starlette:
    """Any method, any path: 200 with the request body as received, marked as the upstream's."""

    async def echo(request: Request) -> Response:
        body = await request.body()
        return Response(body, media_type="application/octet-stream",
                        headers={"x-echo-upstream": "1",
                                 "x-echo-encoding": request.headers.get("content-encoding", "-")})

    methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    return Starlette(routes=[Route("/{path:path}", echo, methods=methods)])


@pytest.fixture(scope="session")
def echo_upstream() -> Iterator[ServerThread]:
    with ServerThread(create_echo_upstream()) as server:
        yield server


def proxy_settings(upstream_url: str, **changes: Any) -> ProxySettings:
    """All three providers at ``upstream_url``, no environment proxies, two workers."""
    return ProxySettings(
        openai_base_url=upstream_url, anthropic_base_url=upstream_url,
        google_base_url=upstream_url, trust_env=False, workers=2,
    ).with_changes(**changes)


@pytest.fixture(scope="session")
def echo_proxy(echo_upstream: ServerThread, compressor: ImageCompressor) -> Iterator[ServerThread]:  # noqa: F811
    """The compressing proxy in front of the echo upstream."""
    app = create_proxy_app(proxy_settings(echo_upstream.url), compressor=compressor)
    with ServerThread(app) as server:
        yield server


def reset(conn: socket.socket) -> None:
    """Close with an RST (SO_LINGER 0) instead of a FIN: a dropped connection, not an end."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


class RawServer:
    """A loopback TCP server that runs ``handler(conn)`` for each connection in its own thread.

    For faults an HTTP framework will not produce on purpose: responses cut mid-stream, resets,
    garbage instead of HTTP. ``handled`` counts finished handlers.
    """

    def __init__(self, handler: Callable[[socket.socket], None]) -> None:
        self.handler = handler
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port: int = self.sock.getsockname()[1]
        self.handled = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._run, args=(conn,), daemon=True).start()

    def _run(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(10)
            self.handler(conn)
        except OSError:
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass
            self.handled += 1

    def __enter__(self) -> RawServer:
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True

