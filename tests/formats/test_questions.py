"""The question rule shared by all formats: own turn, else next user text, else previous."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from headroom_edge.formats.questions import join_text, questions_by_turn


@pytest.mark.parametrize(
    ("turns", "expected"),
    [
        ([], []),
        ([""], [""]),
        (["ask"], ["ask"]),
        (["", "ask"], ["ask", "ask"]),  # image first, question after
        (["ask", ""], ["ask", "ask"]),  # agent loop: screenshot after the ask
        (["a", "", "b"], ["a", "b", "b"]),  # next wins over previous
        (["a", "", "", "b", ""], ["a", "b", "b", "b", "b"]),
        (["", "", ""], ["", "", ""]),
    ],
)
def test_rule(turns: list[str], expected: list[str]) -> None:
    assert questions_by_turn(turns) == expected


def test_join_text() -> None:
    assert join_text(["  a ", None, 3, "", "  ", "b\n"]) == "a\nb"
    assert join_text([]) == ""


@given(st.lists(st.sampled_from(["", "", "x", "y", "z"]), max_size=12))
def test_rule_matches_naive_definition(turns: list[str]) -> None:
    def naive(i: int) -> str:
        if turns[i]:
            return turns[i]
        after = [t for t in turns[i + 1 :] if t]
        if after:
            return after[0]
        before = [t for t in turns[:i] if t]
        return before[-1] if before else ""

    assert questions_by_turn(turns) == [naive(i) for i in range(len(turns))]
