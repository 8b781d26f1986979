"""Logs never carry image bytes, base64, data URLs, signed-URL queries or API keys.

Everything is logged at DEBUG (root logger, headroom_edge, httpx/httpcore, uvicorn's own
loggers, which do not propagate) while real requests with real credentials-shaped headers go
through a real proxy to a fake provider, and again through a ``headroom-edge proxy --log-level
debug`` subprocess whose stdout and stderr are searched. The requests are sent with
``http.client``, which logs nothing itself, so every line captured comes from the code under test.
"""

from __future__ import annotations

import base64
import http.client
import io
import json
import logging
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from headroom_edge import ImageCompressor
from headroom_edge.config import CompressionConfig
from headroom_edge.integrations import create_proxy_app
from tests.factories import b64, data_url
from tests.integrations.servers import ServerThread, refused_url
from tests.security.conftest import Provider, proxy_settings

SECRETS = {
    "openai": "sk-proj-LOGTEST0openai0123456789abcdef",
    "anthropic": "sk-ant-api03-LOGTEST0anthropic0123456789",
    "goog_header": "AIzaSyLOGTEST0googheader0123456789",
    "goog_query": "AIzaSyLOGTEST0googquery00123456789",
    "signature": "LOGTEST0deadbeefcafe0signature",
    "org": "org-LOGTEST0organisation",
}
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")
QUESTION = "What animal is this?"


def _middle(text: str, n: int = 40) -> str:
    mid = len(text) // 2
    return text[mid : mid + n]


