"""Ollama's native API: bare base64 ``images`` next to ``content`` / ``prompt``; text into the string."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from headroom_edge.formats import OLLAMA_CHAT, OLLAMA_GENERATE, detect_format, format_for_path
from headroom_edge.formats.base import ImageEdit, apply_edits

from .helpers import decode_size


@pytest.fixture
def chat(png_b64: str, jpeg_b64: str) -> dict[str, Any]:
    return {
        "model": "qwen2.5vl:7b",
        "stream": False,
        "options": {"temperature": 0},
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "What is on these two pages?", "images": [png_b64, jpeg_b64]},
            {"role": "assistant", "content": "Two receipts."},
            {"role": "user", "content": "", "images": [jpeg_b64]},
        ],
    }


def test_finds_each_base64_image_with_its_question(chat: dict[str, Any], png_b64: str, jpeg_b64: str) -> None:
    slots = OLLAMA_CHAT.find_images(chat)
    assert [s.location for s in slots] == ["messages[1].images[0]", "messages[1].images[1]", "messages[3].images[0]"]
    assert [s.source.data for s in slots] == [png_b64, jpeg_b64, jpeg_b64]
    assert all(s.source.kind == "base64" and s.source.media_type is None for s in slots)
    assert [s.question for s in slots] == ["What is on these two pages?"] * 3  # the last asks nothing itself
    assert OLLAMA_CHAT.model(chat) == "qwen2.5vl:7b"


def test_new_bytes_and_ocr_text_go_where_ollama_takes_them(chat: dict[str, Any], new_jpeg: bytes) -> None:
    before = copy.deepcopy(chat)
    slots = OLLAMA_CHAT.find_images(chat)
    apply_edits(OLLAMA_CHAT, [
        (slots[0], ImageEdit(data=new_jpeg, media_type="image/jpeg", text="TOTAL 12.50")),
        (slots[1], ImageEdit(text="TOTAL 3.20", keep_image=False)),
        (slots[2], ImageEdit(text="page three")),
    ])
    first, last = chat["messages"][1], chat["messages"][3]
    assert len(first["images"]) == 1 and decode_size(first["images"][0]) == ((8, 6), "JPEG")
    # Texts land in body order after the user's own words, one paragraph each; images stay base64.
    assert first["content"] == "What is on these two pages?\n\nTOTAL 12.50\n\nTOTAL 3.20"
    assert last == {"role": "user", "content": "page three", "images": before["messages"][3]["images"]}
    for key in ("model", "stream", "options"):
        assert chat[key] == before[key]
    assert chat["messages"][0] == before["messages"][0] and chat["messages"][2] == before["messages"][2]


def test_a_non_string_content_takes_no_text_so_the_image_stays(png_b64: str) -> None:
    body = {"model": "llava", "messages": [{"role": "user", "content": ["odd"], "images": [png_b64]}]}
    before = copy.deepcopy(body)
    (slot,) = OLLAMA_CHAT.find_images(body)
    assert not slot.takes_text
    assert apply_edits(OLLAMA_CHAT, [(slot, ImageEdit(text="read", keep_image=False))]) == [slot]
    assert body == before  # nowhere valid for the text: nothing dropped


def test_generate_is_one_user_turn(png_b64: str, new_jpeg: bytes) -> None:
    body = {"model": "gemma3", "prompt": "Transcribe this.", "images": [png_b64], "raw": False}
    assert detect_format(body) is OLLAMA_GENERATE and format_for_path("/api/generate") is OLLAMA_GENERATE
    (slot,) = OLLAMA_GENERATE.find_images(body)
    assert (slot.location, slot.question) == ("images[0]", "Transcribe this.")
    apply_edits(OLLAMA_GENERATE, [(slot, ImageEdit(data=new_jpeg, media_type="image/jpeg", text="Hello"))])
    assert body["prompt"] == "Transcribe this.\n\nHello" and body["raw"] is False
    assert decode_size(body["images"][0]) == ((8, 6), "JPEG")


def test_shapes_and_junk(chat: dict[str, Any]) -> None:
    assert detect_format(chat) is OLLAMA_CHAT
    assert detect_format({"messages": [{"role": "user", "content": "hi"}]}).name == "openai_chat"  # type: ignore[union-attr]
    assert OLLAMA_CHAT.find_images({"messages": [{"role": "user", "images": [None, 3, "", "  "]}]}) == []
    assert OLLAMA_GENERATE.find_images({"prompt": "x", "images": "AAAA"}) == []
    with pytest.raises(ValueError, match="media_type"):
        OLLAMA_CHAT.render(OLLAMA_CHAT.find_images(chat)[0], ImageEdit(data=b"x"))
