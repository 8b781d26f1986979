"""Importing the middleware and building an app with it is cheap: no onnxruntime, numpy, PIL,
tokenizers or httpx until they are needed (cold start on serverless and small VMs). Checked in
fresh interpreters, since this test session has long imported everything."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("onnxruntime", "numpy", "PIL", "tokenizers", "httpx", "httpx2", "headroom_edge.compressor")


def _loaded_after(code: str) -> dict:
    script = textwrap.dedent(code) + textwrap.dedent(
        f"""
        import json, sys
        print(json.dumps({{"heavy": sorted(m for m in {HEAVY!r} if m in sys.modules),
                          "modules": len(sys.modules)}}))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_importing_the_middleware_and_building_an_app_loads_nothing_heavy() -> None:
    report = _loaded_after(
        """
        from fastapi import FastAPI
        from headroom_edge import HeadroomMiddleware
        import headroom_edge.integrations.middleware

        app = FastAPI()
        app.add_middleware(HeadroomMiddleware)
        app.build_middleware_stack()  # instantiates the middleware, as the first request would
        """
    )
    assert report["heavy"] == []


def test_the_package_and_its_light_names_load_nothing_heavy() -> None:
    report = _loaded_after(
        """
        import headroom_edge
        from headroom_edge import CompressionConfig, Technique, estimate_image_tokens
        from headroom_edge.integrations import Metrics, route
        """
    )
    assert report["heavy"] == []


def test_instrument_imports_httpx_but_not_the_compression_core() -> None:
    report = _loaded_after(
        """
        import httpx
        import headroom_edge
        before = httpx.HTTPTransport.__dict__["handle_request"]
        headroom_edge.instrument()
        assert httpx.HTTPTransport.__dict__["handle_request"] is not before
        headroom_edge.uninstrument()
        assert httpx.HTTPTransport.__dict__["handle_request"] is before
        """
    )
    assert "onnxruntime" not in report["heavy"] and "numpy" not in report["heavy"]
    assert "headroom_edge.compressor" not in report["heavy"]
