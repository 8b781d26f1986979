"""Anthropic Messages: image blocks, tool_result screenshots, url/file sources, rendering."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from headroom_edge.formats.anthropic import ANTHROPIC_MESSAGES, looks_anthropic
from headroom_edge.formats.base import ImageEdit, ImageSource, apply_edits
from headroom_edge.formats.datauri import encode_base64

from .helpers import decode_size


def image_block(media_type: str, b64: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "image",
        "source": {"type": "base64", "media_type": media_type, "data": b64},
        **extra,
    }


@pytest.fixture
def body(png_b64: str, jpeg_b64: str) -> dict[str, Any]:
    return {
        "model": "claude-sonnet-4-5",
        "max_tokens": 1024,
        "system": [{"type": "text", "text": "What does the system prompt say?"}],
        "messages": [
            {
                "role": "user",
                "content": [
                    image_block("image/png", png_b64, cache_control={"type": "ephemeral"}),
                    {"type": "text", "text": "Open the invoice and read the total."},
                ],
            },
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": "Taking a screenshot."},
                    {"type": "tool_use", "id": "tu1", "name": "screenshot", "input": {}},
                ],
            },
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "tu1",
                        "content": [
                            {"type": "text", "text": "Screenshot of invoice.pdf"},
                            image_block("image/jpeg", jpeg_b64),
                        ],
                    },
                    {"type": "tool_result", "tool_use_id": "tu0", "content": "plain string result"},
                ],
            },
            {
                "role": "user",
                "content": [
                    {
                        "type": "image",
                        "source": {"type": "url", "url": "https://example.com/a.png"},
                    },
                    {"type": "image", "source": {"type": "file", "file_id": "file_011"}},
                ],
            },
        ],
    }


def test_finds_every_image(body: dict[str, Any], png_b64: str, jpeg_b64: str) -> None:
    slots = ANTHROPIC_MESSAGES.find_images(body)
    assert [s.location for s in slots] == [
        "messages[0].content[0]",
        "messages[2].content[0].content[1]",
        "messages[3].content[0]",
        "messages[3].content[1]",
    ]
    assert [s.index for s in slots] == [0, 1, 2, 3]
    assert slots[0].source == ImageSource(kind="base64", media_type="image/png", data=png_b64)
    assert slots[1].source == ImageSource(kind="base64", media_type="image/jpeg", data=jpeg_b64)
    assert slots[1].container is body["messages"][2]["content"][0]["content"]
    assert slots[2].source == ImageSource(kind="url", url="https://example.com/a.png")
    assert slots[3].source == ImageSource(kind="file", file_id="file_011")
    assert all(s.detail is None and s.media_resolution is None for s in slots)


def test_questions_tool_result_text_is_not_the_question(body: dict[str, Any]) -> None:
    questions = [s.question for s in ANTHROPIC_MESSAGES.find_images(body)]
    assert questions == ["Open the invoice and read the total."] * 4


def test_question_next_turn_and_same_turn_text_next_to_tool_result(png_b64: str) -> None:
    body = {
        "messages": [
            {"role": "user", "content": "First ask."},
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": "t", "name": "n", "input": {}}],
            },
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "t",
                        "content": [image_block("image/png", png_b64)],
                    }
                ],
            },
            {"role": "assistant", "content": "ok"},
            {"role": "user", "content": [{"type": "text", "text": "What changed on screen?"}]},
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "u",
                        "content": [image_block("image/png", png_b64)],
                    },
                    {"type": "text", "text": "Is the dialog closed?"},
                ],
            },
        ]
    }
    slots = ANTHROPIC_MESSAGES.find_images(body)
    assert [s.question for s in slots] == ["What changed on screen?", "Is the dialog closed?"]


def test_system_never_the_question(png_b64: str) -> None:
    body = {
        "system": "Describe every image in detail.",
        "max_tokens": 10,
        "messages": [{"role": "user", "content": [image_block("image/png", png_b64)]}],
    }
    (slot,) = ANTHROPIC_MESSAGES.find_images(body)
    assert slot.question == ""


def test_data_url_in_url_source_is_skipped() -> None:
    body = {
        "messages": [
            {
                "role": "user",
                "content": [
                    {
                        "type": "image",
                        "source": {"type": "url", "url": "data:image/png;base64,QUJD"},
                    },
                    {
                        "type": "document",
                        "source": {
                            "type": "base64",
                            "media_type": "application/pdf",
                            "data": "QUJD",
                        },
                    },
                ],
            }
        ]
    }
    assert ANTHROPIC_MESSAGES.find_images(body) == []


def test_render_keeps_cache_control_and_order(body: dict[str, Any], new_jpeg: bytes) -> None:
    expected = copy.deepcopy(body)
    slots = ANTHROPIC_MESSAGES.find_images(body)
    edit = ImageEdit(data=new_jpeg, media_type="image/jpeg", detail="low", media_resolution="X")
    apply_edits(ANTHROPIC_MESSAGES, [(slots[0], edit), (slots[1], edit)])
    new_b64 = encode_base64(new_jpeg)
    expected["messages"][0]["content"][0] = image_block(
        "image/jpeg", new_b64, cache_control={"type": "ephemeral"}
    )
    expected["messages"][2]["content"][0]["content"][1] = image_block("image/jpeg", new_b64)
    assert body == expected
    block = body["messages"][0]["content"][0]
    assert list(block) == ["type", "source", "cache_control"]
    assert list(block["source"]) == ["type", "media_type", "data"]

    wire = json.loads(json.dumps(body))
    assert decode_size(wire["messages"][0]["content"][0]["source"]["data"]) == ((8, 6), "JPEG")
    nested = wire["messages"][2]["content"][0]["content"][1]["source"]["data"]
    assert decode_size(nested) == ((8, 6), "JPEG")


def test_render_new_bytes_replace_url_source(body: dict[str, Any], new_jpeg: bytes) -> None:
    slot = ANTHROPIC_MESSAGES.find_images(body)[2]
    (block,) = ANTHROPIC_MESSAGES.render(slot, ImageEdit(data=new_jpeg, media_type="image/jpeg"))
    assert block == image_block("image/jpeg", encode_base64(new_jpeg))


def test_transcode_text_block(body: dict[str, Any]) -> None:
    slot = ANTHROPIC_MESSAGES.find_images(body)[1]
    original = copy.deepcopy(slot.part)
    assert ANTHROPIC_MESSAGES.render(slot, ImageEdit(text="Total: 99 USD")) == [
        original,
        {"type": "text", "text": "Total: 99 USD"},
    ]
    assert ANTHROPIC_MESSAGES.render(slot, ImageEdit(text="Total: 99 USD", keep_image=False)) == [
        {"type": "text", "text": "Total: 99 USD"}
    ]
    assert ANTHROPIC_MESSAGES.render(slot, ImageEdit(text="", keep_image=True)) == [original]


def test_two_images_in_one_list_one_becomes_two(body: dict[str, Any], new_jpeg: bytes) -> None:
    expected = copy.deepcopy(body)
    slots = ANTHROPIC_MESSAGES.find_images(body)
    apply_edits(
        ANTHROPIC_MESSAGES,
        [
            (slots[3], ImageEdit(data=new_jpeg, media_type="image/jpeg")),
            (slots[2], ImageEdit(text="text of a.png")),
            (slots[1], ImageEdit(text="invoice text", keep_image=False)),
        ],
    )
    expected["messages"][3]["content"] = [
        {"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}},
        {"type": "text", "text": "text of a.png"},
        image_block("image/jpeg", encode_base64(new_jpeg)),
    ]
    expected["messages"][2]["content"][0]["content"][1] = {"type": "text", "text": "invoice text"}
    assert body == expected
    again = ANTHROPIC_MESSAGES.find_images(json.loads(json.dumps(body)))
    assert [s.location for s in again] == [
        "messages[0].content[0]",
        "messages[3].content[0]",
        "messages[3].content[2]",
    ]


def test_looks_anthropic(body: dict[str, Any]) -> None:
    assert looks_anthropic(body)
    assert ANTHROPIC_MESSAGES.matches(body)
    plain = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    assert not looks_anthropic(plain)
    assert looks_anthropic({**plain, "system": "s", "max_tokens": 5})
    assert not looks_anthropic({**plain, "max_tokens": 5})
    assert looks_anthropic(
        {"messages": [{"role": "user", "content": [{"type": "image", "source": {}}]}]}
    )
    assert not looks_anthropic({"messages": [{"role": "user", "content": [{"type": "image_url"}]}]})


def test_model_and_identity(body: dict[str, Any]) -> None:
    assert ANTHROPIC_MESSAGES.model(body) == "claude-sonnet-4-5"
    assert ANTHROPIC_MESSAGES.model({"messages": []}) is None
    assert (ANTHROPIC_MESSAGES.name, ANTHROPIC_MESSAGES.provider) == (
        "anthropic_messages",
        "anthropic",
    )


def test_hostile_bodies_do_not_raise(hostile_body: Any) -> None:
    for slot in ANTHROPIC_MESSAGES.find_images(hostile_body):
        assert slot.container[slot.position] is slot.part
    ANTHROPIC_MESSAGES.matches(hostile_body)


def test_images_inside_a_content_document(png_b64: str, new_jpeg: bytes) -> None:
    doc = {"type": "document", "title": "Scan", "citations": {"enabled": True},
           "source": {"type": "content", "content": [
               {"type": "text", "text": "Page 1"},
               {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": png_b64}}]}}
    body: dict[str, Any] = {"model": "claude-sonnet-4-5", "max_tokens": 64, "messages": [
        {"role": "user", "content": [doc, {"type": "text", "text": "What is the total?"}]}]}
    before = copy.deepcopy(body)
    (slot,) = ANTHROPIC_MESSAGES.find_images(body)
    assert slot.location == "messages[0].content[0].source.content[1]"
    assert slot.question == "What is the total?"
    apply_edits(ANTHROPIC_MESSAGES, [(slot, ImageEdit(data=new_jpeg, media_type="image/jpeg", text="TOTAL 9"))])
    inner = body["messages"][0]["content"][0]["source"]["content"]
    assert inner[0] == {"type": "text", "text": "Page 1"}
    assert inner[1]["source"]["media_type"] == "image/jpeg" and decode_size(inner[1]["source"]["data"])[1] == "JPEG"
    assert inner[2] == {"type": "text", "text": "TOTAL 9"}
    kept = body["messages"][0]["content"][0]
    assert {k: kept[k] for k in ("title", "citations")} == {k: doc[k] for k in ("title", "citations")}
    assert body["messages"][0]["content"][1] == before["messages"][0]["content"][1]
    pdf = {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": png_b64}}
    assert ANTHROPIC_MESSAGES.find_images({"messages": [{"role": "user", "content": [pdf]}]}) == []
