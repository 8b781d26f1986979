"""Bedrock through a real boto3 client: images compressed before signing, signature still valid.

The fake Bedrock endpoint (uvicorn on 127.0.0.1) recomputes the SigV4 signature of every
request it receives from the bytes it received, with the same (fake) credentials, and answers
403 when it does not match -- as AWS would. So a passing test proves the signature covers the
compressed body, not the original one.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from headroom_edge.integrations.bedrock import compress_bedrock
from tests.factories import anthropic_body, decode, encode, photo_jpeg, screenshot
from tests.integrations.servers import ServerThread

boto3 = pytest.importorskip("boto3")
from botocore.auth import SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402

KEY, SECRET, REGION = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "us-east-1"
MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"


def _signature_ok(request: Request, body: bytes) -> bool:
    auth = request.headers.get("authorization", "")
    try:
        signed = auth.split("SignedHeaders=", 1)[1].split(",", 1)[0].split(";")
        sent = auth.split("Signature=", 1)[1].strip()
    except IndexError:
        return False
    headers = {name: request.headers[name] for name in signed if name in request.headers}
    # botocore signs the quoted path (":" as %3A): take the raw path the client sent
    raw_path = request.scope.get("raw_path", b"").decode()
    url = f"http://{request.headers['host']}{raw_path}"
    aws = AWSRequest(method=request.method, url=url, headers=headers, data=body)
    aws.context["timestamp"] = request.headers["x-amz-date"]
    signer = SigV4Auth(Credentials(KEY, SECRET), "bedrock", REGION)
    canonical = signer.canonical_request(aws)
    return signer.signature(signer.string_to_sign(aws, canonical), aws) == sent


class FakeBedrock:
    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.signatures: list[bool] = []
        self.app = Starlette(routes=[Route("/model/{model}/{op}", self.handle, methods=["POST"])])

    async def handle(self, request: Request) -> JSONResponse:
        body = await request.body()
        ok = _signature_ok(request, body)
        self.signatures.append(ok)
        if not ok:
            return JSONResponse({"message": "signature mismatch"}, status_code=403)
        self.bodies.append(json.loads(body))
        if request.path_params["op"] == "converse":
            return JSONResponse({
                "output": {"message": {"role": "assistant", "content": [{"text": "a cat"}]}},
                "stopReason": "end_turn",
                "usage": {"inputTokens": 10, "outputTokens": 2, "totalTokens": 12},
                "metrics": {"latencyMs": 1},
            })
        return JSONResponse({"content": [{"type": "text", "text": "a cat"}], "role": "assistant"})


@pytest.fixture(scope="module")
def bedrock():
    fake = FakeBedrock()
    with ServerThread(fake.app) as server:
        yield fake, server.url


def _client(url: str):
    return boto3.client(
        "bedrock-runtime", region_name=REGION, endpoint_url=url,
        aws_access_key_id=KEY, aws_secret_access_key=SECRET,
    )


def _sizes(blocks: list[dict[str, Any]]) -> list[tuple[int, int]]:
    return [decode(base64.b64decode(b["image"]["source"]["bytes"])).size for b in blocks]


def test_the_fake_endpoint_rejects_a_body_changed_after_signing(bedrock) -> None:
    """The check is real: a body altered after botocore signed it gets 403."""
    fake, url = bedrock
    client = _client(url)

    def tamper(request, **_):  # after signing, as a byte-rewriting proxy would
        request.body = request.body + b" "
        request.headers["Content-Length"] = str(len(request.body))

    client.meta.events.register("before-send.bedrock-runtime.Converse", tamper)
    with pytest.raises(client.exceptions.ClientError, match="403|AccessDenied|signature"):
        client.converse(modelId=MODEL, messages=[{"role": "user", "content": [{"text": "hi"}]}])
    assert fake.signatures[-1] is False


def test_converse_images_are_compressed_and_signed(bedrock) -> None:
    fake, url = bedrock
    client = compress_bedrock(_client(url))
    photo = photo_jpeg(1600, 1200)
    shot = encode(screenshot(1600, 1000), "PNG")
    response = client.converse(
        modelId=MODEL,
        messages=[
            {"role": "user", "content": [
                {"text": "What animal is in the photo?"},
                {"image": {"format": "jpeg", "source": {"bytes": photo}}},
            ]},
            {"role": "assistant", "content": [{"toolUse": {
                "toolUseId": "t1", "name": "screenshot", "input": {}}}]},
            {"role": "user", "content": [{"toolResult": {"toolUseId": "t1", "content": [
                {"image": {"format": "png", "source": {"bytes": shot}}}]}},
                {"text": "Roughly what kind of app is on screen?"}]},
        ],
    )
    assert response["output"]["message"]["content"][0]["text"] == "a cat"
    assert fake.signatures[-1] is True
    sent = fake.bodies[-1]["messages"]
    (photo_size,) = _sizes([sent[0]["content"][1]])
    assert max(photo_size) < 1600
    assert client.headroom.last_result.compressed_tokens < client.headroom.last_result.original_tokens
    tool_content = sent[2]["content"][0]["toolResult"]["content"]
    assert all("image" in b or "text" in b for b in tool_content)


def test_invoke_model_with_a_claude_body(bedrock) -> None:
    fake, url = bedrock
    client = compress_bedrock(_client(url))
    body = anthropic_body(photo_jpeg(1800, 1200), "What is in this picture?")
    body.pop("model", None)
    body["anthropic_version"] = "bedrock-2023-05-31"
    response = client.invoke_model(modelId=MODEL, body=json.dumps(body))
    assert json.loads(response["body"].read())["content"][0]["text"] == "a cat"
    assert fake.signatures[-1] is True
    image = next(b for b in fake.bodies[-1]["messages"][0]["content"] if b["type"] == "image")
    assert max(decode(base64.b64decode(image["source"]["data"])).size) < 1800
    assert fake.bodies[-1]["anthropic_version"] == "bedrock-2023-05-31"


def test_uninstall_sends_bodies_untouched(bedrock) -> None:
    fake, url = bedrock
    client = compress_bedrock(_client(url))
    client.headroom.uninstall()
    photo = photo_jpeg(1600, 1200)
    client.converse(modelId=MODEL, messages=[{"role": "user", "content": [
        {"text": "What is this?"}, {"image": {"format": "jpeg", "source": {"bytes": photo}}}]}])
    assert fake.signatures[-1] is True
    sent = fake.bodies[-1]["messages"][0]["content"][1]["image"]["source"]["bytes"]
    assert base64.b64decode(sent) == photo


def test_other_operations_and_a_broken_compressor_pass_through(bedrock) -> None:
    fake, url = bedrock

    class Broken:
        def compress_body(self, *a, **k):
            raise RuntimeError("model files missing")

    client = compress_bedrock(_client(url), compressor=Broken())  # type: ignore[arg-type]
    photo = photo_jpeg(900, 900)
    client.converse(modelId=MODEL, messages=[{"role": "user", "content": [
        {"text": "What is this?"}, {"image": {"format": "jpeg", "source": {"bytes": photo}}}]}])
    assert fake.signatures[-1] is True
    sent = fake.bodies[-1]["messages"][0]["content"][1]["image"]["source"]["bytes"]
    assert base64.b64decode(sent) == photo
