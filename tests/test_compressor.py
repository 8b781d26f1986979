"""ImageCompressor end to end on real bodies of every wire format."""

from __future__ import annotations

import json

import pytest

from headroom_edge import CompressionConfig, ImageCompressor, Technique
from headroom_edge.formats.datauri import decode_base64, parse_data_url
from tests import factories as f


def test_openai_chat_general_question_goes_low(compressor: ImageCompressor) -> None:
    body = f.openai_chat_body(f.photo_jpeg(), "What animal is this?")
    out = compressor.compress_body(json.dumps(body).encode(), path="/v1/chat/completions")
    assert out.changed and out.wire_format == "openai_chat"
    sent = json.loads(out.body)
    part = sent["messages"][1]["content"][1]
    assert part["image_url"]["detail"] == "low"
    media_type, data = parse_data_url(part["image_url"]["url"])
    assert f.decode(decode_base64(data)).size == (512, 512)
    # every other field is exactly as it was
    assert sent["messages"][0] == body["messages"][0]
    assert {k: v for k, v in sent.items() if k != "messages"} == {k: v for k, v in body.items() if k != "messages"}
    result = out.result
    assert result.technique is Technique.FULL_LOW
    assert (result.original_tokens, result.compressed_tokens) == (765, 85)
    assert result.savings_percent == pytest.approx(100 * (765 - 85) / 765)
    assert compressor.last_result is result
    assert compressor.last_savings == pytest.approx(result.savings_percent)


def test_messages_api_returns_new_list_and_leaves_input_alone(compressor: ImageCompressor) -> None:
    body = f.openai_chat_body(f.photo_jpeg(), "What is in this photo?")
    messages = body["messages"]
    snapshot = json.dumps(messages)
    assert compressor.has_images(messages)
    new = compressor.compress(messages, provider="openai", model="gpt-4o")
    assert json.dumps(messages) == snapshot
    assert new[1]["content"][1]["image_url"]["detail"] == "low"
    assert compressor.last_result.technique is Technique.FULL_LOW


def test_has_images_false_for_text_only(compressor: ImageCompressor) -> None:
    assert not compressor.has_images([{"role": "user", "content": "hello"}])
    assert not compressor.has_images("not a list")


def test_anthropic_preserve_keeps_bytes_identical(compressor: ImageCompressor) -> None:
    raw = json.dumps(f.anthropic_body(f.photo_jpeg(), "How many buttons are on the suit?")).encode()
    out = compressor.compress_body(raw, path="/v1/messages")
    assert out.changed is False and out.body is raw
    assert out.result.technique is Technique.PRESERVE
    assert out.result.original_tokens == out.result.compressed_tokens > 0


def test_gemini_full_low_sets_part_level(compressor: ImageCompressor) -> None:
    body = f.gemini_body(f.photo_jpeg(), "what is this picture about?")
    out = compressor.compress_body(body, path="/v1beta/models/gemini-3-pro-preview:generateContent")
    assert out.changed
    part = out.body["contents"][0]["parts"][1]
    assert part["mediaResolution"] == {"level": "MEDIA_RESOLUTION_LOW"}
    assert out.result.compressed_tokens == 280
    assert body["contents"][0]["parts"][1].get("mediaResolution") is None  # input dict not mutated


def test_responses_crop(compressor: ImageCompressor) -> None:
    body = f.responses_body(f.encode(f.quadrants(1000), "PNG"), "what is in the bottom-left corner?",
                            media_type="image/png")
    out = compressor.compress_body(body, path="/v1/responses")
    part = out.body["input"][0]["content"][1]
    _, data = parse_data_url(part["image_url"])
    img = f.decode(decode_base64(data))
    assert img.width < 600 and img.height < 600
    assert out.result.technique is Technique.CROP


def test_transcode_document(compressor: ImageCompressor) -> None:
    body = f.anthropic_body(f.document_png(), "Transcribe this document", media_type="image/png")
    out = compressor.compress_body(body, path="/v1/messages")
    content = out.body["messages"][0]["content"]
    assert [block["type"] for block in content] == ["image", "text", "text"]
    assert "Northwind" in content[1]["text"]
    assert out.result.technique is Technique.TRANSCODE


def test_repeated_image_hits_the_cache_and_is_byte_identical(compressor: ImageCompressor) -> None:
    raw = json.dumps(f.openai_chat_body(f.photo_jpeg(800, 600), "what is this?")).encode()
    first = compressor.compress_body(raw)
    second = compressor.compress_body(raw)
    assert first.body == second.body
    assert second.result.images[0].cached


def test_broken_image_fails_open(compressor: ImageCompressor) -> None:
    body = f.openai_chat_body(b"this is not an image at all", "What animal is this?")
    raw = json.dumps(body).encode()
    out = compressor.compress_body(raw)
    assert out.body is raw and not out.changed
    image = out.result.images[0]
    assert image.technique is Technique.PRESERVE and image.error
    assert "not an image" not in image.error  # no payload in errors


def test_invalid_base64_fails_open(compressor: ImageCompressor) -> None:
    body = f.openai_chat_body(b"", "what is this")
    body["messages"][1]["content"][1]["image_url"]["url"] = "data:image/png;base64,@@@not-base64@@@"
    raw = json.dumps(body).encode()
    out = compressor.compress_body(raw)
    assert out.body is raw and out.result.images[0].error


@pytest.mark.parametrize("raw", [b"", b"not json", b"[1,2,3]", b'{"image_url": 5}', b"\xff\xfe"])
def test_non_requests_pass_through(compressor: ImageCompressor, raw: bytes) -> None:
    out = compressor.compress_body(raw)
    assert out.body is raw and not out.changed


