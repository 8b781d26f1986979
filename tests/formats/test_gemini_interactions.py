"""Gemini's Interactions API: typed ``image`` items with a ``resolution`` knob."""

from __future__ import annotations

import copy
from typing import Any

from headroom_edge.formats import (
    GEMINI_INTERACTIONS,
    OPENAI_RESPONSES,
    detect_format,
    format_for_path,
)
from headroom_edge.formats.base import ImageEdit, apply_edits

from .helpers import decode_size


def test_content_items_are_one_user_turn(png_b64: str, new_jpeg: bytes) -> None:
    body: dict[str, Any] = {
        "model": "gemini-3-flash-preview",
        "input": [
            {"type": "text", "text": "What does the sign say?"},
            {"type": "image", "data": png_b64, "mime_type": "image/png", "resolution": "high"},
            {"type": "image", "uri": "https://example.com/a.jpg", "mime_type": "image/jpeg"},
        ],
        "generation_config": {"temperature": 0},
    }
    before = copy.deepcopy(body)
    assert detect_format(body) is GEMINI_INTERACTIONS and format_for_path("/v1beta/interactions") is GEMINI_INTERACTIONS
    slots = GEMINI_INTERACTIONS.find_images(body)
    assert [s.location for s in slots] == ["input[1]", "input[2]"]
    assert [s.media_resolution for s in slots] == ["MEDIA_RESOLUTION_HIGH", None]
    assert slots[1].source.kind == "url" and slots[1].source.url == "https://example.com/a.jpg"
    assert {s.question for s in slots} == {"What does the sign say?"}
    assert GEMINI_INTERACTIONS.model(body) == "gemini-3-flash-preview"
    apply_edits(GEMINI_INTERACTIONS, [
        (slots[0], ImageEdit(media_resolution="MEDIA_RESOLUTION_LOW")),
        (slots[1], ImageEdit(data=new_jpeg, media_type="image/jpeg", text="OPEN 9-5")),
    ])
    assert body["input"][1] == {**before["input"][1], "resolution": "low"}
    assert "uri" not in body["input"][2] and body["input"][2]["mime_type"] == "image/jpeg"
    assert decode_size(body["input"][2]["data"]) == ((8, 6), "JPEG")
    assert body["input"][3] == {"type": "text", "text": "OPEN 9-5"}
    assert body["generation_config"] == before["generation_config"]


def test_turns_keep_their_roles(jpeg_b64: str) -> None:
    body = {"model": "models/gemini-3-pro-preview", "input": [
        {"role": "user", "content": [{"type": "image", "data": jpeg_b64, "mime_type": "image/jpeg"}]},
        {"role": "model", "content": "A cat."},
        {"role": "user", "content": [{"type": "text", "text": "What colour is it?"}]},
    ], "previous_interaction_id": "abc"}
    (slot,) = GEMINI_INTERACTIONS.find_images(body)
    assert slot.location == "input[0].content[0]" and slot.question == "What colour is it?"
    assert GEMINI_INTERACTIONS.model(body) == "gemini-3-pro-preview"


def test_responses_bodies_stay_responses(png_b64: str) -> None:
    body = {"model": "gpt-5", "input": [{"role": "user", "content": [
        {"type": "input_image", "image_url": f"data:image/png;base64,{png_b64}"}]}]}
    assert detect_format(body) is OPENAI_RESPONSES
    assert GEMINI_INTERACTIONS.find_images({"input": "just text"}) == []
    assert GEMINI_INTERACTIONS.find_images({"input": [{"type": "image"}, {"type": "image", "data": 3}]}) == []


def test_steps_as_google_genai_sends_them(png_b64: str, jpeg_b64: str) -> None:
    body = {"model": "gemini-3-flash-preview", "input": [
        {"type": "user_input", "content": [{"type": "text", "text": "Open the report."}]},
        {"type": "model_output", "content": [{"type": "function_call", "name": "shot", "id": "c1", "arguments": {}}]},
        {"type": "function_result", "call_id": "c1", "name": "shot", "result": [
            {"type": "image", "data": png_b64, "mime_type": "image/png"}]},
        {"type": "user_input", "content": [{"type": "image", "data": jpeg_b64, "mime_type": "image/jpeg"}]},
    ]}
    assert detect_format(body) is GEMINI_INTERACTIONS
    slots = GEMINI_INTERACTIONS.find_images(body)
    assert [s.location for s in slots] == ["input[2].result[0]", "input[3].content[0]"]
    assert [s.question for s in slots] == ["Open the report."] * 2
