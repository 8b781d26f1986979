"""Batch files made of real requests: OpenAI Batch lines and Anthropic Message Batches lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from headroom_edge.batch.runner import BatchOptions, BatchSummary, run_batch
from tests.factories import anthropic_body, openai_chat_body, photo_jpeg, responses_body

QUESTIONS = ("What animal is this?", "What is in this picture?", "Count the people in the photo exactly.")


def batch_lines(count: int, *, photo_size: int = 900, unique: bool = False) -> list[bytes]:
    """A mixed file: OpenAI chat and responses lines, Anthropic lines, a blank and a junk line.

    ``unique``: every line gets its own image (a different size), so no line is a cache hit of
    an earlier one and each takes real compression time.
    """
    jpeg = photo_jpeg(photo_size, photo_size)
    lines: list[bytes] = []
    for i in range(count):
        if unique:
            jpeg = photo_jpeg(photo_size + 8 * i, photo_size)
        question = QUESTIONS[i % len(QUESTIONS)]
        if i % 3 == 0:
            record = {
                "custom_id": f"req-{i}",
                "method": "POST",
                "url": "/v1/chat/completions",
                "body": openai_chat_body(jpeg, question),
            }
        elif i % 3 == 1:
            record = {
                "custom_id": f"req-{i}",
                "method": "POST",
                "url": "/v1/responses",
                "body": responses_body(jpeg, question),
            }
        else:
            record = {"custom_id": f"req-{i}", "params": anthropic_body(jpeg, question)}
        lines.append(json.dumps(record).encode() + b"\n")
    lines.insert(1, b"\n")
    lines.insert(3, b'{"not": "a batch line"\n')
    return lines


@pytest.fixture(scope="session")
def batch_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("batch") / "in.jsonl"
    path.write_bytes(b"".join(batch_lines(12)))
    return path


@pytest.fixture(scope="session")
def serial_output(batch_file: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BatchSummary]:
    out = tmp_path_factory.mktemp("serial") / "out.jsonl"
    summary = run_batch(batch_file, out, BatchOptions(processes=1, chunk_lines=4, progress=False))
    return out, summary
