"""The proxy is a reverse proxy for three configured upstreams and never an open proxy.

Whatever a client writes (absolute-form targets, CONNECT, Host / X-Forwarded-* headers, dot
segments, ``//host`` paths, userinfo tricks), a request either reaches the configured upstream
its path belongs to or is refused; the 'evil' server, a real fake provider on another port,
must never receive anything.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from headroom_edge import ImageCompressor
from headroom_edge.integrations import ProxySettings, create_proxy_app
from tests.integrations.servers import ServerThread
from tests.rawhttp import parse_response, raw_request, read_message
from tests.security.conftest import Provider, proxy_settings

CHAT = json.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}).encode()


@pytest.fixture(scope="module")
def proxy(
    openai_up: Provider, anthropic_up: Provider, google_up: Provider, compressor: ImageCompressor
) -> Iterator[ServerThread]:
    app = create_proxy_app(proxy_settings(openai_up, anthropic_up, google_up), compressor=compressor)
    with ServerThread(app) as server:
        yield server


@pytest.fixture
def ups(openai_up: Provider, anthropic_up: Provider, google_up: Provider, evil: Provider) -> dict[str, Provider]:
    """All four servers, with their request logs cleared for this test."""
    servers = {"openai": openai_up, "anthropic": anthropic_up, "google": google_up, "evil": evil}
    for provider in servers.values():
        with provider.recorder._lock:
            provider.recorder.requests.clear()
    return servers


def _received(ups: dict[str, Provider]) -> dict[str, int]:
    return {name: len(p.recorder.requests) for name, p in ups.items()}


# -- routing only to the configured upstreams -----------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/v1/chat/completions", "openai"),
        ("/v1/responses", "openai"),
        ("/v1/messages", "anthropic"),
        ("/v1beta/models/gemini-2.0-flash:generateContent", "google"),
        ("/v1/models/gemini-2.0-flash:generateContent", "google"),
    ],
)
def test_each_api_path_goes_to_its_configured_upstream(
    proxy: ServerThread, ups: dict[str, Provider], path: str, expected: str
) -> None:
    r = httpx.post(f"{proxy.url}{path}", content=CHAT, headers={"content-type": "application/json"},
                   trust_env=False, timeout=30)
    assert r.status_code == 200
    assert _received(ups) == {name: int(name == expected) for name in ups}
    got = ups[expected].recorder.last()
    assert got.path == path and got.header("host") == ups[expected].netloc


# -- absolute-form targets and CONNECT ---------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "http://{evil}/v1/models",
        "http://{evil}/v1/chat/completions",
        "https://{evil}/v1/models",
        "http://{evil}",
        "HTTP://{evil}/v1/models",
    ],
)
def test_absolute_form_targets_are_refused(
    proxy: ServerThread, ups: dict[str, Provider], target: str
) -> None:
    url = target.format(evil=ups["evil"].netloc)
    method = "POST" if "chat" in url else "GET"
    r = raw_request(proxy.port, f"{method} {url} HTTP/1.1",
                    {"Host": ups["evil"].netloc, "Content-Type": "application/json"},
                    body=CHAT if method == "POST" else b"")
    # uvicorn hands the absolute URL over as the path; no route matches a path without a
    # leading "/" (404), and the forwarder itself refuses non-origin-form targets (400).
    assert r.status in (400, 404), r
    assert _received(ups) == {"openai": 0, "anthropic": 0, "google": 0, "evil": 0}


def test_connect_is_refused_and_no_tunnel_opens(proxy: ServerThread, ups: dict[str, Provider]) -> None:
    evil = ups["evil"].netloc
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
        sock.sendall(f"CONNECT {evil} HTTP/1.1\r\nHost: {evil}\r\n\r\n".encode())
        first = parse_response(read_message(sock))
        assert 400 <= first.status < 500
        # Were a tunnel open, these bytes would now reach the evil server as a request.
        try:
            sock.sendall(f"GET /v1/models HTTP/1.1\r\nHost: {evil}\r\nConnection: close\r\n\r\n".encode())
            _read_all(sock)
        except OSError:
            pass  # the proxy closed the connection: also no tunnel
    assert _received(ups)["evil"] == 0


def test_upstream_redirects_are_relayed_never_followed(
    anthropic_up: Provider, google_up: Provider, ups: dict[str, Provider]
) -> None:
    """A misbehaving upstream cannot make the proxy fetch another host."""
    evil_url = ups["evil"].url + "/v1/models"

    async def redirect(request: Request) -> Response:
        return RedirectResponse(evil_url, status_code=307)

    upstream = Starlette(routes=[Route("/{path:path}", redirect, methods=["GET", "POST"])])
    with ServerThread(upstream) as redirecting:
        settings = proxy_settings(
            Provider(redirecting, None), anthropic_up, google_up, image_optimize=False  # type: ignore[arg-type]
        )
        with ServerThread(create_proxy_app(settings)) as proxy:
            r = httpx.post(f"{proxy.url}/v1/chat/completions", content=CHAT,
                           headers={"content-type": "application/json"}, trust_env=False)
    assert r.status_code == 307 and r.headers["location"] == evil_url
    assert _received(ups)["evil"] == 0


# -- paths ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/", "/admin", "/v2/chat/completions", "/api/v1/chat/completions", "/v1", "/v1beta",
     "/.env", "/favicon.ico", "/metricsx", "/healthzz", "/chat/completions"],
)
def test_paths_outside_the_api_prefixes_get_404(
    proxy: ServerThread, ups: dict[str, Provider], path: str
) -> None:
    r = raw_request(proxy.port, f"POST {path} HTTP/1.1", {"Content-Type": "application/json"}, body=CHAT)
    assert r.status in (404, 405), r
    assert sum(_received(ups).values()) == 0


@pytest.mark.parametrize(
    "path",
    [
        "/v1/../admin",
        "/v1/../../admin",
        "/v1/chat/../../internal/chat/completions",
        "/v1/%2e%2e/admin",
        "/v1/%2E%2E/%2e%2e/admin",
        "/v1/./chat/completions",
        "/v1/models/..",
        "//{evil}/v1/chat/completions",
        "//v1/chat/completions",
    ],
)
def test_dot_segments_and_double_slashes_get_400(
    proxy: ServerThread, ups: dict[str, Provider], path: str
) -> None:
    """httpx would resolve ``/v1/../admin`` to ``/admin`` upstream (escaping the API prefix
    and any base-URL path); such targets are refused before an upstream is picked."""
    target = path.format(evil=ups["evil"].netloc)
    r = raw_request(proxy.port, f"POST {target} HTTP/1.1", {"Content-Type": "application/json"}, body=CHAT)
    assert r.status == 400, r
    assert sum(_received(ups).values()) == 0


@pytest.mark.parametrize(
    "path",
    [
        "/v1/models@{evil}/x",
        "/v1/chat/completions@{evil}",
        "/v1/\\\\{evil}/v1/models",
        "/v1/%2f%2f{evil}/v1/models",
        "/v1/models?url=http://{evil}/",
    ],
)
def test_userinfo_and_encoding_tricks_stay_on_the_configured_host(
    proxy: ServerThread, ups: dict[str, Provider], path: str
) -> None:
    target = path.format(evil=ups["evil"].netloc)
    r = raw_request(proxy.port, f"GET {target} HTTP/1.1")
    assert r.status != 0
    assert _received(ups)["evil"] == 0
    for name in ("openai", "anthropic", "google"):
        for got in ups[name].recorder.requests:
            assert got.header("host") == ups[name].netloc


# -- headers cannot steer ------------------------------------------------------------------------------


STEERING_HEADERS = [
    "X-Forwarded-Host",
    "X-Forwarded-Server",
    "X-Host",
    "X-Original-Host",
    "Forwarded",
    "X-Original-URL",
    "X-Rewrite-URL",
    "X-Forwarded-Proto",
    "X-Forwarded-Port",
]


@pytest.mark.parametrize("header", ["Host", *STEERING_HEADERS])
def test_host_and_forwarding_headers_do_not_steer(
    proxy: ServerThread, ups: dict[str, Provider], header: str
) -> None:
    evil = ups["evil"].netloc
    value = {
        "Forwarded": f"host={evil};proto=http;for=1.2.3.4",
        "X-Original-URL": f"http://{evil}/v1/chat/completions",
        "X-Rewrite-URL": f"http://{evil}/v1/chat/completions",
        "X-Forwarded-Proto": "http",
        "X-Forwarded-Port": str(ups["evil"].server.port),
    }.get(header, evil)
    headers = {"Content-Type": "application/json", header: value}
    if header != "Host":
        headers["Host"] = f"127.0.0.1:{proxy.port}"
    r = raw_request(proxy.port, "POST /v1/chat/completions HTTP/1.1", headers, body=CHAT)
    assert r.status == 200, r
    assert _received(ups) == {"openai": 1, "anthropic": 0, "google": 0, "evil": 0}
    assert ups["openai"].recorder.last().header("host") == ups["openai"].netloc


def test_all_steering_headers_at_once(proxy: ServerThread, ups: dict[str, Provider]) -> None:
    evil = ups["evil"].netloc
    headers = {h: evil for h in STEERING_HEADERS} | {"Host": evil, "Content-Type": "application/json",
                                                     "anthropic-version": "2023-06-01"}
    r = raw_request(proxy.port, "POST /v1/messages HTTP/1.1", headers,
                    body=json.dumps({"model": "claude", "max_tokens": 5, "messages": []}).encode())
    assert r.status == 200, r
    assert _received(ups) == {"openai": 0, "anthropic": 1, "google": 0, "evil": 0}


def _read_all(sock: socket.socket) -> bytes:
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk


def test_dot_segments_cannot_escape_a_base_url_path(
    openai_up: Provider, anthropic_up: Provider, google_up: Provider, ups: dict[str, Provider]
) -> None:
    """With a gateway-style base URL (``.../tenant-a``), ``/v1/../../v1/chat/completions``
    would be resolved by httpx to ``/v1/chat/completions`` at the gateway root, outside the
    configured prefix."""
    settings = proxy_settings(openai_up, anthropic_up, google_up, image_optimize=False)
    settings = settings.with_changes(openai_base_url=f"{openai_up.url}/tenant-a")
    with ServerThread(create_proxy_app(settings)) as proxy:
        r = raw_request(proxy.port, "POST /v1/../../v1/chat/completions HTTP/1.1",
                        {"Content-Type": "application/json"}, body=CHAT)
    assert r.status == 400, r
    assert sum(_received(ups).values()) == 0


# -- issue 11: header steering, framing, credentials ------------------------------------------------


@pytest.fixture(scope="module")
def catch_all() -> Iterator[tuple[ServerThread, list[str]]]:
    """An upstream that answers 200 to every path and records it (the fake providers only
    record the routes they implement, so they could not see a forwarded ``/admin/secret``)."""
    seen: list[str] = []

    async def anything(request: Request) -> Response:
        seen.append(request.url.path)
        return Response(b"{}", media_type="application/json")

    app = Starlette(routes=[Route("/{path:path}", anything, methods=["GET", "POST"])])
    with ServerThread(app) as server:
        yield server, seen


@pytest.mark.parametrize(
    "headers",
    [{"anthropic-version": "2023-06-01"}, {"x-goog-api-key": "k"},
     {"anthropic-version": "2023-06-01", "x-goog-api-key": "k"}],
)
@pytest.mark.parametrize("path", ["/admin/secret", "/", "/v2/chat/completions", "/internal/v1/x"])
def test_provider_headers_do_not_make_unknown_paths_forwardable(
    catch_all: tuple[ServerThread, list[str]], headers: dict[str, str], path: str
) -> None:
    """Headers may choose between providers for an API path, never turn a non-API path into a
    forwarded one (``GET /admin/secret`` + ``anthropic-version`` used to reach the upstream)."""
    upstream, seen = catch_all
    seen.clear()
    settings = ProxySettings(openai_base_url=upstream.url, anthropic_base_url=upstream.url,
                             google_base_url=upstream.url, trust_env=False, image_optimize=False)
    with ServerThread(create_proxy_app(settings)) as proxy:
        r = raw_request(proxy.port, f"GET {path} HTTP/1.1", headers)
        assert r.status == 404, r
        assert seen == []
        ok = raw_request(proxy.port, "GET /v1/models HTTP/1.1", headers)
    assert ok.status == 200 and seen == ["/v1/models"]  # the same headers on an API path work


def test_content_length_next_to_chunked_is_dropped_not_a_500(
    proxy: ServerThread, ups: dict[str, Provider]
) -> None:
    """RFC 9112 §6.3: with Transfer-Encoding, Content-Length is ignored and an intermediary must
    not forward it. A mismatched one used to reach httpcore and come back as a 500."""
    chunked = f"{len(CHAT):x}\r\n".encode() + CHAT + b"\r\n0\r\n\r\n"
    r = raw_request(proxy.port, "POST /v1/chat/completions HTTP/1.1",
                    {"Content-Type": "application/json", "Content-Length": "5",
                     "Transfer-Encoding": "chunked"}, body=chunked)
    assert r.status == 200, r
    got = ups["openai"].recorder.last()
    assert got.body == CHAT
    assert got.header("content-length") in (None, str(len(CHAT)))


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A listening socket that accepts connections and never answers (upstream header timeout)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield sock.getsockname()[1]


@pytest.mark.parametrize("failure", ["refused", "timeout"])
def test_upstream_errors_never_show_userinfo_or_query_secrets(
    openai_up: Provider, anthropic_up: Provider, google_up: Provider, silent_port: int,
    failure: str, caplog: pytest.LogCaptureFixture,
) -> None:
    """A base URL may carry credentials (``http://user:pass@gateway/...?key=...``); the 502/504
    body and the logs name the upstream by scheme, host and path only."""
    from tests.integrations.servers import refused_url

    host = refused_url() if failure == "refused" else f"http://127.0.0.1:{silent_port}"
    base = host.replace("http://", "http://alice:hunter2-pw@") + "/gw?key=sk-query-secret"
    settings = proxy_settings(openai_up, anthropic_up, google_up, image_optimize=False,
                              openai_base_url=base, header_timeout_s=0.5)
    caplog.set_level("DEBUG")
    with ServerThread(create_proxy_app(settings)) as proxy:
        r = raw_request(proxy.port, "POST /v1/chat/completions HTTP/1.1",
                        {"Content-Type": "application/json"}, body=CHAT)
    assert r.status == (502 if failure == "refused" else 504), r
    shown = r.body.decode() + "\n".join(rec.getMessage() for rec in caplog.records)
    for secret in ("alice", "hunter2-pw", "sk-query-secret"):
        assert secret not in shown
    assert "127.0.0.1" in r.body.decode()


@pytest.mark.parametrize(
    "path",
    [
        "/v1/projects/p/locations/us-east5/publishers/anthropic/models/claude-sonnet-4-5:rawPredict",
        "/v1/projects/p/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent",
        "/v1beta1/projects/p/locations/l/publishers/google/models/g:generateContent",
    ],
)
def test_vertex_paths_are_refused_without_a_vertex_upstream(
    proxy: ServerThread, ups: dict[str, Provider], path: str
) -> None:
    """A Vertex AI call carries a Google OAuth token: it once went to the OpenAI upstream."""
    r = httpx.post(f"{proxy.url}{path}", content=CHAT, trust_env=False, timeout=30,
                   headers={"content-type": "application/json", "authorization": "Bearer ya29.fake",
                            "anthropic-version": "vertex-2023-10-16"})
    assert r.status_code == 404 and "Vertex AI" in r.json()["error"]["message"]
    assert _received(ups) == {name: 0 for name in ups}
