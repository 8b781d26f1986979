"""Google Gemini: inlineData/inline_data parts, fileData, media resolution, naming styles."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from headroom_edge.formats.base import ImageEdit, ImageSource, apply_edits
from headroom_edge.formats.datauri import encode_base64
from headroom_edge.formats.gemini import GEMINI, normalise_level

from .helpers import decode_size


@pytest.fixture
def camel(png_b64: str, jpeg_b64: str) -> dict[str, Any]:
    return {
        "systemInstruction": {"parts": [{"text": "System: what is the answer?"}]},
        "contents": [
            {
                "role": "user",
                "parts": [
                    {"text": "What breed is this dog?"},
                    {
                        "inlineData": {"mimeType": "image/png", "data": png_b64},
                        "mediaResolution": {"level": "MEDIA_RESOLUTION_HIGH"},
                    },
                    {"inlineData": {"mimeType": "application/pdf", "data": png_b64}},
                ],
            },
            {"role": "model", "parts": [{"text": "A beagle."}]},
            {
                "parts": [  # no role: the user's
                    {"fileData": {"mimeType": "image/jpeg", "fileUri": "gs://bucket/cat.jpg"}},
                    {"inlineData": {"mimeType": "image/jpeg", "data": jpeg_b64}},
                    {"fileData": {"fileUri": "https://youtube.com/watch?v=x"}},
                    {"text": "And this one?"},
                ]
            },
        ],
        "generationConfig": {"temperature": 0, "mediaResolution": "MEDIA_RESOLUTION_MEDIUM"},
    }


@pytest.fixture
def snake(png_b64: str, jpeg_b64: str) -> dict[str, Any]:
    return {
        "system_instruction": {"parts": [{"text": "Look closely."}]},
        "contents": [
            {"role": "user", "parts": [{"text": "Open the settings page."}]},
            {"role": "model", "parts": [{"function_call": {"name": "screenshot", "args": {}}}]},
            {
                "role": "user",
                "parts": [
                    {
                        "function_response": {
                            "name": "screenshot",
                            "response": {"text": "tool output text"},
                            "parts": [{"inline_data": {"mime_type": "image/png", "data": png_b64}}],
                        }
                    },
                    {
                        "inline_data": {"mime_type": "image/jpeg", "data": jpeg_b64},
                        "media_resolution": "low",
                    },
                    {"file_data": {"mime_type": "image/png", "file_uri": "files/abc"}},
                ],
            },
        ],
        "generation_config": {"media_resolution": "media_resolution_high"},
    }


def test_finds_camel_case_images(camel: dict[str, Any], png_b64: str, jpeg_b64: str) -> None:
    slots = GEMINI.find_images(camel)
    assert [s.location for s in slots] == [
        "contents[0].parts[1]",
        "contents[2].parts[0]",
        "contents[2].parts[1]",
    ]
    assert slots[0].source == ImageSource(kind="base64", media_type="image/png", data=png_b64)
    assert slots[1].source == ImageSource(
        kind="url", media_type="image/jpeg", url="gs://bucket/cat.jpg"
    )
    assert slots[2].source == ImageSource(kind="base64", media_type="image/jpeg", data=jpeg_b64)
    # own level first, else the request's global one
    assert [s.media_resolution for s in slots] == [
        "MEDIA_RESOLUTION_HIGH",
        "MEDIA_RESOLUTION_MEDIUM",
        "MEDIA_RESOLUTION_MEDIUM",
    ]
    assert [s.question for s in slots] == [
        "What breed is this dog?",
        "And this one?",
        "And this one?",
    ]


def test_finds_snake_case_and_function_response_images(
    snake: dict[str, Any], png_b64: str, jpeg_b64: str
) -> None:
    slots = GEMINI.find_images(snake)
    assert [s.location for s in slots] == [
        "contents[2].parts[0].function_response.parts[0]",
        "contents[2].parts[1]",
        "contents[2].parts[2]",
    ]
    assert slots[0].source == ImageSource(kind="base64", media_type="image/png", data=png_b64)
    assert slots[0].container is snake["contents"][2]["parts"][0]["function_response"]["parts"]
    assert slots[1].source == ImageSource(kind="base64", media_type="image/jpeg", data=jpeg_b64)
    assert slots[2].source == ImageSource(kind="url", media_type="image/png", url="files/abc")
    assert [s.media_resolution for s in slots] == [
        "MEDIA_RESOLUTION_HIGH",
        "MEDIA_RESOLUTION_LOW",  # bare string on the part
        "MEDIA_RESOLUTION_HIGH",
    ]
    # no user text in the turn, none after: previous user text (tool output text never counts)
    assert [s.question for s in slots] == ["Open the settings page."] * 3


def test_no_media_resolution_anywhere(png_b64: str) -> None:
    body = {"contents": [{"parts": [{"inlineData": {"mimeType": "image/png", "data": png_b64}}]}]}
    (slot,) = GEMINI.find_images(body)
    assert slot.media_resolution is None
    assert slot.question == ""


def test_system_instruction_and_model_text_ignored(png_b64: str) -> None:
    body = {
        "systemInstruction": {"parts": [{"text": "sys"}]},
        "contents": [
            {"role": "model", "parts": [{"text": "model text"}]},
            {"role": "user", "parts": [{"inlineData": {"mimeType": "image/png", "data": png_b64}}]},
            {"role": "model", "parts": [{"text": "more model text"}]},
        ],
    }
    (slot,) = GEMINI.find_images(body)
    assert slot.question == ""


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"level": "MEDIA_RESOLUTION_LOW"}, "MEDIA_RESOLUTION_LOW"),
        ({"level": "media_resolution_ultra_high"}, "MEDIA_RESOLUTION_ULTRA_HIGH"),
        ("MEDIA_RESOLUTION_MEDIUM", "MEDIA_RESOLUTION_MEDIUM"),
        (" low ", "MEDIA_RESOLUTION_LOW"),
        ("MEDIA_RESOLUTION_UNSPECIFIED", None),
        ("", None),
        (None, None),
        (3, None),
        ({"level": 3}, None),
        ({}, None),
    ],
)
def test_normalise_level(value: Any, expected: str | None) -> None:
    assert normalise_level(value) == expected


def test_render_camel_keeps_style(camel: dict[str, Any], new_jpeg: bytes) -> None:
    expected = copy.deepcopy(camel)
    slots = GEMINI.find_images(camel)
    apply_edits(
        GEMINI,
        [
            (
                slots[0],
                ImageEdit(
                    data=new_jpeg, media_type="image/jpeg", media_resolution="MEDIA_RESOLUTION_LOW"
                ),
            ),
            (slots[2], ImageEdit(media_resolution="MEDIA_RESOLUTION_LOW", detail="low")),
        ],
    )
    new_b64 = encode_base64(new_jpeg)
    expected["contents"][0]["parts"][1] = {
        "inlineData": {"mimeType": "image/jpeg", "data": new_b64},
        "mediaResolution": {"level": "MEDIA_RESOLUTION_LOW"},
    }
    expected["contents"][2]["parts"][1]["mediaResolution"] = {"level": "MEDIA_RESOLUTION_LOW"}
    assert camel == expected
    wire = json.loads(json.dumps(camel))
    assert decode_size(wire["contents"][0]["parts"][1]["inlineData"]["data"]) == ((8, 6), "JPEG")


def test_render_snake_keeps_style(snake: dict[str, Any], new_jpeg: bytes) -> None:
    expected = copy.deepcopy(snake)
    slots = GEMINI.find_images(snake)
    edit = ImageEdit(
        data=new_jpeg, media_type="image/jpeg", media_resolution="MEDIA_RESOLUTION_LOW"
    )
    apply_edits(GEMINI, [(slots[0], edit), (slots[1], edit)])
    new_b64 = encode_base64(new_jpeg)
    expected["contents"][2]["parts"][0]["function_response"]["parts"][0] = {
        "inline_data": {"mime_type": "image/jpeg", "data": new_b64},
        "media_resolution": {"level": "MEDIA_RESOLUTION_LOW"},
    }
    expected["contents"][2]["parts"][1] = {
        "inline_data": {"mime_type": "image/jpeg", "data": new_b64},
        "media_resolution": {"level": "MEDIA_RESOLUTION_LOW"},  # bare string became the API object
    }
    assert snake == expected
    wire = json.loads(json.dumps(snake))
    nested = wire["contents"][2]["parts"][0]["function_response"]["parts"][0]["inline_data"]["data"]
    assert decode_size(nested) == ((8, 6), "JPEG")


def test_render_file_data_becomes_inline_data(
    camel: dict[str, Any], snake: dict[str, Any], new_jpeg: bytes
) -> None:
    new_b64 = encode_base64(new_jpeg)
    edit = ImageEdit(data=new_jpeg, media_type="image/jpeg")
    (part,) = GEMINI.render(GEMINI.find_images(camel)[1], edit)
    assert part == {"inlineData": {"mimeType": "image/jpeg", "data": new_b64}}
    (part,) = GEMINI.render(GEMINI.find_images(snake)[2], edit)
    assert part == {"inline_data": {"mime_type": "image/jpeg", "data": new_b64}}


def test_transcode_text_part(camel: dict[str, Any]) -> None:
    slot = GEMINI.find_images(camel)[2]
    original = copy.deepcopy(slot.part)
    assert GEMINI.render(slot, ImageEdit(text="SIGN: NO PARKING")) == [
        original,
        {"text": "SIGN: NO PARKING"},
    ]
    assert GEMINI.render(slot, ImageEdit(text="SIGN: NO PARKING", keep_image=False)) == [
        {"text": "SIGN: NO PARKING"}
    ]


def test_two_images_in_one_list_one_becomes_two(camel: dict[str, Any], new_jpeg: bytes) -> None:
    expected = copy.deepcopy(camel)
    slots = GEMINI.find_images(camel)
    apply_edits(
        GEMINI,
        [
            (slots[1], ImageEdit(text="cat text")),
            (slots[2], ImageEdit(data=new_jpeg, media_type="image/jpeg")),
        ],
    )
    parts = expected["contents"][2]["parts"]
    parts[1:2] = [{"inlineData": {"mimeType": "image/jpeg", "data": encode_base64(new_jpeg)}}]
    parts[1:1] = [{"text": "cat text"}]
    assert camel == expected
    again = GEMINI.find_images(camel)
    assert [s.location for s in again] == [
        "contents[0].parts[1]",
        "contents[2].parts[0]",
        "contents[2].parts[2]",
    ]
    assert again[1].question == "cat text\nAnd this one?"  # the OCR text is now part of that turn


@pytest.mark.parametrize(
    ("path", "model"),
    [
        ("/v1beta/models/gemini-2.5-flash:generateContent", "gemini-2.5-flash"),
        (
            "/v1beta/models/gemini-3-pro-preview:streamGenerateContent?alt=sse",
            "gemini-3-pro-preview",
        ),
        (
            "/v1/projects/p/locations/us/publishers/google/models/gemini-2.0-flash:generateContent",
            "gemini-2.0-flash",
        ),
        ("models/gemini-2.5-pro:countTokens", "gemini-2.5-pro"),
    ],
)
def test_model_from_path(path: str, model: str) -> None:
    assert GEMINI.model({"model": "other"}, path) == model


def test_model_from_body() -> None:
    assert GEMINI.model({"model": "models/gemini-2.5-flash"}) == "gemini-2.5-flash"
    assert (
        GEMINI.model({"model": "gemini-2.5-flash"}, "/v1beta/cachedContents") == "gemini-2.5-flash"
    )
    assert GEMINI.model({}) is None
    assert GEMINI.model({"model": 1}, None) is None


def test_identity_and_matches(camel: dict[str, Any]) -> None:
    assert (GEMINI.name, GEMINI.provider) == ("gemini", "google")
    assert GEMINI.matches(camel)
    assert not GEMINI.matches({"messages": []})


def test_hostile_bodies_do_not_raise(hostile_body: Any) -> None:
    for slot in GEMINI.find_images(hostile_body):
        assert slot.container[slot.position] is slot.part


def test_text_from_a_function_response_image_goes_into_its_response(png_b64: str, new_jpeg: bytes) -> None:
    """A FunctionResponsePart holds only media: google-genai's own types must accept the rewrite."""
    from google.genai import types
    from pydantic import ValidationError

    from headroom_edge.formats.gemini import OCR_TEXT_KEY

    response = {"name": "screenshot", "response": {"status": "ok"},
                "parts": [{"inlineData": {"mimeType": "image/png", "data": png_b64}},
                          {"inlineData": {"mimeType": "image/png", "data": png_b64}}]}
    bare = {"name": "read", "parts": [{"inline_data": {"mime_type": "image/png", "data": png_b64}}]}
    body: dict[str, Any] = {"contents": [
        {"role": "user", "parts": [{"text": "What does the dialog say?"}]},
        {"role": "model", "parts": [{"functionCall": {"name": "screenshot", "args": {}}}]},
        {"role": "user", "parts": [{"functionResponse": response}, {"function_response": bare}]},
    ]}
    slots = GEMINI.find_images(body)
    assert [s.location for s in slots] == [
        "contents[2].parts[0].functionResponse.parts[0]", "contents[2].parts[0].functionResponse.parts[1]",
        "contents[2].parts[1].function_response.parts[0]"]
    apply_edits(GEMINI, [
        (slots[0], ImageEdit(data=new_jpeg, media_type="image/jpeg", text="Save changes?")),
        (slots[1], ImageEdit(text="[Yes] [No]", keep_image=False)),
        (slots[2], ImageEdit(text="hello", keep_image=False)),
    ])
    fr = body["contents"][2]["parts"][0]["functionResponse"]
    assert fr["response"] == {"status": "ok", OCR_TEXT_KEY: "Save changes?\n\n[Yes] [No]"}
    assert len(fr["parts"]) == 1 and decode_size(fr["parts"][0]["inlineData"]["data"]) == ((8, 6), "JPEG")
    assert body["contents"][2]["parts"][1] == {"function_response": {
        "name": "read", "parts": [], "response": {OCR_TEXT_KEY: "hello"}}}
    assert len(body["contents"][2]["parts"]) == 2  # no text part next to the function responses
    for content in body["contents"]:
        types.Content.model_validate(content)
    with pytest.raises(ValidationError):  # what a text field there used to produce
        types.FunctionResponsePart.model_validate({"text": "Save changes?"})


