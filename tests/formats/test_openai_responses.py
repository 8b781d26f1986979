"""OpenAI Responses: flat input_image parts in messages and function_call_output lists."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from headroom_edge.formats.base import ImageEdit, ImageSource, apply_edits
from headroom_edge.formats.datauri import build_data_url, parse_data_url
from headroom_edge.formats.openai_responses import OPENAI_RESPONSES, looks_like_responses_input

from .helpers import decode_size


def durl(media_type: str, b64: str) -> str:
    return f"data:{media_type};base64,{b64}"


@pytest.fixture
def body(png_b64: str, jpeg_b64: str) -> dict[str, Any]:
    return {
        "model": "gpt-5",
        "instructions": "Answer about the image. What is the weather?",
        "input": [
            {"role": "developer", "content": "Be concise."},
            {
                "type": "message",
                "role": "user",
                "content": [
                    {
                        "type": "input_image",
                        "image_url": durl("image/png", png_b64),
                        "detail": "auto",
                    },
                    {"type": "input_text", "text": "Which city is this?"},
                ],
            },
            {"type": "function_call", "call_id": "c1", "name": "screenshot", "arguments": "{}"},
            {
                "type": "function_call_output",
                "call_id": "c1",
                "output": [
                    {"type": "input_text", "text": "screenshot of the dashboard"},
                    {"type": "input_image", "image_url": durl("image/jpeg", jpeg_b64)},
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "input_image", "file_id": "file-abc123", "detail": "high"},
                    {"type": "input_image", "image_url": "https://example.com/map.png"},
                ],
            },
        ],
    }


def test_finds_every_image(body: dict[str, Any], png_b64: str, jpeg_b64: str) -> None:
    slots = OPENAI_RESPONSES.find_images(body)
    assert [s.location for s in slots] == [
        "input[1].content[0]",
        "input[3].output[1]",
        "input[4].content[0]",
        "input[4].content[1]",
    ]
    assert [s.index for s in slots] == [0, 1, 2, 3]
    assert slots[0].source == ImageSource(kind="base64", media_type="image/png", data=png_b64)
    assert slots[0].detail == "auto"
    assert slots[1].source == ImageSource(kind="base64", media_type="image/jpeg", data=jpeg_b64)
    assert slots[1].container is body["input"][3]["output"]
    assert slots[2].source == ImageSource(kind="file", file_id="file-abc123")
    assert slots[2].detail == "high"
    assert slots[3].source == ImageSource(kind="url", url="https://example.com/map.png")


def test_questions(body: dict[str, Any]) -> None:
    questions = [s.question for s in OPENAI_RESPONSES.find_images(body)]
    # own turn; tool output (no text, nothing after) -> previous user text; last turn -> previous.
    # The function output's own input_text and the instructions are never the question.
    assert questions == ["Which city is this?"] * 4


def test_question_next_user_turn_wins_over_previous(png_b64: str) -> None:
    body = {
        "input": [
            {"role": "user", "content": "Earlier question."},
            {
                "type": "function_call_output",
                "call_id": "c",
                "output": [{"type": "input_image", "image_url": durl("image/png", png_b64)}],
            },
            {"role": "assistant", "content": [{"type": "output_text", "text": "assistant"}]},
            {"role": "user", "content": [{"type": "input_text", "text": "Now, what changed?"}]},
        ]
    }
    (slot,) = OPENAI_RESPONSES.find_images(body)
    assert slot.question == "Now, what changed?"


def test_system_roles_ignored(png_b64: str) -> None:
    body = {
        "input": [
            {"role": "system", "content": "system text"},
            {"role": "developer", "content": [{"type": "input_text", "text": "dev text"}]},
            {
                "role": "user",
                "content": [{"type": "input_image", "image_url": durl("image/png", png_b64)}],
            },
        ]
    }
    (slot,) = OPENAI_RESPONSES.find_images(body)
    assert slot.question == ""


def test_string_input_has_no_images() -> None:
    body = {"model": "gpt-5", "input": "Tell me a joke"}
    assert OPENAI_RESPONSES.matches(body)
    assert OPENAI_RESPONSES.find_images(body) == []


def test_skips_non_base64_data_url(png_b64: str) -> None:
    body = {
        "input": [
            {
                "role": "user",
                "content": [{"type": "input_image", "image_url": "data:image/png,xyz"}],
            },
            {
                "type": "computer_call_output",
                "call_id": "c",
                "output": {"type": "computer_screenshot", "image_url": durl("image/png", png_b64)},
            },
        ]
    }
    assert [s.location for s in OPENAI_RESPONSES.find_images(body)] == ["input[1].output"]


def test_render_changes_only_image_url_and_detail(body: dict[str, Any], new_jpeg: bytes) -> None:
    expected = copy.deepcopy(body)
    slots = OPENAI_RESPONSES.find_images(body)
    apply_edits(
        OPENAI_RESPONSES,
        [
            (slots[0], ImageEdit(data=new_jpeg, media_type="image/jpeg", detail="low")),
            (slots[1], ImageEdit(data=new_jpeg, media_type="image/jpeg")),
        ],
    )
    new_url = build_data_url("image/jpeg", new_jpeg)
    expected["input"][1]["content"][0] = {
        "type": "input_image",
        "image_url": new_url,
        "detail": "low",
    }
    expected["input"][3]["output"][1] = {"type": "input_image", "image_url": new_url}
    assert body == expected
    assert list(body["input"][1]["content"][0]) == ["type", "image_url", "detail"]

    wire = json.loads(json.dumps(body))
    for part in (wire["input"][1]["content"][0], wire["input"][3]["output"][1]):
        _, b64 = parse_data_url(part["image_url"])  # type: ignore[misc]
        assert decode_size(b64) == ((8, 6), "JPEG")


def test_render_new_bytes_replace_file_id(body: dict[str, Any], new_jpeg: bytes) -> None:
    slot = OPENAI_RESPONSES.find_images(body)[2]
    (part,) = OPENAI_RESPONSES.render(slot, ImageEdit(data=new_jpeg, media_type="image/jpeg"))
    assert part == {
        "type": "input_image",
        "detail": "high",
        "image_url": build_data_url("image/jpeg", new_jpeg),
    }
    (detail_only,) = OPENAI_RESPONSES.render(slot, ImageEdit(detail="low"))
    assert detail_only == {"type": "input_image", "file_id": "file-abc123", "detail": "low"}


def test_transcode_text_part(body: dict[str, Any]) -> None:
    slot = OPENAI_RESPONSES.find_images(body)[3]
    assert OPENAI_RESPONSES.render(slot, ImageEdit(detail="low", text="MAP OF PARIS")) == [
        {"type": "input_image", "image_url": "https://example.com/map.png", "detail": "low"},
        {"type": "input_text", "text": "MAP OF PARIS"},
    ]
    assert OPENAI_RESPONSES.render(slot, ImageEdit(text="MAP OF PARIS", keep_image=False)) == [
        {"type": "input_text", "text": "MAP OF PARIS"}
    ]


def test_two_images_one_becomes_two_parts(body: dict[str, Any]) -> None:
    expected = copy.deepcopy(body)
    slots = OPENAI_RESPONSES.find_images(body)
    apply_edits(
        OPENAI_RESPONSES,
        [(slots[2], ImageEdit(text="file text")), (slots[3], ImageEdit(detail="low"))],
    )
    expected["input"][4]["content"] = [
        {"type": "input_image", "file_id": "file-abc123", "detail": "high"},
        {"type": "input_text", "text": "file text"},
        {"type": "input_image", "image_url": "https://example.com/map.png", "detail": "low"},
    ]
    assert body == expected
    again = OPENAI_RESPONSES.find_images(body)
    assert [s.location for s in again][2:] == ["input[4].content[0]", "input[4].content[2]"]


def test_looks_like_responses_input() -> None:
    assert looks_like_responses_input(
        [{"role": "user", "content": [{"type": "input_text", "text": "x"}]}]
    )
    assert looks_like_responses_input([{"type": "function_call_output", "output": "ok"}])
    assert not looks_like_responses_input(
        [{"role": "user", "content": [{"type": "text", "text": "x"}]}]
    )
    assert not looks_like_responses_input([None, 3, {"role": "user", "content": "hi"}])


def test_model_and_identity(body: dict[str, Any]) -> None:
    assert OPENAI_RESPONSES.model(body) == "gpt-5"
    assert (OPENAI_RESPONSES.name, OPENAI_RESPONSES.provider) == ("openai_responses", "openai")
    assert not OPENAI_RESPONSES.matches({"messages": []})


def test_hostile_bodies_do_not_raise(hostile_body: Any) -> None:
    for slot in OPENAI_RESPONSES.find_images(hostile_body):
        assert slot.container[slot.position] is slot.part


def test_computer_screenshots_are_single_image_slots(png_b64: str, new_jpeg: bytes) -> None:
    shot = f"data:image/png;base64,{png_b64}"
    body: dict[str, Any] = {"model": "computer-use-preview", "input": [
        {"role": "user", "content": "Open the settings page."},
        {"type": "computer_call_output", "call_id": "c1", "acknowledged_safety_checks": [],
         "output": {"type": "computer_screenshot", "image_url": shot}},
        {"type": "computer_call_output", "call_id": "c2", "output": {"type": "computer_screenshot", "file_id": "f1"}},
    ]}
    before = copy.deepcopy(body)
    slots = OPENAI_RESPONSES.find_images(body)
    assert [s.location for s in slots] == ["input[1].output", "input[2].output"]
    assert slots[0].holds_one and slots[0].question == "Open the settings page."
    assert slots[1].source == ImageSource(kind="file", file_id="f1")
    assert not slots[0].takes_text  # a decision that needs text should not be made here
    skipped = apply_edits(OPENAI_RESPONSES, [
        (slots[0], ImageEdit(data=new_jpeg, media_type="image/jpeg", detail="low")),
        (slots[1], ImageEdit(text="Settings", keep_image=False)),  # no room for text: not applied
    ])
    assert skipped == [slots[1]]
    out = body["input"][1]["output"]
    assert set(out) == {"type", "image_url"}  # a screenshot has no detail field
    media_type, data = parse_data_url(out["image_url"])  # type: ignore[misc]
    assert media_type == "image/jpeg" and decode_size(data) == ((8, 6), "JPEG")
    assert {k: v for k, v in body["input"][1].items() if k != "output"} == {
        k: v for k, v in before["input"][1].items() if k != "output"}
    assert body["input"][2] == before["input"][2]


def test_custom_tool_call_output_lists_hold_images(png_b64: str) -> None:
    body = {"input": [
        {"type": "custom_tool_call_output", "call_id": "t1", "output": "plain text output"},
        {"type": "custom_tool_call_output", "call_id": "t2", "output": [
            {"type": "input_text", "text": "screenshot follows"},
            {"type": "input_image", "image_url": f"data:image/png;base64,{png_b64}", "detail": "high"}]},
    ]}
    (slot,) = OPENAI_RESPONSES.find_images(body)
    assert (slot.location, slot.detail, slot.question) == ("input[1].output[1]", "high", "")
    apply_edits(OPENAI_RESPONSES, [(slot, ImageEdit(detail="low", text="OK"))])
    assert body["input"][1]["output"][1:] == [  # type: ignore[index]
        {"type": "input_image", "image_url": f"data:image/png;base64,{png_b64}", "detail": "low"},
        {"type": "input_text", "text": "OK"}]
