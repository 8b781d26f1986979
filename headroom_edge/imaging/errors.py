"""The one error type of the imaging layer.

Every failure to read, decode or encode an image becomes an :class:`ImageError`, so the caller
has exactly one thing to catch to fail open (send the client's bytes untouched) and one thing to
record in ``ImageResult.error``. Messages are written for logs: they describe the problem in words
and never contain payload bytes, base64 or data URLs.
"""

from __future__ import annotations

import re

_BYTES_LITERAL = re.compile(r"""b(['"]).*?(?<!\\)\1""")
_MAX_DETAIL = 160


class ImageError(ValueError):
    """An image could not be probed, decoded or encoded within the configured limits.

    Subclassing ``ValueError`` keeps it catchable by generic "bad input" handlers.
    """


def describe_exception(exc: BaseException) -> str:
    """A short, log-safe description of a decoder exception.

    Pillow's messages are mostly plain words, but a few quote raw chunk bytes (e.g. "broken PNG
    file (chunk b'...')"); those literals are redacted and the text is capped in length so no
    payload data can ever reach a log line through us.
    """
    text = _BYTES_LITERAL.sub("b'…'", str(exc)).replace("\n", " ").strip()
    if len(text) > _MAX_DETAIL:
        text = text[: _MAX_DETAIL - 1] + "…"
    name = type(exc).__name__
    return f"{name}: {text}" if text else name
