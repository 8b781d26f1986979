"""Data URLs and base64, strictly.

Images travel as base64 text, either bare (Anthropic, Gemini) or inside a ``data:`` URL
(OpenAI). Parsing is lenient about what clients really send (upper-case scheme, extra
parameters, line-wrapped base64, missing padding) but decoding rejects anything that is not
base64, so a corrupt payload becomes a per-image error instead of silently wrong bytes.

Error messages never contain the payload: request bodies carry user images and must not leak
into logs through exception text.
"""

from __future__ import annotations

import base64
import binascii
import re
import sys

_ALPHABET = re.compile(r"[A-Za-z0-9+/]*")
_URLSAFE_ALPHABET = re.compile(r"[A-Za-z0-9_-]*")
_WHITESPACE = re.compile(r"[ \t\r\n\f\v]+")
_URLSAFE_TO_STANDARD = str.maketrans("-_", "+/")
_DATA_SCHEME = "data:"


def parse_data_url(url: object) -> tuple[str, str] | None:
    """``(media type, base64 text)`` of a ``data:<mt>[;param=..];base64,<data>`` URL.

    The media type is lower-cased and may be "" when the URL names none. Returns None for
    anything else: non-strings, non-data URLs and data URLs that are not base64 (percent-encoded
    data cannot be an image payload we can rewrite). The base64 text is returned as sent; it is
    validated only by :func:`decode_base64`.
    """
    if not isinstance(url, str):
        return None
    text = url.lstrip()
    if text[: len(_DATA_SCHEME)].lower() != _DATA_SCHEME:
        return None
    header, comma, data = text[len(_DATA_SCHEME) :].partition(",")
    if not comma:
        return None
    params = [p.strip() for p in header.split(";")]
    if len(params) < 2 or params[-1].lower() != "base64":
        return None
    return params[0].lower(), data


def build_data_url(media_type: str, data: bytes) -> str:
    """A ``data:<media_type>;base64,<...>`` URL for ``data``."""
    return data_url_of_base64(media_type, encode_base64(data))


def data_url_of_base64(media_type: str, encoded: str) -> str:
    """The data URL of ``encoded`` (base64 text the caller already has)."""
    if not media_type or any(ch in media_type for ch in ",; \t\r\n"):
        raise ValueError("media type for a data URL must be a non-empty token like 'image/png'")
    return f"{_DATA_SCHEME}{media_type};base64,{encoded}"


def encode_base64(data: bytes) -> str:
    """Standard, padded base64 text of ``data`` (what every provider accepts)."""
    return base64.b64encode(data).decode("ascii")


def _strict_fast_path(text: str | bytes) -> bytes | None:
    """Canonical padded standard base64 (what SDKs send) decoded in one C pass, else None.

    The general path below needs a regex pass over the whole payload to name a problem precisely;
    on a 1.4 MB body that alone measured 24 ms against 3 ms here.
    """
    if not isinstance(text, (str, bytes)) or len(text) % 4:
        return None
    try:
        if sys.version_info >= (3, 11):
            return binascii.a2b_base64(text, strict_mode=True)
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def decode_base64(text: str | bytes) -> bytes:
    """Decode base64, tolerating whitespace/newlines and missing ``=`` padding.

    The URL-safe alphabet (``-``/``_``) is accepted when it is used consistently: the google-genai
    SDK sends inline image data that way. Anything else (a mix of both alphabets, stray characters, padding in the middle, too much padding,
    an impossible length) raises :class:`ValueError` with a message that names the problem but
    never includes the payload.
    """
    fast = _strict_fast_path(text)
    if fast is not None:
        return fast
    if isinstance(text, (bytes, bytearray, memoryview)):
        try:
            text = bytes(text).decode("ascii")
        except UnicodeDecodeError:
            raise ValueError("invalid base64: contains non-ASCII bytes") from None
    if not isinstance(text, str):
        raise TypeError(f"base64 text must be str or bytes, not {type(text).__name__}")
    compact = _WHITESPACE.sub("", text)
    core = compact.rstrip("=")
    padding = len(compact) - len(core)
    match = _ALPHABET.match(core)
    urlsafe = False
    if match is not None and match.end() != len(core) and core[match.end()] in "-_":
        alt = _URLSAFE_ALPHABET.match(core)
        if alt is not None and alt.end() == len(core):
            match, urlsafe = alt, True
    if match is None or match.end() != len(core):
        offset = match.end() if match is not None else 0
        what = "padding before the end" if core[offset] == "=" else "a non-base64 character"
        raise ValueError(f"invalid base64: {what} at offset {offset} (whitespace removed)")
    remainder = len(core) % 4
    if remainder == 1:
        raise ValueError(f"invalid base64: {len(core)} data characters is not a possible length")
    if padding > (4 - remainder) % 4:
        raise ValueError(f"invalid base64: {padding} padding characters is too many")
    if urlsafe:
        core = core.translate(_URLSAFE_TO_STANDARD)
    try:
        return base64.b64decode(core + "=" * ((4 - remainder) % 4), validate=True)
    except (binascii.Error, ValueError):  # pragma: no cover - alphabet and length checked above
        raise ValueError("invalid base64") from None
