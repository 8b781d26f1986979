"""Which provider a proxied request goes to."""

from __future__ import annotations

import pytest

from headroom_edge.integrations.upstream import Upstreams

UP = Upstreams.from_urls("https://o.example", "https://a.example", "https://g.example")


@pytest.mark.parametrize(
    ("path", "headers", "expected"),
    [
        ("/v1/messages", {}, "anthropic"),
        ("/v1/messages/count_tokens", {}, "anthropic"),
        ("/v1/models", {"anthropic-version": "2023-06-01"}, "anthropic"),
        ("/v1/chat/completions", {}, "openai"),
        ("/v1/models", {}, "openai"),
        ("/v1/responses", {}, "openai"),
        ("/v1beta/models/gemini-2.5-flash:generateContent", {}, "google"),
        ("/v1/models/gemini-2.5-flash:streamGenerateContent", {}, "google"),
        ("/upload/v1beta/files", {}, "google"),
        ("/v1/files", {"x-goog-api-key": "k"}, "google"),
        ("/healthz2", {}, None),
        ("/", {}, None),
        ("/v2/chat/completions", {}, None),
        ("/admin/secret", {"anthropic-version": "2023-06-01"}, None),
        ("/admin/secret", {"x-goog-api-key": "k"}, None),
        ("/", {"x-goog-api-key": "k", "anthropic-version": "2023-06-01"}, None),
        ("/v1beta/models", {"anthropic-version": "2023-06-01"}, "google"),
        # Vertex AI (Google OAuth Bearer tokens) never goes to a public API's host.
        ("/v1/projects/p/locations/us-east5/publishers/anthropic/models/c:rawPredict",
         {"authorization": "Bearer ya29.fake", "anthropic-version": "vertex-2023-10-16"}, None),
        ("/v1/projects/p/locations/l/publishers/google/models/g:generateContent",
         {"authorization": "Bearer ya29.fake"}, None),
        ("/v1beta1/projects/p/locations/l/publishers/google/models/g:generateContent", {}, None),
        ("/openai/deployments/d/chat/completions", {"api-key": "k"}, None),
        ("/api/chat", {}, None),
    ],
)
def test_pick(path: str, headers: dict[str, str], expected: str | None) -> None:
    chosen = UP.pick(path, headers)
    assert (chosen.name if chosen else None) == expected


def test_url_keeps_base_path_and_query() -> None:
    assert UP.openai.url_for("/v1/models", "a=1") == "https://o.example/v1/models?a=1"
    up = Upstreams.from_urls("http://gw:8080/openai/", "http://a", "http://g").openai
    assert up.url_for("/v1/chat/completions", "") == "http://gw:8080/openai/v1/chat/completions"


@pytest.mark.parametrize(
    "base",
    ["http://alice:hunter2@gw.example:8080/openai?key=sk-secret", "https://bob@gw.example/x"],
)
def test_public_url_has_no_userinfo_or_query(base: str) -> None:
    shown = Upstreams.from_urls(base, "http://a", "http://g").openai.public_url
    assert "alice" not in shown and "hunter2" not in shown and "bob" not in shown
    assert "sk-secret" not in shown and "gw.example" in shown


DOORS = Upstreams.from_urls("https://o.example", "https://a.example", "https://g.example",
                            azure_openai="https://res.openai.azure.com",
                            vertex_ai="https://us-east5-aiplatform.googleapis.com",
                            ollama="http://127.0.0.1:11434")


@pytest.mark.parametrize(
    ("path", "headers", "expected"),
    [
        ("/v1/projects/p/locations/us-east5/publishers/anthropic/models/c:rawPredict",
         {"anthropic-version": "vertex-2023-10-16"}, "vertex_ai"),
        ("/v1/projects/p/locations/l/publishers/google/models/g:countTokens", {}, "vertex_ai"),
        ("/openai/deployments/d/chat/completions", {"api-key": "k"}, "azure_openai"),
        ("/openai/v1/responses", {}, "azure_openai"),
        ("/api/chat", {}, "ollama"),
        ("/api/generate", {}, "ollama"),
        ("/v1/chat/completions", {}, "openai"),
        ("/v1/messages", {}, "anthropic"),
        ("/model/anthropic.claude/invoke", {}, None),  # Bedrock is never proxied
    ],
)
def test_pick_configured_doors(path: str, headers: dict[str, str], expected: str | None) -> None:
    chosen = DOORS.pick(path, headers)
    assert (chosen.name if chosen else None) == expected


def test_empty_door_url_leaves_the_door_closed() -> None:
    up = Upstreams.from_urls("https://o", "https://a", "https://g", vertex_ai="", ollama=None)
    assert up.vertex_ai is None and up.ollama is None and up.azure_openai is None
