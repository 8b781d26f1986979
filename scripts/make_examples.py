"""Write examples/request.json: a real OpenAI Chat request with two images and two questions.

The photo is scikit-image's astronaut (public domain); the page is text rendered with Pillow's
bundled font. Run: .venv/bin/python scripts/make_examples.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

if __name__ == "__main__":  # run by path: import from the repository root, not from scripts/
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from tests import factories as f  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    photo = f.photo_jpeg(1024, 1024, quality=85)
    page = f.encode(f.document(900, 1100, size=22).convert("L"), "PNG", optimize=True)
    body = {
        "model": "gpt-4o",
        "messages": [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": [
                {"type": "text", "text": "What is the person in this photo doing?"},
                {"type": "image_url", "image_url": {"url": f.data_url(photo, "image/jpeg")}},
            ]},
            {"role": "assistant", "content": "An astronaut is posing in a spacesuit next to a flag."},
            {"role": "user", "content": [
                {"type": "text", "text": "Thanks. Now transcribe this invoice for me."},
                {"type": "image_url", "image_url": {"url": f.data_url(page, "image/png")}},
            ]},
        ],
        "max_tokens": 500,
    }
    out = ROOT / "examples" / "request.json"
    out.write_text(json.dumps(body, indent=1) + "\n")
    print(f"wrote {out} ({out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
