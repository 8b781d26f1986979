"""Token-counting endpoints get exactly the rewrite the real call gets, so a client budgeting its
context (Claude Code, agents) counts what will actually be sent."""

from __future__ import annotations

import json
from typing import Any

import pytest

from headroom_edge import ImageCompressor
from headroom_edge.formats import endpoint_for
from tests import factories as f

VERTEX = "/v1/projects/p1/locations/us-east5/publishers"


def _anthropic(image: bytes, question: str, media_type: str) -> tuple[dict[str, Any], dict[str, Any]]:
    call = f.anthropic_body(image, question, media_type=media_type)
    count = {k: v for k, v in call.items() if k != "max_tokens"}  # count_tokens takes no max_tokens
    return call, count


def _vertex_claude(image: bytes, question: str, media_type: str) -> tuple[dict[str, Any], dict[str, Any]]:
    call = {k: v for k, v in f.anthropic_body(image, question, media_type=media_type).items() if k != "model"}
    call["anthropic_version"] = "vertex-2023-10-16"
    return call, {**call, "model": "claude-sonnet-4-5@20250929"}  # count-tokens names the model in the body


def _same(builder: Any) -> Any:
    def build(image: bytes, question: str, media_type: str) -> tuple[dict[str, Any], dict[str, Any]]:
        body = builder(image, question, media_type=media_type)
        return body, body
    return build


CASES = [
    ("/v1/messages", "/v1/messages/count_tokens", _anthropic, "messages"),
    (VERTEX + "/anthropic/models/claude-sonnet-4-5@20250929:rawPredict",
     VERTEX + "/anthropic/models/count-tokens:rawPredict", _vertex_claude, "messages"),
    ("/v1/responses", "/v1/responses/input_tokens", _same(f.responses_body), "input"),
    ("/v1beta/models/gemini-3-pro-preview:generateContent", "/v1beta/models/gemini-3-pro-preview:countTokens",
     _same(f.gemini_body), "contents"),
    (VERTEX + "/google/models/gemini-3-pro-preview:streamGenerateContent",
     VERTEX + "/google/models/gemini-3-pro-preview:countTokens", _same(f.gemini_body), "contents"),
]
IMAGES = [
    ("photo", lambda: f.photo_jpeg(), "What is in this photo?", "image/jpeg"),
    ("document", lambda: f.document_png(), "Transcribe this document", "image/png"),
]


@pytest.mark.parametrize(("call_path", "count_path", "build", "key"), CASES, ids=[c[1] for c in CASES])
@pytest.mark.parametrize(("kind", "image", "question", "media_type"), IMAGES, ids=[i[0] for i in IMAGES])
def test_count_body_gets_the_calls_rewrite(compressor: ImageCompressor, call_path: str, count_path: str, build: Any,
                                           key: str, kind: str, image: Any, question: str, media_type: str) -> None:
    assert endpoint_for(count_path).counts_tokens  # type: ignore[union-attr]
    call, count = build(image(), question, media_type)
    sent = compressor.compress_body(json.dumps(call).encode(), path=call_path)
    counted = compressor.compress_body(json.dumps(count).encode(), path=count_path)
    assert sent.changed and counted.changed
    assert [(r.technique, r.compressed_tokens) for r in sent.result.images] == [
        (r.technique, r.compressed_tokens) for r in counted.result.images]
    # Byte-identical turns: same image bytes, same added text, same order.
    dump = lambda raw: json.dumps(json.loads(raw)[key], separators=(",", ":")).encode()  # noqa: E731
    assert dump(sent.body) == dump(counted.body)
