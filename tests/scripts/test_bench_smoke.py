"""Smoke tests for scripts/bench.py and scripts/bench_proxy.py: they run end to end, with a couple
of iterations, and write their reports. No timing assertions: performance claims live in the
benchmark output (docs/benchmarks.md), not in tests, because test machines are shared and noisy.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

from headroom_edge import ImageCompressor
from tests import factories

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


def load_script(name: str) -> ModuleType:
    """Import scripts/<name>.py under a private module name (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location(f"_bench_script_{name}", SCRIPTS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_bench_runs_and_writes_reports(tmp_path: Path) -> None:
    bench = load_script("bench")
    photo = bench.default_cases()[0]
    # A fine-detail question: the rules keep the image, which exercises the no-resize branch.
    keep = bench.Case("screenshot 800x500 PNG", factories.encode(factories.screenshot(800, 500), "PNG"),
                      "image/png", "What is the exact serial number?")
    report = bench.run_bench(runs=2, warmup=1, no_image_iterations=20, cases=[photo, keep],
                             compressor=ImageCompressor(use_siglip=False))
    paths = bench.write_reports(report, tmp_path)

    assert {p.name for p in paths.values()} == {"bench.json", "bench.md", "bench.png"}
    assert all(p.stat().st_size > 0 for p in paths.values())
    data = json.loads(paths["json"].read_text())
    first, second = data["cases"]
    assert first["technique"] == "full_low" and first["target"] == [512, 512]
    for stage in ("body parse (json.loads)", "base64 decode", "decode (draft)", "transform (resize_to)", "encode"):
        assert first["stages"][stage]["n"] == 2
    assert second["technique"] == "preserve" and "technique: preserve" in second["stages"]
    assert first["total"]["n"] == first["floor"]["n"] == 2
    assert data["repeat"][0]["all_hits_cached"] is True
    assert data["environment"]["imaging_engine"]["name"] in ("pillow", "pillow-simd")
    assert len(data["targets"]) == 4
    text = paths["md"].read_text()
    assert "## Targets" in text and ("PASS" in text or "FAIL" in text)


def test_bench_proxy_runs_against_real_subprocesses(tmp_path: Path) -> None:
    proxy = load_script("bench_proxy")
    (tmp_path / "bench.md").write_text("# core section\n")
    code = proxy.main(["--requests", "3", "--repeat-requests", "2", "--images", "2", "--concurrency", "2",
                       "--workers", "1", "--no-passthrough", "--out", str(tmp_path)])
    assert code == 0
    report = json.loads((tmp_path / "bench_proxy.json").read_text())
    (run,) = report["runs"]
    assert run["workers"] == 1 and run["warmup_errors"] == []
    assert "transcode" in run["warmup_techniques"]
    assert run["rss_warm_mb"]["VmRSS"] > 0
    for workload, count in (("unique", 3), ("rotating", 3), ("repeated", 2)):
        assert run[workload]["requests"] == count
        assert run[workload]["errors"] == 0
    combined = (tmp_path / "bench.md").read_text()
    assert combined.startswith("# core section") and "## Proxy under load" in combined
