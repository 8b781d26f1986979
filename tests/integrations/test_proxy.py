"""End to end: real SDKs -> proxy (uvicorn) -> fake provider (uvicorn), everything on 127.0.0.1."""

from __future__ import annotations

import gzip
import re
import socket
import time
from collections.abc import Iterator

import anthropic
import httpx
import openai
import pytest
from google import genai
from google.genai import types as gtypes

from headroom_edge import ImageCompressor
from headroom_edge.integrations import ProxySettings, create_proxy_app
from tests.factories import b64
from tests.integrations.fake_provider import ANSWER, Recorder
from tests.integrations.helpers import (
    QUESTION,
    anthropic_messages,
    gemini_contents,
    images_in,
    is_compressed,
    openai_chat_body,
    openai_chat_messages,
    openai_responses_input,
    to_bytes,
)
from tests.integrations.servers import ServerThread, refused_url


def _settings(upstream_url: str, **changes: object) -> ProxySettings:
    return ProxySettings(
        openai_base_url=upstream_url,
        anthropic_base_url=upstream_url,
        google_base_url=upstream_url,
        trust_env=False,
        workers=2,
    ).with_changes(**changes)


@pytest.fixture(scope="module")
def proxy(upstream: ServerThread, compressor: ImageCompressor) -> Iterator[ServerThread]:
    app = create_proxy_app(_settings(upstream.url), compressor=compressor)
    with ServerThread(app) as server:
        yield server


@pytest.fixture(scope="module")
def plain_proxy(upstream: ServerThread) -> Iterator[ServerThread]:
    """--no-image-optimize: must forward bodies byte-identical."""
    app = create_proxy_app(_settings(upstream.url, image_optimize=False))
    with ServerThread(app) as server:
        yield server


@pytest.fixture(scope="module")
def broken_proxy(upstream: ServerThread, compressor: ImageCompressor) -> Iterator[ServerThread]:
    """OpenAI points at a closed port; Anthropic at the fake upstream with a short header wait."""
    settings = _settings(
        upstream.url, openai_base_url=refused_url(), header_timeout_s=0.5, connect_timeout_s=2.0
    )
    with ServerThread(create_proxy_app(settings, compressor=compressor)) as server:
        yield server


@pytest.fixture
def oai(proxy: ServerThread) -> Iterator[openai.OpenAI]:
    client = openai.OpenAI(api_key="sk-test-openai", base_url=f"{proxy.url}/v1", max_retries=0)
    yield client
    client.close()


@pytest.fixture
def claude(proxy: ServerThread) -> Iterator[anthropic.Anthropic]:
    client = anthropic.Anthropic(api_key="sk-ant-test", base_url=proxy.url, max_retries=0)
    yield client
    client.close()


@pytest.fixture
def gemini(proxy: ServerThread) -> genai.Client:
    return genai.Client(api_key="g-test-key", http_options=gtypes.HttpOptions(base_url=proxy.url))


# -- the three providers through the SDKs ---------------------------------------------------------


def test_openai_chat_image_is_compressed_and_answer_returned(
    oai: openai.OpenAI, recorder: Recorder, jpeg: bytes
) -> None:
    raw = oai.chat.completions.with_raw_response.create(
        model="gpt-4o", messages=openai_chat_messages(jpeg), extra_headers={"x-test-id": "chat-1"}
    )
    completion = raw.parse()
    assert completion.choices[0].message.content == ANSWER

    got = recorder.last("/v1/chat/completions")
    assert got.header("x-test-id") == "chat-1"
    (image,) = images_in(got.body)
    assert is_compressed(image, jpeg)
    assert image.detail == "low"
    assert int(got.header("content-length")) == len(got.body)
    assert got.header("authorization") == "Bearer sk-test-openai"

    assert raw.headers["x-headroom-technique"] == "full_low"
    assert int(raw.headers["x-headroom-tokens-after"]) < int(
        raw.headers["x-headroom-tokens-before"]
    )


def test_openai_chat_stream_arrives_incrementally(
    oai: openai.OpenAI, recorder: Recorder, jpeg: bytes
) -> None:
    stream = oai.chat.completions.create(
        model="gpt-4o",
        messages=openai_chat_messages(jpeg),
        stream=True,
        # 10 chunks: >= 1.35 s between the first and the last, so a loaded CI box still tells
        # streaming from buffering apart
        extra_headers={"x-test-stream-id": "oai-stream", "x-test-chunks": "10"},
    )
    text, first_at = _collect((c.choices[0].delta.content or "") for c in stream if c.choices)
    assert text == ANSWER
    log = recorder.stream_log("oai-stream")
    assert log.finished and first_at < log.sent[-1], "first chunk only arrived after the last left"
    assert images_in(recorder.last("/v1/chat/completions").body)[0].detail == "low"


