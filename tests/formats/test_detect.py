"""Format registry and detection: by URL path, by body shape, and for bare message lists."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from headroom_edge.formats import (
    ANTHROPIC_MESSAGES,
    FORMATS,
    GEMINI,
    OPENAI_CHAT,
    OPENAI_RESPONSES,
    detect_format,
    format_for_messages,
    get_format,
)
from headroom_edge.formats.base import ImageEdit, WireFormat, apply_edits


def test_registry() -> None:
    assert FORMATS[:4] == (OPENAI_CHAT, OPENAI_RESPONSES, ANTHROPIC_MESSAGES, GEMINI)
    assert [f.name for f in FORMATS] == [
        "openai_chat",
        "openai_responses",
        "anthropic_messages",
        "gemini",
        "gemini_interactions",
        "ollama_chat",
        "ollama_generate",
        "bedrock_converse",
    ]
    for fmt in FORMATS:
        assert get_format(fmt.name) is fmt
        for member in ("name", "provider", "matches", "find_images", "render", "model"):
            assert hasattr(fmt, member)
    with pytest.raises(ValueError, match="unknown wire format"):
        get_format("openai")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/v1/chat/completions", OPENAI_CHAT),
        ("/openai/deployments/gpt4o/chat/completions?api-version=2024-10-21", OPENAI_CHAT),
        ("/v1/responses", OPENAI_RESPONSES),
        ("/v1/responses/input_tokens", OPENAI_RESPONSES),
        ("/v1/messages", ANTHROPIC_MESSAGES),
        ("/v1/messages/count_tokens", ANTHROPIC_MESSAGES),
        ("/v1/messages?beta=true", ANTHROPIC_MESSAGES),
        ("/v1beta/models/gemini-2.5-flash:generateContent", GEMINI),
        ("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", GEMINI),
        ("/v1beta/models/gemini-2.5-flash:countTokens", GEMINI),
    ],
)
def test_detect_by_path_wins_over_shape(path: str, expected: WireFormat) -> None:
    assert detect_format({"contents": []}, path) is expected or expected is GEMINI
    assert detect_format({"messages": [{"role": "user", "content": "hi"}]}, path) is expected
    assert detect_format(None, path) is expected


def test_unknown_path_falls_back_to_shape() -> None:
    assert detect_format({"contents": []}, "/v1/something") is GEMINI
    assert detect_format({"contents": []}, "/v1/chat/completions/extra") is GEMINI
    assert detect_format({}, "/v1/embeddings") is None


ANTHROPIC_IMAGE = {
    "type": "image",
    "source": {"type": "base64", "media_type": "image/png", "data": "QUJD"},
}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"contents": [{"parts": [{"text": "hi"}]}]}, GEMINI),
        ({"input": "hello", "model": "gpt-5"}, OPENAI_RESPONSES),
        ({"input": [{"role": "user", "content": "hi"}]}, OPENAI_RESPONSES),
        ({"messages": [{"role": "user", "content": "hi"}]}, OPENAI_CHAT),
        (
            {
                "messages": [
                    {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}
                ]
            },
            OPENAI_CHAT,
        ),
        ({"messages": [{"role": "user", "content": "hi"}], "max_tokens": 9}, OPENAI_CHAT),
        ({"messages": [{"role": "user", "content": [ANTHROPIC_IMAGE]}]}, ANTHROPIC_MESSAGES),
        (
            {
                "messages": [
                    {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t"}]}
                ]
            },
            ANTHROPIC_MESSAGES,
        ),
        (
            {"messages": [{"role": "assistant", "content": [{"type": "tool_use", "id": "t"}]}]},
            ANTHROPIC_MESSAGES,
        ),
        (
            {"messages": [{"role": "user", "content": "hi"}], "system": "s", "max_tokens": 9},
            ANTHROPIC_MESSAGES,
        ),
        ({"model": "x"}, None),
        ({"messages": "not a list"}, None),
        ({}, None),
        (None, None),
        ([], None),
        ("body", None),
    ],
)
def test_detect_by_shape(body: Any, expected: WireFormat | None) -> None:
    assert detect_format(body) is expected


def test_format_for_messages_wraps_the_same_list(png_b64: str) -> None:
    chat = [
        {
            "role": "user",
            "content": [
                {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{png_b64}"}}
            ],
        }
    ]
    fmt, body = format_for_messages("openai", chat)
    assert fmt is OPENAI_CHAT and body == {"messages": chat} and body["messages"] is chat
    (slot,) = fmt.find_images(body)
    apply_edits(fmt, [(slot, ImageEdit(detail="low"))])
    assert chat[0]["content"][0]["image_url"]["detail"] == "low"  # the caller's list was rewritten

    responses = [
        {"role": "user", "content": [{"type": "input_image", "image_url": "https://x/y.png"}]}
    ]
    fmt, body = format_for_messages("openai", responses)
    assert fmt is OPENAI_RESPONSES and body["input"] is responses
    assert len(fmt.find_images(body)) == 1

    fmt, body = format_for_messages("anthropic", [])
    assert fmt is ANTHROPIC_MESSAGES and body == {"messages": []}
    for name in ("google", "gemini", "Google "):
        fmt, body = format_for_messages(name, [])
        assert fmt is GEMINI and body == {"contents": []}
    fmt, _ = format_for_messages("openai_responses", [])
    assert fmt is OPENAI_RESPONSES


@pytest.mark.parametrize("provider", ["azure", "", "bedrock", None, 3])
def test_format_for_messages_unknown_provider(provider: Any) -> None:
    with pytest.raises(ValueError, match="unknown provider"):
        format_for_messages(provider, [])


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=8)
    | st.sampled_from(
        [
            "image_url",
            "image",
            "input_image",
            "tool_result",
            "base64",
            "url",
            "file",
            "user",
            "data:image/png;base64,QUJD",
            "image/png",
            "function_call_output",
        ]
    ),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "type",
                    "role",
                    "content",
                    "image_url",
                    "url",
                    "detail",
                    "source",
                    "data",
                    "media_type",
                    "file_id",
                    "text",
                    "output",
                    "parts",
                    "inlineData",
                    "inline_data",
                    "mimeType",
                    "fileData",
                    "fileUri",
                    "mediaResolution",
                    "functionResponse",
                    "level",
                    "messages",
                    "input",
                    "contents",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=25,
)


_BODIES = st.dictionaries(
    st.sampled_from(
        [
            "messages",
            "input",
            "contents",
            "generationConfig",
            "generation_config",
            "model",
            "system",
            "max_tokens",
        ]
    ),
    _JSON,
    min_size=1,
    max_size=4,
)


@settings(max_examples=400, deadline=None)
@given(_BODIES, st.sampled_from([None, "/v1/messages", "/v1beta/models/g:generateContent", "x"]))
def test_random_shapes_never_raise(body: dict[str, Any], path: str | None) -> None:
    before = copy.deepcopy(body)
    detect_format(body, path)
    for fmt in FORMATS:
        fmt.matches(body)
        fmt.model(body, path)
        for slot in fmt.find_images(body):
            assert slot.container[slot.position] is slot.part
            fmt.render(
                slot, ImageEdit(detail="low", media_resolution="MEDIA_RESOLUTION_LOW", text="t")
            )
    assert body == before  # finding and rendering never mutate the body


def test_every_format_survives_hostile_bodies(hostile_body: Any) -> None:
    """Finding, rendering and applying edits of every shape never raise, in every format."""
    detect_format(hostile_body)
    for fmt in FORMATS:
        body = copy.deepcopy(hostile_body)
        fmt.matches(body)
        slots = fmt.find_images(body)
        edit = ImageEdit(detail="low", media_resolution="MEDIA_RESOLUTION_LOW", text="t", keep_image=False)
        apply_edits(fmt, [(slot, edit) for slot in slots])
