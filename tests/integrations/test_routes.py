"""Route matching for LLM endpoints, with and without /v1 and base paths."""

from __future__ import annotations

import pytest

from headroom_edge.formats.endpoints import COMPRESSIBLE
from headroom_edge.integrations.routes import DEFAULT_ROUTES, as_routes, match_route


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/v1/chat/completions", "openai_chat"),
        ("/chat/completions", "openai_chat"),
        ("/api/llm/v1/chat/completions", "openai_chat"),
        ("/v1/responses", "openai_responses"),
        ("/v1/messages", "anthropic_messages"),
        ("/proxy/messages", "anthropic_messages"),
        ("/v1beta/models/gemini-2.5-flash:generateContent", "gemini_generate"),
        ("/v1/models/gemini-2.5-flash:streamGenerateContent", "gemini_stream"),
        (
            "/v1/projects/p/locations/l/publishers/google/models/g:generateContent",
            "vertex_gemini_generate",
        ),
        ("/openai/deployments/prod/chat/completions?api-version=2024-10-21", "azure_openai_chat"),
        ("/api/chat", "ollama_chat"),
        # Token counting gets the rewrite of the call it counts.
        ("/v1/messages/count_tokens", "anthropic_count_tokens"),
        ("/v1/responses/input_tokens", "openai_responses_input_tokens"),
        ("/v1beta/models/g:countTokens", "gemini_count_tokens"),
    ],
)
def test_default_routes_match(path: str, name: str) -> None:
    found = match_route(DEFAULT_ROUTES, path)
    assert found is not None and found.name == name


@pytest.mark.parametrize(
    "path",
    [
        "/v1/models",
        "/v1/embeddings",
        "/v1/chat/completions/extra",
        "/model/anthropic.claude-3-5-sonnet/invoke",  # Bedrock: signed bodies, never rewritten
        "/model/anthropic.claude-3-5-sonnet/converse",
    ],
)
def test_other_paths_do_not_match(path: str) -> None:
    assert match_route(DEFAULT_ROUTES, path) is None


def test_custom_routes_from_strings() -> None:
    routes = as_routes([r"/llm/ask$"])
    assert match_route(routes, "/llm/ask") is routes[0]
    assert routes[0].wire_format is None


def test_default_routes_are_the_endpoint_table() -> None:
    assert [(r.name, r.pattern, r.wire_format) for r in DEFAULT_ROUTES] == [
        (e.name, e.pattern, e.wire_format) for e in COMPRESSIBLE]