def test_openai_responses_api(oai: openai.OpenAI, recorder: Recorder, jpeg: bytes) -> None:
    response = oai.responses.create(model="gpt-4o", input=openai_responses_input(jpeg))
    assert response.output_text == ANSWER
    (image,) = images_in(recorder.last("/v1/responses").body)
    assert is_compressed(image, jpeg)


def test_anthropic_messages(claude: anthropic.Anthropic, recorder: Recorder, jpeg: bytes) -> None:
    raw = claude.messages.with_raw_response.create(
        model="claude-opus-4-7", max_tokens=100, messages=anthropic_messages(jpeg)
    )
    message = raw.parse()
    assert message.content[0].text == ANSWER
    got = recorder.last("/v1/messages")
    (image,) = images_in(got.body)
    assert image.size[0] * image.size[1] < 1024 * 1024 and image.nbytes < len(jpeg)
    for name, value in claude.auth_headers.items():  # x-api-key or Bearer, by SDK version
        assert got.header(name) == value
    assert got.header("anthropic-version")
    assert raw.headers["x-headroom-technique"] == "full_low"


def test_anthropic_stream_arrives_incrementally(
    claude: anthropic.Anthropic, recorder: Recorder, jpeg: bytes
) -> None:
    with claude.messages.stream(
        model="claude-opus-4-7",
        max_tokens=100,
        messages=anthropic_messages(jpeg),
        extra_headers={"x-test-stream-id": "claude-stream"},
    ) as stream:
        text, first_at = _collect(stream.text_stream)
        final = stream.get_final_message()
    assert text == ANSWER and final.stop_reason == "end_turn"
    log = recorder.stream_log("claude-stream")
    assert log.finished and first_at < log.sent[-1]


def test_gemini_generate_content(gemini: genai.Client, recorder: Recorder, jpeg: bytes) -> None:
    response = gemini.models.generate_content(
        model="gemini-2.5-flash", contents=gemini_contents(jpeg)
    )
    assert response.text == ANSWER
    got = recorder.last(":generateContent")
    assert got.path.endswith("/models/gemini-2.5-flash:generateContent")
    assert got.header("x-goog-api-key") == "g-test-key"
    assert len(images_in(got.body)) == 1


def test_gemini_sdk_image_is_compressed(
    gemini: genai.Client, recorder: Recorder, jpeg: bytes
) -> None:
    gemini.models.generate_content(model="gemini-2.5-flash", contents=gemini_contents(jpeg))
    (image,) = images_in(recorder.last(":generateContent").body)
    assert is_compressed(image, jpeg)


def test_gemini_rest_body_is_compressed(
    proxy: ServerThread, recorder: Recorder, jpeg: bytes
) -> None:
    body = {
        "contents": [
            {
                "role": "user",
                "parts": [
                    {"inlineData": {"mimeType": "image/jpeg", "data": b64(jpeg)}},
                    {"text": QUESTION},
                ],
            }
        ]
    }
    with httpx.Client(trust_env=False) as client:
        r = client.post(
            f"{proxy.url}/v1beta/models/gemini-2.5-flash:generateContent",
            json=body,
            headers={"x-goog-api-key": "g-rest"},
        )
    assert r.status_code == 200
    assert r.json()["candidates"][0]["content"]["parts"][0]["text"] == ANSWER
    got = recorder.last("/v1beta/models/gemini-2.5-flash:generateContent")
    (image,) = images_in(got.body)
    level = (got.json().get("generationConfig") or {}).get("mediaResolution")
    assert is_compressed(image, jpeg) or (level or "").endswith("LOW")
    assert r.headers["x-headroom-technique"] == "full_low"


def test_gemini_stream_arrives_incrementally(
    gemini: genai.Client, recorder: Recorder, jpeg: bytes
) -> None:
    stream = gemini.models.generate_content_stream(
        model="gemini-2.5-flash",
        contents=gemini_contents(jpeg),
        config=gtypes.GenerateContentConfig(
            http_options=gtypes.HttpOptions(headers={"x-test-stream-id": "gemini-stream"})
        ),
    )
    text, first_at = _collect(chunk.text or "" for chunk in stream)
    assert text == ANSWER
    got = recorder.last(":streamGenerateContent")
    assert got.query == "alt=sse"
    log = recorder.stream_log("gemini-stream")
    assert log.finished and first_at < log.sent[-1]


