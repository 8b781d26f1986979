"""Data URL parsing/building and strict base64, with real image bytes."""

from __future__ import annotations

import base64
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from headroom_edge.formats.datauri import (
    build_data_url,
    decode_base64,
    encode_base64,
    parse_data_url,
)


def test_parse_plain(png_b64: str) -> None:
    assert parse_data_url(f"data:image/png;base64,{png_b64}") == ("image/png", png_b64)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("DATA:image/PNG;BASE64,QUJD", ("image/png", "QUJD")),
        ("Data:image/jpeg;Base64,QUJD", ("image/jpeg", "QUJD")),
        ("data:image/png;charset=utf-8;base64,QUJD", ("image/png", "QUJD")),
        ("data:image/png;name=a.png;charset=utf-8;base64,QUJD", ("image/png", "QUJD")),
        ("data:;base64,QUJD", ("", "QUJD")),
        ("  data:image/webp;base64,QUJD", ("image/webp", "QUJD")),
        ("data:image/png;base64,", ("image/png", "")),
        ("data:image/png ; base64 ,QUJD", ("image/png", "QUJD")),
        ("data:image/png;base64,QU\nJD", ("image/png", "QU\nJD")),
        ("data:image/png;base64,a,b", ("image/png", "a,b")),
    ],
)
def test_parse_edge_cases(url: str, expected: tuple[str, str]) -> None:
    assert parse_data_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/cat.png",
        "http://example.com/data:image/png;base64,QUJD",
        "data:image/png,rawbytes",  # not base64
        "data:text/plain;charset=utf-8,hello",
        "data:image/png;base64",  # no comma
        "data:image/png;base64x,QUJD",
        "data:image/png;base64;charset=utf-8,QUJD",  # base64 must be the last parameter
        "",
        "data:",
        "file:///tmp/a.png",
        None,
        42,
        b"data:image/png;base64,QUJD",
    ],
)
def test_parse_rejects(url: object) -> None:
    assert parse_data_url(url) is None


def test_build_round_trip(png_bytes: bytes) -> None:
    url = build_data_url("image/png", png_bytes)
    assert url.startswith("data:image/png;base64,")
    media_type, text = parse_data_url(url)  # type: ignore[misc]
    assert media_type == "image/png"
    assert decode_base64(text) == png_bytes
    with Image.open(io.BytesIO(decode_base64(text))) as img:
        assert img.size == (24, 16)


@pytest.mark.parametrize("bad", ["", "image/png;x", "image png", "a,b", "image/png\n"])
def test_build_rejects_bad_media_type(bad: str) -> None:
    with pytest.raises(ValueError):
        build_data_url(bad, b"x")


def test_encode_is_standard_padded(jpeg_bytes: bytes) -> None:
    assert encode_base64(jpeg_bytes) == base64.b64encode(jpeg_bytes).decode("ascii")
    assert encode_base64(b"a") == "YQ=="
    assert encode_base64(b"") == ""


def test_decode_tolerates_whitespace_and_missing_padding(jpeg_bytes: bytes) -> None:
    text = base64.b64encode(jpeg_bytes).decode("ascii")
    wrapped = "\n".join(text[i : i + 76] for i in range(0, len(text), 76)) + "\r\n"
    assert decode_base64(wrapped) == jpeg_bytes
    assert decode_base64(" \t" + text + " ") == jpeg_bytes
    assert decode_base64(text.rstrip("=")) == jpeg_bytes
    assert decode_base64(text.encode("ascii")) == jpeg_bytes


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("YQ==", b"a"),
        ("YQ", b"a"),
        ("YQ=", b"a"),
        ("YWI=", b"ab"),
        ("YWI", b"ab"),
        ("", b""),
        ("Y Q = =", b"a"),
    ],
)
def test_decode_padding_variants(text: str, expected: bytes) -> None:
    assert decode_base64(text) == expected


def test_decode_accepts_the_url_safe_alphabet() -> None:
    data = bytes(range(256))
    assert decode_base64(base64.urlsafe_b64encode(data).decode()) == data
    assert decode_base64(base64.urlsafe_b64encode(data).decode().rstrip("=")) == data


SECRET = "c2VjcmV0c2VjcmV0"  # a payload that must never show up in messages


@pytest.mark.parametrize(
    "bad",
    [
        SECRET + "+_",  # both alphabets mixed
        SECRET + "!",
        SECRET[:4] + "==" + SECRET[4:],  # padding in the middle
        SECRET + "===",  # too much padding
        SECRET + "=",  # padding after a complete quantum
        SECRET + "A",  # 4k+1 characters
        "data:image/png;base64," + SECRET,  # a data URL is not bare base64
        SECRET + "é",
        "=" * 4,
    ],
)
def test_decode_rejects_without_leaking(bad: str) -> None:
    with pytest.raises(ValueError) as info:
        decode_base64(bad)
    message = str(info.value)
    assert "base64" in message
    assert SECRET not in message and SECRET[:8] not in message


def test_decode_rejects_non_ascii_bytes() -> None:
    with pytest.raises(ValueError):
        decode_base64(b"YWJj" + b"\xff")


def test_decode_rejects_non_text() -> None:
    with pytest.raises(TypeError):
        decode_base64(123)  # type: ignore[arg-type]


@given(st.binary(max_size=300))
def test_round_trip_property(data: bytes) -> None:
    assert decode_base64(encode_base64(data)) == data
    assert decode_base64(encode_base64(data).rstrip("=")) == data
    media_type, text = parse_data_url(build_data_url("image/png", data))  # type: ignore[misc]
    assert media_type == "image/png" and decode_base64(text) == data


@given(st.text(max_size=40))
def test_decode_only_raises_value_error(text: str) -> None:
    try:
        decode_base64(text)
    except ValueError as exc:
        assert text.strip() == "" or text not in str(exc) or len(text) < 3