def test_a_response_that_is_not_an_object_takes_no_text(png_b64: str) -> None:
    part = {"functionResponse": {"name": "f", "response": "odd", "parts": [
        {"inlineData": {"mimeType": "image/png", "data": png_b64}}]}}
    body = {"contents": [{"role": "user", "parts": [part]}]}
    before = copy.deepcopy(body)
    (slot,) = GEMINI.find_images(body)
    apply_edits(GEMINI, [(slot, ImageEdit(text="x", keep_image=False))])
    assert body == before


def test_count_tokens_generate_content_request(png_b64: str) -> None:
    """countTokens also takes the whole request wrapped as ``generateContentRequest``."""
    body = {"generateContentRequest": {"model": "models/gemini-3-pro-preview", "contents": [
        {"role": "user", "parts": [{"text": "What is this?"},
                                   {"inlineData": {"mimeType": "image/png", "data": png_b64}}]}],
        "generationConfig": {"mediaResolution": "MEDIA_RESOLUTION_MEDIUM"}}}
    assert GEMINI.matches(body)
    (slot,) = GEMINI.find_images(body)
    assert (slot.question, slot.media_resolution) == ("What is this?", "MEDIA_RESOLUTION_MEDIUM")
    assert slot.location == "generateContentRequest.contents[0].parts[1]"
    assert GEMINI.model(body) == "gemini-3-pro-preview"
    apply_edits(GEMINI, [(slot, ImageEdit(media_resolution="MEDIA_RESOLUTION_LOW"))])
    part = body["generateContentRequest"]["contents"][0]["parts"][1]  # type: ignore[index]
    assert part["mediaResolution"] == {"level": "MEDIA_RESOLUTION_LOW"}