def test_url_images_are_left_alone_with_a_reason(compressor: ImageCompressor) -> None:
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": [
        {"type": "text", "text": "what is this"},
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}},
    ]}]}
    out = compressor.compress_body(body)
    assert not out.changed
    assert "URL" in out.result.images[0].reason


def test_disabled_technique_preserves() -> None:
    comp = ImageCompressor(config=CompressionConfig(techniques=frozenset({Technique.PRESERVE})))
    out = comp.compress_body(f.openai_chat_body(f.photo_jpeg(), "What animal is this?"))
    assert not out.changed and "disabled" in out.result.images[0].reason


def test_image_already_low_is_left_alone(compressor: ImageCompressor) -> None:
    body = f.openai_chat_body(f.photo_jpeg(), "What animal is this?", detail="low")
    out = compressor.compress_body(body)
    assert not out.changed
    assert out.result.original_tokens == out.result.compressed_tokens == 85


def test_animated_gif_passes_through(compressor: ImageCompressor) -> None:
    frames = [f.photo(200, 200), f.quadrants(200)]
    buf = f.encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    raw = json.dumps(f.openai_chat_body(buf, "what is this?", media_type="image/gif")).encode()
    out = compressor.compress_body(raw)
    assert out.body is raw
    assert "animated" in out.result.images[0].reason


def test_bad_device_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown device"):
        ImageCompressor(device="tpu")


def test_messages_api_with_absurd_nesting_comes_back_unchanged(compressor: ImageCompressor) -> None:
    deep: list = []
    node = deep
    for _ in range(5000):
        node.append([])
        node = node[0]
    messages = [{"role": "user", "content": [{"type": "text", "text": "hi", "extra": deep}]}]
    assert compressor.compress(messages, provider="openai") is messages


def test_messages_api_unknown_provider_is_a_clear_error(compressor: ImageCompressor) -> None:
    with pytest.raises(ValueError, match="provider"):
        compressor.compress([], provider="cohere")


# -- the raw-body codec (issue 11: items 4 and 7) ------------------------------------------------------


def test_body_that_is_not_utf8_passes_through_byte_identical(compressor: ImageCompressor) -> None:
    """An encoded lone surrogate (ED A0 80) is not UTF-8: the body is not ours to rewrite, even
    though the image in it would compress well. Used to be decoded with surrogatepass and
    written back as a ``\\ud800`` escape."""
    raw = json.dumps(f.openai_chat_body(f.photo_jpeg(), "What animal is this?")).encode()
    raw = raw.replace(b'"model":', b'"user": "\xed\xa0\x80", "model":', 1)
    out = compressor.compress_body(raw, path="/v1/chat/completions")
    assert not out.changed and out.body is raw
    text = raw.decode("utf-8", "surrogatepass")
    out = compressor.compress_body(text, path="/v1/chat/completions")
    assert not out.changed and out.body is text


def test_rewrite_keeps_every_client_byte_outside_the_image_fields(compressor: ImageCompressor) -> None:
    """Duplicate keys, number text and formatting survive a rewrite; only the image's url and
    the added detail differ. Used to collapse duplicates and print 0.1 and 0."""
    body = f.openai_chat_body(f.photo_jpeg(), "What animal is this?")
    text = json.dumps(body, indent=2)
    old_url = body["messages"][1]["content"][1]["image_url"]["url"]
    odd = '"temperature": 0.10000000000000000555,\n  "seed": -0,\n  "user": "a",\n  "user": "b",\n  '
    raw = text.replace('"model":', odd + '"model":', 1).encode()
    out = compressor.compress_body(raw, path="/v1/chat/completions")
    assert out.changed and odd.encode() in out.body
    cut = raw.index(old_url.encode())
    assert out.body[:cut] == raw[:cut]  # everything up to the old url, byte for byte
    after = raw[cut + len(old_url):]
    assert out.body.endswith(after[after.index(b"}"):])  # and everything after the image field
    sent = json.loads(out.body)
    assert sent["messages"][1]["content"][1]["image_url"]["detail"] == "low"
    assert sent["user"] == "b"


def test_image_part_with_escaped_key_names_passes_through(compressor: ImageCompressor) -> None:
    """JSON escapes hide an image part from the byte markers, so no spans exist to splice it;
    the whole body then goes as sent (and the result reports nothing changed)."""
    body = f.openai_chat_body(f.photo_jpeg(), "What animal is this?")
    hidden = json.dumps(body["messages"][1]).replace('"image_url"', '"\\u0069mage_url"')
    raw = json.dumps({**body, "messages": [*body["messages"], "HIDDEN"]}).encode()
    raw = raw.replace(b'"HIDDEN"', hidden.encode())
    assert json.loads(raw)["messages"][2] == body["messages"][1]
    out = compressor.compress_body(raw, path="/v1/chat/completions")
    assert not out.changed and out.body is raw
    assert not out.result.changed


def test_router_harm_weight_is_configurable() -> None:
    """The cost matrix's harm weight comes from the config when set (higher: safer)."""
    from headroom_edge.config import CompressionConfig

    default = ImageCompressor()
    safer = ImageCompressor(config=CompressionConfig(router_harm_weight=3.0))
    labels = ("full_low", "preserve", "crop", "transcode")
    never_low = tuple(
        (true, tuple((chosen, 0.0 if chosen == true else (10.0 if chosen == "full_low" else 1.0))
                     for chosen in labels))
        for true in labels
    )
    custom = ImageCompressor(config=CompressionConfig(router_costs=never_low))
    base = default.decider.inner.router.costs  # type: ignore[attr-defined]
    assert safer.decider.inner.router.costs.harm_weight == 3.0  # type: ignore[attr-defined]
    assert base.harm_weight != 3.0
    assert custom.decider.inner.router.costs.cost("preserve", "full_low") == 10.0  # type: ignore[attr-defined]
