"""Savings at equal quality: the real compressor on real images, judged by an independent OCR.

For every scenario (an image from :mod:`scripts.lib.quality_corpus` and a question from
:mod:`scripts.lib.quality_scenarios`) and every provider family of
:mod:`scripts.lib.quality_requests`, the script builds the request body that provider's SDK
sends, runs ``ImageCompressor.compress_body`` on it, and rebuilds what the provider's model sees
of the original and of the compressed request (:func:`headroom_edge.preview.model_views`: the
library's own ``family_view_size`` rules, the detail and mediaResolution of each part, the OCR
text of a transcode). Tesseract (:mod:`scripts.lib.quality_judge`) then reads both views, and
:mod:`scripts.lib.quality_eval` decides whether the rewrite kept what the question needs.

Writes quality.json, quality.md and quality.png under --out (default reports/quality) and
prints the targets (mean savings >= 50%, >= 40% per provider, zero harmful) as PASS/FAIL and the
worst cases.

Usage: .venv/bin/python scripts/bench_quality.py [--smoke] [--out DIR] [--corpus DIR]
       [--models gpt-4o,claude-sonnet-4-5] [--limit N] [--jobs 2]

OCR results are memoised per page within a run (the five providers see the same pixels, and
OCR is deterministic), so the benchmark measures quality, not OCR speed (scripts/bench_ocr.py
measures that); judge results are cached on disk by image hash.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if __name__ == "__main__":  # run by path: import from the repository root (scripts/__init__.py)
    sys.path[0] = str(ROOT)

from PIL import Image  # noqa: E402

from headroom_edge import ImageCompressor  # noqa: E402
from headroom_edge.config import ImageLimits  # noqa: E402
from headroom_edge.imaging import crop_pixels, decode_image  # noqa: E402
from headroom_edge.preview import model_views  # noqa: E402
from headroom_edge.technique import Technique  # noqa: E402
from scripts.lib import quality_eval, quality_report  # noqa: E402
from scripts.lib.quality_corpus import CorpusImage, build_corpus, source_vocabulary  # noqa: E402
from scripts.lib.quality_judge import Judge, tesseract_version  # noqa: E402
from scripts.lib.quality_requests import TARGETS, Target, request_body  # noqa: E402
from scripts.lib.quality_scenarios import Scenario, Truth, scenarios, words_that_matter  # noqa: E402

SMOKE: tuple[str, ...] = (
    "photo-aqua:general", "photo-ladybird:region", "doc-readme2-sans14-1240:text",
    "doc-readme2-sans14-1240:general", "doc-changelog1-sans13-1240:detail",
    "doc-changelog1-sans13-1240:region", "shot-index-1280x800:general", "shot-index-1280x800:region",
    "chart-zoneinfo:detail", "chart-zoneinfo:general", "doc-readme2-sans14-1240:detail",
    "photo-aqua:region",
)
"""The --smoke subset: 12 scenarios over every kind and category, each run on one provider
family (cycled), so CI exercises every wire format, the judge and the reports in about a minute."""


class MemoOcr:
    """The product's OCR engine with ``read``/``detect`` memoised by the exact pixels and args.

    Everything else is passed through, so an engine that grows new methods keeps working."""

    def __init__(self, engine: Any) -> None:
        self._engine = engine
        self._memo: dict[tuple[str, str, str], Any] = {}

    def read(self, img: Any, *args: Any, **kwargs: Any) -> Any:
        return self._call("read", img, args, kwargs)

    def detect(self, img: Any, *args: Any, **kwargs: Any) -> Any:
        return self._call("detect", img, args, kwargs)

    def _call(self, name: str, img: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        digest = hashlib.sha1(img.tobytes() + repr((img.mode, img.size)).encode()).hexdigest()
        key = (name, digest, repr((args, sorted(kwargs.items()))))
        if key not in self._memo:
            self._memo[key] = getattr(self._engine, name)(img, *args, **kwargs)
        return self._memo[key]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._engine, name)


@dataclass(frozen=True)
class Plan:
    scenario: Scenario
    target: Target


def plan(all_scenarios: list[Scenario], targets: Iterable[Target], smoke: bool, limit: int | None) -> list[Plan]:
    chosen = list(targets)
    if smoke:
        by_id = {s.id: s for s in all_scenarios}
        return [Plan(by_id[sid], chosen[i % len(chosen)]) for i, sid in enumerate(SMOKE) if sid in by_id]
    picked = all_scenarios[:limit] if limit else all_scenarios
    return [Plan(s, t) for s in picked for t in chosen]


def truth_of(image: CorpusImage, judge: Judge) -> list[Truth]:
    """Ground truth words: rendered ones for documents; for screenshots and charts, what the
    judge reads in the untouched full-resolution original that the image's source text also
    says (``quality_corpus.source_vocabulary``: a misreading is no word to keep); photos carry
    no text."""
    if image.kind == "document":
        return [Truth(w.text, w.box, w.role) for w in image.words]
    if image.kind == "photo":
        return []
    img = decode_image(image.data(), ImageLimits()).image.convert("RGB")
    vocabulary = source_vocabulary(image)
    return [Truth(w.text, w.box) for w in judge.read(img) if vocabulary is None or w.text in vocabulary]


def run_one(compressor: ImageCompressor, judge: Judge, pool: ThreadPoolExecutor, item: Plan,
            image: CorpusImage, truth: list[Truth]) -> dict[str, Any]:
    s, target = item.scenario, item.target
    body = request_body(target, s.question, image.data(), image.media_type)
    start = time.perf_counter()
    out = compressor.compress_body(body, path=target.path)
    seconds = time.perf_counter() - start
    result = out.result
    if not result.images:
        raise RuntimeError(f"{s.id} on {target.model}: the compressor found no image")
    view = model_views(body, out.body, result)[0]
    res = result.images[0]
    words = words_that_matter(s, truth)
    crop_box = res.signals.get("box") if res.technique is Technique.CROP else None

    def read(imgs: Iterable[Image.Image | None]) -> list[set[str]]:
        return list(pool.map(lambda i: judge.word_set(i) if i is not None else set(), imgs))

    original = view.original.image if view.original else None
    if original is not None and crop_box is not None:
        # The same frame on both sides: what the crop changes is the resolution, while Tesseract
        # reads identical pixels differently in a different frame (measured: up to 1 word in 8).
        # Whether the box holds the question's region is the separate coverage check.
        original = original.crop(crop_pixels(original.size, crop_box))
    verdict = quality_eval.judge_run(
        judge, s.category, words,
        original,
        view.compressed.image if view.compressed else None,
        view.ocr_text, crop_box=crop_box, region_box=s.region_box, read=read,
    )
    saved = 100.0 * (res.original_tokens - res.compressed_tokens) / res.original_tokens if res.original_tokens else 0.0
    return {
        "scenario": s.id, "image": s.image, "kind": s.kind, "category": s.category, "question": s.question,
        "region": s.region, "model": target.model, "family": target.family,
        "technique": res.technique.value, "decided_by": res.decided_by, "reason": res.reason,
        "original_tokens": res.original_tokens, "compressed_tokens": res.compressed_tokens,
        "savings_percent": round(saved, 2),
        "original_size": list(res.original_size) if res.original_size else None,
        "sent_size": list(res.compressed_size) if res.compressed_size else None,
        "original_view": list(view.original.view_size) if view.original else None,
        "compressed_view": list(view.compressed.view_size) if view.compressed else None,
        "detail": view.compressed.detail if view.compressed else None,
        "media_resolution": view.compressed.media_resolution if view.compressed else None,
        "crop_box": crop_box, "ocr_chars": len(view.ocr_text or ""),
        "compress_seconds": round(seconds, 3), "verdict": verdict.to_dict(),
    }


def run_bench(out_dir: Path, corpus_dir: Path, *, smoke: bool = False, models: list[str] | None = None,
              limit: int | None = None, jobs: int = 2, command: str = "", log: Any = print) -> dict[str, Any]:
    t0 = time.perf_counter()
    load_before = os.getloadavg()
    commit = _commit()  # the code measured, not whatever is checked out when the run ends
    targets = [t for t in TARGETS if not models or t.model in models]
    if not targets:
        raise SystemExit(f"no provider family among {models}; known: {[t.model for t in TARGETS]}")
    judge = Judge(corpus_dir.parent / "judge-cache")
    names = {sid.split(":")[0] for sid in SMOKE} if smoke else None
    corpus = build_corpus(corpus_dir, names)
    for note in corpus.skipped:
        log(f"[quality] skipped {note}")
    images = {img.name: img for img in corpus.images}
    items = plan(scenarios(corpus.images), targets, smoke, limit)
    base = ImageCompressor()
    compressor = ImageCompressor(ocr=MemoOcr(base.ocr) if base.ocr is not None else None)
    truths: dict[str, list[Truth]] = {}
    runs = []
    with ThreadPoolExecutor(max(1, jobs)) as pool:
        for n, item in enumerate(items, 1):
            image = images[item.scenario.image]
            if image.name not in truths:
                truths[image.name] = truth_of(image, judge)
            run = run_one(compressor, judge, pool, item, image, truths[image.name])
            runs.append(run)
            v = run["verdict"]
            ratio = "-" if v["ratio"] is None else f"{v['ratio']:.2f}"
            log(f"[quality] {n}/{len(items)} {run['scenario']} {run['model']}: {run['technique']} "
                f"{run['original_tokens']}->{run['compressed_tokens']} recall {ratio}"
                + (f" HARMFUL ({v['why']})" if v["harmful"] else ""))
    report: dict[str, Any] = {
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "commit": commit,
        "command": command or "scripts/bench_quality.py" + (" --smoke" if smoke else ""),
        "smoke": smoke,
        "judge": tesseract_version() or "tesseract",
        "corpus_dir": str(corpus_dir),
        "n_images": len({p.scenario.image for p in items}),
        "n_scenarios": len({p.scenario.id for p in items}),
        "skipped": corpus.skipped,
        "models": [t.model for t in targets],
        "runs": runs,
        "summary": {
            "all": quality_eval.summarise(runs, None),
            "provider": quality_eval.summarise(runs, "model"),
            "category": quality_eval.summarise(runs, "category"),
            "image kind": quality_eval.summarise(runs, "kind"),
        },
        "targets": quality_eval.targets(runs),
        "worst": quality_eval.worst_cases(runs),
        "judge_reads": judge.reads, "judge_cache_hits": judge.hits,
        "seconds": round(time.perf_counter() - t0, 1),
        "loadavg": f"{load_before[0]:.2f} before, {os.getloadavg()[0]:.2f} after",
    }
    return report


def write_reports(report: dict[str, Any], out_dir: Path) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"json": out_dir / "quality.json", "md": out_dir / "quality.md", "png": out_dir / "quality.png"}
    report["chart"] = str(paths["png"])
    quality_report.render_chart(report, paths["png"])
    paths["json"].write_text(json.dumps(report, indent=1))
    paths["md"].write_text(quality_report.render_markdown(report))
    return paths


def print_summary(report: dict[str, Any], stream: Any = sys.stdout) -> None:
    print("\n== targets ==", file=stream)
    for t in report["targets"]:
        print(f"{'PASS' if t['pass'] else 'FAIL'}  {t['name']}: {t['value']}", file=stream)
    for title in ("provider", "category", "image kind"):
        print(f"\n== by {title} ==", file=stream)
        for r in report["summary"][title]:
            mean = "-" if r["mean_retention"] is None else f"{r['mean_retention']:.3f}"
            low = "-" if r["min_retention"] is None else f"{r['min_retention']:.3f}"
            print(f"{r['group']:<22} runs {r['runs']:>4}  saved {r['mean_savings_percent']:5.1f}% "
                  f"(median {r['median_savings_percent']:5.1f}%)  recall mean {mean} min {low}  "
                  f"harmful {r['harmful']}  unjudged {r['unjudged']}", file=stream)
    print("\n== worst cases ==", file=stream)
    for r in report["worst"]:
        v = r["verdict"]
        ratio = "-" if v["ratio"] is None else f"{v['ratio']:.2f}"
        print(f"{r['scenario']:<42} {r['model']:<21} {r['technique']:<9} "
              f"{r['original_tokens']:>5}->{r['compressed_tokens']:<5} recall {ratio:<5} "
              f"{'HARMFUL ' + v['why'] if v['harmful'] else ''}  [{r['reason'][:70]}]", file=stream)


def _commit() -> str:
    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                             text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{sha}{'-dirty' if dirty else ''}" if sha else "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="12 scenarios, about a minute (CI)")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "quality")
    parser.add_argument("--corpus", type=Path, help="corpus cache folder (default: OUT/corpus)")
    parser.add_argument("--models", help="comma-separated subset of " + ",".join(t.model for t in TARGETS))
    parser.add_argument("--limit", type=int, help="only the first N scenarios (quick looks)")
    parser.add_argument("--jobs", type=int, default=2, help="parallel judge (tesseract) processes")
    args = parser.parse_args(argv)
    command = "scripts/bench_quality.py " + " ".join(argv if argv is not None else sys.argv[1:])
    report = run_bench(args.out, args.corpus or args.out / "corpus", smoke=args.smoke,
                       models=args.models.split(",") if args.models else None, limit=args.limit,
                       jobs=args.jobs, command=command.strip())
    paths = write_reports(report, args.out)
    print_summary(report)
    print(f"\nreports: {', '.join(str(p) for p in paths.values())} ({report['seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
