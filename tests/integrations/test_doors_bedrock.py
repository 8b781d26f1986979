"""AWS Bedrock InvokeModel with Anthropic Messages bodies. boto3 is not installed here (and the
request is SigV4-signed over the body, so only a pre-signing hook could rewrite it), so the bodies
are written by hand from the documented shape and rewritten by compress_body at the real paths."""

from __future__ import annotations

import base64
import json

import pytest

from headroom_edge import ImageCompressor
from headroom_edge.formats import endpoint_for
from tests import factories as f
from tests.integrations.doors import Seen, rewritten

MODEL = "anthropic.claude-sonnet-4-5-20250929-v1:0"


@pytest.mark.parametrize("method", ["invoke", "invoke-with-response-stream"])
def test_invoke_bodies(compressor: ImageCompressor, method: str) -> None:
    body = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 64, "messages": [{"role": "user", "content": [
        {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg",
                                     "data": base64.b64encode(f.photo_jpeg()).decode()}},
        {"type": "text", "text": "What is in this photo?"}]}]}
    path = f"/model/{MODEL.replace(':', '%3A')}/{method}"  # botocore percent-encodes the id
    assert endpoint_for(path).door == "bedrock"  # type: ignore[union-attr]
    seen = Seen(path, "", json.dumps(body).encode())
    rewritten(compressor, seen, "anthropic_messages", 1)
    assert compressor.compress_body(seen.body, path=path).result.model == MODEL
