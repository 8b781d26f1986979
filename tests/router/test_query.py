"""extract_ask and prepare: the router must see every part of a message that asks."""

from __future__ import annotations

import pytest

from headroom_edge.router.query import (
    extract_ask,
    is_ask,
    prepare,
    prepare_sentences,
    split_sentences,
)


def test_plain_question_is_unchanged() -> None:
    assert extract_ask("What colour is the car?") == "What colour is the car?"


def test_terse_and_lowercase_questions_survive() -> None:
    assert extract_ask("brand?") == "brand?"
    assert extract_ask("count the coins") == "count the coins"


@pytest.mark.parametrize("text", ["", "   ", "\n\t ", None])
def test_empty_gives_empty(text: str | None) -> None:
    assert extract_ask(text or "") == ""


def test_system_prompt_and_announcement_are_stripped() -> None:
    text = "You are a helpful assistant. Here is a photo from my trip. What colour is the boat? Thanks!"
    assert extract_ask(text) == "What colour is the boat?"


def test_trailing_format_instruction_is_dropped() -> None:
    assert extract_ask("What is the total on this receipt? Answer in one word.") == (
        "What is the total on this receipt?"
    )


def test_last_question_wins() -> None:
    text = "Is this a nice photo? I think so. Anyway, what does the sign say?"
    assert extract_ask(text).endswith("what does the sign say?")
    assert "nice photo" not in extract_ask(text, max_words=8)


def test_context_naming_the_region_is_kept() -> None:
    text = "Look at the sign in the top left corner. What does it say?"
    assert extract_ask(text) == text


def test_imperative_without_question_mark() -> None:
    text = "I got this from my bank last week and I'm confused. Please transcribe the statement"
    assert extract_ask(text).endswith("Please transcribe the statement")


def test_code_blocks_urls_and_data_urls_are_removed() -> None:
    text = (
        "Here is my config:\n```python\nprint('what is this?')\n```\n"
        "see https://example.com/x.png and data:image/png;base64," + "A" * 200 + "\n"
        "How many screws are on the board?"
    )
    out = extract_ask(text)
    assert out.endswith("How many screws are on the board?")
    assert "print" not in out and "https" not in out and "base64" not in out


def test_long_context_is_bounded_and_keeps_the_question() -> None:
    story = " ".join(f"Sentence number {i} of a long story about our holiday." for i in range(300))
    out = extract_ask(story + " Which brand is the kayak?")
    assert out.endswith("Which brand is the kayak?")
    assert len(out.split()) <= 40


def test_run_on_question_keeps_its_tail() -> None:
    text = " ".join(["blah"] * 5000) + " so what does the sign say?"
    out = extract_ask(text)
    assert out.endswith("what does the sign say?")
    assert len(out.split()) == 40


def test_huge_imperative_keeps_its_head() -> None:
    out = extract_ask("Transcribe the following " + " ".join(["word"] * 5000))
    assert out.startswith("Transcribe the following")
    assert len(out.split()) == 40


def test_only_boilerplate_routes_on_what_is_there() -> None:
    assert extract_ask("Here is a photo.") == "Here is a photo."


def test_informative_announcement_is_kept_as_context() -> None:
    assert extract_ask("Here's a screenshot of my error. What does it mean?") == (
        "Here's a screenshot of my error. What does it mean?"
    )


@pytest.mark.parametrize(
    "sentence, expected",
    [
        ("what brand is the shirt", True),
        ("Could you read the meter for me", True),
        ("pls transcribe", True),
        ("I took this photo yesterday.", False),
        ("Thanks in advance!", False),
        ("Answer in one word.", False),
        ("You are a helpful assistant.", False),
        ("I need to know what the note says", True),
    ],
)
def test_is_ask(sentence: str, expected: bool) -> None:
    assert is_ask(sentence) is expected


def test_split_sentences_handles_newlines_and_marks() -> None:
    assert split_sentences("Hi! What is this?\nRead it. ok") == ["Hi!", "What is this?", "Read it.", "ok"]


# --- prepare: the whole turn the router reads -----------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("这张图大概是什么内容？用一句话描述。", ["这张图大概是什么内容？", "用一句话描述。"]),
    ("इस तस्वीर में क्या है? और घड़ी में कितने बजे हैं?", ["इस तस्वीर में क्या है?", "और घड़ी में कितने बजे हैं?"]),
    ("写真を見て。右上には何がある？", ["写真を見て。", "右上には何がある？"]),
    ("You are a helpful assistant. What brand is the laptop? Thanks!", ["What brand is the laptop?"]),
    ("Describe it. Then read me the serial number.", ["Describe it.", "Then read me the serial number."]),
])
def test_prepare_keeps_every_ask_in_every_language(text: str, expected: list[str]) -> None:
    assert prepare_sentences(text) == expected


def test_prepare_never_drops_the_demanding_clause() -> None:
    text = "What is this? It's from my trip. Also, what does the small print at the bottom say? Thanks"
    assert "small print" in prepare(text)
    assert prepare(text).startswith("What is this?")


def test_prepare_strips_code_and_data_urls_but_keeps_the_rest() -> None:
    text = "```python\nprint(1)\n```\nSee data:image/png;base64,iVBORw0KGgoAAAANSUhEUg== ¿Qué dice el cartel?"
    out = prepare(text)
    assert "base64" not in out and "print(1)" not in out
    assert "¿Qué dice el cartel?" in out


def test_prepare_of_only_boilerplate_keeps_it() -> None:
    assert prepare("Here is a photo.") == "Here is a photo."
    assert prepare("   ") == ""
    assert prepare_sentences("") == []
