"""Content types and bounded gzip inflation."""

from __future__ import annotations

import gzip

import pytest

from headroom_edge.integrations.encoding import (
    BadEncoding,
    BodyTooLarge,
    body_encoding,
    gunzip_bounded,
    is_json,
)


def test_json_content_types() -> None:
    assert is_json("application/json")
    assert is_json("Application/JSON; charset=utf-8")
    assert is_json("application/vnd.api+json")
    assert not is_json("text/plain") and not is_json(None) and not is_json("multipart/form-data")


def test_encodings() -> None:
    assert body_encoding([]) == "identity"
    assert body_encoding(["identity"]) == "identity"
    assert body_encoding(["gzip"]) == body_encoding(["X-Gzip"]) == "gzip"
    assert body_encoding(["br"]) is None
    assert body_encoding(["gzip, br"]) is None


def test_gunzip_roundtrip_and_concatenated_members() -> None:
    data = b'{"a": 1}' * 1000
    assert gunzip_bounded(gzip.compress(data), len(data)) == data
    assert gunzip_bounded(gzip.compress(b"ab") + gzip.compress(b"cd"), 10) == b"abcd"


def test_gunzip_refuses_bombs_and_garbage() -> None:
    bomb = gzip.compress(b"\0" * 5_000_000)
    assert len(bomb) < 10_000
    with pytest.raises(BodyTooLarge):
        gunzip_bounded(bomb, 1_000_000)
    with pytest.raises(BadEncoding):
        gunzip_bounded(b"not gzip at all", 1000)
    with pytest.raises(BadEncoding):
        gunzip_bounded(gzip.compress(b"x" * 1000)[:-8], 10_000)
