"""One line of a batch file in, one line out: the unit every batch engine runs.

Why per line: both providers' batch files are JSONL where each line is one independent request,
so a line is the natural unit of parallel work, of ordering and of failure. A line that cannot
be compressed (not JSON, an unknown shape, a compressor error) comes back as the very same
bytes: a batch rewrite may lose savings, never a request.

Shapes (``../shared/provider-facts.md``):

- OpenAI Batch input: ``{"custom_id", "method": "POST", "url": "/v1/chat/completions" | ..., "body"}``;
  the body is compressed as a request to ``url``.
- Anthropic Message Batches: ``{"custom_id", "params": {...Messages body...}}``.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the compressor (onnxruntime, PIL) is only needed once a line is compressed
    from headroom_edge.compressor import ImageCompressor

ANTHROPIC_PATH = "/v1/messages"


class BatchKind(str, enum.Enum):
    OPENAI = "openai"  # {"custom_id","method","url","body"}
    ANTHROPIC = "anthropic"  # {"custom_id","params"}
    UNKNOWN = "unknown"  # blank, not JSON, or another shape: passed through


@dataclass(frozen=True)
class LineStats:
    """Counts for one line; added up into the file's summary."""

    kind: BatchKind
    changed: bool = False
    failed: bool = False  # the compressor raised: the line was written unchanged
    images: int = 0
    tokens_before: int = 0
    tokens_after: int = 0


@dataclass(frozen=True)
class LineOutcome:
    line: bytes  # what to write, including the input line's own line ending
    stats: LineStats


def _split_ending(line: bytes) -> tuple[bytes, bytes]:
    for ending in (b"\r\n", b"\n"):
        if line.endswith(ending):
            return line[: -len(ending)], ending
    return line, b""


def detect(record: Any) -> BatchKind:
    if not isinstance(record, dict) or "custom_id" not in record:
        return BatchKind.UNKNOWN
    if isinstance(record.get("body"), dict) and isinstance(record.get("url"), str):
        return BatchKind.OPENAI
    if isinstance(record.get("params"), dict):
        return BatchKind.ANTHROPIC
    return BatchKind.UNKNOWN


def compress_line(line: bytes, compressor: ImageCompressor) -> LineOutcome:
    """Compresses the request on one batch line; anything else comes back byte-identical."""
    text, ending = _split_ending(line)
    if b"custom_id" not in text:  # cheap: every batch line names its custom_id
        return LineOutcome(line, LineStats(BatchKind.UNKNOWN))
    try:
        record = json.loads(text)
    except (ValueError, RecursionError):
        return LineOutcome(line, LineStats(BatchKind.UNKNOWN))
    kind = detect(record)
    if kind is BatchKind.UNKNOWN:
        return LineOutcome(line, LineStats(kind))
    key, path = ("body", record["url"]) if kind is BatchKind.OPENAI else ("params", ANTHROPIC_PATH)
    try:
        out = compressor.compress_body(record[key], path=path)
    except Exception:  # noqa: BLE001 - a line that cannot be compressed is written unchanged
        return LineOutcome(line, LineStats(kind, failed=True))
    result = out.result
    stats = LineStats(
        kind,
        changed=out.changed,
        images=len(result.images),
        tokens_before=result.original_tokens,
        tokens_after=result.compressed_tokens if out.changed else result.original_tokens,
    )
    if not out.changed:
        return LineOutcome(line, stats)
    record[key] = out.body
    return LineOutcome(_render(record) + ending, stats)


def _render(record: dict[str, Any]) -> bytes:
    """Compact JSON, non-ASCII text kept as UTF-8; a lone surrogate (valid as a JSON escape,
    not encodable as UTF-8) keeps the whole line ASCII-escaped instead."""
    try:
        return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(record, separators=(",", ":")).encode("ascii")