def _requests(jpeg: bytes) -> list[tuple[str, str, dict[str, str], bytes]]:
    """(method, target, headers, body) of every request the tests send."""
    image = b64(jpeg)
    bad = "!!!" + image[:5000]  # invalid base64 that still carries payload text
    chat = {"model": "gpt-4o", "messages": [{"role": "user", "content": [
        {"type": "text", "text": QUESTION},
        {"type": "image_url", "image_url": {"url": data_url(jpeg)}},
        {"type": "image_url", "image_url": {"url": f"data:image/jpeg;base64,{bad}"}},
        {"type": "image_url", "image_url": {"url": data_url(jpeg[: len(jpeg) // 3])}},  # truncated
        {"type": "image_url", "image_url": {
            "url": f"https://metadata.google.internal/img.jpg?X-Amz-Signature={SECRETS['signature']}"}},
    ]}]}
    claude = {"model": "claude-sonnet-4-5", "max_tokens": 50, "messages": [{"role": "user", "content": [
        {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": image}},
        {"type": "text", "text": QUESTION},
    ]}]}
    gemini = {"contents": [{"role": "user", "parts": [
        {"inlineData": {"mimeType": "image/jpeg", "data": image}}, {"text": QUESTION},
    ]}]}
    json_h = {"Content-Type": "application/json"}
    gemini_path = "/v1beta/models/gemini-2.0-flash:generateContent"
    return [
        ("POST", "/v1/chat/completions", json_h | {
            "Authorization": f"Bearer {SECRETS['openai']}", "OpenAI-Organization": SECRETS["org"]},
         json.dumps(chat).encode()),
        ("POST", "/v1/messages", json_h | {"x-api-key": SECRETS["anthropic"], "anthropic-version": "2023-06-01"},
         json.dumps(claude).encode()),
        ("POST", gemini_path, json_h | {"x-goog-api-key": SECRETS["goog_header"]}, json.dumps(gemini).encode()),
        ("POST", f"{gemini_path}?key={SECRETS['goog_query']}", json_h, json.dumps(gemini).encode()),
        ("GET", f"/v1/models?key={SECRETS['goog_query']}", {"Authorization": f"Bearer {SECRETS['openai']}"}, b""),
        ("GET", f"/not-an-api?key={SECRETS['goog_query']}", {}, b""),
        ("POST", f"/v1/../x?key={SECRETS['goog_query']}", json_h, b"{}"),
    ]


def _send_all(port: int, jpeg: bytes) -> list[int]:
    statuses = []
    for method, target, headers, body in _requests(jpeg):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        try:
            conn.request(method, target, body=body or None, headers=headers)
            response = conn.getresponse()
            response.read()
            statuses.append(response.status)
        finally:
            conn.close()
    return statuses


def _forbidden(jpeg: bytes, upstream_bodies: list[bytes]) -> list[str]:
    """Every string that must not appear in any log line."""
    image = b64(jpeg)
    found = [*SECRETS.values(), "data:image", _middle(image), image[:40], image[-40:], "X-Amz-Signature="]
    for body in upstream_bodies:  # the rewritten payloads the proxy produced
        for match in re.finditer(r'"(?:url|data)":"(?:data:image/[a-z]+;base64,)?([A-Za-z0-9+/=_-]{200,})"',
                                 body.decode("utf-8", "replace")):
            found.append(_middle(match.group(1)))
    return found


def _assert_clean(log: str, forbidden: list[str]) -> None:
    leaks = [f for f in forbidden if f in log]
    assert not leaks, f"log leaks {len(leaks)} forbidden strings, e.g. {leaks[0][:12]}..."
    # No long base64-looking run of any origin either.
    assert not re.search(r"[A-Za-z0-9+/]{120,}", log), "log contains a long base64-like run"


def _clear(*providers: Provider) -> None:
    for provider in providers:
        with provider.recorder._lock:
            provider.recorder.requests.clear()


@pytest.fixture
def everything_at_debug(caplog: pytest.LogCaptureFixture) -> Iterator[io.StringIO]:
    """Root, headroom_edge, httpx and httpcore at DEBUG into caplog; uvicorn's non-propagating
    loggers at DEBUG into the returned stream."""
    caplog.set_level(logging.DEBUG)
    for name in ("headroom_edge", "httpx", "httpcore", "asyncio"):
        caplog.set_level(logging.DEBUG, logger=name)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    saved = {name: logging.getLogger(name).level for name in UVICORN_LOGGERS}
    for name in UVICORN_LOGGERS:
        logging.getLogger(name).addHandler(handler)
    yield stream
    for name, level in saved.items():
        logging.getLogger(name).removeHandler(handler)
        logging.getLogger(name).setLevel(level)


def _captured(caplog: pytest.LogCaptureFixture, stream: io.StringIO) -> str:
    parts = [caplog.text, stream.getvalue()]
    for record in caplog.records:
        parts.append(record.getMessage())
        if record.exc_text:
            parts.append(record.exc_text)
    return "\n".join(parts)


def test_in_process_proxy_and_compressor_logs_are_clean(
    openai_up: Provider, anthropic_up: Provider, google_up: Provider, jpeg: bytes,
    caplog: pytest.LogCaptureFixture, everything_at_debug: io.StringIO,
) -> None:
    _clear(openai_up, anthropic_up, google_up)
    settings = proxy_settings(openai_up, anthropic_up, google_up, fetch_urls=True, log_level="debug")
    server = ServerThread(create_proxy_app(settings))  # uvicorn configures its loggers here...
    for name in UVICORN_LOGGERS:  # ...so they are raised to DEBUG afterwards
        logging.getLogger(name).setLevel(logging.DEBUG)
    with server:
        statuses = _send_all(server.port, jpeg)
    assert statuses[:5] == [200, 200, 200, 200, 200] and statuses[5] == 404 and statuses[6] == 400

    # The library entry point too, with an URL fetch refused by the default policy.
    compressor = ImageCompressor(config=CompressionConfig(fetch_urls=True))
    for _, target, _, body in _requests(jpeg)[:4]:
        compressor.compress_body(body, path=target.split("?")[0])

    upstream_bodies = [r.body for p in (openai_up, anthropic_up, google_up) for r in p.recorder.requests]
    log = _captured(caplog, everything_at_debug)
    _assert_clean(log, _forbidden(jpeg, upstream_bodies))
    # ...and it really logged: access lines, per-image decisions, the fetch refusal, httpx's
    # request line (with the query redacted).
    assert "POST /v1/chat/completions -> openai 200" in log
    assert re.search(r"image \d+: full_low", log)
    assert "URL not fetched" in log and "metadata.google.internal" in log
    assert "HTTP Request: POST" in log and "?<redacted>" in log


def _cli() -> list[str]:
    script = Path(sys.executable).with_name("headroom-edge")
    return [str(script)] if script.exists() else [sys.executable, "-m", "headroom_edge"]


def test_cli_proxy_at_debug_logs_nothing_secret(
    openai_up: Provider, anthropic_up: Provider, google_up: Provider, jpeg: bytes
) -> None:
    _clear(openai_up, anthropic_up, google_up)
    port = int(refused_url().rsplit(":", 1)[1])
    env = {
        **os.environ,
        "HEADROOM_OPENAI_BASE_URL": openai_up.url,
        "HEADROOM_ANTHROPIC_BASE_URL": anthropic_up.url,
        "HEADROOM_GOOGLE_BASE_URL": google_up.url,
        "HEADROOM_TRUST_ENV": "false",
        "HEADROOM_FETCH_URLS": "true",
        "HEADROOM_WORKERS": "2",
    }
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            [*_cli(), "--log-level", "DEBUG", "proxy", "--log-level", "debug", "--port", str(port)],
            env=env, stdout=out, stderr=err,
        )
        try:
            _wait_healthy(proc, port)
            statuses = _send_all(port, jpeg)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        out.seek(0)
        err.seek(0)
        log = out.read().decode("utf-8", "replace") + "\n" + err.read().decode("utf-8", "replace")
    upstream_bodies = [r.body for p in (openai_up, anthropic_up, google_up) for r in p.recorder.requests]
    _assert_clean(log, _forbidden(jpeg, upstream_bodies))
    assert statuses[:5] == [200, 200, 200, 200, 200], log[-3000:]
    assert "POST /v1/chat/completions -> openai 200" in log
    assert "DEBUG" in log and "HTTP Request: POST" in log  # debug logging was really on


def _wait_healthy(proc: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + 60
    while True:
        assert proc.poll() is None, "proxy exited early"
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return
        except OSError:
            pass
        assert time.monotonic() < deadline, "proxy did not start"
        time.sleep(0.1)


def test_forbidden_list_is_meaningful(jpeg: bytes) -> None:
    """Sanity: the fragments really are payload text (so 'absent' is a real finding)."""
    payload = b64(jpeg)
    fragment = _middle(payload)
    assert len(fragment) == 40 and fragment in payload
    assert base64.b64decode(payload) == jpeg
