"""The one endpoint table: path -> wire format -> provider, and the proxy's provider choice."""

from __future__ import annotations

import pytest

from headroom_edge.formats import (
    COMPRESSIBLE,
    ENDPOINTS,
    OPENAI_CHAT,
    PathModel,
    canonical_provider,
    endpoint_for,
    format_for_messages,
    format_for_path,
    get_format,
    model_in_path,
    provider_for_request,
)
from headroom_edge.integrations.routes import DEFAULT_ROUTES, match_route
from headroom_edge.integrations.upstream import Upstreams

VERTEX = "/v1/projects/p1/locations/us-east5/publishers"
CALLS = [
    # path, endpoint name, wire format, provider (pricing), door, counts tokens
    ("/v1/chat/completions", "openai_chat", "openai_chat", "openai", "openai", False),
    ("/v1/chat/completions/", "openai_chat", "openai_chat", "openai", "openai", False),
    ("/v1/responses", "openai_responses", "openai_responses", "openai", "openai", False),
    ("/v1/responses/input_tokens", "openai_responses_input_tokens", "openai_responses", "openai", "openai", True),
    ("/openai/deployments/gpt4o/chat/completions?api-version=2024-10-21", "azure_openai_chat", "openai_chat",
     "openai", "azure_openai", False),
    ("/openai/deployments/gpt4o/responses?api-version=2025-04-01-preview", "azure_openai_responses",
     "openai_responses", "openai", "azure_openai", False),
    ("/openai/responses?api-version=2025-04-01-preview", "azure_openai_responses", "openai_responses", "openai",
     "azure_openai", False),
    ("/openai/v1/chat/completions", "azure_openai_chat", "openai_chat", "openai", "azure_openai", False),
    ("/openai/v1/responses", "azure_openai_responses", "openai_responses", "openai", "azure_openai", False),
    ("/openai/v1/responses/input_tokens", "azure_openai_responses_input_tokens", "openai_responses", "openai",
     "azure_openai", True),
    ("/v1/messages?beta=true", "anthropic_messages", "anthropic_messages", "anthropic", "anthropic", False),
    ("/v1/messages/count_tokens", "anthropic_count_tokens", "anthropic_messages", "anthropic", "anthropic", True),
    ("/v1beta/models/gemini-2.5-flash:generateContent", "gemini_generate", "gemini", "google", "google", False),
    ("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", "gemini_stream", "gemini", "google", "google",
     False),
    ("/v1beta/tunedModels/my-tune:generateContent", "gemini_generate", "gemini", "google", "google", False),
    ("/v1beta/models/gemini-2.5-flash:countTokens", "gemini_count_tokens", "gemini", "google", "google", True),
    ("/v1beta/interactions", "gemini_interactions", "gemini_interactions", "google", "google", False),
    (VERTEX + "/google/models/gemini-3-pro-preview:generateContent", "vertex_gemini_generate", "gemini", "google",
     "vertex_ai", False),
    (VERTEX + "/google/models/gemini-3-pro-preview:streamGenerateContent?alt=sse", "vertex_gemini_stream", "gemini",
     "google", "vertex_ai", False),
    (VERTEX + "/google/models/gemini-3-pro-preview:countTokens", "vertex_gemini_count_tokens", "gemini", "google",
     "vertex_ai", True),
    (VERTEX + "/anthropic/models/claude-sonnet-4-5@20250929:rawPredict", "vertex_anthropic_messages",
     "anthropic_messages", "anthropic", "vertex_ai", False),
    (VERTEX + "/anthropic/models/claude-sonnet-4-5@20250929:streamRawPredict", "vertex_anthropic_stream",
     "anthropic_messages", "anthropic", "vertex_ai", False),
    (VERTEX + "/anthropic/models/count-tokens:rawPredict", "vertex_anthropic_count_tokens", "anthropic_messages",
     "anthropic", "vertex_ai", True),
    ("/model/anthropic.claude-sonnet-4-5-20250929-v1%3A0/invoke", "bedrock_invoke", "anthropic_messages",
     "anthropic", "bedrock", False),
    ("/model/us.anthropic.claude-opus-4-7-v1%3A0/invoke-with-response-stream", "bedrock_invoke_stream",
     "anthropic_messages", "anthropic", "bedrock", False),
    ("/api/v1/chat/completions", "openai_chat", "openai_chat", "openai", "openai", False),  # OpenRouter
    ("/api/chat", "ollama_chat", "ollama_chat", "anthropic", "ollama", False),
    ("/api/generate", "ollama_generate", "ollama_generate", "anthropic", "ollama", False),
]
_PUBLIC = ("openai", "anthropic", "google")
_FIELDS = ("path", "name", "wire_format", "provider", "door", "counts")


@pytest.mark.parametrize(_FIELDS, CALLS)
def test_each_path_has_one_endpoint(path: str, name: str, wire_format: str, provider: str, door: str,
                                    counts: bool) -> None:
    endpoint = endpoint_for(path)
    assert endpoint is not None
    assert (endpoint.name, endpoint.wire_format, endpoint.provider, endpoint.door, endpoint.counts_tokens) == (
        name, wire_format, provider, door, counts)
    assert format_for_path(path) is get_format(wire_format)
    assert get_format(wire_format).provider == provider
    # token counting is rewritten like the call it counts; Bedrock's signed bodies never by a
    # proxy or middleware (only before signing, in boto3)
    assert (endpoint in COMPRESSIBLE) == (door != "bedrock")


