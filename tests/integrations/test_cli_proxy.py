"""``headroom-edge proxy``: flags, env vars, and a real server process.

(Lives here rather than tests/cli/ because this suite owns the proxy subcommand.)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

import httpx
import pytest

from headroom_edge.cli import proxy as proxy_cli
from tests.integrations.servers import refused_url


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--log-level", default="WARNING")  # the top-level flag of the real CLI
    proxy_cli.add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def test_flags_override_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEADROOM_PORT", "9100")
    monkeypatch.setenv("HEADROOM_ANTHROPIC_BASE_URL", "http://env-anthropic")
    monkeypatch.setenv("HEADROOM_IMAGE_OPTIMIZE", "false")
    args = _parse(["--log-level", "DEBUG", "proxy", "--port", "9200", "--image-optimize"])
    settings = proxy_cli.settings_from_args(args)
    assert settings.port == 9200 and settings.image_optimize is True
    assert settings.anthropic_base_url == "http://env-anthropic"
    assert args.log_level == "DEBUG"  # the top-level flag is not clobbered
    assert args.run is proxy_cli.run


def test_no_image_optimize_flag() -> None:
    args = _parse(["proxy", "--no-image-optimize", "--log-level", "WARNING", "--workers", "3"])
    settings = proxy_cli.settings_from_args(args)
    assert settings.image_optimize is False and settings.workers == 3
    assert settings.log_level == "warning"


def test_serves_with_uvicorn() -> None:
    port = int(refused_url().rsplit(":", 1)[1])
    env = {**os.environ, "HEADROOM_PORT": str(port), "HEADROOM_IMAGE_OPTIMIZE": "false"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "headroom_edge", "proxy", "--log-level", "warning"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/healthz", trust_env=False, timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
                assert time.monotonic() < deadline, "proxy did not start"
                time.sleep(0.1)
        assert r.status_code == 200 and r.json()["image_optimize"] is False
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_connection_limit_flags_and_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEADROOM_CLIENT_BODY_TIMEOUT_S", "7.5")
    monkeypatch.setenv("HEADROOM_ISOLATE_WORKERS", "false")
    args = _parse(["proxy", "--client-header-timeout", "3", "--max-connections", "50",
                   "--keep-alive-timeout", "2"])
    settings = proxy_cli.settings_from_args(args)
    assert settings.client_header_timeout_s == 3 and settings.client_body_timeout_s == 7.5
    assert settings.max_connections == 50 and settings.keep_alive_timeout_s == 2
    assert settings.isolate_workers is False
    assert proxy_cli.settings_from_args(_parse(["proxy", "--isolate-workers"])).isolate_workers


def test_uvicorn_config_carries_the_limits() -> None:
    from headroom_edge.integrations import ProxySettings
    from headroom_edge.integrations.serving import HeaderTimeoutH11Protocol, uvicorn_config

    settings = ProxySettings(client_header_timeout_s=4, max_connections=9, keep_alive_timeout_s=3)
    config = uvicorn_config(object(), settings)
    assert issubclass(config.http, HeaderTimeoutH11Protocol)  # type: ignore[arg-type]
    assert config.http.header_timeout_s == 4  # type: ignore[union-attr]
    assert config.limit_concurrency == 9 and config.timeout_keep_alive == 3
    assert config.access_log is False


def test_door_flags_override_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEADROOM_OLLAMA_BASE_URL", "http://env-ollama:11434")
    monkeypatch.setenv("HEADROOM_VERTEX_AI_BASE_URL", "https://env-aiplatform.example")
    args = _parse(["proxy", "--azure-openai-base-url", "https://res.openai.azure.com",
                   "--vertex-ai-base-url", "https://us-east5-aiplatform.googleapis.com"])
    settings = proxy_cli.settings_from_args(args)
    assert settings.azure_openai_base_url == "https://res.openai.azure.com"
    assert settings.vertex_ai_base_url == "https://us-east5-aiplatform.googleapis.com"
    assert settings.ollama_base_url == "http://env-ollama:11434"
