"""Smoke test for scripts/bench_legend.py: one style and size end to end, as a subprocess (the
real CLI), with its JSON report. The locator's quality claims live in docs/benchmarks.md."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_bench_legend_quick_run_writes_its_report(tmp_path: Path) -> None:
    out = tmp_path / "legend.json"
    run = subprocess.run([sys.executable, str(REPO / "scripts" / "bench_legend.py"), "--quick", "--json", str(out)],
                         cwd=REPO, capture_output=True, text=True, timeout=600, check=True)
    assert "charts with a legend: 33" in run.stdout
    report = json.loads(out.read_text())
    located = [r for r in report["rows"] if r["located"]]
    assert located, run.stdout
    # Every located legend is inside its crop whole; nothing is located where there is no legend.
    assert all(r["coverage"] >= 0.999 for r in located), run.stdout
    assert not any(r["located"] for r in report["negatives"]), run.stdout
    assert set(report["savings"]) == {"gpt-4o", "gpt-4.1-mini", "claude-sonnet-4-5", "gemini-3-pro-preview",
                                      "gemini-2.5-flash"}
