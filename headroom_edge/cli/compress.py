"""``headroom-edge compress REQUEST.json``: rewrite one request body offline and show what changed."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from headroom_edge.results import CompressionResult


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "compress",
        help="compress the images of one request body (JSON file, '-' for stdin)",
        description="Rewrite the images of one LLM request body and print the new body plus a "
        "per-image table (technique, tokens and bytes before/after, reason) on stderr.",
    )
    parser.add_argument("request", help="request body JSON file, or - for stdin")
    parser.add_argument("--provider", choices=["openai", "anthropic", "google"], help="force the provider")
    parser.add_argument(
        "--format", dest="wire_format",
        choices=["openai_chat", "openai_responses", "anthropic_messages", "gemini"],
        help="force the wire format (default: detected from --path or the body's shape)",
    )
    parser.add_argument("--path", help="the request URL path, e.g. /v1/chat/completions (helps detection)")
    parser.add_argument("--model", help="override the model used for token accounting")
    parser.add_argument("-o", "--output", help="write the rewritten body here instead of stdout")
    parser.add_argument("--json-report", action="store_true", help="print the report as JSON instead of a table")
    parser.add_argument("--device", choices=["cpu", "cuda"], help="execution provider for the models")
    parser.add_argument(
        "--preview", metavar="OUT.html",
        help="also write a self-contained HTML page showing each image beside what the provider's "
        "model will see of the rewrite (technique, tokens before/after, reason)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from headroom_edge.compressor import ImageCompressor

    raw = sys.stdin.buffer.read() if args.request == "-" else open(args.request, "rb").read()
    compressor = ImageCompressor(device=args.device)
    out = compressor.compress_body(
        raw, path=args.path, provider=args.provider, wire_format=args.wire_format, model=args.model
    )
    if out.wire_format is None:
        print("headroom-edge: not a recognised LLM request body; nothing changed", file=sys.stderr)
    if args.output:
        with open(args.output, "wb") as fh:
            fh.write(out.body)
    else:
        sys.stdout.buffer.write(out.body)
        sys.stdout.buffer.write(b"\n")
        sys.stdout.flush()
    if args.preview:
        write_preview(raw, out.body, out.result, args.preview)
    if args.json_report:
        print(json.dumps(out.result.to_dict(), indent=2), file=sys.stderr)
    else:
        print_table(out.result, sys.stderr)
    return 0


def write_preview(raw: bytes, rewritten: bytes | str | dict[str, Any], result: CompressionResult, path: str) -> None:
    """Write the preview page; a body that is not a JSON object still gets a page (no images)."""
    from headroom_edge.cli.preview_page import render_page
    from headroom_edge.preview import model_views

    views = []
    original = _json_object(raw)
    compressed = rewritten if isinstance(rewritten, dict) else _json_object(rewritten)
    if original is not None and compressed is not None:
        views = model_views(original, compressed, result)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(render_page(views, result))
    print(f"headroom-edge: preview written to {path}", file=sys.stderr)


def _json_object(raw: bytes | str) -> dict[str, Any] | None:
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def print_table(result: CompressionResult, stream: TextIO) -> None:
    rows = [("#", "technique", "tokens", "bytes", "size", "reason")]
    for image in result.images:
        before = f"{image.original_size[0]}x{image.original_size[1]}" if image.original_size else "-"
        after = f"{image.compressed_size[0]}x{image.compressed_size[1]}" if image.compressed_size else "-"
        rows.append((
            str(image.index),
            image.technique.value,
            f"{image.original_tokens}->{image.compressed_tokens}",
            f"{image.original_bytes}->{image.compressed_bytes}",
            f"{before}->{after}",
            image.reason + (f" [error: {image.error}]" if image.error else ""),
        ))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    for row in rows:
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:5])) + "  " + row[5], file=stream)
    print(
        f"total: {result.original_tokens} -> {result.compressed_tokens} tokens "
        f"({result.savings_percent:.1f}% saved), provider={result.provider} model={result.model} "
        f"format={result.wire_format}",
        file=stream,
    )
