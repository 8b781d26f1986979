"""Rendering a rewritten body: splicing into the client's text vs parse + re-serialise.

Run::

    .venv/bin/python scripts/bench_splice.py [--sizes 1,8,64] [--runs 7]

For each size it builds two OpenAI chat bodies of about that many MB and rewrites their one image
the way ``compress_body`` does after the pipeline ran, with two kinds of edit:

* ``image``: one big base64 image carries the size (the common large body);
* ``history``: the size is conversation text (~400-byte messages) with one small image, the worst
  case for the splice parser, whose structure walk is Python while ``json.loads`` is all C;

* ``new bytes``: new small PNG bytes + ``detail: "low"`` (full_low on a big image);
* ``keep bytes``: only ``detail: "low"`` is added and the payload stays (what full_low does to an
  image already small enough, and Gemini 3's ``mediaResolution``), so re-serialising has to write
  every payload byte again.

Timed, interleaved run by run so machine drift hits all alike (median, min and max of ``--runs``):

* ``splice``: :func:`headroom_edge.formats.body.parse_body` + ``render_body`` + UTF-8 encode;
* ``reserialise``: ``json.loads`` + ``apply_edits`` + ``json.dumps`` + encode (the former path);
* ``json.loads``: the parse alone, as a floor.

The ratio column is splice / reserialise medians from the same run. Image work is excluded: both
paths get the same ready-made edit.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if __name__ == "__main__":  # run by path: import from the repository root (scripts/__init__.py)
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from PIL import Image  # noqa: E402

from headroom_edge.formats import OPENAI_CHAT, apply_edits  # noqa: E402
from headroom_edge.formats.base import ImageEdit  # noqa: E402
from headroom_edge.formats.body import parse_body, render_body  # noqa: E402

MB = 1 << 20


def _small_png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 90, 200)).save(buf, "PNG")
    return buf.getvalue()


def build_body(kind: str, size: int) -> bytes:
    """An OpenAI chat body of about ``size`` bytes (random base64 stands in for image bytes:
    neither path decodes it)."""
    image_b64 = base64.b64encode(os.urandom(max(3, size * 3 // 4) if kind == "image" else 3000))
    messages: list[dict[str, Any]] = [{"role": "system", "content": "Be brief."}]
    if kind == "history":
        text = "lorem ipsum dolor sit amet " * 15
        for i in range(max(1, size // (len(text) + 40))):
            messages.append({"role": "user" if i % 2 else "assistant", "content": text})
    messages.append({"role": "user", "content": [
        {"type": "text", "text": "What is shown here?"},
        {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64," + image_b64.decode()}},
    ]})
    body = {"model": "gpt-4o", "temperature": 0.2, "messages": messages}
    return json.dumps(body).encode()


def splice(raw: bytes, edit: ImageEdit) -> bytes:
    parsed = parse_body(raw)
    assert parsed is not None
    slots = OPENAI_CHAT.find_images(parsed.value)
    return render_body(parsed, OPENAI_CHAT, [(s, edit) for s in slots]).encode("utf-8")


def reserialise(raw: bytes, edit: ImageEdit) -> bytes:
    body = json.loads(raw)
    apply_edits(OPENAI_CHAT, [(s, edit) for s in OPENAI_CHAT.find_images(body)])
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def measure(raw: bytes, edit: ImageEdit, runs: int) -> dict[str, list[float]]:
    cases: dict[str, Callable[[], object]] = {
        "splice": lambda: splice(raw, edit),
        "reserialise": lambda: reserialise(raw, edit),
        "json.loads": lambda: json.loads(raw),
    }
    for fn in cases.values():  # warm-up, and a check that both paths agree on the result
        fn()
    assert json.loads(splice(raw, edit)) == json.loads(reserialise(raw, edit))
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, fn in cases.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return times


def row(label: str, times: dict[str, list[float]]) -> str:
    med = {name: statistics.median(t) * 1e3 for name, t in times.items()}

    def cell(name: str) -> str:
        return f"{med[name]:.1f} ({min(times[name]) * 1e3:.1f}-{max(times[name]) * 1e3:.1f})"

    return (f"| {label} | {cell('splice')} | {cell('reserialise')} | {med['json.loads']:.1f} | "
            f"{med['splice'] / med['reserialise']:.2f} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1,8,64", help="body sizes in MB, comma-separated")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--kinds", default="image,history")
    args = parser.parse_args(argv)
    edits = {"new bytes": ImageEdit(data=_small_png(), media_type="image/png", detail="low"),
             "keep bytes": ImageEdit(detail="low")}
    print(f"python {sys.version.split()[0]}, loadavg {os.getloadavg()[0]:.2f}, runs {args.runs}")
    print("| body | edit | size | splice ms (min-max) | reserialise ms (min-max) | json.loads ms | splice/reserialise |")
    print("|---|---|---|---|---|---|---|")
    for kind in args.kinds.split(","):
        for size_mb in (float(s) for s in args.sizes.split(",")):
            raw = build_body(kind, int(size_mb * MB))
            for edit_name, edit in edits.items():
                print(row(f"{kind} | {edit_name} | {len(raw) / MB:.1f} MB", measure(raw, edit, args.runs)),
                      flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
