"""ProxySettings: defaults, HEADROOM_* env vars, overrides and validation."""

from __future__ import annotations

import pytest

from headroom_edge.integrations import ProxySettings


def test_defaults_are_safe() -> None:
    s = ProxySettings()
    assert s.host == "127.0.0.1" and s.port == 8787 and s.image_optimize is True
    assert s.openai_base_url == "https://api.openai.com"
    assert s.anthropic_base_url == "https://api.anthropic.com"
    assert s.google_base_url == "https://generativelanguage.googleapis.com"
    # slow clients are bounded by default, and image work is isolated from the server process
    assert s.client_header_timeout_s == 10 and s.client_body_timeout_s == 30
    assert s.max_connections == 1024 and s.isolate_workers is True


def test_env_then_overrides() -> None:
    env = {
        "HEADROOM_PORT": "9001",
        "HEADROOM_IMAGE_OPTIMIZE": "false",
        "HEADROOM_OPENAI_BASE_URL": "http://gateway.local:8080/openai",
        "HEADROOM_TIME_BUDGET_S": "2.5",
        "HEADROOM_HOST": "",  # empty means unset
        "UNRELATED": "x",
    }
    s = ProxySettings.from_env(env, port=9002, host=None)
    assert s.port == 9002  # the flag wins
    assert s.host == "127.0.0.1"
    assert s.image_optimize is False and s.time_budget_s == 2.5
    assert s.openai_base_url == "http://gateway.local:8080/openai"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"HEADROOM_PORT": "eighty"}, "HEADROOM_PORT"),
        ({"HEADROOM_IMAGE_OPTIMIZE": "maybe"}, "HEADROOM_IMAGE_OPTIMIZE"),
        ({"HEADROOM_GOOGLE_BASE_URL": "ftp://x"}, "google_base_url"),
        ({"HEADROOM_VERTEX_AI_BASE_URL": "us-east5-aiplatform.googleapis.com"}, "vertex_ai_base_url"),
        ({"HEADROOM_WORKERS": "0"}, "workers"),
        ({"HEADROOM_CLIENT_HEADER_TIMEOUT_S": "0"}, "client_header_timeout_s"),
        ({"HEADROOM_CLIENT_BODY_TIMEOUT_S": "-1"}, "client_body_timeout_s"),
        ({"HEADROOM_MAX_CONNECTIONS": "0"}, "max_connections"),
    ],
)
def test_bad_values_name_the_setting(env: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ProxySettings.from_env(env)


def test_doors_are_closed_by_default_and_open_from_env() -> None:
    s = ProxySettings.from_env({})
    assert (s.azure_openai_base_url, s.vertex_ai_base_url, s.ollama_base_url) == ("", "", "")
    s = ProxySettings.from_env({"HEADROOM_AZURE_OPENAI_BASE_URL": "https://res.openai.azure.com",
                                "HEADROOM_VERTEX_AI_BASE_URL": "https://us-east5-aiplatform.googleapis.com",
                                "HEADROOM_OLLAMA_BASE_URL": "http://127.0.0.1:11434"})
    assert s.azure_openai_base_url == "https://res.openai.azure.com"
    assert s.vertex_ai_base_url == "https://us-east5-aiplatform.googleapis.com"
    assert s.ollama_base_url == "http://127.0.0.1:11434"
