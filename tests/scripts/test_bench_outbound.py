"""Smoke test for scripts/bench_outbound.py: one short round end to end, report written. No
timing assertions (performance claims live in the benchmark's output, not in tests)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_outbound_runs_and_reports_every_case(tmp_path: Path) -> None:
    out = tmp_path / "outbound.json"
    run = subprocess.run(
        [sys.executable, "scripts/bench_outbound.py", "--rounds", "1", "--calls", "2", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    report = json.loads(out.read_text())
    assert set(report["decision"]) == {
        "GET /v1/models", "POST non-LLM JSON", "LLM call, no image", "LLM call, image (cache hit)"
    }
    assert set(report["middleware"]) == {
        "bare app", "middleware, outbound=False", "middleware, outbound hooks on"
    }
    assert len(report["end_to_end"]) == 6
    for case in report["end_to_end"].values():
        assert case["off"]["n"] > 0 and case["on"]["n"] == case["off"]["n"]
    assert "End to end" in run.stdout
