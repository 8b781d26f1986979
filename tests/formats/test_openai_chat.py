"""OpenAI Chat Completions: image_url parts, questions, rendering, hostile shapes."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from headroom_edge.formats.base import ImageEdit, ImageSource, apply_edits
from headroom_edge.formats.datauri import build_data_url, parse_data_url
from headroom_edge.formats.openai_chat import OPENAI_CHAT

from .helpers import decode_size


def durl(media_type: str, b64: str) -> str:
    return f"data:{media_type};base64,{b64}"


@pytest.fixture
def body(png_b64: str, jpeg_b64: str) -> dict[str, Any]:
    return {
        "model": "gpt-4o",
        "temperature": 0,
        "messages": [
            {"role": "system", "content": "You are a vision assistant. What is in the chart?"},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is in this chart?"},
                    {
                        "type": "image_url",
                        "image_url": {"url": durl("image/png", png_b64), "detail": "high"},
                    },
                    {"type": "text", "text": "  Answer briefly. "},
                ],
            },
            {"role": "assistant", "content": "It shows sales."},
            {
                "role": "user",
                "content": [
                    {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
                    {"type": "image_url", "image_url": durl("image/jpeg", jpeg_b64)},
                ],
            },
            {"role": "user", "content": "  Compare the two photos.  "},
        ],
    }


def test_finds_every_image(body: dict[str, Any], png_b64: str, jpeg_b64: str) -> None:
    slots = OPENAI_CHAT.find_images(body)
    assert [s.index for s in slots] == [0, 1, 2]
    assert [s.location for s in slots] == [
        "messages[1].content[1]",
        "messages[3].content[0]",
        "messages[3].content[1]",
    ]
    assert slots[0].source == ImageSource(kind="base64", media_type="image/png", data=png_b64)
    assert slots[0].detail == "high"
    assert slots[1].source == ImageSource(kind="url", url="https://example.com/a.png")
    assert slots[1].detail is None
    assert slots[2].source == ImageSource(kind="base64", media_type="image/jpeg", data=jpeg_b64)
    assert slots[0].container is body["messages"][1]["content"] and slots[0].position == 1
    assert slots[2].container is body["messages"][3]["content"] and slots[2].position == 1


def test_questions_same_turn_and_next_turn(body: dict[str, Any]) -> None:
    questions = [s.question for s in OPENAI_CHAT.find_images(body)]
    assert questions == [
        "What is in this chart?\nAnswer briefly.",  # own turn, both text parts, image between
        "Compare the two photos.",  # no text in its turn: the next user text
        "Compare the two photos.",
    ]


def test_question_falls_back_to_previous_user_text(png_b64: str) -> None:
    body = {
        "messages": [
            {"role": "system", "content": "Be careful."},
            {"role": "user", "content": "Find the failing button on the page."},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [{"id": "c1", "type": "function"}],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "clicked"},
            {
                "role": "user",
                "content": [
                    {"type": "image_url", "image_url": {"url": durl("image/png", png_b64)}}
                ],
            },
            {"role": "assistant", "content": "I see it."},
        ]
    }
    (slot,) = OPENAI_CHAT.find_images(body)
    assert slot.question == "Find the failing button on the page."


def test_system_and_assistant_text_never_the_question(png_b64: str) -> None:
    body = {
        "messages": [
            {"role": "system", "content": "Describe the image in detail."},
            {"role": "developer", "content": [{"type": "text", "text": "dev text"}]},
            {
                "role": "user",
                "content": [
                    {"type": "image_url", "image_url": {"url": durl("image/png", png_b64)}}
                ],
            },
            {"role": "assistant", "content": [{"type": "text", "text": "assistant text"}]},
        ]
    }
    (slot,) = OPENAI_CHAT.find_images(body)
    assert slot.question == ""


def test_non_base64_data_url_is_skipped() -> None:
    body = {
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "image_url", "image_url": {"url": "data:image/svg+xml,<svg/>"}},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,QUJD"}},
                ],
            }
        ]
    }
    slots = OPENAI_CHAT.find_images(body)
    assert [s.location for s in slots] == ["messages[0].content[1]"]


def test_render_changes_only_url_and_detail(body: dict[str, Any], new_jpeg: bytes) -> None:
    expected = copy.deepcopy(body)
    slot = OPENAI_CHAT.find_images(body)[0]
    apply_edits(
        OPENAI_CHAT, [(slot, ImageEdit(data=new_jpeg, media_type="image/jpeg", detail="low"))]
    )
    new_url = build_data_url("image/jpeg", new_jpeg)
    expected["messages"][1]["content"][1]["image_url"] = {"url": new_url, "detail": "low"}
    assert body == expected
    part = body["messages"][1]["content"][1]
    assert list(part) == ["type", "image_url"] and list(part["image_url"]) == ["url", "detail"]

    wire = json.loads(json.dumps(body))
    _, b64 = parse_data_url(wire["messages"][1]["content"][1]["image_url"]["url"])  # type: ignore[misc]
    assert decode_size(b64) == ((8, 6), "JPEG")


def test_render_detail_only_keeps_payload(body: dict[str, Any]) -> None:
    expected = copy.deepcopy(body)
    slots = OPENAI_CHAT.find_images(body)
    apply_edits(OPENAI_CHAT, [(slots[1], ImageEdit(detail="low"))])
    expected["messages"][3]["content"][0]["image_url"]["detail"] = "low"
    assert body == expected


def test_render_noop_edit_leaves_body_identical(body: dict[str, Any]) -> None:
    expected = copy.deepcopy(body)
    apply_edits(OPENAI_CHAT, [(s, ImageEdit()) for s in OPENAI_CHAT.find_images(body)])
    assert body == expected


def test_bare_string_image_url(body: dict[str, Any], new_jpeg: bytes) -> None:
    slot = OPENAI_CHAT.find_images(body)[2]
    (same_shape,) = OPENAI_CHAT.render(slot, ImageEdit(data=new_jpeg, media_type="image/jpeg"))
    assert same_shape == {"type": "image_url", "image_url": build_data_url("image/jpeg", new_jpeg)}
    (with_detail,) = OPENAI_CHAT.render(slot, ImageEdit(detail="low"))
    assert with_detail == {
        "type": "image_url",
        "image_url": {"url": slot.part["image_url"], "detail": "low"},
    }
    assert isinstance(slot.part["image_url"], str)  # render never touches the original


def test_transcode_text_part_after_image(body: dict[str, Any]) -> None:
    slot = OPENAI_CHAT.find_images(body)[0]
    original = copy.deepcopy(slot.part)
    parts = OPENAI_CHAT.render(slot, ImageEdit(detail="low", text="TOTAL: 42.00 EUR"))
    assert parts == [
        {"type": "image_url", "image_url": {**original["image_url"], "detail": "low"}},
        {"type": "text", "text": "TOTAL: 42.00 EUR"},
    ]
    assert OPENAI_CHAT.render(slot, ImageEdit(text="TOTAL: 42.00 EUR", keep_image=False)) == [
        {"type": "text", "text": "TOTAL: 42.00 EUR"}
    ]


def test_two_images_in_one_list_one_becomes_two_parts(
    body: dict[str, Any], new_jpeg: bytes
) -> None:
    expected = copy.deepcopy(body)
    _, url_slot, jpeg_slot = OPENAI_CHAT.find_images(body)
    apply_edits(
        OPENAI_CHAT,
        [
            (url_slot, ImageEdit(detail="low", text="OCR of the first")),
            (jpeg_slot, ImageEdit(data=new_jpeg, media_type="image/jpeg")),
        ],
    )
    expected["messages"][3]["content"] = [
        {"type": "image_url", "image_url": {"url": "https://example.com/a.png", "detail": "low"}},
        {"type": "text", "text": "OCR of the first"},
        {"type": "image_url", "image_url": build_data_url("image/jpeg", new_jpeg)},
    ]
    assert body == expected
    again = OPENAI_CHAT.find_images(json.loads(json.dumps(body)))
    assert [s.location for s in again] == [
        "messages[1].content[1]",
        "messages[3].content[0]",
        "messages[3].content[2]",
    ]
    assert decode_size(again[2].source.data) == ((8, 6), "JPEG")  # type: ignore[arg-type]


def test_transcode_without_image_in_same_list(body: dict[str, Any]) -> None:
    _, url_slot, jpeg_slot = OPENAI_CHAT.find_images(body)
    apply_edits(
        OPENAI_CHAT,
        [
            (url_slot, ImageEdit(text="only text", keep_image=False)),
            (jpeg_slot, ImageEdit(detail="low")),
        ],
    )
    content = body["messages"][3]["content"]
    assert content[0] == {"type": "text", "text": "only text"}
    assert content[1]["image_url"]["detail"] == "low"
    assert len(content) == 2


def test_new_data_requires_media_type(body: dict[str, Any], new_jpeg: bytes) -> None:
    slot = OPENAI_CHAT.find_images(body)[0]
    with pytest.raises(ValueError, match="media_type"):
        OPENAI_CHAT.render(slot, ImageEdit(data=new_jpeg))


def test_model_and_matches(body: dict[str, Any]) -> None:
    assert OPENAI_CHAT.model(body) == "gpt-4o"
    assert OPENAI_CHAT.model({}) is None
    assert OPENAI_CHAT.model({"model": 3}) is None
    assert OPENAI_CHAT.matches(body)
    assert not OPENAI_CHAT.matches({"input": []})
    assert (OPENAI_CHAT.name, OPENAI_CHAT.provider) == ("openai_chat", "openai")


def test_hostile_bodies_do_not_raise(hostile_body: Any) -> None:
    for slot in OPENAI_CHAT.find_images(hostile_body):
        assert slot.container[slot.position] is slot.part


def test_mistral_string_and_vllm_bare_parts(png_b64: str, new_jpeg: bytes) -> None:
    url = f"data:image/png;base64,{png_b64}"
    body: dict[str, Any] = {"model": "pixtral-12b", "messages": [{"role": "user", "content": [
        {"type": "text", "text": "Compare these."},
        {"type": "image_url", "image_url": url},  # Mistral
        {"image_url": url},  # vLLM, no type
        {"image_url": {"url": url}},  # no type and not a string: not vLLM's form, not an image
    ]}]}
    slots = OPENAI_CHAT.find_images(body)
    assert [s.location for s in slots] == ["messages[0].content[1]", "messages[0].content[2]"]
    apply_edits(OPENAI_CHAT, [(s, ImageEdit(data=new_jpeg, media_type="image/jpeg", detail="low")) for s in slots])
    mistral, vllm = body["messages"][0]["content"][1:3]
    assert mistral["type"] == "image_url" and mistral["image_url"]["detail"] == "low"
    assert set(vllm) == {"image_url"} and isinstance(vllm["image_url"], str)  # the bare form stays bare
    assert decode_size(parse_data_url(vllm["image_url"])[1]) == ((8, 6), "JPEG")  # type: ignore[index]
