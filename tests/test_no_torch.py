"""The runtime never imports torch or transformers: importing headroom_edge and compressing a
request (router, analysis, OCR, every technique) happens in a fresh interpreter, then its
sys.modules is inspected."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_compressing_never_imports_torch_or_transformers() -> None:
    code = textwrap.dedent(
        """
        import json, sys
        from headroom_edge import ImageCompressor
        from tests import factories as f
        comp = ImageCompressor()
        for data, question, mt in [
            (f.photo_jpeg(), "What animal is this?", "image/jpeg"),
            (f.document_png(), "Transcribe this page", "image/png"),
            (f.encode(f.quadrants(600), "PNG"), "what is in the top-left corner?", "image/png"),
            (f.photo_jpeg(), "How many buttons are there?", "image/jpeg"),
        ]:
            comp.compress_body(json.dumps(f.openai_chat_body(data, question, media_type=mt)).encode())
        import headroom_edge.integrations  # the integrations too
        heavy = sorted(m for m in sys.modules if m.split(".")[0] in {"torch", "transformers", "optimum", "cv2"})
        print(json.dumps({"heavy": heavy, "techniques": [r.technique.value for r in comp.last_result.images]}))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stderr[-2000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["heavy"] == []
