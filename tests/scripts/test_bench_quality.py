"""scripts/bench_quality.py: the --smoke run for real (real images, the real compressor, the real
Tesseract), and the judge shown to catch what it is there to catch. No thresholds on the
product's numbers: those are the benchmark's output, not a test's."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

from PIL import Image

from scripts.lib.quality_corpus import CorpusImage, all_specs, build_corpus, source_vocabulary
from scripts.lib.quality_eval import judge_run
from scripts.lib.quality_judge import Judge
from scripts.lib.quality_requests import TARGETS
from scripts.lib.quality_scenarios import (
    CATEGORIES,
    REGION_BOXES,
    Truth,
    scenarios,
    words_that_matter,
)

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "reports" / "quality" / "corpus"
"""The benchmark's own corpus cache: deterministic, so tests and runs share it."""
PAGE = "doc-readme2-sans14-1240"


def test_smoke_run_writes_reports(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "scripts/bench_quality.py", "--smoke", "--out", str(tmp_path), "--corpus", str(CORPUS)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    assert "== targets ==" in out and "== worst cases ==" in out
    assert sum(line.startswith(("PASS", "FAIL")) for line in out.splitlines()) == 3

    report = json.loads((tmp_path / "quality.json").read_text())
    runs = report["runs"]
    assert 1 <= len(runs) <= 12 and report["smoke"] is True
    assert {r["model"] for r in runs} == {t.model for t in TARGETS}
    assert {r["category"] for r in runs} == set(CATEGORIES)
    assert {r["kind"] for r in runs} == {"photo", "document", "screenshot", "chart"}
    for run in runs:
        v = run["verdict"]
        assert set(v) == {"words", "seen_original", "seen_compressed", "ratio", "coverage", "harmful", "why"}
        assert run["original_tokens"] >= run["compressed_tokens"] >= 0
        assert run["original_view"] and len(run["original_view"]) == 2
        if run["category"] in ("text", "detail"):
            assert v["words"] > 0  # the words that matter were found
    assert any(r["verdict"]["ratio"] is not None for r in runs)  # the judge read something
    assert [t["name"] for t in report["targets"]][2] == "zero harmful runs"
    assert set(report["summary"]) == {"all", "provider", "category", "image kind"}
    md = (tmp_path / "quality.md").read_text()
    assert "## Targets" in md and "## Worst cases" in md and "## By provider" in md
    with Image.open(tmp_path / "quality.png") as chart:
        assert chart.size == (1400, 600)


def test_judge_flags_a_shrunk_page_and_passes_the_original(tmp_path: Path) -> None:
    corpus = build_corpus(CORPUS, {PAGE})
    assert corpus.images, corpus.skipped
    page = corpus.images[0]
    with Image.open(page.path) as img:
        top = img.convert("L").crop((0, 0, page.size[0], 500))  # a third of the page: a quicker read
    cut = 500 / page.size[1]
    words = {w.text for w in page.words if w.box[3] < cut}
    assert len(words) > 30
    judge = Judge(tmp_path / "judge")  # a fresh cache: Tesseract really runs

    same = judge_run(judge, "text", words, top, top.copy(), None)
    assert same.ratio == 1.0 and not same.harmful and same.seen_original > 20

    shrunk = top.resize((top.width // 4, top.height // 4), Image.Resampling.LANCZOS)
    lost = judge_run(judge, "text", words, top, shrunk, None)
    assert lost.harmful and lost.ratio is not None and lost.ratio < 0.5, lost

    # A transcode's OCR text counts as read, even beside an unreadable thumbnail.
    transcoded = judge_run(judge, "text", words, top, shrunk, " ".join(sorted(words)))
    assert transcoded.ratio is not None and transcoded.ratio >= 1.0 and not transcoded.harmful
    # A general question needs no words: never harmful, never read.
    assert not judge_run(judge, "general", set(), top, shrunk, None).harmful
    assert judge.reads == 2 and judge.hits >= 2  # the same view is read once


def test_the_same_image_read_at_once_from_many_threads(tmp_path: Path) -> None:
    """A preserved image is both the run's "before" and its "after": the benchmark's pool reads
    it twice at the same moment. Each write must land whole, and none may take another's file."""
    from concurrent.futures import ThreadPoolExecutor

    from PIL import ImageDraw

    img = Image.new("L", (360, 80), 255)
    ImageDraw.Draw(img).text((10, 30), "SERIAL 4711", fill=0)
    judge = Judge(tmp_path / "judge")
    # Tesseract really runs in every thread; the barrier only lines their finishes up, so the
    # writes meet every time instead of once in a while.
    readers = 8
    barrier = threading.Barrier(readers)
    tesseract = judge._run

    def run_then_meet(png: bytes, size: tuple[int, int]) -> list:
        words = tesseract(png, size)
        barrier.wait(timeout=60)
        return words

    judge._run = run_then_meet  # type: ignore[method-assign]
    with ThreadPoolExecutor(max_workers=readers) as pool:
        results = list(pool.map(lambda _: judge.word_set(img), range(readers)))
    judge._run = tesseract  # type: ignore[method-assign]
    assert all(r == results[0] for r in results)
    files = sorted(p.name for p in (tmp_path / "judge").iterdir())
    assert len(files) == 1 and files[0].endswith(".json"), files  # no temporary file left behind
    assert judge.word_set(img) == results[0]  # and the cache reads back


def test_a_crop_that_misses_its_region_is_harmful(tmp_path: Path) -> None:
    judge = Judge(tmp_path / "judge")
    img = Image.new("L", (400, 300), 255)
    region = REGION_BOXES["top-right corner"]
    missed = judge_run(judge, "region", set(), img, img, None, crop_box=(0.0, 0.5, 0.5, 1.0), region_box=region)
    assert missed.harmful and missed.coverage == 0.0
    padded = judge_run(judge, "region", set(), img, img, None, crop_box=(0.45, 0.0, 1.0, 0.55), region_box=region)
    assert not padded.harmful and padded.coverage == 1.0


def test_the_full_plan_has_over_a_hundred_scenarios_in_every_category() -> None:
    images = [CorpusImage(s.name, s.kind, "", "image/png", s.source, (100, 100)) for s in all_specs() if s.available]
    planned = scenarios(images)
    assert len(planned) >= 100
    assert {s.category for s in planned} == set(CATEGORIES)
    for s in planned:
        assert (s.category == "region") == (s.region_box is not None)


def test_words_that_matter() -> None:
    truth = [Truth("version", (0.1, 0.1, 0.2, 0.12)), Truth("2.100", (0.6, 0.1, 0.7, 0.12)),
             Truth("2023-02-04", (0.1, 0.6, 0.3, 0.62)), Truth("12", (0.6, 0.6, 0.65, 0.62)),
             Truth("page", (0.1, 0.95, 0.2, 0.97), role="footer")]
    planned = {s.category: s for s in scenarios([CorpusImage("d", "document", "", "image/png", "", (10, 10))])}
    assert words_that_matter(planned["general"], truth) == set()
    assert words_that_matter(planned["text"], truth) == {t.text for t in truth}
    assert words_that_matter(planned["detail"], truth) == {"2.100", "2023-02-04", "12"}
    assert words_that_matter(planned["region"], truth) == {"page"}  # the first document region: the footer


def test_source_vocabulary_of_a_screenshot_is_its_page_text(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text("<html><head><style>p { color: red }</style><script>var hidden = 1;</script></head>"
                    "<body><h1>5.3.&#160;Network setup</h1><p>Use <code>ip addr</code> to list tools.</p>"
                    "<img alt='Debian logo' src='x.png'></body></html>")
    image = CorpusImage("shot-x", "screenshot", str(tmp_path / "x.png"), "image/png", str(page), (10, 10))
    vocabulary = source_vocabulary(image)
    assert vocabulary is not None
    assert {"5.3", "network", "setup", "ip", "addr", "tools", "debian", "logo"} <= vocabulary
    assert "hidden" not in vocabulary and "color" not in vocabulary  # scripts and styles draw nothing
    assert "tols" not in vocabulary  # a misreading is not in the source


def test_source_vocabulary_of_a_chart_holds_its_tick_labels() -> None:
    spec = next(s for s in all_specs() if s.name == "chart-dpkg-priority")
    image = CorpusImage(spec.name, "chart", "", "image/png", spec.source, (1000, 1000))
    vocabulary = source_vocabulary(image)
    assert vocabulary is not None and "required" in vocabulary  # a dpkg priority, drawn as a label
    assert source_vocabulary(CorpusImage("photo-x", "photo", "", "image/jpeg", "", (1, 1))) is None