def _collect(pieces: Iterator[str]) -> tuple[str, float]:
    text, first_at = "", 0.0
    for piece in pieces:
        if piece and not first_at:
            first_at = time.monotonic()
        text += piece
    return text, first_at


# -- header handling, bypass, pass-through ----------------------------------------------------------


def test_hop_by_hop_headers_dropped_and_others_kept(
    proxy: ServerThread, upstream: ServerThread, recorder: Recorder
) -> None:
    headers = {
        "authorization": "Bearer sk-hop",
        "x-custom": "kept",
        "connection": "keep-alive, x-conn-private",
        "x-conn-private": "must go",
        "keep-alive": "timeout=5",
        "te": "trailers",
        "proxy-authorization": "Basic c2VjcmV0",
        "upgrade": "h2c",
    }
    with httpx.Client(trust_env=False) as client:
        r = client.post(f"{proxy.url}/v1/echo?x=1&y=two", content=b"hello", headers=headers)
    assert r.status_code == 200 and r.content == b"hello"
    got = recorder.last("/v1/echo")
    assert got.query == "x=1&y=two"
    assert got.header("authorization") == "Bearer sk-hop"
    assert got.header("x-custom") == "kept"
    for name in ("x-conn-private", "keep-alive", "te", "proxy-authorization", "upgrade"):
        assert not got.has_header(name), name
    assert got.header("host") == f"127.0.0.1:{upstream.port}"
    assert "transfer-encoding" not in r.headers or r.headers["transfer-encoding"] == "chunked"


def test_bypass_header_sends_body_byte_identical(
    proxy: ServerThread, recorder: Recorder, jpeg: bytes
) -> None:
    body = to_bytes(openai_chat_body(jpeg))
    with httpx.Client(trust_env=False) as client:
        r = client.post(
            f"{proxy.url}/v1/chat/completions",
            content=body,
            headers={"content-type": "application/json", "x-headroom-bypass": "true"},
        )
    assert r.status_code == 200
    assert recorder.last("/v1/chat/completions").body == body
    assert "x-headroom-technique" not in r.headers


def test_no_image_optimize_forwards_byte_identical(
    plain_proxy: ServerThread, recorder: Recorder, jpeg: bytes
) -> None:
    body = to_bytes(openai_chat_body(jpeg))
    with httpx.Client(trust_env=False) as client:
        health = client.get(f"{plain_proxy.url}/healthz").json()
        r = client.post(
            f"{plain_proxy.url}/v1/chat/completions",
            content=body,
            headers={"content-type": "application/json", "authorization": "Bearer sk-x"},
        )
    assert health["image_optimize"] is False
    assert r.status_code == 200 and r.json()["choices"][0]["message"]["content"] == ANSWER
    assert recorder.last("/v1/chat/completions").body == body


def test_gzip_request_body_is_inflated_compressed_and_sent_plain(
    proxy: ServerThread, recorder: Recorder, jpeg: bytes
) -> None:
    body = to_bytes(openai_chat_body(jpeg))
    with httpx.Client(trust_env=False) as client:
        r = client.post(
            f"{proxy.url}/v1/chat/completions",
            content=gzip.compress(body),
            headers={"content-type": "application/json", "content-encoding": "gzip"},
        )
    assert r.status_code == 200
    got = recorder.last("/v1/chat/completions")
    assert not got.has_header("content-encoding")
    assert int(got.header("content-length")) == len(got.body)
    assert images_in(got.body)[0].detail == "low"


def test_response_content_encoding_stays_consistent(proxy: ServerThread) -> None:
    payload = b"x" * 5000
    with httpx.Client(trust_env=False) as client:
        zipped = client.post(
            f"{proxy.url}/v1/echo", content=payload, headers={"accept-encoding": "gzip"}
        )
        plain = client.post(
            f"{proxy.url}/v1/echo", content=payload, headers={"accept-encoding": "identity"}
        )
    assert zipped.headers["content-encoding"] == "gzip" and zipped.content == payload
    assert "content-encoding" not in plain.headers and plain.content == payload


