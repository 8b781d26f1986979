"""Several asks in one turn: the most demanding decides."""

from __future__ import annotations

import pytest

from headroom_edge.router.combine import most_demanding


@pytest.mark.parametrize("labels, expected", [
    (["full_low"], "full_low"),
    (["full_low", "full_low"], "full_low"),
    (["full_low", "transcode"], "transcode"),
    (["preserve", "full_low"], "preserve"),
    (["crop", "full_low", "crop"], "crop"),
    (["crop", "transcode"], "preserve"),
    (["transcode", "preserve"], "preserve"),
    ([], "preserve"),
])
def test_most_demanding(labels: list[str], expected: str) -> None:
    assert most_demanding(labels) == expected
