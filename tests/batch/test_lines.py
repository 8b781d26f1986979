"""compress_line: requests are compressed in place, everything else is byte-identical."""

from __future__ import annotations

import json

import pytest

from headroom_edge.batch.lines import BatchKind, compress_line
from headroom_edge.compressor import ImageCompressor
from tests.factories import anthropic_body, decode, openai_chat_body, photo_jpeg
from tests.integrations.helpers import images_in


@pytest.fixture(scope="module")
def compressor() -> ImageCompressor:
    return ImageCompressor()


def test_openai_line_is_compressed_and_keeps_its_envelope(compressor: ImageCompressor) -> None:
    jpeg = photo_jpeg(1024, 1024)
    record = {
        "custom_id": "a-1", "method": "POST", "url": "/v1/chat/completions",
        "body": openai_chat_body(jpeg, "What animal is this?"),
    }
    out = compress_line(json.dumps(record).encode() + b"\r\n", compressor)
    assert out.stats.kind is BatchKind.OPENAI and out.stats.changed
    assert out.line.endswith(b"\r\n") and out.line.count(b"\n") == 1
    new = json.loads(out.line)
    assert {k: new[k] for k in ("custom_id", "method", "url")} == {
        "custom_id": "a-1", "method": "POST", "url": "/v1/chat/completions"
    }
    (seen,) = images_in(new["body"])
    assert max(seen.size) <= 512  # full_low on a tile model: fits 512x512
    assert out.stats.tokens_after < out.stats.tokens_before


def test_anthropic_line_is_compressed(compressor: ImageCompressor) -> None:
    jpeg = photo_jpeg(1500, 1500)
    line = json.dumps({"custom_id": "b", "params": anthropic_body(jpeg, "What is in this picture?")})
    out = compress_line(line.encode(), compressor)
    assert out.stats.kind is BatchKind.ANTHROPIC and out.stats.changed
    new = json.loads(out.line)
    assert new["custom_id"] == "b"
    data = new["params"]["messages"][0]["content"]
    image = next(part for part in data if part["type"] == "image")
    import base64

    assert max(decode(base64.b64decode(image["source"]["data"])).size) < 1500


@pytest.mark.parametrize(
    "line",
    [
        b"",
        b"\n",
        b"not json at all\n",
        b'{"custom_id": "x"}\n',  # neither shape
        b'{"custom_id": "x", "url": "/v1/chat/completions", "body": "nope"}\n',
        b'{"custom_id": "x", "params": {"messages": []}}\n',  # a request without images
        b'{"custom_id": "\\ud800", "params": {"model": 1}}',
    ],
)
def test_other_lines_come_back_byte_identical(compressor: ImageCompressor, line: bytes) -> None:
    out = compress_line(line, compressor)
    assert out.line == line
    assert not out.stats.changed


def test_a_compressor_error_keeps_the_line(compressor: ImageCompressor, monkeypatch) -> None:
    line = json.dumps({
        "custom_id": "c", "method": "POST", "url": "/v1/chat/completions",
        "body": openai_chat_body(photo_jpeg(600, 600), "What is this?"),
    }).encode() + b"\n"

    def boom(*_a, **_k):
        raise RuntimeError("broken model")

    monkeypatch.setattr(compressor, "compress_body", boom)
    out = compress_line(line, compressor)
    assert out.line == line and out.stats.failed