@pytest.mark.parametrize(("path", "model"), [
    (VERTEX + "/google/models/gemini-3-pro-preview:generateContent", "gemini-3-pro-preview"),
    (VERTEX + "/anthropic/models/claude-sonnet-4-5@20250929:rawPredict", "claude-sonnet-4-5@20250929"),
    ("/model/anthropic.claude-sonnet-4-5-20250929-v1%3A0/invoke", "anthropic.claude-sonnet-4-5-20250929-v1:0"),
    ("/v1beta/models/gemini-2.5-flash:countTokens", "gemini-2.5-flash"),
])
def test_the_path_names_the_model(path: str, model: str) -> None:
    assert model_in_path(path) == PathModel(model=model)
    assert format_for_path(path).model({"model": "from-the-body"}, path) == model  # type: ignore[union-attr]


def test_an_azure_deployment_is_only_a_fallback_model() -> None:
    path = "/openai/deployments/prod-4o/chat/completions?api-version=2024-10-21"
    assert model_in_path(path) == PathModel(deployment="prod-4o")
    assert OPENAI_CHAT.model({"messages": []}, path) == "prod-4o"
    assert OPENAI_CHAT.model({"model": "gpt-4o", "messages": []}, path) == "gpt-4o"
    assert model_in_path(VERTEX + "/anthropic/models/count-tokens:rawPredict") == PathModel()
    assert model_in_path("/v1/files") == model_in_path(None) == PathModel()


@pytest.mark.parametrize("path", ["/v1/models", "/v1/embeddings", "/v1/chat/completions/extra", "/v1/files", "",
                                  "/api/tags", "/api/chat/extra", "/v1beta/interactions/abc"])
def test_other_paths_are_no_endpoint(path: str) -> None:
    assert endpoint_for(path) is None
    assert endpoint_for(None) is None


def test_names_are_unique_and_formats_exist() -> None:
    assert len({e.name for e in ENDPOINTS}) == len(ENDPOINTS)
    for endpoint in ENDPOINTS:
        assert get_format(endpoint.wire_format).provider == endpoint.provider


@pytest.mark.parametrize(_FIELDS, CALLS)
def test_the_proxy_picks_the_endpoints_provider(path: str, name: str, wire_format: str, provider: str, door: str,
                                                counts: bool) -> None:
    if door not in _PUBLIC or not path.startswith(("/v1/", "/v1beta/")):
        return  # other doors need an upstream configured for them; gateway prefixes are not served
    assert provider_for_request(path, {}) == provider


def test_provider_for_request_by_prefix_and_header() -> None:
    assert provider_for_request("/v1/models", {}) == "openai"
    assert provider_for_request("/v1/models/gemini-2.5-flash:embedContent", {}) == "google"
    assert provider_for_request("/upload/v1beta/files", {}) == "google"
    assert provider_for_request("/v1/files", {"anthropic-version": "2023-06-01"}) == "anthropic"
    assert provider_for_request("/v1/files", {"x-goog-api-key": "k"}) == "google"
    assert provider_for_request("/admin", {}) is None
    assert provider_for_request("/v2/chat/completions", {}) is None
    # A Vertex path carries a Google OAuth token: it must never reach OpenAI's upstream.
    assert provider_for_request(VERTEX + "/google/models/g:generateContent", {}) is None
    assert provider_for_request(VERTEX + "/anthropic/models/c:rawPredict", {"anthropic-version": "x"}) is None
    assert provider_for_request("/api/chat", {}) is None and provider_for_request("/model/m/invoke", {}) is None


# Until integrations/routes.py and integrations/upstream.py read this table, they must agree
# with it where they overlap: a path they route speaks the table's format. The table's other rows
# (token counting, the other doors) are what they have yet to add (see the doors report).
@pytest.mark.parametrize(_FIELDS, CALLS)
def test_default_routes_agree_with_the_table(path: str, name: str, wire_format: str, provider: str, door: str,
                                             counts: bool) -> None:
    found = match_route(DEFAULT_ROUTES, path.split("?", 1)[0])
    if found is not None and door in _PUBLIC:
        assert found.wire_format == wire_format


@pytest.mark.parametrize("path", ["/v1/chat/completions", "/v1/messages", "/v1/messages/batches",
                                  "/v1beta/models/g:generateContent", "/v1/models/g:generateContent",
                                  "/v1/models", "/upload/v1beta/files", "/other"])
def test_upstream_pick_agrees_with_the_table(path: str) -> None:
    ups = Upstreams.from_urls("http://o", "http://a", "http://g")
    picked = ups.pick(path, {})
    assert (picked.name if picked else None) == provider_for_request(path, {})


def test_provider_aliases_have_one_home() -> None:
    assert canonical_provider("gemini") == canonical_provider(" Google ") == "google"
    assert canonical_provider("claude") is None
    fmt, body = format_for_messages("gemini", [])
    assert fmt.name == "gemini" and body == {"contents": []}
    fmt, body = format_for_messages("openai_responses", [])
    assert body == {"input": []}
    with pytest.raises(ValueError, match="unknown provider"):
        format_for_messages("claude", [])