def test_client_disconnect_closes_upstream_stream(proxy: ServerThread, recorder: Recorder) -> None:
    body = {"model": "gpt-4o", "stream": True, "messages": [{"role": "user", "content": "hi"}]}
    headers = {"x-test-stream-id": "disconnect", "x-test-chunks": "40"}
    with httpx.Client(trust_env=False) as client:
        with client.stream(
            "POST", f"{proxy.url}/v1/chat/completions", json=body, headers=headers
        ) as r:
            next(r.iter_raw())
    log = recorder.stream_log("disconnect")
    deadline = time.monotonic() + 5
    while not log.closed_early and time.monotonic() < deadline:
        time.sleep(0.05)
    assert log.closed_early and not log.finished


# -- errors and refusals ------------------------------------------------------------------------------


def test_refused_upstream_gives_502_json(broken_proxy: ServerThread) -> None:
    with httpx.Client(trust_env=False) as client:
        r = client.post(f"{broken_proxy.url}/v1/chat/completions", json={"model": "gpt-4o"})
    assert r.status_code == 502
    error = r.json()["error"]
    assert error["type"] == "headroom_upstream_unreachable" and "openai" in error["message"]


def test_refused_upstream_surfaces_in_the_sdk(broken_proxy: ServerThread) -> None:
    client = openai.OpenAI(api_key="sk-x", base_url=f"{broken_proxy.url}/v1", max_retries=0)
    with pytest.raises(openai.InternalServerError) as info:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    assert info.value.status_code == 502


def test_slow_upstream_headers_give_504(broken_proxy: ServerThread) -> None:
    start = time.monotonic()
    with httpx.Client(trust_env=False) as client:
        r = client.post(
            f"{broken_proxy.url}/v1/messages",
            json={"model": "claude", "max_tokens": 5, "messages": []},
            headers={"x-test-delay": "3"},
        )
    assert r.status_code == 504
    assert r.json()["error"]["type"] == "headroom_upstream_timeout"
    assert time.monotonic() - start < 2.5


def test_unknown_paths_and_absolute_targets_are_refused(proxy: ServerThread) -> None:
    with httpx.Client(trust_env=False) as client:
        assert client.get(f"{proxy.url}/not-an-api").status_code == 404
        assert client.get(f"{proxy.url}/").status_code == 404
        assert client.get(f"{proxy.url}/v1/models").status_code == 200
    # An absolute-form target (what a forward proxy would accept) must not reach any upstream.
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as sock:
        sock.sendall(b"GET http://example.com/v1/models HTTP/1.1\r\nHost: example.com\r\n\r\n")
        status_line = sock.recv(4096).split(b"\r\n", 1)[0]
    assert status_line.split()[1] in (b"400", b"404")


# -- health and metrics -------------------------------------------------------------------------------


def test_healthz(proxy: ServerThread) -> None:
    with httpx.Client(trust_env=False) as client:
        r = client.get(f"{proxy.url}/healthz")
    assert r.status_code == 200
    data = r.json()
    assert data["status"] == "ok" and data["version"] and data["image_optimize"] is True


_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (-?[0-9.eE+-]+|\+Inf|NaN)$")


def _parse_metrics(text: str) -> dict[str, float]:
    """Strict parse of the text exposition: every sample line must be well-formed."""
    samples: dict[str, float] = {}
    for line in text.splitlines():
        if not line or line.startswith("# HELP ") or line.startswith("# TYPE "):
            continue
        match = _SAMPLE.match(line)
        assert match, f"bad metrics line: {line!r}"
        samples[match.group(1) + (match.group(2) or "")] = float(match.group(3))
    return samples


def test_metrics_parse_and_count(proxy: ServerThread, oai: openai.OpenAI, jpeg: bytes) -> None:
    oai.chat.completions.create(model="gpt-4o", messages=openai_chat_messages(jpeg))
    with httpx.Client(trust_env=False) as client:
        r = client.get(f"{proxy.url}/metrics")
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    m = _parse_metrics(r.text)
    assert m['headroom_requests_total{route="openai_chat",status="200",upstream="openai"}'] >= 1
    assert m['headroom_images_total{technique="full_low"}'] >= 1
    assert m["headroom_tokens_before_total"] > m["headroom_tokens_after_total"] > 0
    assert m["headroom_body_bytes_before_total"] > m["headroom_body_bytes_after_total"]
    assert m["headroom_compression_seconds_count"] >= 1
    assert (
        m['headroom_compression_seconds_bucket{le="+Inf"}']
        == m["headroom_compression_seconds_count"]
    )
    assert "headroom_shed_total" in r.text and "headroom_fail_open_total" in r.text
