"""Route matching for LLM endpoints, with and without /v1 and base paths."""

from __future__ import annotations

import pytest

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
            "gemini_generate",
        ),
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
        "/v1/messages/count_tokens",
        "/v1/responses/input_tokens",
        "/v1beta/models/g:countTokens",
        "/v1/chat/completions/extra",
    ],
)
def test_other_paths_do_not_match(path: str) -> None:
    assert match_route(DEFAULT_ROUTES, path) is None


def test_custom_routes_from_strings() -> None:
    routes = as_routes([r"/llm/ask$"])
    assert match_route(routes, "/llm/ask") is routes[0]
    assert routes[0].wire_format is None
