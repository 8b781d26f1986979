"""Which user text is "the question" for an image: one rule shared by every wire format.

The compressor decides per image from the question asked about it, so every format must pick
the same text for the same conversation shape. The rule, in order:

1. the text of the image's own user turn (all of its text parts, whatever the image's position);
2. else the next user text after that turn (the user sends the image, then asks);
3. else the most recent user text before it (agent loops: screenshots arrive in tool results
   after the user's ask).

Formats reduce a body to one entry per turn: the turn's user text, or "" for turns that are not
the user's (system, assistant, tool output) or carry no text. Then :func:`questions_by_turn`
applies the rule in one pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def join_text(parts: Iterable[object]) -> str:
    """Join the non-empty, stripped string parts with newlines; non-strings are ignored."""
    return "\n".join(s for s in (p.strip() for p in parts if isinstance(p, str)) if s)


def questions_by_turn(turn_texts: Sequence[str]) -> list[str]:
    """The question for an image in each turn, by the rule above ("" when no user text exists)."""
    count = len(turn_texts)
    following = [""] * count
    upcoming = ""
    for i in range(count - 1, -1, -1):
        following[i] = upcoming
        if turn_texts[i]:
            upcoming = turn_texts[i]
    questions: list[str] = []
    previous = ""
    for i, own in enumerate(turn_texts):
        questions.append(own or following[i] or previous)
        if own:
            previous = own
    return questions
