"""One prompt, several asks: which technique serves all of them.

Why a rule and not an average: a turn such as "What's this? And what's the serial number on the
sticker?" needs full resolution for its second ask; averaging with the harmless first ask would
send it lossy. The most demanding ask decides; two different demanding asks (a crop of one corner
and OCR of the whole page) are only both served by keeping the image.
"""

from __future__ import annotations

from collections.abc import Sequence

GIST = "full_low"
KEEP = "preserve"


def most_demanding(labels: Sequence[str]) -> str:
    """The technique for a prompt whose asks need ``labels`` (technique values).

    Gist asks never override anything; one kind of demanding ask wins; two different kinds keep
    the image (``preserve``); no labels at all also keeps it (intent unknown).
    """
    if not labels:
        return KEEP
    demanding = {label for label in labels if label != GIST}
    if not demanding:
        return GIST
    if len(demanding) == 1:
        return next(iter(demanding))
    return KEEP
