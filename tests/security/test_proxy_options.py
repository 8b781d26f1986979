"""The proxy's switches for limits and URL fetching: env vars, flags, and what they turn on."""

from __future__ import annotations

import argparse
import json
import threading
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from headroom_edge.cli import proxy as proxy_cli
from headroom_edge.config import CompressionConfig, ImageLimits
from headroom_edge.integrations import ProxySettings, create_proxy_app
from tests.integrations.servers import ServerThread
from tests.security.conftest import Provider, proxy_settings


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--log-level", default="WARNING")
    proxy_cli.add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def test_defaults_match_the_library_and_fetching_is_off() -> None:
    settings = ProxySettings()
    assert settings.fetch_urls is False and settings.reject_oversize is True
    assert settings.max_image_bytes == ImageLimits().max_payload_bytes
    assert settings.compression_config() == CompressionConfig()


def test_env_vars() -> None:
    env = {
        "HEADROOM_MAX_BODY_BYTES": "1000",
        "HEADROOM_MAX_IMAGE_BYTES": "2000",
        "HEADROOM_REJECT_OVERSIZE": "false",
        "HEADROOM_FETCH_URLS": "true",
        "HEADROOM_FETCH_MAX_BYTES": "3000",
        "HEADROOM_FETCH_TIMEOUT_S": "2.5",
        "HEADROOM_FETCH_ALLOWED_HOSTS": "img.example.com, .cdn.example,",
    }
    settings = ProxySettings.from_env(env)
    assert settings.max_body_bytes == 1000 and settings.reject_oversize is False
    config = settings.compression_config()
    assert config.limits.max_payload_bytes == 2000 and config.fetch_urls is True
    assert config.fetch_max_bytes == 3000 and config.fetch_timeout_s == 2.5
    assert config.fetch_allowed_hosts == ("img.example.com", ".cdn.example")


def test_flags_win_over_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEADROOM_FETCH_URLS", "false")
    monkeypatch.setenv("HEADROOM_REJECT_OVERSIZE", "true")
    args = _parse([
        "proxy", "--fetch-urls", "--no-reject-oversize", "--max-body-bytes", "5", "--max-image-bytes", "6",
        "--fetch-max-bytes", "7", "--fetch-timeout", "1.5", "--fetch-allowed-hosts", "a.example",
    ])
    settings = proxy_cli.settings_from_args(args)
    assert settings.fetch_urls is True and settings.reject_oversize is False
    assert (settings.max_body_bytes, settings.max_image_bytes, settings.fetch_max_bytes) == (5, 6, 7)
    assert settings.fetch_timeout_s == 1.5 and settings.fetch_allowed_hosts == "a.example"


@pytest.mark.parametrize(
    "change",
    [{"max_body_bytes": 0}, {"max_image_bytes": 0}, {"fetch_max_bytes": -1}, {"fetch_timeout_s": 0.0}],
)
def test_bad_limits_are_refused(change: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        ProxySettings(**change)  # type: ignore[arg-type]


# -- fetching through the running proxy ---------------------------------------------------------------


class ImageHost:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.hits = 0

    def app(self, jpeg: bytes) -> Starlette:
        async def img(request: Request) -> Response:
            with self.lock:
                self.hits += 1
            return Response(jpeg, media_type="image/jpeg")

        return Starlette(routes=[Route("/img.jpg", img)])


@pytest.fixture
def image_host(jpeg: bytes) -> Iterator[tuple[ServerThread, ImageHost]]:
    host = ImageHost()
    with ServerThread(host.app(jpeg)) as server:
        yield server, host


def _url_body(url: str) -> bytes:
    return json.dumps({
        "model": "gpt-4o",
        "messages": [{"role": "user", "content": [
            {"type": "text", "text": "What animal is this?"},
            {"type": "image_url", "image_url": {"url": url}},
        ]}],
    }).encode()


@pytest.mark.parametrize("fetch_urls", [False, True])
def test_proxy_never_fetches_internal_urls(
    openai_up: Provider, anthropic_up: Provider, google_up: Provider,
    image_host: tuple[ServerThread, ImageHost], fetch_urls: bool,
) -> None:
    """Off: URLs are not touched. On: the production policy refuses loopback (and plain http),
    so the body still goes upstream byte-identical and the image host never hears from us."""
    server, host = image_host
    settings = proxy_settings(openai_up, anthropic_up, google_up, fetch_urls=fetch_urls)
    with ServerThread(create_proxy_app(settings)) as proxy:
        for url in (f"http://127.0.0.1:{server.port}/img.jpg", f"https://127.0.0.1:{server.port}/img.jpg",
                    f"https://localhost:{server.port}/img.jpg"):
            body = _url_body(url)
            r = httpx.post(f"{proxy.url}/v1/chat/completions", content=body, trust_env=False, timeout=30,
                           headers={"content-type": "application/json"})
            assert r.status_code == 200 and r.headers["x-headroom-technique"] == "preserve"
            assert openai_up.recorder.last().body == body
    assert host.hits == 0
