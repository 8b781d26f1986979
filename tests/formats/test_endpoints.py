"""The one endpoint table: path -> wire format -> provider, and the proxy's provider choice."""

from __future__ import annotations

import pytest

from headroom_edge.formats import (
    COMPRESSIBLE,
    ENDPOINTS,
    canonical_provider,
    endpoint_for,
    format_for_messages,
    format_for_path,
    get_format,
    provider_for_request,
)
from headroom_edge.integrations.routes import DEFAULT_ROUTES, match_route
from headroom_edge.integrations.upstream import Upstreams

CALLS = [
    ("/v1/chat/completions", "openai_chat", "openai_chat", "openai", True),
    ("/v1/chat/completions/", "openai_chat", "openai_chat", "openai", True),
    ("/openai/deployments/gpt4o/chat/completions?api-version=2024-10-21", "openai_chat", "openai_chat", "openai", True),
    ("/v1/responses", "openai_responses", "openai_responses", "openai", True),
    ("/v1/responses/input_tokens", "openai_responses_input_tokens", "openai_responses", "openai", False),
    ("/v1/messages?beta=true", "anthropic_messages", "anthropic_messages", "anthropic", True),
    ("/v1/messages/count_tokens", "anthropic_count_tokens", "anthropic_messages", "anthropic", False),
    ("/v1beta/models/gemini-2.5-flash:generateContent", "gemini_generate", "gemini", "google", True),
    ("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", "gemini_stream", "gemini", "google", True),
    ("/v1beta/tunedModels/my-tune:generateContent", "gemini_generate", "gemini", "google", True),
    ("/v1beta/models/gemini-2.5-flash:countTokens", "gemini_count_tokens", "gemini", "google", False),
]


@pytest.mark.parametrize(("path", "name", "wire_format", "provider", "compress"), CALLS)
def test_each_path_has_one_endpoint(path: str, name: str, wire_format: str, provider: str, compress: bool) -> None:
    endpoint = endpoint_for(path)
    assert endpoint is not None
    assert (endpoint.name, endpoint.wire_format, endpoint.provider, endpoint.compress) == (
        name, wire_format, provider, compress)
    assert format_for_path(path) is get_format(wire_format)
    assert get_format(wire_format).provider == provider
    assert (endpoint in COMPRESSIBLE) is compress


@pytest.mark.parametrize("path", ["/v1/models", "/v1/embeddings", "/v1/chat/completions/extra", "/v1/files", ""])
def test_other_paths_are_no_endpoint(path: str) -> None:
    assert endpoint_for(path) is None
    assert endpoint_for(None) is None


def test_names_are_unique_and_formats_exist() -> None:
    assert len({e.name for e in ENDPOINTS}) == len(ENDPOINTS)
    for endpoint in ENDPOINTS:
        assert get_format(endpoint.wire_format).provider == endpoint.provider


@pytest.mark.parametrize(("path", "name", "wire_format", "provider", "compress"), CALLS)
def test_the_proxy_picks_the_endpoints_provider(path: str, name: str, wire_format: str, provider: str,
                                                compress: bool) -> None:
    if not path.startswith(("/v1/", "/v1beta/")):
        return  # a gateway prefix: the proxy serves provider paths from the root only
    assert provider_for_request(path, {}) == provider


def test_provider_for_request_by_prefix_and_header() -> None:
    assert provider_for_request("/v1/models", {}) == "openai"
    assert provider_for_request("/v1/models/gemini-2.5-flash:embedContent", {}) == "google"
    assert provider_for_request("/upload/v1beta/files", {}) == "google"
    assert provider_for_request("/v1/files", {"anthropic-version": "2023-06-01"}) == "anthropic"
    assert provider_for_request("/v1/files", {"x-goog-api-key": "k"}) == "google"
    assert provider_for_request("/admin", {}) is None
    assert provider_for_request("/v2/chat/completions", {}) is None


# Until integrations/routes.py and integrations/upstream.py read this table, they must agree
# with it: these two tests pin the integrations to the same answers.
@pytest.mark.parametrize(("path", "name", "wire_format", "provider", "compress"), CALLS)
def test_default_routes_agree_with_the_table(path: str, name: str, wire_format: str, provider: str,
                                             compress: bool) -> None:
    if "tunedModels" in path:
        return  # the table also routes tuned Gemini models; routes.py does not yet
    found = match_route(DEFAULT_ROUTES, path.split("?", 1)[0])
    assert (found is not None) is compress
    if found is not None:
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
